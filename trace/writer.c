/* writer.c - the recorder's writer thread: drains the ring into SQLite with prepared
 * statements in batched WAL transactions, and derives control/pcm/event rows from chain I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "trace/rec_internal.h"
#include "trace/schema.h"
#include "vsnd/virtio_snd.h"

#define NSLOTS 65          /* per-stream state: ids 0..63, 64 = any other id */
#define NBUCKETS 4096      /* in-flight chains hash */
#define CTL_MAX (1u << 20) /* control request/response bytes kept for decoding */
#define FIFO_MAX (16u << 20) /* unmatched TX PCM kept to de-duplicate sink writes */
#define DB_PAGE_SIZE 4096     /* database page size */
#define WAL_CHECKPOINT_PAGES 8192 /* 32 MiB of WAL between checkpoints */
#define CACHE_KIB 2048     /* SQLite page cache: the right edges of the b-trees */
#define PREFAULT_AHEAD (1u << 20) /* ring bytes kept populated ahead of the producers */
#define CALIBRATE_NS 60000000u /* longest sleep before the TSC clock's first calibration */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23     /* Linux 5.14 */
#endif
#define STR(x) #x
#define XSTR(x) STR(x)

enum {
	S_TRANSPORT, S_DEVOP, S_CHAIN, S_DESC, S_IO, S_END, S_PCM, S_CONTROL, S_PARAMS, S_VQEV,
	S_SINK, S_MARK, S_STATS, S_BEGIN, S_COMMIT, NSTMT
};

static const char *const stmt_sql[NSTMT] = {
	[S_TRANSPORT] = "INSERT INTO transport_event VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[S_DEVOP] = "INSERT INTO device_op VALUES (?,?,?,?,?,?,?)",
	[S_CHAIN] = "INSERT INTO chain VALUES (?,?,?,?,?,?,?,?,?,?)",
	[S_DESC] = "INSERT INTO descriptor VALUES (?,?,?,?,?,?)",
	[S_IO] = "INSERT INTO chain_io VALUES (?,?,?,?,?,?,?,?,?,?)",
	[S_END] = "INSERT INTO chain_end VALUES (?,?,?,?,?,?,?,?,?)",
	[S_PCM] = "INSERT INTO pcm VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_CONTROL] = "INSERT INTO control VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_PARAMS] = "INSERT INTO pcm_params VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[S_VQEV] = "INSERT INTO vq_event VALUES (?,?,?,?,?)",
	[S_SINK] = ("INSERT INTO sink_event (id, t_ns, ticks, stream, kind, rc, bytes, duration_ns,"
		    " stream_offset, pcm_offset, data, direction, format, channels, rate, rate_hz,"
		    " frame_bytes, period_bytes, buffer_bytes, msg)"
		    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
	[S_MARK] = "INSERT INTO mark VALUES (?,?,?,?)",
	[S_STATS] = ("UPDATE session SET events = ?, bytes = ?, producer_waits = ?,"
		     " producer_wait_ns = ? WHERE id = 1"),
	[S_BEGIN] = "BEGIN",
	[S_COMMIT] = "COMMIT",
};

struct wstream {
	uint64_t pcm_seq, pcm_off;  /* next pcm row's seq and stream_offset */
	uint32_t frame_bytes;       /* 0 = unknown */
	int sink_active;            /* a recorded sink was opened for this stream */
	uint8_t *fifo;              /* TX PCM not yet matched by a sink write */
	size_t fcap, fstart, flen;
	uint64_t foff;              /* pcm stream offset of fifo[fstart] */
};

struct wchain {
	uint64_t no, id, t_ns, ticks;
	uint16_t queue;
	uint32_t rlen, wlen;
	uint32_t stream;
	uint8_t hdr[4], hdr_mask;   /* xfer header bytes seen (tx/rx) */
	uint8_t st[8], st_mask;     /* pcm_status bytes written (tx/rx) */
	uint8_t *req, *resp;        /* control / event bytes */
	uint32_t req_len, resp_len, req_cap, resp_cap;
	struct wchain *next;
};

struct vt_writer {
	sqlite3_stmt *st[NSTMT];
	struct wchain *buckets[NBUCKETS];
	struct wstream streams[NSLOTS];
	uint64_t next_id;
	int in_txn;
	int unreachable; /* a clean-up statement found the database locked: skip the rest */
	uint64_t txn_start;
	uint64_t empty_ns;          /* the ring was empty then: later records arrived after it */
	uint64_t stats_ns;          /* when the session row's counters were last stored */
	uint64_t faulted;           /* ring bytes [0, faulted) are populated */
	uint32_t txn_events;
	uint8_t *scratch;
	size_t scratch_cap;
	uint64_t events, bytes;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct wstream *slot(struct vt_writer *w, uint32_t stream)
{
	return &w->streams[stream < NSLOTS - 1 ? stream : NSLOTS - 1];
}

/* ---- statements ------------------------------------------------------------------------ */

/* Step a bound statement and reset it. Returns 0, or -1 after vt_recorder_fail(). */
static int run(struct vt_recorder *r, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	/* Statements with optional columns start from NULLs again. */
	if (sqlite3_bind_parameter_count(s) > 0 && s != r->w->st[S_TRANSPORT] &&
	    s != r->w->st[S_DESC] && s != r->w->st[S_CHAIN] && s != r->w->st[S_MARK])
		sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		vt_recorder_fail(r, "database write failed: %s (%s)", sqlite3_errstr(rc),
				 sqlite3_errmsg(r->db));
		return -1;
	}
	__atomic_add_fetch(&r->w_rows, 1, __ATOMIC_RELAXED);
	return 0;
}

static void bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

static void bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
	sqlite3_bind_blob64(s, i, n ? p : "", n, SQLITE_STATIC);
}

