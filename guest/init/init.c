/* init.c - the guest's /init: a freestanding static ALSA player/recorder for the virtio-snd
 * card (raw ioctls on /dev/snd/pcmC0D0p and pcmC0D0c), driven by vsnd_* words on the kernel
 * command line; prints "vsnd: ..." lines on the console and powers the machine off.
 *
 * Console contract (one line each, in this order):
 *   vsnd: init t_ms=T                         first thing /init does (T = CLOCK_MONOTONIC)
 *   vsnd: config mode=M scenario=S period=P periods=N file=F loop=L
 *   vsnd: wav format=FMT rate=R channels=C frames=F         (play and scenario modes)
 *   vsnd: pcm dir=play|capture format=FMT rate=R channels=C period=P buffer=B
 *   vsnd: xrun_debug=3                                       (vsnd_xrun_debug=1)
 *   vsnd: xrun n=K                           each -EPIPE from WRITEI/READI (then PREPARE)
 *   vsnd: pause hw_ptr=A..B ms=MS state=PAUSED|... / vsnd: drop at=F / vsnd: stall ms=MS
 *   vsnd: prepare-only ok / vsnd: badrate rate=R refine_err=E
 *   vsnd: play n=I frames=F padded=W elapsed_ms=E xruns=X   one per completed playback
 *                                            (F = file frames x vsnd_loop)
 *   vsnd: capture frames=N fnv1a=xxxxxxxx   FNV-1a 32 over the captured bytes, lowercase hex
 *   vsnd: result ok frames=F elapsed_ms=E xruns=X mode=M scenario=S
 *   vsnd: result fail step=STEP err=E [detail]
 * then reboot(POWER_OFF); with vsnd_fail=reboot a failure uses reboot(RESTART) instead, which
 * reaches the SBI as a cold reboot rather than a shutdown. */
#include <linux/ioctl.h>
#include <sound/asound.h>

#include "initlib.h"
#include "sys.h"

_Static_assert(SNDRV_PCM_IOCTL_HW_PARAMS == 0xc25c4111, "hw_params layout (rv32)");
_Static_assert(SNDRV_PCM_IOCTL_SW_PARAMS == 0xc0684113, "sw_params layout (rv32, time64)");
_Static_assert(SNDRV_PCM_IOCTL_WRITEI_FRAMES == 0x400c4150, "xferi layout (rv32)");
_Static_assert(sizeof(struct snd_pcm_status) == 128, "status must match the kernel's STATUS64");

#define EPIPE 32
#define ENOENT 2
#define EINVAL 22
#define EIO 5

/* Everything the program knows; lives on init_main's stack. */
struct vg {
	long out; /* console fd */
	struct vg_opts o;
	struct vg_wav wav;
	uint32_t file_frames; /* whole frames actually in the file (data chunk clamped by EOF) */
	uint8_t *buf;         /* one period */
	uint32_t buf_bytes;
	const char *step;     /* what failed, for the result line */
	const char *detail;
	uint32_t frames, xruns, elapsed_ms, plays;
};

struct line {
	char b[320];
	uint32_t n;
};

static void l_s(struct line *l, const char *s)
{
	while (*s && l->n < sizeof(l->b) - 1)
		l->b[l->n++] = *s++;
}
static void l_u(struct line *l, uint32_t v)
{
	if (l->n + 11 < sizeof(l->b))
		l->n += vg_fmt_u32(l->b + l->n, v);
}
static void l_i(struct line *l, int32_t v)
{
	if (l->n + 12 < sizeof(l->b))
		l->n += vg_fmt_i32(l->b + l->n, v);
}
static void l_x(struct line *l, uint32_t v)
{
	if (l->n + 9 < sizeof(l->b))
		l->n += vg_fmt_hex32(l->b + l->n, v);
}
static void l_kv(struct line *l, const char *k, uint32_t v)
{
	l_s(l, " ");
	l_s(l, k);
	l_s(l, "=");
	l_u(l, v);
}
static void l_start(struct line *l, const char *what)
{
	l->n = 0;
	l_s(l, "vsnd: ");
	l_s(l, what);
}
static void l_end(struct vg *g, struct line *l)
{
	l->b[l->n++] = '\n';
	sys_write(g->out, l->b, l->n);
}
static void say(struct vg *g, const char *msg)
{
	struct line l;
	l_start(&l, msg);
	l_end(g, &l);
}

