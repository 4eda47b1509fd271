/* test_stats_scan.c - the bounded-memory stats scan (trace/stats_scan.c) against the in-memory
 * analysis (ts_load + ts_compute), and the external sort it rests on (trace/stats_sort.c). */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "trace/reader.h"
#include "trace/stats.h"
#include "trace/stats_int.h"

struct kv {
	int64_t k, v;
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	if (x->k != y->k)
		return (x->k > y->k) - (x->k < y->k);
	return (x->v > y->v) - (x->v < y->v);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 17;
}

/* n records sorted in chunks of chunk_bytes: two readers at once both give qsort's order. */
static void check_sort(size_t n, size_t chunk_bytes)
{
	struct xs x;
	cr_assert_eq(xs_init(&x, sizeof(struct kv), chunk_bytes, cmp_kv), 0);
	struct kv *ref = malloc((n + 1) * sizeof(*ref));
	cr_assert_not_null(ref);
	uint64_t seed = 42;
	for (size_t i = 0; i < n; i++) {
		ref[i] =
		    (struct kv){(int64_t)(lcg(&seed) % 5), (int64_t)(lcg(&seed) % 100000) - 50000};
		cr_assert_eq(xs_add(&x, &ref[i]), 0);
	}
	cr_assert_eq(xs_finish(&x), 0);
	qsort(ref, n, sizeof(*ref), cmp_kv);
	struct xs_reader a, b;
	cr_assert_eq(xs_open(&x, &a), 0);
	cr_assert_eq(xs_open(&x, &b), 0);
	size_t bpos = 0;
	for (size_t i = 0; i < n; i++) {
		const struct kv *ra = xs_next(&a);
		cr_assert_not_null(ra, "record %zu of %zu missing", i, n);
		cr_assert(ra->k == ref[i].k && ra->v == ref[i].v, "record %zu out of order", i);
		if (i % 3 == 0) /* the second reader lags behind, then catches up */
			for (; bpos <= i; bpos++) {
				const struct kv *rb = xs_next(&b);
				cr_assert_not_null(rb);
				cr_assert(rb->k == ref[bpos].k && rb->v == ref[bpos].v);
			}
	}
	cr_assert_null(xs_next(&a));
	cr_assert_eq(a.err, 0);
	xs_close(&a);
	xs_close(&b);
	xs_free(&x);
	free(ref);
}

Test(stats_scan, external_sort_in_memory_and_spilled)
{
	check_sort(0, 4096);
	check_sort(1, 4096);
	check_sort(1000, 1 << 20); /* one chunk: never touches a file */
	check_sort(1000, 4096);	   /* 4 runs */
	check_sort(60000, 4096);   /* 235 runs: merged 32 at a time first */
}

/* ts_scan's results on a session file equal ts_compute's on ts_load's model, bit for bit. */
struct pts {
	struct ts_point *p;
	size_t n, cap;
	size_t *per_stream;
};

static void on_point(void *ctx, const struct ts_stream_stats *ss, const struct ts_point *p)
{
	struct pts *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->p = realloc(c->p, c->cap * sizeof(*c->p));
		cr_assert_not_null(c->p);
	}
	c->p[c->n++] = *p;
	(void)ss;
}

#define SAME_BITS(a, b, what) cr_assert(memcmp(&(a), &(b), sizeof(a)) == 0, "%s: %s", path, what)

static void compare_summary(const char *path, const struct stm_summary *a,
			    const struct stm_summary *b)
{
	cr_assert(a->n == b->n && a->min == b->min && a->max == b->max && a->p50 == b->p50 &&
		      a->p95 == b->p95 && a->p99 == b->p99,
		  "%s: summary differs", path);
	SAME_BITS(a->mean, b->mean, "mean");
	SAME_BITS(a->stddev, b->stddev, "stddev");
}

