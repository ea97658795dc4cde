/* COM1: the 16550A model wired to warden's stdout and to a GSI. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "devices/uart.h"
#include "util/error.h"
#include "util/log.h"

struct serial {
	struct device dev;
	struct uart uart;
	struct vm *vm;
};

static void serial_tx(void *ctx, uint8_t byte)
{
	struct serial *s = ctx;

	/* Kept for the crash report: the guest's last words. */
	text_tail_write(&s->vm->console_tail, &byte, 1);
	/* The console is the point of this device; a short write to a
	 * closed stdout is not worth stopping the guest for. */
	while (write(STDOUT_FILENO, &byte, 1) < 0 && errno == EINTR)
		;
}

static void serial_irq(void *ctx, int level)
{
	struct serial *s = ctx;

	vm_set_irq(s->vm, (unsigned)s->dev.res.gsi, level);
}

static void serial_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data,
			unsigned len)
{
	struct serial *s = dev->priv;

	(void)range;
	data[0] = uart_read(&s->uart, (unsigned)off);
	for (unsigned i = 1; i < len; i++)
		data[i] = 0xff;
}

static void serial_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
			 unsigned len)
{
	struct serial *s = dev->priv;

	(void)range;
	(void)len; /* wider writes hit the low byte's register, as on real UARTs */
	uart_write(&s->uart, (unsigned)off, data[0]);
}

static void serial_destroy(struct device *dev)
{
	free(dev->priv);
}

/* The snapshot: the registers and the receive buffer (typed input the
 * guest has not read yet). */
struct serial_saved {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm, thre_pending;
	int32_t irq_level;
	uint32_t rx_head, rx_count;
	uint8_t rx[UART_RX_CAP];
};

static long serial_save(struct device *dev, void *buf, size_t cap)
{
	const struct uart *u = &((struct serial *)dev->priv)->uart;
	struct serial_saved st = {
		.ier = u->ier, .lcr = u->lcr, .mcr = u->mcr, .scr = u->scr, .fcr = u->fcr,
		.dll = u->dll, .dlm = u->dlm, .thre_pending = u->thre_pending,
		.irq_level = u->irq_level, .rx_head = u->rx_head, .rx_count = u->rx_count,
	};

	memcpy(st.rx, u->rx, sizeof(st.rx));
	return device_save_plain(buf, cap, &st, sizeof(st));
}

static int serial_restore(struct device *dev, const void *buf, size_t len)
{
	struct uart *u = &((struct serial *)dev->priv)->uart;
	struct serial_saved st;

	if (device_restore_plain(&st, sizeof(st), buf, len) < 0 || st.rx_head >= UART_RX_CAP ||
	    st.rx_count > UART_RX_CAP || st.thre_pending > 1 || st.irq_level < 0 || st.irq_level > 1)
		return -1;
	u->ier = st.ier, u->lcr = st.lcr, u->mcr = st.mcr, u->scr = st.scr, u->fcr = st.fcr;
	u->dll = st.dll, u->dlm = st.dlm, u->thre_pending = st.thre_pending;
	u->irq_level = st.irq_level, u->rx_head = st.rx_head, u->rx_count = st.rx_count;
	memcpy(u->rx, st.rx, sizeof(u->rx));
	return 0;
}

/* After a restore: the line back at the level the model has (KVM's
 * irqchip state does not say which source held it up). */
static void serial_resume(struct device *dev)
{
	struct serial *s = dev->priv;

	futex_mutex_lock(&dev->lock);
	if (s->uart.irq_level)
		serial_irq(s, 1);
	futex_mutex_unlock(&dev->lock);
}

static const struct device_ops serial_ops = {
	.read = serial_read, .write = serial_write, .destroy = serial_destroy,
	.save = serial_save, .restore = serial_restore, .resume = serial_resume,
};

struct serial *serial_create(struct vm *vm, unsigned port, int gsi)
{
	/* The console's every exit reads it: in one page (util/hot.h). */
	struct serial *s = calloc_in_page(sizeof(*s));

	if (!s)
		return fail(ERR_HOST, "out of memory"), NULL;
	s->vm = vm;
	s->dev = (struct device){
		.name = "serial", .ops = &serial_ops, .priv = s, .acpi_hid = "PNP0501",
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, port, PORT_COM_LEN) }, .gsi = gsi },
	};
	uart_init(&s->uart, serial_tx, serial_irq, s);
	if (vm_add_device(vm, &s->dev) < 0) {
		free(s);
		return NULL;
	}
	/* The transmit register: its write only needs to be seen by the time
	 * the guest looks again (it polls LSR before the next byte, or reads
	 * IIR in its interrupt handler, and those exit and drain the ring
	 * first), so KVM may queue it instead of exiting: half the exits of
	 * a console line.  With DLAB set the port is the divisor latch, whose
	 * write waits as well. */
	if (vm_coalesce_port_writes(vm, (uint16_t)(port + UART_RBR), 1) < 0)
		log_warn("serial: %s: its transmit writes exit", err_msg());
	return s;
}

unsigned serial_input(void *serial, const uint8_t *buf, unsigned n)
{
	struct serial *s = serial;
	unsigned taken;

	futex_mutex_lock(&s->dev.lock);
	taken = uart_receive(&s->uart, buf, n);
	futex_mutex_unlock(&s->dev.lock);
	return taken;
}
