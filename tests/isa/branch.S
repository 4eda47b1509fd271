/* branch.S - conditional branches (signed and unsigned compares, taken and not taken,
 * backwards), JAL/JALR link values, JALR clearing bit 0, and misaligned jump targets. */
#include "test.h"

#define BR_TAKEN(n, inst, v1, v2) \
	li gp, n; li a1, v1; li a2, v2; inst a1, a2, 1f; j fail; 1:
#define BR_NOT(n, inst, v1, v2) \
	li gp, n; li a1, v1; li a2, v2; inst a1, a2, fail;

TEST_BEGIN
	BR_TAKEN(1, beq, 5, 5)
	BR_NOT(2, beq, 5, 6)
	BR_TAKEN(3, bne, 5, 6)
	BR_NOT(4, bne, 7, 7)
	BR_TAKEN(5, blt, -1, 0)
	BR_NOT(6, blt, 0, -1)
	BR_NOT(7, blt, 3, 3)
	BR_TAKEN(8, bge, 3, 3)
	BR_TAKEN(9, bge, 0, 0x80000000)
	BR_NOT(10, bge, 0x80000000, 0x7fffffff)
	BR_TAKEN(11, bltu, 0, 0xffffffff)
	BR_NOT(12, bltu, 0xffffffff, 0)
	BR_NOT(13, bltu, 9, 9)
	BR_TAKEN(14, bgeu, 0xffffffff, 0)
	BR_TAKEN(15, bgeu, 9, 9)
	BR_NOT(16, bgeu, 0x7fffffff, 0x80000000)

	/* backward branch loop */
	li gp, 20
	li a1, 10
	li a2, 0
1:	addi a2, a2, 3
	addi a1, a1, -1
	bnez a1, 1b
	CHECK(20, a2, 30)

	/* JAL links pc+4 */
	li gp, 21
	jal a3, 2f
1:	j fail
2:	la a4, 1b
	bne a3, a4, fail
	/* JALR with offset and bit 0 set: bit 0 is cleared */
	li gp, 22
	la a1, 3f
	addi a1, a1, -3
	jalr a3, 4(a1)     /* target 3f + 1 -> 3f */
4:	j fail
3:	la a4, 4b
	bne a3, a4, fail
	/* JALR with rd == rs1 */
	li gp, 23
	la a1, 5f
	jalr a1, 0(a1)
6:	j fail
5:	la a4, 6b
	bne a1, a4, fail

	/* misaligned targets trap on the jump with tval = target; rd is not written */
	USE_TRAP_RECORD
	CLEAR_TRAP
	li a3, 0x1234
	la a1, 7f
	addi a1, a1, 2
	jalr a3, 0(a1)
	mv a5, a1
	CHECK(30, s10, 0)
7:	li gp, 31
	bne s11, a5, fail
	CHECK(32, a3, 0x1234)
	/* taken branch to pc+6 */
	CLEAR_TRAP
	li a1, 0
	li a2, 0
9:	beq a1, a2, .+6
	la a5, 9b
	addi a5, a5, 6
	CHECK(33, s10, 0)
#ifndef QEMU /* qemu 7.2 reports a stale tval for misaligned branch targets */
	li gp, 34
	bne s11, a5, fail
#endif
	/* a branch not taken never checks its target */
	CLEAR_TRAP
	li a2, 1
	beq a1, a2, .+6
	CHECK(35, s10, -1)
	/* JAL to pc+10 */
	CLEAR_TRAP
	li a3, 0x55
10:	jal a3, .+10
	la a5, 10b
	addi a5, a5, 10
	CHECK(36, s10, 0)
#ifndef QEMU
	li gp, 37
	bne s11, a5, fail
#endif
	CHECK(38, a3, 0x55)
TEST_END
