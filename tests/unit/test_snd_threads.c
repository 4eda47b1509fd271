/* test_snd_threads.c - the TX producer / sink consumer split: completions wait for the sink,
 * pacing with fast and slow sinks, one consumer wake per period, determinism, reset/RELEASE. */
#include <criterion/criterion.h>
#include <time.h>

#include "test_snd_harness.h"

static const uint8_t S16 = VIRTIO_SND_PCM_FMT_S16, R48K = VIRTIO_SND_PCM_RATE_48000;
#define PER 1920u       /* 480 frames of S16 stereo at 48 kHz */
#define P_NS 10000000ull /* = 10 ms */

static uint64_t mono_ns(void)
{
	return vsnd_clock_now(&vsnd_clock_monotonic);
}

static void prepare0(struct tdev *t, uint32_t periods)
{
	cr_assert_eq(tdev_set_params(t, 0, periods * PER, PER, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
}

static void fill_pattern(uint8_t *b, uint32_t n, uint32_t k)
{
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(k * 37u + i);
}

/* A sink whose write takes 1.5 periods of real time: every completion waits for the sink
 * (never before its write returned), completions are at least one write apart (no burst of
 * catch-up completions), the next period is handed to the sink only after the previous one
 * completed, and the bytes are exact. */
Test(snd_threads, slow_sink_completions_follow_the_sink, .timeout = 30)
{
	struct tdev t;
	tdev_init(&t, 2);
	struct tsink *k = t.sink[0];
	enum { N = 8 };
	const uint64_t W = P_NS * 3 / 2;
	k->write_sleep_ns = W;
	prepare0(&t, N);
	uint8_t d[N][PER];
	struct mem_chain *m[N];
	for (uint32_t i = 0; i < N; i++) {
		fill_pattern(d[i], PER, i);
		m[i] = tdev_tx(&t, 0, d[i], PER);
	}
	uint64_t t0 = mono_ns();
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	for (uint32_t i = 0; i < N; i++) {
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
		cr_expect_eq(mem_chain_w32(m[i], 4), (N - 1 - i) * PER, "latency_bytes of %u", i);
	}
	pthread_mutex_lock(&k->mu);
	cr_assert_eq(k->nwrites, N);
	cr_assert_eq(k->len, (size_t)N * PER);
	for (uint32_t i = 0; i < N; i++) {
		cr_assert_arr_eq(k->data + i * PER, d[i], PER, "period %u", i);
		cr_assert_eq(k->wlen[i], PER);
		cr_assert_geq(m[i]->done_ns, k->te[i], "message %u completed %.3f ms before the sink "
			      "consumed it", i, (double)(k->te[i] - m[i]->done_ns) / 1e6);
		cr_assert_geq(m[i]->done_ns, t0 + (i + 1) * P_NS, "message %u early", i);
		if (i) {
			cr_assert_geq(k->ts[i], m[i - 1]->done_ns, "period %u handed before %u "
				      "completed", i, i - 1);
			cr_assert_geq(m[i]->done_ns - m[i - 1]->done_ns, W,
				      "completions %u and %u only %.3f ms apart", i - 1, i,
				      (double)(m[i]->done_ns - m[i - 1]->done_ns) / 1e6);
		}
	}
	/* Pacing followed the sink (1.5 periods each), not the clock. */
	cr_assert_geq(m[N - 1]->done_ns - t0, N * W);
	cr_expect_lt(m[N - 1]->done_ns - t0, 2 * N * W, "took %.1f ms",
		     (double)(m[N - 1]->done_ns - t0) / 1e6);
	/* The sink is driven by one thread, not the one that completes messages. */
	cr_assert_eq(k->foreign_writes, 0);
	cr_assert(!pthread_equal(k->writer, m[0]->done_by));
	pthread_mutex_unlock(&k->mu);
	tdev_fini(&t);
}

/* A sink that is slow (2.5 periods per write) for three periods and then fast: after the
 * slow phase the stream plays on from where the sink got to, one period-time per message,
 * instead of completing the periods it fell behind by in a burst. */
Test(snd_threads, slow_then_fast_sink_no_catch_up_burst, .timeout = 30)
{
	struct tdev t;
	tdev_init(&t, 2);
	struct tsink *k = t.sink[0];
	enum { N = 7, SLOW = 3 };
	k->write_sleep_ns = P_NS * 5 / 2;
	k->slow_writes = SLOW;
	prepare0(&t, N);
	uint8_t d[PER] = { 0 };
	struct mem_chain *m[N];
	for (uint32_t i = 0; i < N; i++)
		m[i] = tdev_tx(&t, 0, d, PER);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	for (uint32_t i = 0; i < N; i++)
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
	pthread_mutex_lock(&k->mu);
	cr_assert_eq(k->nwrites, N);
	for (uint32_t i = 0; i < N; i++)
		cr_assert_geq(m[i]->done_ns, k->te[i], "message %u before its write ended", i);
	/* The timeline restarted when the last slow write ended. */
	for (uint32_t i = SLOW; i < N; i++)
		cr_assert_geq(m[i]->done_ns, k->te[SLOW - 1] + (i - SLOW + 1) * P_NS,
			      "message %u completed %.3f ms after the slow phase", i,
			      (double)(m[i]->done_ns - k->te[SLOW - 1]) / 1e6);
	pthread_mutex_unlock(&k->mu);
	tdev_fini(&t);
}

/* A sink whose write takes half a period does not slow the stream down: 20 periods still
 * take 20 period-times within 5 % (host scheduling noise gets up to three attempts;
 * earliness fails at once). */
static double half_period_sink_attempt(void)
{
	struct tdev t;
	tdev_init(&t, 2);
	enum { N = 20, AHEAD = 4 };
	t.sink[0]->write_sleep_ns = P_NS / 2;
	prepare0(&t, 8);
	uint8_t d[PER] = { 0 };
	struct mem_chain *m[N];
	for (int i = 0; i < AHEAD; i++)
		m[i] = tdev_tx(&t, 0, d, PER);
	uint64_t t0 = mono_ns();
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	for (int i = 0; i < N; i++) {
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
		if (i + AHEAD < N)
			m[i + AHEAD] = tdev_tx(&t, 0, d, PER);
	}
	for (int i = 0; i < N; i++)
		cr_assert_geq(m[i]->done_ns, t0 + (uint64_t)(i + 1) * P_NS, "message %d early", i);
	pthread_mutex_lock(&t.sink[0]->mu);
	cr_assert_eq(t.sink[0]->nwrites, N);
	for (int i = 0; i < N; i++)
		cr_assert_geq(t.sink[0]->ts[i], t0 + (uint64_t)i * P_NS, "write %d early", i);
	pthread_mutex_unlock(&t.sink[0]->mu);
	double took = (double)(m[N - 1]->done_ns - t0) / 1e6;
	tdev_fini(&t);
	return took;
}

Test(snd_threads, sink_within_its_period_keeps_real_time_pacing, .timeout = 30)
{
	double took = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		took = half_period_sink_attempt();
		if (took >= 200.0 * 0.95 && took <= 200.0 * 1.05)
			break;
	}
	cr_expect(took >= 200.0 * 0.95 && took <= 200.0 * 1.05, "20 periods took %.2f ms", took);
}

static uint32_t nwrites_of(struct tsink *k)
{
	pthread_mutex_lock(&k->mu);
	uint32_t n = k->nwrites;
	pthread_mutex_unlock(&k->mu);
	return n;
}

static void at(struct tdev *t, uint64_t ns)
{
	vsnd_vclock_set(t->vc, ns);
	vsnd_dev_quiesce(t->dev);
}

/* Manual virtual clock: the consumer is woken exactly once per period, at the period's
 * start, with exactly that period; nothing reaches the sink between boundaries. The chain is
 * completed at the boundary by another thread than the one writing to the sink. */
Test(snd_threads, consumer_woken_once_per_period)
{
	struct tdev t;
	tdev_init(&t, 1);
	struct tsink *k = t.sink[0];
	enum { N = 5 };
	prepare0(&t, N);
	uint8_t d[N][PER];
	struct mem_chain *m[N];
	for (uint32_t i = 0; i < N; i++) {
		fill_pattern(d[i], PER, i + 9);
		m[i] = tdev_tx(&t, 0, d[i], PER);
	}
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	vsnd_dev_quiesce(t.dev);
	cr_assert_eq(nwrites_of(k), 1, "the first period is handed at START");
	for (uint32_t i = 0; i < N; i++) {
		uint64_t end = (i + 1) * P_NS;
		at(&t, end - P_NS / 2);
		at(&t, end - 1);
		cr_assert_eq(nwrites_of(k), i + 1, "a write between boundaries");
		cr_assert(chain_pending(m[i]));
		at(&t, end);
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
		cr_assert_eq(m[i]->done_clk, end);
		cr_assert_eq(nwrites_of(k), i + 1 < N ? i + 2 : N, "one wake per period");
	}
	pthread_mutex_lock(&k->mu);
	for (uint32_t i = 0; i < N; i++) {
		cr_assert_eq(k->wlen[i], PER);
		cr_assert_eq(k->ts[i], i * P_NS, "period %u written at %llu", i,
			     (unsigned long long)k->ts[i]);
		cr_assert_arr_eq(k->data + i * PER, d[i], PER);
	}
	cr_assert_eq(k->foreign_writes, 0);
	for (uint32_t i = 0; i < N; i++)
		cr_assert(!pthread_equal(k->writer, m[i]->done_by));
	pthread_mutex_unlock(&k->mu);
	tdev_fini(&t);
}

/* ---- determinism ---- */

enum { DET_MAX = 256 };

/* What one run produced: sink bytes and write times per output stream, completion order
 * per queue, and per chain (in creation order) outcome, used.len, pcm_status and clock time. */
struct det_run {
	uint8_t *bytes[2];
	size_t len[2];
	uint32_t nw[2];
	uint64_t ts[2][DET_MAX];
	uint32_t n;
	uint64_t order[DET_MAX];
	uint32_t nchains;
	uint32_t state[DET_MAX], used[DET_MAX], status[DET_MAX], lat[DET_MAX];
	uint64_t clk[DET_MAX];
};

static void det_collect(struct tdev *t, struct det_run *r, int with_times)
{
	const uint32_t outs[2] = { 0, 2 };
	for (int o = 0; o < 2; o++) {
		struct tsink *k = t->sink[outs[o]];
		pthread_mutex_lock(&k->mu);
		r->len[o] = k->len;
		r->bytes[o] = malloc(k->len ? k->len : 1);
		memcpy(r->bytes[o], k->data, k->len);
		r->nw[o] = k->nwrites;
		for (uint32_t i = 0; i < k->nwrites && i < DET_MAX; i++)
			r->ts[o][i] = with_times ? k->ts[i] : 0;
		pthread_mutex_unlock(&k->mu);
	}
	/* Completion order per queue (the TX and RX threads run independently). */
	pthread_mutex_lock(&t->log.mu);
	r->n = 0;
	for (uint16_t q = VSND_VQ_TX; q <= VSND_VQ_RX; q++)
		for (uint32_t i = 0; i < t->log.n && r->n < DET_MAX; i++)
			for (uint32_t c = 0; c < t->nchains; c++)
				if (t->chains[c]->c.seq == t->log.order[i] &&
				    t->chains[c]->c.queue == q)
					r->order[r->n++] = t->log.order[i];
	pthread_mutex_unlock(&t->log.mu);
	r->nchains = t->nchains;
	for (uint32_t i = 0; i < t->nchains && i < DET_MAX; i++) {
		struct mem_chain *mc = t->chains[i];
		uint32_t used = 0;
		r->state[i] = mem_chain_state(mc, &used);
		r->used[i] = used;
		uint32_t off = mc->c.queue == VSND_VQ_RX ? mc->c.wlen - 8 : 0;
		if (mc->c.queue == VSND_VQ_TX || mc->c.queue == VSND_VQ_RX) {
			r->status[i] = mem_chain_w32(mc, off);
			r->lat[i] = mem_chain_w32(mc, off + 4);
		}
		r->clk[i] = with_times ? mc->done_clk : 0;
	}
}

static void det_free(struct det_run *r)
{
	free(r->bytes[0]);
	free(r->bytes[1]);
}

static void det_compare(const struct det_run *a, const struct det_run *b)
{
	for (int o = 0; o < 2; o++) {
		cr_assert_eq(a->len[o], b->len[o], "output %d: %zu vs %zu bytes", o, a->len[o],
			     b->len[o]);
		cr_assert_arr_eq(a->bytes[o], b->bytes[o], a->len[o], "output %d bytes differ", o);
		cr_assert_eq(a->nw[o], b->nw[o]);
		for (uint32_t i = 0; i < a->nw[o] && i < DET_MAX; i++)
			cr_assert_eq(a->ts[o][i], b->ts[o][i], "output %d write %u time", o, i);
	}
	cr_assert_eq(a->n, b->n);
	for (uint32_t i = 0; i < a->n && i < DET_MAX; i++)
		cr_assert_eq(a->order[i], b->order[i], "completion %u differs", i);
	cr_assert_eq(a->nchains, b->nchains);
	for (uint32_t i = 0; i < a->nchains && i < DET_MAX; i++) {
		cr_assert_eq(a->state[i], b->state[i], "chain %u", i);
		cr_assert_eq(a->used[i], b->used[i], "chain %u", i);
		cr_assert_eq(a->status[i], b->status[i], "chain %u", i);
		cr_assert_eq(a->lat[i], b->lat[i], "chain %u latency_bytes", i);
		cr_assert_eq(a->clk[i], b->clk[i], "chain %u completion time", i);
	}
}

/* Streams 0 and 2: output (44.1 kHz stereo 441-frame periods, 8 kHz mono 40-frame periods);
 * 1: input. Returns the device with the three streams prepared. */
static void det_setup(struct tdev *t, int clock, uint32_t seed)
{
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	cfg.nstreams = 3;
	cfg.streams[2] = cfg.streams[0];
	tdev_init_cfg(t, &cfg, clock);
	vsnd_dev_driver_ok(t->dev);
	for (int s = 0; s < 3; s += 2) {
		/* Sinks slower or faster from run to run, in real time only. */
		t->sink[s]->jitter_us = 400;
		t->sink[s]->jitter_seed = seed * 7919u + (uint32_t)s;
	}
	cr_assert_eq(tdev_set_params(t, 0, 8 * 1764, 1764, 0, 2, S16, VIRTIO_SND_PCM_RATE_44100),
		     VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(t, 2, 8 * 80, 80, 0, 1, S16, VIRTIO_SND_PCM_RATE_8000),
		     VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(t, 1, 8 * 960, 960, 0, 1, S16, R48K), VIRTIO_SND_S_OK);
	for (uint32_t s = 0; s < 3; s++)
		cr_assert_eq(tdev_pcm(t, VIRTIO_SND_R_PCM_PREPARE, s), VIRTIO_SND_S_OK);
}

static struct mem_chain *det_tx(struct tdev *t, uint32_t sid, uint32_t bytes, uint32_t *k)
{
	uint8_t b[1764];
	fill_pattern(b, bytes, (*k)++ + sid * 1000u);
	return tdev_tx(t, sid, b, bytes);
}

/* Manual virtual clock, irregular steps (some spanning several periods of a stream), guest-
 * like re-queueing of completed buffers, a STOP/START, capture alongside. */
static void det_manual_run(uint32_t seed, struct det_run *r)
{
	struct tdev t;
	det_setup(&t, 1, seed);
	uint32_t k = 0;
	struct mem_chain *q0[DET_MAX], *q2[DET_MAX];
	uint32_t n0 = 0, n2 = 0, done0 = 0, done2 = 0;
	for (int i = 0; i < 3; i++) {
		q0[n0++] = det_tx(&t, 0, 1764, &k);
		q2[n2++] = det_tx(&t, 2, 80, &k);
	}
	tdev_rx(&t, 1, 960);
	tdev_rx(&t, 1, 960);
	for (uint32_t s = 0; s < 3; s++)
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, s), VIRTIO_SND_S_OK);
	vsnd_dev_quiesce(t.dev); /* inputs given: settle before moving the clock */
	static const uint64_t steps_us[] = { 3000, 7000, 1, 24999, 5000, 10000, 333, 41000,
					     2500, 2500, 15000, 9999, 1, 30000, 4000 };
	uint64_t now = 0;
	for (size_t i = 0; i < sizeof(steps_us) / sizeof(steps_us[0]); i++) {
		now += steps_us[i] * 1000;
		at(&t, now);
		/* Re-queue like the guest: one new buffer per completed one. */
		while (done0 < n0 && !chain_pending(q0[done0]) && n0 < 40) {
			done0++;
			q0[n0++] = det_tx(&t, 0, 1764, &k);
		}
		while (done2 < n2 && !chain_pending(q2[done2]) && n2 < 80) {
			done2++;
			q2[n2++] = det_tx(&t, 2, 80, &k);
		}
		if (i == 6)
			cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
		if (i == 8)
			cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
		vsnd_dev_quiesce(t.dev);
	}
	det_collect(&t, r, 1);
	cr_assert_gt(r->nw[0], 5);
	cr_assert_gt(r->nw[1], 10);
	tdev_fini(&t);
}

