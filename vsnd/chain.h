/* chain.h - a descriptor chain as the sound device sees it: two byte streams and a completion.
 * Suppliers: the virtio-mmio transport (guest RAM), the replay engine (recorded bytes), tests. */
#ifndef VSND_CHAIN_H
#define VSND_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

/* One descriptor as found in the ring (for tracing only; the device never uses addresses). */
struct vsnd_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* VRING_DESC_F_* as in the ring (NEXT=1, WRITE=2, INDIRECT=4) */
	uint16_t next;
};

struct vsnd_chain;

/* Contract:
 * - read() copies up to len bytes of the device-readable part, starting at byte off of that
 *   part viewed as one gathered stream; returns the number copied (short at the end).
 * - write() copies into the device-writable part, viewed as one scattered stream; returns
 *   the number copied (short at the end). Never touches readable descriptors.
 * - complete() returns the chain to the driver with used.len = used_len and notifies it.
 *   The chain object is freed; the caller must not touch it afterwards.
 * - discard() frees the chain without returning it (device reset, spec 2.4): after a reset
 *   the device touches no queue memory.
 * read/write/complete may be called from any device thread; the supplier serialises access
 * to its ring. A supplier may call these while the device holds its own locks. */
struct vsnd_chain_ops {
	uint32_t (*read)(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len);
	uint32_t (*write)(struct vsnd_chain *c, uint32_t off, const void *src, uint32_t len);
	void (*complete)(struct vsnd_chain *c, uint32_t used_len);
	void (*discard)(struct vsnd_chain *c);
};

struct vsnd_chain {
	const struct vsnd_chain_ops *ops;
	void *opaque;      /* supplier's own data */
	uint16_t queue;    /* virtqueue index (VSND_VQ_*) */
	uint16_t head;     /* head descriptor index in its ring */
	uint32_t rlen;     /* total device-readable bytes */
	uint32_t wlen;     /* total device-writable bytes */
	bool malformed;    /* a readable descriptor followed a writable one (2.7.4.2) */
	uint64_t seq;      /* supplier-assigned sequence number, unique per session */
	const struct vsnd_desc *descs; /* descriptors walked, for tracing; may be NULL */
	uint32_t ndescs;
};

static inline uint32_t vsnd_chain_read(struct vsnd_chain *c, uint32_t off, void *dst, uint32_t len)
{
	return c->ops->read(c, off, dst, len);
}
static inline uint32_t vsnd_chain_write(struct vsnd_chain *c, uint32_t off, const void *src,
					uint32_t len)
{
	return c->ops->write(c, off, src, len);
}
static inline void vsnd_chain_complete(struct vsnd_chain *c, uint32_t used_len)
{
	c->ops->complete(c, used_len);
}
static inline void vsnd_chain_discard(struct vsnd_chain *c)
{
	c->ops->discard(c);
}

#endif
