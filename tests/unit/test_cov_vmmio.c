/* test_cov_vmmio.c - edge cases of the virtio-mmio transport (vsnd/virtio_mmio.c) left by the
 * main suite (issue 7 coverage): a device without callbacks, every refused register access,
 * an observer that re-enters the transport or detaches, and callbacks during a reset. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_guest.h"
#include "vsnd/virtio_mmio.h"
#include "vsnd/virtq.h"

#define BASE 0x80000000ull
#define RAM (4u << 20)
#define V1 (1ull << VIRTIO_F_VERSION_1)
#define MAXEV 1024

struct rig {
	struct fake_guest *g;
	struct vmmio *t;
	struct vmmio_device_ops ops;
	struct vmmio_event ev[MAXEV];
	unsigned nev;
	/* observer behaviour on its first event */
	unsigned burst;  /* that many refused reads from inside the observer */
	int detach;      /* remove the observer */
	/* device */
	struct vsnd_chain *held[8];
	unsigned nheld, nchains, nresets;
	unsigned polled_in_reset;
	uint32_t read_in_reset, write_in_reset;
};

static void on_event(void *opaque, const struct vmmio_event *ev)
{
	struct rig *r = opaque;
	unsigned first = r->nev == 0;
	if (r->nev < MAXEV)
		r->ev[r->nev++] = *ev;
	if (!first)
		return;
	if (r->detach)
		vmmio_set_observer(r->t, (struct vmmio_observer){0});
	/* Odd offsets are refused whatever their value: BAD_ACCESS(value = offset, num = 4). */
	for (unsigned i = 0; i < r->burst; i++)
		cr_expect_eq(vmmio_read(r->t, 1 + 4 * i, 4), 0);
}

static void hold_chain(void *dev, struct vsnd_chain *c)
{
	struct rig *r = dev;
	r->nchains++;
	if (r->nheld < 8)
		r->held[r->nheld++] = c;
	else
		vsnd_chain_complete(c, 0);
}

static void reset_cb(void *dev)
{
	struct rig *r = dev;
	r->nresets++;
	/* The chain of a reset that has begun reads and writes nothing. */
	for (unsigned i = 0; i < r->nheld; i++) {
		uint8_t b[4] = {0};
		r->read_in_reset += vsnd_chain_read(r->held[i], 0, b, 4);
		r->write_in_reset += vsnd_chain_write(r->held[i], 0, "zzzz", 4);
		vsnd_chain_discard(r->held[i]);
	}
	r->nheld = 0;
	/* Polling now finds the driver's buffer but must not hand it over. */
	unsigned before = r->nchains;
	vmmio_poll_queue(r->t, 0);
	r->polled_in_reset += r->nchains - before;
}

static struct rig *rig_new(int with_callbacks)
{
	struct rig *r = calloc(1, sizeof(*r));
	cr_assert(r);
	r->ops = (struct vmmio_device_ops){
	    .device_id = 25, .vendor_id = 1, .num_queues = 2, .queue_num_max = {8, 8}};
	if (with_callbacks) {
		r->ops.chain = hold_chain;
		r->ops.reset = reset_cb;
	}
	r->g = fg_new(BASE, RAM);
	r->t = vmmio_new(&r->ops, r, fg_gmem(r->g), fg_irq(r->g));
	cr_assert(r->t);
	fg_attach(r->g, r->t);
	vmmio_set_observer(r->t, (struct vmmio_observer){on_event, r});
	return r;
}

static void rig_free(struct rig *r)
{
	vmmio_write(r->t, 0x070, 4, 0);
	vmmio_free(r->t);
	fg_free(r->g);
	free(r);
}

static unsigned count(struct rig *r, enum vmmio_ev_kind k)
{
	unsigned n = 0;
	for (unsigned i = 0; i < r->nev; i++)
		n += r->ev[i].kind == k;
	return n;
}

static void live(struct rig *r)
{
	static const uint32_t sizes[2] = {8, 8};
	cr_assert_eq(fg_probe(r->g, V1, 2, sizes), 0);
	fg_driver_ok(r->g);
}

