/* timer.h - the hart's time base: the time CSR counts host CLOCK_MONOTONIC at a fixed rate
 * (timebase-frequency in the device tree) from the start of the run; one compare value (SBI set_timer)
 * whose crossing raises STIP. */
#ifndef SEMU_TIMER_H
#define SEMU_TIMER_H

#include <stdint.h>

#define SEMU_TIMEBASE_HZ 10000000u /* 10 MHz: 100 ns per tick */

struct semu_timer {
	uint64_t start_ns; /* host monotonic ns at tick 0 */
	uint64_t hz;
	uint64_t cmp;      /* compare; UINT64_MAX = never */
};

/* Host CLOCK_MONOTONIC in nanoseconds. */
uint64_t semu_now_ns(void);

void semu_timer_init(struct semu_timer *t, uint64_t hz, uint64_t start_ns);
/* Ticks at host time now_ns (0 before start). */
uint64_t semu_timer_ticks_at(const struct semu_timer *t, uint64_t now_ns);
/* Host ns at which the counter first reaches ticks (UINT64_MAX if beyond 2^64 ns). */
uint64_t semu_timer_ns_of(const struct semu_timer *t, uint64_t ticks);
/* True when the counter at now_ns has reached the compare value (STIP level). */
static inline int semu_timer_due(const struct semu_timer *t, uint64_t now_ns)
{
	return semu_timer_ticks_at(t, now_ns) >= t->cmp;
}

#endif
