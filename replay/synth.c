/* synth.c - deterministic synthetic sessions (scenarios in synth.h): a scripted "driver" that
 * talks to the real device core through the recorder's device/chain/sink shims, virtual clock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/synth.h"
#include "trace/recorder.h"
#include "vsnd/snd.h"
#include "vsnd/virtio_mmio.h"
#include "vsnd/virtio_snd.h"

const char *const vt_synth_scenarios[] = {
	"play-u8", "play-s16", "play-s24_3", "play-float", "play-s32", "twice", "pause",
	"restart", "capture", "bad", "reset", "xrun", NULL,
};

#define MS 1000000ull

/* A chain in the driver's memory. */
struct sy_chain {
	struct vsnd_chain c;
	struct synth *sy;
	uint8_t *r, *w;
	int done; /* 0 held by the device, 1 completed, 2 discarded */
	uint32_t used;
	struct sy_chain *all_next;
};

struct synth {
	struct vt_recorder *rec;
	struct vsnd_vclock *vc;
	struct vsnd_dev *dev;
	const struct vmmio_device_ops *ops; /* recorder's wrapper around dev_ops */
	void *wdev;
	struct vmmio_device_ops dev_ops;
	pthread_mutex_t mu;
	uint64_t now, seq;
	uint16_t head;
	struct sy_chain *all;
	uint64_t sample; /* pattern position */
};

static uint32_t sy_read(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	struct sy_chain *s = c->opaque;
	if (off >= c->rlen)
		return 0;
	uint32_t n = c->rlen - off < len ? c->rlen - off : len;
	memcpy(dst, s->r + off, n);
	return n;
}

static uint32_t sy_write(struct vsnd_chain *c, uint32_t off, const void *src, uint32_t len)
{
	struct sy_chain *s = c->opaque;
	if (off >= c->wlen)
		return 0;
	uint32_t n = c->wlen - off < len ? c->wlen - off : len;
	memcpy(s->w + off, src, n);
	return n;
}

static void sy_end(struct vsnd_chain *c, int how, uint32_t used)
{
	struct sy_chain *s = c->opaque;
	pthread_mutex_lock(&s->sy->mu);
	s->done = how;
	s->used = used;
	pthread_mutex_unlock(&s->sy->mu);
}

static void sy_complete(struct vsnd_chain *c, uint32_t used)
{
	sy_end(c, 1, used);
}

static void sy_discard(struct vsnd_chain *c)
{
	sy_end(c, 2, 0);
}

static const struct vsnd_chain_ops sy_chain_ops = {
	.read = sy_read, .write = sy_write, .complete = sy_complete, .discard = sy_discard,
};

static int done_of(struct synth *sy, struct sy_chain *s)
{
	pthread_mutex_lock(&sy->mu);
	int d = s->done;
	pthread_mutex_unlock(&sy->mu);
	return d;
}

/* ---- the device behind the recorder's device wrapper ---- */

static void d_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	vsnd_dev_config_read(dev, off, buf, len);
}
static void d_chain(void *dev, struct vsnd_chain *c)
{
	vsnd_dev_submit(dev, c);
}
static void d_driver_ok(void *dev)
{
	vsnd_dev_driver_ok(dev);
}
static void d_reset(void *dev)
{
	vsnd_dev_reset(dev);
}

/* ---- driver helpers ---- */

static void tick(struct synth *sy, uint64_t dt)
{
	vsnd_dev_quiesce(sy->dev);
	sy->now += dt;
	vsnd_vclock_set_guest_ticks(sy->vc, sy->now / 100); /* a 10 MHz guest timer */
	vsnd_vclock_set(sy->vc, sy->now);
	vsnd_dev_quiesce(sy->dev);
}

static struct sy_chain *submit(struct synth *sy, uint16_t q, const void *r, uint32_t rlen,
			       uint32_t wlen, int malformed)
{
	struct sy_chain *s = calloc(1, sizeof(*s));
	s->r = calloc(1, rlen ? rlen : 1);
	s->w = calloc(1, wlen ? wlen : 1);
	if (r && rlen)
		memcpy(s->r, r, rlen);
	s->sy = sy;
	s->c.ops = &sy_chain_ops;
	s->c.opaque = s;
	s->c.queue = q;
	s->c.head = sy->head;
	sy->head = (uint16_t)((sy->head + 1) % 64);
	s->c.rlen = rlen;
	s->c.wlen = wlen;
	s->c.malformed = malformed != 0;
	s->c.seq = sy->seq++;
	s->all_next = sy->all;
	sy->all = s;
	vsnd_dev_quiesce(sy->dev);
	sy->ops->chain(sy->wdev, &s->c);
	return s;
}

