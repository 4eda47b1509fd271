/* fuzz_trace.c - libFuzzer harness for everything that reads a session database a user may
 * pass around: trace/reader.h (open with each check level, iterate, PCM), the stats loader
 * and computation (trace/stats.h) and the `info`, `stats`, `export` and `diff` commands
 * (diff compares the file with itself).
 *
 * Input: the bytes of a database file (seeds: tests/fuzz/gen_corpus_trace.py, real sessions
 * recorded by the recorder plus known damage). The bytes go to a per-process temporary file.
 * Checked: nothing crashes or leaks (ASan/UBSan); event ids strictly increase (the
 * iterator stops with VT_E_CORRUPT on a repeated id); every event's data pointer covers data_len bytes (ASan reads them); PCM rows likewise; an open that fails
 * returns one of the enum vt_err codes with a message.
 * fuzz-libs: trace vsnd */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/reader.h"
#include "trace/stats.h"
#include "vsndtrace/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static uint32_t touch(const uint8_t *p, uint32_t n)
{
	uint32_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

static int pcm_cb(void *ctx, const struct vt_pcm *p)
{
	uint64_t *n = ctx;
	CHECK(p->bytes == 0 || p->data != NULL);
	if (p->data)
		*n += touch(p->data, p->bytes);
	return ++n[1] > 100000; /* bound the work on a huge table */
}

static void walk(const char *path, unsigned flags)
{
	struct vt_reader *r = NULL;
	char err[512] = "";
	int rc = vt_reader_open(path, flags, &r, err, sizeof(err));
	if (rc) {
		CHECK(rc < 0 && -rc <= VT_E_ARG && r == NULL && err[0]);
		CHECK(vt_strerror(rc) != NULL);
		return;
	}
	const struct vt_session *s = vt_reader_session(r);
	CHECK(s && s->tool_version && s->host && s->error && s->notes);
	struct vt_iter *it = NULL;
	if (vt_iter_open(r, &it) == 0) {
		struct vt_event ev;
		uint64_t last = 0;
		int n = 0, k, first = 1;
		while (n++ < 100000 && (k = vt_iter_next(it, &ev)) == 1) {
			/* The reader returns ids strictly ascending, or stops with VT_E_CORRUPT
			 * (a repeated id across tables passes integrity_check). */
			CHECK(first || (int64_t)ev.id > (int64_t)last);
			first = 0;
			last = ev.id;
			CHECK(ev.data_len == 0 || ev.data != NULL);
			if (ev.data)
				touch(ev.data, ev.data_len);
			CHECK(ev.text != NULL);
			(void)strlen(ev.text);
			CHECK(vt_ev_kind_name(ev.kind) != NULL);
			if (ev.kind == VT_EV_CHAIN && ev.u.chain.ndescs)
				touch((const uint8_t *)ev.u.chain.descs,
				      ev.u.chain.ndescs * (uint32_t)sizeof(struct vsnd_desc));
		}
		vt_iter_close(it);
	}
	uint64_t acc[2] = { 0, 0 };
	vt_reader_pcm(r, UINT32_MAX, pcm_cb, acc);
	struct ts_session sess;
	memset(&sess, 0, sizeof(sess));
	if (ts_load(vt_reader_db(r), -1, &sess, err, sizeof(err)) == 0) {
		struct ts_stats st;
		if (ts_compute(&sess, &st) == 0)
			ts_stats_free(&st);
		ts_session_free(&sess);
	}
	vt_reader_close(r);
}

/* Run a CLI command with stdout and stderr sent to /dev/null. */
static void cli(int (*cmd)(int, char **), char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	int o = dup(1), e = dup(2), nul = open("/dev/null", O_WRONLY);
	if (o < 0 || e < 0 || nul < 0)
		goto out;
	dup2(nul, 1);
	dup2(nul, 2);
	int rc = cmd(argc, argv);
	CHECK(rc == CLI_EXIT_OK || rc == CLI_EXIT_FAIL || rc == CLI_EXIT_USAGE);
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
out:
	if (o >= 0)
		close(o);
	if (e >= 0)
		close(e);
	if (nul >= 0)
		close(nul);
}

/* Empty the per-process work directory (the database, its -wal/-shm, exported files). */
static void clean_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	char p[512];
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[256], path[300], out[300];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/vsnd-fuzz-trace-%d", tmp && *tmp ? tmp : "/tmp",
		 (int)getpid());
	snprintf(path, sizeof(path), "%s/in.db", dir);
	snprintf(out, sizeof(out), "%s/out.wav", dir);
	mkdir(dir, 0700);
	clean_dir(dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 0;
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	close(fd);
	walk(path, 0);
	walk(path, VT_READER_NO_CHECK);
	walk(path, VT_READER_INTEGRITY);
	cli(cmd_info, (char *[]){ "info", path, NULL });
	cli(cmd_stats, (char *[]){ "stats", path, NULL });
	cli(cmd_stats, (char *[]){ "stats", "--json", path, NULL });
	cli(cmd_stats, (char *[]){ "stats", "--csv", "--stream", "0", path, NULL });
	cli(cmd_export, (char *[]){ "export", "--chrome", "/dev/null", path, NULL });
	cli(cmd_export, (char *[]){ "export", "--wav", out, path, NULL });
	cli(cmd_diff, (char *[]){ "diff", path, path, NULL });
	cli(cmd_diff, (char *[]){ "diff", "--json", "--timing", "5", path, path, NULL });
	clean_dir(dir);
	rmdir(dir);
	return 0;
}
