/* fault_vfs.h - an SQLite VFS for fault-injection tests: wraps the default VFS, counts write,
 * sync and lock calls on every file, and fails the Nth one (or every one from the Nth on). */
#ifndef TESTS_FAULT_VFS_H
#define TESTS_FAULT_VFS_H

#include <sqlite3.h>
#include <stdint.h>

enum fault_vfs_kind { FV_NONE = 0, FV_WRITE, FV_SYNC, FV_LOCK, FV_KINDS };

struct fault_vfs {
	sqlite3_vfs vfs;   /* registered as the default VFS while installed */
	sqlite3_vfs *real; /* the default VFS before install */
	/* Configure before use (any time; read with atomics): */
	enum fault_vfs_kind kind; /* which calls fail */
	uint64_t fail_at;         /* 1-based index of the first failing call of `kind` */
	int sticky;               /* 1: later calls of `kind` fail too ... */
	uint64_t fail_count;      /* ... this many in all (0: every one) */
	int rc;                   /* the SQLite code returned, e.g. SQLITE_FULL */
	/* Counters (atomic): calls seen per kind, failures injected. */
	uint64_t calls[FV_KINDS];
	uint64_t fired;
};

/* Register f (zero it and set kind/fail_at/... first) as the default VFS. 0 or SQLite code. */
int fault_vfs_install(struct fault_vfs *f);
/* Unregister it and make the previous default VFS the default again. */
void fault_vfs_remove(struct fault_vfs *f);

#endif
