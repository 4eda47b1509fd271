/* test_replay.c - the replay engine on sessions recorded in-process from the real device
 * (replay/synth.c): verify passes with sample-exact output, tampering is caught, determinism. */
#include <criterion/criterion.h>
#include <sndfile.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/replay.h"
#include "replay/synth.h"
#include "trace/reader.h"
#include "vsnd/virtio_snd.h"

/* ---- a sink that keeps every byte (the engine destroys it; the test frees it) ---- */

struct cap {
	struct vsnd_sink s;
	uint8_t *b;
	size_t len, cap;
	int opens, closes, destroyed;
	struct vsnd_pcm_params p;
};

static int cap_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	struct cap *c = s->priv;
	c->opens++;
	c->p = *p;
	return 0;
}

static int cap_write(struct vsnd_sink *s, const void *buf, uint32_t n)
{
	struct cap *c = s->priv;
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2;
		c->b = realloc(c->b, c->cap);
	}
	memcpy(c->b + c->len, buf, n);
	c->len += n;
	return 0;
}

static void cap_close(struct vsnd_sink *s)
{
	((struct cap *)s->priv)->closes++;
}

static void cap_destroy(struct vsnd_sink *s)
{
	((struct cap *)s->priv)->destroyed++;
}

static const struct vsnd_sink_ops cap_ops = {
	.name = "capture-test", .open = cap_open, .write = cap_write, .close = cap_close,
	.destroy = cap_destroy,
};

static struct cap *cap_new(void)
{
	struct cap *c = calloc(1, sizeof(*c));
	c->s.ops = &cap_ops;
	c->s.priv = c;
	return c;
}

static void cap_free(struct cap *c)
{
	free(c->b);
	free(c);
}

/* ---- helpers ---- */

static void db_path(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n, "/tmp/vt_replay_%s_%d.db", tag, (int)getpid());
}

