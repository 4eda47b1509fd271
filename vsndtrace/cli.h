/* cli.h - declarations shared by the vsndtrace subcommands: one entry point per command,
 * the exit-status convention and small helpers for usage errors. */
#ifndef VSNDTRACE_CLI_H
#define VSNDTRACE_CLI_H

#include <stdio.h>

#define VSNDTRACE_VERSION "0.1.0"

/* Exit statuses of every subcommand:
 *   0  success;
 *   1  the command ran and found a failure (e.g. replay --verify divergence);
 *   2  usage error, unreadable/foreign/corrupt input, or a missing tool. */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* Each command gets argv[0] = its own name ("stats", ...) and handles `--help` itself. */
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Prints "vsndtrace CMD: MESSAGE" and a hint to `vsndtrace CMD --help` on stderr; returns
 * CLI_EXIT_USAGE so callers can `return cli_usage(...)`. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "vsndtrace CMD: MESSAGE" on stderr; returns `status`. */
int cli_fail(const char *cmd, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* JSON output helpers: a string literal with escapes ("" for NULL), and a number that is
 * written as null when it is not finite. */
void cli_json_str(FILE *f, const char *s);
void cli_json_num(FILE *f, double v);

/* Open a session for analysis with trace/reader.h (flags: VT_READER_*); on failure prints
 * the reader's message and returns NULL (the caller exits CLI_EXIT_USAGE). The analysis
 * commands skip the page check (VT_READER_NO_CHECK): the header and schema are still
 * validated, and a damaged page makes a query fail with a message instead. */
struct vt_reader;
struct vt_reader *cli_open_session(const char *cmd, const char *path, unsigned flags);

/* Parse a non-negative stream id; returns -1 if `s` is not one. */
int cli_parse_stream(const char *s);

#endif
