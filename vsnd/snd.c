/* snd.c - virtio-snd device core (VirtIO 1.2, 5.14): configuration and its validation,
 * config space, device lifecycle (new/free/DRIVER_OK/reset), queue dispatch and events. */
#include "snd_priv.h"

#include <stdlib.h>
#include <string.h>

/* ---- tables (5.14.6.6.2, facts sheet 3.7): widths and rates are vsnd_format_bytes() and
 * vsnd_rate_hz() of sink.h ---- */

/* One sample of silence, little-endian (unsigned formats sit at mid-scale; the companded
 * and DSD patterns follow ALSA's snd_pcm_format_silence_64). */
static const uint32_t fmt_silence[VIRTIO_SND_PCM_FMT_COUNT] = {
	[VIRTIO_SND_PCM_FMT_MU_LAW] = 0x7f,    [VIRTIO_SND_PCM_FMT_A_LAW] = 0x55,
	[VIRTIO_SND_PCM_FMT_U8] = 0x80,        [VIRTIO_SND_PCM_FMT_U16] = 0x8000,
	[VIRTIO_SND_PCM_FMT_U18_3] = 0x020000, [VIRTIO_SND_PCM_FMT_U20_3] = 0x080000,
	[VIRTIO_SND_PCM_FMT_U24_3] = 0x800000, [VIRTIO_SND_PCM_FMT_U20] = 0x00080000,
	[VIRTIO_SND_PCM_FMT_U24] = 0x00800000, [VIRTIO_SND_PCM_FMT_U32] = 0x80000000u,
	[VIRTIO_SND_PCM_FMT_DSD_U8] = 0x69,    [VIRTIO_SND_PCM_FMT_DSD_U16] = 0x6969,
	[VIRTIO_SND_PCM_FMT_DSD_U32] = 0x69696969u,
};

void snd_fill_silence(uint8_t format, uint8_t *buf, uint32_t bytes)
{
	uint32_t w = vsnd_format_bytes(format);
	uint32_t v = format < VIRTIO_SND_PCM_FMT_COUNT ? fmt_silence[format] : 0;
	if (!w || !v) {
		memset(buf, 0, bytes);
		return;
	}
	for (uint32_t i = 0; i < bytes; i++)
		buf[i] = (uint8_t)(w > 4 ? 0 : (v >> (8 * (i % w))));
}

void snd_put_u32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

uint32_t snd_get_u32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* ---- configuration ---- */

void vsnd_config_default(struct vsnd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->njacks = 1;
	cfg->jacks[0] = (struct vsnd_jack_cfg){
		.hda_fn_nid = 0,
		.features = 0,
		.hda_reg_defconf = 0x00200000, /* headphone (HDA 7.3.3.31 device field 0x2) */
		.hda_reg_caps = 0x0000001c,    /* presence detect, headphone drive, output */
		.connected = 1,
	};
	const uint64_t formats = 1ull << VIRTIO_SND_PCM_FMT_U8 | 1ull << VIRTIO_SND_PCM_FMT_S16 |
				 1ull << VIRTIO_SND_PCM_FMT_S24_3 | 1ull << VIRTIO_SND_PCM_FMT_S24 |
				 1ull << VIRTIO_SND_PCM_FMT_S32 | 1ull << VIRTIO_SND_PCM_FMT_FLOAT;
	cfg->nstreams = 2;
	for (uint32_t i = 0; i < 2; i++)
		cfg->streams[i] = (struct vsnd_stream_cfg){
			.hda_fn_nid = 0,
			.features = 0,
			.formats = formats,
			.rates = (1ull << VIRTIO_SND_PCM_RATE_COUNT) - 1,
			.direction = i == 0 ? VIRTIO_SND_D_OUTPUT : VIRTIO_SND_D_INPUT,
			.channels_min = 1,
			.channels_max = 8,
		};
	/* Positions (5.14.6.9.1): 2 = MONO, 3 = FL, 4 = FR. */
	cfg->nchmaps = 4;
	for (uint32_t d = 0; d < 2; d++) {
		cfg->chmaps[2 * d] = (struct vsnd_chmap_cfg){
			.direction = (uint8_t)d, .channels = 1, .positions = { 2 } };
		cfg->chmaps[2 * d + 1] = (struct vsnd_chmap_cfg){
			.direction = (uint8_t)d, .channels = 2, .positions = { 3, 4 } };
	}
}

/* Features the device can honour (no shared memory transport). */
#define SND_PCM_FEATURES_OK \
	(1u << VIRTIO_SND_PCM_F_MSG_POLLING | 1u << VIRTIO_SND_PCM_F_EVT_XRUNS)

