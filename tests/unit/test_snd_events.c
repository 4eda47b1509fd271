/* test_snd_events.c - virtio-snd event queue (5.14.6.5, facts 3.10) and device reset (2.4):
 * events only after DRIVER_OK, FIFO when no buffer is posted, bad buffers, reset discards. */
#include <criterion/criterion.h>

#include "test_snd_harness.h"

static struct mem_chain *post_event_buf(struct tdev *t, uint32_t rlen, uint32_t wlen)
{
	struct mem_chain *mc = tdev_chain(t, VSND_VQ_EVENT, NULL, rlen, wlen);
	vsnd_dev_submit(t->dev, &mc->c);
	return mc;
}

static void expect_event(struct mem_chain *mc, uint32_t code, uint32_t data)
{
	uint32_t used;
	cr_assert_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED, "event not delivered");
	cr_expect_eq(used, 8);
	cr_expect_eq(mem_chain_w32(mc, 0), code);
	cr_expect_eq(mem_chain_w32(mc, 4), data);
}

static uint8_t jack_connected(struct tdev *t)
{
	struct virtio_snd_query_info q = { VIRTIO_SND_R_JACK_INFO, 0, 1, 24 };
	struct mem_chain *mc;
	uint32_t used;
	cr_assert_eq(tdev_ctl(t, &q, sizeof(q), 28, &used, &mc), VIRTIO_SND_S_OK);
	return mc->wbuf[4 + 16];
}

Test(snd_events, only_after_driver_ok)
{
	struct tdev t;
	tdev_init_cfg(&t, NULL, 1); /* no DRIVER_OK yet */
	struct mem_chain *e0 = post_event_buf(&t, 0, 8);
	struct mem_chain *e1 = post_event_buf(&t, 0, 8);
	vsnd_dev_set_jack(t.dev, 0, 0);
	cr_expect(chain_pending(e0), "event sent before DRIVER_OK");
	cr_expect_eq(jack_connected(&t), 0, "JACK_INFO reflects the host state");
	vsnd_dev_driver_ok(t.dev);
	cr_expect(chain_pending(e0), "a pre-DRIVER_OK change is not replayed as an event");
	vsnd_dev_set_jack(t.dev, 0, 1);
	expect_event(e0, VIRTIO_SND_EVT_JACK_CONNECTED, 0);
	vsnd_dev_set_jack(t.dev, 0, 1); /* no change: no event */
	cr_expect(chain_pending(e1));
	vsnd_dev_set_jack(t.dev, 0, 0);
	expect_event(e1, VIRTIO_SND_EVT_JACK_DISCONNECTED, 0);
	vsnd_dev_set_jack(t.dev, 1, 1); /* no such jack */
	vsnd_dev_set_jack(t.dev, 0xFFFFFFFFu, 0);
	tdev_fini(&t);
}

Test(snd_events, fifo_until_buffers_are_posted)
{
	struct tdev t;
	tdev_init(&t, 1);
	vsnd_dev_set_jack(t.dev, 0, 0);
	vsnd_dev_set_jack(t.dev, 0, 1);
	vsnd_dev_set_jack(t.dev, 0, 0);
	struct mem_chain *e[4];
	for (int i = 0; i < 4; i++)
		e[i] = post_event_buf(&t, 0, i == 3 ? 8 : 16);
	expect_event(e[0], VIRTIO_SND_EVT_JACK_DISCONNECTED, 0);
	expect_event(e[1], VIRTIO_SND_EVT_JACK_CONNECTED, 0);
	expect_event(e[2], VIRTIO_SND_EVT_JACK_DISCONNECTED, 0);
	cr_expect(chain_pending(e[3]));
	cr_expect_eq(e[0]->wbuf[8], 0xEE, "only 8 bytes written into a larger buffer");
	tdev_fini(&t);
}

