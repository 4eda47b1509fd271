/* fake_guest.c - fake virtio driver over fake guest RAM (see fake_guest.h): Linux-6.1-like
 * probe over MMIO, split-ring driver side, and a recorded level interrupt line. */
#include "fake_guest.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vsnd/virtq.h"

struct fg_queue {
	uint32_t num;
	uint64_t desc, avail, used;
	bool laid_out;
	uint16_t avail_shadow, last_used;
	uint16_t free_head;
	uint32_t num_free;
	uint16_t *link;	 /* host-side next per descriptor (free list and chains) */
	uint16_t *count; /* ring descriptors of the chain headed here; 0 = not outstanding */
};

struct fake_guest {
	uint8_t *ram;
	struct vsnd_gmem gmem;
	uint64_t brk;
	struct vmmio *t;
	uint64_t dev_features;
	struct fg_queue q[FG_MAX_QUEUES];
	unsigned bad_used;
	pthread_mutex_t irq_lock;
	pthread_cond_t irq_cond;
	int irq_level;
	unsigned irq_raises;
};

static void die(const char *what)
{
	fprintf(stderr, "fake_guest: %s\n", what);
	abort();
}

static void irq_set(void *opaque, int level)
{
	struct fake_guest *g = opaque;
	pthread_mutex_lock(&g->irq_lock);
	if (level && !g->irq_level)
		g->irq_raises++;
	g->irq_level = level != 0;
	pthread_cond_broadcast(&g->irq_cond);
	pthread_mutex_unlock(&g->irq_lock);
}

struct fake_guest *fg_new(uint64_t base, uint64_t size)
{
	struct fake_guest *g = calloc(1, sizeof(*g));
	if (!g)
		die("out of memory");
	void *ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die("cannot map RAM");
	g->ram = ram;
	g->gmem = (struct vsnd_gmem){.host = ram, .base = base, .size = size};
	g->brk = base;
	pthread_mutex_init(&g->irq_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->irq_cond, &ca);
	pthread_condattr_destroy(&ca);
	return g;
}

void fg_free(struct fake_guest *g)
{
	if (!g)
		return;
	for (int i = 0; i < FG_MAX_QUEUES; i++) {
		free(g->q[i].link);
		free(g->q[i].count);
	}
	munmap(g->ram, g->gmem.size);
	pthread_mutex_destroy(&g->irq_lock);
	pthread_cond_destroy(&g->irq_cond);
	free(g);
}

const struct vsnd_gmem *fg_gmem(struct fake_guest *g)
{
	return &g->gmem;
}

struct vsnd_irq fg_irq(struct fake_guest *g)
{
	return (struct vsnd_irq){.set = irq_set, .opaque = g};
}

void fg_attach(struct fake_guest *g, struct vmmio *t)
{
	g->t = t;
}

uint64_t fg_alloc(struct fake_guest *g, uint64_t len, uint64_t align)
{
	uint64_t a = (g->brk + align - 1) & ~(align - 1);
	if (a - g->gmem.base > g->gmem.size || len > g->gmem.size - (a - g->gmem.base))
		die("guest RAM exhausted");
	g->brk = a + len;
	return a;
}

void *fg_ptr(struct fake_guest *g, uint64_t gpa, uint64_t len)
{
	return vsnd_gmem_ptr(&g->gmem, gpa, len);
}

void fg_mem_write(struct fake_guest *g, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = fg_ptr(g, gpa, len);
	if (!p)
		die("write outside RAM");
	memcpy(p, src, len);
}

void fg_mem_read(struct fake_guest *g, uint64_t gpa, void *dst, uint64_t len)
{
	void *p = fg_ptr(g, gpa, len);
	if (!p)
		die("read outside RAM");
	memcpy(dst, p, len);
}

static void w16(struct fake_guest *g, uint64_t gpa, uint16_t v)
{
	uint16_t *p = fg_ptr(g, gpa, 2);
	if (!p)
		die("ring outside RAM");
	__atomic_store_n(p, htole16(v), __ATOMIC_RELEASE);
}

