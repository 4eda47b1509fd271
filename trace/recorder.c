/* recorder.c - producer side of the session recorder: the bounded lock-free ring, the shims
 * (transport observer, device ops, chains, sinks, clock), open/close. Writer: writer.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace/rec_internal.h"

#define DEFAULT_QUEUE (16u << 20)
#define MIN_QUEUE (64u << 10)

enum { ST_RECORDING = 0, ST_FAILED = 1, ST_CLOSED = 2 };

static inline int rec_active(struct vt_recorder *r)
{
	return __atomic_load_n(&r->state, __ATOMIC_RELAXED) == ST_RECORDING;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void recorder_unref(struct vt_recorder *r)
{
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->wcv);
		pthread_cond_destroy(&r->pcv);
		pthread_cond_destroy(&r->scv);
		free(r);
	}
}

void vt_sqlite_process_init(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void recorder_ref(struct vt_recorder *r)
{
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
}

/* Slow path: wake the writer thread if it still sleeps in state `from` (one producer does). */
static __attribute__((noinline)) void wake_writer(struct vt_recorder *r, int from)
{
	int expected = from;
	if (!__atomic_compare_exchange_n(&r->writer_sleeping, &expected, WS_AWAKE, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&r->mu);
	r->kick = 1;
	pthread_cond_signal(&r->wcv);
	pthread_mutex_unlock(&r->mu);
}

/* Slow path: the ring has no room for `need` bytes at position h. Wait (counted) until the
 * writer frees space, recording stops, or the recorder closes. */
static void wait_for_space(struct vt_recorder *r, uint64_t h, uint64_t need)
{
	uint64_t t0 = mono_ns();
	pthread_mutex_lock(&r->mu);
	__atomic_add_fetch(&r->space_waiters, 1, __ATOMIC_SEQ_CST);
	r->kick = 1;
	pthread_cond_signal(&r->wcv);
	/* Hysteresis: once full, wait until a quarter is free, so that a producer outrunning
	 * the disk waits rarely and long rather than at every event. */
	uint64_t room = need > r->cap / 4 ? need : r->cap / 4;
	while (rec_active(r) &&
	       h + room - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) > r->cap &&
	       __atomic_load_n(&r->head, __ATOMIC_RELAXED) == h) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&r->pcv, &r->mu, &ts);
	}
	__atomic_sub_fetch(&r->space_waiters, 1, __ATOMIC_SEQ_CST);
	r->producer_waits++;
	r->producer_wait_ns += mono_ns() - t0;
	pthread_mutex_unlock(&r->mu);
}

/* Reserve a record of `size` bytes (multiple of 8, <= max_rec) and fill its header. Returns
 * NULL when recording has stopped. The caller fills the body and calls rec_commit(). */
static inline __attribute__((always_inline)) struct rec_hdr *
rec_begin(struct vt_recorder *r, uint16_t type, uint64_t size, uint64_t t_ns, uint64_t ticks)
{
	uint64_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	for (;;) {
		if (!rec_active(r))
			return NULL;
		uint64_t pos = h & r->mask;
		uint64_t pad = pos + size > r->cap ? r->cap - pos : 0;
		uint64_t need = pad + size;
		/* A cached tail avoids pulling the writer's cache line on every event. It lags, so
		 * it is refreshed before `used` decides anything: above wake_fill (wake the writer,
		 * below) and above cap (wait). Refreshing only at cap woke a sleeping writer at
		 * every event once wake_fill bytes had passed since the last refresh. */
		uint64_t used = h + need - __atomic_load_n(&r->tail_cache, __ATOMIC_ACQUIRE);
		if (used > r->wake_fill) {
			uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
			__atomic_store_n(&r->tail_cache, t, __ATOMIC_RELEASE);
			used = h + need - t;
		}
		if (used > r->cap) {
			wait_for_space(r, h, need);
			h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
			continue;
		}
		/* Sequentially consistent: pairs with the writer's store of writer_sleeping before
		 * it re-checks head (writer.c), so a deep-sleeping writer is always woken. */
		if (!__atomic_compare_exchange_n(&r->head, &h, h + need, 1, __ATOMIC_SEQ_CST,
						 __ATOMIC_RELAXED))
			continue;
		/* Wake a writer in its timed sleep only when the ring fills up. */
		if (__builtin_expect(used > r->wake_fill, 0) &&
		    __atomic_load_n(&r->writer_sleeping, __ATOMIC_RELAXED) == WS_TIMED)
			wake_writer(r, WS_TIMED);
		if (pad) {
			struct rec_hdr *ph = (struct rec_hdr *)(r->buf + pos);
			ph->type = REC_PAD;
			__atomic_store_n(&ph->size, (uint32_t)pad, __ATOMIC_RELEASE);
		}
		struct rec_hdr *hd = (struct rec_hdr *)(r->buf + ((h + pad) & r->mask));
		hd->type = type;
		hd->flags = 0;
		hd->t_ns = t_ns;
		hd->ticks = ticks;
		return hd;
	}
}

