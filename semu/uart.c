/* uart.c - 16550A model: transmission is instantaneous (THR and the shift register are always
 * empty again right after a write), reception is a 16-byte FIFO filled by the host. */
#include "semu/uart.h"

#include <stdlib.h>

struct uart {
	struct uart_host host;
	struct vsnd_irq irq;
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t msr_delta;
	int thre_pending; /* THR-empty interrupt condition, cleared by reading IIR or writing THR */
	int irq_level;
	uint8_t fifo[UART_FIFO_SIZE];
	unsigned head, count;
};

/* Interrupt identification, highest priority first (16550A data sheet, IIR table). */
static uint8_t uart_iir(const struct uart *u)
{
	if ((u->ier & UART_IER_RDI) && u->count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && u->msr_delta)
		return 0x00;
	return UART_IIR_NO_INT;
}

static void uart_update_irq(struct uart *u)
{
	int lvl = uart_iir(u) != UART_IIR_NO_INT;
	if (lvl != u->irq_level) {
		u->irq_level = lvl;
		vsnd_irq_set(&u->irq, lvl);
	}
}

struct uart *uart_new(struct uart_host host, struct vsnd_irq irq)
{
	struct uart *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->host = host;
	u->irq = irq;
	u->thre_pending = 1;
	return u;
}

void uart_free(struct uart *u)
{
	free(u);
}

size_t uart_rx_room(const struct uart *u)
{
	return UART_FIFO_SIZE - u->count;
}

static void uart_fifo_put(struct uart *u, uint8_t ch)
{
	if (u->count == UART_FIFO_SIZE)
		return;
	u->fifo[(u->head + u->count) % UART_FIFO_SIZE] = ch;
	u->count++;
}

size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t n)
{
	size_t done = 0;
	while (done < n && u->count < UART_FIFO_SIZE)
		uart_fifo_put(u, buf[done++]);
	uart_update_irq(u);
	return done;
}

/* Modem status: DCD, DSR and CTS asserted (a connected terminal), or in loopback mode the
 * MCR outputs fed back (OUT2->DCD, OUT1->RI, DTR->DSR, RTS->CTS). */
static uint8_t uart_msr(const struct uart *u)
{
	if (u->mcr & UART_MCR_LOOP) {
		uint8_t m = u->mcr;
		return (uint8_t)(((m & 0x08) << 4) | ((m & 0x04) << 4) | ((m & 0x01) << 5) |
				 ((m & 0x02) << 3));
	}
	return 0xb0;
}

uint32_t uart_read(struct uart *u, uint32_t off, unsigned size)
{
	(void)size;
	uint8_t v = 0;
	switch (off) {
	case UART_RBR:
		if (u->lcr & UART_LCR_DLAB) {
			v = u->dll;
		} else if (u->count) {
			v = u->fifo[u->head];
			u->head = (u->head + 1) % UART_FIFO_SIZE;
			u->count--;
		}
		break;
	case UART_IER:
		v = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = uart_iir(u);
		if (v == UART_IIR_THRI)
			u->thre_pending = 0;
		if (u->fcr & UART_FCR_ENABLE)
			v |= UART_IIR_FIFO;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT | (u->count ? UART_LSR_DR : 0);
		break;
	case UART_MSR:
		v = uart_msr(u) | u->msr_delta;
		u->msr_delta = 0;
		break;
	case UART_SCR:
		v = u->scr;
		break;
	default:
		break;
	}
	uart_update_irq(u);
	return v;
}

void uart_write(struct uart *u, uint32_t off, unsigned size, uint32_t val)
{
	(void)size;
	uint8_t b = (uint8_t)val;
	switch (off) {
	case UART_RBR:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = b;
		} else {
			if (u->mcr & UART_MCR_LOOP)
				uart_fifo_put(u, b);
			else if (u->host.tx)
				u->host.tx(u->host.opaque, b);
			u->thre_pending = 1; /* sent at once: THR empty again */
		}
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = b;
		} else {
			/* Enabling ETBEI while THR is empty raises THRE at once, as on a real 16550. */
			if ((b & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
				u->thre_pending = 1;
			u->ier = b & 0x0f;
		}
		break;
	case UART_IIR:
		if (b & UART_FCR_CLEAR_RCVR)
			u->head = u->count = 0;
		u->fcr = b & 0xc9;
		break;
	case UART_LCR:
		u->lcr = b;
		break;
	case UART_MCR: {
		uint8_t before = uart_msr(u);
		u->mcr = b & 0x1f;
		uint8_t after = uart_msr(u);
		/* delta bits: CTS, DSR, trailing-edge RI, DCD (MSR bits 0-3) */
		uint8_t ch = before ^ after;
		u->msr_delta |= (uint8_t)(((ch >> 4) & 0x0b) | ((before & ~after & 0x40) >> 4));
		break;
	}
	case UART_SCR:
		u->scr = b;
		break;
	default: /* LSR and MSR are read-only; unknown offsets ignored */
		break;
	}
	uart_update_irq(u);
}

static uint32_t uart_bus_read(void *opaque, uint32_t off, unsigned size)
{
	return uart_read(opaque, off, size);
}

static void uart_bus_write(void *opaque, uint32_t off, unsigned size, uint32_t val)
{
	uart_write(opaque, off, size, val);
}

const struct bus_ops uart_bus_ops = { uart_bus_read, uart_bus_write };
