/* mem_chain.h - an in-memory vsnd_chain for tests: device-readable bytes, a writable buffer,
 * and a record of how the device returned it (used.len, completion order, or discard). */
#ifndef TESTS_MEM_CHAIN_H
#define TESTS_MEM_CHAIN_H

#include <pthread.h>
#include <stdint.h>

#include "vsnd/chain.h"
#include "vsnd/clock.h"

#define MEM_CHAIN_LOG_MAX 4096

/* Completion order of every chain made with one log (seq numbers, in completion order). */
struct mem_chain_log {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next_seq;
	uint32_t n;
	uint64_t order[MEM_CHAIN_LOG_MAX];
	struct vsnd_clock *clock; /* optional: completion times are also read from it */
};

enum mem_chain_state { MEM_CHAIN_PENDING = 0, MEM_CHAIN_COMPLETED = 1, MEM_CHAIN_DISCARDED = 2 };

struct mem_chain {
	struct vsnd_chain c;       /* what the device sees; c.seq is unique per log */
	struct mem_chain_log *log;
	uint8_t *rbuf;             /* c.rlen bytes the device may read (tests may change them) */
	uint8_t *wbuf;             /* c.wlen bytes the device may write (pre-filled with 0xEE) */
	enum mem_chain_state state;
	uint32_t used_len;
	uint32_t returns;          /* complete + discard calls; must end up exactly 1 */
	uint64_t done_ns;          /* CLOCK_MONOTONIC when it came back */
	uint64_t done_clk;         /* log->clock's time when it came back (0 without one) */
	pthread_t done_by;         /* the thread that returned it */
};

void mem_chain_log_init(struct mem_chain_log *log);
void mem_chain_log_destroy(struct mem_chain_log *log);

/* A chain on `queue` with a copy of r (rlen bytes; r may be NULL for zeroes) and wlen
 * writable bytes. The test keeps ownership: free it with mem_chain_free() after it returned. */
struct mem_chain *mem_chain_new(struct mem_chain_log *log, uint16_t queue, const void *r,
				uint32_t rlen, uint32_t wlen);
void mem_chain_free(struct mem_chain *mc);

/* Wait (real time, at most timeout_ms) until the device returned the chain. 1 if it has. */
int mem_chain_wait(struct mem_chain *mc, int timeout_ms);
/* State and used.len under the log's lock. */
enum mem_chain_state mem_chain_state(struct mem_chain *mc, uint32_t *used_len);
/* Little-endian u32 at writable offset off. */
uint32_t mem_chain_w32(const struct mem_chain *mc, uint32_t off);
/* Number of chains returned so far through this log. */
uint32_t mem_chain_log_count(struct mem_chain_log *log);

#endif