/* Publish the record. A writer sleeping with nothing to do (WS_IDLE) is woken by the first
 * record after it went to sleep; otherwise it wakes on its own every commit_ms. */
static inline void rec_commit(struct vt_recorder *r, struct rec_hdr *hd, uint64_t size)
{
	__atomic_store_n(&hd->size, (uint32_t)size, __ATOMIC_RELEASE);
	if (__builtin_expect(__atomic_load_n(&r->writer_sleeping, __ATOMIC_SEQ_CST) == WS_IDLE, 0))
		wake_writer(r, WS_IDLE);
}

static inline __attribute__((always_inline)) void stamp(struct vt_recorder *r, uint64_t *t,
						   uint64_t *ticks)
{
	struct vsnd_clock *c = r->clock;
	*t = vt_rec_now(r);
	/* The default clock has no guest ticks (and no indirect calls). */
	*ticks = c != &vsnd_clock_monotonic && c->ops->guest_ticks ? c->ops->guest_ticks(c) : 0;
}

/* ---- (a) transport observer ---------------------------------------------------------- */

static void obs_event(void *opaque, const struct vmmio_event *ev)
{
	struct vt_recorder *r = opaque;
	if (!rec_active(r))
		return;
	uint64_t t, k;
	stamp(r, &t, &k);
	uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_transport));
	struct rec_hdr *hd = rec_begin(r, REC_TRANSPORT, size, t, k);
	if (!hd)
		return;
	struct rec_transport *b = (struct rec_transport *)(hd + 1);
	b->ev = *ev;
	rec_commit(r, hd, size);
}

struct vmmio_observer vt_recorder_observer(struct vt_recorder *r)
{
	struct vmmio_observer o = { .event = obs_event, .opaque = r };
	return o;
}

/* ---- generic small records ----------------------------------------------------------- */

static void put_devop(struct vt_recorder *r, uint32_t op, uint32_t off, uint32_t len,
		      const void *data, uint32_t dlen)
{
	if (!rec_active(r))
		return;
	uint64_t t, k;
	stamp(r, &t, &k);
	uint64_t lim = r->max_rec - sizeof(struct rec_hdr) - sizeof(struct rec_devop);
	if (dlen > lim)
		dlen = (uint32_t)lim;
	uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_devop) + dlen);
	struct rec_hdr *hd = rec_begin(r, REC_DEVOP, size, t, k);
	if (!hd)
		return;
	struct rec_devop *b = (struct rec_devop *)(hd + 1);
	b->op = op;
	b->off = off;
	b->len = len;
	b->dlen = dlen;
	if (dlen)
		memcpy(b + 1, data, dlen);
	rec_commit(r, hd, size);
}

