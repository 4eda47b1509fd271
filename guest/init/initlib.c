/* initlib.c - pure helpers of the guest /init (see initlib.h): command-line options, WAV
 * header parsing, FNV-1a and number formatting. No libc, no 64-bit division, no floats. */
#include "initlib.h"

static const char *const format_names[] = {
	[VG_FMT_NONE] = "?",          [VG_FMT_U8] = "U8",         [VG_FMT_S16_LE] = "S16_LE",
	[VG_FMT_S24_3LE] = "S24_3LE", [VG_FMT_S24_LE] = "S24_LE", [VG_FMT_S32_LE] = "S32_LE",
	[VG_FMT_FLOAT_LE] = "FLOAT_LE",
};

static const char *const scenario_names[] = {
	[VG_SC_NONE] = "-",         [VG_SC_TWICE] = "twice",     [VG_SC_PAUSE] = "pause",
	[VG_SC_DROP] = "drop",      [VG_SC_PREPARE] = "prepare", [VG_SC_BADRATE] = "badrate",
	[VG_SC_XRUN] = "xrun",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t str_len(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* `s` (len bytes) equals the NUL-terminated `lit`, ignoring ASCII case. */
static int word_is(const char *s, uint32_t len, const char *lit)
{
	uint32_t n = str_len(lit);
	if (n != len)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (lower(s[i]) != lower(lit[i]))
			return 0;
	return 1;
}

const char *vg_format_name(enum vg_format f)
{
	return (unsigned)f < COUNT(format_names) ? format_names[f] : "?";
}

enum vg_format vg_format_parse(const char *s, uint32_t len)
{
	for (unsigned i = VG_FMT_U8; i < COUNT(format_names); i++)
		if (word_is(s, len, format_names[i]))
			return (enum vg_format)i;
	return VG_FMT_NONE;
}

uint32_t vg_format_bytes(enum vg_format f)
{
	switch (f) {
	case VG_FMT_U8:
		return 1;
	case VG_FMT_S16_LE:
		return 2;
	case VG_FMT_S24_3LE:
		return 3;
	case VG_FMT_S24_LE:
	case VG_FMT_S32_LE:
	case VG_FMT_FLOAT_LE:
		return 4;
	default:
		return 0;
	}
}

uint8_t vg_format_silence(enum vg_format f)
{
	return f == VG_FMT_U8 ? 0x80 : 0;
}

const char *vg_scenario_name(enum vg_scenario s)
{
	return (unsigned)s < COUNT(scenario_names) ? scenario_names[s] : "?";
}

int vg_parse_u32(const char *s, uint32_t len, uint32_t *out)
{
	uint32_t v = 0;
	if (len == 0)
		return -1;
	for (uint32_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint32_t d = (uint32_t)(s[i] - '0');
		if (v > (0xffffffffu - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

void vg_opts_default(struct vg_opts *o)
{
	static const char def_file[] = "/audio.wav";
	uint8_t *p = (uint8_t *)o;
	for (uint32_t i = 0; i < sizeof(*o); i++)
		p[i] = 0;
	o->mode = VG_MODE_PLAY;
	o->scenario = VG_SC_NONE;
	for (uint32_t i = 0; i < sizeof(def_file); i++)
		o->file[i] = def_file[i];
	o->period = 1024;
	o->periods = 4;
	o->capture_frames = 48000;
	o->rate = 48000;
	o->channels = 2;
	o->format = VG_FMT_S16_LE;
	o->pause_ms = 300;
	o->loop = 1;
}

/* Applies one key=value word; returns 0, or -1 if it is a bad vsnd_* option. */
static int apply(struct vg_opts *o, const char *k, uint32_t klen, const char *v, uint32_t vlen)
{
	struct {
		const char *key;
		uint32_t *dst;
		uint32_t min, max;
	} nums[] = {
		{"vsnd_period", &o->period, 1, 1u << 20},
		{"vsnd_periods", &o->periods, 1, 1024},
		{"vsnd_capture_frames", &o->capture_frames, 1, 0xffffffffu},
		{"vsnd_rate", &o->rate, 1, 1000000},
		{"vsnd_channels", &o->channels, 1, 64},
		{"vsnd_at_frames", &o->at_frames, 0, 0xffffffffu},
		{"vsnd_pause_ms", &o->pause_ms, 0, 600000},
		{"vsnd_stall_ms", &o->stall_ms, 0, 600000},
		{"vsnd_xrun_debug", &o->xrun_debug, 0, 1},
		{"vsnd_loop", &o->loop, 1, VG_LOOP_MAX},
	};
	for (unsigned i = 0; i < COUNT(nums); i++) {
		if (!word_is(k, klen, nums[i].key))
			continue;
		uint32_t x;
		if (vg_parse_u32(v, vlen, &x) || x < nums[i].min || x > nums[i].max)
			return -1;
		*nums[i].dst = x;
		return 0;
	}
	if (word_is(k, klen, "vsnd_mode")) {
		if (word_is(v, vlen, "play"))
			o->mode = VG_MODE_PLAY;
		else if (word_is(v, vlen, "capture"))
			o->mode = VG_MODE_CAPTURE;
		else if (word_is(v, vlen, "scenario"))
			o->mode = VG_MODE_SCENARIO;
		else
			return -1;
		return 0;
	}
	if (word_is(k, klen, "vsnd_scenario")) {
		for (unsigned i = VG_SC_TWICE; i < COUNT(scenario_names); i++) {
			if (word_is(v, vlen, scenario_names[i])) {
				o->scenario = (enum vg_scenario)i;
				return 0;
			}
		}
		return -1;
	}
	if (word_is(k, klen, "vsnd_format")) {
		o->format = vg_format_parse(v, vlen);
		return o->format == VG_FMT_NONE ? -1 : 0;
	}
	if (word_is(k, klen, "vsnd_fail")) {
		if (word_is(v, vlen, "poweroff"))
			o->fail_reboot = 0;
		else if (word_is(v, vlen, "reboot"))
			o->fail_reboot = 1;
		else
			return -1;
		return 0;
	}
	if (word_is(k, klen, "vsnd_file")) {
		if (vlen == 0 || vlen >= VG_PATH_MAX || v[0] != '/')
			return -1;
		for (uint32_t i = 0; i < vlen; i++)
			o->file[i] = v[i];
		o->file[vlen] = '\0';
		return 0;
	}
	return -1; /* an unknown vsnd_ key is a typo worth failing on */
}

int vg_opts_parse(struct vg_opts *o, const char *cmdline, uint32_t len, const char **bad,
		  uint32_t *bad_len)
{
	uint32_t i = 0;
	while (i < len) {
		while (i < len && (cmdline[i] == ' ' || cmdline[i] == '\n' || cmdline[i] == '\t' ||
				   cmdline[i] == '\0'))
			i++;
		uint32_t start = i;
		while (i < len && cmdline[i] != ' ' && cmdline[i] != '\n' && cmdline[i] != '\t' &&
		       cmdline[i] != '\0')
			i++;
		uint32_t wlen = i - start;
		const char *w = cmdline + start;
		if (wlen < 5 || !word_is(w, 5, "vsnd_"))
			continue;
		uint32_t eq = 0;
		while (eq < wlen && w[eq] != '=')
			eq++;
		if (eq == wlen || apply(o, w, eq, w + eq + 1, wlen - eq - 1)) {
			*bad = w;
			*bad_len = wlen;
			return -1;
		}
	}
	return 0;
}

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int tag_is(const uint8_t *p, const char *t)
{
	return p[0] == (uint8_t)t[0] && p[1] == (uint8_t)t[1] && p[2] == (uint8_t)t[2] &&
	       p[3] == (uint8_t)t[3];
}

/* KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: tag in the first 2 bytes, then this fixed tail. */
static const uint8_t guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
				      0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

/* Maps (tag, container bits, valid bits) to a format. */
static enum vg_format wav_format(uint32_t tag, uint32_t bits, uint32_t valid)
{
	if (tag == 1) {
		if (bits == 8 && valid == 8)
			return VG_FMT_U8;
		if (bits == 16 && valid == 16)
			return VG_FMT_S16_LE;
		if (bits == 24 && valid == 24)
			return VG_FMT_S24_3LE;
		if (bits == 32 && valid == 24)
			return VG_FMT_S24_LE;
		if (bits == 32 && valid == 32)
			return VG_FMT_S32_LE;
	} else if (tag == 3 && bits == 32 && valid == 32) {
		return VG_FMT_FLOAT_LE;
	}
	return VG_FMT_NONE;
}

int vg_wav_parse(const uint8_t *buf, uint32_t len, struct vg_wav *w)
{
	int have_fmt = 0;
	if (len < 12 || !tag_is(buf, "RIFF") || !tag_is(buf + 8, "WAVE"))
		return -1;
	uint32_t off = 12;
	while (len - off >= 8) { /* off <= len holds throughout */
		const uint8_t *ck = buf + off;
		uint32_t size = le32(ck + 4);
		if (tag_is(ck, "fmt ")) {
			if (size < 16 || size > len - off - 8)
				return -2;
			const uint8_t *f = ck + 8;
			uint32_t tag = le16(f), channels = le16(f + 2), rate = le32(f + 4);
			uint32_t align = le16(f + 12), bits = le16(f + 14), valid = bits;
			if (tag == 0xfffe) {
				if (size < 40 || le16(f + 16) < 22)
					return -2;
				valid = le16(f + 18);
				for (int i = 0; i < 14; i++)
					if (f[26 + i] != guid_tail[i])
						return -3;
				tag = le16(f + 24);
			}
			w->format = wav_format(tag, bits, valid);
			if (w->format == VG_FMT_NONE)
				return -3;
			if (channels == 0 || channels > 64 || rate == 0 || rate > 1000000 ||
			    align != channels * vg_format_bytes(w->format))
				return -4;
			w->rate = rate;
			w->channels = channels;
			w->frame_bytes = align;
			have_fmt = 1;
		} else if (tag_is(ck, "data")) {
			if (!have_fmt)
				return -2;
			w->data_offset = off + 8;
			w->data_bytes = size - size % w->frame_bytes;
			return 0;
		}
		/* Chunks are padded to an even size; stop if the next one starts past `len`. */
		uint32_t step = size + (size & 1);
		if (step > len - off - 8)
			break;
		off += 8 + step;
	}
	return have_fmt ? -5 : -2;
}

const char *vg_wav_error(int err)
{
	switch (err) {
	case -1:
		return "not a RIFF/WAVE file";
	case -2:
		return "no usable fmt chunk before data";
	case -3:
		return "unsupported sample format";
	case -4:
		return "bad channels, rate or block align";
	case -5:
		return "data chunk not found in the header area";
	default:
		return "unknown error";
	}
}

uint32_t vg_fnv1a(uint32_t h, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x01000193u;
	}
	return h;
}

uint32_t vg_fmt_u32(char *out, uint32_t v)
{
	char tmp[10];
	uint32_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (uint32_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

uint32_t vg_fmt_i32(char *out, int32_t v)
{
	if (v >= 0)
		return vg_fmt_u32(out, (uint32_t)v);
	out[0] = '-';
	return 1 + vg_fmt_u32(out + 1, 0u - (uint32_t)v);
}

uint32_t vg_fmt_hex32(char *out, uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++)
		out[i] = digits[(v >> (28 - 4 * i)) & 15];
	return 8;
}
