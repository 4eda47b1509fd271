/* stats_scan.c - `vsndtrace stats` in memory bounded by the session's buffers, not its length:
 * the statistics of stats.c over per-message values spilled to sorted temporary files. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/stats.h"
#include "trace/stats_int.h"

/* Memory of each sort before it spills to its temporary file. */
#define SCAN_CHUNK (1u << 20)

/* A completed message in walk order: by entry, completion time, chain id. The first two
 * fields double as a (key, value) pair: entry, completion time. */
struct mrec {
	int64_t sidx, t_done, chain, t_deq, done_id, frames;
};
/* (entry, value), sorted by entry then value. */
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

static int cmp_mrec(const void *a, const void *b)
{
	const struct mrec *x = a, *y = b;
	if (x->sidx != y->sidx)
		return (x->sidx > y->sidx) - (x->sidx < y->sidx);
	if (x->t_done != y->t_done)
		return (x->t_done > y->t_done) - (x->t_done < y->t_done);
	return (x->chain > y->chain) - (x->chain < y->chain);
}

/* Per stream entry while scanning. */
struct scan_entry {
	size_t ndone; /* completed messages */
	int use_ids;  /* every completion has an event id (fill by recording order) */
};

/* A stall whose `after` still needs each entry's last completion before `t`. */
struct pend {
	size_t ent, k;
	int64_t t, best_t;
};

struct scan {
	struct ts_session *sess;
	struct scan_entry *ent;
	size_t nent;
	/* walk: completed messages; deq, ids: every message's arrival time, chain id; dids:
	 * completions' event ids; lat: latencies; ivs: completion intervals */
	struct xs walk, deq, ids, dids, lat, ivs;
	struct pend *pend;
	size_t npend;
	char *err;
	size_t errlen;
};

static int nomem(struct scan *S)
{
	snprintf(S->err, S->errlen, "out of memory or temporary file error");
	return -1;
}

/* ts_msg_fn: one message into the sorts. */
static int scan_msg(void *ctx, struct ts_session *s, struct ts_stream *x, const struct ts_msg *m)
{
	struct scan *S = ctx;
	size_t idx = (size_t)(x - s->streams);
	if (idx >= S->nent) {
		struct scan_entry *n = realloc(S->ent, s->nstreams * sizeof(*n));
		if (!n)
			return -1;
		for (size_t i = S->nent; i < s->nstreams; i++)
			n[i] = (struct scan_entry){.use_ids = 1};
		S->ent = n;
		S->nent = s->nstreams;
	}
	int64_t k = (int64_t)idx;
	if (xs_add(&S->deq, &(struct kv){k, m->t_deq_ns}) ||
	    xs_add(&S->ids, &(struct kv){k, (int64_t)m->chain}))
		return -1;
	x->nmsgs++;
	if (m->t_done_ns >= 0) {
		S->ent[idx].ndone++;
		if (!m->done_id)
			S->ent[idx].use_ids = 0;
		struct mrec r = {k,	      m->t_done_ns,	   (int64_t)m->chain,
				 m->t_deq_ns, (int64_t)m->done_id, m->frames};
		if (xs_add(&S->walk, &r) ||
		    xs_add(&S->dids, &(struct kv){k, (int64_t)m->done_id}) ||
		    xs_add(&S->lat, &(struct kv){k, m->t_done_ns - m->t_deq_ns}))
			return -1;
	}
	return 0;
}

/* A forward cursor over the values of one entry in a (key, value) sort: count_le of
 * stats.c without the array. */
struct cur {
	struct xs_reader r;
	const struct kv *at; /* current record of the entry, NULL past its last */
	int64_t k;
	size_t pos;
};

static void cur_step(struct cur *c)
{
	c->at = xs_next(&c->r);
	if (c->at && c->at->k != c->k)
		c->at = NULL;
}

static int cur_open(struct cur *c, struct xs *x, size_t idx)
{
	memset(c, 0, sizeof(*c));
	c->k = (int64_t)idx;
	if (xs_open(x, &c->r))
		return -1;
	do
		c->at = xs_next(&c->r);
	while (c->at && c->at->k < c->k);
	if (c->at && c->at->k != c->k)
		c->at = NULL;
	return c->r.err ? -1 : 0;
}

