/* test_snd_pcm.c - virtio-snd PCM playback and capture: byte-exact output for every advertised
 * format/rate/channel count, pacing (virtual and real clock), STOP/START/RELEASE, xruns, errors. */
#include <criterion/criterion.h>
#include <time.h>

#include "test_snd_harness.h"

static const uint8_t S16 = VIRTIO_SND_PCM_FMT_S16, R48K = VIRTIO_SND_PCM_RATE_48000;

static uint32_t fmt_bytes(uint8_t f)
{
	switch (f) {
	case VIRTIO_SND_PCM_FMT_U8: return 1;
	case VIRTIO_SND_PCM_FMT_S16: return 2;
	case VIRTIO_SND_PCM_FMT_S24_3: return 3;
	default: return 4;
	}
}

static const uint32_t RATES[14] = { 5512, 8000, 11025, 16000, 22050, 32000, 44100,
				    48000, 64000, 88200, 96000, 176400, 192000, 384000 };

static uint64_t ns_of(uint64_t frames, uint32_t hz)
{
	return (uint64_t)((unsigned __int128)frames * 1000000000u / hz);
}

static void fill_random(uint8_t *b, size_t n, uint32_t *seed)
{
	for (size_t i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(*seed >> 16);
	}
}

/* Every format x rate x channel count of the default config: the sink receives exactly the
 * guest's bytes, one write per period at start + k * period_time (instant virtual clock). */
Test(snd_pcm, playback_byte_identical_every_format_rate_channels, .timeout = 60)
{
	struct tdev t;
	tdev_init(&t, 0);
	struct tsink *k = t.sink[0];
	const uint8_t formats[] = { VIRTIO_SND_PCM_FMT_U8, VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_FMT_S24_3, VIRTIO_SND_PCM_FMT_S24,
				    VIRTIO_SND_PCM_FMT_S32, VIRTIO_SND_PCM_FMT_FLOAT };
	uint32_t seed = 1;
	enum { NPER = 3, FRAMES = 16 };
	uint8_t data[NPER * FRAMES * 4 * 8];
	for (size_t f = 0; f < sizeof(formats); f++) {
		for (uint8_t r = 0; r < 14; r++) {
			for (uint8_t ch = 1; ch <= 8; ch++) {
				uint32_t fb = fmt_bytes(formats[f]) * ch, per = FRAMES * fb;
				cr_assert_eq(tdev_set_params(&t, 0, 4 * per, per, 0, ch, formats[f], r),
					     VIRTIO_SND_S_OK);
				cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
				cr_assert_eq(k->p.rate_hz, RATES[r]);
				cr_assert_eq(k->p.frame_bytes, fb);
				fill_random(data, NPER * per, &seed);
				size_t before = tsink_len(k);
				uint32_t w0 = k->nwrites;
				struct mem_chain *m[NPER];
				for (int i = 0; i < NPER; i++)
					m[i] = tdev_tx(&t, 0, data + i * per, per);
				cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
				for (int i = 0; i < NPER; i++)
					expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
				cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
				cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK);
				pthread_mutex_lock(&k->mu);
				cr_assert_eq(k->len - before, (size_t)NPER * per);
				cr_assert_arr_eq(k->data + before, data, NPER * per,
						 "format %u rate %u ch %u", formats[f], r, ch);
				cr_assert_eq(k->nwrites - w0, NPER);
				for (uint32_t i = 1; i < NPER; i++)
					cr_assert_eq(k->ts[w0 + i] - k->ts[w0], ns_of(i * FRAMES, RATES[r]));
				pthread_mutex_unlock(&k->mu);
			}
		}
	}
	tdev_fini(&t);
}

