/* reader.c - opens and validates a vsndtrace session database (read-only) and serves its
 * metadata, device config, the event timeline in order (a k-way merge by id) and PCM. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/reader.h"
#include "trace/recorder.h"

struct vt_reader {
	sqlite3 *db;
	char *path;
	struct vt_session s;
	char *strs[9];
	char errmsg[512];
	sqlite3_stmt *pcm_at, *pcm_after; /* resolving sink writes stored as pcm references */
};

const char *vt_strerror(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case VT_OK: return "ok";
	case VT_E_OPEN: return "cannot open file";
	case VT_E_EMPTY: return "empty database";
	case VT_E_NOTDB: return "not an SQLite database";
	case VT_E_FOREIGN: return "not a vsndtrace session";
	case VT_E_VERSION: return "unsupported session schema version";
	case VT_E_CORRUPT: return "damaged session database";
	case VT_E_IO: return "I/O error";
	case VT_E_NOMEM: return "out of memory";
	case VT_E_ARG: return "invalid argument";
	default: return "unknown error";
	}
}

const char *vt_ev_kind_name(enum vt_ev_kind k)
{
	static const char *const n[] = {
		[VT_EV_TRANSPORT] = "transport",      [VT_EV_CONFIG_READ] = "config_read",
		[VT_EV_DRIVER_OK] = "driver_ok",      [VT_EV_DEVICE_RESET] = "device_reset",
		[VT_EV_CHAIN] = "chain",              [VT_EV_CHAIN_READ] = "chain_read",
		[VT_EV_CHAIN_WRITE] = "chain_write",  [VT_EV_CHAIN_COMPLETE] = "chain_complete",
		[VT_EV_CHAIN_DISCARD] = "chain_discard", [VT_EV_SINK_OPEN] = "sink_open",
		[VT_EV_SINK_WRITE] = "sink_write",    [VT_EV_SINK_READ] = "sink_read",
		[VT_EV_SINK_CLOSE] = "sink_close",    [VT_EV_SINK_REPORT] = "sink_report",
		[VT_EV_MARK] = "mark",
	};
	return (unsigned)k < sizeof(n) / sizeof(n[0]) && n[k] ? n[k] : "?";
}

const char *vt_reader_errmsg(struct vt_reader *r)
{
	return r ? r->errmsg : "";
}

/* Map an SQLite result code to our error codes. */
static int map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB: return -VT_E_NOTDB;
	case SQLITE_CORRUPT: return -VT_E_CORRUPT;
	case SQLITE_NOMEM: return -VT_E_NOMEM;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH: return -VT_E_OPEN;
	case SQLITE_IOERR: return -VT_E_IO;
	default: return -VT_E_CORRUPT;
	}
}

