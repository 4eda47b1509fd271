/* timer_guest.S - a bare-metal S-mode program for semu: 100 rounds of SBI set_timer(now + 1 ms)
 * then WFI until sip.STIP (interrupts globally off, so WFI just resumes). Fails if STIP shows
 * before the compare value or if less than 100 ms of timer ticks elapsed; the host side checks
 * that the idle rounds left the host CPU mostly asleep. "timer: ok" + SBI shutdown on success. */
	.equ ROUNDS, 100
	.equ STEP, 10000          /* 1 ms at the 10 MHz timebase */

	.section .text
	.globl _start
_start:
	la t0, trap
	csrw stvec, t0
	li t0, 1 << 5             /* sie.STIE */
	csrs sie, t0
	csrr s2, time
	li s3, ROUNDS
round:
	csrr t1, time
	li t2, STEP
	add a0, t1, t2
	mv s4, a0
	li a1, 0
	li a7, 0x54494d45         /* TIME.set_timer */
	li a6, 0
	ecall
	bnez a0, fail
wait:
	wfi
	csrr t3, sip
	andi t3, t3, 1 << 5
	beqz t3, wait
	csrr t1, time
	bltu t1, s4, fail         /* STIP before the compare value */
	addi s3, s3, -1
	bnez s3, round
	csrr t1, time
	sub t1, t1, s2
	li t2, ROUNDS * STEP
	bltu t1, t2, fail
	la a0, msg_ok
	call puts
	li a0, 0
	li a1, 0
	j reset
trap:
fail:
	la a0, msg_fail
	call puts
	li a0, 0
	li a1, 1
reset:
	li a7, 0x53525354
	li a6, 0
	ecall
1:	j 1b

puts:
	mv t0, a0
2:	lbu a0, 0(t0)
	beqz a0, 3f
	li a7, 1
	ecall
	addi t0, t0, 1
	j 2b
3:	ret

	.section .rodata
msg_ok:	.asciz "timer: ok\n"
msg_fail: .asciz "timer: fail\n"
