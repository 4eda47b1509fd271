/* test_sink_sndfile.c - wav/flac sinks and file sources: every format x rates x 1..8
 * channels written and read back sample-exact, refusal of unstorable formats, append and
 * new-file behaviour across cycles, and file-to-stream conversion with silence padding. */
#include <sndfile.h>
#include <sys/stat.h>

#include "test_sink_common.h"

#define FRAMES 300u

static char dir[256];

static void setup(void)
{
	tmpdir_make(dir, sizeof(dir));
}

static void teardown(void)
{
	tmpdir_remove(dir);
}

TestSuite(sink_sndfile, .init = setup, .fini = teardown);

static const uint8_t rates[] = { VIRTIO_SND_PCM_RATE_8000, VIRTIO_SND_PCM_RATE_44100,
				 VIRTIO_SND_PCM_RATE_48000, VIRTIO_SND_PCM_RATE_192000 };

/* Expected libsndfile subtype for a format (the documented mapping in sink_sndfile.c). */
static int expected_subtype(const struct tfmt *f, int flac)
{
	if (f->is_float == 1)
		return flac ? -1 : f->bytes == 4 ? SF_FORMAT_FLOAT : SF_FORMAT_DOUBLE;
	if (f->is_float == 2)
		return flac ? -1 : f->fmt == VIRTIO_SND_PCM_FMT_MU_LAW ? SF_FORMAT_ULAW : SF_FORMAT_ALAW;
	if (f->bits <= 8)
		return flac ? SF_FORMAT_PCM_S8 : SF_FORMAT_PCM_U8;
	if (f->bits <= 16)
		return SF_FORMAT_PCM_16;
	if (f->bits <= 24)
		return SF_FORMAT_PCM_24;
	return flac ? -1 : SF_FORMAT_PCM_32;
}

/* Write `len` bytes in uneven pieces (7 bytes, then 1000, then the rest) so frames are split
 * across write() calls. */
static void write_pieces(struct vsnd_sink *s, const uint8_t *buf, uint32_t len)
{
	uint32_t cuts[] = { 7, 1000 };
	uint32_t off = 0;
	for (unsigned i = 0; i < 2 && off < len; i++) {
		uint32_t n = cuts[i] < len - off ? cuts[i] : len - off;
		cr_assert_eq(s->ops->write(s, buf + off, n), 0);
		off += n;
	}
	if (off < len)
		cr_assert_eq(s->ops->write(s, buf + off, len - off), 0);
}

/* The file holds exactly the input: same frame count, subtype, and samples. */
static void check_file(const char *path, const struct tfmt *f, int flac, uint8_t ch,
		       uint32_t rate, const uint8_t *in, uint32_t frames)
{
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	cr_assert_not_null(sf, "%s: %s", path, sf_strerror(NULL));
	cr_assert_eq(info.frames, frames, "%s frames", vsnd_format_name(f->fmt));
	cr_assert_eq(info.channels, ch);
	cr_assert_eq(info.samplerate, (int)rate);
	cr_assert_eq(info.format & SF_FORMAT_TYPEMASK, flac ? SF_FORMAT_FLAC : SF_FORMAT_WAV);
	cr_assert_eq(info.format & SF_FORMAT_SUBMASK, expected_subtype(f, flac), "%s subtype",
		     vsnd_format_name(f->fmt));
	size_t samples = (size_t)frames * ch;
	if (f->is_float) { /* stored byte for byte */
		uint8_t *got = malloc(samples * f->bytes);
		cr_assert_eq(sf_read_raw(sf, got, (sf_count_t)(samples * f->bytes)),
			     (sf_count_t)(samples * f->bytes));
		cr_assert_eq(memcmp(got, in, samples * f->bytes), 0, "%s raw bytes",
			     vsnd_format_name(f->fmt));
		free(got);
	} else {
		int32_t *got = malloc(samples * sizeof(int32_t));
		cr_assert_eq(sf_readf_int(sf, got, frames), (sf_count_t)frames);
		for (size_t i = 0; i < samples; i++)
			cr_assert_eq((int64_t)got[i], ref_left_justified(f, in + i * f->bytes),
				     "%s ch %u sample %zu", vsnd_format_name(f->fmt), ch, i);
		free(got);
	}
	sf_close(sf);
}

/* A file source opened on the file with the same parameters gives back the input bytes,
 * then silence. */
