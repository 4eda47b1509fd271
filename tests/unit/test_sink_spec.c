/* test_sink_spec.c - sink spec parsing and its error messages, the format/rate tables and
 * sample conversions of vsnd/sink.c, the null sink and the silence/sine sources. */
#include <math.h>
#include <sys/stat.h>

#include "test_sink_common.h"

static int create_fails(const char *spec, int dir, char *err, size_t errlen)
{
	struct vsnd_sink *s = (struct vsnd_sink *)1;
	err[0] = 0;
	int rc = vsnd_sink_create(spec, dir, &s, err, errlen);
	if (rc == 0)
		vsnd_sink_destroy(s);
	else
		cr_assert_null(s, "no sink on failure");
	return rc != 0;
}

static void expect_error(const char *spec, int dir, const char *needle)
{
	char err[256];
	cr_assert(create_fails(spec, dir, err, sizeof(err)), "'%s' accepted", spec ? spec : "(null)");
	cr_assert_not_null(strstr(err, needle), "'%s': message '%s' lacks '%s'",
			   spec ? spec : "(null)", err, needle);
}

Test(sink_spec, bad_specs_give_clear_errors)
{
	const int O = VIRTIO_SND_D_OUTPUT, I = VIRTIO_SND_D_INPUT;
	expect_error("bogus", O, "unknown sink kind 'bogus'");
	expect_error("bogus:x", I, "unknown source kind 'bogus'");
	expect_error("", O, "empty sink spec");
	expect_error(NULL, I, "empty source spec");
	expect_error("wav:", O, "needs a path");
	expect_error("wav", O, "needs a path");
	expect_error("flac:", O, "needs a path");
	expect_error("file:", I, "needs a path");
	expect_error("wav:/nonexistent-dir-vsnd/x.wav", O, "cannot create");
	expect_error("flac:/sys/vsnd-sink-test.flac", O, "cannot create");
	if (geteuid() != 0) { /* root may write anything */
		const char *ro = "/tmp/vsnd-sink-test-ro.wav";
		FILE *fp = fopen(ro, "w");
		cr_assert_not_null(fp);
		fclose(fp);
		chmod(ro, 0444);
		expect_error("wav:/tmp/vsnd-sink-test-ro.wav", O, "not writable");
		unlink(ro);
	}
	expect_error("wav:/tmp", O, "is a directory");
	expect_error("file:/nonexistent-dir-vsnd/x.wav", I, "cannot read audio file");
	expect_error("wav:/etc/hostname", I, "cannot read audio file");
	expect_error("sine:abc", I, "bad sine frequency 'abc'");
	expect_error("sine:", I, "bad sine frequency ''");
	expect_error("sine:0", I, "bad sine frequency");
	expect_error("sine:-5", I, "bad sine frequency");
	expect_error("sine:440x", I, "bad sine frequency");
	expect_error("sine:nan", I, "bad sine frequency");
	expect_error("sine:1e9", I, "bad sine frequency");
	expect_error("alsa:", O, "needs a device name");
	expect_error("null:x", O, "takes no argument");
	expect_error("silence:1", I, "takes no argument");
	expect_error("null", I, "output sink");
	expect_error("silence", O, "input source");
	expect_error("sine:440", O, "input source");
	expect_error("file:/tmp/x.wav", O, "input source");
	char err[64];
	struct vsnd_sink *s = NULL;
	cr_assert_eq(vsnd_sink_create("null", 7, &s, err, sizeof(err)), -1);
}

