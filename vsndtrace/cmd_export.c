/* cmd_export.c - `vsndtrace export FILE --wav OUT [--stream N] | --chrome OUT.json`: a stream's
 * PCM as a WAV file (libsndfile), or the session as Chrome trace-event JSON for Perfetto. */
#include <getopt.h>
#include <inttypes.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/reader.h"
#include "trace/stats.h"
#include "vsnd/virtio_snd.h"
#include "vsndtrace/cli.h"

static void help(void)
{
	printf("usage: vsndtrace export FILE --wav OUT.wav [--stream N]\n"
	       "       vsndtrace export FILE --chrome OUT.json [--stream N]\n\n"
	       "  --wav OUT      the PCM of one stream as the device played (output) or captured\n"
	       "                 (input) it, in the stream's sample format, as a WAV file.\n"
	       "                 Default stream: the lowest-numbered stream with PCM.\n"
	       "  --chrome OUT   Chrome trace-event JSON (open in Perfetto or chrome://tracing):\n"
	       "                 control commands as slices, period completions as instants,\n"
	       "                 buffer fill as a counter, one track per stream.\n"
	       "  --stream N     only stream N\n"
	       "  -h, --help     this text\n\n"
	       "Both --wav and --chrome may be given. Exit status: 0 ok, 2 usage error,\n"
	       "unreadable session or nothing to export.\n");
}

/* ---- WAV ---- */

/* Stream parameters as accepted by SET_PARAMS, in order (for the format of each batch). */
struct pset {
	int64_t t_ns;
	uint8_t format, channels;
	uint32_t rate_hz;
};

struct wav_ctx {
	const char *out;
	uint32_t stream; /* the stream being written */
	struct pset *ps;
	size_t nps;
	const struct pset *cur; /* parameters of the file (fixed by the first batch) */
	SNDFILE *sf;
	uint64_t batches, bytes, skipped;
	int failed;
	char err[256];
	uint8_t *conv; /* conversion buffer */
	size_t conv_cap;
};

/* libsndfile subtype for a virtio format; *raw = 1 when the bytes can be written as they
 * are (same encoding, little-endian), 0 when they are converted to int32 samples first. */
static int sf_subtype(uint8_t fmt, int *raw)
{
	*raw = 1;
	switch (fmt) {
	case VIRTIO_SND_PCM_FMT_U8:
		return SF_FORMAT_PCM_U8;
	case VIRTIO_SND_PCM_FMT_S16:
		return SF_FORMAT_PCM_16;
	case VIRTIO_SND_PCM_FMT_S24_3:
		return SF_FORMAT_PCM_24;
	case VIRTIO_SND_PCM_FMT_S32:
		return SF_FORMAT_PCM_32;
	case VIRTIO_SND_PCM_FMT_FLOAT:
		return SF_FORMAT_FLOAT;
	case VIRTIO_SND_PCM_FMT_FLOAT64:
		return SF_FORMAT_DOUBLE;
	case VIRTIO_SND_PCM_FMT_MU_LAW:
		return SF_FORMAT_ULAW;
	case VIRTIO_SND_PCM_FMT_A_LAW:
		return SF_FORMAT_ALAW;
	}
	*raw = 0;
	switch (fmt) {
	case VIRTIO_SND_PCM_FMT_S8:
		return SF_FORMAT_PCM_U8; /* WAV 8-bit is unsigned */
	case VIRTIO_SND_PCM_FMT_U16:
		return SF_FORMAT_PCM_16;
	case VIRTIO_SND_PCM_FMT_U24_3:
	case VIRTIO_SND_PCM_FMT_S24:
	case VIRTIO_SND_PCM_FMT_U24:
	case VIRTIO_SND_PCM_FMT_S20:
	case VIRTIO_SND_PCM_FMT_U20:
	case VIRTIO_SND_PCM_FMT_S20_3:
	case VIRTIO_SND_PCM_FMT_U20_3:
		return SF_FORMAT_PCM_24;
	case VIRTIO_SND_PCM_FMT_U32:
		return SF_FORMAT_PCM_32;
	}
	return -1;
}

