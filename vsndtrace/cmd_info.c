/* cmd_info.c - `vsndtrace info FILE`: what a session is: its metadata, the device
 * configuration, the streams as used (parameters, PCM), its duration and event counts. */
#include <getopt.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "trace/reader.h"
#include "trace/stats.h"
#include "vsnd/virtio_snd.h"
#include "vsndtrace/cli.h"

static void help(void)
{
	printf("usage: vsndtrace info FILE\n\n"
	       "Describes a recorded session: tool and schema version, when and where it was\n"
	       "recorded, the guest, the sink, whether it ended cleanly, the device\n"
	       "configuration, each stream's parameters and PCM, duration and event counts.\n\n"
	       "  -h, --help   this text\n\n"
	       "Exit status: 0 ok, 2 usage error or unreadable session.\n");
}

static int64_t q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void print_mask(const char *what, uint64_t mask, int formats)
{
	printf("%s", what);
	int any = 0;
	for (unsigned b = 0; b < 64; b++) {
		if (!(mask >> b & 1))
			continue;
		if (formats)
			printf(" %s", vsnd_format_name((uint8_t)b));
		else if (vsnd_rate_hz((uint8_t)b))
			printf(" %u", vsnd_rate_hz((uint8_t)b));
		else
			printf(" rate#%u", b);
		any = 1;
	}
	printf("%s\n", any ? "" : " none");
}

static void wall(char *buf, size_t n, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	if (!ns || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, n, "-");
}

static void streams_used(sqlite3 *db)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		db,
		"SELECT p.stream, p.format, p.channels, p.rate_hz, p.period_bytes, p.buffer_bytes,"
		" (SELECT count(*) FROM pcm_params q WHERE q.stream = p.stream),"
		" (SELECT count(*) FROM pcm x WHERE x.stream = p.stream),"
		" (SELECT total(bytes) FROM pcm x WHERE x.stream = p.stream),"
		" (SELECT total(frames) FROM pcm x WHERE x.stream = p.stream)"
		" FROM pcm_params p WHERE p.chain IN (SELECT max(chain) FROM pcm_params"
		" GROUP BY stream) ORDER BY p.stream",
		-1, &st, NULL) != SQLITE_OK)
		return;
	int first = 1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint32_t rate = (uint32_t)sqlite3_column_int64(st, 3);
		double frames = sqlite3_column_double(st, 9);
		if (first)
			printf("streams used (last accepted parameters)\n");
		first = 0;
		printf("  stream %d   %s %u Hz %d ch, period %d B, buffer %d B (%d SET_PARAMS);"
		       " PCM %d batches, %.0f bytes, %.0f frames",
		       sqlite3_column_int(st, 0),
		       vsnd_format_name((uint8_t)sqlite3_column_int(st, 1)), rate,
		       sqlite3_column_int(st, 2), sqlite3_column_int(st, 4),
		       sqlite3_column_int(st, 5), sqlite3_column_int(st, 6),
		       sqlite3_column_int(st, 7), sqlite3_column_double(st, 8), frames);
		if (rate)
			printf(" = %.3f s", frames / rate);
		printf("\n");
	}
	sqlite3_finalize(st);
}

