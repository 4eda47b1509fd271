/* test_snd_harness.h - helpers for the test_snd_*.c suites: a capturing test sink/source
 * (bytes + clock timestamps per write), request builders and one-call control requests. */
#ifndef TEST_SND_HARNESS_H
#define TEST_SND_HARNESS_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem_chain.h"
#include "vsnd/snd.h"

/* ---- test sink: records everything the device does to it ---- */

#define TSINK_MAX_WRITES 4096

struct tsink {
	struct vsnd_sink s;
	pthread_mutex_t mu;
	struct vsnd_clock *clk;
	uint8_t *data; /* every byte written, in order */
	size_t len, cap;
	uint32_t nwrites;
	uint64_t ts[TSINK_MAX_WRITES];  /* clock time of each write */
	uint32_t wlen[TSINK_MAX_WRITES];
	uint32_t opens, closes, destroyed, reads;
	struct vsnd_pcm_params p;
	int fail_open, fail_write;
	const uint8_t *src; /* capture source pattern, repeated; NULL = bytes (i & 0xff) */
	size_t src_len, src_pos;
	uint32_t reports;
	enum vsnd_sink_event last_report;
	/* Slow sinks: each write sleeps write_sleep_ns of real time, plus, if jitter_us is set,
	 * a pseudo-random 0..jitter_us microseconds from jitter_seed (outside the lock). */
	uint64_t write_sleep_ns;
	uint32_t slow_writes;          /* if non-zero, only the first slow_writes writes sleep */
	uint32_t jitter_us, jitter_seed;
	uint64_t te[TSINK_MAX_WRITES]; /* clock time at the end of each write */
	int in_write;                  /* a write is in progress right now */
	pthread_t writer;              /* thread of the first write */
	uint32_t foreign_writes;       /* writes from any other thread */
};

static inline struct tsink *tsink_of(struct vsnd_sink *s)
{
	return s->priv;
}

static inline int tsink_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	struct tsink *t = tsink_of(s);
	pthread_mutex_lock(&t->mu);
	t->opens++;
	t->p = *p;
	int r = t->fail_open ? -5 : 0;
	pthread_mutex_unlock(&t->mu);
	return r;
}

static inline void tsink_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts))
		;
}

static inline int tsink_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	struct tsink *t = tsink_of(s);
	pthread_mutex_lock(&t->mu);
	if (!t->nwrites && !t->foreign_writes)
		t->writer = pthread_self();
	else if (!pthread_equal(t->writer, pthread_self()))
		t->foreign_writes++;
	if (t->fail_write) {
		pthread_mutex_unlock(&t->mu);
		return -5;
	}
	uint64_t sleep_ns = !t->slow_writes || t->nwrites < t->slow_writes ? t->write_sleep_ns : 0;
	if (t->jitter_us) {
		t->jitter_seed = t->jitter_seed * 1103515245u + 12345u;
		sleep_ns += (uint64_t)((t->jitter_seed >> 8) % (t->jitter_us + 1)) * 1000u;
	}
	uint64_t start = t->clk ? vsnd_clock_now(t->clk) : 0;
	if (sleep_ns) {
		t->in_write = 1;
		pthread_mutex_unlock(&t->mu);
		tsink_sleep_ns(sleep_ns);
		pthread_mutex_lock(&t->mu);
		t->in_write = 0;
	}
	if (t->len + bytes > t->cap) {
		size_t nc = (t->len + bytes) * 2 + 4096;
		t->data = realloc(t->data, nc);
		t->cap = nc;
	}
	memcpy(t->data + t->len, buf, bytes);
	t->len += bytes;
	if (t->nwrites < TSINK_MAX_WRITES) {
		t->ts[t->nwrites] = start;
		t->te[t->nwrites] = t->clk ? vsnd_clock_now(t->clk) : 0;
		t->wlen[t->nwrites] = bytes;
	}
	t->nwrites++;
	pthread_mutex_unlock(&t->mu);
	return 0;
}

