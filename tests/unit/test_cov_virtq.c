/* test_cov_virtq.c - edge cases of the split virtqueue engine (vsnd/virtq.c) left by the main
 * suite (issue 7 coverage): error names, odd host mappings, rings that virtq_validate was never
 * asked about (partly outside RAM), and segments re-checked against a shrunken RAM window. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vsnd/virtq.h"

#define B 0x10000ull /* guest-physical base of the small test RAM */
#define S 0x4000ull  /* its size */

/* A RAM window over a heap block; `odd` shifts the host mapping by one byte so that every
 * 2-aligned guest address has an odd host address (the byte-copy paths of ld16/st16). */
struct ram {
	uint8_t *block;
	struct vsnd_gmem m;
	struct virtq q;
	struct virtq_chain c;
	struct virtq_seg seg[8];
	struct vsnd_desc descs[8];
};

static void ram_init(struct ram *r, int odd)
{
	memset(r, 0, sizeof(*r));
	r->block = calloc(1, S + 2);
	cr_assert(r->block);
	r->m = (struct vsnd_gmem){.host = r->block + (odd ? 1 : 0), .base = B, .size = S};
	r->c.cap = 8;
	r->c.seg = r->seg;
	r->c.descs = r->descs;
}

static void ram_fini(struct ram *r)
{
	free(r->block);
}