/* Records a chain read/write, split into records of at most max_rec bytes. */
static void put_io(struct vt_recorder *r, uint64_t no, uint32_t dir, uint32_t off,
		   uint32_t req_len, const uint8_t *data, uint32_t len)
{
	if (!rec_active(r))
		return;
	uint64_t t, k;
	stamp(r, &t, &k);
	uint64_t lim = r->max_rec - sizeof(struct rec_hdr) - sizeof(struct rec_io);
	do {
		uint32_t n = len > lim ? (uint32_t)lim : len;
		uint32_t rq = len > lim ? n : req_len;
		uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_io) + n);
		struct rec_hdr *hd = rec_begin(r, REC_IO, size, t, k);
		if (!hd)
			return;
		struct rec_io *b = (struct rec_io *)(hd + 1);
		b->no = no;
		b->dir = dir;
		b->off = off;
		b->req_len = rq;
		b->len = n;
		if (n)
			memcpy(b + 1, data, n);
		rec_commit(r, hd, size);
		off += n;
		data += n;
		len -= n;
		req_len -= rq;
	} while (len > 0);
}

static void put_end(struct vt_recorder *r, uint64_t no, uint32_t outcome, uint32_t used_len)
{
	if (!rec_active(r))
		return;
	uint64_t t, k;
	stamp(r, &t, &k);
	uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_end));
	struct rec_hdr *hd = rec_begin(r, REC_END, size, t, k);
	if (!hd)
		return;
	struct rec_end *b = (struct rec_end *)(hd + 1);
	b->no = no;
	b->outcome = outcome;
	b->used_len = used_len;
	rec_commit(r, hd, size);
}

static void put_sink(struct vt_recorder *r, uint64_t t, uint64_t k, const struct rec_sink *s,
		     const void *data, uint32_t dlen, uint16_t flags)
{
	if (!rec_active(r))
		return;
	uint64_t lim = r->max_rec - sizeof(struct rec_hdr) - sizeof(struct rec_sink);
	if (dlen > lim) {
		dlen = (uint32_t)lim;
		flags |= 1; /* data truncated */
	}
	uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_sink) + dlen);
	struct rec_hdr *hd = rec_begin(r, REC_SINK, size, t, k);
	if (!hd)
		return;
	hd->flags = flags;
	struct rec_sink *b = (struct rec_sink *)(hd + 1);
	*b = *s;
	b->dlen = dlen;
	if (dlen)
		memcpy(b + 1, data, dlen);
	rec_commit(r, hd, size);
}

void vt_recorder_mark(struct vt_recorder *r, const char *text)
{
	if (!r || !rec_active(r))
		return;
	uint64_t t, k;
	stamp(r, &t, &k);
	size_t n = text ? strlen(text) : 0;
	size_t lim = r->max_rec - sizeof(struct rec_hdr) - sizeof(struct rec_mark);
	if (n > lim)
		n = lim;
	uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_mark) + n);
	struct rec_hdr *hd = rec_begin(r, REC_MARK, size, t, k);
	if (!hd)
		return;
	struct rec_mark *b = (struct rec_mark *)(hd + 1);
	b->dlen = (uint32_t)n;
	if (n)
		memcpy(b + 1, text, n);
	rec_commit(r, hd, size);
}

/* ---- (b) chains and device ops --------------------------------------------------------- */

struct rchain {
	struct vsnd_chain c;     /* what the device sees; c.opaque = this */
	struct vsnd_chain *inner;
	struct vt_recorder *r;
	uint64_t no;
};

static uint32_t rc_read(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	struct rchain *w = c->opaque;
	uint32_t n = w->inner->ops->read(w->inner, off, dst, len);
	put_io(w->r, w->no, 0, off, len, dst, n);
	return n;
}

static uint32_t rc_write(struct vsnd_chain *c, uint32_t off, const void *src, uint32_t len)
{
	struct rchain *w = c->opaque;
	uint32_t n = w->inner->ops->write(w->inner, off, src, len);
	put_io(w->r, w->no, 1, off, len, src, n);
	return n;
}

static void rc_complete(struct vsnd_chain *c, uint32_t used_len)
{
	struct rchain *w = c->opaque;
	struct vt_recorder *r = w->r;
	struct vsnd_chain *in = w->inner;
	/* Record first: once the driver sees the completion it may reuse the head. */
	put_end(r, w->no, 0, used_len);
	free(w);
	in->ops->complete(in, used_len);
	recorder_unref(r);
}

