/* test_semu_snd_slot.c - the virtio-snd slot glue: identity registers through the bus ops,
 * sinks built from specs (bad specs rejected with a message), the recorder-style hooks called
 * for each stream and for the device, and accesses past the register window ignored. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "semu/snd_slot.h"

struct hookrec {
	int sinks[VSND_MAX_STREAMS];
	int devices;
	int events;
	struct vmmio_device_ops ops; /* pass-through copy */
};

static struct vsnd_sink *wrap_sink(void *ctx, struct vsnd_sink *inner, uint32_t stream_id)
{
	struct hookrec *h = ctx;
	if (stream_id < VSND_MAX_STREAMS)
		h->sinks[stream_id]++;
	(void)inner;
	return NULL; /* keep inner */
}

static const struct vmmio_device_ops *wrap_device(void *ctx, const struct vmmio_device_ops *inner,
						  void *inner_dev, void **wrapped_dev)
{
	struct hookrec *h = ctx;
	h->devices++;
	h->ops = *inner;
	*wrapped_dev = inner_dev;
	return &h->ops;
}

static void on_event(void *opaque, const struct vmmio_event *ev)
{
	(void)ev;
	((struct hookrec *)opaque)->events++;
}

static void no_irq(void *opaque, int level)
{
	(void)opaque;
	(void)level;
}

Test(semu_snd_slot, identity_through_bus_and_hooks)
{
	static uint8_t ram[65536];
	struct hookrec h;
	memset(&h, 0, sizeof(h));
	struct snd_slot_cfg cfg = {
		.sink_spec = "null",
		.source_spec = "silence",
		.mem = { ram, 0x80000000u, sizeof(ram) },
		.irq = { no_irq, NULL },
		.hooks = { &h, wrap_sink, wrap_device, { on_event, &h } },
	};
	char err[256] = "";
	struct snd_slot *s = snd_slot_new(&cfg, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	const struct bus_ops *b = &snd_slot_bus_ops;
	cr_assert_eq(b->read(s, 0x000, 4), 0x74726976u, "MagicValue");
	cr_assert_eq(b->read(s, 0x004, 4), 2, "Version 2 (modern)");
	cr_assert_eq(b->read(s, 0x008, 4), VIRTIO_ID_SOUND);
	cr_assert_eq(b->read(s, 0x00c, 4), SND_SLOT_VENDOR_ID);
	b->write(s, 0x030, 4, 2); /* QueueSel = tx */
	cr_assert_eq(b->read(s, 0x034, 4), SND_SLOT_QUEUE_SIZE);
	b->write(s, 0x030, 4, 4); /* no such queue */
	cr_assert_eq(b->read(s, 0x034, 4), 0);
	cr_assert_eq(b->read(s, 0x100, 4), 1, "config: one jack");
	cr_assert_eq(b->read(s, 0x104, 4), 2, "config: two streams");
	b->write(s, 0x7f0, 4, 0xffffffff);
	cr_assert_eq(b->read(s, 0x7f0, 4), 0, "past the register window");
	cr_assert_eq(b->read(s, 0xffc, 4), 0);
	const struct vsnd_config *c = snd_slot_config(s);
	cr_assert_eq(c->nstreams, 2);
	cr_assert_eq(h.sinks[0], 1, "output stream sink wrapped");
	cr_assert_eq(h.sinks[1], 1, "input stream source wrapped");
	cr_assert_eq(h.devices, 1);
	b->write(s, 0x070, 4, VIRTIO_STATUS_ACKNOWLEDGE);
	cr_assert_eq(b->read(s, 0x070, 4), VIRTIO_STATUS_ACKNOWLEDGE);
	cr_assert_gt(h.events, 0, "observer sees transport events");
	snd_slot_free(s);
}

Test(semu_snd_slot, bad_specs_fail_cleanly)
{
	static uint8_t ram[4096];
	struct snd_slot_cfg cfg = {
		.sink_spec = "nosuch:thing",
		.mem = { ram, 0x80000000u, sizeof(ram) },
	};
	char err[256] = "";
	cr_assert_null(snd_slot_new(&cfg, err, sizeof(err)));
	cr_assert(strstr(err, "--snd-sink") && strstr(err, "nosuch:thing"), "message: %s", err);
	cfg.sink_spec = NULL;
	cfg.source_spec = "bogus";
	err[0] = 0;
	cr_assert_null(snd_slot_new(&cfg, err, sizeof(err)));
	cr_assert(strstr(err, "--snd-source"), "message: %s", err);
}
