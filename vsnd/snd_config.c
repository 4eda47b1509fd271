/* snd_config.c - the virtio-snd device configuration as text (issue 2): presets, the compact
 * --snd-config grammar (streams, jacks, chmaps), its checks, and printing a config back. */
#include "snd_priv.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- names (VirtIO 1.2 5.14.6.6.2, 5.14.6.9.1; facts sheet 3.6, 3.7, 3.11) ---- */

static const char *const fmt_name[VIRTIO_SND_PCM_FMT_COUNT] = {
	"ima_adpcm", "mu_law", "a_law",  "s8",     "u8",      "s16",     "u16",
	"s18_3",     "u18_3",  "s20_3",  "u20_3",  "s24_3",   "u24_3",   "s20",
	"u20",       "s24",    "u24",    "s32",    "u32",     "float",   "float64",
	"dsd_u8",    "dsd_u16", "dsd_u32", "iec958_subframe",
};

#define NPOS 37 /* positions 0..36 */
static const char *const pos_name[NPOS] = {
	"NONE", "NA",  "MONO", "FL",  "FR",  "RL",  "RR",   "FC",   "LFE",  "SL",
	"SR",   "RC",  "FLC",  "FRC", "RLC", "RRC", "FLW",  "FRW",  "FLH",  "FCH",
	"FRH",  "TC",  "TFL",  "TFR", "TFC", "TRL", "TRR",  "TRC",  "TFLC", "TFRC",
	"TSL",  "TSR", "LLFE", "RLFE", "BC", "BLC", "BRC",
};

/* Chmap shorthands, in ALSA's channel order. */
static const struct {
	const char *name;
	uint8_t n, pos[8];
} layouts[] = {
	{ "mono", 1, { 2 } },
	{ "stereo", 2, { 3, 4 } },
	{ "quad", 4, { 3, 4, 5, 6 } },
	{ "5.1", 6, { 3, 4, 5, 6, 7, 8 } },
	{ "7.1", 8, { 3, 4, 5, 6, 7, 8, 9, 10 } },
};

/* Jack kinds: HDA pin default configuration (HDA 7.3.3.31: device in bits 23:20, location in
 * 29:24; Linux 6.1 names and types the jack from them, facts sheet 3.6) and pin capabilities
 * (HDA 7.3.4.9: bit 2 presence detect, 3 headphone drive, 4 output, 5 input, 7 HDMI). */
static const struct jack_kind {
	const char *name, *alias;
	uint32_t defconf, caps;
} jack_kinds[] = {
	{ "line-out", "lineout", 0x00000000u, 0x14u },
	{ "speaker", "spk", 0x00100000u, 0x14u },
	{ "headphone", "hp", 0x00200000u, 0x1cu },
	{ "cd", NULL, 0x00300000u, 0x24u },
	{ "spdif-out", NULL, 0x00400000u, 0x14u },
	{ "hdmi", NULL, 0x18500000u, 0x94u },
	{ "line-in", "linein", 0x00800000u, 0x24u },
	{ "aux", NULL, 0x00900000u, 0x24u },
	{ "mic", NULL, 0x00a00000u, 0x24u },
	{ "spdif-in", NULL, 0x00c00000u, 0x24u },
	{ "digital-in", NULL, 0x00d00000u, 0x24u },
};
#define NKINDS (sizeof(jack_kinds) / sizeof(jack_kinds[0]))
#define KIND_HEADPHONE 2
#define KIND_MIC 8

#define PCM_FEATURES_OK \
	(1u << VIRTIO_SND_PCM_F_MSG_POLLING | 1u << VIRTIO_SND_PCM_F_EVT_XRUNS)
#define ALL_RATES ((1ull << VIRTIO_SND_PCM_RATE_COUNT) - 1)
#define CH_MAX 8 /* issue 2: channels 1 to 8 */

/* Every format the device can carry: all but IMA_ADPCM (no whole-byte sample). */
static uint64_t supported_formats(void)
{
	uint64_t m = 0;
	for (unsigned f = 0; f < VIRTIO_SND_PCM_FMT_COUNT; f++)
		if (vsnd_format_bytes((uint8_t)f))
			m |= 1ull << f;
	return m;
}

static const uint64_t default_formats =
	1ull << VIRTIO_SND_PCM_FMT_U8 | 1ull << VIRTIO_SND_PCM_FMT_S16 |
	1ull << VIRTIO_SND_PCM_FMT_S24_3 | 1ull << VIRTIO_SND_PCM_FMT_S24 |
	1ull << VIRTIO_SND_PCM_FMT_S32 | 1ull << VIRTIO_SND_PCM_FMT_FLOAT;

