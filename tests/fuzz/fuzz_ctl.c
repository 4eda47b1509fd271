/* fuzz_ctl.c - libFuzzer harness for the virtio-snd control queue of the real device core:
 * every request code, random sizes, ids and parameters, and random state-transition orders.
 *
 * Input: a flags byte, then ops of snd_harness.h (its TX/RX/sink-failure ops are mapped to
 * control ops here: this target is about the control queue; fuzz_pcm covers transfers).
 * Besides the engine's invariants it checks the PCM state machine against its own model:
 * a command answered OK moves the stream to the state the spec table gives (5.14.6.6.1).
 * fuzz-libs: vsnd */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/snd_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The op numbers of snd_harness.h this target uses. */
static const uint8_t ctl_ops[] = { 0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14 };

static enum vsnd_pcm_state state_of(struct sh *h, uint32_t sid)
{
	struct vsnd_stream_stats st;
	SH_CHECK(vsnd_dev_stream_stats(h->dev, sid, &st) == 0);
	return st.state;
}

/* After an OK reply to a PCM command, the state it must have led to (spec 5.14.6.6.1). */
static void check_transition(struct sh *h, uint32_t code, uint32_t sid,
			     enum vsnd_pcm_state before)
{
	if (sid >= h->nstreams)
		return;
	enum vsnd_pcm_state after = state_of(h, sid);
	if (sh_u32(h->last_ctl) != VIRTIO_SND_S_OK) {
		/* A failed PREPARE drops the resources; everything else keeps the state. */
		SH_CHECK(after == before ||
			 (code == VIRTIO_SND_R_PCM_PREPARE && after == VSND_PCM_PARAMS));
		return;
	}
	switch (code) {
	case VIRTIO_SND_R_PCM_SET_PARAMS:
		SH_CHECK(after == VSND_PCM_PARAMS && before != VSND_PCM_RUNNING &&
			 before != VSND_PCM_STOPPED);
		break;
	case VIRTIO_SND_R_PCM_PREPARE:
		SH_CHECK(after == VSND_PCM_PREPARED && before != VSND_PCM_INIT &&
			 before != VSND_PCM_RUNNING && before != VSND_PCM_STOPPED);
		break;
	case VIRTIO_SND_R_PCM_START:
		SH_CHECK(after == VSND_PCM_RUNNING &&
			 (before == VSND_PCM_PREPARED || before == VSND_PCM_STOPPED));
		break;
	case VIRTIO_SND_R_PCM_STOP:
		SH_CHECK(after == VSND_PCM_STOPPED && before == VSND_PCM_RUNNING);
		break;
	case VIRTIO_SND_R_PCM_RELEASE:
		SH_CHECK(before != VSND_PCM_RUNNING);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sh_rd r = { data, size };
	struct sh h;
	if (sh_init(&h, (uint8_t)sh_get(&r, 1)))
		return 0;
	for (unsigned steps = 0; r.n && steps < 2048; steps++) {
		unsigned op = ctl_ops[sh_get(&r, 1) % sizeof(ctl_ops)];
		if (op == 3 || op == 2) {
			/* Peek the stream id the op will use to check the transition it makes. */
			struct sh_rd peek = r;
			if (op == 3)
				sh_get(&peek, 1);
			uint32_t sid = sh_sid(&h, &peek);
			uint8_t which = op == 3 ? (uint8_t)(r.n ? r.p[0] : 0) : 0;
			static const uint32_t cmds[4] = {
				VIRTIO_SND_R_PCM_PREPARE, VIRTIO_SND_R_PCM_RELEASE,
				VIRTIO_SND_R_PCM_START, VIRTIO_SND_R_PCM_STOP };
			uint32_t code = op == 2 ? VIRTIO_SND_R_PCM_SET_PARAMS : cmds[which % 4];
			enum vsnd_pcm_state before =
				sid < h.nstreams ? state_of(&h, sid) : VSND_PCM_INIT;
			sh_op(&h, &r, op);
			check_transition(&h, code, sid, before);
		} else {
			sh_op(&h, &r, op);
		}
	}
	sh_finish(&h);
	return 0;
}