Test(sink_spec, good_specs_create_the_right_backend)
{
	const struct { const char *spec; int dir; const char *name; int paces; } ok[] = {
		{ "null", VIRTIO_SND_D_OUTPUT, "null", 0 },
		{ "wav:/tmp/vsnd-spec-test.wav", VIRTIO_SND_D_OUTPUT, "wav", 0 },
		{ "flac:/tmp/vsnd-spec-test.flac", VIRTIO_SND_D_OUTPUT, "flac", 0 },
		{ "alsa", VIRTIO_SND_D_OUTPUT, "alsa", 1 },
		{ "alsa:hw:0,0", VIRTIO_SND_D_INPUT, "alsa", 1 },
		{ "silence", VIRTIO_SND_D_INPUT, "silence", 0 },
		{ "sine", VIRTIO_SND_D_INPUT, "sine", 0 },
		{ "sine:1000.5", VIRTIO_SND_D_INPUT, "sine", 0 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct vsnd_sink *s = make_sink(ok[i].spec, ok[i].dir);
		cr_assert_str_eq(s->ops->name, ok[i].name);
		cr_assert_eq(s->paces, ok[i].paces, "%s", ok[i].spec);
		vsnd_sink_destroy(s);
	}
	cr_assert_eq(access("/tmp/vsnd-spec-test.wav", F_OK), -1, "create makes no file");
	vsnd_sink_destroy(NULL);
}

Test(sink_spec, format_and_rate_tables)
{
	const struct { uint8_t f; uint32_t bytes; const char *name; } t[] = {
		{ VIRTIO_SND_PCM_FMT_IMA_ADPCM, 0, "IMA_ADPCM" }, { VIRTIO_SND_PCM_FMT_MU_LAW, 1, "MU_LAW" },
		{ VIRTIO_SND_PCM_FMT_A_LAW, 1, "A_LAW" },        { VIRTIO_SND_PCM_FMT_S8, 1, "S8" },
		{ VIRTIO_SND_PCM_FMT_U8, 1, "U8" },              { VIRTIO_SND_PCM_FMT_S16, 2, "S16" },
		{ VIRTIO_SND_PCM_FMT_U16, 2, "U16" },            { VIRTIO_SND_PCM_FMT_S18_3, 3, "S18_3" },
		{ VIRTIO_SND_PCM_FMT_U18_3, 3, "U18_3" },        { VIRTIO_SND_PCM_FMT_S20_3, 3, "S20_3" },
		{ VIRTIO_SND_PCM_FMT_U20_3, 3, "U20_3" },        { VIRTIO_SND_PCM_FMT_S24_3, 3, "S24_3" },
		{ VIRTIO_SND_PCM_FMT_U24_3, 3, "U24_3" },        { VIRTIO_SND_PCM_FMT_S20, 4, "S20" },
		{ VIRTIO_SND_PCM_FMT_U20, 4, "U20" },            { VIRTIO_SND_PCM_FMT_S24, 4, "S24" },
		{ VIRTIO_SND_PCM_FMT_U24, 4, "U24" },            { VIRTIO_SND_PCM_FMT_S32, 4, "S32" },
		{ VIRTIO_SND_PCM_FMT_U32, 4, "U32" },            { VIRTIO_SND_PCM_FMT_FLOAT, 4, "FLOAT" },
		{ VIRTIO_SND_PCM_FMT_FLOAT64, 8, "FLOAT64" },    { VIRTIO_SND_PCM_FMT_DSD_U8, 1, "DSD_U8" },
		{ VIRTIO_SND_PCM_FMT_DSD_U16, 2, "DSD_U16" },    { VIRTIO_SND_PCM_FMT_DSD_U32, 4, "DSD_U32" },
		{ VIRTIO_SND_PCM_FMT_IEC958_SUBFRAME, 4, "IEC958_SUBFRAME" },
	};
	cr_assert_eq(sizeof(t) / sizeof(t[0]), VIRTIO_SND_PCM_FMT_COUNT);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_assert_eq(vsnd_format_bytes(t[i].f), t[i].bytes, "%s", t[i].name);
		cr_assert_str_eq(vsnd_format_name(t[i].f), t[i].name);
	}
	cr_assert_eq(vsnd_format_bytes(VIRTIO_SND_PCM_FMT_COUNT), 0);
	cr_assert_eq(vsnd_format_bytes(255), 0);
	cr_assert_str_eq(vsnd_format_name(200), "UNKNOWN");

	const uint32_t hz[] = { 5512,  8000,  11025, 16000,  22050,  32000,  44100,
				48000, 64000, 88200, 96000, 176400, 192000, 384000 };
	for (uint8_t i = 0; i < VIRTIO_SND_PCM_RATE_COUNT; i++)
		cr_assert_eq(vsnd_rate_hz(i), hz[i]);
	cr_assert_eq(vsnd_rate_hz(14), 0, "1.3-only rates are not in 1.2");
	cr_assert_eq(vsnd_rate_hz(255), 0);
}

Test(sink_spec, integer_conversions_exact_both_ways)
{
	for (size_t fi = 0; fi < N_TFMTS; fi++) {
		const struct tfmt *f = &tfmts[fi];
		if (f->is_float)
			continue;
		uint8_t in[4 * 64], out[4];
		fill_random(f, in, 64, 5 + fi);
		for (int i = 0; i < 64; i++) {
			int32_t v = vsnd_sample_to_s32(f->fmt, in + i * f->bytes);
			cr_assert_eq((int64_t)v, ref_left_justified(f, in + i * f->bytes), "%s",
				     vsnd_format_name(f->fmt));
			vsnd_sample_from_s32(f->fmt, v, out);
			cr_assert_eq(memcmp(out, in + i * f->bytes, f->bytes), 0, "%s back",
				     vsnd_format_name(f->fmt));
		}
	}
}

