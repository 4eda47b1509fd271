/* test_trace_recorder.c - the recorder shims and writer, read back through the reader: every
 * event present with its exact bytes and times in order, derived tables, queue-full waits. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/mem_chain.h"
#include "trace/reader.h"
#include "trace/recorder.h"
#include "vsnd/virtio_snd.h"

/* ---- expected events, kept by the test as it drives the shims ---- */

struct exp_ev {
	enum vt_ev_kind kind;
	uint64_t t_ns, ticks;
	uint32_t a, b;        /* kind-specific: off/len, used_len, stream ... */
	uint8_t data[256];
	uint32_t dlen;
	char text[64];
};

struct fixture {
	char path[256];
	struct vsnd_vclock *vc;
	struct vt_recorder *rec;
	struct exp_ev exp[512];
	uint32_t nexp;
	uint64_t now;
};

static void tick(struct fixture *f)
{
	f->now += 1000;
	vsnd_vclock_set(f->vc, f->now);
	vsnd_vclock_set_guest_ticks(f->vc, f->now / 100);
}

static struct exp_ev *expect(struct fixture *f, enum vt_ev_kind k, const void *data,
			     uint32_t dlen)
{
	cr_assert_lt(f->nexp, 512);
	struct exp_ev *e = &f->exp[f->nexp++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->t_ns = f->now;
	e->ticks = f->now / 100;
	cr_assert_leq(dlen, sizeof(e->data));
	if (dlen)
		memcpy(e->data, data, dlen);
	e->dlen = dlen;
	return e;
}

static void tmp_path(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n, "/tmp/vt_test_%s_%d.db", tag, (int)getpid());
}

static void rm_db(const char *path)
{
	char side[300];
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", path);
	unlink(side);
}

/* ---- a synthetic sink: keeps what it is given, reports on demand ---- */

struct test_sink {
	struct vsnd_sink s;
	uint8_t got[4096];
	uint32_t ngot;
	int opened, closed, destroyed;
	int *destroyed_flag;
};

static int ts_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	(void)p;
	((struct test_sink *)s->priv)->opened++;
	return 0;
}
static int ts_write(struct vsnd_sink *s, const void *buf, uint32_t n)
{
	struct test_sink *t = s->priv;
	if (t->ngot + n <= sizeof(t->got)) {
		memcpy(t->got + t->ngot, buf, n);
		t->ngot += n;
	}
	return 0;
}
static int ts_read(struct vsnd_sink *s, void *buf, uint32_t n)
{
	(void)s;
	for (uint32_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = (uint8_t)(0x40 + i);
	return 0;
}
static void ts_close(struct vsnd_sink *s)
{
	((struct test_sink *)s->priv)->closed++;
}
static void ts_destroy(struct vsnd_sink *s)
{
	struct test_sink *t = s->priv;
	if (t->destroyed_flag)
		*t->destroyed_flag = 1;
	free(t);
}
static const struct vsnd_sink_ops ts_ops = {
	.name = "test", .open = ts_open, .write = ts_write, .read = ts_read, .close = ts_close,
	.destroy = ts_destroy,
};

static struct test_sink *test_sink_new(int *destroyed_flag)
{
	struct test_sink *t = calloc(1, sizeof(*t));
	t->s.ops = &ts_ops;
	t->s.priv = t;
	t->destroyed_flag = destroyed_flag;
	return t;
}

/* ---- a synthetic device behind the transport seam ---- */

struct fake_dev {
	struct vsnd_chain *pending[8];
	int npending;
	int driver_ok, resets;
};

static void fd_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	(void)dev;
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)(off + i);
}
static void fd_chain(void *dev, struct vsnd_chain *c)
{
	struct fake_dev *d = dev;
	d->pending[d->npending++] = c;
}
static void fd_driver_ok(void *dev)
{
	((struct fake_dev *)dev)->driver_ok++;
}
static void fd_reset(void *dev)
{
	((struct fake_dev *)dev)->resets++;
}

static const struct vmmio_device_ops fake_ops = {
	.device_id = VIRTIO_ID_SOUND, .vendor_id = 0x554d4551, .features = 0, .num_queues = 4,
	.queue_num_max = { 64, 64, 64, 64 }, .config_read = fd_config_read, .chain = fd_chain,
	.driver_ok = fd_driver_ok, .reset = fd_reset,
};

static struct vsnd_chain *take(struct fake_dev *d)
{
	cr_assert_gt(d->npending, 0);
	struct vsnd_chain *c = d->pending[0];
	memmove(d->pending, d->pending + 1, (size_t)(d->npending - 1) * sizeof(c));
	d->npending--;
	return c;
}

static void fx_open(struct fixture *f, const char *tag, const struct vt_recorder_opts *o)
{
	memset(f, 0, sizeof(*f));
	tmp_path(f->path, sizeof(f->path), tag);
	f->vc = vsnd_vclock_new(0, 0);
	f->now = 1000000;
	vsnd_vclock_set(f->vc, f->now);
	struct vt_recorder_opts opts = { 0 };
	if (o)
		opts = *o;
	opts.clock = vsnd_vclock_clock(f->vc);
	char err[256];
	int rc = vt_recorder_open(f->path, &opts, &f->rec, err, sizeof(err));
	cr_assert_eq(rc, 0, "open: %s", err);
}

static void le32put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Device-side helpers that also note what the reader must give back. */
static void dev_read(struct fixture *f, struct vsnd_chain *c, uint32_t off, uint32_t len)
{
	uint8_t buf[256];
	tick(f);
	uint32_t n = vsnd_chain_read(c, off, buf, len);
	struct exp_ev *e = expect(f, VT_EV_CHAIN_READ, buf, n);
	e->a = off;
	e->b = len;
}

static void dev_write(struct fixture *f, struct vsnd_chain *c, uint32_t off, const void *p,
		      uint32_t len)
{
	tick(f);
	uint32_t n = vsnd_chain_write(c, off, p, len);
	struct exp_ev *e = expect(f, VT_EV_CHAIN_WRITE, p, n);
	e->a = off;
	e->b = len;
}

static void dev_complete(struct fixture *f, struct vsnd_chain *c, uint32_t used)
{
	tick(f);
	vsnd_chain_complete(c, used);
	expect(f, VT_EV_CHAIN_COMPLETE, NULL, 0)->a = used;
}

