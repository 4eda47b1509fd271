/* atomic.S - RV32A: LR/SC success and failure (reservation address, SC clears it, a trap
 * clears it), every AMO with its returned old value and stored result, misaligned AMOs. */
#include "test.h"

/* mem = init; inst rd, v, (mem); check rd == init and mem == result */
#define TEST_AMO(n, inst, init, v, result) \
	li a1, init; sw a1, 0(s0); li a2, v; inst a3, a2, (s0); \
	CHECK(n, a3, init); lw a4, 0(s0); li t5, result; bne a4, t5, fail;

TEST_BEGIN
	la s0, word
	TEST_AMO(1, amoswap.w, 0x11111111, 0x22222222, 0x22222222)
	TEST_AMO(2, amoadd.w, 0xffffffff, 2, 0x00000001)
	TEST_AMO(3, amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0)
	TEST_AMO(4, amoand.w, 0xff00ff00, 0x0ff00ff0, 0x0f000f00)
	TEST_AMO(5, amoor.w, 0xff00ff00, 0x0ff00ff0, 0xfff0fff0)
	TEST_AMO(6, amomin.w, 0x80000000, 5, 0x80000000)
	TEST_AMO(7, amomin.w, 7, 0xfffffffe, 0xfffffffe)
	TEST_AMO(8, amomax.w, 0x80000000, 5, 5)
	TEST_AMO(9, amomax.w, 0xfffffffe, 0xffffffff, 0xffffffff)
	TEST_AMO(10, amominu.w, 0x80000000, 5, 5)
	TEST_AMO(11, amominu.w, 3, 0xffffffff, 3)
	TEST_AMO(12, amomaxu.w, 0x80000000, 5, 0x80000000)
	TEST_AMO(13, amomaxu.w, 3, 0xffffffff, 0xffffffff)
	TEST_AMO(14, amoadd.w.aqrl, 40, 2, 42)
	/* rd == x0 still stores */
	li a1, 1
	sw a1, 0(s0)
	li a2, 9
	amoadd.w x0, a2, (s0)
	lw a4, 0(s0)
	CHECK(15, a4, 10)
	/* rd == rs2 */
	li a2, 5
	amoswap.w a2, a2, (s0)
	CHECK(16, a2, 10)

	/* LR/SC success */
	li a1, 100
	sw a1, 0(s0)
	lr.w a3, (s0)
	CHECK(20, a3, 100)
	addi a3, a3, 1
	sc.w a4, a3, (s0)
	CHECK(21, a4, 0)
	lw a3, 0(s0)
	CHECK(22, a3, 101)
	/* a second SC fails: the first cleared the reservation */
	li a3, 7
	sc.w a4, a3, (s0)
	CHECK(23, a4, 1)
	lw a3, 0(s0)
	CHECK(24, a3, 101)
	/* SC to another address fails and does not store */
	lr.w a3, (s0)
	li a3, 55
	addi a1, s0, 4
	sc.w a4, a3, (a1)
	li gp, 25
	beqz a4, fail
	lw a3, 4(s0)
	CHECK(26, a3, 0)
	/* SC without any LR fails */
	sc.w a4, a3, (s0)
	CHECK(27, a4, 1)
	/* a trap between LR and SC clears the reservation */
	USE_TRAP_RECORD
	lr.w a3, (s0)
	ecall
	sc.w a4, a3, (s0)
	CHECK(28, a4, 1)
	/* SC on a page never stored to (slow path), then again: the first cleared the
	 * reservation */
	la a1, fresh
	lr.w a3, (a1)
	li a3, 77
	sc.w a4, a3, (a1)
	CHECK(60, a4, 0)
	sc.w a4, a3, (a1)
	CHECK(61, a4, 1)
	lw a3, 0(a1)
	CHECK(62, a3, 77)
	/* LR/SC loop as used by compilers */
	li a1, 0
	sw a1, 0(s0)
	li a5, 10
1:	lr.w.aq a3, (s0)
	addi a3, a3, 3
	sc.w.rl a4, a3, (s0)
	bnez a4, 1b
	addi a5, a5, -1
	bnez a5, 1b
	lw a3, 0(s0)
	CHECK(29, a3, 30)

#ifndef QEMU /* qemu 7.2 raises load-misaligned for AMOs; the spec says store/AMO */
	/* misaligned: AMO and SC raise store-address-misaligned, LR load-address-misaligned */
	CLEAR_TRAP
	addi a1, s0, 2
	amoadd.w a3, a2, (a1)
	li gp, 30
	li t5, 6
	bne s10, t5, fail
	bne s11, a1, fail
	CLEAR_TRAP
	lr.w a3, (a1)
	li gp, 31
	li t5, 4
	bne s10, t5, fail
	bne s11, a1, fail
	CLEAR_TRAP
	sc.w a3, a2, (a1)
	li gp, 32
	li t5, 6
	bne s10, t5, fail
#endif
	/* AMO on a device: access fault as a store */
	CLEAR_TRAP
	li a1, IO_BAD
	amoor.w a3, a2, (a1)
#ifndef QEMU /* qemu 7.2 reports a load access fault */
	EXPECT_TRAP(33, 7, IO_BAD)
#endif
TEST_END

	.data
	.balign 16
word:	.word 0, 0, 0, 0
	.balign 4096
fresh:	.word 5
