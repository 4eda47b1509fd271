/* snd_ctl.c - virtio-snd control queue (VirtIO 1.2, 5.14.6.1-6, 5.14.6.9): item queries,
 * jack remap, PCM parameters and the stream state machine as a transition table. */
#include "snd_priv.h"

#include <stdlib.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the wire structs of virtio_snd.h are filled in host order: little-endian hosts only"
#endif

enum snd_cmd { CMD_SET_PARAMS, CMD_PREPARE, CMD_START, CMD_STOP, CMD_RELEASE, CMD_COUNT };

#define BAD (-1)
/* Next state per command and current state (facts sheet 3.8, spec 5.14.6.6.1); BAD = the
 * command is invalid in that state (BAD_MSG, state kept). RELEASE is accepted leniently in
 * INIT, PARAMS and RELEASED (it only flushes I/O there) because Linux sends it at open after
 * a timed-out flush, possibly after a reset (facts 4.6). */
static const int8_t next_state[CMD_COUNT][VSND_PCM_RELEASED + 1] = {
	/*                INIT             PARAMS             PREPARED           RUNNING
	 *                STOPPED          RELEASED */
	[CMD_SET_PARAMS] = { VSND_PCM_PARAMS, VSND_PCM_PARAMS, VSND_PCM_PARAMS, BAD,
			     BAD, VSND_PCM_PARAMS },
	[CMD_PREPARE] = { BAD, VSND_PCM_PREPARED, VSND_PCM_PREPARED, BAD,
			  BAD, VSND_PCM_PREPARED },
	[CMD_START] = { BAD, BAD, VSND_PCM_RUNNING, BAD,
			VSND_PCM_RUNNING, BAD },
	[CMD_STOP] = { BAD, BAD, BAD, VSND_PCM_STOPPED,
		       BAD, BAD },
	[CMD_RELEASE] = { VSND_PCM_INIT, VSND_PCM_PARAMS, VSND_PCM_RELEASED, BAD,
			  VSND_PCM_RELEASED, VSND_PCM_RELEASED },
};

static uint32_t info_count(const struct vsnd_dev *dev, uint32_t code)
{
	switch (code) {
	case VIRTIO_SND_R_JACK_INFO: return dev->cfg.njacks;
	case VIRTIO_SND_R_PCM_INFO: return dev->cfg.nstreams;
	default: return dev->cfg.nchmaps;
	}
}

/* Serialise item id of the queried kind into out (zeroed, item-sized). */
static uint32_t info_item(const struct vsnd_dev *dev, uint32_t code, uint32_t id, void *out)
{
	switch (code) {
	case VIRTIO_SND_R_JACK_INFO: {
		const struct vsnd_jack_cfg *j = &dev->cfg.jacks[id];
		struct virtio_snd_jack_info ji = {
			.hda_fn_nid = j->hda_fn_nid,
			.features = j->features,
			.hda_reg_defconf = j->hda_reg_defconf,
			.hda_reg_caps = j->hda_reg_caps,
			.connected = dev->jacks[id].connected,
		};
		memcpy(out, &ji, sizeof(ji));
		return sizeof(ji);
	}
	case VIRTIO_SND_R_PCM_INFO: {
		const struct vsnd_stream_cfg *s = &dev->cfg.streams[id];
		struct virtio_snd_pcm_info pi = {
			.hda_fn_nid = s->hda_fn_nid,
			.features = s->features,
			.formats = s->formats,
			.rates = s->rates,
			.direction = s->direction,
			.channels_min = s->channels_min,
			.channels_max = s->channels_max,
		};
		memcpy(out, &pi, sizeof(pi));
		return sizeof(pi);
	}
	default: {
		const struct vsnd_chmap_cfg *m = &dev->cfg.chmaps[id];
		struct virtio_snd_chmap_info ci = {
			.hda_fn_nid = m->hda_fn_nid,
			.direction = m->direction,
			.channels = m->channels,
		};
		memcpy(ci.positions, m->positions, sizeof(ci.positions));
		memcpy(out, &ci, sizeof(ci));
		return sizeof(ci);
	}
	}
}

static uint32_t info_struct_size(uint32_t code)
{
	switch (code) {
	case VIRTIO_SND_R_JACK_INFO: return sizeof(struct virtio_snd_jack_info);
	case VIRTIO_SND_R_PCM_INFO: return sizeof(struct virtio_snd_pcm_info);
	default: return sizeof(struct virtio_snd_chmap_info);
	}
}

