/* sboot_deleg.S - run with --sbi --boot-s: the hart starts in S-mode as if a firmware had
 * prepared it (rv_cpu_reset with RV_PRIV_S): exceptions from S and U go to stvec, the
 * counters are readable from S, ECALL from S is the SBI, M CSRs are not accessible. */
#include "test.h"
#define SBI_EXT_TEST 0x54455354
	.section .text.init
	.globl _start
_start:
	la t0, strap_record
	csrw stvec, t0
	li gp, 0
	/* illegal instruction from S: delegated */
	CLEAR_TRAP
	.word 0
	EXPECT_TRAP(1, 2, 0)
	CLEAR_TRAP
	csrr a3, mstatus
	CHECK(2, s10, 2)
	/* breakpoint from S: delegated */
	CLEAR_TRAP
1:	ebreak
	la a1, 1b
	CHECK(3, s10, 3)
	li gp, 4
	bne s11, a1, fail
	/* counters readable from S */
	CLEAR_TRAP
	rdtime a1
	rdcycle a2
	rdinstret a3
	CHECK(5, s10, -1)
	/* ECALL from S: the SBI */
	li a7, SBI_EXT_TEST
	li a0, 40
	li a1, 2
	ecall
	CHECK(6, a1, 42)
	/* ECALL from U: delegated to S */
	li t0, MSTATUS_SPP
	csrc sstatus, t0
	la t0, in_u
	csrw sepc, t0
	sret
in_u:
	CLEAR_TRAP
	ecall
	EXPECT_TRAP(7, 8, 0)
	/* U counters need scounteren */
	CLEAR_TRAP
	rdtime a1
	CHECK(8, s10, 2)
	/* misaligned access is handled by the hart, not trapped */
	CLEAR_TRAP
	la a1, word
	lw a2, 1(a1)
	CHECK(9, s10, -1)
TEST_END
	.data
word:	.word 0x11223344, 0x55667788
