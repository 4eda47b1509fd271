/* virtio_mmio.c - virtio-mmio version 2 transport (VirtIO 1.2, 4.2): register file, feature
 * negotiation, status/reset handshake, queue setup, notifications and the vsnd_chain supplier. */
#include "virtio_mmio.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"

#define VMMIO_MAGIC 0x74726976u
#define VMMIO_VERSION 2u

/* Register offsets (4.2.2). */
enum {
	R_MAGIC = 0x000,
	R_VERSION = 0x004,
	R_DEVICE_ID = 0x008,
	R_VENDOR_ID = 0x00c,
	R_DEV_FEAT = 0x010,
	R_DEV_FEAT_SEL = 0x014,
	R_DRV_FEAT = 0x020,
	R_DRV_FEAT_SEL = 0x024,
	R_GUEST_PAGE_SIZE = 0x028,
	R_QUEUE_SEL = 0x030,
	R_QUEUE_NUM_MAX = 0x034,
	R_QUEUE_NUM = 0x038,
	R_QUEUE_ALIGN = 0x03c,
	R_QUEUE_PFN = 0x040,
	R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050,
	R_INT_STATUS = 0x060,
	R_INT_ACK = 0x064,
	R_STATUS = 0x070,
	R_DESC_LO = 0x080,
	R_DESC_HI = 0x084,
	R_AVAIL_LO = 0x090,
	R_AVAIL_HI = 0x094,
	R_USED_LO = 0x0a0,
	R_USED_HI = 0x0a4,
	R_SHM_SEL = 0x0ac,
	R_SHM_LEN_LO = 0x0b0,
	R_SHM_LEN_HI = 0x0b4,
	R_SHM_BASE_LO = 0x0b8,
	R_SHM_BASE_HI = 0x0bc,
	R_QUEUE_RESET = 0x0c0,
	R_CONFIG_GEN = 0x0fc,
	R_CONFIG = 0x100,
};

#define ISR_USED 1u
#define ISR_CONFIG 2u
#define UNSUPPORTED_FEATURES ((1ull << 34) | (1ull << 38) | (1ull << 40))

struct vmq {
	struct virtq vq; /* active ring; vq.ready = enabled and valid */
	uint32_t num;	 /* latched QueueNum and addresses */
	uint64_t desc, avail, used;
	bool ready_reg; /* QueueReady as the driver reads it back */
	uint32_t epoch; /* bumped on every enable, disable and reset */
};

struct vmmio {
	pthread_mutex_t lock; /* everything below except where noted */
	const struct vmmio_device_ops *ops;
	void *dev;
	struct vsnd_gmem mem; /* immutable after vmmio_new */
	struct vsnd_irq irq;
	struct vmmio_observer obs;
	uint32_t status; /* as stored, without NEEDS_RESET */
	bool needs_reset, resetting, features_ok;
	uint32_t isr;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel, shm_sel;
	uint32_t drv_feat[2];
	uint64_t negotiated;
	struct vmq q[VMMIO_MAX_QUEUES];
	uint64_t next_seq;
	uint32_t gen; /* bumped at reset start; read atomically by chains */
	/* Walk scratch (used under the lock only). */
	struct virtq_chain scratch;
	struct virtq_seg scratch_seg[VIRTQ_MAX_CHAIN];
	struct vsnd_desc scratch_desc[VIRTQ_MAX_CHAIN];
	/* Outbox: events and the irq level, delivered outside the lock (see header). */
	struct vmmio_event *evq;
	size_t ev_head, ev_n, ev_cap;
	int irq_applied; /* level last given to irq.set; written under both locks */
	pthread_mutex_t out_lock;
};

struct vm_chain {
	struct vsnd_chain pub; /* first: the chain ops cast back */
	struct vmmio *t;
	uint32_t gen, epoch;
	struct virtq_chain vc;
	struct virtq_seg segs[]; /* then vc.ndescs struct vsnd_desc */
};

