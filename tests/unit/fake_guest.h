/* fake_guest.h - a fake virtio driver over fake guest RAM for tests: probes a virtio-mmio
 * transport the way Linux 6.1 does and drives split virtqueues (no device specifics).
 *
 * Typical use (see tests/unit/test_virtio_mmio.c):
 *
 *   struct fake_guest *g = fg_new(0x80000000, 16 << 20);      // RAM at 0x80000000
 *   struct vmmio *t = vmmio_new(&ops, dev, fg_gmem(g), fg_irq(g));
 *   fg_attach(g, t);
 *   uint32_t sizes[4] = { 64, 64, 256, 256 };
 *   fg_probe(g, 1ull << VIRTIO_F_VERSION_1, 4, sizes);         // steps 1-6 of facts 1.3
 *   ... fill queues that need buffers before DRIVER_OK (e.g. an event queue) ...
 *   fg_driver_ok(g);                                           // step 8
 *   struct fg_buf b[2] = { { .data = req, .len = 8 }, { .len = 4, .write = true } };
 *   int head = fg_add_bufs(g, 0, b, 2, 0);                     // b[i].gpa filled in
 *   fg_kick(g, 0);
 *   struct fg_used u;
 *   if (fg_wait_used(g, 0, &u, 1000)) ... fg_ptr(g, b[1].gpa, 4) holds the reply ...
 *
 * Memory: fg_alloc() is a bump allocator over the RAM (never freed; allocate long-lived
 * buffers once and re-add them with fg_add_segs()). RAM is mmap'd lazily, so a huge RAM
 * (for 2^32-byte chain tests) costs only the pages touched.
 * Descriptors: a host-side free list like Linux's; fg_get_used() frees a chain's
 * descriptors and counts ids Linux would reject ("not a head", out of range) in
 * fg_bad_used(). Interrupts: fg_irq() is a level line recorded here; fg_handle_irq() does
 * what vm_interrupt does (read InterruptStatus, write it to InterruptACK).
 * Thread safety: one test thread drives the guest; the irq line may be set from any thread. */
#ifndef TESTS_FAKE_GUEST_H
#define TESTS_FAKE_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "vsnd/gmem.h"
#include "vsnd/irq.h"
#include "vsnd/virtio_mmio.h"

#define FG_MAX_QUEUES 8

/* fg_add_* flags */
#define FG_INDIRECT 1u /* put the chain in one indirect table (as Linux does when negotiated) */

struct fake_guest;

struct fake_guest *fg_new(uint64_t base, uint64_t size);
void fg_free(struct fake_guest *g);
const struct vsnd_gmem *fg_gmem(struct fake_guest *g);
struct vsnd_irq fg_irq(struct fake_guest *g);
void fg_attach(struct fake_guest *g, struct vmmio *t);

/* Guest memory. fg_alloc aborts when RAM is exhausted; align is a power of 2. */
uint64_t fg_alloc(struct fake_guest *g, uint64_t len, uint64_t align);
void *fg_ptr(struct fake_guest *g, uint64_t gpa, uint64_t len); /* NULL if outside RAM */
void fg_mem_write(struct fake_guest *g, uint64_t gpa, const void *src, uint64_t len);
void fg_mem_read(struct fake_guest *g, uint64_t gpa, void *dst, uint64_t len);

/* 32-bit MMIO accesses to the attached transport. */
uint32_t fg_mmio_read(struct fake_guest *g, uint32_t off);
void fg_mmio_write(struct fake_guest *g, uint32_t off, uint32_t val);

/* Probe, split in Linux 6.1's steps (facts sheet 1.3):
 * fg_begin: 1-3 (identity reads, reset, ACK, DRIVER, read features); 0, or -1 if Magic,
 *   Version or DeviceID is unusable. fg_device_features() then returns the offer.
 * fg_negotiate: 4-5 with exactly drv (high window first) and FEATURES_OK read-modify-write;
 *   0 if the device kept FEATURES_OK, -1 if it refused.
 * fg_setup_queue: 6 for one queue; returns the size used (min(num, QueueNumMax)) or -1
 *   (QueueReady not 0 or QueueNumMax 0). Rings are laid out like Linux (one block, used
 *   ring 4096-aligned) unless fg_alloc_queue was called for q before.
 * fg_probe: fg_begin, fg_negotiate(offer & want), fg_setup_queue for queues 0..nq-1.
 * fg_driver_ok: step 8 (Status |= DRIVER_OK by read-modify-write). */
