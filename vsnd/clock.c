/* clock.c - time sources for audio pacing: the host CLOCK_MONOTONIC, and a virtual clock
 * that only a caller (replay engine, tests) moves, waking waiters whose deadline is reached. */
#include "clock.h"
#include "snd_priv.h" /* vsnd_clock_passive_waits() */

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int vsnd_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int r = pthread_condattr_init(&a);
	if (r)
		return r;
	r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return r;
}

/* ---- host monotonic clock ---- */

static uint64_t mono_now(struct vsnd_clock *clk)
{
	(void)clk;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ticks(struct vsnd_clock *clk)
{
	(void)clk;
	return 0;
}

static int mono_wait(struct vsnd_clock *clk, pthread_cond_t *cv, pthread_mutex_t *mu,
		     uint64_t deadline)
{
	if (mono_now(clk) >= deadline)
		return 1;
	if (deadline == VSND_CLOCK_NEVER) {
		pthread_cond_wait(cv, mu);
		return 0;
	}
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000000000ull),
			       .tv_nsec = (long)(deadline % 1000000000ull) };
	pthread_cond_timedwait(cv, mu, &ts);
	return mono_now(clk) >= deadline;
}

static const struct vsnd_clock_ops mono_ops = {
	.now_ns = mono_now,
	.guest_ticks = mono_ticks,
	.wait_until = mono_wait,
};

struct vsnd_clock vsnd_clock_monotonic = { .ops = &mono_ops, .opaque = NULL };

/* ---- virtual clock ----
 * Each blocked wait_until() call has a waiter record on its stack, linked into the clock's
 * list under vc->lock. A setter marks the records whose deadline is reached (`fired`), takes
 * a reference on each, drops vc->lock and then, one at a time, locks and unlocks the
 * waiter's mutex and broadcasts its cv. Because the waiter holds its mutex from its deadline
 * check until pthread_cond_wait() releases it atomically, once the setter got the mutex the
 * waiter is inside pthread_cond_wait() (or already awake), so the broadcast made after the
 * unlock is not lost; making it after the unlock spares the woken thread from blocking at
 * once on a mutex the setter still holds. The setter never holds vc->lock and a waiter
 * mutex together; a waiter takes vc->lock under its mutex, so there is no lock-order cycle.
 * A returning waiter waits until no setter references its record any more (its cv is still
 * used by the broadcast), with its own mutex released. */

struct vc_waiter {
	struct vc_waiter *prev, *next; /* clock's list of blocked waiters */
	struct vc_waiter *wnext;       /* a setter's private wake list */
	pthread_cond_t *cv;
	pthread_mutex_t *mu;
	uint64_t deadline;
	int fired;
	int refs;
};

struct vsnd_vclock {
	struct vsnd_clock clk;
	pthread_mutex_t lock;
	pthread_cond_t unref; /* a waiter record lost its last setter reference */
	uint64_t now, ticks;
	int instant;
	struct vc_waiter *waiters;
};

static struct vsnd_vclock *vc_of(struct vsnd_clock *clk)
{
	return clk->opaque;
}

static uint64_t vc_now(struct vsnd_clock *clk)
{
	struct vsnd_vclock *vc = vc_of(clk);
	pthread_mutex_lock(&vc->lock);
	uint64_t t = vc->now;
	pthread_mutex_unlock(&vc->lock);
	return t;
}

static uint64_t vc_ticks(struct vsnd_clock *clk)
{
	struct vsnd_vclock *vc = vc_of(clk);
	pthread_mutex_lock(&vc->lock);
	uint64_t t = vc->ticks;
	pthread_mutex_unlock(&vc->lock);
	return t;
}

/* Called with vc->lock held: mark and reference every due waiter; returns the wake list. */
static struct vc_waiter *vc_collect_due(struct vsnd_vclock *vc)
{
	struct vc_waiter *list = NULL, **tail = &list;
	for (struct vc_waiter *w = vc->waiters; w; w = w->next) {
		if (w->fired || w->deadline > vc->now)
			continue;
		w->fired = 1;
		w->refs++;
		w->wnext = NULL;
		*tail = w;
		tail = &w->wnext;
	}
	return list;
}

/* Called with no lock held: wake every waiter on the list and drop the references. */
static void vc_wake(struct vsnd_vclock *vc, struct vc_waiter *list)
{
	while (list) {
		struct vc_waiter *w = list;
		list = w->wnext;
		pthread_mutex_lock(w->mu);
		pthread_mutex_unlock(w->mu);
		pthread_cond_broadcast(w->cv);
		pthread_mutex_lock(&vc->lock);
		if (--w->refs == 0)
			pthread_cond_broadcast(&vc->unref);
		pthread_mutex_unlock(&vc->lock);
	}
}

