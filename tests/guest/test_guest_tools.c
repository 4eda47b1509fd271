/* test_guest_tools.c - host tests of the guest-side tools: the newc cpio writer (parsed back
 * by an independent reader here) and /init's pure helpers (WAV headers, options, FNV-1a). */
#include <criterion/criterion.h>
#include <errno.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/init/initlib.h"
#include "vsndtrace/cpio.h"

/* ---- an independent newc reader ---------------------------------------------------------- */

struct entry {
	char name[4200];
	uint32_t ino, mode, uid, gid, nlink, mtime, size, rmajor, rminor, check;
	size_t hdr_off, data_off;
	const uint8_t *data;
};

static uint32_t hex8(const uint8_t *p)
{
	char tmp[9];
	memcpy(tmp, p, 8);
	tmp[8] = 0;
	for (int i = 0; i < 8; i++)
		cr_assert(strchr("0123456789ABCDEFabcdef", tmp[i]) && tmp[i], "bad hex field");
	return (uint32_t)strtoul(tmp, NULL, 16);
}

/* Parses one entry at *off; returns 1 for a normal entry, 0 for the trailer. */
static int next_entry(const uint8_t *buf, size_t len, size_t *off, struct entry *e)
{
	size_t o = *off;
	cr_assert_eq(o % 4, 0, "header at %zu not 4-aligned", o);
	cr_assert_leq(o + 110, len);
	cr_assert_eq(memcmp(buf + o, "070701", 6), 0);
	uint32_t f[13];
	for (int i = 0; i < 13; i++)
		f[i] = hex8(buf + o + 6 + 8 * i);
	e->ino = f[0], e->mode = f[1], e->uid = f[2], e->gid = f[3], e->nlink = f[4];
	e->mtime = f[5], e->size = f[6], e->rmajor = f[9], e->rminor = f[10], e->check = f[12];
	cr_assert_eq(f[7], 0);
	cr_assert_eq(f[8], 0);
	uint32_t namesize = f[11];
	cr_assert(namesize >= 2 && namesize < sizeof(e->name));
	cr_assert_leq(o + 110 + namesize, len);
	memcpy(e->name, buf + o + 110, namesize);
	cr_assert_eq(e->name[namesize - 1], '\0', "name not NUL-terminated");
	cr_assert_eq(strlen(e->name), namesize - 1);
	size_t d = o + 110 + namesize;
	for (; d % 4; d++)
		cr_assert_eq(buf[d], 0, "name padding not zero");
	e->hdr_off = o;
	e->data_off = d;
	e->data = buf + d;
	cr_assert_leq(d + e->size, len);
	size_t end = d + e->size;
	for (; end % 4; end++)
		cr_assert_eq(buf[end], 0, "data padding not zero");
	*off = end;
	return strcmp(e->name, "TRAILER!!!") != 0;
}

static uint8_t *slurp(FILE *f, size_t *len)
{
	fflush(f);
	long n = ftell(f);
	cr_assert_geq(n, 0);
	uint8_t *buf = malloc((size_t)n + 1);
	rewind(f);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	*len = (size_t)n;
	return buf;
}

Test(cpio, entries_parse_back_exactly)
{
	FILE *f = tmpfile();
	struct vsnd_cpio c;
	vsnd_cpio_init(&c, f, 1704067200);
	uint8_t data[4099];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	cr_assert_eq(vsnd_cpio_add_dir(&c, "/dev", 0755), 0);
	cr_assert_eq(vsnd_cpio_add_chardev(&c, "dev/console", 0600, 5, 1), 0);
	const uint64_t sizes[] = {0, 1, 2, 3, 4, 5, 4099};
	for (int i = 0; i < 7; i++) {
		char name[32];
		snprintf(name, sizeof(name), "./f%d", i);
		cr_assert_eq(vsnd_cpio_add_data(&c, name, 0644, data, sizes[i]), 0);
	}
	cr_assert_eq(vsnd_cpio_finish(&c), 0);
	size_t len;
	uint8_t *buf = slurp(f, &len);
	cr_assert_eq(len % 4, 0);
	cr_assert_eq(c.offset, len);

	size_t off = 0;
	struct entry e;
	cr_assert_eq(next_entry(buf, len, &off, &e), 1);
	cr_assert_str_eq(e.name, "dev");
	cr_assert_eq(e.mode, 040755);
	cr_assert_eq(e.nlink, 2);
	cr_assert_eq(e.size, 0);
	cr_assert_eq(e.mtime, 1704067200);
	cr_assert_eq(e.ino, 1);
	cr_assert_eq(next_entry(buf, len, &off, &e), 1);
	cr_assert_str_eq(e.name, "dev/console");
	cr_assert_eq(e.mode, 020600);
	cr_assert_eq(e.rmajor, 5);
	cr_assert_eq(e.rminor, 1);
	cr_assert_eq(e.ino, 2);
	for (int i = 0; i < 7; i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%d", i);
		cr_assert_eq(next_entry(buf, len, &off, &e), 1);
		cr_assert_str_eq(e.name, name);
		cr_assert_eq(e.mode, 0100644);
		cr_assert_eq(e.size, sizes[i]);
		cr_assert_eq(e.nlink, 1);
		cr_assert_eq(e.uid, 0);
		cr_assert_eq(e.gid, 0);
		cr_assert_eq(e.check, 0);
		cr_assert_eq(e.ino, 3u + (uint32_t)i);
		cr_assert_eq(memcmp(e.data, data, e.size), 0);
	}
	cr_assert_eq(next_entry(buf, len, &off, &e), 0);
	cr_assert_eq(off, len, "bytes after the trailer");
	free(buf);
	fclose(f);
}

