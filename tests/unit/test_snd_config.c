/* test_snd_config.c - the --snd-config grammar (vsnd/snd_config.c): every token kind, error
 * messages, presets, the checks (device core included), the format/parse round trip, and
 * the semu slot taking a configuration (config space, one sink per output stream). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "semu/snd_slot.h"
#include "vsnd/snd.h"

#define FMT(x) (1ull << VIRTIO_SND_PCM_FMT_##x)
#define RATE(x) (1ull << VIRTIO_SND_PCM_RATE_##x)
#define ALL_RATES ((1ull << VIRTIO_SND_PCM_RATE_COUNT) - 1)

static const char *const fmt_names[VIRTIO_SND_PCM_FMT_COUNT] = {
	"ima_adpcm", "mu_law", "a_law", "s8", "u8", "s16", "u16", "s18_3", "u18_3",
	"s20_3", "u20_3", "s24_3", "u24_3", "s20", "u20", "s24", "u24", "s32", "u32",
	"float", "float64", "dsd_u8", "dsd_u16", "dsd_u32", "iec958_subframe",
};
static const uint32_t rates_hz[VIRTIO_SND_PCM_RATE_COUNT] = {
	5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 88200, 96000, 176400,
	192000, 384000,
};
static const char *const pos_names[37] = {
	"NONE", "NA", "MONO", "FL", "FR", "RL", "RR", "FC", "LFE", "SL", "SR", "RC", "FLC",
	"FRC", "RLC", "RRC", "FLW", "FRW", "FLH", "FCH", "FRH", "TC", "TFL", "TFR", "TFC",
	"TRL", "TRR", "TRC", "TFLC", "TFRC", "TSL", "TSR", "LLFE", "RLFE", "BC", "BLC", "BRC",
};
#define SUPPORTED_FORMATS (((1ull << VIRTIO_SND_PCM_FMT_COUNT) - 1) & ~FMT(IMA_ADPCM))
#define DEFAULT_FORMATS (FMT(U8) | FMT(S16) | FMT(S24_3) | FMT(S24) | FMT(S32) | FMT(FLOAT))

static struct vsnd_config parse_ok(const char *spec)
{
	struct vsnd_config c;
	char err[1024] = "";
	int rc = vsnd_config_parse(spec, &c, err, sizeof(err));
	cr_assert_eq(rc, 0, "'%s' rejected: %s", spec ? spec : "(null)", err);
	return c;
}

static void expect_error(const char *spec, const char *needle1, const char *needle2)
{
	struct vsnd_config c;
	char err[1024] = "";
	cr_assert_eq(vsnd_config_parse(spec, &c, err, sizeof(err)), -1, "'%s' accepted", spec);
	cr_assert_not_null(strstr(err, needle1), "'%s': message '%s' lacks '%s'", spec, err,
			   needle1);
	if (needle2)
		cr_assert_not_null(strstr(err, needle2), "'%s': message '%s' lacks '%s'", spec,
				   err, needle2);
}

static void assert_cfg_eq(const struct vsnd_config *a, const struct vsnd_config *b,
			  const char *what)
{
	cr_assert_eq(memcmp(a, b, sizeof(*a)), 0, "%s: configurations differ", what);
}

/* ---- defaults and the example of the issue ---- */

Test(snd_config, empty_and_default_give_the_default)
{
	struct vsnd_config def;
	vsnd_config_default(&def);
	struct vsnd_config c = parse_ok("");
	assert_cfg_eq(&c, &def, "\"\"");
	c = parse_ok(NULL);
	assert_cfg_eq(&c, &def, "NULL");
	c = parse_ok("default");
	assert_cfg_eq(&c, &def, "default");
	c = parse_ok(" preset = default ; ");
	assert_cfg_eq(&c, &def, "preset=default");
	c = parse_ok("DEFAULT;;");
	assert_cfg_eq(&c, &def, "DEFAULT;;");
}

Test(snd_config, the_issue_example)
{
	struct vsnd_config c = parse_ok("streams=out:fmt=s16+s32:rate=44100-48000:ch=1-2,"
					"in:fmt=s16:rate=48000:ch=2;jacks=hp:connected,mic;"
					"chmaps=out:FL+FR,in:MONO");
	cr_assert_eq(c.nstreams, 2);
	cr_assert_eq(c.streams[0].direction, VIRTIO_SND_D_OUTPUT);
	cr_assert_eq(c.streams[0].formats, FMT(S16) | FMT(S32));
	cr_assert_eq(c.streams[0].rates, RATE(44100) | RATE(48000));
	cr_assert_eq(c.streams[0].channels_min, 1);
	cr_assert_eq(c.streams[0].channels_max, 2);
	cr_assert_eq(c.streams[0].hda_fn_nid, 0);
	cr_assert_eq(c.streams[0].features, 0);
	cr_assert_eq(c.streams[1].direction, VIRTIO_SND_D_INPUT);
	cr_assert_eq(c.streams[1].formats, FMT(S16));
	cr_assert_eq(c.streams[1].rates, RATE(48000));
	cr_assert_eq(c.streams[1].channels_min, 2);
	cr_assert_eq(c.streams[1].channels_max, 2);
	cr_assert_eq(c.njacks, 2);
	cr_assert_eq(c.jacks[0].hda_reg_defconf, 0x00200000u);
	cr_assert_eq(c.jacks[0].hda_reg_caps, 0x1cu);
	cr_assert_eq(c.jacks[0].connected, 1);
	cr_assert_eq(c.jacks[1].hda_reg_defconf, 0x00a00000u);
	cr_assert_eq(c.jacks[1].connected, 1, "jacks are connected unless said otherwise");
	cr_assert_eq(c.nchmaps, 2);
	cr_assert_eq(c.chmaps[0].direction, VIRTIO_SND_D_OUTPUT);
	cr_assert_eq(c.chmaps[0].channels, 2);
	cr_assert_eq(c.chmaps[0].positions[0], 3);
	cr_assert_eq(c.chmaps[0].positions[1], 4);
	cr_assert_eq(c.chmaps[1].direction, VIRTIO_SND_D_INPUT);
	cr_assert_eq(c.chmaps[1].channels, 1);
	cr_assert_eq(c.chmaps[1].positions[0], 2);
}

