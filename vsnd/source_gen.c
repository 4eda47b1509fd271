/* source_gen.c - generated capture sources: `silence` and `sine[:HZ]` (default 440 Hz, half
 * full scale, the same signal on every channel, phase 0 at each open). They do not pace. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "virtio_snd.h"

#define GEN_DEFAULT_HZ 440.0
#define GEN_MAX_HZ 1000000.0
#define GEN_AMPLITUDE 0.5

struct gen_source {
	struct vsnd_sink base;
	int sine;           /* 0: silence */
	double hz;
	struct vsnd_pcm_params p;
	uint32_t sample_bytes;
	uint64_t frame;     /* frames produced since open(): the sine's time base */
	uint32_t frame_off; /* bytes of frame `frame` already delivered (reads may split frames) */
	int is_open;
};

static struct gen_source *to_gen(struct vsnd_sink *s)
{
	return (struct gen_source *)s;
}

static int gen_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	struct gen_source *g = to_gen(s);
	struct vsnd_format_desc d;
	if (vsnd_format_desc(p->format, &d) || d.kind == VSND_SK_NONE || !p->channels ||
	    !p->rate_hz) {
		vsnd_sink_report(s, VSND_SINK_EV_ERROR, -ENOTSUP,
				 "%s: cannot generate format %s (%u ch, %u Hz)", s->ops->name,
				 vsnd_format_name(p->format), p->channels, p->rate_hz);
		return -ENOTSUP;
	}
	g->p = *p;
	g->sample_bytes = d.bytes;
	g->frame = 0;
	g->frame_off = 0;
	g->is_open = 1;
	return 0;
}

static int gen_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	(void)s;
	(void)buf;
	(void)bytes;
	return -EINVAL; /* input only */
}

/* Sample n of the sine: the phase is reduced modulo one second (n * hz is exact in a double
 * for integral hz up to 2^53) so long runs keep full precision. */
static double sine_value(const struct gen_source *g, uint64_t n)
{
	double cycles = fmod((double)n * g->hz, (double)g->p.rate_hz) / (double)g->p.rate_hz;
	return GEN_AMPLITUDE * sin(2.0 * M_PI * cycles);
}

static int gen_read(struct vsnd_sink *s, void *buf, uint32_t bytes)
{
	struct gen_source *g = to_gen(s);
	if (!g->is_open)
		return -EINVAL;
	if (!g->sine)
		return vsnd_fill_silence(g->p.format, buf, bytes);

	uint8_t *out = buf;
	uint32_t fb = g->sample_bytes * g->p.channels;
	uint32_t done = 0;
	while (done < bytes) {
		uint8_t one[8];
		vsnd_sample_from_double(g->p.format, sine_value(g, g->frame), one);
		while (g->frame_off < fb && done < bytes)
			out[done++] = one[g->frame_off++ % g->sample_bytes];
		if (g->frame_off == fb) {
			g->frame_off = 0;
			g->frame++;
		}
	}
	return 0;
}

static void gen_close(struct vsnd_sink *s)
{
	to_gen(s)->is_open = 0;
}

static void gen_destroy(struct vsnd_sink *s)
{
	free(s);
}

static const struct vsnd_sink_ops silence_ops = {
	.name = "silence",
	.open = gen_open,
	.write = gen_write,
	.read = gen_read,
	.close = gen_close,
	.destroy = gen_destroy,
};

static const struct vsnd_sink_ops sine_ops = {
	.name = "sine",
	.open = gen_open,
	.write = gen_write,
	.read = gen_read,
	.close = gen_close,
	.destroy = gen_destroy,
};

int vsnd_source_gen_new(const char *kind, const char *arg, int direction,
			struct vsnd_sink **out, char *err, size_t errlen)
{
	int sine = !strcmp(kind, "sine");
	double hz = GEN_DEFAULT_HZ;

	if (direction != VIRTIO_SND_D_INPUT) {
		snprintf(err, errlen, "'%s' is an input source; for an output use 'null'", kind);
		return -1;
	}
	if (!sine && arg) {
		snprintf(err, errlen, "'silence' takes no argument (got 'silence:%s')", arg);
		return -1;
	}
	if (sine && arg) {
		char *end;
		errno = 0;
		hz = strtod(arg, &end);
		if (!*arg || *end || errno || !(hz > 0.0) || hz > GEN_MAX_HZ) {
			snprintf(err, errlen,
				 "bad sine frequency '%s': want a number of Hz in (0, %.0f]", arg,
				 GEN_MAX_HZ);
			return -1;
		}
	}
	struct gen_source *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->base.ops = sine ? &sine_ops : &silence_ops;
	g->base.priv = g;
	g->base.paces = 0;
	g->sine = sine;
	g->hz = hz;
	*out = &g->base;
	return 0;
}
