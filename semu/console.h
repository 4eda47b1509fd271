/* console.h - the host terminal behind the guest console: buffered output to a file descriptor,
 * non-blocking input from another (raw mode when both are a tty, restored on free), an escape key
 * to quit, and a watched output marker (boot-time measurement). */
#ifndef SEMU_CONSOLE_H
#define SEMU_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A; then 'x' quits, Ctrl-A sends one Ctrl-A (tty only) */

struct console;

/* in_fd may be closed or /dev/null: input then simply ends (EOF), nothing blocks or spins. */
struct console *console_new(int in_fd, int out_fd);
/* Flushes output and restores the terminal mode. */
void console_free(struct console *c);

void console_putc(struct console *c, uint8_t ch);
/* Write out buffered output. Write errors (closed pipe, ...) drop the output silently. */
void console_flush(struct console *c);
int console_has_output(const struct console *c);

/* The fd to poll for input, or -1 once input has ended. */
int console_in_fd(const struct console *c);
/* Read up to n bytes if some are ready, without blocking. Returns the count (0 = none now). */
size_t console_read(struct console *c, uint8_t *buf, size_t n);
/* The user typed the quit escape. */
int console_quit(const struct console *c);

/* Call hit(ctx) once, the first time the output contains marker (NULL = no marker). */
void console_set_marker(struct console *c, const char *marker, void (*hit)(void *), void *ctx);

#endif