/* ---- presets ---- */

/* Zero entries past the counts and chmap positions past channels, so that configs built
 * by different routes compare equal byte for byte. */
static void clean(struct vsnd_config *c)
{
	if (c->nstreams < VSND_MAX_STREAMS)
		memset(&c->streams[c->nstreams], 0,
		       (VSND_MAX_STREAMS - c->nstreams) * sizeof(c->streams[0]));
	if (c->njacks < VSND_MAX_JACKS)
		memset(&c->jacks[c->njacks], 0, (VSND_MAX_JACKS - c->njacks) * sizeof(c->jacks[0]));
	if (c->nchmaps < VSND_MAX_CHMAPS)
		memset(&c->chmaps[c->nchmaps], 0,
		       (VSND_MAX_CHMAPS - c->nchmaps) * sizeof(c->chmaps[0]));
	for (uint32_t i = 0; i < c->nchmaps && i < VSND_MAX_CHMAPS; i++) {
		struct vsnd_chmap_cfg *m = &c->chmaps[i];
		if (m->channels < VIRTIO_SND_CHMAP_MAX_SIZE)
			memset(&m->positions[m->channels], 0, VIRTIO_SND_CHMAP_MAX_SIZE - m->channels);
	}
}

static struct vsnd_jack_cfg jack_of_kind(unsigned k)
{
	return (struct vsnd_jack_cfg){ .hda_reg_defconf = jack_kinds[k].defconf,
				       .hda_reg_caps = jack_kinds[k].caps,
				       .connected = 1 };
}

/* Keep only the chmaps whose (nid, direction) has a stream. */
static void prune_chmaps(struct vsnd_config *c)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->nchmaps; i++) {
		int linked = 0;
		for (uint32_t s = 0; s < c->nstreams; s++)
			linked |= c->streams[s].hda_fn_nid == c->chmaps[i].hda_fn_nid &&
				  c->streams[s].direction == c->chmaps[i].direction;
		if (linked)
			c->chmaps[n++] = c->chmaps[i];
	}
	c->nchmaps = n;
}

int vsnd_config_preset(const char *name, struct vsnd_config *cfg)
{
	struct vsnd_config c;
	vsnd_config_default(&c);
	if (!name || !strcasecmp(name, "default")) {
		/* as is */
	} else if (!strcasecmp(name, "stereo-out")) {
		c.nstreams = 1;
		c.streams[0].channels_max = 2;
		prune_chmaps(&c);
	} else if (!strcasecmp(name, "multi")) {
		c.streams[2] = c.streams[1];
		c.streams[1] = c.streams[0];
		c.nstreams = 3;
		c.jacks[1] = jack_of_kind(KIND_MIC);
		c.njacks = 2;
	} else if (!strcasecmp(name, "minimal")) {
		for (uint32_t i = 0; i < c.nstreams; i++) {
			c.streams[i].formats = 1ull << VIRTIO_SND_PCM_FMT_S16;
			c.streams[i].rates = 1ull << VIRTIO_SND_PCM_RATE_44100 |
					     1ull << VIRTIO_SND_PCM_RATE_48000;
			c.streams[i].channels_max = 2;
		}
		c.nchmaps = 0;
	} else {
		return -1;
	}
	clean(&c);
	*cfg = c;
	return 0;
}

/* ---- parsing helpers ---- */

struct pctx {
	char *err;
	size_t errlen;
	char where[96]; /* e.g. "streams item 2 (in:fmt=x16)"; "" = none */
};

__attribute__((format(printf, 2, 3))) static int fail(struct pctx *p, const char *fmt, ...)
{
	if (!p->err || !p->errlen)
		return -1;
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->where[0])
		snprintf(p->err, p->errlen, "%s: %s", p->where, msg);
	else
		snprintf(p->err, p->errlen, "%s", msg);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* Splits off the text up to the next sep (or the end) as a trimmed token; NULL once *s is
 * used up. "a,,b" gives "a", "", "b"; "a," gives "a", "". */
static char *split(char **s, char sep)
{
	char *t = *s;
	if (!t)
		return NULL;
	char *e = strchr(t, sep);
	if (e) {
		*e = 0;
		*s = e + 1;
	} else {
		*s = NULL;
	}
	return trim(t);
}