static int config_valid(const struct vsnd_config *cfg)
{
	if (cfg->njacks > VSND_MAX_JACKS || cfg->nstreams > VSND_MAX_STREAMS ||
	    cfg->nchmaps > VSND_MAX_CHMAPS)
		return 0;
	for (uint32_t i = 0; i < cfg->njacks; i++) {
		const struct vsnd_jack_cfg *j = &cfg->jacks[i];
		if ((j->features & ~(1u << VIRTIO_SND_JACK_F_REMAP)) || j->connected > 1)
			return 0;
	}
	for (uint32_t i = 0; i < cfg->nstreams; i++) {
		const struct vsnd_stream_cfg *s = &cfg->streams[i];
		if (s->direction > VIRTIO_SND_D_INPUT || (s->features & ~SND_PCM_FEATURES_OK))
			return 0;
		if (!s->formats || (s->formats >> VIRTIO_SND_PCM_FMT_COUNT))
			return 0;
		for (uint32_t f = 0; f < VIRTIO_SND_PCM_FMT_COUNT; f++)
			if ((s->formats >> f & 1) && !vsnd_format_bytes((uint8_t)f))
				return 0;
		if (!s->rates || (s->rates >> VIRTIO_SND_PCM_RATE_COUNT))
			return 0;
		if (s->channels_min == 0 || s->channels_min > s->channels_max)
			return 0;
	}
	for (uint32_t i = 0; i < cfg->nchmaps; i++) {
		const struct vsnd_chmap_cfg *m = &cfg->chmaps[i];
		if (m->direction > VIRTIO_SND_D_INPUT || m->channels > VIRTIO_SND_CHMAP_MAX_SIZE)
			return 0;
		for (uint32_t c = 0; c < m->channels; c++)
			if (m->positions[c] > 36) /* 5.14.6.9.1: positions 0..36 */
				return 0;
	}
	return 1;
}

/* ---- lifecycle ---- */

struct vsnd_dev *vsnd_dev_new(const struct vsnd_config *cfg, const struct vsnd_host *host)
{
	struct vsnd_config def;
	if (!cfg) {
		vsnd_config_default(&def);
		cfg = &def;
	}
	if (!host || !config_valid(cfg))
		return NULL;
	struct vsnd_dev *dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->cfg = *cfg;
	dev->host = *host;
	dev->clock = host->clock ? host->clock : &vsnd_clock_monotonic;
	dev->passive_waits = vsnd_clock_passive_waits(dev->clock);
	if (pthread_mutex_init(&dev->mu, NULL)) {
		free(dev);
		return NULL;
	}
	if (pthread_cond_init(&dev->idle_cv, NULL)) {
		pthread_mutex_destroy(&dev->mu);
		free(dev);
		return NULL;
	}
	if (pthread_cond_init(&dev->quiet_cv, NULL)) {
		pthread_cond_destroy(&dev->idle_cv);
		pthread_mutex_destroy(&dev->mu);
		free(dev);
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->njacks; i++)
		dev->jacks[i].connected = cfg->jacks[i].connected;
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++) {
		struct snd_stream *s = &dev->st[i];
		s->id = i;
		if (i < cfg->nstreams)
			s->cfg = cfg->streams[i];
		s->sink = host->sinks[i];
	}
	if (snd_workers_start(dev)) {
		/* The sinks stay owned by the caller when construction fails. */
		for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++)
			dev->st[i].sink = NULL;
		vsnd_dev_free(dev);
		return NULL;
	}
	return dev;
}

static void discard_all(struct vsnd_dev *dev)
{
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++) {
		struct snd_stream *s = &dev->st[i];
		snd_wait_not_busy(dev, s);
		snd_discard(dev, s);
		snd_sink_close(s);
		s->state = VSND_PCM_INIT;
		s->features = 0;
		memset(&s->p, 0, sizeof(s->p));
		s->anchored = false;
	}
	while (dev->evq_head) {
		struct snd_evq_node *n = dev->evq_head;
		dev->evq_head = n->next;
		vsnd_chain_discard(n->chain);
		free(n);
	}
	dev->evq_tail = NULL;
	dev->ev_first = dev->ev_count = 0;
	for (uint32_t i = 0; i < VSND_MAX_JACKS; i++)
		dev->jacks[i].association = dev->jacks[i].sequence = 0;
}

void vsnd_dev_free(struct vsnd_dev *dev)
{
	if (!dev)
		return;
	snd_workers_stop(dev);
	pthread_mutex_lock(&dev->mu);
	discard_all(dev);
	pthread_mutex_unlock(&dev->mu);
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++) {
		struct snd_stream *s = &dev->st[i];
		if (s->sink && s->sink->ops->destroy)
			s->sink->ops->destroy(s->sink);
		free(s->stage);
	}
	pthread_cond_destroy(&dev->quiet_cv);
	pthread_cond_destroy(&dev->idle_cv);
	pthread_mutex_destroy(&dev->mu);
	free(dev);
}

void vsnd_dev_config_read(struct vsnd_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	uint8_t cs[16];
	snd_put_u32(cs + 0, dev->cfg.njacks);
	snd_put_u32(cs + 4, dev->cfg.nstreams);
	snd_put_u32(cs + 8, dev->cfg.nchmaps);
	snd_put_u32(cs + 12, 0); /* controls: 1.3 only, F_CTLS never offered */
	uint8_t *out = buf;
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = (uint64_t)off + i;
		out[i] = o < sizeof(cs) ? cs[o] : 0;
	}
}

/* ---- events (5.14.6.5, 5.14.6.7; facts 3.10) ---- */

