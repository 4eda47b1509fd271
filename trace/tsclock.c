/* tsclock.c - the recorder's cheap trace clock: host probe, TSC calibration against
 * CLOCK_MONOTONIC and the continuous, monotonic republishing of the mapping (tsclock.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/tsclock.h"

#define DEFAULT_CALIB_MS 50
#define PAIR_TRIES 7                  /* brackets per calibration pair; the tightest is kept */
#define MAX_BRACKET_TICKS 50000u      /* a bracket wider than this (~10+ us) is no use */
#define REFRESH_NS 50000000u          /* at most one refresh per 50 ms */
#define SWITCH_AHEAD_NS 20000000u     /* the new segment starts this far in the future */
#define SLEW_NS 1000000000u           /* an error is slewed away over 1 s */
#define STEP_NS 1000000               /* mapping behind CLOCK_MONOTONIC by more: step forward */
#define MAX_SLEW_NS 5000000           /* 0.5% of SLEW_NS: the most slewed away per window */

#if defined(__x86_64__)
/* 1 if the first "flags" line of /proc/cpuinfo lists both flags. */
static int cpu_has_stable_tsc(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	int ok = 0;
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "flags", 5) != 0 || !colon)
			continue;
		int constant = 0, nonstop = 0;
		for (char *save = NULL, *t = strtok_r(colon + 1, " \t\n", &save); t;
		     t = strtok_r(NULL, " \t\n", &save)) {
			constant |= strcmp(t, "constant_tsc") == 0;
			nonstop |= strcmp(t, "nonstop_tsc") == 0;
		}
		ok = constant && nonstop;
		break;
	}
	free(line);
	fclose(f);
	return ok;
}

static int kernel_uses_tsc(void)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");
	if (!f)
		return 0;
	char cs[32] = "";
	int ok = fgets(cs, sizeof(cs), f) && strcmp(cs, "tsc\n") == 0;
	fclose(f);
	return ok;
}

/* One (TSC, CLOCK_MONOTONIC) pair: the clock read bracketed by two ordered TSC reads, the
 * tightest of PAIR_TRIES. *lo_tsc is the first TSC read of that bracket (CLOCK_MONOTONIC
 * there was <= *ns), *mid_tsc the middle of the bracket (the unbiased estimate). Returns
 * 0, or -1 if every bracket was too wide (the thread kept being interrupted). */
static int take_pair(uint64_t *lo_tsc, uint64_t *mid_tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < PAIR_TRIES; i++) {
		uint64_t a = vt_tsc_read_ordered();
		uint64_t n = vt_tsclock_mono_ns();
		uint64_t b = vt_tsc_read_ordered();
		if (b - a < best) {
			best = b - a;
			*lo_tsc = a;
			*mid_tsc = a + (b - a) / 2;
			*ns = n;
		}
	}
	return best <= MAX_BRACKET_TICKS ? 0 : -1;
}

static uint64_t ns_to_ticks(uint64_t mult, uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns << 32) / mult);
}

static void push_pair(struct vt_tsclock *c, uint64_t tsc, uint64_t ns)
{
	c->hist_tsc[c->hpos] = tsc;
	c->hist_ns[c->hpos] = ns;
	c->hpos = (c->hpos + 1) % VT_TSCLOCK_HIST;
	if (c->hn < VT_TSCLOCK_HIST)
		c->hn++;
}

/* ns per tick << 32 between the oldest stored pair and (tsc, ns); 0 if not measurable. */
static uint64_t estimate_mult(const struct vt_tsclock *c, uint64_t tsc, uint64_t ns)
{
	unsigned oldest = c->hn < VT_TSCLOCK_HIST ? 0 : c->hpos;
	uint64_t t0 = c->hist_tsc[oldest], n0 = c->hist_ns[oldest];
	if (tsc <= t0 || ns <= n0)
		return 0;
	unsigned __int128 m = ((unsigned __int128)(ns - n0) << 32) / (tsc - t0);
	return m > 0 && m < ((unsigned __int128)1 << 40) ? (uint64_t)m : 0;
}