static void check_source_roundtrip(const char *path, const struct tfmt *f, uint8_t ch,
				   uint8_t rate, const uint8_t *in, uint32_t frames)
{
	char spec[600];
	snprintf(spec, sizeof(spec), "file:%s", path);
	struct vsnd_sink *src = make_sink(spec, VIRTIO_SND_D_INPUT);
	struct vsnd_pcm_params p = make_params(VIRTIO_SND_D_INPUT, f->fmt, ch, rate);
	cr_assert_eq(src->ops->open(src, &p), 0);
	uint32_t len = frames * p.frame_bytes;
	uint8_t *got = malloc(len + p.frame_bytes);
	cr_assert_eq(src->ops->read(src, got, len + p.frame_bytes), 0);
	cr_assert_eq(memcmp(got, in, len), 0, "%s ch %u: source bytes differ",
		     vsnd_format_name(f->fmt), ch);
	uint8_t sil[64];
	cr_assert_eq(vsnd_fill_silence(f->fmt, sil, p.frame_bytes), 0);
	cr_assert_eq(memcmp(got + len, sil, p.frame_bytes), 0, "padding is silence");
	free(got);
	src->ops->close(src);
	vsnd_sink_destroy(src);
}

static void matrix(int flac)
{
	int cases = 0;
	for (size_t fi = 0; fi < N_TFMTS; fi++) {
		const struct tfmt *f = &tfmts[fi];
		if (expected_subtype(f, flac) < 0)
			continue;
		for (size_t ri = 0; ri < sizeof(rates); ri++)
			for (uint8_t ch = 1; ch <= 8; ch++) {
				char path[512], spec[600];
				snprintf(path, sizeof(path), "%s/m-%s-%zu-%u.%s", dir,
					 vsnd_format_name(f->fmt), ri, ch, flac ? "flac" : "wav");
				snprintf(spec, sizeof(spec), "%s:%s", flac ? "flac" : "wav", path);
				struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
				struct report_log log;
				attach_log(s, &log);
				struct vsnd_pcm_params p =
					make_params(VIRTIO_SND_D_OUTPUT, f->fmt, ch, rates[ri]);
				cr_assert_eq(s->ops->open(s, &p), 0, "%s: %s", spec, log.last_msg);
				uint32_t len = FRAMES * p.frame_bytes;
				uint8_t *in = malloc(len);
				fill_random(f, in, (size_t)FRAMES * ch, 0x1234u + fi * 77 + ch);
				write_pieces(s, in, len);
				s->ops->close(s);
				vsnd_sink_destroy(s);
				cr_assert_eq(log.count, 0, "%s: %s", spec, log.last_msg);
				check_file(path, f, flac, ch, p.rate_hz, in, FRAMES);
				check_source_roundtrip(path, f, ch, rates[ri], in, FRAMES);
				unlink(path);
				free(in);
				cases++;
			}
	}
	cr_assert_eq(cases, (flac ? 14 : 20) * (int)sizeof(rates) * 8);
}

Test(sink_sndfile, wav_every_format_rate_channels_exact)
{
	matrix(0);
}

Test(sink_sndfile, flac_every_integer_format_up_to_24_bits_exact)
{
	matrix(1);
}

Test(sink_sndfile, wav_raw_formats_are_byte_identical)
{
	/* U8/S16/S24_3/S32 data chunks are the input bytes themselves. */
	const uint8_t fmts[] = { VIRTIO_SND_PCM_FMT_U8, VIRTIO_SND_PCM_FMT_S16,
				 VIRTIO_SND_PCM_FMT_S24_3, VIRTIO_SND_PCM_FMT_S32 };
	for (size_t i = 0; i < sizeof(fmts); i++) {
		const struct tfmt *f = NULL;
		for (size_t k = 0; k < N_TFMTS; k++)
			if (tfmts[k].fmt == fmts[i])
				f = &tfmts[k];
		char path[512], spec[600];
		snprintf(path, sizeof(path), "%s/raw.wav", dir);
		snprintf(spec, sizeof(spec), "wav:%s", path);
		struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
		struct vsnd_pcm_params p =
			make_params(VIRTIO_SND_D_OUTPUT, f->fmt, 2, VIRTIO_SND_PCM_RATE_48000);
		cr_assert_eq(s->ops->open(s, &p), 0);
		uint8_t in[2 * 4 * 100];
		fill_random(f, in, 200, 99);
		cr_assert_eq(s->ops->write(s, in, 100 * p.frame_bytes), 0);
		vsnd_sink_destroy(s); /* destroy closes */
		SF_INFO info = { 0 };
		SNDFILE *sf = sf_open(path, SFM_READ, &info);
		cr_assert_not_null(sf);
		uint8_t got[sizeof(in)];
		cr_assert_eq(sf_read_raw(sf, got, 100 * p.frame_bytes), 100 * p.frame_bytes);
		cr_assert_eq(memcmp(got, in, 100 * p.frame_bytes), 0, "%s",
			     vsnd_format_name(f->fmt));
		sf_close(sf);
	}
}

