/* snd_slot.c - wires the virtio-snd device core (vsnd/snd.h) into the virtio-mmio transport
 * (vsnd/virtio_mmio.h): device id 25 (VirtIO 1.2, 5.14.1), four queues, sinks from specs. */
#include "semu/snd_slot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct snd_slot {
	struct vsnd_config cfg;
	struct vsnd_dev *dev;
	struct vmmio *t;
	struct vmmio_device_ops ops;
};

static void slot_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	vsnd_dev_config_read(dev, off, buf, len);
}

static void slot_chain(void *dev, struct vsnd_chain *c)
{
	vsnd_dev_submit(dev, c);
}

static void slot_driver_ok(void *dev)
{
	vsnd_dev_driver_ok(dev);
}

static void slot_reset(void *dev)
{
	vsnd_dev_reset(dev);
}

static void slot_needs_reset(void *opaque)
{
	struct snd_slot *s = opaque;
	if (s->t)
		vmmio_needs_reset(s->t, 0);
}

static int slot_make_sink(const struct snd_slot_cfg *cfg, const char *spec, int dir,
			  uint32_t stream, struct vsnd_sink **out, char *err, size_t errlen)
{
	char msg[256] = "";
	struct vsnd_sink *sk = NULL;
	if (vsnd_sink_create(spec, dir, &sk, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "bad %s '%s': %s", dir == VIRTIO_SND_D_OUTPUT ? "--snd-sink" : "--snd-source",
			 spec, msg[0] ? msg : "cannot create");
		return -1;
	}
	if (cfg->hooks.wrap_sink) {
		struct vsnd_sink *w = cfg->hooks.wrap_sink(cfg->hooks.ctx, sk, stream);
		if (w)
			sk = w;
	}
	*out = sk;
	return 0;
}

/* "wav:out.wav" for a later output stream n -> "wav:out-sN.wav" (no extension: appended);
 * other specs are used as they are. */
static void derive_sink_spec(char *out, size_t n, const char *spec, uint32_t stream)
{
	const char *colon = strchr(spec, ':');
	const char *dot = strrchr(spec, '.');
	const char *slash = strrchr(spec, '/');
	if (!colon || (strncmp(spec, "wav:", 4) && strncmp(spec, "flac:", 5)))
		snprintf(out, n, "%s", spec);
	else if (!dot || dot < colon || (slash && dot < slash))
		snprintf(out, n, "%s-s%u", spec, stream);
	else
		snprintf(out, n, "%.*s-s%u%s", (int)(dot - spec), spec, stream, dot);
}

struct snd_slot *snd_slot_new(const struct snd_slot_cfg *cfg, char *err, size_t errlen)
{
	struct snd_slot *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (cfg->config)
		s->cfg = *cfg->config;
	else
		vsnd_config_default(&s->cfg);

	struct vsnd_host host = { 0 };
	host.clock = cfg->clock ? cfg->clock : &vsnd_clock_monotonic;
	host.needs_reset = slot_needs_reset;
	host.rt_priority = 10; /* audio deadlines on a loaded host; ignored without privilege */
	host.opaque = s;
	/* One sink per stream by direction: output streams play into --snd-sink (later ones
	 * into derived file names), input streams capture from --snd-source. */
	int outputs = 0;
	for (uint32_t i = 0; i < s->cfg.nstreams && i < VSND_MAX_STREAMS; i++) {
		int dir = s->cfg.streams[i].direction;
		const char *spec = dir == VIRTIO_SND_D_OUTPUT ? (cfg->sink_spec ? cfg->sink_spec : "null")
							      : (cfg->source_spec ? cfg->source_spec : "silence");
		char derived[1024];
		if (dir == VIRTIO_SND_D_OUTPUT && outputs++) {
			derive_sink_spec(derived, sizeof(derived), spec, i);
			spec = derived;
		}
		if (slot_make_sink(cfg, spec, dir, i, &host.sinks[i], err, errlen))
			goto fail_sinks;
	}
	s->dev = vsnd_dev_new(&s->cfg, &host);
	if (!s->dev) {
		char why[512];
		if (vsnd_config_check(&s->cfg, why, sizeof(why)))
			snprintf(err, errlen, "bad virtio-snd configuration: %s", why);
		else
			snprintf(err, errlen, "cannot create the virtio-snd device");
		goto fail_sinks;
	}

	s->ops = (struct vmmio_device_ops){
		.device_id = VIRTIO_ID_SOUND,
		.vendor_id = SND_SLOT_VENDOR_ID,
		.features = 0,
		.num_queues = VSND_VQ_NUM,
		.config_read = slot_config_read,
		.chain = slot_chain,
		.driver_ok = slot_driver_ok,
		.reset = slot_reset,
	};
	for (unsigned q = 0; q < VSND_VQ_NUM; q++)
		s->ops.queue_num_max[q] = SND_SLOT_QUEUE_SIZE;
	const struct vmmio_device_ops *ops = &s->ops;
	void *dev = s->dev;
	if (cfg->hooks.wrap_device) {
		void *wdev = NULL;
		const struct vmmio_device_ops *w =
			cfg->hooks.wrap_device(cfg->hooks.ctx, ops, dev, &wdev);
		if (w) {
			ops = w;
			dev = wdev;
		}
	}
	s->t = vmmio_new(ops, dev, &cfg->mem, cfg->irq);
	if (!s->t) {
		snprintf(err, errlen, "cannot create the virtio-mmio transport");
		vsnd_dev_free(s->dev);
		free(s);
		return NULL;
	}
	if (cfg->hooks.observer.event)
		vmmio_set_observer(s->t, cfg->hooks.observer);
	return s;

fail_sinks:
	for (unsigned i = 0; i < VSND_MAX_STREAMS; i++)
		if (host.sinks[i])
			vsnd_sink_destroy(host.sinks[i]);
	free(s);
	return NULL;
}

void snd_slot_free(struct snd_slot *s)
{
	if (!s)
		return;
	vsnd_dev_reset(s->dev);
	vmmio_free(s->t);
	vsnd_dev_free(s->dev);
	free(s);
}

const struct vsnd_config *snd_slot_config(const struct snd_slot *s)
{
	return &s->cfg;
}

static uint32_t slot_bus_read(void *opaque, uint32_t off, unsigned size)
{
	struct snd_slot *s = opaque;
	return off < VMMIO_WINDOW ? vmmio_read(s->t, off, size) : 0;
}

static void slot_bus_write(void *opaque, uint32_t off, unsigned size, uint32_t val)
{
	struct snd_slot *s = opaque;
	if (off < VMMIO_WINDOW)
		vmmio_write(s->t, off, size, val);
}

const struct bus_ops snd_slot_bus_ops = { slot_bus_read, slot_bus_write };
