/* snd_harness.h - shared engine of the device-core fuzz targets (fuzz_ctl.c, fuzz_pcm.c): runs
 * an input-decoded program of requests, transfers, resets and clock steps against vsnd_dev.
 *
 * The device is the real core (vsnd_dev_new) with the default config (or, when the header
 * byte asks, a richer one: 8 streams, XRUN events, remappable jacks), checking sinks and a
 * virtual clock: `manual` (time moves only on ADVANCE; the device is quiesced after every op,
 * so a run is deterministic) or `instant` (the worker threads run freely).
 * Chains are heap blocks of exactly rlen/wlen bytes, freed when returned, so ASan reports
 * any access past them or after their return. Checked invariants (trap on failure):
 *   - every chain is returned exactly once (complete or discard), all of them by dev_free;
 *   - a write never reaches past the writable length; used.len <= wlen;
 *   - control: used.len is 0 only when wlen < 4, and the status is one of the four codes;
 *   - TX/RX: used.len is 0 (no header / no status room) or >= 8 with a valid status;
 *   - events: used.len 0 or 8 with a known event code;
 *   - sinks: I/O only while open, whole frames of the open parameters, at most buffer_bytes;
 *   - at the end the device still answers PCM_INFO (OK, the configured streams) and an
 *     unknown code (BAD_MSG).
 * Input: byte 0 = flags (bit 0 instant clock, bit 1 rich config, bit 2 failing sinks,
 * bit 3 DRIVER_OK at start); then ops (snd_op() below), missing bytes read as 0. */
#ifndef TESTS_FUZZ_SND_HARNESS_H
#define TESTS_FUZZ_SND_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsnd/clock.h"
#include "vsnd/snd.h"

#define SH_CHECK(c)                                                                                \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

struct sh_rd {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t sh_get(struct sh_rd *r, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		uint64_t b = 0;
		if (r->n) {
			b = *r->p++;
			r->n--;
		}
		v |= b << (8 * i);
	}
	return v;
}

struct sh;

struct sh_chain {
	struct vsnd_chain c;
	struct sh *h;
	uint8_t *r, *w;
};

struct sh_sink {
	struct vsnd_sink s;
	struct sh *h;
	bool open;
	struct vsnd_pcm_params p;
	uint64_t bytes;
	uint64_t frames; /* bytes / frame size of the parameters each write came with */
	unsigned calls;
	uint8_t fail; /* bit 0 open fails, bit 1 I/O fails; toggled by the input */
};

struct sh {
	pthread_mutex_t mu; /* chain/sink bookkeeping: device threads complete chains too */
	struct vsnd_vclock *vc;
	struct vsnd_dev *dev;
	bool instant, rich;
	uint64_t now;
	uint64_t submitted, returned;
	struct sh_sink *sinks[VSND_MAX_STREAMS];
	uint32_t nstreams;
	uint8_t last_ctl[4]; /* status of the last control reply */
	uint32_t last_used;
};

/* ---- chains ---- */

static uint32_t sh_read(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	struct sh_chain *sc = c->opaque;
	if (off >= c->rlen)
		return 0;
	if (len > c->rlen - off)
		len = c->rlen - off;
	memcpy(dst, sc->r + off, len);
	return len;
}

static uint32_t sh_write(struct vsnd_chain *c, uint32_t off, const void *src, uint32_t len)
{
	struct sh_chain *sc = c->opaque;
	/* The device knows wlen: it never asks to write past it. */
	SH_CHECK((uint64_t)off + len <= c->wlen);
	memcpy(sc->w + off, src, len);
	return len;
}

static bool sh_status_ok(uint32_t st)
{
	return st >= VIRTIO_SND_S_OK && st <= VIRTIO_SND_S_IO_ERR;
}

static uint32_t sh_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void sh_release(struct sh_chain *sc)
{
	struct sh *h = sc->h;
	pthread_mutex_lock(&h->mu);
	h->returned++;
	SH_CHECK(h->returned <= h->submitted);
	pthread_mutex_unlock(&h->mu);
	free(sc->r);
	free(sc->w);
	free(sc);
}

