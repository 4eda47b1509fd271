/* virtq.h - split virtqueues (VirtIO 1.2, 2.7): bounded, checked chain walking over guest
 * RAM and used-ring publication. Transport-independent; the only code that reads rings. */
#ifndef VSND_VIRTQ_H
#define VSND_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "chain.h"
#include "gmem.h"

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Largest queue size the spec allows (2.7). */
#define VIRTQ_MAX_SIZE 32768

/* Upper bound on descriptors in one chain (direct + indirect, counting the descriptor that
 * points at an indirect table); spec 2.7.4.1 allows a device to cap chain length. A longer
 * chain is fatal (VIRTQ_E_LOOP). */
#define VIRTQ_MAX_CHAIN 512

struct virtq {
	uint32_t num;              /* size the driver chose (power of 2) */
	uint64_t desc, avail, used;/* guest-physical ring addresses */
	bool ready;                /* virtq_pop/virtq_push refuse to run on a queue not ready */
	uint16_t last_avail;       /* next avail slot the device will take */
	uint16_t used_idx;         /* device's shadow of used.idx */
	uint64_t features;         /* negotiated features (bit n = feature n: INDIRECT, EVENT_IDX) */
};

/* A contiguous guest buffer. */
struct virtq_seg {
	uint64_t addr;
	uint32_t len;
};

/* A walked chain. The storage for seg[] and descs[] belongs to whoever owns the struct:
 * set seg/descs to arrays of cap entries before virtq_pop (cap >= VIRTQ_MAX_CHAIN lets every
 * chain that virtq_pop accepts fit; a smaller cap makes longer chains VIRTQ_E_LOOP).
 * seg[0..nr) are the readable segments and seg[nr..nr+nw) the writable ones, each in chain
 * order (a readable descriptor found after a writable one still goes into the readable list,
 * and the chain is marked malformed). Zero-length descriptors are recorded in descs[] but
 * produce no segment. descs[] holds every descriptor walked in order, including a descriptor
 * that points at an indirect table (for tracing). */
struct virtq_chain {
	uint16_t head;
	uint32_t nr, nw;                  /* readable / writable segment counts */
	uint64_t rlen, wlen;              /* totals; rlen + wlen < 2^32 for an accepted chain */
	bool malformed;                   /* readable after writable (2.7.4.2) */
	uint32_t ndescs;
	uint32_t cap;                     /* capacity of seg[] and of descs[] */
	struct virtq_seg *seg;
	struct vsnd_desc *descs;
};

enum virtq_err {
	VIRTQ_OK = 0,
	VIRTQ_EMPTY = 1,
	VIRTQ_E_AVAIL_JUMP = -1,   /* avail.idx moved more than num past last_avail */
	VIRTQ_E_HEAD = -2,         /* head or next index out of range */
	VIRTQ_E_LOOP = -3,         /* loop or chain over the cap */
	VIRTQ_E_INDIRECT = -4,     /* indirect not negotiated, nested, with NEXT, bad len */
	VIRTQ_E_ADDR = -5,         /* a ring, table or buffer outside guest RAM, or wraps */
	VIRTQ_E_TOO_BIG = -6,      /* a chain totalling 2^32 bytes or more */
	VIRTQ_E_RING = -7,         /* ring size or alignment invalid, or queue not ready */
};

const char *virtq_strerror(int err);

/* Check a queue's size (power of 2, 1..num_max, num_max <= VIRTQ_MAX_SIZE) and ring
 * placement (inside RAM, desc 16-, avail 2-, used 4-aligned, full sizes including the
 * event fields) when it goes ready (4.2.3.2). Returns VIRTQ_OK or VIRTQ_E_RING/VIRTQ_E_ADDR. */
int virtq_validate(const struct virtq *q, const struct vsnd_gmem *m, uint32_t num_max);

/* Reset the shadow indexes (queue went ready, 1.5 of the facts sheet). */
void virtq_reset_indexes(struct virtq *q);

/* Take the next available chain. Returns VIRTQ_OK, VIRTQ_EMPTY or a negative virtq_err
 * (fatal: the transport sets DEVICE_NEEDS_RESET). Never reads outside guest RAM. On EMPTY
 * with EVENT_IDX negotiated, avail_event is published (= last_avail) and avail.idx re-read.
 * On a fatal error found while walking a chain last_avail is left past the offending entry;
 * on an avail-index jump or an avail ring entry outside RAM it is not advanced. Either way
 * the queue is unusable until reset. Never writes the descriptor table or the avail ring. */
int virtq_pop(struct virtq *q, const struct vsnd_gmem *m, struct virtq_chain *out);

/* Copy between a walked chain's segments and host memory (offsets within the readable or
 * writable stream). Return bytes copied (short at the end of the stream). Segments are
 * re-checked against RAM on every copy. */
uint32_t virtq_chain_read(const struct virtq_chain *c, const struct vsnd_gmem *m, uint32_t off,
			  void *dst, uint32_t len);
uint32_t virtq_chain_write(const struct virtq_chain *c, const struct vsnd_gmem *m, uint32_t off,
			   const void *src, uint32_t len);

/* Publish a used entry: ring slot first, release barrier, then used.idx (2.7.8). Returns 1
 * if the driver should be interrupted (2.7.7: avail.flags NO_INTERRUPT without EVENT_IDX,
 * used_event with EVENT_IDX), 0 if not, or a negative virtq_err if the queue is not ready
 * or its used ring is outside RAM (nothing written then). */
int virtq_push(struct virtq *q, const struct vsnd_gmem *m, uint16_t head, uint32_t len);

#endif