/* ---- stream tokens ---- */

Test(snd_config, every_format_name)
{
	char spec[128];
	for (unsigned f = 1; f < VIRTIO_SND_PCM_FMT_COUNT; f++) {
		snprintf(spec, sizeof(spec), "streams=out:fmt=%s", fmt_names[f]);
		struct vsnd_config c = parse_ok(spec);
		cr_assert_eq(c.streams[0].formats, 1ull << f, "%s", spec);
	}
	struct vsnd_config c = parse_ok("streams=out:fmt=S16+Float+S24_3");
	cr_assert_eq(c.streams[0].formats, FMT(S16) | FMT(FLOAT) | FMT(S24_3), "case-insensitive");
	c = parse_ok("streams=out:fmt=all");
	cr_assert_eq(c.streams[0].formats, SUPPORTED_FORMATS, "all = every format but IMA_ADPCM");
	c = parse_ok("streams=out:format=s16+s16");
	cr_assert_eq(c.streams[0].formats, FMT(S16));
	c = parse_ok("streams=out");
	cr_assert_eq(c.streams[0].formats, DEFAULT_FORMATS, "omitted: the default formats");
	cr_assert_eq(c.streams[0].rates, ALL_RATES, "omitted: all rates");
	cr_assert_eq(c.streams[0].channels_min, 1);
	cr_assert_eq(c.streams[0].channels_max, 8);
}

Test(snd_config, rates_values_ranges_and_all)
{
	char spec[128];
	for (unsigned r = 0; r < VIRTIO_SND_PCM_RATE_COUNT; r++) {
		snprintf(spec, sizeof(spec), "streams=out:rate=%u", rates_hz[r]);
		struct vsnd_config c = parse_ok(spec);
		cr_assert_eq(c.streams[0].rates, 1ull << r, "%s", spec);
	}
	struct vsnd_config c = parse_ok("streams=out:rate=44100-48000");
	cr_assert_eq(c.streams[0].rates, RATE(44100) | RATE(48000));
	c = parse_ok("streams=out:rate=40000-50000");
	cr_assert_eq(c.streams[0].rates, RATE(44100) | RATE(48000), "range = rates inside it");
	c = parse_ok("streams=out:rate=8000-16000+48000");
	cr_assert_eq(c.streams[0].rates, RATE(8000) | RATE(11025) | RATE(16000) | RATE(48000));
	c = parse_ok("streams=out:rate=0-1000000");
	cr_assert_eq(c.streams[0].rates, ALL_RATES);
	c = parse_ok("streams=out:rates=all");
	cr_assert_eq(c.streams[0].rates, ALL_RATES);
	c = parse_ok("streams=out:rate=48000-48000");
	cr_assert_eq(c.streams[0].rates, RATE(48000));
}

Test(snd_config, channels_nid_features_directions)
{
	struct vsnd_config c = parse_ok("streams=out:ch=2");
	cr_assert_eq(c.streams[0].channels_min, 2);
	cr_assert_eq(c.streams[0].channels_max, 2);
	c = parse_ok("streams=out:channels=1-8");
	cr_assert_eq(c.streams[0].channels_min, 1);
	cr_assert_eq(c.streams[0].channels_max, 8);
	c = parse_ok("streams=out:ch=3-6");
	cr_assert_eq(c.streams[0].channels_min, 3);
	cr_assert_eq(c.streams[0].channels_max, 6);
	c = parse_ok("streams=out:nid=7;chmaps=none");
	cr_assert_eq(c.streams[0].hda_fn_nid, 7);
	c = parse_ok("streams=out:nid=0x10;chmaps=none");
	cr_assert_eq(c.streams[0].hda_fn_nid, 16, "hex");
	c = parse_ok("streams=out:feat=polling+xruns");
	cr_assert_eq(c.streams[0].features,
		     1u << VIRTIO_SND_PCM_F_MSG_POLLING | 1u << VIRTIO_SND_PCM_F_EVT_XRUNS);
	c = parse_ok("streams=out:feat=xruns");
	cr_assert_eq(c.streams[0].features, 1u << VIRTIO_SND_PCM_F_EVT_XRUNS);
	c = parse_ok("streams=out:features=none");
	cr_assert_eq(c.streams[0].features, 0);
	c = parse_ok("streams=output,playback,input,capture,OUT,In");
	cr_assert_eq(c.nstreams, 6);
	const uint8_t want[6] = { 0, 0, 1, 1, 0, 1 };
	for (int i = 0; i < 6; i++)
		cr_assert_eq(c.streams[i].direction, want[i], "stream %d", i);
	c = parse_ok(" streams = out : fmt = s16 + s32 : ch = 1 - 2 , in ");
	cr_assert_eq(c.streams[0].formats, FMT(S16) | FMT(S32), "blanks around tokens");
	cr_assert_eq(c.streams[0].channels_max, 2);
	cr_assert_eq(c.nstreams, 2);
	c = parse_ok("streams=out,out,out,out,out,out,out,in");
	cr_assert_eq(c.nstreams, VSND_MAX_STREAMS);
	c = parse_ok("streams=none;chmaps=none");
	cr_assert_eq(c.nstreams, 0);
}