static uint32_t ctl(struct synth *sy, const void *req, uint32_t rlen, uint32_t wlen)
{
	struct sy_chain *s = submit(sy, VSND_VQ_CONTROL, req, rlen, wlen, 0);
	uint32_t st = 0;
	if (wlen >= 4)
		memcpy(&st, s->w, 4);
	return st;
}

static uint32_t pcm_cmd(struct synth *sy, uint32_t code, uint32_t sid)
{
	struct virtio_snd_pcm_hdr h = { .code = code, .stream_id = sid };
	return ctl(sy, &h, sizeof(h), 4);
}

static uint32_t set_params(struct synth *sy, uint32_t sid, uint8_t fmt, uint8_t ch, uint8_t rate,
			   uint32_t period_bytes, uint32_t periods)
{
	struct virtio_snd_pcm_set_params p = {
		.code = VIRTIO_SND_R_PCM_SET_PARAMS, .stream_id = sid,
		.buffer_bytes = period_bytes * periods, .period_bytes = period_bytes,
		.channels = ch, .format = fmt, .rate = rate,
	};
	return ctl(sy, &p, sizeof(p), 4);
}

/* One period of a deterministic pattern (a triangle per channel) in format fmt. */
static void pattern(struct synth *sy, uint8_t fmt, uint8_t ch, uint8_t *dst, uint32_t frames)
{
	uint32_t w = vsnd_format_bytes(fmt);
	for (uint32_t f = 0; f < frames; f++, sy->sample++)
		for (uint32_t c = 0; c < ch; c++) {
			uint32_t ph = (uint32_t)((sy->sample * (37 + 11 * c)) & 0xffff);
			int32_t tri = ph < 0x8000 ? (int32_t)ph * 2 - 0x8000 : 0x17fff - (int32_t)ph * 2;
			vsnd_sample_from_s32(fmt, (int32_t)((uint32_t)tri << 16), dst + (f * ch + c) * w);
		}
}

struct play {
	uint32_t sid;
	uint8_t fmt, ch, rate;
	uint32_t period_frames, periods;
	struct sy_chain *inflight[64];
	uint32_t nin;
	uint32_t frame_bytes;
};

static void play_setup(struct synth *sy, struct play *p, uint32_t sid, uint8_t fmt, uint8_t ch,
		       uint8_t rate, uint32_t period_frames, uint32_t periods)
{
	memset(p, 0, sizeof(*p));
	p->sid = sid;
	p->fmt = fmt;
	p->ch = ch;
	p->rate = rate;
	p->period_frames = period_frames;
	p->periods = periods;
	p->frame_bytes = vsnd_format_bytes(fmt) * ch;
	set_params(sy, sid, fmt, ch, rate, period_frames * p->frame_bytes, periods);
	pcm_cmd(sy, VIRTIO_SND_R_PCM_PREPARE, sid);
}

static void queue_one(struct synth *sy, struct play *p, int input)
{
	uint32_t bytes = p->period_frames * p->frame_bytes;
	if (input) {
		p->inflight[p->nin++] = submit(sy, VSND_VQ_RX, &p->sid, 4, bytes + 8, 0);
		return;
	}
	uint8_t *b = malloc(4 + bytes);
	memcpy(b, &p->sid, 4);
	pattern(sy, p->fmt, p->ch, b + 4, p->period_frames);
	p->inflight[p->nin++] = submit(sy, VSND_VQ_TX, b, 4 + bytes, 8, 0);
	free(b);
}

/* Run for `periods` more periods: tick 1 ms at a time, re-queue a buffer whenever one comes
 * back (like the guest's interrupt handler), stop re-queueing after `periods` submissions;
 * with `drain` wait until every buffer is back. After gap_at submissions the driver stops
 * feeding for `gap` (xrun scenario). */