static int begin_txn(struct vt_recorder *r)
{
	struct vt_writer *w = r->w;
	if (w->in_txn)
		return 0;
	int rc = sqlite3_step(w->st[S_BEGIN]);
	sqlite3_reset(w->st[S_BEGIN]);
	if (rc != SQLITE_DONE) {
		vt_recorder_fail(r, "cannot begin a transaction: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	w->in_txn = 1;
	w->txn_start = w->empty_ns; /* no record in the transaction is older than this */
	w->txn_events = 0;
	return 0;
}

static void store_stats(struct vt_recorder *r)
{
	struct vt_writer *w = r->w;
	sqlite3_stmt *s = w->st[S_STATS];
	pthread_mutex_lock(&r->mu);
	uint64_t waits = r->producer_waits, wait_ns = r->producer_wait_ns;
	pthread_mutex_unlock(&r->mu);
	bind_u64(s, 1, w->events);
	bind_u64(s, 2, w->bytes);
	bind_u64(s, 3, waits);
	bind_u64(s, 4, wait_ns);
	run(r, s);
}

/* Commit the open transaction. The session row's counters are refreshed with it when
 * `stats` is set or a second has passed since they were (they are exact at close). */
static int commit_txn(struct vt_recorder *r, int stats)
{
	struct vt_writer *w = r->w;
	if (!w->in_txn)
		return 0;
	uint64_t now = mono_ns();
	if (stats || now - w->stats_ns >= 1000000000u) {
		w->stats_ns = now;
		store_stats(r);
	}
	int rc = sqlite3_step(w->st[S_COMMIT]);
	sqlite3_reset(w->st[S_COMMIT]);
	if (rc != SQLITE_DONE) {
		vt_recorder_fail(r, "commit failed: %s (%s)", sqlite3_errstr(rc),
				 sqlite3_errmsg(r->db));
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		w->in_txn = 0;
		return -1;
	}
	w->in_txn = 0;
	__atomic_add_fetch(&r->w_commits, 1, __ATOMIC_RELAXED);
	return 0;
}

/* ---- chains ---------------------------------------------------------------------------- */

static struct wchain **chain_slot(struct vt_writer *w, uint64_t no)
{
	struct wchain **pp = &w->buckets[no % NBUCKETS];
	while (*pp && (*pp)->no != no)
		pp = &(*pp)->next;
	return pp;
}

static void chain_free(struct wchain *c)
{
	free(c->req);
	free(c->resp);
	free(c);
}

/* Copy bytes at offset off into a growable buffer capped at CTL_MAX. */
static void keep_bytes(uint8_t **buf, uint32_t *len, uint32_t *cap, uint32_t off,
		       const uint8_t *p, uint32_t n)
{
	if (off >= CTL_MAX)
		return;
	if (n > CTL_MAX - off)
		n = CTL_MAX - off;
	uint32_t end = off + n;
	if (end > *cap) {
		uint32_t nc = *cap ? *cap : 64;
		while (nc < end)
			nc *= 2;
		uint8_t *nb = realloc(*buf, nc);
		if (!nb)
			return;
		memset(nb + *cap, 0, nc - *cap);
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + off, p, n);
	if (end > *len)
		*len = end;
}

/* Keep the bytes of [off, off+n) that fall in the window [base, base+size) into dst. */
static void keep_window(uint8_t *dst, uint8_t *mask, uint32_t base, uint32_t size,
			uint32_t off, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < size; i++) {
		uint64_t at = (uint64_t)base + i;
		if (at >= off && at < (uint64_t)off + n) {
			dst[i] = p[at - off];
			*mask |= (uint8_t)(1u << i);
		}
	}
}

static void fifo_push(struct wstream *s, const uint8_t *p, size_t n)
{
	if (s->flen + n > FIFO_MAX) {
		/* Never matched: forget the oldest bytes (those sink writes keep their data). */
		size_t drop = s->flen + n - FIFO_MAX;
		if (drop > s->flen)
			drop = s->flen;
		s->fstart += drop;
		s->flen -= drop;
		s->foff += drop;
		if (n > FIFO_MAX) {
			s->foff += n - FIFO_MAX;
			p += n - FIFO_MAX;
			n = FIFO_MAX;
		}
	}
	if (s->fstart + s->flen + n > s->fcap) {
		if (s->fstart) {
			memmove(s->fifo, s->fifo + s->fstart, s->flen);
			s->fstart = 0;
		}
		if (s->flen + n > s->fcap) {
			size_t nc = s->fcap ? s->fcap : 65536;
			while (nc < s->flen + n)
				nc *= 2;
			uint8_t *nb = realloc(s->fifo, nc);
			if (!nb) {
				s->foff += s->flen + n;
				s->flen = 0;
				return;
			}
			s->fifo = nb;
			s->fcap = nc;
		}
	}
	memcpy(s->fifo + s->fstart + s->flen, p, n);
	s->flen += n;
}

static void fifo_clear(struct wstream *s)
{
	s->foff += s->flen;
	s->fstart = 0;
	s->flen = 0;
}

static void *scratch(struct vt_writer *w, size_t n)
{
	if (n > w->scratch_cap) {
		uint8_t *nb = realloc(w->scratch, n);
		if (!nb)
			return NULL;
		w->scratch = nb;
		w->scratch_cap = n;
	}
	return w->scratch;
}

static int do_chain(struct vt_recorder *r, const struct rec_hdr *hd, uint64_t id)
{
	struct vt_writer *w = r->w;
	const struct rec_chain *b = (const void *)(hd + 1);
	const struct vsnd_desc *d = (const void *)(b + 1);
	struct wchain *c = calloc(1, sizeof(*c));
	if (!c) {
		vt_recorder_fail(r, "out of memory in the recorder thread");
		return -1;
	}
	c->no = b->no;
	c->id = id;
	c->t_ns = hd->t_ns;
	c->ticks = hd->ticks;
	c->queue = b->queue;
	c->rlen = b->rlen;
	c->wlen = b->wlen;
	c->stream = UINT32_MAX;
	struct wchain **pp = chain_slot(w, c->no);
	if (*pp) { /* a supplier reused a number: the old one is gone */
		struct wchain *old = *pp;
		*pp = old->next;
		chain_free(old);
		pp = chain_slot(w, c->no);
	}
	c->next = *pp;
	*pp = c;

	sqlite3_stmt *s = w->st[S_CHAIN];
	bind_u64(s, 1, id);
	bind_u64(s, 2, hd->t_ns);
	bind_u64(s, 3, hd->ticks);
	sqlite3_bind_int(s, 4, b->queue);
	sqlite3_bind_int(s, 5, b->head);
	bind_u64(s, 6, b->seq);
	bind_u64(s, 7, b->rlen);
	bind_u64(s, 8, b->wlen);
	sqlite3_bind_int(s, 9, b->malformed ? 1 : 0);
	bind_u64(s, 10, b->ndescs);
	if (run(r, s))
		return -1;
	s = w->st[S_DESC];
	for (uint32_t i = 0; i < b->ndescs; i++) {
		bind_u64(s, 1, id);
		bind_u64(s, 2, i);
		bind_u64(s, 3, d[i].addr);
		bind_u64(s, 4, d[i].len);
		sqlite3_bind_int(s, 5, d[i].flags);
		sqlite3_bind_int(s, 6, d[i].next);
		if (run(r, s))
			return -1;
	}
	return 0;
}

static int do_io(struct vt_recorder *r, const struct rec_hdr *hd, uint64_t id)
{
	struct vt_writer *w = r->w;
	const struct rec_io *b = (const void *)(hd + 1);
	const uint8_t *data = (const uint8_t *)(b + 1);
	struct wchain *c = *chain_slot(w, b->no);
	uint64_t chain_id = c ? c->id : 0;
	uint64_t ps = 0, pe = 0; /* PCM part of [off, off+len) */
	int dir_out = 0;

	if (c) {
		uint32_t q = c->queue;
		if (b->dir == 0 && (q == VSND_VQ_TX || q == VSND_VQ_RX) && c->hdr_mask != 0xf) {
			keep_window(c->hdr, &c->hdr_mask, 0, 4, b->off, data, b->len);
			if (c->hdr_mask == 0xf)
				c->stream = le32(c->hdr);
		}
		if (b->dir == 1 && q == VSND_VQ_TX)
			keep_window(c->st, &c->st_mask, 0, 8, b->off, data, b->len);
		if (b->dir == 1 && q == VSND_VQ_RX && c->wlen >= 8)
			keep_window(c->st, &c->st_mask, c->wlen - 8, 8, b->off, data, b->len);
		if (q == VSND_VQ_CONTROL || q == VSND_VQ_EVENT) {
			if (b->dir == 0)
				keep_bytes(&c->req, &c->req_len, &c->req_cap, b->off, data, b->len);
			else
				keep_bytes(&c->resp, &c->resp_len, &c->resp_cap, b->off, data,
					   b->len);
		}
		uint64_t lo = 0, hi = 0;
		if (q == VSND_VQ_TX && b->dir == 0) {
			lo = 4;
			hi = c->rlen;
		} else if (q == VSND_VQ_RX && b->dir == 1 && c->wlen > 8) {
			lo = 0;
			hi = c->wlen - 8;
			dir_out = 1;
		}
		ps = b->off > lo ? b->off : lo;
		pe = (uint64_t)b->off + b->len < hi ? (uint64_t)b->off + b->len : hi;
		if (pe < ps)
			pe = ps;
	}

	const uint8_t *io_data = data;
	uint64_t io_len = b->len;
	if (pe > ps) {
		struct wstream *st = slot(w, c->stream);
		uint64_t n = pe - ps;
		const uint8_t *pdata = data + (ps - b->off);
		sqlite3_stmt *s = w->st[S_PCM];
		bind_u64(s, 1, id);
		bind_u64(s, 2, chain_id);
		if (c->stream != UINT32_MAX)
			bind_u64(s, 3, c->stream);
		sqlite3_bind_int(s, 4, dir_out);
		bind_u64(s, 5, st->pcm_seq);
		bind_u64(s, 6, st->pcm_off);
		bind_u64(s, 7, ps);
		bind_u64(s, 8, n);
		if (st->frame_bytes)
			bind_u64(s, 9, n / st->frame_bytes);
		bind_u64(s, 10, hd->t_ns);
		bind_u64(s, 11, hd->ticks);
		bind_blob(s, 12, pdata, n);
		if (run(r, s))
			return -1;
		if (!dir_out && st->sink_active) {
			if (st->flen == 0)
				st->foff = st->pcm_off;
			fifo_push(st, pdata, n);
		}
		st->pcm_seq++;
		st->pcm_off += n;
		/* chain_io keeps the bytes around the PCM part. */
		uint64_t pre = ps - b->off, post = (uint64_t)b->off + b->len - pe;
		io_len = pre + post;
		if (post == 0) {
			io_data = data;
		} else if (pre == 0) {
			io_data = data + (pe - b->off);
		} else {
			uint8_t *sc = scratch(w, io_len);
			if (!sc) {
				vt_recorder_fail(r, "out of memory in the recorder thread");
				return -1;
			}
			memcpy(sc, data, pre);
			memcpy(sc + pre, data + (pe - b->off), post);
			io_data = sc;
		}
	}
	sqlite3_stmt *s = w->st[S_IO];
	bind_u64(s, 1, id);
	bind_u64(s, 2, chain_id);
	bind_u64(s, 3, hd->t_ns);
	bind_u64(s, 4, hd->ticks);
	sqlite3_bind_int(s, 5, (int)b->dir);
	bind_u64(s, 6, b->off);
	bind_u64(s, 7, b->req_len);
	bind_u64(s, 8, b->len);
	bind_blob(s, 9, io_data, io_len);
	if (pe > ps)
		bind_u64(s, 10, id);
	return run(r, s);
}

static int do_control(struct vt_recorder *r, struct wchain *c, const struct rec_hdr *hd,
		      const struct rec_end *b, int have_status, uint32_t status)
{
	struct vt_writer *w = r->w;
	sqlite3_stmt *s = w->st[S_CONTROL];
	uint32_t code = c->req_len >= 4 ? le32(c->req) : 0;
	bind_u64(s, 1, c->id);
	if (c->req_len >= 4)
		bind_u64(s, 2, code);
	if (c->req_len >= 8)
		bind_u64(s, 3, le32(c->req + 4));
	if (c->req_len >= 12 && (code == VIRTIO_SND_R_JACK_INFO || code == VIRTIO_SND_R_PCM_INFO ||
				 code == VIRTIO_SND_R_CHMAP_INFO))
		bind_u64(s, 4, le32(c->req + 8));
	bind_blob(s, 5, c->req, c->req_len);
	bind_blob(s, 6, c->resp, c->resp_len);
	if (have_status)
		bind_u64(s, 7, status);
	if (b->outcome == 0)
		bind_u64(s, 8, b->used_len);
	bind_u64(s, 9, c->t_ns);
	bind_u64(s, 10, c->ticks);
	bind_u64(s, 11, hd->t_ns);
	bind_u64(s, 12, hd->ticks);
	sqlite3_bind_int(s, 13, b->outcome != 0);
	if (run(r, s))
		return -1;
	if (code == VIRTIO_SND_R_PCM_SET_PARAMS && c->req_len >= 24 && have_status &&
	    status == VIRTIO_SND_S_OK && b->outcome == 0) {
		struct virtio_snd_pcm_set_params p;
		memcpy(&p, c->req, sizeof(p));
		uint32_t fb = vsnd_format_bytes(p.format) * p.channels;
		uint32_t hz = vsnd_rate_hz(p.rate);
		s = w->st[S_PARAMS];
		bind_u64(s, 1, c->id);
		bind_u64(s, 2, p.stream_id);
		bind_u64(s, 3, p.buffer_bytes);
		bind_u64(s, 4, p.period_bytes);
		bind_u64(s, 5, p.features);
		sqlite3_bind_int(s, 6, p.channels);
		sqlite3_bind_int(s, 7, p.format);
		sqlite3_bind_int(s, 8, p.rate);
		if (hz)
			bind_u64(s, 9, hz);
		if (fb)
			bind_u64(s, 10, fb);
		bind_u64(s, 11, hd->t_ns);
		if (run(r, s))
			return -1;
		slot(w, p.stream_id)->frame_bytes = fb;
	}
	return 0;
}

static int do_end(struct vt_recorder *r, const struct rec_hdr *hd, uint64_t id)
{
	struct vt_writer *w = r->w;
	const struct rec_end *b = (const void *)(hd + 1);
	struct wchain **pp = chain_slot(w, b->no);
	struct wchain *c = *pp;
	int have_status = 0, have_lat = 0;
	uint32_t status = 0, lat = 0;
	if (c) {
		*pp = c->next;
		if ((c->queue == VSND_VQ_TX || c->queue == VSND_VQ_RX)) {
			if ((c->st_mask & 0x0f) == 0x0f) {
				have_status = 1;
				status = le32(c->st);
			}
			if ((c->st_mask & 0xf0) == 0xf0) {
				have_lat = 1;
				lat = le32(c->st + 4);
			}
		} else if (c->resp_len >= 4) {
			have_status = 1;
			status = le32(c->resp);
		}
	}
	sqlite3_stmt *s = w->st[S_END];
	bind_u64(s, 1, id);
	bind_u64(s, 2, c ? c->id : 0);
	bind_u64(s, 3, hd->t_ns);
	bind_u64(s, 4, hd->ticks);
	sqlite3_bind_int(s, 5, (int)b->outcome);
	if (b->outcome == 0)
		bind_u64(s, 6, b->used_len);
	if (have_status)
		bind_u64(s, 7, status);
	if (have_lat)
		bind_u64(s, 8, lat);
	if (c && c->stream != UINT32_MAX)
		bind_u64(s, 9, c->stream);
	int rc = run(r, s);
	if (!rc && c && c->queue == VSND_VQ_CONTROL)
		rc = do_control(r, c, hd, b, have_status, status);
	if (!rc && c && c->queue == VSND_VQ_EVENT && b->outcome == 0 && c->resp_len >= 8) {
		s = w->st[S_VQEV];
		bind_u64(s, 1, c->id);
		bind_u64(s, 2, le32(c->resp));
		bind_u64(s, 3, le32(c->resp + 4));
		bind_u64(s, 4, hd->t_ns);
		bind_u64(s, 5, hd->ticks);
		rc = run(r, s);
	}
	if (c)
		chain_free(c);
	return rc;
}

static int do_sink(struct vt_recorder *r, const struct rec_hdr *hd, uint64_t id)
{
	struct vt_writer *w = r->w;
	const struct rec_sink *b = (const void *)(hd + 1);
	const uint8_t *data = (const uint8_t *)(b + 1);
	struct wstream *st = slot(w, b->stream);
	sqlite3_stmt *s = w->st[S_SINK];
	bind_u64(s, 1, id);
	bind_u64(s, 2, hd->t_ns);
	bind_u64(s, 3, hd->ticks);
	bind_u64(s, 4, b->stream);
	sqlite3_bind_int(s, 5, (int)b->kind);
	switch (b->kind) {
	case SEV_OPEN: {
		const struct vsnd_pcm_params *p = &b->params;
		sqlite3_bind_int(s, 6, b->rc);
		bind_u64(s, 8, b->duration_ns);
		sqlite3_bind_int(s, 12, p->direction);
		sqlite3_bind_int(s, 13, p->format);
		sqlite3_bind_int(s, 14, p->channels);
		sqlite3_bind_int(s, 15, p->rate_index);
		bind_u64(s, 16, p->rate_hz);
		bind_u64(s, 17, p->frame_bytes);
		bind_u64(s, 18, p->period_bytes);
		bind_u64(s, 19, p->buffer_bytes);
		if (b->rc == 0) {
			st->sink_active = 1;
			if (p->frame_bytes)
				st->frame_bytes = p->frame_bytes;
		}
		break;
	}
	case SEV_WRITE:
	case SEV_READ: {
		sqlite3_bind_int(s, 6, b->rc);
		bind_u64(s, 7, b->bytes);
		bind_u64(s, 8, b->duration_ns);
		bind_u64(s, 9, b->stream_offset);
		int same = 0;
		if (b->kind == SEV_WRITE && !(hd->flags & 1) && b->dlen && st->flen >= b->dlen &&
		    memcmp(st->fifo + st->fstart, data, b->dlen) == 0) {
			same = 1;
			bind_u64(s, 10, st->foff);
			st->fstart += b->dlen;
			st->flen -= b->dlen;
			st->foff += b->dlen;
			if (st->flen == 0)
				st->fstart = 0;
		}
		if (!same)
			bind_blob(s, 11, data, b->dlen);
		if (hd->flags & 1)
			sqlite3_bind_text(s, 20, "data truncated (larger than the recorder queue allows)",
					  -1, SQLITE_STATIC);
		break;
	}
	case SEV_CLOSE:
		bind_u64(s, 8, b->duration_ns);
		fifo_clear(st); /* what was never played by now is dropped by the device */
		break;
	default:
		sqlite3_bind_int(s, 6, b->rc);
		sqlite3_bind_text(s, 20, (const char *)data, (int)b->dlen, SQLITE_STATIC);
		break;
	}
	return run(r, s);
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static int do_info(struct vt_recorder *r, struct vt_info_copy *c)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(
		r->db,
		"UPDATE session SET tool_version = coalesce(?1, tool_version),"
		" host = coalesce(?2, host), guest_cmdline = coalesce(?3, guest_cmdline),"
		" kernel = coalesce(?4, kernel), initrd = coalesce(?5, initrd),"
		" scenario = coalesce(?6, scenario), sink_spec = coalesce(?7, sink_spec),"
		" notes = coalesce(?8, notes), timebase_hz = coalesce(?9, timebase_hz) WHERE id = 1",
		-1, &s, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	bind_text_or_null(s, 1, c->tool_version);
	bind_text_or_null(s, 2, c->host);
	bind_text_or_null(s, 3, c->guest_cmdline);
	bind_text_or_null(s, 4, c->kernel);
	bind_text_or_null(s, 5, c->initrd);
	bind_text_or_null(s, 6, c->scenario);
	bind_text_or_null(s, 7, c->sink_spec);
	bind_text_or_null(s, 8, c->notes);
	if (c->timebase_hz)
		bind_u64(s, 9, c->timebase_hz);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	if (!c->has_config)
		return 0;
	const struct vsnd_config *cfg = &c->config;
	if (sqlite3_exec(r->db, "DELETE FROM config_stream; DELETE FROM config_jack;"
				" DELETE FROM config_chmap;", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(r->db, "INSERT INTO config_stream VALUES (?,?,?,?,?,?,?,?)", -1, &s,
			       NULL) != SQLITE_OK)
		goto fail;
	for (uint32_t i = 0; i < cfg->nstreams && i < VSND_MAX_STREAMS; i++) {
		const struct vsnd_stream_cfg *x = &cfg->streams[i];
		bind_u64(s, 1, i);
		bind_u64(s, 2, x->hda_fn_nid);
		bind_u64(s, 3, x->features);
		bind_u64(s, 4, x->formats);
		bind_u64(s, 5, x->rates);
		sqlite3_bind_int(s, 6, x->direction);
		sqlite3_bind_int(s, 7, x->channels_min);
		sqlite3_bind_int(s, 8, x->channels_max);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(r->db, "INSERT INTO config_jack VALUES (?,?,?,?,?,?)", -1, &s,
			       NULL) != SQLITE_OK)
		goto fail;
	for (uint32_t i = 0; i < cfg->njacks && i < VSND_MAX_JACKS; i++) {
		const struct vsnd_jack_cfg *x = &cfg->jacks[i];
		bind_u64(s, 1, i);
		bind_u64(s, 2, x->hda_fn_nid);
		bind_u64(s, 3, x->features);
		bind_u64(s, 4, x->hda_reg_defconf);
		bind_u64(s, 5, x->hda_reg_caps);
		sqlite3_bind_int(s, 6, x->connected);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(r->db, "INSERT INTO config_chmap VALUES (?,?,?,?,?)", -1, &s,
			       NULL) != SQLITE_OK)
		goto fail;
	for (uint32_t i = 0; i < cfg->nchmaps && i < VSND_MAX_CHMAPS; i++) {
		const struct vsnd_chmap_cfg *x = &cfg->chmaps[i];
		bind_u64(s, 1, i);
		bind_u64(s, 2, x->hda_fn_nid);
		sqlite3_bind_int(s, 3, x->direction);
		sqlite3_bind_int(s, 4, x->channels);
		bind_blob(s, 5, x->positions, sizeof(x->positions));
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(s);
	return 0;
fail:
	vt_recorder_fail(r, "cannot store session info: %s", sqlite3_errmsg(r->db));
	sqlite3_finalize(s);
	return -1;
}

/* Process one committed record. Returns 0, or -1 when recording has just failed. */
static int process(struct vt_recorder *r, const struct rec_hdr *hd)
{
	struct vt_writer *w = r->w;
	uint64_t id = 0;
	int rc = 0;
	switch (hd->type) {
	case REC_PAD:
		return 0;
	case REC_INFO: {
		struct vt_info_copy *c = ((const struct rec_info *)(hd + 1))->info;
		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) == 0 && begin_txn(r) == 0)
			rc = do_info(r, c);
		vt_info_copy_free(c);
		return rc;
	}
	case REC_SYNC: {
		uint64_t token = ((const struct rec_sync *)(hd + 1))->token;
		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) == 0)
			rc = commit_txn(r, 1);
		pthread_mutex_lock(&r->mu);
		if (token > r->sync_done)
			r->sync_done = token;
		pthread_cond_broadcast(&r->scv);
		pthread_mutex_unlock(&r->mu);
		return rc;
	}
	default:
		break;
	}
	if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) != 0)
		return -1;
	if (begin_txn(r))
		return -1;
	id = ++w->next_id;
	w->events++;
	w->txn_events++;
	switch (hd->type) {
	case REC_TRANSPORT: {
		const struct vmmio_event *e = &((const struct rec_transport *)(hd + 1))->ev;
		sqlite3_stmt *s = w->st[S_TRANSPORT];
		bind_u64(s, 1, id);
		bind_u64(s, 2, hd->t_ns);
		bind_u64(s, 3, hd->ticks);
		sqlite3_bind_int(s, 4, (int)e->kind);
		bind_u64(s, 5, e->queue);
		bind_u64(s, 6, e->value);
		bind_u64(s, 7, e->num);
		bind_u64(s, 8, e->features);
		bind_u64(s, 9, e->desc);
		bind_u64(s, 10, e->avail);
		bind_u64(s, 11, e->used);
		rc = run(r, s);
		break;
	}
	case REC_DEVOP: {
		const struct rec_devop *b = (const void *)(hd + 1);
		sqlite3_stmt *s = w->st[S_DEVOP];
		bind_u64(s, 1, id);
		bind_u64(s, 2, hd->t_ns);
		bind_u64(s, 3, hd->ticks);
		sqlite3_bind_int(s, 4, (int)b->op);
		if (b->op == DEVOP_CONFIG_READ) {
			bind_u64(s, 5, b->off);
			bind_u64(s, 6, b->len);
			bind_blob(s, 7, b + 1, b->dlen);
			w->bytes += b->dlen;
		}
		rc = run(r, s);
		break;
	}
	case REC_CHAIN:
		rc = do_chain(r, hd, id);
		break;
	case REC_IO:
		w->bytes += ((const struct rec_io *)(hd + 1))->len;
		rc = do_io(r, hd, id);
		break;
	case REC_END:
		rc = do_end(r, hd, id);
		break;
	case REC_SINK:
		w->bytes += ((const struct rec_sink *)(hd + 1))->dlen;
		rc = do_sink(r, hd, id);
		break;
	case REC_MARK: {
		const struct rec_mark *b = (const void *)(hd + 1);
		sqlite3_stmt *s = w->st[S_MARK];
		bind_u64(s, 1, id);
		bind_u64(s, 2, hd->t_ns);
		bind_u64(s, 3, hd->ticks);
		sqlite3_bind_text(s, 4, (const char *)(b + 1), (int)b->dlen, SQLITE_STATIC);
		rc = run(r, s);
		break;
	}
	default:
		vt_recorder_fail(r, "internal error: unknown record type %u", hd->type);
		rc = -1;
	}
	__atomic_store_n(&r->w_events, w->events, __ATOMIC_RELAXED);
	__atomic_store_n(&r->w_bytes, w->bytes, __ATOMIC_RELAXED);
	return rc;
}

