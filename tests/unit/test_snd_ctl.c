/* test_snd_ctl.c - virtio-snd control queue: config space, every 1.2 request code and every
 * status path (sizes, ids, unsupported parameters, each cell of the stream state table). */
#include <criterion/criterion.h>

#include "test_snd_harness.h"

static const uint8_t S16 = VIRTIO_SND_PCM_FMT_S16, R48K = VIRTIO_SND_PCM_RATE_48000;

Test(snd_ctl, config_space)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t v[4];
	vsnd_dev_config_read(t.dev, 0, v, sizeof(v));
	cr_expect_eq(v[0], 1); /* jacks */
	cr_expect_eq(v[1], 2); /* streams */
	cr_expect_eq(v[2], 4); /* chmaps */
	cr_expect_eq(v[3], 0); /* controls (1.3) */
	uint8_t b[6];
	memset(b, 0xAA, sizeof(b));
	vsnd_dev_config_read(t.dev, 4, b, 1);
	cr_expect_eq(b[0], 2);
	vsnd_dev_config_read(t.dev, 14, b, 6); /* runs past the end: zeroes */
	for (int i = 0; i < 6; i++)
		cr_expect_eq(b[i], 0);
	vsnd_dev_config_read(t.dev, 0xFFFFFFF0u, b, 6); /* offset + len wraps 32 bits */
	for (int i = 0; i < 6; i++)
		cr_expect_eq(b[i], 0);
	tdev_fini(&t);
}

/* Break a default config in one way; returns its name, or NULL past the last case. */
static const char *break_config(struct vsnd_config *c, int i)
{
	switch (i) {
	case 0: c->nstreams = VSND_MAX_STREAMS + 1; return "too many streams";
	case 1: c->njacks = VSND_MAX_JACKS + 1; return "too many jacks";
	case 2: c->nchmaps = VSND_MAX_CHMAPS + 1; return "too many chmaps";
	case 3: c->streams[0].direction = 2; return "direction";
	case 4: c->streams[0].formats = 0; return "no format";
	case 5: c->streams[0].formats |= 1ull << 40; return "undefined format bit";
	case 6: c->streams[0].formats |= 1ull << VIRTIO_SND_PCM_FMT_IMA_ADPCM; return "IMA_ADPCM";
	case 7: c->streams[1].rates = 0; return "no rate";
	case 8: c->streams[1].rates |= 1ull << 14; return "undefined rate bit";
	case 9: c->streams[0].channels_min = 0; return "channels_min 0";
	case 10: c->streams[0].channels_min = 9; return "channels_min > max";
	case 11: c->streams[0].features = 1u << VIRTIO_SND_PCM_F_SHMEM_HOST; return "SHMEM";
	case 12: c->jacks[0].features = 2; return "jack feature";
	case 13: c->chmaps[0].channels = 19; return "chmap channels";
	case 14: c->chmaps[1].positions[1] = 37; return "chmap position";
	case 15: c->chmaps[1].direction = 3; return "chmap direction";
	case 16: c->jacks[0].connected = 2; return "jack connected";
	default: return NULL;
	}
}

Test(snd_ctl, config_validation)
{
	struct vsnd_host h = { .clock = &vsnd_clock_monotonic };
	struct vsnd_config c;
	const char *what;
	for (int i = 0; (vsnd_config_default(&c), what = break_config(&c, i)); i++) {
		struct vsnd_dev *d = vsnd_dev_new(&c, &h);
		cr_expect_null(d, "config with %s accepted", what);
		vsnd_dev_free(d);
	}
	vsnd_config_default(&c);
	struct vsnd_dev *d = vsnd_dev_new(&c, &h);
	cr_expect_not_null(d);
	vsnd_dev_free(d);
}

static uint32_t query(struct tdev *t, uint32_t code, uint32_t start, uint32_t count,
		      uint32_t size, uint32_t wlen, uint32_t *used, struct mem_chain **mc)
{
	struct virtio_snd_query_info q = { code, start, count, size };
	return tdev_ctl(t, &q, sizeof(q), wlen, used, mc);
}

