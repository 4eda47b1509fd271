/* cmd_diff.c - `vsndtrace diff A B [--json] [--timing PCT]`: what differs between two recorded
 * sessions, most important first: device config, control commands, per-stream params and PCM. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/reader.h"
#include "trace/stats.h"
#include "vsnd/virtio_snd.h"
#include "vsndtrace/cli.h"

#define DIFF_JSON_FORMAT "vsndtrace-diff/1"
#define MAX_CFG_LINES 16 /* config differences kept for output; all are counted */

static void help(void)
{
	printf("usage: vsndtrace diff A B [--json] [--timing PCT]\n\n"
	       "Compares two recorded sessions of the same scenario (before/after a change, two\n"
	       "guest kernels, two device configurations) and says what differs, most important\n"
	       "first; each section prints \"same\" or the first difference with the event/chain\n"
	       "ids and times (s from the session's first event) in both files:\n"
	       "  config    device configuration: streams (direction, formats, rates, channels),\n"
	       "            jacks, channel maps\n"
	       "  control   control commands in order (code, target, request bytes, status,\n"
	       "            response bytes): the first mismatch and how many there are\n"
	       "  stream N  accepted PCM parameters in order, PCM bytes and frames, and the PCM\n"
	       "            content (the first differing byte as a frame number and a time\n"
	       "            offset in the stream; compared streaming, in bounded memory)\n"
	       "  timing    side by side, per output stream: period interval mean/p99/max,\n"
	       "            message latency p50, underruns, xruns, stalls, sink errors, and the\n"
	       "            session length (same figures as `vsndtrace stats`)\n\n"
	       "  --json        machine-readable output (keys documented in docs/diff-json.md)\n"
	       "  --timing PCT  timing also decides the exit status: the sessions differ if an\n"
	       "                interval mean/p99/max, latency p50 or the session length of B is\n"
	       "                more than PCT %% away from A's, or a count of underruns, xruns,\n"
	       "                stalls or sink errors differs\n"
	       "  -h, --help    this text\n\n"
	       "Without --timing, timing is informational only.\n"
	       "Exit status: 0 equivalent (config, control and PCM the same), 1 they differ,\n"
	       "2 usage error or unreadable session.\n");
}

struct side {
	const char *path;
	struct vt_reader *r;
	sqlite3 *db;
	const struct vt_session *s;
};

struct diff {
	struct side x[2];
	FILE *o; /* output, buffered in memory until the whole comparison succeeded */
	int json;
	int differ;
	char err[512]; /* set on a failed query: the run ends with exit status 2 */
};

static double rel_s(const struct side *sd, int64_t t)
{
	return (double)(t - (int64_t)sd->s->first_t_ns) / 1e9;
}

static int sql_err(struct diff *d, const struct side *sd, const char *what)
{
	if (!d->err[0])
		snprintf(d->err, sizeof(d->err), "%s: %s (%s): %s", sd->path,
			 vt_strerror(VT_E_CORRUPT), what, sqlite3_errmsg(sd->db));
	return -1;
}