/* Drain committed records (at most `budget`). Returns the number processed; *blocked set
 * when a reserved record is not committed yet. */
static size_t drain(struct vt_recorder *r, size_t budget, int *blocked)
{
	size_t n = 0;
	*blocked = 0;
	uint64_t t = r->tail;
	uint64_t h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint64_t published = t;
	while (n < budget) {
		if (t == h) {
			h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
			if (t == h)
				break;
		}
		struct rec_hdr *hd = (struct rec_hdr *)(r->buf + (t & r->mask));
		uint32_t size = __atomic_load_n(&hd->size, __ATOMIC_ACQUIRE);
		if (size == 0) {
			*blocked = 1;
			break;
		}
		process(r, hd);
		memset(hd, 0, size);
		t += size;
		n++;
		/* Publish freed space in steps (each store pulls the line from producers). */
		if (t - published >= r->cap / 16 || (n & 63) == 0) {
			__atomic_store_n(&r->tail, t, __ATOMIC_RELEASE);
			published = t;
			/* Waiting producers want a quarter of the ring free (recorder.c). */
			if (__atomic_load_n(&r->space_waiters, __ATOMIC_RELAXED) &&
			    __atomic_load_n(&r->head, __ATOMIC_RELAXED) - t <= r->cap - r->cap / 4) {
				pthread_mutex_lock(&r->mu);
				pthread_cond_broadcast(&r->pcv);
				pthread_mutex_unlock(&r->mu);
			}
		}
	}
	if (t != published)
		__atomic_store_n(&r->tail, t, __ATOMIC_RELEASE);
	if (n && __atomic_load_n(&r->space_waiters, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&r->mu);
		pthread_cond_broadcast(&r->pcv);
		pthread_mutex_unlock(&r->mu);
	}
	return n;
}