/* The descriptors of the i-th TX chain of the round trip, and of its RX chain. */
static void tx_descs(struct vsnd_desc td[3], uint32_t i)
{
	td[0] = (struct vsnd_desc){ 0x3000 + (uint64_t)i * 0x100, 4, 1, 1 };
	td[1] = (struct vsnd_desc){ 0x4000 + (uint64_t)i * 0x100, 64, 1, 2 };
	td[2] = (struct vsnd_desc){ 0x5000 + (uint64_t)i * 0x100, 8, 2, 0 };
}
static struct vsnd_desc rxd[5] = { { 0x7000, 4, 1, 1 }, { 0x7100, 10, 3, 2 },
				   { 0x7200, 10, 3, 3 }, { 0x7300, 4, 3, 4 },
				   { 0xfffffff8, 8, 2, 0 } };

static struct mem_chain *submit(struct fixture *f, struct mem_chain_log *log,
				const struct vmmio_device_ops *ops, void *wdev, uint16_t q,
				const void *rd, uint32_t rlen, uint32_t wlen,
				struct vsnd_desc *descs, uint32_t nd)
{
	struct mem_chain *mc = mem_chain_new(log, q, rd, rlen, wlen);
	mc->c.descs = descs;
	mc->c.ndescs = nd;
	mc->c.head = (uint16_t)(descs ? descs[0].next ^ 0x55 : 7);
	tick(f);
	ops->chain(wdev, &mc->c);
	struct exp_ev *e = expect(f, VT_EV_CHAIN, NULL, 0);
	e->a = q;
	e->b = nd;
	return mc;
}

struct pcm_acc {
	uint8_t b[512];
	uint32_t n, rows;
};

static int pcm_cb(void *ctx, const struct vt_pcm *p)
{
	struct pcm_acc *a = ctx;
	if (a->n + p->bytes <= sizeof(a->b))
		memcpy(a->b + a->n, p->data, p->bytes);
	a->n += p->bytes;
	a->rows++;
	return 0;
}

