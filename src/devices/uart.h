/* 16550A UART register model.  Pure: transmitted bytes and interrupt
 * line changes go out through callbacks, so it is unit-testable. */
#ifndef WARDEN_DEVICES_UART_H
#define WARDEN_DEVICES_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_RBR 0 /* read: receive buffer;  write: THR */
#define UART_IER 1
#define UART_IIR 2 /* read: interrupt id;     write: FCR */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO 0xc0
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_LCR_DLAB 0x80
#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

/* Receive buffer: deeper than a real 16-byte FIFO so pasted input is not
 * lost while the guest is busy; guests cannot tell the difference. */
#define UART_RX_CAP 1024

struct uart {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending;
	uint8_t rx[UART_RX_CAP];
	unsigned rx_head, rx_count;
	int irq_level;
	void (*tx)(void *ctx, uint8_t byte);
	void (*set_irq)(void *ctx, int level);
	void *ctx;
};

void uart_init(struct uart *u, void (*tx)(void *, uint8_t),
	       void (*set_irq)(void *, int), void *ctx);
uint8_t uart_read(struct uart *u, unsigned reg);
void uart_write(struct uart *u, unsigned reg, uint8_t val);
/* Host input: queue up to N bytes, returns how many were taken. */
unsigned uart_receive(struct uart *u, const uint8_t *buf, unsigned n);
unsigned uart_rx_space(const struct uart *u);

#endif
