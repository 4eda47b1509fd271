/* virtio_mmio.h - the virtio-mmio version 2 transport (VirtIO 1.2, 4.2), written once:
 * register file, feature negotiation, status handshake, queues, interrupts; devices plug in. */
#ifndef VSND_VIRTIO_MMIO_H
#define VSND_VIRTIO_MMIO_H

#include <stdint.h>

#include "chain.h"
#include "gmem.h"
#include "irq.h"

#define VMMIO_MAX_QUEUES 8
#define VMMIO_WINDOW 0x200 /* bytes decoded */

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* What a device plugs into the transport. All callbacks run in the thread that accessed the
 * register (the vCPU), except chain completion which may come from device threads. */
struct vmmio_device_ops {
	uint32_t device_id;
	uint32_t vendor_id;
	uint64_t features;                 /* offered; VIRTIO_F_VERSION_1 is added always */
	uint32_t num_queues;
	uint16_t queue_num_max[VMMIO_MAX_QUEUES];
	void (*config_read)(void *dev, uint32_t off, void *buf, uint32_t len);
	/* A chain the driver made available (only after DRIVER_OK). Device owns it. */
	void (*chain)(void *dev, struct vsnd_chain *c);
	void (*driver_ok)(void *dev);
	/* Synchronous reset: on return the device holds no chain (all discarded). */
	void (*reset)(void *dev);
};

/* Transport events, for observers such as the recorder. */
enum vmmio_ev_kind {
	VMMIO_EV_STATUS = 1,      /* value = status written */
	VMMIO_EV_FEATURES,        /* features = driver's accepted set at FEATURES_OK; value = 1 ok, 0 refused */
	VMMIO_EV_QUEUE_READY,     /* queue, value = ready (0/1), num, desc, avail, used */
	VMMIO_EV_NOTIFY,          /* queue */
	VMMIO_EV_IRQ_RAISE,       /* value = InterruptStatus after raising */
	VMMIO_EV_IRQ_ACK,         /* value = bits acknowledged */
	VMMIO_EV_RESET,
	VMMIO_EV_NEEDS_RESET,     /* value = virtq_err or device reason */
	VMMIO_EV_BAD_ACCESS,      /* value = offset, num = size; odd width/offset/RO write */
};

struct vmmio_event {
	enum vmmio_ev_kind kind;
	uint32_t queue;
	uint32_t value;
	uint32_t num;
	uint64_t features;
	uint64_t desc, avail, used;
};

struct vmmio_observer {
	void (*event)(void *opaque, const struct vmmio_event *ev);
	void *opaque;
};

struct vmmio;

struct vmmio *vmmio_new(const struct vmmio_device_ops *ops, void *dev,
			const struct vsnd_gmem *mem, struct vsnd_irq irq);
void vmmio_free(struct vmmio *t);
void vmmio_set_observer(struct vmmio *t, struct vmmio_observer obs);
/* Replace the device callbacks target (used by shims that wrap the device). */
void vmmio_set_device(struct vmmio *t, const struct vmmio_device_ops *ops, void *dev);

/* Register access at offset off within the window; size 1, 2 or 4. Odd accesses to the
 * control registers are ignored (reads 0) and reported as VMMIO_EV_BAD_ACCESS. */
uint32_t vmmio_read(struct vmmio *t, uint32_t off, unsigned size);
void vmmio_write(struct vmmio *t, uint32_t off, unsigned size, uint32_t val);

/* Device-side: enter DEVICE_NEEDS_RESET (2.1.2) and stop processing queues until reset. */
void vmmio_needs_reset(struct vmmio *t, int reason);

/* Re-scan a queue for available chains (e.g. eventq, filled without a kick). */
void vmmio_poll_queue(struct vmmio *t, uint32_t q);

#endif
