/* clock.h - the time source the device paces audio by, so the emulator, replay and tests
 * can each supply their own: the host monotonic clock, or a virtual clock driven by a caller. */
#ifndef VSND_CLOCK_H
#define VSND_CLOCK_H

#include <pthread.h>
#include <stdint.h>

struct vsnd_clock;

#define VSND_CLOCK_NEVER UINT64_MAX

/* Contract:
 * - now_ns(): monotonic nanoseconds; never decreases.
 * - guest_ticks(): the guest's timer counter at this instant (0 if there is no guest).
 * - wait_until(): called with mu held; waits on cv until now_ns() >= deadline_ns or cv is
 *   signalled (spurious returns allowed); returns with mu held. cv must have been created by
 *   vsnd_cond_init() (CLOCK_MONOTONIC). Returns 1 if the deadline has passed, 0 otherwise.
 *   deadline_ns == VSND_CLOCK_NEVER waits for a signal only (no timeout).
 *   wait_until may release mu for a while even when it returns at once (like a spurious
 *   wake-up): callers re-check their state after every return. */
struct vsnd_clock_ops {
	uint64_t (*now_ns)(struct vsnd_clock *clk);
	uint64_t (*guest_ticks)(struct vsnd_clock *clk);
	int (*wait_until)(struct vsnd_clock *clk, pthread_cond_t *cv, pthread_mutex_t *mu,
			  uint64_t deadline_ns);
};

struct vsnd_clock {
	const struct vsnd_clock_ops *ops;
	void *opaque;
};

static inline uint64_t vsnd_clock_now(struct vsnd_clock *c) { return c->ops->now_ns(c); }

/* Initialise a condition variable that timed waits measure against CLOCK_MONOTONIC. */
int vsnd_cond_init(pthread_cond_t *cv);

/* The host monotonic clock (CLOCK_MONOTONIC). guest_ticks() returns 0. */
extern struct vsnd_clock vsnd_clock_monotonic;

/* A virtual clock: time moves only when vsnd_vclock_set() is called. Waiters whose
 * deadline is reached are woken. With `instant` set, a wait advances time to its deadline
 * at once (for tests that need no external driver; a VSND_CLOCK_NEVER wait still blocks).
 * vsnd_vclock_set() never moves time backwards and must not be called while holding a
 * mutex that a waiter passed to wait_until (it locks each woken waiter's mutex briefly so
 * no wake-up is lost). */
struct vsnd_vclock;
struct vsnd_vclock *vsnd_vclock_new(uint64_t start_ns, int instant);
void vsnd_vclock_free(struct vsnd_vclock *vc);
struct vsnd_clock *vsnd_vclock_clock(struct vsnd_vclock *vc);
void vsnd_vclock_set(struct vsnd_vclock *vc, uint64_t now_ns);
void vsnd_vclock_set_guest_ticks(struct vsnd_vclock *vc, uint64_t ticks);

#endif
