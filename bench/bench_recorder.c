/* bench_recorder.c - performance of the session recorder: producer cost per small event,
 * writer ingest in rows/s and PCM blob MB/s, CPU per second of real-time playback, fixed
 * costs. Prints `NAME VALUE UNIT` lines (make bench). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "trace/recorder.h"
#include "trace/tsclock.h"
#include "vsnd/virtio_snd.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void rm_db(const char *path)
{
	char side[600];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static struct vt_recorder *open_rec_opts(const char *path, const struct vt_recorder_opts *o)
{
	struct vt_recorder *r;
	char err[256];
	if (vt_recorder_open(path, o, &r, err, sizeof(err))) {
		fprintf(stderr, "bench_recorder: %s\n", err);
		exit(1);
	}
	return r;
}

static struct vt_recorder *open_rec(const char *path)
{
	return open_rec_opts(path, NULL);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* A chain over static memory: readable = xfer header + PCM, writable = 8-byte status. */
struct bchain {
	struct vsnd_chain c;
	const uint8_t *rd;
	uint8_t st[8];
	struct vsnd_desc d[3];
};

static uint32_t bc_read(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	struct bchain *b = c->opaque;
	if (off >= c->rlen)
		return 0;
	if (len > c->rlen - off)
		len = c->rlen - off;
	memcpy(dst, b->rd + off, len);
	return len;
}

static uint32_t bc_write(struct vsnd_chain *c, uint32_t off, const void *src, uint32_t len)
{
	struct bchain *b = c->opaque;
	if (off >= 8)
		return 0;
	if (len > 8 - off)
		len = 8 - off;
	memcpy(b->st + off, src, len);
	return len;
}

static void bc_complete(struct vsnd_chain *c, uint32_t used)
{
	(void)c;
	(void)used;
}

static void bc_discard(struct vsnd_chain *c)
{
	(void)c;
}

static const struct vsnd_chain_ops bc_ops = { bc_read, bc_write, bc_complete, bc_discard };

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static int ns_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	(void)s;
	(void)p;
	return 0;
}

static int ns_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	(void)s;
	(void)buf;
	(void)bytes;
	return 0;
}

static void ns_destroy(struct vsnd_sink *s)
{
	(void)s;
}

static const struct vsnd_sink_ops null_sink_ops = { .name = "bench-null", .open = ns_open,
						    .write = ns_write, .destroy = ns_destroy };

/* A TX chain as Linux sends it: 4-byte xfer header + `period` PCM bytes readable (msg), an
 * 8-byte status writable, in three descriptors. */
static void bchain_init_tx(struct bchain *bc, const uint8_t *msg, uint32_t period)
{
	*bc = (struct bchain){ .rd = msg,
			       .d = { { 0x1000, 4, 1, 1 }, { 0x2000, period, 1, 2 },
				      { 0x9000, 8, 2, 0 } } };
	bc->c.ops = &bc_ops;
	bc->c.opaque = bc;
	bc->c.queue = VSND_VQ_TX;
	bc->c.rlen = 4 + period;
	bc->c.wlen = 8;
	bc->c.descs = bc->d;
	bc->c.ndescs = 3;
}

/* One 48 kHz stereo S16 playback period as the device sees it: notify, a TX chain (header,
 * 1024 frames, status), the sink write of the same bytes, interrupt raised and acknowledged. */
static void realtime_period(struct vt_recorder *r, struct vmmio_observer *o, struct bchain *bc,
			    struct vsnd_sink *sink, uint8_t *buf, uint32_t i)
{
	struct vmmio_event notify = { .kind = VMMIO_EV_NOTIFY, .queue = 2 };
	struct vmmio_event raise = { .kind = VMMIO_EV_IRQ_RAISE, .value = 1 };
	struct vmmio_event ack = { .kind = VMMIO_EV_IRQ_ACK, .value = 1 };
	static const uint8_t st[8] = { 0, 0, 0, 0, 0, 0x10, 0, 0 };
	uint32_t period = bc->c.rlen - 4;
	if (o)
		o->event(o->opaque, &notify);
	bc->c.seq = i;
	bc->c.head = (uint16_t)(i & 63);
	struct vsnd_chain *c = r ? vt_recorder_wrap_chain(r, &bc->c) : &bc->c;
	vsnd_chain_read(c, 0, buf, 4);
	vsnd_chain_read(c, 4, buf, period);
	sink->ops->write(sink, buf, period);
	vsnd_chain_write(c, 0, st, 8);
	vsnd_chain_complete(c, 8);
	if (o) {
		o->event(o->opaque, &raise);
		o->event(o->opaque, &ack);
	}
}

/* CPU (ms) of `seconds` of real-time paced playback periods, with or without a recorder
 * committing every commit_ms (0 = default), open and close excluded. */