Test(snd_threads, deterministic_under_manual_virtual_clock, .timeout = 30)
{
	struct det_run *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	det_manual_run(1, a);
	for (uint32_t seed = 2; seed < 4; seed++) {
		det_manual_run(seed, b);
		det_compare(a, b);
		det_free(b);
		memset(b, 0, sizeof(*b));
	}
	det_free(a);
	free(a);
	free(b);
}

/* Instant virtual clock (the TX thread drives time): identical bytes, completion order,
 * used.len, statuses and latency_bytes on every run. */
static void det_instant_run(uint32_t seed, struct det_run *r)
{
	struct tdev t;
	det_setup(&t, 0, seed);
	uint32_t k = 0;
	struct mem_chain *last0 = NULL, *last2 = NULL;
	for (int i = 0; i < 8; i++) {
		last0 = det_tx(&t, 0, 1764, &k);
		last2 = det_tx(&t, 2, 80, &k);
	}
	for (uint32_t s = 0; s < 3; s += 2)
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, s), VIRTIO_SND_S_OK);
	expect_io_done(last0, 8, VIRTIO_SND_S_OK);
	expect_io_done(last2, 8, VIRTIO_SND_S_OK);
	vsnd_dev_quiesce(t.dev);
	det_collect(&t, r, 0);
	cr_assert_eq(r->nw[0], 8);
	cr_assert_eq(r->nw[1], 8);
	tdev_fini(&t);
}

