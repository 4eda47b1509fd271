/* test_virtio_mmio.c - virtio-mmio v2 transport (vsnd/virtio_mmio.c) driven by the fake guest:
 * register semantics, negotiation, reset, notifications, interrupts, malformed input. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_guest.h"
#include "vsnd/virtio_mmio.h"
#include "vsnd/virtq.h"

#define BASE 0x80000000ull
#define RAM (16u << 20)
#define V1 (1ull << VIRTIO_F_VERSION_1)
#define F_IND (1ull << VIRTIO_F_INDIRECT_DESC)
#define F_EVT (1ull << VIRTIO_F_EVENT_IDX)
#define MAXEV 4096
#define MAXCH 1024

enum stub_mode { HOLD, ECHO };

/* Stub device: holds chains, or echoes the readable stream into the writable one. */
struct stub {
	struct vmmio *t;
	struct fake_guest *g;
	struct vmmio_device_ops ops;
	enum stub_mode mode;
	pthread_mutex_t mu;
	struct vsnd_chain *held[MAXCH];
	unsigned nheld;
	unsigned nchains, ndriver_ok, nreset, ndiscarded;
	uint64_t seq[MAXCH];
	uint16_t queue[MAXCH];
	bool malformed[MAXCH];
	uint32_t ready_in_reset, status_in_reset;
	struct vmmio_event ev[MAXEV];
	unsigned nev;
};

static void st_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	uint8_t *b = buf;
	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(0x10 + off + i); /* byte at config offset o reads 0x10 + o */
}

static void st_chain(void *dev, struct vsnd_chain *c)
{
	struct stub *s = dev;
	pthread_mutex_lock(&s->mu);
	unsigned n = s->nchains++;
	if (n < MAXCH) {
		s->seq[n] = c->seq;
		s->queue[n] = c->queue;
		s->malformed[n] = c->malformed;
	}
	if (s->mode == HOLD && s->nheld < MAXCH) {
		s->held[s->nheld++] = c;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	pthread_mutex_unlock(&s->mu);
	uint8_t tmp[4096];
	uint32_t r = vsnd_chain_read(c, 0, tmp, sizeof(tmp));
	uint32_t w = vsnd_chain_write(c, 0, tmp, r);
	vsnd_chain_complete(c, w); /* from inside ops->chain: must not deadlock */
}

static void st_driver_ok(void *dev)
{
	((struct stub *)dev)->ndriver_ok++;
}

static void st_reset(void *dev)
{
	struct stub *s = dev;
	/* Calling back into the transport is allowed here (its lock is not held). */
	vmmio_write(s->t, 0x030, 4, 0);
	s->ready_in_reset = vmmio_read(s->t, 0x044, 4);
	s->status_in_reset = vmmio_read(s->t, 0x070, 4);
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->nheld; i++)
		vsnd_chain_discard(s->held[i]);
	s->ndiscarded += s->nheld;
	s->nheld = 0;
	s->nreset++;
	pthread_mutex_unlock(&s->mu);
}

static void st_event(void *opaque, const struct vmmio_event *ev)
{
	struct stub *s = opaque;
	if (s->nev < MAXEV)
		s->ev[s->nev++] = *ev;
}

static struct stub *stub_new(uint64_t features, uint64_t ram_base, uint64_t ram_size)
{
	struct stub *s = calloc(1, sizeof(*s));
	cr_assert(s);
	pthread_mutex_init(&s->mu, NULL);
	s->ops = (struct vmmio_device_ops){
	    .device_id = 25,
	    .vendor_id = 0x554d4551,
	    .features = features,
	    .num_queues = 4,
	    .queue_num_max = {64, 64, 256, 256},
	    .config_read = st_config_read,
	    .chain = st_chain,
	    .driver_ok = st_driver_ok,
	    .reset = st_reset,
	};
	s->g = fg_new(ram_base, ram_size);
	s->t = vmmio_new(&s->ops, s, fg_gmem(s->g), fg_irq(s->g));
	cr_assert(s->t);
	fg_attach(s->g, s->t);
	vmmio_set_observer(s->t, (struct vmmio_observer){st_event, s});
	return s;
}

static struct stub *stub(uint64_t features)
{
	return stub_new(features, BASE, RAM);
}

static void stub_free(struct stub *s)
{
	vmmio_write(s->t, 0x070, 4, 0); /* discards held chains */
	vmmio_free(s->t);
	fg_free(s->g);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static const uint32_t sizes[4] = {8, 8, 16, 16};

static void probe(struct stub *s, uint64_t want)
{
	cr_assert_eq(fg_probe(s->g, want, 4, sizes), 0);
	fg_driver_ok(s->g);
}

static unsigned count_ev(struct stub *s, enum vmmio_ev_kind k)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nev; i++)
		n += s->ev[i].kind == k;
	return n;
}

static const struct vmmio_event *last_ev(struct stub *s, enum vmmio_ev_kind k)
{
	for (unsigned i = s->nev; i-- > 0;)
		if (s->ev[i].kind == k)
			return &s->ev[i];
	return NULL;
}

