/* pcm_vsnd_clock.c - test-only ALSA ioplug playback PCM "vsnd_clock" that consumes frames at
 * the real rate (CLOCK_MONOTONIC) and discards them, so the alsa sink's pacing and underrun
 * handling can be tested without sound hardware (alsa-lib's null PCM has no clock).
 *
 * Config: type vsnd_clock; optional `rate N` restricts the rate to N Hz (default
 * 8000..192000). Formats U8 S16_LE S24_3LE S24_LE S32_LE FLOAT_LE, 1..8 channels.
 * Underrun: when the clock has consumed more frames than the application has written since
 * start, pointer() answers -EPIPE, which ioplug turns into the XRUN state and -EPIPE from
 * snd_pcm_writei(). Wake-ups come from a periodic timerfd (one period). */
#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct vclk {
	snd_pcm_ioplug_t io;
	int tfd;
	uint64_t start_ns;
	int running;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void arm(struct vclk *c, uint64_t period_ns)
{
	struct itimerspec it = { 0 };
	it.it_interval.tv_sec = (time_t)(period_ns / 1000000000u);
	it.it_interval.tv_nsec = (long)(period_ns % 1000000000u);
	it.it_value = it.it_interval;
	timerfd_settime(c->tfd, 0, &it, NULL);
}

static int vclk_start(snd_pcm_ioplug_t *io)
{
	struct vclk *c = io->private_data;
	c->start_ns = mono_ns();
	c->running = 1;
	arm(c, (uint64_t)io->period_size * 1000000000u / io->rate);
	return 0;
}

static int vclk_stop(snd_pcm_ioplug_t *io)
{
	struct vclk *c = io->private_data;
	c->running = 0;
	arm(c, 0);
	return 0;
}

/* Frames the clock has consumed since start (0 when stopped). */
static uint64_t consumed(struct vclk *c)
{
	if (!c->running)
		return 0;
	return (mono_ns() - c->start_ns) * c->io.rate / 1000000000u;
}

static snd_pcm_sframes_t vclk_pointer(snd_pcm_ioplug_t *io)
{
	struct vclk *c = io->private_data;
	uint64_t done = consumed(c);
	if (done > io->appl_ptr) {
		if (io->state != SND_PCM_STATE_DRAINING)
			return -EPIPE;
		done = io->appl_ptr; /* draining: everything written has been played */
	}
	return (snd_pcm_sframes_t)(done % io->buffer_size);
}

static snd_pcm_sframes_t vclk_transfer(snd_pcm_ioplug_t *io, const snd_pcm_channel_area_t *areas,
				       snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
	(void)io;
	(void)areas;
	(void)offset;
	return (snd_pcm_sframes_t)size; /* consumed; the data itself is not needed */
}

static int vclk_poll_revents(snd_pcm_ioplug_t *io, struct pollfd *pfd, unsigned int nfds,
			     unsigned short *revents)
{
	struct vclk *c = io->private_data;
	uint64_t ticks;
	(void)pfd;
	(void)nfds;
	if (read(c->tfd, &ticks, sizeof(ticks)) < 0) {
		/* nothing pending: fine, the caller re-checks avail */
	}
	*revents = POLLOUT;
	return 0;
}

static int vclk_prepare(snd_pcm_ioplug_t *io)
{
	struct vclk *c = io->private_data;
	c->running = 0;
	arm(c, 0);
	return 0;
}

static int vclk_close(snd_pcm_ioplug_t *io)
{
	struct vclk *c = io->private_data;
	close(c->tfd);
	free(c);
	return 0;
}

static const snd_pcm_ioplug_callback_t vclk_cb = {
	.start = vclk_start,
	.stop = vclk_stop,
	.pointer = vclk_pointer,
	.transfer = vclk_transfer,
	.poll_revents = vclk_poll_revents,
	.prepare = vclk_prepare,
	.close = vclk_close,
};

SND_PCM_PLUGIN_DEFINE_FUNC(vsnd_clock)
{
	snd_config_iterator_t i, next;
	long rate = 0;
	int err;
	(void)root;

	snd_config_for_each(i, next, conf) {
		snd_config_t *n = snd_config_iterator_entry(i);
		const char *id;
		if (snd_config_get_id(n, &id) < 0)
			continue;
		if (!strcmp(id, "comment") || !strcmp(id, "type") || !strcmp(id, "hint"))
			continue;
		if (!strcmp(id, "rate")) {
			if (snd_config_get_integer(n, &rate) < 0)
				return -EINVAL;
			continue;
		}
		SNDERR("vsnd_clock: unknown field %s", id);
		return -EINVAL;
	}
	if (stream != SND_PCM_STREAM_PLAYBACK)
		return -ENOTSUP;

	struct vclk *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->tfd < 0) {
		free(c);
		return -errno;
	}
	c->io.version = SND_PCM_IOPLUG_VERSION;
	c->io.name = "vsnd test clock";
	c->io.callback = &vclk_cb;
	c->io.private_data = c;
	c->io.poll_fd = c->tfd;
	c->io.poll_events = POLLIN;
	c->io.mmap_rw = 0;
	if ((err = snd_pcm_ioplug_create(&c->io, name, stream, mode)) < 0) {
		close(c->tfd);
		free(c);
		return err;
	}

	static const unsigned int access[] = { SND_PCM_ACCESS_RW_INTERLEAVED };
	static const unsigned int formats[] = { SND_PCM_FORMAT_U8, SND_PCM_FORMAT_S16_LE,
						SND_PCM_FORMAT_S24_3LE, SND_PCM_FORMAT_S24_LE,
						SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_FLOAT_LE };
	if ((err = snd_pcm_ioplug_set_param_list(&c->io, SND_PCM_IOPLUG_HW_ACCESS, 1, access)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_list(&c->io, SND_PCM_IOPLUG_HW_FORMAT, 6, formats)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_minmax(&c->io, SND_PCM_IOPLUG_HW_CHANNELS, 1, 8)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_minmax(&c->io, SND_PCM_IOPLUG_HW_RATE,
						   rate ? (unsigned)rate : 8000,
						   rate ? (unsigned)rate : 192000)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_minmax(&c->io, SND_PCM_IOPLUG_HW_PERIOD_BYTES, 64,
						   1 << 20)) < 0 ||
	    (err = snd_pcm_ioplug_set_param_minmax(&c->io, SND_PCM_IOPLUG_HW_PERIODS, 2, 1024)) < 0) {
		snd_pcm_ioplug_delete(&c->io);
		return err;
	}
	*pcmp = c->io.pcm;
	return 0;
}

SND_PCM_PLUGIN_SYMBOL(vsnd_clock);