/* Decimal, or hexadecimal with 0x; digits only (no sign, no blanks), at most max. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

static int parse_dir(const char *s, uint8_t *dir)
{
	if (!strcasecmp(s, "out") || !strcasecmp(s, "output") || !strcasecmp(s, "playback"))
		*dir = VIRTIO_SND_D_OUTPUT;
	else if (!strcasecmp(s, "in") || !strcasecmp(s, "input") || !strcasecmp(s, "capture"))
		*dir = VIRTIO_SND_D_INPUT;
	else
		return -1;
	return 0;
}

static void list_formats(char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	for (unsigned f = 0; f < VIRTIO_SND_PCM_FMT_COUNT; f++) {
		if (!vsnd_format_bytes((uint8_t)f))
			continue;
		int r = snprintf(buf + len, n - len, "%s%s", len ? " " : "", fmt_name[f]);
		if (r < 0 || (size_t)r >= n - len)
			return;
		len += (size_t)r;
	}
}

static void list_rates(char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	for (unsigned r = 0; r < VIRTIO_SND_PCM_RATE_COUNT; r++) {
		int k = snprintf(buf + len, n - len, "%s%u", len ? " " : "", vsnd_rate_hz((uint8_t)r));
		if (k < 0 || (size_t)k >= n - len)
			return;
		len += (size_t)k;
	}
}

/* fmt=NAME{+NAME} | all */
static int parse_formats(struct pctx *p, char *val, uint64_t *out)
{
	uint64_t m = 0;
	char *rest = val, *t;
	while ((t = split(&rest, '+'))) {
		char names[512];
		if (!strcasecmp(t, "all")) {
			m |= supported_formats();
			continue;
		}
		int f = -1;
		for (unsigned i = 0; i < VIRTIO_SND_PCM_FMT_COUNT; i++)
			if (!strcasecmp(t, fmt_name[i]))
				f = (int)i;
		if (f == VIRTIO_SND_PCM_FMT_IMA_ADPCM)
			return fail(p, "format 'ima_adpcm' is not supported (no whole-byte sample; Linux "
				       "would compute 0-byte buffers)");
		if (f < 0) {
			list_formats(names, sizeof(names));
			return fail(p, "unknown format '%s' (expected one of: %s; or all; joined "
				       "with +)", t, names);
		}
		m |= 1ull << f;
	}
	*out = m;
	return 0;
}

/* rate=HZ | LO-HI | all, joined with + */
static int parse_rates(struct pctx *p, char *val, uint64_t *out)
{
	uint64_t m = 0;
	char *rest = val, *t;
	char rates[256];
	while ((t = split(&rest, '+'))) {
		if (!strcasecmp(t, "all")) {
			m |= ALL_RATES;
			continue;
		}
		char *dash = strchr(t, '-');
		uint64_t lo, hi;
		if (dash) {
			*dash = 0;
			char *a = trim(t), *b = trim(dash + 1);
			if (parse_num(a, UINT32_MAX, &lo) || parse_num(b, UINT32_MAX, &hi) || lo > hi)
				return fail(p, "'%s-%s' is not a rate range LO-HI in Hz (e.g. "
					       "44100-48000)", a, b);
			uint64_t bits = 0;
			for (unsigned r = 0; r < VIRTIO_SND_PCM_RATE_COUNT; r++)
				if (vsnd_rate_hz((uint8_t)r) >= lo && vsnd_rate_hz((uint8_t)r) <= hi)
					bits |= 1ull << r;
			if (!bits) {
				list_rates(rates, sizeof(rates));
				return fail(p, "range %s-%s holds no VirtIO rate (the rates are: %s)",
					    a, b, rates);
			}
			m |= bits;
			continue;
		}
		int found = -1;
		if (!parse_num(t, UINT32_MAX, &lo))
			for (unsigned r = 0; r < VIRTIO_SND_PCM_RATE_COUNT; r++)
				if (vsnd_rate_hz((uint8_t)r) == lo)
					found = (int)r;
		if (found < 0) {
			list_rates(rates, sizeof(rates));
			return fail(p, "'%s' is not a VirtIO rate in Hz (expected one of: %s; a range "
				       "LO-HI; or all; joined with +)", t, rates);
		}
		m |= 1ull << found;
	}
	*out = m;
	return 0;
}

/* ch=N | N-M within 1..8 */
static int parse_channels(struct pctx *p, char *val, uint8_t *min, uint8_t *max)
{
	char shown[64];
	snprintf(shown, sizeof(shown), "%s", val);
	char *dash = strchr(val, '-');
	uint64_t a, b = 0;
	int bad;
	if (dash) {
		*dash = 0;
		bad = parse_num(trim(val), CH_MAX, &a) || parse_num(trim(dash + 1), CH_MAX, &b);
	} else {
		bad = parse_num(val, CH_MAX, &a);
		b = a;
	}
	if (bad || a < 1 || a > b)
		return fail(p, "'%s' is not a channel count or range within 1..%d (e.g. 2 or 1-8)",
			    shown, CH_MAX);
	*min = (uint8_t)a;
	*max = (uint8_t)b;
	return 0;
}