static void sh_complete(struct vsnd_chain *c, uint32_t used)
{
	struct sh_chain *sc = c->opaque;
	SH_CHECK(used <= c->wlen);
	switch (c->queue) {
	case VSND_VQ_CONTROL:
		SH_CHECK((used == 0) == (c->wlen < 4));
		if (used) {
			SH_CHECK(sh_status_ok(sh_u32(sc->w)));
			memcpy(sc->h->last_ctl, sc->w, 4);
		}
		sc->h->last_used = used;
		break;
	case VSND_VQ_EVENT:
		SH_CHECK(used == 0 || used == 8);
		if (used) {
			uint32_t code = sh_u32(sc->w);
			SH_CHECK(code == VIRTIO_SND_EVT_JACK_CONNECTED ||
				 code == VIRTIO_SND_EVT_JACK_DISCONNECTED ||
				 code == VIRTIO_SND_EVT_PCM_PERIOD_ELAPSED ||
				 code == VIRTIO_SND_EVT_PCM_XRUN);
		}
		break;
	case VSND_VQ_TX:
		SH_CHECK(used == 0 || used == 8);
		if (used)
			SH_CHECK(sh_status_ok(sh_u32(sc->w)));
		break;
	case VSND_VQ_RX:
		SH_CHECK(used == 0 || used >= 8);
		if (used)
			SH_CHECK(sh_status_ok(sh_u32(sc->w + c->wlen - 8)));
		break;
	default:
		SH_CHECK(used == 0);
		break;
	}
	sh_release(sc);
}

static void sh_discard(struct vsnd_chain *c)
{
	sh_release(c->opaque);
}

static const struct vsnd_chain_ops sh_chain_ops = {
	.read = sh_read,
	.write = sh_write,
	.complete = sh_complete,
	.discard = sh_discard,
};

/* A chain on queue q with rlen readable bytes (copied from r, zero-padded) and wlen
 * writable ones (0xEE), submitted at once. */
static void sh_submit(struct sh *h, uint16_t q, const void *r, uint32_t rn, uint32_t rlen,
		      uint32_t wlen, bool malformed)
{
	struct sh_chain *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return;
	sc->r = malloc(rlen ? rlen : 1);
	sc->w = malloc(wlen ? wlen : 1);
	if (!sc->r || !sc->w) {
		free(sc->r);
		free(sc->w);
		free(sc);
		return;
	}
	memset(sc->r, 0, rlen);
	if (r && rn)
		memcpy(sc->r, r, rn < rlen ? rn : rlen);
	memset(sc->w, 0xee, wlen);
	sc->h = h;
	sc->c = (struct vsnd_chain){
		.ops = &sh_chain_ops, .opaque = sc, .queue = q, .rlen = rlen, .wlen = wlen,
		.malformed = malformed, .seq = h->submitted,
	};
	pthread_mutex_lock(&h->mu);
	h->submitted++;
	pthread_mutex_unlock(&h->mu);
	vsnd_dev_submit(h->dev, &sc->c);
}

/* ---- sinks ---- */

static int sh_sink_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	struct sh_sink *k = s->priv;
	pthread_mutex_lock(&k->h->mu);
	SH_CHECK(!k->open);
	SH_CHECK(p->frame_bytes && p->period_bytes && p->buffer_bytes % p->period_bytes == 0);
	SH_CHECK(p->channels >= 1 && p->channels <= 8 && p->rate_hz);
	int rc = k->fail & 1 ? -5 : 0;
	if (!rc) {
		k->open = true;
		k->p = *p;
	}
	pthread_mutex_unlock(&k->h->mu);
	return rc;
}

