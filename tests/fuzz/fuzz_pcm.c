/* fuzz_pcm.c - libFuzzer harness for virtio-snd PCM transfers of the real device core: TX
 * and RX messages of any size and stream id interleaved with SET_PARAMS / PREPARE / START /
 * STOP / RELEASE, device resets, clock steps and failing sinks.
 *
 * Input: a flags byte (snd_harness.h), a set-up byte (bit 0: DRIVER_OK + eventq buffers;
 * bit 1: stream 0 and 1 brought to RUNNING with S16 stereo 48 kHz, 4 periods of 1024 bytes),
 * then ops of snd_harness.h. Besides the engine's invariants: the frames a stream reports
 * are exactly what its sink received (output) or produced (input).
 * fuzz-libs: vsnd */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/snd_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void start_stream(struct sh *h, uint32_t sid)
{
	struct sh_params p = { .sid = sid, .buffer = 4096, .period = 1024, .channels = 2,
			       .format = VIRTIO_SND_PCM_FMT_S16, .rate = VIRTIO_SND_PCM_RATE_48000 };
	sh_set_params(h, &p, 24);
	sh_pcm_cmd(h, VIRTIO_SND_R_PCM_PREPARE, sid);
	sh_pcm_cmd(h, VIRTIO_SND_R_PCM_START, sid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sh_rd r = { data, size };
	struct sh h;
	if (sh_init(&h, (uint8_t)sh_get(&r, 1)))
		return 0;
	uint8_t setup = (uint8_t)sh_get(&r, 1);
	if (setup & 1) {
		vsnd_dev_driver_ok(h.dev);
		for (int i = 0; i < 4; i++)
			sh_submit(&h, VSND_VQ_EVENT, NULL, 0, 0, 8, false);
	}
	if (setup & 2) {
		start_stream(&h, 0);
		start_stream(&h, 1);
	}
	sh_settle(&h);
	for (unsigned steps = 0; r.n && steps < 2048; steps++)
		sh_op(&h, &r, (unsigned)sh_get(&r, 1));
	if (!h.instant) {
		/* Sink frames against the device's frame counter (quiesced: nothing in flight).
		 * Frames, not bytes: a stream may play with several parameter sets in one run. */
		for (uint32_t i = 0; i < h.nstreams; i++) {
			struct vsnd_stream_stats st;
			SH_CHECK(vsnd_dev_stream_stats(h.dev, i, &st) == 0);
			pthread_mutex_lock(&h.mu);
			struct sh_sink *k = h.sinks[i];
			if (k && k->p.frame_bytes && !(k->fail & 2) && st.io_errors == 0)
				SH_CHECK(k->frames <= st.frames);
			pthread_mutex_unlock(&h.mu);
		}
	}
	sh_finish(&h);
	return 0;
}
