/* timer.c - conversion between host monotonic nanoseconds and guest timer ticks. Ticks are
 * floor(elapsed_ns * hz / 1e9), so time never runs backwards and a deadline computed with
 * semu_timer_ns_of() is exactly the first instant the compare is reached. */
#include "semu/timer.h"

#include <time.h>

uint64_t semu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void semu_timer_init(struct semu_timer *t, uint64_t hz, uint64_t start_ns)
{
	t->start_ns = start_ns;
	t->hz = hz ? hz : SEMU_TIMEBASE_HZ;
	t->cmp = UINT64_MAX;
}

uint64_t semu_timer_ticks_at(const struct semu_timer *t, uint64_t now_ns)
{
	if (now_ns <= t->start_ns)
		return 0;
	unsigned __int128 el = now_ns - t->start_ns;
	return (uint64_t)(el * t->hz / 1000000000u);
}

uint64_t semu_timer_ns_of(const struct semu_timer *t, uint64_t ticks)
{
	/* smallest ns with floor(ns * hz / 1e9) >= ticks: ceil(ticks * 1e9 / hz) */
	unsigned __int128 ns = ((unsigned __int128)ticks * 1000000000u + t->hz - 1) / t->hz;
	ns += t->start_ns;
	if (ns > UINT64_MAX)
		return UINT64_MAX;
	return (uint64_t)ns;
}
