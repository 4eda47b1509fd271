/* test_virtq.c - split virtqueue engine (vsnd/virtq.c): ring validation, chain walking and
 * every malformed-chain class of the facts sheet section 5, copies, used-ring publication. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_guest.h"
#include "vsnd/virtq.h"

#define BASE 0x80000000ull
#define F_IND (1ull << VIRTIO_F_INDIRECT_DESC)
#define F_EVT (1ull << VIRTIO_F_EVENT_IDX)

struct rig {
	struct fake_guest *g;
	struct virtq q;
	struct virtq_chain c;
	struct virtq_seg seg[VIRTQ_MAX_CHAIN];
	struct vsnd_desc descs[VIRTQ_MAX_CHAIN];
};

static struct rig *rig_new_at(uint64_t base, uint64_t size, uint32_t num, uint64_t features)
{
	struct rig *r = calloc(1, sizeof(*r));
	cr_assert(r);
	r->g = fg_new(base, size);
	fg_alloc_queue(r->g, 0, num);
	struct fg_queue_info qi = fg_queue_info(r->g, 0);
	r->q = (struct virtq){.num = num,
			      .desc = qi.desc,
			      .avail = qi.avail,
			      .used = qi.used,
			      .ready = true,
			      .features = features};
	r->c.cap = VIRTQ_MAX_CHAIN;
	r->c.seg = r->seg;
	r->c.descs = r->descs;
	return r;
}

static struct rig *rig_new(uint32_t num, uint64_t features)
{
	return rig_new_at(BASE, 1 << 20, num, features);
}

static void rig_free(struct rig *r)
{
	fg_free(r->g);
	free(r);
}

static int pop(struct rig *r)
{
	return virtq_pop(&r->q, fg_gmem(r->g), &r->c);
}

static uint64_t buf(struct rig *r, const char *s)
{
	uint64_t a = fg_alloc(r->g, strlen(s), 1);
	fg_mem_write(r->g, a, s, strlen(s));
	return a;
}

Test(virtq, validate_sizes_alignment_and_placement)
{
	struct rig *r = rig_new(8, 0);
	const struct vsnd_gmem *m = fg_gmem(r->g);
	cr_expect_eq(virtq_validate(&r->q, m, 8), VIRTQ_OK);
	struct virtq q = r->q;
	q.num = 0;
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_RING);
	q.num = 3;
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_RING);
	q.num = 16;
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_RING, "larger than QueueNumMax");
	q = r->q;
	q.desc += 8;
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_RING, "desc must be 16-aligned");
	q = r->q;
	q.avail += 1;
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_RING, "avail must be 2-aligned");
	q = r->q;
	q.used += 2;
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_RING, "used must be 4-aligned");
	q = r->q;
	q.used = BASE + (1 << 20) - 68; /* avail_event field 2 bytes past the end */
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_ADDR);
	q = r->q;
	q.desc = 0x1000;
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_ADDR, "below RAM");
	q = r->q;
	q.avail = 0xfffffffffffffff0ull;
	cr_expect_eq(virtq_validate(&q, m, 8), VIRTQ_E_ADDR, "wraps 2^64");
	rig_free(r);
}

Test(virtq, empty_and_not_ready)
{
	struct rig *r = rig_new(8, 0);
	cr_expect_eq(pop(r), VIRTQ_EMPTY);
	r->q.ready = false;
	cr_expect_eq(pop(r), VIRTQ_E_RING);
	cr_expect_lt(virtq_push(&r->q, fg_gmem(r->g), 0, 0), 0);
	cr_expect_eq(fg_used_idx(r->g, 0), 0, "nothing published on an unready queue");
	rig_free(r);
}

