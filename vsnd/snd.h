/* snd.h - the virtio-snd device core (VirtIO 1.2, 5.14): config space, control requests,
 * PCM stream state machine, TX/RX pacing and events. Sees only chains, a clock and sinks. */
#ifndef VSND_SND_H
#define VSND_SND_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "clock.h"
#include "sink.h"
#include "virtio_snd.h"

#define VSND_MAX_STREAMS 8
#define VSND_MAX_JACKS 8
#define VSND_MAX_CHMAPS 8

struct vsnd_stream_cfg {
	uint32_t hda_fn_nid;
	uint32_t features;  /* advertised VIRTIO_SND_PCM_F_* bits */
	uint64_t formats;   /* 1 << VIRTIO_SND_PCM_FMT_* */
	uint64_t rates;     /* 1 << VIRTIO_SND_PCM_RATE_* */
	uint8_t direction;
	uint8_t channels_min, channels_max;
};

struct vsnd_jack_cfg {
	uint32_t hda_fn_nid, features, hda_reg_defconf, hda_reg_caps;
	uint8_t connected;
};

struct vsnd_chmap_cfg {
	uint32_t hda_fn_nid;
	uint8_t direction, channels, positions[VIRTIO_SND_CHMAP_MAX_SIZE];
};

struct vsnd_config {
	uint32_t njacks, nstreams, nchmaps;
	struct vsnd_jack_cfg jacks[VSND_MAX_JACKS];
	struct vsnd_stream_cfg streams[VSND_MAX_STREAMS];
	struct vsnd_chmap_cfg chmaps[VSND_MAX_CHMAPS];
};

/* Default: one headphone jack, stream 0 output and stream 1 input (nid 0), 1..8 channels,
 * U8 S16 S24_3 S24 S32 FLOAT, all 14 rates; stereo and mono chmaps. */
void vsnd_config_default(struct vsnd_config *cfg);

/* ---- the configuration as text (snd_config.c; grammar in docs/semu.md, "Device
 * configuration: --snd-config") ----
 * SPEC := SECTION {';' SECTION}; SECTION := PRESET | streams=LIST | jacks=LIST | chmaps=LIST
 * e.g. "streams=out:fmt=s16+s32:rate=44100-48000:ch=1-2,in:fmt=s16:rate=48000:ch=2;
 *       jacks=hp:connected,mic;chmaps=out:FL+FR,in:MONO". */

/* Enough for vsnd_config_format() of any configuration it accepts (with the NUL). */
#define VSND_CONFIG_TEXT_MAX 8192

/* Presets: "default" (vsnd_config_default), "stereo-out" (one output stream, 1..2 channels,
 * headphone jack, output chmaps only), "multi" (outputs 0 and 1, input 2, headphone and mic
 * jacks), "minimal" (facts sheet 4.9: S16 at 44100/48000 Hz, 1..2 channels, one stream per
 * direction, headphone jack, no chmaps). Returns 0, or -1 for an unknown name (cfg untouched). */
int vsnd_config_preset(const char *name, struct vsnd_config *cfg);

/* Parses spec into *cfg. Parsing STARTS FROM THE DEFAULT configuration (or from the preset
 * named by the first section); each streams=/jacks=/chmaps= section replaces that whole list.
 * When streams= is given but chmaps= is not, inherited chmaps whose (nid, direction) has no
 * stream are dropped (Linux 6.1 fails the probe on them). NULL or "" means the default.
 * The result is checked with vsnd_config_check(). Returns 0; or -1 with a message naming the
 * bad token and what was expected in err (if errlen > 0), *cfg then unspecified. */
int vsnd_config_parse(const char *spec, struct vsnd_config *cfg, char *err, size_t errlen);

/* The checks behind vsnd_config_parse(): counts within the maxima, stream channels within
 * 1..8, known and supported formats (not IMA_ADPCM), rates and features, chmap channels 1..18
 * and positions 0..36 with a stream of the same nid and direction, and finally vsnd_dev_new()
 * itself (a device is created and freed). Returns 0, or -1 with a message in err. */
int vsnd_config_check(const struct vsnd_config *cfg, char *err, size_t errlen);