static int rfail(struct vt_reader *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int rfail(struct vt_reader *r, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	return code;
}

static int sql_fail(struct vt_reader *r, int rc, const char *what)
{
	int code = map_rc(rc);
	return rfail(r, code, "%s: %s (%s): %s", r->path, vt_strerror(code), what,
		     sqlite3_errmsg(r->db));
}

/* Run a query returning one integer. Returns 0 or -VT_E_*. */
static int query_int(struct vt_reader *r, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*out = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : sql_fail(r, rc, sql);
}

/* Check the file itself before SQLite sees it: exists, regular, non-empty, SQLite header,
 * not shorter than the header says. */
static int check_file(struct vt_reader *r, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return rfail(r, -VT_E_OPEN, "%s: cannot open: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return rfail(r, -VT_E_OPEN, "%s: cannot open: is a directory", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rfail(r, -VT_E_OPEN, "%s: cannot open: %s", path, strerror(errno));
	uint8_t h[100];
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n < 0)
		return rfail(r, -VT_E_IO, "%s: read error: %s", path, strerror(errno));
	if (st.st_size == 0)
		return rfail(r, -VT_E_EMPTY, "%s: empty file, not a vsndtrace session", path);
	static const char magic[16] = "SQLite format 3";
	if (n < 16 || memcmp(h, magic, 16) != 0)
		return rfail(r, -VT_E_NOTDB, "%s: not an SQLite database (no SQLite header), "
					     "so not a vsndtrace session", path);
	if (n < 100)
		return rfail(r, -VT_E_CORRUPT, "%s: damaged: truncated inside the database header",
			     path);
	uint32_t psz = (uint32_t)h[16] << 8 | h[17];
	if (psz == 1)
		psz = 65536;
	uint32_t pages = (uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 | (uint32_t)h[30] << 8 | h[31];
	int valid = memcmp(h + 24, h + 92, 4) == 0 && pages > 0;
	if (psz < 512 || (psz & (psz - 1)))
		return rfail(r, -VT_E_CORRUPT, "%s: damaged: invalid page size %u in header", path,
			     psz);
	if (valid && (uint64_t)st.st_size < (uint64_t)pages * psz)
		return rfail(r, -VT_E_CORRUPT,
			     "%s: damaged: truncated (header says %llu bytes, file has %llu)", path,
			     (unsigned long long)pages * psz, (unsigned long long)st.st_size);
	return 0;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

/* Step s if the previous result (*rc: prepare or step) allows; 1 while rows come. */
static int step_row(sqlite3_stmt *s, int *rc)
{
	if (*rc != SQLITE_OK && *rc != SQLITE_ROW)
		return 0;
	*rc = sqlite3_step(s);
	return *rc == SQLITE_ROW;
}

static int load_session(struct vt_reader *r)
{
	static const char sql[] =
		"SELECT schema_version, tool_version, host, guest_cmdline, kernel, initrd, scenario,"
		" sink_spec, notes, error, start_wall_ns, end_wall_ns, start_ns, start_ticks,"
		" timebase_hz, clean_end, truncated, events, bytes, producer_waits,"
		" producer_wait_ns FROM session WHERE id = 1";
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(r, rc, "reading the session row");
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return rfail(r, -VT_E_CORRUPT, "%s: damaged: the session row is missing",
				     r->path);
		return sql_fail(r, rc, "reading the session row");
	}
	struct vt_session *x = &r->s;
	x->schema_version = sqlite3_column_int(s, 0);
	const char **dst[9] = { &x->tool_version, &x->host,     &x->guest_cmdline,
				&x->kernel,       &x->initrd,   &x->scenario,
				&x->sink_spec,    &x->notes,    &x->error };
	for (int i = 0; i < 9; i++) {
		r->strs[i] = strdup(col_text(s, i + 1));
		if (!r->strs[i]) {
			sqlite3_finalize(s);
			return rfail(r, -VT_E_NOMEM, "%s: out of memory", r->path);
		}
		*dst[i] = r->strs[i];
	}
	x->start_wall_ns = sqlite3_column_int64(s, 10);
	x->end_wall_ns = sqlite3_column_int64(s, 11);
	x->start_ns = (uint64_t)sqlite3_column_int64(s, 12);
	x->start_ticks = (uint64_t)sqlite3_column_int64(s, 13);
	x->timebase_hz = (uint64_t)sqlite3_column_int64(s, 14);
	x->clean_end = sqlite3_column_int(s, 15);
	x->truncated = sqlite3_column_int(s, 16);
	x->events = (uint64_t)sqlite3_column_int64(s, 17);
	x->bytes = (uint64_t)sqlite3_column_int64(s, 18);
	x->producer_waits = (uint64_t)sqlite3_column_int64(s, 19);
	x->producer_wait_ns = (uint64_t)sqlite3_column_int64(s, 20);
	sqlite3_finalize(s);

	/* Device configuration. */
	struct vsnd_config *c = &x->config;
	rc = sqlite3_prepare_v2(r->db, "SELECT stream_id, hda_fn_nid, features, formats, rates,"
				       " direction, channels_min, channels_max FROM config_stream"
				       " ORDER BY stream_id", -1, &s, NULL);
	while (step_row(s, &rc)) {
		int64_t i = sqlite3_column_int64(s, 0);
		if (i < 0 || i >= VSND_MAX_STREAMS)
			continue;
		struct vsnd_stream_cfg *y = &c->streams[i];
		y->hda_fn_nid = (uint32_t)sqlite3_column_int64(s, 1);
		y->features = (uint32_t)sqlite3_column_int64(s, 2);
		y->formats = (uint64_t)sqlite3_column_int64(s, 3);
		y->rates = (uint64_t)sqlite3_column_int64(s, 4);
		y->direction = (uint8_t)sqlite3_column_int(s, 5);
		y->channels_min = (uint8_t)sqlite3_column_int(s, 6);
		y->channels_max = (uint8_t)sqlite3_column_int(s, 7);
		if ((uint32_t)i + 1 > c->nstreams)
			c->nstreams = (uint32_t)i + 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(r, rc, "reading config_stream");
	rc = sqlite3_prepare_v2(r->db, "SELECT jack_id, hda_fn_nid, features, hda_reg_defconf,"
				       " hda_reg_caps, connected FROM config_jack ORDER BY jack_id",
				-1, &s, NULL);
	while (step_row(s, &rc)) {
		int64_t i = sqlite3_column_int64(s, 0);
		if (i < 0 || i >= VSND_MAX_JACKS)
			continue;
		struct vsnd_jack_cfg *y = &c->jacks[i];
		y->hda_fn_nid = (uint32_t)sqlite3_column_int64(s, 1);
		y->features = (uint32_t)sqlite3_column_int64(s, 2);
		y->hda_reg_defconf = (uint32_t)sqlite3_column_int64(s, 3);
		y->hda_reg_caps = (uint32_t)sqlite3_column_int64(s, 4);
		y->connected = (uint8_t)sqlite3_column_int(s, 5);
		if ((uint32_t)i + 1 > c->njacks)
			c->njacks = (uint32_t)i + 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(r, rc, "reading config_jack");
	rc = sqlite3_prepare_v2(r->db, "SELECT chmap_id, hda_fn_nid, direction, channels,"
				       " positions FROM config_chmap ORDER BY chmap_id", -1, &s, NULL);
	while (step_row(s, &rc)) {
		int64_t i = sqlite3_column_int64(s, 0);
		if (i < 0 || i >= VSND_MAX_CHMAPS)
			continue;
		struct vsnd_chmap_cfg *y = &c->chmaps[i];
		y->hda_fn_nid = (uint32_t)sqlite3_column_int64(s, 1);
		y->direction = (uint8_t)sqlite3_column_int(s, 2);
		y->channels = (uint8_t)sqlite3_column_int(s, 3);
		int n = sqlite3_column_bytes(s, 4);
		const void *p = sqlite3_column_blob(s, 4);
		if (p && n > 0)
			memcpy(y->positions, p,
			       (size_t)n < sizeof(y->positions) ? (size_t)n : sizeof(y->positions));
		if ((uint32_t)i + 1 > c->nchmaps)
			c->nchmaps = (uint32_t)i + 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(r, rc, "reading config_chmap");
	x->has_config = c->nstreams + c->njacks + c->nchmaps > 0;

	/* Counts and time span from the rows present. */
	static const char *const tables[] = { "transport_event", "device_op", "chain", "chain_io",
					      "chain_end", "sink_event", "mark" };
	uint64_t first_id = UINT64_MAX, last_id = 0;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char q[160];
		int64_t v;
		snprintf(q, sizeof(q), "SELECT count(*) FROM %s", tables[i]);
		if ((rc = query_int(r, q, &v)))
			return rc;
		x->nevents += (uint64_t)v;
		if (!v)
			continue;
		snprintf(q, sizeof(q), "SELECT id FROM %s ORDER BY id LIMIT 1", tables[i]);
		if ((rc = query_int(r, q, &v)))
			return rc;
		if ((uint64_t)v < first_id) {
			first_id = (uint64_t)v;
			snprintf(q, sizeof(q), "SELECT t_ns FROM %s WHERE id = %lld", tables[i],
				 (long long)v);
			if ((rc = query_int(r, q, &v)))
				return rc;
			x->first_t_ns = (uint64_t)v;
		}
		snprintf(q, sizeof(q), "SELECT id FROM %s ORDER BY id DESC LIMIT 1", tables[i]);
		if ((rc = query_int(r, q, &v)))
			return rc;
		if ((uint64_t)v > last_id) {
			last_id = (uint64_t)v;
			snprintf(q, sizeof(q), "SELECT t_ns FROM %s WHERE id = %lld", tables[i],
				 (long long)v);
			if ((rc = query_int(r, q, &v)))
				return rc;
			x->last_t_ns = (uint64_t)v;
		}
	}
	return 0;
}

int vt_reader_open(const char *path, unsigned flags, struct vt_reader **out, char *err,
		   size_t errlen)
{
	*out = NULL;
	if (!path) {
		snprintf(err, errlen, "no session file given");
		return -VT_E_ARG;
	}
	struct vt_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		snprintf(err, errlen, "%s: out of memory", path);
		return -VT_E_NOMEM;
	}
	int rc = check_file(r, path);
	if (rc)
		goto fail;
	/* No connection mutex (reader.h: one thread at a time): in SQLite's default serialized
	 * mode every sqlite3_column_*() call takes it, a fifth of replay's CPU. */
	int src = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (src != SQLITE_OK) {
		rc = r->db ? sql_fail(r, src, "open")
			   : rfail(r, -VT_E_NOMEM, "%s: out of memory", path);
		goto fail;
	}
	sqlite3_busy_timeout(r->db, 5000);
	int64_t ntables = 0, appid = 0, version = 0, has_meta = 0;
	if ((rc = query_int(r, "SELECT count(*) FROM sqlite_master", &ntables)))
		goto fail;
	if (ntables == 0) {
		rc = rfail(r, -VT_E_EMPTY, "%s: empty SQLite database (no tables), not a vsndtrace "
					   "session", path);
		goto fail;
	}
	if ((rc = query_int(r, "PRAGMA application_id", &appid)) ||
	    (rc = query_int(r, "PRAGMA user_version", &version)) ||
	    (rc = query_int(r, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
			       " name = 'meta'", &has_meta)))
		goto fail;
	if (appid != VT_APPLICATION_ID || !has_meta) {
		rc = rfail(r, -VT_E_FOREIGN, "%s: an SQLite database but not a vsndtrace session "
					     "(application_id 0x%llx, expected 0x%x)", path,
			   (unsigned long long)(uint32_t)appid, VT_APPLICATION_ID);
		goto fail;
	}
	sqlite3_stmt *s = NULL;
	src = sqlite3_prepare_v2(r->db, "SELECT value FROM meta WHERE key = 'format'", -1, &s, NULL);
	int is_session = 0;
	if (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW)
		is_session = strcmp(col_text(s, 0), "vsndtrace-session") == 0;
	sqlite3_finalize(s);
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = sql_fail(r, src, "reading meta");
		goto fail;
	}
	if (!is_session) {
		rc = rfail(r, -VT_E_FOREIGN, "%s: a vsndtrace database but not a session "
					     "(meta format is not 'vsndtrace-session')", path);
		goto fail;
	}
	if (version < VT_READER_MIN_VERSION || version > VT_READER_MAX_VERSION) {
		rc = rfail(r, -VT_E_VERSION,
			   "%s: session schema version %lld is not supported: this vsndtrace reads "
			   "version %d%s%s", path, (long long)version, VT_READER_MAX_VERSION,
			   version > VT_READER_MAX_VERSION ? " (the file was written by a newer "
							     "vsndtrace; upgrade to read it)"
							   : "",
			   version < VT_READER_MIN_VERSION ? " (the file is older than any "
							     "supported version; re-record it)"
							   : "");
		goto fail;
	}
	static const char *const need[] = { "session", "config_stream", "config_jack",
					    "config_chmap", "transport_event", "device_op",
					    "chain", "descriptor", "chain_io", "chain_end", "pcm",
					    "control", "pcm_params", "vq_event", "sink_event",
					    "mark" };
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		char q[128];
		int64_t have;
		snprintf(q, sizeof(q), "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
				       " name = '%s'", need[i]);
		if ((rc = query_int(r, q, &have)))
			goto fail;
		if (!have) {
			rc = rfail(r, -VT_E_CORRUPT, "%s: damaged session: table '%s' is missing",
				   path, need[i]);
			goto fail;
		}
	}
	if (!(flags & VT_READER_NO_CHECK)) {
		/* Big sessions: check the metadata tables only (the bulk is checked as it is
		 * read: damage there gives VT_E_CORRUPT from the call that meets it). */
		struct stat st;
		int whole = (flags & VT_READER_INTEGRITY) ||
			    (stat(path, &st) == 0 &&
			     (unsigned long long)st.st_size <= VT_READER_CHECK_ALL_BYTES);
		static const char *const small[] = { "meta", "session", "config_stream",
						     "config_jack", "config_chmap", "control",
						     "pcm_params" };
		size_t nq = whole ? 1 : sizeof(small) / sizeof(small[0]);
		for (size_t i = 0; i < nq; i++) {
			char q[96];
			if (flags & VT_READER_INTEGRITY)
				snprintf(q, sizeof(q), "PRAGMA integrity_check(1)");
			else if (whole)
				snprintf(q, sizeof(q), "PRAGMA quick_check(1)");
			else
				snprintf(q, sizeof(q), "PRAGMA quick_check(%s)", small[i]);
			src = sqlite3_prepare_v2(r->db, q, -1, &s, NULL);
			char res[256] = "";
			if (src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW)
				snprintf(res, sizeof(res), "%s", col_text(s, 0));
			sqlite3_finalize(s);
			if (src != SQLITE_ROW && src != SQLITE_DONE) {
				rc = sql_fail(r, src, "integrity check");
				goto fail;
			}
			if (strcmp(res, "ok") != 0) {
				rc = rfail(r, -VT_E_CORRUPT, "%s: damaged session database: %s",
					   path, res);
				goto fail;
			}
		}
	}
	if ((rc = load_session(r)))
		goto fail;
	*out = r;
	return 0;
fail:
	snprintf(err, errlen, "%s", r->errmsg);
	vt_reader_close(r);
	return rc;
}

void vt_reader_close(struct vt_reader *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->pcm_at);
	sqlite3_finalize(r->pcm_after);
	if (r->db)
		sqlite3_close(r->db);
	for (int i = 0; i < 9; i++)
		free(r->strs[i]);
	free(r->path);
	free(r);
}