Test(vmmio, identity_and_constant_registers)
{
	struct stub *s = stub(F_IND | (1ull << 40) | (1ull << 34));
	struct fake_guest *g = s->g;
	cr_expect_eq(fg_mmio_read(g, 0x000), 0x74726976);
	cr_expect_eq(fg_mmio_read(g, 0x004), 2);
	cr_expect_eq(fg_mmio_read(g, 0x008), 25);
	cr_expect_eq(fg_mmio_read(g, 0x00c), 0x554d4551);
	fg_mmio_write(g, 0x014, 0);
	cr_expect_eq(fg_mmio_read(g, 0x010), 1u << 28);
	fg_mmio_write(g, 0x014, 1);
	cr_expect_eq(fg_mmio_read(g, 0x010), 1u, "VERSION_1 added; 34 and 40 stripped");
	fg_mmio_write(g, 0x014, 2);
	cr_expect_eq(fg_mmio_read(g, 0x010), 0);
	uint32_t max[5] = {64, 64, 256, 256, 0};
	for (unsigned q = 0; q < 5; q++) {
		fg_mmio_write(g, 0x030, q);
		cr_expect_eq(fg_mmio_read(g, 0x034), max[q], "QueueNumMax %u", q);
		cr_expect_eq(fg_mmio_read(g, 0x044), 0);
	}
	for (uint32_t off = 0x0b0; off <= 0x0bc; off += 4)
		cr_expect_eq(fg_mmio_read(g, off), 0xffffffffu, "SHM register %#x", off);
	cr_expect_eq(fg_mmio_read(g, 0x0c0), 0);
	cr_expect_eq(fg_mmio_read(g, 0x0fc), 0);
	cr_expect_eq(fg_mmio_read(g, 0x060), 0);
	cr_expect_eq(fg_mmio_read(g, 0x070), 0);
	cr_expect_eq(count_ev(s, VMMIO_EV_BAD_ACCESS), 0);
	stub_free(s);
}

Test(vmmio, config_space_reads_and_ignored_writes)
{
	struct stub *s = stub(0);
	cr_expect_eq(vmmio_read(s->t, 0x100, 4), 0x13121110);
	cr_expect_eq(vmmio_read(s->t, 0x104, 4), 0x17161514);
	cr_expect_eq(vmmio_read(s->t, 0x106, 2), 0x1716);
	cr_expect_eq(vmmio_read(s->t, 0x107, 1), 0x17);
	cr_expect_eq(vmmio_read(s->t, 0x1fc, 4), 0x0f0e0d0c); /* 0x10 + 0xfc.. wraps in u8 */
	cr_expect_eq(count_ev(s, VMMIO_EV_BAD_ACCESS), 0);
	cr_expect_eq(vmmio_read(s->t, 0x102, 4), 0, "misaligned");
	cr_expect_eq(vmmio_read(s->t, 0x101, 2), 0, "misaligned");
	cr_expect_eq(vmmio_read(s->t, 0x100, 8), 0, "width 8");
	cr_expect_eq(vmmio_read(s->t, 0x100, 3), 0, "width 3");
	vmmio_write(s->t, 0x100, 4, 0xdeadbeef);
	cr_expect_eq(vmmio_read(s->t, 0x100, 4), 0x13121110, "config writes ignored");
	cr_expect_eq(count_ev(s, VMMIO_EV_BAD_ACCESS), 5);
	const struct vmmio_event *e = last_ev(s, VMMIO_EV_BAD_ACCESS);
	cr_expect_eq(e->value, 0x100);
	cr_expect_eq(e->num, 4);
	stub_free(s);
}

Test(vmmio, odd_accesses_are_ignored_and_reported)
{
	struct stub *s = stub(0);
	struct vmmio *t = s->t;
	cr_expect_eq(vmmio_read(t, 0x000, 1), 0, "byte read of Magic");
	cr_expect_eq(vmmio_read(t, 0x000, 2), 0);
	cr_expect_eq(vmmio_read(t, 0x002, 4), 0, "misaligned");
	cr_expect_eq(vmmio_read(t, 0x030, 4), 0, "QueueSel is write-only");
	cr_expect_eq(vmmio_read(t, 0x0f0, 4), 0, "undefined offset");
	cr_expect_eq(vmmio_read(t, 0x040, 4), 0, "legacy QueuePFN");
	unsigned reads = count_ev(s, VMMIO_EV_BAD_ACCESS);
	cr_expect_eq(reads, 6);
	vmmio_write(t, 0x000, 4, 1);	    /* RO Magic */
	vmmio_write(t, 0x034, 4, 1);	    /* RO QueueNumMax */
	vmmio_write(t, 0x060, 4, 3);	    /* RO InterruptStatus */
	vmmio_write(t, 0x070, 1, 0);	    /* byte write to Status: no reset */
	vmmio_write(t, 0x028, 4, 4096);	    /* legacy GuestPageSize */
	vmmio_write(t, 0x0c0, 4, 1);	    /* QueueReset without RING_RESET */
	vmmio_write(t, 0x1f0 + 0x20, 4, 1); /* past the window */
	cr_expect_eq(count_ev(s, VMMIO_EV_BAD_ACCESS), reads + 7);
	cr_expect_eq(vmmio_read(t, 0x000, 4), 0x74726976);
	fg_mmio_write(s->g, 0x030, 0);
	cr_expect_eq(fg_mmio_read(s->g, 0x034), 64);
	cr_expect_eq(s->nreset, 0, "a byte write of 0 to Status is not a reset");
	stub_free(s);
}