static inline int tsink_read(struct vsnd_sink *s, void *buf, uint32_t bytes)
{
	struct tsink *t = tsink_of(s);
	pthread_mutex_lock(&t->mu);
	uint8_t *b = buf;
	for (uint32_t i = 0; i < bytes; i++) {
		b[i] = t->src ? t->src[t->src_pos % t->src_len] : (uint8_t)t->src_pos;
		t->src_pos++;
	}
	t->reads++;
	if (t->nwrites < TSINK_MAX_WRITES)
		t->ts[t->nwrites] = t->clk ? vsnd_clock_now(t->clk) : 0;
	t->nwrites++;
	int r = t->fail_write ? -5 : 0;
	pthread_mutex_unlock(&t->mu);
	return r;
}

static inline void tsink_close(struct vsnd_sink *s)
{
	struct tsink *t = tsink_of(s);
	pthread_mutex_lock(&t->mu);
	t->closes++;
	pthread_mutex_unlock(&t->mu);
}

/* The device "destroys" the sink at vsnd_dev_free; the test owns the memory. */
static inline void tsink_destroy(struct vsnd_sink *s)
{
	struct tsink *t = tsink_of(s);
	pthread_mutex_lock(&t->mu);
	t->destroyed++;
	pthread_mutex_unlock(&t->mu);
}

static inline void tsink_report(void *ctx, enum vsnd_sink_event ev, int err, const char *msg)
{
	(void)err;
	(void)msg;
	struct tsink *t = ctx;
	pthread_mutex_lock(&t->mu);
	t->reports++;
	t->last_report = ev;
	pthread_mutex_unlock(&t->mu);
}

static const struct vsnd_sink_ops tsink_ops = {
	.name = "test",
	.open = tsink_open,
	.write = tsink_write,
	.read = tsink_read,
	.close = tsink_close,
	.destroy = tsink_destroy,
};

static inline struct tsink *tsink_new(struct vsnd_clock *clk)
{
	struct tsink *t = calloc(1, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	t->clk = clk;
	t->s.ops = &tsink_ops;
	t->s.priv = t;
	t->s.report = tsink_report;
	t->s.report_ctx = t;
	return t;
}

static inline void tsink_free(struct tsink *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->data);
	free(t);
}

static inline size_t tsink_len(struct tsink *t)
{
	pthread_mutex_lock(&t->mu);
	size_t n = t->len;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* ---- a device with test sinks on every stream ---- */

struct tdev {
	struct vsnd_dev *dev;
	struct vsnd_vclock *vc; /* NULL with the monotonic clock */
	struct vsnd_clock *clk;
	struct tsink *sink[VSND_MAX_STREAMS];
	struct mem_chain_log log;
	struct mem_chain **chains;
	uint32_t nchains, cap;
	int needs_reset;
};

static inline void tdev_needs_reset(void *opaque)
{
	struct tdev *t = opaque;
	t->needs_reset++;
}

/* clock: 0 = instant virtual clock, 1 = manual virtual clock at 0, 2 = host monotonic. */
static inline void tdev_init_cfg(struct tdev *t, const struct vsnd_config *cfg, int clock)
{
	memset(t, 0, sizeof(*t));
	mem_chain_log_init(&t->log);
	if (clock == 2) {
		t->clk = &vsnd_clock_monotonic;
	} else {
		t->vc = vsnd_vclock_new(0, clock == 0);
		t->clk = vsnd_vclock_clock(t->vc);
	}
	t->log.clock = t->clk;
	struct vsnd_host h = { .clock = t->clk, .needs_reset = tdev_needs_reset, .opaque = t };
	uint32_t n = cfg ? cfg->nstreams : 2;
	for (uint32_t i = 0; i < n; i++) {
		t->sink[i] = tsink_new(t->clk);
		h.sinks[i] = &t->sink[i]->s;
	}
	t->dev = vsnd_dev_new(cfg, &h);
	cr_assert_not_null(t->dev);
}

static inline void tdev_init(struct tdev *t, int clock)
{
	tdev_init_cfg(t, NULL, clock);
	vsnd_dev_driver_ok(t->dev);
}

static inline void tdev_fini(struct tdev *t)
{
	vsnd_dev_free(t->dev);
	for (uint32_t i = 0; i < t->nchains; i++) {
		/* Every chain came back exactly once (completed, or discarded by free/reset). */
		cr_expect_eq(t->chains[i]->returns, 1, "chain %u returned %u times", i,
			     t->chains[i]->returns);
		mem_chain_free(t->chains[i]);
	}
	free(t->chains);
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++) {
		if (t->sink[i])
			cr_expect_eq(t->sink[i]->destroyed, 1);
		tsink_free(t->sink[i]);
	}
	if (t->vc)
		vsnd_vclock_free(t->vc);
	mem_chain_log_destroy(&t->log);
}

