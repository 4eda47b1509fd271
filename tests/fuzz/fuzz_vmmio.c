/* fuzz_vmmio.c - libFuzzer harness for the virtio-mmio transport and split virtqueues: the
 * input is a program of MMIO accesses and guest-RAM/ring edits run against a trivial device.
 *
 * Input format: byte 0 picks where 64 KiB of RAM sits (0: 0x80000000, 1: 0xffff0000 so RAM
 * ends at 2^32, 2: 0); then a sequence of ops, each an opcode byte and little-endian operands
 * (missing bytes read as 0):
 *   0x00 W32   off:u16 val:u32                   32-bit register write
 *   0x01 R     off:u16 size:u8                   register read of any width
 *   0x02 W     off:u16 size:u8 val:u32           register write of any width
 *   0x03 MEM   ramoff:u16 len:u8 bytes[len]      raw RAM bytes
 *   0x04 DESC  q:u8 idx:u16 addr:u64 len:u32 flags:u16 next:u16 rel:u8
 *                                                descriptor in q's table (rel&1: addr+=base)
 *   0x05 SETUP feat:u64 driver_ok:u8 num[4]:u16  Linux-like probe, fixed ring layout
 *   0x06 AVAIL q:u8 head:u16                     publish head in q's avail ring
 *   0x07 AIDX  q:u8 idx:u16                      set avail.idx raw
 *   0x08 KICK  q:u32                             QueueNotify
 *   0x09 DONE  n:u8 len:u32                      device completes n held chains
 *   0x0a ACK                                     read InterruptStatus, ack it
 *   0x0b FLAGS q:u8 flags:u16 used_event:u16
 *   0x0c RESET                                   Status = 0
 *   0x0d NRST  reason:u8                         device-side needs-reset
 *   0x0e POLL  q:u8
 *   0x0f DESCAT ramoff:u16 addr:u64 len:u32 flags:u16 next:u16 rel:u8  (indirect tables)
 * Ring layout of queue q: desc at RAM offset q*0x2000, avail +0x1000, used +0x1400.
 * Checked invariants (trap on failure): chain totals < 2^32 and reads/writes return what the
 * totals promise; the irq line equals (InterruptStatus != 0) after every op. ASan checks that
 * nothing outside RAM (a malloc'd block) is touched. With FUZZ_VMMIO_TRACE set in the
 * environment, transport events are printed (to check what a seed reaches).
 * fuzz-libs: vsnd */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsnd/virtio_mmio.h"
#include "vsnd/virtq.h"

#define RAM_SIZE 0x10000u
#define MAX_HELD 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint64_t get(struct rd *r, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		uint64_t b = 0;
		if (r->n) {
			b = *r->p++;
			r->n--;
		}
		v |= b << (8 * i);
	}
	return v;
}

struct fz {
	uint8_t *ram;
	uint64_t base;
	struct vsnd_gmem mem;
	struct vmmio *t;
	int irq;
	struct vsnd_chain *held[MAX_HELD];
	unsigned nheld;
	uint16_t avail_shadow[4];
	uint16_t num[4];
	uint8_t scratch[8192];
	unsigned nev;
	bool trace;
};

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static void observe(void *opaque, const struct vmmio_event *ev)
{
	struct fz *f = opaque;
	f->nev++;
	if (f->trace && ev->kind != VMMIO_EV_STATUS)
		printf("  ev %d q=%u value=%d num=%u\n", ev->kind, ev->queue, (int)ev->value,
		       ev->num);
}

static void irq_set(void *opaque, int level)
{
	((struct fz *)opaque)->irq = level;
}

static void dev_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(off + i);
}

/* Exercise the chain's streams and check them against its totals. */
static void touch_chain(struct fz *f, struct vsnd_chain *c)
{
	CHECK((uint64_t)c->rlen + c->wlen < (1ull << 32));
	CHECK(c->ndescs >= 1 && c->descs != NULL);
	uint32_t want = c->rlen < sizeof(f->scratch) ? c->rlen : (uint32_t)sizeof(f->scratch);
	CHECK(vsnd_chain_read(c, 0, f->scratch, want) == want);
	CHECK(vsnd_chain_read(c, c->rlen, f->scratch, 16) == 0);
	if (c->rlen > 3)
		CHECK(vsnd_chain_read(c, c->rlen - 3, f->scratch, 16) == 3);
	memset(f->scratch, 0x5a, sizeof(f->scratch));
	want = c->wlen < sizeof(f->scratch) ? c->wlen : (uint32_t)sizeof(f->scratch);
	CHECK(vsnd_chain_write(c, 0, f->scratch, want) == want);
	CHECK(vsnd_chain_write(c, c->wlen, f->scratch, 16) == 0);
}