Test(cpio, header_bytes_are_exact)
{
	FILE *f = tmpfile();
	struct vsnd_cpio c;
	vsnd_cpio_init(&c, f, 0x12AB);
	cr_assert_eq(vsnd_cpio_add_data(&c, "/a", 0755, "xyz", 3), 0);
	cr_assert_eq(vsnd_cpio_finish(&c), 0);
	size_t len;
	uint8_t *buf = slurp(f, &len);
	const char *want = "070701"
			   "00000001" "000081ED" "00000000" "00000000" "00000001" "000012AB"
			   "00000003" "00000000" "00000000" "00000000" "00000000" "00000002"
			   "00000000" "a\0" "xyz\0";
	cr_assert_eq(memcmp(buf, want, 110 + 2 + 4), 0);
	/* 110 + 2 = 112 (aligned), 3 data bytes + 1 pad, then the trailer header. */
	cr_assert_eq(memcmp(buf + 116, "070701", 6), 0);
	cr_assert_eq(len, 116 + 112 + 12); /* trailer: 110 + 11 = 121 -> 124 */
	free(buf);
	fclose(f);
}

Test(cpio, bad_names_and_modes_are_refused)
{
	FILE *f = tmpfile();
	struct vsnd_cpio c;
	vsnd_cpio_init(&c, f, 0);
	const char *bad[] = {"", "/", "./", "..", "a/../b", "a//b", "a/", "TRAILER!!!", "/a/.",
			     "./.."};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(vsnd_cpio_add_dir(&c, bad[i], 0755), -EINVAL, "accepted '%s'", bad[i]);
	char *longname = malloc(VSND_CPIO_NAME_MAX + 2);
	memset(longname, 'x', VSND_CPIO_NAME_MAX + 1);
	longname[VSND_CPIO_NAME_MAX + 1] = 0;
	cr_assert_eq(vsnd_cpio_add_data(&c, longname, 0644, "", 0), -EINVAL);
	longname[VSND_CPIO_NAME_MAX] = 0;
	cr_assert_eq(vsnd_cpio_add_data(&c, longname, 0644, "", 0), 0);
	cr_assert_eq(vsnd_cpio_add_dir(&c, "d", 010755), -EINVAL);
	cr_assert_eq(vsnd_cpio_add_data(&c, "big", 0644, "", 0x100000000ull), -EFBIG);
	cr_assert_eq(vsnd_cpio_add_path(&c, "x", 0644, "/nonexistent/file"), -ENOENT);
	cr_assert_eq(vsnd_cpio_add_path(&c, "x", 0644, "/"), -EISDIR);
	/* None of those errors spoiled the archive: only the long-name file is in it. */
	cr_assert_eq(vsnd_cpio_finish(&c), 0);
	size_t len, off = 0;
	uint8_t *buf = slurp(f, &len);
	struct entry e;
	cr_assert_eq(next_entry(buf, len, &off, &e), 1);
	cr_assert_eq(strlen(e.name), VSND_CPIO_NAME_MAX);
	cr_assert_eq(next_entry(buf, len, &off, &e), 0);
	cr_assert_eq(off, len);
	cr_assert_eq(vsnd_cpio_add_dir(&c, "late", 0755), -EINVAL);
	cr_assert_eq(vsnd_cpio_finish(&c), -EINVAL);
	free(longname);
	free(buf);
	fclose(f);
}