/* A manual virtual clock, and stream 0 set to S16 stereo 48 kHz with `per`-byte periods. */
static void start_manual(struct tdev *t, uint32_t per, uint32_t features)
{
	cr_assert_eq(tdev_set_params(t, 0, 8 * per, per, features, 2, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
}

static void at(struct tdev *t, uint64_t ns)
{
	vsnd_vclock_set(t->vc, ns);
	vsnd_dev_quiesce(t->dev);
}

Test(snd_pcm, bytes_are_read_when_played)
{
	struct tdev t;
	tdev_init(&t, 1);
	const uint32_t per = 1024; /* 256 frames */
	const uint64_t P = ns_of(256, 48000);
	start_manual(&t, per, 0);
	uint8_t a[1024], b[1024], c[1024];
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	memset(c, 0x33, sizeof(c));
	struct mem_chain *m0 = tdev_tx(&t, 0, a, per);
	struct mem_chain *m1 = tdev_tx(&t, 0, a, per);
	struct mem_chain *m2 = tdev_tx(&t, 0, a, per);
	memset(m2->rbuf + 4, 0x33, per); /* changed after submit, before START */
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	vsnd_dev_quiesce(t.dev);
	cr_assert_eq(tsink_len(t.sink[0]), per, "the first period starts at START");
	memset(m1->rbuf + 4, 0x22, per); /* changed while m0 plays */
	at(&t, P);
	expect_io_done(m0, 8, VIRTIO_SND_S_OK);
	cr_assert(chain_pending(m1));
	at(&t, ns_of(512, 48000));
	at(&t, ns_of(768, 48000));
	expect_io_done(m1, 8, VIRTIO_SND_S_OK);
	expect_io_done(m2, 8, VIRTIO_SND_S_OK);
	cr_assert_eq(tsink_len(t.sink[0]), 3 * per);
	cr_assert_arr_eq(t.sink[0]->data, a, per);
	cr_assert_arr_eq(t.sink[0]->data + per, b, per);
	cr_assert_arr_eq(t.sink[0]->data + 2 * per, c, per);
	tdev_fini(&t);
}

Test(snd_pcm, completion_paced_and_latency_bytes)
{
	struct tdev t;
	tdev_init(&t, 1);
	const uint32_t per = 1920; /* 480 frames = 10 ms */
	const uint64_t P = 10000000;
	start_manual(&t, per, 0);
	uint8_t d[1920] = { 0 };
	struct mem_chain *m[4];
	for (int i = 0; i < 4; i++)
		m[i] = tdev_tx(&t, 0, d, per);
	at(&t, 5 * P); /* PREPARED: nothing is played or completed, however long */
	cr_assert_eq(tsink_len(t.sink[0]), 0);
	for (int i = 0; i < 4; i++)
		cr_assert(chain_pending(m[i]));
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK); /* at 5P */
	for (int i = 0; i < 4; i++) {
		at(&t, (uint64_t)(5 + i + 1) * P - 1);
		cr_assert(chain_pending(m[i]), "message %d completed early", i);
		at(&t, (uint64_t)(5 + i + 1) * P);
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
		/* latency_bytes: data still queued in the device behind it. */
		cr_expect_eq(mem_chain_w32(m[i], 4), (uint32_t)(3 - i) * per, "message %d", i);
	}
	tdev_fini(&t);
}

Test(snd_pcm, stop_holds_start_resumes)
{
	struct tdev t;
	tdev_init(&t, 1);
	const uint32_t per = 1920;
	const uint64_t P = 10000000;
	start_manual(&t, per, 0);
	uint8_t d[4][1920];
	for (int i = 0; i < 4; i++)
		memset(d[i], i + 1, per);
	struct mem_chain *m[4];
	for (int i = 0; i < 4; i++)
		m[i] = tdev_tx(&t, 0, d[i], per);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK); /* t = 0 */
	at(&t, P);
	expect_io_done(m[0], 8, VIRTIO_SND_S_OK);
	at(&t, P + P / 2);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
	at(&t, 10 * P);
	for (int i = 1; i < 4; i++)
		cr_assert(chain_pending(m[i]), "STOP must hold message %d", i);
	cr_assert_eq(tsink_len(t.sink[0]), 2 * per, "m1 was playing; nothing after it");
	/* A message arriving while STOPPED is held too. */
	struct mem_chain *m4 = tdev_tx(&t, 0, d[0], per);
	at(&t, 11 * P);
	cr_assert(chain_pending(m4));
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK); /* t = 11P */
	/* m1 had half a period left. */
	at(&t, 11 * P + P / 2 - 1);
	cr_assert(chain_pending(m[1]));
	at(&t, 11 * P + P / 2);
	expect_io_done(m[1], 8, VIRTIO_SND_S_OK);
	at(&t, 13 * P + P / 2);
	expect_io_done(m[2], 8, VIRTIO_SND_S_OK);
	expect_io_done(m[3], 8, VIRTIO_SND_S_OK);
	at(&t, 14 * P + P / 2);
	expect_io_done(m4, 8, VIRTIO_SND_S_OK);
	pthread_mutex_lock(&t.sink[0]->mu);
	cr_assert_eq(t.sink[0]->len, 5 * per);
	for (int i = 0; i < 4; i++)
		cr_assert_arr_eq(t.sink[0]->data + i * per, d[i], per);
	cr_assert_eq(t.sink[0]->ts[2], 11 * P + P / 2, "m2 starts when m1 ends");
	pthread_mutex_unlock(&t.sink[0]->mu);
	tdev_fini(&t);
}