static void cur_close(struct cur *c)
{
	xs_close(&c->r);
}

/* Values read so far plus those <= t (the cursor only moves forward). */
static size_t cur_count_le(struct cur *c, int64_t t)
{
	while (c->at && c->at->v <= t) {
		c->pos++;
		cur_step(c);
	}
	return c->pos;
}

/* stm_summarize over the values of entry idx in sort x (n of them), read twice in order. */
static int summarize(struct scan *S, struct xs *x, size_t idx, size_t n, struct stm_summary *out)
{
	struct stm_sorted a;
	stm_sorted_init(&a, n);
	for (int pass = 0; n && pass < 2; pass++) {
		struct cur c;
		if (cur_open(&c, x, idx))
			return nomem(S);
		for (; c.at; cur_step(&c))
			stm_sorted_add(&a, c.at->v);
		int bad = c.r.err;
		cur_close(&c);
		if (bad)
			return nomem(S);
		if (!pass)
			stm_sorted_next_pass(&a);
	}
	stm_sorted_finish(&a, out);
	return 0;
}

/* The completions inside runs, in time order: the run of each (-1 outside every run). */
struct walk {
	const struct ts_stream *s;
	size_t r;
	long cur_run;
};

static long walk_run(struct walk *w, int64_t t)
{
	const struct ts_stream *s = w->s;
	while (w->r < s->nruns && s->run_end[w->r] <= t)
		w->r++;
	if (w->r >= s->nruns || t < s->run_start[w->r])
		return -1; /* completed outside RUNNING (flush at RELEASE, error) */
	return (long)w->r;
}

/* A cursor over the completed messages of one entry, in walk order. */
struct wcur {
	struct xs_reader r;
	const struct mrec *at;
	int64_t k;
};

static int wcur_open(struct wcur *c, struct xs *x, size_t idx)
{
	memset(c, 0, sizeof(*c));
	c->k = (int64_t)idx;
	if (xs_open(x, &c->r))
		return -1;
	do
		c->at = xs_next(&c->r);
	while (c->at && c->at->sidx < c->k);
	if (c->at && c->at->sidx != c->k)
		c->at = NULL;
	return c->r.err ? -1 : 0;
}

static void wcur_step(struct wcur *c)
{
	c->at = xs_next(&c->r);
	if (c->at && c->at->sidx != c->k)
		c->at = NULL;
}

static int add_pending_stall(struct scan *S, size_t idx, struct ts_stream_stats *ss, int64_t a,
			     int64_t b)
{
	struct ts_stall *n = realloc(ss->stalls, (ss->nstalls + 1) * sizeof(*n));
	struct pend *p = realloc(S->pend, (S->npend + 1) * sizeof(*p));
	if (n)
		ss->stalls = n;
	if (p)
		S->pend = p;
	if (!n || !p)
		return nomem(S);
	struct pend *q = &S->pend[S->npend++];
	q->ent = idx;
	q->k = ss->nstalls++;
	q->t = ts_stall_init(&n[q->k], S->sess, a, b, ss->period_ns, &q->best_t);
	return 0;
}

/* stream_stats of stats.c, reading the sorts instead of arrays (same order, same
 * arithmetic); stalls get their `after` in resolve_stalls. */
static int stream_scan(struct scan *S, size_t idx, const struct ts_scan_ops *ops, void *ctx,
		       struct ts_stream_stats *ss)
{
	const struct ts_session *sess = S->sess;
	const struct ts_stream *s = &sess->streams[idx];
	struct scan_entry e = idx < S->nent ? S->ent[idx] : (struct scan_entry){.use_ids = 1};
	int rc = -1;
	memset(ss, 0, sizeof(*ss));
	ss->s = s;
	if (s->rate_hz && s->frame_bytes)
		ss->period_ns = (double)s->period_bytes / s->frame_bytes / s->rate_hz * 1e9;
	struct cur a = {0}, b = {0};
	struct wcur w0 = {0};
	struct stm_gfit_group *grp = calloc(s->nruns + 1, sizeof(*grp));
	int64_t *glast = calloc(s->nruns + 1, sizeof(*glast));
	ss->prebuffered = calloc(s->nruns + 1, sizeof(*ss->prebuffered));
	if (!grp || !glast || !ss->prebuffered) {
		nomem(S);
		goto out;
	}

