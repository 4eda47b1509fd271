/* stats.h - timing analysis of a recorded session (issue 6): the in-memory model loaded by
 * SQL from a trace, and the statistics computed from it (rates, drift, jitter, stalls...). */
#ifndef TRACE_STATS_H
#define TRACE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "trace/statmath.h"

/* ---- Model: what the loader (SQL over the trace) fills in ---------------------------- */

/* One I/O message (TX or RX) of a stream, in completion order. */
struct ts_msg {
	uint64_t chain;	   /* chain.id in the trace (the arrival event's id) */
	uint64_t seq;	   /* chain sequence number (vsnd_chain.seq) */
	int64_t t_deq_ns;  /* host time the device took it from the ring */
	int64_t t_done_ns; /* host time the device completed it; -1 if never completed */
	uint64_t done_id;  /* event id of the completion (0 if unknown: then times order) */
	uint32_t frames;   /* PCM frames it carried (TX) or returned (RX) */
	uint32_t status;   /* virtio_snd_pcm_status.status written back (0 if unknown) */
};

/* One control request, in dequeue order. */
struct ts_ctl {
	int64_t t_deq_ns, t_done_ns; /* t_done_ns = -1 if never completed */
	uint32_t code;		     /* VIRTIO_SND_R_* */
	int32_t stream_id;	     /* stream or jack id; -1 when the request has none */
	uint32_t status;	     /* VIRTIO_SND_S_*; 0 if none was written */
	int discarded;		     /* dropped at a device reset (not an invalid request) */
};

/* A problem a sink reported (sink_event kinds 5..7): underrun, ALSA xrun, error. */
enum ts_sink_kind { TS_EV_UNDERRUN = 1, TS_EV_XRUN = 2, TS_EV_ERROR = 3 };
struct ts_sinkev {
	int64_t t_ns;
	int32_t stream_id;
	int kind; /* enum ts_sink_kind */
	char msg[96];
};

/* A recorded event other than an I/O completion, reduced to what "after which event" needs
 * (see ts_stall): control replies, sink problems, device resets, user marks. */
struct ts_mark {
	int64_t t_ns;
	char what[64]; /* e.g. "PCM_START OK (stream 0)", "underrun (stream 0)", "device reset" */
};

/* One stream under one parameter set. A stream re-configured with different parameters
 * (format, channels, rate, period or buffer size) gets one entry per set, in order; the
 * set applies to I/O arriving and runs starting in [valid_from_ns, valid_to_ns). */
struct ts_stream {
	uint32_t stream_id;
	uint32_t param_set;		    /* 0, 1, ... among the entries of this stream_id */
	int64_t valid_from_ns, valid_to_ns; /* INT64_MIN / INT64_MAX when open-ended */
	uint8_t direction;		    /* VIRTIO_SND_D_* */
	uint8_t format;			    /* VIRTIO_SND_PCM_FMT_* */
	uint8_t channels;
	uint32_t rate_hz;
	uint32_t frame_bytes, period_bytes, buffer_bytes;
	int has_params; /* a SET_PARAMS was answered OK */

	struct ts_msg *msgs; /* completed ones first, by t_done_ns; then uncompleted */
	size_t nmsgs;
	/* RUNNING intervals [start, end): from the reply to an OK START to the dequeue of the
	 * next OK STOP or RELEASE of the stream or a device reset (or to the last event of the
	 * session when none follows). A completion at exactly `end` is outside the run. */
	int64_t *run_start, *run_end;
	size_t nruns;
	uint64_t pcm_frames; /* frames in the stream's recorded PCM batches */
	uint64_t pcm_bytes;
};

struct ts_session {
	/* metadata (empty strings when the trace does not say) */
	char tool_version[64], started[64], host[128], cmdline[512], sink[128];
	int complete; /* 1 ended cleanly, 0 incomplete */
	int schema_version;
	uint64_t timebase_hz;	       /* guest timer frequency; 0 if unknown */
	uint64_t events;	       /* events recorded (all kinds) */
	uint64_t bytes;		       /* bytes recorded (blobs: request, response, PCM) */
	uint64_t producer_waits;       /* times the audio path waited on a full recorder queue */
	uint64_t producer_wait_ns;     /* total time of those waits (0 if not recorded) */
	int64_t t_first_ns, t_last_ns; /* first and last event host times */

	/* guest time against host time: pairs (host ns, guest ticks) of events */
	int64_t *gt_host_ns, *gt_ticks;
	size_t ngt;

	struct ts_stream *streams;
	size_t nstreams;
	struct ts_ctl *ctls;
	size_t nctls;
	struct ts_sinkev *sinkevs;
	size_t nsinkevs;
	struct ts_mark *marks; /* sorted by t_ns */
	size_t nmarks;
	uint64_t io_errors; /* I/O messages completed with a status other than OK */
	uint64_t malformed; /* chains flagged malformed */
};

/* ---- Results ------------------------------------------------------------------------ */

/* A stall (issue 6): while the stream was RUNNING, an interval longer than two periods
 * during which no new TX message arrived. start = the arrival of the last TX message before
 * the gap (or the START that began the run); end = the next arrival (or the end of the
 * run). `after` names the last recorded event at or before start + 2 periods, the moment
 * the stall became one: an I/O completion of any stream, a control reply, a sink problem,
 * a device reset or a user mark. */
