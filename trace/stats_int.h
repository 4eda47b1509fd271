/* stats_int.h - internals shared by the stats loader (stats_load.c) and the bounded-memory
 * analysis straight from a trace (stats_scan.c); not an interface for other parts. */
#ifndef TRACE_STATS_INT_H
#define TRACE_STATS_INT_H

#include <stdio.h>

#include "trace/stats.h"

/* Receives one TX/RX message of stream entry x (x->pcm_bytes, pcm_frames and s->io_errors
 * already count it; x->nmsgs is the receiver's to maintain). Returns 0, or -1 (out of
 * memory: the load stops). */
typedef int (*ts_msg_fn)(void *ctx, struct ts_session *s, struct ts_stream *x,
			 const struct ts_msg *m);

/* ts_load without the transaction and without holding messages: the metadata, streams,
 * controls, runs, sink events and marks are loaded into *out (msgs stay NULL), messages go
 * to fn in chain order, and guest time pairs are loaded only when guest_pairs is set.
 * Returns 0, or -1 with a message (then *out is freed). */
int ts_load_parts(struct sqlite3 *db, int stream_filter, struct ts_session *out, ts_msg_fn fn,
		  void *ctx, int guest_pairs, char *err, size_t errlen);

/* A stall [a, b) of a stream with nominal period period_ns: fills *st, naming the last mark
 * at or before the moment it became one, which it returns (*best_t: that mark's time, or
 * INT64_MIN). ts_stall_offer then gives, for each stream entry o in order, o's last
 * completion at or before that moment, if any (struct ts_stall: the latest wins). */
int64_t ts_stall_init(struct ts_stall *st, const struct ts_session *sess, int64_t a, int64_t b,
		      double period_ns, int64_t *best_t);
void ts_stall_offer(struct ts_stall *st, int64_t *best_t, const struct ts_stream *o, int64_t t_done,
		    uint64_t chain);
/* Counts the sink problems of entry ss->s into ss. */
/* Seconds from the START of the run of s that holds t_last to t_last (0 if none does). */
double ts_run_wall_s(const struct ts_stream *s, int64_t t_last);
void ts_count_sinkevs(const struct ts_session *sess, struct ts_stream_stats *ss);
/* Fills out->ctl, nctl and invalid_requests from the session's control requests. Returns
 * 0, or -1 on allocation failure (the caller frees *out). */
int ts_compute_ctl(const struct ts_session *sess, struct ts_stats *out);

/* ---- External sort (stats_sort.c) ---- */

/* Fixed-size records sorted by cmp in memory bounded by chunk_bytes plus, when reading, 32
 * small run buffers: whatever exceeds one chunk is spilled, sorted, to a temporary file
 * (where none can be created, the chunk grows in memory instead). */
struct xs_run {
	uint64_t off;
	size_t n;
};
struct xs {
	size_t rec, cap, nbuf, n; /* record size, records per chunk, in the chunk, in total */
	int (*cmp)(const void *, const void *);
	unsigned char *buf;
	FILE *f;    /* NULL while everything fits in buf */
	int nofile; /* tmpfile() failed: buf grows instead */
	uint64_t end;
	struct xs_run *runs;
	size_t nruns, runcap;
};
struct xs_cur;
/* A sorted read of all records; several may be open on one finished sort at once. */
struct xs_reader {
	struct xs *x;
	struct xs_cur *cur;
	size_t ncur, *heap, nheap, mpos;
	unsigned char *out;
	int err; /* a read failed: xs_next returned NULL early */
};
int xs_init(struct xs *x, size_t rec, size_t chunk_bytes, int (*cmp)(const void *, const void *));
int xs_add(struct xs *x, const void *r); /* 0, or -1 (memory, temporary file) */
int xs_finish(struct xs *x);		 /* after the last xs_add; 0 or -1 */
int xs_open(struct xs *x, struct xs_reader *r);
const void *xs_next(struct xs_reader *r); /* the next record in order, or NULL at the end */
void xs_close(struct xs_reader *r);
void xs_free(struct xs *x);

#endif