static int parse_nid(struct pctx *p, const char *val, uint32_t *nid)
{
	uint64_t v;
	if (parse_num(val, UINT32_MAX, &v))
		return fail(p, "'%s' is not an HDA function node id (expected 0 .. 4294967295)", val);
	*nid = (uint32_t)v;
	return 0;
}

/* feat=NAME{+NAME}: polling (MSG_POLLING), xruns (EVT_XRUNS), none */
static int parse_features(struct pctx *p, char *val, uint32_t *out)
{
	uint32_t m = 0;
	char *rest = val, *t;
	while ((t = split(&rest, '+'))) {
		if (!strcasecmp(t, "none"))
			continue;
		if (!strcasecmp(t, "polling") || !strcasecmp(t, "msg_polling") ||
		    !strcasecmp(t, "msg-polling"))
			m |= 1u << VIRTIO_SND_PCM_F_MSG_POLLING;
		else if (!strcasecmp(t, "xruns") || !strcasecmp(t, "evt_xruns") ||
			 !strcasecmp(t, "evt-xruns"))
			m |= 1u << VIRTIO_SND_PCM_F_EVT_XRUNS;
		else if (!strncasecmp(t, "shmem", 5) || !strncasecmp(t, "evt_shmem", 9) ||
			 !strncasecmp(t, "evt-shmem", 9))
			return fail(p, "feature '%s' is not offered: this device has no shared-memory "
				       "transport (expected polling, xruns or none)", t);
		else
			return fail(p, "unknown feature '%s' (expected polling, xruns or none, joined "
				       "with +)", t);
	}
	*out = m;
	return 0;
}

/* Splits "key=value" (both trimmed); returns -1 if there is no '='. */
static int key_value(char *opt, char **key, char **val)
{
	char *eq = strchr(opt, '=');
	if (!eq)
		return -1;
	*eq = 0;
	*key = trim(opt);
	*val = trim(eq + 1);
	return 0;
}

/* Marks option number bit as seen; an option given twice in one item is an error. */
static int once(struct pctx *p, unsigned *seen, unsigned bit, const char *key)
{
	if (*seen & (1u << bit))
		return fail(p, "option '%s' given twice", key);
	*seen |= 1u << bit;
	return 0;
}

/* STREAM := DIR {':' fmt=.. | rate=.. | ch=.. | nid=.. | feat=..} */
static int parse_stream(struct pctx *p, char *item, struct vsnd_stream_cfg *s)
{
	*s = (struct vsnd_stream_cfg){ .formats = default_formats, .rates = ALL_RATES,
				       .channels_min = 1, .channels_max = CH_MAX };
	char *rest = item;
	char *dir = split(&rest, ':');
	if (parse_dir(dir, &s->direction))
		return fail(p, "'%s' is not a stream direction (expected out or in)", dir);
	char *opt;
	unsigned seen = 0;
	while ((opt = split(&rest, ':'))) {
		char *key, *val;
		if (key_value(opt, &key, &val))
			return fail(p, "'%s' is not a stream option (expected fmt=, rate=, ch=, nid= "
				       "or feat=)", opt);
		if (!*val)
			return fail(p, "option '%s=' has no value", key);
		int rc;
		if (!strcasecmp(key, "fmt") || !strcasecmp(key, "format") || !strcasecmp(key, "formats"))
			rc = once(p, &seen, 0, key) || parse_formats(p, val, &s->formats);
		else if (!strcasecmp(key, "rate") || !strcasecmp(key, "rates"))
			rc = once(p, &seen, 1, key) || parse_rates(p, val, &s->rates);
		else if (!strcasecmp(key, "ch") || !strcasecmp(key, "channels"))
			rc = once(p, &seen, 2, key) ||
			     parse_channels(p, val, &s->channels_min, &s->channels_max);
		else if (!strcasecmp(key, "nid"))
			rc = once(p, &seen, 3, key) || parse_nid(p, val, &s->hda_fn_nid);
		else if (!strcasecmp(key, "feat") || !strcasecmp(key, "features"))
			rc = once(p, &seen, 4, key) || parse_features(p, val, &s->features);
		else
			return fail(p, "unknown stream option '%s=' (expected fmt=, rate=, ch=, nid= "
				       "or feat=)", key);
		if (rc)
			return -1;
	}
	return 0;
}

