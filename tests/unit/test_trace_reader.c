/* test_trace_reader.c - the reader refuses what is not a readable session (missing, empty,
 * not SQLite, foreign, wrong version, truncated, corrupt) with a distinct code and a message. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/reader.h"
#include "trace/recorder.h"

static void path_for(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n, "/tmp/vt_rd_%s_%d.db", tag, (int)getpid());
}

static void rm_db(const char *path)
{
	char side[300];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", path);
	unlink(side);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	if (n)
		cr_assert_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* A real recorded session with some bulk, closed cleanly. */
static void make_session(const char *path)
{
	struct vt_recorder *r;
	char err[256];
	cr_assert_eq(vt_recorder_open(path, NULL, &r, err, sizeof(err)), 0, "%s", err);
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	struct vt_session_info info = { .tool_version = "t", .config = &cfg };
	vt_recorder_set_session_info(r, &info);
	for (int k = 0; k < 3000; k++) {
		char t[64];
		snprintf(t, sizeof(t), "marker number %d with some padding text", k);
		vt_recorder_mark(r, t);
	}
	cr_assert_eq(vt_recorder_close(r), 0);
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s", msg ? msg : "");
	sqlite3_close(db);
}

/* Opens path and checks it is refused with code and a message containing `word`. */
static void expect_refused(const char *path, int code, const char *word)
{
	struct vt_reader *r = (struct vt_reader *)0x1;
	char err[512] = "";
	int rc = vt_reader_open(path, 0, &r, err, sizeof(err));
	cr_assert_eq(rc, -code, "%s: got %d (%s), expected %d: %s", path, rc, vt_strerror(rc),
		     -code, err);
	cr_assert_null(r);
	cr_assert_neq(err[0], 0, "a message is given");
	cr_assert(strstr(err, path) != NULL, "message names the file: %s", err);
	if (word)
		cr_assert(strstr(err, word) != NULL, "message '%s' should say '%s'", err, word);
}

