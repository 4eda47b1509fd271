/* test_semu_plic.c - the SiFive PLIC model through its registers: priorities, pending, enables
 * per context, threshold, claim/complete, level gateway, bad accesses, thread safety. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "semu/plic.h"

struct outs {
	int level[PLIC_NUM_CONTEXTS];
	int changes;
};

static void out_set(void *opaque, int ctx, int level)
{
	struct outs *o = opaque;
	o->level[ctx] = level;
	o->changes++;
}

#define PRIO(s) (PLIC_PRIORITY_BASE + 4u * (s))
#define ENABLE(c) (PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * (c))
#define THRESH(c) (PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * (c))
#define CLAIM(c) (THRESH(c) + 4)

static struct plic *mk(struct outs *o)
{
	struct plic *p = plic_new((struct plic_output){ out_set, o });
	cr_assert_not_null(p);
	return p;
}

Test(semu_plic, priority_enable_threshold_gate_the_output)
{
	struct outs o = { 0 };
	struct plic *p = mk(&o);
	plic_set_irq(p, 10, 1);
	cr_assert_eq(plic_read(p, PLIC_PENDING_BASE, 4), 1u << 10);
	cr_assert_eq(o.level[PLIC_CTX_S], 0, "priority 0 never interrupts");
	plic_write(p, PRIO(10), 4, 3);
	cr_assert_eq(o.level[PLIC_CTX_S], 0, "not enabled yet");
	plic_write(p, ENABLE(PLIC_CTX_S), 4, 1u << 10);
	cr_assert_eq(o.level[PLIC_CTX_S], 1);
	cr_assert_eq(o.level[PLIC_CTX_M], 0, "M context has its own enables");
	plic_write(p, THRESH(PLIC_CTX_S), 4, 3);
	cr_assert_eq(o.level[PLIC_CTX_S], 0, "priority must exceed the threshold");
	plic_write(p, THRESH(PLIC_CTX_S), 4, 2);
	cr_assert_eq(o.level[PLIC_CTX_S], 1);
	cr_assert_eq(plic_read(p, PRIO(10), 4), 3);
	plic_write(p, PRIO(10), 4, 0xffffffff);
	cr_assert_eq(plic_read(p, PRIO(10), 4), PLIC_PRIO_MASK, "WARL priority bits");
	plic_free(p);
}

Test(semu_plic, claim_highest_priority_then_lowest_id)
{
	struct outs o = { 0 };
	struct plic *p = mk(&o);
	plic_write(p, ENABLE(PLIC_CTX_S), 4, (1u << 3) | (1u << 5) | (1u << 7));
	plic_write(p, PRIO(3), 4, 2);
	plic_write(p, PRIO(5), 4, 6);
	plic_write(p, PRIO(7), 4, 6);
	plic_set_irq(p, 3, 1);
	plic_set_irq(p, 5, 1);
	plic_set_irq(p, 7, 1);
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_S), 4), 5, "tie at 6: lowest id");
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_S), 4), 7);
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_S), 4), 3);
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_S), 4), 0, "nothing left");
	cr_assert_eq(o.level[PLIC_CTX_S], 0);
	cr_assert_eq(plic_read(p, PLIC_PENDING_BASE, 4), 0, "claim clears pending");
	plic_free(p);
}

Test(semu_plic, level_gateway_and_complete)
{
	struct outs o = { 0 };
	struct plic *p = mk(&o);
	plic_write(p, ENABLE(PLIC_CTX_S), 4, 1u << 1);
	plic_write(p, PRIO(1), 4, 1);
	plic_set_irq(p, 1, 1);
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_S), 4), 1);
	/* still high while in service: no new request until completion */
	plic_set_irq(p, 1, 1);
	cr_assert_eq(o.level[PLIC_CTX_S], 0);
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_S), 4), 0);
	/* completion of a source not enabled for the context is ignored (spec 9) */
	plic_write(p, ENABLE(PLIC_CTX_S), 4, 0);
	plic_write(p, CLAIM(PLIC_CTX_S), 4, 1);
	plic_write(p, ENABLE(PLIC_CTX_S), 4, 1u << 1);
	cr_assert_eq(o.level[PLIC_CTX_S], 0, "ignored completion leaves it in service");
	plic_write(p, CLAIM(PLIC_CTX_S), 4, 1);
	cr_assert_eq(o.level[PLIC_CTX_S], 1, "line still high after completion: pending again");
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_S), 4), 1);
	plic_set_irq(p, 1, 0);
	plic_write(p, CLAIM(PLIC_CTX_S), 4, 1);
	cr_assert_eq(o.level[PLIC_CTX_S], 0, "line low after completion: quiet");
	cr_assert_eq(plic_read(p, PLIC_PENDING_BASE, 4), 0);
	/* a line withdrawn before it was claimed is no longer pending */
	plic_set_irq(p, 1, 1);
	cr_assert_eq(o.level[PLIC_CTX_S], 1);
	plic_set_irq(p, 1, 0);
	cr_assert_eq(o.level[PLIC_CTX_S], 0);
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_S), 4), 0);
	plic_free(p);
}

