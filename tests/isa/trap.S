/* trap.S - exceptions and privilege transitions: ECALL cause per mode, EBREAK, MRET/SRET
 * (MPP/SPP, MPIE/SPIE), delegation with medeleg, privileged instructions and CSRs from lower
 * modes, TVM/TW/TSR, vectored mtvec (exceptions always use the base). */
#include "test.h"
TEST_BEGIN
	USE_TRAP_RECORD
	/* ECALL from M */
	CLEAR_TRAP
	ecall
	EXPECT_TRAP(1, 11, 0)
	li t5, MSTATUS_MPP
	and a3, s9, t5
	CHECK(2, a3, MSTATUS_MPP)   /* MPP = M */
	/* EBREAK: cause 3, tval = pc */
	CLEAR_TRAP
1:	ebreak
	la a1, 1b
#ifdef QEMU
	li a1, 0 /* qemu reports tval 0 for EBREAK; also allowed (privileged spec 3.1.16) */
#endif
	li gp, 3
	li t5, 3
	bne s10, t5, fail
	bne s11, a1, fail

	/* MRET to S: ECALL from S = 9, then back to M */
	li t0, MSTATUS_MIE
	csrs mstatus, t0          /* MIE=1 so MPIE shows up on the trap */
	GOTO_MODE(1, in_s)
in_s:
	CLEAR_TRAP
	rdtime a3                 /* mcounteren = 0: illegal in S */
	CHECK(50, s10, 2)
	CLEAR_TRAP
	ecall                     /* a7 != magic: recorded and skipped, stays in S */
	li t5, 9
	li gp, 4
	bne s10, t5, fail
	/* MPP of that trap is S, MPIE holds the MIE we had before (MRET set MIE = MPIE = 1) */
	li t5, MSTATUS_MPP
	and a3, s9, t5
	CHECK(5, a3, 1 << 11)
	li t5, MSTATUS_MPIE
	and a3, s9, t5
	CHECK(6, a3, MSTATUS_MPIE)
	/* M CSRs are illegal in S */
	CLEAR_TRAP
1:	csrr a3, mstatus
	la a1, 1b
	lw a2, 0(a1)
	li gp, 7
	li t5, 2
	bne s10, t5, fail
	bne s11, a2, fail
	/* MRET in S is illegal */
	CLEAR_TRAP
	mret
	EXPECT_TRAP(8, 2, 0x30200073)
	/* S CSRs work */
	li a1, 0x5a5a
	csrw sscratch, a1
	csrr a3, sscratch
	CHECK(9, a3, 0x5a5a)
	BACK_TO_M(back1)
back1:
	csrr a3, mscratch   /* we are in M again */

	/* MRET to U: ECALL from U = 8; S CSRs illegal; SRET, WFI, SFENCE illegal */
	csrci mstatus, MSTATUS_MIE
	GOTO_MODE(0, in_u)
in_u:
	CLEAR_TRAP
	ecall
	EXPECT_TRAP(10, 8, 0)
	li t5, MSTATUS_MPP
	and a3, s9, t5
	CHECK(11, a3, 0)
	CLEAR_TRAP
	csrr a3, sstatus
	CHECK(12, s10, 2)
	CLEAR_TRAP
	sret
	EXPECT_TRAP(13, 2, 0x10200073)
	CLEAR_TRAP
	wfi
	EXPECT_TRAP(14, 2, 0x10500073)
	CLEAR_TRAP
	sfence.vma
	EXPECT_TRAP(15, 2, 0x12000073)
	/* U counters need mcounteren and scounteren */
	CLEAR_TRAP
	rdtime a3
	CHECK(16, s10, 2)
	BACK_TO_M(back2)
back2:
	li t0, 2
	csrw mcounteren, t0
	GOTO_MODE(0, in_u2)
in_u2:
	CLEAR_TRAP
	rdtime a3
	CHECK(17, s10, 2)       /* scounteren still 0 */
	BACK_TO_M(back3)
back3:
	li t0, 2
	csrw scounteren, t0
	GOTO_MODE(0, in_u3)
in_u3:
	CLEAR_TRAP
	rdtime a3
	CHECK(18, s10, -1)
	CLEAR_TRAP
	rdcycle a3              /* bit 0 not enabled */
	CHECK(19, s10, 2)
	BACK_TO_M(back4)
