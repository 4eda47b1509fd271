/* isa_runner.c - runs one bare-metal ISA test image on libsemu's hart in a minimal machine:
 * 4 MiB RAM at 0x80000000 and a test device at 0x10000000 (exit, console, irq lines, timer). */
#include "semu/cpu.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RAM_BASE 0x80000000u
#define RAM_SIZE (4u << 20)
#define IO_BASE 0x10000000u
#define IO_SIZE 0x1000u

/* Register offsets: keep in sync with tests/isa/test.h. */
enum {
	IO_EXIT = 0x00,
	IO_PUTC = 0x04,
	IO_IRQ_SET = 0x08,
	IO_IRQ_CLR = 0x0C,
	IO_MTIMECMP_LO = 0x10,
	IO_MTIMECMP_HI = 0x14,
	IO_MTIME_LO = 0x18,
	IO_MTIME_HI = 0x1C,
	IO_HALTS = 0x20,
	IO_ASYNC = 0x24, /* --async: 1 = raise MEI from another thread, 2 = halt from it */
};

#define SBI_EXT_TEST 0x54455354u /* "TEST": a1 = a0 + a1, a0 = 0 */
#define SBI_EXT_HALT 0x48414C54u /* "HALT": asks the hart to stop (rv_cpu_halt) */
#define SBI_ERR_NOT_SUPPORTED 0xFFFFFFFEu

struct machine {
	struct rv_cpu *cpu;
	uint8_t *ram;
	uint64_t time_skip; /* mtime = instret + time_skip */
	uint64_t mtimecmp;
	bool exited;
	uint32_t exit_code;
	uint32_t halts;
	/* --async: a second thread serves IO_ASYNC requests, as a device thread would */
	atomic_uint async_req;
	atomic_bool async_stop;
	atomic_bool async_halted;
};

static void *async_thread(void *opaque)
{
	struct machine *m = opaque;
	while (!atomic_load(&m->async_stop)) {
		usleep(1000);
		unsigned req = atomic_exchange(&m->async_req, 0);
		if (req == 1) {
			rv_cpu_set_irq(m->cpu, RV_IRQ_MEI, true);
		} else if (req == 2) {
			atomic_store(&m->async_halted, true);
			rv_cpu_halt(m->cpu);
		}
	}
	return NULL;
}

static uint64_t mach_time(void *opaque)
{
	struct machine *m = opaque;
	return rv_cpu_instret(m->cpu) + m->time_skip;
}

static void update_timer(struct machine *m)
{
	rv_cpu_set_irq(m->cpu, RV_IRQ_MTI, mach_time(m) >= m->mtimecmp);
}

static int mach_mmio(void *opaque, uint32_t paddr, unsigned size, uint32_t *val, bool is_write)
{
	struct machine *m = opaque;
	if (paddr < IO_BASE || paddr - IO_BASE >= IO_SIZE)
		return -1;
	uint32_t off = paddr - IO_BASE;
	if (size != 4 && off != IO_PUTC) /* the console also takes byte stores */
		return -1;
	if (!is_write) {
		uint64_t t = mach_time(m);
		switch (off) {
		case IO_MTIMECMP_LO: *val = (uint32_t)m->mtimecmp; break;
		case IO_MTIMECMP_HI: *val = (uint32_t)(m->mtimecmp >> 32); break;
		case IO_MTIME_LO: *val = (uint32_t)t; break;
		case IO_MTIME_HI: *val = (uint32_t)(t >> 32); break;
		case IO_HALTS: *val = m->halts; break;
		default: *val = 0; break;
		}
		return 0;
	}
	uint32_t v = *val;
	switch (off) {
	case IO_EXIT:
		m->exited = true;
		m->exit_code = v;
		rv_cpu_halt(m->cpu);
		break;
	case IO_ASYNC:
		atomic_store(&m->async_req, v);
		break;
	case IO_PUTC:
		putchar((int)(v & 0xFF));
		fflush(stdout);
		break;
	case IO_IRQ_SET:
	case IO_IRQ_CLR:
		for (int bit = 0; bit < 32; bit++)
			if (v & (1u << bit))
				rv_cpu_set_irq(m->cpu, bit, off == IO_IRQ_SET);
		break;
	case IO_MTIMECMP_LO:
		m->mtimecmp = (m->mtimecmp & 0xFFFFFFFF00000000ull) | v;
		update_timer(m);
		break;
	case IO_MTIMECMP_HI:
		m->mtimecmp = (m->mtimecmp & 0xFFFFFFFFull) | ((uint64_t)v << 32);
		update_timer(m);
		break;
	default:
		break;
	}
	return 0;
}

