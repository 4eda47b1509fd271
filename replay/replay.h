/* replay.h - the replay engine: re-drives a recorded vsndtrace session through the real
 * virtio-snd device core and host sinks, without a guest, and verifies what the device answers. */
#ifndef VT_REPLAY_H
#define VT_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace/reader.h"
#include "vsnd/sink.h"
#include "vsnd/snd.h"

/* How a replay works (replay/replay.c):
 *
 * Device. vsnd_dev_new() with the session's stored config (vsnd_config_default() if the
 * session has none; the report says so). Each output stream gets a "tap" sink
 * (replay_sink.c) in front of the chosen host sink; each input stream gets a source that
 * returns the recorded captured PCM in order, so capture replays exactly. The tap answers
 * the device with the RECORDED result of each sink call (open/write return values): the
 * host sink's behaviour during the recording is an input of the session, so a replay onto
 * a different sink (wav instead of alsa) still drives the device identically. Failures of
 * the replay's own sink are reported as warnings.
 *
 * Inputs and outputs. Inputs to the device are DRIVER_OK, device resets and chains arriving
 * (vsnd_dev_submit); config reads are re-issued and compared. Everything else the device
 * does is an output: chain reads/writes/completions/discards and sink calls.
 *
 * Chains (replay_chain.c). A recorded chain's read() returns the bytes the device read at
 * the same offsets in the recording (the xfer header at dequeue, the PCM at play time; both
 * are stored). write() keeps what the device writes now; complete()/discard() log the
 * outcome, used_len and virtual time for verification.
 *
 * Clock. A virtual clock (vsnd_vclock) driven only by the engine. Events are walked in
 * recorded order; before each input recorded at t the clock is set to t (waking device
 * threads whose deadlines passed), then vsnd_dev_quiesce() waits until the device has done
 * everything due at t, then the engine waits (at most opts.wait_timeout_ms of real time)
 * until the device has completed at least as many chains per queue as the recording had
 * before this input: the guest re-queued a buffer after its completion (causality). If
 * that never happens the replay reports "device never completed ..." instead of hanging.
 * Recorded completions are also clock stops (the clock is set to their time and the device
 * quiesced), so the replayed device acts at the recorded instants: a session recorded
 * under a virtual clock replays with identical times. At the end the clock is set to the
 * last recorded event, the remaining completions are awaited, and the device is freed
 * (which discards what it still holds, as the recorder's close did).
 * Events are read by a thread of their own (replay_load.c) and attached ahead of the clock
 * by a horizon (1 s of session time), so the bytes the device reads from a chain later than
 * its arrival (the PCM, at play time) are there when it reads them.
 *
 * Limits. Completion times are compared at the resolution of the recorded event times (the
 * clock only stops at recorded inputs and completions). In a recording made with the host
 * clock (semu), the replayed device acts at its ideal deadlines while the recorded one acted
 * a little later (thread wake-up); the causal order is kept by the completion counts above,
 * and the differences show up as timing differences only. A device action recorded after a
 * guest input although it was due before it (a late wake-up) happens before that input in
 * the replay; this can change latency_bytes (a timing difference) and, rarely, whether a
 * queue ran dry.
 * The --from/--to window is applied per sink write (by the virtual time of the write).
 *
 * Speed. speed <= 0 ("max"): no real-time sleeping. speed X > 0: before each clock step the
 * engine sleeps until (t - t0)/X of real time has passed, advancing the clock in slices of
 * at most 10 ms of session time, so an ALSA sink plays at X times real speed. Pacing only
 * applies inside the [from, to) window; the protocol outside it runs at full speed.
 *
 * Verification (opts.verify). Protocol divergences (they fail the replay):
 *   - control responses and statuses, event bytes, RX data: every write the device makes
 *     into a chain, byte for byte, in order (offset, length, bytes);
 *   - used_len of every returned chain and its outcome (completed or discarded);
 *   - the order of completions per queue;
 *   - config space bytes of recorded config reads;
 *   - reads of chain bytes the recording does not have (the device read something else);
 *   - sink opens (parameters) and the PCM reaching each output sink: the concatenated
 *     bytes, sample-exact, plus the number of sink writes.
 * The first protocol divergence stops the replay; it is reported with the recorded event id,
 * time (seconds from session start), queue, field, expected and actual.
 * Timing differences are reported apart and only fail with opts.strict_timing: completion
 * times differing from the recorded ones by more than opts.tolerance_ns, and latency_bytes
 * (the pcm_status field) differing at all.
 *
 * Determinism. With the virtual clock every clock step is followed by vsnd_dev_quiesce(),
 * so two replays of one session give identical sink output and identical reports (the
 * report holds no wall-clock values; vt_replay_report.wall_ns is the only one). */

/* Error codes beyond enum vt_err (returned negated by vt_replay_run). */
enum {
	VT_REPLAY_E_SINK = 100,   /* the sink spec is bad or the sink cannot be created */
	VT_REPLAY_E_DEVICE = 101, /* the device cannot be created from the stored config */
	VT_REPLAY_E_READ = 102,   /* reading the session failed midway (damaged rows) */
};