static void rm_db(const char *path)
{
	char side[300];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static void record(const char *path, const char *scenario)
{
	char err[256] = "";
	rm_db(path);
	cr_assert_eq(vt_synth_record(path, scenario, err, sizeof(err)), 0, "%s: %s", scenario, err);
}

struct acc {
	uint8_t *b;
	size_t len;
	uint8_t direction;
};

static int acc_cb(void *ctx, const struct vt_pcm *p)
{
	struct acc *a = ctx;
	a->b = realloc(a->b, a->len + p->bytes + 1);
	memcpy(a->b + a->len, p->data, p->bytes);
	a->len += p->bytes;
	a->direction = p->direction;
	return 0;
}

/* The PCM recorded for a stream (TX: what the device read; RX: what it wrote). */
static struct acc recorded_pcm(const char *path, uint32_t stream)
{
	struct vt_reader *r;
	char err[256];
	cr_assert_eq(vt_reader_open(path, 0, &r, err, sizeof(err)), 0, "%s", err);
	struct acc a = { 0 };
	cr_assert_eq(vt_reader_pcm(r, stream, acc_cb, &a), 0);
	vt_reader_close(r);
	return a;
}

static int replay(const char *path, struct vt_replay_opts *o, struct vt_replay_report *rep,
		  struct cap **out)
{
	char err[256] = "";
	struct cap *c = cap_new();
	o->sinks[0] = &c->s;
	int rc = vt_replay_run(path, o, rep, err, sizeof(err));
	o->sinks[0] = NULL;
	cr_expect_eq(c->destroyed, 1, "the engine destroys the sinks it was given");
	if (out)
		*out = c;
	else
		cap_free(c);
	return rc;
}

static void verify_opts(struct vt_replay_opts *o)
{
	vt_replay_opts_default(o);
	o->verify = 1;
	o->sink_spec = "null";
}

/* ---- every scenario replays and verifies; output equals the recorded PCM ---- */

static void check_scenario(const char *name)
{
	char path[256];
	db_path(path, sizeof(path), name);
	record(path, name);
	struct vt_replay_opts o;
	verify_opts(&o);
	struct vt_replay_report rep;
	struct cap *c;
	cr_assert_eq(replay(path, &o, &rep, &c), 0);
	cr_expect_eq(rep.divergences, 0, "%s: divergence at event %llu: %s (%s: expected %s, got %s)",
		     name, (unsigned long long)rep.first.event_id, rep.first.what, rep.first.field,
		     rep.first.expected, rep.first.actual);
	cr_expect_eq(rep.timing_issues, 0, "%s: %s", name, rep.first_timing.what);
	cr_expect_eq(vt_replay_failed(&rep, &o), 0);
	cr_expect_gt(rep.chains, 0);
	struct acc tx = recorded_pcm(path, 0);
	cr_expect_eq(c->len, tx.len, "%s: %zu bytes reached the sink, %zu recorded", name, c->len,
		     tx.len);
	if (c->len == tx.len && tx.len)
		cr_expect_eq(memcmp(c->b, tx.b, tx.len), 0, "%s: sink output differs", name);
	cr_expect_eq(rep.pcm_compared[0], tx.len);
	if (!strcmp(name, "capture")) {
		struct acc rx = recorded_pcm(path, 1);
		cr_expect_gt(rx.len, 0);
		cr_expect_eq(rep.captured_bytes[1], rx.len, "capture replays the recorded source");
		free(rx.b);
	}
	free(tx.b);
	cap_free(c);
	rm_db(path);
}

Test(replay, play_formats_verify_and_match_pcm)
{
	check_scenario("play-u8");
	check_scenario("play-s16");
	check_scenario("play-s24_3");
	check_scenario("play-float");
	check_scenario("play-s32");
}

Test(replay, twice_pause_restart_xrun_verify)
{
	check_scenario("twice");
	check_scenario("pause");
	check_scenario("restart");
	check_scenario("xrun");
}

Test(replay, capture_bad_reset_verify)
{
	check_scenario("capture");
	check_scenario("bad");
	check_scenario("reset");
}

/* ---- determinism ---- */

Test(replay, two_replays_identical)
{
	char path[256];
	db_path(path, sizeof(path), "det");
	record(path, "pause");
	struct vt_replay_opts o;
	verify_opts(&o);
	struct vt_replay_report r1, r2;
	struct cap *c1, *c2;
	cr_assert_eq(replay(path, &o, &r1, &c1), 0);
	cr_assert_eq(replay(path, &o, &r2, &c2), 0);
	cr_assert_gt(c1->len, 0);
	cr_expect_eq(c1->len, c2->len);
	cr_expect_eq(memcmp(c1->b, c2->b, c1->len), 0);
	r1.wall_ns = r2.wall_ns = 0;
	cr_expect_eq(memcmp(&r1, &r2, sizeof(r1)), 0, "reports differ");
	/* The JSON form too. */
	char *j1 = NULL, *j2 = NULL;
	size_t n1 = 0, n2 = 0;
	FILE *f1 = open_memstream(&j1, &n1), *f2 = open_memstream(&j2, &n2);
	vt_replay_print(f1, "x", &r1, &o, 1);
	vt_replay_print(f2, "x", &r2, &o, 1);
	fclose(f1);
	fclose(f2);
	cr_expect_str_eq(j1, j2);
	cr_expect(strstr(j1, "\"result\": \"pass\"") != NULL, "%s", j1);
	free(j1);
	free(j2);
	cap_free(c1);
	cap_free(c2);
	rm_db(path);
}

/* ---- tampering with the recording makes verify fail, naming the event ---- */

static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *e = NULL;
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &e), SQLITE_OK, "%s: %s", sql, e ? e : "");
	sqlite3_close(db);
}

