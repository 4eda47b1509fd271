/* cpu_internal.h - state of one RV32 hart shared by the interpreter (cpu.c), the CSR file
 * (cpu_csr.c) and the Sv32 MMU with its TLB (cpu_mmu.c). Not part of the public API. */
#ifndef SEMU_CPU_INTERNAL_H
#define SEMU_CPU_INTERNAL_H

#include "semu/cpu.h"

#include <stddef.h>

#define RV_LIKELY(x) __builtin_expect(!!(x), 1)
#define RV_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Exception causes (privileged spec 3.1.15, table 3.6). */
enum {
	RV_EXC_INSN_MISALIGNED = 0,
	RV_EXC_INSN_ACCESS = 1,
	RV_EXC_ILLEGAL = 2,
	RV_EXC_BREAKPOINT = 3,
	RV_EXC_LOAD_MISALIGNED = 4,
	RV_EXC_LOAD_ACCESS = 5,
	RV_EXC_STORE_MISALIGNED = 6,
	RV_EXC_STORE_ACCESS = 7,
	RV_EXC_ECALL_U = 8,
	RV_EXC_ECALL_S = 9,
	RV_EXC_ECALL_M = 11,
	RV_EXC_INSN_PAGE = 12,
	RV_EXC_LOAD_PAGE = 13,
	RV_EXC_STORE_PAGE = 15,
};

