/* fdt.h - the flattened device tree the kernel boots with, built at run time from the machine's
 * actual layout (RAM size, initrd bounds, bootargs, devices) rather than a precompiled blob. */
#ifndef SEMU_FDT_H
#define SEMU_FDT_H

#include <stddef.h>
#include <stdint.h>

#define SEMU_FDT_MAX_VIRTIO 8
#define SEMU_FDT_PHANDLE_INTC 1
#define SEMU_FDT_PHANDLE_PLIC 2

struct semu_fdt_virtio {
	uint32_t base, size, irq;
};

struct semu_fdt_cfg {
	uint32_t ram_base, ram_size;
	uint32_t timebase_hz;
	const char *isa;      /* riscv,isa: only what the hart implements */
	const char *mmu;      /* mmu-type, e.g. "riscv,sv32" */
	const char *bootargs; /* NULL: no bootargs, the kernel's built-in command line applies */
	/* linux,initrd-start/-end: the exact bytes of the initramfs; end == start means none. */
	uint32_t initrd_start, initrd_end;
	uint32_t plic_base, plic_size, plic_ndev;
	uint32_t uart_base, uart_size, uart_irq, uart_clock_hz;
	unsigned nvirtio;
	struct semu_fdt_virtio virtio[SEMU_FDT_MAX_VIRTIO];
};

/* Write the blob into buf (bufsize bytes). Returns its total size, or a negative libfdt error
 * (-FDT_ERR_NOSPACE when buf is too small). */
int semu_fdt_build(const struct semu_fdt_cfg *cfg, void *buf, size_t bufsize);

/* Text of a libfdt error code returned by semu_fdt_build(). */
const char *semu_fdt_strerror(int err);

#endif
