/* fuzz_replay.c - libFuzzer harness for the replay engine (replay/replay.h) on mutated session
 * databases: the engine re-drives the real device core from whatever the file says.
 *
 * Input: the bytes of a database file (seeds: tests/fuzz/gen_corpus_trace.py). Run with a
 * null sink, verification on, as fast as possible and a 20 ms causality wait (a damaged
 * session may wait for completions that never come). Checked: no crash, leak or hang; the
 * result is 0 or a negative error code with a message; a report that ran is consistent
 * (no more completions + discards than chains submitted).
 * fuzz-libs: replay trace vsnd */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static void rm_db(const char *path)
{
	char p[300];
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[256];
	const char *tmp = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/vsnd-fuzz-replay-%d.db", tmp && *tmp ? tmp : "/tmp",
		 (int)getpid());
	rm_db(path);
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
	struct vt_replay_opts o;
	vt_replay_opts_default(&o);
	o.sink_spec = "null";
	o.verify = 1;
	o.speed = 0;
	o.wait_timeout_ms = 20;
	struct vt_replay_report rep;
	memset(&rep, 0, sizeof(rep));
	char err[512] = "";
	int rc = vt_replay_run(path, &o, &rep, err, sizeof(err));
	if (rc) {
		CHECK(rc < 0 && err[0]);
	} else {
		CHECK(rep.completed + rep.discarded <= rep.chains);
		CHECK(rep.divergences == 0 || rep.first.field[0]);
		FILE *f = fopen("/dev/null", "w");
		if (f) {
			vt_replay_print(f, path, &rep, &o, 0);
			vt_replay_print(f, path, &rep, &o, 1);
			fclose(f);
		}
	}
	rm_db(path);
	return 0;
}
