/* mem.S - loads and stores: widths, sign and zero extension, offsets, misaligned accesses
 * (performed by the hart, also across a page), and access faults on unmapped addresses. */
#include "test.h"
TEST_BEGIN
	la s0, buf
	li a1, 0x8180ff7f
	sw a1, 0(s0)
	lb a3, 0(s0)
	CHECK(1, a3, 0x7f)
	lb a3, 1(s0)
	CHECK(2, a3, 0xffffffff)
	lbu a3, 1(s0)
	CHECK(3, a3, 0xff)
	lb a3, 3(s0)
	CHECK(4, a3, 0xffffff81)
	lh a3, 0(s0)
	CHECK(5, a3, 0xffffff7f)
	lh a3, 2(s0)
	CHECK(6, a3, 0xffff8180)
	lhu a3, 2(s0)
	CHECK(7, a3, 0x8180)
	lw a3, 0(s0)
	CHECK(8, a3, 0x8180ff7f)

	/* stores of each width write only their bytes */
	li a1, 0x11223344
	sw a1, 4(s0)
	li a1, 0xaabbccdd
	sb a1, 4(s0)
	lw a3, 4(s0)
	CHECK(10, a3, 0x112233dd)
	sh a1, 6(s0)
	lw a3, 4(s0)
	CHECK(11, a3, 0xccdd33dd)
	/* negative offsets */
	addi s1, s0, 8
	lw a3, -4(s1)
	CHECK(12, a3, 0xccdd33dd)
	sw a1, -8(s1)
	lw a3, 0(s0)
	CHECK(13, a3, 0xaabbccdd)

	/* misaligned accesses inside a page */
	li a1, 0x03020100
	sw a1, 16(s0)
	li a1, 0x07060504
	sw a1, 20(s0)
	lw a3, 17(s0)
	CHECK(20, a3, 0x04030201)
	lh a3, 19(s0)
	CHECK(21, a3, 0x0403)
	lhu a3, 23(s0)
	CHECK(22, a3, 0x0007 | (0 << 8))
	li a1, 0xdeadbeef
	sw a1, 18(s0)
	lw a3, 16(s0)
	CHECK(23, a3, 0xbeef0100)
	lw a3, 20(s0)
	CHECK(24, a3, 0x0706dead)
	li a1, 0x8899
	sh a1, 21(s0)
	lw a3, 20(s0)
	CHECK(25, a3, 0x078899ad)

	/* misaligned across a page boundary */
	la s1, page_end
	li a1, 0x44332211
	sw a1, -2(s1)
	lbu a3, -2(s1)
	CHECK(30, a3, 0x11)
	lbu a3, 1(s1)
	CHECK(31, a3, 0x44)
	lw a3, -2(s1)
	CHECK(32, a3, 0x44332211)
	lh a3, -1(s1)
	CHECK(33, a3, 0x3322)
	li a1, 0x80
	sb a1, 0(s1)
	lh a3, -1(s1)              /* sign extension on the split path */
	CHECK(34, a3, 0xffff8022)
	lb a3, 0(s1)
	CHECK(35, a3, 0xffffff80)

	/* access faults: loads/stores outside RAM and devices */
	USE_TRAP_RECORD
	CLEAR_TRAP
	li s1, IO_BAD
	lw a3, 4(s1)
	EXPECT_TRAP(40, 5, IO_BAD + 4)
	CLEAR_TRAP
	sw a3, 8(s1)
	EXPECT_TRAP(41, 7, IO_BAD + 8)
#ifndef QEMU /* below: runner-specific memory map and devices */
	CLEAR_TRAP
	li s1, 0x7ffffffe  /* last bytes below RAM: fault on the part outside */
	lw a3, 0(s1)
	EXPECT_TRAP(42, 5, 0x7ffffffe)
	/* misaligned device access traps as misaligned (devices only take aligned words) */
	CLEAR_TRAP
	li s1, IO_BASE
	lw a3, IO_MTIME+1(s1)
	EXPECT_TRAP(43, 4, IO_BASE + IO_MTIME + 1)
	CLEAR_TRAP
	sw a3, IO_MTIMECMP+2(s1)
	EXPECT_TRAP(44, 6, IO_BASE + IO_MTIMECMP + 2)
	/* device access works: mtime advances */
	lw a3, IO_MTIME(s1)
	lw a4, IO_MTIME(s1)
	li gp, 45
	bgeu a3, a4, fail
#endif
TEST_END

	.data
	.balign 4096
buf:	.space 64
	.balign 4096
	.space 4096
page_end:			/* a page boundary */
	.space 64
