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

/* Sorts v in place (ascending) and fills *out. v may be NULL when n == 0. */
void stm_summarize(int64_t *v, size_t n, struct stm_summary *out);

/* Jitter of values against a nominal value (a period):
 * - rms: sqrt(mean((v - nominal)^2)); max_abs: max |v - nominal|;
 * - mean_err: mean(v - nominal). All 0 when n == 0. */
struct stm_jitter {
	double rms, max_abs, mean_err;
};
void stm_jitter(const int64_t *v, size_t n, int64_t nominal, struct stm_jitter *out);

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

/* Drift in parts per million of a measured rate against a nominal one:
 * (measured / nominal - 1) * 1e6. 0 when nominal is 0. */
double stm_drift_ppm(double measured, double nominal);

#endif