sqlite3 *vt_reader_db(struct vt_reader *r)
{
	return r->db;
}

const struct vt_session *vt_reader_session(struct vt_reader *r)
{
	return &r->s;
}

/* ---- events in order --------------------------------------------------------------------- */

enum { Q_TRANSPORT, Q_DEVOP, Q_CHAIN, Q_IO, Q_END, Q_SINK, Q_MARK, NQ };

static const char *const iter_sql[NQ] = {
	[Q_TRANSPORT] = "SELECT id, t_ns, ticks, kind, queue, value, num, features, desc_addr,"
			" avail_addr, used_addr FROM transport_event ORDER BY id",
	[Q_DEVOP] = "SELECT id, t_ns, ticks, op, off, len, data FROM device_op ORDER BY id",
	[Q_CHAIN] = "SELECT id, t_ns, ticks, queue, head, seq, rlen, wlen, malformed FROM chain"
		    " ORDER BY id",
	[Q_IO] = "SELECT io.id, io.t_ns, io.ticks, io.chain, io.dir, io.off, io.req_len, io.len,"
		 " io.data, p.chain_off, p.data FROM chain_io io LEFT JOIN pcm p ON p.id = io.pcm"
		 " ORDER BY io.id",
	[Q_END] = "SELECT id, t_ns, ticks, chain, outcome, used_len FROM chain_end ORDER BY id",
	[Q_SINK] = "SELECT id, t_ns, ticks, stream, kind, rc, bytes, duration_ns, stream_offset,"
		   " pcm_offset, data, direction, format, channels, rate, rate_hz, frame_bytes,"
		   " period_bytes, buffer_bytes, msg FROM sink_event ORDER BY id",
	[Q_MARK] = "SELECT id, t_ns, ticks, text FROM mark ORDER BY id",
};

