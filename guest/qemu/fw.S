/* fw.S - minimal M-mode SBI firmware for checking the guest under qemu-system-riscv32 -M virt
 * (Debian has no 32-bit OpenSBI). Validation aid only; semu implements the SBI itself.
 *
 * Entry from QEMU's reset vector: a0 = hartid, a1 = FDT, a2 = fw_dynamic_info whose word 2 is
 * the kernel's load address. Sets PMP open, delegates S interrupts and U/S exceptions, drops
 * to S-mode at the kernel. Uses no memory (the kernel may reuse the RAM below itself): the
 * only scratch is t0, swapped through mscratch.
 * SBI: spec 0.3; base (0x10), SRST (0x53525354), legacy set_timer (0), console_putchar (1),
 * console_getchar (2, always -1), clear/send IPI, remote fences (3-7: no-ops), shutdown (8).
 * Reset goes to QEMU's sifive_test device: shutdown with reason "none" exits QEMU with
 * status 0; any other reset (reboot, or reason "system failure") exits with status
 * 0x40 | type << 2 | reason (cold reboot = 68); an unexpected M-mode trap exits with 0x7e. */
#define CLINT_MTIMECMP 0x02004000
#define UART0 0x10000000
#define SIFIVE_TEST 0x00100000

	.section .text
	.globl _start
_start:
	csrw mie, zero
	la t0, trap
	csrw mtvec, t0
	li t0, -1
	csrw pmpaddr0, t0
	li t0, 0x0f /* TOR, RWX */
	csrw pmpcfg0, t0
	li t0, 0x222 /* SSIP, STIP, SEIP */
	csrw mideleg, t0
	li t0, 0xb1ff /* exceptions 0-8, page faults 12, 13, 15 (not ecall from S) */
	csrw medeleg, t0
	li t0, -1
	csrw mcounteren, t0
	li t0, 0x1800
	csrc mstatus, t0
	li t0, 0x0800 /* MPP = S */
	csrs mstatus, t0
	lw t0, 8(a2) /* fw_dynamic_info.next_addr */
	csrw mepc, t0
	mret

	.align 4
trap:
	csrrw t0, mscratch, t0 /* t0 saved; everything else is SBI's a0/a1 or untouched */
	csrr t0, mcause
	bltz t0, irq
	addi t0, t0, -9 /* ecall from S */
	bnez t0, fatal
	csrr t0, mepc
	addi t0, t0, 4
	csrw mepc, t0
	li t0, 0x10
	beq a7, t0, base
	li t0, 0x53525354
	beq a7, t0, srst
	beqz a7, set_timer
	li t0, 1
	beq a7, t0, putchar
	li t0, 2
	beq a7, t0, getchar
	li t0, 8
	beq a7, t0, shutdown
	bltu a7, t0, ok /* 3-7: IPIs and fences, nothing to do for one hart */
	li a0, -2 /* SBI_ERR_NOT_SUPPORTED */
	j out
ok:
	li a0, 0
	j out
set_timer: /* a0 = low, a1 = high word of the deadline */
	li t0, CLINT_MTIMECMP
	sw a1, 4(t0)
	sw a0, 0(t0)
	li a0, 0x20 /* clear STIP */
	csrc mip, a0
	li a0, 0x80 /* MTIE */
	csrs mie, a0
	li a0, 0
	j out
putchar:
	li t0, UART0
1:	lbu a1, 5(t0) /* LSR */
	andi a1, a1, 0x20 /* THR empty */
	beqz a1, 1b
	sb a0, 0(t0)
	li a0, 0
	j out
getchar:
	li a0, -1
	j out
shutdown:
	li a0, 0
	li a1, 0
srst: /* a0 = reset type, a1 = reason */
	or t0, a0, a1
	bnez t0, 2f
	li t0, SIFIVE_TEST
	li a0, 0x5555 /* PASS: QEMU exits 0 */
	sw a0, 0(t0)
	j .
2:	slli a0, a0, 2
	or a0, a0, a1
	ori a0, a0, 0x40
	slli a0, a0, 16
	li t0, 0x3333 /* FAIL | code << 16: QEMU exits with code */
	or a0, a0, t0
	li t0, SIFIVE_TEST
	sw a0, 0(t0)
	j .
base: /* a6 = function */
	li a1, 0
	beqz a6, 3f
	li t0, 3
	bne a6, t0, 4f
	li t0, 0x53525354 /* probe_extension(a0): SRST and the legacy ones */
	beq a0, t0, 5f
	li t0, 9
	sltu a1, a0, t0
	j 4f
5:	li a1, 1
	j 4f
3:	li a1, 3 /* spec version 0.3 */
4:	li a0, 0
	j out
irq: /* machine timer: hand it to S-mode as STIP until the next set_timer */
	li t0, 0x80
	csrc mie, t0
	li t0, 0x20
	csrs mip, t0
out:
	csrrw t0, mscratch, t0
	mret
fatal:
	li t0, SIFIVE_TEST
	li a0, 0x007e3333
	sw a0, 0(t0)
	j .