Test(snd_pcm, release_completes_all_pending_before_reply)
{
	struct tdev t;
	tdev_init(&t, 1);
	const uint32_t per = 1920;
	start_manual(&t, per, 0);
	uint8_t d[1920] = { 0 };
	struct mem_chain *m[3];
	for (int i = 0; i < 3; i++)
		m[i] = tdev_tx(&t, 0, d, per);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	vsnd_dev_quiesce(t.dev); /* m0 is playing */
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
	struct virtio_snd_pcm_hdr h = { VIRTIO_SND_R_PCM_RELEASE, 0 };
	struct mem_chain *rel;
	uint32_t used;
	cr_assert_eq(tdev_ctl(&t, &h, sizeof(h), 4, &used, &rel), VIRTIO_SND_S_OK);
	for (int i = 0; i < 3; i++)
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
	/* Completion order: the three messages in FIFO order, then the RELEASE reply. */
	pthread_mutex_lock(&t.log.mu);
	uint32_t n = t.log.n;
	cr_assert_geq(n, 4);
	cr_expect_eq(t.log.order[n - 4], m[0]->c.seq);
	cr_expect_eq(t.log.order[n - 3], m[1]->c.seq);
	cr_expect_eq(t.log.order[n - 2], m[2]->c.seq);
	cr_expect_eq(t.log.order[n - 1], rel->c.seq);
	pthread_mutex_unlock(&t.log.mu);
	cr_expect_eq(t.sink[0]->closes, 1);
	/* RELEASE from PREPARED with pre-buffered messages flushes them too. */
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	struct mem_chain *p = tdev_tx(&t, 0, d, per);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK);
	expect_io_done(p, 8, VIRTIO_SND_S_OK);
	tdev_fini(&t);
}

Test(snd_pcm, underrun_no_silence_and_xrun_event)
{
	struct vsnd_config c;
	vsnd_config_default(&c);
	c.streams[0].features = 1u << VIRTIO_SND_PCM_F_EVT_XRUNS;
	struct tdev t;
	tdev_init_cfg(&t, &c, 1);
	vsnd_dev_driver_ok(t.dev);
	const uint32_t per = 1920;
	const uint64_t P = 10000000;
	start_manual(&t, per, 1u << VIRTIO_SND_PCM_F_EVT_XRUNS);
	struct mem_chain *ev = tdev_chain(&t, VSND_VQ_EVENT, NULL, 0, 8);
	vsnd_dev_submit(t.dev, &ev->c);
	uint8_t a[1920], b[1920];
	memset(a, 0x5A, per);
	memset(b, 0xA5, per);
	struct mem_chain *m0 = tdev_tx(&t, 0, a, per);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	at(&t, P);
	expect_io_done(m0, 8, VIRTIO_SND_S_OK);
	/* The queue ran dry: underrun counted, reported, and an XRUN event sent. */
	struct vsnd_stream_stats st;
	vsnd_dev_stream_stats(t.dev, 0, &st);
	cr_expect_eq(st.xruns, 1);
	cr_expect_eq(t.sink[0]->reports, 1);
	cr_expect_eq(t.sink[0]->last_report, VSND_SINK_EV_UNDERRUN);
	cr_assert(mem_chain_wait(ev, 1000));
	uint32_t used;
	mem_chain_state(ev, &used);
	cr_expect_eq(used, 8);
	cr_expect_eq(mem_chain_w32(ev, 0), VIRTIO_SND_EVT_PCM_XRUN);
	cr_expect_eq(mem_chain_w32(ev, 4), 0);
	/* Late message: starts when it arrives; no silence went to the sink. */
	at(&t, 5 * P);
	struct mem_chain *m1 = tdev_tx(&t, 0, b, per);
	vsnd_dev_quiesce(t.dev);
	at(&t, 6 * P - 1);
	cr_assert(chain_pending(m1));
	at(&t, 6 * P);
	expect_io_done(m1, 8, VIRTIO_SND_S_OK);
	pthread_mutex_lock(&t.sink[0]->mu);
	cr_assert_eq(t.sink[0]->len, 2 * per);
	cr_assert_arr_eq(t.sink[0]->data, a, per);
	cr_assert_arr_eq(t.sink[0]->data + per, b, per);
	cr_assert_eq(t.sink[0]->ts[1], 5 * P);
	pthread_mutex_unlock(&t.sink[0]->mu);
	tdev_fini(&t);
}

