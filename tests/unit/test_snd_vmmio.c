/* test_snd_vmmio.c - the virtio-snd device behind the real virtio-mmio transport, driven by
 * the fake guest over real split virtqueues: probe queries, playback, capture, events. */
#include <criterion/criterion.h>

#include "test_snd_harness.h"
#include "tests/unit/fake_guest.h"
#include "vsnd/virtio_mmio.h"
#include "vsnd/virtq.h"

#define BASE 0x80000000ull
#define RAM (16u << 20)

static void a_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	vsnd_dev_config_read(dev, off, buf, len);
}
static void a_chain(void *dev, struct vsnd_chain *c)
{
	vsnd_dev_submit(dev, c);
}
static void a_driver_ok(void *dev)
{
	vsnd_dev_driver_ok(dev);
}
static void a_reset(void *dev)
{
	vsnd_dev_reset(dev);
}

struct rig {
	struct vsnd_vclock *vc;
	struct tsink *sink[2];
	struct vsnd_dev *dev;
	struct vmmio_device_ops ops;
	struct vmmio *t;
	struct fake_guest *g;
	uint64_t ev_gpa[4];
};

static const uint32_t qsizes[4] = { 64, 64, 256, 256 };

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->vc = vsnd_vclock_new(0, 1);
	struct vsnd_host h = { .clock = vsnd_vclock_clock(r->vc) };
	for (int i = 0; i < 2; i++) {
		r->sink[i] = tsink_new(h.clock);
		h.sinks[i] = &r->sink[i]->s;
	}
	r->dev = vsnd_dev_new(NULL, &h);
	cr_assert_not_null(r->dev);
	r->ops = (struct vmmio_device_ops){
		.device_id = VIRTIO_ID_SOUND, .vendor_id = 0x554d4551, .features = 0,
		.num_queues = VSND_VQ_NUM, .queue_num_max = { 64, 64, 256, 256 },
		.config_read = a_config_read, .chain = a_chain, .driver_ok = a_driver_ok,
		.reset = a_reset,
	};
	r->g = fg_new(BASE, RAM);
	r->t = vmmio_new(&r->ops, r->dev, fg_gmem(r->g), fg_irq(r->g));
	cr_assert_not_null(r->t);
	fg_attach(r->g, r->t);
	/* Linux's order (facts 1.3, 4.2): probe, queues, eventq filled without a kick, OK. */
	cr_assert_eq(fg_probe(r->g, 1ull << VIRTIO_F_VERSION_1, 4, qsizes), 0);
	for (int i = 0; i < 4; i++) {
		struct fg_buf b = { .len = 8, .write = true };
		cr_assert_geq(fg_add_bufs(r->g, VSND_VQ_EVENT, &b, 1, 0), 0);
		r->ev_gpa[i] = b.gpa;
	}
	fg_driver_ok(r->g);
	cr_assert(fg_status(r->g) & VIRTIO_STATUS_DRIVER_OK);
}

static void rig_fini(struct rig *r)
{
	cr_expect_eq(fg_bad_used(r->g), 0, "used ring entries Linux would reject");
	vmmio_write(r->t, 0x070, 4, 0); /* Status = 0: device reset */
	vmmio_free(r->t);
	vsnd_dev_free(r->dev);
	fg_free(r->g);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(r->sink[i]->destroyed, 1);
		tsink_free(r->sink[i]);
	}
	vsnd_vclock_free(r->vc);
}

/* A control request: [request R][status W 4][payload W], like virtsnd_ctl_msg_send. */
static uint32_t ctl(struct rig *r, const void *req, uint32_t rlen, void *payload, uint32_t plen,
		    uint32_t *used)
{
	struct fg_buf b[3] = {
		{ .data = req, .len = rlen },
		{ .len = 4, .write = true },
		{ .len = plen, .write = true },
	};
	int head = fg_add_bufs(r->g, VSND_VQ_CONTROL, b, plen ? 3 : 2, 0);
	cr_assert_geq(head, 0);
	fg_kick(r->g, VSND_VQ_CONTROL);
	struct fg_used u;
	cr_assert(fg_wait_used(r->g, VSND_VQ_CONTROL, &u, 2000), "no control reply");
	cr_assert_eq(u.id, (uint32_t)head);
	if (used)
		*used = u.len;
	uint32_t st;
	fg_mem_read(r->g, b[1].gpa, &st, 4);
	if (plen)
		fg_mem_read(r->g, b[2].gpa, payload, plen);
	return st;
}