/* Sample bytes in memory and significant bits, for the converted formats. */
static void conv_layout(uint8_t fmt, unsigned *bytes, unsigned *bits, int *is_unsigned)
{
	*is_unsigned = 0;
	switch (fmt) {
	case VIRTIO_SND_PCM_FMT_S8:
		*bytes = 1, *bits = 8;
		break;
	case VIRTIO_SND_PCM_FMT_U16:
		*bytes = 2, *bits = 16, *is_unsigned = 1;
		break;
	case VIRTIO_SND_PCM_FMT_U24_3:
		*bytes = 3, *bits = 24, *is_unsigned = 1;
		break;
	case VIRTIO_SND_PCM_FMT_S20_3:
		*bytes = 3, *bits = 20;
		break;
	case VIRTIO_SND_PCM_FMT_U20_3:
		*bytes = 3, *bits = 20, *is_unsigned = 1;
		break;
	case VIRTIO_SND_PCM_FMT_S24:
		*bytes = 4, *bits = 24;
		break;
	case VIRTIO_SND_PCM_FMT_U24:
		*bytes = 4, *bits = 24, *is_unsigned = 1;
		break;
	case VIRTIO_SND_PCM_FMT_S20:
		*bytes = 4, *bits = 20;
		break;
	case VIRTIO_SND_PCM_FMT_U20:
		*bytes = 4, *bits = 20, *is_unsigned = 1;
		break;
	case VIRTIO_SND_PCM_FMT_U32:
		*bytes = 4, *bits = 32, *is_unsigned = 1;
		break;
	default:
		*bytes = 1, *bits = 8;
		break;
	}
}

static const struct pset *pset_at(const struct wav_ctx *w, int64_t t)
{
	const struct pset *p = NULL;
	for (size_t i = 0; i < w->nps && w->ps[i].t_ns <= t; i++)
		p = &w->ps[i];
	return p ? p : (w->nps ? &w->ps[0] : NULL);
}

static int write_converted(struct wav_ctx *w, const uint8_t *d, uint32_t n)
{
	unsigned sb, bits;
	int uns;
	conv_layout(w->cur->format, &sb, &bits, &uns);
	size_t ns = n / sb;
	if (ns * sizeof(int) > w->conv_cap) {
		uint8_t *b = realloc(w->conv, ns * sizeof(int));
		if (!b)
			return -1;
		w->conv = b;
		w->conv_cap = ns * sizeof(int);
	}
	int *out = (int *)w->conv;
	for (size_t i = 0; i < ns; i++) {
		uint32_t v = 0;
		for (unsigned b = 0; b < sb; b++)
			v |= (uint32_t)d[i * sb + b] << (8 * b);
		if (bits < 32)
			v &= (1u << bits) - 1;
		if (uns)
			v ^= 1u << (bits - 1);
		/* left-align the sign bit at bit 31 */
		out[i] = (int)(v << (32 - bits));
	}
	size_t frames = ns / w->cur->channels;
	return sf_writef_int(w->sf, out, (sf_count_t)frames) == (sf_count_t)frames ? 0 : -1;
}

static int wav_batch(void *ctx, const struct vt_pcm *p)
{
	struct wav_ctx *w = ctx;
	if (p->stream != w->stream)
		return 0;
	const struct pset *ps = pset_at(w, (int64_t)p->t_ns);
	if (!ps) {
		snprintf(w->err, sizeof(w->err), "stream %u has PCM but no accepted SET_PARAMS",
			 w->stream);
		return 1;
	}
	if (!w->sf) {
		int raw, sub = sf_subtype(ps->format, &raw);
		if (sub < 0 || !ps->channels || !ps->rate_hz) {
			snprintf(w->err, sizeof(w->err),
				 "stream %u: format %s cannot be written as WAV", w->stream,
				 vsnd_format_name(ps->format));
			return 1;
		}
		SF_INFO info = {.samplerate = (int)ps->rate_hz,
				.channels = ps->channels,
				.format = SF_FORMAT_WAV | sub};
		if (ps->channels > 2 || sub == SF_FORMAT_PCM_24 || sub == SF_FORMAT_PCM_32 ||
		    sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE)
			info.format = SF_FORMAT_WAVEX | sub;
		if (!sf_format_check(&info))
			info.format = SF_FORMAT_WAV | sub;
		w->sf = sf_open(w->out, SFM_WRITE, &info);
		if (!w->sf) {
			snprintf(w->err, sizeof(w->err), "%s: %s", w->out, sf_strerror(NULL));
			return 1;
		}
		w->cur = ps;
	}
	if (ps->format != w->cur->format || ps->channels != w->cur->channels ||
	    ps->rate_hz != w->cur->rate_hz) {
		w->skipped++;
		return 0;
	}
	int raw;
	sf_subtype(ps->format, &raw);
	int rc;
	if (raw)
		rc = sf_write_raw(w->sf, p->data, p->bytes) == (sf_count_t)p->bytes ? 0 : -1;
	else
		rc = write_converted(w, p->data, p->bytes);
	if (rc) {
		snprintf(w->err, sizeof(w->err), "%s: write failed: %s", w->out,
			 sf_strerror(w->sf));
		return 1;
	}
	w->batches++;
	w->bytes += p->bytes;
	return 0;
}