struct vt_iter {
	struct vt_reader *r;
	sqlite3_stmt *q[NQ];
	int state[NQ];  /* 0 need step, 1 has row, 2 done */
	sqlite3_stmt *descs;
	uint8_t *buf;
	size_t cap;
	struct vsnd_desc *dv;
	size_t dcap;
	char *text;
	size_t tcap;
	int64_t last_id; /* id of the event returned last (valid once `started`) */
	int started;
};

int vt_iter_open(struct vt_reader *r, struct vt_iter **out)
{
	*out = NULL;
	struct vt_iter *it = calloc(1, sizeof(*it));
	if (!it)
		return rfail(r, -VT_E_NOMEM, "out of memory");
	it->r = r;
	for (int i = 0; i < NQ; i++) {
		int rc = sqlite3_prepare_v2(r->db, iter_sql[i], -1, &it->q[i], NULL);
		if (rc != SQLITE_OK) {
			int e = sql_fail(r, rc, "preparing the event iterator");
			vt_iter_close(it);
			return e;
		}
	}
	int rc = sqlite3_prepare_v2(r->db, "SELECT addr, len, flags, next FROM descriptor WHERE"
					   " chain = ? ORDER BY idx", -1, &it->descs, NULL);
	if (rc != SQLITE_OK) {
		int e = sql_fail(r, rc, "preparing the event iterator");
		vt_iter_close(it);
		return e;
	}
	*out = it;
	return 0;
}

