/* stats_sort.c - external merge sort of fixed-size records for the bounded-memory stats scan:
 * chunks sorted in memory, spilled to one temporary file, read back through a k-way merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/stats_int.h"

/* Records per read buffer of one run while merging. */
#define XS_RUN_BUF 256
/* Runs merged at once; more are first merged into longer runs. */
#define XS_FANIN 32

int xs_init(struct xs *x, size_t rec, size_t chunk_bytes, int (*cmp)(const void *, const void *))
{
	memset(x, 0, sizeof(*x));
	x->rec = rec;
	x->cmp = cmp;
	x->cap = chunk_bytes / rec > XS_RUN_BUF ? chunk_bytes / rec : XS_RUN_BUF;
	x->buf = malloc(x->cap * rec);
	return x->buf ? 0 : -1;
}

void xs_free(struct xs *x)
{
	free(x->buf);
	free(x->runs);
	if (x->f)
		fclose(x->f);
	memset(x, 0, sizeof(*x));
}

/* Sorts the chunk; recordings mostly arrive in order already, which one pass detects. */
static void sort_chunk(struct xs *x)
{
	for (size_t i = 1; i < x->nbuf; i++)
		if (x->cmp(x->buf + (i - 1) * x->rec, x->buf + i * x->rec) > 0) {
			qsort(x->buf, x->nbuf, x->rec, x->cmp);
			return;
		}
}

static int xs_spill(struct xs *x)
{
	if (!x->nbuf)
		return 0;
	sort_chunk(x);
	if (!x->f && !(x->f = tmpfile()))
		return -1;
	if (x->nruns == x->runcap) {
		size_t nc = x->runcap ? 2 * x->runcap : 16;
		struct xs_run *n = realloc(x->runs, nc * sizeof(*n));
		if (!n)
			return -1;
		x->runs = n;
		x->runcap = nc;
	}
	if (fseeko(x->f, (off_t)x->end, SEEK_SET) ||
	    fwrite(x->buf, x->rec, x->nbuf, x->f) != x->nbuf || fflush(x->f))
		return -1;
	x->runs[x->nruns++] = (struct xs_run){.off = x->end, .n = x->nbuf};
	x->end += (uint64_t)x->nbuf * x->rec;
	x->nbuf = 0;
	return 0;
}

int xs_add(struct xs *x, const void *r)
{
	if (x->nbuf == x->cap) {
		/* no temporary file to be had: keep going in memory rather than fail */
		if (!x->f && !x->nofile && !(x->f = tmpfile()))
			x->nofile = 1;
		if (x->f) {
			if (xs_spill(x))
				return -1;
		} else {
			unsigned char *n = realloc(x->buf, 2 * x->cap * x->rec);
			if (!n)
				return -1;
			x->buf = n;
			x->cap *= 2;
		}
	}
	memcpy(x->buf + x->nbuf * x->rec, r, x->rec);
	x->nbuf++;
	x->n++;
	return 0;
}

/* One run being read: a window of records at a file offset. */
struct xs_cur {
	uint64_t off; /* next unread record in the file */
	size_t left;  /* records of the run not yet read into buf */
	size_t pos, nbuf;
	unsigned char *buf;
};

static int cur_fill(const struct xs *x, struct xs_cur *c)
{
	size_t k = c->left < XS_RUN_BUF ? c->left : XS_RUN_BUF;
	size_t want = k * x->rec;
	if (k && pread(fileno(x->f), c->buf, want, (off_t)c->off) != (ssize_t)want)
		return -1;
	c->off += want;
	c->left -= k;
	c->pos = 0;
	c->nbuf = k;
	return 0;
}

static const void *cur_peek(const struct xs *x, const struct xs_cur *c)
{
	return c->pos < c->nbuf ? c->buf + c->pos * x->rec : NULL;
}

static int cur_advance(const struct xs *x, struct xs_cur *c)
{
	if (++c->pos == c->nbuf && c->left)
		return cur_fill(x, c);
	return 0;
}

static int rd_less(const struct xs_reader *r, size_t a, size_t b)
{
	const struct xs *x = r->x;
	return x->cmp(cur_peek(x, &r->cur[r->heap[a]]), cur_peek(x, &r->cur[r->heap[b]])) < 0;
}

static void rd_down(struct xs_reader *r, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < r->nheap && rd_less(r, l, m))
			m = l;
		if (l + 1 < r->nheap && rd_less(r, l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		size_t t = r->heap[i];
		r->heap[i] = r->heap[m];
		r->heap[m] = t;
		i = m;
	}
}

