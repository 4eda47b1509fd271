/* test_snd_random.c - randomized robustness of the virtio-snd device: thousands of random,
 * mostly-plausible control, I/O and event chains; every chain comes back exactly once, legally. */
#include <criterion/criterion.h>

#include "test_snd_harness.h"

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static uint32_t pick(uint32_t *s, const uint32_t *v, uint32_t n)
{
	return v[rnd(s) % n];
}

static int legal_status(uint32_t st)
{
	return st >= VIRTIO_SND_S_OK && st <= VIRTIO_SND_S_IO_ERR;
}

Test(snd_random, every_chain_returned_once_and_legally, .timeout = 60)
{
	struct tdev t;
	tdev_init(&t, 0); /* instant clock: running streams play at once */
	static const uint32_t codes[] = {
		VIRTIO_SND_R_JACK_INFO, VIRTIO_SND_R_JACK_REMAP, VIRTIO_SND_R_PCM_INFO,
		VIRTIO_SND_R_PCM_SET_PARAMS, VIRTIO_SND_R_PCM_PREPARE, VIRTIO_SND_R_PCM_RELEASE,
		VIRTIO_SND_R_PCM_START, VIRTIO_SND_R_PCM_STOP, VIRTIO_SND_R_CHMAP_INFO, 0x0300, 7,
	};
	static const uint32_t sizes[] = { 0, 1, 3, 4, 7, 8, 15, 16, 23, 24, 25, 32, 40, 100 };
	static const uint32_t sids[] = { 0, 1, 1, 0, 2, 0xFFFFFFFFu };
	uint32_t seed = 0x12345678;
	struct mem_chain *io[8192];
	uint32_t nio = 0;
	for (int iter = 0; iter < 6000; iter++) {
		uint32_t kind = rnd(&seed) % 10;
		if (kind < 5) {
			uint8_t req[64];
			for (size_t i = 0; i < sizeof(req); i++)
				req[i] = (uint8_t)rnd(&seed);
			uint32_t code = pick(&seed, codes, sizeof(codes) / 4);
			memcpy(req, &code, 4);
			uint32_t sid = pick(&seed, sids, sizeof(sids) / 4);
			memcpy(req + 4, &sid, 4);
			if (code == VIRTIO_SND_R_PCM_SET_PARAMS && rnd(&seed) % 2) {
				struct virtio_snd_pcm_set_params p = {
					code, sid, 0, 64u << (rnd(&seed) % 6), 0,
					(uint8_t)(1 + rnd(&seed) % 9), (uint8_t)(rnd(&seed) % 24),
					(uint8_t)(rnd(&seed) % 16), 0 };
				p.buffer_bytes = p.period_bytes * (1 + rnd(&seed) % 4);
				memcpy(req, &p, sizeof(p));
			} else if (code == VIRTIO_SND_R_PCM_INFO || code == VIRTIO_SND_R_JACK_INFO ||
				   code == VIRTIO_SND_R_CHMAP_INFO) {
				uint32_t q[3] = { rnd(&seed) % 3, rnd(&seed) % 4,
						  pick(&seed, sizes, sizeof(sizes) / 4) };
				memcpy(req + 4, q, sizeof(q));
			}
			uint32_t rlen = rnd(&seed) % 4 ? pick(&seed, sizes, sizeof(sizes) / 4)
						       : rnd(&seed) % 64;
			if (rlen > sizeof(req))
				rlen = sizeof(req);
			uint32_t wlen = rnd(&seed) % 300;
			struct mem_chain *mc = tdev_chain(&t, VSND_VQ_CONTROL, req, rlen, wlen);
			mc->c.malformed = rnd(&seed) % 50 == 0;
			vsnd_dev_submit(t.dev, &mc->c);
			uint32_t used;
			cr_assert_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED);
			if (wlen < 4) {
				cr_assert_eq(used, 0);
			} else {
				uint32_t st = mem_chain_w32(mc, 0);
				cr_assert(legal_status(st), "status 0x%x", st);
				cr_assert(used == 4 || (st == VIRTIO_SND_S_OK && used <= wlen),
					  "used %u wlen %u", used, wlen);
			}
		} else if (kind < 9) {
			bool tx = rnd(&seed) % 2;
			uint32_t sid = pick(&seed, sids, sizeof(sids) / 4);
			uint32_t len = rnd(&seed) % 3000;
			uint8_t buf[3004];
			memcpy(buf, &sid, 4);
			uint32_t rlen = tx ? 4 + len : 4, wlen = tx ? 8 : len + 8;
			if (rnd(&seed) % 20 == 0)
				rlen = rnd(&seed) % 8;
			if (rnd(&seed) % 20 == 0)
				wlen = rnd(&seed) % 16;
			struct mem_chain *mc = tdev_chain(&t, tx ? VSND_VQ_TX : VSND_VQ_RX, buf, rlen,
							  wlen);
			vsnd_dev_submit(t.dev, &mc->c);
			if (nio < 8192)
				io[nio++] = mc;
		} else if (rnd(&seed) % 2) {
			struct mem_chain *mc = tdev_chain(&t, VSND_VQ_EVENT, NULL, rnd(&seed) % 3 == 0 ? 4 : 0,
							  rnd(&seed) % 12);
			vsnd_dev_submit(t.dev, &mc->c);
		} else {
			vsnd_dev_set_jack(t.dev, rnd(&seed) % 2, rnd(&seed) % 2);
		}
		vsnd_dev_quiesce(t.dev); /* deterministic: all due work done before the next input */
	}
	/* The mix is plausible enough to reach playback and capture. */
	struct vsnd_stream_stats st0, st1;
	vsnd_dev_stream_stats(t.dev, 0, &st0);
	vsnd_dev_stream_stats(t.dev, 1, &st1);
	cr_expect_gt(st0.messages, 10, "played %lu", (unsigned long)st0.messages);
	cr_expect_gt(st1.messages, 10, "captured %lu", (unsigned long)st1.messages);
	cr_expect_gt(tsink_len(t.sink[0]), 0);
	/* Release both streams (stopping first): everything still held comes back. */
	for (uint32_t s = 0; s < 2; s++) {
		tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, s);
		cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, s), VIRTIO_SND_S_OK);
	}
	for (uint32_t i = 0; i < nio; i++) {
		struct mem_chain *mc = io[i];
		cr_assert(mem_chain_wait(mc, 5000), "I/O chain %u never returned", i);
		uint32_t used;
		cr_assert_eq(mem_chain_state(mc, &used), MEM_CHAIN_COMPLETED);
		if (mc->c.rlen < 4 || mc->c.wlen < 8) {
			cr_assert_eq(used, 0);
			continue;
		}
		uint32_t st = mem_chain_w32(mc, mc->c.queue == VSND_VQ_RX ? mc->c.wlen - 8 : 0);
		cr_assert(st == VIRTIO_SND_S_OK || st == VIRTIO_SND_S_IO_ERR, "I/O status 0x%x", st);
		if (mc->c.queue == VSND_VQ_TX)
			cr_assert_eq(used, 8);
		else
			cr_assert(used >= 8 && used <= mc->c.wlen);
	}
	vsnd_dev_reset(t.dev);
	tdev_fini(&t); /* every chain returned exactly once */
}
