/* cmd_stats.c - `vsndtrace stats FILE [--stream N] [--json | --csv]`: the timing analysis of
 * a session (trace/stats.h) as a compact table, stable JSON (docs/stats-json.md) or CSV. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trace/reader.h"
#include "trace/stats.h"
#include "vsnd/virtio_snd.h"
#include "vsndtrace/cli.h"

#define STATS_JSON_FORMAT "vsndtrace-stats/1"

static void help(void)
{
	printf("usage: vsndtrace stats FILE [--stream N] [--json | --csv]\n\n"
	       "Timing statistics of a recorded session, per session and per stream: parameters,\n"
	       "frames, nominal vs wall-clock duration, effective rate and drift (least-squares\n"
	       "fit of frames over time), period completion intervals (mean, p50, p95, p99, max,\n"
	       "stddev, jitter against the nominal period), message latency, queue depth,\n"
	       "periods pre-buffered at START, underruns, XRUNs, stalls, control commands,\n"
	       "recorder health and guest/host time drift.\n\n"
	       "  --stream N   only stream N\n"
	       "  --json       machine-readable output (keys documented in docs/stats-json.md)\n"
	       "  --csv        the time series: one row per period completion\n"
	       "  -h, --help   this text\n\n"
	       "Percentiles are nearest-rank; stddev is the population standard deviation.\n"
	       "A stall is a gap of more than two periods without a new TX/RX message while the\n"
	       "stream is RUNNING. Exit status: 0 ok, 2 usage error or unreadable session.\n");
}

static const char *dir_name(uint8_t d)
{
	return d == VIRTIO_SND_D_OUTPUT ? "output" : d == VIRTIO_SND_D_INPUT ? "input" : "unknown";
}

static double rel_s(const struct ts_session *s, int64_t t)
{
	return (double)(t - s->t_first_ns) / 1e9;
}

/* ---- table ---- */

static void print_summary_row(const char *name, const struct stm_summary *m)
{
	if (!m->n) {
		printf("  %-20s n=0\n", name);
		return;
	}
	printf("  %-20s n=%zu mean=%.3f p50=%.3f p95=%.3f p99=%.3f max=%.3f sd=%.3f ms\n", name,
	       m->n, m->mean / 1e6, m->p50 / 1e6, m->p95 / 1e6, m->p99 / 1e6, m->max / 1e6,
	       m->stddev / 1e6);
}