back4:
	csrw mcounteren, zero
	csrw scounteren, zero

	/* delegation: ECALL from U and illegal instructions go to the S handler, EBREAK (not
	 * delegated) to M */
	la t0, strap_record
	csrw stvec, t0
	li t0, (1 << 8) | (1 << 2)
	csrw medeleg, t0
	GOTO_MODE(0, in_u4)
in_u4:
	CLEAR_TRAP
	ecall
	EXPECT_TRAP(20, 8, 0)
	li t5, MSTATUS_SPP
	and a3, s9, t5
	CHECK(21, a3, 0)                 /* SPP = U */
	CLEAR_TRAP
	.word 0
	EXPECT_TRAP(22, 2, 0)
	CLEAR_TRAP
1:	ebreak
	la a1, 1b
#ifdef QEMU
	li a1, 0 /* qemu reports tval 0 for EBREAK; also allowed (privileged spec 3.1.16) */
#endif
	li gp, 23
	li t5, 3
	bne s10, t5, fail
	bne s11, a1, fail
	BACK_TO_M(back5)                 /* U -> S handler -> ECALL from S -> M */
back5:
	csrw medeleg, zero
	CHECK(24, s10, 8)
	csrr a3, scause
	CHECK(25, a3, 8)

	/* TSR, TVM, TW in S */
	li t0, MSTATUS_TSR | MSTATUS_TVM | MSTATUS_TW
	csrs mstatus, t0
	GOTO_MODE(1, in_s2)
in_s2:
	CLEAR_TRAP
	sret
	EXPECT_TRAP(30, 2, 0x10200073)
	CLEAR_TRAP
	csrr a3, satp
	CHECK(31, s10, 2)
	CLEAR_TRAP
	sfence.vma
	EXPECT_TRAP(32, 2, 0x12000073)
	CLEAR_TRAP
	wfi
	EXPECT_TRAP(33, 2, 0x10500073)
	BACK_TO_M(back6)
back6:
	li t0, MSTATUS_TSR | MSTATUS_TVM | MSTATUS_TW
	csrc mstatus, t0
	/* without them: satp readable, SRET works (S -> U), WFI with a pending interrupt is a
	 * no-op */
	GOTO_MODE(1, in_s3)
in_s3:
	CLEAR_TRAP
	csrr a3, satp
	CHECK(34, s10, -1)
	sfence.vma
	CHECK(35, s10, -1)
	li t0, MSTATUS_SPP
	csrc sstatus, t0
	li t0, MSTATUS_SPIE
	csrs sstatus, t0
	la t0, in_u5
	csrw sepc, t0
	sret
	j fail
in_u5:
	CLEAR_TRAP
	csrr a3, sstatus      /* must be U now: illegal */
	CHECK(36, s10, 2)
	BACK_TO_M(back7)
back7:
	/* SRET popped SPIE into SIE and set SPIE */
	csrr a3, mstatus
	li t5, MSTATUS_SIE | MSTATUS_SPIE
	and a3, a3, t5
	CHECK(37, a3, MSTATUS_SIE | MSTATUS_SPIE)

	/* MRET semantics: MIE = MPIE, MPIE = 1, MPP = U; MPRV cleared when leaving M */
	li t0, MSTATUS_MPIE | MSTATUS_MPRV
	csrs mstatus, t0
	GOTO_MODE(3, in_m)
in_m:
	csrr a3, mstatus
	li t5, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV
	and a3, a3, t5
	CHECK(38, a3, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPRV) /* MPP=U, MPRV kept (to M) */
	csrci mstatus, MSTATUS_MIE
	/* MRET to a lower mode clears MPRV */
	GOTO_MODE(1, in_s4)
in_s4:
	BACK_TO_M(back8)
back8:
	csrr a3, mstatus
	li t5, MSTATUS_MPRV
	and a3, a3, t5
#ifndef QEMU /* qemu 7.2 predates this rule of privileged spec 1.12 */
	CHECK(39, a3, 0)
#endif

	/* vectored mtvec: exceptions still go to the base */
	la t0, trap_record
	ori t0, t0, 1
	csrw mtvec, t0
	CLEAR_TRAP
	ecall
	EXPECT_TRAP(40, 11, 0)
	USE_TRAP_RECORD

	/* mepc/mcause/mtval of a trap taken in M */
	CLEAR_TRAP
1:	ecall
	csrr a3, mepc
	la a1, 1b
	addi a1, a1, 4         /* handler already skipped it */
	li gp, 41
	bne a3, a1, fail
TEST_END