static void lock(struct vmmio *t)
{
	pthread_mutex_lock(&t->lock);
}

static void unlock(struct vmmio *t)
{
	pthread_mutex_unlock(&t->lock);
}

/* Queue an event (locked). On allocation failure the event is dropped. */
static void emit(struct vmmio *t, struct vmmio_event ev)
{
	if (!t->obs.event)
		return;
	if (t->ev_head + t->ev_n == t->ev_cap) {
		if (t->ev_head) {
			memmove(t->evq, t->evq + t->ev_head, t->ev_n * sizeof(*t->evq));
			t->ev_head = 0;
		} else {
			size_t cap = t->ev_cap ? 2 * t->ev_cap : 64;
			struct vmmio_event *n = realloc(t->evq, cap * sizeof(*n));
			if (!n)
				return;
			t->evq = n;
			t->ev_cap = cap;
		}
	}
	t->evq[t->ev_head + t->ev_n++] = ev;
}

static void emit_simple(struct vmmio *t, enum vmmio_ev_kind kind, uint32_t queue, uint32_t value,
			uint32_t num)
{
	struct vmmio_event ev = {.kind = kind, .queue = queue, .value = value, .num = num};
	emit(t, ev);
}

static void bad_access(struct vmmio *t, uint32_t off, unsigned size)
{
	emit_simple(t, VMMIO_EV_BAD_ACCESS, 0, off, size);
}

/* Deliver queued events and settle the irq level, without holding the state lock. Whoever
 * gets out_lock delivers for everyone; others return at once (no waiting, no deadlock). */
static void flush(struct vmmio *t)
{
	for (;;) {
		if (pthread_mutex_trylock(&t->out_lock) != 0)
			return;
		for (;;) {
			lock(t);
			if (t->ev_n) {
				struct vmmio_event ev = t->evq[t->ev_head];
				t->ev_head++;
				if (--t->ev_n == 0)
					t->ev_head = 0;
				struct vmmio_observer obs = t->obs;
				unlock(t);
				if (obs.event)
					obs.event(obs.opaque, &ev);
				continue;
			}
			int want = t->isr != 0;
			if (want != t->irq_applied) {
				t->irq_applied = want;
				struct vsnd_irq irq = t->irq;
				unlock(t);
				vsnd_irq_set(&irq, want);
				continue;
			}
			unlock(t);
			break;
		}
		pthread_mutex_unlock(&t->out_lock);
		/* Work queued by a thread whose try-lock failed while we were finishing. */
		lock(t);
		bool more = t->ev_n || (t->isr != 0) != t->irq_applied;
		unlock(t);
		if (!more)
			return;
	}
}

/* Drop the state lock, then deliver if this thread left anything pending. Work queued by
 * other threads is delivered by them or by the current delivery-lock holder. */
static void unlock_flush(struct vmmio *t)
{
	bool pending = t->ev_n || (t->isr != 0) != t->irq_applied;
	unlock(t);
	if (pending)
		flush(t);
}

static void raise_isr(struct vmmio *t, uint32_t bits)
{
	t->isr |= bits;
	emit_simple(t, VMMIO_EV_IRQ_RAISE, 0, t->isr, 0);
}

/* Enter DEVICE_NEEDS_RESET (locked): 2.1.2, config-change interrupt if DRIVER_OK. */
static void enter_needs_reset(struct vmmio *t, int reason)
{
	if (t->needs_reset)
		return;
	t->needs_reset = true;
	emit_simple(t, VMMIO_EV_NEEDS_RESET, 0, (uint32_t)reason, 0);
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		raise_isr(t, ISR_CONFIG);
}

static uint64_t offered(const struct vmmio *t)
{
	return ((t->ops->features) | (1ull << VIRTIO_F_VERSION_1)) & ~UNSUPPORTED_FEATURES;
}

static bool live(const struct vmmio *t)
{
	return (t->status & VIRTIO_STATUS_DRIVER_OK) && t->features_ok && !t->needs_reset &&
	       !t->resetting;
}

