/* recorder.h - the SQLite session recorder: shims on the device's seams (transport observer,
 * device ops, chains, sinks) that log every event to a vsndtrace database (schemas/trace_v1.sql). */
#ifndef VT_RECORDER_H
#define VT_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "vsnd/chain.h"
#include "vsnd/clock.h"
#include "vsnd/sink.h"
#include "vsnd/snd.h"
#include "vsnd/virtio_mmio.h"

/* Version of the schema this recorder writes (PRAGMA user_version of the database). */
#define VT_SCHEMA_VERSION 1
/* PRAGMA application_id of every vsndtrace session database ('vsnd'). */
#define VT_APPLICATION_ID 0x76736e64

/* How the recorder works (the device does not know it is recorded):
 * - Producers (the vCPU thread, device threads) append fixed-layout records to a bounded
 *   in-memory byte ring (no lock, no system call, no malloc in the normal case; only a
 *   wrapped chain costs one small allocation). The ring is reserved at open and its pages
 *   fault in as they are first used (at most queue_bytes resident). A single writer thread
 *   drains it into SQLite with prepared statements in batched transactions (WAL,
 *   synchronous=NORMAL, 4 KiB pages), committing at least every commit_ms (measured from
 *   when the ring was last seen empty) or commit_events. The writer sleeps when the ring is
 *   empty: while events flow it wakes once per commit_ms; after an interval with nothing it
 *   sleeps until the next event (a producer then wakes it, once). Producers also wake it
 *   when the ring is a quarter full. The session row's counters (events, bytes,
 *   producer_waits, ...) are refreshed about once a second and exact at close.
 * - If the ring is full the producer waits for space; each wait and its duration are counted
 *   and stored in the session row (producer_waits, producer_wait_ns).
 * - On a database error (disk full, I/O error, busy, out of memory) the error is reported
 *   once (on_error, or one line on stderr), recording stops, the session is marked
 *   truncated as far as the database still allows, and every shim keeps passing calls
 *   through to the device/sink without recording and without blocking.
 * - A SIGKILL loses at most the last uncommitted batch; the session row is written at open
 *   with clean_end = 0 and set to 1 by vt_recorder_close(). A session is complete when
 *   clean_end = 1 and truncated = 0.
 * - Per producer thread, events keep their order; across threads, the order is the order
 *   in which they entered the ring (event ids follow it).
 * Timestamps on every event: t_ns = the recorder's clock now_ns() (the host CLOCK_MONOTONIC
 * by default, read through the TSC where that is safe: within microseconds of it, see
 * trace/tsclock.h), ticks = that clock's guest_ticks() (the guest timer counter, 0 if none). */

struct vt_recorder;

/* Process set-up for a program that records or reads traces: call first in main(), before any
 * thread starts and before any other SQLite call (sqlite3_config() is process-wide and not
 * thread-safe). Turns off SQLite's memory statistics, which take a global mutex around every
 * allocation: about 10 % of the writer thread's CPU (bench/README.md). Nothing here uses
 * them. Calling it late is harmless (SQLite then keeps its default). */
void vt_sqlite_process_init(void);

/* Default commit interval. Each wake-up and commit of the writer has a fixed cost (cold
 * caches, WAL locks, the right edges of every b-tree rewritten): at 1 s it is a quarter of
 * the CPU of 100 ms commits (bench/README.md). Live readers see events up to ~1 s late; a
 * SIGKILL loses at most the last ~1 s. */
#define VT_RECORDER_COMMIT_MS 1000

struct vt_recorder_opts {
	size_t queue_bytes;      /* ring size in bytes; 0 = 16 MiB (rounded up to a power of 2) */
	uint32_t commit_ms;      /* commit at least this often while events flow; 0 =
	                          * VT_RECORDER_COMMIT_MS */
	uint32_t commit_events;  /* ... or after this many events; 0 = 65536 */
	struct vsnd_clock *clock; /* time source for t_ns/ticks; NULL = vsnd_clock_monotonic */
	/* Called once, from any thread, when recording stops on an error. NULL = one stderr line
	 * "vsndtrace: recording stopped: <reason>". */
	void (*on_error)(void *ctx, const char *msg);
	void *err_ctx;
	/* Stop recording (truncated, reported like a full disk) when the database would grow
	 * beyond this many bytes; 0 = no limit. */
	uint64_t max_db_bytes;
};

/* Create the database at path, write the schema and the session row (clean_end = 0), start
 * the writer thread. An existing vsndtrace session (or empty file) at path is replaced; any
 * other existing file is left alone and the call fails. opts may be NULL (all defaults).
 * Returns 0, or -1 with a message in err (nothing created that needs freeing). */
int vt_recorder_open(const char *path, const struct vt_recorder_opts *opts,
		     struct vt_recorder **out, char *err, size_t errlen);

/* Session metadata. Every pointer may be NULL (column left NULL / unchanged); strings are
 * copied. Call any time before vt_recorder_close(), typically right after open; calling it
 * again overwrites the non-NULL fields. The device configuration is stored in the
 * config_stream / config_jack / config_chmap tables. */
