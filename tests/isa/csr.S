/* csr.S - Zicsr: CSRRW/RS/RC and immediate forms, read-only and unknown CSRs (illegal
 * instruction with the instruction in mtval), misa, WARL fields, counters and time. */
#include "test.h"
TEST_BEGIN
	USE_TRAP_RECORD
	li a1, 0x12345678
	csrw mscratch, a1
	csrr a3, mscratch
	CHECK(1, a3, 0x12345678)
	li a1, 0xff
	csrrs a3, mscratch, a1
	CHECK(2, a3, 0x12345678)
	csrr a3, mscratch
	CHECK(3, a3, 0x123456ff)
	li a1, 0x0f0
	csrrc a3, mscratch, a1
	csrr a3, mscratch
	CHECK(4, a3, 0x1234560f)
	csrrwi a3, mscratch, 0x15
	CHECK(5, a3, 0x1234560f)
	csrrsi a3, mscratch, 0x0a
	csrr a3, mscratch
	CHECK(6, a3, 0x1f)
	csrrci a3, mscratch, 0x03
	csrr a3, mscratch
	CHECK(7, a3, 0x1c)
	/* rd == rs1 */
	li a1, 0x77
	csrrw a1, mscratch, a1
	CHECK(8, a1, 0x1c)
	csrr a3, mscratch
	CHECK(9, a3, 0x77)

#ifndef QEMU
	csrr a3, misa
	CHECK(10, a3, 0x40141101)
#endif
	csrr a3, mhartid
	CHECK(11, a3, 0)
	csrr a3, mvendorid
	CHECK(12, a3, 0)

	/* mepc: low two bits always zero (IALIGN = 32) */
	li a1, 0x80000123
	csrw mepc, a1
	csrr a3, mepc
#ifndef QEMU /* qemu 7.2 keeps the low bits while misa.C could be re-enabled */
	CHECK(13, a3, 0x80000120)
#endif
	/* mtvec: reserved mode 2 is not kept */
	li a1, 0x80000402
	csrw mtvec, a1
	csrr a3, mtvec
#ifndef QEMU /* WARL: qemu ignores the whole write instead */
	CHECK(14, a3, 0x80000400)
#endif
	USE_TRAP_RECORD
#ifndef QEMU /* WARL masks: qemu implements more delegable causes */
	/* mideleg/medeleg writable bits */
	li a1, -1
	csrw mideleg, a1
	csrr a3, mideleg
	CHECK(15, a3, 0x222)
	csrw mideleg, zero
	csrw medeleg, a1
	csrr a3, medeleg
	CHECK(16, a3, 0xb3ff)
	csrw medeleg, zero
#endif
	/* sie is mie restricted to the delegated bits */
	li a1, 0x222
	csrw mideleg, a1
	li a1, 0xaaa
	csrw mie, a1
	csrr a3, sie
	CHECK(50, a3, 0x222)
	csrw mideleg, zero
	csrr a3, sie
	CHECK(51, a3, 0)
	csrw mie, zero
	/* mstatus: MPP=2 is not kept; sstatus is a view */
	li a1, MSTATUS_MPP
	csrc mstatus, a1
	li a1, 2 << 11
	csrs mstatus, a1
	csrr a3, mstatus
	li a1, MSTATUS_MPP
	and a3, a3, a1
#ifndef QEMU /* WARL: qemu 7.2 stores the reserved value */
	CHECK(17, a3, 0)
#endif
	li a1, MSTATUS_SUM | MSTATUS_SIE | MSTATUS_MIE
	csrs mstatus, a1
	csrr a3, sstatus
	CHECK(18, a3, MSTATUS_SUM | MSTATUS_SIE)
	csrc sstatus, a1
	csrr a3, mstatus
	li a1, MSTATUS_SUM | MSTATUS_SIE | MSTATUS_MIE
	and a3, a3, a1
	CHECK(19, a3, MSTATUS_MIE)
	csrci mstatus, MSTATUS_MIE

	/* unknown CSR: illegal instruction, mtval = instruction bits */
	CLEAR_TRAP