Test(trace_recorder, round_trip_exact)
{
	struct fixture F, *f = &F;
	fx_open(f, "rt", NULL);
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	struct vt_session_info info = {
		.tool_version = "vsndtrace test", .guest_cmdline = "console=hvcs0 quiet",
		.sink_spec = "test", .timebase_hz = 10000000, .config = &cfg, .scenario = "rt",
	};
	vt_recorder_set_session_info(f->rec, &info);

	/* (a) transport events */
	struct vmmio_observer obs = vt_recorder_observer(f->rec);
	struct vmmio_event evs[4] = {
		{ .kind = VMMIO_EV_STATUS, .value = 0xf },
		{ .kind = VMMIO_EV_FEATURES, .value = 1, .features = 1ull << 32 },
		{ .kind = VMMIO_EV_QUEUE_READY, .queue = 2, .value = 1, .num = 64,
		  .desc = 0x80001000, .avail = 0x80002000, .used = 0x80003000 },
		{ .kind = VMMIO_EV_NOTIFY, .queue = 2 },
	};
	for (int i = 0; i < 4; i++) {
		tick(f);
		obs.event(obs.opaque, &evs[i]);
		expect(f, VT_EV_TRANSPORT, NULL, 0)->a = (uint32_t)i;
	}

	/* (b) device ops */
	struct fake_dev dev = { 0 };
	void *wdev = NULL;
	const struct vmmio_device_ops *ops = vt_recorder_wrap_device(f->rec, &fake_ops, &dev, &wdev);
	cr_assert_not_null(ops);
	cr_assert_eq(ops->device_id, VIRTIO_ID_SOUND);
	uint8_t cfgb[12];
	tick(f);
	ops->config_read(wdev, 4, cfgb, sizeof(cfgb));
	cr_assert_eq(cfgb[0], 4);
	struct exp_ev *e = expect(f, VT_EV_CONFIG_READ, cfgb, sizeof(cfgb));
	e->a = 4;
	tick(f);
	ops->driver_ok(wdev);
	expect(f, VT_EV_DRIVER_OK, NULL, 0);
	cr_assert_eq(dev.driver_ok, 1);

	struct mem_chain_log log;
	mem_chain_log_init(&log);

	/* control: SET_PARAMS stream 0, S16 stereo 48000, then OK */
	struct virtio_snd_pcm_set_params sp = {
		.code = VIRTIO_SND_R_PCM_SET_PARAMS, .stream_id = 0, .buffer_bytes = 256,
		.period_bytes = 64, .features = 0, .channels = 2, .format = VIRTIO_SND_PCM_FMT_S16,
		.rate = VIRTIO_SND_PCM_RATE_48000,
	};
	struct vsnd_desc cd[2] = { { 0x1000, 24, 1, 1 }, { 0x2000, 4, 2, 0 } };
	struct mem_chain *ctl = submit(f, &log, ops, wdev, VSND_VQ_CONTROL, &sp, 24, 4, cd, 2);
	struct vsnd_chain *c = take(&dev);
	cr_assert_neq(c, &ctl->c, "the device must get a recording chain");
	dev_read(f, c, 0, 24);
	uint8_t ok[4];
	le32put(ok, VIRTIO_SND_S_OK);
	dev_write(f, c, 0, ok, 4);
	dev_complete(f, c, 4);
	cr_assert_eq(mem_chain_state(ctl, NULL), MEM_CHAIN_COMPLETED);
	cr_assert_eq(mem_chain_w32(ctl, 0), VIRTIO_SND_S_OK);

	/* (c) sink for stream 0 */
	int destroyed = 0;
	struct test_sink *ts = test_sink_new(&destroyed);
	struct vsnd_sink *sink = vt_recorder_wrap_sink(f->rec, &ts->s, 0);
	cr_assert_not_null(sink);
	struct vsnd_pcm_params pp = { .stream_id = 0, .direction = 0,
				      .format = VIRTIO_SND_PCM_FMT_S16, .channels = 2,
				      .rate_index = VIRTIO_SND_PCM_RATE_48000, .rate_hz = 48000,
				      .frame_bytes = 4, .period_bytes = 64, .buffer_bytes = 256 };
	tick(f);
	cr_assert_eq(sink->ops->open(sink, &pp), 0);
	expect(f, VT_EV_SINK_OPEN, NULL, 0);

	/* TX: three periods of 64 bytes; the third read in one call with its header */
	uint8_t played[3][64];
	struct mem_chain *tx[3];
	for (int i = 0; i < 3; i++) {
		uint8_t msg[68];
		le32put(msg, 0);
		for (int j = 0; j < 64; j++)
			msg[4 + j] = played[i][j] = (uint8_t)(i * 64 + j);
		struct vsnd_desc td[3];
		tx_descs(td, (uint32_t)i);
		tx[i] = submit(f, &log, ops, wdev, VSND_VQ_TX, msg, 68, 8, td, 3);
		c = take(&dev);
		if (i < 2) {
			dev_read(f, c, 0, 4);
			dev_read(f, c, 4, 64);
		} else {
			dev_read(f, c, 0, 68);
		}
		tick(f);
		cr_assert_eq(sink->ops->write(sink, played[i], 64), 0);
		e = expect(f, VT_EV_SINK_WRITE, played[i], 64);
		e->a = 0;
		e->b = (uint32_t)i * 64;
		uint8_t st[8];
		le32put(st, VIRTIO_SND_S_OK);
		le32put(st + 4, 128 - (uint32_t)i);
		dev_write(f, c, 0, st, 8);
		dev_complete(f, c, 8);
	}
	cr_assert_eq(ts->ngot, 192);
	cr_assert_arr_eq(ts->got, played, 192);

	/* an underrun: silence to the sink, reported by the sink itself */
	uint8_t silence[32] = { 0 };
	tick(f);
	sink->ops->write(sink, silence, 32);
	e = expect(f, VT_EV_SINK_WRITE, silence, 32);
	e->b = 192;
	tick(f);
	ts->s.report(ts->s.report_ctx, VSND_SINK_EV_UNDERRUN, 0, "late by 1 period");
	strcpy(expect(f, VT_EV_SINK_REPORT, NULL, 0)->text, "late by 1 period");

	/* RX: read header, write 24 bytes of capture + status at the end */
	uint8_t xfer[4];
	le32put(xfer, 1);
	/* five descriptors: the writer stores them three to a statement, then one by one */
	struct mem_chain *rx = submit(f, &log, ops, wdev, VSND_VQ_RX, xfer, 4, 32, rxd, 5);
	c = take(&dev);
	dev_read(f, c, 0, 4);
	uint8_t cap[24];
	for (int j = 0; j < 24; j++)
		cap[j] = (uint8_t)(0xa0 + j);
	dev_write(f, c, 0, cap, 24);
	uint8_t rst[8];
	le32put(rst, VIRTIO_SND_S_OK);
	le32put(rst + 4, 7);
	dev_write(f, c, 24, rst, 8);
	dev_complete(f, c, 32);
	cr_assert_arr_eq(rx->wbuf, cap, 24);

	/* event queue: JACK_DISCONNECTED jack 0 */
	struct mem_chain *evc = submit(f, &log, ops, wdev, VSND_VQ_EVENT, NULL, 0, 8, NULL, 0);
	c = take(&dev);
	uint8_t evb[8];
	le32put(evb, VIRTIO_SND_EVT_JACK_DISCONNECTED);
	le32put(evb + 4, 0);
	dev_write(f, c, 0, evb, 8);
	dev_complete(f, c, 8);

	/* a chain dropped by reset */
	struct mem_chain *dc = submit(f, &log, ops, wdev, VSND_VQ_TX, NULL, 4, 8, NULL, 0);
	c = take(&dev);
	tick(f);
	ops->reset(wdev);
	expect(f, VT_EV_DEVICE_RESET, NULL, 0);
	tick(f);
	vsnd_chain_discard(c);
	expect(f, VT_EV_CHAIN_DISCARD, NULL, 0);
	cr_assert_eq(mem_chain_state(dc, NULL), MEM_CHAIN_DISCARDED);

	tick(f);
	sink->ops->close(sink);
	expect(f, VT_EV_SINK_CLOSE, NULL, 0);
	tick(f);
	vt_recorder_mark(f->rec, "done");
	strcpy(expect(f, VT_EV_MARK, NULL, 0)->text, "done");

	struct vt_recorder_stats rs;
	cr_assert_eq(vt_recorder_sync(f->rec), 0);
	vt_recorder_get_stats(f->rec, &rs);
	cr_assert_eq(rs.events, f->nexp);
	cr_assert_eq(vt_recorder_close(f->rec), 0);
	sink->ops->destroy(sink); /* after close: still a valid pass-through to destroy */
	cr_assert_eq(destroyed, 1);

	/* ---- read back ---- */
	char err[512];
	struct vt_reader *rd;
	int rc = vt_reader_open(f->path, VT_READER_INTEGRITY, &rd, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	const struct vt_session *s = vt_reader_session(rd);
	cr_assert_eq(s->schema_version, 1);
	cr_assert_str_eq(s->tool_version, "vsndtrace test");
	cr_assert_str_eq(s->guest_cmdline, "console=hvcs0 quiet");
	cr_assert_str_eq(s->sink_spec, "test");
	cr_assert_eq(s->timebase_hz, 10000000);
	cr_assert_eq(s->clean_end, 1);
	cr_assert_eq(s->truncated, 0);
	cr_assert_eq(s->events, f->nexp);
	cr_assert_eq(s->nevents, f->nexp);
	cr_assert_eq(s->start_ns, 1000000);
	cr_assert_eq(s->first_t_ns, f->exp[0].t_ns);
	cr_assert_eq(s->last_t_ns, f->exp[f->nexp - 1].t_ns);
	cr_assert_eq(s->has_config, 1);
	cr_assert_eq(memcmp(&s->config, &cfg, sizeof(cfg)), 0, "device config round trip");

	struct vt_iter *it;
	cr_assert_eq(vt_iter_open(rd, &it), 0);
	struct vt_event ev;
	uint32_t i = 0, ntx = 0;
	uint64_t last_id = 0;
	while ((rc = vt_iter_next(it, &ev)) == 1) {
		cr_assert_lt(i, f->nexp);
		struct exp_ev *x = &f->exp[i];
		cr_assert_eq(ev.kind, x->kind, "event %u: kind %s, expected %s", i,
			     vt_ev_kind_name(ev.kind), vt_ev_kind_name(x->kind));
		cr_assert_gt(ev.id, last_id);
		last_id = ev.id;
		cr_assert_eq(ev.t_ns, x->t_ns, "event %u time", i);
		cr_assert_eq(ev.ticks, x->ticks, "event %u ticks", i);
		switch (ev.kind) {
		case VT_EV_TRANSPORT:
			cr_assert_eq(memcmp(&ev.u.transport, &evs[x->a], sizeof(evs[0])), 0);
			break;
		case VT_EV_CONFIG_READ:
			cr_assert_eq(ev.u.cfg.off, x->a);
			cr_assert_eq(ev.data_len, x->dlen);
			cr_assert_arr_eq(ev.data, x->data, x->dlen);
			break;
		case VT_EV_CHAIN:
			cr_assert_eq(ev.chain, ev.id);
			cr_assert_eq(ev.u.chain.queue, x->a);
			cr_assert_eq(ev.u.chain.ndescs, x->b);
			if (ev.u.chain.queue == VSND_VQ_CONTROL) {
				cr_assert_eq(memcmp(ev.u.chain.descs, cd, sizeof(cd)), 0);
				cr_assert_eq(ev.u.chain.rlen, 24);
				cr_assert_eq(ev.u.chain.wlen, 4);
			}
			if (ev.u.chain.queue == VSND_VQ_RX)
				cr_assert_eq(memcmp(ev.u.chain.descs, rxd, sizeof(rxd)), 0,
					     "RX chain descriptors");
			if (ev.u.chain.queue == VSND_VQ_TX && ev.u.chain.ndescs == 3) {
				struct vsnd_desc td[3];
				tx_descs(td, ntx++);
				cr_assert_eq(memcmp(ev.u.chain.descs, td, sizeof(td)), 0,
					     "TX chain %u descriptors", ntx - 1);
			}
			break;
		case VT_EV_CHAIN_READ:
		case VT_EV_CHAIN_WRITE:
			cr_assert_eq(ev.u.io.off, x->a);
			cr_assert_eq(ev.u.io.req_len, x->b);
			cr_assert_eq(ev.data_len, x->dlen, "event %u len %u vs %u", i, ev.data_len,
				     x->dlen);
			cr_assert_arr_eq(ev.data, x->data, x->dlen, "event %u bytes", i);
			break;
		case VT_EV_CHAIN_COMPLETE:
			cr_assert_eq(ev.u.end.used_len, x->a);
			break;
		case VT_EV_SINK_WRITE:
			cr_assert_eq(ev.stream, 0);
			cr_assert_eq(ev.u.sio.stream_offset, x->b);
			cr_assert_eq(ev.data_len, x->dlen);
			cr_assert_arr_eq(ev.data, x->data, x->dlen);
			break;
		case VT_EV_SINK_OPEN:
			cr_assert_eq(memcmp(&ev.u.open.params, &pp, sizeof(pp)), 0);
			break;
		case VT_EV_SINK_REPORT:
			cr_assert_eq(ev.u.report.ev, VSND_SINK_EV_UNDERRUN);
			cr_assert_str_eq(ev.text, x->text);
			break;
		case VT_EV_MARK:
			cr_assert_str_eq(ev.text, x->text);
			break;
		default:
			break;
		}
		i++;
	}
	cr_assert_eq(rc, 0, "iterator: %s", vt_reader_errmsg(rd));
	cr_assert_eq(i, f->nexp);
	cr_assert_eq(ntx, 3, "every TX chain's descriptors compared");
	vt_iter_close(it);

	/* Derived tables and views, as a sqlite3 shell user sees them. */
	sqlite3 *db = vt_reader_db(rd);
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT code, target, status, name, status_name FROM"
					    " control_timeline", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), VIRTIO_SND_R_PCM_SET_PARAMS);
	cr_assert_eq(sqlite3_column_int(q, 1), 0);
	cr_assert_eq(sqlite3_column_int(q, 2), VIRTIO_SND_S_OK);
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 3), "PCM_SET_PARAMS");
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 4), "S_OK");
	cr_assert_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT stream, bytes, frames, latency_bytes, t_sink_ns"
					    " FROM pcm_in_order WHERE direction = 0", -1, &q, NULL),
		     SQLITE_OK);
	for (int k = 0; k < 3; k++) {
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		cr_assert_eq(sqlite3_column_int(q, 0), 0);
		cr_assert_eq(sqlite3_column_int(q, 1), 64);
		cr_assert_eq(sqlite3_column_int(q, 2), 16, "frames from SET_PARAMS: 64 / 4");
		cr_assert_eq(sqlite3_column_int(q, 3), 128 - k);
		cr_assert_neq(sqlite3_column_type(q, 4), SQLITE_NULL, "consumed by the sink");
	}
	cr_assert_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);

	/* PCM stored once: identical sink writes refer to pcm; the silence is kept. */
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT same_as_pcm, pcm_offset FROM sink_write"
					    " ORDER BY id", -1, &q, NULL), SQLITE_OK);
	for (int k = 0; k < 4; k++) {
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		cr_assert_eq(sqlite3_column_int(q, 0), k < 3);
		if (k < 3)
			cr_assert_eq(sqlite3_column_int(q, 1), k * 64);
	}
	sqlite3_finalize(q);

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT stream, frame_bytes, rate_hz, period_bytes FROM"
					    " pcm_params", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 1), 4);
	cr_assert_eq(sqlite3_column_int(q, 2), 48000);
	cr_assert_eq(sqlite3_column_int(q, 3), 64);
	sqlite3_finalize(q);

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT code, data FROM vq_event", -1, &q, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), VIRTIO_SND_EVT_JACK_DISCONNECTED);
	sqlite3_finalize(q);

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*), sum(interval_ns IS NOT NULL),"
					    " max(interval_ns) FROM period_timing WHERE stream = 0",
					-1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 3);
	cr_assert_eq(sqlite3_column_int(q, 1), 2);
	sqlite3_finalize(q);

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT status, latency_bytes FROM chain_end e JOIN"
					    " chain c ON c.id = e.chain WHERE c.queue = 3", -1, &q,
					NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), VIRTIO_SND_S_OK);
	cr_assert_eq(sqlite3_column_int(q, 1), 7);
	sqlite3_finalize(q);

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*), sum(e.stream = 0) FROM chain_end e"
					    " JOIN chain c ON c.id = e.chain WHERE c.queue = 2 AND"
					    " e.stream IS NOT NULL", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 3, "the discarded TX chain never had its header read");
	cr_assert_eq(sqlite3_column_int(q, 1), 3);
	sqlite3_finalize(q);

	static const char *const views[] = { "timeline", "control_timeline", "io_message",
					     "period_timing", "pcm_in_order", "sink_write",
					     "sink_problem" };
	for (size_t k = 0; k < sizeof(views) / sizeof(views[0]); k++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", views[k]);
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", views[k]);
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		if (!strcmp(views[k], "timeline"))
			cr_assert_eq(sqlite3_column_int(q, 0), (int)f->nexp);
		if (!strcmp(views[k], "sink_problem"))
			cr_assert_eq(sqlite3_column_int(q, 0), 1);
		sqlite3_finalize(q);
	}

	/* PCM in order through the API: the TX then the RX batch, exact bytes. */
	struct pcm_acc acc = { 0 };
	cr_assert_eq(vt_reader_pcm(rd, 0, pcm_cb, &acc), 0);
	cr_assert_eq(acc.rows, 3);
	cr_assert_eq(acc.n, 192);
	cr_assert_arr_eq(acc.b, played, 192);
	memset(&acc, 0, sizeof(acc));
	cr_assert_eq(vt_reader_pcm(rd, 1, pcm_cb, &acc), 0);
	cr_assert_eq(acc.n, 24);
	cr_assert_arr_eq(acc.b, cap, 24);

	vt_reader_close(rd);
	for (int k = 0; k < 3; k++)
		mem_chain_free(tx[k]);
	mem_chain_free(ctl);
	mem_chain_free(rx);
	mem_chain_free(evc);
	mem_chain_free(dc);
	mem_chain_log_destroy(&log);
	vsnd_vclock_free(f->vc);
	rm_db(f->path);
}