static void w16(struct ram *r, uint64_t a, uint16_t v)
{
	uint8_t *p = vsnd_gmem_ptr(&r->m, a, 2);
	cr_assert(p);
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint16_t r16(struct ram *r, uint64_t a)
{
	uint8_t *p = vsnd_gmem_ptr(&r->m, a, 2);
	cr_assert(p);
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t r32(struct ram *r, uint64_t a)
{
	uint8_t *p = vsnd_gmem_ptr(&r->m, a, 4);
	cr_assert(p);
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wdesc(struct ram *r, uint64_t tbl, uint16_t i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next)
{
	uint8_t *p = vsnd_gmem_ptr(&r->m, tbl + 16ull * i, 16);
	cr_assert(p);
	for (int k = 0; k < 8; k++)
		p[k] = (uint8_t)(addr >> (8 * k));
	for (int k = 0; k < 4; k++)
		p[8 + k] = (uint8_t)(len >> (8 * k));
	p[12] = (uint8_t)flags;
	p[13] = (uint8_t)(flags >> 8);
	p[14] = (uint8_t)next;
	p[15] = (uint8_t)(next >> 8);
}

/* Queue of 4 with rings inside RAM at the given addresses (not validated). */
static void queue(struct ram *r, uint64_t desc, uint64_t avail, uint64_t used, uint64_t features)
{
	r->q = (struct virtq){.num = 4, .desc = desc, .avail = avail, .used = used, .ready = true,
			      .features = features};
}

/* avail ring: publish head at slot idx % 4 and set avail.idx = idx + 1. */
static void publish(struct ram *r, uint16_t idx, uint16_t head)
{
	w16(r, r->q.avail + 4 + 2 * (idx % 4), head);
	w16(r, r->q.avail + 2, (uint16_t)(idx + 1));
}

#define F_EVT (1ull << VIRTIO_F_EVENT_IDX)

Test(cov_virtq, every_error_has_its_own_name)
{
	const int codes[] = {VIRTQ_OK,	      VIRTQ_EMPTY, VIRTQ_E_AVAIL_JUMP, VIRTQ_E_HEAD,
			     VIRTQ_E_LOOP,    VIRTQ_E_INDIRECT, VIRTQ_E_ADDR,  VIRTQ_E_TOO_BIG,
			     VIRTQ_E_RING};
	const size_t n = sizeof(codes) / sizeof(codes[0]);
	cr_expect_str_eq(virtq_strerror(VIRTQ_OK), "ok");
	cr_expect_str_eq(virtq_strerror(VIRTQ_EMPTY), "empty");
	cr_expect_str_eq(virtq_strerror(VIRTQ_E_ADDR), "address outside guest RAM");
	cr_expect_str_eq(virtq_strerror(42), "unknown virtqueue error");
	cr_expect_str_eq(virtq_strerror(-8), "unknown virtqueue error");
	for (size_t i = 0; i < n; i++) {
		const char *a = virtq_strerror(codes[i]);
		cr_expect(a && *a);
		cr_expect_str_neq(a, "unknown virtqueue error", "code %d", codes[i]);
		for (size_t j = 0; j < i; j++)
			cr_expect_str_neq(a, virtq_strerror(codes[j]), "codes %d and %d", codes[i],
					  codes[j]);
	}
}

Test(cov_virtq, sizes_beyond_the_spec_maximum_are_refused)
{
	struct ram r;
	ram_init(&r, 0);
	queue(&r, B, B + 0x100, B + 0x200, 0);
	cr_expect_eq(virtq_validate(&r.q, &r.m, 4), VIRTQ_OK);
	cr_expect_eq(virtq_validate(&r.q, &r.m, VIRTQ_MAX_SIZE * 2), VIRTQ_E_RING,
		     "QueueNumMax above 32768 is a device bug, refused");
	/* A ready queue whose size is not a power of 2, or above 32768, is never used. */
	r.q.num = 3;
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_E_RING);
	cr_expect_eq(virtq_push(&r.q, &r.m, 0, 0), VIRTQ_E_RING);
	r.q.num = VIRTQ_MAX_SIZE * 2;
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_E_RING);
	cr_expect_eq(virtq_push(&r.q, &r.m, 0, 0), VIRTQ_E_RING);
	cr_expect_eq(r16(&r, B + 0x202), 0, "nothing published");
	ram_fini(&r);
}

Test(cov_virtq, odd_host_mapping_uses_byte_copies)
{
	struct ram r;
	ram_init(&r, 1);
	uint64_t desc = B, avail = B + 0x100, used = B + 0x200, data = B + 0x1000;
	queue(&r, desc, avail, used, F_EVT);
	cr_assert_eq(virtq_validate(&r.q, &r.m, 4), VIRTQ_OK);
	cr_assert(((uintptr_t)vsnd_gmem_ptr(&r.m, avail + 2, 2) & 1) == 1);
	memcpy(vsnd_gmem_ptr(&r.m, data, 4), "wxyz", 4);
	/* Empty with EVENT_IDX: avail_event (after the used ring) is published as 0. */
	w16(&r, used + 4 + 8 * 4, 0xffff);
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_EMPTY);
	cr_expect_eq(r16(&r, used + 4 + 8 * 4), 0);
	wdesc(&r, desc, 2, data, 4, 0, 0);
	publish(&r, 0, 2);
	cr_assert_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_OK);
	cr_expect_eq(r.c.head, 2);
	cr_expect_eq(r.c.rlen, 4);
	cr_expect_eq(r16(&r, used + 4 + 8 * 4), 1, "avail_event = last_avail after the pop");
	char got[4];
	cr_expect_eq(virtq_chain_read(&r.c, &r.m, 0, got, 4), 4);
	cr_expect_arr_eq(got, "wxyz", 4);
	/* used_event (after the avail ring) = 0: the first completion interrupts. */
	w16(&r, avail + 4 + 2 * 4, 0);
	cr_expect_eq(virtq_push(&r.q, &r.m, 2, 0), 1);
	cr_expect_eq(r16(&r, used + 2), 1, "used.idx written byte by byte");
	cr_expect_eq(r32(&r, used + 4), 2);
	cr_expect_eq(r32(&r, used + 8), 0);
	/* Without EVENT_IDX the avail flags decide (read byte by byte). */
	r.q.features = 0;
	w16(&r, avail, VRING_AVAIL_F_NO_INTERRUPT);
	cr_expect_eq(virtq_push(&r.q, &r.m, 2, 0), 0);
	cr_expect_eq(r16(&r, used + 2), 2);
	ram_fini(&r);
}

Test(cov_virtq, pop_never_reads_outside_ram_on_an_unvalidated_queue)
{
	struct ram r;
	ram_init(&r, 0);
	/* avail.idx itself outside RAM. */
	queue(&r, B, B + S, B + 0x200, 0);
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_E_ADDR);
	/* EVENT_IDX, nothing pending, avail_event outside RAM: refused before the re-check. */
	queue(&r, B, B + 0x100, B + S - 4 - 8 * 4, F_EVT);
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_E_ADDR);
	/* avail.idx inside, the ring entry it publishes outside. */
	queue(&r, B, B + S - 4, B + 0x200, 0);
	w16(&r, B + S - 2, 1);
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_E_ADDR);
	/* Descriptor table below RAM. */
	queue(&r, B - 0x100, B + 0x100, B + 0x200, 0);
	publish(&r, 0, 1);
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_E_ADDR);
	cr_expect_eq(r.q.last_avail, 1, "left past the offending entry");
	ram_fini(&r);
}