/* ---- jacks ---- */

Test(snd_config, jack_kinds_states_and_options)
{
	static const struct {
		const char *name;
		uint32_t defconf, caps;
	} kinds[] = {
		{ "line-out", 0x00000000, 0x14 }, { "lineout", 0x00000000, 0x14 },
		{ "speaker", 0x00100000, 0x14 },  { "spk", 0x00100000, 0x14 },
		{ "headphone", 0x00200000, 0x1c }, { "hp", 0x00200000, 0x1c },
		{ "cd", 0x00300000, 0x24 },        { "spdif-out", 0x00400000, 0x14 },
		{ "hdmi", 0x18500000, 0x94 },      { "line-in", 0x00800000, 0x24 },
		{ "aux", 0x00900000, 0x24 },       { "mic", 0x00a00000, 0x24 },
		{ "spdif-in", 0x00c00000, 0x24 },  { "digital-in", 0x00d00000, 0x24 },
	};
	char spec[128];
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snprintf(spec, sizeof(spec), "jacks=%s", kinds[i].name);
		struct vsnd_config c = parse_ok(spec);
		cr_assert_eq(c.njacks, 1);
		cr_assert_eq(c.jacks[0].hda_reg_defconf, kinds[i].defconf, "%s", spec);
		cr_assert_eq(c.jacks[0].hda_reg_caps, kinds[i].caps, "%s", spec);
		cr_assert_eq(c.jacks[0].connected, 1);
		cr_assert_eq(c.jacks[0].features, 0);
		cr_assert_eq(c.jacks[0].hda_fn_nid, 0);
	}
	struct vsnd_config c = parse_ok("jacks=mic:disconnected:remap:nid=3,HDMI:connected,"
					"speaker:defconf=0x90170110:caps=0x10");
	cr_assert_eq(c.njacks, 3);
	cr_assert_eq(c.jacks[0].connected, 0);
	cr_assert_eq(c.jacks[0].features, 1u << VIRTIO_SND_JACK_F_REMAP);
	cr_assert_eq(c.jacks[0].hda_fn_nid, 3);
	cr_assert_eq(c.jacks[1].connected, 1);
	cr_assert_eq(c.jacks[1].hda_reg_defconf, 0x18500000u);
	cr_assert_eq(c.jacks[2].hda_reg_defconf, 0x90170110u, "defconf= overrides the kind");
	cr_assert_eq(c.jacks[2].hda_reg_caps, 0x10u);
	c = parse_ok("jacks=none");
	cr_assert_eq(c.njacks, 0);
	cr_assert_eq(c.nstreams, 2, "other sections stay the default");
	cr_assert_eq(c.nchmaps, 4);
	c = parse_ok("jacks=hp,hp,hp,hp,hp,hp,hp,mic");
	cr_assert_eq(c.njacks, VSND_MAX_JACKS);
}

/* ---- chmaps ---- */

Test(snd_config, chmap_positions_layouts_and_nid)
{
	char spec[128];
	for (unsigned p = 0; p < 37; p++) {
		snprintf(spec, sizeof(spec), "chmaps=out:%s", pos_names[p]);
		struct vsnd_config c = parse_ok(spec);
		cr_assert_eq(c.nchmaps, 1);
		cr_assert_eq(c.chmaps[0].channels, 1);
		cr_assert_eq(c.chmaps[0].positions[0], p, "%s", spec);
	}
	struct vsnd_config c = parse_ok("chmaps=in:fl+Fr+LFE");
	cr_assert_eq(c.chmaps[0].direction, VIRTIO_SND_D_INPUT);
	cr_assert_eq(c.chmaps[0].channels, 3);
	cr_assert_eq(c.chmaps[0].positions[2], 8, "LFE");
	c = parse_ok("chmaps=out:mono,out:stereo,out:quad,out:5.1,in:7.1");
	cr_assert_eq(c.nchmaps, 5);
	const uint8_t want71[8] = { 3, 4, 5, 6, 7, 8, 9, 10 };
	cr_assert_eq(c.chmaps[0].channels, 1);
	cr_assert_eq(c.chmaps[0].positions[0], 2);
	cr_assert_eq(c.chmaps[1].channels, 2);
	cr_assert_eq(c.chmaps[2].channels, 4);
	cr_assert_eq(c.chmaps[3].channels, 6);
	cr_assert_eq(c.chmaps[3].positions[5], 8);
	cr_assert_eq(c.chmaps[4].channels, 8);
	cr_assert_eq(memcmp(c.chmaps[4].positions, want71, 8), 0);
	/* 18 positions: the most a chmap holds (5.14.6.9) */
	c = parse_ok("chmaps=out:FL+FR+RL+RR+FC+LFE+SL+SR+RC+FLC+FRC+RLC+RRC+FLW+FRW+FLH+FCH+FRH");
	cr_assert_eq(c.chmaps[0].channels, 18);
	cr_assert_eq(c.chmaps[0].positions[17], 20);
	c = parse_ok("streams=out:nid=2,in;chmaps=out:stereo:nid=2,in:mono");
	cr_assert_eq(c.chmaps[0].hda_fn_nid, 2);
	cr_assert_eq(c.chmaps[1].hda_fn_nid, 0);
	c = parse_ok("chmaps=none");
	cr_assert_eq(c.nchmaps, 0);
}

