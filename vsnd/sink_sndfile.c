/* sink_sndfile.c - libsndfile backend: `wav:PATH` and `flac:PATH` output sinks that store the
 * exact PCM the device consumed, and `file:`/`wav:`/`flac:PATH` capture sources.
 *
 * Output representation (what lands in the file for each virtio format, 3.7 of the notes):
 * - Written byte for byte with sf_write_raw (WAV only; WAV data is little-endian like virtio):
 *   U8 -> PCM_U8, S16 -> PCM_16, S24_3 -> PCM_24, S32 -> PCM_32, FLOAT -> FLOAT,
 *   FLOAT64 -> DOUBLE, MU_LAW -> ULAW, A_LAW -> ALAW.
 * - Written through a lossless mapping (sf_write_int of the sample left-justified to 32 bits,
 *   which libsndfile stores by shifting right, so nothing is rounded): S8 -> PCM_U8 (WAV
 *   8-bit is unsigned), U16 -> PCM_16, U24_3 -> PCM_24, U32 -> PCM_32 (offset binary made
 *   signed), S18_3/U18_3/S20_3/U20_3 -> PCM_24 and S20/U20 -> PCM_24 (significant bits made
 *   most significant, as WAVE_FORMAT_EXTENSIBLE "valid bits" would store them),
 *   S24/U24 (24 bits in a 32-bit container) -> PCM_24. There is no 24-in-32 WAV subtype in
 *   libsndfile; PCM_24 is chosen over "PCM_32 shifted left by 8" because it says what the
 *   data is (24 significant bits), matches FLAC and is smaller. The container's padding
 *   byte is not stored: reading back gives it sign-extended (zero for U24), which is how
 *   ALSA and Linux define S24_LE/U24_LE (the top byte carries no data).
 * - FLAC (libsndfile/libFLAC: integers of at most 24 bits; always through sf_write_int):
 *   U8/S8 -> PCM_S8, S16/U16 -> PCM_16, every 18..24-bit format -> PCM_24.
 * - Refused at open() with -ENOTSUP (the device answers IO_ERR): IMA_ADPCM, DSD_*,
 *   IEC958_SUBFRAME in both; S32/U32/FLOAT/FLOAT64/MU_LAW/A_LAW in FLAC.
 *
 * Several open/close cycles of one output stream (the guest plays twice): if format, rate
 * and channels are unchanged the new data is appended to the same file (WAV: reopened
 * read-write and extended; FLAC: the finished file is re-encoded into a new one, since a
 * FLAC stream cannot be extended). If they changed, a new file is started whose name is
 * PATH with "-N" inserted before the extension (out.wav, out-1.wav, out-2.wav, ...; N counts
 * parameter changes). Every file is complete and valid after each close().
 * A partial trailing frame in one write() is kept and completed by the next one; one still
 * incomplete at close() is dropped and reported.
 *
 * Input: any file libsndfile reads, converted to the stream's format: integer PCM files
 * through 32-bit left-justified ints, float files (and float streams) through normalised
 * doubles, so an S16 file read as S16 (or S24, S32, FLOAT) is exact. Channel c of the stream
 * takes file channel c % file_channels (mono is duplicated). No resampling: the file's
 * samples are delivered at the stream's rate. At end of file the stream is padded with
 * silence. Each open() restarts from the beginning of the file. */
#include <errno.h>
#include <fcntl.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"
#include "virtio_snd.h"

#define SF_CHUNK_FRAMES 1024u
#define SF_MAX_FRAME (8u * 255u) /* largest sample (FLOAT64) x largest channel count */

struct sf_sink {
	struct vsnd_sink base;
	int input;                /* a capture source */
	int is_flac;              /* output container */
	char *path;               /* as given in the spec */
	char *cur_path;           /* output: the file being written */
	unsigned suffix;          /* output: number of parameter changes so far */
	int have_file;            /* output: cur_path is a finished file with `last` params */
	struct vsnd_pcm_params last;

	SNDFILE *sf;
	SF_INFO info;
	int is_open;
	struct vsnd_pcm_params p;
	struct vsnd_format_desc d;
	uint32_t frame_bytes;
	int raw;                  /* output: bytes go to the file unchanged */
	uint8_t carry[SF_MAX_FRAME];
	uint32_t carry_len;

