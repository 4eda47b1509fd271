/* vm.S - Sv32 paging: superpage identity map for the kernel part, 4 KiB user pages, fetch/
 * load/store page faults with the faulting address in tval, U/SUM/MXR permission rules,
 * MPRV, hardware A/D updates, misaligned superpages, page-crossing accesses, SFENCE.VMA. */
#include "test.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80

#define UVA 0x40000000 /* user window: 4 KiB pages through l0 */
#define UCODE (UVA + 0x1000)

/* tbl[idx] = leaf/pointer to the page at symbol `page` with `flags` */
#define MAP(tbl, idx, page, flags) \
	la t0, page;               \
	srli t0, t0, 2;            \
	ori t0, t0, flags;         \
	la t1, tbl;                \
	sw t0, 4 * (idx)(t1);

/* Run a user stub (offset in the code page) with a0 = addr, a1 = val; back in M after. */
#define U_RUN(stub, addr, val)   \
	li a0, addr;             \
	li a1, val;              \
	la a6, 9f;               \
	li a7, ECALL_MAGIC;      \
	li t0, MSTATUS_MPP;      \
	csrc mstatus, t0;        \
	li t0, UCODE + (stub);   \
	csrw mepc, t0;           \
	CLEAR_TRAP;              \
	li a3, 0;                \
	mret;                    \
9:

#define U_LOAD 0
#define U_STORE 8
#define U_JUMP 16
#define U_LOADH 24

#define FAULT_IS(n, cause, addr) \
	li gp, n;                \
	li t5, cause;            \
	bne s10, t5, fail;       \
	li t5, addr;             \
	bne s11, t5, fail;

