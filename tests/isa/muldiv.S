/* muldiv.S - RV32M: the four multiplies with signed/unsigned high halves, division and
 * remainder including division by zero and INT_MIN / -1 (unprivileged spec table 13.1). */
#include "test.h"
TEST_BEGIN
	TEST_RR(1, mul, 0x00000001, 0xffffffff, 0xffffffff)
	TEST_RR(2, mul, 0x80000000, 0x40000000, 2)
	TEST_RR(3, mul, 0x0000ff7f, 0xaaaaaaab, 0x0002fe7d)
	TEST_RR(4, mulh, 0x00000000, 0xffffffff, 0xffffffff)
	TEST_RR(5, mulh, 0xffffffff, 0xffffffff, 1)
	TEST_RR(6, mulh, 0x40000000, 0x80000000, 0x80000000)
	TEST_RR(7, mulh, 0xc0000000, 0x80000000, 0x7fffffff) /* -2^31*(2^31-1) = 0xC0000000_80000000 */
	TEST_RR(8, mulhu, 0xfffffffe, 0xffffffff, 0xffffffff)
	TEST_RR(9, mulhu, 0x00000000, 0xffffffff, 1)
	TEST_RR(10, mulhu, 0x40000000, 0x80000000, 0x80000000)
	TEST_RR(11, mulhsu, 0xffffffff, 0xffffffff, 0xffffffff) /* -1 * (2^32-1) */
	TEST_RR(12, mulhsu, 0x7ffffffe, 0x7fffffff, 0xffffffff)
	TEST_RR(13, mulhsu, 0xc0000000, 0x80000000, 0x80000000) /* -2^31 * 2^31 */
	TEST_RR(14, mulhsu, 0x00000000, 1, 0xffffffff)
	TEST_RR(20, div, 0xfffffffd, 20, -6)
	TEST_RR(21, div, 0xfffffffd, -20, 6)
	TEST_RR(22, div, 3, -20, -6)
	TEST_RR(23, div, 0xffffffff, 7, 0)            /* by zero: -1 */
	TEST_RR(24, div, 0x80000000, 0x80000000, -1)  /* overflow: INT_MIN */
	TEST_RR(25, divu, 0x2aaaaaa7, -20, 6)
	TEST_RR(26, divu, 0xffffffff, 7, 0)
	TEST_RR(27, divu, 0, 0x80000000, 0xffffffff)
	TEST_RR(30, rem, 2, 20, -6)
	TEST_RR(31, rem, 0xfffffffe, -20, 6)
	TEST_RR(32, rem, 0xfffffffe, -20, -6)
	TEST_RR(33, rem, 7, 7, 0)                     /* by zero: dividend */
	TEST_RR(34, rem, 0, 0x80000000, -1)           /* overflow: 0 */
	TEST_RR(35, remu, 2, -20, 6)
	TEST_RR(36, remu, 0xffffffec, -20, 0)
	TEST_RR(37, remu, 0x7fffffff, 0x7fffffff, 0x80000000)
	/* rd overlaps a source */
	li a1, 6
	li a2, 7
	mul a1, a1, a2
	CHECK(40, a1, 42)
TEST_END
