/* test_cov_snd.c - edge cases of the virtio-snd device core (vsnd/snd.c, snd_ctl.c, snd_io.c,
 * clock.c) left by the main suites (issue 7 coverage): format tables, streams without a sink
 * or with a partial one, short chain suppliers, the event FIFO, serialised control requests. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <time.h>

#include "tests/unit/test_snd_harness.h"
#include "vsnd/snd_priv.h"

#define S16 VIRTIO_SND_PCM_FMT_S16
#define R48K VIRTIO_SND_PCM_RATE_48000

/* Like tdev_init_cfg, but the caller chooses each stream's sink (NULL = none); t->sink[]
 * stays empty so tdev_fini expects no test-sink destroy. Instant virtual clock. */
static void init_with(struct tdev *t, const struct vsnd_config *cfg, struct vsnd_sink *const *sinks)
{
	memset(t, 0, sizeof(*t));
	mem_chain_log_init(&t->log);
	t->vc = vsnd_vclock_new(0, 1);
	t->clk = vsnd_vclock_clock(t->vc);
	t->log.clock = t->clk;
	struct vsnd_host h = {.clock = t->clk, .needs_reset = tdev_needs_reset, .opaque = t};
	for (uint32_t i = 0; sinks && i < VSND_MAX_STREAMS; i++)
		h.sinks[i] = sinks[i];
	t->dev = vsnd_dev_new(cfg, &h);
	cr_assert_not_null(t->dev);
	vsnd_dev_driver_ok(t->dev);
}

static void play_setup(struct tdev *t, uint32_t sid, uint32_t period)
{
	cr_assert_eq(tdev_set_params(t, sid, 4 * period, period, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(t, VIRTIO_SND_R_PCM_PREPARE, sid), VIRTIO_SND_S_OK);
}

Test(cov_snd, format_tables_outside_the_spec)
{
	cr_expect_eq(vsnd_format_bytes(VIRTIO_SND_PCM_FMT_COUNT), 0);
	cr_expect_eq(vsnd_format_bytes(255), 0);
	cr_expect_eq(vsnd_format_bytes(VIRTIO_SND_PCM_FMT_FLOAT64), 8);
	cr_expect_eq(vsnd_rate_hz(VIRTIO_SND_PCM_RATE_COUNT), 0);
	cr_expect_eq(vsnd_rate_hz(VIRTIO_SND_PCM_RATE_384000), 384000);
	uint8_t b[12];
	memset(b, 0xaa, sizeof(b));
	snd_fill_silence(200, b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		cr_expect_eq(b[i], 0, "unknown format: zeros");
	memset(b, 0xaa, sizeof(b));
	snd_fill_silence(VIRTIO_SND_PCM_FMT_FLOAT64, b, sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		cr_expect_eq(b[i], 0, "FLOAT64 silence is +0.0");
	snd_fill_silence(VIRTIO_SND_PCM_FMT_U24_3, b, 6);
	const uint8_t u24[6] = {0, 0, 0x80, 0, 0, 0x80};
	cr_expect_arr_eq(b, u24, 6);
	snd_fill_silence(VIRTIO_SND_PCM_FMT_DSD_U16, b, 4);
	const uint8_t dsd[4] = {0x69, 0x69, 0x69, 0x69};
	cr_expect_arr_eq(b, dsd, 4);
	snd_fill_silence(VIRTIO_SND_PCM_FMT_MU_LAW, b, 2);
	cr_expect_eq(b[0], 0x7f);
	cr_expect_eq(b[1], 0x7f);
}

Test(cov_snd, streams_without_a_sink_play_and_capture_silence)
{
	struct tdev t;
	init_with(&t, NULL, NULL);
	play_setup(&t, 0, 64);
	uint8_t data[64];
	for (int i = 0; i < 64; i++)
		data[i] = (uint8_t)i;
	struct mem_chain *m1 = tdev_tx(&t, 0, data, 64), *m2 = tdev_tx(&t, 0, data, 64);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	expect_io_done(m1, 8, VIRTIO_SND_S_OK);
	expect_io_done(m2, 8, VIRTIO_SND_S_OK);
	/* Input without a source: silence of the stream's format (U8: 0x80). */
	cr_assert_eq(tdev_set_params(&t, 1, 64, 16, 0, 2, VIRTIO_SND_PCM_FMT_U8, R48K),
		     VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_OK);
	struct mem_chain *r = tdev_rx(&t, 1, 16);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 1), VIRTIO_SND_S_OK);
	expect_io_done(r, 16 + 8, VIRTIO_SND_S_OK);
	for (int i = 0; i < 16; i++)
		cr_expect_eq(r->wbuf[i], 0x80, "byte %d", i);
	struct vsnd_stream_stats st;
	cr_assert_eq(vsnd_dev_stream_stats(t.dev, 0, &st), 0);
	cr_expect_eq(st.frames, 2 * 16);
	cr_expect_eq(st.messages, 2);
	cr_expect_eq(vsnd_dev_stream_stats(t.dev, 2, &st), -1, "only two streams");
	cr_expect_eq(vsnd_dev_stream_stats(t.dev, VSND_MAX_STREAMS, &st), -1);
	tdev_fini(&t);
}

/* A sink with open/close only (no write, read or destroy): the device keeps using it for
 * open/close and discards or silences the data. */
struct partial {
	struct vsnd_sink s;
	unsigned opens, closes;
};
static int partial_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	(void)p;
	((struct partial *)s->priv)->opens++;
	return 0;
}
static void partial_close(struct vsnd_sink *s)
{
	((struct partial *)s->priv)->closes++;
}
static const struct vsnd_sink_ops partial_ops = {
    .name = "partial", .open = partial_open, .close = partial_close};