static void rc_discard(struct vsnd_chain *c)
{
	struct rchain *w = c->opaque;
	struct vt_recorder *r = w->r;
	struct vsnd_chain *in = w->inner;
	put_end(r, w->no, 1, 0);
	free(w);
	in->ops->discard(in);
	recorder_unref(r);
}

static const struct vsnd_chain_ops rchain_ops = {
	.read = rc_read, .write = rc_write, .complete = rc_complete, .discard = rc_discard,
};

struct vsnd_chain *vt_recorder_wrap_chain(struct vt_recorder *r, struct vsnd_chain *c)
{
	if (!r || !rec_active(r))
		return c;
	struct rchain *w = malloc(sizeof(*w));
	if (!w) {
		vt_recorder_fail(r, "out of memory wrapping a chain");
		return c;
	}
	w->c = *c;
	w->c.ops = &rchain_ops;
	w->c.opaque = w;
	w->inner = c;
	w->r = r;
	w->no = __atomic_add_fetch(&r->chain_no, 1, __ATOMIC_RELAXED);
	recorder_ref(r);

	uint64_t t, k;
	stamp(r, &t, &k);
	uint32_t nd = c->descs ? c->ndescs : 0;
	uint64_t lim = (r->max_rec - sizeof(struct rec_hdr) - sizeof(struct rec_chain)) /
		       sizeof(struct vsnd_desc);
	if (nd > lim)
		nd = (uint32_t)lim;
	uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_chain) +
				  (uint64_t)nd * sizeof(struct vsnd_desc));
	struct rec_hdr *hd = rec_begin(r, REC_CHAIN, size, t, k);
	if (hd) {
		struct rec_chain *b = (struct rec_chain *)(hd + 1);
		b->no = w->no;
		b->seq = c->seq;
		b->rlen = c->rlen;
		b->wlen = c->wlen;
		b->ndescs = nd;
		b->queue = c->queue;
		b->head = c->head;
		b->malformed = c->malformed;
		if (nd)
			memcpy(b + 1, c->descs, (size_t)nd * sizeof(struct vsnd_desc));
		rec_commit(r, hd, size);
	}
	return &w->c;
}

struct vt_dev_wrap {
	struct vmmio_device_ops ops;       /* copy of inner's with recording callbacks */
	const struct vmmio_device_ops *inner;
	void *inner_dev;
	struct vt_recorder *r;
	struct vt_dev_wrap *next;
};

static void dw_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct vt_dev_wrap *d = dev;
	d->inner->config_read(d->inner_dev, off, buf, len);
	put_devop(d->r, DEVOP_CONFIG_READ, off, len, buf, len);
}

static void dw_chain(void *dev, struct vsnd_chain *c)
{
	struct vt_dev_wrap *d = dev;
	d->inner->chain(d->inner_dev, vt_recorder_wrap_chain(d->r, c));
}

static void dw_driver_ok(void *dev)
{
	struct vt_dev_wrap *d = dev;
	put_devop(d->r, DEVOP_DRIVER_OK, 0, 0, NULL, 0);
	if (d->inner->driver_ok)
		d->inner->driver_ok(d->inner_dev);
}

static void dw_reset(void *dev)
{
	struct vt_dev_wrap *d = dev;
	put_devop(d->r, DEVOP_RESET, 0, 0, NULL, 0);
	if (d->inner->reset)
		d->inner->reset(d->inner_dev);
}

const struct vmmio_device_ops *vt_recorder_wrap_device(struct vt_recorder *r,
							const struct vmmio_device_ops *inner,
							void *inner_dev, void **wrapped_dev)
{
	struct vt_dev_wrap *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ops = *inner;
	d->ops.config_read = inner->config_read ? dw_config_read : NULL;
	d->ops.chain = dw_chain;
	d->ops.driver_ok = dw_driver_ok;
	d->ops.reset = dw_reset;
	d->inner = inner;
	d->inner_dev = inner_dev;
	d->r = r;
	pthread_mutex_lock(&r->mu);
	d->next = r->devs;
	r->devs = d;
	pthread_mutex_unlock(&r->mu);
	*wrapped_dev = d;
	return &d->ops;
}

