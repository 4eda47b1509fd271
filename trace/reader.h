/* reader.h - opening a recorded vsndtrace session for replay, stats, export and info:
 * validation (vsndtrace? version? intact?), session metadata, device config, events in order. */
#ifndef VT_READER_H
#define VT_READER_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "vsnd/chain.h"
#include "vsnd/sink.h"
#include "vsnd/snd.h"
#include "vsnd/virtio_mmio.h"

/* Error codes (functions return 0 or the negated code). The CLI exits 2 on any of them when
 * opening a session. vt_strerror() gives a short phrase; the err buffer of vt_reader_open()
 * gets a full sentence naming the file (and both versions for VT_E_VERSION). */
enum vt_err {
	VT_OK = 0,
	VT_E_OPEN = 1,      /* cannot open the file (missing, permission, a directory) */
	VT_E_EMPTY = 2,     /* zero-length file, or an SQLite database with no tables */
	VT_E_NOTDB = 3,     /* not an SQLite database (bad header) */
	VT_E_FOREIGN = 4,   /* an SQLite database, but not a vsndtrace session */
	VT_E_VERSION = 5,   /* a vsndtrace session of a schema version this build cannot read */
	VT_E_CORRUPT = 6,   /* damaged: truncated, malformed pages, integrity check failed */
	VT_E_IO = 7,        /* read error while reading */
	VT_E_NOMEM = 8,
	VT_E_ARG = 9,       /* bad argument (NULL path, ...) */
};
const char *vt_strerror(int code); /* accepts code or -code */

/* Oldest and newest schema versions this reader reads. */
#define VT_READER_MIN_VERSION 1
#define VT_READER_MAX_VERSION 1

/* A reader, with its connection and iterators, is used by one thread at a time (any thread,
 * e.g. replay's loader thread while the engine waits); two threads that read at once each
 * open their own. */
struct vt_reader;

/* Flags for vt_reader_open(). */
#define VT_READER_INTEGRITY 1u /* run PRAGMA integrity_check on everything (slow, thorough) */
#define VT_READER_NO_CHECK 2u  /* skip the page check (headers and schema are still checked) */
/* Default page check: PRAGMA quick_check of the whole file up to this size; above it, of the
 * metadata tables only, so that opening a big session stays fast. */
#define VT_READER_CHECK_ALL_BYTES (64ull << 20)

/* Open path read-only and validate it: the file (exists, not empty, SQLite header, not
 * shorter than its header says), application_id, the meta table, user_version in
 * [VT_READER_MIN_VERSION, VT_READER_MAX_VERSION], the tables, the session row, and the page
 * check chosen by flags. Works while a recorder is writing (WAL): the reader sees what was
 * committed when each query starts. Never crashes on a bad file; damage found later by a
 * query is reported by that call as -VT_E_CORRUPT.
 * Returns 0 or -VT_E_*, with a message in err on failure. */
int vt_reader_open(const char *path, unsigned flags, struct vt_reader **out, char *err,
		   size_t errlen);
void vt_reader_close(struct vt_reader *r);

/* The underlying connection (read-only), for analyses written in SQL (stats, export). Do not
 * close it. See schemas/trace_v1.sql for tables and views. */
sqlite3 *vt_reader_db(struct vt_reader *r);

/* Session metadata (the session row and config tables). Strings are never NULL ("" if
 * unknown). Valid until vt_reader_close(). */
struct vt_session {
	int schema_version;
	const char *tool_version, *host, *guest_cmdline, *kernel, *initrd, *scenario, *sink_spec,
		*notes;
	const char *error;       /* recorder error message, "" if none */
	int64_t start_wall_ns;   /* wall clock (Unix epoch ns) at open */
	int64_t end_wall_ns;     /* at close; 0 if the session did not end cleanly */
	uint64_t start_ns;       /* recorder clock t_ns at open */
	uint64_t start_ticks;
	uint64_t timebase_hz;    /* guest ticks per second; 0 if unknown */
	int clean_end;           /* 1: vt_recorder_close() completed the session */
	int truncated;           /* 1: recording stopped early on an error */
	uint64_t events, bytes, producer_waits, producer_wait_ns; /* recorder counters at close */
	int has_config;          /* 0 if the recorder never got a device config */
	struct vsnd_config config;
	/* Computed from the rows present (valid for incomplete sessions too): */
	uint64_t nevents;        /* number of events in the timeline */
	uint64_t first_t_ns, last_t_ns; /* t_ns of first and last event (0 if none) */
};
const struct vt_session *vt_reader_session(struct vt_reader *r);

