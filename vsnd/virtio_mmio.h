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
 * register (the vCPU), except chain completion which may come from device threads.
 *
 * Threading and lock order (the transport's mutex is a leaf):
 * - The transport never holds its mutex while calling ops->config_read, ->chain,
 *   ->driver_ok or ->reset, the observer or irq.set. So the device may call
 *   vsnd_chain_complete()/discard() and vmmio_needs_reset() from any thread, while holding
 *   its own locks, including from inside ops->chain (control replies) and while another
 *   thread is inside vmmio_read/vmmio_write.
 * - Observer events and irq level changes are queued under the mutex and delivered in order
 *   right after it is dropped, by whichever thread gets the delivery lock (try-lock: no
 *   thread ever waits for it). So observer.event and irq.set may run on any thread that
 *   calls into the transport (a vCPU, a device thread inside complete()); only one runs at
 *   a time. They must not wait for a lock held by a thread that calls into the transport.
 *   The irq level always settles to (InterruptStatus != 0).
 * - ops->chain is called synchronously from vmmio_write (QueueNotify, Status DRIVER_OK) and
 *   vmmio_poll_queue; a device must not call vmmio_poll_queue while holding a lock its
 *   ->chain takes.
 * - Reset (Status = 0): queue processing stops and completions stop being published first,
 *   then ops->reset runs (without the mutex, so device threads blocked in complete() can
 *   finish), then all transport state is cleared. A completion of a chain popped before the
 *   reset only frees it. Chains are numbered by a per-transport seq starting at 1 that is
 *   never reset. */
struct vmmio_device_ops {
	uint32_t device_id;
	uint32_t vendor_id;
	uint64_t features;                 /* offered; VIRTIO_F_VERSION_1 is added always; the
					      transport strips bits it cannot honour (34 RING_PACKED,
					      38 NOTIFICATION_DATA, 40 RING_RESET) */
	uint32_t num_queues;
	uint16_t queue_num_max[VMMIO_MAX_QUEUES];
	void (*config_read)(void *dev, uint32_t off, void *buf, uint32_t len);
	/* A chain the driver made available (only after DRIVER_OK). Device owns it. Its
	 * complete() clamps used_len to wlen; a chain completed after a reset, after its
	 * queue was disabled (QueueReady=0) or in NEEDS_RESET is freed without publishing,
	 * and its read()/write() return 0 once a reset has begun. */
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
	VMMIO_EV_IRQ_ACK,         /* value = bits written to InterruptACK */
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
/* The device must hold no chain (reset or freed first) when the transport is freed. */
void vmmio_free(struct vmmio *t);
void vmmio_set_observer(struct vmmio *t, struct vmmio_observer obs);
/* Replace the device callbacks target (used by shims that wrap the device). */
void vmmio_set_device(struct vmmio *t, const struct vmmio_device_ops *ops, void *dev);

/* Register access at offset off within the window; size 1, 2 or 4. Control registers
 * (< 0x100) take aligned 32-bit accesses only; config space (0x100..0x1ff) takes naturally
 * aligned 1/2/4-byte reads. Anything else (odd width or offset, undefined offset, reads of
 * write-only and writes of read-only registers, config writes, legacy registers, queue
 * registers of an unknown QueueSel or of a ready queue) is ignored (reads 0) and reported
 * as VMMIO_EV_BAD_ACCESS. */
uint32_t vmmio_read(struct vmmio *t, uint32_t off, unsigned size);
void vmmio_write(struct vmmio *t, uint32_t off, unsigned size, uint32_t val);

/* Device-side: enter DEVICE_NEEDS_RESET (2.1.2) and stop processing queues until reset;
 * raises the config-change interrupt (InterruptStatus bit1) if DRIVER_OK is set, or later
 * when the driver sets DRIVER_OK. Completions are then freed without being published. */
void vmmio_needs_reset(struct vmmio *t, int reason);

/* Re-scan a queue for available chains (e.g. eventq, filled without a kick). Does nothing
 * before DRIVER_OK, on an unready queue or in NEEDS_RESET. */
void vmmio_poll_queue(struct vmmio *t, uint32_t q);

#endif
