/* cli_stubs.c - the subcommands the trace fuzz target does not link (record needs semu,
 * replay has its own target, fuzz_replay.c), so that vsndtrace/main.c links. */
#include "vsndtrace/cli.h"

int cmd_record(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return CLI_EXIT_USAGE;
}

int cmd_replay(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return CLI_EXIT_USAGE;
}
