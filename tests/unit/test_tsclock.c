/* test_tsclock.c - the recorder's TSC trace clock (trace/tsclock.h): fallback, monotonic per
 * thread and across threads, agreement with CLOCK_MONOTONIC, continuity at every refresh. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace/rec_internal.h"
#include "trace/recorder.h"
#include "trace/tsclock.h"
#include "vsnd/virtio_mmio.h"
#include "vsnd/virtio_snd.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Init and wait out the calibration interval; returns 1 if the TSC path is active. */
static int calibrated(struct vt_tsclock *c)
{
	if (!vt_tsclock_init(c, 0, 20)) {
		char b[96];
		cr_log_info("TSC clock not available here: %s", vt_tsclock_source(c, b, sizeof(b)));
		return 0;
	}
	for (int i = 0; i < 50 && !__atomic_load_n(&c->gen, __ATOMIC_ACQUIRE); i++) {
		sleep_ms(10);
		vt_tsclock_refresh(c);
	}
	cr_assert_neq(c->gen, 0, "calibrated within 500 ms");
	char b[96];
	cr_assert_str_eq(vt_tsclock_source(c, b, sizeof(b)), "tsc");
	return 1;
}

/* now() lies within [clock_gettime before, clock_gettime after] widened by slack_ns. */
static uint64_t check_against_mono(struct vt_tsclock *c, uint64_t slack_ns)
{
	uint64_t a = vt_tsclock_mono_ns();
	uint64_t t = vt_tsclock_now(c);
	uint64_t b = vt_tsclock_mono_ns();
	cr_assert_geq(t + slack_ns, a, "clock %llu behind CLOCK_MONOTONIC %llu",
		      (unsigned long long)t, (unsigned long long)a);
	cr_assert_leq(t, b + slack_ns, "clock %llu ahead of CLOCK_MONOTONIC %llu",
		      (unsigned long long)t, (unsigned long long)b);
	return t < a ? a - t : t > b ? t - b : 0;
}

Test(tsclock, fallback_by_flag)
{
	struct vt_tsclock c;
	cr_assert_eq(vt_tsclock_init(&c, VT_TSCLOCK_MONOTONIC, 1), 0);
	char b[96];
	cr_assert_str_eq(vt_tsclock_source(&c, b, sizeof(b)), "monotonic (requested)");
	sleep_ms(5);
	cr_assert_eq(vt_tsclock_refresh(&c), 0);
	cr_assert_eq(c.gen, 0);
	for (int i = 0; i < 1000; i++)
		check_against_mono(&c, 0); /* it IS clock_gettime: exactly inside the bracket */
}

Test(tsclock, fallback_by_env)
{
	setenv("VSNDTRACE_CLOCK", "monotonic", 1); /* criterion runs each test in its own process */
	struct vt_tsclock c;
	cr_assert_eq(vt_tsclock_init(&c, 0, 1), 0);
	char b[96];
	cr_assert_str_eq(vt_tsclock_source(&c, b, sizeof(b)), "monotonic (VSNDTRACE_CLOCK=monotonic)");
	sleep_ms(5);
	cr_assert_eq(vt_tsclock_refresh(&c), 0);
	for (int i = 0; i < 1000; i++)
		check_against_mono(&c, 0);
}

/* Until the first refresh after the calibration interval, readers use clock_gettime. */
Test(tsclock, calibrating_uses_clock_gettime)
{
	struct vt_tsclock c;
	int tsc = vt_tsclock_init(&c, 0, 200);
	cr_assert_eq(vt_tsclock_refresh(&c), 0, "calibration interval not over");
	cr_assert_eq(c.gen, 0);
	char b[96];
	if (tsc)
		cr_assert_str_eq(vt_tsclock_source(&c, b, sizeof(b)), "tsc (calibrating)");
	for (int i = 0; i < 1000; i++)
		check_against_mono(&c, 0);
}

/* ---- threads ---- */

struct shared {
	struct vt_tsclock *c;
	int stop;
	uint64_t published;   /* the writer thread's latest value */
	uint64_t reads, backwards, order_violations;
};

static void *monotonic_reader(void *arg)
{
	struct shared *s = arg;
	uint64_t last = vt_tsclock_now(s->c), n = 0, back = 0;
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		for (int i = 0; i < 1000; i++) {
			uint64_t t = vt_tsclock_now(s->c);
			back += t < last;
			last = t;
		}
		n += 1000;
	}
	__atomic_add_fetch(&s->reads, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->backwards, back, __ATOMIC_RELAXED);
	return NULL;
}

/* Refresh (the single updater) every 10 ms for ms milliseconds; returns refreshes done. */
static int refresh_for(struct vt_tsclock *c, unsigned ms)
{
	int n = 0;
	for (unsigned t = 0; t < ms; t += 10) {
		sleep_ms(10);
		n += vt_tsclock_refresh(c);
	}
	return n;
}

