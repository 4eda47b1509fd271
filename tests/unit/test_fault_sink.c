/* test_fault_sink.c - sink write errors under the recorder (issue 7.2): the recorder's sink
 * wrapper passes the error to the device (which answers those messages IO_ERR and goes on),
 * records each failed call and the sink's report, and does not treat it as a recording
 * failure: the session stays complete and holds every byte the guest sent. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/fault_session.h"
#include "vsnd/virtio_snd.h"

static int64_t q1(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void run(int from, int to, const char *tag)
{
	char path[256];
	snprintf(path, sizeof(path), "/tmp/vt_fault_sink_%s_%d.db", tag, (int)getpid());
	struct fs_session s;
	struct vt_recorder_opts o = { .commit_events = 16 };
	fs_open(&s, path, &o);
	int base = (int)s.sink->writes;
	pthread_mutex_lock(&s.sink->mu);
	s.sink->fail_writes_from = base + from;
	s.sink->fail_writes_to = to ? base + to : 0;
	pthread_mutex_unlock(&s.sink->mu);
	fs_play(&s, 30);
	cr_assert_eq(fs_close(&s), 0, "a sink error is not a recording error");
	cr_assert_eq(s.errors, 0);

	/* Messages in play order: those whose write failed came back IO_ERR, all others OK;
	 * the sink holds exactly the PCM of the others. */
	uint32_t failed = 0;
	size_t off = 0;
	cr_assert_eq(s.sink->writes, s.nmsgs);
	for (uint32_t i = 0; i < s.nmsgs; i++) {
		int w = (int)i + 1;
		int bad = w >= base + from && (!to || w <= base + to);
		uint32_t used = 0;
		cr_assert_eq(mem_chain_state(s.msgs[i], &used), MEM_CHAIN_COMPLETED);
		cr_assert_eq(used, 8);
		cr_assert_eq(mem_chain_w32(s.msgs[i], 0), bad ? VIRTIO_SND_S_IO_ERR : VIRTIO_SND_S_OK,
			     "message %u", i);
		if (bad) {
			failed++;
			continue;
		}
		for (uint32_t b = 0; b < FS_PERIOD_BYTES; b++)
			cr_assert_eq(s.sink->data[off + b], fs_pcm_byte((uint64_t)i * FS_PERIOD_BYTES + b));
		off += FS_PERIOD_BYTES;
	}
	cr_assert_eq(off, s.sink->len);
	cr_assert_gt(failed, 0);

	/* The recording: complete, every PCM byte the guest sent, each failed write with its
	 * return value and each report with its message. */
	struct fs_row row;
	cr_assert_eq(fs_read_row(path, &row), 0);
	cr_assert(row.integrity_ok && row.clean_end == 1 && row.truncated == 0);
	cr_assert_eq(row.pcm_bytes, (uint64_t)s.nmsgs * FS_PERIOD_BYTES);
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sink_event WHERE kind = 2 AND rc = %d", -EIO);
	cr_assert_eq(q1(path, sql), failed);
	cr_assert_eq(q1(path, "SELECT count(*) FROM sink_event WHERE kind = 2 AND rc = 0"),
		     s.nmsgs - failed);
	cr_assert_eq(q1(path, "SELECT count(*) FROM sink_event WHERE kind = 7 AND "
			      "msg LIKE 'test sink: write % failed'"), failed);
	fs_free(&s);
	fs_rm_db(path);
}

Test(fault_sink, one_write_fails)
{
	run(3, 3, "one");
}

Test(fault_sink, writes_fail_for_a_while)
{
	run(2, 9, "while");
}

Test(fault_sink, every_write_fails_from_some_point)
{
	run(5, 0, "all");
}