Test(snd_pcm, no_xrun_event_unless_selected)
{
	struct tdev t;
	tdev_init(&t, 1);
	start_manual(&t, 1920, 0);
	struct mem_chain *ev = tdev_chain(&t, VSND_VQ_EVENT, NULL, 0, 8);
	vsnd_dev_submit(t.dev, &ev->c);
	uint8_t d[1920] = { 0 };
	struct mem_chain *m0 = tdev_tx(&t, 0, d, 1920);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	at(&t, 10000000);
	expect_io_done(m0, 8, VIRTIO_SND_S_OK);
	struct vsnd_stream_stats st;
	vsnd_dev_stream_stats(t.dev, 0, &st);
	cr_expect_eq(st.xruns, 1);
	cr_expect(chain_pending(ev), "XRUN event sent without EVT_XRUNS selected");
	tdev_fini(&t);
}

Test(snd_pcm, io_errors_and_short_chains)
{
	struct tdev t;
	tdev_init(&t, 0);
	uint8_t d[68] = { 0 };
	/* Stream in INIT, PARAMS, then RELEASED: IO_ERR, used.len 8. */
	expect_io_done(tdev_tx(&t, 0, d, 64), 8, VIRTIO_SND_S_IO_ERR);
	cr_assert_eq(tdev_set_params(&t, 0, 256, 64, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(&t, 1, 256, 64, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	expect_io_done(tdev_tx(&t, 0, d, 64), 8, VIRTIO_SND_S_IO_ERR);
	expect_io_done(tdev_rx(&t, 1, 64), 8, VIRTIO_SND_S_IO_ERR);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_OK);
	/* Wrong direction, bad stream ids. */
	expect_io_done(tdev_tx(&t, 1, d, 64), 8, VIRTIO_SND_S_IO_ERR);
	expect_io_done(tdev_rx(&t, 0, 64), 8, VIRTIO_SND_S_IO_ERR);
	expect_io_done(tdev_tx(&t, 2, d, 64), 8, VIRTIO_SND_S_IO_ERR);
	expect_io_done(tdev_tx(&t, 0xFFFFFFFFu, d, 64), 8, VIRTIO_SND_S_IO_ERR);
	expect_io_done(tdev_rx(&t, 9, 64), 8, VIRTIO_SND_S_IO_ERR);
	/* Readable < 4 or writable < 8: used.len 0, nothing written. */
	uint32_t used;
	struct mem_chain *mc = tdev_chain(&t, VSND_VQ_TX, d, 3, 8);
	vsnd_dev_submit(t.dev, &mc->c);
	cr_assert_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	cr_expect_eq(mc->wbuf[0], 0xEE);
	mc = tdev_chain(&t, VSND_VQ_TX, d, 68, 7);
	vsnd_dev_submit(t.dev, &mc->c);
	cr_assert_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	cr_expect_eq(mc->wbuf[0], 0xEE);
	mc = tdev_chain(&t, VSND_VQ_RX, (uint32_t[]){ 1 }, 4, 7);
	vsnd_dev_submit(t.dev, &mc->c);
	cr_assert_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	/* TX with writable data, RX with readable data, readable-after-writable: IO_ERR. */
	mc = tdev_chain(&t, VSND_VQ_TX, d, 68, 16);
	vsnd_dev_submit(t.dev, &mc->c);
	expect_io_done(mc, 8, VIRTIO_SND_S_IO_ERR);
	uint8_t rxr[8] = { 1 };
	mc = tdev_chain(&t, VSND_VQ_RX, rxr, 8, 72);
	vsnd_dev_submit(t.dev, &mc->c);
	expect_io_done(mc, 8, VIRTIO_SND_S_IO_ERR);
	mc = tdev_chain(&t, VSND_VQ_TX, d, 68, 8);
	mc->c.malformed = true;
	vsnd_dev_submit(t.dev, &mc->c);
	expect_io_done(mc, 8, VIRTIO_SND_S_IO_ERR);
	cr_assert_eq(tsink_len(t.sink[0]), 0);
	/* Unknown queue index: returned unused. */
	mc = tdev_chain(&t, 7, d, 8, 8);
	vsnd_dev_submit(t.dev, &mc->c);
	cr_assert_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	tdev_fini(&t);
}

Test(snd_pcm, whole_frames_only_and_sink_errors)
{
	struct tdev t;
	tdev_init(&t, 0);
	cr_assert_eq(tdev_set_params(&t, 0, 1024, 256, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	uint8_t d[2048];
	uint32_t seed = 7;
	fill_random(d, sizeof(d), &seed);
	struct mem_chain *a = tdev_tx(&t, 0, d, 259);  /* 64 frames + 3 bytes */
	struct mem_chain *b = tdev_tx(&t, 0, d, 3);    /* no whole frame */
	struct mem_chain *c = tdev_tx(&t, 0, d, 0);    /* empty */
	struct mem_chain *e = tdev_tx(&t, 0, d, 2048); /* beyond buffer_bytes: capped */
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	expect_io_done(a, 8, VIRTIO_SND_S_OK);
	expect_io_done(b, 8, VIRTIO_SND_S_OK);
	expect_io_done(c, 8, VIRTIO_SND_S_OK);
	expect_io_done(e, 8, VIRTIO_SND_S_OK);
	pthread_mutex_lock(&t.sink[0]->mu);
	cr_assert_eq(t.sink[0]->len, 256 + 1024);
	cr_assert_arr_eq(t.sink[0]->data, d, 256);
	cr_assert_arr_eq(t.sink[0]->data + 256, d, 1024);
	t.sink[0]->fail_write = 1;
	pthread_mutex_unlock(&t.sink[0]->mu);
	struct mem_chain *f = tdev_tx(&t, 0, d, 256);
	expect_io_done(f, 8, VIRTIO_SND_S_IO_ERR);
	struct vsnd_stream_stats st;
	vsnd_dev_stream_stats(t.dev, 0, &st);
	cr_expect_eq(st.io_errors, 1);
	tdev_fini(&t);
}

/* Real time: 20 periods of 10 ms take 200 ms within 5 %; completions and sink writes are
 * never early. Lateness is only host scheduling noise (deadlines are absolute), so on a
 * loaded machine the 5 % bound gets up to three attempts; earliness fails at once. */
static double pacing_attempt(void)
{
	struct tdev t;
	tdev_init(&t, 2);
	const uint32_t per = 1920; /* 480 frames at 48 kHz = 10 ms */
	enum { N = 20, AHEAD = 4 };
	start_manual(&t, per, 0);
	uint8_t d[1920] = { 0 };
	struct mem_chain *m[N];
	for (int i = 0; i < AHEAD; i++)
		m[i] = tdev_tx(&t, 0, d, per);
	uint64_t t0 = vsnd_clock_now(&vsnd_clock_monotonic);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	for (int i = 0; i < N; i++) {
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
		if (i + AHEAD < N)
			m[i + AHEAD] = tdev_tx(&t, 0, d, per); /* re-queue like Linux */
	}
	for (int i = 0; i < N; i++) {
		uint64_t due = t0 + (uint64_t)(i + 1) * 10000000u;
		cr_assert_geq(m[i]->done_ns, due, "message %d completed %.3f ms early", i,
			      (double)(due - m[i]->done_ns) / 1e6);
	}
	pthread_mutex_lock(&t.sink[0]->mu);
	cr_assert_eq(t.sink[0]->nwrites, N);
	for (int i = 0; i < N; i++)
		cr_assert_geq(t.sink[0]->ts[i], t0 + (uint64_t)i * 10000000u, "write %d early", i);
	pthread_mutex_unlock(&t.sink[0]->mu);
	double took = (double)(m[N - 1]->done_ns - t0) / 1e6;
	tdev_fini(&t);
	return took;
}

Test(snd_pcm, pacing_real_clock)
{
	double took = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		took = pacing_attempt();
		if (took >= 200.0 * 0.95 && took <= 200.0 * 1.05)
			break;
	}
	cr_expect(took >= 200.0 * 0.95 && took <= 200.0 * 1.05, "20 periods took %.2f ms", took);
}

/* ---- capture ---- */

Test(snd_pcm, capture_equals_source_and_is_paced)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint8_t src[3000];
	uint32_t seed = 3;
	fill_random(src, sizeof(src), &seed);
	t.sink[1]->src = src;
	t.sink[1]->src_len = sizeof(src);
	const uint32_t per = 1920;
	const uint64_t P = 10000000;
	cr_assert_eq(tdev_set_params(&t, 1, 4 * per, per, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_OK);
	cr_expect_eq(t.sink[1]->p.direction, VIRTIO_SND_D_INPUT);
	struct mem_chain *m[4];
	for (int i = 0; i < 4; i++)
		m[i] = tdev_rx(&t, 1, per);
	at(&t, 3 * P);
	cr_assert(chain_pending(m[0]), "PREPARED: nothing captured");
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 1), VIRTIO_SND_S_OK);
	for (int i = 0; i < 4; i++) {
		at(&t, (uint64_t)(3 + i + 1) * P - 1);
		cr_assert(chain_pending(m[i]), "RX %d completed before its period was captured", i);
		at(&t, (uint64_t)(3 + i + 1) * P);
		expect_io_done(m[i], per + 8, VIRTIO_SND_S_OK);
		cr_expect_eq(mem_chain_w32(m[i], per + 4), 0, "latency_bytes");
		for (uint32_t k = 0; k < per; k++)
			cr_assert_eq(m[i]->wbuf[k], src[(i * per + k) % sizeof(src)],
				     "RX %d byte %u", i, k);
	}
	/* Partial frame at the end of the data area: whole frames only. */
	struct mem_chain *p = tdev_rx(&t, 1, 1027);
	at(&t, 8 * P);
	expect_io_done(p, 1024 + 8, VIRTIO_SND_S_OK);
	cr_expect_eq(p->wbuf[1024], 0xEE, "tail beyond whole frames untouched");
	/* RELEASE returns a pending RX with no data. */
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 1), VIRTIO_SND_S_OK);
	struct mem_chain *q = tdev_rx(&t, 1, per);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, 1), VIRTIO_SND_S_OK);
	expect_io_done(q, 8, VIRTIO_SND_S_OK);
	tdev_fini(&t);
}

