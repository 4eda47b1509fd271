/* replay_load.c - reads a session's events on a thread of its own, in batches, so that SQLite
 * work overlaps with driving the device; the engine takes them in order from a bounded queue. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay_load.h"

#define LB_EVENTS 256   /* events per batch */
#define LB_MAX_QUEUED 8 /* batches read ahead at most (the engine looks 1 s ahead) */

struct lbatch {
	struct lbatch *next;
	uint32_t n, pos;
	struct vt_event ev[LB_EVENTS];
	size_t data_off[LB_EVENTS], desc_off[LB_EVENTS];
	uint8_t *arena;
	size_t used, cap;
};

struct rp_loader {
	struct vt_reader *r;
	struct vt_iter *it;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t avail, space;
	struct lbatch *head, *tail, *cur;
	/* Used batches kept for reuse: their arenas keep their size and stay mapped, so a long
	 * session costs no allocation and no page fault per batch. At most LB_MAX_QUEUED + 2
	 * batches ever exist. */
	struct lbatch *free;
	uint32_t queued;
	bool keep_written;
	bool done, stop;
	int rc; /* 0 or -VT_E_* once done */
	char err[512];
};

/* Copy n bytes into the batch's arena; returns the offset or SIZE_MAX. */
static size_t arena_put(struct lbatch *b, const void *p, size_t n)
{
	size_t need = (b->used + n + 15) & ~(size_t)15;
	if (need > b->cap) {
		size_t nc = b->cap ? b->cap : 65536;
		while (nc < need)
			nc *= 2;
		uint8_t *na = realloc(b->arena, nc);
		if (!na)
			return SIZE_MAX;
		b->arena = na;
		b->cap = nc;
	}
	size_t off = b->used;
	if (n)
		memcpy(b->arena + off, p, n);
	b->used = need;
	return off;
}

static void batch_free(struct lbatch *b)
{
	if (b) {
		free(b->arena);
		free(b);
	}
}

static void *loader_main(void *arg)
{
	struct rp_loader *l = arg;
	bool done = false;
	int rc = 0;
	while (!done) {
		pthread_mutex_lock(&l->mu);
		struct lbatch *b = l->free;
		if (b)
			l->free = b->next;
		pthread_mutex_unlock(&l->mu);
		if (b) {
			b->next = NULL;
			b->n = b->pos = 0;
			b->used = 0;
		} else {
			b = calloc(1, sizeof(*b));
		}
		if (!b) {
			rc = -VT_E_NOMEM;
			snprintf(l->err, sizeof(l->err), "out of memory");
			done = true;
		}
		while (b && b->n < LB_EVENTS) {
			struct vt_event *ev = &b->ev[b->n];
			int r = vt_iter_next(l->it, ev);
			if (r <= 0) {
				if (r < 0) {
					rc = r;
					snprintf(l->err, sizeof(l->err), "%s", vt_reader_errmsg(l->r));
				}
				done = true;
				break;
			}
			bool written = ev->kind == VT_EV_CHAIN_WRITE || ev->kind == VT_EV_SINK_WRITE;
			size_t d = SIZE_MAX - 1;
			if (!written || l->keep_written)
				d = arena_put(b, ev->data, ev->data ? ev->data_len : 0);
			size_t k = SIZE_MAX;
			if (ev->kind == VT_EV_CHAIN && ev->u.chain.ndescs && ev->u.chain.descs)
				k = arena_put(b, ev->u.chain.descs,
					      ev->u.chain.ndescs * sizeof(struct vsnd_desc));
			if (d == SIZE_MAX) {
				rc = -VT_E_NOMEM;
				snprintf(l->err, sizeof(l->err), "out of memory");
				done = true;
				break;
			}
			b->data_off[b->n] = d;
			b->desc_off[b->n] = k;
			ev->text = "";
			b->n++;
		}
		pthread_mutex_lock(&l->mu);
		while (!l->stop && l->queued >= LB_MAX_QUEUED)
			pthread_cond_wait(&l->space, &l->mu);
		if (l->stop) {
			pthread_mutex_unlock(&l->mu);
			batch_free(b);
			break;
		}
		if (b && b->n) {
			if (l->tail)
				l->tail->next = b;
			else
				l->head = b;
			l->tail = b;
			l->queued++;
		} else {
			batch_free(b);
		}
		if (done) {
			l->done = true;
			l->rc = rc;
		}
		pthread_cond_signal(&l->avail);
		pthread_mutex_unlock(&l->mu);
	}
	return NULL;
}

int rp_loader_start(struct vt_reader *r, bool keep_written, struct rp_loader **out, char *err,
		    size_t errlen)
{
	*out = NULL;
	struct rp_loader *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -VT_E_NOMEM;
	}
	l->r = r;
	l->keep_written = keep_written;
	int rc = vt_iter_open(r, &l->it);
	if (rc) {
		snprintf(err, errlen, "%s", vt_reader_errmsg(r));
		free(l);
		return rc;
	}
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->avail, NULL);
	pthread_cond_init(&l->space, NULL);
	if (pthread_create(&l->thread, NULL, loader_main, l)) {
		vt_iter_close(l->it);
		pthread_cond_destroy(&l->avail);
		pthread_cond_destroy(&l->space);
		pthread_mutex_destroy(&l->mu);
		free(l);
		snprintf(err, errlen, "cannot start the reading thread");
		return -VT_E_NOMEM;
	}
	*out = l;
	return 0;
}

int rp_loader_next(struct rp_loader *l, struct vt_event *ev, char *err, size_t errlen)
{
	if (!l->cur || l->cur->pos == l->cur->n) {
		pthread_mutex_lock(&l->mu);
		if (l->cur) {
			l->cur->next = l->free;
			l->free = l->cur;
		}
		l->cur = NULL;
		while (!l->head && !l->done)
			pthread_cond_wait(&l->avail, &l->mu);
		if (l->head) {
			l->cur = l->head;
			l->head = l->cur->next;
			if (!l->head)
				l->tail = NULL;
			l->queued--;
			pthread_cond_signal(&l->space);
		}
		int rc = l->rc;
		pthread_mutex_unlock(&l->mu);
		if (!l->cur) {
			if (rc)
				snprintf(err, errlen, "%s", l->err);
			return rc;
		}
	}
	uint32_t i = l->cur->pos++;
	*ev = l->cur->ev[i];
	/* An empty batch arena is NULL: zero-length data then has no address (no NULL + 0). */
	uint8_t *arena = l->cur->arena;
	ev->data = l->cur->data_off[i] == SIZE_MAX - 1 || !arena ? NULL
								 : arena + l->cur->data_off[i];
	if (ev->kind == VT_EV_CHAIN)
		ev->u.chain.descs = l->cur->desc_off[i] == SIZE_MAX || !arena
			? NULL : (const struct vsnd_desc *)(arena + l->cur->desc_off[i]);
	return 1;
}

void rp_loader_stop(struct rp_loader *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	pthread_cond_signal(&l->space);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	while (l->head) {
		struct lbatch *b = l->head;
		l->head = b->next;
		batch_free(b);
	}
	batch_free(l->cur);
	while (l->free) {
		struct lbatch *b = l->free;
		l->free = b->next;
		batch_free(b);
	}
	vt_iter_close(l->it);
	pthread_cond_destroy(&l->avail);
	pthread_cond_destroy(&l->space);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