static void pump(struct synth *sy, struct play *p, uint32_t periods, int input, int drain,
		 uint32_t gap_at, uint64_t gap)
{
	uint32_t submitted = 0;
	/* 1 ms ticks: room for every period at the slowest rate (5512 Hz), plus 100 s, so that a
	 * device that stops completing cannot hang the generator but long sessions are whole. */
	const uint64_t limit = 100000 + ((uint64_t)periods + 64) * (p->period_frames / 5 + 2);
	for (uint64_t guard = 0; guard < limit && (submitted < periods || (drain && p->nin));
	     guard++) {
		tick(sy, MS);
		while (p->nin && done_of(sy, p->inflight[0])) {
			memmove(p->inflight, p->inflight + 1, --p->nin * sizeof(p->inflight[0]));
			if (submitted == gap_at && gap) {
				for (uint64_t t = 0; t < gap; t += MS)
					tick(sy, MS);
			}
			if (submitted < periods) {
				queue_one(sy, p, input);
				submitted++;
			}
		}
	}
}

static void prefill(struct synth *sy, struct play *p, int input)
{
	for (uint32_t i = 0; i < p->periods; i++)
		queue_one(sy, p, input);
}

static void play_file(struct synth *sy, uint32_t sid, uint8_t fmt, uint8_t ch, uint8_t rate,
		      uint32_t period_frames, uint32_t total_periods)
{
	struct play p;
	play_setup(sy, &p, sid, fmt, ch, rate, period_frames, 4);
	prefill(sy, &p, 0);
	pcm_cmd(sy, VIRTIO_SND_R_PCM_START, sid);
	pump(sy, &p, total_periods - 4, 0, 1, UINT32_MAX, 0);
	pcm_cmd(sy, VIRTIO_SND_R_PCM_STOP, sid);
	pcm_cmd(sy, VIRTIO_SND_R_PCM_RELEASE, sid);
}

static void init_like_linux(struct synth *sy)
{
	uint8_t cfg[16];
	for (uint32_t off = 0; off < 12; off += 4)
		sy->ops->config_read(sy->wdev, off, cfg + off, 4);
	tick(sy, MS);
	sy->ops->driver_ok(sy->wdev);
	for (int i = 0; i < 4; i++)
		submit(sy, VSND_VQ_EVENT, NULL, 0, 8, 0);
	struct virtio_snd_query_info qi = { .code = VIRTIO_SND_R_JACK_INFO, .start_id = 0,
					    .count = 1, .size = sizeof(struct virtio_snd_jack_info) };
	ctl(sy, &qi, sizeof(qi), 4 + sizeof(struct virtio_snd_jack_info));
	qi = (struct virtio_snd_query_info){ .code = VIRTIO_SND_R_PCM_INFO, .start_id = 0,
					     .count = 2, .size = sizeof(struct virtio_snd_pcm_info) };
	ctl(sy, &qi, sizeof(qi), 4 + 2 * sizeof(struct virtio_snd_pcm_info));
	qi = (struct virtio_snd_query_info){ .code = VIRTIO_SND_R_CHMAP_INFO, .start_id = 0,
					     .count = 4, .size = sizeof(struct virtio_snd_chmap_info) };
	ctl(sy, &qi, sizeof(qi), 4 + 4 * sizeof(struct virtio_snd_chmap_info));
	tick(sy, MS);
}

static void scenario_bad(struct synth *sy)
{
	uint32_t unknown = 0xdead;
	ctl(sy, &unknown, 4, 4);                                   /* unknown code */
	ctl(sy, &unknown, 2, 4);                                   /* short request */
	pcm_cmd(sy, VIRTIO_SND_R_PCM_START, 0);                    /* START before PREPARE */
	pcm_cmd(sy, VIRTIO_SND_R_PCM_PREPARE, 7);                  /* no such stream */
	set_params(sy, 0, VIRTIO_SND_PCM_FMT_S8, 2, VIRTIO_SND_PCM_RATE_48000, 1024, 4); /* format */
	set_params(sy, 0, VIRTIO_SND_PCM_FMT_S16, 9, VIRTIO_SND_PCM_RATE_48000, 1024, 4); /* channels */
	set_params(sy, 0, VIRTIO_SND_PCM_FMT_S16, 2, 30, 1024, 4);  /* rate index */
	struct virtio_snd_query_info qi = { .code = VIRTIO_SND_R_PCM_INFO, .start_id = 1,
					    .count = 5, .size = sizeof(struct virtio_snd_pcm_info) };
	ctl(sy, &qi, sizeof(qi), 4 + 5 * sizeof(struct virtio_snd_pcm_info)); /* out of range */
	struct virtio_snd_pcm_hdr h = { .code = VIRTIO_SND_R_PCM_PREPARE, .stream_id = 0 };
	ctl(sy, &h, sizeof(h), 0);                                 /* no room for a status */
	uint8_t tx[4 + 64] = { 0 };
	submit(sy, VSND_VQ_TX, tx, sizeof(tx), 8, 0);              /* TX in INIT */
	submit(sy, VSND_VQ_TX, tx, 2, 8, 0);                       /* no xfer header */
	uint32_t one = 1;
	submit(sy, VSND_VQ_TX, &one, 4, 8, 0);                     /* TX on the input stream */
	submit(sy, VSND_VQ_EVENT, tx, 4, 8, 0);                    /* readable event buffer */
	submit(sy, 7, tx, 8, 8, 0);                                /* no such queue */
	tick(sy, MS);
	/* A stream in PREPARED gets a malformed chain and a TX with writable data. */
	set_params(sy, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 192, 4);
	pcm_cmd(sy, VIRTIO_SND_R_PCM_PREPARE, 0);
	submit(sy, VSND_VQ_TX, tx, sizeof(tx), 8, 1);              /* malformed */
	submit(sy, VSND_VQ_TX, tx, sizeof(tx), 16, 0);             /* writable data on TX */
	pcm_cmd(sy, VIRTIO_SND_R_PCM_RELEASE, 0);
	tick(sy, MS);
	/* A short play after all that: the device must still work. */
	play_file(sy, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 96, 8);
}

