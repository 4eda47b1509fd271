/* test_stats_session.c - unit tests of trace/stats: statistics of synthetic sessions with
 * known timing (jitter, a stall, an underrun, +100 ppm drift, pause/resume, RELEASE flush),
 * built in memory and, for the loader, as SQL rows in a schemas/trace_v1.sql database. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/stats.h"
#include "vsnd/virtio_snd.h"

#define PERIOD_NS 10000000.0 /* 480 frames at 48 kHz */

static void add_msg(struct ts_stream *s, size_t cap, uint64_t chain, int64_t deq, int64_t done)
{
	cr_assert(s->nmsgs < cap);
	s->msgs[s->nmsgs++] = (struct ts_msg){.chain = chain,
					      .seq = chain,
					      .t_deq_ns = deq,
					      .t_done_ns = done,
					      .frames = 480,
					      .status = VIRTIO_SND_S_OK};
}

static int cmp_done(const void *a, const void *b)
{
	const struct ts_msg *x = a, *y = b;
	return (x->t_done_ns > y->t_done_ns) - (x->t_done_ns < y->t_done_ns);
}

/* One output stream, 8 pre-buffered messages, N completions at
 * start + k * P / (1 + 100e-6) + jitter_k, re-queue 50 us after each completion except
 * after completions 400..402 (sent with the one after 403): one stall. */