void vt_iter_close(struct vt_iter *it)
{
	if (!it)
		return;
	for (int i = 0; i < NQ; i++)
		sqlite3_finalize(it->q[i]);
	sqlite3_finalize(it->descs);
	free(it->buf);
	free(it->dv);
	free(it->text);
	free(it);
}

static uint8_t *iter_buf(struct vt_iter *it, size_t n)
{
	if (n > it->cap) {
		size_t nc = it->cap ? it->cap : 4096;
		while (nc < n)
			nc *= 2;
		uint8_t *nb = realloc(it->buf, nc);
		if (!nb)
			return NULL;
		it->buf = nb;
		it->cap = nc;
	}
	return it->buf;
}

static const char *iter_text(struct vt_iter *it, sqlite3_stmt *s, int col)
{
	const char *t = col_text(s, col);
	size_t n = strlen(t) + 1;
	if (n > it->tcap) {
		char *nt = realloc(it->text, n);
		if (!nt)
			return "";
		it->text = nt;
		it->tcap = n;
	}
	memcpy(it->text, t, n);
	return it->text;
}

/* Append to it->buf at *len the PCM bytes of stream from pcm offset `from`, n bytes. */
static int resolve_pcm(struct vt_iter *it, uint32_t stream, uint64_t from, uint32_t n)
{
	struct vt_reader *r = it->r;
	int rc;
	if (!r->pcm_at &&
	    ((rc = sqlite3_prepare_v2(r->db, "SELECT stream_offset, data FROM pcm WHERE stream = ?1"
					     " AND stream_offset <= ?2 ORDER BY stream_offset DESC"
					     " LIMIT 1", -1, &r->pcm_at, NULL)) != SQLITE_OK ||
	     (rc = sqlite3_prepare_v2(r->db, "SELECT stream_offset, data FROM pcm WHERE stream = ?1"
					     " AND stream_offset > ?2 AND stream_offset < ?3 ORDER BY"
					     " stream_offset", -1, &r->pcm_after, NULL)) != SQLITE_OK))
		return sql_fail(r, rc, "resolving sink bytes");
	/* One sink call moves at most one buffer; the device refuses buffers above 16 MiB
	 * (SET_PARAMS), so a larger count can only come from a damaged row. */
	if (n > (16u << 20))
		return rfail(r, -VT_E_CORRUPT, "%s: damaged: a sink write of %u bytes", r->path, n);
	uint8_t *dst = iter_buf(it, n ? n : 1);
	if (!dst)
		return rfail(r, -VT_E_NOMEM, "out of memory");
	uint64_t got = 0;
	for (int pass = 0; pass < 2; pass++) {
		sqlite3_stmt *s = pass == 0 ? r->pcm_at : r->pcm_after;
		sqlite3_bind_int64(s, 1, stream);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)from);
		if (pass)
			sqlite3_bind_int64(s, 3, (sqlite3_int64)(from + n));
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			uint64_t off = (uint64_t)sqlite3_column_int64(s, 0);
			const uint8_t *p = sqlite3_column_blob(s, 1);
			uint64_t len = (uint64_t)sqlite3_column_bytes(s, 1);
			/* Copy the overlap of [off, off+len) with [from, from+n). */
			uint64_t a = off > from ? off : from;
			uint64_t b = off + len < from + n ? off + len : from + n;
			if (b > a && p) {
				memcpy(dst + (a - from), p + (a - off), b - a);
				got += b - a;
			}
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return sql_fail(r, rc, "resolving sink bytes");
	}
	if (got != n)
		return rfail(r, -VT_E_CORRUPT, "%s: damaged: a sink write refers to %u PCM bytes of "
					       "stream %u at offset %llu that are not stored", r->path,
			     n, stream, (unsigned long long)from);
	return 0;
}