static uint32_t pcm_cmd(struct rig *r, uint32_t code, uint32_t sid)
{
	struct virtio_snd_pcm_hdr h = { code, sid };
	return ctl(r, &h, sizeof(h), NULL, 0, NULL);
}

Test(snd_vmmio, probe_queries)
{
	struct rig r;
	rig_init(&r);
	uint32_t cfg[4];
	for (int i = 0; i < 4; i++)
		cfg[i] = fg_mmio_read(r.g, 0x100 + 4 * i);
	cr_expect_eq(cfg[0], 1);
	cr_expect_eq(cfg[1], 2);
	cr_expect_eq(cfg[2], 4);
	cr_expect_eq(cfg[3], 0);
	cr_expect_eq(fg_mmio_read(r.g, 0x008), VIRTIO_ID_SOUND);
	uint32_t used;
	struct virtio_snd_jack_info ji;
	struct virtio_snd_query_info q = { VIRTIO_SND_R_JACK_INFO, 0, 1, sizeof(ji) };
	cr_assert_eq(ctl(&r, &q, sizeof(q), &ji, sizeof(ji), &used), VIRTIO_SND_S_OK);
	cr_expect_eq(used, 4 + 24);
	cr_expect_eq(ji.hda_reg_defconf, 0x00200000);
	struct virtio_snd_pcm_info pi[2];
	q = (struct virtio_snd_query_info){ VIRTIO_SND_R_PCM_INFO, 0, 2, 32 };
	cr_assert_eq(ctl(&r, &q, sizeof(q), pi, sizeof(pi), &used), VIRTIO_SND_S_OK);
	cr_expect_eq(used, 4 + 64);
	cr_expect_eq(pi[0].direction, VIRTIO_SND_D_OUTPUT);
	cr_expect_eq(pi[1].direction, VIRTIO_SND_D_INPUT);
	cr_expect_eq(pi[1].rates, 0x3FFF);
	struct virtio_snd_chmap_info ci[4];
	q = (struct virtio_snd_query_info){ VIRTIO_SND_R_CHMAP_INFO, 0, 4, 24 };
	cr_assert_eq(ctl(&r, &q, sizeof(q), ci, sizeof(ci), &used), VIRTIO_SND_S_OK);
	cr_expect_eq(ci[1].channels, 2);
	cr_expect_eq(ci[1].positions[1], 4);
	/* A bad request through the real ring. */
	q.count = 5;
	cr_assert_eq(ctl(&r, &q, sizeof(q), ci, sizeof(ci), &used), VIRTIO_SND_S_BAD_MSG);
	cr_expect_eq(used, 4);
	rig_fini(&r);
}

/* Linux-like playback: P period buffers cut from one ring buffer, re-queued and refilled
 * as each completes (facts 4.4, 4.5). The sink must receive exactly the guest's PCM. */
Test(snd_vmmio, playback_through_virtqueues)
{
	struct rig r;
	rig_init(&r);
	enum { PER = 1920, P = 4, N = 24 };
	struct virtio_snd_pcm_set_params sp = { VIRTIO_SND_R_PCM_SET_PARAMS, 0, P * PER, PER, 0,
						2, VIRTIO_SND_PCM_FMT_S16,
						VIRTIO_SND_PCM_RATE_48000, 0 };
	cr_assert_eq(ctl(&r, &sp, sizeof(sp), NULL, 0, NULL), VIRTIO_SND_S_OK);
	cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);

	static uint8_t pcm[N * PER];
	uint32_t seed = 11;
	for (size_t i = 0; i < sizeof(pcm); i++) {
		seed = seed * 1103515245u + 12345u;
		pcm[i] = (uint8_t)(seed >> 16);
	}
	uint64_t ring = fg_alloc(r.g, P * PER, 4096);
	uint64_t xfer = fg_alloc(r.g, 4, 4), status[P];
	uint32_t sid = 0;
	fg_mem_write(r.g, xfer, &sid, 4);
	int head_of[P];
	for (int i = 0; i < P; i++)
		status[i] = fg_alloc(r.g, 8, 8);
	int next = 0; /* next period of pcm to queue */
	for (int i = 0; i < P; i++, next++) {
		fg_mem_write(r.g, ring + (uint64_t)i * PER, pcm + (size_t)next * PER, PER);
		struct fg_seg s[3] = { { xfer, 4, false }, { ring + (uint64_t)i * PER, PER, false },
				       { status[i], 8, true } };
		head_of[i] = fg_add_segs(r.g, VSND_VQ_TX, s, 3, 0);
		cr_assert_geq(head_of[i], 0);
	}
	fg_kick(r.g, VSND_VQ_TX); /* all P before START, while PREPARED (facts 4.8.1) */
	cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	for (int done = 0; done < N; done++) {
		struct fg_used u;
		cr_assert(fg_wait_used(r.g, VSND_VQ_TX, &u, 2000), "period %d never completed", done);
		int slot = done % P;
		cr_assert_eq(u.id, (uint32_t)head_of[slot], "completions in FIFO order");
		cr_assert_eq(u.len, 8);
		uint32_t st[2];
		fg_mem_read(r.g, status[slot], st, 8);
		cr_assert_eq(st[0], VIRTIO_SND_S_OK);
		if (next < N) { /* refill the region after its completion, then re-queue it */
			fg_mem_write(r.g, ring + (uint64_t)slot * PER, pcm + (size_t)next * PER, PER);
			struct fg_seg s[3] = { { xfer, 4, false },
					       { ring + (uint64_t)slot * PER, PER, false },
					       { status[slot], 8, true } };
			head_of[slot] = fg_add_segs(r.g, VSND_VQ_TX, s, 3, 0);
			cr_assert_geq(head_of[slot], 0);
			fg_kick(r.g, VSND_VQ_TX);
			next++;
		}
	}
	cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK);
	pthread_mutex_lock(&r.sink[0]->mu);
	cr_assert_eq(r.sink[0]->len, sizeof(pcm));
	cr_assert_arr_eq(r.sink[0]->data, pcm, sizeof(pcm));
	pthread_mutex_unlock(&r.sink[0]->mu);
	rig_fini(&r);
}