/* Mark the session truncated with the recorder's error (after a failure). */
/* SQLITE_PROTOCOL: the WAL's shared-memory locks kept failing, and SQLite retried the read
 * for about 10 s on its own, whatever the busy timeout. The other clean-up statements would
 * each wait as long again, so they are skipped: close returns, the session stays
 * clean_end = 0 (tests/fuzz/FINDINGS.md F3). A plain SQLITE_BUSY costs only the 100 ms
 * clean-up busy timeout and the lock may clear before close, so it does not count. */
static void note_cleanup(struct vt_recorder *r, int rc)
{
	if ((rc & 0xff) == SQLITE_PROTOCOL)
		r->w->unreachable = 1;
}

static void store_truncated(struct vt_recorder *r)
{
	if (r->w->unreachable)
		return;
	pthread_mutex_lock(&r->mu);
	char error[sizeof(r->error)];
	memcpy(error, r->error, sizeof(error));
	pthread_mutex_unlock(&r->mu);
	char *sql = sqlite3_mprintf("UPDATE session SET truncated = 1, error = %Q WHERE id = 1",
				    error);
	if (sql)
		note_cleanup(r, sqlite3_exec(r->db, sql, NULL, NULL, NULL));
	sqlite3_free(sql);
}

/* Give up the open transaction after a failure, keeping what SQLite still allows. */
static void abandon_txn(struct vt_recorder *r)
{
	if (sqlite3_get_autocommit(r->db) == 0)
		sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	if (sqlite3_get_autocommit(r->db) == 0)
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	r->w->in_txn = 0;
}

