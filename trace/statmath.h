/* statmath.h - the numeric building blocks of `vsndtrace stats`: order statistics, moments,
 * jitter against a nominal value and a least-squares line fit, each defined exactly here. */
#ifndef TRACE_STATMATH_H
#define TRACE_STATMATH_H

#include <stddef.h>
#include <stdint.h>

/* Summary of a set of nanosecond values (intervals, latencies).
 * - n: count. With n == 0 every other field is 0.
 * - min, max: extremes.
 * - p50, p95, p99: nearest-rank percentiles: for P in (0,100] the value of rank
 *   ceil(P * n / 100) (1-based) in ascending order. Always one of the input values.
 * - mean: arithmetic mean. stddev: population standard deviation (divides by n). */
struct stm_summary {
	size_t n;
	int64_t min, max, p50, p95, p99;
	double mean, stddev;
};

/* Nearest-rank percentile of an ascending array (P in 0..100; P <= 0 gives the minimum). */
int64_t stm_percentile_sorted(const int64_t *sorted, size_t n, double p);

/* The 1-based rank of the nearest-rank percentile P of n values (0 when n == 0). */
size_t stm_percentile_rank(size_t n, double p);

/* Sorts v in place (ascending) and fills *out. v may be NULL when n == 0. */
void stm_summarize(int64_t *v, size_t n, struct stm_summary *out);

/* stm_summarize over n values read twice in ascending order without holding them (same
 * arithmetic in the same order, so the same result bits): stm_sorted_init, stm_sorted_add
 * for each value, stm_sorted_next_pass, stm_sorted_add for each value again, then
 * stm_sorted_finish. Values after the n-th are ignored. */
struct stm_sorted {
	size_t n, i;
	int pass;
	size_t rank[3];
	int64_t at[3], min, max;
	long double sum, mean, ss;
};
void stm_sorted_init(struct stm_sorted *a, size_t n);
void stm_sorted_add(struct stm_sorted *a, int64_t v);
void stm_sorted_next_pass(struct stm_sorted *a);
void stm_sorted_finish(const struct stm_sorted *a, struct stm_summary *out);

/* Jitter of values against a nominal value (a period):
 * - rms: sqrt(mean((v - nominal)^2)); max_abs: max |v - nominal|;
 * - mean_err: mean(v - nominal). All 0 when n == 0. */
struct stm_jitter {
	double rms, max_abs, mean_err;
};
void stm_jitter(const int64_t *v, size_t n, int64_t nominal, struct stm_jitter *out);
/* The same, value by value (stm_jitter_add in the order stm_jitter would read them). */
struct stm_jitacc {
	size_t n;
	int64_t nominal;
	long double ss, se, mx;
};
void stm_jitter_begin(struct stm_jitacc *a, int64_t nominal);
void stm_jitter_add(struct stm_jitacc *a, int64_t v);
void stm_jitter_finish(const struct stm_jitacc *a, struct stm_jitter *out);

/* Ordinary least-squares fit y = intercept + slope * x on n points (computed on centred
 * data, in long double, so nanosecond times of hour-long sessions keep full precision).
 * Returns 0, or -1 when n < 2 or all x are equal (then slope and intercept are 0). */
struct stm_fit {
	double slope, intercept;
	double r2; /* coefficient of determination; 1 when y is exactly linear */
	/* standard error of the slope: sqrt(SSres / dof / Sxx) with dof = points - intercepts
	 * - 1; NAN when dof <= 0 */
	double slope_se;
};
int stm_linfit(const int64_t *x, const int64_t *y, size_t n, struct stm_fit *out);

/* The same fit with one common slope over several groups (pooled within-group least
 * squares): each group g = points [starts[g], starts[g+1]) (starts[ngroups] = n) keeps its own
 * intercept; `intercept` reports the first group's. Used to fit frames over time across
 * pause/resume without counting the pause. Returns -1 when no group has two distinct x. */
int stm_linfit_groups(const int64_t *x, const int64_t *y, const size_t *starts, size_t ngroups,
		      struct stm_fit *out);

/* The same fits computed from a stream of points read twice in the same order (the
 * arithmetic, hence every result bit, equals stm_linfit_groups on those points):
 *   pass 1: for each group, stm_gfit_group_begin, then stm_gfit_mean_add per point;
 *   pass 2: for each group again, stm_gfit_group_resume(g), then stm_gfit_dev_add per point;
 *   stm_gfit_finish. Groups without points are skipped (begin nothing for them). */
struct stm_gfit_group {
	int64_t xa, ya; /* the group's first point */
	size_t n;
	long double sx, sy; /* pass 1: sums of (x - xa), (y - ya); then the means */
};
struct stm_gfit {
	long double sxx, sxy, syy;
	struct stm_gfit_group first; /* the first non-empty group (for the intercept) */
	int have_first;
	size_t npts, nused;
	const struct stm_gfit_group *cur; /* pass 2: the group being read */
};
void stm_gfit_init(struct stm_gfit *f);
void stm_gfit_mean_add(struct stm_gfit_group *g, int64_t x, int64_t y);
/* Ends pass 1 of group g (turns its sums into means) and counts it in f. */
void stm_gfit_group_end(struct stm_gfit *f, struct stm_gfit_group *g);
void stm_gfit_dev_add(struct stm_gfit *f, const struct stm_gfit_group *g, int64_t x, int64_t y);
/* Returns 0, or -1 when no group had two distinct x (then *out is zeroed). dof_pts: the
 * points minus the intercepts, i.e. as in stm_linfit_groups. */
int stm_gfit_finish(const struct stm_gfit *f, struct stm_fit *out);

/* Drift in parts per million of a measured rate against a nominal one:
 * (measured / nominal - 1) * 1e6. 0 when nominal is 0. */
double stm_drift_ppm(double measured, double nominal);

#endif