static void mach_sbi(void *opaque, struct rv_cpu *cpu)
{
	struct machine *m = opaque;
	uint32_t eid = rv_cpu_reg(cpu, 17);
	if (eid == SBI_EXT_TEST) {
		rv_cpu_set_reg(cpu, 11, rv_cpu_reg(cpu, 10) + rv_cpu_reg(cpu, 11));
		rv_cpu_set_reg(cpu, 10, 0);
	} else if (eid == SBI_EXT_HALT) {
		m->halts++;
		rv_cpu_set_reg(cpu, 10, 0);
		rv_cpu_halt(cpu);
	} else {
		rv_cpu_set_reg(cpu, 10, SBI_ERR_NOT_SUPPORTED);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: isa_runner [--sbi] [--boot-s] [--async] [--bench] [--max-insns N] image.bin\n");
	return 2;
}

int main(int argc, char **argv)
{
	bool sbi = false, bench = false, boot_s = false, async = false;
	uint64_t max_insns = 200000000ull;
	const char *image = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sbi"))
			sbi = true;
		else if (!strcmp(argv[i], "--async"))
			async = true, max_insns = 4000000000ull; /* waits on a host thread */
		else if (!strcmp(argv[i], "--boot-s"))
			boot_s = true;
		else if (!strcmp(argv[i], "--bench"))
			bench = true;
		else if (!strcmp(argv[i], "--max-insns") && i + 1 < argc)
			max_insns = strtoull(argv[++i], NULL, 0);
		else if (argv[i][0] != '-' && !image)
			image = argv[i];
		else
			return usage();
	}
	if (!image)
		return usage();

	struct machine m = {.mtimecmp = UINT64_MAX};
	m.ram = calloc(1, RAM_SIZE);
	if (!m.ram)
		return 2;
	FILE *f = fopen(image, "rb");
	if (!f) {
		perror(image);
		free(m.ram);
		return 2;
	}
	size_t len = fread(m.ram, 1, RAM_SIZE, f);
	fclose(f);
	if (len == 0) {
		fprintf(stderr, "%s: empty image\n", image);
		free(m.ram);
		return 2;
	}

	struct rv_cpu_env env = {
		.ram = m.ram,
		.ram_base = RAM_BASE,
		.ram_size = RAM_SIZE,
		.mmio = mach_mmio,
		.opaque = &m,
		.time = mach_time,
		.sbi = sbi ? mach_sbi : NULL,
	};
	m.cpu = rv_cpu_new(&env);
	if (!m.cpu) {
		free(m.ram);
		return 2;
	}
	rv_cpu_reset(m.cpu, boot_s ? RV_PRIV_S : RV_PRIV_M, RAM_BASE, 0, 0);

	/* CPU time of this thread: the figure should not depend on other load on the host. */
	const char *why = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	/* With --async the hart must see the other thread's interrupt and halt inside one long
	 * rv_cpu_run(), so the budget is large. */
	const uint64_t chunk = (bench || async) ? 1000000 : 1000;
	pthread_t thread;
	if (async && pthread_create(&thread, NULL, async_thread, &m) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		async = false;
		why = "no thread";
	}
	uint64_t budget_used = 0; /* instret does not move in a loop of faulting fetches */
	while (!m.exited && !why) {
		if (budget_used >= max_insns) {
			why = "instruction limit reached";
			break;
		}
		enum rv_run_exit e = rv_cpu_run(m.cpu, chunk);
		budget_used += chunk;
		if (e == RV_EXIT_HALT && atomic_load(&m.async_halted))
			break; /* the guest asked the other thread to stop it: success */
		update_timer(&m);
		if (e == RV_EXIT_WFI && !rv_cpu_irq_pending(m.cpu)) {
			/* Sleep: jump time to the next timer event, as a machine would. */
			if (m.mtimecmp != UINT64_MAX && mach_time(&m) < m.mtimecmp)
				m.time_skip += m.mtimecmp - mach_time(&m);
			update_timer(&m);
			if (!rv_cpu_irq_pending(m.cpu)) {
				why = "WFI with no interrupt that could ever wake the hart";
				break;
			}
		}
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	if (async) {
		atomic_store(&m.async_stop, true);
		pthread_join(thread, NULL);
	}
	if (atomic_load(&m.async_halted) && !m.exited && !why)
		m.exit_code = 1;
	uint64_t insns = rv_cpu_instret(m.cpu);
	uint32_t pc = rv_cpu_pc(m.cpu);
	rv_cpu_free(m.cpu);
	free(m.ram);

	if (bench) {
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("%llu instructions in %.3f s of CPU time: %.1f MIPS\n", (unsigned long long)insns, s,
		       s > 0 ? (double)insns / s / 1e6 : 0.0);
	}
	if (why) {
		fprintf(stderr, "%s: %s (pc 0x%08x, %llu instructions)\n", image, why, pc,
			(unsigned long long)insns);
		return 1;
	}
	if (m.exit_code != 1) {
		fprintf(stderr, "%s: test %u failed (exit 0x%x)\n", image, m.exit_code >> 1,
			m.exit_code);
		return 1;
	}
	return 0;
}
