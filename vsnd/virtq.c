/* virtq.c - split virtqueue engine (VirtIO 1.2, 2.7): validates rings, walks descriptor chains
 * with every guest address bounds-checked, and publishes used entries with notification hints. */
#include "virtq.h"

#include <endian.h>
#include <stdatomic.h>
#include <string.h>

#define VIRTQ_FEAT(q, bit) (((q)->features >> (bit)) & 1)

const char *virtq_strerror(int err)
{
	switch (err) {
	case VIRTQ_OK:
		return "ok";
	case VIRTQ_EMPTY:
		return "empty";
	case VIRTQ_E_AVAIL_JUMP:
		return "avail.idx jumped more than the queue size";
	case VIRTQ_E_HEAD:
		return "head or next index out of range";
	case VIRTQ_E_LOOP:
		return "descriptor loop or chain over the cap";
	case VIRTQ_E_INDIRECT:
		return "invalid indirect descriptor";
	case VIRTQ_E_ADDR:
		return "address outside guest RAM";
	case VIRTQ_E_TOO_BIG:
		return "chain of 2^32 bytes or more";
	case VIRTQ_E_RING:
		return "invalid ring size, alignment or queue state";
	default:
		return "unknown virtqueue error";
	}
}

/* Ring index and flag fields are shared with a guest running on another host thread: when
 * the host pointer is naturally aligned they are read with acquire and written with release
 * semantics (on top of the explicit fences below), otherwise byte-copied. */
static bool ld16(const struct vsnd_gmem *m, uint64_t a, uint16_t *v)
{
	uint8_t *p = vsnd_gmem_ptr(m, a, 2);
	if (!p)
		return false;
	uint16_t x;
	if (((uintptr_t)p & 1) == 0)
		x = __atomic_load_n((uint16_t *)p, __ATOMIC_ACQUIRE);
	else
		memcpy(&x, p, 2);
	*v = le16toh(x);
	return true;
}

static bool st16(const struct vsnd_gmem *m, uint64_t a, uint16_t v)
{
	uint8_t *p = vsnd_gmem_ptr(m, a, 2);
	if (!p)
		return false;
	uint16_t x = htole16(v);
	if (((uintptr_t)p & 1) == 0)
		__atomic_store_n((uint16_t *)p, x, __ATOMIC_RELEASE);
	else
		memcpy(p, &x, 2);
	return true;
}

static bool is_pow2(uint32_t n)
{
	return n && !(n & (n - 1));
}

int virtq_validate(const struct virtq *q, const struct vsnd_gmem *m, uint32_t num_max)
{
	if (num_max > VIRTQ_MAX_SIZE || !is_pow2(q->num) || q->num > num_max)
		return VIRTQ_E_RING;
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
		return VIRTQ_E_RING;
	uint64_t n = q->num;
	if (!vsnd_gmem_ptr(m, q->desc, 16 * n) || !vsnd_gmem_ptr(m, q->avail, 6 + 2 * n) ||
	    !vsnd_gmem_ptr(m, q->used, 6 + 8 * n))
		return VIRTQ_E_ADDR;
	return VIRTQ_OK;
}

void virtq_reset_indexes(struct virtq *q)
{
	q->last_avail = 0;
	q->used_idx = 0;
}

static bool queue_usable(const struct virtq *q)
{
	return q->ready && is_pow2(q->num) && q->num <= VIRTQ_MAX_SIZE;
}

/* Walk the chain at head (2.7.5, facts sheet 2.4): record every descriptor, then split the
 * data descriptors into readable and writable segment lists. */
static int walk(const struct virtq *q, const struct vsnd_gmem *m, uint16_t head,
		struct virtq_chain *out)
{
	out->head = head;
	out->nr = out->nw = 0;
	out->rlen = out->wlen = 0;
	out->malformed = false;
	out->ndescs = 0;
	if (head >= q->num)
		return VIRTQ_E_HEAD;

	uint64_t tbl = q->desc, lim = q->num, total = 0;
	uint32_t i = head, seen = 0;
	bool indirect = false, saw_write = false;
	for (;;) {
		if (++seen > lim || out->ndescs >= out->cap)
			return VIRTQ_E_LOOP;
		const uint8_t *p = vsnd_gmem_ptr(m, tbl + 16 * (uint64_t)i, 16);
		if (!p)
			return VIRTQ_E_ADDR;
		/* One fetch per descriptor: later checks use this copy, never guest RAM again. */
		uint8_t raw[16];
		memcpy(raw, p, 16);
		struct vsnd_desc d;
		uint64_t a64;
		uint32_t l32;
		uint16_t f16, n16;
		memcpy(&a64, raw, 8);
		memcpy(&l32, raw + 8, 4);
		memcpy(&f16, raw + 12, 2);
		memcpy(&n16, raw + 14, 2);
		d.addr = le64toh(a64);
		d.len = le32toh(l32);
		d.flags = le16toh(f16);
		d.next = le16toh(n16);
		out->descs[out->ndescs++] = d;

		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* 2.7.5.3: only if negotiated, never nested, never with NEXT, whole
			 * entries. */
			if (!VIRTQ_FEAT(q, VIRTIO_F_INDIRECT_DESC) || indirect ||
			    (d.flags & VRING_DESC_F_NEXT) || d.len == 0 || d.len % 16)
				return VIRTQ_E_INDIRECT;
			if (!vsnd_gmem_ptr(m, d.addr, d.len))
				return VIRTQ_E_ADDR;
			tbl = d.addr;
			lim = d.len / 16;
			i = 0;
			seen = 0;
			indirect = true;
			continue;
		}
		/* A zero-length buffer is never dereferenced, so its address is not checked. */
		if (d.len) {
			if (!vsnd_gmem_ptr(m, d.addr, d.len))
				return VIRTQ_E_ADDR;
			total += d.len;
			if (total >= (1ull << 32))
				return VIRTQ_E_TOO_BIG;
		}
		if (d.flags & VRING_DESC_F_WRITE)
			saw_write = true;
		else if (saw_write)
			out->malformed = true; /* 2.7.4.2: readable after writable */
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= lim)
			return VIRTQ_E_HEAD;
	}

	/* Readable segments first, then writable, each in chain order. */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t k = 0; k < out->ndescs; k++) {
			const struct vsnd_desc *d = &out->descs[k];
			if ((d->flags & VRING_DESC_F_INDIRECT) || d->len == 0)
				continue;
			bool w = (d->flags & VRING_DESC_F_WRITE) != 0;
			if (w != (pass == 1))
				continue;
			struct virtq_seg *s = &out->seg[out->nr + out->nw];
			s->addr = d->addr;
			s->len = d->len;
			if (w) {
				out->nw++;
				out->wlen += d->len;
			} else {
				out->nr++;
				out->rlen += d->len;
			}
		}
	}
	return VIRTQ_OK;
}

