/* replay_sink.c - the sink the replayed device sees for each stream: answers with the recorded
 * results, serves recorded capture data, checks PCM against the recording, feeds the host sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay_priv.h"
#include "vsnd/virtio_snd.h"

static struct rp_tap *tap_of(struct vsnd_sink *s)
{
	return s->priv;
}

static void warn_once(struct rp_tap *t, const char *what, int rc)
{
	pthread_mutex_lock(&t->rp->mu);
	t->rp->rep->sink_warnings++;
	bool first = !t->warned;
	t->warned = true;
	pthread_mutex_unlock(&t->rp->mu);
	if (first)
		fprintf(stderr, "vsndtrace replay: warning: stream %u: host sink %s failed (%d); "
				"the device is still answered as recorded\n",
			t->stream, what, rc);
}

static int tap_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	struct rp_tap *t = tap_of(s);
	struct replay *rp = t->rp;
	int rc = 0;
	pthread_mutex_lock(&rp->mu);
	if (t->opens_used < t->nopens) {
		const struct rp_open_rec *o = &t->opens[t->opens_used++];
		rc = o->rc;
		const struct vsnd_pcm_params *e = &o->p;
		if (rp->o.verify &&
		    (e->format != p->format || e->channels != p->channels ||
		     e->rate_index != p->rate_index || e->period_bytes != p->period_bytes ||
		     e->buffer_bytes != p->buffer_bytes || e->direction != p->direction)) {
			char ex[96], ac[96];
			snprintf(ex, sizeof(ex), "%s %uch rate#%u period %u buffer %u",
				 vsnd_format_name(e->format), e->channels, e->rate_index,
				 e->period_bytes, e->buffer_bytes);
			snprintf(ac, sizeof(ac), "%s %uch rate#%u period %u buffer %u",
				 vsnd_format_name(p->format), p->channels, p->rate_index,
				 p->period_bytes, p->buffer_bytes);
			rp_diverge(rp, o->id, o->t_ns, -1, (int)t->stream, "sink params", ex, ac,
				   "stream %u was opened with different parameters", t->stream);
		}
	} else if (rp->o.verify) {
		rp_diverge(rp, 0, rp->now, -1, (int)t->stream, "sink open", "no open",
			   "an open", "stream %u's sink was opened more often than recorded",
			   t->stream);
	}
	pthread_mutex_unlock(&rp->mu);
	if (rc == 0 && t->inner) {
		if (t->inner_open && t->inner->ops->close)
			t->inner->ops->close(t->inner);
		t->inner_open = false;
		int r = t->inner->ops->open ? t->inner->ops->open(t->inner, p) : 0;
		if (r < 0)
			warn_once(t, "open", r);
		else
			t->inner_open = true;
	}
	return rc;
}

/* Next recorded write/read of this stream, or NULL (mu held). */
static struct rp_io_rec *next_io(struct rp_tap *t)
{
	if (t->ios_start == t->nios)
		return NULL;
	t->ios_used++;
	return &t->ios[t->ios_start++];
}

static int tap_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	struct rp_tap *t = tap_of(s);
	struct replay *rp = t->rp;
	uint64_t now = vsnd_clock_now(rp->clk);
	int rc = 0;
	pthread_mutex_lock(&rp->mu);
	struct rp_io_rec *rec = next_io(t);
	if (rec) {
		rc = rec->rc;
	} else if (rp->o.verify && t->verify_pcm) {
		rp_diverge(rp, 0, now, VSND_VQ_TX, (int)t->stream, "sink writes", "no write",
			   "a write", "stream %u: the device wrote to its sink more often than "
			   "recorded (write %llu)", t->stream, (unsigned long long)t->ios_used + 1);
	}
	rp->rep->sink_writes[t->stream]++;
	rp->rep->sink_bytes[t->stream] += bytes;
	if (rp->o.verify && t->verify_pcm) {
		rp_bfifo_push(&t->act, buf, bytes);
		rp_tap_compare(t, false);
	}
	double rel = ((double)now - (double)rp->t0) / 1e9;
	bool in_window = rel >= rp->o.from_s && (rp->o.to_s < 0 || rel < rp->o.to_s);
	bool play = t->inner && t->inner_open && rc == 0 && in_window;
	if (play)
		rp->rep->played_bytes[t->stream] += bytes;
	pthread_mutex_unlock(&rp->mu);
	if (play && t->inner->ops->write) {
		int r = t->inner->ops->write(t->inner, buf, bytes);
		if (r < 0)
			warn_once(t, "write", r);
	}
	return rc;
}

