/* test_fault_sqlite.c - SQLite failures under the recorder (issue 7.2): SQLITE_FULL and
 * SQLITE_IOERR on writes, IOERR on syncs and SQLITE_BUSY on locks, injected at every Nth call
 * through a VFS shim (fault_vfs.c) while a session plays. The audio must go on untouched, the
 * error must be reported exactly once, and the session must say it was truncated. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/fault_session.h"
#include "tests/unit/fault_vfs.h"
#include "trace/reader.h"

#define PERIODS 48

static void db_path(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n, "/tmp/vt_fault_%s_%d.db", tag, (int)getpid());
}

/* One session with fault f armed; returns the number of injected failures. */
static uint64_t run_one(struct fault_vfs *f, const char *path, uint64_t *calls)
{
	cr_assert_eq(fault_vfs_install(f), SQLITE_OK);
	struct fs_session s;
	/* Commits by event count only (no real-time commits): the Nth call is the same call
	 * in every run. */
	struct vt_recorder_opts o = { .commit_events = 16, .commit_ms = 1000000 };
	fs_open(&s, path, &o);
	fs_play(&s, PERIODS / 2);
	fs_sync(&s);
	fs_play(&s, PERIODS / 2);
	int rc = fs_close(&s);
	fault_vfs_remove(f);
	uint64_t fired = __atomic_load_n(&f->fired, __ATOMIC_SEQ_CST);
	if (calls)
		*calls = f->calls[f->kind];

	/* The audio never depends on the recording. */
	const char *bad = fs_audio_intact(&s, 0);
	cr_assert_null(bad, "N=%llu: %s", (unsigned long long)f->fail_at, bad);
	cr_assert_eq(s.sink->writes, s.nmsgs);

	struct fs_row row;
	if (s.open_err[0]) {
		/* The fault hit while creating the database: a clear error, nothing recorded. */
		cr_assert(fired > 0, "open failed without a fault: %s", s.open_err);
		cr_assert_eq(s.errors, 0);
	} else if (s.errors) {
		cr_assert_eq(s.errors, 1, "on_error called %u times", s.errors);
		cr_assert(s.error[0], "empty error message");
		cr_assert_eq(rc, -1, "close must say the session is incomplete");
		cr_assert(fired > 0);
		/* As far as the database allows: it is intact and never claims to be complete. */
		cr_assert_eq(fs_read_row(path, &row), 0, "session row unreadable after a fault");
		cr_assert(row.integrity_ok);
		cr_assert(row.truncated == 1 || row.clean_end == 0,
			  "N=%llu: a failed session is marked complete", (unsigned long long)f->fail_at);
		if (!f->sticky) {
			/* The fault is over: the flag and the message must be stored. */
			if (row.clean_end == 0 && strstr(s.error, "session row")) {
				/* Only the final row update failed: see final_row_update below. */
			} else {
				cr_assert_eq(row.truncated, 1, "N=%llu: %s", (unsigned long long)f->fail_at,
					     s.error);
				cr_assert_str_eq(row.error, s.error);
			}
		}
	} else {
		/* SQLite absorbed the fault (a retried lock) or it never came: complete. */
		cr_assert_eq(rc, 0);
		cr_assert_eq(fs_read_row(path, &row), 0);
		cr_assert(row.integrity_ok && row.clean_end == 1 && row.truncated == 0);
		cr_assert_eq(row.pcm_bytes, (uint64_t)s.nmsgs * FS_PERIOD_BYTES);
	}
	fs_free(&s);
	fs_rm_db(path);
	return fired;
}

/* Calibrate (count the calls of `kind` in a clean run), then fail the Nth for N spread over
 * the whole session, including the open and the final close. */
static void sweep(enum fault_vfs_kind kind, int rc, int sticky, const char *tag)
{
	char path[256];
	db_path(path, sizeof(path), tag);
	struct fault_vfs f = { .kind = kind };
	uint64_t total = 0;
	run_one(&f, path, &total);
	cr_assert_gt(total, 0, "no calls of this kind in a session");
	uint64_t step = total / 24 + 1, failed_runs = 0;
	for (uint64_t n = 1; n <= total; n += step) {
		f = (struct fault_vfs){ .kind = kind, .fail_at = n, .sticky = sticky, .rc = rc };
		failed_runs += run_one(&f, path, NULL) > 0;
	}
	/* The last call too (typically the final checkpoint at close). */
	f = (struct fault_vfs){ .kind = kind, .fail_at = total, .sticky = sticky, .rc = rc };
	run_one(&f, path, NULL);
	cr_assert_gt(failed_runs, 0);
}

Test(fault_sqlite, disk_full_on_write_sticky, .timeout = 120)
{
	sweep(FV_WRITE, SQLITE_FULL, 1, "full");
}

Test(fault_sqlite, ioerr_on_write_once, .timeout = 120)
{
	sweep(FV_WRITE, SQLITE_IOERR_WRITE, 0, "ioerr");
}

Test(fault_sqlite, ioerr_on_sync, .timeout = 120)
{
	sweep(FV_SYNC, SQLITE_IOERR_FSYNC, 0, "fsync");
}

Test(fault_sqlite, busy_on_lock_once, .timeout = 120)
{
	sweep(FV_LOCK, SQLITE_BUSY, 0, "busy");
}

/* A lock busy for a while (8 attempts): SQLite's busy handler waits it out; nothing may be
 * lost and nothing reported. */