Test(cpio, path_is_streamed_and_archives_concatenate)
{
	char path[] = "/tmp/vsnd-cpio-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	size_t n = 200003;
	uint8_t *data = malloc(n);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (uint8_t)(x >> 16);
	}
	cr_assert_eq(write(fd, data, n), (ssize_t)n);
	close(fd);

	FILE *f = tmpfile();
	struct vsnd_cpio c;
	vsnd_cpio_init(&c, f, 0);
	cr_assert_eq(vsnd_cpio_add_dir(&c, "proc", 0555), 0);
	cr_assert_eq(vsnd_cpio_finish(&c), 0);
	vsnd_cpio_init(&c, f, 7); /* a second archive appended to the first */
	cr_assert_eq(vsnd_cpio_add_path(&c, "/audio.wav", 0644, path), 0);
	cr_assert_eq(vsnd_cpio_finish(&c), 0);
	unlink(path);

	size_t len, off = 0;
	uint8_t *buf = slurp(f, &len);
	struct entry e;
	cr_assert_eq(next_entry(buf, len, &off, &e), 1);
	cr_assert_str_eq(e.name, "proc");
	cr_assert_eq(e.mode, 040555);
	cr_assert_eq(next_entry(buf, len, &off, &e), 0);
	cr_assert_eq(next_entry(buf, len, &off, &e), 1);
	cr_assert_str_eq(e.name, "audio.wav");
	cr_assert_eq(e.ino, 1);
	cr_assert_eq(e.mtime, 7);
	cr_assert_eq(e.size, n);
	cr_assert_eq(memcmp(e.data, data, n), 0);
	cr_assert_eq(next_entry(buf, len, &off, &e), 0);
	cr_assert_eq(off, len);
	free(data);
	free(buf);
	fclose(f);
}