/* With dev->mu held: pair pending events with posted eventq buffers. */
static void deliver_events(struct vsnd_dev *dev)
{
	while (dev->driver_ok && dev->ev_count && dev->evq_head) {
		struct snd_evq_node *n = dev->evq_head;
		dev->evq_head = n->next;
		if (!dev->evq_head)
			dev->evq_tail = NULL;
		const struct virtio_snd_event *e = &dev->events[dev->ev_first];
		uint8_t b[8];
		snd_put_u32(b, e->code);
		snd_put_u32(b + 4, e->data);
		dev->ev_first = (dev->ev_first + 1) % SND_EVENT_FIFO;
		dev->ev_count--;
		uint32_t n_written = vsnd_chain_write(n->chain, 0, b, sizeof(b));
		vsnd_chain_complete(n->chain, n_written == sizeof(b) ? 8 : 0);
		free(n);
	}
}

void snd_queue_event(struct vsnd_dev *dev, uint32_t code, uint32_t data)
{
	if (!dev->driver_ok)
		return; /* facts 4.8.5: events before DRIVER_OK may be lost by the guest */
	if (dev->ev_count == SND_EVENT_FIFO) {
		/* Full: the oldest event is the least useful one; drop it. */
		dev->ev_first = (dev->ev_first + 1) % SND_EVENT_FIFO;
		dev->ev_count--;
	}
	uint32_t slot = (dev->ev_first + dev->ev_count) % SND_EVENT_FIFO;
	dev->events[slot].code = code;
	dev->events[slot].data = data;
	dev->ev_count++;
	deliver_events(dev);
}

static void event_submit(struct vsnd_dev *dev, struct vsnd_chain *c)
{
	/* 5.14.5.1: event buffers are writable and at least 8 bytes; anything else is returned
	 * unused (facts 5). */
	if (c->rlen || c->wlen < sizeof(struct virtio_snd_event) || c->malformed) {
		vsnd_chain_complete(c, 0);
		return;
	}
	struct snd_evq_node *n = calloc(1, sizeof(*n));
	if (!n) {
		vsnd_chain_complete(c, 0);
		return;
	}
	n->chain = c;
	if (dev->evq_tail)
		dev->evq_tail->next = n;
	else
		dev->evq_head = n;
	dev->evq_tail = n;
	deliver_events(dev);
}

void vsnd_dev_set_jack(struct vsnd_dev *dev, uint32_t jack_id, int connected)
{
	pthread_mutex_lock(&dev->mu);
	if (jack_id < dev->cfg.njacks) {
		uint8_t c = connected ? 1 : 0;
		if (dev->jacks[jack_id].connected != c) {
			dev->jacks[jack_id].connected = c;
			snd_queue_event(dev, c ? VIRTIO_SND_EVT_JACK_CONNECTED
					       : VIRTIO_SND_EVT_JACK_DISCONNECTED,
					jack_id);
		}
	}
	pthread_mutex_unlock(&dev->mu);
}

/* ---- queues ---- */

void vsnd_dev_driver_ok(struct vsnd_dev *dev)
{
	pthread_mutex_lock(&dev->mu);
	dev->driver_ok = true;
	deliver_events(dev);
	pthread_mutex_unlock(&dev->mu);
}

void vsnd_dev_submit(struct vsnd_dev *dev, struct vsnd_chain *c)
{
	pthread_mutex_lock(&dev->mu);
	switch (c->queue) {
	case VSND_VQ_CONTROL:
		/* facts 4.8.9: strictly in order, even if a request waits with mu released. */
		while (dev->ctl_active)
			pthread_cond_wait(&dev->idle_cv, &dev->mu);
		dev->ctl_active = true;
		snd_ctl(dev, c);
		dev->ctl_active = false;
		pthread_cond_broadcast(&dev->idle_cv);
		break;
	case VSND_VQ_EVENT:
		event_submit(dev, c);
		break;
	case VSND_VQ_TX:
	case VSND_VQ_RX:
		snd_io_submit(dev, c);
		break;
	default:
		vsnd_chain_complete(c, 0);
		break;
	}
	pthread_mutex_unlock(&dev->mu);
}

void vsnd_dev_reset(struct vsnd_dev *dev)
{
	pthread_mutex_lock(&dev->mu);
	while (dev->ctl_active)
		pthread_cond_wait(&dev->idle_cv, &dev->mu);
	dev->driver_ok = false;
	discard_all(dev);
	snd_kick(dev, VIRTIO_SND_D_OUTPUT);
	snd_kick(dev, VIRTIO_SND_D_INPUT);
	pthread_mutex_unlock(&dev->mu);
}

int vsnd_dev_stream_stats(struct vsnd_dev *dev, uint32_t stream_id, struct vsnd_stream_stats *out)
{
	if (stream_id >= dev->cfg.nstreams)
		return -1;
	pthread_mutex_lock(&dev->mu);
	struct snd_stream *s = &dev->st[stream_id];
	*out = s->stats;
	out->state = s->state;
	out->queued = s->qcount + (s->playing ? 1 : 0);
	pthread_mutex_unlock(&dev->mu);
	return 0;
}
