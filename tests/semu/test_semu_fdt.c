/* test_semu_fdt.c - the run-time device tree parsed back with libfdt: every node and property
 * Linux needs (memory, cpu, intc, PLIC, UART, virtio-mmio, chosen with the exact initrd end). */
#include <criterion/criterion.h>
#include <libfdt.h>
#include <string.h>

#include "semu/fdt.h"

static struct semu_fdt_cfg cfg(void)
{
	return (struct semu_fdt_cfg){
		.ram_base = 0x80000000u,
		.ram_size = 128u << 20,
		.timebase_hz = 10000000,
		.isa = "rv32ima_zicsr_zifencei",
		.mmu = "riscv,sv32",
		.bootargs = "console=ttyS0 quiet",
		.initrd_start = 0x87e00000u,
		.initrd_end = 0x87e052f8u,
		.plic_base = 0x0c000000u,
		.plic_size = 0x4000000u,
		.plic_ndev = 31,
		.uart_base = 0x10000000u,
		.uart_size = 0x100,
		.uart_irq = 10,
		.uart_clock_hz = 3686400,
		.nvirtio = 1,
		.virtio = { { 0x10001000u, 0x1000, 1 } },
	};
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);
	cr_assert_geq(node, 0, "node %s missing (%s)", path, fdt_strerror(node));
	const void *p = fdt_getprop(fdt, node, name, len);
	cr_assert_not_null(p, "%s:%s missing", path, name);
	return p;
}

static uint32_t cell(const void *fdt, const char *path, const char *name, int idx)
{
	int len;
	const fdt32_t *p = prop(fdt, path, name, &len);
	cr_assert_gt(len, idx * 4, "%s:%s has %d bytes", path, name, len);
	return fdt32_to_cpu(p[idx]);
}

static void str_is(const void *fdt, const char *path, const char *name, const char *want)
{
	int len;
	const char *p = prop(fdt, path, name, &len);
	cr_assert_str_eq(p, want, "%s:%s", path, name);
	cr_assert_eq(len, (int)strlen(want) + 1);
}

