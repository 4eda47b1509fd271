/* fault_session.c - the recorded playback session shared by the fault, crash and disk-full
 * tests (see fault_session.h): device core + recorder shims + virtual clock + counting sink. */
#include "fault_session.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsnd/virtio_snd.h"

#define FS_PERIOD_NS 5333334ull /* 256 frames at 48 kHz, rounded up */

uint8_t fs_pcm_byte(uint64_t i)
{
	return (uint8_t)(i * 31 + (i >> 10) * 7 + 3);
}

/* ---- the sink ---- */

static int fsk_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	(void)p;
	struct fs_sink *k = s->priv;
	pthread_mutex_lock(&k->mu);
	k->opens++;
	int rc = k->fail_open ? -EIO : 0;
	pthread_mutex_unlock(&k->mu);
	return rc;
}

static int fsk_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	struct fs_sink *k = s->priv;
	pthread_mutex_lock(&k->mu);
	k->writes++;
	if (k->fail_writes_from && (int)k->writes >= k->fail_writes_from &&
	    (!k->fail_writes_to || (int)k->writes <= k->fail_writes_to)) {
		pthread_mutex_unlock(&k->mu);
		vsnd_sink_report(s, VSND_SINK_EV_ERROR, -EIO, "test sink: write %u failed", k->writes);
		return -EIO;
	}
	if (k->len + bytes > k->cap) {
		size_t nc = (k->len + bytes) * 2;
		uint8_t *nb = realloc(k->data, nc);
		if (!nb) {
			pthread_mutex_unlock(&k->mu);
			return -ENOMEM;
		}
		k->data = nb;
		k->cap = nc;
	}
	memcpy(k->data + k->len, buf, bytes);
	k->len += bytes;
	pthread_mutex_unlock(&k->mu);
	return 0;
}

static void fsk_close(struct vsnd_sink *s)
{
	struct fs_sink *k = s->priv;
	pthread_mutex_lock(&k->mu);
	k->closes++;
	pthread_mutex_unlock(&k->mu);
}

static void fsk_destroy(struct vsnd_sink *s)
{
	(void)s; /* the session owns the memory (checked after the device is gone) */
}

static const struct vsnd_sink_ops fsk_ops = {
	.name = "fault-test",
	.open = fsk_open,
	.write = fsk_write,
	.close = fsk_close,
	.destroy = fsk_destroy,
};

/* ---- session ---- */

static void on_error(void *ctx, const char *msg)
{
	struct fs_session *s = ctx;
	pthread_mutex_lock(&s->emu);
	if (!s->errors++)
		snprintf(s->error, sizeof(s->error), "%s", msg ? msg : "");
	pthread_mutex_unlock(&s->emu);
}

#define IN_RECORDER(s, call)                                                                       \
	do {                                                                                       \
		if ((s)->scope)                                                                    \
			(s)->scope(1);                                                             \
		call;                                                                              \
		if ((s)->scope)                                                                    \
			(s)->scope(0);                                                             \
	} while (0)

static struct vsnd_chain *wrap(struct fs_session *s, struct mem_chain *mc)
{
	struct vsnd_chain *c = &mc->c;
	if (s->rec)
		IN_RECORDER(s, c = vt_recorder_wrap_chain(s->rec, &mc->c));
	return c;
}

static uint32_t ctl(struct fs_session *s, const void *req, uint32_t len)
{
	struct mem_chain *mc = mem_chain_new(&s->log, VSND_VQ_CONTROL, req, len, 4);
	vsnd_dev_submit(s->dev, wrap(s, mc));
	uint32_t used = 0;
	uint32_t st = mem_chain_state(mc, &used) == MEM_CHAIN_COMPLETED && used == 4
			      ? mem_chain_w32(mc, 0)
			      : 0;
	mem_chain_free(mc);
	return st;
}