Test(replay, tampered_status_fails_naming_event)
{
	char path[256], sql[512];
	db_path(path, sizeof(path), "tamper_status");
	record(path, "play-s16");
	/* The status the device wrote for PCM_PREPARE: S_OK in the recording -> S_NOT_SUPP. */
	int64_t io = sql_int(path, "SELECT io.id FROM chain_io io JOIN control c ON c.chain = io.chain"
				   " WHERE c.code = 258 AND io.dir = 1 ORDER BY io.id LIMIT 1");
	snprintf(sql, sizeof(sql), "UPDATE chain_io SET data = X'02800000' WHERE id = %lld",
		 (long long)io);
	sql_exec(path, sql);
	struct vt_replay_opts o;
	verify_opts(&o);
	struct vt_replay_report rep;
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_assert(vt_replay_failed(&rep, &o));
	cr_expect_eq(rep.divergences, 1);
	cr_expect_eq(rep.first.event_id, (uint64_t)io, "event %llu named, tampered %lld",
		     (unsigned long long)rep.first.event_id, (long long)io);
	cr_expect_str_eq(rep.first.field, "status");
	cr_expect_eq(rep.first.queue, VSND_VQ_CONTROL);
	cr_expect(strstr(rep.first.expected, "S_NOT_SUPP") != NULL, "%s", rep.first.expected);
	cr_expect(strstr(rep.first.actual, "S_OK") != NULL, "%s", rep.first.actual);
	/* Without --verify the same session replays (nothing is compared). */
	vt_replay_opts_default(&o);
	o.sink_spec = "null";
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_expect_eq(vt_replay_failed(&rep, &o), 0);
	rm_db(path);
}

Test(replay, tampered_used_len_and_order)
{
	char path[256], sql[512];
	db_path(path, sizeof(path), "tamper_used");
	record(path, "play-s16");
	int64_t end = sql_int(path, "SELECT e.id FROM chain_end e JOIN chain c ON c.id = e.chain"
				    " WHERE c.queue = 2 AND e.outcome = 0 ORDER BY e.id LIMIT 1 OFFSET 3");
	snprintf(sql, sizeof(sql), "UPDATE chain_end SET used_len = 4 WHERE id = %lld",
		 (long long)end);
	sql_exec(path, sql);
	struct vt_replay_opts o;
	verify_opts(&o);
	struct vt_replay_report rep;
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_assert(vt_replay_failed(&rep, &o));
	cr_expect_eq(rep.first.event_id, (uint64_t)end);
	cr_expect_str_eq(rep.first.field, "used_len");
	cr_expect_str_eq(rep.first.expected, "4");
	cr_expect_str_eq(rep.first.actual, "8");
	rm_db(path);
}

Test(replay, tampered_sink_pcm_fails_sample_exact)
{
	char path[256];
	db_path(path, sizeof(path), "tamper_pcm");
	record(path, "play-s16");
	int64_t sw = sql_int(path, "SELECT id FROM sink_event WHERE kind = 2 ORDER BY id LIMIT 1"
				   " OFFSET 5");
	char sql[256];
	/* One sample of the 6th sink write changed (the chain bytes are untouched). */
	snprintf(sql, sizeof(sql), "UPDATE sink_event SET data = (SELECT substr(p.data, 1, 10) ||"
		 " X'0102' || substr(p.data, 13) FROM pcm p WHERE p.stream = 0 AND"
		 " p.stream_offset = sink_event.pcm_offset), pcm_offset = NULL WHERE id = %lld",
		 (long long)sw);
	sql_exec(path, sql);
	struct vt_replay_opts o;
	verify_opts(&o);
	struct vt_replay_report rep;
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_assert(vt_replay_failed(&rep, &o));
	cr_expect_str_eq(rep.first.field, "pcm");
	cr_expect_eq(rep.first.event_id, (uint64_t)sw);
	cr_expect_eq(rep.first.stream, 0);
	cr_expect(strstr(rep.first.what, "byte 9610 ") != NULL, "%s", rep.first.what);
	rm_db(path);
}

Test(replay, timing_difference_is_not_a_failure_unless_strict)
{
	char path[256], sql[256];
	db_path(path, sizeof(path), "timing");
	record(path, "play-s16");
	int64_t end = sql_int(path, "SELECT e.id FROM chain_end e JOIN chain c ON c.id = e.chain"
				    " WHERE c.queue = 2 ORDER BY e.id LIMIT 1 OFFSET 6");
	snprintf(sql, sizeof(sql), "UPDATE chain_end SET t_ns = t_ns - 5000000 WHERE id = %lld",
		 (long long)end);
	sql_exec(path, sql);
	struct vt_replay_opts o;
	verify_opts(&o);
	struct vt_replay_report rep;
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_expect_eq(rep.divergences, 0, "%s", rep.first.what);
	cr_expect_geq(rep.timing_over, 1);
	cr_expect_eq(rep.first_timing.event_id, (uint64_t)end);
	cr_expect_str_eq(rep.first_timing.field, "completion time");
	cr_expect_eq(vt_replay_failed(&rep, &o), 0);
	o.strict_timing = 1;
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_expect(vt_replay_failed(&rep, &o));
	/* A wide tolerance hides it. */
	o.tolerance_ns = 10000000;
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_expect_eq(rep.timing_over, 0);
	cr_expect_eq(vt_replay_failed(&rep, &o), 0);
	rm_db(path);
}