/* A tiny queue and big events: producers must wait, every wait is counted and stored, and
 * nothing is dropped. */
Test(trace_recorder, queue_full_waits_are_counted)
{
	struct fixture F, *f = &F;
	struct vt_recorder_opts o = { .queue_bytes = 64 << 10 };
	fx_open(f, "full", &o);
	struct test_sink *ts = test_sink_new(NULL);
	struct vsnd_sink *sink = vt_recorder_wrap_sink(f->rec, &ts->s, 3);
	static uint8_t big[12000];
	for (size_t k = 0; k < sizeof(big); k++)
		big[k] = (uint8_t)(k * 7);
	const int N = 1500;
	for (int k = 0; k < N; k++) {
		big[0] = (uint8_t)k;
		sink->ops->write(sink, big, sizeof(big));
	}
	struct vt_recorder_stats st;
	cr_assert_eq(vt_recorder_sync(f->rec), 0);
	vt_recorder_get_stats(f->rec, &st);
	cr_assert_gt(st.producer_waits, 0, "a 64 KiB queue must have filled");
	cr_assert_gt(st.producer_wait_ns, 0);
	cr_assert_eq(st.events, (uint64_t)N);
	cr_assert_eq(vt_recorder_close(f->rec), 0);
	sink->ops->destroy(sink);

	char err[256];
	struct vt_reader *rd;
	cr_assert_eq(vt_reader_open(f->path, 0, &rd, err, sizeof(err)), 0, "%s", err);
	const struct vt_session *s = vt_reader_session(rd);
	cr_assert_eq(s->producer_waits, st.producer_waits);
	cr_assert_eq(s->producer_wait_ns, st.producer_wait_ns);
	cr_assert_eq(s->nevents, (uint64_t)N);
	struct vt_iter *it;
	struct vt_event ev;
	cr_assert_eq(vt_iter_open(rd, &it), 0);
	int k = 0;
	while (vt_iter_next(it, &ev) == 1) {
		cr_assert_eq(ev.kind, VT_EV_SINK_WRITE);
		cr_assert_eq(ev.stream, 3);
		cr_assert_eq(ev.data_len, sizeof(big));
		cr_assert_eq(ev.data[0], (uint8_t)k);
		cr_assert_eq(memcmp(ev.data + 1, big + 1, sizeof(big) - 1), 0);
		cr_assert_eq(ev.u.sio.stream_offset, (uint64_t)k * sizeof(big));
		k++;
	}
	cr_assert_eq(k, N);
	vt_iter_close(it);
	vt_reader_close(rd);
	vsnd_vclock_free(f->vc);
	rm_db(f->path);
}

