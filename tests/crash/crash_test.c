/* crash_test.c - SIGKILL during recording (issue 7.3): a child records a synthetic session
 * (device core + recorder, virtual clock) and logs, after each vt_recorder_sync(), what the
 * writer had committed to a side file (fsync'd); the parent kills it with SIGKILL at a random
 * moment, then checks the database: PRAGMA integrity_check passes, the session is marked
 * incomplete (clean_end = 0), and everything the side log says was committed is present.
 *   crash_test [RUNS [SEED]]     default 100 runs, seed 1; exit 0 if every run passed */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/fault_session.h"
#include "trace/reader.h"

struct logged {
	int lines;
	uint64_t marks, sink_bytes, msgs; /* of the last line */
	int closed;
};

/* The child: play, sync, log; until the session is long (then close cleanly). */
static void child(const char *db, const char *side)
{
	int fd = open(side, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0)
		_exit(3);
	struct fs_session s;
	struct vt_recorder_opts o = { .commit_events = 32, .commit_ms = 2 };
	fs_open(&s, db, &o);
	if (!s.rec)
		_exit(4);
	uint64_t marks = 0;
	while (s.nmsgs + 8 < FS_MAX_MSGS) {
		fs_play(&s, 1 + (uint32_t)(s.nmsgs % 7));
		/* What the sink had received before the sync was read from chains, hence recorded,
		 * before it: after a successful sync it is committed. */
		pthread_mutex_lock(&s.sink->mu);
		uint64_t sink_bytes = s.sink->len;
		pthread_mutex_unlock(&s.sink->mu);
		uint32_t msgs = s.nmsgs;
		if (fs_sync(&s) != 0)
			_exit(5);
		marks++;
		char line[128];
		int n = snprintf(line, sizeof(line), "committed marks=%llu sink_bytes=%llu msgs=%u\n",
				 (unsigned long long)marks, (unsigned long long)sink_bytes, msgs);
		if (write(fd, line, (size_t)n) != n || fsync(fd) != 0)
			_exit(6);
		struct timespec ts = { 0, 200000 }; /* let the writer also commit on its own */
		nanosleep(&ts, NULL);
	}
	int rc = fs_close(&s);
	if (write(fd, "closed\n", 7) != 7 || fsync(fd) != 0)
		_exit(6);
	_exit(rc == 0 ? 0 : 7);
}

static void read_side(const char *side, struct logged *lg)
{
	memset(lg, 0, sizeof(*lg));
	FILE *f = fopen(side, "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long m, b;
		unsigned n;
		if (sscanf(line, "committed marks=%llu sink_bytes=%llu msgs=%u", &m, &b, &n) == 3) {
			lg->lines++;
			lg->marks = m;
			lg->sink_bytes = b;
			lg->msgs = n;
		} else if (!strncmp(line, "closed", 6)) {
			lg->closed = 1;
		}
	}
	fclose(f);
}

static int64_t q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Returns NULL if the database is as the side log requires, else what is wrong. */
static const char *check(const char *db_path, const struct logged *lg, char *why, size_t n)
{
	struct stat st;
	if (stat(db_path, &st) != 0)
		return lg->lines ? "database missing" : NULL;
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(why, n, "cannot open: %s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return why;
	}
	sqlite3_stmt *s;
	const char *res = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		snprintf(why, n, "integrity_check failed: %s",
			 s && sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0)
							  : sqlite3_errmsg(db));
		res = why;
	}
	sqlite3_finalize(s);
	if (!res && lg->lines) {
		int64_t clean = q1(db, "SELECT clean_end FROM session");
		int64_t marks = q1(db, "SELECT count(*) FROM mark");
		int64_t pcm = q1(db, "SELECT coalesce(sum(bytes), 0) FROM pcm WHERE stream = 0");
		int64_t chains = q1(db, "SELECT count(*) FROM chain WHERE queue = 2");
		if (clean != (lg->closed ? 1 : 0))
			snprintf(why, n, "clean_end = %lld (closed: %d)", (long long)clean, lg->closed),
				res = why;
		else if (marks < (int64_t)lg->marks)
			snprintf(why, n, "%lld marks, %llu committed", (long long)marks,
				 (unsigned long long)lg->marks), res = why;
		else if (pcm < (int64_t)lg->sink_bytes)
			snprintf(why, n, "%lld PCM bytes, %llu committed", (long long)pcm,
				 (unsigned long long)lg->sink_bytes), res = why;
		else if (chains < (int64_t)lg->msgs)
			snprintf(why, n, "%lld TX chains, %llu committed", (long long)chains,
				 (unsigned long long)lg->msgs), res = why;
	}
	sqlite3_close(db);
	if (!res && lg->lines) {
		/* The reader accepts it as an incomplete session. */
		struct vt_reader *r = NULL;
		char err[256];
		if (vt_reader_open(db_path, 0, &r, err, sizeof(err)) != 0) {
			snprintf(why, n, "reader: %s", err);
			return why;
		}
		if (vt_reader_session(r)->clean_end != lg->closed) {
			snprintf(why, n, "reader: clean_end %d", vt_reader_session(r)->clean_end);
			res = why;
		}
		vt_reader_close(r);
	}
	return res;
}

static void rm_db(const char *p)
{
	char side[600];
	unlink(p);
	snprintf(side, sizeof(side), "%s-wal", p);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", p);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", p);
	unlink(side);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 100;
	unsigned seed = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
	const char *tmp = getenv("TMPDIR");
	char dir[256], db[300], side[300];
	snprintf(dir, sizeof(dir), "%s/vsnd-crash-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		perror(dir);
		return 2;
	}
	snprintf(db, sizeof(db), "%s/session.db", dir);
	snprintf(side, sizeof(side), "%s/side.log", dir);
	srand(seed);
	int failed = 0, with_commits = 0, before_first = 0, finished = 0;
	uint64_t max_marks = 0;
	for (int i = 0; i < runs; i++) {
		rm_db(db);
		unlink(side);
		/* Mostly within the first 60 ms (the session runs for ~100-300 ms), some early
		 * (opening, schema), a few never (clean close). */
		long delay_us = rand() % 10 == 0 ? rand() % 3000 : rand() % 60000;
		int no_kill = rand() % 25 == 0;
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0)
			child(db, side);
		struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
		if (!no_kill) {
			nanosleep(&ts, NULL);
			kill(pid, SIGKILL);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			fprintf(stderr, "run %d: child failed with status %d\n", i, WEXITSTATUS(status));
			failed++;
			continue;
		}
		struct logged lg;
		read_side(side, &lg);
		char why[512];
		const char *bad = check(db, &lg, why, sizeof(why));
		if (bad) {
			char keep[400];
			snprintf(keep, sizeof(keep), "%s/failed-%d.db", dir, i);
			rename(db, keep);
			fprintf(stderr, "run %d (kill after %ld us%s, %d commits logged): %s (kept %s)\n",
				i, delay_us, no_kill ? " (no kill)" : "", lg.lines, bad, keep);
			failed++;
		}
		with_commits += lg.lines > 0;
		before_first += lg.lines == 0;
		finished += lg.closed;
		if (lg.marks > max_marks)
			max_marks = lg.marks;
	}
	rm_db(db);
	unlink(side);
	rmdir(dir); /* stays if a failed database was kept */
	printf("crash: %d runs, %d killed after commits (up to %llu), %d before the first, "
	       "%d ran to the end; %d failed\n", runs, with_commits - finished,
	       (unsigned long long)max_marks, before_first, finished, failed);
	return failed ? 1 : 0;
}