static int tap_read(struct vsnd_sink *s, void *buf, uint32_t bytes)
{
	struct rp_tap *t = tap_of(s);
	struct replay *rp = t->rp;
	int rc = 0;
	memset(buf, 0, bytes);
	pthread_mutex_lock(&rp->mu);
	struct rp_io_rec *rec = next_io(t);
	if (rec) {
		rc = rec->rc;
		uint32_t n = rec->bytes < bytes ? rec->bytes : bytes;
		if (n)
			memcpy(buf, rec->data, n);
		if (rec->bytes != bytes && rp->o.verify) {
			char ex[32], ac[32];
			snprintf(ex, sizeof(ex), "%u bytes", rec->bytes);
			snprintf(ac, sizeof(ac), "%u bytes", bytes);
			rp_diverge(rp, rec->id, rec->t_ns, VSND_VQ_RX, (int)t->stream,
				   "capture size", ex, ac,
				   "stream %u: the device captured a different amount", t->stream);
		}
		free(rec->data);
		rec->data = NULL;
	} else if (rp->o.verify) {
		rp_diverge(rp, 0, rp->now, VSND_VQ_RX, (int)t->stream, "capture reads", "no read",
			   "a read", "stream %u: the device read its source more often than "
			   "recorded", t->stream);
	}
	rp->rep->captured_bytes[t->stream] += bytes;
	pthread_mutex_unlock(&rp->mu);
	return rc;
}

static void tap_close(struct vsnd_sink *s)
{
	struct rp_tap *t = tap_of(s);
	if (t->inner && t->inner_open && t->inner->ops->close)
		t->inner->ops->close(t->inner);
	t->inner_open = false;
}

static void tap_destroy(struct vsnd_sink *s)
{
	struct rp_tap *t = tap_of(s);
	if (t->inner)
		vsnd_sink_destroy(t->inner);
	t->inner = NULL;
	/* The engine frees the tap itself after the device (it still reads its counters). */
}

static const struct vsnd_sink_ops tap_ops = {
	.name = "replay",
	.open = tap_open,
	.write = tap_write,
	.read = tap_read,
	.close = tap_close,
	.destroy = tap_destroy,
};

struct rp_tap *rp_tap_new(struct replay *rp, uint32_t stream, uint8_t direction,
			  struct vsnd_sink *inner, bool verify_pcm)
{
	struct rp_tap *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s.ops = &tap_ops;
	t->s.priv = t;
	t->s.paces = inner ? inner->paces : 0;
	t->rp = rp;
	t->stream = stream;
	t->direction = direction;
	t->inner = inner;
	t->verify_pcm = verify_pcm;
	return t;
}

void rp_tap_add_open(struct rp_tap *t, const struct vt_event *ev)
{
	if (t->nopens == t->capopens) {
		size_t nc = t->capopens ? 2 * t->capopens : 8;
		struct rp_open_rec *nv = realloc(t->opens, nc * sizeof(*nv));
		if (!nv)
			return;
		t->opens = nv;
		t->capopens = nc;
	}
	t->opens[t->nopens++] = (struct rp_open_rec){
		.id = ev->id, .t_ns = ev->t_ns, .rc = ev->u.open.rc, .p = ev->u.open.params };
}

void rp_tap_add_io(struct rp_tap *t, const struct vt_event *ev, bool verify)
{
	if (t->ios_start && t->ios_start == t->nios) {
		t->ios_start = t->nios = 0;
	} else if (t->ios_start > 64 && t->ios_start * 2 > t->nios) {
		memmove(t->ios, t->ios + t->ios_start, (t->nios - t->ios_start) * sizeof(*t->ios));
		t->nios -= t->ios_start;
		t->ios_start = 0;
	}
	if (t->nios == t->capios) {
		size_t nc = t->capios ? 2 * t->capios : 64;
		struct rp_io_rec *nv = realloc(t->ios, nc * sizeof(*nv));
		if (!nv)
			return;
		t->ios = nv;
		t->capios = nc;
	}
	struct rp_io_rec *r = &t->ios[t->nios++];
	*r = (struct rp_io_rec){ .id = ev->id, .t_ns = ev->t_ns, .rc = ev->u.sio.rc,
				 .bytes = ev->data_len };
	t->ios_loaded++;
	if (t->direction == VIRTIO_SND_D_INPUT) {
		/* Every record of an input stream supplies `bytes` of capture data, so tap_read
		 * never meets a record without them: a damaged trace may hold a write event (no
		 * data) on an input stream; its bytes are silence (tests/fuzz/FINDINGS.md F7). */
		r->data = calloc(1, ev->data_len ? ev->data_len : 1);
		if (r->data && ev->data_len && ev->data)
			memcpy(r->data, ev->data, ev->data_len);
		if (!r->data)
			r->bytes = 0;
	} else if (verify && t->verify_pcm) {
		rp_bfifo_push(&t->exp, ev->data, ev->data_len);
		rp_u64q_push(&t->exp_ends, t->exp_total + t->exp.len);
		rp_u64q_push(&t->exp_ids, ev->id);
		rp_u64q_push(&t->exp_ts, ev->t_ns);
		rp_tap_compare(t, false);
	}
}

