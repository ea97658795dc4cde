#include "devices/uart.h"

#include <string.h>

void uart_init(struct uart *u, void (*tx)(void *, uint8_t),
	       void (*set_irq)(void *, int), void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->tx = tx;
	u->set_irq = set_irq;
	u->ctx = ctx;
	u->dll = 0x0c; /* 9600 baud, as after reset */
}

static uint8_t iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

/* PC wiring: the interrupt reaches the PIC/IOAPIC only through OUT2, and
 * not at all in loopback mode. */
static void update_irq(struct uart *u)
{
	int level = !(iir(u) & UART_IIR_NO_INT) && (u->mcr & UART_MCR_OUT2) &&
		    !(u->mcr & UART_MCR_LOOP);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->set_irq)
			u->set_irq(u->ctx, level);
	}
}

static void rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_count == UART_RX_CAP)
		return; /* overrun: drop, as hardware does */
	u->rx[(u->rx_head + u->rx_count) % UART_RX_CAP] = b;
	u->rx_count++;
}

static uint8_t rx_pop(struct uart *u)
{
	uint8_t b;

	if (!u->rx_count)
		return 0;
	b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_RX_CAP;
	u->rx_count--;
	return b;
}

static uint8_t msr(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS; /* a cable is attached */
	/* Loopback: modem outputs feed the modem inputs (Linux probes this). */
	return (uint8_t)(((m & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
			 ((m & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
			 ((m & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
			 ((m & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

uint8_t uart_read(struct uart *u, unsigned reg)
{
	uint8_t v = 0;
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg & 7) {
	case UART_RBR:
		v = dlab ? u->dll : rx_pop(u);
		break;
	case UART_IER:
		v = dlab ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = iir(u);
		/* Reading IIR acknowledges a THRE interrupt. */
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thre_pending = false;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		/* We transmit instantly: the holding register is always empty. */
		v = UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
		break;
	case UART_MSR:
		v = msr(u);
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	update_irq(u);
	return v;
}

void uart_write(struct uart *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg & 7) {
	case UART_RBR:
		if (dlab) {
			u->dll = val;
			break;
		}
		if (u->mcr & UART_MCR_LOOP)
			rx_push(u, val);
		else if (u->tx)
			u->tx(u->ctx, val);
		u->thre_pending = true;
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* Enabling THRI while the THR is empty raises THRE at once. */
		if ((val & UART_IER_THRI) && !(u->ier & UART_IER_THRI))
			u->thre_pending = true;
		u->ier = val & 0x0f;
		break;
	case UART_IIR: /* FCR */
		if (val & UART_FCR_CLEAR_RX)
			u->rx_count = 0;
		u->fcr = val & (UART_FCR_ENABLE | 0xc0);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR writes are ignored */
		break;
	}
	update_irq(u);
}

unsigned uart_rx_space(const struct uart *u)
{
	return UART_RX_CAP - u->rx_count;
}

unsigned uart_receive(struct uart *u, const uint8_t *buf, unsigned n)
{
	unsigned taken = 0;

	while (taken < n && u->rx_count < UART_RX_CAP)
		rx_push(u, buf[taken++]);
	update_irq(u);
	return taken;
}
