/* plic.h - a SiFive-compatible platform-level interrupt controller (sifive,plic-1.0.0) for one
 * hart with two contexts (0 = M-mode, 1 = S-mode): priorities, pending, enables, threshold,
 * claim/complete. Thread-safe: device threads raise their lines concurrently with the vCPU. */
#ifndef SEMU_PLIC_H
#define SEMU_PLIC_H

#include <stdint.h>

#include "semu/bus.h"
#include "vsnd/irq.h"

#define PLIC_NUM_SOURCES 32 /* source ids 1..31; 0 means "no interrupt" */
#define PLIC_NDEV (PLIC_NUM_SOURCES - 1)
#define PLIC_NUM_CONTEXTS 2
#define PLIC_CTX_M 0
#define PLIC_CTX_S 1
#define PLIC_PRIO_MASK 7u /* 3 priority bits: 0 (never) .. 7 */
#define PLIC_SIZE 0x4000000u

/* Register layout (SiFive PLIC; the RISC-V PLIC specification 1.0.0). */
#define PLIC_PRIORITY_BASE 0x000000u /* + 4 * source */
#define PLIC_PENDING_BASE 0x001000u  /* bit per source */
#define PLIC_ENABLE_BASE 0x002000u   /* + 0x80 * context, bit per source */
#define PLIC_ENABLE_STRIDE 0x80u
#define PLIC_CONTEXT_BASE 0x200000u  /* + 0x1000 * context: threshold, then claim/complete */
#define PLIC_CONTEXT_STRIDE 0x1000u

/* Where a context's interrupt output goes (the hart's MEIP or SEIP). Called with the PLIC's
 * lock held, from whichever thread changed the state; must not call back into the PLIC. */
struct plic_output {
	void (*set)(void *opaque, int context, int level);
	void *opaque;
};

struct plic;

struct plic *plic_new(struct plic_output out);
void plic_free(struct plic *p);

/* Drive source src's (level-triggered) line. Out-of-range sources are ignored. */
void plic_set_irq(struct plic *p, unsigned src, int level);

/* The line of source src as an irq object a device can hold (valid while p lives). */
struct vsnd_irq plic_irq_line(struct plic *p, unsigned src);

/* Register access at offset off (size 1, 2 or 4). Only aligned 32-bit accesses are decoded;
 * anything else reads 0 and is ignored, as are writes to read-only registers. */
uint32_t plic_read(struct plic *p, uint32_t off, unsigned size);
void plic_write(struct plic *p, uint32_t off, unsigned size, uint32_t val);

extern const struct bus_ops plic_bus_ops;

#endif
