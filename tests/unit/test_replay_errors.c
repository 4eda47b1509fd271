/* test_replay_errors.c - the replay engine on files that are not good sessions: empty, foreign,
 * wrong schema version, truncated, corrupt, damaged rows found midway; a clear error, no crash. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay/replay.h"
#include "replay/synth.h"
#include "trace/reader.h"

static void path_of(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n, "/tmp/vt_replay_err_%s_%d.db", tag, (int)getpid());
}

static void rm_db(const char *path)
{
	char side[300];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static void good_session(const char *path)
{
	char err[256] = "";
	rm_db(path);
	cr_assert_eq(vt_synth_record(path, "play-u8", err, sizeof(err)), 0, "%s", err);
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *e = NULL;
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &e), SQLITE_OK, "%s", e ? e : "");
	sqlite3_close(db);
}

/* Replay with verify; returns the code and the message. */
static int run(const char *path, char *err, size_t n)
{
	struct vt_replay_opts o;
	vt_replay_opts_default(&o);
	o.verify = 1;
	o.sink_spec = "null";
	struct vt_replay_report rep;
	err[0] = 0;
	return vt_replay_run(path, &o, &rep, err, n);
}

Test(replay_errors, missing_and_empty)
{
	char path[256], err[512];
	path_of(path, sizeof(path), "missing");
	rm_db(path);
	cr_expect_eq(run(path, err, sizeof(err)), -VT_E_OPEN, "%s", err);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_expect_eq(run(path, err, sizeof(err)), -VT_E_EMPTY, "%s", err);
	cr_expect(strstr(err, path) != NULL, "the message names the file: %s", err);
	rm_db(path);
}

Test(replay_errors, not_sqlite_and_foreign)
{
	char path[256], err[512];
	path_of(path, sizeof(path), "foreign");
	rm_db(path);
	FILE *f = fopen(path, "wb");
	for (int i = 0; i < 8192; i++)
		fputc((i * 131) & 0xff, f);
	fclose(f);
	cr_expect_eq(run(path, err, sizeof(err)), -VT_E_NOTDB, "%s", err);
	rm_db(path);
	exec_sql(path, "CREATE TABLE t (a); INSERT INTO t VALUES (1);");
	cr_expect_eq(run(path, err, sizeof(err)), -VT_E_FOREIGN, "%s", err);
	rm_db(path);
}

Test(replay_errors, wrong_version_names_both)
{
	char path[256], err[512];
	path_of(path, sizeof(path), "version");
	good_session(path);
	exec_sql(path, "PRAGMA user_version = 99;");
	cr_expect_eq(run(path, err, sizeof(err)), -VT_E_VERSION, "%s", err);
	cr_expect(strstr(err, "99") != NULL && strstr(err, "1") != NULL, "%s", err);
	rm_db(path);
}

Test(replay_errors, truncated)
{
	char path[256], cut[300], err[512];
	path_of(path, sizeof(path), "trunc");
	good_session(path);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	snprintf(cut, sizeof(cut), "%s.cut", path);
	FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");
	for (off_t i = 0; i < st.st_size / 2; i++)
		fputc(fgetc(in), out);
	fclose(in);
	fclose(out);
	int rc = run(cut, err, sizeof(err));
	cr_expect_eq(rc, -VT_E_CORRUPT, "%d %s", rc, err);
	cr_expect(strstr(err, "truncated") != NULL, "%s", err);
	unlink(cut);
	rm_db(path);
}

Test(replay_errors, corrupt_pages)
{
	char path[256], err[512];
	path_of(path, sizeof(path), "corrupt");
	good_session(path);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	/* Garbage over every page but the first: b-tree pages are damaged. */
	int fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	uint8_t junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 97 + 13);
	for (off_t off = 16384; off + (off_t)sizeof(junk) <= st.st_size; off += 3 * 4096)
		cr_assert_eq(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
	close(fd);
	int rc = run(path, err, sizeof(err));
	cr_expect_lt(rc, 0, "a corrupt session is refused");
	cr_expect(rc == -VT_E_CORRUPT || rc == -VT_E_FOREIGN || rc == -VT_E_NOTDB, "%d: %s", rc,
		  err);
	cr_expect_neq(err[0], 0);
	rm_db(path);
}

Test(replay_errors, damaged_rows_found_midway)
{
	char path[256], err[512];
	path_of(path, sizeof(path), "rows");
	good_session(path);
	/* Pages are intact but a chain_io row no longer matches its pcm row: the reader reports
	 * it when the replay reaches it, with the device running. */
	exec_sql(path, "UPDATE pcm SET data = X'00' WHERE id = (SELECT id FROM pcm ORDER BY id"
		       " LIMIT 1 OFFSET 4);");
	int rc = run(path, err, sizeof(err));
	cr_expect_eq(rc, -VT_E_CORRUPT, "%d: %s", rc, err);
	cr_expect(strstr(err, "damaged") != NULL, "%s", err);
	rm_db(path);
}

Test(replay_errors, session_without_events)
{
	char path[256], err[512];
	path_of(path, sizeof(path), "noevents");
	good_session(path);
	exec_sql(path, "DELETE FROM transport_event; DELETE FROM device_op; DELETE FROM chain;"
		       " DELETE FROM descriptor; DELETE FROM chain_io; DELETE FROM chain_end;"
		       " DELETE FROM pcm; DELETE FROM sink_event; DELETE FROM mark;");
	struct vt_replay_opts o;
	vt_replay_opts_default(&o);
	o.verify = 1;
	o.sink_spec = "null";
	struct vt_replay_report rep;
	cr_expect_eq(vt_replay_run(path, &o, &rep, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(rep.events, 0);
	cr_expect_eq(rep.divergences, 0);
	rm_db(path);
}
