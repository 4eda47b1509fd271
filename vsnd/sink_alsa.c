/* sink_alsa.c - `alsa[:DEVICE]` (default "default"): plays an output stream or captures an
 * input stream through alsa-lib with blocking I/O, so it paces the device (paces = 1).
 *
 * open(): snd_pcm_open(DEVICE), hw params set exactly to the stream's format (the ALSA *_LE
 * format Linux maps each virtio format to), channels and rate, or a clear error; period =
 * the stream's period (exact when the PCM allows it, else the nearest it offers); buffer =
 * the stream's buffer (at least two periods). Playback starts once the ALSA buffer is full
 * (as aplay does) or at close(), which drains. Underruns/overruns (-EPIPE) are reported as
 * VSND_SINK_EV_XRUN and recovered with snd_pcm_prepare(); the data is then written again. */
#include <alsa/asoundlib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "virtio_snd.h"

#define ALSA_MAX_FRAME (8u * 255u)

struct alsa_sink {
	struct vsnd_sink base;
	int input;
	char *device;
	snd_pcm_t *pcm;
	struct vsnd_pcm_params p;
	uint32_t frame_bytes;
	uint8_t carry[ALSA_MAX_FRAME];
	uint32_t carry_len;
};

static struct alsa_sink *to_alsa(struct vsnd_sink *s)
{
	return (struct alsa_sink *)s;
}

/* virtio format -> ALSA format, as Linux's virtio_snd maps them (little-endian). */
static const snd_pcm_format_t alsa_formats[VIRTIO_SND_PCM_FMT_COUNT] = {
	[VIRTIO_SND_PCM_FMT_IMA_ADPCM] = SND_PCM_FORMAT_IMA_ADPCM,
	[VIRTIO_SND_PCM_FMT_MU_LAW] = SND_PCM_FORMAT_MU_LAW,
	[VIRTIO_SND_PCM_FMT_A_LAW] = SND_PCM_FORMAT_A_LAW,
	[VIRTIO_SND_PCM_FMT_S8] = SND_PCM_FORMAT_S8,
	[VIRTIO_SND_PCM_FMT_U8] = SND_PCM_FORMAT_U8,
	[VIRTIO_SND_PCM_FMT_S16] = SND_PCM_FORMAT_S16_LE,
	[VIRTIO_SND_PCM_FMT_U16] = SND_PCM_FORMAT_U16_LE,
	[VIRTIO_SND_PCM_FMT_S18_3] = SND_PCM_FORMAT_S18_3LE,
	[VIRTIO_SND_PCM_FMT_U18_3] = SND_PCM_FORMAT_U18_3LE,
	[VIRTIO_SND_PCM_FMT_S20_3] = SND_PCM_FORMAT_S20_3LE,
	[VIRTIO_SND_PCM_FMT_U20_3] = SND_PCM_FORMAT_U20_3LE,
	[VIRTIO_SND_PCM_FMT_S24_3] = SND_PCM_FORMAT_S24_3LE,
	[VIRTIO_SND_PCM_FMT_U24_3] = SND_PCM_FORMAT_U24_3LE,
	[VIRTIO_SND_PCM_FMT_S20] = SND_PCM_FORMAT_S20_LE,
	[VIRTIO_SND_PCM_FMT_U20] = SND_PCM_FORMAT_U20_LE,
	[VIRTIO_SND_PCM_FMT_S24] = SND_PCM_FORMAT_S24_LE,
	[VIRTIO_SND_PCM_FMT_U24] = SND_PCM_FORMAT_U24_LE,
	[VIRTIO_SND_PCM_FMT_S32] = SND_PCM_FORMAT_S32_LE,
	[VIRTIO_SND_PCM_FMT_U32] = SND_PCM_FORMAT_U32_LE,
	[VIRTIO_SND_PCM_FMT_FLOAT] = SND_PCM_FORMAT_FLOAT_LE,
	[VIRTIO_SND_PCM_FMT_FLOAT64] = SND_PCM_FORMAT_FLOAT64_LE,
	[VIRTIO_SND_PCM_FMT_DSD_U8] = SND_PCM_FORMAT_DSD_U8,
	[VIRTIO_SND_PCM_FMT_DSD_U16] = SND_PCM_FORMAT_DSD_U16_LE,
	[VIRTIO_SND_PCM_FMT_DSD_U32] = SND_PCM_FORMAT_DSD_U32_LE,
	[VIRTIO_SND_PCM_FMT_IEC958_SUBFRAME] = SND_PCM_FORMAT_IEC958_SUBFRAME_LE,
};

