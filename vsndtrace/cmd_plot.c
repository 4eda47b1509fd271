/* cmd_plot.c - `vsndtrace plot FILE -o OUT.png|OUT.svg`: per stream, period completion
 * intervals and buffer fill over time and a histogram of intervals, drawn by gnuplot. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace/reader.h"
#include "trace/stats.h"
#include "vsnd/virtio_snd.h"
#include "vsndtrace/cli.h"

extern char **environ;

#define HIST_BINS 60

static void help(void)
{
	printf("usage: vsndtrace plot FILE -o OUT.png|OUT.svg [--stream N]\n\n"
	       "Draws, for each stream: the period completion intervals over time (with the\n"
	       "nominal period), the buffer fill (messages the device holds) over time, and a\n"
	       "histogram of the completion intervals. Uses gnuplot (Debian: gnuplot-nox); the\n"
	       "environment variable VSNDTRACE_GNUPLOT names another gnuplot binary.\n\n"
	       "  -o, --output OUT   output file; the format follows the extension (.png, .svg)\n"
	       "  --stream N         only stream N\n"
	       "  -h, --help         this text\n\n"
	       "Exit status: 0 ok, 2 usage error, unreadable session or gnuplot missing/failed.\n");
}

/* gnuplot string literal: single quotes, a quote doubled. */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* The quoted name of data file DIR/<kind><idx>.dat. */
static void gp_file(FILE *f, const char *dir, char kind, size_t idx)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/%c%zu.dat", dir, kind, idx);
	gp_str(f, p);
}

static int write_data(const char *dir, const struct ts_session *sess,
		      const struct ts_stream_stats *ss, size_t idx, int *has_hist)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/s%zu.dat", dir, idx);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "# t_s interval_ms fill\n");
	for (size_t k = 0; k < ss->npoints; k++) {
		const struct ts_point *p = &ss->points[k];
		double t = (double)(p->t_ns - sess->t_first_ns) / 1e9;
		if (k && p->interval_ns < 0)
			fputc('\n', f); /* a new run: a blank line breaks the lines drawn */
		if (p->interval_ns >= 0)
			fprintf(f, "%.9f %.6f %u\n", t, p->interval_ns / 1e6, p->fill);
		else
			fprintf(f, "%.9f NaN %u\n", t, p->fill);
	}
	if (fclose(f))
		return -1;

	snprintf(path, sizeof(path), "%s/h%zu.dat", dir, idx);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "# interval_ms count\n");
	*has_hist = 0;
	if (ss->interval.n) {
		double lo = ss->interval.min / 1e6, hi = ss->interval.max / 1e6;
		double w = (hi - lo) / HIST_BINS;
		if (w <= 0) { /* all equal: centre them in a narrow range */
			w = lo * 0.0005 > 0.001 ? lo * 0.0005 : 0.001;
			lo -= w * (HIST_BINS / 2);
		}
		size_t bins[HIST_BINS + 1] = {0};
		for (size_t k = 0; k < ss->npoints; k++) {
			if (ss->points[k].interval_ns < 0)
				continue;
			size_t b = (size_t)((ss->points[k].interval_ns / 1e6 - lo) / w);
			bins[b > HIST_BINS ? HIST_BINS : b]++;
		}
		bins[HIST_BINS - 1] += bins[HIST_BINS];
		for (size_t b = 0; b < HIST_BINS; b++)
			fprintf(f, "%.6f %zu %.6f\n", lo + (b + 0.5) * w, bins[b], w);
		*has_hist = 1;
	}
	return fclose(f) ? -1 : 0;
}