Test(sink_sndfile, s24_in_32_stored_as_pcm24_upper_byte_not_kept)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/s24.wav", dir);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S24, 1, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), 0);
	/* -2 with a garbage top byte, +0x7fffff canonical, -0x800000 canonical. */
	const uint8_t in[] = { 0xfe, 0xff, 0xff, 0x5a, 0xff, 0xff, 0x7f, 0x00,
			       0x00, 0x00, 0x80, 0xff };
	cr_assert_eq(s->ops->write(s, in, sizeof(in)), 0);
	vsnd_sink_destroy(s);
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	cr_assert_eq(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
	uint8_t raw[9];
	cr_assert_eq(sf_read_raw(sf, raw, 9), 9);
	const uint8_t want[] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x80 };
	cr_assert_eq(memcmp(raw, want, 9), 0);
	sf_close(sf);

	snprintf(spec, sizeof(spec), "file:%s", path);
	struct vsnd_sink *src = make_sink(spec, VIRTIO_SND_D_INPUT);
	struct vsnd_pcm_params q =
		make_params(VIRTIO_SND_D_INPUT, VIRTIO_SND_PCM_FMT_S24, 1, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(src->ops->open(src, &q), 0);
	uint8_t back[12];
	cr_assert_eq(src->ops->read(src, back, 12), 0);
	const uint8_t canon[] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00,
				  0x00, 0x00, 0x80, 0xff };
	cr_assert_eq(memcmp(back, canon, 12), 0, "top byte comes back sign-extended");
	vsnd_sink_destroy(src);
}

static void expect_open_refused(const char *kind, uint8_t fmt)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/refused.%s", dir, kind);
	snprintf(spec, sizeof(spec), "%s:%s", kind, path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p = make_params(VIRTIO_SND_D_OUTPUT, fmt, 2, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), -ENOTSUP, "%s %s", kind, vsnd_format_name(fmt));
	cr_assert_eq(log.errors, 1);
	cr_assert_not_null(strstr(log.last_msg, vsnd_format_name(fmt)), "message: %s", log.last_msg);
	cr_assert_eq(access(path, F_OK), -1, "no file is created");
	vsnd_sink_destroy(s);
}

Test(sink_sndfile, unstorable_formats_refused_at_open)
{
	const uint8_t flac_no[] = { VIRTIO_SND_PCM_FMT_S32, VIRTIO_SND_PCM_FMT_U32,
				    VIRTIO_SND_PCM_FMT_FLOAT, VIRTIO_SND_PCM_FMT_FLOAT64,
				    VIRTIO_SND_PCM_FMT_MU_LAW, VIRTIO_SND_PCM_FMT_A_LAW,
				    VIRTIO_SND_PCM_FMT_IMA_ADPCM, VIRTIO_SND_PCM_FMT_DSD_U8,
				    VIRTIO_SND_PCM_FMT_IEC958_SUBFRAME };
	for (size_t i = 0; i < sizeof(flac_no); i++)
		expect_open_refused("flac", flac_no[i]);
	const uint8_t wav_no[] = { VIRTIO_SND_PCM_FMT_IMA_ADPCM, VIRTIO_SND_PCM_FMT_DSD_U8,
				   VIRTIO_SND_PCM_FMT_DSD_U16, VIRTIO_SND_PCM_FMT_DSD_U32,
				   VIRTIO_SND_PCM_FMT_IEC958_SUBFRAME };
	for (size_t i = 0; i < sizeof(wav_no); i++)
		expect_open_refused("wav", wav_no[i]);
}