Test(snd_config, inherited_chmaps_follow_the_streams)
{
	struct vsnd_config c = parse_ok("streams=out");
	cr_assert_eq(c.nchmaps, 2, "the default's input chmaps are dropped without an input");
	for (uint32_t i = 0; i < c.nchmaps; i++)
		cr_assert_eq(c.chmaps[i].direction, VIRTIO_SND_D_OUTPUT);
	cr_assert_eq(c.chmaps[2].channels, 0, "dropped entries are zeroed");
	c = parse_ok("streams=in:nid=4");
	cr_assert_eq(c.nchmaps, 0, "no chmap of nid 0 is left");
	c = parse_ok("streams=out,in");
	cr_assert_eq(c.nchmaps, 4);
	/* an explicit chmap without its stream is an error, not silently dropped */
	expect_error("streams=out;chmaps=in:MONO", "has no input stream with nid 0", "probe");
	expect_error("chmaps=out:FL:nid=3", "has no output stream with nid 3", NULL);
}

/* ---- presets ---- */

Test(snd_config, presets)
{
	struct vsnd_config def, c;
	vsnd_config_default(&def);
	memset(&c, 0xa5, sizeof(c));
	cr_assert_eq(vsnd_config_preset("default", &c), 0);
	assert_cfg_eq(&c, &def, "preset default");

	c = parse_ok("stereo-out");
	cr_assert_eq(c.nstreams, 1);
	cr_assert_eq(c.streams[0].direction, VIRTIO_SND_D_OUTPUT);
	cr_assert_eq(c.streams[0].channels_min, 1);
	cr_assert_eq(c.streams[0].channels_max, 2);
	cr_assert_eq(c.streams[0].formats, DEFAULT_FORMATS);
	cr_assert_eq(c.nchmaps, 2);
	cr_assert_eq(c.chmaps[0].direction, VIRTIO_SND_D_OUTPUT);
	cr_assert_eq(c.chmaps[1].direction, VIRTIO_SND_D_OUTPUT);
	cr_assert_eq(c.njacks, 1);

	c = parse_ok("multi");
	cr_assert_eq(c.nstreams, 3);
	cr_assert_eq(c.streams[0].direction, VIRTIO_SND_D_OUTPUT);
	cr_assert_eq(c.streams[1].direction, VIRTIO_SND_D_OUTPUT);
	cr_assert_eq(c.streams[2].direction, VIRTIO_SND_D_INPUT);
	cr_assert_eq(c.njacks, 2);
	cr_assert_eq(c.jacks[0].hda_reg_defconf, 0x00200000u);
	cr_assert_eq(c.jacks[1].hda_reg_defconf, 0x00a00000u);
	cr_assert_eq(c.nchmaps, 4);

	c = parse_ok("minimal");
	cr_assert_eq(c.nstreams, 2);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(c.streams[i].formats, FMT(S16));
		cr_assert_eq(c.streams[i].rates, RATE(44100) | RATE(48000));
		cr_assert_eq(c.streams[i].channels_max, 2);
	}
	cr_assert_eq(c.nchmaps, 0);

	/* a preset, then sections replacing its lists */
	c = parse_ok("multi;jacks=none");
	cr_assert_eq(c.nstreams, 3);
	cr_assert_eq(c.njacks, 0);
	c = parse_ok("preset=stereo-out;streams=out:ch=2,out:ch=2");
	cr_assert_eq(c.nstreams, 2);
	cr_assert_eq(c.nchmaps, 2, "the preset's output chmaps stay");

	memcpy(&c, &def, sizeof(c));
	cr_assert_eq(vsnd_config_preset("nosuch", &c), -1);
	assert_cfg_eq(&c, &def, "unknown preset leaves cfg untouched");
}

/* ---- errors ---- */