/* mstatus bits (privileged spec 3.1.6). */
#define MSTATUS_SIE (1u << 1)
#define MSTATUS_MIE (1u << 3)
#define MSTATUS_SPIE (1u << 5)
#define MSTATUS_MPIE (1u << 7)
#define MSTATUS_SPP (1u << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3u << MSTATUS_MPP_SHIFT)
#define MSTATUS_MPRV (1u << 17)
#define MSTATUS_SUM (1u << 18)
#define MSTATUS_MXR (1u << 19)
#define MSTATUS_TVM (1u << 20)
#define MSTATUS_TW (1u << 21)
#define MSTATUS_TSR (1u << 22)
#define MSTATUS_WMASK                                                                       \
	(MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | \
	 MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
#define SSTATUS_MASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR)

#define MIP_SSIP (1u << RV_IRQ_SSI)
#define MIP_MSIP (1u << RV_IRQ_MSI)
#define MIP_STIP (1u << RV_IRQ_STI)
#define MIP_MTIP (1u << RV_IRQ_MTI)
#define MIP_SEIP (1u << RV_IRQ_SEI)
#define MIP_MEIP (1u << RV_IRQ_MEI)
#define MIP_ALL (MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP)
#define MIDELEG_MASK (MIP_SSIP | MIP_STIP | MIP_SEIP)
/* Causes 0-9, 12, 13, 15: every exception except ECALL from M (never delegated). */
#define MEDELEG_MASK 0xB3FFu

#define SATP_MODE_SV32 (1u << 31)
#define SATP_PPN_MASK 0x003FFFFFu

/* Software TLB: direct mapped, one array per access kind, one bank per translation regime
 * (U, S with SUM=0, S with SUM=1, bare/M) so privilege changes and the kernel's SUM toggling
 * around user copies need no flush. Entries map a 4 KiB virtual page to a host pointer into
 * RAM; MMIO pages are never cached (they take the slow path every time). */
#define RV_TLB_BITS 8
#define RV_TLB_SIZE (1u << RV_TLB_BITS)
#define RV_TLB_INVALID 0xFFFFFFFFu /* generation 0xFFF is never current: never matches */
/* A flush bumps a 12-bit generation kept in the top bits of every tag instead of clearing
 * the arrays (Linux flushes on every context switch); only a wrap clears them. */
#define RV_TLB_GEN_SHIFT 20
#define RV_TLB_GEN_LIMIT 0xFFFu
enum { RV_ACC_FETCH = 0, RV_ACC_LOAD = 1, RV_ACC_STORE = 2 };
enum { RV_BANK_U = 0, RV_BANK_S = 1, RV_BANK_S_SUM = 2, RV_BANK_BARE = 3, RV_NBANKS = 4 };

struct rv_tlbe {
	uint32_t tag;  /* VPN | generation << RV_TLB_GEN_SHIFT; RV_TLB_INVALID when empty */
	uint8_t *host; /* host address of the page's first byte */
};

struct rv_cpu {
	uint32_t x[32];
	uint32_t pc;
	enum rv_priv priv;

	uint32_t tlb_gen; /* current generation, already shifted by RV_TLB_GEN_SHIFT */
	/* Current TLB arrays (depend on priv, MPRV/MPP, SUM): refreshed by rv_mode_changed(). */
	struct rv_tlbe *tlb_fetch;
	struct rv_tlbe *tlb_load;
	struct rv_tlbe *tlb_store;
	/* Set when the interpreter must leave its inner loop (mode change, CSR write, MMIO). */
	bool leave;
	uint32_t exc_tval; /* tval of the exception a slow path reported */

	uint64_t instret;
	uint64_t cycle_offset; /* mcycle = instret + cycle_offset */

	_Atomic uint32_t mip;
	atomic_bool halt_req;

	uint32_t mstatus;
	_Atomic uint32_t mie; /* read by rv_cpu_irq_pending() from any thread */
	uint32_t medeleg, mideleg;
	uint32_t mtvec, stvec;
	uint32_t mepc, sepc;
	uint32_t mcause, scause;
	uint32_t mtval, stval;
	uint32_t mscratch, sscratch;
	uint32_t satp;
	uint32_t mcounteren, scounteren;

	bool resv_valid; /* LR/SC reservation (single hart) */
	uint32_t resv_addr;

	struct rv_cpu_env env;
	struct rv_tlbe tlb[RV_NBANKS][3][RV_TLB_SIZE];
};

/* The value an AMO stores, given the loaded value and rs2 (unprivileged spec 8.4). */
static inline uint32_t rv_amo_op(unsigned funct5, uint32_t old, uint32_t src)
{
	switch (funct5) {
	case 0x00: return old + src;                               /* AMOADD */
	case 0x01: return src;                                     /* AMOSWAP */
	case 0x04: return old ^ src;                               /* AMOXOR */
	case 0x08: return old | src;                               /* AMOOR */
	case 0x0C: return old & src;                               /* AMOAND */
	case 0x10: return (int32_t)old < (int32_t)src ? old : src; /* AMOMIN */
	case 0x14: return (int32_t)old > (int32_t)src ? old : src; /* AMOMAX */
	case 0x18: return old < src ? old : src;                   /* AMOMINU */
	default: return old > src ? old : src;                     /* AMOMAXU */
	}
}

/* cpu.c */
void rv_trap(struct rv_cpu *cpu, uint32_t cause, bool interrupt, uint32_t tval);
void rv_mode_changed(struct rv_cpu *cpu);

/* cpu_csr.c: return false when the access is illegal (the caller raises the exception). */
bool rv_csr_read(struct rv_cpu *cpu, unsigned csr, uint32_t *val);
bool rv_csr_write(struct rv_cpu *cpu, unsigned csr, uint32_t val);

/* cpu_mmu.c. Slow paths return 0 on success, 1 on success after an MMIO access (the
 * interpreter should leave its loop so device side effects are seen), or exception cause
 * + 2 with cpu->exc_tval set. */
#define RV_MEM_OK 0
#define RV_MEM_MMIO 1
#define RV_MEM_EXC(cause) ((cause) + 2)
void rv_tlb_flush(struct rv_cpu *cpu);
int rv_fetch_page(struct rv_cpu *cpu, uint32_t va, const uint8_t **host_page);
int rv_load_slow(struct rv_cpu *cpu, uint32_t va, unsigned size, uint32_t *val);
int rv_store_slow(struct rv_cpu *cpu, uint32_t va, unsigned size, uint32_t val);
/* Atomic memory operations: the access is checked for store permission (AMOs and SC raise
 * store faults); op computes the value to store from the loaded one. */
int rv_amo(struct rv_cpu *cpu, uint32_t va, unsigned funct5, uint32_t src, uint32_t *old);
int rv_lr(struct rv_cpu *cpu, uint32_t va, uint32_t *val);
/* *result is 0 when the store happened, 1 when the reservation did not match. */
int rv_sc(struct rv_cpu *cpu, uint32_t va, uint32_t val, uint32_t *result);

#endif