static int find_kind(const char *name)
{
	for (unsigned k = 0; k < NKINDS; k++)
		if (!strcasecmp(name, jack_kinds[k].name) ||
		    (jack_kinds[k].alias && !strcasecmp(name, jack_kinds[k].alias)))
			return (int)k;
	return -1;
}

/* JACK := KIND {':' connected | disconnected | remap | nid=.. | defconf=.. | caps=..} */
static int parse_jack(struct pctx *p, char *item, struct vsnd_jack_cfg *j)
{
	char *rest = item;
	char *kind = split(&rest, ':');
	int k = find_kind(kind);
	if (k < 0)
		return fail(p, "unknown jack kind '%s' (expected headphone (hp), speaker (spk), "
			       "line-out, line-in, mic, hdmi, spdif-out, spdif-in, cd, aux or "
			       "digital-in)", kind);
	*j = jack_of_kind((unsigned)k);
	char *opt;
	unsigned seen = 0;
	while ((opt = split(&rest, ':'))) {
		char *key, *val;
		uint64_t v;
		int rc = 0;
		if (!strcasecmp(opt, "connected") || !strcasecmp(opt, "disconnected")) {
			rc = once(p, &seen, 0, "connected/disconnected");
			j->connected = !strcasecmp(opt, "connected");
		} else if (!strcasecmp(opt, "remap")) {
			rc = once(p, &seen, 1, opt);
			j->features |= 1u << VIRTIO_SND_JACK_F_REMAP;
		} else if (key_value(opt, &key, &val)) {
			return fail(p, "'%s' is not a jack option (expected connected, disconnected, "
				       "remap, nid=, defconf= or caps=)", opt);
		} else if (!strcasecmp(key, "nid")) {
			rc = once(p, &seen, 2, key) || parse_nid(p, val, &j->hda_fn_nid);
		} else if (!strcasecmp(key, "defconf") || !strcasecmp(key, "caps")) {
			int is_def = !strcasecmp(key, "defconf");
			if (once(p, &seen, is_def ? 3 : 4, key))
				return -1;
			if (parse_num(val, UINT32_MAX, &v))
				return fail(p, "'%s' is not a 32-bit HDA register value for %s= (e.g. "
					       "0x00200000)", val, key);
			if (is_def)
				j->hda_reg_defconf = (uint32_t)v;
			else
				j->hda_reg_caps = (uint32_t)v;
		} else {
			return fail(p, "unknown jack option '%s=' (expected connected, disconnected, "
				       "remap, nid=, defconf= or caps=)", key);
		}
		if (rc)
			return -1;
	}
	return 0;
}

/* CHMAP := DIR ':' POSITIONS [':' nid=..]; POSITIONS := POS{+POS} | mono | stereo | ... */
static int parse_chmap(struct pctx *p, char *item, struct vsnd_chmap_cfg *m)
{
	*m = (struct vsnd_chmap_cfg){ 0 };
	char *rest = item;
	char *dir = split(&rest, ':');
	if (parse_dir(dir, &m->direction))
		return fail(p, "'%s' is not a chmap direction (expected out or in)", dir);
	char *pos = split(&rest, ':');
	if (!pos || !*pos)
		return fail(p, "chmap '%s' needs channel positions (e.g. %s:FL+FR or %s:stereo)", dir,
			    dir, dir);
	int lay = -1;
	for (unsigned l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++)
		if (!strcasecmp(pos, layouts[l].name))
			lay = (int)l;
	if (lay >= 0) {
		m->channels = layouts[lay].n;
		memcpy(m->positions, layouts[lay].pos, layouts[lay].n);
	} else {
		char *prest = pos, *t;
		while ((t = split(&prest, '+'))) {
			int found = -1;
			for (unsigned i = 0; i < NPOS; i++)
				if (!strcasecmp(t, pos_name[i]))
					found = (int)i;
			if (found < 0)
				return fail(p, "unknown channel position '%s' (expected FL FR FC LFE RL "
					       "RR SL SR MONO ... (VirtIO 5.14.6.9.1 names) joined with +, "
					       "or mono, stereo, quad, 5.1, 7.1)", t);
			if (m->channels >= VIRTIO_SND_CHMAP_MAX_SIZE)
				return fail(p, "too many channel positions (at most %d)",
					    VIRTIO_SND_CHMAP_MAX_SIZE);
			m->positions[m->channels++] = (uint8_t)found;
		}
	}
	char *opt;
	unsigned seen = 0;
	while ((opt = split(&rest, ':'))) {
		char *key, *val, shown[64];
		snprintf(shown, sizeof(shown), "%s", opt);
		if (key_value(opt, &key, &val) || strcasecmp(key, "nid"))
			return fail(p, "'%s' is not a chmap option (expected nid=)", shown);
		if (once(p, &seen, 0, key) || parse_nid(p, val, &m->hda_fn_nid))
			return -1;
	}
	return 0;
}