/* ---- the sink window and stream selection ---- */

Test(replay, window_limits_what_is_played)
{
	char path[256];
	db_path(path, sizeof(path), "window");
	record(path, "play-s16");
	struct vt_replay_opts o;
	verify_opts(&o);
	o.from_s = 0.05;
	o.to_s = 0.10;
	struct vt_replay_report rep;
	struct cap *c;
	cr_assert_eq(replay(path, &o, &rep, &c), 0);
	cr_expect_eq(rep.divergences, 0, "%s", rep.first.what);
	struct acc tx = recorded_pcm(path, 0);
	cr_expect_eq(rep.pcm_compared[0], tx.len, "verification still covers everything");
	cr_expect_gt(c->len, 0);
	cr_expect_lt(c->len, tx.len);
	cr_expect_eq(c->len, rep.played_bytes[0]);
	/* 10 ms periods of 1920 bytes: writes at 50..99 ms are 5 periods. */
	cr_expect_eq(c->len, 5 * 1920, "%zu", c->len);
	/* What was played is a contiguous part of the recorded PCM. */
	int found = 0;
	for (size_t off = 0; off + c->len <= tx.len; off += 1920)
		found |= !memcmp(tx.b + off, c->b, c->len);
	cr_expect(found);
	free(tx.b);
	cap_free(c);
	rm_db(path);
}