static void compare_file(const char *path, int filter)
{
	struct vt_reader *r;
	char err[256] = "";
	cr_assert_eq(vt_reader_open(path, VT_READER_NO_CHECK, &r, err, sizeof(err)), 0, "%s: %s",
		     path, err);
	struct ts_session ms, ss_;
	struct ts_stats mt, st;
	cr_assert_eq(ts_load(vt_reader_db(r), filter, &ms, err, sizeof(err)), 0, "%s: %s", path,
		     err);
	cr_assert_eq(ts_compute(&ms, &mt), 0);
	struct pts pts = {0};
	static const struct ts_scan_ops ops = {.point = on_point};
	cr_assert_eq(ts_scan(vt_reader_db(r), filter, &ops, &pts, &ss_, &st, err, sizeof(err)), 0,
		     "%s: %s", path, err);

	cr_assert_eq(st.nstreams, mt.nstreams, "%s", path);
	cr_assert_eq(ss_.io_errors, ms.io_errors, "%s", path);
	cr_assert_eq(st.invalid_requests, mt.invalid_requests, "%s", path);
	cr_assert_eq(st.have_guest_fit, mt.have_guest_fit, "%s", path);
	SAME_BITS(st.guest_hz, mt.guest_hz, "guest_hz");
	SAME_BITS(st.guest_drift_ppm, mt.guest_drift_ppm, "guest drift");
	cr_assert_eq(st.nctl, mt.nctl, "%s", path);
	for (size_t i = 0; i < st.nctl; i++) {
		cr_assert(st.ctl[i].code == mt.ctl[i].code && st.ctl[i].count == mt.ctl[i].count &&
			      st.ctl[i].ok == mt.ctl[i].ok,
			  "%s", path);
		compare_summary(path, &st.ctl[i].latency, &mt.ctl[i].latency);
	}
	size_t k = 0;
	for (size_t i = 0; i < st.nstreams; i++) {
		const struct ts_stream_stats *a = &st.streams[i], *b = &mt.streams[i];
		cr_assert_eq(a->s->nmsgs, b->s->nmsgs, "%s", path);
		cr_assert_eq(a->s->pcm_bytes, b->s->pcm_bytes, "%s", path);
		cr_assert_eq(a->frames, b->frames, "%s", path);
		cr_assert_eq(a->npoints, b->npoints, "%s", path);
		for (size_t j = 0; j < a->npoints; j++, k++) {
			cr_assert_lt(k, pts.n, "%s", path);
			const struct ts_point *p = &pts.p[k], *q = &b->points[j];
			cr_assert(p->seq == q->seq && p->chain == q->chain && p->t_ns == q->t_ns &&
				      p->interval_ns == q->interval_ns && p->fill == q->fill &&
				      p->frames == q->frames && p->latency_ns == q->latency_ns,
				  "%s: point %zu of stream entry %zu", path, j, i);
		}
		SAME_BITS(a->nominal_s, b->nominal_s, "nominal_s");
		SAME_BITS(a->wall_s, b->wall_s, "wall_s");
		cr_assert_eq(a->have_fit, b->have_fit, "%s", path);
		SAME_BITS(a->eff_rate_hz, b->eff_rate_hz, "effective rate");
		SAME_BITS(a->drift_ppm, b->drift_ppm, "drift");
		SAME_BITS(a->fit_r2, b->fit_r2, "r2");
		SAME_BITS(a->drift_se_ppm, b->drift_se_ppm, "drift stderr");
		compare_summary(path, &a->interval, &b->interval);
		compare_summary(path, &a->latency, &b->latency);
		SAME_BITS(a->jitter, b->jitter, "jitter");
		cr_assert(a->depth_min == b->depth_min && a->depth_max == b->depth_max, "%s", path);
		SAME_BITS(a->depth_mean, b->depth_mean, "depth mean");
		cr_assert_eq(a->nstarts, b->nstarts, "%s", path);
		for (size_t j = 0; j < a->nstarts; j++)
			cr_assert_eq(a->prebuffered[j], b->prebuffered[j], "%s", path);
		cr_assert_eq(a->nstalls, b->nstalls, "%s", path);
		for (size_t j = 0; j < a->nstalls; j++) {
			cr_assert_eq(a->stalls[j].start_ns, b->stalls[j].start_ns, "%s", path);
			cr_assert_eq(a->stalls[j].end_ns, b->stalls[j].end_ns, "%s", path);
			cr_assert_str_eq(a->stalls[j].after, b->stalls[j].after, "%s", path);
		}
		cr_assert(a->underruns == b->underruns && a->xruns == b->xruns &&
			      a->errors == b->errors,
			  "%s", path);
	}
	cr_assert_eq(k, pts.n, "%s", path);
	free(pts.p);
	ts_stats_free(&st);
	ts_session_free(&ss_);
	ts_stats_free(&mt);
	ts_session_free(&ms);
	vt_reader_close(r);
}

Test(stats_scan, equals_the_in_memory_analysis_on_every_stored_session, .timeout = 60)
{
	glob_t g;
	cr_assert_eq(glob("tests/traces/*.db", 0, NULL, &g), 0,
		     "no tests/traces/*.db (run from the top)");
	cr_assert_gt(g.gl_pathc, 10);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		compare_file(g.gl_pathv[i], -1);
		compare_file(g.gl_pathv[i], 0);
	}
	globfree(&g);
}

static int stop_at_begin(void *ctx, const struct ts_session *s)
{
	*(size_t *)ctx = s->nstreams;
	return 1;
}

Test(stats_scan, begin_can_stop_the_scan)
{
	struct vt_reader *r;
	char err[256] = "";
	cr_assert_eq(
	    vt_reader_open("tests/traces/synth-pause.db", VT_READER_NO_CHECK, &r, err, sizeof(err)),
	    0, "%s", err);
	struct ts_session s;
	struct ts_stats st;
	size_t n = 99;
	static const struct ts_scan_ops ops = {.begin = stop_at_begin};
	cr_assert_eq(ts_scan(vt_reader_db(r), 7, &ops, &n, &s, &st, err, sizeof(err)), 1);
	cr_assert_eq(n, 0); /* no stream 7 */
	cr_assert_eq(st.nstreams, 0);
	ts_session_free(&s);
	vt_reader_close(r);
}
