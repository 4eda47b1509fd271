/* stats.c - computes the timing statistics of `vsndtrace stats` from a loaded session
 * model (trace/stats.h): per stream rates, drift, intervals, latency, depth, stalls. */
#include "trace/stats.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/stats_int.h"
#include "vsnd/sink.h"
#include "vsnd/virtio_snd.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

const char *ts_code_name(uint32_t code)
{
	switch (code) {
	case VIRTIO_SND_R_JACK_INFO:
		return "JACK_INFO";
	case VIRTIO_SND_R_JACK_REMAP:
		return "JACK_REMAP";
	case VIRTIO_SND_R_PCM_INFO:
		return "PCM_INFO";
	case VIRTIO_SND_R_PCM_SET_PARAMS:
		return "PCM_SET_PARAMS";
	case VIRTIO_SND_R_PCM_PREPARE:
		return "PCM_PREPARE";
	case VIRTIO_SND_R_PCM_RELEASE:
		return "PCM_RELEASE";
	case VIRTIO_SND_R_PCM_START:
		return "PCM_START";
	case VIRTIO_SND_R_PCM_STOP:
		return "PCM_STOP";
	case VIRTIO_SND_R_CHMAP_INFO:
		return "CHMAP_INFO";
	default:
		return "UNKNOWN";
	}
}

const char *ts_status_name(uint32_t status)
{
	switch (status) {
	case VIRTIO_SND_S_OK:
		return "OK";
	case VIRTIO_SND_S_BAD_MSG:
		return "BAD_MSG";
	case VIRTIO_SND_S_NOT_SUPP:
		return "NOT_SUPP";
	case VIRTIO_SND_S_IO_ERR:
		return "IO_ERR";
	case 0:
		return "NONE";
	default:
		return "OTHER";
	}
}

struct ts_stream *ts_session_stream(struct ts_session *s, uint32_t stream_id, int64_t t)
{
	struct ts_stream *first = NULL;
	for (size_t i = 0; i < s->nstreams; i++) {
		struct ts_stream *x = &s->streams[i];
		if (x->stream_id != stream_id)
			continue;
		if (t >= x->valid_from_ns && t < x->valid_to_ns)
			return x;
		if (!first)
			first = x;
	}
	return first;
}

int ts_stream_owns(const struct ts_stream *x, int32_t sid, int64_t t)
{
	return sid == (int32_t)x->stream_id && t >= x->valid_from_ns && t < x->valid_to_ns;
}

void ts_session_free(struct ts_session *s)
{
	for (size_t i = 0; i < s->nstreams; i++) {
		free(s->streams[i].msgs);
		free(s->streams[i].run_start);
		free(s->streams[i].run_end);
	}
	free(s->streams);
	free(s->ctls);
	free(s->sinkevs);
	free(s->marks);
	free(s->gt_host_ns);
	free(s->gt_ticks);
	memset(s, 0, sizeof(*s));
}

