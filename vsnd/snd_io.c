/* snd_io.c - virtio-snd PCM I/O (VirtIO 1.2, 5.14.6.8): TX/RX message queues per stream, the
 * TX/RX threads that pace them one period at a time and the per-stream sink consumers. */
#include "snd_priv.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Design (the public semu's model, made deterministic, with a producer/consumer split):
 * - vsnd_dev_submit() (the vCPU thread) checks an I/O message and appends it to its
 *   stream's queue; it never touches PCM bytes.
 * - One TX thread (the producer) serves every output stream and one RX thread every input
 *   stream. A thread sleeps on its condition variable through clock->ops->wait_until()
 *   until the earliest period boundary of its streams (ties: lowest stream id) or until
 *   kicked. Boundaries are base_ns + frames / rate: exact, drift-free, driven by the clock.
 * - Each output stream has a sink consumer thread (struct snd_consumer): one per stream, not
 *   one per device, so that a sink which blocks (ALSA) never holds up another stream's sink.
 *   It sleeps on its own condition variable and is woken once per period.
 * - TX at a boundary: the message that was playing is complete (status, latency_bytes,
 *   used.len 8), and the next one starts: its bytes are read from the chain NOW (the guest
 *   may refill a re-queued buffer after submitting it, facts 4.8.4) into the stream's
 *   one-period slot, and the consumer is signalled; it calls the sink's write() with the
 *   device mutex released and marks the period consumed.
 * - A message is completed only when BOTH its period has elapsed on the clock AND the
 *   consumer has consumed it: while a stream's consumer holds a period, the TX thread does
 *   not act at that stream's next boundary. It waits for the boundary itself if its clock's
 *   timed waits never move the clock (monotonic, or virtual without `instant`), else for
 *   the consumer; once the boundary has come it waits for the consumer. The consumer kicks
 *   it only if it waits for the consumer (or for a deadline not ahead any more): a period
 *   written before its boundary costs the TX thread no extra wake-up. The next period is
 *   handed only after the previous message completed, so the slot never holds more than
 *   one period. Boundaries of other streams that come earlier
 *   are still served on time; later ones wait with it (the price of a deterministic
 *   completion order when one of several output sinks is slower than real time).
 * - A sink write that ends after the period's boundary (a blocked ALSA device, a sink
 *   slower than real time) delays the completion to the moment the write returned, and the
 *   stream's timeline is shifted by the sink's share of the lateness (write end minus the
 *   later of the boundary and the hand-off), so the next period starts then and pacing
 *   follows the sink: no burst of catch-up completions afterwards. Lateness of the TX
 *   thread itself (wake-up latency, a virtual clock stepped over several boundaries) is
 *   caught up as before, so the timeline stays drift-free.
 * - Apart from control requests (RELEASE, SET_PARAMS, PREPARE flush the queue) only the TX
 *   thread completes TX messages, in (boundary, stream id) order. With a virtual clock this
 *   depends on nothing but the clock and the inputs: a virtual clock does not move while the
 *   device works (vsnd_dev_quiesce() waits for the consumers too), so a write takes no
 *   virtual time and never shifts the timeline; an `instant` clock is advanced only by the
 *   TX thread's timed waits, and it starts none while the stream due next is with its
 *   consumer (with one output stream, writes happen at the exact virtual time of their
 *   boundary; with several, time may move on to another stream's earlier boundary during
 *   a write, which changes no byte and no completion).
 * - Wake-ups are kept to what changes a decision, since each costs far more than the work
 *   it triggers (replay speed, issue 5): vsnd_dev_submit() kicks a PCM thread only if the
 *   stream's deadline changed and comes no later than what the thread waits for; quiesce
 *   callers wait on a cv of their own, broadcast only once every PCM thread is idle; a
 *   thread signals another with dev->mu released where it can, so the woken thread does
 *   not block on the mutex at once.
 * - A control request or reset that needs a stream's sink waits until the stream is not
 *   busy, holding the stream meanwhile (s->hold): the PCM threads then leave it alone, so
 *   a slow sink cannot make the request wait for period after period.
 * - RX at the end of a message's period: the source is read and the chain completed with
 *   used.len = data + 8, status in the last 8 writable bytes (one thread; a source read is
 *   expected not to block for long).
 * Chains are read, written and completed only with dev->mu held; sink I/O happens with it
 * released while the stream is marked busy. */

