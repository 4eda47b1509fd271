/* cli_diff.c - vsndtrace/cmd_diff.c compiled into the trace fuzz target (the CLI code paths on mutated
 * databases); main() is renamed so the harness keeps its own. */
#include "vsndtrace/cmd_diff.c"