/* ---- (c) sinks ------------------------------------------------------------------------- */

struct rsink {
	struct vsnd_sink s;      /* what the device sees; s.priv = this */
	struct vsnd_sink *inner;
	struct vt_recorder *r;
	uint32_t stream;
	uint64_t offset;         /* bytes written/read so far */
};

static void rs_report(void *ctx, enum vsnd_sink_event ev, int err, const char *msg)
{
	struct rsink *w = ctx;
	struct vt_recorder *r = w->r;
	if (rec_active(r)) {
		uint64_t t, k;
		stamp(r, &t, &k);
		struct rec_sink s = { .stream = w->stream, .rc = err };
		s.kind = ev == VSND_SINK_EV_UNDERRUN ? SEV_UNDERRUN
			 : ev == VSND_SINK_EV_XRUN   ? SEV_XRUN
						     : SEV_ERROR;
		put_sink(r, t, k, &s, msg, msg ? (uint32_t)strnlen(msg, 4096) : 0, 0);
	}
	if (w->s.report)
		w->s.report(w->s.report_ctx, ev, err, msg);
}

static int rs_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	struct rsink *w = s->priv;
	uint64_t t0 = 0, k = 0;
	int on = rec_active(w->r);
	if (on)
		stamp(w->r, &t0, &k);
	int rc = w->inner->ops->open(w->inner, p);
	w->s.paces = w->inner->paces;
	if (on) {
		struct rec_sink e = { .stream = w->stream, .kind = SEV_OPEN, .rc = rc,
				      .params = *p };
		e.duration_ns = vt_rec_now(w->r) - t0;
		put_sink(w->r, t0, k, &e, NULL, 0, 0);
	}
	return rc;
}

static int rs_io(struct vsnd_sink *s, void *buf, uint32_t bytes, int is_read)
{
	struct rsink *w = s->priv;
	uint64_t t0 = 0, k = 0;
	int on = rec_active(w->r);
	if (on)
		stamp(w->r, &t0, &k);
	int rc = is_read ? w->inner->ops->read(w->inner, buf, bytes)
			 : w->inner->ops->write(w->inner, buf, bytes);
	if (on) {
		struct rec_sink e = { .stream = w->stream, .kind = is_read ? SEV_READ : SEV_WRITE,
				      .rc = rc, .bytes = bytes, .stream_offset = w->offset };
		e.duration_ns = vt_rec_now(w->r) - t0;
		put_sink(w->r, t0, k, &e, buf, bytes, 0);
	}
	w->offset += bytes;
	return rc;
}

static int rs_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	return rs_io(s, (void *)buf, bytes, 0);
}

static int rs_read(struct vsnd_sink *s, void *buf, uint32_t bytes)
{
	return rs_io(s, buf, bytes, 1);
}

static void rs_close(struct vsnd_sink *s)
{
	struct rsink *w = s->priv;
	uint64_t t0 = 0, k = 0;
	int on = rec_active(w->r);
	if (on)
		stamp(w->r, &t0, &k);
	if (w->inner->ops->close)
		w->inner->ops->close(w->inner);
	if (on) {
		struct rec_sink e = { .stream = w->stream, .kind = SEV_CLOSE };
		e.duration_ns = vt_rec_now(w->r) - t0;
		put_sink(w->r, t0, k, &e, NULL, 0, 0);
	}
}

static void rs_destroy(struct vsnd_sink *s)
{
	struct rsink *w = s->priv;
	vsnd_sink_destroy(w->inner);
	recorder_unref(w->r);
	free(w);
}

static const struct vsnd_sink_ops rsink_ops = {
	.name = "recorded",
	.open = rs_open,
	.write = rs_write,
	.read = rs_read,
	.close = rs_close,
	.destroy = rs_destroy,
};

