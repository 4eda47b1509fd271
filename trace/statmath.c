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

size_t stm_percentile_rank(size_t n, double p)
{
	if (n == 0)
		return 0;
	if (p <= 0)
		return 1;
	if (p >= 100)
		return n;
	/* rank = ceil(p * n / 100); computed in long double, then guarded against rounding
	 * that would land one past an exact integer (p * n / 100 = k exactly gives k). */
	long double r = (long double)p * (long double)n / 100.0L;
	size_t rank = (size_t)ceill(r - 1e-9L);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return rank;
}

int64_t stm_percentile_sorted(const int64_t *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	return sorted[stm_percentile_rank(n, p) - 1];
}

static const double stm_pcts[3] = {50, 95, 99};

void stm_sorted_init(struct stm_sorted *a, size_t n)
{
	*a = (struct stm_sorted){.n = n};
	for (int k = 0; k < 3; k++)
		a->rank[k] = stm_percentile_rank(n, stm_pcts[k]);
}

void stm_sorted_add(struct stm_sorted *a, int64_t v)
{
	if (a->i >= a->n)
		return;
	a->i++;
	if (a->pass == 0) {
		if (a->i == 1)
			a->min = v;
		a->max = v;
		for (int k = 0; k < 3; k++)
			if (a->i == a->rank[k])
				a->at[k] = v;
		a->sum += v;
	} else {
		long double d = v - a->mean;
		a->ss += d * d;
	}
}

void stm_sorted_next_pass(struct stm_sorted *a)
{
	a->pass = 1;
	a->i = 0;
	if (a->n)
		a->mean = a->sum / a->n;
}

void stm_sorted_finish(const struct stm_sorted *a, struct stm_summary *out)
{
	*out = (struct stm_summary){.n = a->n};
	if (a->n == 0)
		return;
	out->min = a->min;
	out->max = a->max;
	out->p50 = a->at[0];
	out->p95 = a->at[1];
	out->p99 = a->at[2];
	out->mean = (double)a->mean;
	out->stddev = (double)sqrtl(a->ss / a->n);
}

void stm_summarize(int64_t *v, size_t n, struct stm_summary *out)
{
	*out = (struct stm_summary){.n = n};
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_i64);
	struct stm_sorted a;
	stm_sorted_init(&a, n);
	for (size_t i = 0; i < n; i++)
		stm_sorted_add(&a, v[i]);
	stm_sorted_next_pass(&a);
	for (size_t i = 0; i < n; i++)
		stm_sorted_add(&a, v[i]);
	stm_sorted_finish(&a, out);
}

void stm_jitter_begin(struct stm_jitacc *a, int64_t nominal)
{
	*a = (struct stm_jitacc){.nominal = nominal};
}

void stm_jitter_add(struct stm_jitacc *a, int64_t v)
{
	long double d = (long double)v - (long double)a->nominal;
	a->se += d;
	a->ss += d * d;
	if (fabsl(d) > a->mx)
		a->mx = fabsl(d);
	a->n++;
}

void stm_jitter_finish(const struct stm_jitacc *a, struct stm_jitter *out)
{
	*out = (struct stm_jitter){0};
	if (a->n == 0)
		return;
	out->rms = (double)sqrtl(a->ss / a->n);
	out->max_abs = (double)a->mx;
	out->mean_err = (double)(a->se / a->n);
}

void stm_jitter(const int64_t *v, size_t n, int64_t nominal, struct stm_jitter *out)
{
	struct stm_jitacc a;
	stm_jitter_begin(&a, nominal);
	for (size_t i = 0; i < n; i++)
		stm_jitter_add(&a, v[i]);
	stm_jitter_finish(&a, out);
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

void stm_gfit_init(struct stm_gfit *f)
{
	*f = (struct stm_gfit){0};
}

void stm_gfit_mean_add(struct stm_gfit_group *g, int64_t x, int64_t y)
{
	if (g->n == 0) {
		*g = (struct stm_gfit_group){.xa = x, .ya = y};
	}
	/* centred on the group's first point so the sums stay small */
	g->sx += (long double)(x - g->xa);
	g->sy += (long double)(y - g->ya);
	g->n++;
}

void stm_gfit_group_end(struct stm_gfit *f, struct stm_gfit_group *g)
{
	if (g->n == 0)
		return;
	g->sx /= g->n;
	g->sy /= g->n;
	f->npts += g->n;
	f->nused++;
	if (!f->have_first) {
		f->have_first = 1;
		f->first = *g;
	}
}

void stm_gfit_dev_add(struct stm_gfit *f, const struct stm_gfit_group *g, int64_t x, int64_t y)
{
	long double dx = (long double)(x - g->xa) - g->sx;
	long double dy = (long double)(y - g->ya) - g->sy;
	f->sxx += dx * dx;
	f->sxy += dx * dy;
	f->syy += dy * dy;
}

int stm_gfit_finish(const struct stm_gfit *f, struct stm_fit *out)
{
	*out = (struct stm_fit){0};
	if (f->sxx == 0)
		return -1;
	long double slope = f->sxy / f->sxx;
	out->slope = (double)slope;
	out->intercept = (double)(((long double)f->first.ya + f->first.sy) -
				  slope * ((long double)f->first.xa + f->first.sx));
	out->r2 = f->syy == 0 ? 1.0 : (double)((f->sxy * f->sxy) / (f->sxx * f->syy));
	out->slope_se = slope_se(f->sxx, f->sxy, f->syy, slope, (long)f->npts - (long)f->nused - 1);
	return 0;
}

int stm_linfit(const int64_t *x, const int64_t *y, size_t n, struct stm_fit *out)
{
	*out = (struct stm_fit){0};
	if (n < 2)
		return -1;
	size_t starts[2] = {0, n};
	return stm_linfit_groups(x, y, starts, 1, out);
}

int stm_linfit_groups(const int64_t *x, const int64_t *y, const size_t *starts, size_t ngroups,
		      struct stm_fit *out)
{
	struct stm_gfit f;
	stm_gfit_init(&f);
	for (size_t g = 0; g < ngroups; g++) {
		struct stm_gfit_group grp = {0};
		for (size_t i = starts[g]; i < starts[g + 1]; i++)
			stm_gfit_mean_add(&grp, x[i], y[i]);
		stm_gfit_group_end(&f, &grp);
		for (size_t i = starts[g]; i < starts[g + 1]; i++)
			stm_gfit_dev_add(&f, &grp, x[i], y[i]);
	}
	return stm_gfit_finish(&f, out);
}

double stm_drift_ppm(double measured, double nominal)
{
	if (nominal == 0)
		return 0;
	return (measured / nominal - 1.0) * 1e6;
}