static int sh_sink_io(struct vsnd_sink *s, uint32_t bytes)
{
	struct sh_sink *k = s->priv;
	pthread_mutex_lock(&k->h->mu);
	SH_CHECK(k->open);
	SH_CHECK(bytes && bytes % k->p.frame_bytes == 0 && bytes <= k->p.buffer_bytes);
	k->bytes += bytes;
	k->frames += bytes / k->p.frame_bytes;
	k->calls++;
	int rc = k->fail & 2 ? -5 : 0;
	pthread_mutex_unlock(&k->h->mu);
	return rc;
}

static int sh_sink_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	volatile uint8_t x = ((const uint8_t *)buf)[bytes - 1]; /* ASan: the whole span exists */
	(void)x;
	return sh_sink_io(s, bytes);
}

static int sh_sink_read(struct vsnd_sink *s, void *buf, uint32_t bytes)
{
	int rc = sh_sink_io(s, bytes);
	memset(buf, 0x11, bytes);
	return rc;
}

static void sh_sink_close(struct vsnd_sink *s)
{
	struct sh_sink *k = s->priv;
	pthread_mutex_lock(&k->h->mu);
	SH_CHECK(k->open);
	k->open = false;
	pthread_mutex_unlock(&k->h->mu);
}

static void sh_sink_destroy(struct vsnd_sink *s)
{
	struct sh_sink *k = s->priv;
	SH_CHECK(!k->open);
	k->h->sinks[k->p.stream_id < VSND_MAX_STREAMS ? k->p.stream_id : 0] = NULL;
	free(k);
}

static const struct vsnd_sink_ops sh_sink_ops = {
	.name = "fuzz",
	.open = sh_sink_open,
	.write = sh_sink_write,
	.read = sh_sink_read,
	.close = sh_sink_close,
	.destroy = sh_sink_destroy,
};

static void sh_report(void *ctx, enum vsnd_sink_event ev, int err, const char *msg)
{
	(void)ctx;
	(void)err;
	SH_CHECK(ev >= VSND_SINK_EV_UNDERRUN && ev <= VSND_SINK_EV_ERROR && msg);
}

/* ---- setup and ops ---- */

static void sh_rich_config(struct vsnd_config *cfg)
{
	vsnd_config_default(cfg);
	cfg->nstreams = VSND_MAX_STREAMS;
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++) {
		cfg->streams[i] = cfg->streams[i & 1];
		cfg->streams[i].features = 1u << VIRTIO_SND_PCM_F_EVT_XRUNS |
					   1u << VIRTIO_SND_PCM_F_MSG_POLLING;
		cfg->streams[i].formats |= 1ull << VIRTIO_SND_PCM_FMT_FLOAT64 |
					   1ull << VIRTIO_SND_PCM_FMT_MU_LAW |
					   1ull << VIRTIO_SND_PCM_FMT_U16;
		cfg->streams[i].channels_max = (uint8_t)(i < 2 ? 8 : 2);
	}
	cfg->njacks = 2;
	cfg->jacks[1] = cfg->jacks[0];
	cfg->jacks[1].features = 1u << VIRTIO_SND_JACK_F_REMAP;
	cfg->jacks[1].connected = 0;
}

/* Returns 0, or -1 if the device could not be made (resources): the input is skipped. */
static int sh_init(struct sh *h, uint8_t flags)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	h->instant = flags & 1;
	h->rich = flags & 2;
	h->now = 1000000000ull;
	h->vc = vsnd_vclock_new(h->now, h->instant);
	if (!h->vc)
		return -1;
	struct vsnd_config cfg;
	if (h->rich)
		sh_rich_config(&cfg);
	else
		vsnd_config_default(&cfg);
	h->nstreams = cfg.nstreams;
	struct vsnd_host host = { .clock = vsnd_vclock_clock(h->vc) };
	for (uint32_t i = 0; i < cfg.nstreams; i++) {
		struct sh_sink *k = calloc(1, sizeof(*k));
		if (!k)
			break;
		k->h = h;
		k->p.stream_id = i;
		k->fail = flags & 4 ? (uint8_t)(i + 1) : 0;
		k->s = (struct vsnd_sink){ .ops = &sh_sink_ops, .priv = k, .report = sh_report };
		h->sinks[i] = k;
		host.sinks[i] = &k->s;
	}
	h->dev = vsnd_dev_new(&cfg, &host);
	if (!h->dev) {
		for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++)
			free(h->sinks[i]);
		vsnd_vclock_free(h->vc);
		return -1;
	}
	if (flags & 8)
		vsnd_dev_driver_ok(h->dev);
	return 0;
}

