/* cli_info.c - vsndtrace/cmd_info.c compiled into the trace fuzz target (the CLI code paths on mutated
 * databases); main() is renamed so the harness keeps its own. */
#include "vsndtrace/cmd_info.c"