struct vt_replay_opts {
	/* Host sink for output streams: null | wav:PATH | flac:PATH | alsa[:DEV]; NULL = the
	 * default (vt_replay_default_sink()). With several output streams a file sink writes
	 * stream N (other than the first) to PATH with "-sN" before the extension. */
	const char *sink_spec;
	/* Tests: sinks to use instead of sink_spec, by stream (the engine takes ownership of
	 * every non-NULL entry, used or not). */
	struct vsnd_sink *sinks[VSND_MAX_STREAMS];
	double speed;              /* <= 0: as fast as possible; X: X times real time */
	int verify;
	int strict_timing;         /* timing differences fail too */
	int stream;                /* < 0: every stream; else only this output stream is played
				    * and has its PCM verified */
	double from_s, to_s;       /* sink window in seconds from session start; to_s < 0 = end */
	uint64_t tolerance_ns;     /* completion time tolerance; 0 = exact */
	uint32_t wait_timeout_ms;  /* causality wait; 0 = 5000 */
	int progress;              /* progress line on stderr (\r-updated) */
	/* 0 (default): with speed <= 0 the replay and the device threads it starts share the
	 * CPU the call begins on (a period is a chain of thread hand-offs, and on a VM a wake-up
	 * across CPUs costs more than the work it triggers); the caller's affinity is restored
	 * on return. 1: leave CPU affinity alone. */
	int all_cpus;
};
void vt_replay_opts_default(struct vt_replay_opts *o);

/* One divergence (protocol or timing). */
struct vt_replay_div {
	uint64_t event_id;  /* recorded event concerned (chain arrival/write/end, sink write) */
	uint64_t t_ns;      /* its recorded time, recorder clock */
	double t_s;         /* seconds from session start */
	int queue;          /* virtqueue, -1 if none */
	int stream;         /* stream, -1 if none */
	char field[40];     /* "status", "used_len", "completion order", "pcm", ... */
	char expected[96];
	char actual[96];
	char what[160];     /* one sentence */
};

struct vt_replay_report {
	int verified;             /* verification was on */
	int default_config;       /* the session had no config: the default was used */
	uint64_t session_ns;      /* last event - session start */
	uint64_t events;          /* recorded events walked */
	uint64_t inputs;          /* inputs injected (chains, driver_ok, resets) */
	uint64_t chains;          /* chains submitted */
	uint64_t completed, discarded;
	uint64_t sink_writes[VSND_MAX_STREAMS];
	uint64_t sink_bytes[VSND_MAX_STREAMS];   /* PCM bytes the device wrote to the tap */
	uint64_t played_bytes[VSND_MAX_STREAMS]; /* of which passed to the host sink (window) */
	uint64_t captured_bytes[VSND_MAX_STREAMS];
	uint64_t pcm_compared[VSND_MAX_STREAMS]; /* bytes compared with the recording */
	uint64_t sink_warnings;   /* the replay's own host sink failed (not a divergence) */
	/* Protocol divergences: the first one, and how many were found (the replay stops at
	 * the first, so 0 or 1 unless verification was off). */
	uint64_t divergences;
	struct vt_replay_div first;
	/* Timing. */
	uint64_t timing_compared;   /* completions whose time was compared */
	uint64_t timing_over;       /* of which beyond tolerance */
	uint64_t timing_max_abs_ns; /* largest |replay - recorded| completion time */
	uint64_t latency_diffs;     /* latency_bytes different from the recording */
	uint64_t timing_issues;     /* timing_over + latency_diffs */
	struct vt_replay_div first_timing;
	uint64_t wall_ns;           /* real time the replay took (not deterministic) */
};

/* Replay the session at path. Returns 0 when the replay ran (check rep->divergences and
 * rep->timing_issues), or a negative code: -VT_E_* when the session cannot be opened or is
 * damaged (the CLI exits 2), -VT_REPLAY_E_*. err gets a sentence on failure. */
int vt_replay_run(const char *path, const struct vt_replay_opts *opts,
		  struct vt_replay_report *rep, char *err, size_t errlen);
/* Same on an open reader (not closed). */
int vt_replay_run_reader(struct vt_reader *r, const struct vt_replay_opts *opts,
			 struct vt_replay_report *rep, char *err, size_t errlen);

/* 1 if the replay failed verification: a protocol divergence, or with strict_timing a timing
 * issue. */
int vt_replay_failed(const struct vt_replay_report *rep, const struct vt_replay_opts *opts);

/* "alsa" if a playback PCM device node exists and opens (/dev/snd/pcmC*D*p), else "null". */
const char *vt_replay_default_sink(void);

/* Print the report: human text (verify summary, first divergence, timing) or one JSON
 * object. Deterministic except for the wall-time line of the text form. */
void vt_replay_print(FILE *f, const char *path, const struct vt_replay_report *rep,
		     const struct vt_replay_opts *opts, int json);

#endif