static uint32_t now_ms(void)
{
	struct vg_timespec64 ts = {0, 0};
	sys_clock_gettime(&ts);
	return (uint32_t)ts.tv_sec * 1000u + (uint32_t)ts.tv_nsec / 1000000u;
}

static int fail(struct vg *g, const char *step, long err)
{
	g->step = step;
	return err < 0 ? (int)err : -EIO;
}

/* ---- PCM setup ------------------------------------------------------------------------ */

struct pcm {
	long fd;
	int capture;
	uint32_t alsa_format, rate, channels, period, buffer, frame_bytes;
	uint8_t silence;
};

static uint32_t alsa_format(enum vg_format f)
{
	switch (f) {
	case VG_FMT_U8:
		return SNDRV_PCM_FORMAT_U8;
	case VG_FMT_S16_LE:
		return SNDRV_PCM_FORMAT_S16_LE;
	case VG_FMT_S24_3LE:
		return SNDRV_PCM_FORMAT_S24_3LE;
	case VG_FMT_S24_LE:
		return SNDRV_PCM_FORMAT_S24_LE;
	case VG_FMT_S32_LE:
		return SNDRV_PCM_FORMAT_S32_LE;
	default:
		return SNDRV_PCM_FORMAT_FLOAT_LE;
	}
}

static struct snd_interval *ival(struct snd_pcm_hw_params *p, int param)
{
	return &p->intervals[param - SNDRV_PCM_HW_PARAM_FIRST_INTERVAL];
}

static void ival_set(struct snd_pcm_hw_params *p, int param, uint32_t v)
{
	struct snd_interval *i = ival(p, param);
	i->min = v;
	i->max = v;
	i->openmin = 0;
	i->openmax = 0;
	i->integer = 1;
	i->empty = 0;
}

static void mask_only(struct snd_pcm_hw_params *p, int param, uint32_t bit)
{
	struct snd_mask *m = &p->masks[param - SNDRV_PCM_HW_PARAM_FIRST_MASK];
	for (unsigned i = 0; i < sizeof(m->bits) / sizeof(m->bits[0]); i++)
		m->bits[i] = 0;
	m->bits[bit >> 5] = 1u << (bit & 31);
}

/* Everything allowed (alsa-lib's snd_pcm_hw_params_any), then our exact choices. */
static void hw_exact(struct snd_pcm_hw_params *p, const struct pcm *c)
{
	uint8_t *raw = (uint8_t *)p;
	for (uint32_t i = 0; i < sizeof(*p); i++)
		raw[i] = 0;
	for (int k = SNDRV_PCM_HW_PARAM_FIRST_MASK; k <= SNDRV_PCM_HW_PARAM_LAST_MASK; k++) {
		struct snd_mask *m = &p->masks[k - SNDRV_PCM_HW_PARAM_FIRST_MASK];
		for (unsigned i = 0; i < sizeof(m->bits) / sizeof(m->bits[0]); i++)
			m->bits[i] = ~0u;
	}
	for (int k = SNDRV_PCM_HW_PARAM_FIRST_INTERVAL; k <= SNDRV_PCM_HW_PARAM_LAST_INTERVAL;
	     k++) {
		ival(p, k)->min = 0;
		ival(p, k)->max = ~0u;
	}
	p->rmask = ~0u;
	p->info = ~0u;
	mask_only(p, SNDRV_PCM_HW_PARAM_ACCESS, SNDRV_PCM_ACCESS_RW_INTERLEAVED);
	mask_only(p, SNDRV_PCM_HW_PARAM_FORMAT, c->alsa_format);
	mask_only(p, SNDRV_PCM_HW_PARAM_SUBFORMAT, SNDRV_PCM_SUBFORMAT_STD);
	ival_set(p, SNDRV_PCM_HW_PARAM_CHANNELS, c->channels);
	ival_set(p, SNDRV_PCM_HW_PARAM_RATE, c->rate);
	ival_set(p, SNDRV_PCM_HW_PARAM_PERIOD_SIZE, c->period);
	ival_set(p, SNDRV_PCM_HW_PARAM_BUFFER_SIZE, c->buffer);
	ival_set(p, SNDRV_PCM_HW_PARAM_PERIODS, c->buffer / c->period);
}