/* Two cycles with the same parameters append; a third with new parameters starts PATH-1. */
static void cycles(const char *ext)
{
	char path[512], path1[512], spec[600];
	snprintf(path, sizeof(path), "%s/play.%s", dir, ext);
	snprintf(path1, sizeof(path1), "%s/play-1.%s", dir, ext);
	snprintf(spec, sizeof(spec), "%s:%s", ext, path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct report_log log;
	attach_log(s, &log);
	const struct tfmt f16 = { VIRTIO_SND_PCM_FMT_S16, 2, 16, 0, 0 };
	const struct tfmt f24 = { VIRTIO_SND_PCM_FMT_S24_3, 3, 24, 0, 0 };
	uint8_t a[2 * 2 * 500], b[2 * 2 * 700], c[3 * 1 * 400];
	fill_random(&f16, a, 1000, 1);
	fill_random(&f16, b, 1400, 2);
	fill_random(&f24, c, 400, 3);

	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_44100);
	cr_assert_eq(s->ops->open(s, &p), 0);
	cr_assert_eq(s->ops->write(s, a, sizeof(a)), 0);
	s->ops->close(s);
	cr_assert_eq(s->ops->open(s, &p), 0, "%s", log.last_msg);
	cr_assert_eq(s->ops->write(s, b, sizeof(b)), 0);
	s->ops->close(s);
	/* After each close the file is complete on disk. */
	uint8_t ab[sizeof(a) + sizeof(b)];
	memcpy(ab, a, sizeof(a));
	memcpy(ab + sizeof(a), b, sizeof(b));
	check_file(path, &f16, !strcmp(ext, "flac"), 2, 44100, ab, 1200);

	struct vsnd_pcm_params q = make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S24_3, 1,
					       VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &q), 0);
	cr_assert_eq(s->ops->write(s, c, sizeof(c)), 0);
	s->ops->close(s);
	/* Changing back is another change: PATH-2. */
	cr_assert_eq(s->ops->open(s, &p), 0);
	cr_assert_eq(s->ops->write(s, a, sizeof(a)), 0);
	vsnd_sink_destroy(s);
	cr_assert_eq(log.count, 0, "%s", log.last_msg);

	check_file(path, &f16, !strcmp(ext, "flac"), 2, 44100, ab, 1200);
	check_file(path1, &f24, !strcmp(ext, "flac"), 1, 48000, c, 400);
	char path2[512];
	snprintf(path2, sizeof(path2), "%s/play-2.%s", dir, ext);
	check_file(path2, &f16, !strcmp(ext, "flac"), 2, 44100, a, 500);
	char prev[600];
	snprintf(prev, sizeof(prev), "%s.prev", path);
	cr_assert_eq(access(prev, F_OK), -1, "no temporary file left");
}

Test(sink_sndfile, wav_cycles_append_then_suffix)
{
	cycles("wav");
}

Test(sink_sndfile, flac_cycles_append_then_suffix)
{
	cycles("flac");
}

Test(sink_sndfile, suffix_goes_before_extension_or_at_end)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/noext", dir);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000);
	struct vsnd_pcm_params q =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 1, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), 0);
	s->ops->close(s);
	cr_assert_eq(s->ops->open(s, &q), 0);
	s->ops->close(s);
	vsnd_sink_destroy(s);
	char p1[600];
	snprintf(p1, sizeof(p1), "%s-1", path);
	cr_assert_eq(access(path, F_OK), 0);
	cr_assert_eq(access(p1, F_OK), 0);
}

Test(sink_sndfile, partial_frame_at_close_is_dropped_and_reported)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/partial.wav", dir);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 2, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), 0);
	const uint8_t in[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	cr_assert_eq(s->ops->write(s, in, 10), 0);
	s->ops->close(s);
	cr_assert_eq(log.errors, 1);
	vsnd_sink_destroy(s);
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	cr_assert_eq(info.frames, 2);
	sf_close(sf);
}

/* Write a file with libsndfile directly for the source tests. */
static void write_int_file(const char *path, int format, int ch, int rate, const int32_t *v,
			   int frames)
{
	SF_INFO info = { .samplerate = rate, .channels = ch, .format = format };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	cr_assert_not_null(sf, "%s", sf_strerror(NULL));
	cr_assert_eq(sf_writef_int(sf, v, frames), frames);
	sf_close(sf);
}