enum { SEC_STREAMS, SEC_JACKS, SEC_CHMAPS, SEC_N };
static const char *const sec_name[SEC_N] = { "streams", "jacks", "chmaps" };

/* LIST := none | ITEM {',' ITEM} for one section; replaces that list in c. */
static int parse_list(struct pctx *p, int which, char *val, struct vsnd_config *c)
{
	static const uint32_t max[SEC_N] = { VSND_MAX_STREAMS, VSND_MAX_JACKS, VSND_MAX_CHMAPS };
	static const char *const expect[SEC_N] = {
		"out or in with options, e.g. out:fmt=s16:rate=48000:ch=2",
		"a jack kind with options, e.g. hp:connected",
		"a direction and positions, e.g. out:FL+FR",
	};
	uint32_t n = 0;
	if (strcasecmp(val, "none")) {
		if (!*val)
			return fail(p, "'%s=' is empty (expected items separated by ',', or none)",
				    sec_name[which]);
		char *rest = val, *item;
		while ((item = split(&rest, ','))) {
			snprintf(p->where, sizeof(p->where), "%s item %u (%.48s)", sec_name[which],
				 n + 1, item);
			if (n >= max[which])
				return fail(p, "too many %s (at most %u)", sec_name[which], max[which]);
			if (!*item)
				return fail(p, "empty item (expected %s)", expect[which]);
			int rc = which == SEC_STREAMS ? parse_stream(p, item, &c->streams[n])
				 : which == SEC_JACKS ? parse_jack(p, item, &c->jacks[n])
						      : parse_chmap(p, item, &c->chmaps[n]);
			if (rc)
				return -1;
			n++;
		}
		p->where[0] = 0;
	}
	if (which == SEC_STREAMS)
		c->nstreams = n;
	else if (which == SEC_JACKS)
		c->njacks = n;
	else
		c->nchmaps = n;
	return 0;
}

int vsnd_config_parse(const char *spec, struct vsnd_config *cfg, char *err, size_t errlen)
{
	struct pctx p = { .err = err, .errlen = errlen };
	if (err && errlen)
		err[0] = 0;
	vsnd_config_default(cfg);
	char *buf = strdup(spec ? spec : "");
	if (!buf)
		return fail(&p, "out of memory");
	char *rest = buf, *sec;
	int nsec = 0, rc = 0, seen[SEC_N] = { 0 };
	while (!rc && (sec = split(&rest, ';'))) {
		if (!*sec)
			continue; /* "a;;b" and a trailing ';' are harmless */
		nsec++;
		char *key, *val;
		const char *preset = NULL;
		if (key_value(sec, &key, &val))
			preset = sec;
		else if (!strcasecmp(key, "preset"))
			preset = val;
		if (preset) {
			if (nsec != 1)
				rc = fail(&p, "preset '%s' must be the first section", preset);
			else if (vsnd_config_preset(preset, cfg))
				rc = fail(&p, "unknown preset or section '%s' (expected a preset: "
					      "default, stereo-out, multi, minimal; or a section: "
					      "streams=, jacks=, chmaps=)", preset);
			continue;
		}
		int which = -1;
		for (int i = 0; i < SEC_N; i++)
			if (!strcasecmp(key, sec_name[i]) ||
			    (i == SEC_STREAMS && !strcasecmp(key, "stream")) ||
			    (i == SEC_JACKS && !strcasecmp(key, "jack")) ||
			    (i == SEC_CHMAPS && !strcasecmp(key, "chmap")))
				which = i;
		if (which < 0)
			rc = fail(&p, "unknown section '%s=' (expected streams=, jacks=, chmaps= or "
				      "a preset name)", key);
		else if (seen[which]++)
			rc = fail(&p, "section '%s=' given twice", sec_name[which]);
		else
			rc = parse_list(&p, which, val, cfg);
	}
	free(buf);
	if (rc)
		return -1;
	if (seen[SEC_STREAMS] && !seen[SEC_CHMAPS])
		prune_chmaps(cfg);
	clean(cfg);
	return vsnd_config_check(cfg, err, errlen);
}