struct ts_stall {
	int64_t start_ns, end_ns;
	char after[64];
};

/* One per-completion row of the time series (`--csv`, plot, chrome export). */
struct ts_point {
	uint64_t seq;	     /* 0, 1, 2 ... completions of this stream while RUNNING */
	uint64_t chain;	     /* chain.id of the message */
	int64_t t_ns;	     /* completion time */
	int64_t interval_ns; /* since the previous completion in the same run; -1 for the first */
	uint32_t fill;	     /* messages the device still held right after this completion
			      * (arrivals before it in recording order, when ids are known) */
	uint64_t frames;     /* cumulative frames completed in RUNNING so far */
	int64_t latency_ns;  /* dequeued -> completed */
};

struct ts_stream_stats {
	const struct ts_stream *s;
	double period_ns;	  /* nominal: period_bytes / frame_bytes / rate */
	uint64_t frames;	  /* frames of messages completed while RUNNING */
	double nominal_s, wall_s; /* frames / rate; sum over runs of (last completion - START) */
	/* pooled per-run least squares of frames over time: rate, drift, fit quality and the
	 * standard error of the drift (NAN with too few points) */
	double eff_rate_hz, drift_ppm, fit_r2, drift_se_ppm;
	int have_fit;
	struct stm_summary interval;   /* completion intervals within a run */
	struct stm_jitter jitter;      /* intervals against period_ns */
	struct stm_summary latency;    /* dequeued -> completed, all completed messages */
	uint32_t depth_min, depth_max; /* device-held messages, sampled at each completion */
	double depth_mean;
	uint32_t *prebuffered; /* held messages at each OK START, in order */
	size_t nstarts;
	struct ts_stall *stalls;
	size_t nstalls;
	size_t underruns, xruns, errors;
	struct ts_point *points; /* completions inside RUNNING, in time order */
	size_t npoints;
};

/* Per control code: count, statuses, latency. */
struct ts_ctl_stats {
	uint32_t code;
	size_t count, ok, bad_msg, not_supp, io_err, other;
	struct stm_summary latency;
};

struct ts_stats {
	const struct ts_session *sess;
	struct ts_stream_stats *streams; /* parallel to sess->streams */
	size_t nstreams;
	struct ts_ctl_stats *ctl; /* sorted by code */
	size_t nctl;
	uint64_t invalid_requests; /* control replies not OK + malformed chains */
	double duration_s;	   /* t_last - t_first */
	int have_guest_fit;
	double guest_hz, guest_drift_ppm; /* measured guest timer rate, drift vs timebase_hz */
};

/* Computes everything from a loaded session. Returns 0, or -1 on allocation failure. */
int ts_compute(const struct ts_session *sess, struct ts_stats *out);
void ts_stats_free(struct ts_stats *st);

/* Session model helpers (the loader and tests build sessions with these). */
void ts_session_free(struct ts_session *s);
/* Finds the entry of stream_id whose parameter set applies at time t; NULL if absent. */
struct ts_stream *ts_session_stream(struct ts_session *s, uint32_t stream_id, int64_t t);
/* 1 if a sink event of stream `sid` at time t belongs to entry x. */
int ts_stream_owns(const struct ts_stream *x, int32_t sid, int64_t t);

/* Names for output: "PCM_SET_PARAMS", "OK", "S16", ... (never NULL). */
const char *ts_code_name(uint32_t code);
const char *ts_status_name(uint32_t status);

/* ---- Loader: SQL over a trace ------------------------------------------------------- */

struct sqlite3;
/* Loads the session in `db` (opened and validated by the caller through trace/reader.h).
 * With stream_filter >= 0 only that stream is kept. Returns 0, or -1 with a message. */
int ts_load(struct sqlite3 *db, int stream_filter, struct ts_session *out, char *err,
	    size_t errlen);

/* ---- Bounded memory: statistics straight from a trace (`vsndtrace stats`) ----------- */

struct ts_scan_ops {
	/* Called once the session model is loaded, before any statistic; nonzero stops the
	 * scan (ts_scan then returns 1). May be NULL. */
	int (*begin)(void *ctx, const struct ts_session *sess);
	/* Each point of the time series as it is computed: stream entry by entry, each in
	 * time order (the rows of `--csv`). May be NULL. */
	void (*point)(void *ctx, const struct ts_stream_stats *ss, const struct ts_point *p);
};

/* ts_load + ts_compute without holding per-message data: arrival and completion times,
 * ids, intervals and latencies go through external sorts (trace/stats_sort.c: chunks of at
 * most 1 MiB in memory, the rest in temporary files) and are read back in the orders the
 * statistics need. Memory grows with the streams, runs, control requests, sink problems
 * and stalls (what the output lists), not with the number of periods. Every result equals
 * ts_compute's on ts_load's model, bit for bit; but sess->streams[].msgs,
 * st->streams[].points and sess->gt_* stay NULL (nmsgs and npoints are counts). Returns 0
 * (the caller frees *st, then *sess), 1 when ops->begin stopped it (*sess loaded, *st
 * empty), or -1 with a message (both freed). */
int ts_scan(struct sqlite3 *db, int stream_filter, const struct ts_scan_ops *ops, void *ctx,
	    struct ts_session *sess, struct ts_stats *st, char *err, size_t errlen);

#endif