static uint64_t frames_ns(uint64_t frames, uint32_t rate)
{
	if (!rate)
		return 0;
	return (uint64_t)((unsigned __int128)frames * 1000000000u / rate);
}

static uint64_t stream_deadline(const struct snd_stream *s);

void snd_kick(struct vsnd_dev *dev, uint8_t direction)
{
	struct snd_worker *w = &dev->workers[direction & 1];
	w->kicked = true;
	if (w->started)
		pthread_cond_signal(&w->cv);
}

void snd_wait_not_busy(struct vsnd_dev *dev, struct snd_stream *s)
{
	/* Hold the stream meanwhile: once its consumer (or the RX thread) is done, the PCM
	 * thread must not complete a message or start the next period before the caller,
	 * which is waiting for the device mutex, gets it back. */
	s->hold++;
	while (s->busy)
		pthread_cond_wait(&dev->idle_cv, &dev->mu);
	s->hold--;
	snd_kick(dev, s->cfg.direction);
}

void snd_sink_close(struct snd_stream *s)
{
	if (s->sink_open && s->sink && s->sink->ops->close)
		s->sink->ops->close(s->sink);
	s->sink_open = false;
}

static struct snd_msg *pop(struct snd_stream *s)
{
	struct snd_msg *m = s->qhead;
	if (!m)
		return NULL;
	s->qhead = m->next;
	if (!s->qhead)
		s->qtail = NULL;
	s->qcount--;
	s->qbytes -= m->bytes;
	m->next = NULL;
	return m;
}

/* Return an I/O chain: the status goes first (TX) or in the last 8 writable bytes (RX). */
static void io_complete(struct vsnd_chain *c, uint32_t status, uint32_t latency,
			uint32_t data_bytes)
{
	uint8_t st[8];
	snd_put_u32(st, status);
	snd_put_u32(st + 4, latency);
	if (c->queue == VSND_VQ_TX) {
		vsnd_chain_write(c, 0, st, sizeof(st));
		vsnd_chain_complete(c, sizeof(st));
	} else {
		vsnd_chain_write(c, c->wlen - sizeof(st), st, sizeof(st));
		vsnd_chain_complete(c, data_bytes + (uint32_t)sizeof(st));
	}
}

static void msg_done(struct snd_stream *s, struct snd_msg *m, uint32_t status, uint32_t latency,
		     uint32_t data_bytes)
{
	if (status != VIRTIO_SND_S_OK)
		s->stats.io_errors++;
	io_complete(m->chain, status, latency, data_bytes);
	free(m);
}

void snd_flush(struct vsnd_dev *dev, struct snd_stream *s, uint32_t status)
{
	(void)dev;
	if (s->playing) {
		struct snd_msg *m = s->playing;
		s->playing = NULL;
		msg_done(s, m, status == VIRTIO_SND_S_OK ? m->status : status, 0, 0);
	}
	struct snd_msg *m;
	while ((m = pop(s)))
		msg_done(s, m, status, 0, 0);
}

void snd_discard(struct vsnd_dev *dev, struct snd_stream *s)
{
	(void)dev;
	if (s->playing) {
		vsnd_chain_discard(s->playing->chain);
		free(s->playing);
		s->playing = NULL;
	}
	struct snd_msg *m;
	while ((m = pop(s))) {
		vsnd_chain_discard(m->chain);
		free(m);
	}
}

