/* irq.h - an interrupt line as a small object: a device raises or lowers it without
 * knowing which interrupt controller (PLIC, a test, a fuzzer) sits behind it. */
#ifndef VSND_IRQ_H
#define VSND_IRQ_H

struct vsnd_irq {
	void (*set)(void *opaque, int level); /* level-triggered: 1 raised, 0 lowered */
	void *opaque;
};

static inline void vsnd_irq_set(const struct vsnd_irq *irq, int level)
{
	if (irq->set)
		irq->set(irq->opaque, level);
}

#endif