static void sh_settle(struct sh *h)
{
	if (!h->instant)
		vsnd_dev_quiesce(h->dev);
}

/* A control request of rn meaningful bytes (rlen on the wire) and a wlen-byte response. */
static void sh_ctl(struct sh *h, const void *req, uint32_t rn, uint32_t rlen, uint32_t wlen)
{
	memset(h->last_ctl, 0, sizeof(h->last_ctl));
	h->last_used = UINT32_MAX;
	sh_submit(h, VSND_VQ_CONTROL, req, rn, rlen, wlen, false);
	/* Control requests are answered before vsnd_dev_submit returns. */
	SH_CHECK(h->last_used != UINT32_MAX);
}

static void sh_pcm_cmd(struct sh *h, uint32_t code, uint32_t sid)
{
	uint8_t req[8];
	memcpy(req, &code, 4);
	memcpy(req + 4, &sid, 4);
	sh_ctl(h, req, 8, 8, 4);
}

struct sh_params {
	uint32_t sid, buffer, period, features;
	uint8_t channels, format, rate, pad;
};

static void sh_set_params(struct sh *h, const struct sh_params *p, uint32_t rlen)
{
	uint8_t req[24];
	uint32_t code = VIRTIO_SND_R_PCM_SET_PARAMS;
	memcpy(req, &code, 4);
	memcpy(req + 4, &p->sid, 4);
	memcpy(req + 8, &p->buffer, 4);
	memcpy(req + 12, &p->period, 4);
	memcpy(req + 16, &p->features, 4);
	req[20] = p->channels;
	req[21] = p->format;
	req[22] = p->rate;
	req[23] = p->pad;
	sh_ctl(h, req, 24, rlen, 4);
}

/* Stream ids: mostly valid, sometimes just past the end or huge (from the input). */
static uint32_t sh_sid(struct sh *h, struct sh_rd *r)
{
	uint8_t b = (uint8_t)sh_get(r, 1);
	switch (b >> 6) {
	case 0:
	case 1: return b % h->nstreams;
	case 2: return h->nstreams + (b & 7);
	default: return (uint32_t)sh_get(r, 4);
	}
}

static const uint32_t sh_codes[] = {
	VIRTIO_SND_R_JACK_INFO, VIRTIO_SND_R_JACK_REMAP, VIRTIO_SND_R_PCM_INFO,
	VIRTIO_SND_R_PCM_SET_PARAMS, VIRTIO_SND_R_PCM_PREPARE, VIRTIO_SND_R_PCM_RELEASE,
	VIRTIO_SND_R_PCM_START, VIRTIO_SND_R_PCM_STOP, VIRTIO_SND_R_CHMAP_INFO,
	0x0300 /* 1.3 CTL_INFO */, 0, 0xffffffffu,
};

/* Ops (opcode byte, then operands):
 *   0 RAW    rlen:u16 wlen:u16 n:u8 bytes[n]     control request of arbitrary bytes
 *   1 QUERY  code:u8 start:u32 count:u32 size:u32 wlen:u16 rlen:u8
 *   2 PARAMS sid buffer:u32 period:u32 features:u32 ch:u8 fmt:u8 rate:u8 pad:u8 rlen:u8
 *   3 CMD    which:u8 sid                          PREPARE/RELEASE/START/STOP
 *   4 REMAP  jack:u8 assoc:u32 seq:u32 rlen:u8
 *   5 TX     sid frames:u16 extra:u8 wlen:u8 bad:u8  (rlen = 4 + frames*4 + extra)
 *   6 RX     sid rlen:u8 frames:u16 extra:u8 bad:u8  (wlen = frames*4 + extra)
 *   7 EVENT  rlen:u8 wlen:u8 bad:u8               eventq buffer
 *   8 ADV    ns:u32 (scaled by 2^(ns&15))          manual clock: move time, quiesce
 *   9 RESET  10 DRIVER_OK
 *   11 JACK  id:u8 connected:u8
 *   12 CFG   off:u32 len:u8                        config space read
 *   13 STATS sid                                   14 QUEUE q:u16 (unknown queue)
 *   15 FAIL  stream:u8 mode:u8                     sink failure mode */