/* Prints cfg in the grammar above, all three sections, so that vsnd_config_parse() of the
 * text gives back an equal configuration (unused entries and positions zero). Returns the
 * length written (without the NUL), or -1 if buf is too small or cfg fails the checks of
 * vsnd_config_check() (which it runs without creating a device). */
int vsnd_config_format(const struct vsnd_config *cfg, char *buf, size_t n);

/* What the device calls outward. */
struct vsnd_host {
	struct vsnd_clock *clock;
	/* Sinks for output streams and sources for input streams, indexed by stream id; the
	 * device takes ownership and destroys them in vsnd_dev_free(). NULL means null/silence. */
	struct vsnd_sink *sinks[VSND_MAX_STREAMS];
	/* The device hit an unrecoverable error (2.1.2): the transport sets DEVICE_NEEDS_RESET. */
	void (*needs_reset)(void *opaque);
	void *opaque;
	/* If > 0, the PCM threads ask for SCHED_FIFO at this priority (1..99) so that audio
	 * deadlines survive a loaded host, as audio servers do; refused (no privilege) is ignored.
	 * The threads sleep between periods, so they never starve the machine. */
	int rt_priority;
};

struct vsnd_dev;

/* cfg NULL means vsnd_config_default(). Returns NULL if cfg is invalid (counts above the
 * maxima, undefined or unsupported format/rate/feature bits, IMA_ADPCM, channels_min 0 or >
 * channels_max, chmap channels > 18 or positions > 36); the sinks then stay the caller's.
 * The device runs a TX thread (all output streams), an RX thread (all input streams) and one
 * sink-consumer thread per output stream; every timed wait
 * goes through host->clock->ops->wait_until. A sink's report hook, if set, is also called by
 * the device (underrun/overrun) with the device lock held: it must not call back in. */
struct vsnd_dev *vsnd_dev_new(const struct vsnd_config *cfg, const struct vsnd_host *host);
void vsnd_dev_free(struct vsnd_dev *dev);

/* Config space (5.14.4): copies len bytes at off into buf; out-of-range bytes read as 0. */
void vsnd_dev_config_read(struct vsnd_dev *dev, uint32_t off, void *buf, uint32_t len);

/* The driver set DRIVER_OK: the device may now consume buffers and send events. */
void vsnd_dev_driver_ok(struct vsnd_dev *dev);

/* A chain the driver made available on queue chain->queue. The device owns it from now on
 * and completes or discards it exactly once. Control requests are answered before return. */
void vsnd_dev_submit(struct vsnd_dev *dev, struct vsnd_chain *chain);

/* Device reset (Status = 0, 2.4): synchronous. On return no device thread touches any chain;
 * every held chain has been discarded; streams are back to INIT. */
void vsnd_dev_reset(struct vsnd_dev *dev);

/* Jack state change from the host side; sends JACK_(DIS)CONNECTED when possible. */
void vsnd_dev_set_jack(struct vsnd_dev *dev, uint32_t jack_id, int connected);

/* PCM stream states (5.14.6.6.1), named after the last successful command. */
enum vsnd_pcm_state {
	VSND_PCM_INIT = 0,
	VSND_PCM_PARAMS,
	VSND_PCM_PREPARED,
	VSND_PCM_RUNNING,
	VSND_PCM_STOPPED,
	VSND_PCM_RELEASED,
};

/* Per-stream counters, for tools and tests. */
struct vsnd_stream_stats {
	enum vsnd_pcm_state state;
	uint64_t frames;    /* frames handed to the sink (output) or captured (input) */
	uint64_t messages;  /* I/O messages completed by playing/capturing */
	uint64_t xruns;     /* times the queue ran dry while RUNNING */
	uint64_t io_errors; /* I/O messages completed with IO_ERR */
	uint32_t queued;    /* I/O messages held right now */
};

/* Returns 0, or -1 if stream_id is out of range. */
int vsnd_dev_stream_stats(struct vsnd_dev *dev, uint32_t stream_id, struct vsnd_stream_stats *out);

/* Wait until the device's PCM threads have done everything that is due at the clock's
 * current time and are blocked waiting for a later deadline or for new work. With a
 * virtual clock this makes "set time, then observe" deterministic. With an `instant`
 * virtual clock it returns once the running streams have consumed all their queued I/O. */
void vsnd_dev_quiesce(struct vsnd_dev *dev);

#endif
