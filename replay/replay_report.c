/* replay_report.c - prints a replay report: a human summary or one JSON object (the same
 * facts; no wall-clock values in the JSON so two replays of a session print the same). */
#include <stdio.h>

#include "replay/replay.h"

static const char *qname(int q)
{
	switch (q) {
	case 0: return "control";
	case 1: return "event";
	case 2: return "tx";
	case 3: return "rx";
	case 4: return "other";
	default: return "-";
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_div(FILE *f, const struct vt_replay_div *d)
{
	fprintf(f, "{\"event\": %llu, \"t_s\": %.9f, \"queue\": ", (unsigned long long)d->event_id,
		d->t_s);
	if (d->queue >= 0)
		json_str(f, qname(d->queue));
	else
		fputs("null", f);
	fputs(", \"stream\": ", f);
	if (d->stream >= 0)
		fprintf(f, "%d", d->stream);
	else
		fputs("null", f);
	fputs(", \"field\": ", f);
	json_str(f, d->field);
	fputs(", \"expected\": ", f);
	json_str(f, d->expected);
	fputs(", \"actual\": ", f);
	json_str(f, d->actual);
	fputs(", \"what\": ", f);
	json_str(f, d->what);
	fputc('}', f);
}

static void text_div(FILE *f, const char *title, const struct vt_replay_div *d)
{
	fprintf(f, "%s at event %llu (t=%.6f s", title, (unsigned long long)d->event_id, d->t_s);
	if (d->queue >= 0)
		fprintf(f, ", queue %s", qname(d->queue));
	if (d->stream >= 0)
		fprintf(f, ", stream %d", d->stream);
	fprintf(f, "): %s\n  field %s: expected %s, got %s\n", d->what, d->field, d->expected,
		d->actual);
}

void vt_replay_print(FILE *f, const char *path, const struct vt_replay_report *rep,
		     const struct vt_replay_opts *opts, int json)
{
	int failed = vt_replay_failed(rep, opts);
	if (json) {
		fputs("{\"file\": ", f);
		json_str(f, path);
		fprintf(f, ", \"verify\": %s, \"result\": \"%s\", \"session_s\": %.9f, "
			   "\"default_config\": %s, \"events\": %llu, \"inputs\": %llu, "
			   "\"chains\": %llu, \"completed\": %llu, \"discarded\": %llu, \"streams\": [",
			opts->verify ? "true" : "false",
			!opts->verify ? "replayed" : failed ? "diverged" : "pass",
			(double)rep->session_ns / 1e9, rep->default_config ? "true" : "false",
			(unsigned long long)rep->events, (unsigned long long)rep->inputs,
			(unsigned long long)rep->chains, (unsigned long long)rep->completed,
			(unsigned long long)rep->discarded);
		int first = 1;
		for (int i = 0; i < VSND_MAX_STREAMS; i++) {
			if (!rep->sink_writes[i] && !rep->captured_bytes[i])
				continue;
			fprintf(f, "%s{\"stream\": %d, \"sink_writes\": %llu, \"sink_bytes\": %llu, "
				   "\"played_bytes\": %llu, \"captured_bytes\": %llu, "
				   "\"pcm_compared_bytes\": %llu}",
				first ? "" : ", ", i, (unsigned long long)rep->sink_writes[i],
				(unsigned long long)rep->sink_bytes[i],
				(unsigned long long)rep->played_bytes[i],
				(unsigned long long)rep->captured_bytes[i],
				(unsigned long long)rep->pcm_compared[i]);
			first = 0;
		}
		fprintf(f, "], \"sink_warnings\": %llu, \"divergences\": %llu, \"first_divergence\": ",
			(unsigned long long)rep->sink_warnings, (unsigned long long)rep->divergences);
		if (rep->divergences)
			json_div(f, &rep->first);
		else
			fputs("null", f);
		fprintf(f, ", \"timing\": {\"tolerance_us\": %.3f, \"strict\": %s, "
			   "\"completions_compared\": %llu, \"over_tolerance\": %llu, "
			   "\"max_abs_diff_us\": %.3f, \"latency_bytes_diffs\": %llu, \"first\": ",
			(double)opts->tolerance_ns / 1e3, opts->strict_timing ? "true" : "false",
			(unsigned long long)rep->timing_compared, (unsigned long long)rep->timing_over,
			(double)rep->timing_max_abs_ns / 1e3, (unsigned long long)rep->latency_diffs);
		if (rep->timing_issues)
			json_div(f, &rep->first_timing);
		else
			fputs("null", f);
		fputs("}}\n", f);
		return;
	}
	fprintf(f, "%s: %.3f s of session, %llu events, %llu chains (%llu completed, %llu "
		   "discarded)%s\n",
		path, (double)rep->session_ns / 1e9, (unsigned long long)rep->events,
		(unsigned long long)rep->chains, (unsigned long long)rep->completed,
		(unsigned long long)rep->discarded,
		rep->default_config ? "; no stored config: default device config used" : "");
	for (int i = 0; i < VSND_MAX_STREAMS; i++) {
		if (rep->sink_writes[i])
			fprintf(f, "  stream %d: %llu sink writes, %llu bytes, %llu played\n", i,
				(unsigned long long)rep->sink_writes[i],
				(unsigned long long)rep->sink_bytes[i],
				(unsigned long long)rep->played_bytes[i]);
		if (rep->captured_bytes[i])
			fprintf(f, "  stream %d: %llu bytes captured (recorded source)\n", i,
				(unsigned long long)rep->captured_bytes[i]);
	}
	if (rep->sink_warnings)
		fprintf(f, "  host sink warnings: %llu\n", (unsigned long long)rep->sink_warnings);
	if (rep->divergences)
		text_div(f, opts->verify ? "DIVERGENCE" : "note: divergence", &rep->first);
	if (opts->verify) {
		fprintf(f, "timing: %llu completion times compared, %llu beyond %.1f us (max "
			   "%.1f us), %llu latency_bytes differences%s\n",
			(unsigned long long)rep->timing_compared, (unsigned long long)rep->timing_over,
			(double)opts->tolerance_ns / 1e3, (double)rep->timing_max_abs_ns / 1e3,
			(unsigned long long)rep->latency_diffs,
			opts->strict_timing ? " (strict)" : " (not a failure without --strict-timing)");
		if (rep->timing_issues)
			text_div(f, "  first timing difference", &rep->first_timing);
		fprintf(f, "verify: %s\n", failed ? "FAILED" : "passed");
	}
}
