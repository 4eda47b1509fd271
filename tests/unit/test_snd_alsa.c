/* test_snd_alsa.c - the device with a blocking sink for real: the alsa sink over the clocked
 * test PCM (tests/alsa), driven by the sink consumer thread; bytes exact, real-time pacing. */
#include <alsa/asoundlib.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "test_snd_harness.h"

#ifndef VSND_SRCDIR
#define VSND_SRCDIR "."
#endif
#ifndef VSND_ALSA_CLOCK_SO
#define VSND_ALSA_CLOCK_SO "libasound_module_pcm_vsnd_clock.so"
#endif

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vsnd-snd-alsa-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char conf[128], path[1024];
	snprintf(conf, sizeof(conf), "%s/plugin.conf", dir);
	FILE *fp = fopen(conf, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "pcm_type.vsnd_clock { lib \"%s\" }\n", VSND_ALSA_CLOCK_SO);
	fclose(fp);
	/* Before the first ALSA call of the process (each test runs in a fresh one). */
	snprintf(path, sizeof(path), "%s/tests/alsa/asound.conf:%s", VSND_SRCDIR, conf);
	setenv("ALSA_CONFIG_PATH", path, 1);
}

static void teardown(void)
{
	/* alsa-lib caches the parsed configuration globally; free it for LeakSanitizer. */
	snd_config_update_free_global();
	char p[128];
	snprintf(p, sizeof(p), "%s/plugin.conf", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/out.raw", dir);
	unlink(p);
	rmdir(dir);
}

TestSuite(snd_alsa, .init = setup, .fini = teardown);

struct rlog {
	pthread_mutex_t mu;
	int xruns, errors;
};

static void rlog_report(void *ctx, enum vsnd_sink_event ev, int err, const char *msg)
{
	(void)err;
	(void)msg;
	struct rlog *l = ctx;
	pthread_mutex_lock(&l->mu);
	if (ev == VSND_SINK_EV_ERROR)
		l->errors++;
	else
		l->xruns++;
	pthread_mutex_unlock(&l->mu);
}

/* 40 periods of 10 ms re-queued like Linux (4 ahead): every byte reaches the PCM once, in
 * order; completions are never early, and the whole takes 40 period-times (generous upper
 * bound: blocking writes may shift the timeline, host load may delay it). */
Test(snd_alsa, device_paces_a_blocking_alsa_sink, .timeout = 30)
{
	char out[128], spec[200], err[256];
	snprintf(out, sizeof(out), "%s/out.raw", dir);
	snprintf(spec, sizeof(spec), "alsa:vsnd_clocked:FILE=%s", out);
	struct vsnd_sink *sink = NULL;
	cr_assert_eq(vsnd_sink_create(spec, VIRTIO_SND_D_OUTPUT, &sink, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(sink->paces, 1);
	struct rlog log = { .mu = PTHREAD_MUTEX_INITIALIZER };
	sink->report = rlog_report;
	sink->report_ctx = &log;

	struct tdev t;
	memset(&t, 0, sizeof(t));
	mem_chain_log_init(&t.log);
	t.clk = &vsnd_clock_monotonic;
	struct vsnd_host h = { .clock = t.clk };
	h.sinks[0] = sink;
	t.dev = vsnd_dev_new(NULL, &h);
	cr_assert_not_null(t.dev);
	vsnd_dev_driver_ok(t.dev);

	enum { N = 40, AHEAD = 4 };
	const uint32_t per = 1920;
	const uint64_t P = 10000000;
	cr_assert_eq(tdev_set_params(&t, 0, 4 * per, per, 0, 2, VIRTIO_SND_PCM_FMT_S16,
				     VIRTIO_SND_PCM_RATE_48000),
		     VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_PREPARE, 0), VIRTIO_SND_S_OK);
	uint8_t *in = malloc((size_t)N * per);
	for (uint32_t i = 0; i < N * per; i++)
		in[i] = (uint8_t)(i * 7u + (i >> 11));
	struct mem_chain *m[N];
	for (int i = 0; i < AHEAD; i++)
		m[i] = tdev_tx(&t, 0, in + (size_t)i * per, per);
	uint64_t t0 = vsnd_clock_now(&vsnd_clock_monotonic);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_START, 0), VIRTIO_SND_S_OK);
	for (int i = 0; i < N; i++) {
		expect_io_done(m[i], 8, VIRTIO_SND_S_OK);
		if (i + AHEAD < N)
			m[i + AHEAD] = tdev_tx(&t, 0, in + (size_t)(i + AHEAD) * per, per);
	}
	for (int i = 0; i < N; i++)
		cr_assert_geq(m[i]->done_ns, t0 + (uint64_t)(i + 1) * P, "message %d early", i);
	double took = (double)(m[N - 1]->done_ns - t0) / 1e6;
	cr_expect_lt(took, 400.0 * 1.5, "40 periods took %.1f ms", took);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_STOP, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(tdev_pcm(&t, VIRTIO_SND_R_PCM_RELEASE, 0), VIRTIO_SND_S_OK); /* drains */
	pthread_mutex_lock(&log.mu);
	cr_assert_eq(log.errors, 0);
	pthread_mutex_unlock(&log.mu);
	FILE *fp = fopen(out, "rb");
	cr_assert_not_null(fp);
	uint8_t *got = malloc((size_t)N * per + 1);
	size_t n = fread(got, 1, (size_t)N * per + 1, fp);
	fclose(fp);
	cr_assert_eq(n, (size_t)N * per, "%zu bytes reached the PCM", n);
	cr_assert_arr_eq(got, in, n);
	free(got);
	free(in);
	tdev_fini(&t);
}