int vt_iter_next(struct vt_iter *it, struct vt_event *ev)
{
	struct vt_reader *r = it->r;
	int best = -1;
	int64_t best_id = 0;
	for (int i = 0; i < NQ; i++) {
		if (it->state[i] == 0) {
			int rc = sqlite3_step(it->q[i]);
			if (rc == SQLITE_ROW)
				it->state[i] = 1;
			else if (rc == SQLITE_DONE)
				it->state[i] = 2;
			else
				return sql_fail(r, rc, "reading events");
		}
		if (it->state[i] == 1) {
			int64_t id = sqlite3_column_int64(it->q[i], 0);
			if (best < 0 || id < best_id) {
				best = i;
				best_id = id;
			}
		}
	}
	if (best < 0)
		return 0;
	/* Ids are one sequence shared by every event table (schemas/trace_v1.sql): a repeated
	 * or backwards id is damage that PRAGMA integrity_check cannot see (each table alone is
	 * a valid b-tree). */
	if (it->started && best_id <= it->last_id)
		return rfail(r, -VT_E_CORRUPT,
			     "%s: damaged session: event id %lld appears twice (or out of order) in the"
			     " event tables", r->path, (long long)best_id);
	it->started = 1;
	it->last_id = best_id;
	sqlite3_stmt *s = it->q[best];
	it->state[best] = 0;
	memset(ev, 0, sizeof(*ev));
	ev->id = (uint64_t)best_id;
	ev->t_ns = (uint64_t)sqlite3_column_int64(s, 1);
	ev->ticks = (uint64_t)sqlite3_column_int64(s, 2);
	ev->stream = UINT32_MAX;
	ev->text = "";
	switch (best) {
	case Q_TRANSPORT: {
		struct vmmio_event *t = &ev->u.transport;
		ev->kind = VT_EV_TRANSPORT;
		t->kind = (enum vmmio_ev_kind)sqlite3_column_int(s, 3);
		t->queue = (uint32_t)sqlite3_column_int64(s, 4);
		t->value = (uint32_t)sqlite3_column_int64(s, 5);
		t->num = (uint32_t)sqlite3_column_int64(s, 6);
		t->features = (uint64_t)sqlite3_column_int64(s, 7);
		t->desc = (uint64_t)sqlite3_column_int64(s, 8);
		t->avail = (uint64_t)sqlite3_column_int64(s, 9);
		t->used = (uint64_t)sqlite3_column_int64(s, 10);
		break;
	}
	case Q_DEVOP: {
		int op = sqlite3_column_int(s, 3);
		ev->kind = op == 1 ? VT_EV_CONFIG_READ : op == 2 ? VT_EV_DRIVER_OK
								 : VT_EV_DEVICE_RESET;
		if (op == 1) {
			ev->u.cfg.off = (uint32_t)sqlite3_column_int64(s, 4);
			ev->u.cfg.len = (uint32_t)sqlite3_column_int64(s, 5);
			int n = sqlite3_column_bytes(s, 6);
			uint8_t *b = iter_buf(it, (size_t)n + 1);
			if (!b)
				return rfail(r, -VT_E_NOMEM, "out of memory");
			if (n)
				memcpy(b, sqlite3_column_blob(s, 6), (size_t)n);
			ev->data = b;
			ev->data_len = (uint32_t)n;
		}
		break;
	}
	case Q_CHAIN: {
		ev->kind = VT_EV_CHAIN;
		ev->chain = ev->id;
		ev->u.chain.queue = (uint16_t)sqlite3_column_int(s, 3);
		ev->u.chain.head = (uint16_t)sqlite3_column_int(s, 4);
		ev->u.chain.seq = (uint64_t)sqlite3_column_int64(s, 5);
		ev->u.chain.rlen = (uint32_t)sqlite3_column_int64(s, 6);
		ev->u.chain.wlen = (uint32_t)sqlite3_column_int64(s, 7);
		ev->u.chain.malformed = sqlite3_column_int(s, 8);
		sqlite3_bind_int64(it->descs, 1, best_id);
		size_t nd = 0;
		int rc;
		while ((rc = sqlite3_step(it->descs)) == SQLITE_ROW) {
			if (nd == it->dcap) {
				size_t nc = it->dcap ? it->dcap * 2 : 16;
				struct vsnd_desc *nv = realloc(it->dv, nc * sizeof(*nv));
				if (!nv) {
					sqlite3_reset(it->descs);
					return rfail(r, -VT_E_NOMEM, "out of memory");
				}
				it->dv = nv;
				it->dcap = nc;
			}
			struct vsnd_desc *d = &it->dv[nd++];
			d->addr = (uint64_t)sqlite3_column_int64(it->descs, 0);
			d->len = (uint32_t)sqlite3_column_int64(it->descs, 1);
			d->flags = (uint16_t)sqlite3_column_int(it->descs, 2);
			d->next = (uint16_t)sqlite3_column_int(it->descs, 3);
		}
		sqlite3_reset(it->descs);
		if (rc != SQLITE_DONE)
			return sql_fail(r, rc, "reading descriptors");
		ev->u.chain.ndescs = (uint32_t)nd;
		ev->u.chain.descs = nd ? it->dv : NULL;
		break;
	}
	case Q_IO: {
		ev->kind = sqlite3_column_int(s, 4) == 0 ? VT_EV_CHAIN_READ : VT_EV_CHAIN_WRITE;
		ev->chain = (uint64_t)sqlite3_column_int64(s, 3);
		ev->u.io.off = (uint32_t)sqlite3_column_int64(s, 5);
		ev->u.io.req_len = (uint32_t)sqlite3_column_int64(s, 6);
		ev->u.io.len = (uint32_t)sqlite3_column_int64(s, 7);
		const uint8_t *d = sqlite3_column_blob(s, 8);
		size_t dn = (size_t)sqlite3_column_bytes(s, 8);
		int has_pcm = sqlite3_column_type(s, 10) != SQLITE_NULL;
		const uint8_t *p = has_pcm ? sqlite3_column_blob(s, 10) : NULL;
		size_t pn = has_pcm ? (size_t)sqlite3_column_bytes(s, 10) : 0;
		uint64_t pat = has_pcm ? (uint64_t)sqlite3_column_int64(s, 9) : 0;
		size_t len = ev->u.io.len;
		/* The declared length must match the stored bytes before anything is allocated
		 * from it: a damaged row must not make the reader allocate gigabytes. */
		if (has_pcm ? dn + pn != len : dn != len)
			return rfail(r, -VT_E_CORRUPT, "%s: damaged: chain_io %llu holds %zu bytes, "
						       "expected %zu", r->path,
				     (unsigned long long)ev->id, dn + pn, len);
		uint8_t *b = iter_buf(it, len + 1);
		if (!b)
			return rfail(r, -VT_E_NOMEM, "out of memory");
		if (has_pcm) {
			uint64_t pre = pat - ev->u.io.off;
			if (pat < ev->u.io.off || pre > dn)
				return rfail(r, -VT_E_CORRUPT, "%s: damaged: chain_io %llu does not "
							       "match its pcm row", r->path,
					     (unsigned long long)ev->id);
			if (pre)
				memcpy(b, d, pre);
			if (pn)
				memcpy(b + pre, p, pn);
			if (dn - pre)
				memcpy(b + pre + pn, d + pre, dn - pre);
			ev->u.io.pcm = ev->id;
		} else {
			if (dn != len)
				return rfail(r, -VT_E_CORRUPT, "%s: damaged: chain_io %llu holds %zu "
							       "bytes, expected %zu", r->path,
					     (unsigned long long)ev->id, dn, len);
			if (dn)
				memcpy(b, d, dn);
		}
		ev->data = b;
		ev->data_len = (uint32_t)len;
		break;
	}
	case Q_END:
		ev->chain = (uint64_t)sqlite3_column_int64(s, 3);
		ev->kind = sqlite3_column_int(s, 4) == 0 ? VT_EV_CHAIN_COMPLETE : VT_EV_CHAIN_DISCARD;
		ev->u.end.used_len = (uint32_t)sqlite3_column_int64(s, 5);
		break;
	case Q_SINK: {
		int kind = sqlite3_column_int(s, 4);
		ev->stream = (uint32_t)sqlite3_column_int64(s, 3);
		switch (kind) {
		case 1: {
			struct vsnd_pcm_params *p = &ev->u.open.params;
			ev->kind = VT_EV_SINK_OPEN;
			ev->u.open.rc = sqlite3_column_int(s, 5);
			p->stream_id = ev->stream;
			p->direction = (uint8_t)sqlite3_column_int(s, 11);
			p->format = (uint8_t)sqlite3_column_int(s, 12);
			p->channels = (uint8_t)sqlite3_column_int(s, 13);
			p->rate_index = (uint8_t)sqlite3_column_int(s, 14);
			p->rate_hz = (uint32_t)sqlite3_column_int64(s, 15);
			p->frame_bytes = (uint32_t)sqlite3_column_int64(s, 16);
			p->period_bytes = (uint32_t)sqlite3_column_int64(s, 17);
			p->buffer_bytes = (uint32_t)sqlite3_column_int64(s, 18);
			break;
		}
		case 2:
		case 3: {
			ev->kind = kind == 2 ? VT_EV_SINK_WRITE : VT_EV_SINK_READ;
			ev->u.sio.rc = sqlite3_column_int(s, 5);
			ev->u.sio.bytes = (uint32_t)sqlite3_column_int64(s, 6);
			ev->u.sio.duration_ns = (uint64_t)sqlite3_column_int64(s, 7);
			ev->u.sio.stream_offset = (uint64_t)sqlite3_column_int64(s, 8);
			if (sqlite3_column_type(s, 10) == SQLITE_NULL &&
			    sqlite3_column_type(s, 9) != SQLITE_NULL) {
				int rc = resolve_pcm(it, ev->stream,
						     (uint64_t)sqlite3_column_int64(s, 9),
						     ev->u.sio.bytes);
				if (rc)
					return rc;
				ev->data_len = ev->u.sio.bytes;
			} else {
				size_t n = (size_t)sqlite3_column_bytes(s, 10);
				uint8_t *b = iter_buf(it, n + 1);
				if (!b)
					return rfail(r, -VT_E_NOMEM, "out of memory");
				if (n)
					memcpy(b, sqlite3_column_blob(s, 10), n);
				ev->data_len = (uint32_t)n;
			}
			ev->data = it->buf;
			if (sqlite3_column_type(s, 19) != SQLITE_NULL)
				ev->text = iter_text(it, s, 19);
			break;
		}
		case 4:
			ev->kind = VT_EV_SINK_CLOSE;
			break;
		default:
			ev->kind = VT_EV_SINK_REPORT;
			ev->u.report.ev = kind == 5 ? VSND_SINK_EV_UNDERRUN
					  : kind == 6 ? VSND_SINK_EV_XRUN
						      : VSND_SINK_EV_ERROR;
			ev->u.report.err = sqlite3_column_int(s, 5);
			ev->text = iter_text(it, s, 19);
			break;
		}
		break;
	}
	case Q_MARK:
		ev->kind = VT_EV_MARK;
		ev->text = iter_text(it, s, 3);
		break;
	}
	return 1;
}