Test(replay, wav_sink_equals_recorded_pcm)
{
	char path[256], wav[300], spec[320];
	db_path(path, sizeof(path), "wav");
	record(path, "play-s16");
	snprintf(wav, sizeof(wav), "/tmp/vt_replay_%d.wav", (int)getpid());
	snprintf(spec, sizeof(spec), "wav:%s", wav);
	struct vt_replay_opts o;
	verify_opts(&o);
	o.sink_spec = spec;
	struct vt_replay_report rep;
	char err[256];
	cr_assert_eq(vt_replay_run(path, &o, &rep, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(rep.divergences, 0, "%s", rep.first.what);
	struct acc tx = recorded_pcm(path, 0);
	SF_INFO info = { 0 };
	SNDFILE *f = sf_open(wav, SFM_READ, &info);
	cr_assert_not_null(f, "%s", sf_strerror(NULL));
	cr_expect_eq(info.channels, 2);
	cr_expect_eq(info.samplerate, 48000);
	cr_expect_eq((size_t)info.frames * 4, tx.len);
	short *pcm = calloc((size_t)info.frames * 2 + 1, sizeof(short));
	cr_assert_eq(sf_readf_short(f, pcm, info.frames), info.frames);
	sf_close(f);
	cr_expect_eq(memcmp(pcm, tx.b, tx.len), 0, "the WAV holds the recorded samples");
	free(pcm);
	free(tx.b);
	unlink(wav);
	rm_db(path);
}

Test(replay, stream_selection)
{
	char path[256];
	db_path(path, sizeof(path), "stream");
	record(path, "play-s16");
	struct vt_replay_opts o;
	verify_opts(&o);
	o.stream = 1; /* the input stream: nothing reaches stream 0's host sink */
	struct vt_replay_report rep;
	struct cap *c;
	cr_assert_eq(replay(path, &o, &rep, &c), 0);
	cr_expect_eq(rep.divergences, 0, "%s", rep.first.what);
	cr_expect_eq(c->len, 0);
	cr_expect_gt(rep.sink_bytes[0], 0, "the device still played stream 0 (to the tap)");
	cr_expect_eq(rep.pcm_compared[0], 0);
	cap_free(c);
	rm_db(path);
}

Test(replay, bad_sink_spec)
{
	char path[256], err[256] = "";
	db_path(path, sizeof(path), "badsink");
	record(path, "play-u8");
	struct vt_replay_opts o;
	verify_opts(&o);
	o.sink_spec = "nosuchsink:x";
	struct vt_replay_report rep;
	cr_expect_eq(vt_replay_run(path, &o, &rep, err, sizeof(err)), -VT_REPLAY_E_SINK);
	cr_expect(strstr(err, "nosuchsink") != NULL, "%s", err);
	rm_db(path);
}

Test(replay, device_never_completes_is_reported_not_hung)
{
	char path[256];
	db_path(path, sizeof(path), "never");
	record(path, "play-u8");
	/* The recording now says an event buffer came back; the device has no event to send. */
	int64_t end = sql_int(path, "SELECT e.id FROM chain_end e JOIN chain c ON c.id = e.chain"
				    " WHERE c.queue = 1 AND e.outcome = 1 ORDER BY e.id LIMIT 1");
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE chain_end SET outcome = 0, used_len = 8 WHERE id = %lld",
		 (long long)end);
	sql_exec(path, sql);
	struct vt_replay_opts o;
	verify_opts(&o);
	o.wait_timeout_ms = 200;
	struct vt_replay_report rep;
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_assert(vt_replay_failed(&rep, &o));
	cr_expect_str_eq(rep.first.field, "completions");
	cr_expect_eq(rep.first.queue, VSND_VQ_EVENT);
	cr_expect(strstr(rep.first.what, "never completed") != NULL, "%s", rep.first.what);
	rm_db(path);
}

Test(replay, device_reading_unrecorded_bytes_diverges)
{
	char path[256];
	db_path(path, sizeof(path), "unrec");
	record(path, "play-s16");
	/* A TX chain recorded as longer than the bytes stored for it: the device reads (and
	 * plays) bytes the recording does not have. */
	int64_t ch = sql_int(path, "SELECT id FROM chain WHERE queue = 2 ORDER BY id LIMIT 1 OFFSET 2");
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE chain SET rlen = rlen + 64 WHERE id = %lld", (long long)ch);
	sql_exec(path, sql);
	struct vt_replay_opts o;
	verify_opts(&o);
	struct vt_replay_report rep;
	cr_assert_eq(replay(path, &o, &rep, NULL), 0);
	cr_assert(vt_replay_failed(&rep, &o));
	cr_expect_str_eq(rep.first.field, "read");
	cr_expect_eq(rep.first.event_id, (uint64_t)ch);
	rm_db(path);
}

/* ---- long sessions: whole length (not capped at 100 s); without --verify the written bytes
 * are not loaded, yet the sink gets exactly what the verified replay gives ---- */

Test(replay, long_session_whole_length_and_same_pcm_without_verify, .timeout = 60)
{
	char path[256], err[256] = "";
	db_path(path, sizeof(path), "long");
	rm_db(path);
	/* 130 s in 8192-frame periods (170 ms): past the old 100 s cap, few periods. */
	cr_assert_eq(vt_synth_record_long(path, 130, 8192, err, sizeof(err)), 0, "%s", err);
	struct vt_replay_opts o;
	verify_opts(&o);
	struct vt_replay_report rv, rn;
	struct cap *cv, *cn;
	cr_assert_eq(replay(path, &o, &rv, &cv), 0);
	cr_expect_eq(rv.divergences, 0, "%s", rv.first.what);
	cr_expect_geq(rv.session_ns, 129000000000ull, "session lasts %.1f s",
		      (double)rv.session_ns / 1e9);
	const uint32_t periods = (uint32_t)(130.0 * 48000 / 8192);
	cr_expect_eq(cv->len, (size_t)periods * 8192 * 4, "%zu bytes for %u S16 stereo periods",
		     cv->len, periods);
	o.verify = 0;
	cr_assert_eq(replay(path, &o, &rn, &cn), 0);
	cr_expect_eq(rn.events, rv.events);
	cr_expect_eq(rn.completed, rv.completed);
	cr_expect_eq(cn->len, cv->len);
	if (cn->len == cv->len)
		cr_expect_eq(memcmp(cn->b, cv->b, cv->len), 0, "the sink output differs");
	cap_free(cv);
	cap_free(cn);
	rm_db(path);
}