Test(snd_ctl, jack_info)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t used;
	struct mem_chain *mc;
	cr_assert_eq(query(&t, VIRTIO_SND_R_JACK_INFO, 0, 1, 24, 4 + 24, &used, &mc),
		     VIRTIO_SND_S_OK);
	cr_expect_eq(used, 28);
	struct virtio_snd_jack_info ji;
	memcpy(&ji, mc->wbuf + 4, sizeof(ji));
	cr_expect_eq(ji.hda_fn_nid, 0);
	cr_expect_eq(ji.features, 0);
	cr_expect_eq(ji.hda_reg_defconf, 0x00200000);
	cr_expect_eq(ji.connected, 1);
	for (int i = 0; i < 7; i++)
		cr_expect_eq(ji.padding[i], 0);

	/* Larger item size: struct then zeroes, stride = size. */
	cr_assert_eq(query(&t, VIRTIO_SND_R_JACK_INFO, 0, 1, 40, 4 + 40, &used, &mc),
		     VIRTIO_SND_S_OK);
	cr_expect_eq(used, 44);
	cr_expect_eq(mem_chain_w32(mc, 4 + 8), 0x00200000);
	for (int i = 24; i < 40; i++)
		cr_expect_eq(mc->wbuf[4 + i], 0);

	/* Error paths: status only, used.len 4. */
	struct {
		uint32_t start, count, size, wlen;
	} bad[] = {
		{ 0, 1, 23, 4 + 24 },             /* size smaller than the struct */
		{ 0, 2, 24, 4 + 48 },             /* start + count > jacks */
		{ 1, 1, 24, 4 + 24 },
		{ 0xFFFFFFFFu, 2, 24, 4 + 48 },   /* start + count wraps 32 bits */
		{ 0, 1, 24, 4 + 23 },             /* writable space too small */
		{ 0, 1, 0x80000000u, 4 + 24 },    /* count*size beyond the buffer */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t st = query(&t, VIRTIO_SND_R_JACK_INFO, bad[i].start, bad[i].count,
				    bad[i].size, bad[i].wlen, &used, &mc);
		cr_expect_eq(st, VIRTIO_SND_S_BAD_MSG, "case %zu", i);
		cr_expect_eq(used, 4, "case %zu", i);
		cr_expect_eq(mc->wbuf[4], 0xEE, "case %zu wrote an item", i);
	}
	/* count 0 is a valid empty answer. */
	cr_expect_eq(query(&t, VIRTIO_SND_R_JACK_INFO, 1, 0, 24, 4, &used, &mc), VIRTIO_SND_S_OK);
	cr_expect_eq(used, 4);
	tdev_fini(&t);
}

Test(snd_ctl, count_times_size_in_64_bits)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t used;
	struct mem_chain *mc;
	/* 0x08000000 * 0x20 == 2^32: wraps to 0 in 32-bit arithmetic. */
	struct vsnd_config c;
	vsnd_config_default(&c);
	cr_expect_eq(query(&t, VIRTIO_SND_R_PCM_INFO, 0, 0x08000000u, 0x20, 4 + 64, &used, &mc),
		     VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(used, 4);
	cr_expect_eq(query(&t, VIRTIO_SND_R_PCM_INFO, 0, 2, 0x80000000u, 4 + 64, &used, &mc),
		     VIRTIO_SND_S_BAD_MSG);
	tdev_fini(&t);
}

Test(snd_ctl, pcm_info)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t used;
	struct mem_chain *mc;
	cr_assert_eq(query(&t, VIRTIO_SND_R_PCM_INFO, 0, 2, 32, 4 + 64, &used, &mc),
		     VIRTIO_SND_S_OK);
	cr_expect_eq(used, 68);
	const uint64_t formats = 1ull << VIRTIO_SND_PCM_FMT_U8 | 1ull << VIRTIO_SND_PCM_FMT_S16 |
				 1ull << VIRTIO_SND_PCM_FMT_S24_3 | 1ull << VIRTIO_SND_PCM_FMT_S24 |
				 1ull << VIRTIO_SND_PCM_FMT_S32 | 1ull << VIRTIO_SND_PCM_FMT_FLOAT;
	for (int i = 0; i < 2; i++) {
		struct virtio_snd_pcm_info pi;
		memcpy(&pi, mc->wbuf + 4 + 32 * i, sizeof(pi));
		cr_expect_eq(pi.hda_fn_nid, 0);
		cr_expect_eq(pi.features, 0);
		cr_expect_eq(pi.formats, formats);
		cr_expect_eq(pi.rates, 0x3FFF);
		cr_expect_eq(pi.direction, i == 0 ? VIRTIO_SND_D_OUTPUT : VIRTIO_SND_D_INPUT);
		cr_expect_eq(pi.channels_min, 1);
		cr_expect_eq(pi.channels_max, 8);
		for (int k = 0; k < 5; k++)
			cr_expect_eq(pi.padding[k], 0);
	}
	/* Second stream alone. */
	cr_assert_eq(query(&t, VIRTIO_SND_R_PCM_INFO, 1, 1, 32, 4 + 32, &used, &mc),
		     VIRTIO_SND_S_OK);
	cr_expect_eq(mc->wbuf[4 + 24], VIRTIO_SND_D_INPUT);
	cr_expect_eq(query(&t, VIRTIO_SND_R_PCM_INFO, 0, 1, 31, 4 + 32, &used, &mc),
		     VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(query(&t, VIRTIO_SND_R_PCM_INFO, 2, 1, 32, 4 + 32, &used, &mc),
		     VIRTIO_SND_S_BAD_MSG);
	tdev_fini(&t);
}

