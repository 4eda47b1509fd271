/* stats_load.c - fills the analysis model of trace/stats.h from a session database with SQL
 * over the schema of schemas/trace_v1.sql (tables session, chain, chain_end, control, ...). */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/stats.h"
#include "trace/stats_int.h"
#include "vsnd/virtio_snd.h"

struct loader {
	sqlite3 *db;
	struct ts_session *s;
	char *err;
	size_t errlen;
	int filter;
	ts_msg_fn msg_fn; /* receives each TX/RX message (load_msgs) */
	void *msg_ctx;
};

static int fail(struct loader *L, const char *what)
{
	snprintf(L->err, L->errlen, "%s: %s", what, sqlite3_errmsg(L->db));
	return -1;
}

static int oom(struct loader *L)
{
	snprintf(L->err, L->errlen, "out of memory");
	return -1;
}

static int prep(struct loader *L, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(L->db, sql, -1, st, NULL) != SQLITE_OK)
		return fail(L, "query");
	return 0;
}

/* Times, ticks, ids and lengths are clamped to [0, 2^62] so that every difference the
 * statistics take fits in int64_t, whatever a damaged or hostile file holds. */
#define TS_MAX_VALUE ((int64_t)1 << 62)
static int64_t col_t(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);
	return v < 0 ? 0 : v > TS_MAX_VALUE ? TS_MAX_VALUE : v;
}

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* Grows *arr (of elem bytes) so that index `need` fits; returns 0 or -1. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	while (nc <= need)
		nc *= 2;
	void *n = realloc(*arr, nc * elem);
	if (!n)
		return -1;
	*arr = n;
	*cap = nc;
	return 0;
}

static int load_session(struct loader *L)
{
	struct ts_session *s = L->s;
	sqlite3_stmt *st;
	if (prep(L,
		 "SELECT tool_version, schema_version, start_wall, host, guest_cmdline, sink_spec,"
		 " clean_end, timebase_hz, events, bytes, producer_waits, producer_wait_ns"
		 " FROM session WHERE id = 1",
		 &st))
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, s->tool_version, sizeof(s->tool_version));
		s->schema_version = sqlite3_column_int(st, 1);
		col_text(st, 2, s->started, sizeof(s->started));
		col_text(st, 3, s->host, sizeof(s->host));
		col_text(st, 4, s->cmdline, sizeof(s->cmdline));
		col_text(st, 5, s->sink, sizeof(s->sink));
		s->complete = sqlite3_column_int(st, 6) != 0;
		s->timebase_hz = (uint64_t)sqlite3_column_int64(st, 7);
		s->events = (uint64_t)sqlite3_column_int64(st, 8);
		s->bytes = (uint64_t)sqlite3_column_int64(st, 9);
		s->producer_waits = (uint64_t)sqlite3_column_int64(st, 10);
		s->producer_wait_ns = (uint64_t)sqlite3_column_int64(st, 11);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(L, "session");

	/* Event counts and time range from the rows (an incomplete session has no counters
	 * at close): ids follow recording order, so the first and last events are found
	 * through the primary keys without scanning. */
	static const char *const tables[] = {"transport_event", "device_op",  "chain", "chain_io",
					     "chain_end",	"sink_event", "mark"};
	uint64_t nev = 0;
	int64_t first_id = INT64_MAX, last_id = INT64_MIN;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char q[512];
		snprintf(q, sizeof(q),
			 "SELECT count(*), (SELECT id FROM %s ORDER BY id LIMIT 1),"
			 " (SELECT t_ns FROM %s ORDER BY id LIMIT 1),"
			 " (SELECT id FROM %s ORDER BY id DESC LIMIT 1),"
			 " (SELECT t_ns FROM %s ORDER BY id DESC LIMIT 1) FROM %s",
			 tables[i], tables[i], tables[i], tables[i], tables[i]);
		if (prep(L, q, &st))
			return -1;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
			nev += (uint64_t)sqlite3_column_int64(st, 0);
			if (sqlite3_column_int64(st, 1) < first_id) {
				first_id = sqlite3_column_int64(st, 1);
				s->t_first_ns = col_t(st, 2);
			}
			if (sqlite3_column_int64(st, 3) > last_id) {
				last_id = sqlite3_column_int64(st, 3);
				s->t_last_ns = col_t(st, 4);
			}
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return fail(L, tables[i]);
	}
	if (!s->complete || !s->events)
		s->events = nev;
	if (!s->complete || !s->bytes) {
		/* chain_io.len counts every byte copied (PCM included); sink writes whose
		 * bytes were not PCM; config reads */
		if (prep(L,
			 "SELECT (SELECT total(len) FROM chain_io)"
			 " + (SELECT total(length(data)) FROM sink_event)"
			 " + (SELECT total(length(data)) FROM device_op)",
			 &st))
			return -1;
		if (sqlite3_step(st) == SQLITE_ROW)
			s->bytes = (uint64_t)sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
	}
	if (prep(L, "SELECT count(*) FROM chain WHERE malformed != 0", &st))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		s->malformed = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