static inline struct mem_chain *tdev_chain(struct tdev *t, uint16_t q, const void *r,
					   uint32_t rlen, uint32_t wlen)
{
	if (t->nchains == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->chains = realloc(t->chains, t->cap * sizeof(*t->chains));
	}
	struct mem_chain *mc = mem_chain_new(&t->log, q, r, rlen, wlen);
	t->chains[t->nchains++] = mc;
	return mc;
}

/* Submit a control request; returns the status written (or 0xEEEEEEEE if none). */
static inline uint32_t tdev_ctl(struct tdev *t, const void *req, uint32_t rlen, uint32_t wlen,
				uint32_t *used, struct mem_chain **out)
{
	struct mem_chain *mc = tdev_chain(t, VSND_VQ_CONTROL, req, rlen, wlen);
	vsnd_dev_submit(t->dev, &mc->c);
	uint32_t u = 0;
	cr_assert_eq(mem_chain_state(mc, &u), MEM_CHAIN_COMPLETED,
		     "control requests are answered before vsnd_dev_submit returns");
	if (used)
		*used = u;
	if (out)
		*out = mc;
	return wlen >= 4 ? mem_chain_w32(mc, 0) : 0xEEEEEEEEu;
}

static inline uint32_t tdev_pcm(struct tdev *t, uint32_t code, uint32_t sid)
{
	struct virtio_snd_pcm_hdr h = { .code = code, .stream_id = sid };
	uint32_t used;
	uint32_t st = tdev_ctl(t, &h, sizeof(h), 4, &used, NULL);
	cr_assert_eq(used, 4);
	return st;
}

static inline uint32_t tdev_set_params(struct tdev *t, uint32_t sid, uint32_t buffer,
				       uint32_t period, uint32_t features, uint8_t channels,
				       uint8_t format, uint8_t rate)
{
	struct virtio_snd_pcm_set_params p = {
		.code = VIRTIO_SND_R_PCM_SET_PARAMS, .stream_id = sid, .buffer_bytes = buffer,
		.period_bytes = period, .features = features, .channels = channels,
		.format = format, .rate = rate,
	};
	uint32_t used;
	uint32_t st = tdev_ctl(t, &p, sizeof(p), 4, &used, NULL);
	cr_assert_eq(used, 4);
	return st;
}

/* A TX message: xfer header + data, 8 writable status bytes. */
static inline struct mem_chain *tdev_tx(struct tdev *t, uint32_t sid, const void *data,
					uint32_t len)
{
	uint8_t *b = malloc(4 + (size_t)len);
	memcpy(b, &sid, 4);
	if (len)
		memcpy(b + 4, data, len);
	struct mem_chain *mc = tdev_chain(t, VSND_VQ_TX, b, 4 + len, 8);
	free(b);
	vsnd_dev_submit(t->dev, &mc->c);
	return mc;
}

/* An RX message: xfer header, `len` data bytes + 8 status bytes writable. */
static inline struct mem_chain *tdev_rx(struct tdev *t, uint32_t sid, uint32_t len)
{
	struct mem_chain *mc = tdev_chain(t, VSND_VQ_RX, &sid, 4, len + 8);
	vsnd_dev_submit(t->dev, &mc->c);
	return mc;
}

/* Wait for a chain to come back completed; assert used.len and the pcm_status. */
static inline void expect_io_done(struct mem_chain *mc, uint32_t used, uint32_t status)
{
	cr_assert(mem_chain_wait(mc, 5000), "I/O message %lu never completed",
		  (unsigned long)mc->c.seq);
	uint32_t u;
	cr_assert_eq(mem_chain_state(mc, &u), MEM_CHAIN_COMPLETED);
	cr_assert_eq(u, used, "used.len %u, expected %u", u, used);
	uint32_t off = mc->c.queue == VSND_VQ_RX ? mc->c.wlen - 8 : 0;
	cr_assert_eq(mem_chain_w32(mc, off), status, "status 0x%x, expected 0x%x",
		     mem_chain_w32(mc, off), status);
}

static inline int chain_pending(struct mem_chain *mc)
{
	return mem_chain_state(mc, NULL) == MEM_CHAIN_PENDING;
}

#endif