Test(snd_ctl, chmap_info)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t used;
	struct mem_chain *mc;
	cr_assert_eq(query(&t, VIRTIO_SND_R_CHMAP_INFO, 0, 4, 24, 4 + 96, &used, &mc),
		     VIRTIO_SND_S_OK);
	cr_expect_eq(used, 100);
	for (int i = 0; i < 4; i++) {
		struct virtio_snd_chmap_info ci;
		memcpy(&ci, mc->wbuf + 4 + 24 * i, sizeof(ci));
		cr_expect_eq(ci.direction, i / 2);
		cr_expect_eq(ci.channels, i % 2 + 1);
		if (i % 2 == 0) {
			cr_expect_eq(ci.positions[0], 2); /* MONO */
		} else {
			cr_expect_eq(ci.positions[0], 3); /* FL */
			cr_expect_eq(ci.positions[1], 4); /* FR */
		}
		for (int k = ci.channels; k < VIRTIO_SND_CHMAP_MAX_SIZE; k++)
			cr_expect_eq(ci.positions[k], 0);
	}
	cr_expect_eq(query(&t, VIRTIO_SND_R_CHMAP_INFO, 3, 2, 24, 4 + 48, &used, &mc),
		     VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(query(&t, VIRTIO_SND_R_CHMAP_INFO, 0, 1, 8, 4 + 24, &used, &mc),
		     VIRTIO_SND_S_BAD_MSG);
	tdev_fini(&t);
}

Test(snd_ctl, short_and_malformed_requests)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t used;
	struct mem_chain *mc;
	/* Writable part < 4: no status can be written; used.len 0 and nothing written. */
	struct virtio_snd_pcm_hdr h = { VIRTIO_SND_R_PCM_PREPARE, 0 };
	tdev_ctl(&t, &h, sizeof(h), 3, &used, &mc);
	cr_expect_eq(used, 0);
	cr_expect_eq(mc->wbuf[0], 0xEE);
	tdev_ctl(&t, &h, sizeof(h), 0, &used, &mc);
	cr_expect_eq(used, 0);
	/* Readable part shorter than the code, or than the request of that code. */
	cr_expect_eq(tdev_ctl(&t, &h, 3, 4, &used, NULL), VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(used, 4);
	uint32_t codes[] = { VIRTIO_SND_R_JACK_INFO, VIRTIO_SND_R_JACK_REMAP,
			     VIRTIO_SND_R_PCM_INFO, VIRTIO_SND_R_PCM_SET_PARAMS,
			     VIRTIO_SND_R_PCM_PREPARE, VIRTIO_SND_R_PCM_RELEASE,
			     VIRTIO_SND_R_PCM_START, VIRTIO_SND_R_PCM_STOP,
			     VIRTIO_SND_R_CHMAP_INFO };
	uint32_t need[] = { 16, 16, 16, 24, 8, 8, 8, 8, 16 };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		uint8_t req[24] = { 0 };
		memcpy(req, &codes[i], 4);
		/* A sensible body so only the length is wrong. */
		uint32_t one = 1, sz = 32;
		memcpy(req + 8, &one, 4);
		memcpy(req + 12, &sz, 4);
		cr_expect_eq(tdev_ctl(&t, req, need[i] - 1, 64, &used, NULL), VIRTIO_SND_S_BAD_MSG,
			     "code 0x%x with %u bytes", codes[i], need[i] - 1);
		cr_expect_eq(used, 4);
	}
	/* Unknown codes, including 1.3 CTL_* and event/status codes. */
	uint32_t unknown[] = { 0, 3, 0x0106, 0x0201, 0x0300, 0x0306, 0x1000, 0x8000, 0xFFFFFFFFu };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		uint8_t req[24] = { 0 };
		memcpy(req, &unknown[i], 4);
		cr_expect_eq(tdev_ctl(&t, req, sizeof(req), 4, &used, NULL), VIRTIO_SND_S_BAD_MSG);
		cr_expect_eq(used, 4);
	}
	/* Readable descriptor after a writable one (2.7.4.2). */
	struct virtio_snd_query_info q = { VIRTIO_SND_R_PCM_INFO, 0, 1, 32 };
	mc = tdev_chain(&t, VSND_VQ_CONTROL, &q, sizeof(q), 36);
	mc->c.malformed = true;
	vsnd_dev_submit(t.dev, &mc->c);
	cr_expect_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 4);
	cr_expect_eq(mem_chain_w32(mc, 0), VIRTIO_SND_S_BAD_MSG);
	tdev_fini(&t);
}

