/* sink.h - where played PCM goes and where captured PCM comes from: one const table of
 * operations per backend (null, wav/flac via libsndfile, alsa, sine, silence, file source). */
#ifndef VSND_SINK_H
#define VSND_SINK_H

#include <stddef.h>
#include <stdint.h>

/* Parameters of one stream as the device configured it (PCM_SET_PARAMS, 5.14.6.6.3). */
struct vsnd_pcm_params {
	uint32_t stream_id;
	uint8_t direction;   /* VIRTIO_SND_D_OUTPUT or VIRTIO_SND_D_INPUT */
	uint8_t format;      /* VIRTIO_SND_PCM_FMT_* */
	uint8_t channels;    /* 1..8 */
	uint8_t rate_index;  /* VIRTIO_SND_PCM_RATE_* */
	uint32_t rate_hz;
	uint32_t frame_bytes;
	uint32_t period_bytes;
	uint32_t buffer_bytes;
};

struct vsnd_sink;

/* What a sink reports back from a write or read, beyond its return value. */
enum vsnd_sink_event { VSND_SINK_EV_UNDERRUN = 1, VSND_SINK_EV_XRUN = 2, VSND_SINK_EV_ERROR = 3 };

/* Contract (all calls for one sink instance come from one device thread at a time):
 * - open(): called at PCM_PREPARE with the stream's parameters; may be called again after
 *   close() with new parameters. Returns 0 or a negative errno; the device answers IO_ERR.
 * - write(): an output stream's period (whole frames) as the device consumed it. Returns 0
 *   or a negative errno. A sink that paces itself (a real ALSA device) may block.
 * - read(): fills `bytes` of capture data in the stream's format; returns 0 or -errno.
 * - close(): at RELEASE or device reset. Buffered data is flushed.
 * - destroy(): frees the instance.
 * `paces` is 1 when write() itself blocks at the audio rate. */
struct vsnd_sink_ops {
	const char *name;
	int (*open)(struct vsnd_sink *s, const struct vsnd_pcm_params *p);
	int (*write)(struct vsnd_sink *s, const void *buf, uint32_t bytes);
	int (*read)(struct vsnd_sink *s, void *buf, uint32_t bytes);
	void (*close)(struct vsnd_sink *s);
	void (*destroy)(struct vsnd_sink *s);
};

struct vsnd_sink {
	const struct vsnd_sink_ops *ops;
	void *priv;
	int paces;
	/* Optional: the sink calls this to report an underrun, xrun or error with a message. */
	void (*report)(void *report_ctx, enum vsnd_sink_event ev, int err, const char *msg);
	void *report_ctx;
};

/* Create a sink (output) or source (input) from a spec string:
 *   null | wav:PATH | flac:PATH | alsa[:DEVICE]          (outputs)
 *   silence | sine[:HZ] | file:PATH | wav:PATH | flac:PATH | alsa[:DEVICE] (inputs)
 * Returns 0, or -1 with a message in err. */
int vsnd_sink_create(const char *spec, int direction, struct vsnd_sink **out, char *err,
		     size_t errlen);
void vsnd_sink_destroy(struct vsnd_sink *s);

/* Byte width of one sample in memory for a format (0 if unsupported), and Hz of a rate. */
uint32_t vsnd_format_bytes(uint8_t format);
uint32_t vsnd_rate_hz(uint8_t rate_index);
const char *vsnd_format_name(uint8_t format);

#endif