static long open_pcm(int capture)
{
	const char *dev = capture ? "/dev/snd/pcmC0D0c" : "/dev/snd/pcmC0D0p";
	long fd = -ENOENT;
	/* The built-in driver probes the card before /init runs; allow 0.5 s of slack anyway. */
	for (int tries = 0; tries < 5; tries++) {
		fd = sys_openat(dev, O_RDWR);
		if (fd != -ENOENT)
			break;
		sys_sleep_ms(100);
	}
	return fd;
}

static void pcm_close(struct pcm *c)
{
	if (c->fd >= 0)
		sys_close(c->fd);
	c->fd = -1;
}

/* Opens and configures (HW_REFINE, HW_PARAMS exact, SW_PARAMS, PREPARE) one stream. */
static int pcm_open(struct vg *g, struct pcm *c, int capture, enum vg_format f, uint32_t rate,
		    uint32_t channels, int print)
{
	c->capture = capture;
	c->alsa_format = alsa_format(f);
	c->rate = rate;
	c->channels = channels;
	c->period = g->o.period;
	c->buffer = g->o.period * g->o.periods;
	c->frame_bytes = channels * vg_format_bytes(f);
	c->silence = vg_format_silence(f);
	c->fd = open_pcm(capture);
	if (c->fd < 0)
		return fail(g, "open_pcm", c->fd);
	int pversion = SNDRV_PCM_VERSION;
	sys_ioctl(c->fd, SNDRV_PCM_IOCTL_USER_PVERSION, &pversion);

	struct snd_pcm_hw_params hw;
	hw_exact(&hw, c);
	long r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_HW_REFINE, &hw);
	if (r < 0)
		return fail(g, "hw_refine", r);
	hw_exact(&hw, c);
	r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_HW_PARAMS, &hw);
	if (r < 0)
		return fail(g, "hw_params", r);
	if (ival(&hw, SNDRV_PCM_HW_PARAM_PERIOD_SIZE)->min != c->period ||
	    ival(&hw, SNDRV_PCM_HW_PARAM_BUFFER_SIZE)->min != c->buffer ||
	    ival(&hw, SNDRV_PCM_HW_PARAM_RATE)->min != c->rate) {
		g->detail = "kernel chose other period/buffer/rate";
		return fail(g, "hw_params", -EINVAL);
	}

	struct snd_pcm_sw_params sw;
	uint8_t *raw = (uint8_t *)&sw;
	for (uint32_t i = 0; i < sizeof(sw); i++)
		raw[i] = 0;
	sw.tstamp_mode = SNDRV_PCM_TSTAMP_NONE;
	sw.period_step = 1;
	sw.avail_min = c->period;
	/* Playback starts once the whole buffer is written (or at DRAIN); capture at READI. */
	sw.start_threshold = capture ? 1 : c->buffer;
	sw.stop_threshold = c->buffer;
	sw.proto = SNDRV_PCM_VERSION;
	r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_SW_PARAMS, &sw);
	if (r < 0)
		return fail(g, "sw_params", r);
	/* Silence fill (ALSA "fill mode": silence_size >= boundary, threshold 0): the kernel keeps
	 * every frame ahead of appl_ptr silent. The 6.1 driver keeps all periods queued, so after
	 * the last written period the device may start the next one before STOP arrives (facts
	 * sheet 4.8 item 11); with this it plays silence there, never stale buffer content. The
	 * kernel reported the boundary in the first call. */
	if (!capture) {
		sw.silence_threshold = 0;
		sw.silence_size = sw.boundary;
		r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_SW_PARAMS, &sw);
		if (r < 0)
			return fail(g, "sw_params silence", r);
	}
	r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_PREPARE, 0);
	if (r < 0)
		return fail(g, "prepare", r);
	if (print) {
		struct line l;
		l_start(&l, "pcm dir=");
		l_s(&l, capture ? "capture" : "play");
		l_s(&l, " format=");
		l_s(&l, vg_format_name(f));
		l_kv(&l, "rate", c->rate);
		l_kv(&l, "channels", c->channels);
		l_kv(&l, "period", c->period);
		l_kv(&l, "buffer", c->buffer);
		l_end(g, &l);
	}
	return 0;
}

