/* async_irq.S - run with --async: another host thread raises MEI with rv_cpu_set_irq() and
 * finally stops the hart with rv_cpu_halt() while rv_cpu_run() is in one long call. */
#include "test.h"
#define IO_ASYNC 0x24
TEST_BEGIN
	la t0, handler
	csrw mtvec, t0
	li t0, 1 << 11
	csrw mie, t0
	csrsi mstatus, MSTATUS_MIE
	li s0, 0               /* interrupts seen */
	li s1, 0               /* interrupts requested */
	li s2, IO_BASE
request:
	addi s1, s1, 1
	li t0, 1
	sw t0, IO_ASYNC(s2)
	li gp, 1
	li a5, 100000000       /* bounded wait */
1:	beq s0, s1, 2f
	addi a5, a5, -1
	bnez a5, 1b
	j fail
2:	li t0, 3
	bne s1, t0, request
	/* now ask to be halted from the other thread, and spin: the runner passes us when
	 * rv_cpu_run() returns RV_EXIT_HALT */
	li t0, 2
	sw t0, IO_ASYNC(s2)
	li gp, 2
	li a5, 100000000
3:	addi a5, a5, -1
	bnez a5, 3b
	j fail
TEST_END

	.balign 4
handler:
	csrr t6, mcause
	li t5, 0x8000000b
	bne t6, t5, trap_unexpected
	li t5, 1 << 11
	sw t5, IO_IRQ_CLR(s2)
	addi s0, s0, 1
	mret
