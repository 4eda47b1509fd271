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
 * Returns 0, or -1 with a message in err (unknown kind, wrong direction, empty or
 * unwritable/unreadable path, bad HZ). Nothing is opened or created until open(), except
 * that an input file is opened at once to check it. Behaviour per backend:
 * - null (sink_null.c): discards at once, paces = 0.
 * - wav/flac (sink_sndfile.c): the exact samples consumed; per-format representation,
 *   append on unchanged parameters and PATH-N files on changed ones are documented there.
 *   As inputs: any file libsndfile reads, converted, padded with silence at the end.
 * - alsa (sink_alsa.c): blocking snd_pcm_writei/readi with exact hw params, paces = 1;
 *   DEVICE defaults to "default" and may contain colons (alsa:hw:0,0).
 * - silence, sine[:HZ] (source_gen.c): HZ in (0, 1e6], default 440, amplitude 0.5.
 * The ops name is "null", "wav", "flac", "file" (every file input), "alsa", "silence" or
 * "sine". */
int vsnd_sink_create(const char *spec, int direction, struct vsnd_sink **out, char *err,
		     size_t errlen);
void vsnd_sink_destroy(struct vsnd_sink *s);

/* Byte width of one sample in memory for a format (0 if unsupported), and Hz of a rate. */
uint32_t vsnd_format_bytes(uint8_t format);
uint32_t vsnd_rate_hz(uint8_t rate_index);
const char *vsnd_format_name(uint8_t format);

/* Report an event through s->report (if set); the message is formatted printf-style. */
void vsnd_sink_report(struct vsnd_sink *s, enum vsnd_sink_event ev, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Sample layout of a virtio format (3.7 of the protocol notes; little-endian, interleaved):
 * `bytes` physical bytes, `bits` significant bits (integers are low-justified in their
 * container, as ALSA's *_LE formats), `is_unsigned` for offset-binary integers. */
enum vsnd_sample_kind {
	VSND_SK_NONE = 0,  /* no per-sample conversion: IMA_ADPCM, DSD_*, IEC958_SUBFRAME */
	VSND_SK_INT,
	VSND_SK_FLOAT,     /* IEEE 754 binary32 */
	VSND_SK_FLOAT64,   /* IEEE 754 binary64 */
	VSND_SK_MULAW,     /* G.711 mu-law, 8 bits */
	VSND_SK_ALAW,      /* G.711 A-law, 8 bits */
};
struct vsnd_format_desc {
	uint8_t bytes, bits, is_unsigned;
	enum vsnd_sample_kind kind;
};
/* Fills d and returns 0, or returns -1 for a format number outside the table. */
int vsnd_format_desc(uint8_t format, struct vsnd_format_desc *d);

/* One sample <-> a left-justified signed 32-bit value (full scale = INT32_MIN..INT32_MAX).
 * Integer formats convert losslessly in both directions for their significant bits (the
 * container's padding bits are ignored on decode and sign/zero-extended on encode). Float
 * formats scale by 2^31 with clamping; mu-law/A-law use the 16 most significant bits.
 * Formats of kind VSND_SK_NONE decode as 0 and encode nothing. */
int32_t vsnd_sample_to_s32(uint8_t format, const uint8_t *src);
void vsnd_sample_from_s32(uint8_t format, int32_t v, uint8_t *dst);
/* One sample from a value in [-1, 1] (clamped): float formats store it directly. */
void vsnd_sample_from_double(uint8_t format, double v, uint8_t *dst);
/* Fill `bytes` with the format's silence (0, or the offset-binary midpoint, or the G.711
 * code of 0). Returns 0, or -ENOTSUP for a format of kind VSND_SK_NONE. */
int vsnd_fill_silence(uint8_t format, void *buf, uint32_t bytes);

/* Backend constructors, one per file, called by vsnd_sink_create() with the text after
 * "kind:" (NULL when the spec had no colon); same return convention. */
int vsnd_sink_null_new(const char *arg, int direction, struct vsnd_sink **out, char *err,
		       size_t errlen);
int vsnd_sink_sndfile_new(const char *kind, const char *arg, int direction,
			  struct vsnd_sink **out, char *err, size_t errlen);
int vsnd_sink_alsa_new(const char *arg, int direction, struct vsnd_sink **out, char *err,
		       size_t errlen);
int vsnd_source_gen_new(const char *kind, const char *arg, int direction,
			struct vsnd_sink **out, char *err, size_t errlen);

#endif