static int load_psets(sqlite3 *db, uint32_t stream, struct wav_ctx *w)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		db,
		"SELECT t_ns, format, channels, rate_hz FROM pcm_params WHERE stream = ?"
		" ORDER BY t_ns, chain",
		-1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, stream);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pset *n = realloc(w->ps, (w->nps + 1) * sizeof(*n));
		if (!n)
			break;
		w->ps = n;
		n[w->nps].t_ns = sqlite3_column_int64(st, 0);
		n[w->nps].format = (uint8_t)sqlite3_column_int(st, 1);
		n[w->nps].channels = (uint8_t)sqlite3_column_int(st, 2);
		n[w->nps].rate_hz = (uint32_t)sqlite3_column_int64(st, 3);
		w->nps++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int export_wav(struct vt_reader *r, const char *out, int stream)
{
	sqlite3 *db = vt_reader_db(r);
	if (stream < 0) {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "SELECT min(stream) FROM pcm WHERE stream IS NOT NULL",
				       -1, &st, NULL) != SQLITE_OK)
			return cli_fail("export", CLI_EXIT_USAGE, "query failed: %s",
					sqlite3_errmsg(db));
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			stream = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (stream < 0)
			return cli_fail("export", CLI_EXIT_USAGE, "the session holds no PCM");
	}
	struct wav_ctx w = {.out = out, .stream = (uint32_t)stream};
	if (load_psets(db, w.stream, &w)) {
		free(w.ps);
		return cli_fail("export", CLI_EXIT_USAGE, "query failed: %s", sqlite3_errmsg(db));
	}
	int rc = vt_reader_pcm(r, w.stream, wav_batch, &w);
	int status = CLI_EXIT_OK;
	if (rc < 0) {
		status = cli_fail("export", CLI_EXIT_USAGE, "reading PCM: %s", vt_reader_errmsg(r));
	} else if (rc > 0) {
		status = cli_fail("export", CLI_EXIT_USAGE, "%s", w.err);
	} else if (!w.sf) {
		status = cli_fail("export", CLI_EXIT_USAGE, "stream %d has no PCM", stream);
	} else {
		if (w.skipped)
			fprintf(stderr,
				"vsndtrace export: stream %d changed format; %" PRIu64
				" later batches in another format were not written\n",
				stream, w.skipped);
		fprintf(stderr,
			"vsndtrace export: wrote %s: stream %d, %s %u Hz %u ch, %" PRIu64
			" bytes in %" PRIu64 " batches\n",
			out, stream, vsnd_format_name(w.cur->format), w.cur->rate_hz, w.cur->channels,
			w.bytes, w.batches);
	}
	if (w.sf && sf_close(w.sf) && status == CLI_EXIT_OK)
		status = cli_fail("export", CLI_EXIT_USAGE, "%s: close failed", out);
	free(w.ps);
	free(w.conv);
	return status;
}

/* ---- Chrome trace-event JSON ---- */

struct cev {
	int64_t t;  /* ns */
	int order;  /* tie-break: keeps slices before instants at one time */
	char *json; /* the event's JSON with ts filled in */
};

struct cev_list {
	struct cev *v;
	size_t n, cap;
	int64_t t0;
	int oom;
};

static void cev_add(struct cev_list *L, int64_t t, int order, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void cev_add(struct cev_list *L, int64_t t, int order, const char *fmt, ...)
{
	if (L->oom)
		return;
	if (L->n == L->cap) {
		size_t nc = L->cap ? L->cap * 2 : 1024;
		struct cev *n = realloc(L->v, nc * sizeof(*n));
		if (!n) {
			L->oom = 1;
			return;
		}
		L->v = n;
		L->cap = nc;
	}
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		L->oom = 1;
		return;
	}
	L->v[L->n++] = (struct cev){.t = t, .order = order, .json = s};
}

static int cmp_cev(const void *a, const void *b)
{
	const struct cev *x = a, *y = b;
	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return x->order - y->order;
}

/* Microseconds since the session's first event, with ns precision. */
static void us(char *buf, size_t n, int64_t t, int64_t t0)
{
	int64_t d = t - t0;
	if (d < 0)
		d = 0;
	snprintf(buf, n, "%" PRId64 ".%03" PRId64, d / 1000, d % 1000);
}

