/* test.h - macros shared by the bare-metal ISA tests: entry code, pass/fail through the
 * runner's exit register, value checks, trap recording handlers and privilege switches. */
#ifndef ISA_TEST_H
#define ISA_TEST_H

/* Runner MMIO (tests/isa/isa_runner.c). */
#define IO_BASE 0x10000000
#define IO_EXIT 0x00     /* write 1: pass; (n << 1) | 1: test n failed */
#define IO_PUTC 0x04     /* write: one byte to stdout */
#define IO_IRQ_SET 0x08  /* write: raise these mip lines */
#define IO_IRQ_CLR 0x0C  /* write: lower these mip lines */
#define IO_MTIMECMP 0x10 /* lo, hi at 0x14: MTIP = (mtime >= mtimecmp) */
#define IO_MTIME 0x18    /* lo, hi at 0x1C: read-only, advances one per instruction */
#define IO_HALTS 0x20    /* read: how many times the SBI hook called rv_cpu_halt */
#define IO_BAD 0x20000000 /* no device here: access fault */

/* Built with -DQEMU, the test runs on qemu-system-riscv32 -M virt -bios none instead (for
 * differential runs of the tests that use no runner device): exit through the sifive_test
 * device, console through the UART, and a PMP entry so S and U may access memory. */
#ifdef QEMU
#undef IO_BAD
#define IO_BAD 0x1f000000
#define EXIT_PASS(tmp)           \
	li t0, 0x100000;         \
	li tmp, 0x5555;          \
	sw tmp, 0(t0);
#define EXIT_FAIL(tmp)           \
	li t0, 0x100000;         \
	slli tmp, gp, 16;        \
	li t2, 0x3333;           \
	or tmp, tmp, t2;         \
	sw tmp, 0(t0);
#define PUTC_ADDR 0x10000000
#define PLATFORM_INIT            \
	li t0, -1;               \
	csrw pmpaddr0, t0;       \
	li t0, 0x1f;             \
	csrw pmpcfg0, t0;
#else
#define EXIT_PASS(tmp)           \
	li t0, IO_BASE;          \
	li tmp, 1;               \
	sw tmp, IO_EXIT(t0);
#define EXIT_FAIL(tmp)           \
	li t0, IO_BASE;          \
	slli tmp, gp, 1;         \
	ori tmp, tmp, 1;         \
	sw tmp, IO_EXIT(t0);
#define PUTC_ADDR (IO_BASE + IO_PUTC)
#define PLATFORM_INIT
#endif

#define MSTATUS_SIE (1 << 1)
#define MSTATUS_MIE (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP (1 << 8)
#define MSTATUS_MPP (3 << 11)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM (1 << 18)
#define MSTATUS_MXR (1 << 19)
#define MSTATUS_TVM (1 << 20)
#define MSTATUS_TW (1 << 21)
#define MSTATUS_TSR (1 << 22)

/* Registers owned by the trap handlers below; tests must not use them for data:
 * s9 = mstatus/sstatus at trap, s10 = cause, s11 = tval, t6 = scratch, gp = test number. */
#define ECALL_MAGIC 0x600D /* a7 = this on ECALL to the handler: resume in M-mode at a6 */

#define TEST_BEGIN              \
	.section .text.init;    \
	.globl _start;          \
	_start:                 \
	la sp, stack_top;       \
	la t0, trap_unexpected; \
	csrw mtvec, t0;         \
	PLATFORM_INIT           \
	li gp, 0;

#define PASS                 \
	EXIT_PASS(t1)        \
	1 : j 1b;