static sqlite3_stmt *prep(struct diff *d, const struct side *sd, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(sd->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sql_err(d, sd, "query");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Steps st: 1 row, 0 done, -1 error (recorded in d). */
static int step(struct diff *d, const struct side *sd, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sql_err(d, sd, "reading");
}

/* Same SQL value (type and content) in column i of both rows. */
static int col_eq(sqlite3_stmt *a, sqlite3_stmt *b, int i)
{
	int ta = sqlite3_column_type(a, i), tb = sqlite3_column_type(b, i);
	if (ta != tb)
		return 0;
	switch (ta) {
	case SQLITE_NULL: return 1;
	case SQLITE_INTEGER: return sqlite3_column_int64(a, i) == sqlite3_column_int64(b, i);
	case SQLITE_FLOAT: return sqlite3_column_double(a, i) == sqlite3_column_double(b, i);
	default: {
		const void *pa = sqlite3_column_blob(a, i), *pb = sqlite3_column_blob(b, i);
		int na = sqlite3_column_bytes(a, i), nb = sqlite3_column_bytes(b, i);
		return na == nb && (!na || memcmp(pa, pb, (size_t)na) == 0);
	}
	}
}

/* First differing byte offset of two blob columns (the shorter length if one is a prefix);
 * the bytes there go to byte[0..1] (-1 past the end). */
static int blob_diff_at(sqlite3_stmt *a, sqlite3_stmt *b, int i, int byte[2])
{
	const uint8_t *pa = sqlite3_column_blob(a, i), *pb = sqlite3_column_blob(b, i);
	int na = pa ? sqlite3_column_bytes(a, i) : 0, nb = pb ? sqlite3_column_bytes(b, i) : 0;
	int n = na < nb ? na : nb, k = 0;
	while (k < n && pa[k] == pb[k])
		k++;
	byte[0] = k < na ? pa[k] : -1;
	byte[1] = k < nb ? pb[k] : -1;
	return k;
}

static const char *dir_name(int64_t d)
{
	return d == VIRTIO_SND_D_OUTPUT ? "output" : d == VIRTIO_SND_D_INPUT ? "input" : "unknown";
}

/* ---- 1. device configuration ---------------------------------------------------------- */

struct cfg_diff {
	char line[MAX_CFG_LINES][192];
	size_t n;
};

static void cfg_add(struct cfg_diff *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cfg_add(struct cfg_diff *c, const char *fmt, ...)
{
	if (c->n < MAX_CFG_LINES) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->line[c->n], sizeof(c->line[0]), fmt, ap);
		va_end(ap);
	}
	c->n++;
}

static void mask_text(char *buf, size_t n, uint64_t mask, int formats)
{
	size_t len = 0;
	buf[0] = 0;
	for (unsigned b = 0; b < 64 && len + 1 < n; b++) {
		if (!(mask >> b & 1))
			continue;
		int w;
		if (formats)
			w = snprintf(buf + len, n - len, "%s%s", len ? "+" : "",
				     vsnd_format_name((uint8_t)b));
		else if (vsnd_rate_hz((uint8_t)b))
			w = snprintf(buf + len, n - len, "%s%u", len ? "+" : "",
				     vsnd_rate_hz((uint8_t)b));
		else
			w = snprintf(buf + len, n - len, "%srate#%u", len ? "+" : "", b);
		if (w < 0)
			break;
		len += (size_t)w < n - len ? (size_t)w : n - len - 1;
	}
	if (!len)
		snprintf(buf, n, "none");
}

static uint32_t clampu(uint32_t v, uint32_t max)
{
	return v < max ? v : max;
}

static void diff_config(const struct vsnd_config *a, const struct vsnd_config *b,
			struct cfg_diff *c)
{
	char ma[160], mb[160];
	if (a->nstreams != b->nstreams)
		cfg_add(c, "streams: %u vs %u", a->nstreams, b->nstreams);
	uint32_t ns = clampu(a->nstreams < b->nstreams ? a->nstreams : b->nstreams,
			     VSND_MAX_STREAMS);
	for (uint32_t i = 0; i < ns; i++) {
		const struct vsnd_stream_cfg *x = &a->streams[i], *y = &b->streams[i];
		if (x->direction != y->direction)
			cfg_add(c, "stream %u direction: %s vs %s", i, dir_name(x->direction),
				dir_name(y->direction));
		/* masks: only the members one side lacks */
		if (x->formats != y->formats) {
			mask_text(ma, sizeof(ma), x->formats & ~y->formats, 1);
			mask_text(mb, sizeof(mb), y->formats & ~x->formats, 1);
			cfg_add(c, "stream %u formats: only in A %s, only in B %s", i, ma, mb);
		}
		if (x->rates != y->rates) {
			mask_text(ma, sizeof(ma), x->rates & ~y->rates, 0);
			mask_text(mb, sizeof(mb), y->rates & ~x->rates, 0);
			cfg_add(c, "stream %u rates: only in A %s, only in B %s", i, ma, mb);
		}
		if (x->channels_min != y->channels_min || x->channels_max != y->channels_max)
			cfg_add(c, "stream %u channels: %u..%u vs %u..%u", i, x->channels_min,
				x->channels_max, y->channels_min, y->channels_max);
		if (x->features != y->features)
			cfg_add(c, "stream %u features: 0x%x vs 0x%x", i, x->features, y->features);
		if (x->hda_fn_nid != y->hda_fn_nid)
			cfg_add(c, "stream %u nid: %u vs %u", i, x->hda_fn_nid, y->hda_fn_nid);
	}
	if (a->njacks != b->njacks)
		cfg_add(c, "jacks: %u vs %u", a->njacks, b->njacks);
	uint32_t nj = clampu(a->njacks < b->njacks ? a->njacks : b->njacks, VSND_MAX_JACKS);
	for (uint32_t i = 0; i < nj; i++) {
		const struct vsnd_jack_cfg *x = &a->jacks[i], *y = &b->jacks[i];
		if (x->connected != y->connected)
			cfg_add(c, "jack %u: %s vs %s", i,
				x->connected ? "connected" : "disconnected",
				y->connected ? "connected" : "disconnected");
		if (x->hda_fn_nid != y->hda_fn_nid || x->features != y->features ||
		    x->hda_reg_defconf != y->hda_reg_defconf || x->hda_reg_caps != y->hda_reg_caps)
			cfg_add(c,
				"jack %u nid/features/defconf/caps: %u/0x%x/0x%x/0x%x vs "
				"%u/0x%x/0x%x/0x%x",
				i, x->hda_fn_nid, x->features, x->hda_reg_defconf, x->hda_reg_caps,
				y->hda_fn_nid, y->features, y->hda_reg_defconf, y->hda_reg_caps);
	}
	if (a->nchmaps != b->nchmaps)
		cfg_add(c, "chmaps: %u vs %u", a->nchmaps, b->nchmaps);
	uint32_t nc = clampu(a->nchmaps < b->nchmaps ? a->nchmaps : b->nchmaps, VSND_MAX_CHMAPS);
	for (uint32_t i = 0; i < nc; i++) {
		const struct vsnd_chmap_cfg *x = &a->chmaps[i], *y = &b->chmaps[i];
		if (x->hda_fn_nid != y->hda_fn_nid || x->direction != y->direction ||
		    x->channels != y->channels ||
		    memcmp(x->positions, y->positions, sizeof(x->positions))) {
			size_t la = 0, lb = 0;
			unsigned cx = clampu(x->channels, VIRTIO_SND_CHMAP_MAX_SIZE);
			unsigned cy = clampu(y->channels, VIRTIO_SND_CHMAP_MAX_SIZE);
			ma[0] = mb[0] = 0;
			for (unsigned k = 0; k < cx; k++)
				la += (size_t)snprintf(ma + la, sizeof(ma) - la, "%s%u", k ? "," : "",
						       x->positions[k]);
			for (unsigned k = 0; k < cy; k++)
				lb += (size_t)snprintf(mb + lb, sizeof(mb) - lb, "%s%u", k ? "," : "",
						       y->positions[k]);
			cfg_add(c, "chmap %u: %s nid %u %u ch [%s] vs %s nid %u %u ch [%s]", i,
				dir_name(x->direction), x->hda_fn_nid, x->channels, ma,
				dir_name(y->direction), y->hda_fn_nid, y->channels, mb);
		}
	}
}

/* ---- ordered row sequences (control, pcm_params): first mismatch and a count ---------- */

/* What one side's row at the first mismatch was (copied: stepping goes on). */
struct row_snap {
	int present;	/* 0: this side has no row at that index */
	int64_t chain, t_ns;
	int64_t v[8];	/* the compared integer columns */
	int null[8];	/* and whether they were NULL */
};

struct seq_diff {
	uint64_t count[2];
	uint64_t mismatches; /* indices < min(count) where the rows differ */
	int have_first;
	uint64_t index;
	unsigned fields;     /* bit i: compared column i differs */
	int req_at, resp_at; /* control: first differing request/response byte */
	int req_len[2], resp_len[2];
	int req_byte[2], resp_byte[2]; /* the bytes there, -1 past the end */
	struct row_snap snap[2];
};

/* Columns: 0 chain, 1 t_ns, then ncmp compared columns. */
static void snap(sqlite3_stmt *st, int ncmp, struct row_snap *s)
{
	s->present = 1;
	s->chain = sqlite3_column_int64(st, 0);
	s->t_ns = sqlite3_column_int64(st, 1);
	for (int i = 0; i < ncmp && i < 8; i++) {
		s->null[i] = sqlite3_column_type(st, 2 + i) == SQLITE_NULL;
		s->v[i] = sqlite3_column_int64(st, 2 + i);
	}
}

/* Walks both statements (columns: chain, t_ns, then ncmp compared ones) in lockstep, rows
 * aligned by position. req_col / resp_col (-1: none) are compared columns holding blobs whose
 * first differing byte is kept. Returns 0, or -1 on a failed query. */
static int diff_rows(struct diff *d, sqlite3_stmt *st[2], int ncmp, int req_col, int resp_col,
		     struct seq_diff *q)
{
	memset(q, 0, sizeof(*q));
	int more[2] = {1, 1}; /* a statement that returned DONE is not stepped again */
	for (;;) {
		int ra = step(d, &d->x[0], st[0]);
		int rb = step(d, &d->x[1], st[1]);
		if (ra < 0 || rb < 0)
			return -1;
		q->count[0] += (uint64_t)ra;
		q->count[1] += (uint64_t)rb;
		more[0] = ra;
		more[1] = rb;
		if (!ra || !rb) {
			if ((ra || rb) && !q->have_first) {
				q->have_first = 1;
				q->index = ra ? q->count[0] - 1 : q->count[1] - 1;
				q->fields = 0;
				snap(st[ra ? 0 : 1], ncmp, &q->snap[ra ? 0 : 1]);
			}
			break;
		}
		unsigned f = 0;
		for (int i = 0; i < ncmp; i++)
			if (!col_eq(st[0], st[1], 2 + i))
				f |= 1u << i;
		if (!f)
			continue;
		q->mismatches++;
		if (q->have_first)
			continue;
		q->have_first = 1;
		q->index = q->count[0] - 1;
		q->fields = f;
		for (int k = 0; k < 2; k++) {
			snap(st[k], ncmp, &q->snap[k]);
			if (req_col >= 0)
				q->req_len[k] = sqlite3_column_bytes(st[k], 2 + req_col);
			if (resp_col >= 0)
				q->resp_len[k] = sqlite3_column_bytes(st[k], 2 + resp_col);
		}
		if (req_col >= 0)
			q->req_at = blob_diff_at(st[0], st[1], 2 + req_col, q->req_byte);
		if (resp_col >= 0)
			q->resp_at = blob_diff_at(st[0], st[1], 2 + resp_col, q->resp_byte);
	}
	/* count the rest of the longer side */
	for (int k = 0; k < 2; k++) {
		int r = 0;
		while (more[k] && (r = step(d, &d->x[k], st[k])) == 1)
			q->count[k]++;
		if (r < 0)
			return -1;
	}
	return 0;
}

static int seq_same(const struct seq_diff *q)
{
	return q->count[0] == q->count[1] && !q->mismatches;
}

/* control: compared columns code, target, request, status, response */
enum { C_CODE, C_TARGET, C_REQ, C_STATUS, C_RESP, C_N };
static const char *const ctl_field[C_N] = {"code", "target", "request", "status", "response"};

static const char *code_or_null(const struct row_snap *s, int col, int status)
{
	if (s->null[col])
		return "none";
	return status ? ts_status_name((uint32_t)s->v[col]) : ts_code_name((uint32_t)s->v[col]);
}

static void text_ctl_row(struct diff *d, int k, const struct row_snap *s)
{
	FILE *o = d->o;
	if (!s->present) {
		fprintf(o, "%c -", "AB"[k]);
		return;
	}
	fprintf(o, "%c chain %" PRId64 " at %.6f s %s", "AB"[k], s->chain, rel_s(&d->x[k], s->t_ns),
		code_or_null(s, C_CODE, 0));
	if (!s->null[C_TARGET])
		fprintf(o, " target %" PRId64, s->v[C_TARGET]);
	fprintf(o, " -> %s", code_or_null(s, C_STATUS, 1));
}

static void text_bytes(FILE *o, const char *what, const int len[2], int at, const int byte[2])
{
	fprintf(o, "    %s: %d vs %d bytes, first difference at byte %d:", what, len[0], len[1],
		at);
	for (int k = 0; k < 2; k++) {
		if (byte[k] < 0)
			fprintf(o, " %c ends", "AB"[k]);
		else
			fprintf(o, " %c 0x%02x", "AB"[k], byte[k]);
	}
	fputc('\n', o);
}

/* "first at #N, differs in: F G" or "first at #N, only A has it" (no newline). */
static void text_first(FILE *o, const struct seq_diff *q, const char *const *names, int n)
{
	fprintf(o, "first at #%" PRIu64, q->index);
	if (q->fields) {
		fprintf(o, ", differs in:");
		for (int i = 0; i < n; i++)
			if (q->fields >> i & 1)
				fprintf(o, " %s", names[i]);
	} else {
		fprintf(o, ", only %s has it", q->snap[0].present ? "A" : "B");
	}
}

/* "KEY":{"same":..,"count_a":..,"count_b":..,"mismatches":..,"first": then, when there is a
 * first mismatch, {"index":N,"fields":[..] (returns 1: the caller adds its members and
 * closes "first"), else null (returns 0). The caller closes KEY's object. */
static int json_seq_open(FILE *o, const char *key, const struct seq_diff *q,
			 const char *const *names, int n)
{
	fprintf(o,
		"\"%s\":{\"same\":%s,\"count_a\":%" PRIu64 ",\"count_b\":%" PRIu64
		",\"mismatches\":%" PRIu64 ",\"first\":",
		key, seq_same(q) ? "true" : "false", q->count[0], q->count[1], q->mismatches);
	if (!q->have_first) {
		fputs("null", o);
		return 0;
	}
	fprintf(o, "{\"index\":%" PRIu64 ",\"fields\":[", q->index);
	int k = 0;
	for (int i = 0; i < n; i++)
		if (q->fields >> i & 1)
			fprintf(o, "%s\"%s\"", k++ ? "," : "", names[i]);
	fputc(']', o);
	return 1;
}

static void text_control(struct diff *d, const struct seq_diff *q)
{
	FILE *o = d->o;
	if (seq_same(q)) {
		fprintf(o, "control   same (%" PRIu64 " commands)\n", q->count[0]);
		return;
	}
	fprintf(o, "control   DIFFER: %" PRIu64 " vs %" PRIu64 " commands, %" PRIu64
		   " mismatch%s in the first %" PRIu64 "\n",
		q->count[0], q->count[1], q->mismatches, q->mismatches == 1 ? "" : "es",
		q->count[0] < q->count[1] ? q->count[0] : q->count[1]);
	if (!q->have_first)
		return;
	fputs("  ", o);
	text_first(o, q, ctl_field, C_N);
	for (int k = 0; k < 2; k++) {
		fprintf(o, "\n    ");
		text_ctl_row(d, k, &q->snap[k]);
	}
	fputc('\n', o);
	if (q->fields & (1u << C_REQ))
		text_bytes(o, "request", q->req_len, q->req_at, q->req_byte);
	if (q->fields & (1u << C_RESP))
		text_bytes(o, "response", q->resp_len, q->resp_at, q->resp_byte);
}

static void json_ctl_row(struct diff *d, int k, const struct row_snap *s)
{
	FILE *o = d->o;
	if (!s->present) {
		fputs("null", o);
		return;
	}
	fprintf(o, "{\"chain\":%" PRId64 ",\"t_ns\":%" PRId64 ",\"t_s\":", s->chain, s->t_ns);
	cli_json_num(o, rel_s(&d->x[k], s->t_ns));
	fputs(",\"code\":", o);
	if (s->null[C_CODE])
		fputs("null", o);
	else
		fprintf(o, "%" PRId64, s->v[C_CODE]);
	fputs(",\"name\":", o);
	cli_json_str(o, code_or_null(s, C_CODE, 0));
	fputs(",\"target\":", o);
	if (s->null[C_TARGET])
		fputs("null", o);
	else
		fprintf(o, "%" PRId64, s->v[C_TARGET]);
	fputs(",\"status\":", o);
	if (s->null[C_STATUS])
		fputs("null", o);
	else
		fprintf(o, "%" PRId64, s->v[C_STATUS]);
	fputs(",\"status_name\":", o);
	cli_json_str(o, code_or_null(s, C_STATUS, 1));
	fputc('}', o);
}

static void json_control(struct diff *d, const struct seq_diff *q)
{
	FILE *o = d->o;
	if (!json_seq_open(o, "control", q, ctl_field, C_N)) {
		fputc('}', o);
		return;
	}
	fputs(",\"request_diff_at\":", o);
	if (q->fields & (1u << C_REQ))
		fprintf(o, "%d", q->req_at);
	else
		fputs("null", o);
	fputs(",\"response_diff_at\":", o);
	if (q->fields & (1u << C_RESP))
		fprintf(o, "%d", q->resp_at);
	else
		fputs("null", o);
	fputs(",\"a\":", o);
	json_ctl_row(d, 0, &q->snap[0]);
	fputs(",\"b\":", o);
	json_ctl_row(d, 1, &q->snap[1]);
	fputs("}}", o);
}

static int diff_control(struct diff *d, struct seq_diff *q)
{
	static const char sql[] = "SELECT chain, t_dequeued_ns, code, target, request, status,"
				  " response FROM control ORDER BY chain";
	sqlite3_stmt *st[2] = {prep(d, &d->x[0], sql), prep(d, &d->x[1], sql)};
	int rc = st[0] && st[1] ? diff_rows(d, st, C_N, C_REQ, C_RESP, q) : -1;
	sqlite3_finalize(st[0]);
	sqlite3_finalize(st[1]);
	return rc;
}

/* ---- 3. per stream: parameters, totals, content ------------------------------------ */

/* pcm_params compared columns */
enum { P_BUF, P_PERIOD, P_FEAT, P_CH, P_FMT, P_RATE, P_N };
static const char *const par_field[P_N] = {"buffer_bytes", "period_bytes", "features",
					   "channels",	   "format",	   "rate"};

struct pcm_side {
	int64_t rows, dir_min, dir_max;
	double bytes, frames;
	/* at the first content difference */
	int present;
	int64_t id, chain, seq, t_ns;
	int byte; /* the byte there, -1 past the end */
};

struct pcm_first {
	int have;
	uint64_t offset; /* byte offset in the stream's concatenated PCM */
	int have_frame;
	double frame, time_s; /* frame number and seconds into the stream (from A's params) */
};

struct stream_diff {
	int64_t id;
	struct seq_diff params;
	struct pcm_side p[2];
	uint64_t common, ndiff; /* bytes compared (min length) and how many of them differ */
	struct pcm_first first;
};

/* A cursor over one stream's PCM bytes in pcm_in_order order (seq): the row list is sorted
 * without the blobs, each blob is then read on its own, so memory stays one batch. */
struct pcur {
	struct side *sd;
	sqlite3_stmt *rows, *blob, *par;
	int64_t id, chain, seq, t_ns, frames, bytes;
	const uint8_t *data;
	int len, pos;
	double frames_before, secs_before; /* before the current batch; NAN if unknown */
	double fbytes, rate;		   /* of the current batch (0 if unknown) */
	int loaded;
};

static int pcur_open(struct diff *d, struct pcur *c, struct side *sd, int64_t stream)
{
	memset(c, 0, sizeof(*c));
	c->sd = sd;
	c->rows = prep(d, sd,
		       "SELECT id, chain, seq, t_ns, frames, bytes FROM pcm WHERE stream = ?1"
		       " ORDER BY seq, id");
	c->blob = prep(d, sd, "SELECT data FROM pcm WHERE id = ?1");
	c->par = prep(d, sd,
		      "SELECT rate_hz, frame_bytes FROM pcm_params WHERE stream = ?1 AND"
		      " chain <= ?2 ORDER BY chain DESC LIMIT 1");
	if (!c->rows || !c->blob || !c->par)
		return -1;
	sqlite3_bind_int64(c->rows, 1, stream);
	sqlite3_bind_int64(c->par, 1, stream);
	return 0;
}

static void pcur_close(struct pcur *c)
{
	sqlite3_finalize(c->rows);
	sqlite3_finalize(c->blob);
	sqlite3_finalize(c->par);
}

/* Makes at least one byte available: 1, 0 at the end, -1 on error. */
static int pcur_fill(struct diff *d, struct pcur *c)
{
	while (!c->loaded || c->pos >= c->len) {
		if (c->loaded) {
			/* account the finished batch */
			double fr = c->frames >= 0 ? (double)c->frames
				    : c->fbytes > 0 ? (double)c->bytes / c->fbytes
						    : NAN;
			c->frames_before += fr;
			c->secs_before += c->rate > 0 ? fr / c->rate : NAN;
		}
		sqlite3_reset(c->blob);
		int r = step(d, c->sd, c->rows);
		if (r <= 0)
			return r;
		c->id = sqlite3_column_int64(c->rows, 0);
		c->chain = sqlite3_column_int64(c->rows, 1);
		c->seq = sqlite3_column_int64(c->rows, 2);
		c->t_ns = sqlite3_column_int64(c->rows, 3);
		c->frames = sqlite3_column_type(c->rows, 4) == SQLITE_NULL
				? -1
				: sqlite3_column_int64(c->rows, 4);
		c->bytes = sqlite3_column_int64(c->rows, 5);
		sqlite3_reset(c->par);
		sqlite3_bind_int64(c->par, 2, c->chain);
		c->rate = 0;
		c->fbytes = 0;
		r = step(d, c->sd, c->par);
		if (r < 0)
			return -1;
		if (r) {
			c->rate = (double)sqlite3_column_int64(c->par, 0);
			c->fbytes = (double)sqlite3_column_int64(c->par, 1);
		}
		if (c->frames > 0 && c->bytes > 0)
			c->fbytes = (double)c->bytes / (double)c->frames;
		sqlite3_bind_int64(c->blob, 1, c->id);
		r = step(d, c->sd, c->blob);
		if (r < 0)
			return -1;
		c->data = r ? sqlite3_column_blob(c->blob, 0) : NULL;
		c->len = r && c->data ? sqlite3_column_bytes(c->blob, 0) : 0;
		c->pos = 0;
		c->loaded = 1;
	}
	return 1;
}

static void pcm_at(struct pcm_side *p, const struct pcur *c, int ok)
{
	p->present = ok;
	if (!ok) {
		p->byte = -1;
		return;
	}
	p->id = c->id;
	p->chain = c->chain;
	p->seq = c->seq;
	p->t_ns = c->t_ns;
	p->byte = c->data[c->pos];
}

/* Frame number and time of the first difference, counted in c's stream (A's, or B's when A
 * ended there); `at` says c has a byte there (else: c's whole stream is before it). */
static void first_at(struct stream_diff *s, const struct pcur *c, int at)
{
	s->first.have = 1;
	s->first.offset = s->common;
	if (!isfinite(c->frames_before))
		return;
	if (!at) {
		s->first.have_frame = 1;
		s->first.frame = c->frames_before;
		s->first.time_s = c->secs_before;
	} else if (c->fbytes > 0) {
		double fr = floor(c->pos / c->fbytes);
		s->first.have_frame = 1;
		s->first.frame = c->frames_before + fr;
		s->first.time_s = c->rate > 0 ? c->secs_before + fr / c->rate : NAN;
	}
}

static int diff_content(struct diff *d, struct stream_diff *s)
{
	struct pcur c[2];
	int rc = -1;
	memset(c, 0, sizeof(c)); /* pcur_close() of a cursor never opened */
	if (pcur_open(d, &c[0], &d->x[0], s->id) || pcur_open(d, &c[1], &d->x[1], s->id))
		goto out;
	for (;;) {
		int ra = pcur_fill(d, &c[0]), rb = ra < 0 ? -1 : pcur_fill(d, &c[1]);
		if (ra < 0 || rb < 0)
			goto out;
		if (!ra || !rb) {
			if ((ra || rb) && !s->first.have) {
				first_at(s, &c[ra ? 0 : 1], 1);
				pcm_at(&s->p[0], &c[0], ra);
				pcm_at(&s->p[1], &c[1], rb);
			}
			break;
		}
		int n = c[0].len - c[0].pos < c[1].len - c[1].pos ? c[0].len - c[0].pos
								  : c[1].len - c[1].pos;
		const uint8_t *pa = c[0].data + c[0].pos, *pb = c[1].data + c[1].pos;
		if (memcmp(pa, pb, (size_t)n)) {
			for (int k = 0; k < n; k++) {
				if (pa[k] == pb[k])
					continue;
				if (!s->first.have) {
					c[0].pos += k;
					c[1].pos += k;
					s->common += (uint64_t)k;
					first_at(s, &c[0], 1);
					pcm_at(&s->p[0], &c[0], 1);
					pcm_at(&s->p[1], &c[1], 1);
					c[0].pos -= k;
					c[1].pos -= k;
					s->common -= (uint64_t)k;
				}
				s->ndiff++;
			}
		}
		c[0].pos += n;
		c[1].pos += n;
		s->common += (uint64_t)n;
	}
	rc = 0;
out:
	pcur_close(&c[0]);
	pcur_close(&c[1]);
	return rc;
}

static int pcm_totals(struct diff *d, struct side *sd, int64_t stream, struct pcm_side *p)
{
	sqlite3_stmt *st = prep(d, sd,
				"SELECT count(*), min(direction), max(direction), total(bytes),"
				" total(frames) FROM pcm WHERE stream = ?1");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, stream);
	int r = step(d, sd, st);
	if (r == 1) {
		p->rows = sqlite3_column_int64(st, 0);
		p->dir_min = sqlite3_column_int64(st, 1);
		p->dir_max = sqlite3_column_int64(st, 2);
		p->bytes = sqlite3_column_double(st, 3);
		p->frames = sqlite3_column_double(st, 4);
	}
	sqlite3_finalize(st);
	return r < 0 ? -1 : 0;
}