Test(snd_pcm, capture_silence_without_source)
{
	struct vsnd_vclock *vc = vsnd_vclock_new(0, 1);
	struct vsnd_host h = { .clock = vsnd_vclock_clock(vc) };
	struct tdev t;
	memset(&t, 0, sizeof(t));
	mem_chain_log_init(&t.log);
	t.vc = vc;
	t.clk = h.clock;
	t.dev = vsnd_dev_new(NULL, &h);
	cr_assert_not_null(t.dev);
	vsnd_dev_driver_ok(t.dev);
	struct {
		uint8_t fmt, fb;
		uint8_t pattern[4];
	} cases[] = {
		{ VIRTIO_SND_PCM_FMT_U8, 1, { 0x80 } },
		{ VIRTIO_SND_PCM_FMT_S16, 2, { 0, 0 } },
		{ VIRTIO_SND_PCM_FMT_S24_3, 3, { 0, 0, 0 } },
		{ VIRTIO_SND_PCM_FMT_S24, 4, { 0, 0, 0, 0 } },
		{ VIRTIO_SND_PCM_FMT_S32, 4, { 0, 0, 0, 0 } },
		{ VIRTIO_SND_PCM_FMT_FLOAT, 4, { 0, 0, 0, 0 } },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t per = 64 * cases[c].fb * 2;
		cr_assert_eq(tdev_set_params(&t, 1, 2 * per, per, 0, 2, cases[c].fmt, R48K),
			     VIRTIO_SND_S_OK);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_OK);
		struct mem_chain *m = tdev_rx(&t, 1, per);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 1), VIRTIO_SND_S_OK);
		expect_io_done(m, per + 8, VIRTIO_SND_S_OK);
		for (uint32_t k = 0; k < per; k++)
			cr_assert_eq(m->wbuf[k], cases[c].pattern[k % cases[c].fb], "fmt %u byte %u",
				     cases[c].fmt, k);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 1), VIRTIO_SND_S_OK);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, 1), VIRTIO_SND_S_OK);
	}
	tdev_fini(&t);
}