static uint32_t nqueues(const struct vmmio *t)
{
	return t->ops->num_queues < VMMIO_MAX_QUEUES ? t->ops->num_queues : VMMIO_MAX_QUEUES;
}

static struct vmq *sel_queue(struct vmmio *t)
{
	return t->queue_sel < nqueues(t) ? &t->q[t->queue_sel] : NULL;
}

/* ---- the vsnd_chain supplier ---- */

static bool chain_current(const struct vm_chain *c)
{
	return __atomic_load_n(&c->t->gen, __ATOMIC_ACQUIRE) == c->gen;
}

static uint32_t ch_read(struct vsnd_chain *pc, uint32_t off, void *dst, uint32_t len)
{
	struct vm_chain *c = (struct vm_chain *)pc;
	if (!chain_current(c))
		return 0;
	return virtq_chain_read(&c->vc, &c->t->mem, off, dst, len);
}

static uint32_t ch_write(struct vsnd_chain *pc, uint32_t off, const void *src, uint32_t len)
{
	struct vm_chain *c = (struct vm_chain *)pc;
	if (!chain_current(c))
		return 0;
	return virtq_chain_write(&c->vc, &c->t->mem, off, src, len);
}

/* Publish (locked) unless the chain's queue was reset, disabled or the device is broken. */
static void publish(struct vmmio *t, uint16_t qi, uint32_t gen, uint32_t epoch, uint16_t head,
		    uint32_t used_len)
{
	struct vmq *q = &t->q[qi];
	if (gen != t->gen || t->resetting || t->needs_reset || epoch != q->epoch || !q->vq.ready)
		return;
	q->vq.features = t->negotiated;
	int r = virtq_push(&q->vq, &t->mem, head, used_len);
	if (r < 0)
		enter_needs_reset(t, r);
	else if (r > 0)
		raise_isr(t, ISR_USED);
}

/* used.len is clamped to the writable size: the driver must never be told more was written
 * than its buffers hold (2.7.8). */
static void ch_complete(struct vsnd_chain *pc, uint32_t used_len)
{
	struct vm_chain *c = (struct vm_chain *)pc;
	struct vmmio *t = c->t;
	if (used_len > c->pub.wlen)
		used_len = c->pub.wlen;
	lock(t);
	publish(t, c->pub.queue, c->gen, c->epoch, c->pub.head, used_len);
	unlock_flush(t);
	free(c);
}

static void ch_discard(struct vsnd_chain *pc)
{
	free(pc);
}

static const struct vsnd_chain_ops chain_ops = {
    .read = ch_read,
    .write = ch_write,
    .complete = ch_complete,
    .discard = ch_discard,
};

/* Build a heap chain from the walk scratch (locked). */
static struct vm_chain *make_chain(struct vmmio *t, uint16_t qi)
{
	const struct virtq_chain *s = &t->scratch;
	uint32_t nseg = s->nr + s->nw;
	struct vm_chain *c = malloc(sizeof(*c) + nseg * sizeof(struct virtq_seg) +
				    s->ndescs * sizeof(struct vsnd_desc));
	if (!c)
		return NULL;
	struct vsnd_desc *descs = (struct vsnd_desc *)(c->segs + nseg);
	memcpy(c->segs, s->seg, nseg * sizeof(struct virtq_seg));
	memcpy(descs, s->descs, s->ndescs * sizeof(struct vsnd_desc));
	c->vc = *s;
	c->vc.cap = s->ndescs;
	c->vc.seg = c->segs;
	c->vc.descs = descs;
	c->t = t;
	c->gen = t->gen;
	c->epoch = t->q[qi].epoch;
	c->pub = (struct vsnd_chain){
	    .ops = &chain_ops,
	    .opaque = c,
	    .queue = qi,
	    .head = s->head,
	    .rlen = (uint32_t)s->rlen,
	    .wlen = (uint32_t)s->wlen,
	    .malformed = s->malformed,
	    .seq = t->next_seq++,
	    .descs = descs,
	    .ndescs = s->ndescs,
	};
	return c;
}

