/* main.c - the vsndtrace command line: dispatches `vsndtrace CMD ARGS` to one subcommand
 * (record, replay, stats, info, export, plot, diff, help), prints --help and --version. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/reader.h"
#include "trace/recorder.h"
#include "vsndtrace/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"record", cmd_record, "boot the guest in semu, play a file and record a session"},
    {"replay", cmd_replay, "re-drive a recorded session through the device and a sink"},
    {"stats", cmd_stats, "timing statistics of a session (table, --json or --csv)"},
    {"info", cmd_info, "what a session is: metadata, streams, duration, counts"},
    {"export", cmd_export, "export audio (--wav) or a Chrome/Perfetto trace (--chrome)"},
    {"plot", cmd_plot, "plot period timing and buffer fill with gnuplot (PNG or SVG)"},
    {"diff", cmd_diff, "what differs between two sessions: config, control, PCM, timing"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vsndtrace %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vsndtrace %s --help'.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_fail(const char *cmd, int status, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vsndtrace %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

void cli_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void cli_json_num(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else if (v == (double)(long long)v && fabs(v) < 9e15)
		fprintf(f, "%lld", (long long)v);
	else
		fprintf(f, "%.17g", v);
}

struct vt_reader *cli_open_session(const char *cmd, const char *path, unsigned flags)
{
	struct vt_reader *r = NULL;
	char err[512] = "";
	int rc = vt_reader_open(path, flags, &r, err, sizeof(err));
	if (rc) {
		cli_fail(cmd, CLI_EXIT_USAGE, "%s", err[0] ? err : vt_strerror(rc));
		return NULL;
	}
	return r;
}

int cli_parse_stream(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 65535)
		return -1;
	return (int)v;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vsndtrace COMMAND [ARGS...]\n"
		   "       vsndtrace COMMAND --help | vsndtrace --help | vsndtrace --version\n\n"
		   "Trace and replay for the VirtIO sound device (virtio-snd).\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-8s %s\n", "help", "help [COMMAND]: this text, or a command's help");
	fprintf(f, "\nExit status: 0 success, 1 the check failed, 2 usage error or bad input.\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	vt_sqlite_process_init();
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("vsndtrace %s\n", VSNDTRACE_VERSION);
		return CLI_EXIT_OK;
	}
	if (!strcmp(cmd, "help")) {
		if (argc < 3) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		const struct command *c = find(argv[2]);
		if (!c) {
			fprintf(stderr,
				"vsndtrace: unknown command '%s'\nTry 'vsndtrace --help'.\n",
				argv[2]);
			return CLI_EXIT_USAGE;
		}
		char *hargv[] = {(char *)c->name, (char *)"--help", NULL};
		return c->run(2, hargv);
	}
	if (cmd[0] == '-') {
		fprintf(stderr, "vsndtrace: unknown option '%s'\nTry 'vsndtrace --help'.\n", cmd);
		return CLI_EXIT_USAGE;
	}
	const struct command *c = find(cmd);
	if (!c) {
		fprintf(stderr, "vsndtrace: unknown command '%s'\nTry 'vsndtrace --help'.\n", cmd);
		return CLI_EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
