/* console.c - terminal plumbing for the emulated UART and the SBI console: output is buffered
 * and flushed by the machine loop (at least every millisecond and before sleeping), input is
 * read only when poll() says it is ready, so EOF, /dev/null and closed fds end input cleanly. */
#include "semu/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define CONSOLE_OUT_BUF 4096

struct console {
	int in_fd, out_fd;
	int in_ended;
	int is_tty;
	int raw_set;
	struct termios saved;
	int esc_pending;
	int quit;
	int out_broken;
	size_t out_len;
	uint8_t out[CONSOLE_OUT_BUF];
	const char *marker;
	size_t marker_len, marker_pos;
	void (*hit)(void *);
	void *hit_ctx;
};

static int fd_is_bad(int fd)
{
	return fcntl(fd, F_GETFD) == -1;
}

struct console *console_new(int in_fd, int out_fd)
{
	struct console *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	if (in_fd < 0 || fd_is_bad(in_fd))
		c->in_ended = 1;
	/* Raw mode only for an interactive console (both ends on a terminal): when the output goes
	 * to a pipe (e.g. `vsndtrace record`), Ctrl-C must stay a signal for the whole group. */
	if (!c->in_ended && isatty(in_fd) && isatty(out_fd) && tcgetattr(in_fd, &c->saved) == 0) {
		struct termios raw = c->saved;
		/* Raw: no line editing, echo or signal keys (the guest's shell handles them). */
		raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL |
					   IXON);
		raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
		raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
		raw.c_cflag |= CS8;
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(in_fd, TCSANOW, &raw) == 0)
			c->raw_set = 1;
		c->is_tty = 1;
	}
	return c;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	console_flush(c);
	if (c->raw_set)
		tcsetattr(c->in_fd, TCSANOW, &c->saved);
	free(c);
}

void console_flush(struct console *c)
{
	size_t done = 0;
	while (done < c->out_len && !c->out_broken) {
		ssize_t n = write(c->out_fd, c->out + done, c->out_len - done);
		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };
			poll(&p, 1, 100);
		} else {
			c->out_broken = 1; /* EPIPE etc.: the reader is gone; keep running */
		}
	}
	c->out_len = 0;
}

int console_has_output(const struct console *c)
{
	return c->out_len != 0;
}

void console_putc(struct console *c, uint8_t ch)
{
	if (c->out_len == CONSOLE_OUT_BUF)
		console_flush(c);
	c->out[c->out_len++] = ch;
	if (c->marker && c->marker_pos < c->marker_len) {
		if (ch == (uint8_t)c->marker[c->marker_pos])
			c->marker_pos++;
		else
			c->marker_pos = ch == (uint8_t)c->marker[0] ? 1 : 0;
		if (c->marker_pos == c->marker_len && c->hit)
			c->hit(c->hit_ctx);
	}
}

void console_set_marker(struct console *c, const char *marker, void (*hit)(void *), void *ctx)
{
	c->marker = marker && *marker ? marker : NULL;
	c->marker_len = c->marker ? strlen(marker) : 0;
	c->marker_pos = 0;
	c->hit = hit;
	c->hit_ctx = ctx;
}

int console_in_fd(const struct console *c)
{
	return c->in_ended ? -1 : c->in_fd;
}

int console_quit(const struct console *c)
{
	return c->quit;
}

/* Ctrl-A x quits, Ctrl-A Ctrl-A passes one Ctrl-A, Ctrl-A + anything else passes both. */
static size_t console_filter(struct console *c, uint8_t *buf, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = buf[i];
		if (c->esc_pending) {
			c->esc_pending = 0;
			if (ch == 'x' || ch == 'X') {
				c->quit = 1;
				continue;
			}
			if (ch != CONSOLE_ESCAPE)
				buf[o++] = CONSOLE_ESCAPE;
			buf[o++] = ch;
		} else if (ch == CONSOLE_ESCAPE) {
			c->esc_pending = 1;
		} else {
			buf[o++] = ch;
		}
	}
	return o;
}

size_t console_read(struct console *c, uint8_t *buf, size_t n)
{
	if (c->in_ended || n == 0)
		return 0;
	struct pollfd p = { .fd = c->in_fd, .events = POLLIN };
	int r = poll(&p, 1, 0);
	if (r <= 0)
		return 0;
	if (p.revents & POLLNVAL) {
		c->in_ended = 1;
		return 0;
	}
	if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	/* A tty escape needs room for the Ctrl-A it may give back: read one byte less. */
	size_t want = c->is_tty && n > 1 ? n - 1 : n;
	ssize_t got = read(c->in_fd, buf, want);
	if (got < 0) {
		if (errno != EINTR && errno != EAGAIN)
			c->in_ended = 1;
		return 0;
	}
	if (got == 0) {
		c->in_ended = 1; /* EOF: /dev/null, closed pipe, end of file */
		return 0;
	}
	return c->is_tty ? console_filter(c, buf, (size_t)got) : (size_t)got;
}