static void dev_chain(void *dev, struct vsnd_chain *c)
{
	struct fz *f = dev;
	touch_chain(f, c);
	/* Control-like queue: answered from inside ops->chain (re-entrant completion). */
	if (c->queue == 0 || f->nheld == MAX_HELD) {
		vsnd_chain_complete(c, c->wlen < 4 ? c->wlen : 4);
		return;
	}
	f->held[f->nheld++] = c;
}

static void dev_reset(void *dev)
{
	struct fz *f = dev;
	for (unsigned i = 0; i < f->nheld; i++)
		vsnd_chain_discard(f->held[i]);
	f->nheld = 0;
}

static void dev_driver_ok(void *dev)
{
	(void)dev;
}

static const struct vmmio_device_ops fz_ops = {
    .device_id = 25,
    .vendor_id = 0x554d4551,
    .features = (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX),
    .num_queues = 4,
    .queue_num_max = {64, 64, 256, 256},
    .config_read = dev_config_read,
    .chain = dev_chain,
    .driver_ok = dev_driver_ok,
    .reset = dev_reset,
};

static void ram_write(struct fz *f, uint32_t off, const void *src, uint32_t len)
{
	if (off >= RAM_SIZE)
		return;
	if (len > RAM_SIZE - off)
		len = RAM_SIZE - off;
	memcpy(f->ram + off, src, len);
}

static void put_desc(struct fz *f, uint32_t ramoff, struct rd *r)
{
	uint8_t raw[16];
	uint64_t addr = get(r, 8);
	uint32_t len = (uint32_t)get(r, 4);
	uint16_t flags = (uint16_t)get(r, 2), next = (uint16_t)get(r, 2);
	if (get(r, 1) & 1)
		addr += f->base;
	memcpy(raw, &addr, 8);
	memcpy(raw + 8, &len, 4);
	memcpy(raw + 12, &flags, 2);
	memcpy(raw + 14, &next, 2);
	ram_write(f, ramoff, raw, 16);
}

static void w32(struct fz *f, uint32_t off, uint32_t v)
{
	vmmio_write(f->t, off, 4, v);
}

static void setup(struct fz *f, struct rd *r)
{
	uint64_t feat = get(r, 8);
	uint8_t ok = (uint8_t)get(r, 1);
	w32(f, 0x70, 0);
	w32(f, 0x70, 1);
	w32(f, 0x70, 3);
	w32(f, 0x24, 1);
	w32(f, 0x20, (uint32_t)(feat >> 32));
	w32(f, 0x24, 0);
	w32(f, 0x20, (uint32_t)feat);
	w32(f, 0x70, 0x0b);
	for (uint32_t q = 0; q < 4; q++) {
		uint16_t num = (uint16_t)get(r, 2);
		uint64_t a = f->base + q * 0x2000u;
		memset(f->ram + q * 0x2000u, 0, 0x2000u); /* fresh rings */
		f->avail_shadow[q] = 0;
		f->num[q] = num;
		w32(f, 0x30, q);
		w32(f, 0x38, num);
		w32(f, 0x80, (uint32_t)a);
		w32(f, 0x84, (uint32_t)(a >> 32));
		w32(f, 0x90, (uint32_t)(a + 0x1000));
		w32(f, 0x94, (uint32_t)((a + 0x1000) >> 32));
		w32(f, 0xa0, (uint32_t)(a + 0x1400));
		w32(f, 0xa4, (uint32_t)((a + 0x1400) >> 32));
		w32(f, 0x44, 1);
	}
	if (ok & 1)
		w32(f, 0x70, vmmio_read(f->t, 0x70, 4) | VIRTIO_STATUS_DRIVER_OK);
}

/* Avail ring slot for the harness's shadow index, kept inside q's 0x400-byte avail area. */
static uint32_t avail_slot_off(struct fz *f, unsigned q)
{
	uint32_t num = f->num[q] && f->num[q] <= 256 ? f->num[q] : 1;
	return q * 0x2000u + 0x1000 + 4 + 2 * (f->avail_shadow[q] % num);
}

