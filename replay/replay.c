/* replay.c - the replay engine: walks a recorded session in order and re-drives the device
 * core under a virtual clock (design and guarantees in replay/replay.h). */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "replay/replay_load.h"
#include "replay/replay_priv.h"
#include "vsnd/virtio_snd.h"

/* Events are loaded this far ahead of the clock (see replay.h). */
#define RP_HORIZON_NS 1000000000ull
/* Latest time the clock is ever set to (2^62 ns, about 146 years). */
#define RP_T_MAX (1ull << 62)
/* Clock slices when pacing to real time. */
#define RP_SLICE_NS 10000000ull

void vt_replay_opts_default(struct vt_replay_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->speed = 0;
	o->stream = -1;
	o->from_s = 0;
	o->to_s = -1;
	o->tolerance_ns = 1000000;
	o->wait_timeout_ms = 5000;
}

const char *vt_replay_default_sink(void)
{
	glob_t g;
	const char *res = "null";
	if (glob("/dev/snd/pcmC*D*p", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			int fd = open(g.gl_pathv[i], O_RDWR | O_NONBLOCK | O_CLOEXEC);
			if (fd >= 0) {
				close(fd);
				res = "alsa";
				break;
			}
		}
	}
	globfree(&g);
	return res;
}

int vt_replay_failed(const struct vt_replay_report *rep, const struct vt_replay_opts *opts)
{
	if (!opts->verify)
		return 0;
	return rep->divergences > 0 || (opts->strict_timing && rep->timing_issues > 0);
}

/* ---- divergences ---- */

static void fill_div(struct replay *rp, struct vt_replay_div *d, uint64_t event_id, uint64_t t_ns,
		     int queue, int stream, const char *field, const char *expected,
		     const char *actual, const char *fmt, va_list ap)
{
	memset(d, 0, sizeof(*d));
	d->event_id = event_id;
	d->t_ns = t_ns;
	d->t_s = t_ns >= rp->t0 ? (double)(t_ns - rp->t0) / 1e9 : 0;
	d->queue = queue;
	d->stream = stream;
	snprintf(d->field, sizeof(d->field), "%s", field);
	snprintf(d->expected, sizeof(d->expected), "%s", expected);
	snprintf(d->actual, sizeof(d->actual), "%s", actual);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
}

void rp_diverge(struct replay *rp, uint64_t event_id, uint64_t t_ns, int queue, int stream,
		const char *field, const char *expected, const char *actual, const char *fmt, ...)
{
	if (rp->stop)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (rp->rep->divergences++ == 0)
		fill_div(rp, &rp->rep->first, event_id, t_ns, queue, stream, field, expected, actual,
			 fmt, ap);
	va_end(ap);
	if (rp->o.verify)
		rp->stop = true;
}

void rp_timing(struct replay *rp, uint64_t event_id, uint64_t t_ns, int queue, int stream,
	       const char *field, const char *expected, const char *actual, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (rp->rep->timing_issues++ == 0)
		fill_div(rp, &rp->rep->first_timing, event_id, t_ns, queue, stream, field, expected,
			 actual, fmt, ap);
	va_end(ap);
	if (rp->o.verify && rp->o.strict_timing)
		rp->stop = true;
}

/* mu held: compare the completion order of queue q as far as both sides go. */
static void compare_order(struct replay *rp, int q)
{
	struct rp_u64q *e = &rp->exp_order[q], *a = &rp->act_order[q];
	while (e->len && a->len) {
		uint64_t x = e->v[e->start], y = a->v[a->start];
		e->start++;
		e->len--;
		a->start++;
		a->len--;
		if (x != y) {
			char ex[40], ac[40];
			snprintf(ex, sizeof(ex), "chain %llu", (unsigned long long)x);
			snprintf(ac, sizeof(ac), "chain %llu", (unsigned long long)y);
			struct rp_chain *ch = rp_find(rp, x);
			rp_diverge(rp, ch ? ch->rec_end_id : x, ch ? ch->rec_end_t : rp->now, q, -1,
				   "completion order", ex, ac,
				   "queue %d: chains came back in a different order", q);
			return;
		}
	}
}