Test(fault_sqlite, busy_on_lock_for_a_while, .timeout = 120)
{
	char path[256];
	db_path(path, sizeof(path), "busy2");
	struct fault_vfs f = { .kind = FV_LOCK };
	uint64_t total = 0;
	run_one(&f, path, &total);
	uint64_t fired = 0; /* lock calls vary a little with timing: the last N may not come */
	for (uint64_t n = 1; n < total; n += total / 6 + 1) {
		f = (struct fault_vfs){ .kind = FV_LOCK, .fail_at = n, .sticky = 1, .fail_count = 8,
					.rc = SQLITE_BUSY };
		fired += run_one(&f, path, NULL);
	}
	cr_assert_gt(fired, 0);
}

/* A lock that stays busy: reported once, the audio goes on. The failing statement waits out
 * the 5 s busy timeout and the first clean-up read SQLite's own ~10 s WAL retry; the other
 * clean-up statements are then skipped, so the session closes in about 10 s instead of the
 * 30 s it took before (tests/fuzz/FINDINGS.md F3). Runs only with VSND_FAULT_LONG=1
 * (`make crash-long`). */
Test(fault_sqlite, busy_on_lock_forever, .timeout = 120)
{
	if (!getenv("VSND_FAULT_LONG"))
		cr_skip_test("long test: VSND_FAULT_LONG=1 (make crash-long)");
	char path[256];
	db_path(path, sizeof(path), "busy3");
	struct fault_vfs f = { .kind = FV_LOCK };
	uint64_t total = 0;
	run_one(&f, path, &total);
	f = (struct fault_vfs){ .kind = FV_LOCK, .fail_at = total / 2, .sticky = 1,
				.rc = SQLITE_BUSY };
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	cr_assert_gt(run_one(&f, path, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	cr_assert_lt(s, 20.0, "a session on a database locked for good took %.1f s to close", s);
}

/* A write error while the recorder completes the session row at close is a one-off: the
 * database still takes writes afterwards, so the session must still be marked truncated
 * with the message (recorder.h: "marked truncated as far as the database still allows").
 * See tests/fuzz/FINDINGS.md (F2). */
/* Runs a session with f armed; *before_close = calls of f's kind before fs_close. */
static void play_session(struct fault_vfs *f, const char *path, struct fs_session *s,
			 uint64_t *before_close)
{
	cr_assert_eq(fault_vfs_install(f), SQLITE_OK);
	struct vt_recorder_opts o = { .commit_events = 16, .commit_ms = 1000000 };
	fs_open(s, path, &o);
	fs_play(s, PERIODS);
	fs_sync(s);
	if (before_close)
		*before_close = __atomic_load_n(&f->calls[f->kind], __ATOMIC_SEQ_CST);
	fs_close(s);
	fault_vfs_remove(f);
}

Test(fault_sqlite, final_row_update, .timeout = 60)
{
	char path[256];
	db_path(path, sizeof(path), "final");
	struct fault_vfs f = { .kind = FV_WRITE };
	struct fs_session s;
	uint64_t before = 0;
	play_session(&f, path, &s, &before);
	fs_free(&s);
	fs_rm_db(path);
	int hit = 0;
	for (uint64_t n = before + 1; n <= before + 24 && !hit; n++) {
		f = (struct fault_vfs){ .kind = FV_WRITE, .fail_at = n, .rc = SQLITE_IOERR_WRITE };
		play_session(&f, path, &s, NULL);
		if (s.errors && strstr(s.error, "session row")) {
			hit = 1;
			struct fs_row row;
			cr_assert_eq(fs_read_row(path, &row), 0);
			cr_assert(row.integrity_ok);
			cr_expect_eq(row.truncated, 1, "N=%llu: '%s' but the session row has "
				     "clean_end = %d, truncated = %d, error = '%s'",
				     (unsigned long long)n, s.error, row.clean_end, row.truncated,
				     row.error);
		}
		fs_free(&s);
		fs_rm_db(path);
	}
	cr_assert(hit, "no write of the final session row update found");
}

/* The reader reports a session stopped by a full disk as truncated, with the message. */
Test(fault_sqlite, truncated_session_reads_back, .timeout = 60)
{
	char path[256];
	db_path(path, sizeof(path), "readback");
	struct fault_vfs f = { .kind = FV_WRITE };
	struct fs_session s;
	uint64_t before = 0;
	play_session(&f, path, &s, &before);
	fs_free(&s);
	fs_rm_db(path);
	/* The first failing write from mid-session on that the recorder sees (SQLite ignores
	 * failures of its automatic checkpoints: those writes are retried later). */
	for (uint64_t n = before / 2; n < before; n++) {
		f = (struct fault_vfs){ .kind = FV_WRITE, .fail_at = n, .rc = SQLITE_FULL };
		play_session(&f, path, &s, NULL);
		if (s.errors)
			break;
		fs_free(&s);
		fs_rm_db(path);
	}
	cr_assert_eq(s.errors, 1);
	cr_assert(strstr(s.error, "full") != NULL, "message does not say the disk is full: %s",
		  s.error);
	cr_assert_null(fs_audio_intact(&s, 0));
	struct vt_reader *r = NULL;
	char err[256];
	cr_assert_eq(vt_reader_open(path, VT_READER_INTEGRITY, &r, err, sizeof(err)), 0, "%s", err);
	const struct vt_session *ss = vt_reader_session(r);
	cr_assert_eq(ss->truncated, 1);
	cr_assert_str_eq(ss->error, s.error);
	vt_reader_close(r);
	fs_free(&s);
	fs_rm_db(path);
}