Test(cov_virtq, pop_reports_an_avail_event_outside_ram_after_a_good_walk)
{
	struct ram r;
	ram_init(&r, 0);
	uint64_t used = B + S - 4 - 8 * 4; /* used ring ends where RAM ends: no avail_event */
	queue(&r, B, B + 0x100, used, F_EVT);
	wdesc(&r, B, 0, B + 0x1000, 16, 0, 0);
	publish(&r, 0, 0);
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_E_ADDR);
	cr_expect_eq(r.q.last_avail, 1);
	/* Without EVENT_IDX the same chain is fine. */
	r.q.features = 0;
	publish(&r, 1, 0);
	cr_expect_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_OK);
	cr_expect_eq(r.c.rlen, 16);
	ram_fini(&r);
}

Test(cov_virtq, copies_recheck_segments_against_ram)
{
	struct ram r;
	ram_init(&r, 0);
	uint64_t a = B + 0x1000, w = B + 0x2000;
	memcpy(vsnd_gmem_ptr(&r.m, a, 8), "01234567", 8);
	queue(&r, B, B + 0x100, B + 0x200, 0);
	wdesc(&r, B, 0, a, 8, VRING_DESC_F_NEXT, 1);
	wdesc(&r, B, 1, w, 8, VRING_DESC_F_WRITE, 0);
	publish(&r, 0, 0);
	cr_assert_eq(virtq_pop(&r.q, &r.m, &r.c), VIRTQ_OK);
	/* The same chain against a window that no longer holds its buffers: nothing copied. */
	struct vsnd_gmem small = r.m;
	small.size = 0x1004; /* the readable buffer's first 4 bytes only */
	char got[8] = {0};
	cr_expect_eq(virtq_chain_read(&r.c, &small, 0, got, 8), 0,
		     "a segment partly outside RAM is not copied at all");
	cr_expect_eq(virtq_chain_write(&r.c, &small, 0, "ab", 2), 0);
	cr_expect_eq(virtq_chain_read(&r.c, &r.m, 2, got, 8), 6);
	cr_expect_arr_eq(got, "234567", 6);
	ram_fini(&r);
}

Test(cov_virtq, push_checks_the_used_ring_and_notifies_when_it_cannot_tell)
{
	struct ram r;
	ram_init(&r, 0);
	/* used.idx below RAM while the slot is inside: nothing written. */
	queue(&r, B, B + 0x100, B - 4, 0);
	cr_expect_eq(virtq_push(&r.q, &r.m, 1, 8), VIRTQ_E_ADDR);
	cr_expect_eq(r32(&r, B), 0, "slot 0 untouched");
	cr_expect_eq(r.q.used_idx, 0);
	/* Slot outside RAM. */
	queue(&r, B, B + 0x100, B + S, 0);
	cr_expect_eq(virtq_push(&r.q, &r.m, 1, 8), VIRTQ_E_ADDR);
	/* EVENT_IDX with used_event outside RAM: published, and the driver is interrupted. */
	queue(&r, B, B + S - 4 - 2 * 4, B + 0x200, F_EVT);
	cr_expect_eq(virtq_push(&r.q, &r.m, 3, 5), 1);
	cr_expect_eq(r16(&r, B + 0x202), 1);
	cr_expect_eq(r32(&r, B + 0x204), 3);
	cr_expect_eq(r32(&r, B + 0x208), 5);
	/* No EVENT_IDX and avail.flags outside RAM: published, interrupted. */
	queue(&r, B, B + S, B + 0x200, 0);
	r.q.used_idx = 1;
	cr_expect_eq(virtq_push(&r.q, &r.m, 2, 6), 1);
	cr_expect_eq(r16(&r, B + 0x202), 2);
	cr_expect_eq(r32(&r, B + 0x20c), 2);
	cr_expect_eq(r32(&r, B + 0x210), 6);
	ram_fini(&r);
}
