/* plic.c - SiFive PLIC model: level-triggered gateways, per-source priority, per-context enable
 * and threshold, claim/complete (RISC-V PLIC spec 1.0.0, chapters 5-9). One mutex guards it. */
#include "semu/plic.h"

#include <pthread.h>
#include <stdlib.h>

struct plic_line {
	struct plic *p;
	unsigned src;
};

struct plic {
	pthread_mutex_t mu;
	struct plic_output out;
	uint32_t priority[PLIC_NUM_SOURCES];
	uint32_t level;    /* current line levels */
	uint32_t pending;  /* gateway forwarded a request not yet claimed */
	uint32_t claimed;  /* in service: the gateway forwards nothing until completion */
	uint32_t enable[PLIC_NUM_CONTEXTS];
	uint32_t threshold[PLIC_NUM_CONTEXTS];
	int out_level[PLIC_NUM_CONTEXTS];
	struct plic_line lines[PLIC_NUM_SOURCES];
};

/* Highest-priority pending source enabled for ctx with priority above the threshold; ties go
 * to the lowest id (spec 8). 0 if none. Lock held. */
static unsigned plic_best(const struct plic *p, int ctx)
{
	uint32_t cand = p->pending & p->enable[ctx] & ~1u;
	unsigned best = 0;
	uint32_t best_prio = p->threshold[ctx];
	while (cand) {
		unsigned s = (unsigned)__builtin_ctz(cand);
		cand &= cand - 1;
		if (p->priority[s] > best_prio) {
			best_prio = p->priority[s];
			best = s;
		}
	}
	return best;
}

static void plic_update(struct plic *p)
{
	for (int ctx = 0; ctx < PLIC_NUM_CONTEXTS; ctx++) {
		int lvl = plic_best(p, ctx) != 0;
		if (lvl != p->out_level[ctx]) {
			p->out_level[ctx] = lvl;
			if (p->out.set)
				p->out.set(p->out.opaque, ctx, lvl);
		}
	}
}

static void plic_line_set(void *opaque, int level)
{
	struct plic_line *l = opaque;
	plic_set_irq(l->p, l->src, level);
}

struct plic *plic_new(struct plic_output out)
{
	struct plic *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	p->out = out;
	for (unsigned i = 0; i < PLIC_NUM_SOURCES; i++)
		p->lines[i] = (struct plic_line){ p, i };
	return p;
}

void plic_free(struct plic *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->mu);
	free(p);
}

struct vsnd_irq plic_irq_line(struct plic *p, unsigned src)
{
	if (src == 0 || src >= PLIC_NUM_SOURCES)
		return (struct vsnd_irq){ NULL, NULL };
	return (struct vsnd_irq){ plic_line_set, &p->lines[src] };
}

void plic_set_irq(struct plic *p, unsigned src, int level)
{
	if (src == 0 || src >= PLIC_NUM_SOURCES)
		return;
	uint32_t bit = 1u << src;
	pthread_mutex_lock(&p->mu);
	if (level) {
		p->level |= bit;
		if (!(p->claimed & bit))
			p->pending |= bit;
	} else {
		/* A level source withdrawn before it was claimed is no longer pending (as in QEMU);
		 * the driver would otherwise claim a stale interrupt. */
		p->level &= ~bit;
		p->pending &= ~bit;
	}
	plic_update(p);
	pthread_mutex_unlock(&p->mu);
}

static uint32_t plic_claim(struct plic *p, int ctx)
{
	unsigned s = plic_best(p, ctx);
	if (s) {
		p->pending &= ~(1u << s);
		p->claimed |= 1u << s;
		plic_update(p);
	}
	return s;
}

static void plic_complete(struct plic *p, int ctx, uint32_t src)
{
	/* Spec 9: a completion for a source not enabled for this context is ignored. */
	if (src == 0 || src >= PLIC_NUM_SOURCES || !(p->enable[ctx] & (1u << src)))
		return;
	uint32_t bit = 1u << src;
	p->claimed &= ~bit;
	if (p->level & bit)
		p->pending |= bit;
	plic_update(p);
}

uint32_t plic_read(struct plic *p, uint32_t off, unsigned size)
{
	if (size != 4 || (off & 3))
		return 0;
	uint32_t v = 0;
	pthread_mutex_lock(&p->mu);
	if (off < PLIC_PENDING_BASE) {
		uint32_t s = off / 4;
		if (s < PLIC_NUM_SOURCES)
			v = p->priority[s];
	} else if (off < PLIC_ENABLE_BASE) {
		if (off == PLIC_PENDING_BASE)
			v = p->pending;
	} else if (off < PLIC_CONTEXT_BASE) {
		uint32_t rel = off - PLIC_ENABLE_BASE;
		uint32_t ctx = rel / PLIC_ENABLE_STRIDE;
		if (ctx < PLIC_NUM_CONTEXTS && rel % PLIC_ENABLE_STRIDE == 0)
			v = p->enable[ctx];
	} else {
		uint32_t rel = off - PLIC_CONTEXT_BASE;
		uint32_t ctx = rel / PLIC_CONTEXT_STRIDE;
		uint32_t reg = rel % PLIC_CONTEXT_STRIDE;
		if (ctx < PLIC_NUM_CONTEXTS) {
			if (reg == 0)
				v = p->threshold[ctx];
			else if (reg == 4)
				v = plic_claim(p, (int)ctx);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return v;
}

void plic_write(struct plic *p, uint32_t off, unsigned size, uint32_t val)
{
	if (size != 4 || (off & 3))
		return;
	pthread_mutex_lock(&p->mu);
	if (off < PLIC_PENDING_BASE) {
		uint32_t s = off / 4;
		if (s > 0 && s < PLIC_NUM_SOURCES)
			p->priority[s] = val & PLIC_PRIO_MASK;
	} else if (off < PLIC_ENABLE_BASE) {
		/* pending bits are read-only */
	} else if (off < PLIC_CONTEXT_BASE) {
		uint32_t rel = off - PLIC_ENABLE_BASE;
		uint32_t ctx = rel / PLIC_ENABLE_STRIDE;
		if (ctx < PLIC_NUM_CONTEXTS && rel % PLIC_ENABLE_STRIDE == 0)
			p->enable[ctx] = val & ~1u; /* source 0 does not exist */
	} else {
		uint32_t rel = off - PLIC_CONTEXT_BASE;
		uint32_t ctx = rel / PLIC_CONTEXT_STRIDE;
		uint32_t reg = rel % PLIC_CONTEXT_STRIDE;
		if (ctx < PLIC_NUM_CONTEXTS) {
			if (reg == 0)
				p->threshold[ctx] = val & PLIC_PRIO_MASK;
			else if (reg == 4)
				plic_complete(p, (int)ctx, val);
		}
	}
	plic_update(p);
	pthread_mutex_unlock(&p->mu);
}

static uint32_t plic_bus_read(void *opaque, uint32_t off, unsigned size)
{
	return plic_read(opaque, off, size);
}

static void plic_bus_write(void *opaque, uint32_t off, unsigned size, uint32_t val)
{
	plic_write(opaque, off, size, val);
}

const struct bus_ops plic_bus_ops = { plic_bus_read, plic_bus_write };
