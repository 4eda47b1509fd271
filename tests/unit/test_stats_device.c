/* test_stats_device.c - trace/stats on a session recorded through the real recorder from the
 * real device core (a manual virtual clock, a driver that re-queues every completed period
 * like Linux 6.1): no stall, no underrun, exact intervals, zero drift. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "mem_chain.h"
#include "test_snd_harness.h"
#include "trace/reader.h"
#include "trace/recorder.h"
#include "trace/stats.h"
#include "vsnd/snd.h"

#define NPER 4	    /* periods in the buffer */
#define PFRAMES 480 /* 10 ms at 48 kHz */
#define PBYTES (PFRAMES * 4)
#define NPLAY 60 /* periods completed while running */

static struct mem_chain *tx_new(struct mem_chain_log *log, struct vt_recorder *rec,
				struct vsnd_dev *dev, int n, struct mem_chain **keep, int *nkeep)
{
	uint8_t msg[4 + PBYTES] = {0};
	for (int j = 0; j < PBYTES; j++)
		msg[4 + j] = (uint8_t)(j + n * 7);
	struct mem_chain *mc = mem_chain_new(log, VSND_VQ_TX, msg, sizeof(msg), 8);
	keep[(*nkeep)++] = mc;
	vsnd_dev_submit(dev, vt_recorder_wrap_chain(rec, &mc->c));
	return mc;
}

static void ctl(struct mem_chain_log *log, struct vt_recorder *rec, struct vsnd_dev *dev,
		uint32_t code, struct mem_chain **keep, int *nkeep)
{
	struct virtio_snd_pcm_hdr h = {.code = code, .stream_id = 0};
	struct mem_chain *mc = mem_chain_new(log, VSND_VQ_CONTROL, &h, sizeof(h), 4);
	keep[(*nkeep)++] = mc;
	vsnd_dev_submit(dev, vt_recorder_wrap_chain(rec, &mc->c));
	cr_assert_eq(mem_chain_w32(mc, 0), VIRTIO_SND_S_OK, "code 0x%x", code);
}

/* Host time and guest ticks (10 MHz, no drift) move together. */
static void set_time(struct vsnd_vclock *vc, int64_t t)
{
	vsnd_vclock_set_guest_ticks(vc, (uint64_t)t / 100);
	vsnd_vclock_set(vc, (uint64_t)t);
}