static int diff_stream(struct diff *d, struct stream_diff *s)
{
	static const char sql[] = "SELECT chain, t_ns, buffer_bytes, period_bytes, features,"
				  " channels, format, rate FROM pcm_params WHERE stream = ?1"
				  " ORDER BY chain";
	sqlite3_stmt *st[2] = {prep(d, &d->x[0], sql), prep(d, &d->x[1], sql)};
	int rc = -1;
	if (st[0] && st[1]) {
		sqlite3_bind_int64(st[0], 1, s->id);
		sqlite3_bind_int64(st[1], 1, s->id);
		rc = diff_rows(d, st, P_N, -1, -1, &s->params);
	}
	sqlite3_finalize(st[0]);
	sqlite3_finalize(st[1]);
	if (rc || pcm_totals(d, &d->x[0], s->id, &s->p[0]) ||
	    pcm_totals(d, &d->x[1], s->id, &s->p[1]))
		return -1;
	return diff_content(d, s);
}

static int pcm_same(const struct stream_diff *s)
{
	return s->p[0].bytes == s->p[1].bytes && s->p[0].frames == s->p[1].frames &&
	       !s->first.have;
}

static const char *stream_dir(const struct diff *d, const struct stream_diff *s)
{
	for (int k = 0; k < 2; k++)
		if (s->p[k].rows)
			return dir_name(s->p[k].dir_min);
	for (int k = 0; k < 2; k++) {
		const struct vt_session *x = d->x[k].s;
		if (x->has_config && s->id >= 0 && s->id < x->config.nstreams &&
		    s->id < VSND_MAX_STREAMS)
			return dir_name(x->config.streams[s->id].direction);
	}
	return "unknown";
}