Test(tsclock, monotonic_per_thread_across_refreshes)
{
	struct vt_tsclock c;
	int tsc = calibrated(&c);
	struct shared s = { .c = &c };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, monotonic_reader, &s), 0);
	int refreshes = refresh_for(&c, 400);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_log_info("%llu reads, %d refreshes", (unsigned long long)s.reads, refreshes);
	cr_assert_gt(s.reads, 10000);
	cr_assert_eq(s.backwards, 0, "%llu backward steps", (unsigned long long)s.backwards);
	if (tsc)
		cr_assert_geq(refreshes, 3, "the mapping was republished while read");
}

static void *publisher(void *arg)
{
	struct shared *s = arg;
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED))
		__atomic_store_n(&s->published, vt_tsclock_now_ordered(s->c), __ATOMIC_RELEASE);
	return NULL;
}

static void *observer(void *arg)
{
	struct shared *s = arg;
	uint64_t n = 0, bad = 0;
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		uint64_t v = __atomic_load_n(&s->published, __ATOMIC_ACQUIRE);
		uint64_t t = vt_tsclock_now_ordered(s->c);
		bad += t < v;
		n++;
	}
	s->reads = n;
	s->order_violations = bad;
	return NULL;
}

/* A value one thread published, once read by another, is never later than that thread's
 * next reading of the clock (ordered reads, which is what the guarantee needs). */
Test(tsclock, ordered_across_threads)
{
	struct vt_tsclock c;
	int tsc = calibrated(&c);
	struct shared s = { .c = &c };
	pthread_t a, b;
	cr_assert_eq(pthread_create(&a, NULL, publisher, &s), 0);
	cr_assert_eq(pthread_create(&b, NULL, observer, &s), 0);
	int refreshes = refresh_for(&c, 300);
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELAXED);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	cr_log_info("%llu observations, %d refreshes", (unsigned long long)s.reads, refreshes);
	cr_assert_gt(s.reads, 1000);
	cr_assert_eq(s.order_violations, 0, "%llu values older than one already seen",
		     (unsigned long long)s.order_violations);
	if (tsc)
		cr_assert_geq(refreshes, 2);
}

/* ---- calibration quality and continuity ---- */

/* Within 100 us of CLOCK_MONOTONIC over about a second of refreshes. */
Test(tsclock, agrees_with_clock_monotonic)
{
	struct vt_tsclock c;
	int tsc = calibrated(&c);
	uint64_t worst = 0;
	int refreshes = 0;
	for (int i = 0; i < 100; i++) {
		sleep_ms(10);
		refreshes += vt_tsclock_refresh(&c);
		for (int k = 0; k < 10; k++) {
			uint64_t e = check_against_mono(&c, 100000);
			worst = e > worst ? e : worst;
		}
	}
	cr_log_info("worst distance from CLOCK_MONOTONIC %llu ns, %d refreshes, last error %lld ns",
		    (unsigned long long)worst, refreshes, (long long)c.last_err_ns);
	if (tsc) {
		cr_assert_geq(refreshes, 10);
		cr_assert_eq(c.steps, 0, "no forward step was needed");
	}
}

/* Every refresh: before its switch point the new parameters give exactly the old mapping's
 * values, the new segment starts at the old mapping's value there, and the new mapping never
 * decreases over the switch, the slew and into the steady segment. */
Test(tsclock, continuous_at_refresh)
{
	struct vt_tsclock c;
	if (!calibrated(&c))
		return;
	int checked = 0;
	for (int i = 0; i < 60 && checked < 6; i++) {
		sleep_ms(10);
		uint64_t g = c.gen;
		struct vt_tsc_params old = c.slot[g & 1];
		if (!vt_tsclock_refresh(&c))
			continue;
		cr_assert_eq(c.gen, g + 1);
		const struct vt_tsc_params *nw = &c.slot[c.gen & 1];
		uint64_t now = vt_tsc_read();
		uint64_t sw = nw->seg[1].tsc, end = nw->seg[2].tsc;
		cr_assert_gt(sw, now, "the switch point is in the future");
		cr_assert_gt(end, sw);
		cr_assert_eq(nw->seg[1].ns, vt_tsc_params_at(&old, sw), "starts from the old value");
		/* Identical before the switch point. */
		for (uint64_t t = now; t < sw; t += (sw - now) / 1000 + 1)
			cr_assert_eq(vt_tsc_params_at(nw, t), vt_tsc_params_at(&old, t));
		cr_assert_eq(vt_tsc_params_at(nw, sw - 1), vt_tsc_params_at(&old, sw - 1));
		/* Non-decreasing over [now, end + (end - sw)], tick by tick around the joints. */
		uint64_t last = 0;
		uint64_t step = (end - sw) / 100000 + 1;
		for (uint64_t t = now; t < end + (end - sw); t += step) {
			uint64_t v = vt_tsc_params_at(nw, t);
			cr_assert_geq(v, last, "backwards at tsc %llu", (unsigned long long)t);
			last = v;
		}
		uint64_t joints[2] = { sw, end };
		for (int j = 0; j < 2; j++) {
			last = vt_tsc_params_at(nw, joints[j] - 1000);
			for (uint64_t t = joints[j] - 1000; t < joints[j] + 1000; t++) {
				uint64_t v = vt_tsc_params_at(nw, t);
				cr_assert_geq(v, last);
				last = v;
			}
		}
		/* The slew's rate stays within 0.5% of the estimated rate. */
		double r = (double)nw->seg[1].mult / (double)nw->seg[2].mult;
		cr_assert(r > 0.995 && r < 1.005, "slew rate ratio %f", r);
		checked++;
	}
	cr_assert_geq(checked, 3, "refreshes checked: %d", checked);
	cr_assert_eq(c.late, 0);
}