/* ---- checks ---- */

/* Everything vsnd_config_check() demands short of creating a device. */
static int check_rules(struct pctx *p, const struct vsnd_config *c)
{
	if (c->nstreams > VSND_MAX_STREAMS || c->njacks > VSND_MAX_JACKS ||
	    c->nchmaps > VSND_MAX_CHMAPS)
		return fail(p, "too many items: %u streams, %u jacks, %u chmaps (at most %d, %d, %d)",
			    c->nstreams, c->njacks, c->nchmaps, VSND_MAX_STREAMS, VSND_MAX_JACKS,
			    VSND_MAX_CHMAPS);
	for (uint32_t i = 0; i < c->nstreams; i++) {
		const struct vsnd_stream_cfg *s = &c->streams[i];
		if (s->direction > VIRTIO_SND_D_INPUT)
			return fail(p, "stream %u: direction %u is neither out (0) nor in (1)", i,
				    s->direction);
		if (s->channels_min < 1 || s->channels_min > s->channels_max ||
		    s->channels_max > CH_MAX)
			return fail(p, "stream %u: channels %u-%u are not a range within 1..%d", i,
				    s->channels_min, s->channels_max, CH_MAX);
		if (!s->formats || (s->formats & ~supported_formats()))
			return fail(p, "stream %u: formats 0x%llx: none, or unknown or unsupported "
				       "ones (IMA_ADPCM)", i, (unsigned long long)s->formats);
		if (!s->rates || (s->rates & ~ALL_RATES))
			return fail(p, "stream %u: rates 0x%llx: none, or unknown ones", i,
				    (unsigned long long)s->rates);
		if (s->features & ~PCM_FEATURES_OK)
			return fail(p, "stream %u: features 0x%x: only polling and xruns are offered",
				    i, s->features);
	}
	for (uint32_t i = 0; i < c->njacks; i++) {
		const struct vsnd_jack_cfg *j = &c->jacks[i];
		if (j->features & ~(1u << VIRTIO_SND_JACK_F_REMAP))
			return fail(p, "jack %u: features 0x%x: only remap is known", i, j->features);
		if (j->connected > 1)
			return fail(p, "jack %u: connected is %u, not 0 or 1", i, j->connected);
	}
	for (uint32_t i = 0; i < c->nchmaps; i++) {
		const struct vsnd_chmap_cfg *m = &c->chmaps[i];
		if (m->direction > VIRTIO_SND_D_INPUT)
			return fail(p, "chmap %u: direction %u is neither out (0) nor in (1)", i,
				    m->direction);
		if (m->channels < 1 || m->channels > VIRTIO_SND_CHMAP_MAX_SIZE)
			return fail(p, "chmap %u: %u channels, not 1..%d", i, m->channels,
				    VIRTIO_SND_CHMAP_MAX_SIZE);
		for (uint32_t ch = 0; ch < m->channels; ch++)
			if (m->positions[ch] >= NPOS)
				return fail(p, "chmap %u: position %u is not 0..%d", i,
					    m->positions[ch], NPOS - 1);
		int linked = 0;
		for (uint32_t s = 0; s < c->nstreams; s++)
			linked |= c->streams[s].hda_fn_nid == m->hda_fn_nid &&
				  c->streams[s].direction == m->direction;
		/* Linux 6.1 adds a chmap control to the PCM of that nid with a count of 0
		 * substreams: snd_ctl_new() refuses it and the probe fails. */
		if (!linked)
			return fail(p, "chmap %u (%s, nid %u) has no %s stream with nid %u (the Linux "
				       "driver would fail to probe)", i,
				    m->direction ? "in" : "out", m->hda_fn_nid,
				    m->direction ? "input" : "output", m->hda_fn_nid);
	}
	return 0;
}

int vsnd_config_check(const struct vsnd_config *cfg, char *err, size_t errlen)
{
	struct pctx p = { .err = err, .errlen = errlen };
	if (check_rules(&p, cfg))
		return -1;
	/* The device core is the final judge: what it would refuse is refused here. */
	struct vsnd_host host = { 0 };
	struct vsnd_dev *dev = vsnd_dev_new(cfg, &host);
	if (!dev)
		return fail(&p, "the device core refuses this configuration (vsnd_dev_new failed)");
	vsnd_dev_free(dev);
	return 0;
}

/* ---- printing ---- */