Test(cpio, write_errors_are_reported)
{
	FILE *f = fopen("/dev/full", "w");
	cr_assert_not_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	struct vsnd_cpio c;
	vsnd_cpio_init(&c, f, 0);
	cr_assert_eq(vsnd_cpio_add_dir(&c, "dev", 0755), -ENOSPC);
	cr_assert_eq(vsnd_cpio_add_dir(&c, "proc", 0755), -ENOSPC, "error must be sticky");
	cr_assert_eq(vsnd_cpio_finish(&c), -ENOSPC);
	fclose(f);
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

Test(cpio, make_initrd_appends_an_audio_archive)
{
	char dir[] = "/tmp/vsnd-initrd-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char base[64], audio[64], out[64], bad[64];
	snprintf(base, sizeof(base), "%s/base", dir);
	snprintf(audio, sizeof(audio), "%s/a.wav", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	FILE *f = fopen(base, "wb");
	struct vsnd_cpio c;
	vsnd_cpio_init(&c, f, 0);
	cr_assert_eq(vsnd_cpio_add_dir(&c, "dev", 0755), 0);
	cr_assert_eq(vsnd_cpio_finish(&c), 0);
	fclose(f);
	write_file(audio, "RIFFxxxxWAVE!", 13);

	cr_assert_eq(vsnd_cpio_make_initrd(out, base, "/audio.wav", audio, 5), 0);
	f = fopen(out, "rb");
	fseek(f, 0, SEEK_END);
	size_t len;
	uint8_t *buf = slurp(f, &len);
	fclose(f);
	size_t off = 0;
	struct entry e;
	cr_assert_eq(next_entry(buf, len, &off, &e), 1);
	cr_assert_str_eq(e.name, "dev");
	cr_assert_eq(next_entry(buf, len, &off, &e), 0);
	cr_assert_eq(next_entry(buf, len, &off, &e), 1);
	cr_assert_str_eq(e.name, "audio.wav");
	cr_assert_eq(e.mode, 0100644);
	cr_assert_eq(e.mtime, 5);
	cr_assert_eq(e.size, 13);
	cr_assert_eq(memcmp(e.data, "RIFFxxxxWAVE!", 13), 0);
	cr_assert_eq(next_entry(buf, len, &off, &e), 0);
	cr_assert_eq(off, len);
	free(buf);

	/* A base that is not newc, or not a multiple of 4 long, is refused; `out` is untouched. */
	write_file(bad, "hello", 5);
	cr_assert_eq(vsnd_cpio_make_initrd(out, bad, "/a.wav", audio, 0), -EINVAL);
	write_file(bad, "070701xx", 7);
	cr_assert_eq(vsnd_cpio_make_initrd(out, bad, "/a.wav", audio, 0), -EINVAL);
	cr_assert_eq(vsnd_cpio_make_initrd(out, base, "/a.wav", "/nonexistent", 0), -ENOENT);
	cr_assert_eq(vsnd_cpio_make_initrd(out, "/nonexistent", "/a.wav", audio, 0), -ENOENT);
	struct stat st;
	cr_assert_eq(stat(out, &st), 0);
	cr_assert_eq((size_t)st.st_size, len, "failed calls must not replace the output");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

/* ---- /init helpers ---------------------------------------------------------------------- */

static size_t put_le(uint8_t *p, uint32_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return (size_t)n;
}

/* A WAV header: fmt chunk (tag, ch, rate, bits, valid bits for extensible), an optional
 * odd-sized LIST chunk, then "data" with `data_bytes`. Returns the header length. */
static size_t make_wav(uint8_t *b, uint32_t tag, uint32_t ch, uint32_t rate, uint32_t bits,
		       uint32_t valid, uint32_t sub, int list, uint32_t data_bytes)
{
	size_t o = 0;
	memcpy(b, "RIFF\0\0\0\0WAVE", 12);
	o = 12;
	memcpy(b + o, "fmt ", 4);
	o += 4;
	o += put_le(b + o, tag == 0xfffe ? 40 : 16, 4);
	o += put_le(b + o, tag, 2);
	o += put_le(b + o, ch, 2);
	o += put_le(b + o, rate, 4);
	o += put_le(b + o, rate * ch * bits / 8, 4);
	o += put_le(b + o, ch * bits / 8, 2);
	o += put_le(b + o, bits, 2);
	if (tag == 0xfffe) {
		static const uint8_t tail[14] = {0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38,
						 0x9b, 0x71};
		o += put_le(b + o, 22, 2);
		o += put_le(b + o, valid, 2);
		o += put_le(b + o, 3, 4);
		o += put_le(b + o, sub, 2);
		memcpy(b + o, tail, 14);
		o += 14;
	}
	if (list) {
		memcpy(b + o, "LIST\x05\0\0\0abcde\0", 14);
		o += 14;
	}
	memcpy(b + o, "data", 4);
	o += 4;
	o += put_le(b + o, data_bytes, 4);
	return o;
}

Test(initlib, wav_formats_map_to_alsa_names)
{
	struct {
		uint32_t tag, bits, valid, sub;
		const char *name;
		uint32_t sample_bytes;
	} cases[] = {
		{1, 8, 8, 0, "U8", 1},          {1, 16, 16, 0, "S16_LE", 2},
		{1, 24, 24, 0, "S24_3LE", 3},   {1, 32, 32, 0, "S32_LE", 4},
		{3, 32, 32, 0, "FLOAT_LE", 4},  {0xfffe, 32, 24, 1, "S24_LE", 4},
		{0xfffe, 16, 16, 1, "S16_LE", 2}, {0xfffe, 24, 24, 1, "S24_3LE", 3},
		{0xfffe, 32, 32, 3, "FLOAT_LE", 4},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[256];
		size_t n = make_wav(b, cases[i].tag, 2, 44100, cases[i].bits, cases[i].valid,
				    cases[i].sub, (int)(i & 1), 1000 * 2 * cases[i].sample_bytes + 1);
		struct vg_wav w;
		cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), 0, "case %zu", i);
		cr_assert_str_eq(vg_format_name(w.format), cases[i].name, "case %zu", i);
		cr_assert_eq(w.channels, 2);
		cr_assert_eq(w.rate, 44100);
		cr_assert_eq(w.frame_bytes, 2 * cases[i].sample_bytes);
		cr_assert_eq(w.data_offset, n, "case %zu", i);
		cr_assert_eq(w.data_bytes, 1000 * w.frame_bytes, "rounded to whole frames");
	}
}

Test(initlib, wav_bad_headers_are_refused)
{
	uint8_t b[256];
	struct vg_wav w;
	size_t n = make_wav(b, 1, 2, 48000, 16, 16, 0, 0, 400);
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), 0);
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n - 1, &w), -5, "data header cut");
	cr_assert_eq(vg_wav_parse(b, 30, &w), -2, "fmt chunk cut");
	memcpy(b, "RIFX", 4);
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), -1);
	n = make_wav(b, 1, 2, 48000, 12, 12, 0, 0, 400);
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), -3, "12-bit PCM");
	n = make_wav(b, 3, 2, 48000, 64, 64, 0, 0, 400);
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), -3, "float64");
	n = make_wav(b, 0xfffe, 2, 48000, 32, 20, 1, 0, 400);
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), -3, "20 valid bits");
	n = make_wav(b, 0xfffe, 2, 48000, 32, 24, 1, 0, 400);
	b[12 + 8 + 26 + 5] ^= 1; /* corrupt the subformat GUID */
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), -3, "bad GUID");
	n = make_wav(b, 1, 0, 48000, 16, 16, 0, 0, 400);
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), -4, "0 channels");
	n = make_wav(b, 1, 2, 48000, 16, 16, 0, 0, 400);
	b[12 + 8 + 12] = 3; /* block align 3 for 2 x 16-bit */
	cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), -4, "block align");
	/* data before fmt */
	memcpy(b, "RIFF\0\0\0\0WAVEdata\0\0\0\0", 20);
	cr_assert_eq(vg_wav_parse(b, 20, &w), -2);
	/* a chunk claiming 4 GiB must not wrap the offset */
	memcpy(b, "RIFF\0\0\0\0WAVEJUNK\xff\xff\xff\xff", 20);
	cr_assert_eq(vg_wav_parse(b, 64, &w), -2);
}