Test(trace_reader, good_session_opens)
{
	char p[256];
	path_for(p, sizeof(p), "good");
	make_session(p);
	struct vt_reader *r;
	char err[256];
	cr_assert_eq(vt_reader_open(p, VT_READER_INTEGRITY, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vt_reader_session(r)->nevents, 3000);
	cr_assert_eq(vt_reader_session(r)->clean_end, 1);
	cr_assert_eq(vt_reader_session(r)->config.nstreams, 2);
	vt_reader_close(r);
	rm_db(p);
}

Test(trace_reader, missing_file)
{
	expect_refused("/tmp/vt_rd_definitely_missing.db", VT_E_OPEN, "No such file");
}

Test(trace_reader, directory)
{
	expect_refused("/tmp", VT_E_OPEN, "directory");
}

Test(trace_reader, empty_file)
{
	char p[256];
	path_for(p, sizeof(p), "empty");
	write_file(p, "", 0);
	expect_refused(p, VT_E_EMPTY, "empty");
	rm_db(p);
}

Test(trace_reader, empty_sqlite_database)
{
	char p[256];
	path_for(p, sizeof(p), "emptydb");
	rm_db(p);
	exec_sql(p, "PRAGMA user_version = 1; VACUUM;");
	expect_refused(p, VT_E_EMPTY, "no tables");
	rm_db(p);
}

Test(trace_reader, not_sqlite)
{
	char p[256];
	path_for(p, sizeof(p), "text");
	const char *t = "RIFF....WAVEfmt this is not a database at all, just some bytes\n";
	write_file(p, t, strlen(t));
	expect_refused(p, VT_E_NOTDB, "not an SQLite database");
	rm_db(p);
}

Test(trace_reader, foreign_sqlite)
{
	char p[256];
	path_for(p, sizeof(p), "foreign");
	rm_db(p);
	exec_sql(p, "CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('x');");
	expect_refused(p, VT_E_FOREIGN, "not a vsndtrace session");
	rm_db(p);
}

Test(trace_reader, foreign_with_our_id_but_no_meta)
{
	char p[256];
	path_for(p, sizeof(p), "foreign2");
	rm_db(p);
	exec_sql(p, "PRAGMA application_id = 1987276388; CREATE TABLE other (x);");
	expect_refused(p, VT_E_FOREIGN, NULL);
	rm_db(p);
}

Test(trace_reader, newer_version_refused_naming_both)
{
	char p[256];
	path_for(p, sizeof(p), "v2");
	make_session(p);
	exec_sql(p, "PRAGMA user_version = 2;");
	expect_refused(p, VT_E_VERSION, "version 2");
	struct vt_reader *r;
	char err[512];
	vt_reader_open(p, 0, &r, err, sizeof(err));
	cr_assert(strstr(err, "reads version 1") != NULL, "%s", err);
	rm_db(p);
}

Test(trace_reader, older_version_refused)
{
	char p[256];
	path_for(p, sizeof(p), "v0");
	make_session(p);
	exec_sql(p, "PRAGMA user_version = 0;");
	expect_refused(p, VT_E_VERSION, "version 0");
	rm_db(p);
}

Test(trace_reader, truncated_file)
{
	char p[256];
	path_for(p, sizeof(p), "trunc");
	make_session(p);
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_gt(st.st_size, 3 * 16384);
	cr_assert_eq(truncate(p, st.st_size / 2), 0);
	expect_refused(p, VT_E_CORRUPT, "truncated");
	/* Cut inside the header too. */
	cr_assert_eq(truncate(p, 60), 0);
	expect_refused(p, VT_E_CORRUPT, "truncated");
	rm_db(p);
}

Test(trace_reader, corrupt_pages)
{
	char p[256];
	path_for(p, sizeof(p), "corrupt");
	make_session(p);
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	int fd = open(p, O_WRONLY);
	cr_assert_geq(fd, 0);
	/* Garbage over everything after the first (64 KiB) page: schema intact, data gone. */
	uint8_t junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 17);
	cr_assert_gt(st.st_size, 2 * 65536);
	for (off_t off = 65536; off < st.st_size; off += (off_t)sizeof(junk))
		cr_assert_eq(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
	close(fd);
	expect_refused(p, VT_E_CORRUPT, "damaged");
	rm_db(p);
}

Test(trace_reader, corrupt_header_page)
{
	char p[256];
	path_for(p, sizeof(p), "corrupt1");
	make_session(p);
	int fd = open(p, O_WRONLY);
	cr_assert_geq(fd, 0);
	uint8_t junk[2000];
	memset(junk, 0xa5, sizeof(junk));
	cr_assert_eq(pwrite(fd, junk, sizeof(junk), 100), (ssize_t)sizeof(junk));
	close(fd);
	struct vt_reader *r;
	char err[512];
	int rc = vt_reader_open(p, 0, &r, err, sizeof(err));
	cr_assert(rc == -VT_E_CORRUPT || rc == -VT_E_NOTDB, "rc %d: %s", rc, err);
	cr_assert_null(r);
	rm_db(p);
}

Test(trace_reader, missing_table_is_damage)
{
	char p[256];
	path_for(p, sizeof(p), "notable");
	make_session(p);
	exec_sql(p, "DROP VIEW pcm_in_order; DROP VIEW io_message; DROP VIEW period_timing;"
		    " DROP TABLE pcm;");
	expect_refused(p, VT_E_CORRUPT, "pcm");
	rm_db(p);
}

Test(trace_reader, strerror_distinct)
{
	for (int a = 1; a <= VT_E_ARG; a++)
		for (int b = a + 1; b <= VT_E_ARG; b++)
			cr_assert_str_neq(vt_strerror(a), vt_strerror(b));
	cr_assert_str_eq(vt_strerror(-VT_E_VERSION), vt_strerror(VT_E_VERSION));
}

/* Two event tables holding the same id: every table is a valid b-tree (integrity_check
 * passes), but the timeline is damaged. The iterator returns the events before it in order,
 * then -VT_E_CORRUPT naming the id (found by fuzz_trace: a one-byte change of a rowid). */
Test(trace_reader, repeated_event_id_is_damage)
{
	char p[256];
	path_for(p, sizeof(p), "dupid");
	make_session(p);
	exec_sql(p, "INSERT INTO transport_event (id, t_ns, ticks, kind, queue, value, num, features,"
		    " desc_addr, avail_addr, used_addr) SELECT id, t_ns, ticks, 4, 2, 0, 0, 0, 0, 0, 0"
		    " FROM mark ORDER BY id LIMIT 1 OFFSET 10;");
	struct vt_reader *r;
	char err[256];
	cr_assert_eq(vt_reader_open(p, VT_READER_INTEGRITY, &r, err, sizeof(err)), 0, "%s", err);
	struct vt_iter *it;
	cr_assert_eq(vt_iter_open(r, &it), 0);
	struct vt_event ev;
	int n = 0, k;
	uint64_t last = 0;
	while ((k = vt_iter_next(it, &ev)) == 1) {
		cr_assert(n == 0 || ev.id > last, "ids ascend: %llu after %llu",
			  (unsigned long long)ev.id, (unsigned long long)last);
		last = ev.id;
		n++;
	}
	cr_assert_eq(k, -VT_E_CORRUPT, "got %d", k);
	cr_assert_eq(n, 11, "the 10 marks before it and the first copy of the id: %d", n);
	cr_assert(strstr(vt_reader_errmsg(r), "appears twice") != NULL, "%s", vt_reader_errmsg(r));
	vt_iter_close(it);
	vt_reader_close(r);
	rm_db(p);
}