static void queue_msg(struct fs_session *s)
{
	if (s->nmsgs >= FS_MAX_MSGS)
		return;
	uint8_t buf[4 + FS_PERIOD_BYTES] = { 0 };
	uint64_t base = (uint64_t)s->nmsgs * FS_PERIOD_BYTES;
	for (uint32_t i = 0; i < FS_PERIOD_BYTES; i++)
		buf[4 + i] = fs_pcm_byte(base + i);
	struct mem_chain *mc = mem_chain_new(&s->log, VSND_VQ_TX, buf, sizeof(buf), 8);
	s->msgs[s->nmsgs++] = mc;
	vsnd_dev_submit(s->dev, wrap(s, mc));
}

void fs_open(struct fs_session *s, const char *path, const struct vt_recorder_opts *opts)
{
	fs_open_scoped(s, path, opts, NULL);
}

void fs_open_scoped(struct fs_session *s, const char *path, const struct vt_recorder_opts *opts,
		    void (*scope)(int enter))
{
	memset(s, 0, sizeof(*s));
	s->scope = scope;
	pthread_mutex_init(&s->emu, NULL);

	mem_chain_log_init(&s->log);
	s->now = 1000000000ull;
	s->vc = vsnd_vclock_new(s->now, 0);
	struct vt_recorder_opts o = { 0 };
	if (opts)
		o = *opts;
	o.clock = vsnd_vclock_clock(s->vc);
	o.on_error = on_error;
	o.err_ctx = s;
	if (!o.queue_bytes)
		o.queue_bytes = 1u << 20;
	int orc;
	IN_RECORDER(s, orc = vt_recorder_open(path, &o, &s->rec, s->open_err, sizeof(s->open_err)));
	if (orc != 0)
		s->rec = NULL;

	s->sink = calloc(1, sizeof(*s->sink));
	pthread_mutex_init(&s->sink->mu, NULL);
	/* Room for a long session up front: the sink does not allocate on the audio thread
	 * (test_fault_alloc counts allocations made off the test's main thread). */
	s->sink->cap = 1u << 20;
	s->sink->data = malloc(s->sink->cap);
	s->sink->s = (struct vsnd_sink){ .ops = &fsk_ops, .priv = s->sink };
	struct vsnd_host host = { .clock = vsnd_vclock_clock(s->vc) };
	struct vsnd_sink *w = NULL;
	if (s->rec)
		IN_RECORDER(s, w = vt_recorder_wrap_sink(s->rec, &s->sink->s, 0));
	host.sinks[0] = w ? w : &s->sink->s;
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	if (s->rec) {
		struct vt_session_info info = { .tool_version = "fault-test", .scenario = "play",
						.sink_spec = "test", .config = &cfg };
		IN_RECORDER(s, vt_recorder_set_session_info(s->rec, &info));
	}
	s->dev = vsnd_dev_new(&cfg, &host);
	vsnd_dev_driver_ok(s->dev);
	struct virtio_snd_pcm_set_params sp = {
		.code = VIRTIO_SND_R_PCM_SET_PARAMS, .stream_id = 0, .buffer_bytes = 4 * FS_PERIOD_BYTES,
		.period_bytes = FS_PERIOD_BYTES, .channels = 2, .format = VIRTIO_SND_PCM_FMT_S16,
		.rate = VIRTIO_SND_PCM_RATE_48000,
	};
	ctl(s, &sp, sizeof(sp));
	struct virtio_snd_pcm_hdr h = { VIRTIO_SND_R_PCM_PREPARE, 0 };
	ctl(s, &h, sizeof(h));
	for (int i = 0; i < 4; i++)
		queue_msg(s);
	h.code = VIRTIO_SND_R_PCM_START;
	ctl(s, &h, sizeof(h));
	vsnd_dev_quiesce(s->dev);
}

void fs_play(struct fs_session *s, uint32_t periods)
{
	for (uint32_t i = 0; i < periods; i++) {
		s->now += FS_PERIOD_NS;
		vsnd_vclock_set(s->vc, s->now);
		vsnd_dev_quiesce(s->dev);
		queue_msg(s);
	}
}

int fs_sync(struct fs_session *s)
{
	if (!s->rec)
		return -1;
	char text[64];
	snprintf(text, sizeof(text), "played %u", s->nmsgs);
	int rc;
	IN_RECORDER(s, vt_recorder_mark(s->rec, text); rc = vt_recorder_sync(s->rec));
	return rc;
}