static void read_source(const char *path, uint8_t fmt, uint8_t ch, void *buf, uint32_t bytes)
{
	char spec[600];
	snprintf(spec, sizeof(spec), "file:%s", path);
	struct vsnd_sink *src = make_sink(spec, VIRTIO_SND_D_INPUT);
	struct vsnd_pcm_params p = make_params(VIRTIO_SND_D_INPUT, fmt, ch, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(src->ops->open(src, &p), 0);
	cr_assert_eq(src->ops->read(src, buf, bytes), 0);
	vsnd_sink_destroy(src);
}

Test(sink_sndfile, source_s16_file_to_each_format)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/in16.wav", dir);
	int16_t s16[] = { 0, 1, -1, 32767, -32768, 12345, -12345, 256 };
	int32_t v[8];
	for (int i = 0; i < 8; i++)
		v[i] = (int32_t)((uint32_t)(int32_t)s16[i] << 16);
	write_int_file(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 48000, v, 8);

	int16_t got16[8];
	read_source(path, VIRTIO_SND_PCM_FMT_S16, 1, got16, sizeof(got16));
	cr_assert_eq(memcmp(got16, s16, sizeof(s16)), 0, "S16 -> S16 identical");

	int32_t got24[8], got32[8];
	read_source(path, VIRTIO_SND_PCM_FMT_S24, 1, got24, sizeof(got24));
	read_source(path, VIRTIO_SND_PCM_FMT_S32, 1, got32, sizeof(got32));
	float gotf[8];
	read_source(path, VIRTIO_SND_PCM_FMT_FLOAT, 1, gotf, sizeof(gotf));
	uint8_t got8[8];
	read_source(path, VIRTIO_SND_PCM_FMT_U8, 1, got8, sizeof(got8));
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(got24[i], s16[i] * 256, "S24 %d", i);
		cr_assert_eq(got32[i], s16[i] * 65536, "S32 %d", i);
		cr_assert_eq(gotf[i], (float)s16[i] / 32768.0f, "FLOAT %d", i);
		cr_assert_eq(got8[i], (uint8_t)((s16[i] >> 8) + 128), "U8 %d", i);
	}
}

Test(sink_sndfile, source_float_file_to_s16_and_float_exact)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/inf.wav", dir);
	float f[] = { 0.0f, 0.5f, -0.5f, -1.0f, 1.0f, 3.0f / 32768.0f, -7.0f / 32768.0f };
	SF_INFO info = { .samplerate = 44100, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	cr_assert_eq(sf_writef_float(sf, f, 7), 7);
	sf_close(sf);
	int16_t got[7];
	read_source(path, VIRTIO_SND_PCM_FMT_S16, 1, got, sizeof(got));
	const int16_t want[] = { 0, 16384, -16384, -32768, 32767, 3, -7 };
	cr_assert_eq(memcmp(got, want, sizeof(want)), 0);
	float gotf[7];
	read_source(path, VIRTIO_SND_PCM_FMT_FLOAT, 1, gotf, sizeof(gotf));
	cr_assert_eq(memcmp(gotf, f, sizeof(f)), 0);
}

Test(sink_sndfile, source_channels_map_modulo_and_pad_with_silence)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/st.flac", dir);
	/* Stereo FLAC file, 3 frames: (L, R) = (100, -100), (200, -200), (300, -300). */
	int32_t v[6];
	for (int i = 0; i < 3; i++) {
		v[2 * i] = (100 * (i + 1)) * 65536;
		v[2 * i + 1] = -(100 * (i + 1)) * 65536;
	}
	write_int_file(path, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 2, 48000, v, 3);
	int16_t got[5 * 3]; /* 3 channels x 5 frames: L R L, then 2 frames of padding */
	read_source(path, VIRTIO_SND_PCM_FMT_S16, 3, got, sizeof(got));
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(got[3 * i], 100 * (i + 1));
		cr_assert_eq(got[3 * i + 1], -100 * (i + 1));
		cr_assert_eq(got[3 * i + 2], 100 * (i + 1));
	}
	for (int i = 9; i < 15; i++)
		cr_assert_eq(got[i], 0, "padding %d", i);

	uint8_t u8[6]; /* mono U8 stream: takes the left channel; padding is 0x80 */
	read_source(path, VIRTIO_SND_PCM_FMT_U8, 1, u8, sizeof(u8));
	const uint8_t want[] = { 0x80, 0x80, 0x81, 0x80, 0x80, 0x80 };
	cr_assert_eq(memcmp(u8, want, 6), 0, "%02x %02x %02x %02x", u8[0], u8[1], u8[2], u8[3]);
}