static void print_table(const char *path, const struct ts_stats *st)
{
	const struct ts_session *s = st->sess;
	printf("session   %s\n", path);
	printf("  tool %s, schema %d, %s, %.3f s, %" PRIu64 " events, %" PRIu64 " bytes\n",
	       s->tool_version[0] ? s->tool_version : "?", s->schema_version,
	       s->complete ? "complete" : "INCOMPLETE", st->duration_s, s->events, s->bytes);
	printf("  recorder producer waits %" PRIu64 " (%.3f ms)\n", s->producer_waits,
	       s->producer_wait_ns / 1e6);
	if (st->have_guest_fit)
		printf("  guest timer %.1f Hz (nominal %" PRIu64 " Hz), drift %+.2f ppm\n",
		       st->guest_hz, s->timebase_hz, st->guest_drift_ppm);
	else
		printf("  guest timer: no guest ticks recorded\n");
	printf("control   %zu commands, %" PRIu64 " invalid requests, %" PRIu64 " I/O errors\n",
	       s->nctls, st->invalid_requests, s->io_errors);
	printf("  %-16s %6s %6s %6s %10s %10s\n", "code", "count", "ok", "not-ok", "lat p50 us",
	       "lat max us");
	for (size_t i = 0; i < st->nctl; i++) {
		const struct ts_ctl_stats *c = &st->ctl[i];
		printf("  %-16s %6zu %6zu %6zu %10.1f %10.1f\n", ts_code_name(c->code), c->count,
		       c->ok, c->count - c->ok, c->latency.p50 / 1e3, c->latency.max / 1e3);
	}
	size_t shown = 0;
	for (size_t i = 0; i < s->nctls; i++) {
		const struct ts_ctl *c = &s->ctls[i];
		if (c->status == VIRTIO_SND_S_OK || c->discarded)
			continue;
		if (shown++ == 10) {
			printf("    ... (all in --json)\n");
			break;
		}
		printf("    invalid  at %.6f s %s (target %d) -> %s\n", rel_s(s, c->t_deq_ns),
		       ts_code_name(c->code), c->stream_id, ts_status_name(c->status));
	}
	for (size_t i = 0; i < st->nstreams; i++) {
		const struct ts_stream_stats *ss = &st->streams[i];
		const struct ts_stream *m = ss->s;
		if (m->param_set ||
		    (i + 1 < st->nstreams && st->streams[i + 1].s->stream_id == m->stream_id))
			printf("stream %u  [parameter set %u]  %s", m->stream_id, m->param_set,
			       dir_name(m->direction));
		else
			printf("stream %u  %s", m->stream_id, dir_name(m->direction));
		if (m->has_params)
			printf(" %s %u Hz %u ch, period %u B (%.3f ms), buffer %u B\n",
			       vsnd_format_name(m->format), m->rate_hz, m->channels, m->period_bytes,
			       ss->period_ns / 1e6, m->buffer_bytes);
		else
			printf(" (never configured)\n");
		printf("  frames %" PRIu64 ", nominal %.3f s, wall %.3f s", ss->frames,
		       ss->nominal_s, ss->wall_s);
		if (ss->have_fit)
			printf(isfinite(ss->drift_se_ppm)
				   ? ", effective %.2f Hz, drift %+.2f ppm (+/- %.2f)\n"
				   : ", effective %.2f Hz, drift %+.2f ppm\n",
			       ss->eff_rate_hz, ss->drift_ppm, ss->drift_se_ppm);
		else
			printf(", rate fit n/a\n");
		print_summary_row("period interval", &ss->interval);
		printf("  %-20s rms=%.3f max=%.3f mean=%+.3f ms\n", "jitter vs period",
		       ss->jitter.rms / 1e6, ss->jitter.max_abs / 1e6, ss->jitter.mean_err / 1e6);
		print_summary_row("msg latency", &ss->latency);
		printf("  %-20s min=%u mean=%.2f max=%u; pre-buffered at START:", "queue depth",
		       ss->depth_min, ss->depth_mean, ss->depth_max);
		for (size_t k = 0; k < ss->nstarts; k++)
			printf(" %u", ss->prebuffered[k]);
		printf("%s\n", ss->nstarts ? "" : " -");
		printf("  underruns %zu, xruns %zu, sink errors %zu, stalls %zu\n", ss->underruns,
		       ss->xruns, ss->errors, ss->nstalls);
		for (size_t k = 0; k < s->nsinkevs; k++) {
			const struct ts_sinkev *e = &s->sinkevs[k];
			if (!ts_stream_owns(m, e->stream_id, e->t_ns))
				continue;
			printf("    %-8s at %.6f s %s\n",
			       e->kind == TS_EV_UNDERRUN ? "underrun"
			       : e->kind == TS_EV_XRUN	 ? "xrun"
							 : "error",
			       rel_s(s, e->t_ns), e->msg);
		}
		for (size_t k = 0; k < ss->nstalls; k++)
			printf("    stall    at %.6f s for %.3f ms, after %s\n",
			       rel_s(s, ss->stalls[k].start_ns),
			       (ss->stalls[k].end_ns - ss->stalls[k].start_ns) / 1e6,
			       ss->stalls[k].after);
	}
}

/* ---- JSON ---- */

static void json_summary(FILE *f, const struct stm_summary *m)
{
	fprintf(f, "{\"count\":%zu,\"min\":%" PRId64 ",\"mean\":", m->n, m->min);
	cli_json_num(f, m->mean);
	fprintf(f,
		",\"p50\":%" PRId64 ",\"p95\":%" PRId64 ",\"p99\":%" PRId64 ",\"max\":%" PRId64
		",\"stddev\":",
		m->p50, m->p95, m->p99, m->max);
	cli_json_num(f, m->stddev);
	fputc('}', f);
}

static void json_opt(FILE *f, int have, double v)
{
	if (have)
		cli_json_num(f, v);
	else
		fputs("null", f);
}