struct pset {
	uint32_t id;
	int dir;
	uint8_t format, channels;
	uint32_t rate_hz, frame_bytes, period_bytes, buffer_bytes;
	int64_t t;
};

/* Adds parameter set p of its stream unless it equals the stream's current set; the
 * current set then ends where p begins. */
static int add_pset(struct loader *L, const struct pset *p)
{
	struct ts_session *s = L->s;
	size_t last = SIZE_MAX;
	uint32_t nsets = 0;
	for (size_t i = 0; i < s->nstreams; i++)
		if (s->streams[i].stream_id == p->id) {
			last = i;
			nsets++;
		}
	if (last != SIZE_MAX) {
		const struct ts_stream *x = &s->streams[last];
		if (x->format == p->format && x->channels == p->channels &&
		    x->rate_hz == p->rate_hz && x->frame_bytes == p->frame_bytes &&
		    x->period_bytes == p->period_bytes && x->buffer_bytes == p->buffer_bytes)
			return 0;
	}
	struct ts_stream *n = realloc(s->streams, (s->nstreams + 1) * sizeof(*n));
	if (!n)
		return oom(L);
	s->streams = n;
	int64_t from = INT64_MIN;
	if (last != SIZE_MAX) {
		from = p->t > n[last].valid_from_ns ? p->t : n[last].valid_from_ns;
		n[last].valid_to_ns = from;
	}
	n[s->nstreams++] = (struct ts_stream){
	    .stream_id = p->id,
	    .param_set = nsets,
	    .valid_from_ns = from,
	    .valid_to_ns = INT64_MAX,
	    .direction = (uint8_t)(p->dir < 0 ? 0xff : p->dir),
	    .format = p->format,
	    .channels = p->channels,
	    .rate_hz = p->rate_hz,
	    .frame_bytes = p->frame_bytes,
	    .period_bytes = p->period_bytes,
	    .buffer_bytes = p->buffer_bytes,
	    .has_params = 1,
	};
	return 0;
}

/* Streams: every stream with accepted parameters (pcm_params: SET_PARAMS answered OK), one
 * entry per distinct parameter set; a stream without any falls back to its sink opens. */