/* Tracks (tid): 1 control commands without a stream, 2 + 2N stream N, 3 + 2N the stalls of
 * stream N. */
static long long tid_of(int64_t stream)
{
	return stream < 0 ? 1 : 2 + 2 * (long long)stream;
}

/* A JSON string literal of s in a new buffer (free it), or NULL. */
static char *json_dup(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	cli_json_str(m, s);
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int export_chrome(struct vt_reader *r, const char *path, const char *out, int stream)
{
	struct ts_session sess;
	struct ts_stats st;
	char err[256] = "";
	if (ts_load(vt_reader_db(r), stream, &sess, err, sizeof(err)))
		return cli_fail("export", CLI_EXIT_USAGE, "%s: %s", path, err);
	if (ts_compute(&sess, &st)) {
		ts_session_free(&sess);
		return cli_fail("export", CLI_EXIT_USAGE, "out of memory");
	}
	FILE *f = fopen(out, "w");
	if (!f) {
		ts_stats_free(&st);
		ts_session_free(&sess);
		return cli_fail("export", CLI_EXIT_USAGE, "%s: cannot create: %m", out);
	}
	struct cev_list L = {.t0 = sess.t_first_ns};
	char ts[32], dur[32];
	for (size_t i = 0; i < sess.nctls; i++) {
		const struct ts_ctl *c = &sess.ctls[i];
		int64_t end = c->t_done_ns >= 0 ? c->t_done_ns : c->t_deq_ns;
		us(ts, sizeof(ts), c->t_deq_ns, L.t0);
		us(dur, sizeof(dur), end, c->t_deq_ns);
		int pcm =
		    c->code >= VIRTIO_SND_R_PCM_SET_PARAMS && c->code <= VIRTIO_SND_R_PCM_STOP;
		cev_add(&L, c->t_deq_ns, 0,
			"{\"name\":\"%s\",\"cat\":\"control\",\"ph\":\"X\",\"ts\":%s,\"dur\":%s,"
			"\"pid\":1,\"tid\":%lld,\"args\":{\"code\":%u,\"target\":%d,\"status\":\"%"
			"s\"%s}}",
			ts_code_name(c->code), ts, dur, tid_of(pcm ? c->stream_id : -1), c->code,
			c->stream_id, ts_status_name(c->status),
			c->discarded ? ",\"discarded\":true" : "");
	}
	for (size_t i = 0; i < st.nstreams; i++) {
		const struct ts_stream_stats *ss = &st.streams[i];
		uint32_t sid = ss->s->stream_id;
		for (size_t k = 0; k < ss->npoints; k++) {
			const struct ts_point *p = &ss->points[k];
			us(ts, sizeof(ts), p->t_ns, L.t0);
			cev_add(&L, p->t_ns, 1,
				"{\"name\":\"period\",\"cat\":\"io\",\"ph\":\"i\",\"s\":\"t\","
				"\"ts\":%s,"
				"\"pid\":1,\"tid\":%lld,\"args\":{\"seq\":%" PRIu64
				",\"chain\":%" PRIu64 ",\"interval_ns\":%" PRId64
				",\"latency_ns\":%" PRId64 "}}",
				ts, tid_of(sid), p->seq, p->chain, p->interval_ns, p->latency_ns);
			cev_add(
			    &L, p->t_ns, 2,
			    "{\"name\":\"stream %u fill\",\"cat\":\"io\",\"ph\":\"C\",\"ts\":%s,"
			    "\"pid\":1,\"args\":{\"messages\":%u}}",
			    sid, ts, p->fill);
		}
		for (size_t k = 0; k < ss->nstalls; k++) {
			const struct ts_stall *x = &ss->stalls[k];
			us(ts, sizeof(ts), x->start_ns, L.t0);
			us(dur, sizeof(dur), x->end_ns, x->start_ns);
			char *after = json_dup(x->after);
			cev_add(&L, x->start_ns, 0,
				"{\"name\":\"STALL\",\"cat\":\"problem\",\"ph\":\"X\",\"ts\":%s,"
				"\"dur\":%s,\"pid\":1,\"tid\":%lld,\"args\":{\"after\":%s}}",
				ts, dur, tid_of(sid) + 1, after ? after : "\"\"");
			free(after);
		}
	}
	for (size_t i = 0; i < sess.nsinkevs; i++) {
		const struct ts_sinkev *e = &sess.sinkevs[i];
		us(ts, sizeof(ts), e->t_ns, L.t0);
		char *msg = json_dup(e->msg);
		cev_add(&L, e->t_ns, 1,
			"{\"name\":\"%s\",\"cat\":\"problem\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%s,"
			"\"pid\":1,\"tid\":%lld,\"args\":{\"message\":%s}}",
			e->kind == TS_EV_UNDERRUN ? "UNDERRUN"
			: e->kind == TS_EV_XRUN	  ? "XRUN"
						  : "ERROR",
			ts, tid_of(e->stream_id), msg ? msg : "\"\"");
		free(msg);
	}
	if (L.n > 1)
		qsort(L.v, L.n, sizeof(*L.v), cmp_cev);

	fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"source\":", f);
	cli_json_str(f, path);
	fputs("},\"traceEvents\":[\n", f);
	fputs("{\"name\":\"process_name\",\"ph\":\"M\",\"ts\":0,\"pid\":1,\"tid\":0,\"args\":{"
	      "\"name\":",
	      f);
	cli_json_str(f, path);
	fputs("}},\n{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":1,\"tid\":1,"
	      "\"args\":{\"name\":\"control\"}},\n"
	      "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"ts\":0,\"pid\":1,\"tid\":1,"
	      "\"args\":{\"sort_index\":0}}",
	      f);
	for (size_t i = 0; i < st.nstreams; i++) {
		const struct ts_stream *m = st.streams[i].s;
		if (m->param_set) /* later parameter sets share the stream's tracks */
			continue;
		fprintf(
		    f,
		    ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":1,\"tid\":%lld,"
		    "\"args\":{\"name\":\"stream %u (%s)\"}},\n"
		    "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"ts\":0,\"pid\":1,\"tid\":%lld,"
		    "\"args\":{\"sort_index\":%lld}}",
		    tid_of(m->stream_id), m->stream_id,
		    m->direction == VIRTIO_SND_D_INPUT ? "input" : "output", tid_of(m->stream_id),
		    tid_of(m->stream_id));
		size_t stalls = 0;
		for (size_t k = 0; k < st.nstreams; k++)
			if (st.streams[k].s->stream_id == m->stream_id)
				stalls += st.streams[k].nstalls;
		if (stalls)
			fprintf(f,
				",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"ts\":0,\"pid\":1,"
				"\"tid\":%lld,\"args\":{\"name\":\"stream %u stalls\"}}",
				tid_of(m->stream_id) + 1, m->stream_id);
	}
	for (size_t i = 0; i < L.n; i++) {
		fputs(",\n", f);
		fputs(L.v[i].json, f);
		free(L.v[i].json);
	}
	fputs("\n]}\n", f);
	free(L.v);
	int werr = ferror(f);
	werr |= fclose(f);
	size_t nev = L.n;
	ts_stats_free(&st);
	ts_session_free(&sess);
	if (L.oom)
		return cli_fail("export", CLI_EXIT_USAGE, "out of memory");
	if (werr)
		return cli_fail("export", CLI_EXIT_USAGE, "%s: write failed", out);
	fprintf(stderr, "vsndtrace export: wrote %s: %zu trace events\n", out, nev);
	return CLI_EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"wav", required_argument, NULL, 'w'},
	    {"chrome", required_argument, NULL, 'c'},
	    {"stream", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	const char *wav = NULL, *chrome = NULL;
	int stream = -1, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			wav = optarg;
			break;
		case 'c':
			chrome = optarg;
			break;
		case 's':
			stream = cli_parse_stream(optarg);
			if (stream < 0)
				return cli_usage("export", "invalid stream id '%s'", optarg);
			break;
		case 'h':
			help();
			return CLI_EXIT_OK;
		case ':':
			return cli_usage("export", "option '%s' needs an argument",
					 argv[optind - 1]);
		default:
			return cli_usage("export", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("export", "missing FILE");
	if (optind + 1 < argc)
		return cli_usage("export", "unexpected argument '%s'", argv[optind + 1]);
	if (!wav && !chrome)
		return cli_usage("export", "nothing to export: give --wav OUT or --chrome OUT");
	const char *path = argv[optind];
	struct vt_reader *r = cli_open_session("export", path, VT_READER_NO_CHECK);
	if (!r)
		return CLI_EXIT_USAGE;
	int status = CLI_EXIT_OK;
	if (wav)
		status = export_wav(r, wav, stream);
	if (status == CLI_EXIT_OK && chrome)
		status = export_chrome(r, path, chrome, stream);
	vt_reader_close(r);
	return status;
}