/* The session row's final update (clean_end = 1, counters) goes into the last batch's
 * transaction: one commit at close. If that fails, the failure is reported once and, as far
 * as the database still allows, the session is marked truncated with the message. */
static void finish_session(struct vt_recorder *r)
{
	struct vt_writer *w = r->w;
	pthread_mutex_lock(&r->mu);
	int failed = r->failed_reported;
	char error[sizeof(r->error)];
	memcpy(error, r->error, sizeof(error));
	uint64_t waits = r->producer_waits, wait_ns = r->producer_wait_ns;
	pthread_mutex_unlock(&r->mu);
	/* After a failure every statement below is clean-up: do not wait 5 s on a lock. */
	if (failed)
		sqlite3_busy_timeout(r->db, 100);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int in_txn = !failed && begin_txn(r) == 0;
	int ok = (failed && !w->unreachable) || in_txn;
	sqlite3_stmt *s = NULL;
	if (ok && sqlite3_prepare_v2(r->db,
				     "UPDATE session SET clean_end = 1, end_wall_ns = ?1, events = ?2,"
				     " bytes = ?3, producer_waits = ?4, producer_wait_ns = ?5,"
				     " truncated = ?6, error = ?7 WHERE id = 1",
				     -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)now.tv_sec * 1000000000 + now.tv_nsec);
		bind_u64(s, 2, w->events);
		bind_u64(s, 3, w->bytes);
		bind_u64(s, 4, waits);
		bind_u64(s, 5, wait_ns);
		sqlite3_bind_int(s, 6, failed);
		if (failed)
			sqlite3_bind_text(s, 7, error, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(s);
		ok = rc == SQLITE_DONE;
		if (failed && !ok)
			note_cleanup(r, rc);
	} else {
		ok = 0;
	}
	sqlite3_finalize(s);
	if (ok && in_txn) {
		int rc = sqlite3_step(w->st[S_COMMIT]);
		sqlite3_reset(w->st[S_COMMIT]);
		ok = rc == SQLITE_DONE;
		if (ok) {
			w->in_txn = 0;
			__atomic_add_fetch(&r->w_commits, 1, __ATOMIC_RELAXED);
		}
	}
	if (!ok && !failed) {
		vt_recorder_fail(r, "cannot complete the session row: %s", sqlite3_errmsg(r->db));
		sqlite3_busy_timeout(r->db, 100);
		abandon_txn(r);
		store_truncated(r);
	}
	/* Leave one self-contained file: fold the WAL back and leave WAL mode. A reader still
	 * attached prevents that; then the file simply stays in WAL mode (equally valid), and
	 * closing does not wait for the reader. */
	sqlite3_busy_timeout(r->db, 100);
	if (!w->unreachable)
		sqlite3_exec(r->db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;",
			     NULL, NULL, NULL);
}