int fg_begin(struct fake_guest *g);
uint64_t fg_device_features(struct fake_guest *g);
int fg_negotiate(struct fake_guest *g, uint64_t drv);
int fg_setup_queue(struct fake_guest *g, unsigned q, uint32_t num);
int fg_probe(struct fake_guest *g, uint64_t want, unsigned nq, const uint32_t *sizes);
void fg_driver_ok(struct fake_guest *g);
uint32_t fg_status(struct fake_guest *g);

/* Lay out rings for queue q in RAM without touching MMIO (for virtq unit tests). To
 * program custom addresses: fg_alloc_queue(q, num), fg_set_queue_addrs, then
 * fg_setup_queue(q, num) with the same num (rings are zeroed where they are RAM). */
void fg_alloc_queue(struct fake_guest *g, unsigned q, uint32_t num);
void fg_set_queue_addrs(struct fake_guest *g, unsigned q, uint64_t desc, uint64_t avail,
			uint64_t used);
struct fg_queue_info {
	uint32_t num;
	uint64_t desc, avail, used;
};
struct fg_queue_info fg_queue_info(struct fake_guest *g, unsigned q);

/* Chains. A segment is guest memory the caller owns; a buffer is allocated here. */
struct fg_seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};
struct fg_buf {
	const void *data; /* readable: contents (NULL = zeros); writable: initial fill or NULL */
	uint32_t len;
	bool write;
	uint64_t gpa; /* out: where it was placed */
};
/* Add a chain and publish it in the avail ring (no kick). Returns the head index, or -1
 * if not enough free descriptors. With FG_INDIRECT one ring descriptor is used. */
int fg_add_segs(struct fake_guest *g, unsigned q, const struct fg_seg *segs, unsigned n,
		unsigned flags);
int fg_add_bufs(struct fake_guest *g, unsigned q, struct fg_buf *bufs, unsigned n, unsigned flags);
void fg_kick(struct fake_guest *g, unsigned q);
unsigned fg_num_free(struct fake_guest *g, unsigned q);

/* Raw ring access, for malformed-input tests. fg_push_avail puts head in the next avail
 * slot and bumps avail.idx (release); fg_set_avail_idx writes the index as is. */
void fg_write_desc(struct fake_guest *g, unsigned q, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next);
void fg_push_avail(struct fake_guest *g, unsigned q, uint16_t head);
void fg_set_avail_idx(struct fake_guest *g, unsigned q, uint16_t idx);
uint16_t fg_avail_idx(struct fake_guest *g, unsigned q);
void fg_set_avail_flags(struct fake_guest *g, unsigned q, uint16_t flags);
void fg_set_used_event(struct fake_guest *g, unsigned q, uint16_t v);
uint16_t fg_avail_event(struct fake_guest *g, unsigned q);
uint16_t fg_used_idx(struct fake_guest *g, unsigned q);

/* Used entries. fg_get_used returns 1 and the next entry, or 0 if none is published. */
struct fg_used {
	uint32_t id, len;
};
int fg_get_used(struct fake_guest *g, unsigned q, struct fg_used *u);
/* Wait (up to timeout_ms) for a used entry on q, handling interrupts like Linux. */
int fg_wait_used(struct fake_guest *g, unsigned q, struct fg_used *u, unsigned timeout_ms);
unsigned fg_bad_used(struct fake_guest *g);

/* Interrupt line. */
int fg_irq_level(struct fake_guest *g);
unsigned fg_irq_raises(struct fake_guest *g);		    /* 0->1 transitions seen */
uint32_t fg_handle_irq(struct fake_guest *g);		    /* read ISR, ACK it, return it */
int fg_wait_irq(struct fake_guest *g, unsigned timeout_ms); /* returns the level */

#endif
