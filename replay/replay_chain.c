/* replay_chain.c - chains rebuilt from a recording: reads answer the recorded bytes, writes
 * and the completion are kept and compared with the recorded ones (vsnd/chain.h contract). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay_priv.h"
#include "vsnd/virtio_snd.h"

/* ---- small containers ---- */

int rp_segv_add(struct rp_segv *sv, uint64_t id, uint32_t off, const void *data, uint32_t len)
{
	if (sv->n == sv->cap) {
		uint32_t nc = sv->cap ? 2 * sv->cap : 4;
		struct rp_seg *nv = realloc(sv->v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		sv->v = nv;
		sv->cap = nc;
	}
	uint8_t *d = malloc(len ? len : 1);
	if (!d)
		return -1;
	if (len)
		memcpy(d, data, len);
	sv->v[sv->n++] = (struct rp_seg){ .id = id, .off = off, .len = len, .data = d };
	return 0;
}

void rp_segv_free(struct rp_segv *sv)
{
	for (uint32_t i = 0; i < sv->n; i++)
		free(sv->v[i].data);
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

int rp_bfifo_push(struct rp_bfifo *f, const void *p, size_t n)
{
	if (!n)
		return 0;
	if (f->start && f->start + f->len + n > f->cap) {
		memmove(f->b, f->b + f->start, f->len);
		f->start = 0;
	}
	if (f->len + n > f->cap) {
		size_t nc = f->cap ? f->cap : 4096;
		while (nc < f->len + n)
			nc *= 2;
		uint8_t *nb = realloc(f->b, nc);
		if (!nb)
			return -1;
		f->b = nb;
		f->cap = nc;
	}
	memcpy(f->b + f->start + f->len, p, n);
	f->len += n;
	return 0;
}

void rp_bfifo_pop(struct rp_bfifo *f, size_t n)
{
	f->start += n;
	f->len -= n;
	if (!f->len)
		f->start = 0;
}

void rp_bfifo_free(struct rp_bfifo *f)
{
	free(f->b);
	memset(f, 0, sizeof(*f));
}

int rp_u64q_push(struct rp_u64q *q, uint64_t x)
{
	if (q->start && q->start + q->len == q->cap) {
		memmove(q->v, q->v + q->start, q->len * sizeof(*q->v));
		q->start = 0;
	}
	if (q->len == q->cap) {
		size_t nc = q->cap ? 2 * q->cap : 64;
		uint64_t *nv = realloc(q->v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		q->v = nv;
		q->cap = nc;
	}
	q->v[q->start + q->len++] = x;
	return 0;
}

void rp_u64q_free(struct rp_u64q *q)
{
	free(q->v);
	memset(q, 0, sizeof(*q));
}

/* ---- chain ops (device threads; everything under rp->mu) ---- */

static uint32_t rc_read(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	struct rp_chain *ch = c->opaque;
	struct replay *rp = ch->rp;
	if (off >= c->rlen)
		return 0;
	uint32_t n = c->rlen - off < len ? c->rlen - off : len;
	uint8_t *out = dst;
	memset(out, 0, n);
	pthread_mutex_lock(&rp->mu);
	/* Copy every recorded byte of [off, off+n); note the first byte nobody recorded. */
	uint64_t pos = off, end = (uint64_t)off + n;
	bool missing = false;
	uint64_t miss_at = 0;
	while (pos < end) {
		const struct rp_seg *best = NULL;
		uint64_t next_start = end;
		for (uint32_t i = 0; i < ch->rreads.n; i++) {
			const struct rp_seg *s = &ch->rreads.v[i];
			if (s->off <= pos && pos < (uint64_t)s->off + s->len) {
				best = s;
				break;
			}
			if (s->off > pos && s->off < next_start)
				next_start = s->off;
		}
		if (best) {
			uint64_t e = (uint64_t)best->off + best->len < end ? best->off + best->len : end;
			memcpy(out + (pos - off), best->data + (pos - best->off), e - pos);
			pos = e;
		} else {
			if (!missing) {
				missing = true;
				miss_at = pos;
			}
			pos = next_start;
		}
	}
	if (missing)
		rp_diverge(rp, ch->id, ch->t_ns, c->queue, -1, "read", "recorded bytes",
			   "unrecorded bytes",
			   "the device read %u bytes at offset %u of chain %llu; the recording has "
			   "no byte at offset %llu", n, off, (unsigned long long)ch->id,
			   (unsigned long long)miss_at);
	pthread_mutex_unlock(&rp->mu);
	return n;
}

static uint32_t rc_write(struct vsnd_chain *c, uint32_t off, const void *src, uint32_t len)
{
	struct rp_chain *ch = c->opaque;
	struct replay *rp = ch->rp;
	if (off >= c->wlen)
		return 0;
	uint32_t n = c->wlen - off < len ? c->wlen - off : len;
	pthread_mutex_lock(&rp->mu);
	if (rp->o.verify)
		rp_segv_add(&ch->awrites, 0, off, src, n);
	pthread_mutex_unlock(&rp->mu);
	return n;
}

static void rc_end(struct vsnd_chain *c, enum rp_end how, uint32_t used_len)
{
	struct rp_chain *ch = c->opaque;
	struct replay *rp = ch->rp;
	uint64_t t = vsnd_clock_now(rp->clk);
	pthread_mutex_lock(&rp->mu);
	ch->act_end = how;
	ch->act_used = used_len;
	ch->act_end_t = t;
	int q = rp_qidx(c->queue);
	if (how == RP_END_COMPLETE) {
		rp->act_count[q]++;
		rp->rep->completed++;
		if (rp->o.verify)
			rp_u64q_push(&rp->act_order[q], ch->id);
	} else {
		rp->rep->discarded++;
	}
	rp_chain_check(rp, ch);
	pthread_cond_broadcast(&rp->cv);
	pthread_mutex_unlock(&rp->mu);
}

static void rc_complete(struct vsnd_chain *c, uint32_t used_len)
{
	rc_end(c, RP_END_COMPLETE, used_len);
}

static void rc_discard(struct vsnd_chain *c)
{
	rc_end(c, RP_END_DISCARD, 0);
}

static const struct vsnd_chain_ops rc_ops = {
	.read = rc_read, .write = rc_write, .complete = rc_complete, .discard = rc_discard,
};

struct rp_chain *rp_chain_new(struct replay *rp, const struct vt_event *ev)
{
	struct rp_chain *ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	ch->rp = rp;
	ch->id = ev->id;
	ch->t_ns = ev->t_ns;
	ch->c.ops = &rc_ops;
	ch->c.opaque = ch;
	ch->c.queue = ev->u.chain.queue;
	ch->c.head = ev->u.chain.head;
	ch->c.rlen = ev->u.chain.rlen;
	ch->c.wlen = ev->u.chain.wlen;
	ch->c.malformed = ev->u.chain.malformed != 0;
	ch->c.seq = ev->u.chain.seq;
	if (ev->u.chain.ndescs && ev->u.chain.descs) {
		ch->descs = malloc(ev->u.chain.ndescs * sizeof(*ch->descs));
		if (!ch->descs) {
			free(ch);
			return NULL;
		}
		memcpy(ch->descs, ev->u.chain.descs, ev->u.chain.ndescs * sizeof(*ch->descs));
		ch->c.descs = ch->descs;
		ch->c.ndescs = ev->u.chain.ndescs;
	}
	return ch;
}

void rp_chain_free(struct rp_chain *ch)
{
	if (!ch)
		return;
	rp_segv_free(&ch->rreads);
	rp_segv_free(&ch->rwrites);
	rp_segv_free(&ch->awrites);
	free(ch->descs);
	free(ch);
}

/* ---- verification ---- */

const char *rp_code_name(uint32_t code)
{
	switch (code) {
	case VIRTIO_SND_R_JACK_INFO: return "JACK_INFO";
	case VIRTIO_SND_R_JACK_REMAP: return "JACK_REMAP";
	case VIRTIO_SND_R_PCM_INFO: return "PCM_INFO";
	case VIRTIO_SND_R_PCM_SET_PARAMS: return "PCM_SET_PARAMS";
	case VIRTIO_SND_R_PCM_PREPARE: return "PCM_PREPARE";
	case VIRTIO_SND_R_PCM_RELEASE: return "PCM_RELEASE";
	case VIRTIO_SND_R_PCM_START: return "PCM_START";
	case VIRTIO_SND_R_PCM_STOP: return "PCM_STOP";
	case VIRTIO_SND_R_CHMAP_INFO: return "CHMAP_INFO";
	case VIRTIO_SND_EVT_JACK_CONNECTED: return "EVT_JACK_CONNECTED";
	case VIRTIO_SND_EVT_JACK_DISCONNECTED: return "EVT_JACK_DISCONNECTED";
	case VIRTIO_SND_EVT_PCM_PERIOD_ELAPSED: return "EVT_PCM_PERIOD_ELAPSED";
	case VIRTIO_SND_EVT_PCM_XRUN: return "EVT_PCM_XRUN";
	case VIRTIO_SND_S_OK: return "S_OK";
	case VIRTIO_SND_S_BAD_MSG: return "S_BAD_MSG";
	case VIRTIO_SND_S_NOT_SUPP: return "S_NOT_SUPP";
	case VIRTIO_SND_S_IO_ERR: return "S_IO_ERR";
	default: return NULL;
	}
}

static uint32_t le32_at(const uint8_t *p, uint32_t avail)
{
	uint32_t v = 0;
	for (uint32_t i = 0; i < 4 && i < avail; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* Name the field of a writable byte offset; *timing set for latency_bytes; *fstart gets the
 * field's first byte offset. */
static const char *write_field(const struct vsnd_chain *c, uint32_t at, bool *timing,
			       uint32_t *fstart)
{
	*timing = false;
	*fstart = at;
	switch (c->queue) {
	case VSND_VQ_CONTROL:
		if (at < 4) {
			*fstart = 0;
			return "status";
		}
		return "response";
	case VSND_VQ_EVENT:
		*fstart = at < 4 ? 0 : 4;
		return at < 4 ? "event code" : "event data";
	case VSND_VQ_TX:
	case VSND_VQ_RX: {
		uint32_t st = c->queue == VSND_VQ_TX ? 0 : (c->wlen >= 8 ? c->wlen - 8 : 0);
		if (at >= st && at < st + 4) {
			*fstart = st;
			return "status";
		}
		if (at >= st + 4 && at < st + 8) {
			*fstart = st + 4;
			*timing = true;
			return "latency_bytes";
		}
		return c->queue == VSND_VQ_RX ? "capture data" : "data";
	}
	default:
		return "bytes";
	}
}

static void fmt_u32(char *buf, size_t n, const char *field, uint32_t v)
{
	const char *name = rp_code_name(v);
	if (!strcmp(field, "status") && name)
		snprintf(buf, n, "%s (0x%04x)", name, v);
	else if (!strcmp(field, "event code") && name)
		snprintf(buf, n, "%s (0x%04x)", name, v);
	else
		snprintf(buf, n, "%u", v);
}

static void fmt_bytes(char *buf, size_t n, const uint8_t *p, uint32_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < len && o + 4 < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%02x", i ? " " : "", p[i]);
	if (!len)
		snprintf(buf, n, "(none)");
}

/* Compare the i-th recorded and replayed write. Returns true if a protocol divergence. */
static bool check_write(struct replay *rp, struct rp_chain *ch, const struct rp_seg *e,
			const struct rp_seg *a)
{
	char ex[96], ac[96];
	const struct vsnd_chain *c = &ch->c;
	if (e->off != a->off || e->len != a->len) {
		snprintf(ex, sizeof(ex), "%u bytes at offset %u", e->len, e->off);
		snprintf(ac, sizeof(ac), "%u bytes at offset %u", a->len, a->off);
		rp_diverge(rp, e->id, ch->t_ns, c->queue, -1, "write", ex, ac,
			   "the device wrote a different range into chain %llu",
			   (unsigned long long)ch->id);
		return true;
	}
	bool lat_reported = false;
	for (uint32_t i = 0; i < e->len; i++) {
		if (e->data[i] == a->data[i])
			continue;
		bool timing;
		uint32_t fs;
		const char *field = write_field(c, e->off + i, &timing, &fs);
		uint32_t rel = fs >= e->off ? fs - e->off : 0;
		bool word = !strcmp(field, "status") || timing || !strncmp(field, "event", 5);
		if (word && rel + 4 <= e->len) {
			fmt_u32(ex, sizeof(ex), field, le32_at(e->data + rel, 4));
			fmt_u32(ac, sizeof(ac), field, le32_at(a->data + rel, 4));
		} else {
			uint32_t k = e->len - i < 8 ? e->len - i : 8;
			fmt_bytes(ex, sizeof(ex), e->data + i, k);
			fmt_bytes(ac, sizeof(ac), a->data + i, k);
		}
		if (timing) {
			if (!lat_reported)
				rp_timing(rp, e->id, ch->t_ns, c->queue, -1, field, ex, ac,
					  "latency_bytes of chain %llu differ",
					  (unsigned long long)ch->id);
			rp->rep->latency_diffs += lat_reported ? 0 : 1;
			lat_reported = true;
			i = fs + 7 - e->off; /* skip the rest of the field */
			continue;
		}
		rp_diverge(rp, e->id, ch->t_ns, c->queue, -1, field, ex, ac,
			   "%s of chain %llu differs at writable byte %u", field,
			   (unsigned long long)ch->id, e->off + i);
		return true;
	}
	return false;
}

void rp_chain_check(struct replay *rp, struct rp_chain *ch)
{
	if (ch->checked || ch->rec_end == RP_END_NONE || ch->act_end == RP_END_NONE)
		return;
	ch->checked = true;
	rp_u64q_push(&rp->reap, ch->id);
	if (!rp->o.verify)
		return;
	static const char *const how[] = { "held", "completed", "discarded" };
	if (ch->rec_end != ch->act_end) {
		rp_diverge(rp, ch->rec_end_id, ch->rec_end_t, ch->c.queue, -1, "outcome",
			   how[ch->rec_end], how[ch->act_end], "chain %llu was %s, recorded %s",
			   (unsigned long long)ch->id, how[ch->act_end], how[ch->rec_end]);
		return;
	}
	uint32_t n = ch->rwrites.n < ch->awrites.n ? ch->rwrites.n : ch->awrites.n;
	for (uint32_t i = 0; i < n; i++)
		if (check_write(rp, ch, &ch->rwrites.v[i], &ch->awrites.v[i]))
			return;
	if (ch->rwrites.n != ch->awrites.n) {
		char ex[32], ac[32];
		snprintf(ex, sizeof(ex), "%u writes", ch->rwrites.n);
		snprintf(ac, sizeof(ac), "%u writes", ch->awrites.n);
		uint64_t id = ch->rwrites.n > n ? ch->rwrites.v[n].id : ch->rec_end_id;
		rp_diverge(rp, id, ch->t_ns, ch->c.queue, -1, "writes", ex, ac,
			   "the device wrote into chain %llu a different number of times",
			   (unsigned long long)ch->id);
		return;
	}
	if (ch->rec_end != RP_END_COMPLETE)
		return;
	if (ch->rec_used != ch->act_used) {
		char ex[32], ac[32];
		snprintf(ex, sizeof(ex), "%u", ch->rec_used);
		snprintf(ac, sizeof(ac), "%u", ch->act_used);
		rp_diverge(rp, ch->rec_end_id, ch->rec_end_t, ch->c.queue, -1, "used_len", ex, ac,
			   "used.len of chain %llu differs", (unsigned long long)ch->id);
		return;
	}
	uint64_t d = ch->act_end_t > ch->rec_end_t ? ch->act_end_t - ch->rec_end_t
						  : ch->rec_end_t - ch->act_end_t;
	rp->rep->timing_compared++;
	if (d > rp->rep->timing_max_abs_ns)
		rp->rep->timing_max_abs_ns = d;
	if (d > rp->o.tolerance_ns) {
		char ex[48], ac[48];
		snprintf(ex, sizeof(ex), "%.6f s", (double)(ch->rec_end_t - rp->t0) / 1e9);
		snprintf(ac, sizeof(ac), "%.6f s", ((double)ch->act_end_t - (double)rp->t0) / 1e9);
		rp->rep->timing_over++;
		rp_timing(rp, ch->rec_end_id, ch->rec_end_t, ch->c.queue, -1, "completion time", ex,
			  ac, "chain %llu completed %.1f us %s than recorded",
			  (unsigned long long)ch->id, (double)d / 1e3,
			  ch->act_end_t > ch->rec_end_t ? "later" : "earlier");
	}
}

/* ---- chains by recorded id ---- */

static size_t hslot(const struct replay *rp, uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 20) & (rp->htcap - 1);
}

struct rp_chain *rp_find(struct replay *rp, uint64_t id)
{
	if (!rp->htcap)
		return NULL;
	for (struct rp_chain *c = rp->ht[hslot(rp, id)]; c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

int rp_insert(struct replay *rp, struct rp_chain *ch)
{
	if (rp->htn + 1 > rp->htcap / 2) {
		size_t nc = rp->htcap ? rp->htcap * 2 : 1024;
		struct rp_chain **nt = calloc(nc, sizeof(*nt));
		if (!nt)
			return -1;
		struct rp_chain **old = rp->ht;
		size_t oc = rp->htcap;
		rp->ht = nt;
		rp->htcap = nc;
		for (size_t i = 0; i < oc; i++)
			for (struct rp_chain *c = old[i], *nx; c; c = nx) {
				nx = c->hnext;
				size_t h = hslot(rp, c->id);
				c->hnext = nt[h];
				nt[h] = c;
			}
		free(old);
	}
	size_t h = hslot(rp, ch->id);
	ch->hnext = rp->ht[h];
	rp->ht[h] = ch;
	rp->htn++;
	return 0;
}

void rp_forget(struct replay *rp, struct rp_chain *ch)
{
	struct rp_chain **pp = &rp->ht[hslot(rp, ch->id)];
	while (*pp && *pp != ch)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = ch->hnext;
		rp->htn--;
	}
	rp_chain_free(ch);
}
