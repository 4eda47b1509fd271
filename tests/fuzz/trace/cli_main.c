/* cli_main.c - vsndtrace/main.c compiled into the trace fuzz target (the CLI code paths on mutated
 * databases); main() is renamed so the harness keeps its own. */
#define main vsndtrace_cli_main
int vsndtrace_cli_main(int argc, char **argv);
#include "vsndtrace/main.c"