Test(snd_events, bad_event_buffers_returned_unused)
{
	struct tdev t;
	tdev_init(&t, 1);
	uint32_t used;
	struct mem_chain *r = post_event_buf(&t, 8, 8); /* readable part */
	cr_assert_eq(mem_chain_state(r, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	cr_expect_eq(r->wbuf[0], 0xEE);
	struct mem_chain *s = post_event_buf(&t, 0, 7); /* too short */
	cr_assert_eq(mem_chain_state(s, &used), MEM_CHAIN_COMPLETED);
	cr_expect_eq(used, 0);
	cr_expect_eq(s->wbuf[0], 0xEE);
	/* The next good buffer still gets the event. */
	struct mem_chain *g = post_event_buf(&t, 0, 8);
	vsnd_dev_set_jack(t.dev, 0, 0);
	expect_event(g, VIRTIO_SND_EVT_JACK_DISCONNECTED, 0);
	tdev_fini(&t);
}

Test(snd_events, reset_discards_everything)
{
	struct tdev t;
	tdev_init(&t, 1);
	const uint8_t S16 = VIRTIO_SND_PCM_FMT_S16, R = VIRTIO_SND_PCM_RATE_48000;
	cr_assert_eq(tdev_set_params(&t, 0, 7680, 1920, 0, 2, S16, R), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_set_params(&t, 1, 7680, 1920, 0, 2, S16, R), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 1), VIRTIO_SND_S_OK);
	uint8_t d[1920] = { 0 };
	struct mem_chain *tx[3], *rx[3];
	for (int i = 0; i < 3; i++) {
		tx[i] = tdev_tx(&t, 0, d, sizeof(d));
		rx[i] = tdev_rx(&t, 1, sizeof(d));
	}
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 1), VIRTIO_SND_S_OK);
	vsnd_dev_quiesce(t.dev); /* tx[0] is playing */
	struct mem_chain *ev = post_event_buf(&t, 0, 8);
	vsnd_dev_reset(t.dev);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(mem_chain_state(tx[i], NULL), MEM_CHAIN_DISCARDED, "tx %d", i);
		cr_expect_eq(mem_chain_state(rx[i], NULL), MEM_CHAIN_DISCARDED, "rx %d", i);
	}
	cr_expect_eq(mem_chain_state(ev, NULL), MEM_CHAIN_DISCARDED);
	cr_expect_eq(t.sink[0]->closes, 1);
	cr_expect_eq(t.sink[1]->closes, 1);
	struct vsnd_stream_stats st;
	vsnd_dev_stream_stats(t.dev, 0, &st);
	cr_expect_eq(st.state, VSND_PCM_INIT);
	cr_expect_eq(st.queued, 0);
	vsnd_dev_stream_stats(t.dev, 1, &st);
	cr_expect_eq(st.state, VSND_PCM_INIT);
	/* Time passing after the reset completes nothing. */
	vsnd_vclock_set(t.vc, 1000000000);
	vsnd_dev_quiesce(t.dev);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(tx[i]->returns, 1);
	/* Events are not sent until DRIVER_OK again; a new session works from scratch. */
	struct mem_chain *ev2 = post_event_buf(&t, 0, 8);
	vsnd_dev_set_jack(t.dev, 0, 0);
	cr_expect(chain_pending(ev2));
	vsnd_dev_driver_ok(t.dev);
	cr_expect_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_BAD_MSG,
		     "parameters are gone after reset");
	cr_assert_eq(tdev_set_params(&t, 0, 7680, 1920, 0, 2, S16, R), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	struct mem_chain *m = tdev_tx(&t, 0, d, sizeof(d));
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	vsnd_vclock_set(t.vc, 1010000000);
	expect_io_done(m, 8, VIRTIO_SND_S_OK);
	vsnd_dev_set_jack(t.dev, 0, 1);
	expect_event(ev2, VIRTIO_SND_EVT_JACK_CONNECTED, 0);
	tdev_fini(&t);
}

Test(snd_events, reset_while_running_on_real_clock)
{
	struct tdev t;
	tdev_init(&t, 2);
	for (int round = 0; round < 3; round++) {
		cr_assert_eq(tdev_set_params(&t, 0, 768, 192, 0, 2, VIRTIO_SND_PCM_FMT_S16,
					     VIRTIO_SND_PCM_RATE_48000), VIRTIO_SND_S_OK);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
		uint8_t d[192] = { 0 };
		struct mem_chain *m[4];
		for (int i = 0; i < 4; i++)
			m[i] = tdev_tx(&t, 0, d, sizeof(d));
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
		cr_assert(mem_chain_wait(m[0], 2000)); /* 1 ms periods */
		vsnd_dev_reset(t.dev);
		for (int i = 0; i < 4; i++)
			cr_expect_eq(mem_chain_state(m[i], NULL) != MEM_CHAIN_PENDING, 1);
		vsnd_dev_driver_ok(t.dev);
	}
	tdev_fini(&t);
}