static void run(struct synth *sy, const char *name)
{
	init_like_linux(sy);
	struct play p;
	if (!strcmp(name, "play-u8")) {
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_U8, 1, VIRTIO_SND_PCM_RATE_8000, 80, 20);
	} else if (!strcmp(name, "play-s16")) {
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 480, 20);
	} else if (!strcmp(name, "play-s24_3")) {
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_S24_3, 2, VIRTIO_SND_PCM_RATE_44100, 441, 16);
	} else if (!strcmp(name, "play-float")) {
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_FLOAT, 2, VIRTIO_SND_PCM_RATE_48000, 256, 24);
	} else if (!strcmp(name, "play-s32")) {
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_S32, 1, VIRTIO_SND_PCM_RATE_96000, 960, 12);
	} else if (!strcmp(name, "twice")) {
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 480, 10);
		tick(sy, 20 * MS);
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_S16, 1, VIRTIO_SND_PCM_RATE_22050, 441, 10);
	} else if (!strcmp(name, "pause")) {
		play_setup(sy, &p, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 480, 4);
		prefill(sy, &p, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_START, 0);
		pump(sy, &p, 4, 0, 0, UINT32_MAX, 0); /* 4 buffers still held */
		pcm_cmd(sy, VIRTIO_SND_R_PCM_STOP, 0);
		tick(sy, 50 * MS);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_START, 0);
		pump(sy, &p, 4, 0, 1, UINT32_MAX, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_STOP, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_RELEASE, 0);
	} else if (!strcmp(name, "restart")) {
		play_setup(sy, &p, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 480, 4);
		prefill(sy, &p, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_START, 0);
		tick(sy, 25 * MS);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_STOP, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_RELEASE, 0); /* flushes the held messages */
		tick(sy, 5 * MS);
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 480, 10);
	} else if (!strcmp(name, "capture")) {
		play_setup(sy, &p, 1, VIRTIO_SND_PCM_FMT_S16, 1, VIRTIO_SND_PCM_RATE_16000, 160, 4);
		prefill(sy, &p, 1);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_START, 1);
		pump(sy, &p, 16, 1, 1, UINT32_MAX, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_STOP, 1);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_RELEASE, 1);
	} else if (!strcmp(name, "bad")) {
		scenario_bad(sy);
	} else if (!strcmp(name, "reset")) {
		play_setup(sy, &p, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 480, 4);
		prefill(sy, &p, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_START, 0);
		tick(sy, 25 * MS);
		vsnd_dev_quiesce(sy->dev);
		sy->ops->reset(sy->wdev);
		tick(sy, 5 * MS);
		init_like_linux(sy);
		play_file(sy, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 480, 8);
	} else if (!strcmp(name, "xrun")) {
		play_setup(sy, &p, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, 480, 4);
		prefill(sy, &p, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_START, 0);
		pump(sy, &p, 12, 0, 1, 4, 60 * MS);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_STOP, 0);
		pcm_cmd(sy, VIRTIO_SND_R_PCM_RELEASE, 0);
	}
	tick(sy, 10 * MS);
}

