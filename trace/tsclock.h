/* tsclock.h - a cheap trace clock for the recorder's producers: the x86 TSC mapped onto
 * CLOCK_MONOTONIC nanoseconds, calibrated and slewed by one updater thread (tsclock.c). */
#ifndef VT_TSCLOCK_H
#define VT_TSCLOCK_H

#include <stdint.h>
#include <time.h>

/* How it works (like the kernel's own TSC clocksource and the tracers built on it):
 * - Readers compute t = seg.ns + (((tsc - seg.tsc) * seg.mult) >> 32) from a published set of
 *   three line segments (prev, slew, steady: a segment applies from its tsc up to the next
 *   one's). Two parameter slots are double-buffered behind a generation counter `gen`: the
 *   updater fills the slot readers are not using, then publishes it with one release store.
 *   A reader loads gen, reads its TSC and the slot, and retries only if gen changed meanwhile
 *   (at most once per refresh, i.e. practically never); it never waits for the updater.
 * - gen == 0: not calibrated yet, or the TSC is not safe to use: readers call
 *   clock_gettime(CLOCK_MONOTONIC).
 * - Refresh (single updater, e.g. the recorder's writer thread at each wake-up: every 60 ms
 *   until the first calibration, then about once per commit interval): measures
 *   (TSC, CLOCK_MONOTONIC) pairs, estimates the frequency over a baseline of up to several
 *   seconds, and publishes a new slew segment that starts at a switch point about 20 ms in
 *   the future, from the OLD mapping's value there, and meets CLOCK_MONOTONIC 1 s later;
 *   then the steady segment continues at the estimated rate. Before the switch point the
 *   new parameters reproduce the old mapping exactly (prev segment), so a reader holding
 *   either generation gets the same value: the clock is continuous and never steps
 *   backwards at a refresh. A mapping more than 1 ms behind CLOCK_MONOTONIC is corrected
 *   by a forward step; one ahead of it (after a suspend: the TSC ran on, CLOCK_MONOTONIC
 *   did not) runs at most 0.5% slow until it meets it, as the clock never steps back.
 *   Between refreshes the error grows only by the rate estimate's error (measured: about
 *   100 ns over 8 s without a refresh on this VM), so an idle writer is harmless.
 * - vt_tsclock_now() uses a plain RDTSC (no fence): monotonic per thread; between threads
 *   it orders values only to within the CPU's out-of-order window (tens of ns). Use
 *   vt_tsclock_now_ordered() (LFENCE; RDTSC, about 10 ns dearer) when a value read after
 *   an acquire load must not precede the value another thread published.
 * The TSC is used only on x86-64 when /proc/cpuinfo lists constant_tsc and nonstop_tsc and
 * the kernel's clocksource is "tsc" (it then trusts the TSC across CPUs itself), and not
 * with VSNDTRACE_CLOCK=monotonic in the environment or VT_TSCLOCK_MONOTONIC. */

struct vt_tsc_seg {
	uint64_t tsc, ns, mult; /* mult: nanoseconds per tick << 32 */
};

struct vt_tsc_params {
	struct vt_tsc_seg seg[3]; /* prev (before seg[1].tsc), slew (before seg[2].tsc), steady */
};

#define VT_TSCLOCK_HIST 64

struct vt_tsclock {
	/* Read by every reader (written once per refresh). */
	uint64_t gen;                     /* atomic; slot[gen & 1] is current; 0 = fallback */
	struct vt_tsc_params slot[2];     /* fields accessed with atomic loads/stores */

	/* Updater only. */
	int use_tsc;                      /* the probe's verdict (fixed at init) */
	const char *why;                  /* the probe's reason, a string literal */
	uint64_t calib_ns;                /* first calibration interval */
	uint64_t hist_tsc[VT_TSCLOCK_HIST], hist_ns[VT_TSCLOCK_HIST]; /* calibration pairs */
	unsigned hn, hpos;                /* pairs stored, next index */
	uint64_t mult;                    /* estimated ns per tick << 32 (0 = not yet) */
	uint64_t next_tsc;                /* no refresh attempt before this TSC value */
	/* Statistics (updater writes; read them from the updater or after it stopped). */
	uint64_t refreshes, steps, late, skipped;
	int64_t last_err_ns;              /* CLOCK_MONOTONIC - mapping at the last refresh */
};