/* Hand every available chain of queue qi to the device, one at a time, with the lock
 * dropped around each ops->chain call (2.7.13, facts sheet 2.3). */
static void process_queue(struct vmmio *t, uint32_t qi)
{
	for (;;) {
		lock(t);
		if (qi >= nqueues(t) || !live(t) || !t->q[qi].vq.ready) {
			unlock(t);
			return;
		}
		struct vmq *q = &t->q[qi];
		q->vq.features = t->negotiated;
		int r = virtq_pop(&q->vq, &t->mem, &t->scratch);
		if (r == VIRTQ_EMPTY) {
			unlock(t);
			return;
		}
		if (r < 0) {
			enter_needs_reset(t, r);
			unlock_flush(t);
			return;
		}
		struct vm_chain *c = make_chain(t, (uint16_t)qi);
		if (!c) {
			/* Out of host memory: give the buffer back unused rather than leak it. */
			publish(t, (uint16_t)qi, t->gen, q->epoch, t->scratch.head, 0);
			unlock_flush(t);
			continue;
		}
		void (*fn)(void *, struct vsnd_chain *) = t->ops->chain;
		void *dev = t->dev;
		unlock_flush(t);
		if (fn)
			fn(dev, &c->pub);
		else
			ch_complete(&c->pub, 0);
	}
}

/* ---- registers ---- */

static void do_reset(struct vmmio *t)
{
	lock(t);
	t->resetting = true;
	__atomic_store_n(&t->gen, t->gen + 1, __ATOMIC_RELEASE);
	void (*fn)(void *) = t->ops->reset;
	void *dev = t->dev;
	unlock_flush(t);
	/* 2.4 and facts sheet 1.2: synchronous; the device drops every chain before we return. */
	if (fn)
		fn(dev);
	lock(t);
	t->status = 0;
	t->isr = 0;
	t->needs_reset = false;
	t->features_ok = false;
	t->negotiated = 0;
	t->drv_feat[0] = t->drv_feat[1] = 0;
	t->dev_feat_sel = t->drv_feat_sel = t->queue_sel = t->shm_sel = 0;
	for (int i = 0; i < VMMIO_MAX_QUEUES; i++) {
		uint32_t epoch = t->q[i].epoch + 1;
		memset(&t->q[i], 0, sizeof(t->q[i]));
		t->q[i].epoch = epoch;
	}
	t->resetting = false;
	emit_simple(t, VMMIO_EV_RESET, 0, 0, 0);
	unlock_flush(t);
}