Test(semu_fdt, parses_back_with_every_node)
{
	static uint8_t buf[16384];
	struct semu_fdt_cfg c = cfg();
	int n = semu_fdt_build(&c, buf, sizeof(buf));
	cr_assert_gt(n, 0, "build: %s", n < 0 ? fdt_strerror(n) : "");
	cr_assert_eq(fdt_check_header(buf), 0);
	cr_assert_eq((int)fdt_totalsize(buf), n);
	cr_assert_eq(fdt_check_full(buf, (size_t)n), 0);

	cr_assert_eq(cell(buf, "/", "#address-cells", 0), 1);
	cr_assert_eq(cell(buf, "/", "#size-cells", 0), 1);
	str_is(buf, "/chosen", "bootargs", "console=ttyS0 quiet");
	str_is(buf, "/chosen", "stdout-path", "/soc/serial@10000000");
	cr_assert_eq(cell(buf, "/chosen", "linux,initrd-start", 0), 0x87e00000u);
	cr_assert_eq(cell(buf, "/chosen", "linux,initrd-end", 0), 0x87e052f8u, "exact end");

	str_is(buf, "/memory@80000000", "device_type", "memory");
	cr_assert_eq(cell(buf, "/memory@80000000", "reg", 0), 0x80000000u);
	cr_assert_eq(cell(buf, "/memory@80000000", "reg", 1), 128u << 20);

	cr_assert_eq(cell(buf, "/cpus", "timebase-frequency", 0), 10000000);
	str_is(buf, "/cpus/cpu@0", "riscv,isa", "rv32ima_zicsr_zifencei");
	str_is(buf, "/cpus/cpu@0", "mmu-type", "riscv,sv32");
	str_is(buf, "/cpus/cpu@0", "device_type", "cpu");
	str_is(buf, "/cpus/cpu@0", "status", "okay");
	cr_assert_eq(cell(buf, "/cpus/cpu@0", "reg", 0), 0);
	str_is(buf, "/cpus/cpu@0/interrupt-controller", "compatible", "riscv,cpu-intc");
	int len;
	prop(buf, "/cpus/cpu@0/interrupt-controller", "interrupt-controller", &len);
	cr_assert_eq(len, 0);
	uint32_t intc = cell(buf, "/cpus/cpu@0/interrupt-controller", "phandle", 0);
	cr_assert_eq(fdt_node_offset_by_phandle(buf, intc),
		     fdt_path_offset(buf, "/cpus/cpu@0/interrupt-controller"));

	const char *plic = "/soc/plic@c000000";
	cr_assert_eq(fdt_node_check_compatible(buf, fdt_path_offset(buf, plic), "sifive,plic-1.0.0"), 0);
	cr_assert_eq(cell(buf, plic, "reg", 0), 0x0c000000u);
	cr_assert_eq(cell(buf, plic, "reg", 1), 0x4000000u);
	cr_assert_eq(cell(buf, plic, "riscv,ndev", 0), 31);
	cr_assert_eq(cell(buf, plic, "#interrupt-cells", 0), 1);
	/* context 0 = M external (11), context 1 = S external (9) */
	cr_assert_eq(cell(buf, plic, "interrupts-extended", 0), intc);
	cr_assert_eq(cell(buf, plic, "interrupts-extended", 1), 11);
	cr_assert_eq(cell(buf, plic, "interrupts-extended", 2), intc);
	cr_assert_eq(cell(buf, plic, "interrupts-extended", 3), 9);
	uint32_t plic_ph = cell(buf, plic, "phandle", 0);

	const char *uart = "/soc/serial@10000000";
	str_is(buf, uart, "compatible", "ns16550a");
	cr_assert_eq(cell(buf, uart, "reg", 1), 0x100);
	cr_assert_eq(cell(buf, uart, "clock-frequency", 0), 3686400);
	cr_assert_eq(cell(buf, uart, "interrupts", 0), 10);
	cr_assert_eq(cell(buf, uart, "interrupt-parent", 0), plic_ph);

	const char *vio = "/soc/virtio_mmio@10001000";
	str_is(buf, vio, "compatible", "virtio,mmio");
	cr_assert_eq(cell(buf, vio, "reg", 0), 0x10001000u);
	cr_assert_eq(cell(buf, vio, "reg", 1), 0x1000);
	cr_assert_eq(cell(buf, vio, "interrupts", 0), 1);
	cr_assert_eq(cell(buf, vio, "interrupt-parent", 0), plic_ph);
}

Test(semu_fdt, optional_parts_absent)
{
	static uint8_t buf[16384];
	struct semu_fdt_cfg c = cfg();
	c.bootargs = NULL;
	c.initrd_start = c.initrd_end = 0;
	c.nvirtio = 0;
	cr_assert_gt(semu_fdt_build(&c, buf, sizeof(buf)), 0);
	int chosen = fdt_path_offset(buf, "/chosen");
	cr_assert_geq(chosen, 0);
	cr_assert_null(fdt_getprop(buf, chosen, "bootargs", NULL), "kernel's built-in cmdline");
	cr_assert_null(fdt_getprop(buf, chosen, "linux,initrd-start", NULL));
	cr_assert_null(fdt_getprop(buf, chosen, "linux,initrd-end", NULL));
	cr_assert_lt(fdt_path_offset(buf, "/soc/virtio_mmio@10001000"), 0);
}

Test(semu_fdt, too_small_buffer_is_an_error)
{
	static uint8_t buf[256];
	struct semu_fdt_cfg c = cfg();
	cr_assert_eq(semu_fdt_build(&c, buf, sizeof(buf)), -FDT_ERR_NOSPACE);
	cr_assert_str_neq(semu_fdt_strerror(-FDT_ERR_NOSPACE), "");
}
