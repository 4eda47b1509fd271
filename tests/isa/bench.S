/* bench.S - CPU-bound guest loop for the interpreter speed figure (run.sh prints MIPS):
 * a mix of ALU ops, loads/stores, a multiply and branches; its checksum is also checked. */
#include "test.h"
#define ITERS 2000000
TEST_BEGIN
	li s0, ITERS
	la s1, buf
	li a0, 0
	li a1, 0x9e3779b9
1:	add a0, a0, a1
	xor a2, a0, s0
	slli a3, a2, 3
	srli a4, a2, 7
	or a3, a3, a4
	andi a5, s0, 60
	add a5, a5, s1
	sw a3, 0(a5)
	lw a4, 4(a5)
	mul a2, a4, a1
	add a0, a0, a2
	sltu a6, a0, a3
	add a0, a0, a6
	addi s0, s0, -1
	bnez s0, 1b
	/* expected checksum: the same arithmetic computed independently on the host */
	li gp, 1
	la t0, expect
	lw t1, 0(t0)
	bne a0, t1, fail
TEST_END
	.data
	.balign 64
buf:	.space 128
expect:	.word 0x169398f8