Test(snd_ctl, jack_remap)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t used;
	struct virtio_snd_jack_remap r = { VIRTIO_SND_R_JACK_REMAP, 0, 1, 2 };
	cr_expect_eq(tdev_ctl(&t, &r, sizeof(r), 4, &used, NULL), VIRTIO_SND_S_NOT_SUPP);
	cr_expect_eq(used, 4);
	r.jack_id = 1;
	cr_expect_eq(tdev_ctl(&t, &r, sizeof(r), 4, &used, NULL), VIRTIO_SND_S_BAD_MSG);
	tdev_fini(&t);

	struct vsnd_config c;
	vsnd_config_default(&c);
	c.jacks[0].features = 1u << VIRTIO_SND_JACK_F_REMAP;
	tdev_init_cfg(&t, &c, 1);
	r.jack_id = 0;
	cr_expect_eq(tdev_ctl(&t, &r, sizeof(r), 4, &used, NULL), VIRTIO_SND_S_OK);
	cr_expect_eq(used, 4);
	r.jack_id = 0xFFFFFFFFu;
	cr_expect_eq(tdev_ctl(&t, &r, sizeof(r), 4, &used, NULL), VIRTIO_SND_S_BAD_MSG);
	tdev_fini(&t);
}

Test(snd_ctl, set_params_checks)
{
	struct tdev t;
	tdev_init(&t, 1);
	const uint32_t B = 4096, P = 1024;
	cr_expect_eq(tdev_set_params(&t, 0, B, P, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	/* Invalid values: BAD_MSG. */
	cr_expect_eq(tdev_set_params(&t, 2, B, P, 0, 2, S16, R48K), VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(tdev_set_params(&t, 0xFFFFFFFFu, B, P, 0, 2, S16, R48K), VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(tdev_set_params(&t, 0, B, 0, 0, 2, S16, R48K), VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(tdev_set_params(&t, 0, 0, P, 0, 2, S16, R48K), VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(tdev_set_params(&t, 0, B + 1, P, 0, 2, S16, R48K), VIRTIO_SND_S_BAD_MSG);
	struct virtio_snd_pcm_set_params p = { VIRTIO_SND_R_PCM_SET_PARAMS, 0, B, P, 0, 2, S16,
					       R48K, 1 };
	uint32_t used;
	cr_expect_eq(tdev_ctl(&t, &p, sizeof(p), 4, &used, NULL), VIRTIO_SND_S_BAD_MSG,
		     "non-zero padding");
	/* Not advertised: NOT_SUPP. Out-of-range values must not be used as shift counts. */
	uint8_t bad_formats[] = { VIRTIO_SND_PCM_FMT_S8, VIRTIO_SND_PCM_FMT_IMA_ADPCM,
				  VIRTIO_SND_PCM_FMT_FLOAT64, 25, 31, 32, 63, 64, 65, 200, 255 };
	for (size_t i = 0; i < sizeof(bad_formats); i++)
		cr_expect_eq(tdev_set_params(&t, 0, B, P, 0, 2, bad_formats[i], R48K),
			     VIRTIO_SND_S_NOT_SUPP, "format %u", bad_formats[i]);
	uint8_t bad_rates[] = { 14, 15, 31, 32, 63, 64, 65, 255 };
	for (size_t i = 0; i < sizeof(bad_rates); i++)
		cr_expect_eq(tdev_set_params(&t, 0, B, P, 0, 2, S16, bad_rates[i]),
			     VIRTIO_SND_S_NOT_SUPP, "rate %u", bad_rates[i]);
	cr_expect_eq(tdev_set_params(&t, 0, B, P, 0, 0, S16, R48K), VIRTIO_SND_S_NOT_SUPP);
	cr_expect_eq(tdev_set_params(&t, 0, B, P, 0, 9, S16, R48K), VIRTIO_SND_S_NOT_SUPP);
	cr_expect_eq(tdev_set_params(&t, 0, B, P, 0, 255, S16, R48K), VIRTIO_SND_S_NOT_SUPP);
	for (uint32_t f = 0; f < 32; f++)
		cr_expect_eq(tdev_set_params(&t, 0, B, P, 1u << f, 2, S16, R48K),
			     VIRTIO_SND_S_NOT_SUPP, "feature bit %u not advertised", f);
	cr_expect_eq(tdev_set_params(&t, 0, (16u << 20) + P, P, 0, 2, S16, R48K),
		     VIRTIO_SND_S_NOT_SUPP);
	cr_expect_eq(tdev_set_params(&t, 0, 16u << 20, P, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	/* Every advertised format/rate/channel count is accepted. */
	uint8_t good[] = { VIRTIO_SND_PCM_FMT_U8, VIRTIO_SND_PCM_FMT_S16, VIRTIO_SND_PCM_FMT_S24_3,
			   VIRTIO_SND_PCM_FMT_S24, VIRTIO_SND_PCM_FMT_S32, VIRTIO_SND_PCM_FMT_FLOAT };
	for (size_t f = 0; f < sizeof(good); f++)
		for (uint8_t r = 0; r < VIRTIO_SND_PCM_RATE_COUNT; r++)
			for (uint8_t ch = 1; ch <= 8; ch++)
				cr_expect_eq(tdev_set_params(&t, 1, B, P, 0, ch, good[f], r),
					     VIRTIO_SND_S_OK);
	tdev_fini(&t);

	/* Advertised features are accepted; SHMEM ones can never be advertised. */
	struct vsnd_config c;
	vsnd_config_default(&c);
	c.streams[0].features = 1u << VIRTIO_SND_PCM_F_EVT_XRUNS;
	tdev_init_cfg(&t, &c, 1);
	cr_expect_eq(tdev_set_params(&t, 0, B, P, 1u << VIRTIO_SND_PCM_F_EVT_XRUNS, 2, S16, R48K),
		     VIRTIO_SND_S_OK);
	cr_expect_eq(tdev_set_params(&t, 0, B, P, 1u << VIRTIO_SND_PCM_F_MSG_POLLING, 2, S16, R48K),
		     VIRTIO_SND_S_NOT_SUPP);
	tdev_fini(&t);
}

Test(snd_ctl, pcm_commands_bad_ids)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t codes[] = { VIRTIO_SND_R_PCM_PREPARE, VIRTIO_SND_R_PCM_RELEASE,
			     VIRTIO_SND_R_PCM_START, VIRTIO_SND_R_PCM_STOP };
	uint32_t ids[] = { 2, 8, 0x80000000u, 0xFFFFFFFFu };
	for (size_t c = 0; c < 4; c++)
		for (size_t i = 0; i < 4; i++)
			cr_expect_eq(tdev_pcm(&t, codes[c], ids[i]), VIRTIO_SND_S_BAD_MSG);
	tdev_fini(&t);
}

/* Drive stream 0 into a state with valid commands only. */
static void drive_to(struct tdev *t, enum vsnd_pcm_state s)
{
	if (s == VSND_PCM_INIT)
		return;
	cr_assert_eq(tdev_set_params(t, 0, 4096, 1024, 0, 2, S16, R48K), VIRTIO_SND_S_OK);
	if (s == VSND_PCM_PARAMS)
		return;
	cr_assert_eq(tdev_pcm(t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	if (s == VSND_PCM_PREPARED)
		return;
	if (s == VSND_PCM_RELEASED) {
		cr_assert_eq(tdev_pcm(t, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK);
		return;
	}
	cr_assert_eq(tdev_pcm(t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	if (s == VSND_PCM_RUNNING)
		return;
	cr_assert_eq(tdev_pcm(t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
}

static enum vsnd_pcm_state state_of(struct tdev *t, uint32_t sid)
{
	struct vsnd_stream_stats st;
	cr_assert_eq(vsnd_dev_stream_stats(t->dev, sid, &st), 0);
	return st.state;
}

Test(snd_ctl, state_table_every_cell)
{
	enum { I = VSND_PCM_INIT, PA = VSND_PCM_PARAMS, PR = VSND_PCM_PREPARED,
	       RU = VSND_PCM_RUNNING, ST = VSND_PCM_STOPPED, RE = VSND_PCM_RELEASED, X = -1 };
	/* Facts sheet 3.8 (lenient RELEASE in INIT, PARAMS, RELEASED). */
	static const int expect[5][6] = {
		/* SET_PARAMS */ { PA, PA, PA, X, X, PA },
		/* PREPARE    */ { X, PR, PR, X, X, PR },
		/* START      */ { X, X, RU, X, RU, X },
		/* STOP       */ { X, X, X, ST, X, X },
		/* RELEASE    */ { I, PA, RE, X, RE, RE },
	};
	const uint32_t codes[5] = { VIRTIO_SND_R_PCM_SET_PARAMS, VIRTIO_SND_R_PCM_PREPARE,
				    VIRTIO_SND_R_PCM_START, VIRTIO_SND_R_PCM_STOP,
				    VIRTIO_SND_R_PCM_RELEASE };
	for (int cmd = 0; cmd < 5; cmd++) {
		for (int s = I; s <= RE; s++) {
			struct tdev t;
			tdev_init(&t, 1);
			drive_to(&t, (enum vsnd_pcm_state)s);
			cr_assert_eq(state_of(&t, 0), (enum vsnd_pcm_state)s);
			uint32_t st = cmd == 0 ? tdev_set_params(&t, 0, 8192, 2048, 0, 1, S16, R48K)
					       : tdev_pcm(&t, codes[cmd], 0);
			if (expect[cmd][s] == X) {
				cr_expect_eq(st, VIRTIO_SND_S_BAD_MSG, "cmd %d in state %d", cmd, s);
				cr_expect_eq(state_of(&t, 0), (enum vsnd_pcm_state)s,
					     "state kept after an invalid command");
			} else {
				cr_expect_eq(st, VIRTIO_SND_S_OK, "cmd %d in state %d", cmd, s);
				cr_expect_eq(state_of(&t, 0), (enum vsnd_pcm_state)expect[cmd][s],
					     "cmd %d in state %d", cmd, s);
			}
			/* The other stream is untouched. */
			cr_expect_eq(state_of(&t, 1), VSND_PCM_INIT);
			tdev_fini(&t);
		}
	}
}

Test(snd_ctl, release_keeps_params_and_sink_lifecycle)
{
	struct tdev t;
	tdev_init(&t, 1);
	struct tsink *k = t.sink[0];
	cr_assert_eq(tdev_set_params(&t, 0, 4800, 1200, 0, 3, VIRTIO_SND_PCM_FMT_S24_3,
				     VIRTIO_SND_PCM_RATE_44100), VIRTIO_SND_S_OK);
	cr_expect_eq(k->opens, 0);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	cr_expect_eq(k->opens, 1);
	cr_expect_eq(k->p.stream_id, 0);
	cr_expect_eq(k->p.direction, VIRTIO_SND_D_OUTPUT);
	cr_expect_eq(k->p.format, VIRTIO_SND_PCM_FMT_S24_3);
	cr_expect_eq(k->p.channels, 3);
	cr_expect_eq(k->p.rate_index, VIRTIO_SND_PCM_RATE_44100);
	cr_expect_eq(k->p.rate_hz, 44100);
	cr_expect_eq(k->p.frame_bytes, 9);
	cr_expect_eq(k->p.period_bytes, 1200);
	cr_expect_eq(k->p.buffer_bytes, 4800);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK);
	cr_expect_eq(k->closes, 1);
	/* Linux re-PREPAREs after RELEASE without SET_PARAMS (facts 3.8). */
	memset(&k->p, 0, sizeof(k->p));
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	cr_expect_eq(k->opens, 2);
	cr_expect_eq(k->p.frame_bytes, 9);
	cr_expect_eq(k->p.rate_hz, 44100);
	/* PREPARE twice reopens; a sink open failure is IO_ERR. */
	k->fail_open = 1;
	cr_expect_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_IO_ERR);
	cr_expect_eq(k->closes, 2);
	cr_expect_eq(state_of(&t, 0), VSND_PCM_PARAMS);
	cr_expect_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_BAD_MSG);
	k->fail_open = 0;
	cr_expect_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	tdev_fini(&t);
	/* (tdev_fini checked that the sink was destroyed exactly once.) */
}