static int xrun_recover(struct vg *g, struct pcm *c, uint32_t *xruns)
{
	struct line l;
	(*xruns)++;
	l_start(&l, "xrun");
	l_kv(&l, "n", *xruns);
	l_end(g, &l);
	long r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_PREPARE, 0);
	return r < 0 ? fail(g, "xrun_prepare", r) : 0;
}

/* Writes `frames` frames, recovering from underruns (-EPIPE) with PREPARE. */
static int write_frames(struct vg *g, struct pcm *c, const uint8_t *p, uint32_t frames,
			uint32_t *xruns)
{
	while (frames) {
		struct snd_xferi x = {0, (void *)p, frames};
		long r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_WRITEI_FRAMES, &x);
		if (r == -EPIPE) {
			if (xrun_recover(g, c, xruns))
				return -EIO;
			continue;
		}
		if (r < 0)
			return fail(g, "write", r);
		if (x.result <= 0 || (uint32_t)x.result > frames)
			return fail(g, "write", -EIO);
		p += (uint32_t)x.result * c->frame_bytes;
		frames -= (uint32_t)x.result;
	}
	return 0;
}

static uint32_t read_full(long fd, uint8_t *p, uint32_t n)
{
	uint32_t got = 0;
	while (got < n) {
		long r = sys_read(fd, p + got, n - got);
		if (r <= 0)
			break;
		got += (uint32_t)r;
	}
	return got;
}

static int status(struct pcm *c, struct snd_pcm_status *st)
{
	uint8_t *raw = (uint8_t *)st;
	for (uint32_t i = 0; i < sizeof(*st); i++)
		raw[i] = 0;
	return (int)sys_ioctl(c->fd, SNDRV_PCM_IOCTL_STATUS, st);
}

static const char *state_name(int s)
{
	static const char *const names[] = {"OPEN",     "SETUP",    "PREPARED", "RUNNING",
					    "XRUN",     "DRAINING", "PAUSED",   "SUSPENDED"};
	return (s >= 0 && s < 8) ? names[s] : "?";
}

/* ---- scenario hooks ------------------------------------------------------------------- */

enum hook { HOOK_NONE, HOOK_PAUSE, HOOK_DROP, HOOK_STALL };

static int hook_pause(struct vg *g, struct pcm *c)
{
	struct snd_pcm_status a, b;
	long r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_PAUSE, (void *)1);
	if (r < 0)
		return fail(g, "pause", r);
	if (status(c, &a) < 0)
		return fail(g, "status", -EIO);
	sys_sleep_ms(g->o.pause_ms);
	if (status(c, &b) < 0)
		return fail(g, "status", -EIO);
	struct line l;
	l_start(&l, "pause hw_ptr=");
	l_u(&l, (uint32_t)a.hw_ptr);
	l_s(&l, "..");
	l_u(&l, (uint32_t)b.hw_ptr);
	l_kv(&l, "ms", g->o.pause_ms);
	l_s(&l, " state=");
	l_s(&l, state_name((int)b.state));
	l_end(g, &l);
	r = sys_ioctl(c->fd, SNDRV_PCM_IOCTL_PAUSE, (void *)0);
	if (r < 0)
		return fail(g, "resume", r);
	if (b.state != SNDRV_PCM_STATE_PAUSED) {
		g->detail = "stream not paused";
		return fail(g, "pause", -EINVAL);
	}
	return 0;
}

/* ---- play and capture ----------------------------------------------------------------- */

/* Reads up to `want` frames of the file into `dst`, continuing from the start of the data
 * chunk whenever *pos reaches the end of the file (vsnd_loop). Returns the frames read; fewer
 * than `want` only if the file ended early (shrank, or a read error). */