/* 5.14.6.2 (facts 3.5): items start_id..start_id+count-1 at stride `size` after the status. */
static uint32_t ctl_info(struct vsnd_dev *dev, struct vsnd_chain *c, const uint8_t *req,
			 uint32_t n, uint32_t code, uint32_t *used)
{
	if (n < sizeof(struct virtio_snd_query_info))
		return VIRTIO_SND_S_BAD_MSG;
	uint32_t start = snd_get_u32(req + 4), count = snd_get_u32(req + 8);
	uint32_t size = snd_get_u32(req + 12);
	uint32_t isize = info_struct_size(code);
	if ((uint64_t)start + count > info_count(dev, code) || size < isize ||
	    4 + (uint64_t)count * size > c->wlen)
		return VIRTIO_SND_S_BAD_MSG;
	static const uint8_t zeros[256];
	for (uint32_t k = 0; k < count; k++) {
		uint8_t item[32] = { 0 };
		uint64_t off = 4 + (uint64_t)k * size;
		uint32_t len = info_item(dev, code, start + k, item);
		vsnd_chain_write(c, (uint32_t)off, item, len);
		for (uint64_t z = len; z < size; z += sizeof(zeros)) {
			uint64_t chunk = size - z < sizeof(zeros) ? size - z : sizeof(zeros);
			vsnd_chain_write(c, (uint32_t)(off + z), zeros, (uint32_t)chunk);
		}
	}
	*used = 4 + count * size;
	return VIRTIO_SND_S_OK;
}

static uint32_t ctl_jack_remap(struct vsnd_dev *dev, const uint8_t *req, uint32_t n)
{
	if (n < sizeof(struct virtio_snd_jack_remap))
		return VIRTIO_SND_S_BAD_MSG;
	uint32_t id = snd_get_u32(req + 4);
	if (id >= dev->cfg.njacks)
		return VIRTIO_SND_S_BAD_MSG;
	if (!(dev->cfg.jacks[id].features & (1u << VIRTIO_SND_JACK_F_REMAP)))
		return VIRTIO_SND_S_NOT_SUPP; /* 5.14.6.4.2 */
	dev->jacks[id].association = snd_get_u32(req + 8);
	dev->jacks[id].sequence = snd_get_u32(req + 12);
	return VIRTIO_SND_S_OK;
}

static uint32_t ctl_set_params(struct vsnd_dev *dev, struct snd_stream *s, const uint8_t *req)
{
	uint32_t buffer_bytes = snd_get_u32(req + 8), period_bytes = snd_get_u32(req + 12);
	uint32_t features = snd_get_u32(req + 16);
	uint8_t channels = req[20], format = req[21], rate = req[22], padding = req[23];
	/* Malformed (facts 5): BAD_MSG. */
	if (padding || !period_bytes || !buffer_bytes || buffer_bytes % period_bytes)
		return VIRTIO_SND_S_BAD_MSG;
	/* Not advertised (5.14.6.6.3.2) or beyond what the device can buffer: NOT_SUPP. The
	 * range checks come first so a guest value is never used as a shift count >= 64. */
	if (features & ~s->cfg.features)
		return VIRTIO_SND_S_NOT_SUPP;
	if (format >= VIRTIO_SND_PCM_FMT_COUNT || !(s->cfg.formats >> format & 1) ||
	    !vsnd_format_bytes(format))
		return VIRTIO_SND_S_NOT_SUPP;
	if (rate >= VIRTIO_SND_PCM_RATE_COUNT || !(s->cfg.rates >> rate & 1))
		return VIRTIO_SND_S_NOT_SUPP;
	if (channels < s->cfg.channels_min || channels > s->cfg.channels_max)
		return VIRTIO_SND_S_NOT_SUPP;
	if (buffer_bytes > SND_MAX_BUFFER_BYTES)
		return VIRTIO_SND_S_NOT_SUPP;

	snd_wait_not_busy(dev, s);
	snd_flush(dev, s, VIRTIO_SND_S_IO_ERR);
	snd_sink_close(s);
	s->features = features;
	s->p = (struct vsnd_pcm_params){
		.stream_id = s->id,
		.direction = s->cfg.direction,
		.format = format,
		.channels = channels,
		.rate_index = rate,
		.rate_hz = vsnd_rate_hz(rate),
		.frame_bytes = vsnd_format_bytes(format) * channels,
		.period_bytes = period_bytes,
		.buffer_bytes = buffer_bytes,
	};
	return VIRTIO_SND_S_OK;
}

static uint32_t ctl_prepare(struct vsnd_dev *dev, struct snd_stream *s)
{
	snd_wait_not_busy(dev, s);
	snd_flush(dev, s, VIRTIO_SND_S_IO_ERR);
	snd_sink_close(s);
	if (s->stage_len < s->p.buffer_bytes) {
		uint8_t *b = realloc(s->stage, s->p.buffer_bytes);
		if (!b)
			return VIRTIO_SND_S_IO_ERR;
		s->stage = b;
		s->stage_len = s->p.buffer_bytes;
	}
	if (s->sink && s->sink->ops->open) {
		if (s->sink->ops->open(s->sink, &s->p) < 0)
			return VIRTIO_SND_S_IO_ERR;
	}
	s->sink_open = true;
	s->anchored = false;
	s->run_frames = 0;
	return VIRTIO_SND_S_OK;
}

