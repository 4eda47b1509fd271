/* test_stats_math.c - unit tests of trace/statmath: nearest-rank percentiles, moments,
 * jitter and the least-squares fit that gives effective rate and drift. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "trace/statmath.h"

Test(statmath, nearest_rank_percentiles_of_1_to_100)
{
	int64_t v[100];
	for (int i = 0; i < 100; i++)
		v[i] = 100 - i; /* descending: summarize must sort */
	struct stm_summary s;
	stm_summarize(v, 100, &s);
	cr_assert_eq(s.n, 100);
	cr_assert_eq(s.min, 1);
	cr_assert_eq(s.max, 100);
	cr_assert_eq(s.p50, 50);
	cr_assert_eq(s.p95, 95);
	cr_assert_eq(s.p99, 99);
	cr_assert_float_eq(s.mean, 50.5, 1e-12);
	/* population variance of 1..100 = (100^2 - 1) / 12 */
	cr_assert_float_eq(s.stddev, sqrt(9999.0 / 12.0), 1e-9);
}

Test(statmath, nearest_rank_small_sets)
{
	int64_t a[] = {15, 20, 35, 40, 50};
	cr_assert_eq(stm_percentile_sorted(a, 5, 5), 15);
	cr_assert_eq(stm_percentile_sorted(a, 5, 30), 20);
	cr_assert_eq(stm_percentile_sorted(a, 5, 40), 20);
	cr_assert_eq(stm_percentile_sorted(a, 5, 50), 35);
	cr_assert_eq(stm_percentile_sorted(a, 5, 100), 50);
	cr_assert_eq(stm_percentile_sorted(a, 5, 0), 15);
	int64_t one[] = {7};
	cr_assert_eq(stm_percentile_sorted(one, 1, 99), 7);
	cr_assert_eq(stm_percentile_sorted(NULL, 0, 50), 0);
	/* 1000 values: p99 is rank 990, p95 rank 950 */
	int64_t *big = malloc(1000 * sizeof(*big));
	for (int i = 0; i < 1000; i++)
		big[i] = i * 10;
	cr_assert_eq(stm_percentile_sorted(big, 1000, 99), 9890);
	cr_assert_eq(stm_percentile_sorted(big, 1000, 95), 9490);
	cr_assert_eq(stm_percentile_sorted(big, 1000, 50), 4990);
	free(big);
}

Test(statmath, empty_summary_is_zero)
{
	struct stm_summary s;
	stm_summarize(NULL, 0, &s);
	cr_assert_eq(s.n, 0);
	cr_assert_eq(s.p99, 0);
	cr_assert_eq(s.mean, 0);
}

Test(statmath, jitter_against_nominal)
{
	int64_t v[] = {10, 12, 8, 10};
	struct stm_jitter j;
	stm_jitter(v, 4, 10, &j);
	cr_assert_float_eq(j.rms, sqrt(8.0 / 4), 1e-12);
	cr_assert_float_eq(j.max_abs, 2.0, 1e-12);
	cr_assert_float_eq(j.mean_err, 0.0, 1e-12);
}

Test(statmath, linfit_recovers_100ppm_on_large_timestamps)
{
	/* 48 kHz + 100 ppm; 10 ms periods for one hour; times start at 5e12 ns */
	enum { N = 360000 };
	int64_t *x = malloc(N * sizeof(*x)), *y = malloc(N * sizeof(*y));
	double rate = 48000.0 * (1 + 100e-6);
	for (int i = 0; i < N; i++) {
		y[i] = (int64_t)(i + 1) * 480;
		x[i] = 5000000000000LL + llround(y[i] / rate * 1e9) + ((i % 7) - 3) * 20000;
	}
	struct stm_fit f;
	cr_assert_eq(stm_linfit(x, y, N, &f), 0);
	double ppm = stm_drift_ppm(f.slope * 1e9, 48000);
	cr_assert(fabs(ppm - 100.0) < 0.5, "ppm %f", ppm);
	cr_assert(f.r2 > 0.999999);
	/* +-60 us of jitter over an hour: the slope is known to far better than 0.01 ppm */
	cr_assert(f.slope_se > 0 && f.slope_se * 1e9 / 48000 * 1e6 < 0.01, "se %g", f.slope_se);
	free(x);
	free(y);
}

Test(statmath, linfit_degenerate)
{
	int64_t x[] = {5, 5}, y[] = {1, 2};
	struct stm_fit f;
	cr_assert_eq(stm_linfit(x, y, 2, &f), -1);
	cr_assert_eq(stm_linfit(x, y, 1, &f), -1);
	int64_t x2[] = {0, 10}, y2[] = {3, 23};
	cr_assert_eq(stm_linfit(x2, y2, 2, &f), 0);
	cr_assert_float_eq(f.slope, 2.0, 1e-12);
	cr_assert_float_eq(f.intercept, 3.0, 1e-9);
	cr_assert(isnan(f.slope_se)); /* two points: no degrees of freedom left */
	int64_t x3[] = {0, 10, 20}, y3[] = {0, 20, 40};
	cr_assert_eq(stm_linfit(x3, y3, 3, &f), 0);
	cr_assert_float_eq(f.slope_se, 0.0, 1e-12); /* exact line */
}
