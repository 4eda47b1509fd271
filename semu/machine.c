/* machine.c - the board: RAM, bus, PLIC, UART, timer, SBI and the virtio-snd slot around one
 * rv32 hart, kernel/initrd/device-tree loading, and the run loop with an idle sleep on WFI. */
#include "semu/machine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "semu/bus.h"
#include "semu/console.h"
#include "semu/cpu.h"
#include "semu/fdt.h"
#include "semu/plic.h"
#include "semu/sbi.h"
#include "semu/timer.h"
#include "semu/uart.h"

/* Instructions per rv_cpu_run() slice: the timer is checked after every slice (about 10-100 us
 * of guest time), the console and host input every SERVICE_NS. */
#define SLICE 4096
#define SERVICE_NS 1000000ull

/* Linux RISC-V Image header (Documentation/riscv/boot-image-header.rst). */
#define IMAGE_HDR_SIZE 64
#define IMAGE_MAGIC2 0x05435352u /* "RSC\x05" at offset 56 */
#define IMAGE_DEFAULT_OFFSET 0x400000u /* rv32 kernels must sit on a 4 MiB boundary */

struct machine {
	struct machine_cfg cfg;
	uint8_t *ram;
	uint32_t ram_size;
	struct vsnd_gmem gmem;
	struct bus bus;
	struct plic *plic;
	struct uart *uart;
	struct snd_slot *snd;
	struct console *con;
	struct rv_cpu *cpu;
	struct rv_cpu_env env;
	struct sbi_host sbi;
	struct semu_timer timer;
	int stip;
	int wake_fd;
	int sig_fd;
	int sig_blocked;
	sigset_t old_mask;
	atomic_int sleeping;
	int stop;
	int exit_status;
	uint64_t start_ns, run_ns, last_service_ns, watchdog_ns;
	struct vsnd_clock clock;
	struct machine_layout lay;
};

/* ---- clock shared with the device and the recorder ---- */

static uint64_t mclock_now(struct vsnd_clock *clk)
{
	(void)clk;
	return semu_now_ns();
}

static uint64_t mclock_ticks(struct vsnd_clock *clk)
{
	struct machine *m = clk->opaque;
	return semu_timer_ticks_at(&m->timer, semu_now_ns());
}

static int mclock_wait_until(struct vsnd_clock *clk, pthread_cond_t *cv, pthread_mutex_t *mu,
			     uint64_t deadline_ns)
{
	(void)clk;
	if (semu_now_ns() >= deadline_ns)
		return 1;
	struct timespec ts = { (time_t)(deadline_ns / 1000000000ull),
			       (long)(deadline_ns % 1000000000ull) };
	pthread_cond_timedwait(cv, mu, &ts);
	return semu_now_ns() >= deadline_ns;
}

static const struct vsnd_clock_ops mclock_ops = { mclock_now, mclock_ticks, mclock_wait_until };

struct vsnd_clock *machine_clock(struct machine *m)
{
	return &m->clock;
}

const struct vsnd_config *machine_snd_config(const struct machine *m)
{
	return m->snd ? snd_slot_config(m->snd) : NULL;
}

void machine_layout(const struct machine *m, struct machine_layout *out)
{
	*out = m->lay;
}

/* ---- interrupts and wake-ups ---- */

/* Wake the vCPU thread if it sleeps in machine_idle(). Pairs with the fence there: either the
 * sleeper sees the interrupt in its re-check, or this sees `sleeping` and writes the eventfd,
 * which makes the sleeper's ppoll() return. */
static void machine_kick(struct machine *m)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&m->sleeping)) {
		uint64_t one = 1;
		ssize_t r = write(m->wake_fd, &one, sizeof(one));
		(void)r;
	}
}

static void machine_plic_out(void *opaque, int ctx, int level)
{
	struct machine *m = opaque;
	if (!m->cpu)
		return;
	rv_cpu_set_irq(m->cpu, ctx == PLIC_CTX_M ? RV_IRQ_MEI : RV_IRQ_SEI, level != 0);
	if (level)
		machine_kick(m);
}

static void machine_update_timer(struct machine *m, uint64_t now)
{
	int due = semu_timer_due(&m->timer, now);
	if (due != m->stip) {
		m->stip = due;
		rv_cpu_set_irq(m->cpu, RV_IRQ_STI, due);
	}
}

/* ---- hart environment ---- */

static int machine_mmio(void *opaque, uint32_t paddr, unsigned size, uint32_t *val, bool is_write)
{
	struct machine *m = opaque;
	return bus_access(&m->bus, paddr, size, val, is_write);
}