static void print_json(const char *path, const struct ts_stats *st)
{
	FILE *f = stdout;
	const struct ts_session *s = st->sess;
	fprintf(f, "{\"format\":\"%s\",\"file\":", STATS_JSON_FORMAT);
	cli_json_str(f, path);
	fputs(",\"session\":{\"tool_version\":", f);
	cli_json_str(f, s->tool_version);
	fputs(",\"host\":", f);
	cli_json_str(f, s->host);
	fputs(",\"started\":", f);
	cli_json_str(f, s->started);
	fprintf(f,
		",\"schema_version\":%d,\"complete\":%s,\"first_t_ns\":%" PRId64
		",\"last_t_ns\":%" PRId64 ",\"duration_s\":",
		s->schema_version, s->complete ? "true" : "false", s->t_first_ns, s->t_last_ns);
	cli_json_num(f, st->duration_s);
	fprintf(f,
		"},\"recorder\":{\"events\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"producer_waits\":%" PRIu64 ",\"producer_wait_ns\":%" PRIu64 ",\"complete\":%s}",
		s->events, s->bytes, s->producer_waits, s->producer_wait_ns,
		s->complete ? "true" : "false");
	fprintf(f, ",\"guest_time\":{\"available\":%s,\"timebase_hz\":%" PRIu64 ",\"guest_hz\":",
		st->have_guest_fit ? "true" : "false", s->timebase_hz);
	json_opt(f, st->have_guest_fit, st->guest_hz);
	fputs(",\"drift_ppm\":", f);
	json_opt(f, st->have_guest_fit && s->timebase_hz, st->guest_drift_ppm);
	fprintf(f,
		"},\"control\":{\"total\":%zu,\"invalid_requests\":%" PRIu64
		",\"io_errors\":%" PRIu64 ",\"by_code\":[",
		s->nctls, st->invalid_requests, s->io_errors);
	for (size_t i = 0; i < st->nctl; i++) {
		const struct ts_ctl_stats *c = &st->ctl[i];
		fprintf(f,
			"%s{\"code\":%u,\"name\":\"%s\",\"count\":%zu,\"ok\":%zu,\"bad_msg\":%zu,"
			"\"not_supp\":%zu,\"io_err\":%zu,\"other\":%zu,\"latency_ns\":",
			i ? "," : "", c->code, ts_code_name(c->code), c->count, c->ok, c->bad_msg,
			c->not_supp, c->io_err, c->other);
		json_summary(f, &c->latency);
		fputc('}', f);
	}
	fputs("],\"invalid\":[", f);
	int first = 1;
	for (size_t i = 0; i < s->nctls; i++) {
		const struct ts_ctl *c = &s->ctls[i];
		if (c->status == VIRTIO_SND_S_OK || c->discarded)
			continue;
		fprintf(f, "%s{\"t_ns\":%" PRId64 ",\"t_s\":", first ? "" : ",", c->t_deq_ns);
		cli_json_num(f, rel_s(s, c->t_deq_ns));
		fprintf(f,
			",\"code\":%u,\"name\":\"%s\",\"target\":%d,\"status\":%u,"
			"\"status_name\":\"%s\"}",
			c->code, ts_code_name(c->code), c->stream_id, c->status,
			ts_status_name(c->status));
		first = 0;
	}
	fputs("]},\"streams\":[", f);
	for (size_t i = 0; i < st->nstreams; i++) {
		const struct ts_stream_stats *ss = &st->streams[i];
		const struct ts_stream *m = ss->s;
		fprintf(
		    f,
		    "%s{\"stream_id\":%u,\"param_set\":%u,\"direction\":\"%s\",\"configured\":%s,"
		    "\"format\":\"%s\",\"rate_hz\":%u,\"channels\":%u,\"frame_bytes\":%u,"
		    "\"period_bytes\":%u,\"buffer_bytes\":%u,\"period_ns\":",
		    i ? "," : "", m->stream_id, m->param_set, dir_name(m->direction),
		    m->has_params ? "true" : "false", vsnd_format_name(m->format), m->rate_hz,
		    m->channels, m->frame_bytes, m->period_bytes, m->buffer_bytes);
		cli_json_num(f, ss->period_ns);
		fprintf(f, ",\"frames\":%" PRIu64 ",\"pcm_bytes\":%" PRIu64 ",\"nominal_s\":",
			ss->frames, m->pcm_bytes);
		cli_json_num(f, ss->nominal_s);
		fputs(",\"wall_s\":", f);
		cli_json_num(f, ss->wall_s);
		fputs(",\"effective_rate_hz\":", f);
		json_opt(f, ss->have_fit, ss->eff_rate_hz);
		fputs(",\"drift_ppm\":", f);
		json_opt(f, ss->have_fit, ss->drift_ppm);
		fputs(",\"drift_stderr_ppm\":", f);
		json_opt(f, ss->have_fit, ss->drift_se_ppm);
		fputs(",\"fit_r2\":", f);
		json_opt(f, ss->have_fit, ss->fit_r2);
		fputs(",\"intervals_ns\":", f);
		json_summary(f, &ss->interval);
		fputs(",\"jitter_ns\":{\"rms\":", f);
		cli_json_num(f, ss->jitter.rms);
		fputs(",\"max_abs\":", f);
		cli_json_num(f, ss->jitter.max_abs);
		fputs(",\"mean_error\":", f);
		cli_json_num(f, ss->jitter.mean_err);
		fputs("},\"latency_ns\":", f);
		json_summary(f, &ss->latency);
		fprintf(f, ",\"queue_depth\":{\"min\":%u,\"mean\":", ss->depth_min);
		cli_json_num(f, ss->depth_mean);
		fprintf(f, ",\"max\":%u},\"prebuffered_at_start\":[", ss->depth_max);
		for (size_t k = 0; k < ss->nstarts; k++)
			fprintf(f, "%s%u", k ? "," : "", ss->prebuffered[k]);
		fputs("],\"runs\":[", f);
		for (size_t k = 0; k < m->nruns; k++)
			fprintf(f, "%s{\"start_ns\":%" PRId64 ",\"end_ns\":%" PRId64 "}",
				k ? "," : "", m->run_start[k], m->run_end[k]);
		fprintf(f,
			"],\"underrun_count\":%zu,\"xrun_count\":%zu,\"sink_error_count\":%zu,"
			"\"sink_events\":[",
			ss->underruns, ss->xruns, ss->errors);
		int first = 1;
		for (size_t k = 0; k < s->nsinkevs; k++) {
			const struct ts_sinkev *e = &s->sinkevs[k];
			if (!ts_stream_owns(m, e->stream_id, e->t_ns))
				continue;
			fprintf(
			    f, "%s{\"kind\":\"%s\",\"t_ns\":%" PRId64 ",\"t_s\":", first ? "" : ",",
			    e->kind == TS_EV_UNDERRUN ? "underrun"
			    : e->kind == TS_EV_XRUN   ? "xrun"
						      : "error",
			    e->t_ns);
			cli_json_num(f, rel_s(s, e->t_ns));
			fputs(",\"message\":", f);
			cli_json_str(f, e->msg);
			fputc('}', f);
			first = 0;
		}
		fprintf(f, "],\"stall_count\":%zu,\"stalls\":[", ss->nstalls);
		for (size_t k = 0; k < ss->nstalls; k++) {
			const struct ts_stall *x = &ss->stalls[k];
			fprintf(f,
				"%s{\"start_ns\":%" PRId64 ",\"end_ns\":%" PRId64
				",\"duration_ns\":%" PRId64 ",\"start_s\":",
				k ? "," : "", x->start_ns, x->end_ns, x->end_ns - x->start_ns);
			cli_json_num(f, rel_s(s, x->start_ns));
			fputs(",\"after\":", f);
			cli_json_str(f, x->after);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
}

/* ---- CSV: rows printed as the scan computes them (nothing per row is held) ---- */

struct stats_out {
	int mode;   /* 0 table, 'j' JSON, 'c' CSV */
	int stream; /* --stream N, or -1 */
};

static int on_begin(void *ctx, const struct ts_session *sess)
{
	const struct stats_out *o = ctx;
	if (o->stream >= 0 && sess->nstreams == 0)
		return 1;
	if (o->mode == 'c')
		printf("stream,param_set,seq,chain,t_ns,interval_ns,fill,frames,latency_ns\n");
	return 0;
}

static void on_point(void *ctx, const struct ts_stream_stats *ss, const struct ts_point *p)
{
	const struct stats_out *o = ctx;
	if (o->mode != 'c')
		return;
	printf("%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRId64 ",", ss->s->stream_id, ss->s->param_set,
	       p->seq, p->chain, p->t_ns);
	if (p->interval_ns >= 0)
		printf("%" PRId64, p->interval_ns);
	printf(",%u,%" PRIu64 ",%" PRId64 "\n", p->fill, p->frames, p->latency_ns);
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"stream", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"csv", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	int stream = -1, mode = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			stream = cli_parse_stream(optarg);
			if (stream < 0)
				return cli_usage("stats", "invalid stream id '%s'", optarg);
			break;
		case 'j':
		case 'c':
			if (mode && mode != c)
				return cli_usage("stats", "--json and --csv are exclusive");
			mode = c;
			break;
		case 'h':
			help();
			return CLI_EXIT_OK;
		case ':':
			return cli_usage("stats", "option '%s' needs an argument",
					 argv[optind - 1]);
		default:
			return cli_usage("stats", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("stats", "missing FILE");
	if (optind + 1 < argc)
		return cli_usage("stats", "unexpected argument '%s'", argv[optind + 1]);
	const char *path = argv[optind];

	struct vt_reader *r = cli_open_session("stats", path, VT_READER_NO_CHECK);
	if (!r)
		return CLI_EXIT_USAGE;
	struct ts_session sess;
	struct ts_stats st;
	char err[256] = "";
	struct stats_out o = {.mode = mode, .stream = stream};
	static const struct ts_scan_ops ops = {.begin = on_begin, .point = on_point};
	int rc = ts_scan(vt_reader_db(r), stream, &ops, &o, &sess, &st, err, sizeof(err));
	if (rc < 0) {
		vt_reader_close(r);
		return cli_fail("stats", CLI_EXIT_USAGE, "%s: %s", path, err);
	}
	if (rc > 0) {
		ts_session_free(&sess);
		vt_reader_close(r);
		return cli_fail("stats", CLI_EXIT_USAGE, "%s: no stream %d in this session", path,
				stream);
	}
	if (mode == 'j')
		print_json(path, &st);
	else if (mode != 'c')
		print_table(path, &st);
	ts_stats_free(&st);
	ts_session_free(&sess);
	vt_reader_close(r);
	return CLI_EXIT_OK;
}