static void text_params_row(FILE *o, const struct row_snap *r)
{
	if (!r->present) {
		fputs("-", o);
		return;
	}
	fprintf(o, "chain %" PRId64 " %s %u Hz %" PRId64 " ch, period %" PRId64 " B, buffer %" PRId64
		   " B, features 0x%" PRIx64,
		r->chain, vsnd_format_name((uint8_t)r->v[P_FMT]), vsnd_rate_hz((uint8_t)r->v[P_RATE]),
		r->v[P_CH], r->v[P_PERIOD], r->v[P_BUF], r->v[P_FEAT]);
}

static void text_pcm_at(struct diff *d, int k, const struct pcm_side *p)
{
	if (!p->present) {
		fprintf(d->o, "%c ends there", "AB"[k]);
		return;
	}
	fprintf(d->o, "%c 0x%02x (pcm id %" PRId64 ", chain %" PRId64 ", seq %" PRId64 ", at %.6f s)",
		"AB"[k], p->byte, p->id, p->chain, p->seq, rel_s(&d->x[k], p->t_ns));
}

static void text_stream(struct diff *d, const struct stream_diff *s)
{
	FILE *o = d->o;
	const struct seq_diff *q = &s->params;
	fprintf(o, "stream %" PRId64 "  %s\n", s->id, stream_dir(d, s));
	if (seq_same(q)) {
		fprintf(o, "  params  same (%" PRIu64 " accepted SET_PARAMS)\n", q->count[0]);
	} else {
		fprintf(o, "  params  DIFFER: %" PRIu64 " vs %" PRIu64 " accepted SET_PARAMS, %" PRIu64
			   " mismatch%s\n",
			q->count[0], q->count[1], q->mismatches, q->mismatches == 1 ? "" : "es");
		if (q->have_first) {
			fputs("    ", o);
			text_first(o, q, par_field, P_N);
			for (int k = 0; k < 2; k++) {
				fprintf(o, "\n      %c ", "AB"[k]);
				text_params_row(o, &q->snap[k]);
			}
			fputc('\n', o);
		}
	}
	const struct pcm_side *a = &s->p[0], *b = &s->p[1];
	if (pcm_same(s)) {
		fprintf(o, "  pcm     same (%.0f bytes, %.0f frames)\n", a->bytes, a->frames);
		return;
	}
	fprintf(o, "  pcm     DIFFER: %.0f vs %.0f bytes, %.0f vs %.0f frames\n", a->bytes, b->bytes,
		a->frames, b->frames);
	if (!s->first.have) {
		fprintf(o, "    content: the same bytes\n");
		return;
	}
	fprintf(o, "    first difference at byte %" PRIu64, s->first.offset);
	if (s->first.have_frame) {
		fprintf(o, " = frame %.0f", s->first.frame);
		if (isfinite(s->first.time_s))
			fprintf(o, ", %.6f s into the stream", s->first.time_s);
	}
	fprintf(o, "\n      ");
	text_pcm_at(d, 0, a);
	fprintf(o, "\n      ");
	text_pcm_at(d, 1, b);
	if (s->ndiff)
		fprintf(o, "\n    %" PRIu64 " of the %" PRIu64 " bytes both have differ\n", s->ndiff,
			s->common);
	else
		fprintf(o, "\n    the %" PRIu64 " bytes both have are equal; %c has more\n",
			s->common, a->present ? 'A' : 'B');
}

