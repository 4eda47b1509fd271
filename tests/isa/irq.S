/* irq.S - interrupts: machine timer from the runner's mtimecmp, software/external lines,
 * priority order MEI > MSI > MTI > SEI > SSI > STI, global enables per mode, WFI, vectored
 * mtvec, delegation of S-level interrupts with mideleg. s7/s8 belong to the handlers. */
#include "test.h"

/* Spin until the log holds `count` entries (or fail after a while). */
#define WAIT_LOG(n, count)          \
	li gp, n;                   \
	li a5, 20000;               \
	la a4, log + 4 * (count);   \
1:	beq s8, a4, 2f;             \
	addi a5, a5, -1;            \
	bnez a5, 1b;                \
	j fail;                     \
2:

#define LOG_IS(n, idx, val) \
	la a4, log;         \
	lw a3, 4 * (idx)(a4); \
	CHECK(n, a3, val)

#define LOG_LEN(n, count) \
	li gp, n; \
	la t5, log + 4 * (count); \
	bne s8, t5, fail;

#define LOG_RESET \
	la s8, log;

#define TIMER_OFF                   \
	li a1, IO_BASE;             \
	li a2, -1;                  \
	sw a2, IO_MTIMECMP + 4(a1); \
	sw a2, IO_MTIMECMP(a1);

TEST_BEGIN
	la t0, irq_m
	csrw mtvec, t0
	la t0, irq_s
	csrw stvec, t0
	TIMER_OFF

	/* 1: machine timer */
	LOG_RESET
	li a1, IO_BASE
	lw a2, IO_MTIME(a1)
	addi a2, a2, 200
	sw zero, IO_MTIMECMP + 4(a1)
	sw a2, IO_MTIMECMP(a1)
	li t0, 1 << 7
	csrw mie, t0
	csrsi mstatus, MSTATUS_MIE
	WAIT_LOG(1, 1)
	LOG_IS(2, 0, 0x80000007)
	csrci mstatus, MSTATUS_MIE
	TIMER_OFF

	/* 2: priority with everything pending at once */
	LOG_RESET
	li a1, IO_BASE
	li a2, (1 << 11) | (1 << 3)
	sw a2, IO_IRQ_SET(a1)
	sw zero, IO_MTIMECMP(a1)
	sw zero, IO_MTIMECMP + 4(a1)
	li t0, 0x222
	csrs mip, t0
	li t0, 0xaaa
	csrw mie, t0
	nop
	LOG_LEN(3, 0)   /* MIE=0: nothing taken yet */
	csrsi mstatus, MSTATUS_MIE
	WAIT_LOG(4, 6)
	LOG_IS(5, 0, 0x8000000b)
	LOG_IS(6, 1, 0x80000003)
	LOG_IS(7, 2, 0x80000007)
	LOG_IS(8, 3, 0x80000009)
	LOG_IS(9, 4, 0x80000001)
	LOG_IS(10, 5, 0x80000005)
	csrci mstatus, MSTATUS_MIE
	li a1, IO_BASE
	li a2, -1
	sw a2, IO_IRQ_CLR(a1)
	TIMER_OFF
	li t0, 0x222
	csrc mip, t0

	/* 3: WFI sleeps until the timer fires even with MIE=0; the interrupt waits */
	LOG_RESET
	li a1, IO_BASE
	lw a2, IO_MTIME(a1)
	addi a2, a2, 50
	sw zero, IO_MTIMECMP + 4(a1)
	sw a2, IO_MTIMECMP(a1)
	li t0, 1 << 7
	csrw mie, t0
	wfi
	csrr a3, mip
	andi a3, a3, 1 << 7
	CHECK(11, a3, 1 << 7)
	LOG_LEN(12, 0)
	/* WFI with an enabled interrupt pending is a no-op */
	wfi
	LOG_LEN(13, 0)
	csrsi mstatus, MSTATUS_MIE
	WAIT_LOG(14, 1)
	LOG_IS(15, 0, 0x80000007)
	csrci mstatus, MSTATUS_MIE
	TIMER_OFF

	/* 4: vectored mtvec: interrupt cause 3 enters at base + 12 */
	LOG_RESET
	li s6, 0
	la t0, vtable
	ori t0, t0, 1
	csrw mtvec, t0
	li t0, 1 << 3
	csrw mie, t0
	li a1, IO_BASE
	li a2, 1 << 3
	sw a2, IO_IRQ_SET(a1)
	csrsi mstatus, MSTATUS_MIE
	WAIT_LOG(16, 1)
	CHECK(17, s6, 3)
	csrci mstatus, MSTATUS_MIE
	sw a2, IO_IRQ_CLR(a1)
	la t0, irq_m
	csrw mtvec, t0

	/* 5: delegated SSI: not taken in M, taken on entering S with SIE=1 */
	LOG_RESET
	li t0, 0x222
	csrw mideleg, t0
	li t0, 1 << 1
	csrw mie, t0
	csrs mip, t0
	csrsi mstatus, MSTATUS_MIE
	nop
	nop
	LOG_LEN(18, 0)
	csrci mstatus, MSTATUS_MIE
	csrsi mstatus, MSTATUS_SIE
	GOTO_MODE(1, in_s)