/* ---- look-ahead ---- */

static struct rp_step *push_step(struct replay *rp, enum rp_step_kind k, const struct vt_event *ev)
{
	if (rp->st_start && rp->st_start + rp->st_len == rp->st_cap) {
		memmove(rp->steps, rp->steps + rp->st_start, rp->st_len * sizeof(*rp->steps));
		rp->st_start = 0;
	}
	if (rp->st_len == rp->st_cap) {
		size_t nc = rp->st_cap ? 2 * rp->st_cap : 256;
		struct rp_step *nv = realloc(rp->steps, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		rp->steps = nv;
		rp->st_cap = nc;
	}
	struct rp_step *s = &rp->steps[rp->st_start + rp->st_len++];
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->id = ev->id;
	s->t_ns = ev->t_ns;
	s->ticks = ev->ticks;
	return s;
}

static struct rp_tap *tap_for(struct replay *rp, uint32_t stream)
{
	return stream < VSND_MAX_STREAMS ? rp->taps[stream] : NULL;
}

/* Load one event. Returns 1, 0 at the end, or -VT_E_*. */
static int load_one(struct replay *rp, char *err, size_t errlen)
{
	struct vt_event ev;
	int rc = rp_loader_next(rp->ld, &ev, err, errlen);
	if (rc <= 0) {
		rp->it_done = true;
		return rc;
	}
	rp->rep->events++;
	/* A damaged time must not bring the virtual clock near VSND_CLOCK_NEVER (waiters with
	 * no deadline would count as due). */
	if (ev.t_ns > RP_T_MAX)
		ev.t_ns = RP_T_MAX;
	if (ev.t_ns > rp->loaded_t)
		rp->loaded_t = ev.t_ns;
	pthread_mutex_lock(&rp->mu);
	switch (ev.kind) {
	case VT_EV_CHAIN: {
		struct rp_chain *ch = rp_chain_new(rp, &ev);
		struct rp_step *s = ch ? push_step(rp, RP_ST_CHAIN, &ev) : NULL;
		if (!s || rp_insert(rp, ch)) {
			rp_chain_free(ch);
			pthread_mutex_unlock(&rp->mu);
			snprintf(err, errlen, "out of memory");
			return -VT_E_NOMEM;
		}
		s->ch = ch;
		break;
	}
	case VT_EV_CHAIN_READ:
	case VT_EV_CHAIN_WRITE: {
		struct rp_chain *ch = rp_find(rp, ev.chain);
		if (ch && (ev.kind == VT_EV_CHAIN_READ || rp->o.verify))
			rp_segv_add(ev.kind == VT_EV_CHAIN_READ ? &ch->rreads : &ch->rwrites, ev.id,
				    ev.u.io.off, ev.data, ev.data_len);
		break;
	}
	case VT_EV_CHAIN_COMPLETE:
	case VT_EV_CHAIN_DISCARD: {
		struct rp_chain *ch = rp_find(rp, ev.chain);
		if (!ch)
			break;
		ch->rec_end = ev.kind == VT_EV_CHAIN_COMPLETE ? RP_END_COMPLETE : RP_END_DISCARD;
		ch->rec_used = ev.u.end.used_len;
		ch->rec_end_id = ev.id;
		ch->rec_end_t = ev.t_ns;
		if (ev.kind == VT_EV_CHAIN_COMPLETE) {
			int q = rp_qidx(ch->c.queue);
			struct rp_step *s = push_step(rp, RP_ST_COMPLETE, &ev);
			if (s)
				s->q = q;
			if (rp->o.verify) {
				rp_u64q_push(&rp->exp_order[q], ch->id);
				compare_order(rp, q);
			}
		}
		rp_chain_check(rp, ch);
		break;
	}
	case VT_EV_DRIVER_OK:
		push_step(rp, RP_ST_DRIVER_OK, &ev);
		break;
	case VT_EV_DEVICE_RESET:
		push_step(rp, RP_ST_RESET, &ev);
		break;
	case VT_EV_CONFIG_READ: {
		struct rp_step *s = push_step(rp, RP_ST_CONFIG, &ev);
		if (s) {
			s->off = ev.u.cfg.off;
			s->len = ev.data_len;
			s->data = malloc(ev.data_len ? ev.data_len : 1);
			if (s->data && ev.data_len)
				memcpy(s->data, ev.data, ev.data_len);
		}
		break;
	}
	case VT_EV_SINK_OPEN: {
		struct rp_tap *t = tap_for(rp, ev.stream);
		if (t)
			rp_tap_add_open(t, &ev);
		break;
	}
	case VT_EV_SINK_WRITE:
	case VT_EV_SINK_READ: {
		struct rp_tap *t = tap_for(rp, ev.stream);
		if (t)
			rp_tap_add_io(t, &ev, rp->o.verify);
		break;
	}
	default:
		break;
	}
	pthread_mutex_unlock(&rp->mu);
	return 1;
}

/* Load until the events up to t + horizon are in. */
static int load_until(struct replay *rp, uint64_t t, char *err, size_t errlen)
{
	while (!rp->it_done && (rp->loaded_t <= t + RP_HORIZON_NS || !rp->st_len)) {
		int rc = load_one(rp, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Free the chains whose both ends are known and checked (main thread). */
static void reap(struct replay *rp)
{
	pthread_mutex_lock(&rp->mu);
	struct rp_u64q *q = &rp->reap;
	while (q->len) {
		struct rp_chain *ch = rp_find(rp, q->v[q->start]);
		q->start++;
		q->len--;
		if (ch)
			rp_forget(rp, ch);
	}
	pthread_mutex_unlock(&rp->mu);
}

/* ---- clock ---- */

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct pacer {
	bool valid;
	uint64_t real_ref, t_ref;
	uint64_t real_start, last_progress;
};

static bool in_window(const struct replay *rp, uint64_t t)
{
	double rel = ((double)t - (double)rp->t0) / 1e9;
	return rel >= rp->o.from_s && (rp->o.to_s < 0 || rel < rp->o.to_s);
}

static void progress(struct replay *rp, struct pacer *pc, bool final)
{
	if (!rp->o.progress)
		return;
	uint64_t now = real_ns();
	if (!final && now - pc->last_progress < 100000000ull)
		return;
	pc->last_progress = now;
	double tot = (double)rp->rep->session_ns / 1e9;
	double at = ((double)rp->now - (double)rp->t0) / 1e9;
	if (final) {
		fprintf(stderr, "\r%60s\r", "");
	} else {
		fprintf(stderr, "\rreplay: %7.2f / %.2f s  %3d%%  %llu chains", at, tot,
			tot > 0 ? (int)(100 * at / tot) : 100, (unsigned long long)rp->rep->chains);
	}
	fflush(stderr);
}

/* Wait until the device has done what is due now, if an input may have given it work. */
static void settle(struct replay *rp)
{
	if (rp->dirty) {
		vsnd_dev_quiesce(rp->dev);
		rp->dirty = false;
	}
}

static void set_clock(struct replay *rp, uint64_t t, uint64_t ticks, struct pacer *pc)
{
	settle(rp);
	if (rp->o.speed > 0 && in_window(rp, t)) {
		if (!pc->valid) {
			pc->valid = true;
			pc->real_ref = real_ns();
			pc->t_ref = rp->now;
		}
		uint64_t target = pc->real_ref + (uint64_t)((double)(t - pc->t_ref) / rp->o.speed);
		uint64_t r = real_ns();
		if (target > r) {
			struct timespec ts = { .tv_sec = (time_t)((target - r) / 1000000000ull),
					       .tv_nsec = (long)((target - r) % 1000000000ull) };
			nanosleep(&ts, NULL);
		}
	} else {
		pc->valid = false;
	}
	if (ticks)
		vsnd_vclock_set_guest_ticks(rp->vc, ticks);
	vsnd_vclock_set(rp->vc, t);
	pthread_mutex_lock(&rp->mu); /* device threads read it in divergence reports */
	rp->now = t;
	pthread_mutex_unlock(&rp->mu);
	vsnd_dev_quiesce(rp->dev);
	progress(rp, pc, false);
}

/* Move the clock to t (never back), in slices when pacing. Returns 1 if it moved. */
static int advance(struct replay *rp, uint64_t t, uint64_t ticks, struct pacer *pc)
{
	if (t <= rp->now)
		return 0;
	if (rp->o.speed > 0) {
		while (t - rp->now > RP_SLICE_NS)
			set_clock(rp, rp->now + RP_SLICE_NS, 0, pc);
	}
	set_clock(rp, t, ticks, pc);
	return 1;
}

/* Before an input: the device has done what is due, and has completed at least as many
 * chains per queue as the recording had before this input. */
static void before_input(struct replay *rp, const struct rp_step *st, bool *timed_out)
{
	settle(rp);
	pthread_mutex_lock(&rp->mu);
	uint64_t deadline = real_ns() + (uint64_t)rp->o.wait_timeout_ms * 1000000ull;
	for (;;) {
		int short_q = -1;
		for (int q = 0; q < RP_NQ; q++)
			if (rp->act_count[q] < rp->rec_count[q])
				short_q = q;
		if (short_q < 0 || rp->stop)
			break;
		uint64_t now = real_ns();
		if (*timed_out || now >= deadline) {
			char ex[48], ac[48];
			snprintf(ex, sizeof(ex), "%llu completions",
				 (unsigned long long)rp->rec_count[short_q]);
			snprintf(ac, sizeof(ac), "%llu completions",
				 (unsigned long long)rp->act_count[short_q]);
			rp_diverge(rp, st->id, st->t_ns, short_q, -1, "completions", ex, ac,
				   "device never completed the chains on queue %d that the recording "
				   "completed before event %llu", short_q, (unsigned long long)st->id);
			*timed_out = true;
			/* Do not wait again for this shortfall. */
			rp->act_count[short_q] = rp->rec_count[short_q];
			continue;
		}
		/* rp->cv measures CLOCK_MONOTONIC (vsnd_cond_init), like real_ns(). */
		uint64_t until = now + (deadline - now < 50000000ull ? deadline - now : 50000000ull);
		struct timespec ts = { .tv_sec = (time_t)(until / 1000000000ull),
				       .tv_nsec = (long)(until % 1000000000ull) };
		pthread_cond_timedwait(&rp->cv, &rp->mu, &ts);
	}
	pthread_mutex_unlock(&rp->mu);
}

static bool stopped(struct replay *rp)
{
	pthread_mutex_lock(&rp->mu);
	bool s = rp->stop;
	pthread_mutex_unlock(&rp->mu);
	return s;
}

static void do_step(struct replay *rp, struct rp_step *st, struct pacer *pc, bool *timed_out)
{
	switch (st->kind) {
	case RP_ST_COMPLETE:
		pthread_mutex_lock(&rp->mu);
		rp->rec_count[st->q]++;
		pthread_mutex_unlock(&rp->mu);
		advance(rp, st->t_ns, st->ticks, pc);
		break;
	case RP_ST_CONFIG: {
		uint8_t *buf = malloc(st->len ? st->len : 1);
		if (!buf)
			break;
		vsnd_dev_config_read(rp->dev, st->off, buf, st->len);
		if (rp->o.verify && st->data && memcmp(buf, st->data, st->len)) {
			uint32_t i = 0;
			while (buf[i] == st->data[i])
				i++;
			char ex[16], ac[16];
			snprintf(ex, sizeof(ex), "0x%02x", st->data[i]);
			snprintf(ac, sizeof(ac), "0x%02x", buf[i]);
			pthread_mutex_lock(&rp->mu);
			rp_diverge(rp, st->id, st->t_ns, -1, -1, "config space", ex, ac,
				   "config space byte %u differs", st->off + i);
			pthread_mutex_unlock(&rp->mu);
		}
		free(buf);
		break;
	}
	case RP_ST_DRIVER_OK:
	case RP_ST_RESET:
	case RP_ST_CHAIN:
		advance(rp, st->t_ns, st->ticks, pc);
		before_input(rp, st, timed_out);
		if (stopped(rp))
			break;
		rp->rep->inputs++;
		rp->dirty = true;
		if (st->kind == RP_ST_DRIVER_OK) {
			vsnd_dev_driver_ok(rp->dev);
		} else if (st->kind == RP_ST_RESET) {
			vsnd_dev_reset(rp->dev);
		} else {
			pthread_mutex_lock(&rp->mu);
			st->ch->submitted = true;
			pthread_mutex_unlock(&rp->mu);
			rp->rep->chains++;
			vsnd_dev_submit(rp->dev, &st->ch->c);
		}
		break;
	}
}

/* ---- sinks ---- */

/* "wav:out.wav" for stream n > first -> "wav:out-sN.wav". */
static void derive_spec(char *out, size_t n, const char *spec, uint32_t stream)
{
	const char *colon = strchr(spec, ':');
	const char *dot = strrchr(spec, '.');
	const char *slash = strrchr(spec, '/');
	if (!colon || (strncmp(spec, "wav:", 4) && strncmp(spec, "flac:", 5))) {
		snprintf(out, n, "%s", spec);
		return;
	}
	if (!dot || dot < colon || (slash && dot < slash))
		snprintf(out, n, "%s-s%u", spec, stream);
	else
		snprintf(out, n, "%.*s-s%u%s", (int)(dot - spec), spec, stream, dot);
}

static int make_taps(struct replay *rp, const struct vsnd_config *cfg, struct vsnd_host *host,
		     char *err, size_t errlen)
{
	const char *spec = rp->o.sink_spec ? rp->o.sink_spec : vt_replay_default_sink();
	int first_out = -1;
	for (uint32_t i = 0; i < cfg->nstreams; i++) {
		uint8_t dir = cfg->streams[i].direction;
		bool selected = rp->o.stream < 0 || (uint32_t)rp->o.stream == i;
		struct vsnd_sink *inner = rp->o.sinks[i];
		rp->o.sinks[i] = NULL;
		if (dir == VIRTIO_SND_D_OUTPUT && selected && !inner) {
			char sp[1024], e[256] = "";
			if (first_out < 0)
				snprintf(sp, sizeof(sp), "%s", spec);
			else
				derive_spec(sp, sizeof(sp), spec, i);
			if (vsnd_sink_create(sp, VIRTIO_SND_D_OUTPUT, &inner, e, sizeof(e))) {
				snprintf(err, errlen, "sink '%s': %s", sp, e);
				return -VT_REPLAY_E_SINK;
			}
		}
		if (dir == VIRTIO_SND_D_OUTPUT && selected && first_out < 0)
			first_out = (int)i;
		if (inner && (dir != VIRTIO_SND_D_OUTPUT || !selected)) {
			vsnd_sink_destroy(inner);
			inner = NULL;
		}
		rp->taps[i] = rp_tap_new(rp, i, dir, inner,
					 dir == VIRTIO_SND_D_OUTPUT && selected && rp->o.verify);
		if (!rp->taps[i]) {
			if (inner)
				vsnd_sink_destroy(inner);
			snprintf(err, errlen, "out of memory");
			return -VT_E_NOMEM;
		}
		host->sinks[i] = &rp->taps[i]->s;
	}
	return 0;
}

/* ---- the run ---- */

static void rp_needs_reset(void *opaque)
{
	(void)opaque; /* the transport's business; the device's answers are verified instead */
}

static void finish_checks(struct replay *rp)
{
	pthread_mutex_lock(&rp->mu);
	for (int q = 0; q < RP_NQ && !rp->stop; q++) {
		compare_order(rp, q);
		struct rp_u64q *e = &rp->exp_order[q], *a = &rp->act_order[q];
		if (rp->stop || (!e->len && !a->len))
			continue;
		uint64_t x = e->len ? e->v[e->start] : a->v[a->start];
		struct rp_chain *ch = rp_find(rp, x);
		char ex[40], ac[40];
		snprintf(ex, sizeof(ex), e->len ? "chain %llu" : "nothing", (unsigned long long)x);
		snprintf(ac, sizeof(ac), a->len ? "chain %llu" : "nothing", (unsigned long long)x);
		rp_diverge(rp, ch ? (e->len ? ch->rec_end_id : ch->id) : x,
			   ch ? (e->len ? ch->rec_end_t : ch->t_ns) : rp->now, q, -1, "completions",
			   ex, ac, e->len ? "device never completed chain %llu"
					  : "device completed chain %llu, which the recording did not",
			   (unsigned long long)x);
	}
	for (uint32_t i = 0; i < VSND_MAX_STREAMS && !rp->stop; i++)
		if (rp->taps[i] && rp->taps[i]->direction == VIRTIO_SND_D_OUTPUT)
			rp_tap_compare(rp->taps[i], true);
	pthread_mutex_unlock(&rp->mu);
}

static int replay_run(struct vt_reader *r, const struct vt_replay_opts *opts,
		      struct vt_replay_report *rep, char *err, size_t errlen);

int vt_replay_run_reader(struct vt_reader *r, const struct vt_replay_opts *opts,
			 struct vt_replay_report *rep, char *err, size_t errlen)
{
	/* Threads inherit the affinity of the thread that creates them: pin this one for the
	 * run (see all_cpus in replay.h), then give it back its own. */
	cpu_set_t saved, one;
	int pinned = 0;
	if (!opts->all_cpus && opts->speed <= 0 &&
	    pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) == 0) {
		int cpu = sched_getcpu();
		CPU_ZERO(&one);
		CPU_SET(cpu < 0 ? 0 : cpu, &one);
		pinned = pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
	}
	int rc = replay_run(r, opts, rep, err, errlen);
	if (pinned)
		pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	return rc;
}

static int replay_run(struct vt_reader *r, const struct vt_replay_opts *opts,
		      struct vt_replay_report *rep, char *err, size_t errlen)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = 0;
	memset(rep, 0, sizeof(*rep));
	struct replay *rp = calloc(1, sizeof(*rp));
	if (!rp) {
		snprintf(err, errlen, "out of memory");
		return -VT_E_NOMEM;
	}
	uint64_t wall0 = real_ns();
	rp->r = r;
	rp->s = vt_reader_session(r);
	rp->o = *opts;
	if (!rp->o.wait_timeout_ms)
		rp->o.wait_timeout_ms = 5000;
	rp->rep = rep;
	rep->verified = opts->verify;
	rp->t0 = rp->s->start_ns;
	if (rp->s->nevents && rp->s->first_t_ns < rp->t0)
		rp->t0 = rp->s->first_t_ns;
	if (rp->t0 > RP_T_MAX)
		rp->t0 = RP_T_MAX;
	rp->now = rp->t0;
	rep->session_ns = rp->s->last_t_ns > rp->t0 ? rp->s->last_t_ns - rp->t0 : 0;
	pthread_mutex_init(&rp->mu, NULL);
	vsnd_cond_init(&rp->cv);

	int rc = 0;
	bool dev_made;
	struct vsnd_config cfg;
	if (rp->s->has_config) {
		cfg = rp->s->config;
	} else {
		vsnd_config_default(&cfg);
		rep->default_config = 1;
	}
	struct vsnd_host host = { .needs_reset = rp_needs_reset, .opaque = rp };
	rp->vc = vsnd_vclock_new(rp->t0, 0);
	if (!rp->vc) {
		rc = -VT_E_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rp->clk = vsnd_vclock_clock(rp->vc);
	host.clock = rp->clk;
	rc = make_taps(rp, &cfg, &host, err, errlen);
	if (rc)
		goto out;
	rp->dev = vsnd_dev_new(&cfg, &host);
	if (!rp->dev) {
		rc = -VT_REPLAY_E_DEVICE;
		snprintf(err, errlen, "the device cannot be created from the session's config "
				      "(invalid or unsupported)");
		goto out;
	}
	/* Plain reads, no memory map: as fast here (a 10-minute session replays in 0.54 s either
	 * way), and resident memory stays bounded by the replay's buffers instead of growing
	 * with the file (149 MiB mapped for a 137 MiB session; 9 MiB without). */
	sqlite3_exec(vt_reader_db(r), "PRAGMA mmap_size = 0", NULL, NULL, NULL);
	rc = rp_loader_start(r, rp->o.verify, &rp->ld, err, errlen);
	if (rc)
		goto out;

	struct pacer pc = { .real_start = wall0 };
	bool timed_out = false;
	for (;;) {
		rc = load_until(rp, rp->now, err, errlen);
		if (rc)
			break;
		if (!rp->st_len)
			break;
		struct rp_step st = rp->steps[rp->st_start];
		rc = load_until(rp, st.t_ns, err, errlen);
		if (rc)
			break;
		rp->st_start++;
		rp->st_len--;
		do_step(rp, &st, &pc, &timed_out);
		free(st.data);
		if (st.kind == RP_ST_CHAIN && !st.ch->submitted) {
			pthread_mutex_lock(&rp->mu);
			rp_forget(rp, st.ch);
			pthread_mutex_unlock(&rp->mu);
		}
		if (stopped(rp))
			break;
		reap(rp);
	}
	if (!rc && !stopped(rp)) {
		/* Everything recorded happened by the last event: let the device get there. */
		uint64_t last = rp->loaded_t > rp->s->last_t_ns ? rp->loaded_t : rp->s->last_t_ns;
		if (last > RP_T_MAX)
			last = RP_T_MAX;
		advance(rp, last, 0, &pc);
		struct rp_step end = { .id = 0, .t_ns = last };
		before_input(rp, &end, &timed_out);
	}
	progress(rp, &pc, true);
out:
	dev_made = rp->dev != NULL;
	if (rp->dev)
		vsnd_dev_free(rp->dev); /* discards what it still holds; destroys the taps' sinks */
	if (!rc && rp->ld)
		finish_checks(rp);
	rp_loader_stop(rp->ld);
	for (size_t i = 0; i < rp->st_len; i++) {
		struct rp_step *s = &rp->steps[rp->st_start + i];
		free(s->data);
	}
	free(rp->steps);
	for (size_t i = 0; i < rp->htcap; i++)
		for (struct rp_chain *c = rp->ht[i], *nx; c; c = nx) {
			nx = c->hnext;
			rp_chain_free(c);
		}
	free(rp->ht);
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++) {
		if (rp->taps[i] && !dev_made)
			rp->taps[i]->s.ops->destroy(&rp->taps[i]->s);
		rp_tap_release(rp->taps[i]);
		if (rp->o.sinks[i])
			vsnd_sink_destroy(rp->o.sinks[i]);
	}
	rp_u64q_free(&rp->reap);
	for (int q = 0; q < RP_NQ; q++) {
		rp_u64q_free(&rp->exp_order[q]);
		rp_u64q_free(&rp->act_order[q]);
	}
	if (rp->vc)
		vsnd_vclock_free(rp->vc);
	pthread_cond_destroy(&rp->cv);
	pthread_mutex_destroy(&rp->mu);
	rep->wall_ns = real_ns() - wall0;
	free(rp);
	return rc;
}

int vt_replay_run(const char *path, const struct vt_replay_opts *opts,
		  struct vt_replay_report *rep, char *err, size_t errlen)
{
	struct vt_reader *r = NULL;
	memset(rep, 0, sizeof(*rep));
	int rc = vt_reader_open(path, 0, &r, err, errlen);
	if (rc) {
		/* The caller's sinks are ours to free even when nothing runs. */
		for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++)
			if (opts->sinks[i])
				vsnd_sink_destroy(opts->sinks[i]);
		return rc;
	}
	rc = vt_replay_run_reader(r, opts, rep, err, errlen);
	vt_reader_close(r);
	return rc;
}