static uint32_t read_looped(struct vg *g, long fd, uint8_t *dst, uint32_t want, uint32_t *pos)
{
	uint32_t fb = g->wav.frame_bytes, got = 0;
	while (got < want) {
		if (*pos == g->file_frames) {
			if (sys_lseek(fd, g->wav.data_offset) < 0)
				break;
			*pos = 0;
		}
		uint32_t n = want - got;
		if (n > g->file_frames - *pos)
			n = g->file_frames - *pos;
		uint32_t r = read_full(fd, dst + got * fb, n * fb) / fb;
		got += r;
		*pos += r;
		if (r < n)
			break;
	}
	return got;
}

/* Plays the whole file o.loop times back to back in one stream (n = play number for the log
 * line), applying `hook` once when at least `at` frames have been written. Loops join inside
 * a period (no drain or stop between them); only the stream's last partial period is padded
 * with silence, so the device, which always consumes whole periods, never plays stale buffer
 * content. */
static int play(struct vg *g, enum hook hook, uint32_t at)
{
	struct pcm c;
	uint32_t xruns = 0;
	int r = pcm_open(g, &c, 0, g->wav.format, g->wav.rate, g->wav.channels, g->plays == 0);
	if (r) {
		pcm_close(&c);
		return r;
	}
	long fd = sys_openat(g->o.file, O_RDONLY);
	if (fd < 0) {
		pcm_close(&c);
		return fail(g, "open_file", fd);
	}
	/* run() checked that file_frames x loop + a period fits in 32 bits. */
	uint32_t fb = c.frame_bytes, total = g->file_frames * g->o.loop, written, padded, t0, pos;
	int hook_done = hook == HOOK_NONE;
restart:
	written = 0;
	padded = 0;
	pos = 0;
	t0 = now_ms();
	if (sys_lseek(fd, g->wav.data_offset) < 0) {
		r = fail(g, "seek", -EIO);
		goto out;
	}
	while (written < total) {
		uint32_t n = total - written;
		if (n > c.period)
			n = c.period;
		uint32_t want = n;
		n = read_looped(g, fd, g->buf, want, &pos);
		if (n == 0)
			break;
		uint32_t out = n;
		if (n < c.period) {
			for (uint32_t i = n * fb; i < c.period * fb; i++)
				g->buf[i] = c.silence;
			out = c.period;
		}
		if ((r = write_frames(g, &c, g->buf, out, &xruns)))
			goto out;
		written += n;
		padded += out;
		if (n < want)
			break; /* the file ended early: what was read is played, padded */
		if (hook_done || written < at)
			continue;
		hook_done = 1;
		if (hook == HOOK_PAUSE) {
			if ((r = hook_pause(g, &c)))
				goto out;
		} else if (hook == HOOK_STALL) {
			struct line l;
			l_start(&l, "stall");
			l_kv(&l, "ms", g->o.stall_ms);
			l_end(g, &l);
			sys_sleep_ms(g->o.stall_ms);
		} else if (hook == HOOK_DROP) {
			struct line l;
			l_start(&l, "drop");
			l_kv(&l, "at", written);
			l_end(g, &l);
			long e = sys_ioctl(c.fd, SNDRV_PCM_IOCTL_DROP, 0);
			if (e < 0) {
				r = fail(g, "drop", e);
				goto out;
			}
			e = sys_ioctl(c.fd, SNDRV_PCM_IOCTL_PREPARE, 0);
			if (e < 0) {
				r = fail(g, "prepare", e);
				goto out;
			}
			goto restart;
		}
	}
	long e = sys_ioctl(c.fd, SNDRV_PCM_IOCTL_DRAIN, 0);
	if (e == -EPIPE) {
		xrun_recover(g, &c, &xruns);
	} else if (e < 0) {
		r = fail(g, "drain", e);
		goto out;
	}
	uint32_t ms = now_ms() - t0;
	g->plays++;
	g->frames += written;
	g->xruns += xruns;
	g->elapsed_ms += ms;
	struct line l;
	l_start(&l, "play");
	l_kv(&l, "n", g->plays);
	l_kv(&l, "frames", written);
	l_kv(&l, "padded", padded);
	l_kv(&l, "elapsed_ms", ms);
	l_kv(&l, "xruns", xruns);
	l_end(g, &l);
	if (hook != HOOK_NONE && !hook_done) {
		g->detail = "file too short for the scenario (see vsnd_at_frames)";
		r = fail(g, "scenario", -EINVAL);
	}
out:
	sys_close(fd);
	pcm_close(&c);
	return r;
}