	/* Messages held at each START (run starts ascend: controls are read in time order). */
	if (cur_open(&a, &S->deq, idx) || cur_open(&b, &S->walk, idx))
		goto io;
	for (size_t r = 0; r < s->nruns; r++) {
		int64_t t = s->run_start[r];
		ss->prebuffered[r] = (uint32_t)(cur_count_le(&a, t) - cur_count_le(&b, t));
	}
	ss->nstarts = s->nruns;
	if (a.r.err || b.r.err)
		goto io;
	cur_close(&a);
	cur_close(&b);

	/* Walk completions in time order, assigning each to the run containing it. */
	if (e.use_ids ? cur_open(&a, &S->ids, idx) || cur_open(&b, &S->dids, idx)
		      : cur_open(&a, &S->deq, idx) || cur_open(&b, &S->walk, idx))
		goto io;
	if (wcur_open(&w0, &S->walk, idx))
		goto io;
	struct walk w = {.s = s, .cur_run = -1};
	struct stm_jitacc jit;
	stm_jitter_begin(&jit, (int64_t)(ss->period_ns + 0.5));
	size_t np = 0, ng = 0, niv = 0;
	int64_t prev = 0;
	uint64_t cum = 0;
	double depth_sum = 0;
	for (; w0.at; wcur_step(&w0)) {
		const struct mrec *m = w0.at;
		int64_t t = m->t_done;
		long r = walk_run(&w, t);
		if (r < 0)
			continue;
		if (r != w.cur_run) {
			w.cur_run = r;
			ng++;
			prev = -1;
		}
		struct ts_point p = {
		    .seq = np,
		    .chain = (uint64_t)m->chain,
		    .t_ns = t,
		    .interval_ns = prev >= 0 ? t - prev : -1,
		};
		if (prev >= 0) {
			stm_jitter_add(&jit, t - prev);
			if (xs_add(&S->ivs, &(struct kv){(int64_t)idx, t - prev}))
				goto io;
			niv++;
		}
		prev = t;
		size_t held;
		if (e.use_ids) /* arrivals before this completion in recording order */
			held = cur_count_le(&a, m->done_id - 1) - cur_count_le(&b, m->done_id);
		else
			held = cur_count_le(&a, t) - cur_count_le(&b, t);
		p.fill = (uint32_t)held;
		cum += (uint32_t)m->frames;
		p.frames = cum;
		p.latency_ns = t - m->t_deq;
		stm_gfit_mean_add(&grp[ng - 1], t, (int64_t)cum);
		glast[ng - 1] = t;
		if (np == 0 || held < ss->depth_min)
			ss->depth_min = (uint32_t)held;
		if (held > ss->depth_max)
			ss->depth_max = (uint32_t)held;
		depth_sum += held;
		np++;
		if (ops && ops->point)
			ops->point(ctx, ss, &p);
	}
	if (w0.r.err || a.r.err || b.r.err)
		goto io;
	xs_close(&w0.r);
	cur_close(&a);
	cur_close(&b);
	ss->npoints = np;
	ss->frames = cum;
	ss->depth_mean = np ? depth_sum / np : 0;
	if (s->rate_hz)
		ss->nominal_s = (double)cum / s->rate_hz;

	/* Wall-clock: per run, from START to its last completion. */
	for (size_t g = 0; g < ng; g++)
		ss->wall_s += ts_run_wall_s(s, glast[g]);