static int load_streams(struct loader *L)
{
	static const char *const sql[2] = {
	    "SELECT p.stream, c.direction, p.format, p.channels, p.rate_hz, p.frame_bytes,"
	    " p.period_bytes, p.buffer_bytes, p.t_ns FROM pcm_params p"
	    " LEFT JOIN config_stream c ON c.stream_id = p.stream ORDER BY p.chain",
	    "SELECT stream, direction, format, channels, rate_hz, frame_bytes, period_bytes,"
	    " buffer_bytes, t_ns FROM sink_event WHERE kind = 1 ORDER BY id",
	};
	size_t from_params = 0;
	for (int q = 0; q < 2; q++) {
		sqlite3_stmt *st;
		if (prep(L, sql[q], &st))
			return -1;
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);
			if (id < 0 || id > UINT32_MAX || (L->filter >= 0 && L->filter != id))
				continue;
			if (q == 1) { /* sink opens only for streams without SET_PARAMS */
				int seen = 0;
				for (size_t i = 0; i < from_params; i++)
					seen |= L->s->streams[i].stream_id == (uint32_t)id;
				if (seen)
					continue;
			}
			struct pset p = {
			    .id = (uint32_t)id,
			    .dir = sqlite3_column_type(st, 1) == SQLITE_NULL
				       ? -1
				       : sqlite3_column_int(st, 1),
			    .format = (uint8_t)sqlite3_column_int(st, 2),
			    .channels = (uint8_t)sqlite3_column_int(st, 3),
			    .rate_hz = (uint32_t)sqlite3_column_int64(st, 4),
			    .frame_bytes = (uint32_t)sqlite3_column_int64(st, 5),
			    .period_bytes = (uint32_t)sqlite3_column_int64(st, 6),
			    .buffer_bytes = (uint32_t)sqlite3_column_int64(st, 7),
			    .t = col_t(st, 8),
			};
			if (add_pset(L, &p)) {
				sqlite3_finalize(st);
				return -1;
			}
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return fail(L, q ? "sink_event" : "pcm_params");
		if (q == 0)
			from_params = L->s->nstreams;
	}
	return 0;
}

/* One TX/RX chain while loading: the chain row joined with its chain_end and chain_io rows
 * (three scans in chain order merged in C: per-chain subqueries are an order of magnitude
 * slower on large sessions, and nothing is held beyond the current chain). */
struct lmsg {
	int64_t id, t_deq, t_done, done_id, rlen, used_len, sid, pcm_bytes;
	uint64_t seq;
	uint32_t status;
	int queue, completed, have_hdr;
};

/* A chain_end row, and a chain_io row reduced to what a message needs; sorted by chain
 * then row id (the order in which they apply: a later row wins). */
struct erec {
	int64_t chain, id, t_done, used_len, sid;
	uint32_t status;
	int32_t flags; /* ER_* */
};
enum { ER_COMPLETED = 1, ER_SID = 2 };
struct iorec {
	int64_t chain, id, pcm_bytes;
	uint32_t hdr;
	int32_t flags; /* IO_* */
};
enum { IO_HDR = 1, IO_PCM = 2 };

