/* fault_session.h - a recorded playback session for the fault, crash and disk-full tests:
 * the real device core with a counting sink, the recorder's chain and sink shims, a virtual
 * clock, and the checks that the audio went on whatever happened to the recording. */
#ifndef TESTS_FAULT_SESSION_H
#define TESTS_FAULT_SESSION_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "mem_chain.h"
#include "trace/recorder.h"
#include "vsnd/snd.h"

#define FS_PERIOD_BYTES 1024u /* S16 stereo 48 kHz: 256 frames */
#define FS_MAX_MSGS 4096u

/* The sink under the recorder's wrapper: keeps what it is given (or fails on request). */
struct fs_sink {
	struct vsnd_sink s;
	pthread_mutex_t mu;
	uint8_t *data;
	size_t len, cap;
	uint32_t writes, opens, closes;
	int fail_writes_from; /* 1-based write index from which write() returns -EIO; 0 never */
	int fail_writes_to;   /* ... up to this one (0: all later ones) */
	int fail_open;
};

struct fs_session {
	struct vsnd_vclock *vc;
	uint64_t now;
	struct vsnd_dev *dev;
	struct vt_recorder *rec; /* NULL when vt_recorder_open failed (the audio runs anyway) */
	char open_err[256];
	struct fs_sink *sink;
	struct mem_chain_log log;
	struct mem_chain *msgs[FS_MAX_MSGS];
	uint32_t nmsgs;
	pthread_mutex_t emu;
	void (*scope)(int enter); /* called around every recorder call (fault tests); may be NULL */
	uint32_t errors; /* on_error calls */
	char error[256]; /* the first message */
};

/* Open the recorder at path (opts may be NULL; clock, on_error are set here; queue 1 MiB),
 * the device with stream 0 wrapped, and bring stream 0 to RUNNING with 4 messages queued. */
void fs_open(struct fs_session *s, const char *path, const struct vt_recorder_opts *opts);
/* Same, with scope(1) / scope(0) called before / after each call into the recorder. */
void fs_open_scoped(struct fs_session *s, const char *path, const struct vt_recorder_opts *opts,
		    void (*scope)(int enter));
/* Play n more periods: advance the clock one period, queue one more message, each time. */
void fs_play(struct fs_session *s, uint32_t periods);
/* Mark, then wait for the writer to commit (vt_recorder_sync): returns its result. */
int fs_sync(struct fs_session *s);
/* STOP, RELEASE, free the device, close the recorder (its return value, 0 if none). */
int fs_close(struct fs_session *s);
/* After fs_close: every message came back completed with status OK (or IO_ERR if ioerr_ok)
 * and the sink got exactly the bytes of the messages played. Returns NULL or what failed. */
const char *fs_audio_intact(struct fs_session *s, int ioerr_ok);
void fs_free(struct fs_session *s);
/* The byte at offset i of the PCM the test plays. */
uint8_t fs_pcm_byte(uint64_t i);

/* The session row as stored (opened with plain SQLite). Returns 0, or -1 if unreadable. */
struct fs_row {
	int clean_end, truncated;
	char error[256];
	int integrity_ok;      /* PRAGMA integrity_check said "ok" */
	uint64_t pcm_bytes;    /* sum of pcm.bytes of stream 0 */
	uint64_t pcm_rows;
	uint64_t marks;        /* rows of the mark table */
};
int fs_read_row(const char *path, struct fs_row *row);
void fs_rm_db(const char *path);

#endif