void snd_io_submit(struct vsnd_dev *dev, struct vsnd_chain *c)
{
	const bool tx = c->queue == VSND_VQ_TX;
	uint8_t hdr[4];
	/* No xfer header or no room for a status: nothing can be said (facts 5). */
	if (c->rlen < sizeof(struct virtio_snd_pcm_xfer) ||
	    c->wlen < sizeof(struct virtio_snd_pcm_status) ||
	    vsnd_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
		vsnd_chain_complete(c, 0);
		return;
	}
	uint32_t sid = snd_get_u32(hdr);
	struct snd_stream *s = sid < dev->cfg.nstreams ? &dev->st[sid] : NULL;
	/* Malformed: readable after writable, TX with writable data or RX with readable data. */
	bool bad = c->malformed || (tx ? c->wlen != sizeof(struct virtio_snd_pcm_status)
				       : c->rlen != sizeof(struct virtio_snd_pcm_xfer));
	if (!s || bad || s->cfg.direction != (tx ? VIRTIO_SND_D_OUTPUT : VIRTIO_SND_D_INPUT) ||
	    (s->state != VSND_PCM_PREPARED && s->state != VSND_PCM_RUNNING &&
	     s->state != VSND_PCM_STOPPED)) {
		io_complete(c, VIRTIO_SND_S_IO_ERR, 0, 0);
		return;
	}
	struct snd_msg *m = calloc(1, sizeof(*m));
	if (!m) {
		io_complete(c, VIRTIO_SND_S_IO_ERR, 0, 0);
		return;
	}
	/* Whole frames only, at most buffer_bytes (facts 5). */
	uint32_t data = tx ? c->rlen - (uint32_t)sizeof(struct virtio_snd_pcm_xfer)
			   : c->wlen - (uint32_t)sizeof(struct virtio_snd_pcm_status);
	if (data > s->p.buffer_bytes)
		data = s->p.buffer_bytes;
	m->chain = c;
	m->frames = data / s->p.frame_bytes;
	m->bytes = m->frames * s->p.frame_bytes;
	m->status = VIRTIO_SND_S_OK;
	const uint64_t before = stream_deadline(s);
	if (s->qtail)
		s->qtail->next = m;
	else
		s->qhead = m;
	s->qtail = m;
	s->qcount++;
	s->qbytes += m->bytes;
	if (s->state == VSND_PCM_RUNNING) {
		if (!s->anchored) {
			/* First message after START on an empty queue, or after running dry. */
			s->anchored = true;
			s->base_ns = vsnd_clock_now(dev->clock);
			s->run_frames = 0;
		}
		/* The PCM thread's next move depends only on the streams' deadlines, their busy
		 * flags and the time: if this stream's deadline did not change (a message queued
		 * behind one that is due first) or comes after the deadline the thread already
		 * waits for, it would only scan and sleep again, so it is not woken. */
		const struct snd_worker *w = &dev->workers[s->cfg.direction & 1];
		const uint64_t after = stream_deadline(s);
		if (after != before && (!w->waiting || after <= w->deadline))
			snd_kick(dev, s->cfg.direction);
	}
}

/* The queue ran dry while RUNNING: an underrun (TX) or overrun (RX), facts 3.9/3.10. No
 * silence is inserted into the sink: it receives exactly the guest's frames. */
static void xrun(struct vsnd_dev *dev, struct snd_stream *s)
{
	s->anchored = false;
	s->stats.xruns++;
	if (s->sink && s->sink->report)
		s->sink->report(s->sink->report_ctx,
				s->cfg.direction == VIRTIO_SND_D_OUTPUT ? VSND_SINK_EV_UNDERRUN
									: VSND_SINK_EV_XRUN,
				0, "virtio-snd: I/O queue ran dry while running");
	if (s->features & (1u << VIRTIO_SND_PCM_F_EVT_XRUNS))
		snd_queue_event(dev, VIRTIO_SND_EVT_PCM_XRUN, s->id);
}

/* When the stream's next action is due, or VSND_CLOCK_NEVER. */
static uint64_t stream_deadline(const struct snd_stream *s)
{
	if (s->state != VSND_PCM_RUNNING || !s->anchored || s->hold)
		return VSND_CLOCK_NEVER;
	if (s->cfg.direction == VIRTIO_SND_D_OUTPUT) {
		if (s->playing || s->qhead)
			return s->base_ns + frames_ns(s->run_frames, s->p.rate_hz);
		return VSND_CLOCK_NEVER;
	}
	if (s->qhead)
		return s->base_ns + frames_ns(s->run_frames + s->qhead->frames, s->p.rate_hz);
	return VSND_CLOCK_NEVER;
}

static bool quiet_due(struct vsnd_dev *dev);

/* Sink I/O of s is over. Returns true if vsnd_dev_quiesce() callers are to be woken (the
 * caller broadcasts dev->quiet_cv, preferably once it released dev->mu). */
static bool mark_idle(struct vsnd_dev *dev, struct snd_stream *s)
{
	s->busy = false;
	if (s->hold)
		pthread_cond_broadcast(&dev->idle_cv); /* snd_wait_not_busy() */
	return quiet_due(dev);
}

