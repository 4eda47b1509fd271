/* test_sink_alsa.c - the alsa sink and source without sound hardware: alsa-lib's `file` PCM
 * over a `null` slave (tests/alsa/asound.conf via ALSA_CONFIG_PATH) must receive exactly the
 * bytes written, and give back exactly the bytes of its input file on capture; over the
 * clocked test plugin (tests/alsa/pcm_vsnd_clock.c) writes block at the audio rate and an
 * underrun is reported as VSND_SINK_EV_XRUN and recovered without losing data. */
#include <alsa/asoundlib.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "test_sink_common.h"

#include <time.h>

#ifndef VSND_SRCDIR
#define VSND_SRCDIR "."
#endif
#ifndef VSND_ALSA_CLOCK_SO
#define VSND_ALSA_CLOCK_SO "libasound_module_pcm_vsnd_clock.so"
#endif

static char dir[256];

static void setup(void)
{
	tmpdir_make(dir, sizeof(dir));
	/* The plugin's library path is only known at build time: declare it in a second file. */
	char conf[512], path[1024];
	snprintf(conf, sizeof(conf), "%s/plugin.conf", dir);
	FILE *fp = fopen(conf, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "pcm_type.vsnd_clock { lib \"%s\" }\n", VSND_ALSA_CLOCK_SO);
	fclose(fp);
	/* Must happen before the first ALSA call of the process (each test is a fresh one). */
	snprintf(path, sizeof(path), "%s/tests/alsa/asound.conf:%s", VSND_SRCDIR, conf);
	setenv("ALSA_CONFIG_PATH", path, 1);
}

static void teardown(void)
{
	/* alsa-lib keeps the parsed configuration in a global cache; free it so LeakSanitizer
	 * (make SANITIZE=1) sees no leak. */
	snd_config_update_free_global();
	tmpdir_remove(dir);
}

TestSuite(sink_alsa, .init = setup, .fini = teardown);

