/* snd_priv.h - internals shared by the virtio-snd device core files (snd.c: lifecycle,
 * config, events; snd_ctl.c: control requests; snd_io.c: TX/RX queues and PCM threads). */
#ifndef VSND_SND_PRIV_H
#define VSND_SND_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "snd.h"

/* Largest buffer_bytes accepted by SET_PARAMS (facts sheet 5: larger is NOT_SUPP). */
#define SND_MAX_BUFFER_BYTES (16u << 20)
/* Pending events kept while the driver has no eventq buffer posted (facts sheet 3.10). */
#define SND_EVENT_FIFO 64

/* One held I/O message (txq or rxq chain) of a stream. */
struct snd_msg {
	struct snd_msg *next;
	struct vsnd_chain *chain;
	uint32_t frames; /* whole frames to play or capture (capped at buffer_bytes) */
	uint32_t bytes;  /* frames * frame_bytes */
	uint32_t status; /* VIRTIO_SND_S_OK, or IO_ERR once a sink write failed */
};

/* The sink consumer of an output stream (snd_io.c): a thread of its own, woken through cv
 * one period at a time. The TX thread fills the one-period slot (the stream's stage buffer,
 * `bytes`) and sets `full` and the stream's `busy`; the consumer takes the period, calls the
 * sink's write() with dev->mu released, records the result and clears `busy`. */
struct snd_consumer {
	struct vsnd_dev *dev;
	struct snd_stream *s;
	pthread_t thread;
	pthread_cond_t cv; /* signalled when the slot is filled or at shutdown */
	bool started;
	bool full;          /* a period waits in the slot, not yet taken */
	uint32_t bytes;     /* its length */
	uint64_t handed_ns; /* clock time at which the TX thread filled the slot */
};

struct snd_stream {
	struct vsnd_stream_cfg cfg;
	uint32_t id;
	enum vsnd_pcm_state state;
	struct vsnd_pcm_params p; /* valid from PARAMS on; kept across RELEASE */
	uint32_t features;        /* PCM features the driver selected */
	struct vsnd_sink *sink;   /* owned; NULL = discard (output) or silence (input) */
	bool sink_open;

	/* Held messages in arrival order; TX: `playing` is the one handed to the sink. */
	struct snd_msg *qhead, *qtail;
	uint32_t qcount;
	uint64_t qbytes;
	struct snd_msg *playing;

	/* Timeline (facts 3.9): while `anchored`, the frame boundary after run_frames frames
	 * is due at base_ns + run_frames / rate. STOP remembers stop_ns; START shifts base_ns
	 * by the paused time. Running dry (xrun) drops the anchor; the next message re-anchors
	 * at its arrival. */
	bool anchored;
	uint64_t base_ns, run_frames, stop_ns;

	/* Sink I/O is in progress with the device mutex released: TX, from the hand-off of a
	 * period to the consumer until its write() returned; RX, while the RX thread reads the
	 * source. While set nobody else touches the sink, the stage or the playing/head message. */
	bool busy;
	/* Control requests or a reset waiting for !busy (a count: they may overlap); while
	 * non-zero the PCM threads leave s alone. */
	uint32_t hold;
	uint8_t *stage; /* bytes of one message between chain and sink */
	uint32_t stage_len;
	struct snd_consumer cons; /* output streams only */

	struct vsnd_stream_stats stats;
};

struct snd_worker {
	struct vsnd_dev *dev;
	uint8_t direction; /* serves the streams of this direction */
	pthread_t thread;
	bool started;
	pthread_cond_t cv; /* vsnd_cond_init: kicked by submit/control, timed by the clock */
	bool kicked;       /* new work since the last scan */
	bool waiting;      /* blocked in wait_until(deadline) */
	uint64_t deadline;
};

struct snd_evq_node {
	struct snd_evq_node *next;
	struct vsnd_chain *chain;
};

struct vsnd_dev {
	struct vsnd_config cfg;
	struct vsnd_host host;
	struct vsnd_clock *clock;

	pthread_mutex_t mu;
	pthread_cond_t idle_cv; /* a held stream's busy, or ctl_active, changed */
	/* vsnd_dev_quiesce() callers wait on quiet_cv; the PCM threads broadcast it only when
	 * they are all idle while quiescers > 0 (snd_io.c), so nobody is woken for nothing. */
	pthread_cond_t quiet_cv;
	uint32_t quiescers;
	bool quit;
	bool passive_waits; /* vsnd_clock_passive_waits(clock), fixed at creation */
	bool driver_ok;
	bool ctl_active; /* a control request is in progress (keeps controlq in order) */

	struct snd_stream st[VSND_MAX_STREAMS];
	struct {
		uint8_t connected;
		uint32_t association, sequence;
	} jacks[VSND_MAX_JACKS];

	/* eventq: posted buffers and events waiting for one. */
	struct snd_evq_node *evq_head, *evq_tail;
	struct virtio_snd_event events[SND_EVENT_FIFO];
	uint32_t ev_first, ev_count;

	/* [VIRTIO_SND_D_OUTPUT]: the TX (producer) thread; [VIRTIO_SND_D_INPUT]: the RX thread.
	 * Each output stream also has its sink consumer thread (snd_stream.cons). */
	struct snd_worker workers[2];
};

/* clock.c: true if clk is one whose timed wait_until() never moves it (the monotonic clock,
 * a virtual clock without `instant`); false for any other clock, which the PCM threads then
 * treat as if a timed wait could move it. */
bool vsnd_clock_passive_waits(const struct vsnd_clock *clk);

/* Tables (static const data). */
void snd_fill_silence(uint8_t format, uint8_t *buf, uint32_t bytes);

/* snd.c */
void snd_queue_event(struct vsnd_dev *dev, uint32_t code, uint32_t data);
void snd_put_u32(void *p, uint32_t v);
uint32_t snd_get_u32(const void *p);

/* snd_ctl.c: one control request, with dev->mu held. Completes the chain. */
void snd_ctl(struct vsnd_dev *dev, struct vsnd_chain *c);

/* snd_io.c (all with dev->mu held unless stated) */
void snd_io_submit(struct vsnd_dev *dev, struct vsnd_chain *c);
void snd_kick(struct vsnd_dev *dev, uint8_t direction);
void snd_wait_not_busy(struct vsnd_dev *dev, struct snd_stream *s);
/* Complete every held message of s with `status` (used.len 8 or data+8 for RX). */
void snd_flush(struct vsnd_dev *dev, struct snd_stream *s, uint32_t status);
/* Discard (reset) every held message of s without returning it. */
void snd_discard(struct vsnd_dev *dev, struct snd_stream *s);
void snd_sink_close(struct snd_stream *s);
/* Starts the TX and RX threads and one consumer thread per configured output stream. */
int snd_workers_start(struct vsnd_dev *dev);
/* Called without dev->mu: stop and join every thread snd_workers_start() started. */
void snd_workers_stop(struct vsnd_dev *dev);

#endif
