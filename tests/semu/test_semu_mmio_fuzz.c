/* test_semu_mmio_fuzz.c - a deterministic storm of random guest MMIO (any offset, width and
 * value) at the machine's devices through the bus: PLIC, UART and the virtio-snd slot must
 * survive it (run under SANITIZE=1 for memory errors) and still answer their identity. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "semu/bus.h"
#include "semu/plic.h"
#include "semu/snd_slot.h"
#include "semu/uart.h"

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static void nop_tx(void *opaque, uint8_t ch)
{
	(void)opaque;
	(void)ch;
}

Test(semu_mmio_fuzz, random_accesses_never_crash)
{
	const uint32_t ram_base = 0x80000000u, ram_size = 1u << 20;
	uint8_t *ram = calloc(1, ram_size);
	cr_assert_not_null(ram);
	struct plic *plic = plic_new((struct plic_output){ NULL, NULL });
	struct uart *uart = uart_new((struct uart_host){ nop_tx, NULL }, plic_irq_line(plic, 10));
	struct snd_slot_cfg sc = {
		.mem = { ram, ram_base, ram_size },
		.irq = plic_irq_line(plic, 1),
	};
	char err[256] = "";
	struct snd_slot *snd = snd_slot_new(&sc, err, sizeof(err));
	cr_assert_not_null(snd, "%s", err);
	struct bus b;
	bus_init(&b);
	cr_assert_eq(bus_map(&b, 0x0c000000u, PLIC_SIZE, &plic_bus_ops, plic, "plic"), 0);
	cr_assert_eq(bus_map(&b, 0x10000000u, UART_SIZE, &uart_bus_ops, uart, "uart"), 0);
	cr_assert_eq(bus_map(&b, 0x10001000u, 0x1000, &snd_slot_bus_ops, snd, "snd"), 0);

	uint32_t seed = 0x2545f491u;
	static const unsigned sizes[3] = { 1, 2, 4 };
	for (int i = 0; i < 200000; i++) {
		uint32_t r = xorshift(&seed);
		uint32_t addr;
		switch (r % 4) {
		case 0: /* PLIC: mostly its interesting pages */
			addr = 0x0c000000u + ((r >> 8) % 4 == 0 ? xorshift(&seed) % PLIC_SIZE
								 : (xorshift(&seed) % 0x3000) |
									   ((r >> 12) & 1 ? 0x200000u : 0));
			break;
		case 1: addr = 0x10000000u + xorshift(&seed) % UART_SIZE; break;
		default: addr = 0x10001000u + xorshift(&seed) % 0x200; break;
		}
		unsigned size = sizes[(r >> 4) % 3];
		uint32_t val = xorshift(&seed);
		/* queue addresses inside RAM now and then, so the transport walks real rings */
		if ((r >> 20) % 8 == 0)
			val = ram_base + (val % ram_size);
		if ((r >> 24) % 16 == 0)
			val &= 0xff;
		int is_write = (r >> 7) & 1;
		bus_access(&b, addr - addr % size, size, &val, is_write);
		if ((i & 1023) == 0) /* garbage in the rings too */
			for (int k = 0; k < 64; k++)
				ram[xorshift(&seed) % ram_size] = (uint8_t)xorshift(&seed);
	}
	uint32_t v = 0;
	cr_assert_eq(bus_access(&b, 0x10001000u, 4, &v, 0), 0);
	cr_assert_eq(v, 0x74726976u, "virtio magic after the storm");
	cr_assert_eq(bus_access(&b, 0x10001008u, 4, &v, 0), 0);
	cr_assert_eq(v, VIRTIO_ID_SOUND);
	v = 0;
	bus_access(&b, 0x10001070u, 4, &v, 1); /* reset the device */
	bus_access(&b, 0x10001070u, 4, &v, 0);
	cr_assert_eq(v, 0, "status 0 after reset");
	snd_slot_free(snd);
	uart_free(uart);
	plic_free(plic);
	free(ram);
}