/* The ring is mapped without populating it (recorder.c): during its first lap the writer
 * populates it about PREFAULT_AHEAD bytes ahead of the producers, so that first-touch page
 * faults happen here rather than on the audio path. MADV_POPULATE_WRITE only maps pages
 * (their contents stay as they are), so it is safe while producers write. On a kernel
 * without it the producers simply take the faults. */
static void prefault_ring(struct vt_recorder *r)
{
	struct vt_writer *w = r->w;
	if (w->faulted >= r->cap)
		return;
	uint64_t want = __atomic_load_n(&r->head, __ATOMIC_RELAXED) + PREFAULT_AHEAD;
	if (want < w->faulted + PREFAULT_AHEAD / 4)
		return; /* in steps of a quarter */
	want = (want + 4095) & ~(uint64_t)4095;
	if (want > r->cap)
		want = r->cap;
	if (madvise(r->buf + w->faulted, want - w->faulted, MADV_POPULATE_WRITE) != 0)
		want = r->cap; /* not supported: give up */
	w->faulted = want;
}

/* Timed wait on wcv until deadline_ns (CLOCK_MONOTONIC), with r->mu held. */
static void wait_until_ns(struct vt_recorder *r, uint64_t deadline_ns)
{
	struct timespec ts = { (time_t)(deadline_ns / 1000000000u),
			       (long)(deadline_ns % 1000000000u) };
	pthread_cond_timedwait(&r->wcv, &r->mu, &ts);
}