static void json_params_row(FILE *o, const struct row_snap *r)
{
	if (!r->present) {
		fputs("null", o);
		return;
	}
	fprintf(o, "{\"chain\":%" PRId64 ",\"t_ns\":%" PRId64, r->chain, r->t_ns);
	for (int i = 0; i < P_N; i++)
		fprintf(o, ",\"%s\":%" PRId64, par_field[i], r->v[i]);
	fputs(",\"format_name\":", o);
	cli_json_str(o, vsnd_format_name((uint8_t)r->v[P_FMT]));
	fprintf(o, ",\"rate_hz\":%u}", vsnd_rate_hz((uint8_t)r->v[P_RATE]));
}

static void json_pcm_at(FILE *o, const struct pcm_side *p)
{
	if (!p->present) {
		fputs("null", o);
		return;
	}
	fprintf(o,
		"{\"pcm_id\":%" PRId64 ",\"chain\":%" PRId64 ",\"seq\":%" PRId64
		",\"t_ns\":%" PRId64 ",\"byte\":%d}",
		p->id, p->chain, p->seq, p->t_ns, p->byte);
}

static void json_stream(struct diff *d, const struct stream_diff *s, int first)
{
	FILE *o = d->o;
	const struct seq_diff *q = &s->params;
	fprintf(o, "%s{\"stream\":%" PRId64 ",\"direction\":\"%s\",\"same\":%s,", first ? "" : ",",
		s->id, stream_dir(d, s), seq_same(q) && pcm_same(s) ? "true" : "false");
	if (json_seq_open(o, "params", q, par_field, P_N)) {
		fputs(",\"a\":", o);
		json_params_row(o, &q->snap[0]);
		fputs(",\"b\":", o);
		json_params_row(o, &q->snap[1]);
		fputc('}', o);
	}
	fputs("},\"pcm\":{\"same\":", o);
	fputs(pcm_same(s) ? "true" : "false", o);
	fputs(",\"bytes_a\":", o);
	cli_json_num(o, s->p[0].bytes);
	fputs(",\"bytes_b\":", o);
	cli_json_num(o, s->p[1].bytes);
	fputs(",\"frames_a\":", o);
	cli_json_num(o, s->p[0].frames);
	fputs(",\"frames_b\":", o);
	cli_json_num(o, s->p[1].frames);
	fprintf(o, ",\"content_same\":%s,\"bytes_compared\":%" PRIu64 ",\"bytes_differing\":%" PRIu64
		   ",\"first_difference\":",
		s->first.have ? "false" : "true", s->common, s->ndiff);
	if (s->first.have) {
		fprintf(o, "{\"byte_offset\":%" PRIu64 ",\"frame\":", s->first.offset);
		if (s->first.have_frame)
			cli_json_num(o, s->first.frame);
		else
			fputs("null", o);
		fputs(",\"time_s\":", o);
		cli_json_num(o, s->first.have_frame ? s->first.time_s : NAN);
		fputs(",\"a\":", o);
		json_pcm_at(o, &s->p[0]);
		fputs(",\"b\":", o);
		json_pcm_at(o, &s->p[1]);
		fputc('}', o);
	} else {
		fputs("null", o);
	}
	fputs("}}", o);
}