/* A chain read larger than the biggest queue record is split, never truncated. */
Test(trace_recorder, big_reads_are_split_losslessly)
{
	struct fixture F, *f = &F;
	struct vt_recorder_opts o = { .queue_bytes = 64 << 10 };
	fx_open(f, "split", &o);
	struct mem_chain_log log;
	mem_chain_log_init(&log);
	uint32_t n = 100000;
	uint8_t *msg = malloc(n);
	for (uint32_t k = 0; k < n; k++)
		msg[k] = (uint8_t)(k * 13 + 1);
	le32put(msg, 0);
	struct mem_chain *mc = mem_chain_new(&log, VSND_VQ_TX, msg, n, 8);
	struct vsnd_chain *c = vt_recorder_wrap_chain(f->rec, &mc->c);
	uint8_t *buf = malloc(n);
	cr_assert_eq(vsnd_chain_read(c, 0, buf, n), n);
	vsnd_chain_complete(c, 8);
	cr_assert_eq(vt_recorder_close(f->rec), 0);

	char err[256];
	struct vt_reader *rd;
	cr_assert_eq(vt_reader_open(f->path, 0, &rd, err, sizeof(err)), 0, "%s", err);
	struct vt_iter *it;
	struct vt_event ev;
	cr_assert_eq(vt_iter_open(rd, &it), 0);
	uint32_t got = 0;
	while (vt_iter_next(it, &ev) == 1) {
		if (ev.kind != VT_EV_CHAIN_READ)
			continue;
		cr_assert_eq(ev.u.io.off, got);
		cr_assert_eq(memcmp(ev.data, msg + got, ev.data_len), 0);
		got += ev.data_len;
	}
	cr_assert_eq(got, n);
	vt_iter_close(it);
	/* All PCM (everything after the 4-byte header) in the pcm table, in order. */
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_prepare_v2(vt_reader_db(rd), "SELECT sum(bytes), min(chain_off) FROM"
							    " pcm WHERE stream = 0", -1, &q, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), (int)n - 4);
	cr_assert_eq(sqlite3_column_int(q, 1), 4);
	sqlite3_finalize(q);
	vt_reader_close(rd);
	mem_chain_free(mc);
	mem_chain_log_destroy(&log);
	free(msg);
	free(buf);
	vsnd_vclock_free(f->vc);
	rm_db(f->path);
}