Test(snd_threads, deterministic_under_instant_virtual_clock, .timeout = 30)
{
	struct det_run *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	det_instant_run(1, a);
	for (uint32_t seed = 2; seed < 5; seed++) {
		det_instant_run(seed, b);
		det_compare(a, b);
		det_free(b);
		memset(b, 0, sizeof(*b));
	}
	det_free(a);
	free(a);
	free(b);
}

/* ---- reset and RELEASE while the sink is busy ---- */

static void wait_in_write(struct tsink *k)
{
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&k->mu);
		int w = k->in_write;
		pthread_mutex_unlock(&k->mu);
		if (w)
			return;
		tsink_sleep_ns(500000);
	}
	cr_assert_fail("the sink was never written");
}

/* vsnd_dev_reset() returns only once the consumer is out of the sink; afterwards nothing
 * touches a chain or the sink. */
Test(snd_threads, reset_waits_for_the_consumer, .timeout = 30)
{
	struct tdev t;
	tdev_init(&t, 2);
	struct tsink *k = t.sink[0];
	k->write_sleep_ns = 30000000;
	prepare0(&t, 4);
	uint8_t d[PER] = { 0 };
	struct mem_chain *m[3];
	for (int i = 0; i < 3; i++)
		m[i] = tdev_tx(&t, 0, d, PER);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	wait_in_write(k);
	vsnd_dev_reset(t.dev);
	pthread_mutex_lock(&k->mu);
	cr_assert_eq(k->in_write, 0, "reset returned while the sink was being written");
	uint32_t nw = k->nwrites;
	uint32_t closes = k->closes;
	pthread_mutex_unlock(&k->mu);
	cr_assert_eq(closes, 1);
	/* The message in the sink (m0, or a later one on a loaded host) and those behind it
	 * are discarded; any before it completed normally. */
	int discarded = 0;
	for (int i = 0; i < 3; i++) {
		enum mem_chain_state cs = mem_chain_state(m[i], NULL);
		cr_assert_neq(cs, MEM_CHAIN_PENDING, "m%d held after reset", i);
		if (cs == MEM_CHAIN_DISCARDED)
			discarded++;
		else
			cr_assert_eq(discarded, 0, "m%d completed after a discarded one", i);
	}
	cr_assert_geq(discarded, 1);
	struct vsnd_stream_stats st;
	vsnd_dev_stream_stats(t.dev, 0, &st);
	cr_assert_eq(st.state, VSND_PCM_INIT);
	cr_assert_eq(st.queued, 0);
	tsink_sleep_ns(50000000);
	cr_assert_eq(nwrites_of(k), nw, "the sink was written after reset");
	tdev_fini(&t);
}