	int use_double;           /* input: convert through doubles */
	int eof;                  /* input: the file is exhausted; pad with silence */
	int32_t *ibuf;            /* SF_CHUNK_FRAMES x max(file, stream) channels */
	double *dbuf;
};

static struct sf_sink *to_sf(struct vsnd_sink *s)
{
	return (struct sf_sink *)s;
}

/* The libsndfile subtype an output format is stored as (see the header comment), or -1. */
static int out_subtype(int flac, uint8_t format, const struct vsnd_format_desc *d, int *raw)
{
	*raw = 0;
	if (flac) {
		if (d->kind != VSND_SK_INT || d->bits > 24)
			return -1;
		return d->bits <= 8 ? SF_FORMAT_PCM_S8 : d->bits <= 16 ? SF_FORMAT_PCM_16
									  : SF_FORMAT_PCM_24;
	}
	switch (d->kind) {
	case VSND_SK_INT:
		if (format == VIRTIO_SND_PCM_FMT_U8)
			*raw = 1;
		else if (!d->is_unsigned && d->bits == 8u * d->bytes && d->bits >= 16)
			*raw = 1;
		return d->bits <= 8 ? SF_FORMAT_PCM_U8 : d->bits <= 16 ? SF_FORMAT_PCM_16
			: d->bits <= 24 ? SF_FORMAT_PCM_24 : SF_FORMAT_PCM_32;
	case VSND_SK_FLOAT:
		*raw = 1;
		return SF_FORMAT_FLOAT;
	case VSND_SK_FLOAT64:
		*raw = 1;
		return SF_FORMAT_DOUBLE;
	case VSND_SK_MULAW:
		*raw = 1;
		return SF_FORMAT_ULAW;
	case VSND_SK_ALAW:
		*raw = 1;
		return SF_FORMAT_ALAW;
	case VSND_SK_NONE:
		break;
	}
	return -1;
}

/* PATH for suffix 0, else PATH with "-N" before the extension of its last component. */
static char *suffixed_path(const char *path, unsigned n)
{
	size_t len = strlen(path);
	char *r = malloc(len + 16);
	if (!r)
		return NULL;
	if (n == 0) {
		memcpy(r, path, len + 1);
		return r;
	}
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		dot = path + len;
	int pre = (int)(dot - path);
	snprintf(r, len + 16, "%.*s-%u%s", pre, path, n, dot);
	return r;
}

static int sf_fail(struct sf_sink *f, int err, const char *what, const char *path, SNDFILE *sf)
{
	vsnd_sink_report(&f->base, VSND_SINK_EV_ERROR, err, "%s: %s '%s': %s", f->base.ops->name,
			 what, path, sf_strerror(sf));
	return err;
}