Test(snd_config, errors_name_the_token_and_what_was_expected)
{
	/* streams */
	expect_error("streams=out:fmt=x16", "unknown format 'x16'", "s16");
	expect_error("streams=out:fmt=s16+", "unknown format ''", NULL);
	expect_error("streams=out:fmt=ima_adpcm", "'ima_adpcm' is not supported", NULL);
	expect_error("streams=out:rate=44000", "'44000' is not a VirtIO rate", "44100");
	expect_error("streams=out:rate=45000-47000", "range 45000-47000 holds no VirtIO rate", NULL);
	expect_error("streams=out:rate=48000-44100", "'48000-44100' is not a rate range", NULL);
	expect_error("streams=out:rate=-5", "is not a rate range", NULL);
	expect_error("streams=out:ch=0", "'0' is not a channel count", "1..8");
	expect_error("streams=out:ch=9", "'9' is not a channel count", NULL);
	expect_error("streams=out:ch=3-2", "'3-2' is not a channel count", NULL);
	expect_error("streams=out:ch=two", "'two'", NULL);
	expect_error("streams=out:nid=-1", "'-1' is not an HDA function node id", NULL);
	expect_error("streams=out:nid=4294967296", "is not an HDA function node id", NULL);
	expect_error("streams=out:feat=shmem_host", "'shmem_host' is not offered", NULL);
	expect_error("streams=out:feat=turbo", "unknown feature 'turbo'", "polling");
	expect_error("streams=sideways", "'sideways' is not a stream direction", "out or in");
	expect_error("streams=out:loud=1", "unknown stream option 'loud='", "fmt=");
	expect_error("streams=out:s16", "'s16' is not a stream option", NULL);
	expect_error("streams=out:fmt=", "option 'fmt=' has no value", NULL);
	expect_error("streams=out:ch=2:ch=1", "option 'ch' given twice", NULL);
	expect_error("streams=out,,in", "streams item 2", "empty item");
	expect_error("streams=out,", "empty item", NULL);
	expect_error("streams=", "'streams=' is empty", NULL);
	expect_error("streams=out,out,out,out,out,out,out,out,in", "too many streams (at most 8)",
		     "item 9");
	/* jacks */
	expect_error("jacks=trumpet", "unknown jack kind 'trumpet'", "headphone");
	expect_error("jacks=hp:plugged", "'plugged' is not a jack option", "connected");
	expect_error("jacks=hp:colour=red", "unknown jack option 'colour='", NULL);
	expect_error("jacks=hp:defconf=0xZZ", "'0xZZ' is not a 32-bit HDA register value", NULL);
	expect_error("jacks=hp:caps=0x100000000", "is not a 32-bit HDA register value", NULL);
	expect_error("jacks=hp:connected:disconnected", "given twice", NULL);
	expect_error("jacks=hp,hp,hp,hp,hp,hp,hp,hp,hp", "too many jacks (at most 8)", NULL);
	/* chmaps */
	expect_error("chmaps=out:XX", "unknown channel position 'XX'", "FL");
	expect_error("chmaps=out", "needs channel positions", "out:FL+FR");
	expect_error("chmaps=up:FL", "'up' is not a chmap direction", NULL);
	expect_error("chmaps=out:FL:nid=x", "'x' is not an HDA function node id", NULL);
	expect_error("chmaps=out:FL:ch=2", "'ch=2' is not a chmap option", "nid=");
	expect_error("chmaps=out:FL+FR+RL+RR+FC+LFE+SL+SR+RC+FLC+FRC+RLC+RRC+FLW+FRW+FLH+FCH+FRH+TC",
		     "too many channel positions (at most 18)", NULL);
	expect_error("chmaps=out:FL,out:FL,out:FL,out:FL,out:FL,out:FL,out:FL,out:FL,out:FL",
		     "too many chmaps", NULL);
	/* sections and presets */
	expect_error("bogus=1", "unknown section 'bogus='", "streams=");
	expect_error("streams=out;streams=in", "section 'streams=' given twice", NULL);
	expect_error("jacks=hp;multi", "preset 'multi' must be the first section", NULL);
	expect_error("nosuch", "unknown preset or section 'nosuch'", "stereo-out");
	expect_error("preset=nosuch", "unknown preset or section 'nosuch'", NULL);
}

Test(snd_config, error_buffer_is_bounded)
{
	struct vsnd_config c;
	char err[16];
	memset(err, 'x', sizeof(err));
	cr_assert_eq(vsnd_config_parse("streams=out:fmt=x16", &c, err, sizeof(err)), -1);
	cr_assert_eq(strlen(err), sizeof(err) - 1, "truncated, NUL-terminated");
	cr_assert_eq(vsnd_config_parse("streams=out:fmt=x16", &c, NULL, 0), -1, "no buffer");
}

/* ---- checks ---- */

/* One broken field each; vsnd_config_check() must refuse all, and so must vsnd_dev_new()
 * for those its own validation covers (cases marked dev). */
Test(snd_config, check_rejects_bad_configs)
{
	char err[512];
	struct vsnd_config def;
	vsnd_config_default(&def);
	cr_assert_eq(vsnd_config_check(&def, err, sizeof(err)), 0, "%s", err);
	struct vsnd_host host = { 0 };
	for (int k = 0; k < 14; k++) {
		struct vsnd_config c = def;
		const char *needle = "";
		int dev = 1;
		switch (k) {
		case 0: c.nstreams = 9; needle = "too many"; break;
		case 1: c.njacks = 9; needle = "too many"; break;
		case 2: c.nchmaps = 9; needle = "too many"; break;
		case 3: c.streams[1].direction = 2; needle = "stream 1: direction 2"; break;
		case 4: c.streams[0].channels_min = 0; needle = "stream 0: channels 0-8"; break;
		case 5: c.streams[0].channels_min = 3; c.streams[0].channels_max = 2;
			needle = "channels 3-2"; break;
		case 6: c.streams[0].channels_max = 9; needle = "within 1..8"; dev = 0; break;
		case 7: c.streams[0].formats |= FMT(IMA_ADPCM); needle = "IMA_ADPCM"; break;
		case 8: c.streams[0].formats = 0; needle = "formats 0x0"; break;
		case 9: c.streams[0].rates = 1ull << 14; needle = "rates 0x4000"; break;
		case 10: c.streams[0].features = 1; needle = "features 0x1"; break;
		case 11: c.jacks[0].features = 2; needle = "jack 0: features 0x2"; break;
		case 12: c.jacks[0].connected = 2; needle = "jack 0: connected is 2"; break;
		case 13: c.chmaps[3].positions[1] = 37; needle = "chmap 3: position 37"; break;
		}
		err[0] = 0;
		cr_assert_eq(vsnd_config_check(&c, err, sizeof(err)), -1, "case %d accepted", k);
		cr_assert_not_null(strstr(err, needle), "case %d: '%s' lacks '%s'", k, err, needle);
		char buf[VSND_CONFIG_TEXT_MAX];
		cr_assert_eq(vsnd_config_format(&c, buf, sizeof(buf)), -1, "case %d printed", k);
		if (dev) {
			struct vsnd_dev *d = vsnd_dev_new(&c, &host);
			cr_assert_null(d, "case %d: the device core accepts it", k);
		}
	}
}

