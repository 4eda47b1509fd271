/* mmio_guest.S - a bare-metal S-mode program semu boots as a headerless "kernel": it makes
 * malformed MMIO accesses (wrong widths, unknown offsets, read-only writes, bogus notifies)
 * to every device, then touches unmapped addresses and expects access faults (scause 1, 5, 7).
 * Prints "mmio: ok" and powers off with SBI SRST reason none; on a failed check prints
 * "mmio: fail X" (X = check letter) and resets with reason "system failure" (exit status 1). */
	.equ UART, 0x10000000
	.equ PLIC, 0x0c000000
	.equ VIRTIO, 0x10001000
	.equ UNMAPPED, 0x20000000

	.macro CHECK id
	li s0, \id
	.endm

	.section .text
	.globl _start
_start:
	la t0, trap
	csrw stvec, t0

	/* UART: unknown offset, 32-bit access, LSR (read-only) write */
	CHECK 'A'
	li t1, UART
	li t2, 0x55
	sw t2, 0x40(t1)
	lw t3, 0x40(t1)
	bnez t3, fail
	CHECK 'B'
	sb zero, 5(t1)
	lbu t3, 5(t1)
	andi t3, t3, 0x60
	li t2, 0x60
	bne t3, t2, fail
	CHECK 'C'
	li t2, 0x5a
	sb t2, 7(t1)          /* scratch */
	lw t3, 4(t1)          /* word read at MCR: low byte only */
	lbu t3, 7(t1)
	bne t3, t2, fail

	/* PLIC: byte and halfword accesses ignored, pending read-only, unknown contexts */
	CHECK 'D'
	li t1, PLIC
	li t2, 5
	sw t2, 4(t1)
	sb zero, 4(t1)
	sh zero, 4(t1)
	lw t3, 4(t1)
	bne t3, t2, fail
	CHECK 'E'
	lb t3, 4(t1)
	bnez t3, fail
	CHECK 'F'
	li t2, -1
	li t4, PLIC + 0x1000
	sw t2, 0(t4)
	lw t3, 0(t4)
	bnez t3, fail
	CHECK 'G'
	li t4, PLIC + 0x200000 + 5 * 0x1000
	lw t3, 4(t4)          /* claim in a context that does not exist */
	bnez t3, fail
	sw t2, 4(t4)
	li t4, PLIC + 0x3fffffc
	lw t3, 0(t4)
	bnez t3, fail

	/* virtio-mmio: odd widths, read-only writes, unknown offsets, notify for unknown queues */
	CHECK 'H'
	li t1, VIRTIO
	lw t3, 0(t1)
	li t2, 0x74726976
	bne t3, t2, fail
	CHECK 'I'
	sw zero, 0(t1)        /* MagicValue is read-only */
	sw zero, 8(t1)        /* DeviceID is read-only */
	sb zero, 0x70(t1)     /* byte write to Status */
	lbu t3, 1(t1)         /* byte read inside MagicValue */
	lhu t3, 2(t1)
	li t2, 7
	sw t2, 0x50(t1)       /* QueueNotify: no such queue, and before DRIVER_OK */
	sw zero, 0x50(t1)     /* QueueNotify: queue 0 not ready */
	li t2, 0x12345678
	sw t2, 0x100(t1)      /* config space is read-only */
	sw t2, 0x1f0(t1)      /* unknown offset */
	sw t2, 0x7f0(t1)      /* inside the 4 KiB window, past the registers */
	lw t3, 0x7f0(t1)
	bnez t3, fail
	CHECK 'J'
	lw t3, 0(t1)
	li t2, 0x74726976
	bne t3, t2, fail
	CHECK 'K'
	lw t3, 8(t1)
	li t2, 25             /* sound */
	bne t3, t2, fail
	CHECK 'L'
	lw t3, 0x100(t1)      /* config: jacks, still what the device says (1) */
	li t2, 1
	bne t3, t2, fail

	/* unmapped physical addresses: access faults reach the S-mode handler */
	CHECK 'M'
	li t4, UNMAPPED
	li s1, -1
	lw t3, 0(t4)
	li t2, 5              /* load access fault */
	bne s1, t2, fail
	CHECK 'N'
	li s1, -1
	sw t3, 4(t4)
	li t2, 7              /* store/AMO access fault */
	bne s1, t2, fail
	CHECK 'O'
	li s1, -1
	li t4, 0x00001000
	lb t3, 0(t4)
	li t2, 5
	bne s1, t2, fail
	CHECK 'P'
	li s1, -1
	li t4, UNMAPPED
	jalr ra, 0(t4)        /* instruction access fault: the handler returns to ra */
	li t2, 1
	bne s1, t2, fail

	la a0, msg_ok
	call puts
	li a0, 0              /* SRST shutdown */
	li a1, 0              /* reason: none */
	j reset

fail:
	la a0, msg_fail
	call puts
	mv a0, s0
	li a7, 1
	ecall
	li a0, '\n'
	li a7, 1
	ecall
	li a0, 0
	li a1, 1              /* reason: system failure */
reset:
	li a7, 0x53525354
	li a6, 0
	ecall
1:	j 1b

/* puts(a0): legacy SBI console putchar per byte */
puts:
	mv t0, a0
2:	lbu a0, 0(t0)
	beqz a0, 3f
	li a7, 1
	ecall
	addi t0, t0, 1
	j 2b
3:	ret

	.align 4
trap:
	csrr s1, scause
	li t5, 1
	beq s1, t5, 4f
	csrr t6, sepc
	addi t6, t6, 4
	csrw sepc, t6
	sret
4:	csrw sepc, ra
	sret

	.section .rodata
msg_ok:	.asciz "mmio: ok\n"
msg_fail: .asciz "mmio: fail "