/* Status write other than 0 (locked). Returns true if the device just went live. */
static bool write_status(struct vmmio *t, uint32_t val)
{
	uint32_t old = t->status, nv = val & 0xff & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
	if ((nv & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		if (t->features_ok) {
			/* Accepted before: the set stays fixed until reset (facts sheet 1.4). */
			struct vmmio_event ev = {
			    .kind = VMMIO_EV_FEATURES, .value = 1, .features = t->negotiated};
			emit(t, ev);
		} else {
			uint64_t drv = t->drv_feat[0] | (uint64_t)t->drv_feat[1] << 32;
			bool ok = !(drv & ~offered(t)) && (drv >> VIRTIO_F_VERSION_1 & 1);
			struct vmmio_event ev = {
			    .kind = VMMIO_EV_FEATURES, .value = ok, .features = drv};
			emit(t, ev);
			if (ok) {
				t->features_ok = true;
				t->negotiated = drv;
			} else {
				nv &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK; /* refused: 2.2.2 */
			}
		}
	}
	bool rising_ok = (nv & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK);
	t->status = nv;
	if (rising_ok && t->needs_reset)
		raise_isr(t, ISR_CONFIG); /* 2.1.2: tell the now-live driver */
	return rising_ok && live(t);
}

static void queue_ready_write(struct vmmio *t, struct vmq *q, uint32_t qi, uint32_t val)
{
	if (val && !q->ready_reg) {
		q->ready_reg = true;
		q->epoch++;
		q->vq = (struct virtq){.num = q->num,
				       .desc = q->desc,
				       .avail = q->avail,
				       .used = q->used,
				       .features = t->negotiated};
		virtq_reset_indexes(&q->vq);
		struct vmmio_event ev = {.kind = VMMIO_EV_QUEUE_READY,
					 .queue = qi,
					 .value = 1,
					 .num = q->num,
					 .desc = q->desc,
					 .avail = q->avail,
					 .used = q->used};
		emit(t, ev);
		int r = virtq_validate(&q->vq, &t->mem, t->ops->queue_num_max[qi]);
		if (r == VIRTQ_OK)
			q->vq.ready = true;
		else
			enter_needs_reset(t, r); /* facts sheet 5: bad size or placement */
	} else if (!val && q->ready_reg) {
		q->ready_reg = false;
		q->vq.ready = false;
		q->epoch++;
		emit_simple(t, VMMIO_EV_QUEUE_READY, qi, 0, 0);
	}
}

static void latch_addr(uint64_t *a, bool hi, uint32_t val)
{
	if (hi)
		*a = (*a & 0xffffffffull) | (uint64_t)val << 32;
	else
		*a = (*a & ~0xffffffffull) | val;
}

uint32_t vmmio_read(struct vmmio *t, uint32_t off, unsigned size)
{
	if (off >= R_CONFIG && off < VMMIO_WINDOW && (size == 1 || size == 2 || size == 4) &&
	    off % size == 0) {
		lock(t);
		void (*fn)(void *, uint32_t, void *, uint32_t) = t->ops->config_read;
		void *dev = t->dev;
		unlock(t);
		uint8_t b[4] = {0};
		if (fn)
			fn(dev, off - R_CONFIG, b, size);
		return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		       (uint32_t)b[3] << 24;
	}
	lock(t);
	uint32_t v = 0;
	bool bad = false;
	if (size != 4 || off % 4 || off >= R_CONFIG) {
		bad = true;
	} else {
		struct vmq *q = sel_queue(t);
		switch (off) {
		case R_MAGIC:
			v = VMMIO_MAGIC;
			break;
		case R_VERSION:
			v = VMMIO_VERSION;
			break;
		case R_DEVICE_ID:
			v = t->ops->device_id;
			break;
		case R_VENDOR_ID:
			v = t->ops->vendor_id;
			break;
		case R_DEV_FEAT:
			if (t->dev_feat_sel < 2)
				v = (uint32_t)(offered(t) >> (32 * t->dev_feat_sel));
			break;
		case R_QUEUE_NUM_MAX:
			v = q ? t->ops->queue_num_max[t->queue_sel] : 0;
			break;
		case R_QUEUE_READY:
			v = q ? q->ready_reg : 0;
			break;
		case R_INT_STATUS:
			v = t->isr;
			break;
		case R_STATUS:
			v = t->status | (t->needs_reset ? VIRTIO_STATUS_NEEDS_RESET : 0);
			break;
		case R_SHM_LEN_LO:
		case R_SHM_LEN_HI:
		case R_SHM_BASE_LO:
		case R_SHM_BASE_HI:
			v = 0xffffffffu; /* no shared memory region (4.2.2) */
			break;
		case R_QUEUE_RESET:
			v = 0;
			break;
		case R_CONFIG_GEN:
			v = 0;
			break; /* config never changes */
		default:
			bad = true;
			break;
		}
	}
	if (bad)
		bad_access(t, off, size);
	unlock_flush(t);
	return bad ? 0 : v;
}

void vmmio_write(struct vmmio *t, uint32_t off, unsigned size, uint32_t val)
{
	bool bad = false, went_live = false, reset = false;
	int notify = -1;
	lock(t);
	if (size != 4 || off % 4 || off >= R_CONFIG) {
		bad = true; /* includes every config-space write: read-only for the driver */
	} else {
		struct vmq *q = sel_queue(t);
		switch (off) {
		case R_DEV_FEAT_SEL:
			t->dev_feat_sel = val;
			break;
		case R_DRV_FEAT:
			if (t->drv_feat_sel < 2 && !t->features_ok)
				t->drv_feat[t->drv_feat_sel] = val;
			else
				bad = true;
			break;
		case R_DRV_FEAT_SEL:
			t->drv_feat_sel = val;
			break;
		case R_QUEUE_SEL:
			t->queue_sel = val;
			break;
		case R_QUEUE_NUM:
			if (q && !q->ready_reg)
				q->num = val;
			else
				bad = true;
			break;
		case R_QUEUE_READY:
			if (q)
				queue_ready_write(t, q, t->queue_sel, val);
			else
				bad = true;
			break;
		case R_QUEUE_NOTIFY:
			emit_simple(t, VMMIO_EV_NOTIFY, val, 0, 0);
			notify = val < nqueues(t) ? (int)val : -1; /* others ignored (facts 5) */
			break;
		case R_INT_ACK:
			t->isr &= ~val;
			emit_simple(t, VMMIO_EV_IRQ_ACK, 0, val, 0);
			break;
		case R_STATUS:
			emit_simple(t, VMMIO_EV_STATUS, 0, val, 0);
			if (val == 0)
				reset = true;
			else
				went_live = write_status(t, val);
			break;
		case R_DESC_LO:
		case R_DESC_HI:
		case R_AVAIL_LO:
		case R_AVAIL_HI:
		case R_USED_LO:
		case R_USED_HI:
			if (q && !q->ready_reg) {
				uint64_t *a = off < R_AVAIL_LO	? &q->desc
					      : off < R_USED_LO ? &q->avail
								: &q->used;
				latch_addr(a, off & 4, val);
			} else {
				bad = true;
			}
			break;
		case R_SHM_SEL:
			t->shm_sel = val;
			break;
		default:
			bad = true;
			break; /* RO, legacy, QueueReset, undefined */
		}
	}
	if (bad)
		bad_access(t, off, size);
	void (*driver_ok)(void *) = t->ops->driver_ok;
	void *dev = t->dev;
	unlock_flush(t);
	if (reset)
		do_reset(t);
	if (went_live) {
		if (driver_ok)
			driver_ok(dev);
		/* The eventq is filled without a kick (facts sheet 1.3 step 7): scan all. */
		for (uint32_t i = 0; i < VMMIO_MAX_QUEUES; i++)
			process_queue(t, i);
	}
	if (notify >= 0)
		process_queue(t, (uint32_t)notify);
}

void vmmio_needs_reset(struct vmmio *t, int reason)
{
	lock(t);
	enter_needs_reset(t, reason);
	unlock_flush(t);
}

void vmmio_poll_queue(struct vmmio *t, uint32_t q)
{
	process_queue(t, q);
}

struct vmmio *vmmio_new(const struct vmmio_device_ops *ops, void *dev, const struct vsnd_gmem *mem,
			struct vsnd_irq irq)
{
	struct vmmio *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->out_lock, NULL);
	t->ops = ops;
	t->dev = dev;
	t->mem = *mem;
	t->irq = irq;
	t->next_seq = 1;
	t->scratch.cap = VIRTQ_MAX_CHAIN;
	t->scratch.seg = t->scratch_seg;
	t->scratch.descs = t->scratch_desc;
	return t;
}

void vmmio_free(struct vmmio *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->out_lock);
	free(t->evq);
	free(t);
}

void vmmio_set_observer(struct vmmio *t, struct vmmio_observer obs)
{
	lock(t);
	t->obs = obs;
	unlock(t);
}

void vmmio_set_device(struct vmmio *t, const struct vmmio_device_ops *ops, void *dev)
{
	lock(t);
	t->ops = ops;
	t->dev = dev;
	unlock(t);
}