/* A reader can open the session while it is recorded (WAL), and a SIGKILLed recorder leaves
 * a valid database marked incomplete with everything committed before the kill. */
Test(trace_recorder, live_read_and_sigkill)
{
	char path[256];
	tmp_path(path, sizeof(path), "kill");
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct vt_recorder *r;
		char err[256];
		struct vt_recorder_opts o = { .commit_ms = 10 };
		if (vt_recorder_open(path, &o, &r, err, sizeof(err)))
			_exit(3);
		for (int k = 0; k < 100; k++) {
			char t[32];
			snprintf(t, sizeof(t), "m%d", k);
			vt_recorder_mark(r, t);
		}
		if (vt_recorder_sync(r))
			_exit(4);
		/* Readable while recording. */
		struct vt_reader *rd;
		if (vt_reader_open(path, 0, &rd, err, sizeof(err)))
			_exit(5);
		int ok = vt_reader_session(rd)->nevents == 100 &&
			 vt_reader_session(rd)->clean_end == 0;
		vt_reader_close(rd);
		if (!ok)
			_exit(6);
		for (int k = 0; k < 50; k++)
			vt_recorder_mark(r, "after");
		raise(SIGKILL);
		_exit(7);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "child exited with %d before the kill", WEXITSTATUS(status));
	char err[256];
	struct vt_reader *rd;
	cr_assert_eq(vt_reader_open(path, VT_READER_INTEGRITY, &rd, err, sizeof(err)), 0, "%s",
		     err);
	const struct vt_session *s = vt_reader_session(rd);
	cr_assert_eq(s->clean_end, 0, "a killed session is marked incomplete");
	cr_assert_geq(s->nevents, 100, "everything synced before the kill is present");
	cr_assert_leq(s->nevents, 150);
	struct vt_iter *it;
	struct vt_event ev;
	cr_assert_eq(vt_iter_open(rd, &it), 0);
	for (int k = 0; k < 100; k++) {
		char t[32];
		snprintf(t, sizeof(t), "m%d", k);
		cr_assert_eq(vt_iter_next(it, &ev), 1);
		cr_assert_str_eq(ev.text, t);
	}
	vt_iter_close(it);
	vt_reader_close(rd);
	rm_db(path);
}

struct err_log {
	int calls;
	char msg[256];
};

static void on_err(void *ctx, const char *msg)
{
	struct err_log *l = ctx;
	l->calls++;
	snprintf(l->msg, sizeof(l->msg), "%s", msg);
}

/* The database fills up: reported once, recording stops (truncated), the audio path keeps
 * running without blocking and its data still reaches the inner sink. */