static int cmp_chain_id(const void *a, const void *b)
{
	const int64_t *x = a, *y = b; /* both records start with chain, id */
	if (x[0] != y[0])
		return (x[0] > y[0]) - (x[0] < y[0]);
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Memory of each sort before it spills to a temporary file. */
#define LOAD_CHUNK (1u << 20)

/* Hands one message to the consumer: its stream entry (parameter set applying at its
 * arrival), its frames, the stream's PCM counters and the session's I/O errors. */
static int emit_msg(struct loader *L, const struct lmsg *lm)
{
	struct ts_session *s = L->s;
	if (lm->sid < 0 || lm->sid > UINT32_MAX)
		return 0;
	struct ts_stream *x = ts_session_stream(s, (uint32_t)lm->sid, lm->t_deq);
	if (!x)
		return 0; /* never configured, or filtered out */
	struct ts_msg m = {
	    .chain = (uint64_t)lm->id,
	    .seq = lm->seq,
	    .t_deq_ns = lm->t_deq,
	    .t_done_ns = lm->completed ? lm->t_done : -1,
	    .done_id = lm->completed ? (uint64_t)lm->done_id : 0,
	    .status = lm->status,
	};
	int64_t frames = 0;
	if (x->frame_bytes) {
		frames = lm->pcm_bytes / x->frame_bytes;
		if (!frames) {
			int64_t data = lm->queue == VSND_VQ_TX ? lm->rlen - 4 : lm->used_len - 8;
			if (data > 0)
				frames = data / x->frame_bytes;
		}
	}
	m.frames = (uint32_t)frames;
	x->pcm_bytes += (uint64_t)lm->pcm_bytes;
	if (x->frame_bytes)
		x->pcm_frames += (uint64_t)lm->pcm_bytes / x->frame_bytes;
	if (lm->completed && m.status != VIRTIO_SND_S_OK)
		s->io_errors++;
	if (L->msg_fn(L->msg_ctx, s, x, &m))
		return oom(L);
	return 0;
}

/* TX/RX messages. The stream is the xfer header's stream_id (first le32 the device read at
 * offset 0 of the readable part, else chain_end.stream); a message of unknown stream is
 * skipped. Frames: the PCM bytes stored for it (chain_io.len minus the non-PCM bytes kept in
 * chain_io.data), else the size of its data part (TX: readable bytes after the header; RX:
 * used_len minus status). Several rows for one chain: the later (by id) wins. */
static int load_msgs(struct loader *L)
{
	struct xs ends, ios;
	struct xs_reader re = {0}, ri = {0};
	sqlite3_stmt *st = NULL;
	int rc = -1, src;
	int e1 = xs_init(&ends, sizeof(struct erec), LOAD_CHUNK, cmp_chain_id);
	int e2 = xs_init(&ios, sizeof(struct iorec), LOAD_CHUNK, cmp_chain_id);
	if (e1 || e2)
		goto nomem;

	/* chain_end.stream came later within schema 1: read NULL where it is absent */
	if (sqlite3_prepare_v2(
		L->db, "SELECT chain, t_ns, outcome, used_len, status, id, stream FROM chain_end",
		-1, &st, NULL) != SQLITE_OK &&
	    prep(L, "SELECT chain, t_ns, outcome, used_len, status, id, NULL FROM chain_end", &st))
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct erec e = {
		    .chain = col_t(st, 0),
		    .id = sqlite3_column_int64(st, 5),
		    .t_done = col_t(st, 1),
		    .used_len = col_t(st, 3),
		    .status = (uint32_t)sqlite3_column_int64(st, 4),
		    .flags = sqlite3_column_int(st, 2) == 0 ? ER_COMPLETED : 0,
		};
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			e.sid = sqlite3_column_int64(st, 6);
			e.flags |= ER_SID;
		}
		if (xs_add(&ends, &e))
			goto nomem;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (src != SQLITE_DONE)
		goto sqlfail;

	if (prep(L,
		 "SELECT chain, CASE WHEN off = 0 THEN substr(data, 1, 4) END,"
		 " CASE WHEN pcm IS NOT NULL THEN len - ifnull(length(data), 0) END, id"
		 " FROM chain_io WHERE dir = 0 OR pcm IS NOT NULL",
		 &st))
		goto out;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct iorec r = {.chain = col_t(st, 0), .id = sqlite3_column_int64(st, 3)};
		const unsigned char *h = sqlite3_column_blob(st, 1);
		if (h && sqlite3_column_bytes(st, 1) >= 4) {
			r.hdr = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
				(uint32_t)h[3] << 24;
			r.flags |= IO_HDR;
		}
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			int64_t b = col_t(st, 2);
			r.pcm_bytes = b > UINT32_MAX ? UINT32_MAX : b;
			r.flags |= IO_PCM;
		}
		if (!r.flags)
			continue;
		if (xs_add(&ios, &r))
			goto nomem;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (src != SQLITE_DONE)
		goto sqlfail;
	if (xs_finish(&ends) || xs_finish(&ios) || xs_open(&ends, &re) || xs_open(&ios, &ri))
		goto nomem;

	/* Merge in chain order: each chain takes the rows of its id (a row whose chain is no
	 * TX/RX chain is skipped; several chains clamped to one id: the first takes them). */
	if (prep(L,
		 "SELECT id, queue, seq, t_ns, rlen FROM chain WHERE queue IN (2, 3) ORDER BY id",
		 &st))
		goto out;
	const struct erec *e = xs_next(&re);
	const struct iorec *io = xs_next(&ri);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		struct lmsg m = {
		    .id = col_t(st, 0),
		    .queue = sqlite3_column_int(st, 1),
		    .seq = (uint64_t)sqlite3_column_int64(st, 2),
		    .t_deq = col_t(st, 3),
		    .rlen = col_t(st, 4),
		    .t_done = -1,
		    .sid = -1,
		};
		for (; e && e->chain <= m.id; e = xs_next(&re)) {
			if (e->chain < m.id)
				continue;
			m.completed = (e->flags & ER_COMPLETED) != 0;
			m.t_done = e->t_done;
			m.used_len = e->used_len;
			m.status = e->status;
			m.done_id = e->id < 0 ? 0 : e->id > TS_MAX_VALUE ? TS_MAX_VALUE : e->id;
			if (e->flags & ER_SID)
				m.sid = e->sid; /* the xfer header below wins */
		}
		for (; io && io->chain <= m.id; io = xs_next(&ri)) {
			if (io->chain < m.id)
				continue;
			if (!m.have_hdr && (io->flags & IO_HDR)) {
				m.sid = (int64_t)io->hdr;
				m.have_hdr = 1;
			}
			if (io->flags & IO_PCM)
				m.pcm_bytes += io->pcm_bytes;
		}
		if (emit_msg(L, &m))
			goto out;
	}
	if (src != SQLITE_DONE)
		goto sqlfail;
	if (re.err || ri.err)
		goto nomem;
	rc = 0;
	goto out;
