/* test_fault_device.c - resource failures inside the device core (issue 7.2): the Nth
 * malloc/calloc/realloc, pthread_create, pthread_mutex_init or pthread_cond_init the device
 * makes fails (the binary is linked with -Wl,--wrap, tests/unit/fault.mk). vsnd_dev_new then
 * returns NULL without touching the caller's sinks, or a device that works; during a session
 * the affected request or message is answered with an error (IO_ERR, used.len 0), every
 * chain comes back exactly once, and the device keeps answering. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/mem_chain.h"
#include "vsnd/snd.h"
#include "vsnd/virtio_mmio.h"
#include "vsnd/virtio_snd.h"

/* The wrappers take no context, so the injector is one process-wide object (each criterion
 * test runs in its own process). Only calls made inside the device (scope) count. */
struct res_fault {
	int scope;
	uint64_t fail_at, calls, fired;
};
static struct res_fault rf;

static int fail_now(void)
{
	if (!__atomic_load_n(&rf.scope, __ATOMIC_SEQ_CST))
		return 0;
	uint64_t n = __atomic_add_fetch(&rf.calls, 1, __ATOMIC_SEQ_CST);
	if (rf.fail_at && n == rf.fail_at) {
		__atomic_add_fetch(&rf.fired, 1, __ATOMIC_SEQ_CST);
		return 1;
	}
	return 0;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg);
int __real_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __real_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg);
int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
	return fail_now() ? NULL : __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg)
{
	return fail_now() ? 11 /* EAGAIN */ : __real_pthread_create(t, a, f, arg);
}
int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	return fail_now() ? 12 /* ENOMEM */ : __real_pthread_mutex_init(m, a);
}
int __wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	return fail_now() ? 12 : __real_pthread_cond_init(c, a);
}

#define IN_DEVICE(call)                                                                            \
	do {                                                                                       \
		__atomic_store_n(&rf.scope, 1, __ATOMIC_SEQ_CST);                                  \
		call;                                                                              \
		__atomic_store_n(&rf.scope, 0, __ATOMIC_SEQ_CST);                                  \
	} while (0)

struct run {
	struct mem_chain_log log;
	struct vsnd_vclock *vc;
	uint64_t now;
	struct vsnd_dev *dev;
	struct mem_chain *chains[64];
	int n;
	int destroyed; /* sink destroy calls */
};

static void sk_destroy(struct vsnd_sink *s)
{
	((struct run *)s->priv)->destroyed++;
}
static int sk_write(struct vsnd_sink *s, const void *b, uint32_t n)
{
	(void)s;
	(void)b;
	(void)n;
	return 0;
}
static const struct vsnd_sink_ops sk_ops = { .name = "t", .write = sk_write, .destroy = sk_destroy };

static struct mem_chain *submit(struct run *r, uint16_t q, const void *req, uint32_t rlen,
				uint32_t wlen)
{
	cr_assert_lt(r->n, 64);
	struct mem_chain *mc = mem_chain_new(&r->log, q, req, rlen, wlen);
	r->chains[r->n++] = mc;
	IN_DEVICE(vsnd_dev_submit(r->dev, &mc->c));
	return mc;
}

static uint32_t ctl(struct run *r, const void *req, uint32_t len, uint32_t wlen)
{
	struct mem_chain *mc = submit(r, VSND_VQ_CONTROL, req, len, wlen);
	uint32_t used = 0;
	cr_assert_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED, "control not answered");
	uint32_t st = mem_chain_w32(mc, 0);
	cr_assert(st >= VIRTIO_SND_S_OK && st <= VIRTIO_SND_S_IO_ERR);
	return st;
}

static void advance(struct run *r, uint64_t ns)
{
	r->now += ns;
	vsnd_vclock_set(r->vc, r->now);
	vsnd_dev_quiesce(r->dev);
}

static void pcm(struct run *r, uint32_t code, uint32_t sid)
{
	struct virtio_snd_pcm_hdr h = { code, sid };
	ctl(r, &h, sizeof(h), 4);
}