Test(vmmio, linux_probe_sequence)
{
	struct stub *s = stub(0);
	struct fake_guest *g = s->g;
	cr_assert_eq(fg_probe(g, V1, 4, sizes), 0);
	cr_expect_eq(fg_device_features(g), V1);
	cr_expect_eq(fg_status(g), 0x0b);
	for (unsigned q = 0; q < 4; q++) {
		fg_mmio_write(g, 0x030, q);
		cr_expect_eq(fg_mmio_read(g, 0x044), 1);
	}
	cr_expect_eq(s->ndriver_ok, 0);
	fg_driver_ok(g);
	cr_expect_eq(fg_status(g), 0x0f);
	cr_expect_eq(s->ndriver_ok, 1);
	/* Status writes: 0, 1, 3, 0xb, 0xf; features accepted; 4 queues ready. */
	uint32_t want[] = {0, 1, 3, 0xb, 0xf};
	unsigned k = 0;
	for (unsigned i = 0; i < s->nev; i++)
		if (s->ev[i].kind == VMMIO_EV_STATUS) {
			cr_assert_lt(k, 5);
			cr_expect_eq(s->ev[i].value, want[k], "status write %u", k);
			k++;
		}
	cr_expect_eq(k, 5);
	const struct vmmio_event *f = last_ev(s, VMMIO_EV_FEATURES);
	cr_assert(f);
	cr_expect_eq(f->value, 1);
	cr_expect_eq(f->features, V1);
	cr_expect_eq(count_ev(s, VMMIO_EV_QUEUE_READY), 4);
	const struct vmmio_event *qr = last_ev(s, VMMIO_EV_QUEUE_READY);
	struct fg_queue_info qi = fg_queue_info(g, 3);
	cr_expect_eq(qr->queue, 3);
	cr_expect_eq(qr->value, 1);
	cr_expect_eq(qr->num, 16);
	cr_expect_eq(qr->desc, qi.desc);
	cr_expect_eq(qr->avail, qi.avail);
	cr_expect_eq(qr->used, qi.used);
	cr_expect_eq(count_ev(s, VMMIO_EV_BAD_ACCESS), 0);
	cr_expect_eq(count_ev(s, VMMIO_EV_RESET), 1);
	stub_free(s);
}

Test(vmmio, features_refused_unless_subset_with_version_1)
{
	struct stub *s = stub(F_IND);
	struct fake_guest *g = s->g;
	cr_assert_eq(fg_begin(g), 0);
	cr_expect_eq(fg_negotiate(g, V1 | F_EVT), -1, "EVENT_IDX not offered");
	cr_expect_eq(fg_status(g) & VIRTIO_STATUS_FEATURES_OK, 0);
	cr_expect_eq(last_ev(s, VMMIO_EV_FEATURES)->value, 0);
	cr_expect_eq(last_ev(s, VMMIO_EV_FEATURES)->features, V1 | F_EVT);
	cr_expect_eq(fg_negotiate(g, F_IND), -1, "VERSION_1 missing");
	cr_expect_eq(fg_negotiate(g, 1ull << 33), -1);
	cr_expect_eq(fg_negotiate(g, V1 | F_IND), 0);
	cr_expect_eq(fg_status(g), 0x0b);
	/* Fixed until reset: later DriverFeatures writes are ignored and reported. */
	unsigned bad = count_ev(s, VMMIO_EV_BAD_ACCESS);
	fg_mmio_write(g, 0x024, 0);
	fg_mmio_write(g, 0x020, 0);
	cr_expect_eq(count_ev(s, VMMIO_EV_BAD_ACCESS), bad + 1);
	fg_mmio_write(g, 0x070, 0x03); /* clear FEATURES_OK (driver bug) */
	cr_expect_eq(fg_status(g), 0x03, "a non-zero Status write is stored as is");
	fg_mmio_write(g, 0x070, 0x0b);
	cr_expect_eq(fg_status(g), 0x0b);
	cr_expect_eq(last_ev(s, VMMIO_EV_FEATURES)->features, V1 | F_IND);
	/* DRIVER_OK without FEATURES_OK never goes live. */
	fg_mmio_write(g, 0x070, 0);
	fg_mmio_write(g, 0x070, 0x07);
	cr_expect_eq(fg_status(g), 0x07);
	cr_expect_eq(s->ndriver_ok, 0);
	stub_free(s);
}

static int add_echo(struct fake_guest *g, unsigned q, struct fg_buf *b)
{
	static const char req[] = "HEADER..payload!";
	b[0] = (struct fg_buf){.data = req, .len = 4};
	b[1] = (struct fg_buf){.data = req + 4, .len = 12};
	b[2] = (struct fg_buf){.len = 3, .write = true};
	b[3] = (struct fg_buf){.len = 20, .write = true};
	return fg_add_bufs(g, q, b, 4, 0);
}