static double realtime_cpu_ms(const char *path, double seconds, int traced, uint32_t commit_ms)
{
	enum { PERIOD = 4096 };
	static uint8_t msg[4 + PERIOD], buf[4 + PERIOD];
	for (uint32_t i = 4; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	struct bchain bc;
	bchain_init_tx(&bc, msg, PERIOD);
	struct vsnd_sink inner = { .ops = &null_sink_ops };
	struct vsnd_sink *sink = &inner;
	struct vt_recorder *r = NULL;
	struct vmmio_observer o, *op = NULL;
	if (traced) {
		struct vt_recorder_opts ro = { .commit_ms = commit_ms };
		r = open_rec_opts(path, &ro);
		o = vt_recorder_observer(r);
		op = &o;
		sink = vt_recorder_wrap_sink(r, &inner, 0);
		struct vsnd_pcm_params p = { .format = VIRTIO_SND_PCM_FMT_S16, .channels = 2,
					     .rate_index = VIRTIO_SND_PCM_RATE_48000,
					     .rate_hz = 48000, .frame_bytes = 4,
					     .period_bytes = PERIOD, .buffer_bytes = 4 * PERIOD };
		sink->ops->open(sink, &p);
	}
	const uint64_t step = 1000000000ull * 1024 / 48000;
	uint32_t n = (uint32_t)(seconds * 48000 / 1024);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double c0 = cpu_s();
	for (uint32_t i = 0; i < n; i++) {
		realtime_period(r, op, &bc, sink, buf, i);
		ts.tv_nsec += (long)step;
		while (ts.tv_nsec >= 1000000000) {
			ts.tv_nsec -= 1000000000;
			ts.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	double c1 = cpu_s();
	if (traced) {
		sink->ops->destroy(sink);
		vt_recorder_close(r);
		rm_db(path);
	}
	return (c1 - c0) * 1e3;
}

/* The floor under any recorder of this design: CPU (ms, this thread) to store only the PCM of
 * `seconds` of 48 kHz stereo S16 audio, one 4 KiB blob per 1024-frame period, in a
 * one-table SQLite database with the recorder's settings (WAL, synchronous=NORMAL, 4 KiB
 * pages, one commit per second of audio), open and final checkpoint included. No other
 * event, no index, no queue, no second thread. */
static double pcm_only_floor_ms(const char *path, double seconds)
{
	enum { PERIOD = 4096, PER_S = 48000 / 1024 };
	static uint8_t blob[PERIOD];
	for (uint32_t i = 0; i < PERIOD; i++)
		blob[i] = (uint8_t)(i * 13);
	rm_db(path);
	struct timespec a, b;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	int ok = sqlite3_open(path, &db) == SQLITE_OK &&
		 sqlite3_exec(db, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;"
				  " PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 8192;"
				  " CREATE TABLE pcm (id INTEGER PRIMARY KEY, stream INTEGER,"
				  " seq INTEGER, stream_offset INTEGER, t_ns INTEGER, data BLOB);"
				  " BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
		 sqlite3_prepare_v2(db, "INSERT INTO pcm VALUES (?,0,?,?,?,?)", -1, &s, NULL) ==
			 SQLITE_OK;
	uint32_t n = (uint32_t)(seconds * 48000 / 1024);
	for (uint32_t i = 0; ok && i < n; i++) {
		blob[0] = (uint8_t)i;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)i * 13);
		sqlite3_bind_int64(s, 2, i);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)i * PERIOD);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)i * 21333333);
		sqlite3_bind_blob(s, 5, blob, PERIOD, SQLITE_STATIC);
		ok = sqlite3_step(s) == SQLITE_DONE;
		sqlite3_reset(s);
		if (ok && i % PER_S == PER_S - 1)
			ok = sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	}
	sqlite3_finalize(s);
	ok = ok && sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);"
				    " PRAGMA journal_mode = DELETE", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok)
		fprintf(stderr, "bench_recorder: floor: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	rm_db(path);
	if (!ok)
		exit(1);
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static uint64_t counter_now(struct vsnd_clock *c)
{
	return ++*(uint64_t *)c->opaque;
}

static uint64_t counter_ticks(struct vsnd_clock *c)
{
	(void)c;
	return 0;
}

static const struct vsnd_clock_ops counter_ops = { .now_ns = counter_now,
						   .guest_ticks = counter_ticks };

int main(int argc, char **argv)
{
	vt_sqlite_process_init(); /* as semu does */
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	uint64_t counter_value = 0;
	struct vsnd_clock counter_clock = { .ops = &counter_ops, .opaque = &counter_value };
	char path[512];
	snprintf(path, sizeof(path), "%s/bench_recorder_%d.db", dir, (int)getpid());

	/* 1. Producer cost of a small event (a transport NOTIFY through the observer, default
	 * clock: host CLOCK_MONOTONIC nanoseconds), in batches of 100 so the timer cost is
	 * amortised. Measured in the steady state of a recording: after the writer's first
	 * wake-up (within 60 ms of open) has calibrated the TSC clock (trace/tsclock.h; before
	 * that, during a session's first ~60 ms, events cost clock_gettime as in 1b's figure). */
	{
		struct vt_recorder *r = open_rec(path);
		struct timespec calib = { 0, 200000000 };
		nanosleep(&calib, NULL);
		struct vmmio_observer o = vt_recorder_observer(r);
		struct vmmio_event ev = { .kind = VMMIO_EV_NOTIFY, .queue = 2 };
		enum { BATCH = 100, NB = 4000 };
		uint64_t *per = malloc(NB * sizeof(*per));
		for (int rep = 0; rep < 2; rep++) { /* first round warms the ring pages */
			for (int b = 0; b < NB; b++) {
				uint64_t t0 = now_ns();
				for (int i = 0; i < BATCH; i++)
					o.event(o.opaque, &ev);
				per[b] = now_ns() - t0;
			}
			vt_recorder_sync(r);
		}
		qsort(per, NB, sizeof(*per), cmp_u64);
		struct vt_recorder_stats st;
		vt_recorder_get_stats(r, &st);
		printf("recorder_producer_event_median %.1f ns\n", per[NB / 2] / (double)BATCH);
		printf("recorder_producer_event_p99 %.1f ns\n", per[NB * 99 / 100] / (double)BATCH);
		printf("recorder_producer_waits %llu count\n", (unsigned long long)st.producer_waits);
		free(per);
		vt_recorder_close(r);
		rm_db(path);
	}

	/* 1b. The same without the cost of the time source (a counter clock): the recorder's
	 * own share. On this kind of VM clock_gettime() alone costs ~40 ns. */
	{
		struct vt_recorder *r = open_rec(path);
		vt_recorder_set_clock(r, &counter_clock);
		struct vmmio_observer o = vt_recorder_observer(r);
		struct vmmio_event ev = { .kind = VMMIO_EV_NOTIFY, .queue = 2 };
		enum { BATCH = 100, NB = 4000 };
		uint64_t *per = malloc(NB * sizeof(*per));
		for (int rep = 0; rep < 2; rep++) {
			for (int b = 0; b < NB; b++) {
				uint64_t t0 = now_ns();
				for (int i = 0; i < BATCH; i++)
					o.event(o.opaque, &ev);
				per[b] = now_ns() - t0;
			}
			vt_recorder_sync(r);
		}
		qsort(per, NB, sizeof(*per), cmp_u64);
		printf("recorder_producer_event_noclock_median %.1f ns\n",
		       per[NB / 2] / (double)BATCH);
		uint64_t t0 = now_ns();
		for (int i = 0; i < 1000000; i++)
			vsnd_clock_monotonic.ops->now_ns(&vsnd_clock_monotonic);
		printf("host_clock_gettime_cost %.1f ns\n", (now_ns() - t0) / 1e6);
		/* The recorder's default time source once calibrated (clock_gettime where the
		 * TSC is not safe to use: then both figures match). */
		struct vt_tsclock tc;
		vt_tsclock_init(&tc, 0, 0);
		struct timespec calib = { 0, 60000000 };
		nanosleep(&calib, NULL);
		vt_tsclock_refresh(&tc);
		uint64_t sink_sum = 0;
		t0 = now_ns();
		for (int i = 0; i < 1000000; i++)
			sink_sum += vt_tsclock_now(&tc);
		printf("host_tsclock_cost %.1f ns\n", (now_ns() - t0) / 1e6);
		if (!sink_sum)
			printf("(unreachable)\n");
		free(per);
		vt_recorder_close(r);
		rm_db(path);
	}

	/* 1c. Fixed costs: CPU of open (schema, session row), of an idle second (the writer
	 * must sleep) and of close on an empty session. */
	{
		double c0 = cpu_s();
		struct vt_recorder *r = open_rec(path);
		/* The open figure includes the writer thread's start-up (it populates the first
		 * MiB of the ring, writer.c prefault_ring). */
		struct timespec settle = { 0, 200000000 };
		nanosleep(&settle, NULL);
		double c1 = cpu_s();
		sleep(1);
		double c2 = cpu_s();
		vt_recorder_close(r);
		double c3 = cpu_s();
		printf("recorder_open_cpu %.2f ms\n", (c1 - c0) * 1e3);
		printf("recorder_idle_cpu %.3f ms/s\n", (c2 - c1) * 1e3);
		printf("recorder_close_cpu %.2f ms\n", (c3 - c2) * 1e3);
		rm_db(path);
	}

	/* 1d. Steady state: 48 kHz stereo S16 playback in 1024-frame periods paced in real
	 * time (about 13 rows per period: notify, chain, 3 descriptors, 3 chain reads/writes,
	 * pcm, end, sink write, interrupt raise/ack), CPU of the whole process per second of
	 * audio, with the recorder minus without it (best of 3 each, interleaved); with the
	 * default commit interval (1 s) and with 100 ms commits. */
	{
		const double secs = 3.0;
		double best = 1e9, plain = 1e9, fast = 1e9;
		for (int k = 0; k < 3; k++) {
			double a = realtime_cpu_ms(path, secs, 0, 0);
			double b = realtime_cpu_ms(path, secs, 1, 0);
			double c = realtime_cpu_ms(path, secs, 1, 100);
			if (a < plain)
				plain = a;
			if (b < best)
				best = b;
			if (c < fast)
				fast = c;
		}
		printf("recorder_realtime_cpu %.3f ms/s\n", (best - plain) / secs);
		printf("recorder_realtime_cpu_per_period %.1f us\n",
		       (best - plain) * 1e3 / (secs * 48000 / 1024));
		/* The same committing every 100 ms (the default until 2026-11-26): what each
		 * wake-up and commit (cold caches, WAL frames of every b-tree page touched) costs. */
		printf("recorder_realtime_cpu_commit_100ms %.3f ms/s\n", (fast - plain) / secs);
	}

	/* 2. Writer ingest of small rows: 2 M transport events, time until all are committed. */
	{
		struct vt_recorder *r = open_rec(path);
		struct vmmio_observer o = vt_recorder_observer(r);
		struct vmmio_event ev = { .kind = VMMIO_EV_IRQ_RAISE, .value = 1 };
		const int N = 2000000;
		uint64_t t0 = now_ns();
		for (int i = 0; i < N; i++)
			o.event(o.opaque, &ev);
		vt_recorder_sync(r);
		uint64_t dt = now_ns() - t0;
		struct vt_recorder_stats st;
		vt_recorder_get_stats(r, &st);
		printf("recorder_writer_rows %.0f rows/s\n", st.rows / (dt / 1e9));
		vt_recorder_close(r);
		rm_db(path);
	}

	/* 3. PCM blobs: TX chains (chain, descriptors, read, status, end) of 16 KiB and of
	 * 4 KiB periods (1024 stereo S16 frames, what Linux typically sends), 128 MiB each,
	 * time until all are committed. */
	static const uint32_t periods[2] = { 16384, 4096 };
	for (int v = 0; v < 2; v++) {
		struct vt_recorder *r = open_rec(path);
		const uint32_t PERIOD = periods[v];
		const uint32_t COUNT = (128u << 20) / PERIOD;
		uint8_t *msg = malloc(4 + PERIOD);
		for (uint32_t i = 0; i < 4 + PERIOD; i++)
			msg[i] = (uint8_t)(i * 31);
		memset(msg, 0, 4);
		uint8_t *buf = malloc(4 + PERIOD);
		struct bchain bc;
		bchain_init_tx(&bc, msg, PERIOD);
		uint8_t st[8] = { 0x00, 0x80, 0, 0, 0, 0x10, 0, 0 };
		uint64_t t0 = now_ns();
		for (uint32_t i = 0; i < COUNT; i++) {
			bc.c.seq = i;
			bc.c.head = (uint16_t)(i & 63);
			struct vsnd_chain *c = vt_recorder_wrap_chain(r, &bc.c);
			vsnd_chain_read(c, 0, buf, 4);
			vsnd_chain_read(c, 4, buf, PERIOD);
			vsnd_chain_write(c, 0, st, 8);
			vsnd_chain_complete(c, 8);
		}
		vt_recorder_sync(r);
		uint64_t dt = now_ns() - t0;
		printf("recorder_writer_pcm%s %.1f MB/s\n", v ? "_4k_periods" : "",
		       (double)PERIOD * COUNT / 1e6 / (dt / 1e9));
		vt_recorder_close(r);
		rm_db(path);
		free(msg);
		free(buf);
	}

	/* 4. The floor (pcm_only_floor_ms): what storing only the PCM costs, for the 6 s and the
	 * 1-minute sessions of bench-record and bench-long; median of 5. */
	{
		static const double lens[2] = { 6, 60 };
		for (int v = 0; v < 2; v++) {
			double x[5];
			for (int k = 0; k < 5; k++)
				x[k] = pcm_only_floor_ms(path, lens[v]);
			qsort(x, 5, sizeof(x[0]), cmp_double);
			printf("recorder_floor_pcm_only_%gs %.1f ms min %.1f median %.1f max %.1f n 5\n",
			       lens[v], x[2], x[0], x[2], x[4]);
		}
	}
	return 0;
}