	/* The pooled fit: a second walk for the deviations from each run's means. */
	if (np >= 2) {
		struct stm_gfit f;
		stm_gfit_init(&f);
		for (size_t g = 0; g < ng; g++)
			stm_gfit_group_end(&f, &grp[g]);
		if (wcur_open(&w0, &S->walk, idx))
			goto io;
		w = (struct walk){.s = s, .cur_run = -1};
		size_t g = 0;
		cum = 0;
		for (; w0.at; wcur_step(&w0)) {
			int64_t t = w0.at->t_done;
			long r = walk_run(&w, t);
			if (r < 0)
				continue;
			if (r != w.cur_run) {
				if (w.cur_run >= 0)
					g++;
				w.cur_run = r;
			}
			cum += (uint32_t)w0.at->frames;
			stm_gfit_dev_add(&f, &grp[g], t, (int64_t)cum);
		}
		if (w0.r.err)
			goto io;
		xs_close(&w0.r);
		struct stm_fit fit;
		if (stm_gfit_finish(&f, &fit) == 0) {
			ss->have_fit = 1;
			ss->eff_rate_hz = fit.slope * 1e9;
			ss->drift_ppm = stm_drift_ppm(ss->eff_rate_hz, s->rate_hz);
			ss->fit_r2 = fit.r2;
			ss->drift_se_ppm = s->rate_hz ? fit.slope_se * 1e9 / s->rate_hz * 1e6 : NAN;
		}
	}
	stm_jitter_finish(&jit, &ss->jitter);
	ss->interval.n = niv; /* summarized once every interval is in (scan_stats) */
	ss->latency.n = e.ndone;

	/* Stalls: gaps of more than two periods between message arrivals inside a run. */
	if (ss->period_ns > 0) {
		if (cur_open(&a, &S->deq, idx))
			goto io;
		double lim = 2 * ss->period_ns;
		for (size_t rr = 0; rr < s->nruns; rr++) {
			int64_t ra = s->run_start[rr], rb = s->run_end[rr], last = ra;
			cur_count_le(&a, ra);
			for (; a.at && a.at->v <= rb; cur_step(&a)) {
				int64_t d = a.at->v;
				if ((double)(d - last) > lim &&
				    add_pending_stall(S, idx, ss, last, d))
					goto out;
				last = d;
			}
			if ((double)(rb - last) > lim && add_pending_stall(S, idx, ss, last, rb))
				goto out;
		}
		if (a.r.err)
			goto io;
	}
	ts_count_sinkevs(sess, ss);
	rc = 0;
	goto out;
io:
	nomem(S);
out:
	cur_close(&a);
	cur_close(&b);
	xs_close(&w0.r);
	free(grp);
	free(glast);
	return rc;
}

static int cmp_pend(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	if (x->ent != y->ent)
		return (x->ent > y->ent) - (x->ent < y->ent);
	return (x->k > y->k) - (x->k < y->k);
}

/* Each stall's `after`: every entry's last completion at or before the stall's moment,
 * entries in order (ts_stall_offer), one walk per entry over the stalls sorted by time. */
static int resolve_stalls(struct scan *S, struct ts_stats *st)
{
	if (!S->npend)
		return 0;
	qsort(S->pend, S->npend, sizeof(*S->pend), cmp_pend);
	for (size_t o = 0; o < S->sess->nstreams; o++) {
		struct wcur c;
		if (wcur_open(&c, &S->walk, o))
			return nomem(S);
		int have = 0;
		int64_t td = 0, chain = 0;
		for (size_t i = 0; i < S->npend; i++) {
			struct pend *p = &S->pend[i];
			for (; c.at && c.at->t_done <= p->t; wcur_step(&c)) {
				have = 1;
				td = c.at->t_done;
				chain = c.at->chain;
			}
			if (have)
				ts_stall_offer(&st->streams[p->ent].stalls[p->k], &p->best_t,
					       &S->sess->streams[o], td, (uint64_t)chain);
		}
		int bad = c.r.err;
		xs_close(&c.r);
		if (bad)
			return nomem(S);
	}
	return 0;
}

static int gfail(sqlite3 *db, struct scan *S)
{
	snprintf(S->err, S->errlen, "chain ticks: %s", sqlite3_errmsg(db));
	return -1;
}