static int write_script(const char *dir, const char *out, int svg, const char *title,
			const struct ts_session *sess, const struct ts_stats *st,
			const int *has_hist)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/plot.gp", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t n = st->nstreams ? st->nstreams : 1;
	unsigned height = (unsigned)(360 * n + 40);
	if (svg)
		fprintf(f, "set terminal svg size 1500,%u dynamic background rgb 'white'\n",
			height);
	else
		fprintf(f, "set terminal pngcairo size 1500,%u noenhanced\n", height);
	fputs("set output ", f);
	gp_str(f, out);
	fputs("\nset datafile missing 'NaN'\nset grid\nset key below\n", f);
	fprintf(f, "set multiplot layout %zu,3 title ", n);
	gp_str(f, title);
	fputs(" noenhanced\n", f);
	if (!st->nstreams) {
		fputs("set title 'no streams'\nunset key\nplot [0:1][0:1] NaN notitle\n", f);
	}
	for (size_t i = 0; i < st->nstreams; i++) {
		const struct ts_stream_stats *ss = &st->streams[i];
		char t[160];
		char name[48];
		if (ss->s->param_set)
			snprintf(name, sizeof(name), "stream %u (set %u)", ss->s->stream_id,
				 ss->s->param_set);
		else
			snprintf(name, sizeof(name), "stream %u", ss->s->stream_id);
		snprintf(t, sizeof(t), "%s %s: completion intervals", name,
			 ss->s->direction == VIRTIO_SND_D_INPUT ? "input" : "output");
		fputs("set title ", f);
		gp_str(f, t);
		fputs(" noenhanced\nset xlabel 'time (s)'\nset ylabel 'interval (ms)'\n", f);
		/* stalls (orange) and sink underruns/xruns/errors (red) as vertical lines */
		for (size_t k = 0; k < ss->nstalls; k++)
			fprintf(f,
				"set arrow from %.9f, graph 0 to %.9f, graph 1 nohead lw 2 lc rgb "
				"'#ff8c00'\n",
				(double)(ss->stalls[k].start_ns - sess->t_first_ns) / 1e9,
				(double)(ss->stalls[k].start_ns - sess->t_first_ns) / 1e9);
		for (size_t k = 0; k < sess->nsinkevs; k++)
			if (sess->sinkevs[k].stream_id == (int32_t)ss->s->stream_id)
				fprintf(f,
					"set arrow from %.9f, graph 0 to %.9f, graph 1 nohead lc "
					"rgb 'red'\n",
					(double)(sess->sinkevs[k].t_ns - sess->t_first_ns) / 1e9,
					(double)(sess->sinkevs[k].t_ns - sess->t_first_ns) / 1e9);
		if (ss->interval.n) {
			fputs("plot ", f);
			gp_file(f, dir, 's', i);
			fputs(" using 1:2 with points pt 7 ps 0.3 title 'interval'", f);
			if (ss->period_ns > 0)
				fprintf(f, ", %.6f with lines dt 2 lw 2 title 'nominal period'",
					ss->period_ns / 1e6);
			fputs(
			    ", NaN with lines lc rgb '#ff8c00' title 'stall', NaN with lines lc rgb"
			    " 'red' title 'underrun/xrun'\n",
			    f);
		} else {
			fputs("plot [0:1][0:1] NaN title 'no completion intervals'\n", f);
		}
		fputs("unset arrow\n", f);
		snprintf(t, sizeof(t), "%s: buffer fill", name);
		fputs("set title ", f);
		gp_str(f, t);
		fprintf(
		    f, " noenhanced\nset ylabel 'messages held by the device'\nset yrange [0:%u]\n",
		    ss->depth_max + 1);
		if (ss->npoints) {
			fputs("plot ", f);
			gp_file(f, dir, 's', i);
			fputs(" using 1:3 with steps title 'fill'\n", f);
		} else {
			fputs("plot [0:1][0:1] NaN title 'no completions'\n", f);
		}
		fputs("set autoscale y\n", f);
		snprintf(t, sizeof(t), "%s: interval histogram", name);
		fputs("set title ", f);
		gp_str(f, t);
		fputs(" noenhanced\nset xlabel 'interval (ms)'\nset ylabel 'count'\n"
		      "set style fill solid 0.6\n",
		      f);
		if (has_hist[i]) {
			fputs("plot ", f);
			gp_file(f, dir, 'h', i);
			fputs(" using 1:2:3 with boxes title 'count'\n", f);
		} else
			fputs("plot [0:1][0:1] NaN title 'no intervals'\n", f);
		fputs("set style fill empty\n", f);
	}
	fputs("unset multiplot\nset output\n", f);
	return fclose(f) ? -1 : 0;
}