1:	csrr a3, 0x7c0
	la a1, 1b
	lw a2, 0(a1)
	li gp, 20
	li t5, 2
	bne s10, t5, fail
	bne s11, a2, fail
	/* write to a read-only CSR */
	CLEAR_TRAP
1:	csrw mhartid, a1
	la a1, 1b
	lw a2, 0(a1)
	li gp, 21
	li t5, 2
	bne s10, t5, fail
	bne s11, a2, fail
	/* CSRRS with x0 on a read-only CSR is a pure read: no trap */
	CLEAR_TRAP
	csrrs a3, mhartid, x0
	CHECK(22, s10, -1)
	/* but CSRRSI with a non-zero immediate writes: trap */
	csrrsi a3, cycle, 1
	CHECK(23, s10, 2)
	/* undefined instruction: all-ones word, and SYSTEM funct3 = 4 */
	CLEAR_TRAP
	.word 0xffffffff
	EXPECT_TRAP(24, 2, 0xffffffff)
	CLEAR_TRAP
	.word 0x00004073
	EXPECT_TRAP(25, 2, 0x00004073)
	CLEAR_TRAP
	.word 0x0000000b   /* custom-0 opcode */
	EXPECT_TRAP(26, 2, 0x0000000b)
	CLEAR_TRAP
	.word 0x02000033 | (1 << 30)  /* funct7 0x21 on OP: reserved */
	EXPECT_TRAP(27, 2, 0x42000033)

	/* counters: instret counts instructions; cycle and time move forward */
	csrr a1, instret
	nop
	nop
	csrr a2, instret
	sub a3, a2, a1
	CHECK(30, a3, 3)
	rdcycle a1
	rdcycle a2
	li gp, 31
	bgeu a1, a2, fail
#ifndef QEMU /* the runner's time moves with every instruction, qemu's at 10 MHz */
	rdtime a1
	nop
	rdtime a2
	li gp, 32
	bgeu a1, a2, fail
#endif
	rdtimeh a3
	CHECK(33, a3, 0)
	csrr a3, instreth
	CHECK(34, a3, 0)
#ifndef QEMU
	/* the runner's mtime and the time CSR agree */
	li s0, IO_BASE
	lw a1, IO_MTIME(s0)
	rdtime a2
	sub a3, a2, a1
	li gp, 35
	li t5, 4
	bgeu a3, t5, fail
#endif
	/* minstret is writable */
	li a1, 1000
	csrw minstret, a1
	csrr a2, minstret
	li gp, 36
	li t5, 1000
	bltu a2, t5, fail
	li t5, 1004
	bgeu a2, t5, fail
	/* hpm counters and pmp read as zero; menvcfg reads zero */
	csrr a3, mhpmcounter3
	CHECK(37, a3, 0)
	csrr a3, hpmcounter4
	CHECK(38, a3, 0)
#ifndef QEMU /* qemu implements PMP (and the test set up entry 0) */
	csrr a3, pmpcfg0
	CHECK(39, a3, 0)
	csrw pmpaddr0, a1
	csrr a3, pmpaddr0
	CHECK(40, a3, 0)
#endif
	csrr a3, 0x30a   /* menvcfg */
	CHECK(41, a3, 0)
	/* satp: ASID bits are not implemented */
#ifndef QEMU /* qemu implements ASIDs */
	li a1, 0x7fc00000
	csrw satp, a1
	csrr a3, satp
	CHECK(42, a3, 0)
#endif
	/* mip: only SSIP, STIP, SEIP are writable by software */
	li a1, -1
	csrw mip, a1
	csrr a3, mip
#ifndef QEMU /* qemu 7.2 has Sstc on: STIP is read-only there */
	CHECK(43, a3, 0x222)
	csrw mip, zero
	csrr a3, mip
	CHECK(44, a3, 0)
#endif
TEST_END