static uint16_t r16(struct fake_guest *g, uint64_t gpa)
{
	uint16_t *p = fg_ptr(g, gpa, 2);
	if (!p)
		die("ring outside RAM");
	return le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

uint32_t fg_mmio_read(struct fake_guest *g, uint32_t off)
{
	return vmmio_read(g->t, off, 4);
}

void fg_mmio_write(struct fake_guest *g, uint32_t off, uint32_t val)
{
	vmmio_write(g->t, off, 4, val);
}

uint32_t fg_status(struct fake_guest *g)
{
	return fg_mmio_read(g, 0x070);
}

int fg_begin(struct fake_guest *g)
{
	if (fg_mmio_read(g, 0x000) != 0x74726976 || fg_mmio_read(g, 0x004) != 2 ||
	    fg_mmio_read(g, 0x008) == 0)
		return -1;
	(void)fg_mmio_read(g, 0x00c);
	fg_mmio_write(g, 0x070, 0);
	fg_mmio_write(g, 0x070, fg_status(g) | VIRTIO_STATUS_ACKNOWLEDGE);
	fg_mmio_write(g, 0x070, fg_status(g) | VIRTIO_STATUS_DRIVER);
	fg_mmio_write(g, 0x014, 1);
	uint64_t f = (uint64_t)fg_mmio_read(g, 0x010) << 32;
	fg_mmio_write(g, 0x014, 0);
	f |= fg_mmio_read(g, 0x010);
	g->dev_features = f;
	return 0;
}

uint64_t fg_device_features(struct fake_guest *g)
{
	return g->dev_features;
}

int fg_negotiate(struct fake_guest *g, uint64_t drv)
{
	fg_mmio_write(g, 0x024, 1);
	fg_mmio_write(g, 0x020, (uint32_t)(drv >> 32));
	fg_mmio_write(g, 0x024, 0);
	fg_mmio_write(g, 0x020, (uint32_t)drv);
	fg_mmio_write(g, 0x070, fg_status(g) | VIRTIO_STATUS_FEATURES_OK);
	return (fg_status(g) & VIRTIO_STATUS_FEATURES_OK) ? 0 : -1;
}

static void init_free_list(struct fg_queue *fq)
{
	free(fq->link);
	free(fq->count);
	fq->link = calloc(fq->num, sizeof(uint16_t));
	fq->count = calloc(fq->num, sizeof(uint16_t));
	if (!fq->link || !fq->count)
		die("out of memory");
	for (uint32_t i = 0; i + 1 < fq->num; i++)
		fq->link[i] = (uint16_t)(i + 1);
	fq->free_head = 0;
	fq->num_free = fq->num;
	fq->avail_shadow = 0;
	fq->last_used = 0;
}

void fg_alloc_queue(struct fake_guest *g, unsigned q, uint32_t num)
{
	struct fg_queue *fq = &g->q[q];
	/* Linux vring layout: desc, avail, then used at the next 4096 boundary. */
	uint64_t avail_off = 16ull * num;
	uint64_t used_off = (avail_off + 6 + 2ull * num + 4095) & ~4095ull;
	uint64_t base = fg_alloc(g, used_off + 6 + 8ull * num, 4096);
	void *p = fg_ptr(g, base, used_off + 6 + 8ull * num);
	memset(p, 0, used_off + 6 + 8ull * num);
	fq->num = num;
	fq->desc = base;
	fq->avail = base + avail_off;
	fq->used = base + used_off;
	fq->laid_out = true;
	init_free_list(fq);
}

void fg_set_queue_addrs(struct fake_guest *g, unsigned q, uint64_t desc, uint64_t avail,
			uint64_t used)
{
	struct fg_queue *fq = &g->q[q];
	fq->desc = desc;
	fq->avail = avail;
	fq->used = used;
}

struct fg_queue_info fg_queue_info(struct fake_guest *g, unsigned q)
{
	struct fg_queue *fq = &g->q[q];
	return (struct fg_queue_info){fq->num, fq->desc, fq->avail, fq->used};
}

/* Zero guest memory if it is RAM (tests may program rings outside RAM on purpose). */
static void zero(struct fake_guest *g, uint64_t gpa, uint64_t len)
{
	void *p = fg_ptr(g, gpa, len);
	if (p)
		memset(p, 0, len);
}

int fg_setup_queue(struct fake_guest *g, unsigned q, uint32_t num)
{
	fg_mmio_write(g, 0x030, q);
	if (fg_mmio_read(g, 0x044) != 0)
		return -1;
	uint32_t max = fg_mmio_read(g, 0x034);
	if (max == 0)
		return -1;
	if (num > max)
		num = max;
	struct fg_queue *fq = &g->q[q];
	if (!fq->laid_out || fq->num != num) {
		fg_alloc_queue(g, q, num);
	} else {
		/* Fresh, zeroed rings as Linux allocates them. */
		zero(g, fq->desc, 16ull * num);
		zero(g, fq->avail, 6 + 2ull * num);
		zero(g, fq->used, 6 + 8ull * num);
		init_free_list(fq);
	}
	fg_mmio_write(g, 0x038, num);
	fg_mmio_write(g, 0x080, (uint32_t)fq->desc);
	fg_mmio_write(g, 0x084, (uint32_t)(fq->desc >> 32));
	fg_mmio_write(g, 0x090, (uint32_t)fq->avail);
	fg_mmio_write(g, 0x094, (uint32_t)(fq->avail >> 32));
	fg_mmio_write(g, 0x0a0, (uint32_t)fq->used);
	fg_mmio_write(g, 0x0a4, (uint32_t)(fq->used >> 32));
	fg_mmio_write(g, 0x044, 1);
	return (int)num;
}

int fg_probe(struct fake_guest *g, uint64_t want, unsigned nq, const uint32_t *sizes)
{
	if (fg_begin(g) < 0)
		return -1;
	if (fg_negotiate(g, g->dev_features & want) < 0)
		return -1;
	for (unsigned i = 0; i < nq; i++)
		if (fg_setup_queue(g, i, sizes[i]) < 0)
			return -1;
	return 0;
}

void fg_driver_ok(struct fake_guest *g)
{
	fg_mmio_write(g, 0x070, fg_status(g) | VIRTIO_STATUS_DRIVER_OK);
}

void fg_write_desc(struct fake_guest *g, unsigned q, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	struct fg_queue *fq = &g->q[q];
	uint8_t raw[16];
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);
	memcpy(raw, &a, 8);
	memcpy(raw + 8, &l, 4);
	memcpy(raw + 12, &f, 2);
	memcpy(raw + 14, &n, 2);
	fg_mem_write(g, fq->desc + 16ull * i, raw, 16);
}