Test(stats_device, recorded_playback_has_exact_timing, .timeout = 60)
{
	char path[] = "/tmp/vsndtrace-stats-dev-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	struct vsnd_vclock *vc = vsnd_vclock_new(0, 0);
	struct vsnd_clock *clk = vsnd_vclock_clock(vc);
	int64_t now = 1000000000;
	set_time(vc, now);
	struct vt_recorder *rec;
	char err[256];
	struct vt_recorder_opts o = {.clock = clk};
	cr_assert_eq(vt_recorder_open(path, &o, &rec, err, sizeof(err)), 0, "%s", err);
	struct vsnd_config cfg;
	vsnd_config_default(&cfg);
	struct vt_session_info info = {
	    .tool_version = "test_stats_device", .timebase_hz = 10000000, .config = &cfg};
	vt_recorder_set_session_info(rec, &info);
	struct tsink *ts = tsink_new(clk);
	struct vsnd_host h = {.clock = clk};
	h.sinks[0] = vt_recorder_wrap_sink(rec, &ts->s, 0);
	cr_assert_not_null(h.sinks[0]);
	struct vsnd_dev *dev = vsnd_dev_new(&cfg, &h);
	cr_assert_not_null(dev);
	vsnd_dev_driver_ok(dev);
	struct mem_chain_log log;
	mem_chain_log_init(&log);
	struct mem_chain **keep = calloc(NPLAY + 32, sizeof(*keep));
	int nkeep = 0;

	struct virtio_snd_pcm_set_params sp = {
	    .code = VIRTIO_SND_R_PCM_SET_PARAMS,
	    .stream_id = 0,
	    .buffer_bytes = NPER * PBYTES,
	    .period_bytes = PBYTES,
	    .channels = 2,
	    .format = VIRTIO_SND_PCM_FMT_S16,
	    .rate = VIRTIO_SND_PCM_RATE_48000,
	};
	struct mem_chain *spc = mem_chain_new(&log, VSND_VQ_CONTROL, &sp, sizeof(sp), 4);
	keep[nkeep++] = spc;
	vsnd_dev_submit(dev, vt_recorder_wrap_chain(rec, &spc->c));
	cr_assert_eq(mem_chain_w32(spc, 0), VIRTIO_SND_S_OK);
	ctl(&log, rec, dev, VIRTIO_SND_R_PCM_PREPARE, keep, &nkeep);

	/* pre-buffer the whole buffer, then START (as 6.1 does) */
	struct mem_chain *fifo[NPLAY + NPER];
	int head = 0, tail = 0, n = 0;
	for (int i = 0; i < NPER; i++)
		fifo[tail++] = tx_new(&log, rec, dev, n++, keep, &nkeep);
	now += 1000000;
	set_time(vc, now);
	ctl(&log, rec, dev, VIRTIO_SND_R_PCM_START, keep, &nkeep);
	int64_t start = now;
	/* each period: time moves to its end, the device completes it, the driver re-queues */
	for (int k = 1; k <= NPLAY; k++) {
		now = start + (int64_t)k * 10000000;
		set_time(vc, now);
		cr_assert(mem_chain_wait(fifo[head], 5000), "period %d completed", k);
		head++;
		fifo[tail++] = tx_new(&log, rec, dev, n++, keep, &nkeep);
	}
	/* STOP with NPER periods held; RELEASE completes them (not periods: outside RUNNING) */
	now += 1000000;
	set_time(vc, now);
	ctl(&log, rec, dev, VIRTIO_SND_R_PCM_STOP, keep, &nkeep);
	ctl(&log, rec, dev, VIRTIO_SND_R_PCM_RELEASE, keep, &nkeep);
	vsnd_dev_free(dev);
	cr_assert_eq(vt_recorder_close(rec), 0);

	struct vt_reader *rd;
	cr_assert_eq(vt_reader_open(path, 0, &rd, err, sizeof(err)), 0, "%s", err);
	struct ts_session sess;
	cr_assert_eq(ts_load(vt_reader_db(rd), -1, &sess, err, sizeof(err)), 0, "%s", err);
	struct ts_stats st;
	cr_assert_eq(ts_compute(&sess, &st), 0);
	cr_assert(sess.complete);
	cr_assert_str_eq(sess.tool_version, "test_stats_device");
	cr_assert_eq(st.nstreams, 1);
	const struct ts_stream_stats *ss = &st.streams[0];
	cr_assert_eq(ss->s->rate_hz, 48000);
	cr_assert_eq(ss->s->period_bytes, PBYTES);
	cr_assert_eq(ss->s->nmsgs, NPLAY + NPER);
	cr_assert_eq(ss->npoints, NPLAY, "%zu points; runs %zu [%lld, %lld]", ss->npoints,
		     ss->s->nruns, (long long)ss->s->run_start[0], (long long)ss->s->run_end[0]);
	cr_assert_eq(ss->frames, (uint64_t)NPLAY * PFRAMES);
	cr_assert_eq(ss->interval.n, NPLAY - 1);
	cr_assert_eq(ss->interval.min, 10000000);
	cr_assert_eq(ss->interval.max, 10000000);
	cr_assert_eq(ss->interval.p99, 10000000);
	cr_assert(ss->have_fit);
	cr_assert(fabs(ss->drift_ppm) < 0.01, "drift %f", ss->drift_ppm);
	cr_assert_float_eq(ss->wall_s, ss->nominal_s, 1e-9);
	cr_assert_eq(ss->nstalls, 0);
	cr_assert_eq(ss->nstarts, 1);
	cr_assert_eq(ss->prebuffered[0], NPER);
	cr_assert_eq(ss->points[0].latency_ns, 11000000); /* queued 1 ms before START */
	cr_assert_eq(ss->underruns, 0);
	cr_assert_eq(ss->xruns, 0);
	cr_assert_eq(ss->depth_min, NPER - 1);
	cr_assert_eq(ss->depth_max, NPER - 1); /* sampled before the re-queue */
	cr_assert_eq(st.invalid_requests, 0);
	cr_assert(st.have_guest_fit);
	cr_assert(fabs(st.guest_drift_ppm) < 1, "guest drift %f", st.guest_drift_ppm);
	ts_stats_free(&st);
	ts_session_free(&sess);
	vt_reader_close(rd);

	for (int i = 0; i < nkeep; i++)
		mem_chain_free(keep[i]);
	free(keep);
	mem_chain_log_destroy(&log);
	tsink_free(ts);
	vsnd_vclock_free(vc);
	unlink(path);
	char aux[300];
	snprintf(aux, sizeof(aux), "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", path);
	unlink(aux);
}