static int capture(struct vg *g)
{
	struct pcm c;
	uint32_t xruns = 0, got = 0, h = VG_FNV1A_INIT;
	int r = pcm_open(g, &c, 1, g->o.format, g->o.rate, g->o.channels, 1);
	uint32_t t0 = now_ms();
	while (!r && got < g->o.capture_frames) {
		uint32_t n = g->o.capture_frames - got;
		if (n > c.period)
			n = c.period;
		struct snd_xferi x = {0, g->buf, n};
		long e = sys_ioctl(c.fd, SNDRV_PCM_IOCTL_READI_FRAMES, &x);
		if (e == -EPIPE) {
			r = xrun_recover(g, &c, &xruns);
			continue;
		}
		if (e < 0 || x.result <= 0 || (uint32_t)x.result > n) {
			r = fail(g, "read", e < 0 ? e : -EIO);
			break;
		}
		h = vg_fnv1a(h, g->buf, (uint32_t)x.result * c.frame_bytes);
		got += (uint32_t)x.result;
	}
	if (!r) {
		sys_ioctl(c.fd, SNDRV_PCM_IOCTL_DROP, 0);
		g->frames = got;
		g->xruns = xruns;
		g->elapsed_ms = now_ms() - t0;
		struct line l;
		l_start(&l, "capture");
		l_kv(&l, "frames", got);
		l_s(&l, " fnv1a=");
		l_x(&l, h);
		l_end(g, &l);
	}
	pcm_close(&c);
	return r;
}

/* HW_PARAMS + PREPARE, then close without ever starting. */
static int prepare_only(struct vg *g)
{
	struct pcm c;
	int r = pcm_open(g, &c, 0, g->wav.format, g->wav.rate, g->wav.channels, 1);
	pcm_close(&c);
	if (!r)
		say(g, "prepare-only ok");
	return r;
}

/* A rate no virtio-snd rate bit covers: the kernel's refinement must refuse it. */
static int badrate(struct vg *g)
{
	struct pcm c;
	c.capture = 0;
	c.alsa_format = alsa_format(g->wav.format);
	c.rate = 12345;
	c.channels = g->wav.channels;
	c.period = g->o.period;
	c.buffer = g->o.period * g->o.periods;
	c.fd = open_pcm(0);
	if (c.fd < 0)
		return fail(g, "open_pcm", c.fd);
	struct snd_pcm_hw_params hw;
	hw_exact(&hw, &c);
	long e = sys_ioctl(c.fd, SNDRV_PCM_IOCTL_HW_REFINE, &hw);
	pcm_close(&c);
	struct line l;
	l_start(&l, "badrate");
	l_kv(&l, "rate", 12345);
	l_s(&l, " refine_err=");
	l_i(&l, (int32_t)e);
	l_end(g, &l);
	if (e >= 0) {
		g->detail = "unsupported rate accepted";
		return fail(g, "badrate", -EINVAL);
	}
	return 0;
}

/* ---- setup ---------------------------------------------------------------------------- */

static int write_proc(const char *path, const char *text, uint32_t n)
{
	long fd = sys_openat(path, O_WRONLY);
	if (fd < 0)
		return (int)fd;
	long r = sys_write(fd, text, n);
	sys_close(fd);
	return r < 0 ? (int)r : 0;
}