Test(cov_vmmio, a_device_without_callbacks_still_returns_every_buffer)
{
	struct rig *r = rig_new(0);
	cr_expect_eq(vmmio_read(r->t, 0x100, 4), 0, "no config_read: config reads 0");
	cr_expect_eq(vmmio_read(r->t, 0x1fe, 2), 0);
	live(r);
	cr_expect_eq(fg_status(r->g) & VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_DRIVER_OK);
	uint8_t req[4] = {1, 2, 3, 4};
	struct fg_buf b[2] = {{.data = req, .len = 4}, {.len = 16, .write = true}};
	int head = fg_add_bufs(r->g, 0, b, 2, 0);
	cr_assert_geq(head, 0);
	fg_kick(r->g, 0);
	struct fg_used u;
	cr_assert_eq(fg_get_used(r->g, 0, &u), 1, "no chain callback: returned at once");
	cr_expect_eq(u.id, (uint32_t)head);
	cr_expect_eq(u.len, 0);
	cr_expect_eq(fg_bad_used(r->g), 0);
	/* No reset callback: the reset still clears the transport. */
	vmmio_write(r->t, 0x070, 4, 0);
	cr_expect_eq(vmmio_read(r->t, 0x070, 4), 0);
	fg_mmio_write(r->g, 0x030, 0);
	cr_expect_eq(fg_mmio_read(r->g, 0x044), 0);
	cr_expect_eq(count(r, VMMIO_EV_RESET), 2, "fg_probe's reset and ours");
	rig_free(r);
}

Test(cov_vmmio, refused_accesses_are_ignored_and_reported)
{
	struct rig *r = rig_new(1);
	struct vmmio *t = r->t;
	struct {
		uint32_t off;
		unsigned size;
		int write;
	} bad[] = {
	    {0x101, 3, 0},  /* config: width 3 */
	    {0x100, 8, 0},  /* config: width 8 */
	    {0x200, 4, 0},  /* past the window */
	    {0x100, 4, 1},  /* config writes are read-only */
	    {0x0c0, 4, 1},  /* QueueReset write (not offered) */
	    {0x072, 4, 1},  /* unaligned 32-bit write */
	    {0x070, 2, 1},  /* 16-bit write */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned before = count(r, VMMIO_EV_BAD_ACCESS);
		if (bad[i].write)
			vmmio_write(t, bad[i].off, bad[i].size, 0x55);
		else
			cr_expect_eq(vmmio_read(t, bad[i].off, bad[i].size), 0);
		cr_expect_eq(count(r, VMMIO_EV_BAD_ACCESS), before + 1, "access %u", i);
		cr_expect_eq(r->ev[r->nev - 1].value, bad[i].off);
		cr_expect_eq(r->ev[r->nev - 1].num, bad[i].size);
	}
	/* DriverFeatures through a selector past the two windows. */
	vmmio_write(t, 0x024, 4, 2);
	vmmio_write(t, 0x020, 4, 1);
	cr_expect_eq(r->ev[r->nev - 1].kind, VMMIO_EV_BAD_ACCESS);
	cr_expect_eq(r->ev[r->nev - 1].value, 0x020);
	/* Queue registers of a queue that does not exist. */
	unsigned before = count(r, VMMIO_EV_BAD_ACCESS);
	vmmio_write(t, 0x030, 4, 5);
	cr_expect_eq(vmmio_read(t, 0x034, 4), 0, "QueueNumMax of a missing queue");
	cr_expect_eq(vmmio_read(t, 0x044, 4), 0);
	vmmio_write(t, 0x038, 4, 8);     /* QueueNum */
	vmmio_write(t, 0x044, 4, 1);     /* QueueReady */
	vmmio_write(t, 0x080, 4, 0x100); /* QueueDescLow */
	vmmio_write(t, 0x0a4, 4, 0);     /* QueueUsedHigh */
	cr_expect_eq(count(r, VMMIO_EV_BAD_ACCESS), before + 4);
	cr_expect_eq(count(r, VMMIO_EV_QUEUE_READY), 0);
	/* Accepted without effect: SHMSel, QueueReady = 0 on a queue that is not ready. */
	before = r->nev;
	vmmio_write(t, 0x0ac, 4, 3);
	cr_expect_eq(vmmio_read(t, 0x0b0, 4), 0xffffffffu, "still no shared memory");
	vmmio_write(t, 0x030, 4, 0);
	vmmio_write(t, 0x044, 4, 0);
	cr_expect_eq(vmmio_read(t, 0x044, 4), 0);
	cr_expect_eq(r->nev, before, "no event for either");
	rig_free(r);
}