int fs_close(struct fs_session *s)
{
	/* Let everything queued play out, then stop and release (RELEASE flushes the rest). */
	for (int i = 0; i < 6; i++) {
		s->now += FS_PERIOD_NS;
		vsnd_vclock_set(s->vc, s->now);
		vsnd_dev_quiesce(s->dev);
	}
	struct virtio_snd_pcm_hdr h = { VIRTIO_SND_R_PCM_STOP, 0 };
	ctl(s, &h, sizeof(h));
	h.code = VIRTIO_SND_R_PCM_RELEASE;
	ctl(s, &h, sizeof(h));
	vsnd_dev_free(s->dev);
	s->dev = NULL;
	int rc = 0;
	if (s->rec)
		IN_RECORDER(s, rc = vt_recorder_close(s->rec));
	s->rec = NULL;
	return rc;
}

const char *fs_audio_intact(struct fs_session *s, int ioerr_ok)
{
	static const char *const why[] = { "a message did not come back", "a message came back "
					   "with a bad status or used.len", "the sink got different PCM" };
	for (uint32_t i = 0; i < s->nmsgs; i++) {
		uint32_t used = 0;
		if (mem_chain_state(s->msgs[i], &used) != MEM_CHAIN_COMPLETED)
			return why[0];
		uint32_t st = mem_chain_w32(s->msgs[i], 0);
		if (used != 8 || !(st == VIRTIO_SND_S_OK || (ioerr_ok && st == VIRTIO_SND_S_IO_ERR)))
			return why[1];
	}
	struct fs_sink *k = s->sink;
	if (!ioerr_ok) {
		if (k->len != (size_t)s->nmsgs * FS_PERIOD_BYTES)
			return why[2];
	}
	for (size_t i = 0; i < k->len; i++)
		if (k->data[i] != fs_pcm_byte(i))
			return why[2];
	return NULL;
}

void fs_free(struct fs_session *s)
{
	for (uint32_t i = 0; i < s->nmsgs; i++)
		mem_chain_free(s->msgs[i]);
	if (s->sink) {
		free(s->sink->data);
		pthread_mutex_destroy(&s->sink->mu);
		free(s->sink);
	}
	vsnd_vclock_free(s->vc);
	mem_chain_log_destroy(&s->log);
	pthread_mutex_destroy(&s->emu);
}

static int64_t q1(sqlite3 *db, const char *sql, char *text, size_t n)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		if (text) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			snprintf(text, n, "%s", t ? (const char *)t : "");
		}
	}
	sqlite3_finalize(st);
	return v;
}

int fs_read_row(const char *path, struct fs_row *row)
{
	memset(row, 0, sizeof(*row));
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	char ok[64] = "";
	q1(db, "PRAGMA integrity_check", ok, sizeof(ok));
	row->integrity_ok = strcmp(ok, "ok") == 0;
	row->clean_end = (int)q1(db, "SELECT clean_end FROM session", NULL, 0);
	row->truncated = (int)q1(db, "SELECT truncated FROM session", NULL, 0);
	q1(db, "SELECT coalesce(error, '') FROM session", row->error, sizeof(row->error));
	int64_t v = q1(db, "SELECT coalesce(sum(bytes), 0) FROM pcm WHERE stream = 0", NULL, 0);
	row->pcm_bytes = v < 0 ? 0 : (uint64_t)v;
	v = q1(db, "SELECT count(*) FROM pcm WHERE stream = 0", NULL, 0);
	row->pcm_rows = v < 0 ? 0 : (uint64_t)v;
	v = q1(db, "SELECT count(*) FROM mark", NULL, 0);
	row->marks = v < 0 ? 0 : (uint64_t)v;
	int rc = row->clean_end < 0 ? -1 : 0;
	sqlite3_close(db);
	return rc;
}

void fs_rm_db(const char *path)
{
	char side[512];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", path);
	unlink(side);
}