Test(snd_pcm, two_devices_in_one_process)
{
	struct tdev a, b;
	tdev_init(&a, 0);
	tdev_init(&b, 0);
	uint8_t da[256], db[256];
	memset(da, 1, sizeof(da));
	memset(db, 2, sizeof(db));
	cr_assert_eq(tdev_set_params(&a, 0, 512, 256, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(&b, 0, 512, 256, 0, 1, S16, VIRTIO_SND_PCM_RATE_8000),
		     VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&a, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&b, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	struct mem_chain *ma = tdev_tx(&a, 0, da, 256), *mb = tdev_tx(&b, 0, db, 256);
	cr_assert_eq(tdev_pcm(&a, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&b, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	expect_io_done(ma, 8, VIRTIO_SND_S_OK);
	expect_io_done(mb, 8, VIRTIO_SND_S_OK);
	cr_assert_arr_eq(a.sink[0]->data, da, 256);
	cr_assert_arr_eq(b.sink[0]->data, db, 256);
	cr_assert_eq(vsnd_clock_now(a.clk), ns_of(64, 48000));
	cr_assert_eq(vsnd_clock_now(b.clk), ns_of(128, 8000));
	tdev_fini(&a);
	tdev_fini(&b);
}

/* Silence of the unsigned, companded and DSD formats a custom config may advertise. */
Test(snd_pcm, capture_silence_other_formats)
{
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	cfg.streams[1].formats = 1ull << VIRTIO_SND_PCM_FMT_U16 | 1ull << VIRTIO_SND_PCM_FMT_U24_3 |
				 1ull << VIRTIO_SND_PCM_FMT_U20 | 1ull << VIRTIO_SND_PCM_FMT_U32 |
				 1ull << VIRTIO_SND_PCM_FMT_MU_LAW | 1ull << VIRTIO_SND_PCM_FMT_A_LAW |
				 1ull << VIRTIO_SND_PCM_FMT_S8 | 1ull << VIRTIO_SND_PCM_FMT_DSD_U8 |
				 1ull << VIRTIO_SND_PCM_FMT_FLOAT64;
	struct vsnd_vclock *vc = vsnd_vclock_new(0, 1);
	struct vsnd_host h = { .clock = vsnd_vclock_clock(vc) };
	struct tdev t;
	memset(&t, 0, sizeof(t));
	mem_chain_log_init(&t.log);
	t.vc = vc;
	t.clk = h.clock;
	t.dev = vsnd_dev_new(&cfg, &h);
	cr_assert_not_null(t.dev);
	vsnd_dev_driver_ok(t.dev);
	struct {
		uint8_t fmt, fb;
		uint8_t pattern[8];
	} cases[] = {
		{ VIRTIO_SND_PCM_FMT_U16, 2, { 0x00, 0x80 } },
		{ VIRTIO_SND_PCM_FMT_U24_3, 3, { 0x00, 0x00, 0x80 } },
		{ VIRTIO_SND_PCM_FMT_U20, 4, { 0x00, 0x00, 0x08, 0x00 } },
		{ VIRTIO_SND_PCM_FMT_U32, 4, { 0x00, 0x00, 0x00, 0x80 } },
		{ VIRTIO_SND_PCM_FMT_MU_LAW, 1, { 0x7f } },
		{ VIRTIO_SND_PCM_FMT_A_LAW, 1, { 0x55 } },
		{ VIRTIO_SND_PCM_FMT_S8, 1, { 0x00 } },
		{ VIRTIO_SND_PCM_FMT_DSD_U8, 1, { 0x69 } },
		{ VIRTIO_SND_PCM_FMT_FLOAT64, 8, { 0 } },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint32_t per = 16 * cases[c].fb;
		cr_assert_eq(tdev_set_params(&t, 1, 2 * per, per, 0, 1, cases[c].fmt, R48K),
			     VIRTIO_SND_S_OK);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_OK);
		struct mem_chain *m = tdev_rx(&t, 1, per);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 1), VIRTIO_SND_S_OK);
		expect_io_done(m, per + 8, VIRTIO_SND_S_OK);
		for (uint32_t k = 0; k < per; k++)
			cr_assert_eq(m->wbuf[k], cases[c].pattern[k % cases[c].fb], "fmt %u byte %u",
				     cases[c].fmt, k);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 1), VIRTIO_SND_S_OK);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, 1), VIRTIO_SND_S_OK);
	}
	tdev_fini(&t);
}

