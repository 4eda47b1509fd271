/* sink_null.c - the `null` output sink: accepts and discards every period at once. It does
 * not pace (paces = 0); the device's clock alone paces the stream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sink.h"
#include "virtio_snd.h"

static int null_open(struct vsnd_sink *s, const struct vsnd_pcm_params *p)
{
	(void)s;
	(void)p;
	return 0;
}

static int null_write(struct vsnd_sink *s, const void *buf, uint32_t bytes)
{
	(void)s;
	(void)buf;
	(void)bytes;
	return 0;
}

static int null_read(struct vsnd_sink *s, void *buf, uint32_t bytes)
{
	(void)s;
	(void)buf;
	(void)bytes;
	return -EINVAL; /* output only; vsnd_sink_null_new() refuses the input direction */
}

static void null_close(struct vsnd_sink *s)
{
	(void)s;
}

static void null_destroy(struct vsnd_sink *s)
{
	free(s);
}

static const struct vsnd_sink_ops null_ops = {
	.name = "null",
	.open = null_open,
	.write = null_write,
	.read = null_read,
	.close = null_close,
	.destroy = null_destroy,
};

int vsnd_sink_null_new(const char *arg, int direction, struct vsnd_sink **out, char *err,
		       size_t errlen)
{
	if (direction != VIRTIO_SND_D_OUTPUT) {
		snprintf(err, errlen, "'null' is an output sink; for an input use 'silence'");
		return -1;
	}
	if (arg) {
		snprintf(err, errlen, "'null' takes no argument (got 'null:%s')", arg);
		return -1;
	}
	struct vsnd_sink *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->ops = &null_ops;
	s->paces = 0;
	*out = s;
	return 0;
}
