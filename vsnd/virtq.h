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

/* Upper bound on descriptors in one chain (direct + indirect), spec 2.7.4.1 allows a cap. */
#define VIRTQ_MAX_CHAIN 512

struct virtq {
	uint32_t num;              /* size the driver chose (power of 2) */
	uint64_t desc, avail, used;/* guest-physical ring addresses */
	bool ready;
	uint16_t last_avail;       /* next avail slot the device will take */
	uint16_t used_idx;         /* device's shadow of used.idx */
	uint64_t features;         /* negotiated features (INDIRECT, EVENT_IDX) */
};

/* A contiguous guest buffer. */
struct virtq_seg {
	uint64_t addr;
	uint32_t len;
};

/* A walked chain: readable segments first, then writable ones. */
struct virtq_chain {
	uint16_t head;
	uint32_t nr, nw;                  /* readable / writable segment counts */
	struct virtq_seg seg[VIRTQ_MAX_CHAIN];
	uint64_t rlen, wlen;              /* totals (64-bit: checked against 2^32) */
	bool malformed;                   /* readable after writable */
	uint32_t ndescs;
	struct vsnd_desc descs[VIRTQ_MAX_CHAIN];
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
	VIRTQ_E_RING = -7,         /* ring size or alignment invalid */
};

const char *virtq_strerror(int err);

/* Check a queue's size and ring placement when it goes ready (4.2.3.2). */
int virtq_validate(const struct virtq *q, const struct vsnd_gmem *m, uint32_t num_max);

/* Take the next available chain. Returns VIRTQ_OK, VIRTQ_EMPTY or a negative virtq_err
 * (fatal: the transport sets DEVICE_NEEDS_RESET). Never reads outside guest RAM. */
int virtq_pop(struct virtq *q, const struct vsnd_gmem *m, struct virtq_chain *out);

/* Copy between a walked chain's segments and host memory (offsets within the readable or
 * writable stream). Return bytes copied. */
uint32_t virtq_chain_read(const struct virtq_chain *c, const struct vsnd_gmem *m, uint32_t off,
			  void *dst, uint32_t len);
uint32_t virtq_chain_write(const struct virtq_chain *c, const struct vsnd_gmem *m, uint32_t off,
			   const void *src, uint32_t len);

/* Publish a used entry. Returns 1 if the driver should be interrupted (2.7.7, 2.7.10). */
int virtq_push(struct virtq *q, const struct vsnd_gmem *m, uint16_t head, uint32_t len);

#endif