Test(virtq, chain_segments_and_trace)
{
	struct rig *r = rig_new(8, 0);
	uint64_t a = buf(r, "abc"), b = buf(r, "defgh");
	uint64_t w = fg_alloc(r->g, 16, 8);
	fg_write_desc(r->g, 0, 5, a, 3, VRING_DESC_F_NEXT, 2);
	fg_write_desc(r->g, 0, 2, b, 5, VRING_DESC_F_NEXT, 7);
	fg_write_desc(r->g, 0, 7, w, 16, VRING_DESC_F_WRITE, 0);
	fg_push_avail(r->g, 0, 5);
	cr_assert_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(r->c.head, 5);
	cr_expect_eq(r->c.nr, 2);
	cr_expect_eq(r->c.nw, 1);
	cr_expect_eq(r->c.rlen, 8);
	cr_expect_eq(r->c.wlen, 16);
	cr_expect_not(r->c.malformed);
	cr_expect_eq(r->c.ndescs, 3);
	cr_expect_eq(r->c.descs[1].addr, b);
	cr_expect_eq(r->c.descs[1].len, 5);
	cr_expect_eq(r->c.descs[1].flags, VRING_DESC_F_NEXT);
	cr_expect_eq(r->c.descs[1].next, 7);
	cr_expect_eq(r->c.seg[2].addr, w);
	cr_expect_eq(r->q.last_avail, 1);
	cr_expect_eq(pop(r), VIRTQ_EMPTY);
	rig_free(r);
}