static int alsa_fail(struct alsa_sink *a, int rc, const char *what)
{
	vsnd_sink_report(&a->base, VSND_SINK_EV_ERROR, rc, "alsa '%s': %s (%s, %u ch, %u Hz): %s",
			 a->device, what, vsnd_format_name(a->p.format), a->p.channels, a->p.rate_hz,
			 snd_strerror(rc));
	if (a->pcm) {
		snd_pcm_close(a->pcm);
		a->pcm = NULL;
	}
	return rc < 0 ? rc : -EIO;
}

static int alsa_configure(struct alsa_sink *a)
{
	snd_pcm_t *pcm = a->pcm;
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	int rc;

	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	if ((rc = snd_pcm_hw_params_any(pcm, hw)) < 0)
		return alsa_fail(a, rc, "no hardware configuration");
	if ((rc = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0)
		return alsa_fail(a, rc, "interleaved access not available");
	if ((rc = snd_pcm_hw_params_set_format(pcm, hw, alsa_formats[a->p.format])) < 0)
		return alsa_fail(a, rc, "format not supported");
	if ((rc = snd_pcm_hw_params_set_channels(pcm, hw, a->p.channels)) < 0)
		return alsa_fail(a, rc, "channel count not supported");
	if ((rc = snd_pcm_hw_params_set_rate(pcm, hw, a->p.rate_hz, 0)) < 0)
		return alsa_fail(a, rc, "rate not supported");

	snd_pcm_uframes_t period = a->p.period_bytes / a->frame_bytes;
	snd_pcm_uframes_t buffer = a->p.buffer_bytes / a->frame_bytes;
	if (period) {
		if (snd_pcm_hw_params_set_period_size(pcm, hw, period, 0) < 0) {
			int dir = 0;
			if ((rc = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir)) < 0)
				return alsa_fail(a, rc, "period size not supported");
		}
		if (buffer < 2 * period)
			buffer = 2 * period;
	}
	if (buffer && (rc = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer)) < 0)
		return alsa_fail(a, rc, "buffer size not supported");
	if ((rc = snd_pcm_hw_params(pcm, hw)) < 0)
		return alsa_fail(a, rc, "cannot apply hardware parameters");
	if ((rc = snd_pcm_hw_params_get_buffer_size(hw, &buffer)) < 0)
		return alsa_fail(a, rc, "cannot read back the buffer size");

	if ((rc = snd_pcm_sw_params_current(pcm, sw)) < 0 ||
	    (rc = snd_pcm_sw_params_set_start_threshold(pcm, sw, a->input ? 1 : buffer)) < 0 ||
	    (rc = snd_pcm_sw_params(pcm, sw)) < 0)
		return alsa_fail(a, rc, "cannot apply software parameters");
	if ((rc = snd_pcm_prepare(pcm)) < 0)
		return alsa_fail(a, rc, "cannot prepare");
	return 0;
}

static void alsa_close(struct vsnd_sink *s);

static int alsa_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	struct alsa_sink *a = to_alsa(s);
	int rc;

	if (a->pcm)
		alsa_close(s);
	a->p = *p;
	a->carry_len = 0;
	a->frame_bytes = vsnd_format_bytes(p->format) * p->channels;
	if (p->format >= VIRTIO_SND_PCM_FMT_COUNT || !a->frame_bytes || !p->rate_hz)
		return alsa_fail(a, -EINVAL, "bad stream parameters");
	rc = snd_pcm_open(&a->pcm, a->device,
			  a->input ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK, 0);
	if (rc < 0) {
		a->pcm = NULL;
		return alsa_fail(a, rc, "cannot open");
	}
	return alsa_configure(a);
}

/* -EPIPE (xrun) and -ESTRPIPE (suspend) are reported and recovered; 0 to retry, or -errno. */
static int alsa_recover(struct alsa_sink *a, int err)
{
	int rc = err;
	if (err == -EINTR || err == -EAGAIN)
		return 0;
	if (err == -EPIPE) {
		vsnd_sink_report(&a->base, VSND_SINK_EV_XRUN, err, "alsa '%s': %s", a->device,
				 a->input ? "overrun" : "underrun");
		rc = snd_pcm_prepare(a->pcm);
	} else if (err == -ESTRPIPE) {
		rc = snd_pcm_resume(a->pcm);
		if (rc < 0)
			rc = snd_pcm_prepare(a->pcm);
	}
	if (rc < 0) {
		vsnd_sink_report(&a->base, VSND_SINK_EV_ERROR, rc, "alsa '%s': %s: %s", a->device,
				 a->input ? "read" : "write", snd_strerror(rc));
		return rc;
	}
	return 0;
}