struct vsnd_sink *vt_recorder_wrap_sink(struct vt_recorder *r, struct vsnd_sink *inner,
					uint32_t stream_id)
{
	if (!r || !inner)
		return NULL;
	struct rsink *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->s.ops = &rsink_ops;
	w->s.priv = w;
	w->s.paces = inner->paces;
	w->s.report = inner->report;      /* keep whatever was hooked before */
	w->s.report_ctx = inner->report_ctx;
	inner->report = rs_report;
	inner->report_ctx = w;
	w->inner = inner;
	w->r = r;
	w->stream = stream_id;
	recorder_ref(r);
	return &w->s;
}

/* ---- (d) clock ------------------------------------------------------------------------- */

struct vt_clock_wrap {
	struct vsnd_clock c;
	struct vsnd_clock *inner;
	struct vt_clock_wrap *next;
};

static uint64_t cw_now(struct vsnd_clock *c)
{
	struct vt_clock_wrap *w = c->opaque;
	return w->inner->ops->now_ns(w->inner);
}

static uint64_t cw_ticks(struct vsnd_clock *c)
{
	struct vt_clock_wrap *w = c->opaque;
	return w->inner->ops->guest_ticks ? w->inner->ops->guest_ticks(w->inner) : 0;
}

static int cw_wait(struct vsnd_clock *c, pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t dl)
{
	struct vt_clock_wrap *w = c->opaque;
	return w->inner->ops->wait_until(w->inner, cv, mu, dl);
}

static const struct vsnd_clock_ops cwrap_ops = {
	.now_ns = cw_now, .guest_ticks = cw_ticks, .wait_until = cw_wait,
};

struct vsnd_clock *vt_recorder_wrap_clock(struct vt_recorder *r, struct vsnd_clock *inner)
{
	struct vt_clock_wrap *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->c.ops = &cwrap_ops;
	w->c.opaque = w;
	w->inner = inner;
	pthread_mutex_lock(&r->mu);
	w->next = r->clocks;
	r->clocks = w;
	pthread_mutex_unlock(&r->mu);
	r->clock = inner;
	return &w->c;
}

void vt_recorder_set_clock(struct vt_recorder *r, struct vsnd_clock *clk)
{
	r->clock = clk ? clk : &vsnd_clock_monotonic;
}

/* ---- session info ---------------------------------------------------------------------- */

static char *dupz(const char *s)
{
	return s ? strdup(s) : NULL;
}

void vt_info_copy_free(struct vt_info_copy *c)
{
	if (!c)
		return;
	free(c->tool_version);
	free(c->host);
	free(c->guest_cmdline);
	free(c->kernel);
	free(c->initrd);
	free(c->scenario);
	free(c->sink_spec);
	free(c->notes);
	free(c);
}

void vt_recorder_set_session_info(struct vt_recorder *r, const struct vt_session_info *info)
{
	if (!r || !info || !rec_active(r))
		return;
	struct vt_info_copy *c = calloc(1, sizeof(*c));
	if (!c) {
		vt_recorder_fail(r, "out of memory copying session info");
		return;
	}
	c->tool_version = dupz(info->tool_version);
	c->host = dupz(info->host);
	c->guest_cmdline = dupz(info->guest_cmdline);
	c->kernel = dupz(info->kernel);
	c->initrd = dupz(info->initrd);
	c->scenario = dupz(info->scenario);
	c->sink_spec = dupz(info->sink_spec);
	c->notes = dupz(info->notes);
	c->timebase_hz = info->timebase_hz;
	if (info->config) {
		c->has_config = 1;
		c->config = *info->config;
	}
	uint64_t t, k;
	stamp(r, &t, &k);
	uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_info));
	struct rec_hdr *hd = rec_begin(r, REC_INFO, size, t, k);
	if (!hd) {
		vt_info_copy_free(c);
		return;
	}
	((struct rec_info *)(hd + 1))->info = c;
	rec_commit(r, hd, size);
}

/* ---- errors, stats, sync --------------------------------------------------------------- */