static int vc_wait(struct vsnd_clock *clk, pthread_cond_t *cv, pthread_mutex_t *mu,
		   uint64_t deadline)
{
	struct vsnd_vclock *vc = vc_of(clk);
	pthread_mutex_lock(&vc->lock);
	if (vc->now >= deadline) {
		pthread_mutex_unlock(&vc->lock);
		return 1;
	}
	if (vc->instant && deadline != VSND_CLOCK_NEVER) {
		vc->now = deadline;
		struct vc_waiter *due = vc_collect_due(vc);
		pthread_mutex_unlock(&vc->lock);
		if (due) {
			/* Other waiters may share mu: release it while waking them. */
			pthread_mutex_unlock(mu);
			vc_wake(vc, due);
			pthread_mutex_lock(mu);
		}
		return 1;
	}
	struct vc_waiter w = { .cv = cv, .mu = mu, .deadline = deadline };
	w.next = vc->waiters;
	if (w.next)
		w.next->prev = &w;
	vc->waiters = &w;
	pthread_mutex_unlock(&vc->lock);

	pthread_cond_wait(cv, mu);

	pthread_mutex_lock(&vc->lock);
	if (w.prev)
		w.prev->next = w.next;
	else
		vc->waiters = w.next;
	if (w.next)
		w.next->prev = w.prev;
	if (w.refs > 0) {
		/* A setter is about to lock mu to wake us: let it, then wait for it to finish. */
		pthread_mutex_unlock(&vc->lock);
		pthread_mutex_unlock(mu);
		pthread_mutex_lock(&vc->lock);
		while (w.refs > 0)
			pthread_cond_wait(&vc->unref, &vc->lock);
		pthread_mutex_unlock(&vc->lock);
		pthread_mutex_lock(mu);
		pthread_mutex_lock(&vc->lock);
	}
	int passed = vc->now >= deadline;
	pthread_mutex_unlock(&vc->lock);
	return passed;
}

static const struct vsnd_clock_ops vc_ops = {
	.now_ns = vc_now,
	.guest_ticks = vc_ticks,
	.wait_until = vc_wait,
};

/* Declared in snd_priv.h: the device core's PCM threads may wait for a boundary while a
 * sink write is in progress only if that wait cannot move the clock. */
bool vsnd_clock_passive_waits(const struct vsnd_clock *clk)
{
	if (clk->ops == &mono_ops)
		return true;
	if (clk->ops == &vc_ops)
		return !((const struct vsnd_vclock *)clk->opaque)->instant;
	return false;
}

struct vsnd_vclock *vsnd_vclock_new(uint64_t start_ns, int instant)
{
	struct vsnd_vclock *vc = calloc(1, sizeof(*vc));
	if (!vc)
		return NULL;
	if (pthread_mutex_init(&vc->lock, NULL)) {
		free(vc);
		return NULL;
	}
	if (pthread_cond_init(&vc->unref, NULL)) {
		pthread_mutex_destroy(&vc->lock);
		free(vc);
		return NULL;
	}
	vc->clk.ops = &vc_ops;
	vc->clk.opaque = vc;
	vc->now = start_ns;
	vc->instant = instant ? 1 : 0;
	return vc;
}

void vsnd_vclock_free(struct vsnd_vclock *vc)
{
	if (!vc)
		return;
	pthread_cond_destroy(&vc->unref);
	pthread_mutex_destroy(&vc->lock);
	free(vc);
}

struct vsnd_clock *vsnd_vclock_clock(struct vsnd_vclock *vc)
{
	return &vc->clk;
}

void vsnd_vclock_set(struct vsnd_vclock *vc, uint64_t now_ns)
{
	pthread_mutex_lock(&vc->lock);
	if (now_ns > vc->now)
		vc->now = now_ns;
	struct vc_waiter *due = vc_collect_due(vc);
	pthread_mutex_unlock(&vc->lock);
	vc_wake(vc, due);
}

void vsnd_vclock_set_guest_ticks(struct vsnd_vclock *vc, uint64_t ticks)
{
	pthread_mutex_lock(&vc->lock);
	vc->ticks = ticks;
	pthread_mutex_unlock(&vc->lock);
}