/* ---- format and the round trip ---- */

static void round_trip(const struct vsnd_config *cfg, const char *what)
{
	char text[VSND_CONFIG_TEXT_MAX], text2[VSND_CONFIG_TEXT_MAX], err[1024] = "";
	int n = vsnd_config_format(cfg, text, sizeof(text));
	cr_assert_gt(n, 0, "%s: format failed", what);
	cr_assert_eq((size_t)n, strlen(text), "%s: length", what);
	struct vsnd_config back;
	cr_assert_eq(vsnd_config_parse(text, &back, err, sizeof(err)), 0, "%s: '%s': %s", what,
		     text, err);
	assert_cfg_eq(&back, cfg, what);
	cr_assert_eq(vsnd_config_format(&back, text2, sizeof(text2)), n);
	cr_assert_str_eq(text2, text, "%s: printing is stable", what);
}

Test(snd_config, format_prints_the_grammar)
{
	struct vsnd_config c = parse_ok("streams=out:fmt=s32+s16:rate=48000+44100:ch=1-2,"
					"in:fmt=s16:rate=48000:ch=2;jacks=hp:connected,mic;"
					"chmaps=out:FL+FR,in:MONO");
	char buf[VSND_CONFIG_TEXT_MAX];
	int n = vsnd_config_format(&c, buf, sizeof(buf));
	const char *want = "streams=out:fmt=s16+s32:rate=44100-48000:ch=1-2,"
			   "in:fmt=s16:rate=48000:ch=2;jacks=headphone:connected,mic:connected;"
			   "chmaps=out:FL+FR,in:MONO";
	cr_assert_str_eq(buf, want);
	cr_assert_eq(n, (int)strlen(want));
	/* exactly enough room, one byte short, none */
	cr_assert_eq(vsnd_config_format(&c, buf, (size_t)n + 1), n);
	cr_assert_eq(vsnd_config_format(&c, buf, (size_t)n), -1);
	cr_assert_eq(vsnd_config_format(&c, NULL, 0), -1);

	c = parse_ok("streams=out:fmt=all:rate=all:nid=3:feat=xruns,in:rate=5512+16000+22050+"
		     "384000;jacks=hdmi:disconnected:remap:nid=2,line-in:caps=0x0,"
		     "speaker:defconf=0x00100010;chmaps=out:5.1:nid=3");
	n = vsnd_config_format(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "streams=out:fmt=all:rate=all:ch=1-8:nid=3:feat=xruns,"
			      "in:fmt=u8+s16+s24_3+s24+s32+float:rate=5512+16000-22050+384000:"
			      "ch=1-8;jacks=hdmi:disconnected:remap:nid=2,line-in:connected:"
			      "caps=0x0,speaker:connected:defconf=0x00100010;"
			      "chmaps=out:FL+FR+RL+RR+FC+LFE:nid=3");
	c = parse_ok("streams=none;jacks=none;chmaps=none");
	vsnd_config_format(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "streams=none;jacks=none;chmaps=none");
}

Test(snd_config, round_trip_of_presets_and_examples)
{
	static const char *const specs[] = {
		"default", "stereo-out", "multi", "minimal",
		"streams=none;jacks=none;chmaps=none",
		"streams=out:fmt=s16:rate=44100:ch=2,in:fmt=s16:rate=44100:ch=2",
		"jacks=hp:defconf=0xffffffff:caps=0xffffffff,mic:defconf=0x0a000000",
		"jacks=speaker:defconf=0x00700000",
		"streams=out:nid=4294967295;chmaps=out:NONE+NA+BRC:nid=4294967295",
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct vsnd_config c = parse_ok(specs[i]);
		round_trip(&c, specs[i]);
	}
	struct vsnd_config def;
	vsnd_config_default(&def);
	round_trip(&def, "vsnd_config_default");
}

/* Deterministic pseudo-random valid configurations: every field the grammar covers. */
static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static void random_config(uint64_t *seed, struct vsnd_config *c)
{
	static const uint32_t defconfs[] = { 0x00200000, 0x00a00000, 0x18500000, 0x00100000 };
	memset(c, 0, sizeof(*c));
	c->nstreams = 1 + rnd(seed) % VSND_MAX_STREAMS;
	for (uint32_t i = 0; i < c->nstreams; i++) {
		struct vsnd_stream_cfg *s = &c->streams[i];
		s->direction = (uint8_t)(rnd(seed) & 1);
		s->hda_fn_nid = rnd(seed) % 3 == 0 ? rnd(seed) : rnd(seed) % 3;
		do
			s->formats = ((uint64_t)rnd(seed) << 32 | rnd(seed)) & SUPPORTED_FORMATS;
		while (!s->formats);
		do
			s->rates = rnd(seed) & ALL_RATES;
		while (!s->rates);
		s->channels_min = (uint8_t)(1 + rnd(seed) % 8);
		s->channels_max = (uint8_t)(s->channels_min + rnd(seed) % (9 - s->channels_min));
		s->features = rnd(seed) & (1u << VIRTIO_SND_PCM_F_MSG_POLLING |
					   1u << VIRTIO_SND_PCM_F_EVT_XRUNS);
	}
	c->njacks = rnd(seed) % (VSND_MAX_JACKS + 1);
	for (uint32_t i = 0; i < c->njacks; i++) {
		struct vsnd_jack_cfg *j = &c->jacks[i];
		j->hda_fn_nid = rnd(seed) % 4;
		j->features = rnd(seed) & 1;
		j->connected = (uint8_t)(rnd(seed) & 1);
		j->hda_reg_defconf = rnd(seed) % 2 ? defconfs[rnd(seed) % 4] : rnd(seed);
		j->hda_reg_caps = rnd(seed) % 2 ? 0x1c : rnd(seed);
	}
	c->nchmaps = rnd(seed) % (VSND_MAX_CHMAPS + 1);
	for (uint32_t i = 0; i < c->nchmaps; i++) {
		struct vsnd_chmap_cfg *m = &c->chmaps[i];
		const struct vsnd_stream_cfg *s = &c->streams[rnd(seed) % c->nstreams];
		m->hda_fn_nid = s->hda_fn_nid;
		m->direction = s->direction;
		m->channels = (uint8_t)(1 + rnd(seed) % VIRTIO_SND_CHMAP_MAX_SIZE);
		for (uint32_t ch = 0; ch < m->channels; ch++)
			m->positions[ch] = (uint8_t)(rnd(seed) % 37);
	}
}

