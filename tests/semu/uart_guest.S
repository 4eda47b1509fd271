/* uart_guest.S - a bare-metal S-mode program for semu: receives a line on the 16550 UART with
 * RX interrupts through the PLIC (claim/complete in the S-mode trap handler), sleeping in WFI
 * in between, then echoes it back through THR as "uart: got <line>" and powers off. */
	.equ UART, 0x10000000
	.equ PLIC, 0x0c000000
	.equ UART_IRQ, 10
	.equ CLAIM_S, PLIC + 0x200000 + 0x1000 + 4

	.section .text
	.globl _start
_start:
	la t0, trap
	csrw stvec, t0
	la s1, buf                /* next free byte; the handler appends */
	li s2, 0                  /* set by the handler at '\n' */
	li t0, PLIC
	li t1, 1
	sw t1, 4 * UART_IRQ(t0)   /* priority */
	li t0, PLIC + 0x2000 + 0x80
	li t1, 1 << UART_IRQ
	sw t1, 0(t0)              /* enable for context 1 (S) */
	li t0, PLIC + 0x200000 + 0x1000
	sw zero, 0(t0)            /* threshold 0 */
	li t0, UART
	li t1, 0x01
	sb t1, 1(t0)              /* IER: receive data available */
	li t0, 1 << 9
	csrs sie, t0              /* SEIE */
	csrsi sstatus, 2          /* SIE */
idle:
	wfi
	beqz s2, idle
	csrci sstatus, 2
	la a0, msg
	call uputs
	la a0, buf
	call uputs
	li a0, 0
	li a1, 0
	li a7, 0x53525354
	li a6, 0
	ecall
1:	j 1b

/* uputs(a0): write a NUL-terminated string to THR, polling LSR.THRE */
uputs:
	li t0, UART
2:	lbu t1, 0(a0)
	beqz t1, 4f
3:	lbu t2, 5(t0)
	andi t2, t2, 0x20
	beqz t2, 3b
	sb t1, 0(t0)
	addi a0, a0, 1
	j 2b
4:	ret

	.align 4
trap:
	csrr t3, scause
	bgez t3, bad              /* only interrupts are expected */
	li t4, CLAIM_S
	lw t5, 0(t4)
	li t6, UART_IRQ
	bne t5, t6, done
	li t6, UART
drain:
	lbu t3, 5(t6)             /* LSR.DR */
	andi t3, t3, 1
	beqz t3, done
	lbu t3, 0(t6)
	la t4, bufend
	bgeu s1, t4, drain        /* full: drop */
	sb t3, 0(s1)
	addi s1, s1, 1
	li t4, '\n'
	bne t3, t4, drain
	li s2, 1
	j drain
done:
	li t4, CLAIM_S
	sw t5, 0(t4)              /* complete */
	sret
bad:
	li a0, 0
	li a1, 1
	li a7, 0x53525354
	li a6, 0
	ecall
	j bad

	.section .rodata
msg:	.asciz "uart: got "

	.section .bss
buf:	.space 64
bufend:	.space 4