Test(sink_spec, g711_known_codes)
{
	uint8_t b;
	vsnd_sample_from_s32(VIRTIO_SND_PCM_FMT_MU_LAW, 0, &b);
	cr_assert_eq(b, 0xff);
	vsnd_sample_from_s32(VIRTIO_SND_PCM_FMT_A_LAW, 0, &b);
	cr_assert_eq(b, 0xd5);
	vsnd_sample_from_s32(VIRTIO_SND_PCM_FMT_MU_LAW, INT32_MAX, &b);
	cr_assert_eq(b, 0x80);
	vsnd_sample_from_s32(VIRTIO_SND_PCM_FMT_MU_LAW, INT32_MIN, &b);
	cr_assert_eq(b, 0x00);
	vsnd_sample_from_s32(VIRTIO_SND_PCM_FMT_A_LAW, INT32_MAX, &b);
	cr_assert_eq(b, 0xaa);
	vsnd_sample_from_s32(VIRTIO_SND_PCM_FMT_A_LAW, INT32_MIN, &b);
	cr_assert_eq(b, 0x2a);
	/* Every code decodes to a value that encodes back to it (mu-law -0 aside). */
	for (int c = 0; c < 256; c++) {
		uint8_t in = (uint8_t)c, out;
		for (int law = 0; law < 2; law++) {
			uint8_t f = law ? VIRTIO_SND_PCM_FMT_A_LAW : VIRTIO_SND_PCM_FMT_MU_LAW;
			vsnd_sample_from_s32(f, vsnd_sample_to_s32(f, &in), &out);
			if (!law && c == 0x7f)
				cr_assert_eq(out, 0xff);
			else
				cr_assert_eq(out, in, "%s code %02x -> %02x", vsnd_format_name(f), c, out);
		}
	}
	/* Known decoded magnitudes (G.711): mu-law 0x80 = +32124, A-law 0xaa = +32256. */
	uint8_t m = 0x80, a = 0xaa;
	cr_assert_eq(vsnd_sample_to_s32(VIRTIO_SND_PCM_FMT_MU_LAW, &m), 32124 * 65536);
	cr_assert_eq(vsnd_sample_to_s32(VIRTIO_SND_PCM_FMT_A_LAW, &a), 32256 * 65536);
}

Test(sink_spec, silence_values)
{
	const struct { uint8_t f; uint8_t bytes[8]; unsigned n; } t[] = {
		{ VIRTIO_SND_PCM_FMT_U8, { 0x80 }, 1 },
		{ VIRTIO_SND_PCM_FMT_S16, { 0, 0 }, 2 },
		{ VIRTIO_SND_PCM_FMT_U16, { 0, 0x80 }, 2 },
		{ VIRTIO_SND_PCM_FMT_U20_3, { 0, 0, 0x08 }, 3 },
		{ VIRTIO_SND_PCM_FMT_U24, { 0, 0, 0x80, 0 }, 4 },
		{ VIRTIO_SND_PCM_FMT_U32, { 0, 0, 0, 0x80 }, 4 },
		{ VIRTIO_SND_PCM_FMT_FLOAT, { 0, 0, 0, 0 }, 4 },
		{ VIRTIO_SND_PCM_FMT_MU_LAW, { 0xff }, 1 },
		{ VIRTIO_SND_PCM_FMT_A_LAW, { 0xd5 }, 1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t buf[8 * 3];
		cr_assert_eq(vsnd_fill_silence(t[i].f, buf, 3 * t[i].n), 0);
		for (unsigned k = 0; k < 3; k++)
			cr_assert_eq(memcmp(buf + k * t[i].n, t[i].bytes, t[i].n), 0, "%s",
				     vsnd_format_name(t[i].f));
	}
	uint8_t buf[4];
	cr_assert_eq(vsnd_fill_silence(VIRTIO_SND_PCM_FMT_IMA_ADPCM, buf, 4), -ENOTSUP);
	cr_assert_eq(vsnd_fill_silence(VIRTIO_SND_PCM_FMT_DSD_U8, buf, 4), -ENOTSUP);
}

Test(sink_spec, null_sink_consumes_everything)
{
	struct vsnd_sink *s = make_sink("null", VIRTIO_SND_D_OUTPUT);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), 0);
	uint8_t buf[4096] = { 0 };
	for (int i = 0; i < 100; i++)
		cr_assert_eq(s->ops->write(s, buf, sizeof(buf)), 0);
	cr_assert_eq(s->ops->write(s, buf, 3), 0, "partial frames are fine too");
	s->ops->close(s);
	vsnd_sink_destroy(s);
}

