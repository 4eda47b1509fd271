/* alu.S - RV32I integer computation: register and immediate forms, LUI/AUIPC, shifts by 0
 * and 31, signed/unsigned compares, x0 as a destination. */
#include "test.h"
TEST_BEGIN
	TEST_RR(1, add, 0x00000000, 0xffffffff, 1)
	TEST_RR(2, add, 0x80000000, 0x7fffffff, 1)
	TEST_RR(3, sub, 0xffffffff, 0, 1)
	TEST_RR(4, sub, 0x7fffffff, 0x80000000, 1)
	TEST_RR(5, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f)
	TEST_RR(6, or, 0xff0fff0f, 0xff00ff00, 0x0f0f0f0f)
	TEST_RR(7, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f)
	TEST_RR(8, sll, 0x80000000, 1, 31)
	TEST_RR(9, sll, 0x00000002, 1, 33)       /* only the low 5 bits of rs2 count */
	TEST_RR(10, srl, 0x00000001, 0x80000000, 31)
	TEST_RR(11, sra, 0xffffffff, 0x80000000, 31)
	TEST_RR(12, sra, 0xc0000000, 0x80000000, 0xffffffe1) /* shift by 1 */
	TEST_RR(13, srl, 0x12345678, 0x12345678, 0)
	TEST_RR(14, slt, 1, 0x80000000, 0)
	TEST_RR(15, slt, 0, 0, 0x80000000)
	TEST_RR(16, sltu, 0, 0x80000000, 0)
	TEST_RR(17, sltu, 1, 0, 0x80000000)
	TEST_RR(18, slt, 0, 5, 5)
	TEST_IMM(20, addi, 0x00000000, 0xffffffff, 1)
	TEST_IMM(21, addi, 0x7ffff800, 0x80000000, -2048)
	TEST_IMM(22, addi, 0x000007ff, 0, 2047)
	TEST_IMM(23, andi, 0xff00ff00, 0xff00ff00, -1)
	TEST_IMM(24, ori, 0xfffff80f, 0x0000000f, -2048)
	TEST_IMM(25, xori, 0xffffffff, 0x00000000, -1)
	TEST_IMM(26, slli, 0x80000000, 1, 31)
	TEST_IMM(27, srli, 0x00000001, 0x80000000, 31)
	TEST_IMM(28, srai, 0xffffffff, 0x80000000, 31)
	TEST_IMM(29, srai, 0x3fffffff, 0x7fffffff, 1)
	TEST_IMM(30, slti, 1, 0xffffffff, 0)
	TEST_IMM(31, sltiu, 0, 0xffffffff, 0)
	TEST_IMM(32, sltiu, 1, 0, -1)        /* immediate sign-extends, then compares unsigned */
	TEST_IMM(33, slti, 0, 0x7fffffff, -1)

	li gp, 40
	lui a3, 0xfffff
	CHECK(40, a3, 0xfffff000)
	lui a3, 0x80000
	CHECK(41, a3, 0x80000000)
1:	auipc a3, 0
	la a4, 1b
	li gp, 42
	bne a3, a4, fail
1:	auipc a3, 1
	la a4, 1b
	sub a3, a3, a4
	CHECK(43, a3, 0x1000)

	/* x0 ignores writes */
	li a1, 5
	add x0, a1, a1
	addi x0, x0, 7
	lui x0, 0x12345
	CHECK(50, x0, 0)
	mv a3, x0
	CHECK(51, a3, 0)
	/* rd == rs */
	li a1, 3
	add a1, a1, a1
	CHECK(52, a1, 6)
TEST_END
