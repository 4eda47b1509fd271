/* replay_load.h - the replay engine's event reader: a thread that reads a session's events
 * ahead in batches (deep copies), handed out in recorded order. */
#ifndef VT_REPLAY_LOAD_H
#define VT_REPLAY_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "trace/reader.h"

struct rp_loader;

/* Start reading r's events on a thread; nobody else may use r until rp_loader_stop().
 * Without keep_written, the bytes of recorded chain writes and sink writes are not copied
 * (their ev->data is NULL, data_len stays): only verification looks at them.
 * Returns 0 or -VT_E_* with a message in err. */
int rp_loader_start(struct vt_reader *r, bool keep_written, struct rp_loader **out, char *err,
		    size_t errlen);
/* Next event in order: 1 (ev valid until the next call), 0 at the end, or -VT_E_* (message
 * in err). */
int rp_loader_next(struct rp_loader *l, struct vt_event *ev, char *err, size_t errlen);
/* Stop the thread (even midway) and free everything. */
void rp_loader_stop(struct rp_loader *l);

#endif