Test(cov_snd, a_sink_without_write_read_or_destroy)
{
	struct partial out = {.s = {.ops = &partial_ops}}, in = {.s = {.ops = &partial_ops}};
	out.s.priv = &out;
	in.s.priv = &in;
	struct vsnd_sink *sinks[VSND_MAX_STREAMS] = {&out.s, &in.s};
	struct tdev t;
	init_with(&t, NULL, sinks);
	play_setup(&t, 0, 64);
	cr_expect_eq(out.opens, 1);
	const uint8_t zero[64] = {0};
	struct mem_chain *m = tdev_tx(&t, 0, zero, 64);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	expect_io_done(m, 8, VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(&t, 1, 64, 16, 0, 1, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_OK);
	cr_expect_eq(in.opens, 1);
	struct mem_chain *r = tdev_rx(&t, 1, 16);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 1), VIRTIO_SND_S_OK);
	expect_io_done(r, 16 + 8, VIRTIO_SND_S_OK);
	for (int i = 0; i < 16; i++)
		cr_expect_eq(r->wbuf[i], 0, "S16 silence");
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK);
	cr_expect_eq(out.closes, 1);
	tdev_fini(&t); /* no destroy op: the device must not call one */
	cr_expect_eq(in.closes, 1, "closed at free");
	cr_expect_eq(out.opens, 1);
}

/* A chain supplier whose data reads come back short (a guest buffer that went away): the
 * header reads fine, the PCM bytes read 0. */
static uint32_t header_only_read(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	struct mem_chain *mc = c->opaque;
	if (off >= 4)
		return 0;
	if (len > 4 - off)
		len = 4 - off;
	memcpy(dst, mc->rbuf + off, len);
	return len;
}

Test(cov_snd, short_data_reads_are_played_as_zeros)
{
	struct tdev t;
	tdev_init(&t, 0);
	play_setup(&t, 0, 64);
	uint8_t req[4 + 64];
	memset(req, 0x5a, sizeof(req));
	memset(req, 0, 4); /* stream 0 */
	struct mem_chain *mc = tdev_chain(&t, VSND_VQ_TX, req, sizeof(req), 8);
	struct vsnd_chain_ops ops = *mc->c.ops;
	ops.read = header_only_read;
	mc->c.ops = &ops;
	vsnd_dev_submit(t.dev, &mc->c);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	expect_io_done(mc, 8, VIRTIO_SND_S_OK);
	vsnd_dev_quiesce(t.dev);
	struct tsink *k = t.sink[0];
	pthread_mutex_lock(&k->mu);
	cr_expect_eq(k->len, 64);
	for (size_t i = 0; i < k->len; i++)
		cr_expect_eq(k->data[i], 0, "byte %zu", i);
	pthread_mutex_unlock(&k->mu);
	tdev_fini(&t);
}

static uint32_t read_nothing(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	(void)c;
	(void)off;
	(void)dst;
	(void)len;
	return 0;
}