in_s:
	WAIT_LOG(19, 1)
	LOG_IS(20, 0, 0x80000001)
	csrr a3, scause
	CHECK(21, a3, 0x80000001)
	/* 6: M-level interrupt taken in S although mstatus.MIE = 0 */
	li t0, 1 << 3
	li a1, IO_BASE
	sw t0, IO_IRQ_SET(a1)
	BACK_TO_M(m_enable_msi)
m_enable_msi:
	csrci mstatus, MSTATUS_MIE /* not taken here in M */
	li t0, 1 << 3
	csrs mie, t0
	li t0, MSTATUS_MPIE       /* so S runs with mstatus.MIE = 0 */
	csrc mstatus, t0
	GOTO_MODE(1, in_s2)
in_s2:
	WAIT_LOG(22, 2)
	LOG_IS(23, 1, 0x80000003)
	li t5, MSTATUS_MPP         /* taken in S */
	and a3, s9, t5
	CHECK(33, a3, 1 << 11)
	li a1, IO_BASE
	li t0, 1 << 3
	sw t0, IO_IRQ_CLR(a1)
	/* 7: S-level interrupt masked by SIE=0 in S, taken in U */
	csrci sstatus, MSTATUS_SIE
	csrr a3, sip               /* the S handler of test 5 cleared SSIP through sip */
	andi a3, a3, 2
	CHECK(32, a3, 0)
	li t0, 1 << 1
	csrs sie, t0
	csrs sip, t0
	nop
	nop
	LOG_LEN(24, 2)
	/* WFI in S with the pending interrupt enabled in sie: no-op */
	wfi
	LOG_LEN(25, 2)
	li t0, MSTATUS_SPP
	csrc sstatus, t0
	la t0, in_u
	csrw sepc, t0
	sret
in_u:
	WAIT_LOG(26, 3)
	LOG_IS(27, 2, 0x80000001)
	csrr a3, mstatus          /* illegal in U: recorded by trap_record via irq_m */
	CHECK(28, s10, 2)
	BACK_TO_M(done)
done:
	/* 8: supervisor timer line (raised by the machine) into a vectored stvec from U */
	la s8, log + 12  /* appended after the three entries above */
	li s6, 0
	la t0, svtable
	ori t0, t0, 1
	csrw stvec, t0
	li t0, 1 << 5
	csrw mie, t0
	GOTO_MODE(0, in_u2)
in_u2:
	li a1, IO_BASE
	li t0, 1 << 5
	sw t0, IO_IRQ_SET(a1)
	WAIT_LOG(29, 4)
	LOG_IS(30, 3, 0x80000005)
	CHECK(31, s6, 5)
	li t0, 1 << 5
	sw t0, IO_IRQ_CLR(a1)
	BACK_TO_M(done2)
done2:
	csrw mideleg, zero
	csrw mie, zero
TEST_END

	.balign 64
svtable:
	j strap_record  /* 0: exceptions */
	j irq_s
	j irq_s
	j irq_s
	j irq_s
	j svec5
	j irq_s
	j irq_s
	j irq_s
	j irq_s
svec5:
	li s6, 5
	j irq_s

	.balign 4
irq_m:
	csrr t6, mcause
	bgez t6, trap_record
	csrr s9, mstatus
	sw t6, 0(s8)
	addi s8, s8, 4
	andi t6, t6, 31
	li s7, 1
	sll s7, s7, t6
	csrc mie, s7
	mret

	.balign 4
irq_s:
	csrr t6, scause
	bgez t6, strap_record
	sw t6, 0(s8)
	addi s8, s8, 4
	andi t6, t6, 31
	li s7, 1
	sll s7, s7, t6
	csrc sie, s7
	csrc sip, s7
	sret

	.balign 64
vtable:
	j trap_record   /* 0: exceptions */
	j irq_m
	j irq_m
	j vec3
	j irq_m
	j irq_m
	j irq_m
	j irq_m
	j irq_m
	j irq_m
	j irq_m
	j irq_m
vec3:
	li s6, 3
	j irq_m

	.data
	.balign 4
log:	.space 64