Test(sink_spec, silence_source_per_format)
{
	struct vsnd_sink *s = make_sink("silence", VIRTIO_SND_D_INPUT);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_INPUT, VIRTIO_SND_PCM_FMT_U8, 3, VIRTIO_SND_PCM_RATE_8000);
	cr_assert_eq(s->ops->open(s, &p), 0);
	uint8_t buf[100];
	cr_assert_eq(s->ops->read(s, buf, sizeof(buf)), 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(buf[i], 0x80);
	s->ops->close(s);
	p = make_params(VIRTIO_SND_D_INPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_8000);
	cr_assert_eq(s->ops->open(s, &p), 0);
	memset(buf, 0x55, sizeof(buf));
	cr_assert_eq(s->ops->read(s, buf, sizeof(buf)), 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(buf[i], 0);
	cr_assert_eq(s->ops->write(s, buf, 4), -EINVAL, "a source cannot be written");
	vsnd_sink_destroy(s);
}

Test(sink_spec, sine_is_the_formula_and_deterministic)
{
	struct vsnd_sink *a = make_sink("sine:1000", VIRTIO_SND_D_INPUT);
	struct vsnd_sink *b = make_sink("sine:1000", VIRTIO_SND_D_INPUT);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_INPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(a->ops->open(a, &p), 0);
	cr_assert_eq(b->ops->open(b, &p), 0);
	int16_t x[2 * 480], y[2 * 480];
	/* Same signal whether read in one go or in odd-sized pieces. */
	cr_assert_eq(a->ops->read(a, x, sizeof(x)), 0);
	cr_assert_eq(b->ops->read(b, y, 6), 0);
	cr_assert_eq(b->ops->read(b, (uint8_t *)y + 6, sizeof(y) - 6), 0);
	cr_assert_eq(memcmp(x, y, sizeof(x)), 0);
	for (int n = 0; n < 480; n++) {
		double want = 0.5 * sin(2.0 * M_PI * 1000.0 * n / 48000.0) * 32768.0;
		cr_assert(fabs(x[2 * n] - want) <= 1.0, "frame %d: %d vs %f", n, x[2 * n], want);
		cr_assert_eq(x[2 * n], x[2 * n + 1], "both channels carry the sine");
	}
	/* 1000 Hz at 48 kHz repeats every 48 frames; reopen restarts at phase 0. */
	cr_assert_eq(memcmp(x, x + 2 * 48, 2 * 48 * sizeof(int16_t)), 0);
	a->ops->close(a);
	cr_assert_eq(a->ops->open(a, &p), 0);
	cr_assert_eq(a->ops->read(a, y, sizeof(y)), 0);
	cr_assert_eq(memcmp(x, y, sizeof(x)), 0);
	vsnd_sink_destroy(a);
	vsnd_sink_destroy(b);

	/* Default 440 Hz, float format: peak 0.5 reached at a quarter period. */
	struct vsnd_sink *c = make_sink("sine", VIRTIO_SND_D_INPUT);
	p = make_params(VIRTIO_SND_D_INPUT, VIRTIO_SND_PCM_FMT_FLOAT, 1, VIRTIO_SND_PCM_RATE_44100);
	cr_assert_eq(c->ops->open(c, &p), 0);
	float f[100];
	cr_assert_eq(c->ops->read(c, f, sizeof(f)), 0);
	for (int n = 0; n < 100; n++)
		cr_assert(fabsf(f[n] - (float)(0.5 * sin(2.0 * M_PI * 440.0 * n / 44100.0))) < 1e-6f);
	vsnd_sink_destroy(c);
}

Test(sink_spec, generators_refuse_unconvertible_formats)
{
	struct vsnd_sink *s = make_sink("sine", VIRTIO_SND_D_INPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p = make_params(VIRTIO_SND_D_INPUT, VIRTIO_SND_PCM_FMT_DSD_U8, 1,
					       VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), -ENOTSUP);
	cr_assert_eq(log.errors, 1);
	uint8_t buf[4];
	cr_assert_eq(s->ops->read(s, buf, 4), -EINVAL, "not open");
	vsnd_sink_destroy(s);
}
