/* test_fault_diskfull.c - recording into a full disk (issue 7.4): a file size limit
 * (RLIMIT_FSIZE with SIGXFSZ ignored, so writes fail with EFBIG like on a full disk) and the
 * recorder's own max_db_bytes limit. The playback goes on with every byte, the error is
 * reported once, and the session says it was truncated and why. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/unit/fault_session.h"
#include "trace/reader.h"

#define LONG_PERIODS 4000 /* 4 MB of PCM */

static void check_truncated(const char *path, const struct fs_session *s, int need_flag)
{
	struct fs_row row;
	cr_assert_eq(fs_read_row(path, &row), 0, "session unreadable");
	cr_assert(row.integrity_ok);
	cr_assert_lt(row.pcm_bytes, (uint64_t)s->nmsgs * FS_PERIOD_BYTES, "nothing was cut");
	if (need_flag) {
		cr_assert_eq(row.truncated, 1);
		cr_assert_str_eq(row.error, s->error);
	} else {
		cr_assert(row.truncated == 1 || row.clean_end == 0,
			  "a truncated session claims to be complete");
	}
	struct vt_reader *r = NULL;
	char err[256];
	cr_assert_eq(vt_reader_open(path, VT_READER_INTEGRITY, &r, err, sizeof(err)), 0, "%s", err);
	const struct vt_session *ss = vt_reader_session(r);
	cr_assert(ss->truncated || !ss->clean_end);
	if (need_flag)
		cr_assert_str_eq(ss->error, s->error);
	vt_reader_close(r);
}

Test(fault_diskfull, max_db_bytes, .timeout = 60)
{
	char path[256];
	snprintf(path, sizeof(path), "/tmp/vt_diskfull_max_%d.db", (int)getpid());
	struct fs_session s;
	struct vt_recorder_opts o = { .max_db_bytes = 3 << 20 };
	fs_open(&s, path, &o);
	for (int i = 0; i < LONG_PERIODS / 100; i++) {
		fs_play(&s, 100);
		fs_sync(&s);
	}
	cr_assert_eq(fs_close(&s), -1);
	cr_assert_null(fs_audio_intact(&s, 0));
	cr_assert_eq(s.errors, 1);
	cr_assert(strstr(s.error, "full") || strstr(s.error, "limit"),
		  "the message does not say why: %s", s.error);
	check_truncated(path, &s, 1);
	fs_free(&s);
	fs_rm_db(path);
}

Test(fault_diskfull, file_size_limit, .timeout = 60)
{
	char path[256];
	snprintf(path, sizeof(path), "/tmp/vt_diskfull_fsize_%d.db", (int)getpid());
	fs_rm_db(path);
	struct rlimit old, lim;
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	/* Above the empty session (the recorder uses 64 KiB pages: its schema alone takes
	 * about 1.5 MB), below the whole session. */
	lim.rlim_cur = 3 << 20;
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	struct fs_session s;
	fs_open(&s, path, NULL);
	for (int i = 0; i < LONG_PERIODS / 100; i++) {
		fs_play(&s, 100);
		fs_sync(&s);
	}
	int rc = fs_close(&s);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_null(fs_audio_intact(&s, 0));
	cr_assert_eq(s.open_err[0], 0, "%s", s.open_err);
	cr_assert_eq(rc, -1);
	cr_assert_eq(s.errors, 1);
	cr_assert(s.error[0]);
	/* The limit stops growth; rewriting the session row still fits: flag and message. */
	check_truncated(path, &s, 1);
	fs_free(&s);
	fs_rm_db(path);
}
