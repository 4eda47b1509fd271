/* replay_priv.h - internals shared by the replay engine files: the engine state, recorded
 * chains (replay_chain.c), tap sinks and capture sources (replay_sink.c), divergence logging. */
#ifndef VT_REPLAY_PRIV_H
#define VT_REPLAY_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "replay/replay.h"
#include "vsnd/chain.h"
#include "vsnd/clock.h"

/* Queues as counted by the engine: 0..3 are the virtio-snd queues, 4 is "any other". */
#define RP_NQ 5
static inline int rp_qidx(uint16_t q)
{
	return q < 4 ? q : 4;
}

/* Bytes at an offset of a chain part: a recorded read or write, or a write made now. */
struct rp_seg {
	uint64_t id; /* recorded event id (0 for writes made in the replay) */
	uint32_t off, len;
	uint8_t *data;
};
struct rp_segv {
	struct rp_seg *v;
	uint32_t n, cap;
};
int rp_segv_add(struct rp_segv *sv, uint64_t id, uint32_t off, const void *data, uint32_t len);
void rp_segv_free(struct rp_segv *sv);

/* A growable byte FIFO. */
struct rp_bfifo {
	uint8_t *b;
	size_t start, len, cap;
};
int rp_bfifo_push(struct rp_bfifo *f, const void *p, size_t n);
void rp_bfifo_pop(struct rp_bfifo *f, size_t n);
void rp_bfifo_free(struct rp_bfifo *f);

/* A growable FIFO of u64. */
struct rp_u64q {
	uint64_t *v;
	size_t start, len, cap;
};
int rp_u64q_push(struct rp_u64q *q, uint64_t x);
void rp_u64q_free(struct rp_u64q *q);

enum rp_end { RP_END_NONE = 0, RP_END_COMPLETE = 1, RP_END_DISCARD = 2 };

/* A chain rebuilt from the recording (replay_chain.c). All fields below `c` are protected by
 * replay.mu (the device may call the ops from its threads). */
struct rp_chain {
	struct vsnd_chain c;
	struct replay *rp;
	uint64_t id;              /* recorded arrival event id */
	uint64_t t_ns;            /* recorded arrival time */
	struct vsnd_desc *descs;
	struct rp_segv rreads;    /* recorded reads (attached as the look-ahead loads them) */
	struct rp_segv rwrites;   /* recorded writes */
	struct rp_segv awrites;   /* writes the device makes now */
	enum rp_end rec_end, act_end;
	uint32_t rec_used, act_used;
	uint64_t rec_end_id, rec_end_t, act_end_t;
	bool submitted, checked;
	struct rp_chain *hnext;   /* hash bucket */
};

struct rp_chain *rp_chain_new(struct replay *rp, const struct vt_event *ev);
void rp_chain_free(struct rp_chain *ch);
/* With mu held: compare a chain's recorded and replayed outcome once both are known. */
void rp_chain_check(struct replay *rp, struct rp_chain *ch);

/* Recorded sink calls of one stream, consumed in order by its tap. */
struct rp_open_rec {
	uint64_t id, t_ns;
	int rc;
	struct vsnd_pcm_params p;
};
struct rp_io_rec {
	uint64_t id, t_ns;
	int rc;
	uint32_t bytes;
	uint8_t *data; /* capture reads only */
};

/* The sink the device sees for one stream (replay_sink.c). */
struct rp_tap {
	struct vsnd_sink s;
	struct replay *rp;
	uint32_t stream;
	uint8_t direction;
	struct vsnd_sink *inner; /* host sink (output streams, when played); owned */
	bool inner_open, warned;
	/* Recorded calls (mu). */
	struct rp_open_rec *opens;
	size_t nopens, capopens, opens_used;
	struct rp_io_rec *ios; /* writes (output) or reads (input) */
	size_t ios_start, nios, capios;
	uint64_t ios_loaded;   /* recorded writes/reads attached so far */
	uint64_t ios_used;     /* consumed by the device */
	/* PCM verification (mu): recorded bytes not yet matched, and replayed ones. */
	struct rp_bfifo exp, act;
	uint64_t exp_total, act_total; /* byte positions of exp/act start in the stream */
	struct rp_u64q exp_ends, exp_ids, exp_ts; /* recorded writes: end offset, id, time */
	bool verify_pcm;
};

struct rp_tap *rp_tap_new(struct replay *rp, uint32_t stream, uint8_t direction,
			  struct vsnd_sink *inner, bool verify_pcm);
/* Main thread, mu held: attach recorded sink events. */
void rp_tap_add_open(struct rp_tap *t, const struct vt_event *ev);
void rp_tap_add_io(struct rp_tap *t, const struct vt_event *ev, bool verify);
/* mu held: compare what both sides have; at_end: leftovers are divergences. */
void rp_tap_compare(struct rp_tap *t, bool at_end);
void rp_tap_release(struct rp_tap *t); /* frees the recorded data (after the device) */

/* One step of the walk: an input, or a recorded completion (a clock stop). */
enum rp_step_kind { RP_ST_CHAIN, RP_ST_DRIVER_OK, RP_ST_RESET, RP_ST_CONFIG, RP_ST_COMPLETE };
struct rp_step {
	enum rp_step_kind kind;
	uint64_t id, t_ns, ticks;
	struct rp_chain *ch; /* CHAIN */
	int q;               /* COMPLETE: queue index */
	uint32_t off, len;   /* CONFIG */
	uint8_t *data;       /* CONFIG: recorded bytes */
};

struct replay {
	struct vt_reader *r;
	const struct vt_session *s;
	struct vt_replay_opts o;
	struct vt_replay_report *rep;
	struct vsnd_vclock *vc;
	struct vsnd_clock *clk;
	struct vsnd_dev *dev;
	uint64_t t0;  /* session start (recorder clock) */
	uint64_t now; /* clock as last set */
	bool dirty;   /* an input was given since the device was last quiesced */

	pthread_mutex_t mu;
	pthread_cond_t cv; /* a chain came back */
	uint64_t act_count[RP_NQ]; /* chains completed by the replayed device, per queue */
	uint64_t rec_count[RP_NQ]; /* recorded completions walked so far */
	struct rp_u64q exp_order[RP_NQ], act_order[RP_NQ];
	bool stop; /* a protocol divergence under verify: finish early */
	struct rp_u64q reap; /* ids of checked chains, freed by the main thread */

	/* Chains by recorded id. */
	struct rp_chain **ht;
	size_t htcap, htn;

	struct rp_tap *taps[VSND_MAX_STREAMS];

	/* Look-ahead. */
	struct rp_loader *ld;
	bool it_done;
	uint64_t loaded_t;
	struct rp_step *steps;
	size_t st_start, st_len, st_cap;
};

/* With mu held: note a protocol divergence (first one kept) or a timing difference.
 * event_id/t_ns: the recorded event concerned. */
void rp_diverge(struct replay *rp, uint64_t event_id, uint64_t t_ns, int queue, int stream,
		const char *field, const char *expected, const char *actual, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));
void rp_timing(struct replay *rp, uint64_t event_id, uint64_t t_ns, int queue, int stream,
	       const char *field, const char *expected, const char *actual, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

/* Hash of chains (main thread, mu held). */
struct rp_chain *rp_find(struct replay *rp, uint64_t id);
int rp_insert(struct replay *rp, struct rp_chain *ch);
void rp_forget(struct replay *rp, struct rp_chain *ch); /* unlink and free */

/* Control code / status names for messages ("S_OK", "PCM_START", ...) or NULL. */
const char *rp_code_name(uint32_t code);

#endif