static void rd_close(struct xs_reader *r)
{
	if (r->cur)
		for (size_t i = 0; i < r->ncur; i++)
			free(r->cur[i].buf);
	free(r->cur);
	free(r->heap);
	free(r->out);
	memset(r, 0, sizeof(*r));
}

/* Opens a merge of runs [a, b) of x. */
static int rd_open(struct xs *x, size_t a, size_t b, struct xs_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->x = x;
	r->ncur = b - a;
	r->cur = calloc(r->ncur + 1, sizeof(*r->cur));
	r->heap = calloc(r->ncur + 1, sizeof(*r->heap));
	if (!r->cur || !r->heap)
		goto fail;
	for (size_t i = 0; i < r->ncur; i++) {
		struct xs_cur *c = &r->cur[i];
		c->off = x->runs[a + i].off;
		c->left = x->runs[a + i].n;
		if (!(c->buf = malloc(XS_RUN_BUF * x->rec)) || cur_fill(x, c))
			goto fail;
		if (c->nbuf)
			r->heap[r->nheap++] = i;
	}
	for (size_t i = r->nheap; i-- > 0;)
		rd_down(r, i);
	return 0;
fail:
	rd_close(r);
	return -1;
}

int xs_finish(struct xs *x)
{
	if (!x->f) { /* everything fits in one chunk: it stays in memory */
		sort_chunk(x);
		return 0;
	}
	if (xs_spill(x))
		return -1;
	/* Merge XS_FANIN runs at a time into longer ones until few remain, so that a reader
	 * holds at most XS_FANIN buffers whatever the length. */
	while (x->nruns > XS_FANIN) {
		size_t out = 0;
		for (size_t a = 0; a < x->nruns; a += XS_FANIN) {
			size_t b = a + XS_FANIN < x->nruns ? a + XS_FANIN : x->nruns;
			struct xs_reader r;
			if (rd_open(x, a, b, &r))
				return -1;
			struct xs_run run = {.off = x->end};
			const void *rec;
			x->nbuf = 0;
			while ((rec = xs_next(&r))) {
				memcpy(x->buf + x->nbuf * x->rec, rec, x->rec);
				if (++x->nbuf == x->cap) {
					if (fseeko(x->f, (off_t)x->end, SEEK_SET) ||
					    fwrite(x->buf, x->rec, x->nbuf, x->f) != x->nbuf ||
					    fflush(x->f)) {
						rd_close(&r);
						return -1;
					}
					x->end += (uint64_t)x->nbuf * x->rec;
					run.n += x->nbuf;
					x->nbuf = 0;
				}
			}
			int bad = r.err;
			rd_close(&r);
			if (bad || fseeko(x->f, (off_t)x->end, SEEK_SET) ||
			    fwrite(x->buf, x->rec, x->nbuf, x->f) != x->nbuf || fflush(x->f))
				return -1;
			x->end += (uint64_t)x->nbuf * x->rec;
			run.n += x->nbuf;
			x->nbuf = 0;
			x->runs[out++] = run; /* out <= a: never overwrites an unread run */
		}
		x->nruns = out;
	}
	return fflush(x->f) ? -1 : 0;
}

int xs_open(struct xs *x, struct xs_reader *r)
{
	if (!x->f) {
		memset(r, 0, sizeof(*r));
		r->x = x;
		return 0;
	}
	return rd_open(x, 0, x->nruns, r);
}

const void *xs_next(struct xs_reader *r)
{
	const struct xs *x = r->x;
	if (!x->f) /* in memory */
		return r->mpos < x->nbuf ? x->buf + r->mpos++ * x->rec : NULL;
	if (!r->nheap)
		return NULL;
	struct xs_cur *c = &r->cur[r->heap[0]];
	/* copy out: the run's buffer may be refilled by the advance */
	if (!r->out && !(r->out = malloc(x->rec))) {
		r->err = 1;
		return NULL;
	}
	memcpy(r->out, cur_peek(x, c), x->rec);
	if (cur_advance(x, c)) {
		r->err = 1;
		return NULL;
	}
	if (!cur_peek(x, c))
		r->heap[0] = r->heap[--r->nheap];
	if (r->nheap)
		rd_down(r, 0);
	return r->out;
}

void xs_close(struct xs_reader *r)
{
	rd_close(r);
}
