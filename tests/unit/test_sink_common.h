/* test_sink_common.h - helpers shared by the test_sink_*.c suites: a temporary directory,
 * a report-hook recorder, canonical random PCM and an independent reference decoder. */
#ifndef TEST_SINK_COMMON_H
#define TEST_SINK_COMMON_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsnd/sink.h"
#include "vsnd/virtio_snd.h"

struct report_log {
	int count, xruns, errors;
	enum vsnd_sink_event last_ev;
	int last_err;
	char last_msg[512];
};

static inline void report_log_hook(void *ctx, enum vsnd_sink_event ev, int err, const char *msg)
{
	struct report_log *r = ctx;
	r->count++;
	r->xruns += ev == VSND_SINK_EV_XRUN;
	r->errors += ev == VSND_SINK_EV_ERROR;
	r->last_ev = ev;
	r->last_err = err;
	snprintf(r->last_msg, sizeof(r->last_msg), "%s", msg);
}

static inline void attach_log(struct vsnd_sink *s, struct report_log *r)
{
	memset(r, 0, sizeof(*r));
	s->report = report_log_hook;
	s->report_ctx = r;
}

static inline struct vsnd_sink *make_sink(const char *spec, int dir)
{
	struct vsnd_sink *s = NULL;
	char err[256] = "";
	int rc = vsnd_sink_create(spec, dir, &s, err, sizeof(err));
	cr_assert_eq(rc, 0, "create '%s': %s", spec, err);
	cr_assert_not_null(s);
	return s;
}

static inline struct vsnd_pcm_params make_params(int dir, uint8_t format, uint8_t channels,
						 uint8_t rate_index)
{
	struct vsnd_pcm_params p = { 0 };
	p.direction = (uint8_t)dir;
	p.format = format;
	p.channels = channels;
	p.rate_index = rate_index;
	p.rate_hz = vsnd_rate_hz(rate_index);
	p.frame_bytes = vsnd_format_bytes(format) * channels;
	p.period_bytes = p.frame_bytes * 256;
	p.buffer_bytes = p.period_bytes * 4;
	return p;
}

/* A fresh directory under /tmp, removed (with its files) by tmpdir_remove(). */
static inline void tmpdir_make(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/vsnd-sink-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static inline void tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char p[4096];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Deterministic PRNG (xorshift32) so failures reproduce. */
static inline uint32_t rng_next(uint32_t *st)
{
	uint32_t x = *st;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/* Test-local description of the formats, written independently of vsnd/sink.c. */
struct tfmt {
	uint8_t fmt;
	unsigned bytes, bits;
	int is_unsigned, is_float;
};
static const struct tfmt tfmts[] = {
	{ VIRTIO_SND_PCM_FMT_S8, 1, 8, 0, 0 },      { VIRTIO_SND_PCM_FMT_U8, 1, 8, 1, 0 },
	{ VIRTIO_SND_PCM_FMT_S16, 2, 16, 0, 0 },    { VIRTIO_SND_PCM_FMT_U16, 2, 16, 1, 0 },
	{ VIRTIO_SND_PCM_FMT_S18_3, 3, 18, 0, 0 },  { VIRTIO_SND_PCM_FMT_U18_3, 3, 18, 1, 0 },
	{ VIRTIO_SND_PCM_FMT_S20_3, 3, 20, 0, 0 },  { VIRTIO_SND_PCM_FMT_U20_3, 3, 20, 1, 0 },
	{ VIRTIO_SND_PCM_FMT_S24_3, 3, 24, 0, 0 },  { VIRTIO_SND_PCM_FMT_U24_3, 3, 24, 1, 0 },
	{ VIRTIO_SND_PCM_FMT_S20, 4, 20, 0, 0 },    { VIRTIO_SND_PCM_FMT_U20, 4, 20, 1, 0 },
	{ VIRTIO_SND_PCM_FMT_S24, 4, 24, 0, 0 },    { VIRTIO_SND_PCM_FMT_U24, 4, 24, 1, 0 },
	{ VIRTIO_SND_PCM_FMT_S32, 4, 32, 0, 0 },    { VIRTIO_SND_PCM_FMT_U32, 4, 32, 1, 0 },
	{ VIRTIO_SND_PCM_FMT_FLOAT, 4, 32, 0, 1 },  { VIRTIO_SND_PCM_FMT_FLOAT64, 8, 64, 0, 1 },
	{ VIRTIO_SND_PCM_FMT_MU_LAW, 1, 8, 0, 2 },  { VIRTIO_SND_PCM_FMT_A_LAW, 1, 8, 0, 2 },
};
#define N_TFMTS (sizeof(tfmts) / sizeof(tfmts[0]))

/* Canonical random samples: integers sign-extended (signed) or zero-extended (unsigned) into
 * their container, floats in [-1, 1), G.711 codes any byte. */
static inline void fill_random(const struct tfmt *f, uint8_t *buf, size_t samples, uint32_t seed)
{
	uint32_t st = seed ? seed : 1;
	for (size_t i = 0; i < samples; i++) {
		uint8_t *p = buf + i * f->bytes;
		uint32_t r = rng_next(&st);
		if (f->is_float == 1 && f->bytes == 4) {
			float v = (float)((double)(int32_t)r / 2147483648.0);
			memcpy(p, &v, 4);
		} else if (f->is_float == 1) {
			double v = (double)(int32_t)r / 2147483648.0;
			memcpy(p, &v, 8);
		} else if (f->is_float == 2) {
			/* mu-law 0x7f is "-0": it decodes like 0xff (+0), which is what 0 encodes
			 * to, so only the canonical +0 survives a decode/encode round trip. */
			p[0] = (uint8_t)r;
			if (f->fmt == VIRTIO_SND_PCM_FMT_MU_LAW && p[0] == 0x7f)
				p[0] = 0xff;
		} else {
			uint64_t mask = (f->bits == 32) ? 0xffffffffull : ((1ull << f->bits) - 1);
			uint64_t v = r & mask;
			if (!f->is_unsigned && (v >> (f->bits - 1)) & 1)
				v |= ~mask; /* sign-extend into the container */
			for (unsigned b = 0; b < f->bytes; b++)
				p[b] = (uint8_t)(v >> (8 * b));
		}
	}
}

/* Reference: the integer sample's value scaled to 32-bit full scale (as libsndfile's
 * sf_read_int reports file samples), computed arithmetically. */
static inline int64_t ref_left_justified(const struct tfmt *f, const uint8_t *p)
{
	uint64_t raw = 0;
	for (unsigned b = 0; b < f->bytes; b++)
		raw |= (uint64_t)p[b] << (8 * b);
	int64_t v = (int64_t)(raw & ((1ull << f->bits) - 1));
	if (f->is_unsigned)
		v -= 1ll << (f->bits - 1);
	else if (v >= 1ll << (f->bits - 1))
		v -= 1ll << f->bits;
	return v * (1ll << (32 - f->bits));
}

#endif