/* The streams either session has parameters or PCM for, in ascending order. */
static int stream_ids(struct diff *d, int64_t **ids, size_t *n)
{
	*ids = NULL;
	*n = 0;
	size_t cap = 0;
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *st = prep(d, &d->x[k],
					"SELECT stream FROM pcm_params UNION SELECT stream FROM pcm"
					" WHERE stream IS NOT NULL ORDER BY 1");
		if (!st)
			return -1;
		int r;
		while ((r = step(d, &d->x[k], st)) == 1) {
			int64_t v = sqlite3_column_int64(st, 0);
			size_t i = 0;
			while (i < *n && (*ids)[i] < v)
				i++;
			if (i < *n && (*ids)[i] == v)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 8;
				int64_t *p = realloc(*ids, cap * sizeof(**ids));
				if (!p) {
					sqlite3_finalize(st);
					snprintf(d->err, sizeof(d->err), "out of memory");
					return -1;
				}
				*ids = p;
			}
			memmove(*ids + i + 1, *ids + i, (*n - i) * sizeof(**ids));
			(*ids)[i] = v;
			(*n)++;
		}
		sqlite3_finalize(st);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* ---- 4. timing (trace/stats.h) -------------------------------------------------------- */

struct timing {
	struct ts_session sess[2];
	struct ts_stats st[2];
	int loaded[2];
};

static const struct ts_stream_stats *find_entry(const struct ts_stats *st, uint32_t id,
						uint32_t set)
{
	for (size_t i = 0; i < st->nstreams; i++)
		if (st->streams[i].s->stream_id == id && st->streams[i].s->param_set == set)
			return &st->streams[i];
	return NULL;
}