static int load_wav(struct vg *g)
{
	long fd = sys_openat(g->o.file, O_RDONLY);
	if (fd < 0)
		return fail(g, "open_file", fd);
	/* The header area: "fmt " and "data" must start within the first 4 KiB. */
	uint8_t *hdr = g->buf;
	uint32_t n = read_full(fd, hdr, g->buf_bytes < 4096 ? g->buf_bytes : 4096);
	int r = vg_wav_parse(hdr, n, &g->wav);
	if (r) {
		sys_close(fd);
		g->detail = vg_wav_error(r);
		return fail(g, "wav", -EINVAL);
	}
	/* Clamp the declared data size to what the file holds. */
	uint32_t total = n, chunk;
	while ((chunk = read_full(fd, hdr, g->buf_bytes < 4096 ? g->buf_bytes : 4096)) > 0)
		total += chunk;
	sys_close(fd);
	uint32_t avail = total > g->wav.data_offset ? total - g->wav.data_offset : 0;
	uint32_t bytes = g->wav.data_bytes < avail ? g->wav.data_bytes : avail;
	g->file_frames = bytes / g->wav.frame_bytes;
	struct line l;
	l_start(&l, "wav format=");
	l_s(&l, vg_format_name(g->wav.format));
	l_kv(&l, "rate", g->wav.rate);
	l_kv(&l, "channels", g->wav.channels);
	l_kv(&l, "frames", g->file_frames);
	l_end(g, &l);
	if (g->file_frames == 0) {
		g->detail = "no audio frames";
		return fail(g, "wav", -EINVAL);
	}
	return 0;
}

static int run(struct vg *g)
{
	struct vg_opts *o = &g->o;
	char cmd[2048];
	long fd = sys_openat("/proc/cmdline", O_RDONLY);
	uint32_t n = fd >= 0 ? read_full(fd, (uint8_t *)cmd, sizeof(cmd)) : 0;
	if (fd >= 0)
		sys_close(fd);
	const char *bad = 0;
	uint32_t bad_len = 0;
	if (vg_opts_parse(o, cmd, n, &bad, &bad_len)) {
		struct line l;
		l_start(&l, "bad option: ");
		for (uint32_t i = 0; i < bad_len && l.n < 200; i++)
			l.b[l.n++] = bad[i];
		l_end(g, &l);
		return fail(g, "cmdline", -EINVAL);
	}
	if (o->mode == VG_MODE_SCENARIO && o->scenario == VG_SC_NONE)
		return fail(g, "cmdline", -EINVAL);
	struct line l;
	l_start(&l, "config mode=");
	l_s(&l, o->mode == VG_MODE_PLAY ? "play" : o->mode == VG_MODE_CAPTURE ? "capture"
									     : "scenario");
	l_s(&l, " scenario=");
	l_s(&l, vg_scenario_name(o->mode == VG_MODE_SCENARIO ? o->scenario : VG_SC_NONE));
	l_kv(&l, "period", o->period);
	l_kv(&l, "periods", o->periods);
	l_s(&l, " file=");
	l_s(&l, o->file);
	l_kv(&l, "loop", o->loop);
	l_end(g, &l);

	/* One period of the widest frame (64 channels x 4 bytes), at least the WAV header area. */
	uint32_t fb_max = 64 * 4;
	if (o->period > (16u << 20) / fb_max)
		return fail(g, "cmdline", -EINVAL);
	g->buf_bytes = o->period * fb_max;
	if (g->buf_bytes < 4096)
		g->buf_bytes = 4096;
	g->buf = sys_mmap_anon(g->buf_bytes);
	if (!g->buf)
		return fail(g, "mmap", -EIO);

	if (o->xrun_debug) {
		const char *p = o->mode == VG_MODE_CAPTURE ? "/proc/asound/card0/pcm0c/xrun_debug"
							   : "/proc/asound/card0/pcm0p/xrun_debug";
		int r = write_proc(p, "3\n", 2);
		if (r)
			return fail(g, "xrun_debug", r);
		say(g, "xrun_debug=3");
	}
	if (o->mode == VG_MODE_CAPTURE)
		return capture(g);

	int r = load_wav(g);
	if (r)
		return r;
	/* Frame counters are 32 bits: the looped stream plus one padding period must fit. */
	if (o->loop > (0xffffffffu - o->period) / g->file_frames) {
		g->detail = "vsnd_loop x file frames exceeds 2^32 frames";
		return fail(g, "cmdline", -EINVAL);
	}
	enum vg_scenario sc = o->mode == VG_MODE_SCENARIO ? o->scenario : VG_SC_NONE;
	uint32_t buffer = o->period * o->periods;
	/* Scenario point: past the first full buffer (so the stream is running), by default
	 * half-way through the file. */
	uint32_t at = o->at_frames;
	if (!at) {
		at = (g->file_frames / 2) / o->period * o->period;
		if (at < buffer + o->period)
			at = buffer + o->period;
	}
	if (!o->stall_ms)
		o->stall_ms = buffer / g->wav.rate * 2000u +
			      buffer % g->wav.rate * 2000u / g->wav.rate + 100;
	switch (sc) {
	case VG_SC_TWICE:
		if ((r = play(g, HOOK_NONE, 0)))
			return r;
		return play(g, HOOK_NONE, 0);
	case VG_SC_PAUSE:
		return play(g, HOOK_PAUSE, at);
	case VG_SC_DROP:
		return play(g, HOOK_DROP, at);
	case VG_SC_PREPARE:
		if ((r = prepare_only(g)))
			return r;
		return play(g, HOOK_NONE, 0);
	case VG_SC_BADRATE:
		if ((r = badrate(g)))
			return r;
		return play(g, HOOK_NONE, 0);
	case VG_SC_XRUN:
		if ((r = play(g, HOOK_STALL, at)))
			return r;
		if (g->xruns == 0) {
			g->detail = "no underrun after the stall";
			return fail(g, "xrun", -EINVAL);
		}
		return 0;
	default:
		return play(g, HOOK_NONE, 0);
	}
}