Test(vmmio, chain_roundtrip_with_interrupt_and_ack)
{
	struct stub *s = stub(0);
	s->mode = ECHO;
	probe(s, V1);
	struct fg_buf b[4];
	int head = add_echo(s->g, 0, b);
	cr_assert_geq(head, 0);
	cr_expect_eq(fg_irq_level(s->g), 0);
	fg_kick(s->g, 0);
	cr_expect_eq(last_ev(s, VMMIO_EV_NOTIFY)->queue, 0);
	cr_expect_eq(s->nchains, 1);
	cr_expect_eq(fg_irq_level(s->g), 1);
	cr_expect_eq(fg_mmio_read(s->g, 0x060), 1);
	cr_expect_eq(last_ev(s, VMMIO_EV_IRQ_RAISE)->value, 1);
	struct fg_used u;
	cr_assert_eq(fg_get_used(s->g, 0, &u), 1);
	cr_expect_eq(u.id, (uint32_t)head);
	cr_expect_eq(u.len, 16);
	char out[20];
	fg_mem_read(s->g, b[2].gpa, out, 3);
	cr_expect_arr_eq(out, "HEA", 3);
	fg_mem_read(s->g, b[3].gpa, out, 20);
	cr_expect_arr_eq(out, "DER..payload!\0\0\0\0\0\0\0", 20);
	cr_expect_eq(fg_handle_irq(s->g), 1);
	cr_expect_eq(fg_irq_level(s->g), 0);
	cr_expect_eq(fg_mmio_read(s->g, 0x060), 0);
	cr_expect_eq(last_ev(s, VMMIO_EV_IRQ_ACK)->value, 1);
	cr_expect_eq(fg_num_free(s->g, 0), 8);
	cr_expect_eq(fg_bad_used(s->g), 0);
	stub_free(s);
}

Test(vmmio, indirect_chain_through_transport)
{
	struct stub *s = stub(F_IND);
	s->mode = ECHO;
	probe(s, V1 | F_IND);
	struct fg_buf b[4];
	static const char req[] = "HEADER..payload!";
	b[0] = (struct fg_buf){.data = req, .len = 4};
	b[1] = (struct fg_buf){.data = req + 4, .len = 12};
	b[2] = (struct fg_buf){.len = 3, .write = true};
	b[3] = (struct fg_buf){.len = 20, .write = true};
	int head = fg_add_bufs(s->g, 2, b, 4, FG_INDIRECT);
	cr_assert_geq(head, 0);
	cr_expect_eq(fg_num_free(s->g, 2), 15);
	fg_kick(s->g, 2);
	struct fg_used u;
	cr_assert_eq(fg_get_used(s->g, 2, &u), 1);
	cr_expect_eq(u.len, 16);
	char out[13];
	fg_mem_read(s->g, b[3].gpa, out, 13);
	cr_expect_arr_eq(out, "DER..payload!", 13);
	cr_expect_eq(fg_num_free(s->g, 2), 16);
	stub_free(s);
}

Test(vmmio, nothing_consumed_before_driver_ok_then_all_queues_scanned)
{
	struct stub *s = stub(0);
	cr_assert_eq(fg_probe(s->g, V1, 4, sizes), 0);
	struct fg_buf ev[2] = {{.len = 8, .write = true}, {.len = 8, .write = true}};
	fg_add_bufs(s->g, 1, &ev[0], 1, 0); /* eventq filled without a kick */
	fg_add_bufs(s->g, 1, &ev[1], 1, 0);
	struct fg_buf b[4];
	add_echo(s->g, 0, b);
	fg_kick(s->g, 0);
	cr_expect_eq(s->nchains, 0, "not before DRIVER_OK");
	fg_driver_ok(s->g);
	cr_expect_eq(s->nchains, 3);
	cr_expect_eq(s->nheld, 3);
	cr_expect_eq(s->queue[0], 0);
	cr_expect_eq(s->queue[1], 1);
	cr_expect_eq(s->queue[2], 1);
	stub_free(s);
}

Test(vmmio, notify_for_unknown_or_unready_queue_is_ignored)
{
	struct stub *s = stub(0);
	uint32_t two[2] = {8, 8};
	cr_assert_eq(fg_probe(s->g, V1, 2, two), 0); /* queues 2, 3 never set up */
	fg_driver_ok(s->g);
	fg_kick(s->g, 2);
	fg_kick(s->g, 7);
	fg_kick(s->g, 0xffffffffu);
	cr_expect_eq(s->nchains, 0);
	cr_expect_eq(count_ev(s, VMMIO_EV_NOTIFY), 3);
	cr_expect_eq(fg_status(s->g) & VIRTIO_STATUS_NEEDS_RESET, 0);
	stub_free(s);
}