Test(snd_vmmio, capture_and_events_through_virtqueues)
{
	struct rig r;
	rig_init(&r);
	uint8_t src[777];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	r.sink[1]->src = src;
	r.sink[1]->src_len = sizeof(src);
	enum { PER = 960, P = 3 };
	struct virtio_snd_pcm_set_params sp = { VIRTIO_SND_R_PCM_SET_PARAMS, 1, P * PER, PER, 0,
						1, VIRTIO_SND_PCM_FMT_S16,
						VIRTIO_SND_PCM_RATE_44100, 0 };
	cr_assert_eq(ctl(&r, &sp, sizeof(sp), NULL, 0, NULL), VIRTIO_SND_S_OK);
	cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_OK);
	uint32_t sid = 1;
	uint64_t data[P];
	int head[P];
	for (int i = 0; i < P; i++) {
		/* [xfer R 4][data W][status W 8] as virtsnd_pcm_msg_alloc builds it */
		struct fg_buf b[3] = { { .data = &sid, .len = 4 }, { .len = PER, .write = true },
				       { .len = 8, .write = true } };
		head[i] = fg_add_bufs(r.g, VSND_VQ_RX, b, 3, 0);
		cr_assert_geq(head[i], 0);
		data[i] = b[1].gpa;
	}
	fg_kick(r.g, VSND_VQ_RX);
	cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_START, 1), VIRTIO_SND_S_OK);
	for (int i = 0; i < P; i++) {
		struct fg_used u;
		cr_assert(fg_wait_used(r.g, VSND_VQ_RX, &u, 2000));
		cr_assert_eq(u.id, (uint32_t)head[i]);
		cr_assert_eq(u.len, PER + 8);
		uint8_t got[PER];
		fg_mem_read(r.g, data[i], got, PER);
		for (int k = 0; k < PER; k++)
			cr_assert_eq(got[k], src[((size_t)i * PER + k) % sizeof(src)]);
	}
	cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_STOP, 1), VIRTIO_SND_S_OK);
	cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_RELEASE, 1), VIRTIO_SND_S_OK);

	/* Jack events land in the buffers posted before DRIVER_OK. */
	vsnd_dev_set_jack(r.dev, 0, 0);
	vsnd_dev_set_jack(r.dev, 0, 1);
	for (int i = 0; i < 2; i++) {
		struct fg_used u;
		cr_assert(fg_wait_used(r.g, VSND_VQ_EVENT, &u, 2000), "event %d not delivered", i);
		cr_assert_eq(u.len, 8);
		struct virtio_snd_event e;
		fg_mem_read(r.g, r.ev_gpa[i], &e, sizeof(e));
		cr_expect_eq(e.code, i == 0 ? VIRTIO_SND_EVT_JACK_DISCONNECTED
					    : VIRTIO_SND_EVT_JACK_CONNECTED);
		cr_expect_eq(e.data, 0);
	}
	rig_fini(&r);
}