static int write_frames(struct alsa_sink *a, const uint8_t *src, snd_pcm_uframes_t frames)
{
	while (frames) {
		snd_pcm_sframes_t n = snd_pcm_writei(a->pcm, src, frames);
		if (n < 0) {
			int rc = alsa_recover(a, (int)n);
			if (rc)
				return rc;
			continue;
		}
		src += (size_t)n * a->frame_bytes;
		frames -= (snd_pcm_uframes_t)n;
	}
	return 0;
}

static int alsa_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	struct alsa_sink *a = to_alsa(s);
	const uint8_t *src = buf;
	int rc;
	if (!a->pcm || a->input)
		return -EINVAL;
	if (!bytes)
		return 0;
	if (a->carry_len) { /* complete a frame split across two writes */
		uint32_t take = a->frame_bytes - a->carry_len;
		if (take > bytes)
			take = bytes;
		memcpy(a->carry + a->carry_len, src, take);
		a->carry_len += take;
		src += take;
		bytes -= take;
		if (a->carry_len < a->frame_bytes)
			return 0;
		a->carry_len = 0;
		if ((rc = write_frames(a, a->carry, 1)))
			return rc;
	}
	if ((rc = write_frames(a, src, bytes / a->frame_bytes)))
		return rc;
	a->carry_len = bytes % a->frame_bytes;
	memcpy(a->carry, src + bytes - a->carry_len, a->carry_len);
	return 0;
}

static int alsa_read(struct vsnd_sink *s, void *buf, uint32_t bytes)
{
	struct alsa_sink *a = to_alsa(s);
	uint8_t *dst = buf;
	if (!a->pcm || !a->input)
		return -EINVAL;
	snd_pcm_uframes_t frames = bytes / a->frame_bytes;
	while (frames) {
		snd_pcm_sframes_t n = snd_pcm_readi(a->pcm, dst, frames);
		if (n < 0) {
			int rc = alsa_recover(a, (int)n);
			if (rc)
				return rc;
			continue;
		}
		dst += (size_t)n * a->frame_bytes;
		frames -= (snd_pcm_uframes_t)n;
	}
	if (bytes % a->frame_bytes)
		vsnd_fill_silence(a->p.format, dst, bytes % a->frame_bytes);
	return 0;
}

static void alsa_close(struct vsnd_sink *s)
{
	struct alsa_sink *a = to_alsa(s);
	if (!a->pcm)
		return;
	if (a->input) {
		snd_pcm_drop(a->pcm);
	} else {
		if (a->carry_len)
			vsnd_sink_report(s, VSND_SINK_EV_ERROR, -EINVAL,
					 "alsa '%s': dropped %u bytes of an incomplete frame",
					 a->device, a->carry_len);
		snd_pcm_drain(a->pcm);
	}
	a->carry_len = 0;
	snd_pcm_close(a->pcm);
	a->pcm = NULL;
}

static void alsa_destroy(struct vsnd_sink *s)
{
	struct alsa_sink *a = to_alsa(s);
	alsa_close(s);
	free(a->device);
	free(a);
}

static const struct vsnd_sink_ops alsa_ops = {
	.name = "alsa",
	.open = alsa_open,
	.write = alsa_write,
	.read = alsa_read,
	.close = alsa_close,
	.destroy = alsa_destroy,
};

int vsnd_sink_alsa_new(const char *arg, int direction, struct vsnd_sink **out, char *err,
		       size_t errlen)
{
	if (arg && !*arg) {
		snprintf(err, errlen, "'alsa:' needs a device name (or use plain 'alsa' for "
				      "\"default\")");
		return -1;
	}
	struct alsa_sink *a = calloc(1, sizeof(*a));
	if (!a || !(a->device = strdup(arg ? arg : "default"))) {
		free(a);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	a->base.ops = &alsa_ops;
	a->base.priv = a;
	a->base.paces = 1;
	a->input = direction == VIRTIO_SND_D_INPUT;
	*out = &a->base;
	return 0;
}