Test(trace_recorder, disk_full_stops_recording_not_audio)
{
	struct fixture F, *f = &F;
	struct err_log el = { 0 };
	struct vt_recorder_opts o = { .queue_bytes = 256 << 10, .max_db_bytes = 1 << 20,
				      .on_error = on_err, .err_ctx = &el };
	fx_open(f, "fullfs", &o);
	struct test_sink *ts = test_sink_new(NULL);
	struct vsnd_sink *sink = vt_recorder_wrap_sink(f->rec, &ts->s, 0);
	static uint8_t blk[16384];
	for (int k = 0; k < 400; k++) {
		blk[0] = (uint8_t)k;
		cr_assert_eq(sink->ops->write(sink, blk, sizeof(blk)), 0);
	}
	cr_assert_eq(vt_recorder_sync(f->rec), -1, "recording must have stopped");
	for (int k = 0; k < 100; k++)
		sink->ops->write(sink, blk, 64);
	struct vt_recorder_stats st;
	vt_recorder_get_stats(f->rec, &st);
	cr_assert_eq(st.truncated, 1);
	cr_assert_eq(vt_recorder_close(f->rec), -1);
	cr_assert_eq(el.calls, 1, "reported exactly once");
	cr_assert(strstr(el.msg, "full") != NULL, "message names the cause: %s", el.msg);
	sink->ops->destroy(sink);

	char err[256];
	struct vt_reader *rd;
	cr_assert_eq(vt_reader_open(f->path, 0, &rd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vt_reader_session(rd)->truncated, 1);
	cr_assert(strstr(vt_reader_session(rd)->error, "full") != NULL);
	vt_reader_close(rd);
	vsnd_vclock_free(f->vc);
	rm_db(f->path);
}

/* The real device core behind the shims: a playback session (SET_PARAMS, PREPARE, 4 periods,
 * START, STOP, RELEASE) is recorded with every PCM byte once, in order, and the sink writes
 * recognised as those bytes. */
Test(trace_recorder, real_device_playback, .timeout = 30)
{
	char path[256];
	tmp_path(path, sizeof(path), "dev");
	struct vsnd_vclock *vc = vsnd_vclock_new(0, 1);
	struct vsnd_clock *clk = vsnd_vclock_clock(vc);
	struct vt_recorder *rec;
	char err[256];
	struct vt_recorder_opts o = { .clock = clk };
	cr_assert_eq(vt_recorder_open(path, &o, &rec, err, sizeof(err)), 0, "%s", err);
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	struct vsnd_host h = { .clock = clk };
	struct test_sink *ts0 = test_sink_new(NULL), *ts1 = test_sink_new(NULL);
	h.sinks[0] = vt_recorder_wrap_sink(rec, &ts0->s, 0);
	h.sinks[1] = vt_recorder_wrap_sink(rec, &ts1->s, 1);
	struct vsnd_dev *dev = vsnd_dev_new(&cfg, &h);
	cr_assert_not_null(dev);
	vsnd_dev_driver_ok(dev);
	struct mem_chain_log log;
	mem_chain_log_init(&log);
	struct mem_chain *all[16];
	int nall = 0;

#define CTL(req, len)                                                                   \
	do {                                                                            \
		struct mem_chain *mc_ = mem_chain_new(&log, VSND_VQ_CONTROL, req, len, 4); \
		all[nall++] = mc_;                                                      \
		vsnd_dev_submit(dev, vt_recorder_wrap_chain(rec, &mc_->c));             \
		cr_assert_eq(mem_chain_state(mc_, NULL), MEM_CHAIN_COMPLETED);          \
		cr_assert_eq(mem_chain_w32(mc_, 0), VIRTIO_SND_S_OK);                    \
	} while (0)

	struct virtio_snd_pcm_set_params sp = {
		.code = VIRTIO_SND_R_PCM_SET_PARAMS, .stream_id = 0, .buffer_bytes = 4096,
		.period_bytes = 1024, .channels = 2, .format = VIRTIO_SND_PCM_FMT_S16,
		.rate = VIRTIO_SND_PCM_RATE_48000,
	};
	CTL(&sp, sizeof(sp));
	struct virtio_snd_pcm_hdr ph = { .code = VIRTIO_SND_R_PCM_PREPARE, .stream_id = 0 };
	CTL(&ph, sizeof(ph));
	static uint8_t pcm[4][1024];
	struct mem_chain *tx[4];
	for (int i = 0; i < 4; i++) {
		uint8_t msg[4 + 1024] = { 0 };
		for (int j = 0; j < 1024; j++)
			msg[4 + j] = pcm[i][j] = (uint8_t)(j * 3 + i * 101);
		tx[i] = all[nall++] = mem_chain_new(&log, VSND_VQ_TX, msg, sizeof(msg), 8);
		vsnd_dev_submit(dev, vt_recorder_wrap_chain(rec, &tx[i]->c));
	}
	ph.code = VIRTIO_SND_R_PCM_START;
	CTL(&ph, sizeof(ph));
	for (int i = 0; i < 4; i++) {
		cr_assert(mem_chain_wait(tx[i], 5000), "period %d played", i);
		cr_assert_eq(mem_chain_w32(tx[i], 0), VIRTIO_SND_S_OK);
	}
	ph.code = VIRTIO_SND_R_PCM_STOP;
	CTL(&ph, sizeof(ph));
	ph.code = VIRTIO_SND_R_PCM_RELEASE;
	CTL(&ph, sizeof(ph));
	vsnd_dev_free(dev); /* destroys the wrapped sinks */
	cr_assert_eq(vt_recorder_close(rec), 0);

	struct vt_reader *rd;
	cr_assert_eq(vt_reader_open(path, VT_READER_INTEGRITY, &rd, err, sizeof(err)), 0, "%s",
		     err);
	sqlite3 *db = vt_reader_db(rd);
	sqlite3_stmt *q;
	static const uint32_t codes[] = { VIRTIO_SND_R_PCM_SET_PARAMS, VIRTIO_SND_R_PCM_PREPARE,
					  VIRTIO_SND_R_PCM_START, VIRTIO_SND_R_PCM_STOP,
					  VIRTIO_SND_R_PCM_RELEASE };
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT code, status FROM control_timeline", -1, &q,
					NULL), SQLITE_OK);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		cr_assert_eq((uint32_t)sqlite3_column_int(q, 0), codes[i]);
		cr_assert_eq(sqlite3_column_int(q, 1), VIRTIO_SND_S_OK);
	}
	cr_assert_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);

	struct pcm_acc acc = { 0 };
	cr_assert_eq(vt_reader_pcm(rd, 0, pcm_cb, &acc), 0);
	cr_assert_eq(acc.rows, 4);
	cr_assert_eq(acc.n, 4096);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT data FROM pcm_in_order WHERE stream = 0", -1,
					&q, NULL), SQLITE_OK);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		cr_assert_eq(sqlite3_column_bytes(q, 0), 1024);
		cr_assert_arr_eq(sqlite3_column_blob(q, 0), pcm[i], 1024, "period %d", i);
	}
	sqlite3_finalize(q);
	/* Every sink write was recognised as stored PCM (not stored twice). */
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*), sum(same_as_pcm), sum(bytes) FROM"
					    " sink_write WHERE stream = 0", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 4);
	cr_assert_eq(sqlite3_column_int(q, 1), 4);
	cr_assert_eq(sqlite3_column_int(q, 2), 4096);
	sqlite3_finalize(q);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM period_timing WHERE stream = 0"
					    " AND status = 32768", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 4);
	sqlite3_finalize(q);
	vt_reader_close(rd);
	for (int i = 0; i < nall; i++)
		mem_chain_free(all[i]);
	mem_chain_log_destroy(&log);
	vsnd_vclock_free(vc);
	rm_db(path);
#undef CTL
}

/* Several producer threads on a small queue (wrapping, padding, waits): every event arrives,
 * each thread's events in its own order, payloads intact. */
struct mp_arg {
	struct vt_recorder *r;
	int id;
};

static void *mp_thread(void *p)
{
	struct mp_arg *a = p;
	char t[600];
	for (int k = 0; k < 3000; k++) {
		int pad = (k * 37 + a->id * 11) % 500;
		int n = snprintf(t, sizeof(t), "%d %d ", a->id, k);
		memset(t + n, 'a' + a->id, (size_t)pad);
		t[n + pad] = 0;
		vt_recorder_mark(a->r, t);
	}
	return NULL;
}

