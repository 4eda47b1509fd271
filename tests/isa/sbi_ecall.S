/* sbi_ecall.S - run with the runner's SBI hook (--sbi): ECALL from S calls the emulator's
 * SBI and continues after it in S; ECALL from M and U still trap; rv_cpu_halt from the SBI
 * stops rv_cpu_run and the hart resumes where it was. */
#include "test.h"
#define SBI_EXT_TEST 0x54455354
#define SBI_EXT_HALT 0x48414C54
TEST_BEGIN
	USE_TRAP_RECORD
	CLEAR_TRAP
	ecall
	EXPECT_TRAP(1, 11, 0)
	GOTO_MODE(1, in_s)
in_s:
	CLEAR_TRAP
	li a7, SBI_EXT_TEST
	li a0, 5
	li a1, 7
	ecall
	CHECK(2, a0, 0)
	CHECK(3, a1, 12)
	CHECK(4, s10, -1)          /* no trap */
	csrr a3, sscratch          /* still S: S CSRs work, M CSRs do not */
	CHECK(5, s10, -1)
	csrr a3, mscratch
	CHECK(6, s10, 2)
	li a7, 0x12345
	ecall
	CHECK(7, a0, -2)
	li a7, SBI_EXT_HALT
	li a0, 99
	ecall
	CHECK(8, a0, 0)
	li a1, IO_BASE
	lw a3, IO_HALTS(a1)
	CHECK(9, a3, 1)
	/* S -> U; ECALL from U traps to M (not the SBI) */
	li t0, MSTATUS_SPP
	csrc sstatus, t0
	la t0, in_u
	csrw sepc, t0
	sret
in_u:
	CLEAR_TRAP
	li a7, SBI_EXT_TEST
	li a0, 1
	li a1, 1
	ecall
	EXPECT_TRAP(10, 8, 0)
	CHECK(11, a1, 1)
TEST_END