static void seg_store(struct vt_tsc_seg *d, uint64_t tsc, uint64_t ns, uint64_t mult)
{
	__atomic_store_n(&d->tsc, tsc, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ns, ns, __ATOMIC_RELAXED);
	__atomic_store_n(&d->mult, mult, __ATOMIC_RELAXED);
}

/* Fill the slot of generation g + 1 and publish it, unless the switch point `sw` is too close
 * (the updater was delayed): then nothing is published (returns 0). The check right before
 * the store keeps every reader of generation g before sw: their values agree with g + 1's
 * prev segment. */
static int publish(struct vt_tsclock *c, const struct vt_tsc_seg seg[3], uint64_t sw,
		   uint64_t guard_ticks)
{
	uint64_t g = c->gen; /* only the updater writes gen */
	struct vt_tsc_params *p = &c->slot[(g + 1) & 1];
	/* Pairs with the readers' acquire fence: a reader of generation g - 1 (same slot) that
	 * sees any store below also sees gen >= g and retries. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++)
		seg_store(&p->seg[i], seg[i].tsc, seg[i].ns, seg[i].mult);
	if (vt_tsc_read_ordered() + guard_ticks >= sw) {
		c->skipped++;
		return 0;
	}
	__atomic_store_n(&c->gen, g + 1, __ATOMIC_RELEASE);
	if (vt_tsc_read_ordered() >= sw)
		c->late++; /* preempted between the check and the store: counted, not expected */
	return 1;
}
#endif

int vt_tsclock_init(struct vt_tsclock *c, unsigned flags, unsigned calib_ms)
{
	memset(c, 0, sizeof(*c));
	c->calib_ns = (uint64_t)(calib_ms ? calib_ms : DEFAULT_CALIB_MS) * 1000000u;
	const char *env = getenv("VSNDTRACE_CLOCK");
#if defined(__x86_64__)
	if (flags & VT_TSCLOCK_MONOTONIC)
		c->why = "requested";
	else if (env && strcmp(env, "monotonic") == 0)
		c->why = "VSNDTRACE_CLOCK=monotonic";
	else if (!cpu_has_stable_tsc())
		c->why = "no constant_tsc/nonstop_tsc";
	else if (!kernel_uses_tsc())
		c->why = "kernel clocksource is not tsc";
	else
		c->use_tsc = 1;
	if (c->use_tsc) {
		uint64_t lo, mid, ns;
		if (take_pair(&lo, &mid, &ns) < 0) {
			c->use_tsc = 0;
			c->why = "calibration failed";
		} else {
			push_pair(c, mid, ns);
		}
	}
#else
	(void)flags;
	(void)env;
	c->why = "not x86-64";
#endif
	return c->use_tsc;
}

#if defined(__x86_64__)
/* The first calibration: publish generation 1 from the pair (lo, ns). CLOCK_MONOTONIC at lo
 * was <= ns, so the mapping starts at or slightly (less than the bracket) above
 * CLOCK_MONOTONIC: a reader that read clock_gettime() before cannot then read less. */
static int first_publish(struct vt_tsclock *c, uint64_t lo, uint64_t mid, uint64_t ns)
{
	uint64_t m = estimate_mult(c, mid, ns);
	if (!m)
		return 0;
	c->mult = m;
	push_pair(c, mid, ns);
	struct vt_tsc_seg s = { lo, ns, m };
	struct vt_tsc_seg seg[3] = { s, s, s };
	__atomic_thread_fence(__ATOMIC_RELEASE);
	struct vt_tsc_params *p = &c->slot[1];
	for (int i = 0; i < 3; i++)
		seg_store(&p->seg[i], seg[i].tsc, seg[i].ns, seg[i].mult);
	__atomic_store_n(&c->gen, 1, __ATOMIC_RELEASE);
	c->refreshes++;
	c->next_tsc = mid + ns_to_ticks(m, REFRESH_NS);
	return 1;
}
#endif