/* The TX thread: with dev->mu held, the boundary of s is due and no consumer holds it.
 * Returns true if a period was handed to s's consumer: the caller signals it (after
 * releasing dev->mu, so the consumer does not wake up only to block on it). */
static bool tx_step(struct vsnd_dev *dev, struct snd_stream *s)
{
	if (s->playing) {
		/* Its period is over and the sink consumed it: complete it; latency = bytes still
		 * queued behind it. */
		struct snd_msg *m = s->playing;
		s->playing = NULL;
		s->stats.messages++;
		uint64_t lat = s->qbytes > UINT32_MAX ? UINT32_MAX : s->qbytes;
		msg_done(s, m, m->status, (uint32_t)lat, 0);
		if (!s->qhead)
			xrun(dev, s);
		return false;
	}
	struct snd_msg *m = pop(s);
	s->playing = m;
	s->run_frames += m->frames;
	s->stats.frames += m->frames;
	if (!m->bytes)
		return false;
	uint32_t got = vsnd_chain_read(m->chain, sizeof(struct virtio_snd_pcm_xfer), s->stage,
				       m->bytes);
	if (got < m->bytes)
		memset(s->stage + got, 0, m->bytes - got);
	if (!s->sink || !s->sink_open || !s->sink->ops->write || !s->cons.started)
		return false;
	/* Hand the period to the consumer; m stays s->playing: flushes wait for busy. */
	s->busy = true;
	s->cons.full = true;
	s->cons.bytes = m->bytes;
	s->cons.handed_ns = vsnd_clock_now(dev->clock);
	return true;
}

/* A consumer finished a period at `now` with write() result r (dev->mu held). Returns true
 * if the TX thread must look at the streams again (the caller then signals it); *quiet is
 * set if quiesce callers are to be woken (the caller broadcasts). */
static bool tx_consumed(struct vsnd_dev *dev, struct snd_stream *s, int r, uint64_t now,
			bool *quiet)
{
	if (r < 0 && s->playing)
		s->playing->status = VIRTIO_SND_S_IO_ERR;
	if (s->state == VSND_PCM_RUNNING && s->anchored) {
		/* The write ended after the boundary: shift the timeline by the sink's share. */
		uint64_t due = s->base_ns + frames_ns(s->run_frames, s->p.rate_hz);
		uint64_t from = due > s->cons.handed_ns ? due : s->cons.handed_ns;
		if (now > from)
			s->base_ns += now - from;
	}
	/* The TX thread needs no kick if it already waits for a deadline still ahead and not
	 * after this stream's next boundary: it would only scan and choose that wait again.
	 * Otherwise kick first, so that a quiesce caller is not woken while the TX thread still
	 * has to look at the stream; the caller signals the TX thread's cv once it released
	 * dev->mu, so that the TX thread does not wake up only to block on it. */
	struct snd_worker *w = &dev->workers[VIRTIO_SND_D_OUTPUT];
	bool kick = !(w->waiting && w->deadline != VSND_CLOCK_NEVER && w->deadline > now &&
		      w->deadline <= stream_deadline(s));
	if (kick)
		w->kicked = true;
	*quiet = mark_idle(dev, s);
	return kick;
}

