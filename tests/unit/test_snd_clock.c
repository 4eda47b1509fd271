/* test_snd_clock.c - the device's time sources: CLOCK_MONOTONIC waits and the virtual clock
 * (time moves only on set, waiters woken at their deadline, instant mode, no lost wake-ups). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <unistd.h>

#include "vsnd/clock.h"

Test(snd_clock, monotonic_waits_until_deadline)
{
	struct vsnd_clock *c = &vsnd_clock_monotonic;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	cr_assert_eq(vsnd_cond_init(&cv), 0);
	uint64_t t0 = vsnd_clock_now(c);
	cr_assert_gt(t0, 0);
	cr_expect_eq(c->ops->guest_ticks(c), 0);
	pthread_mutex_lock(&mu);
	uint64_t deadline = t0 + 20000000; /* 20 ms */
	while (!c->ops->wait_until(c, &cv, &mu, deadline))
		;
	pthread_mutex_unlock(&mu);
	cr_expect_geq(vsnd_clock_now(c), deadline);
	cr_expect_eq(c->ops->wait_until(c, &cv, &mu, t0), 1, "a past deadline returns at once");
	pthread_cond_destroy(&cv);
}

struct waiter {
	struct vsnd_clock *clk;
	pthread_mutex_t *mu;
	pthread_cond_t cv;
	uint64_t deadline;
	int done;
	uint64_t woke_at;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	pthread_mutex_lock(w->mu);
	while (!w->clk->ops->wait_until(w->clk, &w->cv, w->mu, w->deadline))
		;
	w->done = 1;
	w->woke_at = vsnd_clock_now(w->clk);
	pthread_mutex_unlock(w->mu);
	return NULL;
}

static int done_of(struct waiter *w)
{
	pthread_mutex_lock(w->mu);
	int d = w->done;
	pthread_mutex_unlock(w->mu);
	return d;
}

Test(snd_clock, virtual_time_moves_only_on_set)
{
	struct vsnd_vclock *vc = vsnd_vclock_new(1000, 0);
	struct vsnd_clock *c = vsnd_vclock_clock(vc);
	cr_expect_eq(vsnd_clock_now(c), 1000);
	vsnd_vclock_set(vc, 500); /* never backwards */
	cr_expect_eq(vsnd_clock_now(c), 1000);
	vsnd_vclock_set_guest_ticks(vc, 77);
	cr_expect_eq(c->ops->guest_ticks(c), 77);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct waiter w = { .clk = c, .mu = &mu, .deadline = 5000 };
	vsnd_cond_init(&w.cv);
	pthread_t th;
	pthread_create(&th, NULL, wait_thread, &w);
	usleep(20000);
	cr_expect_eq(done_of(&w), 0);
	vsnd_vclock_set(vc, 4999);
	usleep(20000);
	cr_expect_eq(done_of(&w), 0, "woken before its deadline");
	vsnd_vclock_set(vc, 5000);
	pthread_join(th, NULL);
	cr_expect_eq(w.done, 1);
	cr_expect_eq(w.woke_at, 5000);
	pthread_cond_destroy(&w.cv);
	vsnd_vclock_free(vc);
}

Test(snd_clock, instant_jumps_to_deadline)
{
	struct vsnd_vclock *vc = vsnd_vclock_new(0, 1);
	struct vsnd_clock *c = vsnd_vclock_clock(vc);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	vsnd_cond_init(&cv);
	pthread_mutex_lock(&mu);
	cr_expect_eq(c->ops->wait_until(c, &cv, &mu, 123456789), 1);
	cr_expect_eq(vsnd_clock_now(c), 123456789);
	cr_expect_eq(c->ops->wait_until(c, &cv, &mu, 100), 1);
	cr_expect_eq(vsnd_clock_now(c), 123456789, "time never goes back");
	pthread_mutex_unlock(&mu);
	/* A second waiter on the same mutex is woken when the first one's jump passes its
	 * deadline (the jumping waiter must not deadlock on the shared mutex). */
	struct waiter w = { .clk = c, .mu = &mu, .deadline = 200000000 };
	vsnd_cond_init(&w.cv);
	pthread_t th;
	pthread_mutex_lock(&mu);
	w.deadline = VSND_CLOCK_NEVER; /* parks until signalled */
	pthread_mutex_unlock(&mu);
	pthread_create(&th, NULL, wait_thread, &w);
	usleep(10000);
	cr_expect_eq(done_of(&w), 0, "a NEVER wait does not jump to infinity");
	pthread_mutex_lock(&mu);
	w.deadline = 200000000;
	pthread_cond_signal(&w.cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	cr_expect_eq(w.woke_at, 200000000);
	pthread_cond_destroy(&w.cv);
	pthread_cond_destroy(&cv);
	vsnd_vclock_free(vc);
}

/* Wait for every deadline 100, 200, ... up to w->deadline in turn. */
static void *chase_thread(void *arg)
{
	struct waiter *w = arg;
	pthread_mutex_lock(w->mu);
	for (uint64_t d = 100; d <= w->deadline; d += 100)
		while (!w->clk->ops->wait_until(w->clk, &w->cv, w->mu, d))
			;
	w->done = 1;
	pthread_mutex_unlock(w->mu);
	return NULL;
}

struct stepper {
	struct vsnd_vclock *vc;
	uint64_t until;
};

static void *step_thread(void *arg)
{
	struct stepper *s = arg;
	for (uint64_t t = 1; t <= s->until; t++)
		vsnd_vclock_set(s->vc, t);
	return NULL;
}

/* Two waiters with their own mutexes chase deadlines while another thread moves time in
 * steps of 1: a lost wake-up would leave a waiter blocked forever (the test times out). */
Test(snd_clock, no_lost_wakeups, .timeout = 20)
{
	struct vsnd_vclock *vc = vsnd_vclock_new(0, 0);
	struct vsnd_clock *c = vsnd_vclock_clock(vc);
	enum { STEPS = 20000 };
	pthread_mutex_t mu[2] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
	struct waiter w[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		w[i] = (struct waiter){ .clk = c, .mu = &mu[i], .deadline = STEPS };
		vsnd_cond_init(&w[i].cv);
	}
	struct stepper s = { vc, STEPS };
	pthread_t st;
	pthread_create(&st, NULL, step_thread, &s);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, chase_thread, &w[i]);
	pthread_join(st, NULL);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(w[i].done, 1);
		pthread_cond_destroy(&w[i].cv);
	}
	vsnd_vclock_free(vc);
}