sqlfail:
	fail(L, "chain");
	goto out;
nomem:
	oom(L);
out:
	sqlite3_finalize(st);
	xs_close(&re);
	xs_close(&ri);
	if (!e1)
		xs_free(&ends);
	if (!e2)
		xs_free(&ios);
	return rc;
}

static int add_mark(struct loader *L, size_t *cap, int64_t t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int add_mark(struct loader *L, size_t *cap, int64_t t, const char *fmt, ...)
{
	struct ts_session *s = L->s;
	if (grow((void **)&s->marks, cap, s->nmarks, sizeof(*s->marks)))
		return oom(L);
	struct ts_mark *m = &s->marks[s->nmarks++];
	m->t_ns = t;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->what, sizeof(m->what), fmt, ap);
	va_end(ap);
	return 0;
}

static int cmp_mark(const void *a, const void *b)
{
	const struct ts_mark *x = a, *y = b;
	return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

static int add_run(struct ts_stream *x, size_t *cap, int64_t start)
{
	size_t c = *cap;
	if (grow((void **)&x->run_start, &c, x->nruns, sizeof(int64_t)))
		return -1;
	int64_t *n = realloc(x->run_end, c * sizeof(int64_t));
	if (!n)
		return -1;
	x->run_end = n;
	*cap = c;
	x->run_start[x->nruns] = start;
	x->run_end[x->nruns] = -1;
	x->nruns++;
	return 0;
}

/* Control commands, RUNNING intervals, device resets, sink problems and user marks. */
static int load_control(struct loader *L)
{
	struct ts_session *s = L->s;
	sqlite3_stmt *st;
	size_t cap = 0, mcap = 0;
	size_t *rcaps = calloc(s->nstreams + 1, sizeof(*rcaps));
	if (!rcaps)
		return oom(L);
	/* Control replies and device resets in time order (a reset ends every run). */
	if (prep(L,
		 "SELECT 0, chain, code, target, status, t_dequeued_ns, t_completed_ns, discarded"
		 " FROM control UNION ALL"
		 " SELECT 1, id, NULL, NULL, NULL, t_ns, t_ns, 0 FROM device_op WHERE op = 3"
		 " ORDER BY 7, 2",
		 &st)) {
		free(rcaps);
		return -1;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t tdeq = col_t(st, 5), tdone = col_t(st, 6);
		if (sqlite3_column_int(st, 0) == 1) {
			for (size_t i = 0; i < s->nstreams; i++) {
				struct ts_stream *x = &s->streams[i];
				if (x->nruns && x->run_end[x->nruns - 1] < 0)
					x->run_end[x->nruns - 1] = tdone;
			}
			if (add_mark(L, &mcap, tdone, "device reset"))
				goto nomem;
			continue;
		}
		int discarded = sqlite3_column_int(st, 7);
		uint32_t code = (uint32_t)sqlite3_column_int64(st, 2);
		uint32_t status = (uint32_t)sqlite3_column_int64(st, 4);
		int has_target = sqlite3_column_type(st, 3) != SQLITE_NULL;
		int32_t target = has_target ? (int32_t)sqlite3_column_int64(st, 3) : -1;
		int pcm_cmd = code >= VIRTIO_SND_R_PCM_SET_PARAMS && code <= VIRTIO_SND_R_PCM_STOP;
		if (L->filter >= 0 && pcm_cmd && target != L->filter)
			goto marks;
		if (grow((void **)&s->ctls, &cap, s->nctls, sizeof(*s->ctls)))
			goto nomem;
		struct ts_ctl *c = &s->ctls[s->nctls++];
		c->t_deq_ns = tdeq;
		c->t_done_ns = discarded ? -1 : tdone;
		c->code = code;
		c->stream_id = target;
		c->status = status;
		c->discarded = discarded;
	marks:
		if (discarded)
			continue;
		if (pcm_cmd ? add_mark(L, &mcap, tdone, "%s %s (stream %d)", ts_code_name(code),
				       ts_status_name(status), target)
			    : add_mark(L, &mcap, tdone, "%s %s", ts_code_name(code),
				       ts_status_name(status)))
			goto nomem;
		if (!pcm_cmd || status != VIRTIO_SND_S_OK || target < 0)
			continue;
		if (code == VIRTIO_SND_R_PCM_START) {
			struct ts_stream *x = ts_session_stream(s, (uint32_t)target, tdone);
			if (x && !(x->nruns && x->run_end[x->nruns - 1] < 0) &&
			    add_run(x, &rcaps[x - s->streams], tdone))
				goto nomem;
		} else if (code == VIRTIO_SND_R_PCM_STOP || code == VIRTIO_SND_R_PCM_RELEASE) {
			for (size_t i = 0; i < s->nstreams; i++) {
				struct ts_stream *x = &s->streams[i];
				if (x->stream_id == (uint32_t)target && x->nruns &&
				    x->run_end[x->nruns - 1] < 0)
					x->run_end[x->nruns - 1] = tdeq;
			}
		}
	}
	sqlite3_finalize(st);
	free(rcaps);
	rcaps = NULL;
	if (rc != SQLITE_DONE)
		return fail(L, "control");
	for (size_t i = 0; i < s->nstreams; i++) {
		struct ts_stream *x = &s->streams[i];
		if (x->nruns && x->run_end[x->nruns - 1] < 0)
			x->run_end[x->nruns - 1] = s->t_last_ns;
	}

	size_t ecap = 0;
	if (prep(L,
		 "SELECT t_ns, stream, kind, rc, msg FROM sink_event WHERE kind >= 5 ORDER BY id",
		 &st))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int32_t sid = (int32_t)sqlite3_column_int64(st, 1);
		int kind = sqlite3_column_int(st, 2);
		int64_t t = col_t(st, 0);
		const char *kn = kind == 5 ? "underrun" : kind == 6 ? "xrun" : "sink error";
		if (add_mark(L, &mcap, t, "%s (stream %d)", kn, sid))
			goto nomem;
		if (L->filter >= 0 && sid != L->filter)
			continue;
		if (grow((void **)&s->sinkevs, &ecap, s->nsinkevs, sizeof(*s->sinkevs)))
			goto nomem;
		struct ts_sinkev *e = &s->sinkevs[s->nsinkevs++];
		memset(e, 0, sizeof(*e));
		e->t_ns = t;
		e->stream_id = sid;
		e->kind = kind == 5 ? TS_EV_UNDERRUN : kind == 6 ? TS_EV_XRUN : TS_EV_ERROR;
		col_text(st, 4, e->msg, sizeof(e->msg));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(L, "sink_event");

	if (prep(L, "SELECT t_ns, text FROM mark ORDER BY id", &st))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);
		if (add_mark(L, &mcap, col_t(st, 0), "mark \"%s\"", t ? (const char *)t : ""))
			goto nomem;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(L, "mark");
	if (s->nmarks > 1)
		qsort(s->marks, s->nmarks, sizeof(*s->marks), cmp_mark);
	return 0;
nomem:
	sqlite3_finalize(st);
	free(rcaps);
	return oom(L);
}