static void set_rt_priority(const struct vsnd_dev *dev)
{
	if (dev->host.rt_priority > 0) {
		struct sched_param sp = {.sched_priority = dev->host.rt_priority};
		(void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	}
}

/* An output stream's sink consumer: one period per wake-up. At shutdown a period still in
 * the slot is written first, so `busy` always ends. */
static void *consumer_main(void *arg)
{
	struct snd_consumer *c = arg;
	struct vsnd_dev *dev = c->dev;
	struct snd_stream *s = c->s;
	set_rt_priority(dev);
	pthread_mutex_lock(&dev->mu);
	for (;;) {
		while (!c->full && !dev->quit)
			pthread_cond_wait(&c->cv, &dev->mu);
		if (!c->full)
			break;
		c->full = false;
		uint32_t n = c->bytes;
		pthread_mutex_unlock(&dev->mu);
		int r = s->sink->ops->write(s->sink, s->stage, n);
		pthread_mutex_lock(&dev->mu);
		bool quiet;
		bool kick = tx_consumed(dev, s, r, vsnd_clock_now(dev->clock), &quiet);
		if (kick || quiet) {
			/* Signalled with dev->mu released, so that the woken thread does not
			 * block on it at once. The TX thread's cv lives until after every consumer
			 * was joined, the device's cvs until vsnd_dev_free(). */
			pthread_mutex_unlock(&dev->mu);
			if (kick)
				pthread_cond_signal(&dev->workers[VIRTIO_SND_D_OUTPUT].cv);
			if (quiet)
				pthread_cond_broadcast(&dev->quiet_cv);
			pthread_mutex_lock(&dev->mu);
		}
	}
	pthread_mutex_unlock(&dev->mu);
	return NULL;
}

static void rx_step(struct vsnd_dev *dev, struct snd_stream *s)
{
	struct snd_msg *m = s->qhead;
	int r = 0;
	if (m->bytes) {
		s->busy = true;
		pthread_mutex_unlock(&dev->mu);
		if (s->sink && s->sink_open && s->sink->ops->read)
			r = s->sink->ops->read(s->sink, s->stage, m->bytes);
		else
			snd_fill_silence(s->p.format, s->stage, m->bytes);
		pthread_mutex_lock(&dev->mu);
		if (mark_idle(dev, s)) /* m is still the head: flushes wait for busy */
			pthread_cond_broadcast(&dev->quiet_cv);
	}
	m = pop(s);
	s->run_frames += m->frames;
	s->stats.messages++;
	if (r < 0) {
		msg_done(s, m, VIRTIO_SND_S_IO_ERR, 0, 0);
	} else {
		vsnd_chain_write(m->chain, 0, s->stage, m->bytes);
		s->stats.frames += m->frames;
		msg_done(s, m, VIRTIO_SND_S_OK, 0, m->bytes);
	}
	if (!s->qhead)
		xrun(dev, s);
}

static void *worker_main(void *arg)
{
	struct snd_worker *w = arg;
	struct vsnd_dev *dev = w->dev;
	set_rt_priority(dev);
	uint32_t to_signal = 0; /* consumers handed a period, not yet signalled (stream bits) */
	pthread_mutex_lock(&dev->mu);
	while (!dev->quit) {
		w->kicked = false;
		uint64_t now = vsnd_clock_now(dev->clock);
		struct snd_stream *best = NULL;
		uint64_t bd = VSND_CLOCK_NEVER;
		for (uint32_t i = 0; i < dev->cfg.nstreams; i++) {
			struct snd_stream *s = &dev->st[i];
			if (s->cfg.direction != w->direction)
				continue;
			uint64_t d = stream_deadline(s);
			if (d < bd) {
				bd = d;
				best = s;
			}
		}
		if (best && best->busy) {
			/* Its consumer still holds the period: no action at that boundary before
			 * the consumer is done. Wait for the consumer (it kicks us) if the boundary
			 * has come, or if a timed wait would move the clock itself (an instant
			 * virtual clock: the write must happen at the boundary's time). Otherwise
			 * wait for the boundary: a consumer done before it need not wake us. */
			if (!dev->passive_waits || bd <= now)
				bd = VSND_CLOCK_NEVER;
		} else if (best && bd <= now) {
			if (w->direction != VIRTIO_SND_D_OUTPUT)
				rx_step(dev, best);
			else if (tx_step(dev, best))
				to_signal |= 1u << best->id;
			continue;
		}
		if (to_signal) {
			/* The consumer cvs outlive this thread (snd_workers_stop). The state may
			 * change while mu is released: scan again. */
			uint32_t sig = to_signal;
			to_signal = 0;
			pthread_mutex_unlock(&dev->mu);
			for (uint32_t i = 0; sig; i++, sig >>= 1)
				if (sig & 1)
					pthread_cond_signal(&dev->st[i].cons.cv);
			pthread_mutex_lock(&dev->mu);
			continue;
		}
		w->waiting = true;
		w->deadline = bd;
		if (quiet_due(dev)) {
			/* Wake quiesce callers with dev->mu released (they would block on it).
			 * Meanwhile this thread counts as waiting: whoever changes what it waits
			 * for kicks it, and wait_until() returns at once for a passed deadline. */
			pthread_mutex_unlock(&dev->mu);
			pthread_cond_broadcast(&dev->quiet_cv);
			pthread_mutex_lock(&dev->mu);
			if (w->kicked || dev->quit) {
				w->waiting = false;
				continue;
			}
		}
		dev->clock->ops->wait_until(dev->clock, &w->cv, &dev->mu, bd);
		w->waiting = false;
	}
	pthread_mutex_unlock(&dev->mu);
	return NULL;
}

int snd_workers_start(struct vsnd_dev *dev)
{
	/* Consumers first: the TX thread hands periods only to a started consumer. */
	for (uint32_t i = 0; i < dev->cfg.nstreams; i++) {
		struct snd_stream *s = &dev->st[i];
		struct snd_consumer *c = &s->cons;
		if (s->cfg.direction != VIRTIO_SND_D_OUTPUT)
			continue;
		c->dev = dev;
		c->s = s;
		if (pthread_cond_init(&c->cv, NULL))
			return -1;
		if (pthread_create(&c->thread, NULL, consumer_main, c)) {
			pthread_cond_destroy(&c->cv);
			return -1;
		}
		c->started = true;
		char name[16]; /* top -H, perf and gdb show it; at most 15 characters */
		snprintf(name, sizeof(name), "vsnd-sink%u", i & 0xffff);
		pthread_setname_np(c->thread, name);
	}
	for (uint8_t d = 0; d < 2; d++) {
		struct snd_worker *w = &dev->workers[d];
		w->dev = dev;
		w->direction = d;
		if (vsnd_cond_init(&w->cv))
			return -1;
		if (pthread_create(&w->thread, NULL, worker_main, w)) {
			pthread_cond_destroy(&w->cv);
			return -1;
		}
		w->started = true;
		pthread_setname_np(w->thread, d == VIRTIO_SND_D_OUTPUT ? "vsnd-tx" : "vsnd-rx");
	}
	return 0;
}

void snd_workers_stop(struct vsnd_dev *dev)
{
	pthread_mutex_lock(&dev->mu);
	dev->quit = true;
	pthread_cond_broadcast(&dev->quiet_cv);
	for (uint8_t d = 0; d < 2; d++)
		snd_kick(dev, d);
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++)
		if (dev->st[i].cons.started)
			pthread_cond_signal(&dev->st[i].cons.cv);
	pthread_mutex_unlock(&dev->mu);
	/* quit is set: the TX thread hands no new period. Each consumer writes what its slot
	 * still holds and exits; consumers go first because they kick the TX thread. */
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++)
		if (dev->st[i].cons.started)
			pthread_join(dev->st[i].cons.thread, NULL);
	for (uint8_t d = 0; d < 2; d++) {
		struct snd_worker *w = &dev->workers[d];
		if (!w->started)
			continue;
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->cv);
		w->started = false;
	}
	/* Only now: the TX thread signals consumer cvs with dev->mu released, possibly after
	 * their thread exited. */
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++) {
		struct snd_consumer *c = &dev->st[i].cons;
		if (!c->started)
			continue;
		pthread_cond_destroy(&c->cv);
		c->started = false;
	}
}

