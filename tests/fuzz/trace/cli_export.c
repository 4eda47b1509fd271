/* cli_export.c - vsndtrace/cmd_export.c compiled into the trace fuzz target (the CLI code paths on mutated
 * databases); main() is renamed so the harness keeps its own. */
#include "vsndtrace/cmd_export.c"