static int create_file(struct sf_sink *f, int container)
{
	memset(&f->info, 0, sizeof(f->info));
	f->info.samplerate = (int)f->p.rate_hz;
	f->info.channels = f->p.channels;
	f->info.format = container;
	if (!sf_format_check(&f->info)) {
		vsnd_sink_report(&f->base, VSND_SINK_EV_ERROR, -ENOTSUP,
				 "%s: libsndfile cannot store %s, %u channels, %u Hz", f->base.ops->name,
				 vsnd_format_name(f->p.format), f->p.channels, f->p.rate_hz);
		return -ENOTSUP;
	}
	f->sf = sf_open(f->cur_path, SFM_WRITE, &f->info);
	if (!f->sf)
		return sf_fail(f, -EIO, "cannot create", f->cur_path, NULL);
	if (!f->is_flac)
		sf_command(f->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
	return 0;
}

/* Reopen the finished file of the previous cycle so new frames go after the old ones. */
static int append_file(struct sf_sink *f, int container)
{
	if (!f->is_flac) {
		SF_INFO in = { 0 };
		f->sf = sf_open(f->cur_path, SFM_RDWR, &in);
		if (!f->sf)
			return sf_fail(f, -EIO, "cannot reopen", f->cur_path, NULL);
		if (in.format != container || in.channels != f->p.channels ||
		    in.samplerate != (int)f->p.rate_hz ||
		    sf_seek(f->sf, 0, SEEK_END | SFM_WRITE) < 0) {
			sf_close(f->sf);
			f->sf = NULL;
			vsnd_sink_report(&f->base, VSND_SINK_EV_ERROR, -EIO,
					 "%s: '%s' changed on disk; cannot append", f->base.ops->name,
					 f->cur_path);
			return -EIO;
		}
		f->info = in;
		return 0;
	}
	/* FLAC: move the old file aside, write a new one starting with its frames. */
	size_t len = strlen(f->cur_path);
	char *prev = malloc(len + 8);
	if (!prev)
		return -ENOMEM;
	snprintf(prev, len + 8, "%s.prev", f->cur_path);
	int rc;
	if (rename(f->cur_path, prev)) {
		rc = -errno;
		vsnd_sink_report(&f->base, VSND_SINK_EV_ERROR, rc, "%s: cannot reopen '%s': %s",
				 f->base.ops->name, f->cur_path, strerror(errno));
		free(prev);
		return rc;
	}
	SF_INFO in = { 0 };
	SNDFILE *old = sf_open(prev, SFM_READ, &in);
	if (!old) {
		rc = sf_fail(f, -EIO, "cannot read back", prev, NULL);
		rename(prev, f->cur_path);
		free(prev);
		return rc;
	}
	rc = create_file(f, container);
	if (!rc) {
		int32_t *tmp = malloc(sizeof(int32_t) * SF_CHUNK_FRAMES * (size_t)in.channels);
		sf_count_t n;
		if (!tmp)
			rc = -ENOMEM;
		while (!rc && (n = sf_readf_int(old, tmp, SF_CHUNK_FRAMES)) > 0)
			if (sf_writef_int(f->sf, tmp, n) != n)
				rc = sf_fail(f, -EIO, "cannot write", f->cur_path, f->sf);
		free(tmp);
		if (rc) {
			sf_close(f->sf);
			f->sf = NULL;
		}
	}
	sf_close(old);
	if (rc)
		rename(prev, f->cur_path); /* keep the previous recording as it was */
	else
		unlink(prev);
	free(prev);
	return rc;
}

static int same_params(const struct vsnd_pcm_params *a, const struct vsnd_pcm_params *b)
{
	return a->format == b->format && a->rate_hz == b->rate_hz && a->channels == b->channels;
}

static int sf_out_open(struct sf_sink *f, const struct vsnd_pcm_params *p)
{
	int sub = out_subtype(f->is_flac, p->format, &f->d, &f->raw);
	if (sub < 0) {
		vsnd_sink_report(&f->base, VSND_SINK_EV_ERROR, -ENOTSUP,
				 "%s: format %s cannot be stored exactly in %s", f->base.ops->name,
				 vsnd_format_name(p->format), f->is_flac ? "FLAC" : "WAV");
		return -ENOTSUP;
	}
	int container = (f->is_flac ? SF_FORMAT_FLAC : SF_FORMAT_WAV) | sub;
	if (f->have_file && same_params(&f->last, p)) {
		if (!access(f->cur_path, F_OK))
			return append_file(f, container);
		return create_file(f, container); /* removed meanwhile: start it again */
	}

	unsigned n = f->have_file ? f->suffix + 1 : f->suffix;
	char *path = suffixed_path(f->path, n);
	if (!path)
		return -ENOMEM;
	free(f->cur_path);
	f->cur_path = path;
	int rc = create_file(f, container);
	if (!rc) {
		f->suffix = n;
		f->have_file = 0;
	}
	return rc;
}

static int sf_in_open(struct sf_sink *f)
{
	int sub = f->info.format & SF_FORMAT_SUBMASK;
	int int_file = sub == SF_FORMAT_PCM_S8 || sub == SF_FORMAT_PCM_U8 ||
		       sub == SF_FORMAT_PCM_16 || sub == SF_FORMAT_PCM_24 ||
		       sub == SF_FORMAT_PCM_32;
	if (f->d.kind == VSND_SK_NONE) {
		vsnd_sink_report(&f->base, VSND_SINK_EV_ERROR, -ENOTSUP,
				 "%s: cannot convert '%s' to format %s", f->base.ops->name, f->path,
				 vsnd_format_name(f->p.format));
		return -ENOTSUP;
	}
	f->use_double = !int_file || f->d.kind == VSND_SK_FLOAT || f->d.kind == VSND_SK_FLOAT64;
	if (sf_seek(f->sf, 0, SEEK_SET) < 0 && f->info.frames > 0)
		return sf_fail(f, -EIO, "cannot rewind", f->path, f->sf);
	f->eof = 0;
	return 0;
}

static int sf_open_stream(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	struct sf_sink *f = to_sf(s);
	if (f->is_open)
		s->ops->close(s);
	if (vsnd_format_desc(p->format, &f->d) || !p->channels || !p->rate_hz) {
		vsnd_sink_report(s, VSND_SINK_EV_ERROR, -EINVAL, "%s: bad parameters (format %u)",
				 s->ops->name, p->format);
		return -EINVAL;
	}
	f->p = *p;
	f->frame_bytes = f->d.bytes * p->channels;
	f->carry_len = 0;
	int rc = f->input ? sf_in_open(f) : sf_out_open(f, p);
	if (rc)
		return rc;
	f->is_open = 1;
	return 0;
}

static int write_frames(struct sf_sink *f, const uint8_t *src, uint32_t frames)
{
	if (f->raw) {
		sf_count_t n = (sf_count_t)frames * f->frame_bytes;
		if (sf_write_raw(f->sf, src, n) != n)
			return sf_fail(f, -EIO, "write failed on", f->cur_path, f->sf);
		return 0;
	}
	while (frames) {
		uint32_t n = frames < SF_CHUNK_FRAMES ? frames : SF_CHUNK_FRAMES;
		uint32_t samples = n * f->p.channels;
		for (uint32_t i = 0; i < samples; i++)
			f->ibuf[i] = vsnd_sample_to_s32(f->p.format, src + (size_t)i * f->d.bytes);
		if (sf_writef_int(f->sf, f->ibuf, n) != n)
			return sf_fail(f, -EIO, "write failed on", f->cur_path, f->sf);
		src += (size_t)n * f->frame_bytes;
		frames -= n;
	}
	return 0;
}

static int sf_write_stream(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	struct sf_sink *f = to_sf(s);
	const uint8_t *src = buf;
	int rc;
	if (!f->is_open || f->input)
		return -EINVAL;
	if (!bytes)
		return 0;
	if (f->carry_len) {
		uint32_t take = f->frame_bytes - f->carry_len;
		if (take > bytes)
			take = bytes;
		memcpy(f->carry + f->carry_len, src, take);
		f->carry_len += take;
		src += take;
		bytes -= take;
		if (f->carry_len < f->frame_bytes)
			return 0;
		f->carry_len = 0;
		if ((rc = write_frames(f, f->carry, 1)))
			return rc;
	}
	if ((rc = write_frames(f, src, bytes / f->frame_bytes)))
		return rc;
	f->carry_len = bytes % f->frame_bytes;
	memcpy(f->carry, src + bytes - f->carry_len, f->carry_len);
	return 0;
}

static int sf_read_stream(struct vsnd_sink *s, void *buf, uint32_t bytes)
{
	struct sf_sink *f = to_sf(s);
	uint8_t *out = buf;
	if (!f->is_open || !f->input)
		return -EINVAL;
	uint32_t frames = bytes / f->frame_bytes;
	int fc = f->info.channels;
	while (frames) {
		uint32_t n = frames < SF_CHUNK_FRAMES ? frames : SF_CHUNK_FRAMES;
		sf_count_t got = 0;
		if (!f->eof) {
			got = f->use_double ? sf_readf_double(f->sf, f->dbuf, n)
					    : sf_readf_int(f->sf, f->ibuf, n);
			if (got < (sf_count_t)n) {
				f->eof = 1;
				if (got < 0)
					got = 0;
			}
		}
		for (sf_count_t i = 0; i < got; i++)
			for (uint32_t c = 0; c < f->p.channels; c++) {
				size_t k = (size_t)i * fc + c % fc;
				uint8_t *dst = out + ((size_t)i * f->p.channels + c) * f->d.bytes;
				if (f->use_double)
					vsnd_sample_from_double(f->p.format, f->dbuf[k], dst);
				else
					vsnd_sample_from_s32(f->p.format, f->ibuf[k], dst);
			}
		vsnd_fill_silence(f->p.format, out + (size_t)got * f->frame_bytes,
				  (uint32_t)(n - got) * f->frame_bytes);
		out += (size_t)n * f->frame_bytes;
		frames -= n;
	}
	vsnd_fill_silence(f->p.format, out, bytes % f->frame_bytes);
	return 0;
}

static void sf_out_close(struct sf_sink *f)
{
	if (f->carry_len)
		vsnd_sink_report(&f->base, VSND_SINK_EV_ERROR, -EINVAL,
				 "%s: dropped %u bytes of an incomplete frame at close",
				 f->base.ops->name, f->carry_len);
	f->carry_len = 0;
	if (f->sf) {
		sf_close(f->sf);
		f->sf = NULL;
		f->have_file = 1;
		f->last = f->p;
	}
}

static void sf_close_stream(struct vsnd_sink *s)
{
	struct sf_sink *f = to_sf(s);
	if (!f->is_open)
		return;
	if (!f->input)
		sf_out_close(f);
	f->is_open = 0;
}

static void sf_destroy(struct vsnd_sink *s)
{
	struct sf_sink *f = to_sf(s);
	sf_close_stream(s);
	if (f->sf)
		sf_close(f->sf);
	free(f->ibuf);
	free(f->dbuf);
	free(f->path);
	free(f->cur_path);
	free(f);
}

/* write() on a source and read() on a sink answer -EINVAL. */
static const struct vsnd_sink_ops wav_out_ops = {
	.name = "wav", .open = sf_open_stream, .write = sf_write_stream,
	.read = sf_read_stream, .close = sf_close_stream, .destroy = sf_destroy,
};
static const struct vsnd_sink_ops flac_out_ops = {
	.name = "flac", .open = sf_open_stream, .write = sf_write_stream,
	.read = sf_read_stream, .close = sf_close_stream, .destroy = sf_destroy,
};
static const struct vsnd_sink_ops file_in_ops = {
	.name = "file", .open = sf_open_stream, .write = sf_write_stream,
	.read = sf_read_stream, .close = sf_close_stream, .destroy = sf_destroy,
};

/* A path we will be able to create or overwrite later, checked now so a bad spec is refused
 * at once rather than at the first PREPARE. Probes by opening for writing (an existing file
 * is not truncated; a new one is created and removed again), so it leaves nothing behind. */
static int check_writable(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;
	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "'%s' is a directory", path);
			return -1;
		}
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "'%s' is not writable: %s", path, strerror(errno));
			return -1;
		}
		close(fd);
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(path);
	return 0;
}