/* With dev->mu held: every PCM thread is blocked waiting for new work or for a deadline
 * still ahead of the clock, and no sink or source call is in progress. */
static bool dev_quiet(struct vsnd_dev *dev)
{
	for (uint32_t i = 0; i < VSND_MAX_STREAMS; i++)
		if (dev->st[i].busy) /* a consumer holding a period, or the RX thread reading */
			return false;
	uint64_t now = 0;
	bool have_now = false;
	for (uint8_t d = 0; d < 2; d++) {
		const struct snd_worker *w = &dev->workers[d];
		if (!w->started)
			continue;
		if (!w->waiting || w->kicked)
			return false;
		if (w->deadline == VSND_CLOCK_NEVER)
			continue;
		if (!have_now) {
			now = vsnd_clock_now(dev->clock);
			have_now = true;
		}
		if (w->deadline <= now)
			return false;
	}
	return true;
}

/* With dev->mu held: vsnd_dev_quiesce() callers wait and the PCM threads are now idle. */
static bool quiet_due(struct vsnd_dev *dev)
{
	return dev->quiescers && dev_quiet(dev);
}

void vsnd_dev_quiesce(struct vsnd_dev *dev)
{
	pthread_mutex_lock(&dev->mu);
	dev->quiescers++;
	while (!dev->quit && !dev_quiet(dev))
		pthread_cond_wait(&dev->quiet_cv, &dev->mu);
	dev->quiescers--;
	pthread_mutex_unlock(&dev->mu);
}