int virtq_pop(struct virtq *q, const struct vsnd_gmem *m, struct virtq_chain *out)
{
	if (!queue_usable(q))
		return VIRTQ_E_RING;
	uint16_t aidx;
	if (!ld16(m, q->avail + 2, &aidx))
		return VIRTQ_E_ADDR;
	uint16_t pending = (uint16_t)(aidx - q->last_avail);
	if (pending == 0 && VIRTQ_FEAT(q, VIRTIO_F_EVENT_IDX)) {
		/* 2.7.10: ask for a kick at the next entry, then re-check so a buffer added
		 * while we published is not missed. */
		if (!st16(m, q->used + 4 + 8 * (uint64_t)q->num, q->last_avail))
			return VIRTQ_E_ADDR;
		atomic_thread_fence(memory_order_seq_cst);
		if (!ld16(m, q->avail + 2, &aidx))
			return VIRTQ_E_ADDR;
		pending = (uint16_t)(aidx - q->last_avail);
	}
	if (pending > q->num)
		return VIRTQ_E_AVAIL_JUMP;
	if (pending == 0)
		return VIRTQ_EMPTY;
	/* Read the ring entry only after the index that published it. */
	atomic_thread_fence(memory_order_acquire);
	uint16_t head;
	if (!ld16(m, q->avail + 4 + 2 * (uint64_t)(q->last_avail % q->num), &head))
		return VIRTQ_E_ADDR;
	q->last_avail++;
	int r = walk(q, m, head, out);
	if (r == VIRTQ_OK && VIRTQ_FEAT(q, VIRTIO_F_EVENT_IDX) &&
	    !st16(m, q->used + 4 + 8 * (uint64_t)q->num, q->last_avail))
		return VIRTQ_E_ADDR;
	return r;
}

/* Copy between host memory and one stream (segments [first, first+n)) of a chain. */
static uint32_t copy_stream(const struct virtq_chain *c, const struct vsnd_gmem *m, uint32_t first,
			    uint32_t n, uint32_t off, uint8_t *host, uint32_t len, bool to_guest)
{
	uint32_t done = 0;
	for (uint32_t k = first; k < first + n && done < len; k++) {
		const struct virtq_seg *s = &c->seg[k];
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t chunk = s->len - off;
		if (chunk > len - done)
			chunk = len - done;
		uint8_t *g = vsnd_gmem_ptr(m, s->addr + off, chunk);
		if (!g)
			break;
		if (to_guest)
			memcpy(g, host + done, chunk);
		else
			memcpy(host + done, g, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

uint32_t virtq_chain_read(const struct virtq_chain *c, const struct vsnd_gmem *m, uint32_t off,
			  void *dst, uint32_t len)
{
	return copy_stream(c, m, 0, c->nr, off, dst, len, false);
}

uint32_t virtq_chain_write(const struct virtq_chain *c, const struct vsnd_gmem *m, uint32_t off,
			   const void *src, uint32_t len)
{
	return copy_stream(c, m, c->nr, c->nw, off, (uint8_t *)src, len, true);
}

int virtq_push(struct virtq *q, const struct vsnd_gmem *m, uint16_t head, uint32_t len)
{
	if (!queue_usable(q))
		return VIRTQ_E_RING;
	uint8_t *slot = vsnd_gmem_ptr(m, q->used + 4 + 8 * (uint64_t)(q->used_idx % q->num), 8);
	if (!slot || !vsnd_gmem_ptr(m, q->used + 2, 2))
		return VIRTQ_E_ADDR;
	uint32_t e[2] = {htole32(head), htole32(len)};
	memcpy(slot, e, 8);
	/* 2.7.8.2: the entry must be visible before the index that publishes it. */
	atomic_thread_fence(memory_order_release);
	uint16_t old = q->used_idx;
	q->used_idx++;
	st16(m, q->used + 2, q->used_idx);
	/* Order the idx store before reading the driver's suppression fields (2.7.7). */
	atomic_thread_fence(memory_order_seq_cst);
	if (VIRTQ_FEAT(q, VIRTIO_F_EVENT_IDX)) {
		uint16_t ue;
		if (!ld16(m, q->avail + 4 + 2 * (uint64_t)q->num, &ue))
			return 1;
		return (uint16_t)(q->used_idx - ue - 1) < (uint16_t)(q->used_idx - old);
	}
	uint16_t flags;
	if (!ld16(m, q->avail, &flags))
		return 1;
	return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
}