int vt_reader_pcm(struct vt_reader *r, uint32_t stream,
		  int (*cb)(void *ctx, const struct vt_pcm *p), void *ctx)
{
	sqlite3_stmt *s = NULL;
	const char *sql = stream == UINT32_MAX
		? "SELECT id, chain, stream, direction, seq, stream_offset, bytes, frames, t_ns,"
		  " ticks, data FROM pcm ORDER BY stream, stream_offset"
		: "SELECT id, chain, stream, direction, seq, stream_offset, bytes, frames, t_ns,"
		  " ticks, data FROM pcm WHERE stream = ?1 ORDER BY stream_offset";
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(r, rc, "reading pcm");
	if (stream != UINT32_MAX)
		sqlite3_bind_int64(s, 1, stream);
	int ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct vt_pcm p = { 0 };
		p.id = (uint64_t)sqlite3_column_int64(s, 0);
		p.chain = (uint64_t)sqlite3_column_int64(s, 1);
		p.stream = sqlite3_column_type(s, 2) == SQLITE_NULL
				   ? UINT32_MAX
				   : (uint32_t)sqlite3_column_int64(s, 2);
		p.direction = (uint8_t)sqlite3_column_int(s, 3);
		p.seq = (uint64_t)sqlite3_column_int64(s, 4);
		p.stream_offset = (uint64_t)sqlite3_column_int64(s, 5);
		p.bytes = (uint32_t)sqlite3_column_int64(s, 6);
		p.frames = sqlite3_column_type(s, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 7);
		p.t_ns = (uint64_t)sqlite3_column_int64(s, 8);
		p.ticks = (uint64_t)sqlite3_column_int64(s, 9);
		p.data = sqlite3_column_blob(s, 10);
		if ((uint32_t)sqlite3_column_bytes(s, 10) != p.bytes) {
			sqlite3_finalize(s);
			return rfail(r, -VT_E_CORRUPT, "%s: damaged: pcm row %llu size mismatch",
				     r->path, (unsigned long long)p.id);
		}
		if ((ret = cb(ctx, &p)) != 0)
			break;
	}
	sqlite3_finalize(s);
	if (ret)
		return ret;
	if (rc != SQLITE_DONE)
		return sql_fail(r, rc, "reading pcm");
	return 0;
}
