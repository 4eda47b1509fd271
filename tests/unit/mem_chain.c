/* mem_chain.c - an in-memory vsnd_chain for unit tests (see mem_chain.h): records the
 * completion order, used.len and discards so tests can assert exactly how chains came back. */
#include "mem_chain.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct mem_chain *mc_of(struct vsnd_chain *c)
{
	return c->opaque;
}

static uint32_t mc_read(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	struct mem_chain *mc = mc_of(c);
	if (off >= c->rlen)
		return 0;
	if (len > c->rlen - off)
		len = c->rlen - off;
	memcpy(dst, mc->rbuf + off, len);
	return len;
}

static uint32_t mc_write(struct vsnd_chain *c, uint32_t off, const void *src, uint32_t len)
{
	struct mem_chain *mc = mc_of(c);
	if (off >= c->wlen)
		return 0;
	if (len > c->wlen - off)
		len = c->wlen - off;
	memcpy(mc->wbuf + off, src, len);
	return len;
}

static void mc_return(struct vsnd_chain *c, enum mem_chain_state st, uint32_t used)
{
	struct mem_chain *mc = mc_of(c);
	struct mem_chain_log *log = mc->log;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t clk = log->clock ? vsnd_clock_now(log->clock) : 0;
	pthread_mutex_lock(&log->mu);
	mc->returns++;
	if (mc->state == MEM_CHAIN_PENDING) {
		mc->done_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		mc->done_clk = clk;
		mc->done_by = pthread_self();
		mc->state = st;
		mc->used_len = used;
		if (st == MEM_CHAIN_COMPLETED && log->n < MEM_CHAIN_LOG_MAX)
			log->order[log->n++] = c->seq;
	}
	pthread_cond_broadcast(&log->cv);
	pthread_mutex_unlock(&log->mu);
}

static void mc_complete(struct vsnd_chain *c, uint32_t used_len)
{
	mc_return(c, MEM_CHAIN_COMPLETED, used_len);
}

static void mc_discard(struct vsnd_chain *c)
{
	mc_return(c, MEM_CHAIN_DISCARDED, 0);
}

static const struct vsnd_chain_ops mc_ops = {
	.read = mc_read,
	.write = mc_write,
	.complete = mc_complete,
	.discard = mc_discard,
};

void mem_chain_log_init(struct mem_chain_log *log)
{
	memset(log, 0, sizeof(*log));
	pthread_mutex_init(&log->mu, NULL);
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&log->cv, &a);
	pthread_condattr_destroy(&a);
	log->next_seq = 1;
}

void mem_chain_log_destroy(struct mem_chain_log *log)
{
	pthread_cond_destroy(&log->cv);
	pthread_mutex_destroy(&log->mu);
}

struct mem_chain *mem_chain_new(struct mem_chain_log *log, uint16_t queue, const void *r,
				uint32_t rlen, uint32_t wlen)
{
	struct mem_chain *mc = calloc(1, sizeof(*mc));
	if (!mc)
		abort();
	mc->rbuf = calloc(1, rlen ? rlen : 1);
	mc->wbuf = malloc(wlen ? wlen : 1);
	if (!mc->rbuf || !mc->wbuf)
		abort();
	if (r && rlen)
		memcpy(mc->rbuf, r, rlen);
	memset(mc->wbuf, 0xEE, wlen ? wlen : 1);
	mc->log = log;
	mc->c.ops = &mc_ops;
	mc->c.opaque = mc;
	mc->c.queue = queue;
	mc->c.rlen = rlen;
	mc->c.wlen = wlen;
	pthread_mutex_lock(&log->mu);
	mc->c.seq = log->next_seq++;
	pthread_mutex_unlock(&log->mu);
	mc->c.head = (uint16_t)mc->c.seq;
	return mc;
}

void mem_chain_free(struct mem_chain *mc)
{
	if (!mc)
		return;
	free(mc->rbuf);
	free(mc->wbuf);
	free(mc);
}

int mem_chain_wait(struct mem_chain *mc, int timeout_ms)
{
	struct mem_chain_log *log = mc->log;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&log->mu);
	int r = 0;
	while (mc->state == MEM_CHAIN_PENDING && r == 0)
		r = pthread_cond_timedwait(&log->cv, &log->mu, &ts);
	int done = mc->state != MEM_CHAIN_PENDING;
	pthread_mutex_unlock(&log->mu);
	return done;
}

enum mem_chain_state mem_chain_state(struct mem_chain *mc, uint32_t *used_len)
{
	pthread_mutex_lock(&mc->log->mu);
	enum mem_chain_state st = mc->state;
	if (used_len)
		*used_len = mc->used_len;
	pthread_mutex_unlock(&mc->log->mu);
	return st;
}

uint32_t mem_chain_w32(const struct mem_chain *mc, uint32_t off)
{
	const uint8_t *b = mc->wbuf + off;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint32_t mem_chain_log_count(struct mem_chain_log *log)
{
	pthread_mutex_lock(&log->mu);
	uint32_t n = log->n;
	pthread_mutex_unlock(&log->mu);
	return n;
}
