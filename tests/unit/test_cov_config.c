/* test_cov_config.c - corners of the --snd-config grammar (vsnd/snd_config.c) left by
 * test_snd_config.c (issue 7 coverage): spelling variants, the remaining error messages, an
 * error buffer of size 0, the checks on hand-built configs and output buffers that are short. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "vsnd/snd.h"

static struct vsnd_config ok(const char *spec)
{
	struct vsnd_config c;
	char err[1024] = "";
	cr_assert_eq(vsnd_config_parse(spec, &c, err, sizeof(err)), 0, "'%s' rejected: %s", spec, err);
	return c;
}

static void bad(const char *spec, const char *needle)
{
	struct vsnd_config c;
	char err[1024] = "";
	cr_assert_eq(vsnd_config_parse(spec, &c, err, sizeof(err)), -1, "'%s' accepted", spec);
	cr_expect_not_null(strstr(err, needle), "'%s': message '%s' lacks '%s'", spec, err, needle);
}

static void check_bad(const struct vsnd_config *c, const char *needle)
{
	char err[512] = "";
	cr_assert_eq(vsnd_config_check(c, err, sizeof(err)), -1, "accepted (%s)", needle);
	cr_expect_not_null(strstr(err, needle), "message '%s' lacks '%s'", err, needle);
	char buf[VSND_CONFIG_TEXT_MAX];
	cr_expect_eq(vsnd_config_format(c, buf, sizeof(buf)), -1, "format refuses it too");
}

Test(cov_config, default_preset_by_null_or_any_case)
{
	struct vsnd_config def, a, b;
	vsnd_config_default(&def);
	memset(&a, 0xff, sizeof(a));
	cr_assert_eq(vsnd_config_preset(NULL, &a), 0);
	cr_expect_eq(memcmp(&a, &def, sizeof(def)), 0);
	cr_assert_eq(vsnd_config_preset("DeFault", &b), 0);
	cr_expect_eq(memcmp(&b, &def, sizeof(def)), 0);
}

Test(cov_config, spelling_variants)
{
	struct vsnd_config c = ok("streams=out:nid=0X1f:formats=s16:feat=msg_polling");
	cr_expect_eq(c.streams[0].hda_fn_nid, 31);
	cr_expect_eq(c.streams[0].formats, 1ull << VIRTIO_SND_PCM_FMT_S16);
	cr_expect_eq(c.streams[0].features, 1u << VIRTIO_SND_PCM_F_MSG_POLLING);
	c = ok("streams=out:feat=msg-polling+evt_xruns");
	cr_expect_eq(c.streams[0].features,
		     1u << VIRTIO_SND_PCM_F_MSG_POLLING | 1u << VIRTIO_SND_PCM_F_EVT_XRUNS);
	c = ok("streams=out:feat=evt-xruns:ch=2-2");
	cr_expect_eq(c.streams[0].features, 1u << VIRTIO_SND_PCM_F_EVT_XRUNS);
	cr_expect_eq(c.streams[0].channels_min, 2);
	cr_expect_eq(c.streams[0].channels_max, 2);
	/* Singular section names. */
	c = ok("stream=out,in;jack=mic:nid=0x10;chmap=out:FL+FR:nid=0,in:mono");
	cr_expect_eq(c.nstreams, 2);
	cr_expect_eq(c.njacks, 1);
	cr_expect_eq(c.jacks[0].hda_fn_nid, 16);
	cr_expect_eq(c.jacks[0].hda_reg_defconf, 0x00a00000u, "mic");
	cr_expect_eq(c.nchmaps, 2);
	cr_expect_eq(c.chmaps[1].channels, 1);
	cr_expect_eq(c.chmaps[1].positions[0], 2, "MONO");
}

Test(cov_config, remaining_error_messages)
{
	bad("streams=out:feat=evt_shmem", "'evt_shmem' is not offered");
	bad("streams=out:feat=evt-shmem", "'evt-shmem' is not offered");
	bad("streams=out:rate=abc", "'abc' is not a VirtIO rate");
	bad("streams=out:rate=44100-x", "'44100-x' is not a rate range");
	bad("streams=out:ch=x-2", "'x-2' is not a channel count");
	bad("streams=out:ch=1-x", "'1-x' is not a channel count");
	bad("streams=out:ch=1-9", "'1-9' is not a channel count");
	bad("jacks=hp:nid=x", "'x' is not an HDA function node id");
	bad("jacks=hp:nid=1:nid=2", "option 'nid' given twice");
	bad("chmaps=out:", "needs channel positions");
	bad("chmaps=out:FL:foo", "'foo' is not a chmap option");
	bad("chmaps=out:FL:nid=0:nid=0", "option 'nid' given twice");
	bad("chmaps=out:FL:nid=7", "has no output stream with nid 7");
}

Test(cov_config, an_error_buffer_of_size_zero_is_never_written)
{
	struct vsnd_config c;
	char err[4] = "abc";
	cr_expect_eq(vsnd_config_parse("streams=out:fmt=x16", &c, err, 0), -1);
	cr_expect_str_eq(err, "abc");
	cr_expect_eq(vsnd_config_parse("streams=out:fmt=s16", &c, err, 0), 0);
	cr_expect_str_eq(err, "abc");
	cr_expect_eq(c.nstreams, 1);
	c.nstreams = 9;
	cr_expect_eq(vsnd_config_check(&c, err, 0), -1);
	cr_expect_str_eq(err, "abc");
}

Test(cov_config, checks_of_hand_built_configs)
{
	struct vsnd_config c;
	vsnd_config_default(&c);
	c.streams[1].rates |= 1ull << VIRTIO_SND_PCM_RATE_COUNT;
	check_bad(&c, "stream 1: rates");
	vsnd_config_default(&c);
	c.streams[0].rates = 0;
	check_bad(&c, "stream 0: rates 0x0");
	vsnd_config_default(&c);
	c.chmaps[2].direction = 2;
	check_bad(&c, "chmap 2: direction 2");
	vsnd_config_default(&c);
	c.chmaps[3].channels = VIRTIO_SND_CHMAP_MAX_SIZE + 1;
	check_bad(&c, "chmap 3: 19 channels");
	vsnd_config_default(&c);
	c.chmaps[0].channels = 0;
	check_bad(&c, "chmap 0: 0 channels");
	vsnd_config_default(&c);
	c.chmaps[1].positions[1] = 37;
	check_bad(&c, "chmap 1: position 37");
}

Test(cov_config, format_needs_room_for_the_terminating_nul)
{
	struct vsnd_config c;
	vsnd_config_default(&c);
	char full[VSND_CONFIG_TEXT_MAX];
	int n = vsnd_config_format(&c, full, sizeof(full));
	cr_assert_gt(n, 0);
	cr_assert_eq(strlen(full), (size_t)n);
	char buf[VSND_CONFIG_TEXT_MAX];
	cr_expect_eq(vsnd_config_format(&c, buf, (size_t)n), -1, "one byte short");
	cr_expect_eq(vsnd_config_format(&c, buf, 10), -1);
	cr_expect_eq(vsnd_config_format(&c, NULL, 0), -1, "no buffer at all");
	memset(buf, 'x', sizeof(buf));
	cr_expect_eq(vsnd_config_format(&c, buf, (size_t)n + 1), n);
	cr_expect_str_eq(buf, full);
}