/* B within tol (a fraction) of A; tol < 0: no check. */
static int near(double a, double b, double tol)
{
	if (tol < 0 || a == b)
		return 1;
	return fabs(b - a) <= tol * fabs(a);
}

static int entry_within(const struct ts_stream_stats *a, const struct ts_stream_stats *b,
			double tol)
{
	if (tol < 0)
		return 1;
	if (!a || !b)
		return 0;
	return near(a->interval.mean, b->interval.mean, tol) &&
	       near((double)a->interval.p99, (double)b->interval.p99, tol) &&
	       near((double)a->interval.max, (double)b->interval.max, tol) &&
	       near((double)a->latency.p50, (double)b->latency.p50, tol) &&
	       a->underruns == b->underruns && a->xruns == b->xruns && a->nstalls == b->nstalls &&
	       a->errors == b->errors;
}

/* Calls fn for each output entry of A (with B's of the same stream and parameter set, or
 * NULL), then for those only B has; acc is the callback's own state. */
typedef void (*entry_fn)(struct diff *d, const struct ts_stream_stats *a,
			 const struct ts_stream_stats *b, double tol, int *acc);

static void each_output(struct diff *d, struct timing *t, double tol, entry_fn fn, int *acc)
{
	for (size_t i = 0; i < t->st[0].nstreams; i++) {
		const struct ts_stream_stats *a = &t->st[0].streams[i];
		if (a->s->direction != VIRTIO_SND_D_OUTPUT)
			continue;
		fn(d, a, find_entry(&t->st[1], a->s->stream_id, a->s->param_set), tol, acc);
	}
	for (size_t i = 0; i < t->st[1].nstreams; i++) {
		const struct ts_stream_stats *b = &t->st[1].streams[i];
		if (b->s->direction != VIRTIO_SND_D_OUTPUT ||
		    find_entry(&t->st[0], b->s->stream_id, b->s->param_set))
			continue;
		fn(d, NULL, b, tol, acc);
	}
}

static void text_cell_ms(FILE *o, const struct ts_stream_stats *e, int which)
{
	if (!e) {
		fprintf(o, " %14s", "-");
		return;
	}
	double v = which == 0   ? e->interval.mean
		   : which == 1 ? (double)e->interval.p99
		   : which == 2 ? (double)e->interval.max
				: (double)e->latency.p50;
	int n = which == 3 ? e->latency.n != 0 : e->interval.n != 0;
	if (n)
		fprintf(o, " %11.3f ms", v / 1e6);
	else
		fprintf(o, " %14s", "n/a");
}

static void text_entry(struct diff *d, const struct ts_stream_stats *a,
		       const struct ts_stream_stats *b, double tol, int *acc)
{
	FILE *o = d->o;
	const struct ts_stream *m = a ? a->s : b->s;
	(void)acc;
	fprintf(o, "  stream %u set %u output%s\n", m->stream_id, m->param_set,
		tol >= 0 && !entry_within(a, b, tol) ? "   OUTSIDE TOLERANCE" : "");
	static const char *const rows[] = {"interval mean", "interval p99", "interval max",
					   "latency p50"};
	for (int w = 0; w < 4; w++) {
		fprintf(o, "    %-18s", rows[w]);
		text_cell_ms(o, a, w);
		text_cell_ms(o, b, w);
		fputc('\n', o);
	}
	const char *cn[] = {"underruns", "xruns", "stalls", "sink errors"};
	for (int w = 0; w < 4; w++) {
		fprintf(o, "    %-18s", cn[w]);
		for (int k = 0; k < 2; k++) {
			const struct ts_stream_stats *e = k ? b : a;
			if (!e) {
				fprintf(o, " %14s", "-");
				continue;
			}
			size_t v = w == 0 ? e->underruns : w == 1 ? e->xruns : w == 2 ? e->nstalls
										   : e->errors;
			fprintf(o, " %14zu", v);
		}
		fputc('\n', o);
	}
}

static void json_entry_side(FILE *o, const struct ts_stream_stats *e)
{
	if (!e) {
		fputs("null", o);
		return;
	}
	fputs("{\"interval_mean_ns\":", o);
	cli_json_num(o, e->interval.n ? e->interval.mean : NAN);
	fputs(",\"interval_p99_ns\":", o);
	cli_json_num(o, e->interval.n ? (double)e->interval.p99 : NAN);
	fputs(",\"interval_max_ns\":", o);
	cli_json_num(o, e->interval.n ? (double)e->interval.max : NAN);
	fputs(",\"latency_p50_ns\":", o);
	cli_json_num(o, e->latency.n ? (double)e->latency.p50 : NAN);
	fprintf(o,
		",\"underruns\":%zu,\"xruns\":%zu,\"stalls\":%zu,\"sink_errors\":%zu}",
		e->underruns, e->xruns, e->nstalls, e->errors);
}

static void json_entry(struct diff *d, const struct ts_stream_stats *a,
		       const struct ts_stream_stats *b, double tol, int *first)
{
	FILE *o = d->o;
	const struct ts_stream *m = a ? a->s : b->s;
	fprintf(o, "%s{\"stream_id\":%u,\"param_set\":%u,\"within_tolerance\":%s,\"a\":",
		*first ? "" : ",", m->stream_id, m->param_set,
		tol < 0 ? "null" : entry_within(a, b, tol) ? "true" : "false");
	*first = 0;
	json_entry_side(o, a);
	fputs(",\"b\":", o);
	json_entry_side(o, b);
	fputc('}', o);
}

static void count_entry(struct diff *d, const struct ts_stream_stats *a,
			const struct ts_stream_stats *b, double tol, int *bad)
{
	(void)d;
	if (!entry_within(a, b, tol))
		*bad = 1;
}

/* Returns 1 if timing is outside the tolerance (never without one). */
static int timing_differs(struct diff *d, struct timing *t, double tol)
{
	if (tol < 0)
		return 0;
	int bad = !near(t->st[0].duration_s, t->st[1].duration_s, tol);
	each_output(d, t, tol, count_entry, &bad);
	return bad;
}

static void text_timing(struct diff *d, struct timing *t, double tol, int bad)
{
	FILE *o = d->o;
	if (tol < 0)
		fprintf(o, "timing    informational (--timing PCT to check)\n");
	else
		fprintf(o, "timing    %s (tolerance %g %%)\n", bad ? "DIFFER" : "within tolerance",
			tol * 100);
	fprintf(o, "  %-20s %14s %14s\n", "", "A", "B");
	fprintf(o, "  %-20s %12.3f s %12.3f s\n", "session length", t->st[0].duration_s,
		t->st[1].duration_s);
	each_output(d, t, tol, text_entry, NULL);
}