/* Index of the last mark with t_ns <= t, or -1. */
static long last_mark_at(const struct ts_session *s, int64_t t)
{
	size_t lo = 0, hi = s->nmarks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->marks[mid].t_ns <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* Number of values in a sorted array that are <= t, searching forward from *pos. */
static size_t count_le(const int64_t *v, size_t n, size_t *pos, int64_t t)
{
	while (*pos < n && v[*pos] <= t)
		(*pos)++;
	return *pos;
}

static size_t count_le_bs(const int64_t *v, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int64_t ts_stall_init(struct ts_stall *st, const struct ts_session *sess, int64_t a, int64_t b,
		      double period_ns, int64_t *best_t)
{
	memset(st, 0, sizeof(*st));
	st->start_ns = a;
	st->end_ns = b;
	/* times are at most 2^62 (loader); the bound keeps the sum in range */
	double two = 2 * period_ns < 4e18 ? 2 * period_ns : 4e18;
	int64_t t = a + (int64_t)two;
	*best_t = INT64_MIN;
	long m = last_mark_at(sess, t);
	snprintf(st->after, sizeof(st->after), "session start");
	if (m >= 0) {
		*best_t = sess->marks[m].t_ns;
		snprintf(st->after, sizeof(st->after), "%s", sess->marks[m].what);
	}
	return t;
}

void ts_stall_offer(struct ts_stall *st, int64_t *best_t, const struct ts_stream *o, int64_t t_done,
		    uint64_t chain)
{
	if (t_done < *best_t)
		return;
	*best_t = t_done;
	snprintf(st->after, sizeof(st->after), "%s chain %" PRIu64 " completed (stream %u)",
		 o->direction == VIRTIO_SND_D_INPUT ? "RX" : "TX", chain, o->stream_id);
}

static int add_stall(struct ts_stream_stats *ss, const struct ts_session *sess, int64_t a,
		     int64_t b, double period_ns)
{
	struct ts_stall *n = realloc(ss->stalls, (ss->nstalls + 1) * sizeof(*n));
	if (!n)
		return -1;
	ss->stalls = n;
	struct ts_stall *st = &n[ss->nstalls++];
	int64_t best_t;
	int64_t t = ts_stall_init(st, sess, a, b, period_ns, &best_t);
	for (size_t i = 0; i < sess->nstreams; i++) {
		/* the last completion of stream entry i at or before t */
		const struct ts_stream *o = &sess->streams[i];
		size_t lo = 0, hi = o->nmsgs;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (o->msgs[mid].t_done_ns >= 0 && o->msgs[mid].t_done_ns <= t)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0)
			ts_stall_offer(st, &best_t, o, o->msgs[lo - 1].t_done_ns,
				       o->msgs[lo - 1].chain);
	}
	return 0;
}

double ts_run_wall_s(const struct ts_stream *s, int64_t t_last)
{
	for (size_t r = 0; r < s->nruns; r++)
		if (s->run_start[r] <= t_last && t_last < s->run_end[r])
			return (double)(t_last - s->run_start[r]) / 1e9;
	return 0;
}

void ts_count_sinkevs(const struct ts_session *sess, struct ts_stream_stats *ss)
{
	for (size_t i = 0; i < sess->nsinkevs; i++) {
		const struct ts_sinkev *e = &sess->sinkevs[i];
		if (!ts_stream_owns(ss->s, e->stream_id, e->t_ns))
			continue;
		if (e->kind == TS_EV_UNDERRUN)
			ss->underruns++;
		else if (e->kind == TS_EV_XRUN)
			ss->xruns++;
		else
			ss->errors++;
	}
}

static int stream_stats(const struct ts_session *sess, const struct ts_stream *s,
			struct ts_stream_stats *ss)
{
	int rc = -1;
	memset(ss, 0, sizeof(*ss));
	ss->s = s;
	if (s->rate_hz && s->frame_bytes)
		ss->period_ns = (double)s->period_bytes / s->frame_bytes / s->rate_hz * 1e9;

	size_t n = s->nmsgs;
	int64_t *deq = malloc((n + 1) * sizeof(*deq));
	int64_t *deq_id = malloc((n + 1) * sizeof(*deq_id));
	int64_t *done_id = malloc((n + 1) * sizeof(*done_id));
	int64_t *done = malloc((n + 1) * sizeof(*done));
	int64_t *iv = malloc((n + 1) * sizeof(*iv));
	int64_t *lat = malloc((n + 1) * sizeof(*lat));
	int64_t *fx = malloc((n + 1) * sizeof(*fx));
	int64_t *fy = malloc((n + 1) * sizeof(*fy));
	size_t *gstart = malloc((s->nruns + 2) * sizeof(*gstart));
	ss->points = malloc((n + 1) * sizeof(*ss->points));
	ss->prebuffered = calloc(s->nruns + 1, sizeof(*ss->prebuffered));
	if (!deq || !deq_id || !done_id || !done || !iv || !lat || !fx || !fy || !gstart ||
	    !ss->points || !ss->prebuffered)
		goto out;

	size_t ndone = 0, nlat = 0;
	int use_ids = 1;
	for (size_t i = 0; i < n; i++) {
		deq[i] = s->msgs[i].t_deq_ns;
		deq_id[i] = (int64_t)s->msgs[i].chain;
		if (s->msgs[i].t_done_ns >= 0) {
			if (!s->msgs[i].done_id)
				use_ids = 0;
			done_id[ndone] = (int64_t)s->msgs[i].done_id;
			done[ndone++] = s->msgs[i].t_done_ns;
			lat[nlat++] = s->msgs[i].t_done_ns - s->msgs[i].t_deq_ns;
		}
	}
	qsort(deq, n, sizeof(*deq), cmp_i64);
	qsort(done, ndone, sizeof(*done), cmp_i64);
	if (use_ids) {
		qsort(deq_id, n, sizeof(*deq_id), cmp_i64);
		qsort(done_id, ndone, sizeof(*done_id), cmp_i64);
	}

	/* Messages held at each START. */
	for (size_t r = 0; r < s->nruns; r++) {
		int64_t t = s->run_start[r];
		ss->prebuffered[r] =
		    (uint32_t)(count_le_bs(deq, n, t) - count_le_bs(done, ndone, t));
	}
	ss->nstarts = s->nruns;

	/* Walk completions in time order, assigning each to the run containing it. */
	size_t r = 0, niv = 0, np = 0, ng = 0, dpos = 0, cpos = 0;
	long cur_run = -1;
	int64_t prev = 0;
	uint64_t cum = 0;
	double depth_sum = 0;
	for (size_t i = 0; i < n; i++) {
		const struct ts_msg *m = &s->msgs[i];
		if (m->t_done_ns < 0)
			continue;
		int64_t t = m->t_done_ns;
		while (r < s->nruns && s->run_end[r] <= t)
			r++;
		if (r >= s->nruns || t < s->run_start[r])
			continue; /* completed outside RUNNING (flush at RELEASE, error) */
		if ((long)r != cur_run) {
			cur_run = (long)r;
			gstart[ng++] = np;
			prev = -1;
		}
		struct ts_point *p = &ss->points[np];
		p->seq = np;
		p->chain = m->chain;
		p->t_ns = t;
		p->interval_ns = prev >= 0 ? t - prev : -1;
		if (prev >= 0)
			iv[niv++] = t - prev;
		prev = t;
		size_t held;
		if (use_ids) /* arrivals before this completion in recording order */
			held = count_le(deq_id, n, &dpos, (int64_t)m->done_id - 1) -
			       count_le(done_id, ndone, &cpos, (int64_t)m->done_id);
		else
			held = count_le(deq, n, &dpos, t) - count_le(done, ndone, &cpos, t);
		p->fill = (uint32_t)held;
		cum += m->frames;
		p->frames = cum;
		p->latency_ns = t - m->t_deq_ns;
		fx[np] = t;
		fy[np] = (int64_t)cum;
		if (np == 0 || held < ss->depth_min)
			ss->depth_min = (uint32_t)held;
		if (held > ss->depth_max)
			ss->depth_max = (uint32_t)held;
		depth_sum += held;
		np++;
	}
	gstart[ng] = np;
	ss->npoints = np;
	ss->frames = cum;
	ss->depth_mean = np ? depth_sum / np : 0;
	if (s->rate_hz)
		ss->nominal_s = (double)cum / s->rate_hz;

	/* Wall-clock: per run, from START to its last completion. */
	for (size_t g = 0; g < ng; g++)
		ss->wall_s += ts_run_wall_s(s, ss->points[gstart[g + 1] - 1].t_ns);

	struct stm_fit fit;
	if (np >= 2 && stm_linfit_groups(fx, fy, gstart, ng, &fit) == 0) {
		ss->have_fit = 1;
		ss->eff_rate_hz = fit.slope * 1e9;
		ss->drift_ppm = stm_drift_ppm(ss->eff_rate_hz, s->rate_hz);
		ss->fit_r2 = fit.r2;
		ss->drift_se_ppm = s->rate_hz ? fit.slope_se * 1e9 / s->rate_hz * 1e6 : NAN;
	}
	stm_jitter(iv, niv, (int64_t)(ss->period_ns + 0.5), &ss->jitter);
	stm_summarize(iv, niv, &ss->interval);
	stm_summarize(lat, nlat, &ss->latency);

	/* Stalls: gaps of more than two periods between message arrivals inside a run. */
	if (ss->period_ns > 0) {
		double lim = 2 * ss->period_ns;
		size_t k = 0;
		for (size_t rr = 0; rr < s->nruns; rr++) {
			int64_t a = s->run_start[rr], b = s->run_end[rr], last = a;
			while (k < n && deq[k] <= a)
				k++;
			while (k < n && deq[k] <= b) {
				if ((double)(deq[k] - last) > lim &&
				    add_stall(ss, sess, last, deq[k], ss->period_ns))
					goto out;
				last = deq[k++];
			}
			if ((double)(b - last) > lim && add_stall(ss, sess, last, b, ss->period_ns))
				goto out;
		}
	}

	ts_count_sinkevs(sess, ss);
	rc = 0;
out:
	free(deq);
	free(deq_id);
	free(done_id);
	free(done);
	free(iv);
	free(lat);
	free(fx);
	free(fy);
	free(gstart);
	return rc;
}

static int cmp_ctl_code(const void *a, const void *b)
{
	const struct ts_ctl_stats *x = a, *y = b;
	return (x->code > y->code) - (x->code < y->code);
}

int ts_compute_ctl(const struct ts_session *sess, struct ts_stats *out)
{
	/* Control commands per code (their latencies are held: one per request). */
	out->ctl = calloc(sess->nctls + 1, sizeof(*out->ctl));
	int64_t *lat = malloc((sess->nctls + 1) * sizeof(*lat));
	if (!out->ctl || !lat) {
		free(lat);
		return -1;
	}
	for (size_t i = 0; i < sess->nctls; i++) {
		const struct ts_ctl *c = &sess->ctls[i];
		size_t k = 0;
		while (k < out->nctl && out->ctl[k].code != c->code)
			k++;
		if (k == out->nctl)
			out->ctl[out->nctl++].code = c->code;
		struct ts_ctl_stats *cs = &out->ctl[k];
		cs->count++;
		switch (c->status) {
		case VIRTIO_SND_S_OK:
			cs->ok++;
			break;
		case VIRTIO_SND_S_BAD_MSG:
			cs->bad_msg++;
			break;
		case VIRTIO_SND_S_NOT_SUPP:
			cs->not_supp++;
			break;
		case VIRTIO_SND_S_IO_ERR:
			cs->io_err++;
			break;
		default:
			cs->other++;
			break;
		}
		if (c->status != VIRTIO_SND_S_OK && !c->discarded)
			out->invalid_requests++;
	}
	qsort(out->ctl, out->nctl, sizeof(*out->ctl), cmp_ctl_code);
	for (size_t k = 0; k < out->nctl; k++) {
		size_t nl = 0;
		for (size_t i = 0; i < sess->nctls; i++)
			if (sess->ctls[i].code == out->ctl[k].code && sess->ctls[i].t_done_ns >= 0)
				lat[nl++] = sess->ctls[i].t_done_ns - sess->ctls[i].t_deq_ns;
		stm_summarize(lat, nl, &out->ctl[k].latency);
	}
	free(lat);
	out->invalid_requests += sess->malformed;

	return 0;
}

int ts_compute(const struct ts_session *sess, struct ts_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->sess = sess;
	out->duration_s = (double)(sess->t_last_ns - sess->t_first_ns) / 1e9;
	out->streams = calloc(sess->nstreams + 1, sizeof(*out->streams));
	if (!out->streams)
		return -1;
	out->nstreams = sess->nstreams;
	for (size_t i = 0; i < sess->nstreams; i++)
		if (stream_stats(sess, &sess->streams[i], &out->streams[i])) {
			ts_stats_free(out);
			return -1;
		}

	if (ts_compute_ctl(sess, out)) {
		ts_stats_free(out);
		return -1;
	}

	struct stm_fit fit;
	if (sess->ngt >= 2 && stm_linfit(sess->gt_host_ns, sess->gt_ticks, sess->ngt, &fit) == 0 &&
	    fit.slope > 0) {
		out->have_guest_fit = 1;
		out->guest_hz = fit.slope * 1e9;
		out->guest_drift_ppm = stm_drift_ppm(out->guest_hz, (double)sess->timebase_hz);
	}
	return 0;
}

void ts_stats_free(struct ts_stats *st)
{
	for (size_t i = 0; i < st->nstreams; i++) {
		free(st->streams[i].points);
		free(st->streams[i].prebuffered);
		free(st->streams[i].stalls);
	}
	free(st->streams);
	free(st->ctl);
	memset(st, 0, sizeof(*st));
}