/* Pairs (host ns, guest ticks) from chain arrivals, for the guest clock drift. */
static int load_guest_time(struct loader *L)
{
	struct ts_session *s = L->s;
	sqlite3_stmt *st;
	size_t cap = 0, cap2 = 0;
	if (prep(L, "SELECT t_ns, ticks FROM chain WHERE ticks > 0 ORDER BY id", &st))
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&s->gt_host_ns, &cap, s->ngt, sizeof(int64_t)) ||
		    grow((void **)&s->gt_ticks, &cap2, s->ngt, sizeof(int64_t))) {
			sqlite3_finalize(st);
			return oom(L);
		}
		s->gt_host_ns[s->ngt] = col_t(st, 0);
		s->gt_ticks[s->ngt] = col_t(st, 1);
		s->ngt++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(L, "chain ticks");
	return 0;
}

int ts_load_parts(struct sqlite3 *db, int stream_filter, struct ts_session *out, ts_msg_fn fn,
		  void *ctx, int guest_pairs, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct loader L = {.db = db,
			   .s = out,
			   .err = err,
			   .errlen = errlen,
			   .filter = stream_filter,
			   .msg_fn = fn,
			   .msg_ctx = ctx};
	int rc = load_session(&L) || load_streams(&L) || load_msgs(&L) || load_control(&L) ||
		 (guest_pairs && load_guest_time(&L));
	if (rc) {
		ts_session_free(out);
		return -1;
	}
	return 0;
}