Test(snd_config, round_trip_of_random_configs)
{
	uint64_t seed = 0x5eed;
	char err[512];
	for (int i = 0; i < 300; i++) {
		struct vsnd_config c;
		random_config(&seed, &c);
		char what[32];
		snprintf(what, sizeof(what), "random config %d", i);
		if (i % 30 == 0) /* the device core agrees (this creates a device) */
			cr_assert_eq(vsnd_config_check(&c, err, sizeof(err)), 0, "%s: %s", what, err);
		round_trip(&c, what);
	}
}

Test(snd_config, formatted_text_fits_the_documented_maximum)
{
	/* the longest printable config: every list full, every field at its widest */
	struct vsnd_config c;
	memset(&c, 0, sizeof(c));
	c.nstreams = VSND_MAX_STREAMS;
	for (int i = 0; i < VSND_MAX_STREAMS; i++)
		c.streams[i] = (struct vsnd_stream_cfg){
			.hda_fn_nid = 4000000000u, .features = 0x14,
			.formats = SUPPORTED_FORMATS & ~FMT(U8), .rates = 0x1555,
			.direction = 1, .channels_min = 1, .channels_max = 8 };
	c.njacks = VSND_MAX_JACKS;
	for (int i = 0; i < VSND_MAX_JACKS; i++)
		c.jacks[i] = (struct vsnd_jack_cfg){ .hda_fn_nid = 4000000000u, .features = 1,
						     .hda_reg_defconf = 0xfff00fffu,
						     .hda_reg_caps = 0xffffffffu };
	c.nchmaps = VSND_MAX_CHMAPS;
	for (int i = 0; i < VSND_MAX_CHMAPS; i++) {
		c.chmaps[i] = (struct vsnd_chmap_cfg){ .hda_fn_nid = 4000000000u, .direction = 1,
						       .channels = 18 };
		memset(c.chmaps[i].positions, 28, 18); /* TFLC */
	}
	char buf[VSND_CONFIG_TEXT_MAX];
	int n = vsnd_config_format(&c, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_lt(n, VSND_CONFIG_TEXT_MAX);
	round_trip(&c, "widest");
}

/* ---- the semu slot with a configuration ---- */

static void no_irq(void *opaque, int level)
{
	(void)opaque;
	(void)level;
}

Test(snd_config, semu_slot_uses_the_config_and_names_later_output_sinks)
{
	static uint8_t ram[4096];
	char dir[] = "/tmp/test_snd_config-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char sink[256], blocker[256], err[512] = "";
	snprintf(sink, sizeof(sink), "wav:%s/out.wav", dir);
	struct vsnd_config cfg = parse_ok("multi;jacks=mic,hp,spk;chmaps=none");
	struct snd_slot_cfg sc = {
		.sink_spec = sink,
		.config = &cfg,
		.mem = { ram, 0x80000000u, sizeof(ram) },
		.irq = { no_irq, NULL },
	};
	struct snd_slot *s = snd_slot_new(&sc, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	const struct bus_ops *b = &snd_slot_bus_ops;
	cr_assert_eq(b->read(s, 0x100, 4), 3, "config space: jacks");
	cr_assert_eq(b->read(s, 0x104, 4), 3, "config space: streams");
	cr_assert_eq(b->read(s, 0x108, 4), 0, "config space: chmaps");
	cr_assert_eq(memcmp(snd_slot_config(s), &cfg, sizeof(cfg)), 0);
	snd_slot_free(s);

	/* output stream 1 writes to out-s1.wav: a directory in its way makes the slot fail
	 * and name it (stream 0 still uses out.wav itself) */
	snprintf(blocker, sizeof(blocker), "%s/out-s1.wav", dir);
	cr_assert_eq(mkdir(blocker, 0700), 0);
	err[0] = 0;
	cr_assert_null(snd_slot_new(&sc, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "out-s1.wav"), "message: %s", err);
	sc.config = NULL; /* default: one output stream, only out.wav */
	s = snd_slot_new(&sc, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	cr_assert_eq(b->read(s, 0x104, 4), 2);
	snd_slot_free(s);

	/* a config the device refuses is reported as such */
	cfg.streams[0].channels_min = 0;
	sc.config = &cfg;
	sc.sink_spec = NULL;
	err[0] = 0;
	cr_assert_null(snd_slot_new(&sc, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "bad virtio-snd configuration: stream 0: channels 0-8"),
			   "message: %s", err);
	rmdir(blocker);
	char f[300];
	snprintf(f, sizeof(f), "%s/out.wav", dir);
	unlink(f);
	cr_assert_eq(rmdir(dir), 0, "nothing else left behind");
}

/* Random token soup and random bytes: never a crash or an unterminated message; whatever is
 * accepted prints back and parses to the same configuration. */
Test(snd_config, random_specs_never_crash)
{
	static const char *const vocab[] = {
		"streams=", "jacks=", "chmaps=", "preset=", "multi", "minimal", "none", "out", "in",
		":", ",", ";", "+", "-", "=", "fmt=", "rate=", "ch=", "nid=", "feat=", "s16",
		"float", "all", "44100", "48000", "8000", "2", "1-8", "0x1f", "hp", "mic", "hdmi",
		"connected", "disconnected", "remap", "defconf=", "caps=", "FL", "FR", "MONO",
		"5.1", "xruns", "polling", " ", "9", "\xff", "%s%n", "99999999999999999999",
	};
	const size_t nv = sizeof(vocab) / sizeof(vocab[0]);
	uint64_t seed = 42;
	int accepted = 0;
	for (int i = 0; i < 3000; i++) {
		char spec[512];
		size_t len = 0;
		int ntok = 1 + (int)(rnd(&seed) % 24);
		for (int t = 0; t < ntok; t++) {
			char tok[8];
			const char *w = vocab[rnd(&seed) % nv];
			if (rnd(&seed) % 8 == 0) { /* a random byte */
				tok[0] = (char)(1 + rnd(&seed) % 255);
				tok[1] = 0;
				w = tok;
			}
			size_t wl = strlen(w);
			if (len + wl >= sizeof(spec))
				break;
			memcpy(spec + len, w, wl);
			len += wl;
		}
		spec[len] = 0;
		struct vsnd_config c;
		char err[256];
		memset(err, 'x', sizeof(err));
		if (vsnd_config_parse(spec, &c, err, sizeof(err)) == 0) {
			accepted++;
			round_trip(&c, spec);
		} else {
			cr_assert_lt(strlen(err), sizeof(err), "message terminated");
			cr_assert_gt(strlen(err), 10, "'%s': a message", spec);
		}
	}
	cr_assert_gt(accepted, 0, "some specs are valid");
	cr_log_info("%d of 3000 random specs accepted", accepted);
}

/* Structured random specs from mostly valid pieces: each is accepted, or refused with a
 * message naming a section, item or check; accepted ones round-trip. */
Test(snd_config, structured_random_specs)
{
	static const char *const sopts[] = { ":fmt=s16", ":fmt=u8+s32+float", ":fmt=all",
					     ":rate=44100", ":rate=8000-48000+192000", ":rate=all",
					     ":ch=2", ":ch=1-6", ":nid=1", ":nid=0x2",
					     ":feat=xruns", ":ch=0", ":fmt=s15" };
	static const char *const jopts[] = { ":connected", ":disconnected", ":remap", ":nid=4",
					     ":defconf=0x01234567", ":caps=0x3f", ":oops" };
	static const char *const kinds[] = { "hp", "spk", "mic", "hdmi", "line-in", "cd" };
	static const char *const cpos[] = { "FL+FR", "MONO", "5.1", "stereo", "FC+LFE+TSL", "QQ" };
	uint64_t seed = 7;
	int accepted = 0;
	for (int i = 0; i < 400; i++) {
		char spec[1024] = "";
		size_t len = 0;
#define ADD(...) (len += (size_t)snprintf(spec + len, sizeof(spec) - len, __VA_ARGS__))
		if (rnd(&seed) % 4 == 0)
			ADD("%s;", (const char *[]){ "multi", "stereo-out", "minimal", "default" }[rnd(&seed) % 4]);
		if (rnd(&seed) % 2) {
			ADD("streams=");
			int n = 1 + (int)(rnd(&seed) % 4);
			for (int k = 0; k < n; k++) {
				ADD("%s%s", k ? "," : "", rnd(&seed) % 2 ? "out" : "in");
				for (int o = (int)(rnd(&seed) % 3); o > 0; o--)
					ADD("%s", sopts[rnd(&seed) % (sizeof(sopts) / sizeof(sopts[0]))]);
			}
			ADD(";");
		}
		if (rnd(&seed) % 2) {
			ADD("jacks=");
			int n = 1 + (int)(rnd(&seed) % 3);
			for (int k = 0; k < n; k++) {
				ADD("%s%s", k ? "," : "", kinds[rnd(&seed) % 6]);
				for (int o = (int)(rnd(&seed) % 3); o > 0; o--)
					ADD("%s", jopts[rnd(&seed) % (sizeof(jopts) / sizeof(jopts[0]))]);
			}
			ADD(";");
		}
		if (rnd(&seed) % 3 == 0)
			ADD("chmaps=%s:%s", rnd(&seed) % 2 ? "out" : "in", cpos[rnd(&seed) % 6]);
#undef ADD
		struct vsnd_config c;
		char err[512] = "";
		if (vsnd_config_parse(spec, &c, err, sizeof(err)) == 0) {
			accepted++;
			round_trip(&c, spec);
		} else {
			cr_assert(strstr(err, " item ") || strstr(err, "chmap ") ||
					  strstr(err, "given twice"),
				  "'%s': message '%s' names no place", spec, err);
		}
	}
	cr_assert_gt(accepted, 50, "%d accepted", accepted);
	cr_log_info("%d of 400 structured specs accepted", accepted);
}