Test(cov_snd, io_messages_without_room_for_a_status_are_returned_unused)
{
	struct tdev t;
	tdev_init(&t, 0);
	play_setup(&t, 0, 64);
	uint8_t req[4 + 64] = {0};
	struct mem_chain *a = tdev_chain(&t, VSND_VQ_TX, req, sizeof(req), 4);
	vsnd_dev_submit(t.dev, &a->c);
	uint32_t used = 99;
	cr_expect_eq(mem_chain_state(a, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	cr_expect_eq(mem_chain_w32(a, 0), 0xEEEEEEEEu, "nothing written");
	struct mem_chain *b = tdev_chain(&t, VSND_VQ_TX, req, 3, 8);
	vsnd_dev_submit(t.dev, &b->c);
	cr_expect_eq(mem_chain_state(b, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	/* A supplier that cannot even deliver the xfer header: nothing can be said either. */
	struct mem_chain *c = tdev_chain(&t, VSND_VQ_TX, req, sizeof(req), 8);
	struct vsnd_chain_ops ops = *c->c.ops;
	ops.read = read_nothing;
	c->c.ops = &ops;
	vsnd_dev_submit(t.dev, &c->c);
	cr_expect_eq(mem_chain_state(c, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	cr_expect_eq(mem_chain_w32(c, 0), 0xEEEEEEEEu, "no status written");
	tdev_fini(&t);
}

static uint32_t jack_code(int connected)
{
	return connected ? VIRTIO_SND_EVT_JACK_CONNECTED : VIRTIO_SND_EVT_JACK_DISCONNECTED;
}

Test(cov_snd, event_fifo_keeps_the_newest_64)
{
	struct tdev t;
	tdev_init(&t, 0);
	/* 70 jack changes with no event buffer posted: the first 6 are dropped. */
	for (int k = 1; k <= 70; k++)
		vsnd_dev_set_jack(t.dev, 0, !(k & 1));
	vsnd_dev_set_jack(t.dev, 0, 1); /* already connected: no event */
	vsnd_dev_set_jack(t.dev, 7, 1); /* no such jack: ignored */
	for (int k = 7; k <= 70; k++) {
		struct mem_chain *e = tdev_chain(&t, VSND_VQ_EVENT, NULL, 0, 8);
		vsnd_dev_submit(t.dev, &e->c);
		uint32_t used = 0;
		cr_assert_eq(mem_chain_state(e, &used), MEM_CHAIN_COMPLETED, "event %d", k);
		cr_expect_eq(used, 8);
		cr_expect_eq(mem_chain_w32(e, 0), jack_code(!(k & 1)), "event %d", k);
		cr_expect_eq(mem_chain_w32(e, 4), 0);
	}
	struct mem_chain *spare = tdev_chain(&t, VSND_VQ_EVENT, NULL, 0, 8);
	vsnd_dev_submit(t.dev, &spare->c);
	cr_expect_eq(mem_chain_state(spare, NULL), MEM_CHAIN_PENDING, "no event left");
	tdev_fini(&t); /* discards the spare */
}

static uint32_t write_nothing(struct vsnd_chain *c, uint32_t off, const void *src, uint32_t len)
{
	(void)c;
	(void)off;
	(void)src;
	(void)len;
	return 0;
}

Test(cov_snd, event_buffers_that_cannot_take_an_event)
{
	struct tdev t;
	tdev_init(&t, 0);
	uint8_t x[4] = {0};
	struct mem_chain *rd = tdev_chain(&t, VSND_VQ_EVENT, x, 4, 8);    /* readable part */
	struct mem_chain *sm = tdev_chain(&t, VSND_VQ_EVENT, NULL, 0, 7); /* too small */
	struct mem_chain *mf = tdev_chain(&t, VSND_VQ_EVENT, NULL, 0, 8); /* malformed */
	mf->c.malformed = true;
	struct mem_chain *bad[3] = {rd, sm, mf};
	for (int i = 0; i < 3; i++) {
		vsnd_dev_submit(t.dev, &bad[i]->c);
		uint32_t used = 9;
		cr_expect_eq(mem_chain_state(bad[i], &used), MEM_CHAIN_COMPLETED, "buffer %d", i);
		cr_expect_eq(used, 0, "buffer %d", i);
	}
	/* A buffer whose supplier writes nothing still consumes the event, with used.len 0. */
	struct mem_chain *dead = tdev_chain(&t, VSND_VQ_EVENT, NULL, 0, 8);
	struct vsnd_chain_ops ops = *dead->c.ops;
	ops.write = write_nothing;
	dead->c.ops = &ops;
	vsnd_dev_submit(t.dev, &dead->c);
	vsnd_dev_set_jack(t.dev, 0, 0);
	uint32_t used = 9;
	cr_expect_eq(mem_chain_state(dead, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	vsnd_dev_set_jack(t.dev, 0, 1);
	struct mem_chain *ok = tdev_chain(&t, VSND_VQ_EVENT, NULL, 0, 8);
	vsnd_dev_submit(t.dev, &ok->c);
	cr_expect_eq(mem_chain_state(ok, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(mem_chain_w32(ok, 0), VIRTIO_SND_EVT_JACK_CONNECTED, "the next event");
	/* An unknown queue index: returned unused. */
	struct mem_chain *q9 = tdev_chain(&t, 9, NULL, 0, 8);
	vsnd_dev_submit(t.dev, &q9->c);
	cr_expect_eq(mem_chain_state(q9, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	tdev_fini(&t);
}

Test(cov_snd, rates_outside_the_stream_config_are_not_supported)
{
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	cfg.streams[0].rates = 1ull << R48K;
	struct tdev t;
	tdev_init_cfg(&t, &cfg, 0);
	vsnd_dev_driver_ok(t.dev);
	cr_expect_eq(tdev_set_params(&t, 0, 256, 64, 0, 2, S16, VIRTIO_SND_PCM_RATE_44100),
		     VIRTIO_SND_S_NOT_SUPP);
	cr_expect_eq(tdev_set_params(&t, 0, 256, 64, 0, 2, S16, VIRTIO_SND_PCM_RATE_COUNT),
		     VIRTIO_SND_S_NOT_SUPP);
	cr_expect_eq(tdev_set_params(&t, 0, 256, 64, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	tdev_fini(&t);
}

/* A sink whose write blocks until the test opens the gate. */
struct gate {
	struct vsnd_sink s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int open, in_write;
	unsigned writes;
};
static int gate_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	(void)buf;
	(void)bytes;
	struct gate *g = s->priv;
	pthread_mutex_lock(&g->mu);
	g->in_write = 1;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	g->in_write = 0;
	g->writes++;
	pthread_mutex_unlock(&g->mu);
	return 0;
}
static const struct vsnd_sink_ops gate_ops = {.name = "gate", .write = gate_write};

static void *submit_thread(void *arg)
{
	void **a = arg;
	vsnd_dev_submit(a[0], a[1]);
	return NULL;
}

static void *reset_thread(void *arg)
{
	vsnd_dev_reset(arg);
	return NULL;
}

static int log_pos(struct tdev *t, struct mem_chain *mc)
{
	int pos = -1;
	pthread_mutex_lock(&t->log.mu);
	for (uint32_t i = 0; i < t->log.n; i++)
		if (t->log.order[i] == mc->c.seq)
			pos = (int)i;
	pthread_mutex_unlock(&t->log.mu);
	return pos;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
	nanosleep(&ts, NULL);
}

Test(cov_snd, control_requests_and_reset_wait_for_a_request_in_progress, .timeout = 20)
{
	struct gate g = {.s = {.ops = &gate_ops}};
	g.s.priv = &g;
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	struct vsnd_sink *sinks[VSND_MAX_STREAMS] = {&g.s};
	struct tdev t;
	init_with(&t, NULL, sinks);
	play_setup(&t, 0, 64);
	const uint8_t zero[64] = {0};
	struct mem_chain *tx = tdev_tx(&t, 0, zero, 64);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	pthread_mutex_lock(&g.mu);
	while (!g.in_write)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);

	/* RELEASE waits for the sink write with the device mutex released; a PCM_INFO behind it
	 * and a reset must wait for it to finish. */
	struct virtio_snd_pcm_hdr rel = {.code = VIRTIO_SND_R_PCM_RELEASE, .stream_id = 0};
	struct virtio_snd_query_info qi = {.code = VIRTIO_SND_R_PCM_INFO, .start_id = 0, .count = 1,
					   .size = sizeof(struct virtio_snd_pcm_info)};
	struct mem_chain *mrel = tdev_chain(&t, VSND_VQ_CONTROL, &rel, sizeof(rel), 4);
	struct mem_chain *minfo = tdev_chain(&t, VSND_VQ_CONTROL, &qi, sizeof(qi),
					     4 + sizeof(struct virtio_snd_pcm_info));
	void *arel[2] = {t.dev, &mrel->c}, *ainfo[2] = {t.dev, &minfo->c};
	pthread_t th_rel, th_info, th_reset;
	cr_assert_eq(pthread_create(&th_rel, NULL, submit_thread, arel), 0);
	for (;;) {
		pthread_mutex_lock(&t.dev->mu);
		bool active = t.dev->ctl_active;
		pthread_mutex_unlock(&t.dev->mu);
		if (active)
			break;
		sleep_ms(1);
	}
	cr_assert_eq(pthread_create(&th_info, NULL, submit_thread, ainfo), 0);
	cr_assert_eq(pthread_create(&th_reset, NULL, reset_thread, t.dev), 0);
	sleep_ms(50);
	cr_expect_eq(mem_chain_state(mrel, NULL), MEM_CHAIN_PENDING, "RELEASE waits for the sink");
	cr_expect_eq(mem_chain_state(minfo, NULL), MEM_CHAIN_PENDING, "PCM_INFO waits in line");
	pthread_mutex_lock(&g.mu);
	g.open = 1;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	pthread_join(th_rel, NULL);
	pthread_join(th_info, NULL);
	pthread_join(th_reset, NULL);
	cr_expect_eq(mem_chain_w32(mrel, 0), VIRTIO_SND_S_OK);
	cr_expect_eq(mem_chain_w32(minfo, 0), VIRTIO_SND_S_OK);
	cr_expect_eq(minfo->wbuf[4 + 24], VIRTIO_SND_D_OUTPUT, "stream 0's direction");
	cr_expect_eq(minfo->wbuf[4 + 26], 8, "channels_max");
	cr_expect_eq(mem_chain_w32(tx, 0), VIRTIO_SND_S_OK, "flushed by RELEASE, written fine");
	cr_expect_lt(log_pos(&t, tx), log_pos(&t, mrel));
	cr_expect_lt(log_pos(&t, mrel), log_pos(&t, minfo), "control requests stay in order");
	cr_expect_eq(g.writes, 1);
	struct vsnd_stream_stats st;
	cr_assert_eq(vsnd_dev_stream_stats(t.dev, 0, &st), 0);
	cr_expect_eq(st.state, VSND_PCM_INIT, "the reset ran after RELEASE");
	tdev_fini(&t);
	pthread_cond_destroy(&g.cv);
	pthread_mutex_destroy(&g.mu);
}

/* A clock of the caller's own (here: the host clock behind other ops). The device cannot
 * know whether its timed waits move it, and must still pace and complete correctly. */
static uint64_t own_now(struct vsnd_clock *c)
{
	(void)c;
	return vsnd_clock_now(&vsnd_clock_monotonic);
}
static uint64_t own_ticks(struct vsnd_clock *c)
{
	(void)c;
	return 7;
}
static int own_wait(struct vsnd_clock *c, pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t d)
{
	(void)c;
	return vsnd_clock_monotonic.ops->wait_until(&vsnd_clock_monotonic, cv, mu, d);
}
static const struct vsnd_clock_ops own_ops = {
    .now_ns = own_now, .guest_ticks = own_ticks, .wait_until = own_wait};

Test(cov_snd, clocks_and_their_passive_waits)
{
	struct vsnd_clock own = {.ops = &own_ops};
	cr_expect(vsnd_clock_passive_waits(&vsnd_clock_monotonic));
	cr_expect_not(vsnd_clock_passive_waits(&own));
	struct vsnd_vclock *manual = vsnd_vclock_new(5, 0), *instant = vsnd_vclock_new(5, 1);
	cr_expect(vsnd_clock_passive_waits(vsnd_vclock_clock(manual)));
	cr_expect_not(vsnd_clock_passive_waits(vsnd_vclock_clock(instant)));
	vsnd_vclock_free(manual);
	vsnd_vclock_free(instant);
	vsnd_vclock_free(NULL);

	struct tsink *k = tsink_new(&own);
	struct vsnd_host h = {.clock = &own, .sinks = {&k->s}};
	struct vsnd_dev *dev = vsnd_dev_new(NULL, &h);
	cr_assert_not_null(dev);
	vsnd_dev_driver_ok(dev);
	struct tdev t = {.dev = dev, .clk = &own};
	mem_chain_log_init(&t.log);
	t.log.clock = &own;
	/* 16 frames at 48 kHz: two periods take 1/1500 s of host time. */
	play_setup(&t, 0, 64);
	uint8_t data[128];
	for (int i = 0; i < 128; i++)
		data[i] = (uint8_t)(3 * i);
	struct mem_chain *a = tdev_tx(&t, 0, data, 64), *b = tdev_tx(&t, 0, data + 64, 64);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	expect_io_done(a, 8, VIRTIO_SND_S_OK);
	expect_io_done(b, 8, VIRTIO_SND_S_OK);
	cr_expect_lt(log_pos(&t, a), log_pos(&t, b));
	vsnd_dev_free(dev);
	cr_expect_eq(k->len, 128);
	cr_expect_arr_eq(k->data, data, 128);
	cr_expect_eq(k->destroyed, 1);
	for (uint32_t i = 0; i < t.nchains; i++)
		mem_chain_free(t.chains[i]);
	free(t.chains);
	mem_chain_log_destroy(&t.log);
	tsink_free(k);
}