Test(virtq, read_write_across_descriptor_boundaries)
{
	struct rig *r = rig_new(8, 0);
	uint64_t a = buf(r, "012"), b = buf(r, "3456789"), c = buf(r, "A");
	uint64_t w1 = fg_alloc(r->g, 2, 1), w2 = fg_alloc(r->g, 6, 1);
	fg_mem_write(r->g, w1, "..", 2);
	fg_mem_write(r->g, w2, "......", 6);
	fg_write_desc(r->g, 0, 0, a, 3, VRING_DESC_F_NEXT, 1);
	fg_write_desc(r->g, 0, 1, b, 7, VRING_DESC_F_NEXT, 2);
	fg_write_desc(r->g, 0, 2, c, 1, VRING_DESC_F_NEXT, 3);
	fg_write_desc(r->g, 0, 3, w1, 2, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
	fg_write_desc(r->g, 0, 4, w2, 6, VRING_DESC_F_WRITE, 0);
	fg_push_avail(r->g, 0, 0);
	cr_assert_eq(pop(r), VIRTQ_OK);
	const struct vsnd_gmem *m = fg_gmem(r->g);
	char out[16] = {0};
	cr_expect_eq(virtq_chain_read(&r->c, m, 0, out, 11), 11);
	cr_expect_arr_eq(out, "0123456789A", 11);
	memset(out, 0, sizeof(out));
	cr_expect_eq(virtq_chain_read(&r->c, m, 2, out, 4), 4, "across the first boundary");
	cr_expect_arr_eq(out, "2345", 4);
	cr_expect_eq(virtq_chain_read(&r->c, m, 9, out, 16), 2, "short at the end");
	cr_expect_arr_eq(out, "9A", 2);
	cr_expect_eq(virtq_chain_read(&r->c, m, 11, out, 4), 0);
	cr_expect_eq(virtq_chain_read(&r->c, m, 4000, out, 4), 0);

	cr_expect_eq(virtq_chain_write(&r->c, m, 1, "xyz", 3), 3, "across writable boundary");
	char wb[8];
	fg_mem_read(r->g, w1, wb, 2);
	cr_expect_arr_eq(wb, ".x", 2);
	fg_mem_read(r->g, w2, wb, 6);
	cr_expect_arr_eq(wb, "yz....", 6);
	cr_expect_eq(virtq_chain_write(&r->c, m, 6, "PQRS", 4), 2, "short at the end");
	fg_mem_read(r->g, w2, wb, 6);
	cr_expect_arr_eq(wb, "yz..PQ", 6);
	/* Readable buffers are never written. */
	fg_mem_read(r->g, a, wb, 3);
	cr_expect_arr_eq(wb, "012", 3);
	fg_mem_read(r->g, c, wb, 1);
	cr_expect_eq(wb[0], 'A');
	rig_free(r);
}

Test(virtq, descriptor_loop_is_fatal)
{
	struct rig *r = rig_new(8, 0);
	uint64_t a = buf(r, "x");
	fg_write_desc(r->g, 0, 0, a, 1, VRING_DESC_F_NEXT, 1);
	fg_write_desc(r->g, 0, 1, a, 1, VRING_DESC_F_NEXT, 0);
	fg_push_avail(r->g, 0, 0);
	cr_expect_eq(pop(r), VIRTQ_E_LOOP);
	rig_free(r);
}

Test(virtq, self_loop_is_fatal)
{
	struct rig *r = rig_new(4, 0);
	fg_write_desc(r->g, 0, 3, BASE, 1, VRING_DESC_F_NEXT, 3);
	fg_push_avail(r->g, 0, 3);
	cr_expect_eq(pop(r), VIRTQ_E_LOOP);
	rig_free(r);
}

Test(virtq, next_and_head_out_of_range_are_fatal)
{
	struct rig *r = rig_new(8, 0);
	fg_write_desc(r->g, 0, 0, BASE, 1, VRING_DESC_F_NEXT, 8);
	fg_push_avail(r->g, 0, 0);
	cr_expect_eq(pop(r), VIRTQ_E_HEAD);
	rig_free(r);
	r = rig_new(8, 0);
	fg_push_avail(r->g, 0, 8);
	cr_expect_eq(pop(r), VIRTQ_E_HEAD);
	rig_free(r);
	r = rig_new(8, 0);
	fg_push_avail(r->g, 0, 0xffff);
	cr_expect_eq(pop(r), VIRTQ_E_HEAD);
	rig_free(r);
}

Test(virtq, avail_jump_beyond_size_is_fatal)
{
	struct rig *r = rig_new(8, 0);
	fg_write_desc(r->g, 0, 0, BASE, 1, 0, 0);
	fg_set_avail_idx(r->g, 0, 9);
	cr_expect_eq(pop(r), VIRTQ_E_AVAIL_JUMP);
	rig_free(r);
	/* Exactly num pending is legal (a full ring). */
	r = rig_new(8, 0);
	for (int i = 0; i < 8; i++) {
		fg_write_desc(r->g, 0, i, BASE, 1, 0, 0);
		fg_push_avail(r->g, 0, i);
	}
	for (int i = 0; i < 8; i++)
		cr_expect_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(pop(r), VIRTQ_EMPTY);
	rig_free(r);
	/* A jump backwards is a jump by more than num too. */
	r = rig_new(8, 0);
	fg_set_avail_idx(r->g, 0, 0xffff);
	cr_expect_eq(pop(r), VIRTQ_E_AVAIL_JUMP);
	rig_free(r);
}

Test(virtq, zero_length_descriptor_is_skipped)
{
	struct rig *r = rig_new(8, 0);
	uint64_t a = buf(r, "hi");
	fg_write_desc(r->g, 0, 0, 0xdead0000ull, 0, VRING_DESC_F_NEXT, 1); /* never touched */
	fg_write_desc(r->g, 0, 1, a, 2, VRING_DESC_F_NEXT, 2);
	fg_write_desc(r->g, 0, 2, a, 0, VRING_DESC_F_WRITE, 0);
	fg_push_avail(r->g, 0, 0);
	cr_assert_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(r->c.ndescs, 3);
	cr_expect_eq(r->c.nr, 1);
	cr_expect_eq(r->c.nw, 0);
	cr_expect_eq(r->c.rlen, 2);
	cr_expect_eq(r->c.wlen, 0);
	char out[2];
	cr_expect_eq(virtq_chain_read(&r->c, fg_gmem(r->g), 0, out, 2), 2);
	cr_expect_arr_eq(out, "hi", 2);
	rig_free(r);
}

static int one_desc(uint64_t base, uint64_t size, uint64_t addr, uint32_t len)
{
	struct rig *r = rig_new_at(base, size, 8, 0);
	fg_write_desc(r->g, 0, 0, addr, len, 0, 0);
	fg_push_avail(r->g, 0, 0);
	int e = pop(r);
	rig_free(r);
	return e;
}

Test(virtq, buffers_outside_ram_are_fatal)
{
	uint64_t sz = 1 << 20;
	cr_expect_eq(one_desc(BASE, sz, BASE + sz - 4, 4), VIRTQ_OK, "last 4 bytes");
	cr_expect_eq(one_desc(BASE, sz, BASE + sz - 4, 5), VIRTQ_E_ADDR, "one byte past");
	cr_expect_eq(one_desc(BASE, sz, BASE + sz, 1), VIRTQ_E_ADDR);
	cr_expect_eq(one_desc(BASE, sz, BASE - 1, 2), VIRTQ_E_ADDR, "starts below RAM");
	cr_expect_eq(one_desc(BASE, sz, BASE, 0xffffffffu), VIRTQ_E_ADDR, "huge length");
	cr_expect_eq(one_desc(BASE, sz, 0xfffffffffffffff0ull, 0x20), VIRTQ_E_ADDR, "wraps 2^64");
}

/* RAM at the top of the 32-bit space: with 32-bit arithmetic addr + len would wrap to a
 * small number and pass a naive "end <= limit" check; at base 0 the wrapped end would even
 * lie inside RAM. Neither may be accepted (and ASan would catch a touch). */
Test(virtq, addresses_wrapping_2_32_are_fatal)
{
	cr_expect_eq(one_desc(0xffff0000ull, 0x10000, 0xffffff00ull, 0x100), VIRTQ_OK);
	cr_expect_eq(one_desc(0xffff0000ull, 0x10000, 0xffffff00ull, 0x200), VIRTQ_E_ADDR);
	cr_expect_eq(one_desc(0, 0x100000, 0xffffff00ull, 0x200), VIRTQ_E_ADDR);
	cr_expect_eq(one_desc(0, 0x100000, 0x100000000ull, 0x10), VIRTQ_E_ADDR, "alias of 0");
}

Test(virtq, chain_of_2_32_bytes_is_fatal)
{
	/* 2 GiB + 1 of lazily mapped RAM: two overlapping 2 GiB buffers total exactly 2^32. */
	uint64_t big = 0x80000000ull;
	struct rig *r = rig_new_at(0x100000000ull, big + 0x10000, 8, 0);
	uint64_t data = fg_alloc(r->g, big, 4096);
	fg_write_desc(r->g, 0, 0, data, 0x80000000u, VRING_DESC_F_NEXT, 1);
	fg_write_desc(r->g, 0, 1, data, 0x80000000u, VRING_DESC_F_WRITE, 0);
	fg_push_avail(r->g, 0, 0);
	cr_expect_eq(pop(r), VIRTQ_E_TOO_BIG);
	fg_write_desc(r->g, 0, 2, data, 0x80000000u, VRING_DESC_F_NEXT, 3);
	fg_write_desc(r->g, 0, 3, data, 0x7fffffffu, VRING_DESC_F_WRITE, 0);
	fg_push_avail(r->g, 0, 2);
	cr_expect_eq(pop(r), VIRTQ_OK, "2^32 - 1 is still legal");
	cr_expect_eq(r->c.rlen + r->c.wlen, 0xffffffffull);
	rig_free(r);
}

Test(virtq, readable_after_writable_is_malformed_not_fatal)
{
	struct rig *r = rig_new(8, 0);
	uint64_t a = buf(r, "AA"), w = fg_alloc(r->g, 4, 4), b = buf(r, "BBB");
	fg_write_desc(r->g, 0, 0, a, 2, VRING_DESC_F_NEXT, 1);
	fg_write_desc(r->g, 0, 1, w, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	fg_write_desc(r->g, 0, 2, b, 3, 0, 0);
	fg_push_avail(r->g, 0, 0);
	cr_assert_eq(pop(r), VIRTQ_OK);
	cr_expect(r->c.malformed);
	cr_expect_eq(r->c.nr, 2);
	cr_expect_eq(r->c.rlen, 5);
	cr_expect_eq(r->c.nw, 1);
	cr_expect_eq(r->c.seg[2].addr, w);
	char out[5];
	cr_expect_eq(virtq_chain_read(&r->c, fg_gmem(r->g), 0, out, 5), 5);
	cr_expect_arr_eq(out, "AABBB", 5);
	rig_free(r);
}

/* Indirect table of n entries chained 0->1->..., readable then writable halves. */
static uint64_t table(struct rig *r, unsigned n, unsigned nread, uint64_t data)
{
	uint64_t t = fg_alloc(r->g, 16ull * n, 16);
	for (unsigned i = 0; i < n; i++) {
		uint8_t raw[16];
		uint64_t a = data + i;
		uint32_t l = 1;
		uint16_t f =
		    (i >= nread ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		uint16_t nx = (uint16_t)(i + 1 < n ? i + 1 : 0);
		memcpy(raw, &a, 8);
		memcpy(raw + 8, &l, 4);
		memcpy(raw + 12, &f, 2);
		memcpy(raw + 14, &nx, 2);
		fg_mem_write(r->g, t + 16ull * i, raw, 16);
	}
	return t;
}

static void patch_table(struct rig *r, uint64_t t, unsigned i, uint16_t flags, uint16_t next)
{
	fg_mem_write(r->g, t + 16ull * i + 12, &flags, 2);
	fg_mem_write(r->g, t + 16ull * i + 14, &next, 2);
}

Test(virtq, indirect_table)
{
	struct rig *r = rig_new(8, F_IND);
	uint64_t data = buf(r, "0123");
	uint64_t t = table(r, 4, 2, data);
	/* WRITE on the pointing descriptor is ignored (2.7.5.3.2). */
	fg_write_desc(r->g, 0, 6, t, 64, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	fg_push_avail(r->g, 0, 6);
	cr_assert_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(r->c.head, 6);
	cr_expect_eq(r->c.ndescs, 5, "pointer + 4 table entries");
	cr_expect_eq(r->c.descs[0].flags & VRING_DESC_F_INDIRECT, VRING_DESC_F_INDIRECT);
	cr_expect_eq(r->c.nr, 2);
	cr_expect_eq(r->c.nw, 2);
	cr_expect_eq(r->c.seg[0].addr, data);
	cr_expect_eq(r->c.seg[3].addr, data + 3);
	char out[2];
	cr_expect_eq(virtq_chain_read(&r->c, fg_gmem(r->g), 0, out, 2), 2);
	cr_expect_arr_eq(out, "01", 2);
	rig_free(r);
}

Test(virtq, direct_descriptors_then_one_indirect)
{
	struct rig *r = rig_new(8, F_IND);
	uint64_t data = buf(r, "hdrPAYL");
	uint64_t t = table(r, 2, 2, data + 3);
	fg_write_desc(r->g, 0, 0, data, 3, VRING_DESC_F_NEXT, 1);
	fg_write_desc(r->g, 0, 1, t, 32, VRING_DESC_F_INDIRECT, 0);
	fg_push_avail(r->g, 0, 0);
	cr_assert_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(r->c.nr, 3);
	cr_expect_eq(r->c.rlen, 5);
	char out[5];
	cr_expect_eq(virtq_chain_read(&r->c, fg_gmem(r->g), 0, out, 5), 5);
	cr_expect_arr_eq(out, "hdrPA", 5);
	rig_free(r);
}

static int indirect_case(uint64_t features, int variant)
{
	struct rig *r = rig_new(8, features);
	uint64_t data = buf(r, "0123456789");
	uint64_t t = table(r, 4, 2, data);
	uint32_t len = 64;
	uint16_t flags = VRING_DESC_F_INDIRECT;
	uint64_t addr = t;
	switch (variant) {
	case 0:
		break; /* plain */
	case 1:
		patch_table(r, t, 1, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 2);
		break;
	case 2:
		flags |= VRING_DESC_F_NEXT;
		break; /* INDIRECT with NEXT */
	case 3:
		len = 0;
		break;
	case 4:
		len = 24;
		break; /* not a multiple of 16 */
	case 5:
		addr = BASE + (1 << 20) - 32;
		break; /* table past RAM */
	case 6:
		patch_table(r, t, 2, VRING_DESC_F_NEXT, 4);
		break; /* next >= table len */
	case 7:
		patch_table(r, t, 3, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
		break; /* loop */
	}
	fg_write_desc(r->g, 0, 0, addr, len, flags, 1);
	fg_write_desc(r->g, 0, 1, data, 1, 0, 0);
	fg_push_avail(r->g, 0, 0);
	int e = pop(r);
	rig_free(r);
	return e;
}

Test(virtq, bad_indirect_tables_are_fatal)
{
	cr_expect_eq(indirect_case(F_IND, 0), VIRTQ_OK);
	cr_expect_eq(indirect_case(0, 0), VIRTQ_E_INDIRECT, "not negotiated");
	cr_expect_eq(indirect_case(F_IND, 1), VIRTQ_E_INDIRECT, "nested");
	cr_expect_eq(indirect_case(F_IND, 2), VIRTQ_E_INDIRECT, "with NEXT");
	cr_expect_eq(indirect_case(F_IND, 3), VIRTQ_E_INDIRECT, "len 0");
	cr_expect_eq(indirect_case(F_IND, 4), VIRTQ_E_INDIRECT, "len % 16");
	cr_expect_eq(indirect_case(F_IND, 5), VIRTQ_E_ADDR, "outside RAM");
	cr_expect_eq(indirect_case(F_IND, 6), VIRTQ_E_HEAD, "next >= table length");
	cr_expect_eq(indirect_case(F_IND, 7), VIRTQ_E_LOOP, "loop inside the table");
}

Test(virtq, chain_over_the_cap_is_fatal)
{
	struct rig *r = rig_new(8, F_IND);
	uint64_t data = fg_alloc(r->g, 1024, 1);
	uint64_t t = table(r, VIRTQ_MAX_CHAIN, VIRTQ_MAX_CHAIN, data);
	fg_write_desc(r->g, 0, 0, t, 16 * VIRTQ_MAX_CHAIN, VRING_DESC_F_INDIRECT, 0);
	fg_push_avail(r->g, 0, 0);
	cr_expect_eq(pop(r), VIRTQ_E_LOOP, "pointer + 512 entries exceeds the cap");
	uint64_t t2 = table(r, VIRTQ_MAX_CHAIN - 1, VIRTQ_MAX_CHAIN - 1, data);
	fg_write_desc(r->g, 0, 1, t2, 16 * (VIRTQ_MAX_CHAIN - 1), VRING_DESC_F_INDIRECT, 0);
	fg_push_avail(r->g, 0, 1);
	cr_expect_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(r->c.ndescs, VIRTQ_MAX_CHAIN);
	rig_free(r);
}

Test(virtq, push_writes_entry_then_index)
{
	struct rig *r = rig_new(4, 0);
	const struct vsnd_gmem *m = fg_gmem(r->g);
	struct fg_queue_info qi = fg_queue_info(r->g, 0);
	for (int i = 0; i < 6; i++)
		cr_expect_eq(virtq_push(&r->q, m, (uint16_t)(i % 4), 100 + i), 1);
	cr_expect_eq(fg_used_idx(r->g, 0), 6);
	uint32_t e[2];
	fg_mem_read(r->g, qi.used + 4 + 8 * 1, e, 8); /* slot 1 = entry 5 after wrap */
	cr_expect_eq(e[0], 1);
	cr_expect_eq(e[1], 105);
	fg_mem_read(r->g, qi.used + 4 + 8 * 3, e, 8);
	cr_expect_eq(e[0], 3);
	cr_expect_eq(e[1], 103);
	rig_free(r);
}

Test(virtq, no_interrupt_hint)
{
	struct rig *r = rig_new(8, 0);
	const struct vsnd_gmem *m = fg_gmem(r->g);
	fg_set_avail_flags(r->g, 0, VRING_AVAIL_F_NO_INTERRUPT);
	cr_expect_eq(virtq_push(&r->q, m, 0, 0), 0);
	fg_set_avail_flags(r->g, 0, 0);
	cr_expect_eq(virtq_push(&r->q, m, 1, 0), 1);
	cr_expect_eq(fg_used_idx(r->g, 0), 2, "published either way");
	rig_free(r);
}

Test(virtq, event_idx_used_event_and_avail_event)
{
	struct rig *r = rig_new(8, F_EVT);
	const struct vsnd_gmem *m = fg_gmem(r->g);
	/* NO_INTERRUPT is ignored with EVENT_IDX; used_event decides (2.7.10). */
	fg_set_avail_flags(r->g, 0, VRING_AVAIL_F_NO_INTERRUPT);
	fg_set_used_event(r->g, 0, 0);
	cr_expect_eq(virtq_push(&r->q, m, 0, 0), 1, "old idx 0 == used_event 0");
	cr_expect_eq(virtq_push(&r->q, m, 1, 0), 0);
	fg_set_used_event(r->g, 0, 4);
	cr_expect_eq(virtq_push(&r->q, m, 2, 0), 0);
	cr_expect_eq(virtq_push(&r->q, m, 3, 0), 0);
	cr_expect_eq(virtq_push(&r->q, m, 4, 0), 1, "crossing used_event 4");
	cr_expect_eq(virtq_push(&r->q, m, 5, 0), 0);

	cr_expect_eq(pop(r), VIRTQ_EMPTY);
	cr_expect_eq(fg_avail_event(r->g, 0), 0, "published on empty");
	for (int i = 0; i < 3; i++) {
		fg_write_desc(r->g, 0, i, BASE, 1, 0, 0);
		fg_push_avail(r->g, 0, i);
	}
	cr_expect_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(fg_avail_event(r->g, 0), 1);
	cr_expect_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(pop(r), VIRTQ_OK);
	cr_expect_eq(pop(r), VIRTQ_EMPTY);
	cr_expect_eq(fg_avail_event(r->g, 0), 3);
	rig_free(r);
}

Test(virtq, indexes_wrap_at_65536)
{
	struct rig *r = rig_new(4, 0);
	const struct vsnd_gmem *m = fg_gmem(r->g);
	r->q.last_avail = 65534;
	r->q.used_idx = 65535;
	fg_set_avail_idx(r->g, 0, 65534);
	for (int i = 0; i < 4; i++) {
		fg_write_desc(r->g, 0, i, BASE + i, 1, 0, 0);
		fg_push_avail(r->g, 0, i);
	}
	cr_expect_eq(fg_avail_idx(r->g, 0), 2);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(pop(r), VIRTQ_OK);
		cr_expect_eq(r->c.head, i);
		cr_expect_eq(virtq_push(&r->q, m, r->c.head, 0), 1);
	}
	cr_expect_eq(pop(r), VIRTQ_EMPTY);
	cr_expect_eq(r->q.last_avail, 2);
	cr_expect_eq(fg_used_idx(r->g, 0), 3);
	rig_free(r);
}

Test(virtq, never_writes_descriptors_or_avail_ring)
{
	struct rig *r = rig_new(8, F_EVT | F_IND);
	struct fg_queue_info qi = fg_queue_info(r->g, 0);
	uint64_t data = buf(r, "0123456789abcdef");
	uint64_t t = table(r, 4, 2, data);
	fg_write_desc(r->g, 0, 0, t, 64, VRING_DESC_F_INDIRECT, 0);
	fg_write_desc(r->g, 0, 1, data, 4, VRING_DESC_F_NEXT, 2);
	fg_write_desc(r->g, 0, 2, data + 8, 8, VRING_DESC_F_WRITE, 0);
	fg_push_avail(r->g, 0, 0);
	fg_push_avail(r->g, 0, 1);
	uint8_t before[16 * 8 + 6 + 2 * 8], tbefore[64], after[sizeof(before)], tafter[64];
	fg_mem_read(r->g, qi.desc, before, 16 * 8);
	fg_mem_read(r->g, qi.avail, before + 16 * 8, 6 + 2 * 8);
	fg_mem_read(r->g, t, tbefore, 64);
	const struct vsnd_gmem *m = fg_gmem(r->g);
	while (pop(r) == VIRTQ_OK) {
		virtq_chain_write(&r->c, m, 0, "ZZZZZZZZZZ", 10);
		virtq_push(&r->q, m, r->c.head, 10);
	}
	fg_mem_read(r->g, qi.desc, after, 16 * 8);
	fg_mem_read(r->g, qi.avail, after + 16 * 8, 6 + 2 * 8);
	fg_mem_read(r->g, t, tafter, 64);
	cr_expect_arr_eq(before, after, sizeof(before));
	cr_expect_arr_eq(tbefore, tafter, 64);
	rig_free(r);
}