Test(vmmio, reset_clears_everything_and_discards_held_chains)
{
	struct stub *s = stub(0);
	probe(s, V1);
	struct fg_buf b[4];
	add_echo(s->g, 0, b);
	add_echo(s->g, 2, b);
	fg_kick(s->g, 0);
	fg_kick(s->g, 2);
	cr_assert_eq(s->nheld, 2);
	unsigned resets = s->nreset, reset_evs = count_ev(s, VMMIO_EV_RESET);
	/* Make InterruptStatus non-zero first. */
	vmmio_needs_reset(s->t, 7);
	cr_expect_eq(fg_mmio_read(s->g, 0x060), 2);
	cr_expect_eq(fg_status(s->g), 0x4f);
	struct vsnd_chain *stale = s->held[0];
	s->held[0] = s->held[1];
	s->nheld = 1; /* keep one chain back to complete after the reset */
	fg_mmio_write(s->g, 0x070, 0);
	cr_expect_eq(s->nreset, resets + 1);
	cr_expect_eq(s->ndiscarded, 1);
	cr_expect_eq(s->ready_in_reset, 1, "device reset runs before the queues are cleared");
	cr_expect_eq(fg_status(s->g), 0);
	cr_expect_eq(fg_mmio_read(s->g, 0x060), 0);
	cr_expect_eq(fg_irq_level(s->g), 0);
	for (unsigned q = 0; q < 4; q++) {
		fg_mmio_write(s->g, 0x030, q);
		cr_expect_eq(fg_mmio_read(s->g, 0x044), 0);
	}
	cr_expect_eq(count_ev(s, VMMIO_EV_RESET), reset_evs + 1);
	/* A chain completed after the reset is only freed: no used entry appears. */
	uint8_t x[4];
	cr_expect_eq(vsnd_chain_read(stale, 0, x, 4), 0, "stale chain reads nothing");
	vsnd_chain_complete(stale, 3);
	cr_expect_eq(fg_used_idx(s->g, 0), 0);
	cr_expect_eq(fg_mmio_read(s->g, 0x060), 0);
	/* The device can be probed again; negotiation starts over. */
	probe(s, V1);
	cr_expect_eq(fg_status(s->g), 0x0f);
	stub_free(s);
}

Test(vmmio, queue_ready_zero_disables_and_reenable_resets_indexes)
{
	struct stub *s = stub(0);
	s->mode = ECHO;
	probe(s, V1);
	struct fg_buf b[4];
	add_echo(s->g, 0, b);
	fg_kick(s->g, 0);
	cr_expect_eq(fg_used_idx(s->g, 0), 1);
	fg_mmio_write(s->g, 0x030, 0);
	fg_mmio_write(s->g, 0x044, 0);
	cr_expect_eq(fg_mmio_read(s->g, 0x044), 0);
	cr_expect_eq(last_ev(s, VMMIO_EV_QUEUE_READY)->value, 0);
	fg_kick(s->g, 0);
	cr_expect_eq(s->nchains, 1);
	/* Re-enable over fresh rings: the device starts at index 0 again. */
	cr_assert_eq(fg_setup_queue(s->g, 0, 8), 8);
	add_echo(s->g, 0, b);
	fg_kick(s->g, 0);
	cr_expect_eq(s->nchains, 2);
	cr_expect_eq(fg_used_idx(s->g, 0), 1);
	stub_free(s);
}

Test(vmmio, queue_registers_of_a_ready_queue_are_ignored)
{
	struct stub *s = stub(0);
	probe(s, V1);
	fg_mmio_write(s->g, 0x030, 0);
	unsigned bad = count_ev(s, VMMIO_EV_BAD_ACCESS);
	fg_mmio_write(s->g, 0x038, 4);
	fg_mmio_write(s->g, 0x080, 0x1000);
	fg_mmio_write(s->g, 0x044, 1); /* already ready: no change */
	cr_expect_eq(count_ev(s, VMMIO_EV_BAD_ACCESS), bad + 2);
	cr_expect_eq(count_ev(s, VMMIO_EV_QUEUE_READY), 4);
	s->mode = ECHO;
	struct fg_buf b[4];
	add_echo(s->g, 0, b);
	fg_kick(s->g, 0);
	cr_expect_eq(fg_used_idx(s->g, 0), 1, "old ring still in use");
	stub_free(s);
}

Test(vmmio, no_interrupt_hint_suppresses_irq)
{
	struct stub *s = stub(0);
	s->mode = ECHO;
	probe(s, V1);
	fg_set_avail_flags(s->g, 0, VRING_AVAIL_F_NO_INTERRUPT);
	struct fg_buf b[4];
	add_echo(s->g, 0, b);
	fg_kick(s->g, 0);
	cr_expect_eq(fg_used_idx(s->g, 0), 1);
	cr_expect_eq(fg_mmio_read(s->g, 0x060), 0);
	cr_expect_eq(fg_irq_raises(s->g), 0);
	fg_set_avail_flags(s->g, 0, 0);
	add_echo(s->g, 0, b);
	fg_kick(s->g, 0);
	cr_expect_eq(fg_irq_raises(s->g), 1);
	stub_free(s);
}