/* Flags for vt_tsclock_init(). */
#define VT_TSCLOCK_MONOTONIC 1u /* never use the TSC */

/* Probe the host, take the first calibration pair. Readers use clock_gettime() until the
 * first vt_tsclock_refresh() at least `calib_ms` (0 = 50) later. Returns 1 if the TSC will be
 * used, 0 if this instance stays on clock_gettime (reason: vt_tsclock_source()). */
int vt_tsclock_init(struct vt_tsclock *c, unsigned flags, unsigned calib_ms);

/* Recalibrate and republish if due (cheap otherwise: one RDTSC). One updater thread only.
 * Returns 1 if a new generation was published. */
int vt_tsclock_refresh(struct vt_tsclock *c);

/* "tsc" (calibrated), "tsc (calibrating)", or "monotonic (<reason>)". */
const char *vt_tsclock_source(const struct vt_tsclock *c, char *buf, unsigned len);

static inline uint64_t vt_tsclock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
static inline uint64_t vt_tsc_read(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t vt_tsc_read_ordered(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

/* The value of one segment at tsc (clamped to its start: never below seg.ns). */
static inline uint64_t vt_tsc_seg_at(uint64_t base_tsc, uint64_t base_ns, uint64_t mult,
				     uint64_t tsc)
{
	uint64_t d = tsc > base_tsc ? tsc - base_tsc : 0;
	return base_ns + (uint64_t)(((unsigned __int128)d * mult) >> 32);
}

/* The mapping described by p at tsc (for the updater and tests: plain reads). */
static inline uint64_t vt_tsc_params_at(const struct vt_tsc_params *p, uint64_t tsc)
{
	const struct vt_tsc_seg *s = &p->seg[tsc >= p->seg[2].tsc ? 2 : tsc >= p->seg[1].tsc];
	return vt_tsc_seg_at(s->tsc, s->ns, s->mult, tsc);
}

static inline uint64_t vt_tsclock_map(struct vt_tsclock *c, int ordered)
{
	for (;;) {
		uint64_t g = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
		if (__builtin_expect(g == 0, 0))
			return vt_tsclock_mono_ns();
		const struct vt_tsc_seg *s = c->slot[g & 1].seg;
		/* Load the parameters before reading the TSC and select with branches (predicted:
		 * a reader is almost always in the slew segment), so that only the compare and
		 * the multiply wait for RDTSC: a producer's next locked instruction waits for
		 * this whole chain to retire. */
		uint64_t bt = __atomic_load_n(&s[1].tsc, __ATOMIC_RELAXED);
		uint64_t bn = __atomic_load_n(&s[1].ns, __ATOMIC_RELAXED);
		uint64_t m = __atomic_load_n(&s[1].mult, __ATOMIC_RELAXED);
		uint64_t t2 = __atomic_load_n(&s[2].tsc, __ATOMIC_RELAXED);
		uint64_t tsc = ordered ? vt_tsc_read_ordered() : vt_tsc_read();
		if (__builtin_expect(tsc >= t2 || tsc < bt, 0)) {
			const struct vt_tsc_seg *o = &s[tsc >= t2 ? 2 : 0];
			bt = __atomic_load_n(&o->tsc, __ATOMIC_RELAXED);
			bn = __atomic_load_n(&o->ns, __ATOMIC_RELAXED);
			m = __atomic_load_n(&o->mult, __ATOMIC_RELAXED);
		}
		/* Pairs with the updater's release fence before it rewrites a slot: if any load
		 * above saw a newer write, this load sees a newer generation. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__builtin_expect(__atomic_load_n(&c->gen, __ATOMIC_RELAXED) == g, 1))
			return vt_tsc_seg_at(bt, bn, m, tsc);
	}
}
#else
static inline uint64_t vt_tsclock_map(struct vt_tsclock *c, int ordered)
{
	(void)c;
	(void)ordered;
	return vt_tsclock_mono_ns();
}
#endif

/* Current time in CLOCK_MONOTONIC nanoseconds (within a few microseconds of it). Any thread;
 * lock-free; never decreases as seen by one thread. */
static inline uint64_t vt_tsclock_now(struct vt_tsclock *c)
{
	return vt_tsclock_map(c, 0);
}

/* The same, ordered after every earlier load of this thread (see above). */
static inline uint64_t vt_tsclock_now_ordered(struct vt_tsclock *c)
{
	return vt_tsclock_map(c, 1);
}

#endif
