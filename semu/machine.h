/* machine.h - the emulated board around the hart: RAM, bus, PLIC, UART, timer, SBI, device tree,
 * the virtio-snd slot, and the run loop that sleeps the host thread while the guest idles. */
#ifndef SEMU_MACHINE_H
#define SEMU_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "semu/snd_slot.h"
#include "vsnd/clock.h"

/* Physical memory map (the device tree describes the same). */
#define MACHINE_RAM_BASE 0x80000000u
#define MACHINE_PLIC_BASE 0x0c000000u
#define MACHINE_UART_BASE 0x10000000u
#define MACHINE_UART_IRQ 10u
#define MACHINE_UART_CLOCK_HZ 3686400u
#define MACHINE_VIRTIO_BASE 0x10001000u /* slot i at base + i * 0x1000, irq 1 + i */
#define MACHINE_VIRTIO_SIZE 0x1000u
#define MACHINE_VIRTIO_IRQ 1u
#define MACHINE_DTB_RESERVE 0x10000u    /* top of RAM reserved for the device tree */
#define MACHINE_RAM_MIN_MIB 16u
#define MACHINE_RAM_MAX_MIB 1024u
#define MACHINE_ISA "rv32ima_zicsr_zifencei"

/* Exit statuses of machine_run(). */
#define MACHINE_EXIT_POWEROFF 0     /* SBI shutdown, reason none */
#define MACHINE_EXIT_FAILURE 1      /* SBI reset with reason "system failure" (or vendor) */
#define MACHINE_EXIT_REBOOT 2       /* SBI cold/warm reboot, reason none (e.g. after a panic) */
#define MACHINE_EXIT_WATCHDOG 124   /* --max-seconds elapsed */
#define MACHINE_EXIT_QUIT 130       /* console escape Ctrl-A x, or SIGINT/SIGTERM/SIGHUP */

struct machine_cfg {
	uint32_t ram_mib;           /* 0 = 128 */
	const char *kernel;         /* Image path (required) */
	const char *initrd;         /* NULL = none */
	const char *bootargs;       /* NULL = kernel's built-in command line */
	int with_snd;               /* map the virtio-snd slot */
	const char *snd_sink;       /* NULL = "null" */
	const char *snd_source;     /* NULL = "silence" */
	const struct vsnd_config *snd_config; /* NULL = vsnd_config_default() */
	struct snd_slot_hooks snd_hooks;
	double max_seconds;         /* 0 = no watchdog */
	const char *bench_marker;   /* console text whose first appearance is timed; NULL = none */
	int in_fd, out_fd;          /* console (normally 0 and 1) */
	int handle_signals;         /* SIGINT/SIGTERM/SIGHUP end the run cleanly (via signalfd) */
};

struct machine;

/* Builds everything, loads kernel/initrd and the device tree. NULL with a message in err. */
struct machine *machine_new(const struct machine_cfg *cfg, char *err, size_t errlen);
void machine_free(struct machine *m);

/* Run until the guest powers off or the run is stopped; returns the exit status above. */
int machine_run(struct machine *m);

/* The clock the device (and a recorder) timestamps with: host monotonic ns, guest ticks. */
struct vsnd_clock *machine_clock(struct machine *m);
const struct vsnd_config *machine_snd_config(const struct machine *m);

/* Where things were placed (for --help-style diagnostics and tests). */
struct machine_layout {
	uint32_t ram_base, ram_size;
	uint32_t kernel_addr, kernel_size;
	uint32_t initrd_start, initrd_end;
	uint32_t dtb_addr, dtb_size;
};
void machine_layout(const struct machine *m, struct machine_layout *out);

#endif