int vsnd_sink_sndfile_new(const char *kind, const char *arg, int direction,
			  struct vsnd_sink **out, char *err, size_t errlen)
{
	int input = direction == VIRTIO_SND_D_INPUT;
	if (!input && !strcmp(kind, "file")) {
		snprintf(err, errlen, "'file:PATH' is an input source; outputs use wav:PATH or "
				      "flac:PATH");
		return -1;
	}
	if (!arg || !*arg) {
		snprintf(err, errlen, "'%s' needs a path: %s:PATH", kind, kind);
		return -1;
	}
	if (strlen(arg) >= 4000) {
		snprintf(err, errlen, "'%s' path too long", kind);
		return -1;
	}
	struct sf_sink *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(arg))) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->base.priv = f;
	f->base.paces = 0;
	f->input = input;
	if (input) {
		f->base.ops = &file_in_ops;
		f->sf = sf_open(arg, SFM_READ, &f->info);
		if (!f->sf) {
			snprintf(err, errlen, "cannot read audio file '%s': %s", arg,
				 sf_strerror(NULL));
			sf_destroy(&f->base);
			return -1;
		}
		if (f->info.channels < 1 || f->info.channels > 255) {
			snprintf(err, errlen, "'%s': unsupported channel count %d", arg,
				 f->info.channels);
			sf_destroy(&f->base);
			return -1;
		}
	} else {
		f->is_flac = !strcmp(kind, "flac");
		f->base.ops = f->is_flac ? &flac_out_ops : &wav_out_ops;
		if (check_writable(arg, err, errlen)) {
			sf_destroy(&f->base);
			return -1;
		}
	}
	size_t ch = 255; /* stream and (checked) file channel counts are at most 255 */
	f->ibuf = malloc(sizeof(int32_t) * SF_CHUNK_FRAMES * ch);
	f->dbuf = input ? malloc(sizeof(double) * SF_CHUNK_FRAMES * ch) : NULL;
	if (!f->ibuf || (input && !f->dbuf)) {
		snprintf(err, errlen, "out of memory");
		sf_destroy(&f->base);
		return -1;
	}
	*out = &f->base;
	return 0;
}