static void write_table_desc(struct fake_guest *g, uint64_t tbl, uint32_t i, uint64_t addr,
			     uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t raw[16];
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);
	memcpy(raw, &a, 8);
	memcpy(raw + 8, &l, 4);
	memcpy(raw + 12, &f, 2);
	memcpy(raw + 14, &n, 2);
	fg_mem_write(g, tbl + 16ull * i, raw, 16);
}

void fg_push_avail(struct fake_guest *g, unsigned q, uint16_t head)
{
	struct fg_queue *fq = &g->q[q];
	w16(g, fq->avail + 4 + 2ull * (fq->avail_shadow % fq->num), head);
	fq->avail_shadow++;
	w16(g, fq->avail + 2, fq->avail_shadow); /* release: entry before index */
}

void fg_set_avail_idx(struct fake_guest *g, unsigned q, uint16_t idx)
{
	g->q[q].avail_shadow = idx;
	w16(g, g->q[q].avail + 2, idx);
}

uint16_t fg_avail_idx(struct fake_guest *g, unsigned q)
{
	return g->q[q].avail_shadow;
}

void fg_set_avail_flags(struct fake_guest *g, unsigned q, uint16_t flags)
{
	w16(g, g->q[q].avail, flags);
}

void fg_set_used_event(struct fake_guest *g, unsigned q, uint16_t v)
{
	w16(g, g->q[q].avail + 4 + 2ull * g->q[q].num, v);
}

uint16_t fg_avail_event(struct fake_guest *g, unsigned q)
{
	return r16(g, g->q[q].used + 4 + 8ull * g->q[q].num);
}

uint16_t fg_used_idx(struct fake_guest *g, unsigned q)
{
	return r16(g, g->q[q].used + 2);
}

unsigned fg_num_free(struct fake_guest *g, unsigned q)
{
	return g->q[q].num_free;
}

static uint16_t take_desc(struct fg_queue *fq)
{
	uint16_t i = fq->free_head;
	fq->free_head = fq->link[i];
	fq->num_free--;
	return i;
}

int fg_add_segs(struct fake_guest *g, unsigned q, const struct fg_seg *segs, unsigned n,
		unsigned flags)
{
	struct fg_queue *fq = &g->q[q];
	unsigned need = (flags & FG_INDIRECT) ? 1 : n;
	if (n == 0 || need > fq->num_free)
		return -1;
	uint16_t head;
	if (flags & FG_INDIRECT) {
		uint64_t tbl = fg_alloc(g, 16ull * n, 16);
		for (unsigned k = 0; k < n; k++)
			write_table_desc(g, tbl, k, segs[k].gpa, segs[k].len,
					 (segs[k].write ? VRING_DESC_F_WRITE : 0) |
					     (k + 1 < n ? VRING_DESC_F_NEXT : 0),
					 (uint16_t)(k + 1 < n ? k + 1 : 0));
		head = take_desc(fq);
		fg_write_desc(g, q, head, tbl, 16 * n, VRING_DESC_F_INDIRECT, 0);
		fq->count[head] = 1;
	} else {
		uint16_t idx[n];
		for (unsigned k = 0; k < n; k++)
			idx[k] = take_desc(fq);
		for (unsigned k = 0; k < n; k++) {
			bool more = k + 1 < n;
			fg_write_desc(g, q, idx[k], segs[k].gpa, segs[k].len,
				      (segs[k].write ? VRING_DESC_F_WRITE : 0) |
					  (more ? VRING_DESC_F_NEXT : 0),
				      more ? idx[k + 1] : 0);
			fq->link[idx[k]] = more ? idx[k + 1] : 0;
		}
		head = idx[0];
		fq->count[head] = (uint16_t)n;
	}
	fg_push_avail(g, q, head);
	return head;
}