Test(semu_plic, irq_line_object_drives_its_source)
{
	struct outs o = { 0 };
	struct plic *p = mk(&o);
	plic_write(p, ENABLE(PLIC_CTX_M), 4, 1u << 31);
	plic_write(p, PRIO(31), 4, 7);
	struct vsnd_irq line = plic_irq_line(p, 31);
	vsnd_irq_set(&line, 1);
	cr_assert_eq(o.level[PLIC_CTX_M], 1);
	cr_assert_eq(plic_read(p, CLAIM(PLIC_CTX_M), 4), 31);
	struct vsnd_irq none = plic_irq_line(p, 32);
	cr_assert_null(none.set);
	vsnd_irq_set(&none, 1); /* harmless */
	plic_set_irq(p, 0, 1);
	plic_set_irq(p, 1000, 1);
	cr_assert_eq(plic_read(p, PLIC_PENDING_BASE, 4), 0);
	plic_free(p);
}

Test(semu_plic, malformed_accesses_are_ignored)
{
	struct outs o = { 0 };
	struct plic *p = mk(&o);
	plic_write(p, PRIO(2), 4, 5);
	plic_write(p, PRIO(2), 1, 1);       /* byte write: ignored */
	plic_write(p, PRIO(2) + 2, 4, 1);   /* unaligned: ignored */
	cr_assert_eq(plic_read(p, PRIO(2), 4), 5);
	cr_assert_eq(plic_read(p, PRIO(2), 2), 0, "16-bit read reads 0");
	plic_write(p, PRIO(0), 4, 7);
	cr_assert_eq(plic_read(p, PRIO(0), 4), 0, "source 0 does not exist");
	plic_write(p, PLIC_PENDING_BASE, 4, 0xffffffff);
	cr_assert_eq(plic_read(p, PLIC_PENDING_BASE, 4), 0, "pending is read-only");
	plic_write(p, ENABLE(PLIC_CTX_S), 4, 0xffffffff);
	cr_assert_eq(plic_read(p, ENABLE(PLIC_CTX_S), 4), 0xfffffffe, "enable bit 0 hardwired");
	plic_write(p, ENABLE(5), 4, 1);      /* no such context */
	cr_assert_eq(plic_read(p, ENABLE(5), 4), 0);
	cr_assert_eq(plic_read(p, CLAIM(9), 4), 0);
	plic_write(p, CLAIM(PLIC_CTX_S), 4, 12345); /* complete of a bogus id */
	cr_assert_eq(plic_read(p, 0x3fffffc, 4), 0);
	cr_assert_eq(o.changes, 0, "nothing raised");
	plic_free(p);
}

struct storm {
	struct plic *p;
	unsigned src;
};

static void *storm_thread(void *arg)
{
	struct storm *s = arg;
	for (int i = 0; i < 20000; i++)
		plic_set_irq(s->p, s->src, i & 1);
	plic_set_irq(s->p, s->src, 1);
	return NULL;
}

Test(semu_plic, concurrent_sources_end_consistent)
{
	struct outs o = { 0 };
	struct plic *p = mk(&o);
	plic_write(p, ENABLE(PLIC_CTX_S), 4, 0x6);
	plic_write(p, PRIO(1), 4, 1);
	plic_write(p, PRIO(2), 4, 1);
	struct storm s1 = { p, 1 }, s2 = { p, 2 };
	pthread_t t1, t2;
	pthread_create(&t1, NULL, storm_thread, &s1);
	pthread_create(&t2, NULL, storm_thread, &s2);
	for (int i = 0; i < 2000; i++) {
		uint32_t id = plic_read(p, CLAIM(PLIC_CTX_S), 4);
		if (id)
			plic_write(p, CLAIM(PLIC_CTX_S), 4, id);
	}
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	/* both lines end high: both claimable once, and the output is high until then */
	cr_assert_eq(o.level[PLIC_CTX_S], 1);
	uint32_t a = plic_read(p, CLAIM(PLIC_CTX_S), 4);
	uint32_t b = plic_read(p, CLAIM(PLIC_CTX_S), 4);
	cr_assert_eq(a, 1);
	cr_assert_eq(b, 2);
	cr_assert_eq(o.level[PLIC_CTX_S], 0);
	plic_free(p);
}