/* One run with the fail_at-th counted call failing; returns the calls counted. */
static uint64_t run_one(uint64_t fail_at)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	mem_chain_log_init(&r.log);
	r.now = 1000000000ull;
	rf.fail_at = fail_at;
	rf.calls = rf.fired = 0;
	IN_DEVICE(r.vc = vsnd_vclock_new(r.now, 0));
	if (!r.vc) {
		cr_assert(rf.fired, "vsnd_vclock_new failed without a fault");
		mem_chain_log_destroy(&r.log);
		return rf.calls;
	}
	struct vsnd_sink sink = { .ops = &sk_ops, .priv = &r };
	struct vsnd_host host = { .clock = vsnd_vclock_clock(r.vc) };
	host.sinks[0] = &sink;
	IN_DEVICE(r.dev = vsnd_dev_new(NULL, &host));
	if (!r.dev) {
		cr_assert(rf.fired, "vsnd_dev_new failed without a fault");
		cr_assert_eq(r.destroyed, 0, "a failed vsnd_dev_new destroyed the caller's sink");
		goto out;
	}
	IN_DEVICE(vsnd_dev_driver_ok(r.dev));
	submit(&r, VSND_VQ_EVENT, NULL, 0, 8);
	submit(&r, VSND_VQ_EVENT, NULL, 0, 8);
	struct virtio_snd_query_info qi = { VIRTIO_SND_R_PCM_INFO, 0, 2, 32 };
	ctl(&r, &qi, sizeof(qi), 4 + 64);
	for (uint32_t sid = 0; sid < 2; sid++) {
		struct virtio_snd_pcm_set_params sp = {
			.code = VIRTIO_SND_R_PCM_SET_PARAMS, .stream_id = sid, .buffer_bytes = 4096,
			.period_bytes = 1024, .channels = 2, .format = VIRTIO_SND_PCM_FMT_S16,
			.rate = VIRTIO_SND_PCM_RATE_48000 };
		ctl(&r, &sp, sizeof(sp), 4);
		pcm(&r, VIRTIO_SND_R_PCM_PREPARE, sid);
	}
	uint8_t tx[4 + 1024] = { 0 }, rx[4] = { 1, 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		submit(&r, VSND_VQ_TX, tx, sizeof(tx), 8);
		submit(&r, VSND_VQ_RX, rx, sizeof(rx), 1024 + 8);
	}
	pcm(&r, VIRTIO_SND_R_PCM_START, 0);
	pcm(&r, VIRTIO_SND_R_PCM_START, 1);
	IN_DEVICE(vsnd_dev_set_jack(r.dev, 0, 0));
	advance(&r, 20000000);
	pcm(&r, VIRTIO_SND_R_PCM_STOP, 0);
	pcm(&r, VIRTIO_SND_R_PCM_RELEASE, 0);
	IN_DEVICE(vsnd_dev_reset(r.dev));
	/* Still answering after whatever failed. */
	cr_assert_eq(ctl(&r, &qi, sizeof(qi), 4 + 64), VIRTIO_SND_S_OK);
	IN_DEVICE(vsnd_dev_free(r.dev));
	cr_assert_eq(r.destroyed, 1);
	/* Every chain came back exactly once; I/O messages with a valid status. */
	for (int i = 0; i < r.n; i++) {
		struct mem_chain *mc = r.chains[i];
		cr_assert_eq(mc->returns, 1, "chain %d returned %u times", i, mc->returns);
		uint32_t used = 0;
		if (mem_chain_state(mc, &used) == MEM_CHAIN_COMPLETED && mc->c.queue == VSND_VQ_TX) {
			cr_assert_eq(used, 8);
			uint32_t st = mem_chain_w32(mc, 0);
			cr_assert(st == VIRTIO_SND_S_OK || st == VIRTIO_SND_S_IO_ERR);
		}
	}
out:
	for (int i = 0; i < r.n; i++)
		mem_chain_free(r.chains[i]);
	vsnd_vclock_free(r.vc);
	mem_chain_log_destroy(&r.log);
	return rf.calls;
}

