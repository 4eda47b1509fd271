/* cpu.h - one RV32IMA hart (Zicsr, Zifencei) with M, S and U modes, Sv32 paging with a TLB,
 * traps, interrupts and delegation. The machine supplies RAM, MMIO, SBI and the time CSR. */
#ifndef SEMU_CPU_H
#define SEMU_CPU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* mip/mie bit numbers (privileged spec 3.1.9). */
#define RV_IRQ_SSI 1
#define RV_IRQ_MSI 3
#define RV_IRQ_STI 5
#define RV_IRQ_MTI 7
#define RV_IRQ_SEI 9
#define RV_IRQ_MEI 11

enum rv_priv { RV_PRIV_U = 0, RV_PRIV_S = 1, RV_PRIV_M = 3 };

/* Why rv_cpu_run() returned. */
enum rv_run_exit {
	RV_EXIT_BUDGET = 0, /* ran the requested number of instructions */
	RV_EXIT_WFI,        /* executed WFI with no interrupt pending: the machine may sleep */
	RV_EXIT_HALT,       /* the environment asked to stop (env->halt set by SBI reset etc.) */
};

struct rv_cpu;

/* What the machine provides to the hart. */
struct rv_cpu_env {
	uint8_t *ram;       /* host mapping of RAM */
	uint32_t ram_base;  /* guest-physical base */
	uint32_t ram_size;  /* bytes */
	/* Any physical access outside RAM. size is 1, 2 or 4. Returns 0 or -1 (access fault). */
	int (*mmio)(void *opaque, uint32_t paddr, unsigned size, uint32_t *val, bool is_write);
	void *opaque;
	/* time CSR / mtime in timer ticks. */
	uint64_t (*time)(void *opaque);
	/* If non-NULL, ECALL from S-mode is the SBI: this is called instead of trapping, with the
	 * hart's registers available through rv_cpu_reg()/rv_cpu_set_reg(); pc then advances. If
	 * NULL, ECALL traps as the ISA says (bare-metal tests run an M-mode handler). */
	void (*sbi)(void *opaque, struct rv_cpu *cpu);
};

/* The hart keeps a copy of *env; it starts reset to M-mode at env->ram_base. */
struct rv_cpu *rv_cpu_new(const struct rv_cpu_env *env);
void rv_cpu_free(struct rv_cpu *cpu);

/* Reset to privilege `priv` at `pc` with a0 = a0, a1 = a1 (hart id, device tree address).
 * All CSRs are cleared. When priv is S or U there is no M-mode firmware, so the hart starts
 * the way an SBI firmware leaves it for a kernel: medeleg = 0xb1ff (all exceptions except
 * ECALL from S and M), mideleg = SSIP|STIP|SEIP, mcounteren = 0x7 (cycle, time, instret). */
void rv_cpu_reset(struct rv_cpu *cpu, enum rv_priv priv, uint32_t pc, uint32_t a0, uint32_t a1);

/* Execute up to `budget` instructions. Interrupts are taken between instructions. */
enum rv_run_exit rv_cpu_run(struct rv_cpu *cpu, uint64_t budget);

/* Set or clear a bit of mip from any thread (external, timer and software interrupts). */
void rv_cpu_set_irq(struct rv_cpu *cpu, int irq_bit, bool level);
/* True if an enabled interrupt is pending (the machine's WFI sleep checks this). */
bool rv_cpu_irq_pending(struct rv_cpu *cpu);

/* Ask rv_cpu_run() to return RV_EXIT_HALT at the next instruction boundary (after the current
 * instruction when called from env->sbi or env->mmio; within a few thousand instructions when
 * called from another thread). The request is consumed: a later rv_cpu_run() continues. */
void rv_cpu_halt(struct rv_cpu *cpu);

uint32_t rv_cpu_reg(const struct rv_cpu *cpu, unsigned idx);
void rv_cpu_set_reg(struct rv_cpu *cpu, unsigned idx, uint32_t val);
uint32_t rv_cpu_pc(const struct rv_cpu *cpu);
uint64_t rv_cpu_instret(const struct rv_cpu *cpu);

#endif