struct out {
	char *buf;
	size_t n, len;
	int over;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	if (o->over)
		return;
	size_t avail = o->n > o->len ? o->n - o->len : 0;
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(avail ? o->buf + o->len : NULL, avail, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= avail)
		o->over = 1;
	else
		o->len += (size_t)r;
}

static void put_rates(struct out *o, uint64_t rates)
{
	if (rates == ALL_RATES) {
		put(o, "all");
		return;
	}
	int first = 1;
	for (unsigned r = 0; r < VIRTIO_SND_PCM_RATE_COUNT; r++) {
		if (!(rates >> r & 1))
			continue;
		unsigned e = r;
		while (e + 1 < VIRTIO_SND_PCM_RATE_COUNT && (rates >> (e + 1) & 1))
			e++;
		put(o, "%s%u", first ? "" : "+", vsnd_rate_hz((uint8_t)r));
		if (e > r)
			put(o, "-%u", vsnd_rate_hz((uint8_t)e));
		first = 0;
		r = e;
	}
}

static unsigned kind_for(uint32_t defconf)
{
	for (unsigned k = 0; k < NKINDS; k++)
		if (jack_kinds[k].defconf == defconf)
			return k;
	for (unsigned k = 0; k < NKINDS; k++)
		if ((jack_kinds[k].defconf & 0x00f00000u) == (defconf & 0x00f00000u))
			return k;
	return 0; /* line-out, with the register spelled out */
}

int vsnd_config_format(const struct vsnd_config *cfg, char *buf, size_t n)
{
	struct pctx p = { 0 };
	if (check_rules(&p, cfg))
		return -1;
	struct out o = { buf, n, 0, 0 };
	put(&o, "streams=");
	if (!cfg->nstreams)
		put(&o, "none");
	for (uint32_t i = 0; i < cfg->nstreams; i++) {
		const struct vsnd_stream_cfg *s = &cfg->streams[i];
		put(&o, "%s%s:fmt=", i ? "," : "", s->direction ? "in" : "out");
		if (s->formats == supported_formats()) {
			put(&o, "all");
		} else {
			int first = 1;
			for (unsigned f = 0; f < VIRTIO_SND_PCM_FMT_COUNT; f++)
				if (s->formats >> f & 1) {
					put(&o, "%s%s", first ? "" : "+", fmt_name[f]);
					first = 0;
				}
		}
		put(&o, ":rate=");
		put_rates(&o, s->rates);
		if (s->channels_min == s->channels_max)
			put(&o, ":ch=%u", s->channels_min);
		else
			put(&o, ":ch=%u-%u", s->channels_min, s->channels_max);
		if (s->hda_fn_nid)
			put(&o, ":nid=%u", s->hda_fn_nid);
		if (s->features)
			put(&o, ":feat=%s%s%s",
			    s->features >> VIRTIO_SND_PCM_F_MSG_POLLING & 1 ? "polling" : "",
			    s->features == PCM_FEATURES_OK ? "+" : "",
			    s->features >> VIRTIO_SND_PCM_F_EVT_XRUNS & 1 ? "xruns" : "");
	}
	put(&o, ";jacks=");
	if (!cfg->njacks)
		put(&o, "none");
	for (uint32_t i = 0; i < cfg->njacks; i++) {
		const struct vsnd_jack_cfg *j = &cfg->jacks[i];
		const struct jack_kind *k = &jack_kinds[kind_for(j->hda_reg_defconf)];
		put(&o, "%s%s:%s", i ? "," : "", k->name, j->connected ? "connected" : "disconnected");
		if (j->features)
			put(&o, ":remap");
		if (j->hda_fn_nid)
			put(&o, ":nid=%u", j->hda_fn_nid);
		if (j->hda_reg_defconf != k->defconf)
			put(&o, ":defconf=0x%08x", j->hda_reg_defconf);
		if (j->hda_reg_caps != k->caps)
			put(&o, ":caps=0x%x", j->hda_reg_caps);
	}
	put(&o, ";chmaps=");
	if (!cfg->nchmaps)
		put(&o, "none");
	for (uint32_t i = 0; i < cfg->nchmaps; i++) {
		const struct vsnd_chmap_cfg *m = &cfg->chmaps[i];
		put(&o, "%s%s:", i ? "," : "", m->direction ? "in" : "out");
		for (uint32_t ch = 0; ch < m->channels; ch++)
			put(&o, "%s%s", ch ? "+" : "", pos_name[m->positions[ch]]);
		if (m->hda_fn_nid)
			put(&o, ":nid=%u", m->hda_fn_nid);
	}
	if (o.over)
		return -1;
	return (int)o.len;
}
