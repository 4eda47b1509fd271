/* test_semu_uart.c - the 16550A model through its registers: transmit, receive FIFO, LSR,
 * IIR priorities and the THRE rule Linux's 8250 driver relies on, DLAB, loopback, bad offsets. */
#include <criterion/criterion.h>
#include <string.h>

#include "semu/uart.h"

struct host {
	uint8_t out[64];
	size_t n;
	int irq;
	int irq_changes;
};

static void tx(void *opaque, uint8_t ch)
{
	struct host *h = opaque;
	if (h->n < sizeof(h->out))
		h->out[h->n++] = ch;
}

static void irq_set(void *opaque, int level)
{
	struct host *h = opaque;
	h->irq = level;
	h->irq_changes++;
}

static struct uart *mk(struct host *h)
{
	memset(h, 0, sizeof(*h));
	struct uart *u = uart_new((struct uart_host){ tx, h }, (struct vsnd_irq){ irq_set, h });
	cr_assert_not_null(u);
	return u;
}

Test(semu_uart, transmit_and_lsr)
{
	struct host h;
	struct uart *u = mk(&h);
	cr_assert_eq(uart_read(u, UART_LSR, 1), UART_LSR_THRE | UART_LSR_TEMT);
	uart_write(u, UART_RBR, 1, 'h');
	uart_write(u, UART_RBR, 1, 'i');
	cr_assert_eq(h.n, 2);
	cr_assert_eq(memcmp(h.out, "hi", 2), 0);
	cr_assert_eq(uart_read(u, UART_LSR, 1), UART_LSR_THRE | UART_LSR_TEMT, "sent at once");
	cr_assert_eq(uart_read(u, UART_IIR, 1), UART_IIR_NO_INT);
	cr_assert_eq(h.irq, 0);
	uart_free(u);
}

Test(semu_uart, receive_fifo_and_rda_interrupt)
{
	struct host h;
	struct uart *u = mk(&h);
	uint8_t data[20];
	for (int i = 0; i < 20; i++)
		data[i] = (uint8_t)('a' + i);
	cr_assert_eq(uart_rx_room(u), UART_FIFO_SIZE);
	cr_assert_eq(uart_rx_push(u, data, 20), UART_FIFO_SIZE, "never more than the room");
	cr_assert_eq(uart_rx_room(u), 0);
	cr_assert_eq(h.irq, 0, "RDA not enabled");
	cr_assert_eq(uart_read(u, UART_LSR, 1) & UART_LSR_DR, UART_LSR_DR);
	uart_write(u, UART_IER, 1, UART_IER_RDI);
	cr_assert_eq(h.irq, 1);
	cr_assert_eq(uart_read(u, UART_IIR, 1), UART_IIR_RDI);
	for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
		cr_assert_eq(uart_read(u, UART_RBR, 1), (uint32_t)('a' + i));
	cr_assert_eq(uart_read(u, UART_LSR, 1) & UART_LSR_DR, 0);
	cr_assert_eq(h.irq, 0, "drained: line low");
	cr_assert_eq(uart_read(u, UART_RBR, 1), 0, "empty FIFO reads 0");
	uart_rx_push(u, data, 3);
	uart_write(u, UART_IIR, 1, UART_FCR_ENABLE | UART_FCR_CLEAR_RCVR);
	cr_assert_eq(uart_read(u, UART_LSR, 1) & UART_LSR_DR, 0, "FCR clears the receiver");
	cr_assert_eq(uart_read(u, UART_IIR, 1), UART_IIR_NO_INT | UART_IIR_FIFO);
	uart_free(u);
}

Test(semu_uart, thre_interrupt_rules)
{
	struct host h;
	struct uart *u = mk(&h);
	/* Enabling ETBEI with THR empty raises THRE at once (8250 startup probes this). */
	uart_write(u, UART_IER, 1, UART_IER_THRI);
	cr_assert_eq(h.irq, 1);
	cr_assert_eq(uart_read(u, UART_IIR, 1), UART_IIR_THRI);
	/* Reading IIR when THRE is the source clears it. */
	cr_assert_eq(uart_read(u, UART_IIR, 1), UART_IIR_NO_INT);
	cr_assert_eq(h.irq, 0);
	/* A write empties THR at once: THRE pending again. */
	uart_write(u, UART_RBR, 1, 'x');
	cr_assert_eq(h.irq, 1);
	/* RDA has priority over THRE. */
	uart_write(u, UART_IER, 1, UART_IER_THRI | UART_IER_RDI);
	uint8_t c = 'z';
	uart_rx_push(u, &c, 1);
	cr_assert_eq(uart_read(u, UART_IIR, 1), UART_IIR_RDI);
	cr_assert_eq(uart_read(u, UART_RBR, 1), 'z');
	cr_assert_eq(uart_read(u, UART_IIR, 1), UART_IIR_THRI);
	uart_write(u, UART_IER, 1, 0);
	cr_assert_eq(h.irq, 0);
	uart_free(u);
}

Test(semu_uart, dlab_scratch_and_loopback)
{
	struct host h;
	struct uart *u = mk(&h);
	uart_write(u, UART_LCR, 1, UART_LCR_DLAB | 0x03);
	uart_write(u, UART_RBR, 1, 0x0c);
	uart_write(u, UART_IER, 1, 0x01);
	cr_assert_eq(uart_read(u, UART_RBR, 1), 0x0c);
	cr_assert_eq(uart_read(u, UART_IER, 1), 0x01);
	cr_assert_eq(h.n, 0, "divisor writes are not data");
	uart_write(u, UART_LCR, 1, 0x03);
	cr_assert_eq(uart_read(u, UART_IER, 1), 0, "IER untouched by DLL/DLM");
	cr_assert_eq(uart_read(u, UART_LCR, 1), 0x03);
	uart_write(u, UART_SCR, 1, 0x5a);
	cr_assert_eq(uart_read(u, UART_SCR, 1), 0x5a);
	cr_assert_eq(uart_read(u, UART_MSR, 1) & 0xf0, 0xb0, "DCD DSR CTS");
	uart_write(u, UART_MCR, 1, UART_MCR_LOOP | 0x0f);
	cr_assert_eq(uart_read(u, UART_MSR, 1) & 0xf0, 0xf0, "loopback mirrors MCR");
	uart_write(u, UART_RBR, 1, 'L');
	cr_assert_eq(h.n, 0, "loopback: nothing on the wire");
	cr_assert_eq(uart_read(u, UART_RBR, 1), 'L');
	uart_free(u);
}

Test(semu_uart, unknown_offsets_and_read_only_registers)
{
	struct host h;
	struct uart *u = mk(&h);
	uart_write(u, UART_LSR, 1, 0);
	uart_write(u, UART_MSR, 1, 0);
	uart_write(u, 8, 1, 'q');
	uart_write(u, 0xff, 4, 'q');
	cr_assert_eq(uart_read(u, UART_LSR, 1), UART_LSR_THRE | UART_LSR_TEMT);
	cr_assert_eq(uart_read(u, 0x40, 4), 0);
	cr_assert_eq(h.n, 0);
	/* a 32-bit access to THR uses the low byte */
	uart_write(u, UART_RBR, 4, 0x41424344);
	cr_assert_eq(h.n, 1);
	cr_assert_eq(h.out[0], 0x44);
	uart_free(u);
}