int fg_add_bufs(struct fake_guest *g, unsigned q, struct fg_buf *bufs, unsigned n, unsigned flags)
{
	struct fg_seg segs[n ? n : 1];
	for (unsigned k = 0; k < n; k++) {
		bufs[k].gpa = fg_alloc(g, bufs[k].len ? bufs[k].len : 1, 8);
		void *p = fg_ptr(g, bufs[k].gpa, bufs[k].len);
		if (bufs[k].data)
			memcpy(p, bufs[k].data, bufs[k].len);
		else
			memset(p, 0, bufs[k].len);
		segs[k] = (struct fg_seg){bufs[k].gpa, bufs[k].len, bufs[k].write};
	}
	return fg_add_segs(g, q, segs, n, flags);
}

void fg_kick(struct fake_guest *g, unsigned q)
{
	fg_mmio_write(g, 0x050, q);
}

int fg_get_used(struct fake_guest *g, unsigned q, struct fg_used *u)
{
	struct fg_queue *fq = &g->q[q];
	if (!fq->num || fg_used_idx(g, q) == fq->last_used)
		return 0;
	uint32_t e[2];
	fg_mem_read(g, fq->used + 4 + 8ull * (fq->last_used % fq->num), e, 8);
	fq->last_used++;
	u->id = le32toh(e[0]);
	u->len = le32toh(e[1]);
	/* Linux's checks (virtqueue_get_buf): id in range and an outstanding head. */
	if (u->id >= fq->num || fq->count[u->id] == 0) {
		g->bad_used++;
		return 1;
	}
	uint16_t i = (uint16_t)u->id, cnt = fq->count[i];
	fq->count[i] = 0;
	for (uint16_t k = 0; k < cnt; k++) {
		uint16_t nx = fq->link[i];
		fq->link[i] = fq->free_head;
		fq->free_head = i;
		fq->num_free++;
		i = nx;
	}
	return 1;
}

unsigned fg_bad_used(struct fake_guest *g)
{
	return g->bad_used;
}

int fg_irq_level(struct fake_guest *g)
{
	pthread_mutex_lock(&g->irq_lock);
	int l = g->irq_level;
	pthread_mutex_unlock(&g->irq_lock);
	return l;
}

unsigned fg_irq_raises(struct fake_guest *g)
{
	pthread_mutex_lock(&g->irq_lock);
	unsigned r = g->irq_raises;
	pthread_mutex_unlock(&g->irq_lock);
	return r;
}

uint32_t fg_handle_irq(struct fake_guest *g)
{
	uint32_t isr = fg_mmio_read(g, 0x060);
	if (isr)
		fg_mmio_write(g, 0x064, isr);
	return isr;
}

static struct timespec deadline_after(unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static bool expired(const struct timespec *dl)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > dl->tv_sec || (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
}

int fg_wait_irq(struct fake_guest *g, unsigned timeout_ms)
{
	struct timespec dl = deadline_after(timeout_ms);
	pthread_mutex_lock(&g->irq_lock);
	while (!g->irq_level) {
		if (pthread_cond_timedwait(&g->irq_cond, &g->irq_lock, &dl) == ETIMEDOUT)
			break;
	}
	int l = g->irq_level;
	pthread_mutex_unlock(&g->irq_lock);
	return l;
}

int fg_wait_used(struct fake_guest *g, unsigned q, struct fg_used *u, unsigned timeout_ms)
{
	struct timespec dl = deadline_after(timeout_ms);
	for (;;) {
		if (fg_irq_level(g))
			fg_handle_irq(g);
		if (fg_get_used(g, q, u))
			return 1;
		if (expired(&dl))
			return 0;
		/* Short waits: a suppressed interrupt (NO_INTERRUPT/used_event) never comes. */
		fg_wait_irq(g, 2);
	}
}