/* RELEASE while the consumer is in a long write: the reply comes after the write, every
 * held message is completed before it (5.14.6.6.5.1), the sink is closed after the write. */
Test(snd_threads, release_during_slow_write, .timeout = 30)
{
	struct tdev t;
	tdev_init(&t, 2);
	struct tsink *k = t.sink[0];
	k->write_sleep_ns = 30000000;
	prepare0(&t, 4);
	uint8_t d[PER];
	fill_pattern(d, PER, 3);
	struct mem_chain *m[3];
	for (int i = 0; i < 3; i++)
		m[i] = tdev_tx(&t, 0, d, PER);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	wait_in_write(k);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
	struct virtio_snd_pcm_hdr h = { VIRTIO_SND_R_PCM_RELEASE, 0 };
	struct mem_chain *rel;
	uint32_t used;
	cr_assert_eq(tdev_ctl(&t, &h, sizeof(h), 4, &used, &rel), VIRTIO_SND_S_OK);
	pthread_mutex_lock(&k->mu);
	cr_assert_eq(k->in_write, 0);
	cr_assert_eq(k->nwrites, 1, "only the period in the sink was played");
	cr_assert_arr_eq(k->data, d, PER);
	cr_assert_eq(k->closes, 1);
	cr_assert_geq(rel->done_ns, k->te[0]);
	pthread_mutex_unlock(&k->mu);
	pthread_mutex_lock(&t.log.mu);
	uint32_t n = t.log.n;
	cr_assert_geq(n, 4);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(t.log.order[n - 4 + i], m[i]->c.seq);
	cr_assert_eq(t.log.order[n - 1], rel->c.seq);
	pthread_mutex_unlock(&t.log.mu);
	for (int i = 0; i < 3; i++)
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
	tdev_fini(&t);
}