/* One event of the timeline, in recording order (ascending id). */
enum vt_ev_kind {
	VT_EV_TRANSPORT = 1,  /* u.transport: a vmmio_event as the transport reported it */
	VT_EV_CONFIG_READ,    /* u.cfg: device config space read; data = bytes returned */
	VT_EV_DRIVER_OK,      /* the device's driver_ok op was called */
	VT_EV_DEVICE_RESET,   /* the device's reset op was called */
	VT_EV_CHAIN,          /* u.chain: a chain handed to the device (chain = this event id) */
	VT_EV_CHAIN_READ,     /* u.io: device read from a chain; data = all bytes returned */
	VT_EV_CHAIN_WRITE,    /* u.io: device wrote to a chain; data = all bytes it wrote */
	VT_EV_CHAIN_COMPLETE, /* u.end: chain returned with used_len */
	VT_EV_CHAIN_DISCARD,  /* chain dropped without return (reset) */
	VT_EV_SINK_OPEN,      /* u.open: sink opened with params; rc */
	VT_EV_SINK_WRITE,     /* u.sio: PCM handed to an output sink; data = the bytes */
	VT_EV_SINK_READ,      /* u.sio: PCM taken from an input source; data = the bytes */
	VT_EV_SINK_CLOSE,     /* sink closed */
	VT_EV_SINK_REPORT,    /* u.report: underrun/xrun/error reported; text = message */
	VT_EV_MARK,           /* text = marker text */
};
const char *vt_ev_kind_name(enum vt_ev_kind k);

struct vt_event {
	uint64_t id;        /* event id: global recording order, unique in the session */
	uint64_t t_ns;      /* recorder clock (host CLOCK_MONOTONIC in semu) */
	uint64_t ticks;     /* guest timer ticks at the event */
	enum vt_ev_kind kind;
	uint64_t chain;     /* chain events: id of the VT_EV_CHAIN event of that chain */
	uint32_t stream;    /* sink events; UINT32_MAX when not applicable */
	union {
		struct vmmio_event transport;
		struct { uint32_t off, len; } cfg;
		struct {
			uint64_t seq;            /* supplier's chain->seq */
			uint16_t queue, head;
			uint32_t rlen, wlen;
			int malformed;
			uint32_t ndescs;
			const struct vsnd_desc *descs; /* valid until the next vt_iter_next() */
		} chain;
		struct {
			uint32_t off;      /* offset within the readable / writable part */
			uint32_t req_len;  /* bytes the device asked for */
			uint32_t len;      /* bytes actually copied (= data_len) */
			uint64_t pcm;      /* id of the pcm row holding part of these bytes, 0 if none */
		} io;
		struct { uint32_t used_len; } end;
		struct { struct vsnd_pcm_params params; int rc; } open;
		struct {
			uint32_t bytes;          /* requested = data_len */
			int rc;                  /* sink's return value */
			uint64_t duration_ns;    /* how long the sink call took */
			uint64_t stream_offset;  /* bytes of this stream before this call */
		} sio;
		struct { int ev; int err; } report; /* ev: enum vsnd_sink_event */
	} u;
	const uint8_t *data;  /* bytes (see kinds); valid until the next vt_iter_next() */
	uint32_t data_len;
	const char *text;     /* VT_EV_SINK_REPORT, VT_EV_MARK; "" otherwise */
};

struct vt_iter;
/* Iterate all events in order. Several iterators may be open on one reader. */
int vt_iter_open(struct vt_reader *r, struct vt_iter **out);
/* Returns 1 with *ev filled, 0 at the end, or -VT_E_* (then vt_reader_errmsg() says why). */
int vt_iter_next(struct vt_iter *it, struct vt_event *ev);
void vt_iter_close(struct vt_iter *it);

/* PCM batches of one stream in order (the pcm table): for export and verification. */
struct vt_pcm {
	uint64_t id;            /* = id of the chain read/write event that carried it */
	uint64_t chain;         /* chain id */
	uint32_t stream;
	uint8_t direction;      /* VIRTIO_SND_D_OUTPUT / INPUT */
	uint64_t seq;           /* 0, 1, 2 ... per stream */
	uint64_t stream_offset; /* bytes of this stream before this batch */
	uint32_t bytes;
	int64_t frames;         /* -1 if the stream's frame size was unknown */
	uint64_t t_ns, ticks;   /* when the device read (TX) / wrote (RX) the bytes */
	const uint8_t *data;    /* valid during the callback */
};
/* Calls cb for every pcm row of stream (UINT32_MAX = all streams) in (stream, seq) order; a
 * non-zero return from cb stops and is returned. Returns 0 or -VT_E_*. */
int vt_reader_pcm(struct vt_reader *r, uint32_t stream,
		  int (*cb)(void *ctx, const struct vt_pcm *p), void *ctx);

/* Last error message of this reader (after a failed call). */
const char *vt_reader_errmsg(struct vt_reader *r);

#endif