Test(vmmio, event_idx_through_transport)
{
	struct stub *s = stub(F_EVT);
	s->mode = ECHO;
	probe(s, V1 | F_EVT);
	fg_set_used_event(s->g, 0, 1); /* interrupt only when entry 1 is published */
	struct fg_buf b[4];
	add_echo(s->g, 0, b);
	fg_kick(s->g, 0);
	cr_expect_eq(fg_used_idx(s->g, 0), 1);
	cr_expect_eq(fg_irq_raises(s->g), 0);
	cr_expect_eq(fg_avail_event(s->g, 0), 1, "avail_event = last_avail");
	add_echo(s->g, 0, b);
	fg_kick(s->g, 0);
	cr_expect_eq(fg_irq_raises(s->g), 1);
	cr_expect_eq(fg_avail_event(s->g, 0), 2);
	stub_free(s);
}

Test(vmmio, used_len_is_clamped_to_writable_size)
{
	struct stub *s = stub(0);
	probe(s, V1);
	struct fg_buf b[2] = {{.data = "abcd", .len = 4}, {.len = 6, .write = true}};
	fg_add_bufs(s->g, 0, b, 2, 0);
	fg_kick(s->g, 0);
	cr_assert_eq(s->nheld, 1);
	cr_expect_eq(s->held[0]->rlen, 4);
	cr_expect_eq(s->held[0]->wlen, 6);
	cr_expect_eq(s->held[0]->ndescs, 2);
	cr_expect_eq(s->held[0]->descs[1].flags, VRING_DESC_F_WRITE);
	vsnd_chain_complete(s->held[0], 1000);
	s->nheld = 0;
	struct fg_used u;
	cr_assert_eq(fg_get_used(s->g, 0, &u), 1);
	cr_expect_eq(u.len, 6);
	stub_free(s);
}

Test(vmmio, seq_is_unique_and_increasing_across_reset)
{
	struct stub *s = stub(0);
	s->mode = ECHO;
	probe(s, V1);
	struct fg_buf b[4];
	for (int i = 0; i < 3; i++) {
		add_echo(s->g, (unsigned)(i % 2) * 2, b);
		fg_kick(s->g, (unsigned)(i % 2) * 2);
	}
	probe(s, V1);
	add_echo(s->g, 3, b);
	fg_kick(s->g, 3);
	cr_assert_eq(s->nchains, 4);
	cr_expect_eq(s->seq[0], 1);
	for (unsigned i = 1; i < 4; i++)
		cr_expect_gt(s->seq[i], s->seq[i - 1]);
	stub_free(s);
}

Test(vmmio, readable_after_writable_reaches_device_marked_malformed)
{
	struct stub *s = stub(0);
	probe(s, V1);
	struct fg_buf b[3] = {
	    {.data = "ab", .len = 2}, {.len = 4, .write = true}, {.data = "cd", .len = 2}};
	fg_add_bufs(s->g, 2, b, 3, 0);
	fg_kick(s->g, 2);
	cr_assert_eq(s->nchains, 1);
	cr_expect(s->malformed[0]);
	cr_expect_eq(s->held[0]->rlen, 4);
	cr_expect_eq(fg_status(s->g) & VIRTIO_STATUS_NEEDS_RESET, 0);
	stub_free(s);
}

/* ---- fatal ring errors: NEEDS_RESET + config interrupt, queues stop ---- */

enum bad {
	LOOP,
	NEXT_OOR,
	HEAD_OOR,
	AVAIL_JUMP,
	IND_NOT_NEG,
	IND_NESTED,
	IND_NEXT,
	IND_LEN0,
	IND_LEN_ODD,
	ADDR_PAST_RAM,
	ADDR_WRAP64,
	NBAD
};

static void make_bad(struct stub *s, enum bad k)
{
	struct fake_guest *g = s->g;
	uint64_t data = fg_alloc(g, 64, 16), tbl = fg_alloc(g, 64, 16);
	uint8_t zero[64] = {0};
	fg_mem_write(g, tbl, zero, 64);
	uint16_t f;
	switch (k) {
	case LOOP:
		fg_write_desc(g, 0, 0, data, 4, VRING_DESC_F_NEXT, 1);
		fg_write_desc(g, 0, 1, data, 4, VRING_DESC_F_NEXT, 0);
		fg_push_avail(g, 0, 0);
		break;
	case NEXT_OOR:
		fg_write_desc(g, 0, 0, data, 4, VRING_DESC_F_NEXT, 8);
		fg_push_avail(g, 0, 0);
		break;
	case HEAD_OOR:
		fg_push_avail(g, 0, 8);
		break;
	case AVAIL_JUMP:
		fg_set_avail_idx(g, 0, 9);
		break;
	case IND_NOT_NEG:
	case IND_LEN0:
	case IND_LEN_ODD:
	case IND_NEXT:
	case IND_NESTED:
		fg_mem_write(g, tbl, &data, 8);
		fg_mem_write(g, tbl + 8, &(uint32_t){4}, 4);
		if (k == IND_NESTED) {
			f = VRING_DESC_F_INDIRECT;
			fg_mem_write(g, tbl + 12, &f, 2);
		}
		fg_write_desc(g, 0, 0, tbl,
			      k == IND_LEN0	 ? 0
			      : k == IND_LEN_ODD ? 20
						 : 32,
			      VRING_DESC_F_INDIRECT | (k == IND_NEXT ? VRING_DESC_F_NEXT : 0), 1);
		fg_write_desc(g, 0, 1, data, 4, 0, 0);
		fg_push_avail(g, 0, 0);
		break;
	case ADDR_PAST_RAM:
		fg_write_desc(g, 0, 0, BASE + RAM - 2, 4, 0, 0);
		fg_push_avail(g, 0, 0);
		break;
	case ADDR_WRAP64:
		fg_write_desc(g, 0, 0, 0xfffffffffffffff8ull, 16, VRING_DESC_F_WRITE, 0);
		fg_push_avail(g, 0, 0);
		break;
	case NBAD:
		break;
	}
}

