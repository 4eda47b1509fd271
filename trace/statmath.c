/* statmath.c - order statistics, moments, jitter and least-squares fit for `vsndtrace stats`.
 * Definitions (nearest rank, population stddev, centred OLS) are stated in statmath.h. */
#include "trace/statmath.h"

#include <math.h>
#include <stdlib.h>

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t stm_percentile_sorted(const int64_t *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	if (p <= 0)
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	/* rank = ceil(p * n / 100); computed in long double, then guarded against rounding
	 * that would land one past an exact integer (p * n / 100 = k exactly gives k). */
	long double r = (long double)p * (long double)n / 100.0L;
	size_t rank = (size_t)ceill(r - 1e-9L);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

void stm_summarize(int64_t *v, size_t n, struct stm_summary *out)
{
	*out = (struct stm_summary){.n = n};
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	out->min = v[0];
	out->max = v[n - 1];
	out->p50 = stm_percentile_sorted(v, n, 50);
	out->p95 = stm_percentile_sorted(v, n, 95);
	out->p99 = stm_percentile_sorted(v, n, 99);
	long double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	long double mean = sum / n, ss = 0;
	for (size_t i = 0; i < n; i++) {
		long double d = v[i] - mean;
		ss += d * d;
	}
	out->mean = (double)mean;
	out->stddev = (double)sqrtl(ss / n);
}

void stm_jitter(const int64_t *v, size_t n, int64_t nominal, struct stm_jitter *out)
{
	*out = (struct stm_jitter){0};
	if (n == 0)
		return;
	long double ss = 0, se = 0, mx = 0;
	for (size_t i = 0; i < n; i++) {
		long double d = (long double)v[i] - (long double)nominal;
		se += d;
		ss += d * d;
		if (fabsl(d) > mx)
			mx = fabsl(d);
	}
	out->rms = (double)sqrtl(ss / n);
	out->max_abs = (double)mx;
	out->mean_err = (double)(se / n);
}

static double slope_se(long double sxx, long double sxy, long double syy, long double slope,
		       long dof)
{
	if (dof <= 0 || sxx <= 0)
		return NAN;
	long double ssres = syy - slope * sxy;
	if (ssres < 0)
		ssres = 0; /* rounding on an exact line */
	return (double)sqrtl(ssres / dof / sxx);
}

int stm_linfit(const int64_t *x, const int64_t *y, size_t n, struct stm_fit *out)
{
	*out = (struct stm_fit){0};
	if (n < 2)
		return -1;
	long double mx = 0, my = 0;
	/* Centre on the first point first so the sums stay small, then on the means. */
	for (size_t i = 0; i < n; i++) {
		mx += (long double)(x[i] - x[0]);
		my += (long double)(y[i] - y[0]);
	}
	mx /= n;
	my /= n;
	long double sxx = 0, sxy = 0, syy = 0;
	for (size_t i = 0; i < n; i++) {
		long double dx = (long double)(x[i] - x[0]) - mx;
		long double dy = (long double)(y[i] - y[0]) - my;
		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	if (sxx == 0)
		return -1;
	long double slope = sxy / sxx;
	out->slope = (double)slope;
	out->intercept = (double)(((long double)y[0] + my) - slope * ((long double)x[0] + mx));
	out->r2 = syy == 0 ? 1.0 : (double)((sxy * sxy) / (sxx * syy));
	out->slope_se = slope_se(sxx, sxy, syy, slope, (long)n - 2);
	return 0;
}

int stm_linfit_groups(const int64_t *x, const int64_t *y, const size_t *starts, size_t ngroups,
		      struct stm_fit *out)
{
	*out = (struct stm_fit){0};
	long double sxx = 0, sxy = 0, syy = 0, first_mx = 0, first_my = 0;
	int64_t x0 = 0, y0 = 0;
	int have_first = 0;
	size_t npts = 0, nused = 0;
	for (size_t g = 0; g < ngroups; g++) {
		size_t a = starts[g], b = starts[g + 1];
		if (b <= a)
			continue;
		npts += b - a;
		nused++;
		long double mx = 0, my = 0;
		for (size_t i = a; i < b; i++) {
			mx += (long double)(x[i] - x[a]);
			my += (long double)(y[i] - y[a]);
		}
		mx /= (b - a);
		my /= (b - a);
		for (size_t i = a; i < b; i++) {
			long double dx = (long double)(x[i] - x[a]) - mx;
			long double dy = (long double)(y[i] - y[a]) - my;
			sxx += dx * dx;
			sxy += dx * dy;
			syy += dy * dy;
		}
		if (!have_first) {
			have_first = 1;
			x0 = x[a];
			y0 = y[a];
			first_mx = mx;
			first_my = my;
		}
	}
	if (sxx == 0)
		return -1;
	long double slope = sxy / sxx;
	out->slope = (double)slope;
	out->intercept =
	    (double)(((long double)y0 + first_my) - slope * ((long double)x0 + first_mx));
	out->r2 = syy == 0 ? 1.0 : (double)((sxy * sxy) / (sxx * syy));
	out->slope_se = slope_se(sxx, sxy, syy, slope, (long)npts - (long)nused - 1);
	return 0;
}

double stm_drift_ppm(double measured, double nominal)
{
	if (nominal == 0)
		return 0;
	return (measured / nominal - 1.0) * 1e6;
}