/* The writer sleeps whenever the ring is empty (rec_internal.h, WS_*): while events flow it
 * wakes once per commit interval, drains everything and commits; after an interval with
 * nothing new it sleeps until a producer publishes a record. A transaction holds only records
 * published after w->empty_ns, and commits when commit_ms have passed since then, so a
 * record waits at most about commit_ms to be committed (a SIGKILL loses at most that). */
void *vt_writer_main(void *arg)
{
	struct vt_recorder *r = arg;
	struct vt_writer *w = r->w;
	uint64_t commit_ns = (uint64_t)r->commit_ms * 1000000u;
	int failed_seen = 0;
	int quiet = 0; /* sleeps in a row that found nothing to do */
	w->empty_ns = mono_ns();
	for (;;) {
		int blocked;
		prefault_ring(r);
		vt_tsclock_refresh(&r->tsc); /* producers' TSC clock: recalibrate when due */
		uint64_t t_check = mono_ns();
		size_t n = drain(r, 4096, &blocked);
		int active = __atomic_load_n(&r->state, __ATOMIC_RELAXED) == 0;
		if (!active && !failed_seen) {
			failed_seen = 1;
			/* Clean-up only from here on: do not wait 5 s on a lock each time. */
			sqlite3_busy_timeout(r->db, 100);
			if (w->in_txn)
				abandon_txn(r); /* SQLite may already have rolled back */
			store_truncated(r);
		}
		/* A long backlog commits as it goes: by count, and by age while draining. Once
		 * close is requested the rest goes into the final commit (finish_session). */
		if (active && w->in_txn && !__atomic_load_n(&r->stop, __ATOMIC_RELAXED) &&
		    (w->txn_events >= r->commit_events ||
		     (n && mono_ns() - w->txn_start >= commit_ns))) {
			commit_txn(r, 0);
			w->empty_ns = mono_ns(); /* the next batch's interval starts now */
		}
		if (n) {
			quiet = 0;
			continue;
		}
		if (blocked) {
			/* A producer reserved a record and is filling it: microseconds. */
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
			continue;
		}
		/* Everything published before t_check has been processed. */
		w->empty_ns = t_check;
		uint64_t now = mono_ns();
		if (active && w->in_txn && now - w->txn_start >= commit_ns &&
		    !__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
			commit_txn(r, 0);
		pthread_mutex_lock(&r->mu);
		if (r->stop && __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == r->tail) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		if (!r->kick && !r->stop) {
			quiet++;
			if (w->in_txn || quiet <= 1) {
				uint64_t dl = (w->in_txn ? w->txn_start : now) + commit_ns;
				/* The producers' TSC clock takes its first calibration at a refresh
				 * (above): until then wake every CALIBRATE_NS, not every commit. */
				if (r->clock == &vsnd_clock_monotonic && r->tsc.use_tsc &&
				    !__atomic_load_n(&r->tsc.gen, __ATOMIC_RELAXED) &&
				    dl > now + CALIBRATE_NS)
					dl = now + CALIBRATE_NS;
				__atomic_store_n(&r->writer_sleeping, WS_TIMED, __ATOMIC_SEQ_CST);
				wait_until_ns(r, dl);
			} else {
				/* Sequentially consistent store, then load of head: a producer that
				 * published after this load sees WS_IDLE (recorder.c rec_commit). */
				__atomic_store_n(&r->writer_sleeping, WS_IDLE, __ATOMIC_SEQ_CST);
				if (__atomic_load_n(&r->head, __ATOMIC_SEQ_CST) == r->tail &&
				    !r->kick)
					pthread_cond_wait(&r->wcv, &r->mu);
			}
			__atomic_store_n(&r->writer_sleeping, WS_AWAKE, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&r->w_wakeups, 1, __ATOMIC_RELAXED);
		}
		r->kick = 0;
		pthread_mutex_unlock(&r->mu);
	}
	finish_session(r);
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		__atomic_store_n(&r->w_cpu_ns,
				 (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
				 __ATOMIC_RELEASE);
	return NULL;
}

static int exec(struct vt_recorder *r, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot initialise the session database: %s",
			 msg ? msg : sqlite3_errmsg(r->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int vt_writer_init(struct vt_recorder *r, char *err, size_t errlen)
{
	struct vt_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->w = w;
	sqlite3_busy_timeout(r->db, 5000);
	/* Every commit appends each page it dirtied to the WAL (checksummed, written): small
	 * pages keep that near the bytes really added. Checkpoints (with fsyncs) only every
	 * WAL_CHECKPOINT_PAGES pages and at close. */
	/* No fsync while the new file is created (a crash then leaves nothing worth keeping);
	 * synchronous = NORMAL from the session row on. */
	if (exec(r, "PRAGMA page_size = " XSTR(DB_PAGE_SIZE) "; PRAGMA synchronous = OFF;"
		    " PRAGMA journal_mode = WAL; PRAGMA cache_size = -" XSTR(CACHE_KIB) ";"
		    " PRAGMA wal_autocheckpoint = " XSTR(WAL_CHECKPOINT_PAGES) ";"
		    " PRAGMA journal_size_limit = 67108864;",
		 err, errlen))
		return -1;
	if (exec(r, "BEGIN", err, errlen) || exec(r, vt_schema_v1_sql, err, errlen))
		return -1;

	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	struct tm tm;
	gmtime_r(&wall.tv_sec, &tm);
	char iso[64];
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char host[512] = "";
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(host, sizeof(host), "%s (%s %s %s)", u.nodename, u.sysname, u.release,
			 u.machine);
	struct vsnd_clock *c = r->clock;
	uint64_t t = c->ops->now_ns(c);
	uint64_t k = c->ops->guest_ticks ? c->ops->guest_ticks(c) : 0;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(r->db,
			       "INSERT INTO session (id, schema_version, start_wall_ns, start_wall,"
			       " start_ns, start_ticks, host, queue_bytes) VALUES (1,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot initialise the session database: %s",
			 sqlite3_errmsg(r->db));
		return -1;
	}
	sqlite3_bind_int(s, 1, VT_SCHEMA_VERSION);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)wall.tv_sec * 1000000000 + wall.tv_nsec);
	sqlite3_bind_text(s, 3, iso, -1, SQLITE_TRANSIENT);
	bind_u64(s, 4, t);
	bind_u64(s, 5, k);
	sqlite3_bind_text(s, 6, host, -1, SQLITE_TRANSIENT);
	bind_u64(s, 7, r->cap);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot write the session row: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	if (exec(r, "COMMIT; PRAGMA synchronous = NORMAL;", err, errlen))
		return -1;
	if (r->max_db_bytes) {
		char q[96];
		uint64_t pages = r->max_db_bytes / DB_PAGE_SIZE;
		snprintf(q, sizeof(q), "PRAGMA max_page_count = %llu",
			 (unsigned long long)(pages ? pages : 1));
		if (exec(r, q, err, errlen))
			return -1;
	}
	for (int i = 0; i < NSTMT; i++) {
		if (sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->st[i],
				       NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot prepare recorder statement: %s",
				 sqlite3_errmsg(r->db));
			return -1;
		}
	}
	return 0;
}

void vt_writer_fini(struct vt_recorder *r)
{
	struct vt_writer *w = r->w;
	if (w) {
		for (int i = 0; i < NSTMT; i++)
			sqlite3_finalize(w->st[i]);
		for (int i = 0; i < NBUCKETS; i++) {
			while (w->buckets[i]) {
				struct wchain *c = w->buckets[i];
				w->buckets[i] = c->next;
				chain_free(c);
			}
		}
		for (int i = 0; i < NSLOTS; i++)
			free(w->streams[i].fifo);
		free(w->scratch);
		free(w);
		r->w = NULL;
	}
	if (r->db) {
		sqlite3_close(r->db);
		r->db = NULL;
	}
}
