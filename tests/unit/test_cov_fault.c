/* test_cov_fault.c - failure and race paths of the device core reached by link-time wrappers
 * (tests/unit/cov.mk, -Wl,--wrap; issue 7 coverage): a failed chain allocation or event-queue
 * growth in the transport, a delivery race in its event flush, failed condattr set-up, a failed
 * strdup in the config parser and a device core that cannot start in vsnd_config_check. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_guest.h"
#include "vsnd/clock.h"
#include "vsnd/snd.h"
#include "vsnd/virtio_mmio.h"
#include "vsnd/virtq.h"

/* The wrappers take no context, so the injector is one process-wide object (each criterion
 * test runs in its own process). A counter k > 0 makes the k-th following call fail. */
struct inject {
	int malloc_k, realloc_k, strdup_k, create_k, attr_k, setclock_k;
	/* flush race: after the delivering thread drops the delivery lock (the first trylock'd
	 * mutex), run hook once with every trylock failing, as if another thread delivered. */
	pthread_mutex_t *out;
	int busy, armed;
	void (*hook)(void *);
	void *hook_arg;
};
static struct inject inj;

static int hit(int *k)
{
	int v = __atomic_load_n(k, __ATOMIC_SEQ_CST);
	if (v <= 0)
		return 0;
	return __atomic_sub_fetch(k, 1, __ATOMIC_SEQ_CST) == 0;
}

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg);
int __real_pthread_condattr_init(pthread_condattr_t *a);
int __real_pthread_condattr_setclock(pthread_condattr_t *a, clockid_t c);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg);
int __wrap_pthread_condattr_init(pthread_condattr_t *a);
int __wrap_pthread_condattr_setclock(pthread_condattr_t *a, clockid_t c);
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m);
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m);

void *__wrap_malloc(size_t n)
{
	return hit(&inj.malloc_k) ? NULL : __real_malloc(n);
}
void *__wrap_realloc(void *p, size_t n)
{
	return hit(&inj.realloc_k) ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s)
{
	return hit(&inj.strdup_k) ? NULL : __real_strdup(s);
}
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg)
{
	return hit(&inj.create_k) ? EAGAIN : __real_pthread_create(t, a, f, arg);
}
int __wrap_pthread_condattr_init(pthread_condattr_t *a)
{
	return hit(&inj.attr_k) ? ENOMEM : __real_pthread_condattr_init(a);
}
int __wrap_pthread_condattr_setclock(pthread_condattr_t *a, clockid_t c)
{
	return hit(&inj.setclock_k) ? EINVAL : __real_pthread_condattr_setclock(a, c);
}
int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (__atomic_load_n(&inj.busy, __ATOMIC_SEQ_CST))
		return EBUSY;
	int r = __real_pthread_mutex_trylock(m);
	if (r == 0 && __atomic_load_n(&inj.armed, __ATOMIC_SEQ_CST) && !inj.out)
		inj.out = m;
	return r;
}
int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
	int r = __real_pthread_mutex_unlock(m);
	if (m == inj.out && __atomic_exchange_n(&inj.armed, 0, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&inj.busy, 1, __ATOMIC_SEQ_CST);
		inj.hook(inj.hook_arg);
		__atomic_store_n(&inj.busy, 0, __ATOMIC_SEQ_CST);
	}
	return r;
}

#define BASE 0x80000000ull
#define V1 (1ull << VIRTIO_F_VERSION_1)
#define MAXEV 256

struct rig {
	struct fake_guest *g;
	struct vmmio *t;
	struct vmmio_device_ops ops;
	struct vmmio_event ev[MAXEV];
	unsigned nev, nchains;
};

static void on_event(void *opaque, const struct vmmio_event *ev)
{
	struct rig *r = opaque;
	if (r->nev < MAXEV)
		r->ev[r->nev++] = *ev;
}

/* Echo device: completes every chain at once with its readable length. */
static void echo_chain(void *dev, struct vsnd_chain *c)
{
	struct rig *r = dev;
	r->nchains++;
	vsnd_chain_complete(c, c->rlen);
}

static struct rig *rig_new(int observe)
{
	struct rig *r = calloc(1, sizeof(*r));
	cr_assert(r);
	r->ops = (struct vmmio_device_ops){.device_id = 25,
					   .num_queues = 1,
					   .queue_num_max = {8},
					   .chain = echo_chain};
	r->g = fg_new(BASE, 1u << 20);
	r->t = vmmio_new(&r->ops, r, fg_gmem(r->g), fg_irq(r->g));
	cr_assert(r->t);
	fg_attach(r->g, r->t);
	if (observe)
		vmmio_set_observer(r->t, (struct vmmio_observer){on_event, r});
	static const uint32_t sizes[1] = {8};
	cr_assert_eq(fg_probe(r->g, V1, 1, sizes), 0);
	fg_driver_ok(r->g);
	return r;
}

static void rig_free(struct rig *r)
{
	vmmio_write(r->t, 0x070, 4, 0);
	vmmio_free(r->t);
	fg_free(r->g);
	free(r);
}

