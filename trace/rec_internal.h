/* rec_internal.h - private to the recorder: the recorder instance, the in-memory ring's
 * record layouts shared by the producer side (recorder.c) and the writer thread (writer.c). */
#ifndef VT_REC_INTERNAL_H
#define VT_REC_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "trace/recorder.h"
#include "trace/tsclock.h"

/* Ring protocol (multi-producer, single consumer, bounded in bytes):
 * - head/tail are absolute byte positions; a producer reserves [h, h+need) with a CAS on
 *   head, where need includes a pad record up to the ring end when the record would wrap.
 * - Every record starts with struct rec_hdr, is 8-byte aligned, and becomes visible when
 *   its size word is stored (release) non-zero. A pad record has type REC_PAD.
 * - The writer processes records in position order, zeroes the bytes it consumed (so stale
 *   bytes never look like a committed record) and then advances tail (release). */
enum rec_type {
	REC_PAD = 0,
	REC_TRANSPORT,
	REC_DEVOP,
	REC_CHAIN,
	REC_IO,
	REC_END,
	REC_SINK,
	REC_MARK,
	REC_INFO,
	REC_SYNC,
};

struct rec_hdr {
	uint32_t size; /* total bytes of the record; written last */
	uint16_t type;
	uint16_t flags;
	uint64_t t_ns;
	uint64_t ticks;
};

struct rec_transport { struct vmmio_event ev; };
struct rec_devop { uint32_t op, off, len, dlen; };            /* + dlen bytes */
struct rec_chain {
	uint64_t no, seq;
	uint32_t rlen, wlen, ndescs;
	uint16_t queue, head;
	uint32_t malformed;
};                                                            /* + ndescs struct vsnd_desc */
struct rec_io { uint64_t no; uint32_t dir, off, req_len, len; }; /* + len bytes */
struct rec_end { uint64_t no; uint32_t outcome, used_len; };
struct rec_sink {
	uint32_t stream, kind;
	int32_t rc;
	uint32_t bytes;
	uint64_t duration_ns, stream_offset;
	struct vsnd_pcm_params params;
	uint32_t dlen;
	uint32_t pad;
};                                                            /* + dlen bytes */
struct rec_mark { uint32_t dlen, pad; };                      /* + dlen bytes */
struct rec_info { struct vt_info_copy *info; };
struct rec_sync { uint64_t token; };

/* Device op codes (device_op.op) and sink event kinds (sink_event.kind) as stored. */
enum { DEVOP_CONFIG_READ = 1, DEVOP_DRIVER_OK = 2, DEVOP_RESET = 3 };
enum { SEV_OPEN = 1, SEV_WRITE, SEV_READ, SEV_CLOSE, SEV_UNDERRUN, SEV_XRUN, SEV_ERROR };

/* A heap copy of vt_session_info handed to the writer through the ring. */
struct vt_info_copy {
	char *tool_version, *host, *guest_cmdline, *kernel, *initrd, *scenario, *sink_spec,
		*notes;
	uint64_t timebase_hz;
	int has_config;
	struct vsnd_config config;
};

/* Writer sleep states (vt_recorder.writer_sleeping). The writer sleeps on wcv and wakes
 * without help every commit_ms while a transaction is open or events flowed in the last
 * commit_ms (WS_TIMED); producers wake it only when the ring passes wake_fill. When nothing
 * flowed for a whole interval it sleeps without a timeout (WS_IDLE) and the first record
 * published after that wakes it. Sync, close, failure and space waits set `kick`. */
enum { WS_AWAKE = 0, WS_TIMED = 1, WS_IDLE = 2 };

struct vt_writer; /* writer-thread state, writer.c */

struct vt_dev_wrap;
struct vt_clock_wrap;

struct vt_recorder {
	/* Ring. */
	uint8_t *buf;
	uint64_t cap, mask, max_rec;
	uint64_t head __attribute__((aligned(64)));  /* producers (CAS) */
	uint64_t tail_cache;      /* producers: a recent tail (never ahead of the real one) */
	uint64_t tail __attribute__((aligned(64)));  /* writer (release) */
	int state __attribute__((aligned(64)));       /* 0 recording, 1 failed, 2 closed */
	struct vsnd_clock *clock;
	uint64_t wake_fill;       /* ring bytes in use above which a producer wakes the writer */
	int writer_sleeping;      /* WS_*: how the writer sleeps (producers read it per event) */
	int space_waiters;

	pthread_mutex_t mu;       /* guards the condition variables below */
	pthread_cond_t wcv;       /* wakes the writer */
	pthread_cond_t pcv;       /* wakes producers waiting for space */
	pthread_cond_t scv;       /* wakes vt_recorder_sync() */
	int stop;                 /* close requested */
	int kick;                 /* under mu: sync/close/failure/space wait want the writer now */
	uint64_t sync_next;       /* tokens for vt_recorder_sync */
	uint64_t sync_done;
	uint64_t producer_waits, producer_wait_ns; /* under mu */
	int failed_reported;      /* under mu */
	char error[256];          /* under mu */

	int refs;                 /* atomic: owner + sink wrappers + live chain wrappers */
	struct vt_dev_wrap *devs; /* freed at close */
	struct vt_clock_wrap *clocks;

	/* Config. */
	uint32_t commit_ms, commit_events;
	uint64_t max_db_bytes;
	void (*on_error)(void *ctx, const char *msg);
	void *err_ctx;
	uint64_t chain_no;        /* atomic: next chain number */

	/* Writer side. */
	sqlite3 *db;
	pthread_t thread;
	int thread_started;
	struct vt_writer *w;
	uint64_t w_events, w_rows, w_bytes, w_commits; /* atomic reads by stats */
	uint64_t w_wakeups;       /* times the writer woke from a sleep (atomic reads by stats) */
	uint64_t w_cpu_ns;        /* the writer thread's CPU time, stored as it exits */

	/* The default clock's time source (clock == &vsnd_clock_monotonic): the TSC mapped to
	 * CLOCK_MONOTONIC ns where that is safe, else clock_gettime (trace/tsclock.h). Read by
	 * producers; refreshed by the writer thread only. On its own cache lines. */
	struct vt_tsclock tsc __attribute__((aligned(64)));
};

/* Timestamp of the recorder's clock now (the same scale as every record's t_ns). */
static inline uint64_t vt_rec_now(struct vt_recorder *r)
{
	struct vsnd_clock *c = r->clock;
	if (c == &vsnd_clock_monotonic)
		return vt_tsclock_now(&r->tsc);
	return c->ops->now_ns(c);
}

/* writer.c */
int vt_writer_init(struct vt_recorder *r, char *err, size_t errlen);
void *vt_writer_main(void *arg);
void vt_writer_fini(struct vt_recorder *r);
/* Record the error once (callback or stderr) and stop recording. Any thread. */
void vt_recorder_fail(struct vt_recorder *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vt_info_copy_free(struct vt_info_copy *c);

/* Bytes of one sample of a VIRTIO_SND_PCM_FMT_* format in memory (0 if not PCM-linear). */

#define REC_ALIGN(x) (((x) + 7u) & ~(uint64_t)7u)

#endif