__attribute__((noreturn, used)) void init_main(void)
{
	struct vg g;
	uint8_t *raw = (uint8_t *)&g;
	for (uint32_t i = 0; i < sizeof(g); i++)
		raw[i] = 0;
	g.out = 1;
	vg_opts_default(&g.o);

	struct line l;
	l_start(&l, "init");
	l_kv(&l, "t_ms", now_ms());
	l.b[l.n++] = '\n';
	if (sys_write(g.out, l.b, l.n) < 0) {
		/* No console from the initramfs: use devtmpfs's. */
		sys_mount("devtmpfs", "/dev", "devtmpfs");
		long fd = sys_openat("/dev/console", O_WRONLY);
		if (fd >= 0)
			g.out = fd;
		sys_write(g.out, l.b, l.n);
	}
	sys_mkdir("/dev", 0755);
	sys_mkdir("/proc", 0555);
	long m = sys_mount("devtmpfs", "/dev", "devtmpfs");
	long p = sys_mount("proc", "/proc", "proc");
	int r;
	if (m < 0 && m != -16 /* EBUSY: mounted above */)
		r = fail(&g, "mount_dev", m);
	else if (p < 0)
		r = fail(&g, "mount_proc", p);
	else
		r = run(&g);

	if (r == 0) {
		l_start(&l, "result ok");
		l_kv(&l, "frames", g.frames);
		l_kv(&l, "elapsed_ms", g.elapsed_ms);
		l_kv(&l, "xruns", g.xruns);
		l_s(&l, " mode=");
		l_s(&l, g.o.mode == VG_MODE_PLAY      ? "play"
			: g.o.mode == VG_MODE_CAPTURE ? "capture"
						      : "scenario");
		l_s(&l, " scenario=");
		l_s(&l, vg_scenario_name(g.o.mode == VG_MODE_SCENARIO ? g.o.scenario
								      : VG_SC_NONE));
	} else {
		l_start(&l, "result fail step=");
		l_s(&l, g.step ? g.step : "?");
		l_s(&l, " err=");
		l_i(&l, r);
		if (g.detail) {
			l_s(&l, " ");
			l_s(&l, g.detail);
		}
	}
	l_end(&g, &l);
	sys_reboot(r != 0 && g.o.fail_reboot ? LINUX_REBOOT_CMD_RESTART
					     : LINUX_REBOOT_CMD_POWER_OFF);
	sys_exit(r ? 1 : 0); /* only if reboot failed; the kernel then panics (PANIC_TIMEOUT) */
}

/* Entry: the kernel starts /init with sp at argc; nothing to set up but a call. */
__asm__(".section .text._start,\"ax\",@progbits\n"
	".globl _start\n"
	"_start:\n"
	"	andi sp, sp, -16\n"
	"	call init_main\n"
	"1:	j 1b\n"
	".previous\n");
