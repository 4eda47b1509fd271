/* cmd_replay.c - `vsndtrace replay`: re-drive a recorded session through the device and a
 * sink without a guest (replay/replay.h), optionally verifying every answer of the device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/replay.h"
#include "trace/reader.h"
#include "vsndtrace/cli.h"

static void help(void)
{
	printf("usage: vsndtrace replay FILE [--sink SPEC] [--speed X|max] [--verify]\n"
	       "                        [--stream N] [--from T] [--to T] [--tolerance-us N]\n"
	       "                        [--strict-timing] [--json]\n\n"
	       "Re-drive a recorded session through the virtio-snd device and a host sink, without\n"
	       "a guest: the recorded chains, DRIVER_OK and resets are fed to the device in\n"
	       "recorded order under a virtual clock; the device's output goes to the sink.\n\n"
	       "  --sink SPEC      null | wav:PATH | flac:PATH | alsa[:DEVICE]. Default: alsa when\n"
	       "                   a sound device exists (/dev/snd/pcmC*D*p), else null. With\n"
	       "                   several output streams, stream N writes PATH-sN.EXT.\n"
	       "  --speed X|max    X times real time (1 = as recorded), or max: no waiting.\n"
	       "                   Default: 1 with an alsa sink, max otherwise and with --verify.\n"
	       "  --verify         compare the device's answers with the recording: control\n"
	       "                   responses and statuses byte for byte, used lengths, completion\n"
	       "                   order per queue, bytes written into chains, sink parameters and\n"
	       "                   the PCM reaching the sink (sample-exact). The first divergence\n"
	       "                   is reported with event id, time, queue, field, expected and\n"
	       "                   actual, and the exit status is 1.\n"
	       "  --stream N       play (and verify the PCM of) output stream N only.\n"
	       "  --from T --to T  seconds from session start (decimals allowed): only PCM in this\n"
	       "                   window reaches the sink; the protocol is still replayed from the\n"
	       "                   start, at full speed outside the window.\n"
	       "  --tolerance-us N completion time tolerance (default 1000 us). Timing differences\n"
	       "                   (completion times, latency_bytes) are reported apart and are\n"
	       "                   not failures unless --strict-timing.\n"
	       "  --strict-timing  timing differences beyond the tolerance fail too (exit 1).\n"
	       "  --json           print the report as one JSON object (no wall-clock values).\n\n"
	       "A progress line is shown on a terminal for sessions longer than 2 s.\n"
	       "Exit status: 0 replayed (verified), 1 divergence, 2 usage error or a session that\n"
	       "is missing, empty, not a session, of another schema version, truncated or corrupt.\n");
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	const char *cmd = "replay";
	const char *path = NULL;
	struct vt_replay_opts o;
	vt_replay_opts_default(&o);
	int json = 0, speed_set = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			help();
			return CLI_EXIT_OK;
		} else if (!strcmp(a, "--verify")) {
			o.verify = 1;
		} else if (!strcmp(a, "--strict-timing")) {
			o.strict_timing = 1;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--sink") || !strcmp(a, "--speed") || !strcmp(a, "--stream") ||
			   !strcmp(a, "--from") || !strcmp(a, "--to") ||
			   !strcmp(a, "--tolerance-us")) {
			if (!v)
				return cli_usage(cmd, "%s needs a value", a);
			i++;
			if (!strcmp(a, "--sink")) {
				o.sink_spec = v;
			} else if (!strcmp(a, "--speed")) {
				speed_set = 1;
				if (!strcmp(v, "max")) {
					o.speed = 0;
				} else {
					char *end;
					o.speed = strtod(v, &end);
					if (!*v || *end || !isfinite(o.speed) || o.speed <= 0)
						return cli_usage(cmd, "bad --speed '%s' (a number > 0 or max)",
								 v);
				}
			} else if (!strcmp(a, "--stream")) {
				o.stream = cli_parse_stream(v);
				if (o.stream < 0)
					return cli_usage(cmd, "bad --stream '%s'", v);
			} else if (!strcmp(a, "--from")) {
				if (parse_seconds(v, &o.from_s))
					return cli_usage(cmd, "bad --from '%s' (seconds)", v);
			} else if (!strcmp(a, "--to")) {
				if (parse_seconds(v, &o.to_s))
					return cli_usage(cmd, "bad --to '%s' (seconds)", v);
			} else {
				double us;
				if (parse_seconds(v, &us) || us > 1e12)
					return cli_usage(cmd, "bad --tolerance-us '%s'", v);
				o.tolerance_ns = (uint64_t)(us * 1000.0);
			}
		} else if (a[0] == '-' && a[1]) {
			return cli_usage(cmd, "unknown option '%s'", a);
		} else if (!path) {
			path = a;
		} else {
			return cli_usage(cmd, "more than one FILE ('%s', '%s')", path, a);
		}
	}
	if (!path)
		return cli_usage(cmd, "no session FILE given");
	if (o.to_s >= 0 && o.to_s <= o.from_s)
		return cli_usage(cmd, "--to must be later than --from");
	if (!o.sink_spec)
		o.sink_spec = vt_replay_default_sink();
	if (!speed_set)
		o.speed = !o.verify && !strncmp(o.sink_spec, "alsa", 4) ? 1.0 : 0;

	struct vt_reader *r = cli_open_session(cmd, path, 0);
	if (!r)
		return CLI_EXIT_USAGE;
	const struct vt_session *s = vt_reader_session(r);
	if (o.stream >= 0) {
		uint32_t n = s->has_config ? s->config.nstreams : 2;
		int bad = (uint32_t)o.stream >= n ? 1
			  : s->has_config && s->config.streams[o.stream].direction != 0 ? 2 : 0;
		if (bad) {
			vt_reader_close(r);
			if (bad == 1)
				return cli_usage(cmd, "--stream %d: the session has %u streams",
						 o.stream, n);
			return cli_usage(cmd, "--stream %d is an input stream (nothing to play)",
					 o.stream);
		}
	}
	o.progress = isatty(2) && (s->last_t_ns - s->first_t_ns > 2000000000ull || o.speed > 0);

	struct vt_replay_report rep;
	char err[512] = "";
	int rc = vt_replay_run_reader(r, &o, &rep, err, sizeof(err));
	vt_reader_close(r);
	if (rc) {
		int code = rc < 0 ? -rc : rc;
		return cli_fail(cmd, CLI_EXIT_USAGE, "%s: %s", path,
				err[0] ? err : code < 100 ? vt_strerror(code) : "replay failed");
	}
	vt_replay_print(stdout, path, &rep, &o, json);
	if (!json && isatty(2))
		fprintf(stderr, "replayed %.3f s of session in %.3f s (%.0fx real time)\n",
			(double)rep.session_ns / 1e9, (double)rep.wall_ns / 1e9,
			rep.wall_ns ? (double)rep.session_ns / (double)rep.wall_ns : 0.0);
	return vt_replay_failed(&rep, &o) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