/* The guest clock fit of ts_compute over (arrival time, ticks) pairs, read twice. */
static int guest_fit(sqlite3 *db, struct scan *S, struct ts_stats *out)
{
	static const char q[] = "SELECT t_ns, ticks FROM chain WHERE ticks > 0 ORDER BY id";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return gfail(db, S);
	struct stm_gfit f;
	struct stm_gfit_group g = {0};
	stm_gfit_init(&f);
	int rc = SQLITE_DONE;
	for (int pass = 0; pass < 2 && rc == SQLITE_DONE; pass++) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t x = sqlite3_column_int64(st, 0), y = sqlite3_column_int64(st, 1);
			/* the loader's clamp to [0, 2^62] */
			x = x < 0 ? 0 : x > ((int64_t)1 << 62) ? (int64_t)1 << 62 : x;
			y = y < 0 ? 0 : y > ((int64_t)1 << 62) ? (int64_t)1 << 62 : y;
			if (pass == 0)
				stm_gfit_mean_add(&g, x, y);
			else
				stm_gfit_dev_add(&f, &g, x, y);
		}
		sqlite3_reset(st);
		if (pass == 0)
			stm_gfit_group_end(&f, &g);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return gfail(db, S);
	struct stm_fit fit;
	if (g.n >= 2 && stm_gfit_finish(&f, &fit) == 0 && fit.slope > 0) {
		out->have_guest_fit = 1;
		out->guest_hz = fit.slope * 1e9;
		out->guest_drift_ppm = stm_drift_ppm(out->guest_hz, (double)S->sess->timebase_hz);
	}
	return 0;
}

static int scan_stats(sqlite3 *db, struct scan *S, const struct ts_scan_ops *ops, void *ctx,
		      struct ts_stats *out)
{
	const struct ts_session *sess = S->sess;
	if (xs_finish(&S->walk) || xs_finish(&S->deq) || xs_finish(&S->ids) ||
	    xs_finish(&S->dids) || xs_finish(&S->lat))
		return nomem(S);
	memset(out, 0, sizeof(*out));
	out->sess = sess;
	out->duration_s = (double)(sess->t_last_ns - sess->t_first_ns) / 1e9;
	out->streams = calloc(sess->nstreams + 1, sizeof(*out->streams));
	if (!out->streams)
		return nomem(S);
	out->nstreams = sess->nstreams;
	for (size_t i = 0; i < sess->nstreams; i++)
		if (stream_scan(S, i, ops, ctx, &out->streams[i]))
			return -1;
	if (xs_finish(&S->ivs) || resolve_stalls(S, out))
		return nomem(S);
	for (size_t i = 0; i < sess->nstreams; i++) {
		struct ts_stream_stats *ss = &out->streams[i];
		if (summarize(S, &S->ivs, i, ss->interval.n, &ss->interval) ||
		    summarize(S, &S->lat, i, ss->latency.n, &ss->latency))
			return -1;
	}
	if (ts_compute_ctl(sess, out))
		return nomem(S);
	return guest_fit(db, S, out);
}

int ts_scan(struct sqlite3 *db, int stream_filter, const struct ts_scan_ops *ops, void *ctx,
	    struct ts_session *sess, struct ts_stats *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	struct scan S = {.sess = sess, .err = err, .errlen = errlen};
	int rc = -1;
	/* One read transaction: every query sees the same snapshot (see ts_load). */
	int txn = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == 0;
	if (xs_init(&S.walk, sizeof(struct mrec), SCAN_CHUNK, cmp_mrec) ||
	    xs_init(&S.deq, sizeof(struct kv), SCAN_CHUNK / 4, cmp_kv) ||
	    xs_init(&S.ids, sizeof(struct kv), SCAN_CHUNK / 4, cmp_kv) ||
	    xs_init(&S.dids, sizeof(struct kv), SCAN_CHUNK / 4, cmp_kv) ||
	    xs_init(&S.lat, sizeof(struct kv), SCAN_CHUNK / 4, cmp_kv) ||
	    xs_init(&S.ivs, sizeof(struct kv), SCAN_CHUNK / 4, cmp_kv)) {
		memset(sess, 0, sizeof(*sess));
		nomem(&S);
		goto out;
	}
	if (ts_load_parts(db, stream_filter, sess, scan_msg, &S, 0, err, errlen))
		goto out; /* sess freed */
	if (ops && ops->begin && ops->begin(ctx, sess)) {
		rc = 1;
		goto out;
	}
	if (scan_stats(db, &S, ops, ctx, st)) {
		ts_stats_free(st);
		ts_session_free(sess);
		goto out;
	}
	rc = 0;
out:
	xs_free(&S.walk);
	xs_free(&S.deq);
	xs_free(&S.ids);
	xs_free(&S.dids);
	xs_free(&S.lat);
	xs_free(&S.ivs);
	free(S.ent);
	free(S.pend);
	if (txn)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}
