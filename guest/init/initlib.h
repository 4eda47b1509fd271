/* initlib.h - pure helpers of the guest /init (no syscalls, no libc): kernel command-line
 * options, WAV header parsing, FNV-1a, number formatting. Also built on the host for tests. */
#ifndef VSND_GUEST_INITLIB_H
#define VSND_GUEST_INITLIB_H

#include <stdint.h>

/* Sample formats the player handles; init.c maps them to SNDRV_PCM_FORMAT_*. */
enum vg_format {
	VG_FMT_NONE = 0,
	VG_FMT_U8,
	VG_FMT_S16_LE,
	VG_FMT_S24_3LE, /* 24 bits in 3 bytes */
	VG_FMT_S24_LE,  /* 24 valid bits, low-aligned in 4 bytes (WAVE_FORMAT_EXTENSIBLE 24/32) */
	VG_FMT_S32_LE,
	VG_FMT_FLOAT_LE,
};

/* ALSA-style name ("S16_LE", ...); "?" for VG_FMT_NONE or unknown values. */
const char *vg_format_name(enum vg_format f);
/* Name as accepted on the command line: "U8", "S16_LE", "S24_3LE", "S24_LE", "S32_LE",
 * "FLOAT_LE" (case-insensitive); VG_FMT_NONE if unknown. */
enum vg_format vg_format_parse(const char *s, uint32_t len);
/* Bytes per sample (1, 2, 3, 4); 0 for VG_FMT_NONE. */
uint32_t vg_format_bytes(enum vg_format f);
/* The byte that fills a silent sample: 0x80 for U8, 0 otherwise. */
uint8_t vg_format_silence(enum vg_format f);

enum vg_mode { VG_MODE_PLAY = 0, VG_MODE_CAPTURE, VG_MODE_SCENARIO };

/* Scenarios (vsnd_scenario=NAME with vsnd_mode=scenario). */
enum vg_scenario {
	VG_SC_NONE = 0,
	VG_SC_TWICE,   /* play the file twice, close and reopen in between */
	VG_SC_PAUSE,   /* PAUSE 1, sleep pause_ms, PAUSE 0 once at_frames have been written */
	VG_SC_DROP,    /* DROP at at_frames, then PREPARE and play the file again from its start */
	VG_SC_PREPARE, /* HW_PARAMS, SW_PARAMS, PREPARE, close without START; then play */
	VG_SC_BADRATE, /* HW_REFINE with an unsupported rate must fail; then play */
	VG_SC_XRUN,    /* stall stall_ms at at_frames, expect an underrun (-EPIPE); recover */
};
const char *vg_scenario_name(enum vg_scenario s);

#define VG_PATH_MAX 128

/* Options from /proc/cmdline (keys without dots, so the kernel leaves them alone):
 *   vsnd_mode=play|capture|scenario   vsnd_scenario=twice|pause|drop|prepare|badrate|xrun
 *   vsnd_file=/audio.wav   vsnd_period=FRAMES   vsnd_periods=N   vsnd_capture_frames=N
 *   vsnd_rate=HZ vsnd_channels=N vsnd_format=S16_LE   (capture parameters)
 *   vsnd_at_frames=N   vsnd_pause_ms=MS   vsnd_stall_ms=MS   (scenario timing; 0 = default)
 *   vsnd_xrun_debug=0|1   vsnd_fail=poweroff|reboot
 *   vsnd_loop=N   (play and scenario modes: each playback plays the file N times back to back
 *                  in one stream, 1 .. VG_LOOP_MAX; default 1)
 * Unknown vsnd_* keys and bad values are errors (reported, init fails). */
struct vg_opts {
	enum vg_mode mode;
	enum vg_scenario scenario;
	char file[VG_PATH_MAX];
	uint32_t period;         /* frames, default 1024 */
	uint32_t periods;        /* default 4 */
	uint32_t capture_frames; /* default 48000 */
	uint32_t rate;           /* capture, default 48000 */
	uint32_t channels;       /* capture, default 2 */
	enum vg_format format;   /* capture, default S16_LE */
	uint32_t at_frames;      /* 0: scenario default */
	uint32_t pause_ms;       /* default 300 */
	uint32_t stall_ms;       /* 0: twice the buffer time + 100 ms */
	uint32_t xrun_debug;     /* 0 or 1 */
	uint32_t fail_reboot;    /* 1: failure ends with reboot(RESTART) instead of POWER_OFF */
	uint32_t loop;           /* times each playback plays the file, default 1 */
};

/* Upper bound of vsnd_loop (a 48 kHz file of one second looped this often fits in 32-bit frame
 * counts with room to spare; the player also refuses file_frames x loop above 2^32 - 1). */
#define VG_LOOP_MAX 100000u

void vg_opts_default(struct vg_opts *o);
/* Parses the whole command line (space/newline separated words). Returns 0, or -1 with
 * `*bad` pointing at the offending word (length in `*bad_len`). */
int vg_opts_parse(struct vg_opts *o, const char *cmdline, uint32_t len, const char **bad,
		  uint32_t *bad_len);

/* A WAV file's header (RIFF/WAVE, chunks "fmt " and "data"). */
struct vg_wav {
	enum vg_format format;
	uint32_t rate;
	uint32_t channels;
	uint32_t frame_bytes;
	uint32_t data_offset; /* from the start of the file */
	uint32_t data_bytes;  /* as declared, rounded down to whole frames; may exceed the file */
};

/* Parses the first `len` bytes of a WAV file. Returns 0, or a negative reason:
 *   -1 not RIFF/WAVE, -2 no "fmt " chunk before "data" or it is too short,
 *   -3 unsupported format tag/bit depth, -4 bad channels/rate/block align,
 *   -5 "data" chunk not found within `len` bytes. */
int vg_wav_parse(const uint8_t *buf, uint32_t len, struct vg_wav *w);
const char *vg_wav_error(int err);

/* FNV-1a 32-bit: start with VG_FNV1A_INIT, feed bytes in order. */
#define VG_FNV1A_INIT 0x811c9dc5u
uint32_t vg_fnv1a(uint32_t h, const uint8_t *p, uint32_t n);

/* Number formatting; each returns the characters written (no NUL). `out` needs 11 bytes. */
uint32_t vg_fmt_u32(char *out, uint32_t v);
uint32_t vg_fmt_i32(char *out, int32_t v);
uint32_t vg_fmt_hex32(char *out, uint32_t v); /* exactly 8 lowercase hex digits */

/* Decimal u32 of exactly `len` characters; -1 on an empty, non-digit or overflowing value. */
int vg_parse_u32(const char *s, uint32_t len, uint32_t *out);

#endif