struct vt_session_info {
	const char *tool_version;   /* e.g. "vsndtrace 0.1" */
	const char *host;           /* NULL = gethostname() + uname, filled at open */
	const char *guest_cmdline;  /* kernel command line given to the guest */
	const char *kernel;         /* kernel image path */
	const char *initrd;         /* initramfs path */
	const char *scenario;       /* scenario name, play file, ... free text */
	const char *sink_spec;      /* e.g. "wav:out.wav" */
	const char *notes;          /* free text */
	uint64_t timebase_hz;       /* guest timer ticks per second; 0 = leave unchanged */
	const struct vsnd_config *config; /* device configuration; NULL = leave unchanged */
};
void vt_recorder_set_session_info(struct vt_recorder *r, const struct vt_session_info *info);

/* Replace the clock used for timestamps (e.g. semu's clock whose guest_ticks() reads the
 * guest timer). Call before events flow; the clock must outlive the recorder. */
void vt_recorder_set_clock(struct vt_recorder *r, struct vsnd_clock *clk);

/* (a) Transport observer: pass to vmmio_set_observer(). Records every vmmio_event. */
struct vmmio_observer vt_recorder_observer(struct vt_recorder *r);

/* (b) Device wrapper: returns an ops table (and in *wrapped_dev the device pointer to go with
 * it) that records config reads, DRIVER_OK, resets and every chain, then calls inner.
 * Each chain handed to inner->chain() is a recording chain: its read/write/complete/discard
 * record offsets, bytes and times, then call the original chain's ops. Plug it in with
 * vmmio_new(ops, *wrapped_dev, ...) or vmmio_set_device(t, ops, *wrapped_dev). The wrapper
 * lives until vt_recorder_close() (which must come after the transport is freed).
 * Returns NULL on allocation failure. One wrapper per recorder (a second call returns a new,
 * independent wrapper; both are freed at close). */
const struct vmmio_device_ops *vt_recorder_wrap_device(struct vt_recorder *r,
							const struct vmmio_device_ops *inner,
							void *inner_dev, void **wrapped_dev);

/* The same chain wrapping, for a supplier that calls the device directly (replay, tests):
 * returns a chain that records and forwards to c (which it then owns). Records the chain's
 * arrival (queue, head, seq, descriptors) now. NULL on allocation failure (then c is
 * returned unwrapped). */
struct vsnd_chain *vt_recorder_wrap_chain(struct vt_recorder *r, struct vsnd_chain *c);

/* (c) Sink wrapper: returns a sink that records open (with parameters), every write (bytes,
 * time, duration, return value; the bytes are stored once, see pcm/sink_event in the
 * schema), every read (capture data), close, and underrun/xrun/error reports, then forwards
 * to inner. Takes ownership of inner: destroying the wrapper destroys inner. The wrapper's
 * own report hook is chained: whatever the caller later stores in the wrapper's
 * report/report_ctx is still called after recording. stream_id is the device stream this
 * sink serves. Returns NULL on allocation failure (inner is then NOT consumed).
 * May be destroyed before or after vt_recorder_close(); after close it records nothing. */
struct vsnd_sink *vt_recorder_wrap_sink(struct vt_recorder *r, struct vsnd_sink *inner,
					uint32_t stream_id);

/* (d) Clock wrapper: a clock that forwards to inner and also becomes the recorder's
 * timestamp source (same as vt_recorder_set_clock(r, inner) and returning inner's ops
 * behind a recorder-owned object). Freed at close. NULL on allocation failure. */
struct vsnd_clock *vt_recorder_wrap_clock(struct vt_recorder *r, struct vsnd_clock *inner);

/* A free-text marker event (e.g. "aplay started"), stored in the mark table. */
void vt_recorder_mark(struct vt_recorder *r, const char *text);

/* Live counters (approximate while recording). */
struct vt_recorder_stats {
	uint64_t events;          /* events accepted by producers */
	uint64_t rows;            /* rows inserted by the writer */
	uint64_t bytes;           /* payload bytes accepted (PCM and other data) */
	uint64_t producer_waits;  /* times a producer found the ring full */
	uint64_t producer_wait_ns;
	uint64_t commits;
	uint64_t writer_wakeups;  /* times the writer thread woke from a sleep: about two per
	                           * commit interval while events flow */
	uint64_t writer_cpu_ns;   /* CPU time the writer thread has used (SQLite work, commits) */
	int truncated;            /* recording stopped on an error */
};
void vt_recorder_get_stats(struct vt_recorder *r, struct vt_recorder_stats *st);

/* Wait until every event accepted so far is committed (for tests and progress displays).
 * Returns 0, or -1 if recording has stopped on an error. */
int vt_recorder_sync(struct vt_recorder *r);

/* Final flush, session row updated (ended, counters, clean_end = 1 unless truncated), writer
 * thread joined, database closed, wrappers freed. Sink wrappers still alive become plain
 * pass-throughs. Call after the transport and the device are freed (or at least quiescent).
 * Returns 0, or -1 if the session could not be completed (the error was reported). */
int vt_recorder_close(struct vt_recorder *r);
/* The same, also filling *final (if not NULL) with the statistics as of the end: every event
 * written, the writer thread's whole CPU time. */
int vt_recorder_close_stats(struct vt_recorder *r, struct vt_recorder_stats *final);

/* Interrupted recordings: a SIGINT handler should make the main loop call
 * vt_recorder_close() (not call it from the handler). A SIGKILL leaves clean_end = 0 and
 * everything committed so far. */

#endif