static void control_summary(sqlite3 *db)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "SELECT code, count(*), sum(status = 32768) FROM control"
			       " GROUP BY code ORDER BY code",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	printf("  control    ");
	int any = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t n = sqlite3_column_int64(st, 1), ok = sqlite3_column_int64(st, 2);
		printf("%s%s x%" PRId64, any ? ", " : "",
		       ts_code_name((uint32_t)sqlite3_column_int64(st, 0)), n);
		if (ok != n)
			printf(" (%" PRId64 " not OK)", n - ok);
		any = 1;
	}
	printf("%s\n", any ? "" : "none");
	sqlite3_finalize(st);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			help();
			return CLI_EXIT_OK;
		}
		return cli_usage("info", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind >= argc)
		return cli_usage("info", "missing FILE");
	if (optind + 1 < argc)
		return cli_usage("info", "unexpected argument '%s'", argv[optind + 1]);
	const char *path = argv[optind];
	struct vt_reader *r = cli_open_session("info", path, 0);
	if (!r)
		return CLI_EXIT_USAGE;
	const struct vt_session *s = vt_reader_session(r);
	sqlite3 *db = vt_reader_db(r);
	char t0[64], t1[64];
	wall(t0, sizeof(t0), s->start_wall_ns);
	wall(t1, sizeof(t1), s->end_wall_ns);

	printf("session      %s\n", path);
	printf("  format     vsndtrace session, schema version %d, recorded by %s\n",
	       s->schema_version, s->tool_version[0] ? s->tool_version : "?");
	printf("  recorded   %s .. %s on %s\n", t0, t1, s->host[0] ? s->host : "?");
	if (s->clean_end)
		printf("  state      complete (closed cleanly)\n");
	else
		printf("  state      INCOMPLETE (the recorder did not close it%s%s)\n",
		       s->truncated ? "; stopped on error: " : "", s->truncated ? s->error : "");
	if (s->scenario[0])
		printf("  scenario   %s\n", s->scenario);
	if (s->sink_spec[0])
		printf("  sink       %s\n", s->sink_spec);
	if (s->guest_cmdline[0] || s->kernel[0])
		printf("  guest      kernel %s, initrd %s, cmdline \"%s\"\n",
		       s->kernel[0] ? s->kernel : "-", s->initrd[0] ? s->initrd : "-",
		       s->guest_cmdline);
	if (s->notes[0]) {
		/* notes may hold a whole guest log: its first line and how much more there is */
		const char *nl = strchr(s->notes, '\n');
		size_t more = 0;
		for (const char *p = nl; p && *p; p++)
			more += *p == '\n' && p[1];
		if (nl && more)
			printf("  notes      %.*s\n             (%zu more lines: sqlite3 %s "
			       "'SELECT notes FROM session')\n",
			       (int)(nl - s->notes), s->notes, more, path);
		else
			printf("  notes      %.*s\n",
			       nl ? (int)(nl - s->notes) : (int)strlen(s->notes), s->notes);
	}
	double dur =
	    s->last_t_ns > s->first_t_ns ? (double)(s->last_t_ns - s->first_t_ns) / 1e9 : 0;
	printf("  duration   %.3f s (first to last event)", dur);
	if (s->timebase_hz)
		printf(", guest timebase %" PRIu64 " Hz", s->timebase_hz);
	printf("\n");
	if (s->clean_end)
		printf("  recorder   %" PRIu64 " events, %" PRIu64 " bytes, %" PRIu64
		       " producer waits (%.3f ms)\n",
		       s->events, s->bytes, s->producer_waits, s->producer_wait_ns / 1e6);

	if (s->has_config) {
		const struct vsnd_config *cfg = &s->config;
		printf("device       %u stream%s, %u jack%s, %u chmap%s\n", cfg->nstreams,
		       cfg->nstreams == 1 ? "" : "s", cfg->njacks, cfg->njacks == 1 ? "" : "s",
		       cfg->nchmaps, cfg->nchmaps == 1 ? "" : "s");
		for (uint32_t i = 0; i < cfg->nstreams && i < VSND_MAX_STREAMS; i++) {
			const struct vsnd_stream_cfg *sc = &cfg->streams[i];
			printf("  stream %u   %s, nid %u, channels %u..%u, features 0x%x\n", i,
			       sc->direction == VIRTIO_SND_D_INPUT ? "input" : "output",
			       sc->hda_fn_nid, sc->channels_min, sc->channels_max, sc->features);
			print_mask("             formats", sc->formats, 1);
			print_mask("             rates", sc->rates, 0);
		}
		for (uint32_t i = 0; i < cfg->njacks && i < VSND_MAX_JACKS; i++)
			printf("  jack %u     nid %u, %s\n", i, cfg->jacks[i].hda_fn_nid,
			       cfg->jacks[i].connected ? "connected" : "disconnected");
		/* The same configuration as a semu --snd-config spec, to reproduce the device. */
		char spec[VSND_CONFIG_TEXT_MAX];
		if (vsnd_config_format(cfg, spec, sizeof(spec)) == 0)
			printf("  as spec    --snd-config '%s'\n", spec);
	} else {
		printf("device       configuration not recorded\n");
	}
	streams_used(db);

	printf("events       %" PRIu64 " in the timeline\n", s->nevents);
	printf("  transport  %" PRId64 " (notifications %" PRId64 ", interrupts %" PRId64 ")\n",
	       q1(db, "SELECT count(*) FROM transport_event"),
	       q1(db, "SELECT count(*) FROM transport_event WHERE kind = 4"),
	       q1(db, "SELECT count(*) FROM transport_event WHERE kind = 5"));
	printf("  chains     %" PRId64 ": control %" PRId64 ", event %" PRId64 ", tx %" PRId64
	       ", rx %" PRId64 "; malformed %" PRId64 ", discarded %" PRId64 "\n",
	       q1(db, "SELECT count(*) FROM chain"),
	       q1(db, "SELECT count(*) FROM chain WHERE queue = 0"),
	       q1(db, "SELECT count(*) FROM chain WHERE queue = 1"),
	       q1(db, "SELECT count(*) FROM chain WHERE queue = 2"),
	       q1(db, "SELECT count(*) FROM chain WHERE queue = 3"),
	       q1(db, "SELECT count(*) FROM chain WHERE malformed != 0"),
	       q1(db, "SELECT count(*) FROM chain_end WHERE outcome = 1"));
	control_summary(db);
	printf("  sink       %" PRId64 " writes, %" PRId64 " reads, %" PRId64 " underruns, %" PRId64
	       " xruns, %" PRId64 " errors\n",
	       q1(db, "SELECT count(*) FROM sink_event WHERE kind = 2"),
	       q1(db, "SELECT count(*) FROM sink_event WHERE kind = 3"),
	       q1(db, "SELECT count(*) FROM sink_event WHERE kind = 5"),
	       q1(db, "SELECT count(*) FROM sink_event WHERE kind = 6"),
	       q1(db, "SELECT count(*) FROM sink_event WHERE kind = 7"));
	printf("  pcm        %" PRId64 " batches, %" PRId64 " bytes\n",
	       q1(db, "SELECT count(*) FROM pcm"), q1(db, "SELECT total(bytes) FROM pcm"));
	printf("  marks      %" PRId64 "\n", q1(db, "SELECT count(*) FROM mark"));
	vt_reader_close(r);
	return CLI_EXIT_OK;
}