int vt_tsclock_refresh(struct vt_tsclock *c)
{
#if defined(__x86_64__)
	if (!c->use_tsc)
		return 0;
	uint64_t now = vt_tsc_read();
	if (c->gen && now < c->next_tsc)
		return 0;
	uint64_t lo, mid, ns;
	if (!c->gen) {
		if (vt_tsclock_mono_ns() - c->hist_ns[0] < c->calib_ns)
			return 0;
		if (take_pair(&lo, &mid, &ns) < 0)
			return 0;
		return first_publish(c, lo, mid, ns);
	}
	if (take_pair(&lo, &mid, &ns) < 0)
		return 0;
	const struct vt_tsc_seg *cur = c->slot[c->gen & 1].seg;
	struct vt_tsc_seg slew = cur[1], steady = cur[2];
	uint64_t ahead = ns_to_ticks(c->mult, SWITCH_AHEAD_NS);
	uint64_t sw = mid + ahead;
	/* The new prev segment must be the one segment of the current mapping that covers
	 * [now, sw): wait until the current switch point has passed, and do not straddle the
	 * end of the current slew. */
	if (mid < slew.tsc || (mid < steady.tsc && sw > steady.tsc)) {
		c->next_tsc = mid + ahead / 4;
		return 0;
	}
	struct vt_tsc_seg prev = mid >= steady.tsc ? steady : slew;
	uint64_t v = vt_tsc_seg_at(prev.tsc, prev.ns, prev.mult, sw);

	/* Since the last stored pair, did the TSC run on while CLOCK_MONOTONIC did not (a
	 * suspend)? Then the baseline is useless: start a new one, keep the last rate. */
	unsigned last = (c->hpos + VT_TSCLOCK_HIST - 1) % VT_TSCLOCK_HIST;
	uint64_t m = 0;
	if (mid > c->hist_tsc[last] &&
	    vt_tsc_seg_at(c->hist_tsc[last], c->hist_ns[last], c->mult, mid) <= ns + STEP_NS)
		m = estimate_mult(c, mid, ns);
	if (!m) {
		c->hn = c->hpos = 0;
		push_pair(c, mid, ns);
		m = c->mult;
	}
	/* CLOCK_MONOTONIC predicted at sw and one slew window later. */
	uint64_t mono_sw = vt_tsc_seg_at(mid, ns, m, sw);
	uint64_t win = ns_to_ticks(m, SLEW_NS);
	uint64_t mono_end = vt_tsc_seg_at(mid, ns, m, sw + win);
	int64_t err = (int64_t)(mono_sw - v);
	struct vt_tsc_seg seg[3];
	seg[0] = prev;
	if (err > STEP_NS) {
		/* Far behind (e.g. the writer slept through a long stall with a poor estimate):
		 * step forward, which keeps the clock monotonic. */
		v = mono_sw;
		c->steps++;
	} else if (err < -MAX_SLEW_NS) {
		mono_end = v + SLEW_NS - MAX_SLEW_NS; /* ahead: slow down by at most 0.5% */
	}
	uint64_t slew_mult = (uint64_t)(((unsigned __int128)(mono_end - v) << 32) / win);
	seg[1] = (struct vt_tsc_seg){ sw, v, slew_mult };
	seg[2] = (struct vt_tsc_seg){ sw + win, vt_tsc_seg_at(sw, v, slew_mult, sw + win), m };
	if (!publish(c, seg, sw, ahead / 2))
		return 0;
	c->mult = m;
	c->last_err_ns = err;
	c->refreshes++;
	push_pair(c, mid, ns);
	c->next_tsc = mid + ns_to_ticks(m, REFRESH_NS);
	return 1;
#else
	(void)c;
	return 0;
#endif
}

const char *vt_tsclock_source(const struct vt_tsclock *c, char *buf, unsigned len)
{
	if (c->use_tsc)
		snprintf(buf, len, "%s",
			 __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE) ? "tsc" : "tsc (calibrating)");
	else
		snprintf(buf, len, "monotonic (%s)", c->why ? c->why : "?");
	return buf;
}