/* In-memory model: each message appended to its stream (caps: allocated entries). */
struct append_ctx {
	size_t *caps;
	size_t ncaps;
};

static int append_msg(void *ctx, struct ts_session *s, struct ts_stream *x, const struct ts_msg *m)
{
	struct append_ctx *a = ctx;
	size_t idx = (size_t)(x - s->streams);
	if (idx >= a->ncaps) {
		size_t *n = realloc(a->caps, s->nstreams * sizeof(*n));
		if (!n)
			return -1;
		memset(n + a->ncaps, 0, (s->nstreams - a->ncaps) * sizeof(*n));
		a->caps = n;
		a->ncaps = s->nstreams;
	}
	if (grow((void **)&x->msgs, &a->caps[idx], x->nmsgs, sizeof(*x->msgs)))
		return -1;
	x->msgs[x->nmsgs++] = *m;
	return 0;
}

static int cmp_msg(const void *a, const void *b)
{
	const struct ts_msg *x = a, *y = b;
	int xd = x->t_done_ns >= 0, yd = y->t_done_ns >= 0;
	if (xd != yd)
		return yd - xd; /* completed first */
	if (xd && x->t_done_ns != y->t_done_ns)
		return (x->t_done_ns > y->t_done_ns) - (x->t_done_ns < y->t_done_ns);
	return (x->chain > y->chain) - (x->chain < y->chain);
}

int ts_load(struct sqlite3 *db, int stream_filter, struct ts_session *out, char *err, size_t errlen)
{
	/* One read transaction: every query sees the same snapshot, also while a recorder is
	 * still writing the session (WAL). Without it (already inside one) each query does. */
	int txn = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == 0;
	struct append_ctx a = {0};
	int rc = ts_load_parts(db, stream_filter, out, append_msg, &a, 1, err, errlen);
	free(a.caps);
	if (txn)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc)
		return -1;
	for (size_t i = 0; i < out->nstreams; i++)
		if (out->streams[i].nmsgs > 1)
			qsort(out->streams[i].msgs, out->streams[i].nmsgs, sizeof(struct ts_msg),
			      cmp_msg);
	return 0;
}