static void sh_op(struct sh *h, struct sh_rd *r, unsigned op)
{
	uint8_t buf[512];
	switch (op % 16) {
	case 0: {
		uint32_t rlen = (uint32_t)sh_get(r, 2) % 1024, wlen = (uint32_t)sh_get(r, 2) % 4096;
		uint32_t n = (uint32_t)sh_get(r, 1);
		for (uint32_t i = 0; i < n; i++)
			buf[i] = (uint8_t)sh_get(r, 1);
		sh_ctl(h, buf, n, rlen, wlen);
		break;
	}
	case 1: {
		uint8_t c = (uint8_t)sh_get(r, 1);
		uint32_t f[4] = { sh_codes[c % 12], (uint32_t)sh_get(r, 4), (uint32_t)sh_get(r, 4),
				  (uint32_t)sh_get(r, 4) };
		uint32_t wlen = (uint32_t)sh_get(r, 2), rlen = (uint32_t)sh_get(r, 1) % 32;
		if (c & 0x80) /* a plausible size: exactly the item structs asked for */
			wlen = 4 + f[2] % 64 * (f[3] % 64);
		memcpy(buf, f, sizeof(f));
		sh_ctl(h, buf, 16, rlen ? rlen : 16, wlen);
		break;
	}
	case 2: {
		struct sh_params p = { .sid = sh_sid(h, r) };
		p.buffer = (uint32_t)sh_get(r, 4);
		p.period = (uint32_t)sh_get(r, 4);
		p.features = (uint32_t)sh_get(r, 4);
		p.channels = (uint8_t)sh_get(r, 1);
		p.format = (uint8_t)sh_get(r, 1);
		p.rate = (uint8_t)sh_get(r, 1);
		p.pad = (uint8_t)sh_get(r, 1);
		uint32_t rlen = (uint32_t)sh_get(r, 1);
		sh_set_params(h, &p, rlen ? rlen : 24);
		break;
	}
	case 3: {
		static const uint32_t cmds[4] = { VIRTIO_SND_R_PCM_PREPARE, VIRTIO_SND_R_PCM_RELEASE,
						  VIRTIO_SND_R_PCM_START, VIRTIO_SND_R_PCM_STOP };
		uint8_t which = (uint8_t)sh_get(r, 1);
		sh_pcm_cmd(h, cmds[which % 4], sh_sid(h, r));
		break;
	}
	case 4: {
		uint32_t f[4] = { VIRTIO_SND_R_JACK_REMAP, (uint32_t)sh_get(r, 1),
				  (uint32_t)sh_get(r, 4), (uint32_t)sh_get(r, 4) };
		uint32_t rlen = (uint32_t)sh_get(r, 1) % 32;
		memcpy(buf, f, sizeof(f));
		sh_ctl(h, buf, 16, rlen ? rlen : 16, 4);
		break;
	}
	case 5:
	case 6: {
		bool tx = op % 16 == 5;
		uint32_t sid = sh_sid(h, r);
		uint32_t frames = (uint32_t)sh_get(r, 2), extra = (uint32_t)sh_get(r, 1);
		uint32_t other = (uint32_t)sh_get(r, 1);
		uint8_t bad = (uint8_t)sh_get(r, 1);
		uint32_t data = frames * 4 + extra;
		uint32_t rlen = tx ? 4 + data : other, wlen = tx ? other : data;
		if (!(bad & 1)) { /* well-formed sizes */
			if (tx)
				wlen = 8;
			else
				rlen = 4;
			if (!tx)
				wlen = data + 8;
		}
		memcpy(buf, &sid, 4);
		for (uint32_t i = 4; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 7);
		sh_submit(h, tx ? VSND_VQ_TX : VSND_VQ_RX, buf, sizeof(buf), rlen, wlen, bad & 2);
		break;
	}
	case 7: {
		uint32_t rlen = (uint32_t)sh_get(r, 1) % 16, wlen = (uint32_t)sh_get(r, 1);
		uint8_t bad = (uint8_t)sh_get(r, 1);
		sh_submit(h, VSND_VQ_EVENT, NULL, 0, bad & 1 ? rlen : 0, bad & 2 ? wlen : 8, bad & 4);
		break;
	}
	case 8: {
		uint32_t v = (uint32_t)sh_get(r, 4);
		uint64_t d = (uint64_t)(v >> 4) << (v & 15);
		if (!h->instant) {
			h->now += d;
			vsnd_vclock_set(h->vc, h->now);
		}
		break;
	}
	case 9:
		vsnd_dev_reset(h->dev);
		break;
	case 10:
		vsnd_dev_driver_ok(h->dev);
		break;
	case 11: {
		uint32_t id = (uint32_t)sh_get(r, 1);
		vsnd_dev_set_jack(h->dev, id % 4, (int)sh_get(r, 1) & 1);
		break;
	}
	case 12: {
		uint32_t off = (uint32_t)sh_get(r, 4), len = (uint32_t)sh_get(r, 1);
		memset(buf, 0xcc, sizeof(buf));
		vsnd_dev_config_read(h->dev, off, buf, len);
		for (uint32_t i = 0; i < len; i++)
			SH_CHECK((uint64_t)off + i < 12 || buf[i] == 0);
		break;
	}
	case 13: {
		struct vsnd_stream_stats st;
		uint32_t sid = sh_sid(h, r);
		int rc = vsnd_dev_stream_stats(h->dev, sid, &st);
		SH_CHECK((rc == 0) == (sid < h->nstreams));
		if (!rc)
			SH_CHECK(st.state <= VSND_PCM_RELEASED);
		break;
	}
	case 14: {
		uint16_t q = (uint16_t)(4 + sh_get(r, 2) % 0xfffb);
		sh_submit(h, q, NULL, 0, 8, 8, false);
		break;
	}
	case 15: {
		uint32_t s = (uint32_t)sh_get(r, 1) % VSND_MAX_STREAMS;
		uint8_t mode = (uint8_t)sh_get(r, 1);
		pthread_mutex_lock(&h->mu);
		if (h->sinks[s])
			h->sinks[s]->fail = mode & 3;
		pthread_mutex_unlock(&h->mu);
		break;
	}
	}
	sh_settle(h);
}

/* Liveness check, teardown and the "every chain returned once" check. */
static void sh_finish(struct sh *h)
{
	uint32_t q[4] = { VIRTIO_SND_R_PCM_INFO, 0, h->nstreams, sizeof(struct virtio_snd_pcm_info) };
	sh_ctl(h, q, 16, 16, 4 + h->nstreams * 32);
	SH_CHECK(sh_u32(h->last_ctl) == VIRTIO_SND_S_OK && h->last_used == 4 + h->nstreams * 32);
	uint32_t bad[2] = { 0x7777, 0 };
	sh_ctl(h, bad, 8, 8, 4);
	SH_CHECK(sh_u32(h->last_ctl) == VIRTIO_SND_S_BAD_MSG && h->last_used == 4);
	vsnd_dev_free(h->dev);
	SH_CHECK(h->returned == h->submitted);
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++)
		SH_CHECK(h->sinks[i] == NULL); /* the device destroyed every sink */
	vsnd_vclock_free(h->vc);
	pthread_mutex_destroy(&h->mu);
}

#endif