/* ---- the recorder's default clock ---- */

static int ts_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	(void)s;
	(void)p;
	return 0;
}

static int ts_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	(void)s;
	(void)buf;
	(void)bytes;
	return 0;
}

static void ts_destroy(struct vsnd_sink *s)
{
	(void)s;
}

static const struct vsnd_sink_ops quiet_sink_ops = { .name = "tsclock-test", .open = ts_open,
						     .write = ts_write, .destroy = ts_destroy };

/* Events recorded with the default clock across the calibration switch: t_ns within 100 us
 * of CLOCK_MONOTONIC around each call, non-decreasing, and sink durations on the same
 * scale (a few microseconds, not garbage from mixing two clocks). */
Test(tsclock, recorder_default_clock)
{
	char path[256];
	snprintf(path, sizeof(path), "/tmp/vt_test_tsclock_%d.db", (int)getpid());
	struct vt_recorder *r;
	char err[256];
	struct vt_recorder_opts o = { .commit_ms = 20 };
	cr_assert_eq(vt_recorder_open(path, &o, &r, err, sizeof(err)), 0, "%s", err);
	struct vmmio_observer ob = vt_recorder_observer(r);
	enum { N = 300 };
	static uint64_t lo[N], hi[N];
	for (int i = 0; i < N; i++) {
		struct vmmio_event ev = { .kind = VMMIO_EV_NOTIFY, .queue = 2, .value = (uint32_t)i };
		lo[i] = vt_tsclock_mono_ns();
		ob.event(ob.opaque, &ev);
		hi[i] = vt_tsclock_mono_ns();
		if (i % 10 == 0)
			sleep_ms(2);
	}
	/* Well after calibration: sink calls timed on the TSC scale at both ends. */
	sleep_ms(100);
	struct vsnd_sink inner = { .ops = &quiet_sink_ops };
	struct vsnd_sink *sk = vt_recorder_wrap_sink(r, &inner, 0);
	cr_assert_not_null(sk);
	struct vsnd_pcm_params p = { .format = VIRTIO_SND_PCM_FMT_S16, .channels = 2,
				     .rate_index = VIRTIO_SND_PCM_RATE_48000, .rate_hz = 48000,
				     .frame_bytes = 4, .period_bytes = 64, .buffer_bytes = 256 };
	cr_assert_eq(sk->ops->open(sk, &p), 0);
	uint8_t pcm[64] = { 1, 2, 3 };
	for (int k = 0; k < 20; k++)
		cr_assert_eq(sk->ops->write(sk, pcm, sizeof(pcm)), 0);
	if (r->tsc.use_tsc)
		cr_assert_neq(__atomic_load_n(&r->tsc.gen, __ATOMIC_ACQUIRE), 0,
			      "the writer calibrated the producers' TSC clock");
	cr_assert_eq(vt_recorder_close(r), 0);
	sk->ops->destroy(sk);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT t_ns FROM transport_event ORDER BY id", -1, &s,
					NULL), SQLITE_OK);
	int i = 0;
	uint64_t last = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		cr_assert_lt(i, N);
		uint64_t t = (uint64_t)sqlite3_column_int64(s, 0);
		cr_assert_geq(t + 100000, lo[i], "event %d: %llu vs [%llu, %llu]", i,
			      (unsigned long long)t, (unsigned long long)lo[i],
			      (unsigned long long)hi[i]);
		cr_assert_leq(t, hi[i] + 100000, "event %d", i);
		cr_assert_geq(t, last, "event %d before the previous one", i);
		last = t;
		i++;
	}
	cr_assert_eq(i, N);
	sqlite3_finalize(s);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*), max(duration_ns) FROM sink_event"
					" WHERE kind IN (1, 2)", -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(s, 0), 21);
	cr_assert_lt(sqlite3_column_int64(s, 1), 50000000, "durations: no mixed clocks");
	sqlite3_finalize(s);
	sqlite3_close(db);
	unlink(path);
}
