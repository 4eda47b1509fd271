/* synth.h - deterministic synthetic sessions: drives the real device core through the
 * recorder's shims under a virtual clock, behaving like the Linux driver, for tests and traces. */
#ifndef VT_SYNTH_H
#define VT_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* Scenarios (each a few hundred ms of audio, a few tens of KB):
 *   play-u8      U8 mono 8 kHz            play-s16    S16 stereo 48 kHz
 *   play-s24_3   S24_3 stereo 44.1 kHz     play-float  FLOAT stereo 48 kHz
 *   play-s32     S32 mono 96 kHz
 *   twice        play, RELEASE, play again (new parameters)
 *   pause        START, STOP with messages held, 50 ms pause, START (resume)
 *   restart      STOP + RELEASE while messages are queued (flushed), then play again
 *   capture      stream 1 (input) from a 440 Hz source, S16 mono 16 kHz
 *   bad          bad requests: unknown codes, bad stream ids, unsupported params, short
 *                and malformed chains, I/O in the wrong state, an unknown queue
 *   reset        device reset while playing, then DRIVER_OK and play again
 *   xrun         the driver stops feeding for 60 ms while running (underrun), then resumes
 * Every session begins like Linux: config reads, DRIVER_OK, event buffers, *_INFO queries. */
extern const char *const vt_synth_scenarios[];

/* Record scenario `name` into a new session database at path (truncated if it exists).
 * Deterministic: the same name gives the same events, times and bytes (only the wall-clock
 * and host columns of the session row differ). Returns 0, or -1 with a message in err. */
int vt_synth_record(const char *path, const char *name, char *err, size_t errlen);

/* A plain playback session of `seconds` of S16 stereo 48 kHz in periods of period_frames
 * frames (4 periods queued), for benchmarks. Same conventions as vt_synth_record(). */
int vt_synth_record_long(const char *path, double seconds, uint32_t period_frames, char *err,
			 size_t errlen);

#endif