static const int bad_err[NBAD] = {
    [LOOP] = VIRTQ_E_LOOP,
    [NEXT_OOR] = VIRTQ_E_HEAD,
    [HEAD_OOR] = VIRTQ_E_HEAD,
    [AVAIL_JUMP] = VIRTQ_E_AVAIL_JUMP,
    [IND_NOT_NEG] = VIRTQ_E_INDIRECT,
    [IND_NESTED] = VIRTQ_E_INDIRECT,
    [IND_NEXT] = VIRTQ_E_INDIRECT,
    [IND_LEN0] = VIRTQ_E_INDIRECT,
    [IND_LEN_ODD] = VIRTQ_E_INDIRECT,
    [ADDR_PAST_RAM] = VIRTQ_E_ADDR,
    [ADDR_WRAP64] = VIRTQ_E_ADDR,
};

static void check_needs_reset(struct stub *s, int reason, const char *what)
{
	cr_expect_eq(fg_status(s->g), 0x4f, "%s: status", what);
	cr_expect_eq(fg_mmio_read(s->g, 0x060), 2, "%s: config-change interrupt", what);
	cr_expect_eq(fg_irq_level(s->g), 1, "%s: irq", what);
	const struct vmmio_event *e = last_ev(s, VMMIO_EV_NEEDS_RESET);
	cr_assert(e, "%s: event", what);
	cr_expect_eq((int)e->value, reason, "%s: reason", what);
}

Test(vmmio, every_fatal_ring_error_sets_needs_reset)
{
	for (int k = 0; k < NBAD; k++) {
		bool ind = k != IND_NOT_NEG && k >= IND_NOT_NEG && k <= IND_LEN_ODD;
		struct stub *s = stub(ind ? F_IND : 0);
		s->mode = ECHO;
		probe(s, V1 | (ind ? F_IND : 0));
		/* A good chain on txq first, held, to show completions stop being published. */
		s->mode = HOLD;
		struct fg_buf b[4];
		add_echo(s->g, 2, b);
		fg_kick(s->g, 2);
		cr_assert_eq(s->nheld, 1);
		make_bad(s, (enum bad)k);
		fg_kick(s->g, 0);
		char what[32];
		snprintf(what, sizeof(what), "class %d", k);
		check_needs_reset(s, bad_err[k], what);
		cr_expect_eq(s->nchains, 1, "%s: bad chain not handed over", what);
		/* Stopped: no queue is processed and completions are not published. */
		add_echo(s->g, 2, b);
		fg_kick(s->g, 2);
		vmmio_poll_queue(s->t, 2);
		cr_expect_eq(s->nchains, 1, "%s: queues stopped", what);
		vsnd_chain_complete(s->held[0], 0);
		s->nheld = 0;
		cr_expect_eq(fg_used_idx(s->g, 2), 0, "%s: completion not published", what);
		/* Reset recovers. */
		fg_mmio_write(s->g, 0x070, 0);
		cr_expect_eq(fg_status(s->g), 0);
		cr_expect_eq(fg_irq_level(s->g), 0);
		stub_free(s);
	}
}

/* desc_off >= 0x10000 means the absolute address desc_off - 0x10000. */
static void bad_queue_setup(uint32_t num, uint64_t desc_off, uint64_t avail_off, uint64_t used_off,
			    int reason, const char *what)
{
	struct stub *s = stub(0);
	struct fake_guest *g = s->g;
	cr_assert_eq(fg_begin(g), 0);
	cr_assert_eq(fg_negotiate(g, V1), 0);
	uint64_t a = fg_alloc(g, 0x10000, 4096);
	uint64_t desc = desc_off >= 0x10000 ? desc_off - 0x10000 : a + desc_off;
	fg_mmio_write(g, 0x030, 0);
	fg_mmio_write(g, 0x038, num);
	fg_mmio_write(g, 0x080, (uint32_t)desc);
	fg_mmio_write(g, 0x084, (uint32_t)(desc >> 32));
	fg_mmio_write(g, 0x090, (uint32_t)(a + avail_off));
	fg_mmio_write(g, 0x0a0, (uint32_t)(a + used_off));
	fg_mmio_write(g, 0x044, 1);
	cr_expect_eq(fg_mmio_read(g, 0x044), 1, "%s: QueueReady reads back", what);
	/* Before DRIVER_OK: the bit only; the config interrupt comes with DRIVER_OK. */
	cr_expect_eq(fg_status(g), 0x4b, "%s", what);
	cr_expect_eq(fg_mmio_read(g, 0x060), 0, "%s", what);
	cr_expect_eq((int)last_ev(s, VMMIO_EV_NEEDS_RESET)->value, reason, "%s", what);
	fg_driver_ok(g);
	cr_expect_eq(s->ndriver_ok, 0, "%s: never live", what);
	check_needs_reset(s, reason, what);
	stub_free(s);
}

