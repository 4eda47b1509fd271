/* test_semu_timer_console.c - tick/nanosecond conversion of the guest timer (no wall-clock
 * assertions), and the console's input end conditions (/dev/null, closed fd, pipe EOF). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "semu/console.h"
#include "semu/timer.h"

Test(semu_timer, ticks_and_deadlines)
{
	struct semu_timer t;
	semu_timer_init(&t, 10000000, 1000);
	cr_assert_eq(t.cmp, UINT64_MAX, "no compare until set_timer");
	cr_assert_eq(semu_timer_ticks_at(&t, 0), 0, "before start");
	cr_assert_eq(semu_timer_ticks_at(&t, 1000), 0);
	cr_assert_eq(semu_timer_ticks_at(&t, 1099), 0);
	cr_assert_eq(semu_timer_ticks_at(&t, 1100), 1, "100 ns per tick at 10 MHz");
	cr_assert_eq(semu_timer_ticks_at(&t, 1000 + 1000000000ull), 10000000);
	cr_assert_eq(semu_timer_ns_of(&t, 1), 1100);
	cr_assert_eq(semu_timer_ns_of(&t, 0), 1000);
	t.cmp = 12345;
	uint64_t d = semu_timer_ns_of(&t, t.cmp);
	cr_assert(!semu_timer_due(&t, d - 1), "one ns before the deadline: not due");
	cr_assert(semu_timer_due(&t, d), "at the deadline: due");
	cr_assert_eq(semu_timer_ns_of(&t, UINT64_MAX), UINT64_MAX, "saturates");
	/* an odd rate: the deadline is still the first ns at which ticks >= cmp */
	semu_timer_init(&t, 3000000, 0);
	for (uint64_t k = 1; k < 50; k++) {
		uint64_t ns = semu_timer_ns_of(&t, k);
		cr_assert_geq(semu_timer_ticks_at(&t, ns), k);
		cr_assert_lt(semu_timer_ticks_at(&t, ns - 1), k);
	}
	cr_assert_gt(semu_now_ns(), 0);
}

Test(semu_console, dev_null_input_ends)
{
	int in = open("/dev/null", O_RDONLY);
	int out = open("/dev/null", O_WRONLY);
	struct console *c = console_new(in, out);
	cr_assert_eq(console_in_fd(c), in);
	uint8_t b[4];
	cr_assert_eq(console_read(c, b, sizeof(b)), 0);
	cr_assert_eq(console_in_fd(c), -1, "EOF ends input: nothing left to poll");
	cr_assert_eq(console_read(c, b, sizeof(b)), 0);
	console_free(c);
	close(in);
	close(out);
}

Test(semu_console, closed_fd_input_ends)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	struct console *c = console_new(fds[0], fds[1]);
	cr_assert_eq(console_in_fd(c), -1);
	console_putc(c, 'x');
	console_flush(c); /* write to a closed fd: dropped, no crash */
	console_free(c);
}

static void count_hit(void *ctx)
{
	(*(int *)ctx)++;
}

Test(semu_console, pipe_input_output_and_marker)
{
	int in[2], out[2];
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	struct console *c = console_new(in[0], out[1]);
	uint8_t b[8];
	cr_assert_eq(console_read(c, b, sizeof(b)), 0, "nothing typed yet: no block");
	cr_assert_eq(write(in[1], "ls\n", 3), 3);
	cr_assert_eq(console_read(c, b, sizeof(b)), 3);
	cr_assert_eq(memcmp(b, "ls\n", 3), 0);
	close(in[1]);
	cr_assert_eq(console_read(c, b, sizeof(b)), 0);
	cr_assert_eq(console_in_fd(c), -1, "writer closed: EOF");

	int hits = 0;
	console_set_marker(c, "Run /init", count_hit, &hits);
	const char *text = "[ 0.1] Run /ini\r\n[ 0.2] RRun /init as init process\n Run /init";
	for (const char *p = text; *p; p++)
		console_putc(c, (uint8_t)*p);
	cr_assert_eq(hits, 1, "marker reported once, on its first complete appearance");
	cr_assert(console_has_output(c));
	console_flush(c);
	cr_assert(!console_has_output(c));
	char got[128] = "";
	ssize_t n = read(out[0], got, sizeof(got) - 1);
	cr_assert_eq(n, (ssize_t)strlen(text));
	cr_assert_eq(memcmp(got, text, (size_t)n), 0, "bytes pass unchanged");
	console_free(c);
	close(in[0]);
	close(out[0]);
	close(out[1]);
}