Test(cov_vmmio, events_raised_by_the_observer_itself_are_kept_in_order)
{
	struct rig *r = rig_new(1);
	r->burst = 200; /* more than the event queue's first allocation, while one is pending */
	vmmio_write(r->t, 0x020, 4, 0);
	vmmio_write(r->t, 0x024, 4, 1);
	vmmio_write(r->t, 0x020, 4, 1); /* VERSION_1 */
	/* Status with FEATURES_OK queues two events: STATUS, then FEATURES. */
	vmmio_write(r->t, 0x070, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					    VIRTIO_STATUS_FEATURES_OK);
	cr_assert_eq(r->nev, 2 + 200);
	cr_expect_eq(r->ev[0].kind, VMMIO_EV_STATUS);
	cr_expect_eq(r->ev[1].kind, VMMIO_EV_FEATURES);
	cr_expect_eq(r->ev[1].value, 1);
	cr_expect_eq(r->ev[1].features, V1);
	for (unsigned i = 0; i < 200; i++) {
		cr_expect_eq(r->ev[2 + i].kind, VMMIO_EV_BAD_ACCESS, "event %u", 2 + i);
		cr_expect_eq(r->ev[2 + i].value, 1 + 4 * i, "event %u", 2 + i);
	}
	cr_expect_eq(vmmio_read(r->t, 0x070, 4) & VIRTIO_STATUS_FEATURES_OK,
		     VIRTIO_STATUS_FEATURES_OK);
	rig_free(r);
}

Test(cov_vmmio, an_observer_detached_during_delivery_gets_nothing_more)
{
	struct rig *r = rig_new(1);
	r->detach = 1;
	vmmio_write(r->t, 0x020, 4, 0);
	vmmio_write(r->t, 0x024, 4, 1);
	vmmio_write(r->t, 0x020, 4, 1);
	vmmio_write(r->t, 0x070, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					    VIRTIO_STATUS_FEATURES_OK);
	cr_expect_eq(r->nev, 1, "the queued FEATURES event is dropped");
	cr_expect_eq(r->ev[0].kind, VMMIO_EV_STATUS);
	vmmio_read(r->t, 0x001, 4);
	cr_expect_eq(r->nev, 1);
	cr_expect_eq(vmmio_read(r->t, 0x070, 4) & VIRTIO_STATUS_FEATURES_OK,
		     VIRTIO_STATUS_FEATURES_OK, "the transport itself went on");
	rig_free(r);
}

Test(cov_vmmio, during_a_reset_chains_are_dead_and_queues_are_not_scanned)
{
	struct rig *r = rig_new(1);
	live(r);
	struct fg_buf b[2] = {{.data = "abcd", .len = 4}, {.data = "....", .len = 4, .write = true}};
	cr_assert_geq(fg_add_bufs(r->g, 0, b, 2, 0), 0);
	fg_kick(r->g, 0);
	cr_assert_eq(r->nheld, 1);
	/* A second buffer is made available but not kicked: only a poll would find it. */
	struct fg_buf b2[1] = {{.len = 4, .write = true}};
	cr_assert_geq(fg_add_bufs(r->g, 0, b2, 1, 0), 0);
	unsigned resets = r->nresets;
	vmmio_write(r->t, 0x070, 4, 0);
	cr_expect_eq(r->nresets, resets + 1);
	cr_expect_eq(r->read_in_reset, 0);
	cr_expect_eq(r->write_in_reset, 0);
	cr_expect_arr_eq(fg_ptr(r->g, b[1].gpa, 4), "....", 4, "guest memory untouched");
	cr_expect_eq(r->polled_in_reset, 0);
	cr_expect_eq(r->nchains, 1);
	cr_expect_eq(fg_used_idx(r->g, 0), 0);
	rig_free(r);
}