static int record(const char *path, const char *name, double seconds, uint32_t period_frames,
		  char *err, size_t errlen);

int vt_synth_record(const char *path, const char *name, char *err, size_t errlen)
{
	int known = 0;
	for (int i = 0; vt_synth_scenarios[i]; i++)
		known |= !strcmp(vt_synth_scenarios[i], name);
	if (!known) {
		snprintf(err, errlen, "unknown synthetic scenario '%s'", name);
		return -1;
	}
	return record(path, name, 0, 0, err, errlen);
}

int vt_synth_record_long(const char *path, double seconds, uint32_t period_frames, char *err,
			 size_t errlen)
{
	if (!(seconds > 0) || seconds > 36000 || period_frames < 16 || period_frames > 65536) {
		snprintf(err, errlen, "bad long-session parameters");
		return -1;
	}
	return record(path, "long", seconds, period_frames, err, errlen);
}

static int record(const char *path, const char *name, double seconds, uint32_t period_frames,
		  char *err, size_t errlen)
{
	struct synth sy;
	memset(&sy, 0, sizeof(sy));
	pthread_mutex_init(&sy.mu, NULL);
	sy.now = 1000 * MS;
	sy.vc = vsnd_vclock_new(sy.now, 0);
	vsnd_vclock_set_guest_ticks(sy.vc, sy.now / 100);
	struct vt_recorder_opts ro = { .clock = vsnd_vclock_clock(sy.vc) };
	if (vt_recorder_open(path, &ro, &sy.rec, err, errlen)) {
		vsnd_vclock_free(sy.vc);
		pthread_mutex_destroy(&sy.mu);
		return -1;
	}
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	char scen[64];
	snprintf(scen, sizeof(scen), "synthetic:%s", name);
	struct vt_session_info info = {
		.tool_version = "vsndtrace-synth 1", .host = "synthetic", .scenario = scen,
		.sink_spec = "null", .notes = "generated by replay/synth.c (deterministic)",
		.timebase_hz = 10000000, .config = &cfg,
	};
	vt_recorder_set_session_info(sy.rec, &info);
	struct vsnd_host host = { .clock = vsnd_vclock_clock(sy.vc) };
	int rc = -1;
	for (uint32_t i = 0; i < cfg.nstreams; i++) {
		struct vsnd_sink *in = NULL;
		const char *spec = cfg.streams[i].direction == VIRTIO_SND_D_OUTPUT ? "null" : "sine:440";
		if (vsnd_sink_create(spec, cfg.streams[i].direction, &in, err, errlen))
			goto out;
		host.sinks[i] = vt_recorder_wrap_sink(sy.rec, in, i);
		if (!host.sinks[i]) {
			vsnd_sink_destroy(in);
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	sy.dev = vsnd_dev_new(&cfg, &host);
	if (!sy.dev) {
		snprintf(err, errlen, "cannot create the device");
		goto out;
	}
	sy.dev_ops = (struct vmmio_device_ops){
		.device_id = VIRTIO_ID_SOUND, .num_queues = VSND_VQ_NUM,
		.queue_num_max = { 64, 64, 64, 64 }, .config_read = d_config_read,
		.chain = d_chain, .driver_ok = d_driver_ok, .reset = d_reset,
	};
	sy.ops = vt_recorder_wrap_device(sy.rec, &sy.dev_ops, sy.dev, &sy.wdev);
	if (!sy.ops) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (seconds > 0) {
		init_like_linux(&sy);
		uint32_t periods = (uint32_t)(seconds * 48000 / period_frames);
		play_file(&sy, 0, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000, period_frames,
			  periods < 5 ? 5 : periods);
		tick(&sy, 10 * MS);
	} else {
		run(&sy, name);
	}
	rc = 0;
out:
	if (sy.dev) {
		vsnd_dev_free(sy.dev);
	} else {
		for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++)
			if (host.sinks[i])
				vsnd_sink_destroy(host.sinks[i]);
	}
	if (vt_recorder_close(sy.rec) && !rc) {
		snprintf(err, errlen, "the recorder could not complete the session");
		rc = -1;
	}
	while (sy.all) {
		struct sy_chain *s = sy.all;
		sy.all = s->all_next;
		free(s->r);
		free(s->w);
		free(s);
	}
	vsnd_vclock_free(sy.vc);
	pthread_mutex_destroy(&sy.mu);
	return rc;
}
