/* sink.c - sink/source spec parsing and dispatch to the backends, the report hook, and the
 * virtio format/rate tables with per-sample conversion shared by every backend. */
#include "sink.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "virtio_snd.h"

/* Format table (VirtIO 1.2 5.14.6.6.3; protocol notes 3.7): physical bytes, significant bits. */
static const struct {
	const char *name;
	struct vsnd_format_desc d;
} fmt_table[VIRTIO_SND_PCM_FMT_COUNT] = {
	[VIRTIO_SND_PCM_FMT_IMA_ADPCM] = { "IMA_ADPCM", { 0, 4, 0, VSND_SK_NONE } },
	[VIRTIO_SND_PCM_FMT_MU_LAW] = { "MU_LAW", { 1, 8, 0, VSND_SK_MULAW } },
	[VIRTIO_SND_PCM_FMT_A_LAW] = { "A_LAW", { 1, 8, 0, VSND_SK_ALAW } },
	[VIRTIO_SND_PCM_FMT_S8] = { "S8", { 1, 8, 0, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_U8] = { "U8", { 1, 8, 1, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_S16] = { "S16", { 2, 16, 0, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_U16] = { "U16", { 2, 16, 1, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_S18_3] = { "S18_3", { 3, 18, 0, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_U18_3] = { "U18_3", { 3, 18, 1, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_S20_3] = { "S20_3", { 3, 20, 0, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_U20_3] = { "U20_3", { 3, 20, 1, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_S24_3] = { "S24_3", { 3, 24, 0, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_U24_3] = { "U24_3", { 3, 24, 1, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_S20] = { "S20", { 4, 20, 0, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_U20] = { "U20", { 4, 20, 1, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_S24] = { "S24", { 4, 24, 0, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_U24] = { "U24", { 4, 24, 1, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_S32] = { "S32", { 4, 32, 0, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_U32] = { "U32", { 4, 32, 1, VSND_SK_INT } },
	[VIRTIO_SND_PCM_FMT_FLOAT] = { "FLOAT", { 4, 32, 0, VSND_SK_FLOAT } },
	[VIRTIO_SND_PCM_FMT_FLOAT64] = { "FLOAT64", { 8, 64, 0, VSND_SK_FLOAT64 } },
	[VIRTIO_SND_PCM_FMT_DSD_U8] = { "DSD_U8", { 1, 8, 0, VSND_SK_NONE } },
	[VIRTIO_SND_PCM_FMT_DSD_U16] = { "DSD_U16", { 2, 16, 0, VSND_SK_NONE } },
	[VIRTIO_SND_PCM_FMT_DSD_U32] = { "DSD_U32", { 4, 32, 0, VSND_SK_NONE } },
	[VIRTIO_SND_PCM_FMT_IEC958_SUBFRAME] = { "IEC958_SUBFRAME", { 4, 32, 0, VSND_SK_NONE } },
};

static const uint32_t rate_table[VIRTIO_SND_PCM_RATE_COUNT] = {
	5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 88200, 96000, 176400, 192000,
	384000,
};

int vsnd_format_desc(uint8_t format, struct vsnd_format_desc *d)
{
	if (format >= VIRTIO_SND_PCM_FMT_COUNT)
		return -1;
	*d = fmt_table[format].d;
	return 0;
}

uint32_t vsnd_format_bytes(uint8_t format)
{
	return format < VIRTIO_SND_PCM_FMT_COUNT ? fmt_table[format].d.bytes : 0;
}

uint32_t vsnd_rate_hz(uint8_t rate_index)
{
	return rate_index < VIRTIO_SND_PCM_RATE_COUNT ? rate_table[rate_index] : 0;
}

const char *vsnd_format_name(uint8_t format)
{
	return format < VIRTIO_SND_PCM_FMT_COUNT ? fmt_table[format].name : "UNKNOWN";
}

/* G.711 (ITU-T G.711 tables, computed): 14-bit mu-law and 13-bit A-law segment coding of a
 * 16-bit linear sample. */
static uint8_t mulaw_encode(int16_t s)
{
	int x = s, sign = 0, exp = 7;
	if (x < 0) {
		sign = 0x80;
		x = -x;
	}
	if (x > 32635)
		x = 32635;
	x += 0x84;
	for (int mask = 0x4000; exp > 0 && !(x & mask); mask >>= 1)
		exp--;
	return (uint8_t)~(sign | (exp << 4) | ((x >> (exp + 3)) & 0x0f));
}

static int16_t mulaw_decode(uint8_t u)
{
	u = (uint8_t)~u;
	int exp = (u >> 4) & 7;
	int x = ((((u & 0x0f) << 3) + 0x84) << exp) - 0x84;
	return (int16_t)((u & 0x80) ? -x : x);
}

static uint8_t alaw_encode(int16_t s)
{
	int x = s >> 3, mask = 0xd5, seg = 0;
	if (x < 0) {
		mask = 0x55;
		x = -x - 1;
	}
	while (seg < 8 && x > (0x20 << seg) - 1)
		seg++;
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	int a = seg << 4;
	a |= seg < 2 ? (x >> 1) & 0x0f : (x >> seg) & 0x0f;
	return (uint8_t)(a ^ mask);
}

static int16_t alaw_decode(uint8_t a)
{
	a ^= 0x55;
	int t = (a & 0x0f) << 4, seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

static uint32_t rd_le(const uint8_t *p, unsigned n)
{
	uint32_t u = 0;
	for (unsigned i = 0; i < n; i++)
		u |= (uint32_t)p[i] << (8 * i);
	return u;
}

static void wr_le(uint8_t *p, uint32_t u, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

static int32_t clamp_s32(double x)
{
	if (!(x > -2147483648.0)) /* also NaN */
		return x != x ? 0 : INT32_MIN;
	if (x >= 2147483647.0)
		return INT32_MAX;
	return (int32_t)lrint(x);
}

int32_t vsnd_sample_to_s32(uint8_t format, const uint8_t *src)
{
	struct vsnd_format_desc d;
	if (vsnd_format_desc(format, &d))
		return 0;
	switch (d.kind) {
	case VSND_SK_INT: {
		/* Left-justify the significant bits: padding bits above them fall off the top. */
		uint32_t u = rd_le(src, d.bytes) << (32 - d.bits);
		if (d.is_unsigned)
			u ^= 0x80000000u;
		return (int32_t)u;
	}
	case VSND_SK_FLOAT: {
		float f;
		memcpy(&f, src, 4);
		return clamp_s32((double)f * 2147483648.0);
	}
	case VSND_SK_FLOAT64: {
		double f;
		memcpy(&f, src, 8);
		return clamp_s32(f * 2147483648.0);
	}
	case VSND_SK_MULAW:
		return (int32_t)((uint32_t)(int32_t)mulaw_decode(src[0]) << 16);
	case VSND_SK_ALAW:
		return (int32_t)((uint32_t)(int32_t)alaw_decode(src[0]) << 16);
	case VSND_SK_NONE:
		break;
	}
	return 0;
}

void vsnd_sample_from_s32(uint8_t format, int32_t v, uint8_t *dst)
{
	struct vsnd_format_desc d;
	if (vsnd_format_desc(format, &d))
		return;
	switch (d.kind) {
	case VSND_SK_INT: {
		uint32_t u;
		if (d.is_unsigned) /* zero-extended offset binary */
			u = ((uint32_t)v ^ 0x80000000u) >> (32 - d.bits);
		else /* sign-extended into the container (arithmetic shift) */
			u = (uint32_t)(v >> (32 - d.bits));
		wr_le(dst, u, d.bytes);
		break;
	}
	case VSND_SK_FLOAT: {
		float f = (float)((double)v / 2147483648.0);
		memcpy(dst, &f, 4);
		break;
	}
	case VSND_SK_FLOAT64: {
		double f = (double)v / 2147483648.0;
		memcpy(dst, &f, 8);
		break;
	}
	case VSND_SK_MULAW:
		dst[0] = mulaw_encode((int16_t)(v >> 16));
		break;
	case VSND_SK_ALAW:
		dst[0] = alaw_encode((int16_t)(v >> 16));
		break;
	case VSND_SK_NONE:
		break;
	}
}

void vsnd_sample_from_double(uint8_t format, double v, uint8_t *dst)
{
	if (!(v >= -1.0))
		v = -1.0;
	if (v > 1.0)
		v = 1.0;
	struct vsnd_format_desc d;
	if (vsnd_format_desc(format, &d))
		return;
	if (d.kind == VSND_SK_FLOAT) {
		float f = (float)v;
		memcpy(dst, &f, 4);
	} else if (d.kind == VSND_SK_FLOAT64) {
		memcpy(dst, &v, 8);
	} else {
		vsnd_sample_from_s32(format, clamp_s32(v * 2147483648.0), dst);
	}
}

int vsnd_fill_silence(uint8_t format, void *buf, uint32_t bytes)
{
	struct vsnd_format_desc d;
	if (vsnd_format_desc(format, &d) || d.kind == VSND_SK_NONE || d.bytes == 0)
		return -ENOTSUP;
	uint8_t one[8];
	vsnd_sample_from_s32(format, 0, one);
	uint8_t *p = buf;
	for (uint32_t i = 0; i < bytes; i++)
		p[i] = one[i % d.bytes];
	return 0;
}

void vsnd_sink_report(struct vsnd_sink *s, enum vsnd_sink_event ev, int err, const char *fmt, ...)
{
	if (!s || !s->report)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->report(s->report_ctx, ev, err, msg);
}

/* Spec grammar: KIND[:ARG]. ARG is everything after the first colon (paths and ALSA device
 * names may themselves contain colons). */
int vsnd_sink_create(const char *spec, int direction, struct vsnd_sink **out, char *err,
		     size_t errlen)
{
	char kind[16];
	const char *arg = NULL;

	*out = NULL;
	if (direction != VIRTIO_SND_D_OUTPUT && direction != VIRTIO_SND_D_INPUT) {
		snprintf(err, errlen, "invalid stream direction %d", direction);
		return -1;
	}
	if (!spec || !*spec) {
		snprintf(err, errlen, "empty %s spec", direction ? "source" : "sink");
		return -1;
	}
	size_t klen = strcspn(spec, ":");
	if (spec[klen] == ':')
		arg = spec + klen + 1;
	if (klen >= sizeof(kind))
		klen = sizeof(kind) - 1; /* long unknown kinds are reported truncated */
	memcpy(kind, spec, klen);
	kind[klen] = 0;

	int rc;
	if (!strcmp(kind, "null"))
		rc = vsnd_sink_null_new(arg, direction, out, err, errlen);
	else if (!strcmp(kind, "wav") || !strcmp(kind, "flac") || !strcmp(kind, "file"))
		rc = vsnd_sink_sndfile_new(kind, arg, direction, out, err, errlen);
	else if (!strcmp(kind, "alsa"))
		rc = vsnd_sink_alsa_new(arg, direction, out, err, errlen);
	else if (!strcmp(kind, "silence") || !strcmp(kind, "sine"))
		rc = vsnd_source_gen_new(kind, arg, direction, out, err, errlen);
	else {
		snprintf(err, errlen, "unknown %s kind '%s' in '%s' (%s)",
			 direction ? "source" : "sink", kind, spec,
			 direction ? "inputs: silence, sine[:HZ], file:PATH, wav:PATH, flac:PATH, "
				     "alsa[:DEVICE]"
				   : "outputs: null, wav:PATH, flac:PATH, alsa[:DEVICE]");
		return -1;
	}
	return rc ? -1 : 0;
}

void vsnd_sink_destroy(struct vsnd_sink *s)
{
	if (s && s->ops && s->ops->destroy)
		s->ops->destroy(s);
}