#define TEST_END                                                        \
	PASS;                                                           \
	fail:                                                           \
	EXIT_FAIL(t1)                                                   \
	1 : j 1b;                                                       \
	/* any trap nobody expected: print cause, epc and tval, fail */ \
	.balign 4;                                                      \
	trap_unexpected:                                                \
	csrr a0, mcause;                                                \
	jal print_hex;                                                  \
	csrr a0, mepc;                                                  \
	jal print_hex;                                                  \
	csrr a0, mtval;                                                 \
	jal print_hex;                                                  \
	j fail;                                                         \
	print_hex:                                                      \
	li t0, PUTC_ADDR;                                               \
	li t1, 8;                                                       \
	2 : srli t2, a0, 28;                                            \
	addi t2, t2, '0';                                               \
	li t3, '9';                                                     \
	ble t2, t3, 3f;                                                 \
	addi t2, t2, 'a' - '0' - 10;                                    \
	3 : sb t2, 0(t0);                                                \
	slli a0, a0, 4;                                                 \
	addi t1, t1, -1;                                                \
	bnez t1, 2b;                                                    \
	li t2, '\n';                                                    \
	sb t2, 0(t0);                                                   \
	ret;                                                            \
	/* M-mode handler: on ECALL with a7 == ECALL_MAGIC resumes in M \
	 * at a6 (recording nothing); otherwise records and skips the   \
	 * instruction, or after a fetch fault resumes at ra */         \
	.balign 4;                                                      \
	trap_record:                                                    \
	csrr t6, mcause;                                                \
	addi t6, t6, -8;                                                \
	sltiu t6, t6, 4;                                                \
	beqz t6, 4f;                                                    \
	li t6, ECALL_MAGIC;                                             \
	bne a7, t6, 4f;                                                 \
	li a7, 0;                                                       \
	li t6, MSTATUS_MPP;                                             \
	csrs mstatus, t6;                                               \
	csrw mepc, a6;                                                  \
	mret;                                                           \
	4 : csrr s9, mstatus;                                           \
	csrr s10, mcause;                                               \
	csrr s11, mtval;                                                \
	bltz s10, 5f;                                                   \
	li t6, 12;                                                      \
	beq s10, t6, 6f;                                                \
	li t6, 1;                                                       \
	beq s10, t6, 6f;                                                \
	csrr t6, mepc;                                                  \
	addi t6, t6, 4;                                                 \
	csrw mepc, t6;                                                  \
	5 : mret;                                                       \
	6 : csrw mepc, ra;                                              \
	mret;                                                           \
	/* S-mode recording handler: records and skips; forwards magic ECALLs */               \
	.balign 4;                                                      \
	strap_record:                                                   \
	csrr s9, sstatus;                                               \
	csrr s10, scause;                                               \
	csrr s11, stval;                                                \
	bltz s10, 6f;                                                   \
	li t6, 8;                                                       \
	bne s10, t6, 7f;                                                \
	li t6, ECALL_MAGIC;                                             \
	bne a7, t6, 7f;                                                 \
	ecall; /* forward the magic ECALL to M */                       \
	7 : csrr t6, sepc;                                              \
	addi t6, t6, 4;                                                 \
	csrw sepc, t6;                                                  \
	6 : sret;                                                       \
	.data;                                                          \
	.balign 16;                                                     \
	.space 2048;                                                    \
	stack_top:                                                      \
	.text;

/* Checks: gp is the test number reported on failure. */
#define CHECK(n, reg, expect) \
	li gp, n;             \
	li t5, expect;        \
	bne reg, t5, fail;

#define TEST_RR(n, inst, expect, v1, v2) \
	li a1, v1;                       \
	li a2, v2;                       \
	inst a3, a1, a2;                 \
	CHECK(n, a3, expect)

#define TEST_IMM(n, inst, expect, v1, imm) \
	li a1, v1;                         \
	inst a3, a1, imm;                  \
	CHECK(n, a3, expect)

/* Expect the previous instruction(s) to have trapped with this cause and tval. */
#define EXPECT_TRAP(n, cause, tval) \
	CHECK(n, s10, cause);       \
	li t5, tval;                \
	bne s11, t5, fail;

#define CLEAR_TRAP \
	li s10, -1;  \
	li s11, -1;

#define USE_TRAP_RECORD      \
	la t0, trap_record;  \
	csrw mtvec, t0;

/* Continue at label in privilege mode mode (0 U, 1 S, 3 M) via MRET. */
#define GOTO_MODE(mode, label)  \
	li t0, MSTATUS_MPP;     \
	csrc mstatus, t0;       \
	li t0, (mode) << 11;    \
	csrs mstatus, t0;       \
	la t0, label;           \
	csrw mepc, t0;          \
	mret;

/* From any mode, back to M-mode at label (needs trap_record installed in mtvec and ECALL not
 * delegated from the current mode). */
#define BACK_TO_M(label)     \
	la a6, label;        \
	li a7, ECALL_MAGIC;  \
	ecall;

#endif