/* Issue 2's check over the real transport: for every format, rate and channel count the
 * default configuration advertises, PCM queued through virtqueues in fake guest RAM (the way
 * Linux 6.1 does: all periods before START, each refilled and re-queued after completion)
 * reaches the sink byte-identical. Instant virtual clock, so the matrix takes seconds. */
Test(snd_vmmio, every_format_rate_channels_byte_identical, .timeout = 120)
{
	struct rig r;
	rig_init(&r);
	const uint8_t formats[] = { VIRTIO_SND_PCM_FMT_U8,  VIRTIO_SND_PCM_FMT_S16,
				    VIRTIO_SND_PCM_FMT_S24_3, VIRTIO_SND_PCM_FMT_S24,
				    VIRTIO_SND_PCM_FMT_S32, VIRTIO_SND_PCM_FMT_FLOAT };
	enum { FRAMES = 16, P = 3, N = 5 };
	uint64_t xfer = fg_alloc(r.g, 4, 4), status[P];
	uint32_t sid = 0;
	fg_mem_write(r.g, xfer, &sid, 4);
	for (int i = 0; i < P; i++)
		status[i] = fg_alloc(r.g, 8, 8);
	uint64_t ring = fg_alloc(r.g, (uint64_t)P * FRAMES * 8 * 4, 4096);
	static uint8_t pcm[N * FRAMES * 8 * 4];
	uint32_t seed = 7;
	for (size_t f = 0; f < sizeof(formats); f++) {
		for (uint8_t rate = 0; rate < VIRTIO_SND_PCM_RATE_COUNT; rate++) {
			for (uint8_t ch = 1; ch <= 8; ch++) {
				uint32_t per = FRAMES * ch * vsnd_format_bytes(formats[f]);
				for (size_t i = 0; i < (size_t)N * per; i++) {
					seed = seed * 1103515245u + 12345u;
					pcm[i] = (uint8_t)(seed >> 16);
				}
				struct virtio_snd_pcm_set_params sp = {
					VIRTIO_SND_R_PCM_SET_PARAMS, 0, P * per, per, 0, ch,
					formats[f], rate, 0 };
				cr_assert_eq(ctl(&r, &sp, sizeof(sp), NULL, 0, NULL), VIRTIO_SND_S_OK,
					     "format %u rate %u ch %u", formats[f], rate, ch);
				cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
				pthread_mutex_lock(&r.sink[0]->mu);
				size_t before = r.sink[0]->len;
				pthread_mutex_unlock(&r.sink[0]->mu);
				int next = 0;
				for (int i = 0; i < P; i++, next++) {
					fg_mem_write(r.g, ring + (uint64_t)i * per,
						     pcm + (size_t)next * per, per);
					struct fg_seg s[3] = { { xfer, 4, false },
							       { ring + (uint64_t)i * per, per, false },
							       { status[i], 8, true } };
					cr_assert_geq(fg_add_segs(r.g, VSND_VQ_TX, s, 3, 0), 0);
				}
				fg_kick(r.g, VSND_VQ_TX);
				cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
				for (int done = 0; done < N; done++) {
					struct fg_used u;
					cr_assert(fg_wait_used(r.g, VSND_VQ_TX, &u, 2000),
						  "format %u rate %u ch %u: period %d never completed",
						  formats[f], rate, ch, done);
					cr_assert_eq(u.len, 8);
					int slot = done % P;
					if (next < N) {
						fg_mem_write(r.g, ring + (uint64_t)slot * per,
							     pcm + (size_t)next * per, per);
						struct fg_seg s[3] = {
							{ xfer, 4, false },
							{ ring + (uint64_t)slot * per, per, false },
							{ status[slot], 8, true } };
						cr_assert_geq(fg_add_segs(r.g, VSND_VQ_TX, s, 3, 0), 0);
						fg_kick(r.g, VSND_VQ_TX);
						next++;
					}
				}
				cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
				cr_assert_eq(pcm_cmd(&r, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK);
				pthread_mutex_lock(&r.sink[0]->mu);
				cr_assert_eq(r.sink[0]->len - before, (size_t)N * per,
					     "format %u rate %u ch %u", formats[f], rate, ch);
				cr_assert_arr_eq(r.sink[0]->data + before, pcm, (size_t)N * per,
						 "format %u rate %u ch %u", formats[f], rate, ch);
				pthread_mutex_unlock(&r.sink[0]->mu);
			}
		}
	}
	rig_fini(&r);
}