static int run_gnuplot(const char *dir, char *err, size_t errlen)
{
	const char *gp = getenv("VSNDTRACE_GNUPLOT");
	if (!gp || !*gp)
		gp = "gnuplot";
	char script[4200], log[4200];
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", dir);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	char *argv[] = {(char *)gp, script, NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, gp, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		if (rc == ENOENT)
			snprintf(err, errlen,
				 "gnuplot not found ('%s'); install it (Debian: apt-get install "
				 "gnuplot-nox)",
				 gp);
		else
			snprintf(err, errlen, "cannot run %s: %s", gp, strerror(rc));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char msg[512] = "";
	FILE *l = fopen(log, "r");
	if (l) {
		size_t k = fread(msg, 1, sizeof(msg) - 1, l);
		msg[k] = 0;
		fclose(l);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, errlen, "gnuplot not found ('%s'); install it (Debian: gnuplot-nox)",
			 gp);
	else
		snprintf(err, errlen, "gnuplot failed (status %d): %s", status, msg);
	return -1;
}

static void rm_tree(const char *dir, size_t nstreams)
{
	char p[4200];
	static const char *const fixed[] = {"plot.gp", "gnuplot.log"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, fixed[i]);
		unlink(p);
	}
	for (size_t i = 0; i < nstreams; i++) {
		snprintf(p, sizeof(p), "%s/s%zu.dat", dir, i);
		unlink(p);
		snprintf(p, sizeof(p), "%s/h%zu.dat", dir, i);
		unlink(p);
	}
	rmdir(dir);
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcasecmp(s + a - b, suf);
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"stream", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	const char *out = NULL;
	int stream = -1, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			stream = cli_parse_stream(optarg);
			if (stream < 0)
				return cli_usage("plot", "invalid stream id '%s'", optarg);
			break;
		case 'h':
			help();
			return CLI_EXIT_OK;
		case ':':
			return cli_usage("plot", "option '%s' needs an argument", argv[optind - 1]);
		default:
			return cli_usage("plot", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("plot", "missing FILE");
	if (optind + 1 < argc)
		return cli_usage("plot", "unexpected argument '%s'", argv[optind + 1]);
	if (!out)
		return cli_usage("plot", "missing -o OUT.png or -o OUT.svg");
	int svg = ends_with(out, ".svg");
	if (!svg && !ends_with(out, ".png"))
		return cli_usage("plot", "output '%s': the name must end in .png or .svg", out);
	if (strchr(out, '\n'))
		return cli_usage("plot", "invalid output name");
	const char *path = argv[optind];

	struct vt_reader *r = cli_open_session("plot", path, VT_READER_NO_CHECK);
	if (!r)
		return CLI_EXIT_USAGE;
	struct ts_session sess;
	struct ts_stats st;
	char err[1024] = "";
	if (ts_load(vt_reader_db(r), stream, &sess, err, sizeof(err))) {
		vt_reader_close(r);
		return cli_fail("plot", CLI_EXIT_USAGE, "%s: %s", path, err);
	}
	vt_reader_close(r);
	if (ts_compute(&sess, &st)) {
		ts_session_free(&sess);
		return cli_fail("plot", CLI_EXIT_USAGE, "out of memory");
	}
	int status = CLI_EXIT_USAGE;
	const char *tmp = getenv("TMPDIR");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/vsndtrace-plot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int *has_hist = calloc(st.nstreams + 1, sizeof(*has_hist));
	if (!has_hist) {
		cli_fail("plot", CLI_EXIT_USAGE, "out of memory");
		goto out;
	}
	if (!mkdtemp(dir)) {
		cli_fail("plot", CLI_EXIT_USAGE, "cannot create a temporary directory: %m");
		goto out;
	}
	const char *base = strrchr(path, '/');
	char title[512];
	snprintf(title, sizeof(title), "vsndtrace session %s", base ? base + 1 : path);
	int ok = 1;
	for (size_t i = 0; i < st.nstreams && ok; i++)
		ok = !write_data(dir, &sess, &st.streams[i], i, &has_hist[i]);
	if (ok)
		ok = !write_script(dir, out, svg, title, &sess, &st, has_hist);
	if (!ok)
		cli_fail("plot", CLI_EXIT_USAGE, "cannot write in %s: %m", dir);
	else if (run_gnuplot(dir, err, sizeof(err)))
		cli_fail("plot", CLI_EXIT_USAGE, "%s", err);
	else {
		fprintf(stderr, "vsndtrace plot: wrote %s (%zu stream%s)\n", out, st.nstreams,
			st.nstreams == 1 ? "" : "s");
		status = CLI_EXIT_OK;
	}
	rm_tree(dir, st.nstreams);
out:
	free(has_hist);
	ts_stats_free(&st);
	ts_session_free(&sess);
	return status;
}