Test(sink_sndfile, source_restarts_at_each_open)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/re.wav", dir);
	int32_t v[4] = { 1 << 16, 2 << 16, 3 << 16, 4 << 16 };
	write_int_file(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 48000, v, 4);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	struct vsnd_sink *src = make_sink(spec, VIRTIO_SND_D_INPUT);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_INPUT, VIRTIO_SND_PCM_FMT_S16, 1, VIRTIO_SND_PCM_RATE_48000);
	int16_t got[3];
	for (int cycle = 0; cycle < 2; cycle++) {
		cr_assert_eq(src->ops->open(src, &p), 0);
		cr_assert_eq(src->ops->read(src, got, 6), 0);
		cr_assert_eq(got[0], 1);
		cr_assert_eq(got[2], 3);
		src->ops->close(src);
	}
	vsnd_sink_destroy(src);
}

Test(sink_sndfile, wrong_direction_calls_fail_cleanly)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/d.wav", dir);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	uint8_t buf[4] = { 0 };
	cr_assert_eq(s->ops->write(s, buf, 4), -EINVAL, "write before open");
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 1, VIRTIO_SND_PCM_RATE_48000);
	cr_assert_eq(s->ops->open(s, &p), 0);
	cr_assert_eq(s->ops->read(s, buf, 4), -EINVAL);
	vsnd_sink_destroy(s);
}

Test(sink_sndfile, append_works_for_every_format_and_channel_count)
{
	for (int flac = 0; flac < 2; flac++)
		for (size_t fi = 0; fi < N_TFMTS; fi++) {
			const struct tfmt *f = &tfmts[fi];
			if (expected_subtype(f, flac) < 0)
				continue;
			for (uint8_t ch = 1; ch <= 8; ch++) {
				char path[512], spec[600];
				snprintf(path, sizeof(path), "%s/app.%s", dir, flac ? "flac" : "wav");
				snprintf(spec, sizeof(spec), "%s:%s", flac ? "flac" : "wav", path);
				struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
				struct report_log log;
				attach_log(s, &log);
				struct vsnd_pcm_params p = make_params(VIRTIO_SND_D_OUTPUT, f->fmt, ch,
								       VIRTIO_SND_PCM_RATE_22050);
				uint32_t len = 50 * p.frame_bytes;
				uint8_t *in = malloc(3 * len);
				fill_random(f, in, 150 * (size_t)ch, 11 + ch);
				for (int cycle = 0; cycle < 3; cycle++) {
					cr_assert_eq(s->ops->open(s, &p), 0, "%s", log.last_msg);
					cr_assert_eq(s->ops->write(s, in + cycle * len, len), 0);
					s->ops->close(s);
				}
				vsnd_sink_destroy(s);
				cr_assert_eq(log.count, 0, "%s %s %u ch: %s", spec,
					     vsnd_format_name(f->fmt), ch, log.last_msg);
				check_file(path, f, flac, ch, 22050, in, 150);
				free(in);
				unlink(path);
			}
		}
}

Test(sink_sndfile, file_removed_between_cycles_is_started_again)
{
	char path[512], spec[600];
	snprintf(path, sizeof(path), "%s/gone.wav", dir);
	snprintf(spec, sizeof(spec), "wav:%s", path);
	struct vsnd_sink *s = make_sink(spec, VIRTIO_SND_D_OUTPUT);
	struct report_log log;
	attach_log(s, &log);
	struct vsnd_pcm_params p =
		make_params(VIRTIO_SND_D_OUTPUT, VIRTIO_SND_PCM_FMT_S16, 1, VIRTIO_SND_PCM_RATE_48000);
	const struct tfmt f16 = { VIRTIO_SND_PCM_FMT_S16, 2, 16, 0, 0 };
	uint8_t a[200], b[300];
	fill_random(&f16, a, 100, 8);
	fill_random(&f16, b, 150, 9);
	cr_assert_eq(s->ops->open(s, &p), 0);
	cr_assert_eq(s->ops->write(s, a, sizeof(a)), 0);
	s->ops->close(s);
	unlink(path);
	cr_assert_eq(s->ops->open(s, &p), 0, "%s", log.last_msg);
	cr_assert_eq(s->ops->write(s, b, sizeof(b)), 0);
	vsnd_sink_destroy(s);
	check_file(path, &f16, 0, 1, 48000, b, 150);
}