/* PCM commands: id check, state table, then the command's own work. */
static uint32_t ctl_pcm(struct vsnd_dev *dev, const uint8_t *req, uint32_t n, enum snd_cmd cmd)
{
	uint32_t need = cmd == CMD_SET_PARAMS ? sizeof(struct virtio_snd_pcm_set_params)
					      : sizeof(struct virtio_snd_pcm_hdr);
	if (n < need)
		return VIRTIO_SND_S_BAD_MSG;
	uint32_t sid = snd_get_u32(req + 4);
	if (sid >= dev->cfg.nstreams)
		return VIRTIO_SND_S_BAD_MSG;
	struct snd_stream *s = &dev->st[sid];
	int8_t next = next_state[cmd][s->state];
	if (next == BAD)
		return VIRTIO_SND_S_BAD_MSG;
	uint64_t now = vsnd_clock_now(dev->clock);
	uint32_t st = VIRTIO_SND_S_OK;
	switch (cmd) {
	case CMD_SET_PARAMS:
		st = ctl_set_params(dev, s, req);
		break;
	case CMD_PREPARE:
		st = ctl_prepare(dev, s);
		if (st != VIRTIO_SND_S_OK && s->state == VSND_PCM_PREPARED)
			s->state = VSND_PCM_PARAMS; /* resources are gone */
		break;
	case CMD_START:
		if (s->state == VSND_PCM_STOPPED && s->anchored) {
			s->base_ns += now - s->stop_ns; /* resume where STOP paused */
		} else if (!s->anchored && s->qhead) {
			s->anchored = true;
			s->base_ns = now;
			s->run_frames = 0;
		}
		break;
	case CMD_STOP:
		s->stop_ns = now;
		break;
	case CMD_RELEASE:
		/* 5.14.6.6.5.1: all pending I/O completes before the RELEASE reply. */
		snd_wait_not_busy(dev, s);
		snd_flush(dev, s, VIRTIO_SND_S_OK);
		snd_sink_close(s);
		s->anchored = false;
		break;
	default:
		break;
	}
	if (st == VIRTIO_SND_S_OK) {
		s->state = (enum vsnd_pcm_state)next;
		snd_kick(dev, s->cfg.direction);
	}
	return st;
}

void snd_ctl(struct vsnd_dev *dev, struct vsnd_chain *c)
{
	if (c->wlen < sizeof(struct virtio_snd_hdr)) {
		vsnd_chain_complete(c, 0); /* no room for a status (facts 5) */
		return;
	}
	uint8_t req[sizeof(struct virtio_snd_pcm_set_params)] = { 0 };
	uint32_t n = vsnd_chain_read(c, 0, req, sizeof(req));
	uint32_t used = 4, status;
	uint32_t code = snd_get_u32(req);
	if (c->malformed || n < sizeof(struct virtio_snd_hdr)) {
		status = VIRTIO_SND_S_BAD_MSG;
	} else {
		switch (code) {
		case VIRTIO_SND_R_JACK_INFO:
		case VIRTIO_SND_R_PCM_INFO:
		case VIRTIO_SND_R_CHMAP_INFO:
			status = ctl_info(dev, c, req, n, code, &used);
			break;
		case VIRTIO_SND_R_JACK_REMAP:
			status = ctl_jack_remap(dev, req, n);
			break;
		case VIRTIO_SND_R_PCM_SET_PARAMS:
			status = ctl_pcm(dev, req, n, CMD_SET_PARAMS);
			break;
		case VIRTIO_SND_R_PCM_PREPARE:
			status = ctl_pcm(dev, req, n, CMD_PREPARE);
			break;
		case VIRTIO_SND_R_PCM_RELEASE:
			status = ctl_pcm(dev, req, n, CMD_RELEASE);
			break;
		case VIRTIO_SND_R_PCM_START:
			status = ctl_pcm(dev, req, n, CMD_START);
			break;
		case VIRTIO_SND_R_PCM_STOP:
			status = ctl_pcm(dev, req, n, CMD_STOP);
			break;
		default:
			status = VIRTIO_SND_S_BAD_MSG; /* unknown code, incl. 1.3 CTL_* (facts 5) */
			break;
		}
	}
	uint8_t hdr[4];
	snd_put_u32(hdr, status);
	vsnd_chain_write(c, 0, hdr, sizeof(hdr));
	vsnd_chain_complete(c, used);
}