static uint8_t *read_whole(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	cr_assert_not_null(fp, "%s", path);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	cr_assert_eq(fread(b, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return b;
}

static const struct tfmt *find_tfmt(uint8_t fmt)
{
	for (size_t i = 0; i < N_TFMTS; i++)
		if (tfmts[i].fmt == fmt)
			return &tfmts[i];
	cr_assert_fail("no test format %u", fmt);
	return NULL;
}

Test(sink_alsa, playback_bytes_reach_the_file_exactly)
{
	const uint8_t fmts[] = { VIRTIO_SND_PCM_FMT_U8,    VIRTIO_SND_PCM_FMT_S16,
				 VIRTIO_SND_PCM_FMT_S24_3, VIRTIO_SND_PCM_FMT_S24,
				 VIRTIO_SND_PCM_FMT_S32,   VIRTIO_SND_PCM_FMT_FLOAT };
	const uint8_t chans[] = { 1, 2, 6, 8 };
	const uint8_t rates[] = { VIRTIO_SND_PCM_RATE_8000, VIRTIO_SND_PCM_RATE_48000 };
	for (size_t fi = 0; fi < sizeof(fmts); fi++)
		for (size_t ci = 0; ci < sizeof(chans); ci++)
			for (size_t ri = 0; ri < sizeof(rates); ri++) {
				const struct tfmt *f = find_tfmt(fmts[fi]);
				char path[512], spec[600];
				snprintf(path, sizeof(path), "%s/out-%zu-%zu-%zu.raw", dir, fi, ci, ri);
				snprintf(spec, sizeof(spec), "alsa:vsnd_file:FILE=%s", path);
				struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
				struct report_log log;
				attach_log(s, &log);
				cr_assert_eq(s->paces, 1);
				struct vsnd_pcm_params p = make_params(VIRTIO_SND_D_OUTPUT, f->fmt,
								       chans[ci], rates[ri]);
				cr_assert_eq(s->ops->open(s, &p), 0, "%s: %s", spec, log.last_msg);
				/* 2.5 buffers' worth, in pieces that split frames and periods. */
				uint32_t len = p.buffer_bytes * 5 / 2;
				uint8_t *in = malloc(len);
				fill_random(f, in, len / f->bytes, 7 + fi + ci * 10 + ri * 100);
				uint32_t off = 0, piece = p.period_bytes / 3 + 1;
				while (off < len) {
					uint32_t n = piece < len - off ? piece : len - off;
					cr_assert_eq(s->ops->write(s, in + off, n), 0, "%s", log.last_msg);
					off += n;
				}
				s->ops->close(s);
				cr_assert_eq(log.count, 0, "%s: %s", spec, log.last_msg);
				size_t got_len;
				uint8_t *got = read_whole(path, &got_len);
				cr_assert_eq(got_len, len, "%s %u ch: %zu bytes, want %u",
					     vsnd_format_name(f->fmt), chans[ci], got_len, len);
				cr_assert_eq(memcmp(got, in, len), 0, "%s %u ch", vsnd_format_name(f->fmt),
					     chans[ci]);
				free(got);
				free(in);
				vsnd_sink_destroy(s);
			}
}

Test(sink_alsa, two_cycles_each_deliver_their_bytes)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/cycle.raw", dir);
	snprintf(spec, sizeof(spec), "alsa:vsnd_file:FILE=%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_44100);
	uint8_t in[4000];
	for (int cycle = 0; cycle < 2; cycle++) {
		fill_random(find_tfmt(VIRTIO_SND_PCM_FMT_S16), in, sizeof(in) / 2, 40 + cycle);
		cr_assert_eq(s->ops->open(s, &p), 0);
		cr_assert_eq(s->ops->write(s, in, sizeof(in)), 0);
		s->ops->close(s);
		size_t n;
		uint8_t *got = read_whole(path, &n); /* the file plugin truncates at open */
		cr_assert_eq(n, sizeof(in));
		cr_assert_eq(memcmp(got, in, n), 0);
		free(got);
	}
	vsnd_sink_destroy(s);
}

Test(sink_alsa, capture_gives_the_input_file_bytes)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/in.raw", dir);
	const struct tfmt *f = find_tfmt(VIRTIO_SND_PCM_FMT_S16);
	uint8_t data[2 * 2 * 3000];
	fill_random(f, data, sizeof(data) / 2, 77);
	FILE *fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(data, 1, sizeof(data), fp), sizeof(data));
	fclose(fp);

	snprintf(spec, sizeof(spec), "alsa:vsnd_infile:FILE=%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_INPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_INPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), 0, "%s", log.last_msg);
	uint8_t got[sizeof(data)];
	uint32_t off = 0;
	while (off < sizeof(got)) { /* period-sized reads, as the device does */
		uint32_t n = p.period_bytes < sizeof(got) - off ? p.period_bytes
								 : (uint32_t)sizeof(got) - off;
		cr_assert_eq(s->ops->read(s, got + off, n), 0, "%s", log.last_msg);
		off += n;
	}
	cr_assert_eq(memcmp(got, data, sizeof(data)), 0);
	cr_assert_eq(s->ops->write(s, got, 4), -EINVAL, "a capture source is not written");
	s->ops->close(s);
	vsnd_sink_destroy(s);
	cr_assert_eq(log.count, 0, "%s", log.last_msg);
}

Test(sink_alsa, unknown_device_fails_at_open_with_message)
{
	struct vsnd_sink *s = make_sink("alsa:vsnd_no_such_pcm", VIRTIO_SND_D_OUTPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000);
	int rc = s->ops->open(s, &p);
	cr_assert_lt(rc, 0);
	cr_assert_eq(log.errors, 1);
	cr_assert_not_null(strstr(log.last_msg, "vsnd_no_such_pcm"), "%s", log.last_msg);
	cr_assert_not_null(strstr(log.last_msg, "cannot open"), "%s", log.last_msg);
	uint8_t buf[4] = { 0 };
	cr_assert_eq(s->ops->write(s, buf, 4), -EINVAL, "not open");
	s->ops->close(s);
	vsnd_sink_destroy(s);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* S16 stereo 48 kHz, 10 ms periods, 40 ms buffer. */
static struct vsnd_pcm_params clocked_params(void)
{
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000);
	p.period_bytes = 480 * p.frame_bytes;
	p.buffer_bytes = 4 * p.period_bytes;
	return p;
}

Test(sink_alsa, clocked_pcm_write_blocks_at_the_audio_rate)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/clocked.raw", dir);
	snprintf(spec, sizeof(spec), "alsa:vsnd_clocked:FILE=%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p = clocked_params();
	cr_assert_eq(s->ops->open(s, &p), 0, "%s", log.last_msg);
	/* 200 ms of audio, one period per write as the device does. */
	uint32_t len = 20 * p.period_bytes;
	uint8_t *in = malloc(len);
	fill_random(find_tfmt(VIRTIO_SND_PCM_FMT_S16), in, len / 2, 5);
	uint64_t t0 = now_ms();
	for (uint32_t off = 0; off < len; off += p.period_bytes)
		cr_assert_eq(s->ops->write(s, in + off, p.period_bytes), 0, "%s", log.last_msg);
	s->ops->close(s); /* drains: returns once everything has been played */
	uint64_t took = now_ms() - t0;
	/* Generous lower bound only (a loaded machine can only make it slower): without
	 * pacing this loop takes well under a millisecond. */
	cr_assert_geq(took, 150, "200 ms of audio played in %llu ms", (unsigned long long)took);
	/* An underrun is possible if this process is descheduled for > 40 ms on a busy
	 * machine; it is recovered without loss, so only errors fail the test. */
	cr_assert_eq(log.errors, 0, "%s", log.last_msg);
	size_t n;
	uint8_t *got = read_whole(path, &n);
	cr_assert_eq(n, len);
	cr_assert_eq(memcmp(got, in, len), 0);
	free(got);
	free(in);
	vsnd_sink_destroy(s);
}

Test(sink_alsa, underrun_is_reported_and_recovered_without_loss)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/xrun.raw", dir);
	snprintf(spec, sizeof(spec), "alsa:vsnd_clocked:FILE=%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p = clocked_params();
	cr_assert_eq(s->ops->open(s, &p), 0, "%s", log.last_msg);
	uint32_t len = 8 * p.period_bytes;
	uint8_t *in = malloc(len);
	fill_random(find_tfmt(VIRTIO_SND_PCM_FMT_S16), in, len / 2, 6);
	/* A full buffer starts playback; then starve it for well over its 40 ms. */
	for (uint32_t k = 0; k < 4; k++)
		cr_assert_eq(s->ops->write(s, in + k * p.period_bytes, p.period_bytes), 0);
	usleep(150 * 1000);
	for (uint32_t k = 4; k < 8; k++)
		cr_assert_eq(s->ops->write(s, in + k * p.period_bytes, p.period_bytes), 0,
			     "write after underrun: %s", log.last_msg);
	s->ops->close(s);
	cr_assert_eq(log.xruns, 1, "one underrun reported (%d events, last '%s')", log.count,
		     log.last_msg);
	cr_assert_eq(log.errors, 0, "%s", log.last_msg);
	cr_assert_eq(log.last_err, -EPIPE);
	cr_assert_not_null(strstr(log.last_msg, "underrun"), "%s", log.last_msg);
	size_t n;
	uint8_t *got = read_whole(path, &n);
	cr_assert_eq(n, len, "every frame reached the PCM once");
	cr_assert_eq(memcmp(got, in, len), 0);
	free(got);
	free(in);
	vsnd_sink_destroy(s);
}

static void expect_refused(uint8_t fmt, uint8_t ch, uint8_t rate, const char *needle)
{
	struct vsnd_sink *s = make_sink("alsa:vsnd_clock48", VIRTIO_SND_D_OUTPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p = make_params(VIRTIO_SND_D_OUTPUT, fmt, ch, rate);
	cr_assert_lt(s->ops->open(s, &p), 0, "%s %u ch accepted", vsnd_format_name(fmt), ch);
	cr_assert_eq(log.errors, 1);
	cr_assert_not_null(strstr(log.last_msg, needle), "'%s' lacks '%s'", log.last_msg, needle);
	vsnd_sink_destroy(s);
}

Test(sink_alsa, hw_params_must_match_exactly)
{
	expect_refused(VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_44100, "rate not supported");
	expect_refused(VIRTIO_SND_PCM_FMT_U16, 2, VIRTIO_SND_PCM_RATE_48000,
		       "format not supported");
	expect_refused(VIRTIO_SND_PCM_FMT_S16, 10, VIRTIO_SND_PCM_RATE_48000,
		       "channel count not supported");
	struct vsnd_sink *s = make_sink("alsa:vsnd_clock48", VIRTIO_SND_D_OUTPUT);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), 0);
	s->ops->close(s);
	vsnd_sink_destroy(s);
}