static uint64_t machine_time(void *opaque)
{
	struct machine *m = opaque;
	return semu_timer_ticks_at(&m->timer, semu_now_ns());
}

static void machine_sbi(void *opaque, struct rv_cpu *cpu)
{
	struct machine *m = opaque;
	uint32_t a[8];
	for (unsigned i = 0; i < 8; i++)
		a[i] = rv_cpu_reg(cpu, 10 + i);
	sbi_call(&m->sbi, a);
	rv_cpu_set_reg(cpu, 10, a[0]);
	rv_cpu_set_reg(cpu, 11, a[1]);
}

static void sbi_set_timer(void *opaque, uint64_t stime)
{
	struct machine *m = opaque;
	m->timer.cmp = stime;
	machine_update_timer(m, semu_now_ns());
}

static void sbi_putchar(void *opaque, uint8_t ch)
{
	struct machine *m = opaque;
	console_putc(m->con, ch);
}

static int sbi_getchar(void *opaque)
{
	struct machine *m = opaque;
	uint8_t ch;
	return console_read(m->con, &ch, 1) == 1 ? ch : -1;
}

static void sbi_reset(void *opaque, uint32_t type, uint32_t reason)
{
	struct machine *m = opaque;
	if (reason != SBI_SRST_REASON_NONE)
		m->exit_status = MACHINE_EXIT_FAILURE;
	else
		m->exit_status = type == SBI_SRST_SHUTDOWN ? MACHINE_EXIT_POWEROFF : MACHINE_EXIT_REBOOT;
	m->stop = 1;
	rv_cpu_halt(m->cpu);
}

static void sbi_set_ssip(void *opaque, int level)
{
	struct machine *m = opaque;
	rv_cpu_set_irq(m->cpu, RV_IRQ_SSI, level != 0);
}

static void machine_idle(struct machine *m);

static void sbi_suspend(void *opaque)
{
	machine_idle(opaque);
}

static void uart_tx(void *opaque, uint8_t ch)
{
	struct machine *m = opaque;
	console_putc(m->con, ch);
}