Test(vmmio, bad_queue_size_or_placement_is_fatal)
{
	bad_queue_setup(0, 0, 0x1000, 0x2000, VIRTQ_E_RING, "size 0");
	bad_queue_setup(3, 0, 0x1000, 0x2000, VIRTQ_E_RING, "size 3");
	bad_queue_setup(128, 0, 0x1000, 0x2000, VIRTQ_E_RING, "size > max");
	bad_queue_setup(8, 8, 0x1000, 0x2000, VIRTQ_E_RING, "desc misaligned");
	bad_queue_setup(8, 0, 0x1001, 0x2000, VIRTQ_E_RING, "avail misaligned");
	bad_queue_setup(8, 0, 0x1000, 0x2002, VIRTQ_E_RING, "used misaligned");
	bad_queue_setup(8, 0x10000 + 0x1000, 0x1000, 0x2000, VIRTQ_E_ADDR, "desc below RAM");
}

Test(vmmio, device_needs_reset_after_driver_ok)
{
	struct stub *s = stub(0);
	probe(s, V1);
	vmmio_needs_reset(s->t, 42);
	check_needs_reset(s, 42, "device");
	/* Linux read-modify-writes Status: the bit stays device-owned. */
	fg_mmio_write(s->g, 0x070, fg_status(s->g) | VIRTIO_STATUS_FAILED);
	cr_expect_eq(fg_status(s->g), 0xcf);
	fg_handle_irq(s->g);
	cr_expect_eq(fg_irq_level(s->g), 0);
	stub_free(s);
}

/* RAM ending exactly at 2^32: a descriptor whose end wraps 2^32 is fatal, never touched. */
Test(vmmio, ram_at_top_of_32_bit_space)
{
	struct stub *s = stub_new(0, 0xffe00000ull, 0x200000);
	s->mode = ECHO;
	probe(s, V1);
	uint64_t ok = 0xfffffff0ull;
	fg_write_desc(s->g, 0, 0, ok, 16, VRING_DESC_F_WRITE, 0);
	fg_push_avail(s->g, 0, 0);
	fg_kick(s->g, 0);
	struct fg_used u;
	cr_assert_eq(fg_get_used(s->g, 0, &u), 1);
	cr_expect_eq(u.len, 0);
	cr_expect_eq(fg_handle_irq(s->g), 1);
	fg_write_desc(s->g, 0, 1, 0xfffffff0ull, 0x20, VRING_DESC_F_WRITE, 0);
	fg_push_avail(s->g, 0, 1);
	fg_kick(s->g, 0);
	check_needs_reset(s, VIRTQ_E_ADDR, "wrap 2^32");
	stub_free(s);
}

/* Completions from a device thread while the vCPU thread accesses registers. */
struct racer {
	struct stub *s;
	unsigned n;
};

static void *complete_thread(void *arg)
{
	struct racer *r = arg;
	for (unsigned i = 0; i < r->n; i++) {
		struct vsnd_chain *c;
		for (;;) {
			pthread_mutex_lock(&r->s->mu);
			c = r->s->nheld > i ? r->s->held[i] : NULL;
			pthread_mutex_unlock(&r->s->mu);
			if (c)
				break;
			sched_yield();
		}
		vsnd_chain_write(c, 0, "ok", 2);
		vsnd_chain_complete(c, 2);
	}
	return NULL;
}

Test(vmmio, concurrent_completion_and_register_access)
{
	struct stub *s = stub(0);
	probe(s, V1);
	struct racer r = {s, 200};
	pthread_t th;
	pthread_create(&th, NULL, complete_thread, &r);
	unsigned got = 0, added = 0;
	uint64_t bufs = fg_alloc(s->g, 16 * 4, 8);
	while (got < r.n) {
		while (added < r.n && fg_num_free(s->g, 2) > 0) {
			struct fg_seg seg = {bufs + 4 * (added % 16), 4, true};
			cr_assert_geq(fg_add_segs(s->g, 2, &seg, 1, 0), 0);
			added++;
			fg_kick(s->g, 2);
		}
		struct fg_used u;
		if (fg_wait_used(s->g, 2, &u, 2000)) {
			cr_assert_eq(u.len, 2);
			got++;
		} else {
			cr_assert_fail("timed out after %u completions", got);
		}
	}
	pthread_join(th, NULL);
	s->nheld = 0;
	cr_expect_eq(fg_bad_used(s->g), 0);
	cr_expect_eq(fg_used_idx(s->g, 2), (uint16_t)r.n);
	fg_handle_irq(s->g);
	cr_expect_eq(fg_irq_level(s->g), 0);
	stub_free(s);
}