static void json_timing(struct diff *d, struct timing *t, double tol, int bad)
{
	FILE *o = d->o;
	fprintf(o, "\"timing\":{\"checked\":%s,\"tolerance_pct\":", tol < 0 ? "false" : "true");
	cli_json_num(o, tol < 0 ? NAN : tol * 100);
	fprintf(o, ",\"differs\":%s,\"duration_s\":{\"a\":", bad ? "true" : "false");
	cli_json_num(o, t->st[0].duration_s);
	fputs(",\"b\":", o);
	cli_json_num(o, t->st[1].duration_s);
	fputs("},\"streams\":[", o);
	int first = 1;
	each_output(d, t, tol, json_entry, &first);
	fputs("]}", o);
}

/* ---- the command --------------------------------------------------------------------- */

static int run(struct diff *d, double tol)
{
	FILE *o = d->o;
	struct cfg_diff cfg = {.n = 0};
	const struct vt_session *sa = d->x[0].s, *sb = d->x[1].s;
	if (sa->has_config != sb->has_config)
		cfg_add(&cfg, "configuration recorded only in %s", sa->has_config ? "A" : "B");
	else if (sa->has_config)
		diff_config(&sa->config, &sb->config, &cfg);

	struct seq_diff ctl;
	if (diff_control(d, &ctl))
		return -1;

	int64_t *ids = NULL;
	size_t nids = 0;
	if (stream_ids(d, &ids, &nids)) {
		free(ids);
		return -1;
	}
	struct stream_diff *sd = calloc(nids ? nids : 1, sizeof(*sd));
	if (!sd) {
		free(ids);
		snprintf(d->err, sizeof(d->err), "out of memory");
		return -1;
	}
	int rc = -1;
	for (size_t i = 0; i < nids; i++) {
		sd[i].id = ids[i];
		if (diff_stream(d, &sd[i]))
			goto out;
	}

	struct timing t;
	memset(&t, 0, sizeof(t));
	for (int k = 0; k < 2; k++) {
		char err[256] = "";
		if (ts_scan(d->x[k].db, -1, NULL, NULL, &t.sess[k], &t.st[k], err, sizeof(err))) {
			snprintf(d->err, sizeof(d->err), "%s: %s", d->x[k].path, err);
			goto out_t;
		}
		t.loaded[k] = 1;
	}
	int bad_t = timing_differs(d, &t, tol);

	int differ = cfg.n || !seq_same(&ctl) || bad_t;
	size_t nstream_diff = 0;
	for (size_t i = 0; i < nids; i++)
		nstream_diff += !seq_same(&sd[i].params) || !pcm_same(&sd[i]);
	differ |= nstream_diff != 0;
	d->differ = differ;

	if (d->json) {
		fprintf(o, "{\"format\":\"%s\",\"a\":", DIFF_JSON_FORMAT);
		cli_json_str(o, d->x[0].path);
		fputs(",\"b\":", o);
		cli_json_str(o, d->x[1].path);
		fprintf(o, ",\"equivalent\":%s,\"config\":{\"same\":%s,\"count\":%zu,\"differences\":[",
			differ ? "false" : "true", cfg.n ? "false" : "true", cfg.n);
		for (size_t i = 0; i < cfg.n && i < MAX_CFG_LINES; i++) {
			fputs(i ? "," : "", o);
			cli_json_str(o, cfg.line[i]);
		}
		fputs("]},", o);
		json_control(d, &ctl);
		fputs(",\"streams\":[", o);
		for (size_t i = 0; i < nids; i++)
			json_stream(d, &sd[i], i == 0);
		fputs("],", o);
		json_timing(d, &t, tol, bad_t);
		fputs("}\n", o);
	} else {
		fprintf(o, "A         %s\nB         %s\n", d->x[0].path, d->x[1].path);
		if (!cfg.n) {
			fprintf(o, "config    same\n");
		} else {
			fprintf(o, "config    DIFFER (%zu)\n", cfg.n);
			for (size_t i = 0; i < cfg.n && i < MAX_CFG_LINES; i++)
				fprintf(o, "  %s\n", cfg.line[i]);
			if (cfg.n > MAX_CFG_LINES)
				fprintf(o, "  ... %zu more\n", cfg.n - MAX_CFG_LINES);
		}
		text_control(d, &ctl);
		for (size_t i = 0; i < nids; i++)
			text_stream(d, &sd[i]);
		text_timing(d, &t, tol, bad_t);
		fprintf(o, "result    %s\n",
			differ ? "the sessions DIFFER" : "equivalent (config, control, PCM)");
	}
	rc = 0;
out_t:
	for (int k = 0; k < 2; k++)
		if (t.loaded[k]) {
			ts_stats_free(&t.st[k]);
			ts_session_free(&t.sess[k]);
		}
out:
	free(sd);
	free(ids);
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"timing", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	int json = 0, c;
	double tol = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 't': {
			char *end;
			tol = strtod(optarg, &end);
			if (!*optarg || *end || !isfinite(tol) || tol < 0)
				return cli_usage("diff", "invalid tolerance '%s' (a percentage >= 0)",
						 optarg);
			tol /= 100;
			break;
		}
		case 'h':
			help();
			return CLI_EXIT_OK;
		case ':':
			return cli_usage("diff", "option '%s' needs an argument", argv[optind - 1]);
		default:
			return cli_usage("diff", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return cli_usage("diff", argc - optind ? "missing FILE B" : "missing FILES A and B");
	if (argc - optind > 2)
		return cli_usage("diff", "unexpected argument '%s'", argv[optind + 2]);

	struct diff d;
	memset(&d, 0, sizeof(d));
	d.json = json;
	for (int k = 0; k < 2; k++) {
		d.x[k].path = argv[optind + k];
		d.x[k].r = cli_open_session("diff", d.x[k].path, VT_READER_NO_CHECK);
		if (!d.x[k].r) {
			if (k)
				vt_reader_close(d.x[0].r);
			return CLI_EXIT_USAGE;
		}
		d.x[k].db = vt_reader_db(d.x[k].r);
		d.x[k].s = vt_reader_session(d.x[k].r);
	}
	char *buf = NULL;
	size_t len = 0;
	d.o = open_memstream(&buf, &len);
	int rc = d.o ? run(&d, tol) : -1;
	if (d.o)
		fclose(d.o);
	vt_reader_close(d.x[0].r);
	vt_reader_close(d.x[1].r);
	if (rc) {
		free(buf);
		return cli_fail("diff", CLI_EXIT_USAGE, "%s", d.err[0] ? d.err : "out of memory");
	}
	fwrite(buf, 1, len, stdout);
	free(buf);
	return d.differ ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