static void bench_hit(void *opaque)
{
	struct machine *m = opaque;
	uint64_t now = semu_now_ns();
	struct timespec cpu;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	console_flush(m->con);
	/* wall time from hart start; host CPU time of the process separates a loaded machine */
	fprintf(stderr, "\r\nsemu: boot marker \"%s\" after %.3f s (%.3f s since launch, "
		"%.3f s cpu, %" PRIu64 " instructions)\r\n",
		m->cfg.bench_marker, (double)(now - m->run_ns) / 1e9,
		(double)(now - m->start_ns) / 1e9, (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9,
		rv_cpu_instret(m->cpu));
}

/* ---- host input, signals, watchdog ---- */

static void machine_service(struct machine *m, uint64_t now)
{
	m->last_service_ns = now;
	console_flush(m->con);
	if (console_in_fd(m->con) >= 0) {
		uint8_t buf[UART_FIFO_SIZE];
		size_t room = uart_rx_room(m->uart);
		if (room) {
			size_t n = console_read(m->con, buf, room < sizeof(buf) ? room : sizeof(buf));
			if (n)
				uart_rx_push(m->uart, buf, n);
		}
	}
	if (console_quit(m->con) && !m->stop) {
		m->stop = 1;
		m->exit_status = MACHINE_EXIT_QUIT;
	}
	if (m->sig_fd >= 0) {
		struct signalfd_siginfo si; /* non-blocking fd: EAGAIN when no signal is pending */
		if (read(m->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si) && !m->stop) {
			fprintf(stderr, "\r\nsemu: stopped by signal %u\r\n", si.ssi_signo);
			m->stop = 1;
			m->exit_status = MACHINE_EXIT_QUIT;
		}
	}
	if (m->watchdog_ns && now >= m->watchdog_ns && !m->stop) {
		console_flush(m->con);
		fprintf(stderr, "\r\nsemu: --max-seconds %g elapsed, stopping\r\n", m->cfg.max_seconds);
		m->stop = 1;
		m->exit_status = MACHINE_EXIT_WATCHDOG;
	}
}

/* WFI: sleep until the timer compare, a device interrupt (eventfd), console input or a signal.
 * Returns when an enabled interrupt is pending or the run must stop. */
static void machine_idle(struct machine *m)
{
	for (;;) {
		uint64_t now = semu_now_ns();
		machine_update_timer(m, now);
		machine_service(m, now);
		if (m->stop || rv_cpu_irq_pending(m->cpu))
			return;
		atomic_store(&m->sleeping, 1);
		atomic_thread_fence(memory_order_seq_cst);
		if (rv_cpu_irq_pending(m->cpu)) {
			atomic_store(&m->sleeping, 0);
			return;
		}
		uint64_t deadline = UINT64_MAX;
		if (!m->stip && m->timer.cmp != UINT64_MAX)
			deadline = semu_timer_ns_of(&m->timer, m->timer.cmp);
		if (m->watchdog_ns && m->watchdog_ns < deadline)
			deadline = m->watchdog_ns;
		struct pollfd fds[3];
		nfds_t n = 0;
		fds[n++] = (struct pollfd){ .fd = m->wake_fd, .events = POLLIN };
		if (m->sig_fd >= 0)
			fds[n++] = (struct pollfd){ .fd = m->sig_fd, .events = POLLIN };
		if (console_in_fd(m->con) >= 0 && uart_rx_room(m->uart))
			fds[n++] = (struct pollfd){ .fd = console_in_fd(m->con), .events = POLLIN };
		struct timespec ts, *tsp = NULL;
		if (deadline != UINT64_MAX) {
			uint64_t d = deadline > now ? deadline - now : 0;
			ts.tv_sec = (time_t)(d / 1000000000ull);
			ts.tv_nsec = (long)(d % 1000000000ull);
			tsp = &ts;
		}
		ppoll(fds, n, tsp, NULL);
		atomic_store(&m->sleeping, 0);
		if (fds[0].revents & POLLIN) {
			uint64_t cnt;
			ssize_t r = read(m->wake_fd, &cnt, sizeof(cnt));
			(void)r;
		}
	}
}

int machine_run(struct machine *m)
{
	m->run_ns = semu_now_ns();
	semu_timer_init(&m->timer, SEMU_TIMEBASE_HZ, m->run_ns);
	m->last_service_ns = m->run_ns;
	if (m->cfg.max_seconds > 0)
		m->watchdog_ns = m->run_ns + (uint64_t)(m->cfg.max_seconds * 1e9);
	while (!m->stop) {
		enum rv_run_exit ex = rv_cpu_run(m->cpu, SLICE);
		uint64_t now = semu_now_ns();
		machine_update_timer(m, now);
		if (now - m->last_service_ns >= SERVICE_NS)
			machine_service(m, now);
		if (ex == RV_EXIT_HALT && !m->stop) {
			m->stop = 1;
			m->exit_status = MACHINE_EXIT_POWEROFF;
		}
		if (ex == RV_EXIT_WFI && !m->stop)
			machine_idle(m);
	}
	console_flush(m->con);
	return m->exit_status;
}

/* ---- loading ---- */

static int open_input(const char *what, const char *path, int *fd, uint64_t *size, char *err,
		      size_t errlen)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		snprintf(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s '%s' is not a regular file", what, path);
		close(*fd);
		return -1;
	}
	if (st.st_size == 0) {
		snprintf(err, errlen, "%s '%s' is empty", what, path);
		close(*fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static int read_all(int fd, uint8_t *dst, uint64_t size, const char *what, const char *path,
		    char *err, size_t errlen)
{
	uint64_t done = 0;
	while (done < size) {
		ssize_t n = pread(fd, dst + done, size - done > (1u << 30) ? (1u << 30) : size - done,
				  (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
				 n < 0 ? strerror(errno) : "file shrank while reading");
			return -1;
		}
		done += (uint64_t)n;
	}
	return 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Kernel at RAM base + text_offset from the Image header (0x400000 for rv32: the kernel must be
 * 4 MiB aligned); a file without the header is a flat binary loaded at the same offset. */
static int load_kernel(struct machine *m, char *err, size_t errlen)
{
	int fd;
	uint64_t size;
	if (open_input("kernel", m->cfg.kernel, &fd, &size, err, errlen))
		return -1;
	uint8_t hdr[IMAGE_HDR_SIZE] = { 0 };
	uint32_t off = IMAGE_DEFAULT_OFFSET;
	uint64_t memsize = size;
	if (size >= IMAGE_HDR_SIZE && pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    le32(hdr + 56) == IMAGE_MAGIC2) {
		uint64_t text_offset = le64(hdr + 8), image_size = le64(hdr + 16);
		if (text_offset % 0x400000u || text_offset >= m->ram_size) {
			snprintf(err, errlen, "kernel '%s': Image header text_offset 0x%" PRIx64
				 " is not a 4 MiB multiple inside RAM", m->cfg.kernel, text_offset);
			close(fd);
			return -1;
		}
		off = (uint32_t)text_offset;
		if (image_size > memsize)
			memsize = image_size;
	}
	uint64_t limit = m->lay.initrd_start ? m->lay.initrd_start - MACHINE_RAM_BASE
					     : m->lay.dtb_addr - MACHINE_RAM_BASE;
	if (off + memsize > limit) {
		snprintf(err, errlen,
			 "kernel '%s' (%" PRIu64 " bytes in memory at +0x%x) does not fit in %u MiB "
			 "of RAM%s; use a larger -m",
			 m->cfg.kernel, memsize, off, m->ram_size >> 20,
			 m->lay.initrd_start ? " together with the initrd" : "");
		close(fd);
		return -1;
	}
	int rc = read_all(fd, m->ram + off, size, "kernel", m->cfg.kernel, err, errlen);
	close(fd);
	m->lay.kernel_addr = MACHINE_RAM_BASE + off;
	m->lay.kernel_size = (uint32_t)size;
	return rc;
}

/* initrd just below the device tree at the top of RAM, page aligned at its start; the device
 * tree declares its exact end (a padded end costs the kernel a long scan of zeroes). */
static int load_initrd(struct machine *m, char *err, size_t errlen)
{
	int fd;
	uint64_t size;
	if (open_input("initrd", m->cfg.initrd, &fd, &size, err, errlen))
		return -1;
	uint64_t top = m->lay.dtb_addr - MACHINE_RAM_BASE;
	if (size + IMAGE_DEFAULT_OFFSET + 0x100000u > top) {
		snprintf(err, errlen, "initrd '%s' (%" PRIu64 " bytes) does not fit in %u MiB of RAM; "
			 "use a larger -m", m->cfg.initrd, size, m->ram_size >> 20);
		close(fd);
		return -1;
	}
	uint32_t start = (uint32_t)((top - size) & ~0xfffull);
	int rc = read_all(fd, m->ram + start, size, "initrd", m->cfg.initrd, err, errlen);
	close(fd);
	m->lay.initrd_start = MACHINE_RAM_BASE + start;
	m->lay.initrd_end = MACHINE_RAM_BASE + start + (uint32_t)size;
	return rc;
}

static int build_dtb(struct machine *m, char *err, size_t errlen)
{
	struct semu_fdt_cfg fc = {
		.ram_base = MACHINE_RAM_BASE,
		.ram_size = m->ram_size,
		.timebase_hz = SEMU_TIMEBASE_HZ,
		.isa = MACHINE_ISA,
		.mmu = "riscv,sv32",
		.bootargs = m->cfg.bootargs,
		.initrd_start = m->lay.initrd_start,
		.initrd_end = m->lay.initrd_end,
		.plic_base = MACHINE_PLIC_BASE,
		.plic_size = PLIC_SIZE,
		.plic_ndev = PLIC_NDEV,
		.uart_base = MACHINE_UART_BASE,
		.uart_size = UART_SIZE,
		.uart_irq = MACHINE_UART_IRQ,
		.uart_clock_hz = MACHINE_UART_CLOCK_HZ,
	};
	if (m->snd) {
		fc.virtio[0] = (struct semu_fdt_virtio){ MACHINE_VIRTIO_BASE, MACHINE_VIRTIO_SIZE,
							  MACHINE_VIRTIO_IRQ };
		fc.nvirtio = 1;
	}
	uint32_t off = m->lay.dtb_addr - MACHINE_RAM_BASE;
	int n = semu_fdt_build(&fc, m->ram + off, MACHINE_DTB_RESERVE);
	if (n < 0) {
		snprintf(err, errlen, "cannot build the device tree (%s)%s", semu_fdt_strerror(n),
			 m->cfg.bootargs ? ": bootargs too long?" : "");
		return -1;
	}
	m->lay.dtb_size = (uint32_t)n;
	return 0;
}

/* ---- construction ---- */

static int machine_signals(struct machine *m, char *err, size_t errlen)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Blocked before any device thread exists, so every thread inherits the mask and the
	 * signals reach only the signalfd. */
	if (pthread_sigmask(SIG_BLOCK, &set, &m->old_mask) != 0) {
		snprintf(err, errlen, "cannot block signals");
		return -1;
	}
	m->sig_blocked = 1;
	m->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sig_fd < 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct machine *machine_new(const struct machine_cfg *cfg, char *err, size_t errlen)
{
	struct machine *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->start_ns = semu_now_ns();
	m->cfg = *cfg;
	m->wake_fd = -1;
	m->sig_fd = -1;
	m->clock = (struct vsnd_clock){ &mclock_ops, m };
	semu_timer_init(&m->timer, SEMU_TIMEBASE_HZ, m->start_ns);
	uint32_t mib = cfg->ram_mib ? cfg->ram_mib : 128;
	if (mib < MACHINE_RAM_MIN_MIB || mib > MACHINE_RAM_MAX_MIB) {
		snprintf(err, errlen, "RAM size %u MiB out of range (%u..%u)", mib, MACHINE_RAM_MIN_MIB,
			 MACHINE_RAM_MAX_MIB);
		goto fail;
	}
	if (!cfg->kernel) {
		snprintf(err, errlen, "no kernel image given (-k IMAGE)");
		goto fail;
	}
	m->ram_size = mib << 20;
	m->ram = mmap(NULL, m->ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->ram == MAP_FAILED) {
		m->ram = NULL;
		snprintf(err, errlen, "cannot allocate %u MiB of RAM: %s", mib, strerror(errno));
		goto fail;
	}
	m->gmem = (struct vsnd_gmem){ m->ram, MACHINE_RAM_BASE, m->ram_size };
	m->lay.ram_base = MACHINE_RAM_BASE;
	m->lay.ram_size = m->ram_size;
	m->lay.dtb_addr = MACHINE_RAM_BASE + m->ram_size - MACHINE_DTB_RESERVE;

	if (cfg->handle_signals && machine_signals(m, err, errlen))
		goto fail;
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	m->con = console_new(cfg->in_fd, cfg->out_fd);
	m->plic = plic_new((struct plic_output){ machine_plic_out, m });
	m->uart = uart_new((struct uart_host){ uart_tx, m },
			   m->plic ? plic_irq_line(m->plic, MACHINE_UART_IRQ) : (struct vsnd_irq){ 0 });
	if (!m->con || !m->plic || !m->uart) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cfg->bench_marker)
		console_set_marker(m->con, cfg->bench_marker, bench_hit, m);
	bus_init(&m->bus);
	bus_map(&m->bus, MACHINE_PLIC_BASE, PLIC_SIZE, &plic_bus_ops, m->plic, "plic");
	bus_map(&m->bus, MACHINE_UART_BASE, UART_SIZE, &uart_bus_ops, m->uart, "uart");

	if (cfg->initrd && load_initrd(m, err, errlen))
		goto fail;
	if (load_kernel(m, err, errlen))
		goto fail;

	m->env = (struct rv_cpu_env){
		.ram = m->ram,
		.ram_base = MACHINE_RAM_BASE,
		.ram_size = m->ram_size,
		.mmio = machine_mmio,
		.opaque = m,
		.time = machine_time,
		.sbi = machine_sbi,
	};
	m->cpu = rv_cpu_new(&m->env);
	if (!m->cpu) {
		snprintf(err, errlen, "cannot create the hart");
		goto fail;
	}
	m->sbi = (struct sbi_host){
		.opaque = m,
		.set_timer = sbi_set_timer,
		.putchar = sbi_putchar,
		.getchar = sbi_getchar,
		.reset = sbi_reset,
		.set_ssip = sbi_set_ssip,
		.suspend = sbi_suspend,
		.mem = &m->gmem,
	};

	if (cfg->with_snd) {
		struct snd_slot_cfg sc = {
			.sink_spec = cfg->snd_sink,
			.source_spec = cfg->snd_source,
			.config = cfg->snd_config,
			.mem = m->gmem,
			.irq = plic_irq_line(m->plic, MACHINE_VIRTIO_IRQ),
			.clock = &m->clock,
			.hooks = cfg->snd_hooks,
		};
		m->snd = snd_slot_new(&sc, err, errlen);
		if (!m->snd)
			goto fail;
		bus_map(&m->bus, MACHINE_VIRTIO_BASE, MACHINE_VIRTIO_SIZE, &snd_slot_bus_ops, m->snd,
			"virtio-snd");
	}
	if (build_dtb(m, err, errlen))
		goto fail;
	rv_cpu_reset(m->cpu, RV_PRIV_S, m->lay.kernel_addr, 0, m->lay.dtb_addr);
	return m;
fail:
	machine_free(m);
	return NULL;
}

void machine_free(struct machine *m)
{
	if (!m)
		return;
	/* Device threads first: they may still raise interrupts into the PLIC and the hart. */
	snd_slot_free(m->snd);
	if (m->cpu)
		rv_cpu_free(m->cpu);
	uart_free(m->uart);
	plic_free(m->plic);
	console_free(m->con);
	if (m->ram)
		munmap(m->ram, m->ram_size);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	if (m->sig_fd >= 0)
		close(m->sig_fd);
	if (m->sig_blocked)
		pthread_sigmask(SIG_SETMASK, &m->old_mask, NULL);
	free(m);
}
