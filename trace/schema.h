/* schema.h - the SQL text of the session schema (schemas/trace_v1.sql), embedded at build
 * time by trace/schema.c; executed by the recorder when it creates a database. */
#ifndef VT_SCHEMA_H
#define VT_SCHEMA_H

extern const char vt_schema_v1_sql[];

#endif