static void build(struct ts_session *sess, int n, int64_t *T)
{
	memset(sess, 0, sizeof(*sess));
	sess->streams = calloc(1, sizeof(*sess->streams));
	sess->nstreams = 1;
	struct ts_stream *s = &sess->streams[0];
	*s = (struct ts_stream){.stream_id = 0,
				.direction = VIRTIO_SND_D_OUTPUT,
				.format = VIRTIO_SND_PCM_FMT_S16,
				.channels = 2,
				.rate_hz = 48000,
				.frame_bytes = 4,
				.period_bytes = 1920,
				.buffer_bytes = 15360,
				.has_params = 1,
				.valid_from_ns = INT64_MIN,
				.valid_to_ns = INT64_MAX};
	size_t cap = (size_t)n + 16;
	s->msgs = calloc(cap, sizeof(*s->msgs));
	int64_t start = 1000000000;
	T[0] = start;
	for (int k = 1; k <= n; k++)
		T[k] = start + llround(k * PERIOD_NS / (1 + 100e-6)) +
		       ((7 * k * k + 13 * k) % 101 - 50) * 1000;
	/* arrivals in FIFO order; message m completes at T[m + 1] */
	int64_t *arr = calloc(cap, sizeof(*arr));
	size_t na = 0;
	for (int i = 0; i < 8; i++)
		arr[na++] = start - 2000000 + i * 10000;
	int pend = 0;
	for (int k = 1; k <= n; k++) {
		if (k >= 400 && k <= 402) {
			pend++;
			continue;
		}
		for (int j = 0; j <= pend; j++)
			arr[na++] = T[k] + 50000 + j * 1000;
		pend = 0;
	}
	for (size_t m = 0; m < na; m++)
		add_msg(s, cap, 100 + m, arr[m], (int)m < n ? T[m + 1] : start + 20 * 1000000000LL);
	qsort(s->msgs, s->nmsgs, sizeof(*s->msgs), cmp_done);
	free(arr);
	s->run_start = malloc(sizeof(int64_t));
	s->run_end = malloc(sizeof(int64_t));
	s->run_start[0] = start;
	s->run_end[0] = T[n] + 1000000;
	s->nruns = 1;
	sess->sinkevs = calloc(1, sizeof(*sess->sinkevs));
	sess->sinkevs[0] =
	    (struct ts_sinkev){.t_ns = T[700] + 3000000, .stream_id = 0, .kind = TS_EV_UNDERRUN};
	sess->nsinkevs = 1;
	sess->t_first_ns = start - 5000000;
	sess->t_last_ns = start + 21 * 1000000000LL;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

Test(stats_session, known_timing_jitter_stall_underrun_drift)
{
	enum { N = 1000 };
	int64_t T[N + 1];
	struct ts_session sess;
	build(&sess, N, T);
	struct ts_stats st;
	cr_assert_eq(ts_compute(&sess, &st), 0);
	cr_assert_eq(st.nstreams, 1);
	const struct ts_stream_stats *ss = &st.streams[0];

	/* exact percentiles: nearest rank over the 999 intervals T[k] - T[k-1], k = 2..N */
	int64_t iv[N - 1];
	for (int k = 2; k <= N; k++)
		iv[k - 2] = T[k] - T[k - 1];
	qsort(iv, N - 1, sizeof(iv[0]), cmp64);
	cr_assert_eq(ss->interval.n, N - 1);
	cr_assert_eq(ss->interval.p50, iv[499]); /* ceil(0.50 * 999) = 500 */
	cr_assert_eq(ss->interval.p95, iv[949]); /* ceil(0.95 * 999) = 950 */
	cr_assert_eq(ss->interval.p99, iv[989]); /* ceil(0.99 * 999) = 990 */
	cr_assert_eq(ss->interval.max, iv[N - 2]);
	cr_assert_eq(ss->interval.min, iv[0]);
	cr_assert_float_eq(ss->period_ns, PERIOD_NS, 1e-6);

	/* drift +100 ppm within 5 ppm; frames; wall vs nominal */
	cr_assert(ss->have_fit);
	cr_assert(fabs(ss->drift_ppm - 100.0) <= 5.0, "drift %f", ss->drift_ppm);
	cr_assert_eq(ss->frames, (uint64_t)N * 480);
	cr_assert_float_eq(ss->nominal_s, 10.0, 1e-9);
	cr_assert_float_eq(ss->wall_s, (T[N] - T[0]) / 1e9, 1e-9);

	/* one stall: from the re-queue after completion 399 to the batch after 403 */
	cr_assert_eq(ss->nstalls, 1);
	cr_assert_eq(ss->stalls[0].start_ns, T[399] + 50000);
	cr_assert_eq(ss->stalls[0].end_ns, T[403] + 50000);
	/* "after": the last completion within two periods of the stall's start (completion k
	 * is message k - 1 = chain 99 + k) */
	int last = 0;
	for (int k = 1; k <= N; k++)
		if (T[k] <= T[399] + 50000 + 2 * (int64_t)PERIOD_NS)
			last = k;
	cr_assert(last >= 400 && last <= 401);
	char want[64];
	snprintf(want, sizeof(want), "TX chain %d completed (stream 0)", 99 + last);
	cr_assert_str_eq(ss->stalls[0].after, want);

	cr_assert_eq(ss->underruns, 1);
	cr_assert_eq(ss->xruns, 0);
	cr_assert_eq(ss->nstarts, 1);
	cr_assert_eq(ss->prebuffered[0], 8);
	cr_assert_eq(ss->depth_max, 7);
	cr_assert_eq(ss->depth_min, 4);

	/* messages completed after the run (the RELEASE flush) are not periods */
	cr_assert_eq(ss->npoints, N);
	cr_assert_eq(ss->points[0].interval_ns, -1);
	cr_assert_eq(ss->points[1].interval_ns, T[2] - T[1]);
	cr_assert_eq(ss->points[N - 1].frames, (uint64_t)N * 480);
	ts_stats_free(&st);
	ts_session_free(&sess);
}

Test(stats_session, pause_resume_pooled_fit_ignores_the_pause)
{
	/* two runs of 100 periods at exactly the nominal rate, 3 s apart */
	struct ts_session sess = {0};
	sess.streams = calloc(1, sizeof(*sess.streams));
	sess.nstreams = 1;
	struct ts_stream *s = &sess.streams[0];
	*s = (struct ts_stream){.rate_hz = 48000,
				.frame_bytes = 4,
				.period_bytes = 1920,
				.has_params = 1,
				.valid_from_ns = INT64_MIN,
				.valid_to_ns = INT64_MAX};
	s->msgs = calloc(200, sizeof(*s->msgs));
	s->run_start = malloc(2 * sizeof(int64_t));
	s->run_end = malloc(2 * sizeof(int64_t));
	int64_t starts[2] = {1000000000, 4000000000};
	for (int r = 0; r < 2; r++) {
		s->run_start[r] = starts[r];
		s->run_end[r] = starts[r] + 100 * (int64_t)PERIOD_NS + 500000;
		for (int k = 1; k <= 100; k++)
			add_msg(s, 200, (uint64_t)(r * 100 + k),
				starts[r] + (k - 1) * (int64_t)PERIOD_NS,
				starts[r] + k * (int64_t)PERIOD_NS);
	}
	s->nruns = 2;
	struct ts_stats st;
	cr_assert_eq(ts_compute(&sess, &st), 0);
	const struct ts_stream_stats *ss = &st.streams[0];
	cr_assert(fabs(ss->drift_ppm) < 1e-6, "drift %f", ss->drift_ppm);
	cr_assert_eq(ss->interval.n, 198); /* no interval across the pause */
	cr_assert_eq(ss->interval.max, (int64_t)PERIOD_NS);
	cr_assert_float_eq(ss->wall_s, 2.0, 1e-9);
	cr_assert_eq(ss->nstalls, 0);
	cr_assert_eq(ss->nstarts, 2);
	ts_stats_free(&st);
	ts_session_free(&sess);
}

/* ---- loader: rows written with SQL into a database made from the schema file ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "open %s (tests run from the repository root)", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = 0;
	fclose(f);
	return b;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, err ? err : "");
}

static void execf(sqlite3 *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void execf(sqlite3 *db, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	exec(db, buf);
}

/* A control request: chain, request read, status write, end and the decoded row. */
static void ctl(sqlite3 *db, int *next_id, int64_t t, uint32_t code, uint32_t target,
		uint32_t status)
{
	int c = ++*next_id;
	execf(db,
	      "INSERT INTO chain (id, t_ns, ticks, queue, head, seq, rlen, wlen, malformed,"
	      " ndescs) VALUES (%d, %lld, 0, 0, 0, %d, 8, 4, 0, 2)",
	      c, (long long)t, c);
	execf(db,
	      "INSERT INTO chain_end (id, chain, t_ns, ticks, outcome, used_len, status,"
	      " latency_bytes) VALUES (%d, %d, %lld, 0, 0, 4, %u, NULL)",
	      ++*next_id, c, (long long)t + 5000, status);
	execf(db,
	      "INSERT INTO control (chain, code, target, count, request, response, status,"
	      " used_len, t_dequeued_ns, ticks_dequeued, t_completed_ns, ticks_completed,"
	      " discarded) VALUES (%d, %u, %u, NULL, NULL, NULL, %u, 4, %lld, 0, %lld, 0, 0)",
	      c, code, target, status, (long long)t, (long long)t + 5000);
}

/* A TX message of stream 1: arrival with its xfer header read, PCM read, completion. */
static int tx(sqlite3 *db, int *next_id, int64_t arrive, int64_t play, int64_t done, int seq)
{
	int c = ++*next_id;
	execf(db,
	      "INSERT INTO chain (id, t_ns, ticks, queue, head, seq, rlen, wlen, malformed,"
	      " ndescs) VALUES (%d, %lld, %lld, 2, 0, %d, 1924, 8, 0, 3)",
	      c, (long long)arrive, (long long)arrive / 100, c);
	execf(db,
	      "INSERT INTO chain_io (id, chain, t_ns, ticks, dir, off, req_len, len, data,"
	      " pcm) VALUES (%d, %d, %lld, 0, 0, 0, 4, 4, x'01000000', NULL)",
	      ++*next_id, c, (long long)arrive);
	if (play >= 0) {
		int io = ++*next_id;
		execf(db,
		      "INSERT INTO chain_io (id, chain, t_ns, ticks, dir, off, req_len, len, data,"
		      " pcm) VALUES (%d, %d, %lld, 0, 0, 4, 1920, 1920, x'', %d)",
		      io, c, (long long)play, io);
		execf(
		    db,
		    "INSERT INTO pcm (id, chain, stream, direction, seq, stream_offset, chain_off,"
		    " bytes, frames, t_ns, ticks, data) VALUES (%d, %d, 1, 0, %d, %d, 4, 1920, "
		    "480, %lld, 0,"
		    " zeroblob(1920))",
		    io, c, seq, seq * 1920, (long long)play);
	}
	if (done >= 0)
		execf(db,
		      "INSERT INTO chain_end (id, chain, t_ns, ticks, outcome, used_len, status,"
		      " latency_bytes) VALUES (%d, %d, %lld, 0, 0, 8, %u, 0)",
		      ++*next_id, c, (long long)done, VIRTIO_SND_S_OK);
	return c;
}

Test(stats_session, loader_reads_a_schema_v1_database)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	char *schema = slurp("schemas/trace_v1.sql");
	exec(db, schema);
	free(schema);
	int next_id = 0;
	const int64_t ms = 1000000;
	exec(db, "INSERT INTO session (id, tool_version, schema_version, start_wall_ns, start_ns,"
		 " start_ticks, timebase_hz, clean_end, events, bytes, producer_waits)"
		 " VALUES (1, 'unit', 1, 0, 0, 0, 10000000, 1, 99, 1234, 2)");
	exec(db, "INSERT INTO config_stream (stream_id, hda_fn_nid, features, formats, rates,"
		 " direction, channels_min, channels_max) VALUES (0, 0, 0, 32, 128, 0, 1, 2),"
		 " (1, 0, 0, 32, 128, 1, 1, 2)");
	ctl(db, &next_id, 1 * ms, VIRTIO_SND_R_PCM_SET_PARAMS, 1, VIRTIO_SND_S_OK);
	execf(db,
	      "INSERT INTO pcm_params (chain, stream, buffer_bytes, period_bytes, features,"
	      " channels, format, rate, rate_hz, frame_bytes, t_ns) VALUES (1, 1, 7680, 1920, 0, "
	      "2, %d, %d, 48000, 4, %lld)",
	      VIRTIO_SND_PCM_FMT_S16, VIRTIO_SND_PCM_RATE_48000, (long long)ms);
	ctl(db, &next_id, 2 * ms, VIRTIO_SND_R_PCM_PREPARE, 1, VIRTIO_SND_S_OK);
	/* 4 RX messages queued before START (stream 1 is an input) */
	int64_t t0 = 10 * ms;
	int64_t P = 10 * ms;
	ctl(db, &next_id, t0 - 10000, VIRTIO_SND_R_PCM_START, 1, VIRTIO_SND_S_OK);
	/* reply at t0 - 5000: RUNNING from there */
	for (int i = 0; i < 4; i++)
		tx(db, &next_id, 5 * ms + i, t0 + i * P, t0 + (i + 1) * P, i);
	/* each completion re-queues one message; the last 4 are still held at STOP */
	for (int i = 4; i < 14; i++)
		tx(db, &next_id, t0 + (i - 3) * P + 50000, i < 10 ? t0 + i * P : -1,
		   i < 10 ? t0 + (i + 1) * P : -1, i);
	ctl(db, &next_id, t0 + 10 * P + 100000, VIRTIO_SND_R_PCM_STOP, 1, VIRTIO_SND_S_OK);
	ctl(db, &next_id, t0 + 10 * P + 200000, VIRTIO_SND_R_PCM_STOP, 1, VIRTIO_SND_S_BAD_MSG);
	execf(db,
	      "INSERT INTO sink_event (id, t_ns, ticks, stream, kind, rc, msg) VALUES"
	      " (%d, %lld, 0, 1, 6, -32, 'overrun')",
	      ++next_id, (long long)(t0 + 5 * P + 7));
	execf(db, "INSERT INTO mark (id, t_ns, ticks, text) VALUES (%d, %lld, 0, 'the end')",
	      ++next_id, (long long)(t0 + 11 * P));

	struct ts_session sess;
	char err[256];
	cr_assert_eq(ts_load(db, -1, &sess, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(sess.tool_version, "unit");
	cr_assert(sess.complete);
	cr_assert_eq(sess.producer_waits, 2);
	cr_assert_eq(sess.events, 99);
	cr_assert_eq(sess.timebase_hz, 10000000);
	cr_assert_eq(sess.nstreams, 1);
	struct ts_stream *s = &sess.streams[0];
	cr_assert_eq(s->stream_id, 1);
	cr_assert_eq(s->direction, VIRTIO_SND_D_INPUT);
	cr_assert_eq(s->rate_hz, 48000);
	cr_assert_eq(s->period_bytes, 1920);
	cr_assert_eq(s->nmsgs, 14);
	cr_assert_eq(s->nruns, 1);
	cr_assert_eq(s->run_start[0], t0 - 5000);
	cr_assert_eq(s->run_end[0], t0 + 10 * P + 100000);
	cr_assert_eq(s->pcm_frames, 4800);
	cr_assert_eq(sess.nctls, 5);
	cr_assert_eq(sess.nsinkevs, 1);
	cr_assert_eq(sess.sinkevs[0].kind, TS_EV_XRUN);
	cr_assert_str_eq(sess.sinkevs[0].msg, "overrun");
	cr_assert_eq(sess.ngt, 14);

	struct ts_stats st;
	cr_assert_eq(ts_compute(&sess, &st), 0);
	const struct ts_stream_stats *ss = &st.streams[0];
	cr_assert_eq(ss->npoints, 10);
	cr_assert_eq(ss->interval.n, 9);
	cr_assert_eq(ss->interval.p50, P);
	cr_assert_eq(ss->interval.max, P);
	cr_assert_eq(ss->prebuffered[0], 4);
	cr_assert_eq(ss->xruns, 1);
	cr_assert_eq(ss->nstalls, 0);
	cr_assert(fabs(ss->drift_ppm) < 1e-6);
	cr_assert_eq(st.invalid_requests, 1);
	/* guest ticks = t_ns / 100 at 10 MHz: no drift */
	cr_assert(st.have_guest_fit);
	cr_assert(fabs(st.guest_drift_ppm) < 0.5, "%f", st.guest_drift_ppm);
	/* control codes sorted, STOP: 2 with 1 BAD_MSG */
	cr_assert_eq(st.nctl, 4);
	cr_assert_eq(st.ctl[3].code, VIRTIO_SND_R_PCM_STOP);
	cr_assert_eq(st.ctl[3].count, 2);
	cr_assert_eq(st.ctl[3].bad_msg, 1);
	cr_assert_eq(st.ctl[3].latency.p50, 5000);
	ts_stats_free(&st);
	ts_session_free(&sess);

	/* stream filter: stream 0 was never configured */
	cr_assert_eq(ts_load(db, 0, &sess, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sess.nstreams, 0);
	ts_session_free(&sess);
	sqlite3_close(db);
}

/* A stream played at 48 kHz, then re-configured to 24 kHz: two parameter sets, each with its
 * own period, runs and messages; re-sending identical parameters starts no new set. */
Test(stats_session, loader_splits_parameter_sets)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	char *schema = slurp("schemas/trace_v1.sql");
	exec(db, schema);
	free(schema);
	int next_id = 0;
	const int64_t ms = 1000000;
	exec(db, "INSERT INTO session (id, schema_version, start_wall_ns, start_ns, start_ticks,"
		 " clean_end) VALUES (1, 1, 0, 0, 0, 1)");
	int64_t t = 0;
	for (int set = 0; set < 3; set++) {
		int rate = set == 1 ? 24000 : 48000;
		int64_t P = set == 1 ? 20 * ms : 10 * ms;
		t += 100 * ms;
		ctl(db, &next_id, t, VIRTIO_SND_R_PCM_SET_PARAMS, 1, VIRTIO_SND_S_OK);
		execf(db,
		      "INSERT INTO pcm_params (chain, stream, buffer_bytes, period_bytes, features,"
		      " channels, format, rate, rate_hz, frame_bytes, t_ns) VALUES (%d, 1, 3840, "
		      "1920,"
		      " 0, 2, %d, 0, %d, 4, %lld)",
		      next_id - 1, VIRTIO_SND_PCM_FMT_S16, rate, (long long)t + 5000);
		t += ms;
		for (int i = 0; i < 2; i++)
			tx(db, &next_id, t + i, t + ms + i * P, t + ms + (i + 1) * P, i);
		ctl(db, &next_id, t + ms - 5000, VIRTIO_SND_R_PCM_START, 1, VIRTIO_SND_S_OK);
		for (int i = 2; i < 6; i++)
			tx(db, &next_id, t + ms + (i - 1) * P + 1000, t + ms + i * P,
			   t + ms + (i + 1) * P, i);
		t += ms + 6 * P + 500000;
		ctl(db, &next_id, t, VIRTIO_SND_R_PCM_STOP, 1, VIRTIO_SND_S_OK);
	}
	struct ts_session sess;
	char err[256];
	cr_assert_eq(ts_load(db, -1, &sess, err, sizeof(err)), 0, "%s", err);
	/* sets: 48 kHz (runs 1 and 3: the third SET_PARAMS differs from the second only),
	 * 24 kHz (run 2) */
	cr_assert_eq(sess.nstreams, 3);
	struct ts_stats st;
	cr_assert_eq(ts_compute(&sess, &st), 0);
	for (size_t i = 0; i < 3; i++) {
		const struct ts_stream_stats *ss = &st.streams[i];
		int64_t P = i == 1 ? 20 * ms : 10 * ms;
		cr_assert_eq(ss->s->param_set, i);
		cr_assert_eq(ss->s->rate_hz, i == 1 ? 24000u : 48000u);
		cr_assert_eq(ss->s->nmsgs, 6, "set %zu: %zu messages", i, ss->s->nmsgs);
		cr_assert_eq(ss->s->nruns, 1);
		cr_assert_eq(ss->npoints, 6);
		cr_assert_eq(ss->interval.min, P);
		cr_assert_eq(ss->interval.max, P);
		cr_assert(fabs(ss->drift_ppm) < 1e-6, "set %zu drift %f", i, ss->drift_ppm);
		cr_assert_float_eq(ss->wall_s, 6 * P / 1e9, 1e-9);
		cr_assert_eq(ss->prebuffered[0], 2);
	}
	ts_stats_free(&st);
	ts_session_free(&sess);

	/* the same parameters sent twice in a row are one set */
	int64_t t2 = t + 100 * ms;
	ctl(db, &next_id, t2, VIRTIO_SND_R_PCM_SET_PARAMS, 1, VIRTIO_SND_S_OK);
	execf(db,
	      "INSERT INTO pcm_params (chain, stream, buffer_bytes, period_bytes, features,"
	      " channels, format, rate, rate_hz, frame_bytes, t_ns) VALUES (%d, 1, 3840, 1920,"
	      " 0, 2, %d, 0, 48000, 4, %lld)",
	      next_id - 1, VIRTIO_SND_PCM_FMT_S16, (long long)t2 + 5000);
	cr_assert_eq(ts_load(db, -1, &sess, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sess.nstreams, 3);
	ts_session_free(&sess);
	sqlite3_close(db);
}

Test(stats_session, loader_rejects_a_foreign_database_without_crashing)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec(db, "CREATE TABLE something (x)");
	struct ts_session sess;
	char err[256] = "";
	cr_assert_eq(ts_load(db, -1, &sess, err, sizeof(err)), -1);
	cr_assert(strlen(err) > 0);
	sqlite3_close(db);
}