TEST_BEGIN
	USE_TRAP_RECORD
	/* root[0x200]: 4 MiB identity superpage over RAM, kernel RWX, A and D preset */
	li t0, (0x80000000 >> 2) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
	la t1, root + 4 * 0x200
	sw t0, 0(t1)
	MAP(root, 0x100, l0, PTE_V)
	MAP(l0, 0, upage, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
	MAP(l0, 1, ucode, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
	MAP(l0, 2, adpage, PTE_V | PTE_R | PTE_W | PTE_U)
	/* l0[3] stays invalid */
	MAP(l0, 4, ropage, PTE_V | PTE_R | PTE_U | PTE_A)
	MAP(l0, 5, spage, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
	MAP(l0, 6, xpage, PTE_V | PTE_X | PTE_U | PTE_A)
	MAP(l0, 7, upage, PTE_V | PTE_W | PTE_U | PTE_A | PTE_D) /* W without R: reserved */
	/* l0[8]: the runner's device page, supervisor only */
	li t0, (IO_BASE >> 2) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
	la t1, l0
	sw t0, 4 * 8(t1)
	/* root[0x101]: superpage leaf whose PPN[0] is not zero: misaligned */
	MAP(root, 0x101, upage, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
	/* root[0x102]: aligned user superpage onto RAM */
	li t0, (0x80000000 >> 2) | PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
	la t1, root
	sw t0, 4 * 0x102(t1)
	la t0, root
	srli t0, t0, 12
	li t1, 0x80000000
	or t0, t0, t1
	csrw satp, t0
	sfence.vma

	/* U mode */
	U_RUN(U_LOAD, UVA, 0)
	CHECK(1, a3, 0x11111111)
	CHECK(2, s10, -1)
	U_RUN(U_STORE, UVA + 4, 0xabcd)
	CHECK(3, s10, -1)
	la t0, upage
	lw a3, 4(t0)
	CHECK(4, a3, 0xabcd)
	U_RUN(U_LOAD, UVA + 0x3010, 0)           /* invalid PTE */
	FAULT_IS(5, 13, UVA + 0x3010)
	U_RUN(U_STORE, UVA + 0x3020, 0)
	FAULT_IS(6, 15, UVA + 0x3020)
	U_RUN(U_JUMP, UVA + 0x3000, 0)
	FAULT_IS(7, 12, UVA + 0x3000)
	U_RUN(U_LOAD, UVA + 0x4000, 0)           /* read-only: load fine, store faults */
	CHECK(8, a3, 0x33333333)
	U_RUN(U_STORE, UVA + 0x4008, 1)
	FAULT_IS(9, 15, UVA + 0x4008)
	U_RUN(U_LOAD, UVA + 0x5000, 0)           /* supervisor page */
	FAULT_IS(10, 13, UVA + 0x5000)
	U_RUN(U_JUMP, UVA, 0)                    /* no X */
	FAULT_IS(11, 12, UVA)
	U_RUN(U_LOAD, UVA + 0x6000, 0)           /* X only: no read without MXR */
	FAULT_IS(12, 13, UVA + 0x6000)
	U_RUN(U_LOAD, UVA + 0x7000, 0)           /* W without R */
	FAULT_IS(13, 13, UVA + 0x7000)
	U_RUN(U_LOAD, 0x80000000, 0)             /* kernel superpage */
	FAULT_IS(14, 13, 0x80000000)
	U_RUN(U_LOAD, 0x40400000, 0)             /* misaligned superpage */
	FAULT_IS(15, 13, 0x40400000)
	la t0, data_word + 4        /* an offset inside the superpage's 4 KiB page too */
	li t1, 0x80000000
	sub t0, t0, t1
	li t1, 0x40800000
	add a0, t0, t1
	mv s4, a0
	/* user superpage: U_RUN with a register address */
	la a6, 1f
	li a7, ECALL_MAGIC
	li t0, MSTATUS_MPP
	csrc mstatus, t0
	li t0, UCODE + U_LOAD
	csrw mepc, t0
	CLEAR_TRAP
	mret
1:	CHECK(16, a3, 0xfeedf00d)
	/* misaligned load across into the (readable) code page works */
	U_RUN(U_LOAD, UVA + 0xffe, 0)
	CHECK(17, s10, -1)
	la t0, ucode
	lhu a4, 0(t0)
	slli a4, a4, 16
	la t0, upage + 0xffe
	lhu a2, 0(t0)
	or a4, a4, a2
	li gp, 18
	bne a3, a4, fail
	/* misaligned store across into the read-only code page faults on the second page
	 * and writes nothing */
	la t0, upage + 0xffc
	sw zero, 0(t0)
	U_RUN(U_STORE, UVA + 0xffe, 0x12345678)
	FAULT_IS(19, 15, UVA + 0x1000)
	la t0, upage + 0xffc
	lw a3, 0(t0)
	CHECK(20, a3, 0)

	/* A/D: the hart sets A on a load, D on a store */
	U_RUN(U_LOAD, UVA + 0x2000, 0)
	CHECK(21, s10, -1)
	la t0, l0
	lw a3, 8(t0)
	andi a3, a3, PTE_A | PTE_D
	CHECK(22, a3, PTE_A)
	U_RUN(U_STORE, UVA + 0x2000, 7)
	la t0, l0
	lw a3, 8(t0)
	andi a3, a3, PTE_A | PTE_D
	CHECK(23, a3, PTE_A | PTE_D)

	/* SFENCE.VMA: remap UVA to another page */
	MAP(l0, 0, upage2, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
	sfence.vma
	U_RUN(U_LOAD, UVA, 0)
	CHECK(24, a3, 0x22222222)

	/* MPRV with MPP = U: M-mode data accesses translate as U */
	li t0, MSTATUS_MPP
	csrc mstatus, t0
	li t0, MSTATUS_MPRV
	li a0, UVA
	li a1, UVA + 0x5000
	CLEAR_TRAP
	csrs mstatus, t0
	lw a3, 0(a0)
	lw a4, 0(a1)           /* supervisor page: fault */
	csrc mstatus, t0
	CHECK(25, a3, 0x22222222)
	FAULT_IS(26, 13, UVA + 0x5000)
#ifndef QEMU
	/* MPRV off again: M accesses are physical; UVA is no RAM (nothing cached from above) */
	CLEAR_TRAP
	lw a3, 0(a0)
	FAULT_IS(27, 5, UVA)
#endif

	/* S mode */
	GOTO_MODE(1, in_s)
in_s:
	la t0, data_word          /* identity superpage */
	lw a3, 0(t0)
	CHECK(30, a3, 0x600dda7a)
#ifndef QEMU
	/* device registers through a mapping (never cached as RAM): mtime moves */
	li a0, UVA + 0x8000
	CLEAR_TRAP
	lw a3, IO_MTIME(a0)
	lw a4, IO_MTIME(a0)
	CHECK(43, s10, -1)
	li gp, 44
	bgeu a3, a4, fail
#endif
	li a0, UVA
	CLEAR_TRAP
	lw a3, 0(a0)               /* user page, SUM = 0 */
	FAULT_IS(31, 13, UVA)
	CLEAR_TRAP
	sw a3, 0(a0)
	FAULT_IS(32, 15, UVA)
	li t0, MSTATUS_SUM
	csrs sstatus, t0
	CLEAR_TRAP
	lw a3, 0(a0)
	CHECK(33, a3, 0x22222222)
	CHECK(34, s10, -1)
	/* S never executes user pages, SUM or not */
	li a0, UCODE
	jalr ra, 0(a0)
	FAULT_IS(35, 12, UCODE)
	/* supervisor page: fine from S */
	CLEAR_TRAP
	li a0, UVA + 0x5000
	lw a3, 0(a0)
	CHECK(36, a3, 0x44444444)
	/* MXR makes X-only pages readable */
	li a0, UVA + 0x6000
	CLEAR_TRAP
	lw a3, 0(a0)
	FAULT_IS(37, 13, UVA + 0x6000)
	li t0, MSTATUS_MXR
	csrs sstatus, t0
	CLEAR_TRAP
	lw a3, 0(a0)
	CHECK(38, a3, 0x55555555)
	li t0, MSTATUS_MXR | MSTATUS_SUM
	csrc sstatus, t0
	/* SUM cleared again: user page faults again (no stale TLB) */
	li a0, UVA
	CLEAR_TRAP
	lw a3, 0(a0)
	FAULT_IS(39, 13, UVA)
	/* page tables outside RAM: access fault */
	BACK_TO_M(m2)
m2:
	/* page tables outside RAM: access fault (M with MPRV, MPP = S translates data as S) */
	li t0, 0x80000000 | (IO_BAD >> 12)
	csrw satp, t0
	sfence.vma                 /* a satp write alone need not flush (privileged spec 4.1.11) */
	li t0, MSTATUS_MPP
	csrc mstatus, t0
	li t0, 1 << 11
	csrs mstatus, t0
	li t0, MSTATUS_MPRV
	la a0, data_word           /* not on a code page: qemu's TLB would share the fetch's */
	CLEAR_TRAP
	csrs mstatus, t0
	lw a3, 0(a0)
	csrc mstatus, t0
#ifdef QEMU
	CHECK(40, s10, 13) /* qemu 7.2 turns the failed PTE access into a page fault */
#else
	CHECK(40, s10, 5)  /* PTE access fails: access fault (privileged spec 4.3.2 step 2) */
#endif
	li gp, 42
	bne s11, a0, fail
	/* satp bare: no translation, IO_BAD is not RAM: access fault */
	csrw satp, zero
	sfence.vma
	li a0, IO_BAD
	CLEAR_TRAP
	csrs mstatus, t0
	lw a3, 0(a0)
	csrc mstatus, t0
	FAULT_IS(41, 5, IO_BAD)
TEST_END

	.balign 4096
ucode:
	lw a3, 0(a0)
	ecall
	sw a1, 0(a0)
	ecall
	jalr ra, 0(a0)
	ecall
	lhu a3, 0(a0)
	ecall
	.balign 4096

	.data
	.balign 4096
root:	.space 4096
l0:	.space 4096
upage:	.word 0x11111111
	.balign 4096
upage2:	.word 0x22222222
	.balign 4096
adpage:	.word 0
	.balign 4096
ropage:	.word 0x33333333
	.balign 4096
spage:	.word 0x44444444
	.balign 4096
xpage:	.word 0x55555555
	.balign 4096
data_word: .word 0x600dda7a, 0xfeedf00d
