/* guest_bench.c - the /init of the emulator benchmarks (freestanding rv32 Linux user program):
 * `spin N` runs a CPU-bound loop in user mode, `idle MS` sleeps; then it powers the guest off.
 *
 * Started by the kernel with the words after "--" on the command line as argv, e.g.
 *   semu -k Image -i bench_init.cpio -a "console=ttyS0 -- spin 20000000"
 * Console contract (one line each, in this order):
 *   bench: MODE start                    just before the measured part (a semu --bench-boot marker)
 *   bench: spin done x=XXXXXXXX          after N loop iterations (x = checksum, lowercase hex)
 *   bench: idle done                     after sleeping MS ms (clock_nanosleep, CLOCK_MONOTONIC)
 *   bench: usage: spin N | idle MS       on bad arguments
 * then reboot(POWER_OFF). The loop's instruction count is not assumed: the host reads semu's
 * retired-instruction counter at the markers. */
#include <stdint.h>

#include "guest/init/sys.h"

static uint32_t slen(const char *s)
{
	uint32_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* fd 1 is /dev/console: the kernel opens it for /init (console_on_rootfs). */
static void say(const char *a, const char *b)
{
	char line[96];
	uint32_t n = 0;
	for (const char *p = "bench: "; *p; p++)
		line[n++] = *p;
	for (uint32_t i = 0; a[i] && n < sizeof(line) - 2; i++)
		line[n++] = a[i];
	for (uint32_t i = 0; b && b[i] && n < sizeof(line) - 2; i++)
		line[n++] = b[i];
	line[n++] = '\n';
	sys_write(1, line, n);
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	if (!s || !*s || slen(s) > 9)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* A mix of ALU, shifts, a multiply, loads/stores and branches over a small buffer: the
 * instruction mix of a compute-bound driver or codec loop, not a tight 2-instruction spin. */
static uint32_t spin(uint32_t iters)
{
	static volatile uint32_t buf[32];
	uint32_t a = 0, k = 0x9e3779b9u;
	for (uint32_t i = iters; i; i--) {
		a += k;
		uint32_t x = a ^ i;
		uint32_t r = (x << 3) | (x >> 7);
		uint32_t slot = i & 15;
		buf[slot] = r;
		uint32_t y = buf[slot + 1];
		a += y * k;
		a += a < r;
	}
	return a;
}

static void hex(char *dst, uint32_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 4)
		dst[i] = "0123456789abcdef"[v & 15];
	dst[8] = 0;
}

__attribute__((used)) void bench_main(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	uint32_t n = 0;
	if (argc == 3 && same(argv[1], "spin") && parse_u32(argv[2], &n) == 0) {
		char x[9];
		say("spin start", 0);
		hex(x, spin(n));
		say("spin done x=", x);
	} else if (argc == 3 && same(argv[1], "idle") && parse_u32(argv[2], &n) == 0) {
		say("idle start", 0);
		sys_sleep_ms(n);
		say("idle done", 0);
	} else {
		say("usage: spin N | idle MS", 0);
	}
	sys_reboot(LINUX_REBOOT_CMD_POWER_OFF);
	sys_exit(0);
}

/* Entry: the kernel starts /init with sp at argc. */
__asm__(".section .text._start,\"ax\",@progbits\n"
	".globl _start\n"
	"_start:\n"
	"	mv a0, sp\n"
	"	andi sp, sp, -16\n"
	"	call bench_main\n"
	"1:	j 1b\n"
	".previous\n");
