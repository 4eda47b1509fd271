/* fdt.c - builds the device tree with libfdt's sequential-write API. libfdt rather than a dtc
 * source file: RAM size, initrd end and bootargs are only known at run time, and libfdt emits a
 * correct blob (string table, alignment, header) that tests can parse back with the same lib. */
#include "semu/fdt.h"

#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#define TRY(x)                   \
	do {                     \
		int rc_ = (x);   \
		if (rc_ < 0)     \
			return rc_; \
	} while (0)

static int prop_cells(void *fdt, const char *name, const uint32_t *cells, int n)
{
	fdt32_t be[16];
	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, be, n * (int)sizeof(fdt32_t));
}

static int reg_node(void *fdt, const char *prefix, uint32_t base, uint32_t size)
{
	char name[64];
	snprintf(name, sizeof(name), "%s@%x", prefix, base);
	TRY(fdt_begin_node(fdt, name));
	uint32_t reg[2] = { base, size };
	return prop_cells(fdt, "reg", reg, 2);
}

static int build_cpus(void *fdt, const struct semu_fdt_cfg *c)
{
	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	TRY(fdt_property_u32(fdt, "timebase-frequency", c->timebase_hz));
	TRY(fdt_begin_node(fdt, "cpu@0"));
	TRY(fdt_property_string(fdt, "device_type", "cpu"));
	TRY(fdt_property_u32(fdt, "reg", 0));
	TRY(fdt_property_string(fdt, "status", "okay"));
	TRY(fdt_property_string(fdt, "compatible", "riscv"));
	TRY(fdt_property_string(fdt, "riscv,isa", c->isa));
	TRY(fdt_property_string(fdt, "mmu-type", c->mmu));
	TRY(fdt_begin_node(fdt, "interrupt-controller"));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
	TRY(fdt_property_u32(fdt, "phandle", SEMU_FDT_PHANDLE_INTC));
	TRY(fdt_end_node(fdt)); /* interrupt-controller */
	TRY(fdt_end_node(fdt)); /* cpu@0 */
	return fdt_end_node(fdt);
}

static int build_soc(void *fdt, const struct semu_fdt_cfg *c)
{
	TRY(fdt_begin_node(fdt, "soc"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 1));
	TRY(fdt_property_string(fdt, "compatible", "simple-bus"));
	TRY(fdt_property(fdt, "ranges", NULL, 0));

	/* PLIC contexts: 0 = hart 0 M-mode external (11), 1 = hart 0 S-mode external (9). */
	TRY(reg_node(fdt, "plic", c->plic_base, c->plic_size));
	static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	TRY(fdt_property(fdt, "compatible", plic_compat, sizeof(plic_compat)));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	TRY(fdt_property_u32(fdt, "#address-cells", 0));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "riscv,ndev", c->plic_ndev));
	uint32_t ext[4] = { SEMU_FDT_PHANDLE_INTC, 11, SEMU_FDT_PHANDLE_INTC, 9 };
	TRY(prop_cells(fdt, "interrupts-extended", ext, 4));
	TRY(fdt_property_u32(fdt, "phandle", SEMU_FDT_PHANDLE_PLIC));
	TRY(fdt_end_node(fdt));

	TRY(reg_node(fdt, "serial", c->uart_base, c->uart_size));
	TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
	TRY(fdt_property_u32(fdt, "clock-frequency", c->uart_clock_hz));
	TRY(fdt_property_u32(fdt, "interrupt-parent", SEMU_FDT_PHANDLE_PLIC));
	TRY(fdt_property_u32(fdt, "interrupts", c->uart_irq));
	TRY(fdt_end_node(fdt));

	for (unsigned i = 0; i < c->nvirtio && i < SEMU_FDT_MAX_VIRTIO; i++) {
		TRY(reg_node(fdt, "virtio_mmio", c->virtio[i].base, c->virtio[i].size));
		TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		TRY(fdt_property_u32(fdt, "interrupt-parent", SEMU_FDT_PHANDLE_PLIC));
		TRY(fdt_property_u32(fdt, "interrupts", c->virtio[i].irq));
		TRY(fdt_end_node(fdt));
	}
	return fdt_end_node(fdt);
}

int semu_fdt_build(const struct semu_fdt_cfg *c, void *buf, size_t bufsize)
{
	if (bufsize > INT32_MAX)
		bufsize = INT32_MAX;
	void *fdt = buf;
	TRY(fdt_create(fdt, (int)bufsize));
	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 1));
	TRY(fdt_property_string(fdt, "compatible", "vsndtrace,semu"));
	TRY(fdt_property_string(fdt, "model", "vsndtrace semu rv32ima"));

	TRY(fdt_begin_node(fdt, "chosen"));
	if (c->bootargs)
		TRY(fdt_property_string(fdt, "bootargs", c->bootargs));
	char stdout_path[64];
	snprintf(stdout_path, sizeof(stdout_path), "/soc/serial@%x", c->uart_base);
	TRY(fdt_property_string(fdt, "stdout-path", stdout_path));
	if (c->initrd_end > c->initrd_start) {
		TRY(fdt_property_u32(fdt, "linux,initrd-start", c->initrd_start));
		TRY(fdt_property_u32(fdt, "linux,initrd-end", c->initrd_end));
	}
	TRY(fdt_end_node(fdt));

	TRY(reg_node(fdt, "memory", c->ram_base, c->ram_size));
	TRY(fdt_property_string(fdt, "device_type", "memory"));
	TRY(fdt_end_node(fdt));

	TRY(build_cpus(fdt, c));
	TRY(build_soc(fdt, c));
	TRY(fdt_end_node(fdt)); /* root */
	TRY(fdt_finish(fdt));
	return (int)fdt_totalsize(fdt);
}

const char *semu_fdt_strerror(int err)
{
	return fdt_strerror(err);
}