Test(trace_recorder, many_producers_small_queue, .timeout = 60)
{
	char path[256];
	tmp_path(path, sizeof(path), "mp");
	struct vt_recorder *r;
	char err[256];
	struct vt_recorder_opts o = { .queue_bytes = 64 << 10 };
	cr_assert_eq(vt_recorder_open(path, &o, &r, err, sizeof(err)), 0, "%s", err);
	enum { NT = 4 };
	pthread_t th[NT];
	struct mp_arg args[NT];
	for (int i = 0; i < NT; i++) {
		args[i] = (struct mp_arg){ r, i };
		cr_assert_eq(pthread_create(&th[i], NULL, mp_thread, &args[i]), 0);
	}
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(vt_recorder_close(r), 0);

	struct vt_reader *rd;
	cr_assert_eq(vt_reader_open(path, 0, &rd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vt_reader_session(rd)->nevents, NT * 3000);
	struct vt_iter *it;
	struct vt_event ev;
	cr_assert_eq(vt_iter_open(rd, &it), 0);
	int next[NT] = { 0 };
	while (vt_iter_next(it, &ev) == 1) {
		int id, k, n;
		cr_assert_eq(sscanf(ev.text, "%d %d %n", &id, &k, &n), 2);
		cr_assert(id >= 0 && id < NT);
		cr_assert_eq(k, next[id], "thread %d: event %d after %d", id, k, next[id] - 1);
		next[id]++;
		int pad = (k * 37 + id * 11) % 500;
		cr_assert_eq((int)strlen(ev.text + n), pad);
		for (int j = 0; j < pad; j++)
			cr_assert_eq(ev.text[n + j], 'a' + id);
	}
	for (int i = 0; i < NT; i++)
		cr_assert_eq(next[i], 3000);
	vt_iter_close(it);
	vt_reader_close(rd);
	rm_db(path);
}

/* -o pointing at someone's audio file must not destroy it; an old session is replaced. */
Test(trace_recorder, never_overwrites_foreign_files)
{
	char path[256];
	tmp_path(path, sizeof(path), "foreign");
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	fputs("RIFF1234WAVEfmt precious audio", f);
	fclose(f);
	struct vt_recorder *r = NULL;
	char err[512];
	cr_assert_eq(vt_recorder_open(path, NULL, &r, err, sizeof(err)), -1);
	cr_assert_null(r);
	cr_assert(strstr(err, "not a vsndtrace session") != NULL, "%s", err);
	f = fopen(path, "rb");
	char buf[64] = "";
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert_str_eq(buf, "RIFF1234WAVEfmt precious audio");
	unlink(path);

	/* A previous session is replaced by the new one. */
	cr_assert_eq(vt_recorder_open(path, NULL, &r, err, sizeof(err)), 0, "%s", err);
	vt_recorder_mark(r, "first");
	cr_assert_eq(vt_recorder_close(r), 0);
	cr_assert_eq(vt_recorder_open(path, NULL, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vt_recorder_close(r), 0);
	struct vt_reader *rd;
	cr_assert_eq(vt_reader_open(path, 0, &rd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vt_reader_session(rd)->nevents, 0);
	vt_reader_close(rd);
	rm_db(path);
}

/* vt_recorder_close_stats: the final figures count every event written and the writer
 * thread's CPU time (it did SQLite work for them, so it is not zero), and agree with the
 * session row. */
Test(trace_recorder, close_stats_final_figures)
{
	char p[256];
	tmp_path(p, sizeof(p), "closestats");
	rm_db(p);
	struct vt_recorder *r;
	char err[256];
	cr_assert_eq(vt_recorder_open(p, NULL, &r, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 5000; i++)
		vt_recorder_mark(r, "a mark with some text in it");
	struct vt_recorder_stats mid;
	vt_recorder_get_stats(r, &mid);
	struct vt_recorder_stats st;
	cr_assert_eq(vt_recorder_close_stats(r, &st), 0);
	cr_assert_eq(st.events, 5000);
	cr_assert_geq(st.rows, 5000);
	cr_assert_geq(st.commits, 1);
	cr_assert_gt(st.writer_cpu_ns, 0);
	cr_assert_geq(st.writer_cpu_ns, mid.writer_cpu_ns, "CPU time only grows");
	cr_assert_eq(st.truncated, 0);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(p, &db), SQLITE_OK);
	sqlite3_stmt *s;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT events, (SELECT count(*) FROM mark) FROM session",
					-1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq((uint64_t)sqlite3_column_int64(s, 0), st.events);
	cr_assert_eq(sqlite3_column_int64(s, 1), 5000);
	sqlite3_finalize(s);
	sqlite3_close(db);
	struct vt_recorder_stats none;
	cr_assert_eq(vt_recorder_close_stats(NULL, &none), 0);
	cr_assert_eq(none.events, 0);
	rm_db(p);
}

/* While events flow slowly the writer sleeps a whole commit interval, whatever has passed
 * through the ring before. Regression: producers judged "the ring is a quarter full" from a
 * cached tail that is refreshed only when the ring looks full, so once a quarter of the ring
 * had ever passed, every event woke the writer (measured on a real 1-minute guest session:
 * ~4000 wake-ups instead of ~120, and twice the writer CPU). */
Test(trace_recorder, writer_sleeps_through_a_steady_flow)
{
	char p[256];
	tmp_path(p, sizeof(p), "wakeups");
	rm_db(p);
	struct vsnd_vclock *vc = vsnd_vclock_new(1000, 1);
	struct vt_recorder_opts o = { .queue_bytes = 64 << 10, .commit_ms = 5000,
				      .clock = vsnd_vclock_clock(vc) };
	struct vt_recorder *r;
	char err[256];
	cr_assert_eq(vt_recorder_open(p, &o, &r, err, sizeof(err)), 0, "%s", err);
	static const char text[] = "a marker of some sixty-four bytes, give or take a few ......";
	/* ~24 KiB through a 64 KiB ring (wake_fill = 16 KiB), each part drained at once. */
	int sent = 0;
	for (int part = 0; part < 4; part++) {
		for (int i = 0; i < 64; i++, sent++)
			vt_recorder_mark(r, text);
		cr_assert_eq(vt_recorder_sync(r), 0);
	}
	usleep(20000); /* the writer goes to sleep */
	struct vt_recorder_stats before, after;
	vt_recorder_get_stats(r, &before);
	for (int i = 0; i < 50; i++, sent++) {
		vt_recorder_mark(r, text);
		usleep(2000);
	}
	vt_recorder_get_stats(r, &after);
	cr_assert_leq(after.writer_wakeups - before.writer_wakeups, 5,
		      "50 events over ~100 ms woke the writer %llu times (commit interval 5 s)",
		      (unsigned long long)(after.writer_wakeups - before.writer_wakeups));
	struct vt_recorder_stats st;
	cr_assert_eq(vt_recorder_close_stats(r, &st), 0);
	cr_assert_eq(st.events, (uint64_t)sent, "nothing lost while the writer slept");
	vsnd_vclock_free(vc);
	rm_db(p);
}