/* libsndfile as an independent WAV writer: our parser must agree with what it wrote. */
Test(initlib, wav_agrees_with_libsndfile)
{
	int fmts[] = {SF_FORMAT_WAV | SF_FORMAT_PCM_U8,    SF_FORMAT_WAV | SF_FORMAT_PCM_16,
		      SF_FORMAT_WAV | SF_FORMAT_PCM_24,    SF_FORMAT_WAV | SF_FORMAT_PCM_32,
		      SF_FORMAT_WAV | SF_FORMAT_FLOAT,     SF_FORMAT_WAVEX | SF_FORMAT_PCM_16,
		      SF_FORMAT_WAVEX | SF_FORMAT_PCM_24,  SF_FORMAT_WAVEX | SF_FORMAT_FLOAT};
	const char *names[] = {"U8", "S16_LE", "S24_3LE", "S32_LE", "FLOAT_LE",
			       "S16_LE", "S24_3LE", "FLOAT_LE"};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char path[] = "/tmp/vsnd-wav-XXXXXX";
		int fd = mkstemp(path);
		cr_assert_geq(fd, 0);
		SF_INFO info = {.samplerate = 22050, .channels = 3, .format = fmts[i]};
		SNDFILE *sf = sf_open_fd(fd, SFM_WRITE, &info, 1);
		cr_assert_not_null(sf, "%s", sf_strerror(NULL));
		short frames[3 * 777];
		for (int k = 0; k < 3 * 777; k++)
			frames[k] = (short)(k * 40);
		cr_assert_eq(sf_writef_short(sf, frames, 777), 777);
		sf_close(sf);
		FILE *f = fopen(path, "rb");
		uint8_t b[8192];
		size_t n = fread(b, 1, sizeof(b), f);
		fseek(f, 0, SEEK_END);
		long total = ftell(f);
		fclose(f);
		unlink(path);
		struct vg_wav w;
		cr_assert_eq(vg_wav_parse(b, (uint32_t)n, &w), 0, "case %zu", i);
		cr_assert_str_eq(vg_format_name(w.format), names[i], "case %zu", i);
		cr_assert_eq(w.rate, 22050);
		cr_assert_eq(w.channels, 3);
		cr_assert_eq(w.data_bytes / w.frame_bytes, 777, "case %zu", i);
		cr_assert_leq(w.data_offset + w.data_bytes, (uint32_t)total);
	}
}

static int parse(struct vg_opts *o, const char *cmdline, const char **bad)
{
	uint32_t bad_len = 0;
	vg_opts_default(o);
	*bad = NULL;
	return vg_opts_parse(o, cmdline, (uint32_t)strlen(cmdline), bad, &bad_len);
}

