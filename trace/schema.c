/* schema.c - embeds schemas/trace_v1.sql (the session schema the recorder creates) in the
 * library as a NUL-terminated string, so the tools need no data files at run time. */
#include "trace/schema.h"

/* The assembler includes the file relative to the directory make runs in (the top level). */
__asm__(".section .rodata\n"
	".global vt_schema_v1_sql\n"
	".type vt_schema_v1_sql, @object\n"
	"vt_schema_v1_sql:\n"
	".incbin \"schemas/trace_v1.sql\"\n"
	".byte 0\n"
	".size vt_schema_v1_sql, . - vt_schema_v1_sql\n"
	".previous\n");