void vt_recorder_fail(struct vt_recorder *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&r->mu);
	int first = !r->failed_reported;
	if (first) {
		r->failed_reported = 1;
		snprintf(r->error, sizeof(r->error), "%s", msg);
	}
	int expected = ST_RECORDING;
	__atomic_compare_exchange_n(&r->state, &expected, ST_FAILED, 0, __ATOMIC_ACQ_REL,
				    __ATOMIC_RELAXED);
	pthread_cond_broadcast(&r->pcv);
	pthread_cond_broadcast(&r->scv);
	r->kick = 1;
	pthread_cond_signal(&r->wcv);
	pthread_mutex_unlock(&r->mu);
	if (first) {
		if (r->on_error)
			r->on_error(r->err_ctx, msg);
		else
			fprintf(stderr, "vsndtrace: recording stopped: %s\n", msg);
	}
}

void vt_recorder_get_stats(struct vt_recorder *r, struct vt_recorder_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->events = __atomic_load_n(&r->w_events, __ATOMIC_RELAXED);
	st->rows = __atomic_load_n(&r->w_rows, __ATOMIC_RELAXED);
	st->bytes = __atomic_load_n(&r->w_bytes, __ATOMIC_RELAXED);
	st->commits = __atomic_load_n(&r->w_commits, __ATOMIC_RELAXED);
	st->writer_wakeups = __atomic_load_n(&r->w_wakeups, __ATOMIC_RELAXED);
	st->writer_cpu_ns = __atomic_load_n(&r->w_cpu_ns, __ATOMIC_ACQUIRE);
	clockid_t cid;
	struct timespec ts;
	if (!st->writer_cpu_ns && r->thread_started && pthread_getcpuclockid(r->thread, &cid) == 0 &&
	    clock_gettime(cid, &ts) == 0)
		st->writer_cpu_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	pthread_mutex_lock(&r->mu);
	st->producer_waits = r->producer_waits;
	st->producer_wait_ns = r->producer_wait_ns;
	st->truncated = r->failed_reported;
	pthread_mutex_unlock(&r->mu);
}

int vt_recorder_sync(struct vt_recorder *r)
{
	if (!rec_active(r))
		return -1;
	pthread_mutex_lock(&r->mu);
	uint64_t token = ++r->sync_next;
	pthread_mutex_unlock(&r->mu);
	uint64_t t, k;
	stamp(r, &t, &k);
	uint64_t size = REC_ALIGN(sizeof(struct rec_hdr) + sizeof(struct rec_sync));
	struct rec_hdr *hd = rec_begin(r, REC_SYNC, size, t, k);
	if (!hd)
		return -1;
	((struct rec_sync *)(hd + 1))->token = token;
	rec_commit(r, hd, size);
	pthread_mutex_lock(&r->mu);
	r->kick = 1;
	pthread_cond_signal(&r->wcv);
	while (r->sync_done < token && rec_active(r))
		pthread_cond_wait(&r->scv, &r->mu);
	int ok = r->sync_done >= token;
	pthread_mutex_unlock(&r->mu);
	return ok ? 0 : -1;
}

/* ---- open / close ---------------------------------------------------------------------- */

/* 1 if path does not exist, is empty, or is an SQLite file with our application_id. */
static int replaceable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	uint8_t h[72];
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n == 0)
		return 1;
	if (n < (ssize_t)sizeof(h) || memcmp(h, "SQLite format 3", 16) != 0)
		return 0;
	uint32_t app = (uint32_t)h[68] << 24 | (uint32_t)h[69] << 16 | (uint32_t)h[70] << 8 | h[71];
	return app == VT_APPLICATION_ID;
}