Test(initlib, options)
{
	struct vg_opts o;
	const char *bad;
	cr_assert_eq(parse(&o, "earlycon=sbi console=ttyS0 vsnd.period=5\n", &bad), 0);
	cr_assert_eq(o.mode, VG_MODE_PLAY);
	cr_assert_eq(o.period, 1024);
	cr_assert_eq(o.periods, 4);
	cr_assert_str_eq(o.file, "/audio.wav");
	cr_assert_eq(o.capture_frames, 48000);
	cr_assert_eq(o.format, VG_FMT_S16_LE);
	cr_assert_eq(o.pause_ms, 300);
	cr_assert_eq(o.loop, 1);

	cr_assert_eq(parse(&o,
			   "console=ttyS0 vsnd_mode=scenario vsnd_scenario=pause vsnd_period=256 "
			   "vsnd_periods=8 vsnd_file=/x/y.wav vsnd_capture_frames=4800 "
			   "vsnd_rate=44100 vsnd_channels=1 vsnd_format=s24_3le vsnd_at_frames=9 "
			   "vsnd_pause_ms=50 vsnd_stall_ms=7 vsnd_xrun_debug=1 vsnd_fail=reboot "
			   "vsnd_loop=100000\n",
			   &bad),
		     0);
	cr_assert_eq(o.mode, VG_MODE_SCENARIO);
	cr_assert_eq(o.scenario, VG_SC_PAUSE);
	cr_assert_eq(o.period, 256);
	cr_assert_eq(o.periods, 8);
	cr_assert_str_eq(o.file, "/x/y.wav");
	cr_assert_eq(o.capture_frames, 4800);
	cr_assert_eq(o.rate, 44100);
	cr_assert_eq(o.channels, 1);
	cr_assert_eq(o.format, VG_FMT_S24_3LE);
	cr_assert_eq(o.at_frames, 9);
	cr_assert_eq(o.pause_ms, 50);
	cr_assert_eq(o.stall_ms, 7);
	cr_assert_eq(o.xrun_debug, 1);
	cr_assert_eq(o.fail_reboot, 1);
	cr_assert_eq(o.loop, 100000);

	const char *bads[] = {"vsnd_perod=5",     "vsnd_period=0",      "vsnd_period=99999999999",
			      "vsnd_period=12a",  "vsnd_mode=record",   "vsnd_file=audio.wav",
			      "vsnd_period",      "vsnd_scenario=nope", "vsnd_format=S8",
			      "vsnd_xrun_debug=2", "vsnd_periods=",     "vsnd_loop=0",
			      "vsnd_loop=100001", "vsnd_loop=-1",       "vsnd_loop=2x"};
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char line[128];
		snprintf(line, sizeof(line), "console=ttyS0 %s quiet", bads[i]);
		cr_assert_eq(parse(&o, line, &bad), -1, "accepted %s", bads[i]);
		cr_assert_eq(strncmp(bad, bads[i], strlen(bads[i])), 0);
	}
	for (int s = VG_SC_TWICE; s <= VG_SC_XRUN; s++) {
		char line[64];
		snprintf(line, sizeof(line), "vsnd_scenario=%s", vg_scenario_name(s));
		cr_assert_eq(parse(&o, line, &bad), 0);
		cr_assert_eq(o.scenario, (enum vg_scenario)s);
	}
}

Test(initlib, fnv1a_and_formatting)
{
	cr_assert_eq(vg_fnv1a(VG_FNV1A_INIT, (const uint8_t *)"", 0), 0x811c9dc5u);
	cr_assert_eq(vg_fnv1a(VG_FNV1A_INIT, (const uint8_t *)"a", 1), 0xe40c292cu);
	cr_assert_eq(vg_fnv1a(VG_FNV1A_INIT, (const uint8_t *)"foobar", 6), 0xbf9cf968u);
	/* Incremental == one shot. */
	uint32_t h = vg_fnv1a(VG_FNV1A_INIT, (const uint8_t *)"foo", 3);
	cr_assert_eq(vg_fnv1a(h, (const uint8_t *)"bar", 3), 0xbf9cf968u);
	char b[16];
	cr_assert_eq(vg_fmt_u32(b, 0), 1);
	cr_assert_eq(b[0], '0');
	b[vg_fmt_u32(b, 4294967295u)] = 0;
	cr_assert_str_eq(b, "4294967295");
	b[vg_fmt_i32(b, INT32_MIN)] = 0;
	cr_assert_str_eq(b, "-2147483648");
	b[vg_fmt_i32(b, -22)] = 0;
	cr_assert_str_eq(b, "-22");
	b[vg_fmt_hex32(b, 0x00c0ffeeu)] = 0;
	cr_assert_str_eq(b, "00c0ffee");
	cr_assert_eq(vg_format_silence(VG_FMT_U8), 0x80);
	cr_assert_eq(vg_format_silence(VG_FMT_S16_LE), 0);
	cr_assert_eq(vg_format_bytes(VG_FMT_S24_3LE), 3);
	cr_assert_eq(vg_format_bytes(VG_FMT_S24_LE), 4);
}