Test(fault_device, every_resource_failure, .timeout = 120)
{
	uint64_t total = run_one(0);
	cr_assert_gt(total, 4);
	if (getenv("FAULT_DEBUG"))
		fprintf(stderr, "device: %llu counted calls\n", (unsigned long long)total);
	for (uint64_t n = 1; n <= total; n++)
		run_one(n);
}

/* Set-up from a confused host: no host, no clock (the monotonic clock is used), and
 * configurations the device must refuse without taking the sinks. */
Test(fault_device, bad_setup)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	struct vsnd_sink sink = { .ops = &sk_ops, .priv = &r };
	cr_assert_null(vsnd_dev_new(NULL, NULL));
	struct vsnd_host host = { 0 };
	struct vsnd_dev *d = vsnd_dev_new(NULL, &host);
	cr_assert_not_null(d);
	vsnd_dev_free(d);
	vsnd_dev_free(NULL);
	host.sinks[0] = &sink;
	struct vsnd_config bad[8];
	for (int i = 0; i < 8; i++)
		vsnd_config_default(&bad[i]);
	bad[0].nstreams = VSND_MAX_STREAMS + 1;
	bad[1].njacks = VSND_MAX_JACKS + 1;
	bad[2].nchmaps = VSND_MAX_CHMAPS + 1;
	bad[3].streams[0].formats |= 1ull << 40;
	bad[4].streams[0].rates |= 1ull << 20;
	bad[5].streams[0].channels_min = 0;
	bad[6].chmaps[0].channels = 19;
	bad[7].chmaps[1].positions[0] = 37;
	for (int i = 0; i < 8; i++)
		cr_assert_null(vsnd_dev_new(&bad[i], &host), "config %d accepted", i);
	cr_assert_eq(r.destroyed, 0, "a refused configuration destroyed the caller's sink");
}

/* ---- the transport: allocation failures while it is made and while it queues events ---- */

static void nop_chain(void *dev, struct vsnd_chain *c)
{
	(void)dev;
	vsnd_chain_complete(c, 0);
}
static void nop(void *dev)
{
	(void)dev;
}
static void cfg_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	(void)off;
	memset(buf, 0, len);
}
static void count_ev(void *opaque, const struct vmmio_event *ev)
{
	(void)ev;
	(*(int *)opaque)++;
}
static void irq_set(void *opaque, int level)
{
	(void)opaque;
	(void)level;
}

Test(fault_device, transport_allocations)
{
	static const struct vmmio_device_ops ops = {
		.device_id = 25, .vendor_id = 1, .num_queues = 4,
		.queue_num_max = { 64, 64, 64, 64 },
		.config_read = cfg_read, .chain = nop_chain, .driver_ok = nop, .reset = nop,
	};
	vmmio_free(NULL);
	uint8_t *ram = calloc(1, 0x10000);
	struct vsnd_gmem mem = { .host = ram, .base = 0x80000000u, .size = 0x10000 };
	for (uint64_t n = 0; n < 40; n++) {
		rf.fail_at = n;
		rf.calls = rf.fired = 0;
		struct vmmio *t;
		IN_DEVICE(t = vmmio_new(&ops, NULL, &mem, (struct vsnd_irq){ irq_set, NULL }));
		if (!t) {
			cr_assert(rf.fired);
			continue;
		}
		int events = 0;
		vmmio_set_observer(t, (struct vmmio_observer){ count_ev, &events });
		/* Many transport events in a row (status writes, bad accesses), each with the
		 * observer's queue possibly failing to grow: events may be dropped, nothing else. */
		IN_DEVICE(for (uint32_t i = 0; i < 300; i++) {
			vmmio_write(t, 0x70, 4, i % 4 == 0 ? 0 : 0x3);
			vmmio_write(t, 0x71, 1, 1);
		});
		cr_assert_gt(events, 0);
		cr_assert_eq(vmmio_read(t, 0, 4), 0x74726976, "the transport stopped answering");
		IN_DEVICE(vmmio_free(t));
	}
	free(ram);
}