int vt_recorder_open(const char *path, const struct vt_recorder_opts *opts,
		     struct vt_recorder **out, char *err, size_t errlen)
{
	struct vt_recorder_opts o = { 0 };
	if (opts)
		o = *opts;
	*out = NULL;
	if (!path) {
		snprintf(err, errlen, "no database path");
		return -1;
	}
	uint64_t cap = MIN_QUEUE;
	uint64_t want = o.queue_bytes ? o.queue_bytes : DEFAULT_QUEUE;
	while (cap < want)
		cap <<= 1;
	struct vt_recorder *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Not populated here (that cost ~25 ms at open for 64 MiB): the writer thread populates
	 * the ring about 1 MiB ahead of the producers during its first lap (writer.c
	 * prefault_ring), so the audio path rarely takes a first-touch fault, and a short
	 * session never makes the unused part resident. */
	void *ring = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r->buf = ring == MAP_FAILED ? NULL : ring;
	if (!r->buf) {
		free(r);
		snprintf(err, errlen, "cannot allocate a %llu-byte recorder queue",
			 (unsigned long long)cap);
		return -1;
	}
	r->cap = cap;
	r->mask = cap - 1;
	r->wake_fill = cap / 4;
	r->max_rec = cap / 4;
	if (r->max_rec > (16u << 20))
		r->max_rec = 16u << 20;
	r->clock = o.clock ? o.clock : &vsnd_clock_monotonic;
	/* Before the writer thread (the updater) starts; it stays on clock_gettime until the
	 * writer's first refresh after the calibration interval. */
	vt_tsclock_init(&r->tsc, 0, 0);
	r->commit_ms = o.commit_ms ? o.commit_ms : VT_RECORDER_COMMIT_MS;
	r->commit_events = o.commit_events ? o.commit_events : 65536;
	r->on_error = o.on_error;
	r->max_db_bytes = o.max_db_bytes;
	r->err_ctx = o.err_ctx;
	r->refs = 1;
	pthread_mutex_init(&r->mu, NULL);
	vsnd_cond_init(&r->wcv);
	vsnd_cond_init(&r->pcv);
	vsnd_cond_init(&r->scv);

	/* A new session replaces a previous session (and its WAL), never another kind of file. */
	if (!replaceable(path)) {
		snprintf(err, errlen, "%s exists and is not a vsndtrace session: not overwriting it",
			 path);
		goto fail_early;
	}
	char side[4096];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", path);
	unlink(side);

	int rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
						     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot create %s: %s", path,
			 r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
		goto fail;
	}
	if (vt_writer_init(r, err, errlen) < 0)
		goto fail;
	if (pthread_create(&r->thread, NULL, vt_writer_main, r) != 0) {
		snprintf(err, errlen, "cannot start the recorder thread: %s", strerror(errno));
		goto fail;
	}
	r->thread_started = 1;
	pthread_setname_np(r->thread, "vt-writer");
	*out = r;
	return 0;
fail:
	vt_writer_fini(r);
fail_early:
	munmap(r->buf, r->cap);
	recorder_unref(r);
	return -1;
}

int vt_recorder_close(struct vt_recorder *r)
{
	return vt_recorder_close_stats(r, NULL);
}

int vt_recorder_close_stats(struct vt_recorder *r, struct vt_recorder_stats *final)
{
	if (final)
		memset(final, 0, sizeof(*final));
	if (!r)
		return 0;
	pthread_mutex_lock(&r->mu);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED); /* the writer also reads it unlocked */
	r->kick = 1;
	pthread_cond_signal(&r->wcv);
	pthread_mutex_unlock(&r->mu);
	if (r->thread_started)
		pthread_join(r->thread, NULL);
	r->thread_started = 0; /* joined: its CPU time is in w_cpu_ns */
	/* The writer finished the session row and closed the database. */
	int failed = r->failed_reported;
	if (final)
		vt_recorder_get_stats(r, final);
	vt_writer_fini(r);
	__atomic_store_n(&r->state, ST_CLOSED, __ATOMIC_RELEASE);
	munmap(r->buf, r->cap);
	r->buf = NULL;
	while (r->devs) {
		struct vt_dev_wrap *d = r->devs;
		r->devs = d->next;
		free(d);
	}
	while (r->clocks) {
		struct vt_clock_wrap *c = r->clocks;
		r->clocks = c->next;
		free(c);
	}
	recorder_unref(r);
	return failed ? -1 : 0;
}