/* The recorded sink write holding stream byte `pos`: its event id and time (0 if unknown). */
static uint64_t write_at(const struct rp_tap *t, uint64_t pos, uint64_t *t_ns)
{
	*t_ns = 0;
	for (size_t i = 0; i < t->exp_ends.len; i++)
		if (t->exp_ends.v[t->exp_ends.start + i] > pos) {
			*t_ns = t->exp_ts.v[t->exp_ts.start + i];
			return t->exp_ids.v[t->exp_ids.start + i];
		}
	return 0;
}

static uint32_t frame_bytes(const struct rp_tap *t)
{
	if (t->opens_used && t->opens[t->opens_used - 1].p.frame_bytes)
		return t->opens[t->opens_used - 1].p.frame_bytes;
	return 1;
}

void rp_tap_compare(struct rp_tap *t, bool at_end)
{
	struct replay *rp = t->rp;
	size_t n = t->exp.len < t->act.len ? t->exp.len : t->act.len;
	const uint8_t *e = n ? t->exp.b + t->exp.start : NULL;
	const uint8_t *a = n ? t->act.b + t->act.start : NULL;
	if (n && memcmp(e, a, n)) {
		size_t i = 0;
		while (e[i] == a[i])
			i++;
		uint64_t pos = t->exp_total + i;
		uint32_t fb = frame_bytes(t);
		char ex[96], ac[96];
		size_t k = n - i < 8 ? n - i : 8;
		size_t o = 0;
		for (size_t j = 0; j < k; j++)
			o += (size_t)snprintf(ex + o, sizeof(ex) - o, "%s%02x", j ? " " : "", e[i + j]);
		o = 0;
		for (size_t j = 0; j < k; j++)
			o += (size_t)snprintf(ac + o, sizeof(ac) - o, "%s%02x", j ? " " : "", a[i + j]);
		uint64_t wt, wid = write_at(t, pos, &wt);
		rp_diverge(rp, wid, wt, VSND_VQ_TX, (int)t->stream, "pcm", ex, ac,
			   "stream %u: PCM reaching the sink differs at byte %llu (frame %llu)",
			   t->stream, (unsigned long long)pos, (unsigned long long)(pos / fb));
		n = i;
	}
	rp->rep->pcm_compared[t->stream] += n;
	rp_bfifo_pop(&t->exp, n);
	rp_bfifo_pop(&t->act, n);
	t->exp_total += n;
	t->act_total += n;
	while (t->exp_ends.len && t->exp_ends.v[t->exp_ends.start] <= t->exp_total) {
		t->exp_ends.start++;
		t->exp_ends.len--;
		t->exp_ids.start++;
		t->exp_ids.len--;
		t->exp_ts.start++;
		t->exp_ts.len--;
	}
	if (!at_end || rp->stop)
		return;
	if (t->exp.len || t->act.len) {
		char ex[64], ac[64];
		snprintf(ex, sizeof(ex), "%llu bytes", (unsigned long long)(t->exp_total + t->exp.len));
		snprintf(ac, sizeof(ac), "%llu bytes", (unsigned long long)(t->act_total + t->act.len));
		uint64_t wt = rp->now, wid = t->exp.len ? write_at(t, t->exp_total, &wt) : 0;
		rp_diverge(rp, wid, wt, VSND_VQ_TX,
			   (int)t->stream, "pcm length", ex, ac,
			   "stream %u: %s PCM reached the sink than recorded", t->stream,
			   t->exp.len ? "less" : "more");
		return;
	}
	if (t->direction == VIRTIO_SND_D_OUTPUT && t->verify_pcm && t->ios_start != t->nios) {
		char ex[32], ac[32];
		snprintf(ex, sizeof(ex), "%llu writes", (unsigned long long)t->ios_loaded);
		snprintf(ac, sizeof(ac), "%llu writes", (unsigned long long)t->ios_used);
		rp_diverge(rp, t->ios[t->ios_start].id, t->ios[t->ios_start].t_ns, VSND_VQ_TX,
			   (int)t->stream, "sink writes", ex, ac,
			   "stream %u: fewer sink writes than recorded", t->stream);
	}
}

void rp_tap_release(struct rp_tap *t)
{
	if (!t)
		return;
	for (size_t i = t->ios_start; i < t->nios; i++)
		free(t->ios[i].data);
	free(t->ios);
	free(t->opens);
	rp_bfifo_free(&t->exp);
	rp_bfifo_free(&t->act);
	rp_u64q_free(&t->exp_ends);
	rp_u64q_free(&t->exp_ids);
	rp_u64q_free(&t->exp_ts);
	free(t);
}
