/* snd_slot.h - glue for one virtio-mmio slot holding the virtio-snd device: builds the sinks
 * from --snd-sink/--snd-source specs, the device, the transport, and maps the window. */
#ifndef SEMU_SND_SLOT_H
#define SEMU_SND_SLOT_H

#include <stddef.h>
#include <stdint.h>

#include "semu/bus.h"
#include "vsnd/clock.h"
#include "vsnd/gmem.h"
#include "vsnd/irq.h"
#include "vsnd/snd.h"
#include "vsnd/virtio_mmio.h"

#define SND_SLOT_QUEUE_SIZE 64 /* QueueNumMax of each of the four queues (power of 2) */
#define SND_SLOT_VENDOR_ID 0x646e7376u /* 'vsnd' */

/* Optional observers that wrap the slot's parts (the session recorder plugs in here, so this
 * library does not depend on it). Any member may be NULL. */
struct snd_slot_hooks {
	void *ctx;
	/* Wrap a sink/source for stream_id; return NULL to keep inner (ownership stays). */
	struct vsnd_sink *(*wrap_sink)(void *ctx, struct vsnd_sink *inner, uint32_t stream_id);
	/* Wrap the device ops handed to the transport; return NULL to keep inner. */
	const struct vmmio_device_ops *(*wrap_device)(void *ctx,
						      const struct vmmio_device_ops *inner,
						      void *inner_dev, void **wrapped_dev);
	/* Transport events observer (observer.event == NULL: none). */
	struct vmmio_observer observer;
};

struct snd_slot_cfg {
	/* Output streams: the first plays into sink_spec; with a wav:PATH or flac:PATH sink,
	 * every later output stream N gets its own file, PATH with "-sN" before the extension
	 * (as vsndtrace replay names them); other sinks are opened once per stream. */
	const char *sink_spec;   /* NULL = "null" */
	/* Every input stream captures from its own instance of this source. */
	const char *source_spec; /* NULL = "silence" */
	const struct vsnd_config *config; /* the device's configuration (copied); NULL = default */
	struct vsnd_gmem mem;    /* guest RAM */
	struct vsnd_irq irq;     /* the slot's PLIC line */
	struct vsnd_clock *clock;
	struct snd_slot_hooks hooks;
};

struct snd_slot;

/* Returns NULL with a message in err on a bad sink/source spec or allocation failure. */
struct snd_slot *snd_slot_new(const struct snd_slot_cfg *cfg, char *err, size_t errlen);
/* Resets the device (no device thread touches guest RAM afterwards), frees transport, device
 * and sinks. */
void snd_slot_free(struct snd_slot *s);

/* The device configuration in use (streams, jacks, chmaps), e.g. for a session record. */
const struct vsnd_config *snd_slot_config(const struct snd_slot *s);

/* The bus window: opaque is the slot; offsets past VMMIO_WINDOW read 0 / are ignored. */
extern const struct bus_ops snd_slot_bus_ops;

#endif
