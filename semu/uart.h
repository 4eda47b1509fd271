/* uart.h - an 8250/16550A UART (ns16550a): divisor latch, IER/IIR/FCR/LCR/MCR/LSR/MSR/SCR,
 * a 16-byte receive FIFO, THRE and RDA interrupts, loopback. The host side moves bytes. */
#ifndef SEMU_UART_H
#define SEMU_UART_H

#include <stddef.h>
#include <stdint.h>

#include "semu/bus.h"
#include "vsnd/irq.h"

#define UART_SIZE 0x100u
#define UART_FIFO_SIZE 16u

/* Register offsets (reg-shift 0) and bits used by Linux's 8250 driver. */
#define UART_RBR 0 /* THR on write; DLL when LCR.DLAB */
#define UART_IER 1 /* DLM when LCR.DLAB */
#define UART_IIR 2 /* FCR on write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IER_RLSI 0x04
#define UART_IER_MSI 0x08
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO 0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RCVR 0x02
#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

/* The byte sink for transmitted characters (called from the vCPU thread). */
struct uart_host {
	void (*tx)(void *opaque, uint8_t ch);
	void *opaque;
};

struct uart;

/* Not thread-safe: registers and the host side are both driven from the vCPU thread. */
struct uart *uart_new(struct uart_host host, struct vsnd_irq irq);
void uart_free(struct uart *u);

/* Register access at offset off; only the low byte of wider accesses is used. Offsets past the
 * eight registers read 0 and ignore writes. */
uint32_t uart_read(struct uart *u, uint32_t off, unsigned size);
void uart_write(struct uart *u, uint32_t off, unsigned size, uint32_t val);

/* Host input: free space in the receive FIFO, and pushing bytes into it (returns how many were
 * taken; never more than the free space). Raises the RDA interrupt when enabled. */
size_t uart_rx_room(const struct uart *u);
size_t uart_rx_push(struct uart *u, const uint8_t *buf, size_t n);

extern const struct bus_ops uart_bus_ops;

#endif