static void run_op(struct fz *f, struct rd *r)
{
	unsigned op = (unsigned)get(r, 1) % 16;
	switch (op) {
	case 0x00: {
		uint32_t off = (uint32_t)get(r, 2) % VMMIO_WINDOW;
		w32(f, off, (uint32_t)get(r, 4));
		break;
	}
	case 0x01: {
		uint32_t off = (uint32_t)get(r, 2) % VMMIO_WINDOW;
		(void)vmmio_read(f->t, off, (unsigned)get(r, 1) % 9);
		break;
	}
	case 0x02: {
		uint32_t off = (uint32_t)get(r, 2) % VMMIO_WINDOW;
		unsigned sz = (unsigned)get(r, 1) % 9;
		vmmio_write(f->t, off, sz, (uint32_t)get(r, 4));
		break;
	}
	case 0x03: {
		uint32_t off = (uint32_t)get(r, 2);
		uint8_t buf[256];
		uint32_t len = (uint32_t)get(r, 1);
		for (uint32_t i = 0; i < len; i++)
			buf[i] = (uint8_t)get(r, 1);
		ram_write(f, off, buf, len);
		break;
	}
	case 0x04: {
		unsigned q = (unsigned)get(r, 1) % 4;
		uint32_t idx = (uint32_t)get(r, 2) % 256;
		put_desc(f, q * 0x2000u + 16 * idx, r);
		break;
	}
	case 0x05:
		setup(f, r);
		break;
	case 0x06: {
		unsigned q = (unsigned)get(r, 1) % 4;
		uint16_t head = (uint16_t)get(r, 2);
		ram_write(f, avail_slot_off(f, q), &head, 2);
		f->avail_shadow[q]++;
		ram_write(f, q * 0x2000u + 0x1002, &f->avail_shadow[q], 2);
		break;
	}
	case 0x07: {
		unsigned q = (unsigned)get(r, 1) % 4;
		f->avail_shadow[q] = (uint16_t)get(r, 2);
		ram_write(f, q * 0x2000u + 0x1002, &f->avail_shadow[q], 2);
		break;
	}
	case 0x08:
		w32(f, 0x50, (uint32_t)get(r, 4));
		break;
	case 0x09: {
		unsigned n = (unsigned)get(r, 1);
		uint32_t len = (uint32_t)get(r, 4);
		while (n-- && f->nheld) {
			struct vsnd_chain *c = f->held[0];
			memmove(f->held, f->held + 1, --f->nheld * sizeof(f->held[0]));
			vsnd_chain_complete(c, len);
		}
		break;
	}
	case 0x0a: {
		uint32_t isr = vmmio_read(f->t, 0x60, 4);
		w32(f, 0x64, isr);
		break;
	}
	case 0x0b: {
		unsigned q = (unsigned)get(r, 1) % 4;
		uint16_t fl = (uint16_t)get(r, 2), ue = (uint16_t)get(r, 2);
		uint32_t num = f->num[q] && f->num[q] <= 256 ? f->num[q] : 1;
		ram_write(f, q * 0x2000u + 0x1000, &fl, 2);
		ram_write(f, q * 0x2000u + 0x1000 + 4 + 2 * num, &ue, 2);
		break;
	}
	case 0x0c:
		w32(f, 0x70, 0);
		break;
	case 0x0d:
		vmmio_needs_reset(f->t, -(int)get(r, 1));
		break;
	case 0x0e:
		vmmio_poll_queue(f->t, (uint32_t)get(r, 1) % 8);
		break;
	case 0x0f:
		put_desc(f, (uint32_t)get(r, 2), r);
		break;
	}
	/* The line follows InterruptStatus (single-threaded: delivered before return). */
	CHECK(f->irq == (vmmio_read(f->t, 0x60, 4) != 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t bases[3] = {0x80000000ull, 0xffff0000ull, 0};
	struct rd r = {data, size};
	struct fz *f = calloc(1, sizeof(*f));
	if (!f)
		return 0;
	f->ram = calloc(1, RAM_SIZE); /* malloc'd so ASan sees any access past the end */
	if (!f->ram) {
		free(f);
		return 0;
	}
	f->base = bases[get(&r, 1) % 3];
	f->mem = (struct vsnd_gmem){.host = f->ram, .base = f->base, .size = RAM_SIZE};
	f->t = vmmio_new(&fz_ops, f, &f->mem, (struct vsnd_irq){irq_set, f});
	if (f->t) {
		f->trace = getenv("FUZZ_VMMIO_TRACE") != NULL;
		vmmio_set_observer(f->t, (struct vmmio_observer){observe, f});
		for (unsigned steps = 0; r.n && steps < 4096; steps++)
			run_op(f, &r);
		w32(f, 0x70, 0); /* reset: discards every held chain */
		CHECK(f->nheld == 0 && f->irq == 0);
		vmmio_free(f->t);
	}
	free(f->ram);
	free(f);
	return 0;
}