static int add(struct rig *r, const char *data, uint32_t wlen)
{
	struct fg_buf b[2] = {{.data = data, .len = (uint32_t)strlen(data)}, {.len = wlen, .write = true}};
	return fg_add_bufs(r->g, 0, b, 2, 0);
}

Test(cov_fault, a_chain_the_transport_cannot_allocate_is_returned_unused)
{
	struct rig *r = rig_new(0);
	int h1 = add(r, "abc", 16);
	int h2 = add(r, "defgh", 16);
	inj.malloc_k = 1; /* the first chain's host copy */
	fg_kick(r->g, 0);
	cr_expect_eq(inj.malloc_k, 0, "the allocation was attempted");
	struct fg_used u;
	cr_assert_eq(fg_get_used(r->g, 0, &u), 1);
	cr_expect_eq(u.id, (uint32_t)h1);
	cr_expect_eq(u.len, 0, "given back unused");
	cr_assert_eq(fg_get_used(r->g, 0, &u), 1, "the queue goes on with the next chain");
	cr_expect_eq(u.id, (uint32_t)h2);
	cr_expect_eq(u.len, 5);
	cr_expect_eq(r->nchains, 1);
	cr_expect_eq(fg_status(r->g) & VIRTIO_STATUS_NEEDS_RESET, 0);
	cr_expect_eq(fg_bad_used(r->g), 0);
	rig_free(r);
}

Test(cov_fault, an_event_the_transport_cannot_queue_is_dropped)
{
	struct rig *r = rig_new(0);
	/* Observed from now on: the first event needs the queue's first block. */
	vmmio_set_observer(r->t, (struct vmmio_observer){on_event, r});
	inj.realloc_k = 1;
	cr_expect_eq(vmmio_read(r->t, 0x005, 4), 0);
	cr_expect_eq(inj.realloc_k, 0, "the allocation was attempted");
	cr_expect_eq(r->nev, 0, "that event is lost");
	cr_expect_eq(vmmio_read(r->t, 0x009, 4), 0);
	cr_assert_eq(r->nev, 1, "the next one is not");
	cr_expect_eq(r->ev[0].kind, VMMIO_EV_BAD_ACCESS);
	cr_expect_eq(r->ev[0].value, 0x009);
	rig_free(r);
}

static void hook_bad_read(void *arg)
{
	/* Queued while the delivery lock looks taken: left for the delivering thread. */
	vmmio_read(arg, 0x001, 4);
}

Test(cov_fault, events_queued_while_delivery_ends_are_still_delivered)
{
	struct rig *r = rig_new(1);
	unsigned before = r->nev;
	inj.hook = hook_bad_read;
	inj.hook_arg = r->t;
	inj.armed = 1;
	vmmio_read(r->t, 0x003, 4);
	cr_expect_eq(inj.armed, 0, "the hook ran");
	cr_assert_eq(r->nev, before + 2);
	cr_expect_eq(r->ev[before].value, 0x003);
	cr_expect_eq(r->ev[before + 1].value, 0x001, "delivered by the first caller's re-check");
	rig_free(r);
}

static void hook_ack(void *arg)
{
	struct rig *r = arg;
	vmmio_write(r->t, 0x064, 4, 1); /* InterruptACK: the level must drop */
}

Test(cov_fault, an_interrupt_acked_while_delivery_ends_is_lowered)
{
	struct rig *r = rig_new(0); /* no observer: only the irq level is delivered */
	add(r, "xy", 4);
	inj.hook = hook_ack;
	inj.hook_arg = r;
	inj.armed = 1;
	fg_kick(r->g, 0); /* the completion raises the used-buffer interrupt */
	cr_expect_eq(inj.armed, 0, "the hook ran");
	cr_expect_eq(vmmio_read(r->t, 0x060, 4), 0);
	cr_expect_eq(fg_irq_level(r->g), 0, "the level followed InterruptStatus");
	cr_expect_geq(fg_irq_raises(r->g), 1);
	struct fg_used u;
	cr_assert_eq(fg_get_used(r->g, 0, &u), 1);
	cr_expect_eq(u.len, 2);
	rig_free(r);
}

Test(cov_fault, cond_init_reports_condattr_failures)
{
	pthread_cond_t cv;
	inj.attr_k = 1;
	cr_expect_eq(vsnd_cond_init(&cv), ENOMEM);
	inj.setclock_k = 1;
	cr_expect_eq(vsnd_cond_init(&cv), EINVAL);
	cr_assert_eq(vsnd_cond_init(&cv), 0);
	pthread_cond_destroy(&cv);
}

Test(cov_fault, config_parse_and_check_report_resource_failures)
{
	struct vsnd_config c;
	char err[256] = "";
	inj.strdup_k = 1;
	cr_expect_eq(vsnd_config_parse("streams=out", &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "out of memory");
	vsnd_config_default(&c);
	inj.create_k = 1; /* the device core's first thread */
	cr_expect_eq(vsnd_config_check(&c, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "the device core refuses this configuration"), "%s", err);
	cr_expect_eq(vsnd_config_check(&c, err, sizeof(err)), 0, "fine once threads start");
}