/* Four streams on one device: the TX thread interleaves two output streams by deadline, the
 * RX thread two input streams; each sink/source sees only its own stream. */
Test(snd_pcm, several_streams_by_deadline)
{
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	cfg.nstreams = 4;
	cfg.streams[2] = cfg.streams[0];
	cfg.streams[3] = cfg.streams[1];
	struct tdev t;
	tdev_init_cfg(&t, &cfg, 1);
	vsnd_dev_driver_ok(t.dev);
	const uint64_t MS = 1000000;
	/* s0: 48 kHz mono S16, 10 ms periods; s2: 8 kHz mono S16, 5 ms periods. */
	cr_assert_eq(tdev_set_params(&t, 0, 1920, 960, 0, 1, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(&t, 2, 160, 80, 0, 1, S16, VIRTIO_SND_PCM_RATE_8000),
		     VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(&t, 1, 1920, 960, 0, 1, S16, R48K), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(&t, 3, 160, 80, 0, 1, S16, VIRTIO_SND_PCM_RATE_8000),
		     VIRTIO_SND_S_OK);
	for (uint32_t s = 0; s < 4; s++)
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, s), VIRTIO_SND_S_OK);
	uint8_t a[960], b[80];
	memset(a, 0xA0, sizeof(a));
	memset(b, 0xB0, sizeof(b));
	struct mem_chain *a0 = tdev_tx(&t, 0, a, 960), *a1 = tdev_tx(&t, 0, a, 960);
	struct mem_chain *b0 = tdev_tx(&t, 2, b, 80), *b1 = tdev_tx(&t, 2, b, 80);
	struct mem_chain *c0 = tdev_rx(&t, 1, 960);
	struct mem_chain *d0 = tdev_rx(&t, 3, 80), *d1 = tdev_rx(&t, 3, 80);
	for (uint32_t s = 0; s < 4; s++)
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, s), VIRTIO_SND_S_OK);
	at(&t, 5 * MS);
	expect_io_done(b0, 8, VIRTIO_SND_S_OK);
	expect_io_done(d0, 88, VIRTIO_SND_S_OK);
	cr_assert(chain_pending(a0));
	cr_assert(chain_pending(c0));
	at(&t, 10 * MS);
	expect_io_done(a0, 8, VIRTIO_SND_S_OK);
	expect_io_done(b1, 8, VIRTIO_SND_S_OK);
	expect_io_done(c0, 968, VIRTIO_SND_S_OK);
	expect_io_done(d1, 88, VIRTIO_SND_S_OK);
	at(&t, 20 * MS);
	expect_io_done(a1, 8, VIRTIO_SND_S_OK);
	cr_assert_eq(tsink_len(t.sink[0]), 1920);
	cr_assert_eq(tsink_len(t.sink[2]), 160);
	cr_assert_arr_eq(t.sink[0]->data, a, 960);
	cr_assert_arr_eq(t.sink[2]->data, b, 80);
	cr_assert_eq(t.sink[1]->reads, 1);
	cr_assert_eq(t.sink[3]->reads, 2);
	cr_assert_eq(t.sink[2]->ts[1], 5 * MS);
	tdev_fini(&t);
}
