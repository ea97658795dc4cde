/* 16550A UART model (src/devices/uart.c). */
#include "devices/uart.h"
#include "unit.h"

struct rec {
	uint8_t tx[4096];
	unsigned ntx;
	int irq_calls;
	int irq_level; /* last level signalled, -1 before any */
	int irq_rises;
};

static void rec_tx(void *ctx, uint8_t b)
{
	struct rec *r = ctx;

	assert_true(r->ntx < sizeof(r->tx));
	r->tx[r->ntx++] = b;
}

static void rec_irq(void *ctx, int level)
{
	struct rec *r = ctx;

	/* The model only signals changes. */
	assert_int_not_equal(level, r->irq_level);
	r->irq_calls++;
	if (level)
		r->irq_rises++;
	r->irq_level = level;
}

struct fx {
	struct uart u;
	struct rec r;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->r.irq_level = 0; /* the line starts low */
	uart_init(&f->u, rec_tx, rec_irq, &f->r);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_reset_state(void **state)
{
	struct fx *f = *state;

	assert_int_equal(uart_read(&f->u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(uart_read(&f->u, UART_IER), 0);
	assert_int_equal(uart_read(&f->u, UART_RBR), 0); /* empty */
	assert_int_equal(uart_rx_space(&f->u), UART_RX_CAP);
	assert_int_equal(f->r.irq_calls, 0);
	assert_int_equal(f->r.ntx, 0);
}

static void test_thr_write_transmits(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_RBR, 'o');
	uart_write(&f->u, UART_RBR, 'k');
	uart_write(&f->u, UART_RBR, '\n');
	assert_int_equal(f->r.ntx, 3);
	assert_memory_equal(f->r.tx, "ok\n", 3);
	assert_int_equal(uart_read(&f->u, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT),
			 UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(uart_read(&f->u, UART_LSR) & UART_LSR_DR, 0);
	/* Transmitting does not loop back into the receiver. */
	assert_int_equal(uart_rx_space(&f->u), UART_RX_CAP);
}

static void test_dlab_divisor(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_IER, UART_IER_RDI);
	uart_write(&f->u, UART_LCR, UART_LCR_DLAB | 0x03);
	assert_int_equal(uart_read(&f->u, UART_RBR), 0x0c); /* reset divisor: 9600 baud */
	assert_int_equal(uart_read(&f->u, UART_IER), 0);    /* DLM */
	uart_write(&f->u, UART_RBR, 0x01); /* DLL, not THR */
	uart_write(&f->u, UART_IER, 0x02); /* DLM, not IER */
	assert_int_equal(uart_read(&f->u, UART_RBR), 0x01);
	assert_int_equal(uart_read(&f->u, UART_IER), 0x02);
	assert_int_equal(f->r.ntx, 0);
	uart_write(&f->u, UART_LCR, 0x03);
	assert_int_equal(uart_read(&f->u, UART_LCR), 0x03);
	assert_int_equal(uart_read(&f->u, UART_IER), UART_IER_RDI); /* IER kept */
	uart_write(&f->u, UART_RBR, 'x');
	assert_int_equal(f->r.ntx, 1);
	/* The divisor survives. */
	uart_write(&f->u, UART_LCR, UART_LCR_DLAB);
	assert_int_equal(uart_read(&f->u, UART_RBR), 0x01);
	assert_int_equal(uart_read(&f->u, UART_IER), 0x02);
}

static void test_scratch_and_masks(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_SCR, 0xa5);
	assert_int_equal(uart_read(&f->u, UART_SCR), 0xa5);
	uart_write(&f->u, UART_IER, 0xff);
	assert_int_equal(uart_read(&f->u, UART_IER), 0x0f);
	uart_write(&f->u, UART_MCR, 0xff);
	assert_int_equal(uart_read(&f->u, UART_MCR), 0x1f);
	/* Registers repeat every 8 ports. */
	assert_int_equal(uart_read(&f->u, 8 + UART_SCR), 0xa5);
}

static void test_msr_without_loopback(void **state)
{
	struct fx *f = *state;

	assert_int_equal(uart_read(&f->u, UART_MSR),
			 UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

static void test_loopback(void **state)
{
	struct fx *f = *state;

	/* The Linux 8250 driver's loopback probe. */
	uart_write(&f->u, UART_MCR, 0x1a); /* LOOP | OUT2 | RTS */
	assert_int_equal(uart_read(&f->u, UART_MSR) & 0xf0, 0x90);
	uart_write(&f->u, UART_MCR, 0x1f);
	assert_int_equal(uart_read(&f->u, UART_MSR) & 0xf0, 0xf0);
	uart_write(&f->u, UART_MCR, 0x10);
	assert_int_equal(uart_read(&f->u, UART_MSR) & 0xf0, 0x00);

	/* Transmitted bytes come back to the receiver, not out. */
	uart_write(&f->u, UART_MCR, 0x1a);
	uart_write(&f->u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	uart_write(&f->u, UART_RBR, 'A');
	uart_write(&f->u, UART_RBR, 'B');
	assert_int_equal(f->r.ntx, 0);
	assert_true(uart_read(&f->u, UART_LSR) & UART_LSR_DR);
	/* No interrupt reaches the line in loopback, even with OUT2. */
	assert_int_equal(f->r.irq_calls, 0);
	assert_int_equal(uart_read(&f->u, UART_RBR), 'A');
	assert_int_equal(uart_read(&f->u, UART_RBR), 'B');
	assert_false(uart_read(&f->u, UART_LSR) & UART_LSR_DR);
	/* Leaving loopback: transmission goes out again. */
	uart_write(&f->u, UART_MCR, UART_MCR_OUT2);
	uart_write(&f->u, UART_RBR, 'C');
	assert_int_equal(f->r.ntx, 1);
	assert_int_equal(f->r.tx[0], 'C');
}

static void test_thri_irq(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(f->r.irq_calls, 0);
	uart_write(&f->u, UART_IER, UART_IER_THRI);
	assert_int_equal(f->r.irq_level, 1);
	assert_int_equal(f->r.irq_rises, 1);
	/* Reading IIR identifies and acknowledges THRE, dropping the line. */
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_THRI);
	assert_int_equal(f->r.irq_level, 0);
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_NO_INT);
	/* Each transmitted byte empties the THR again: a new interrupt. */
	uart_write(&f->u, UART_RBR, 'z');
	assert_int_equal(f->r.irq_level, 1);
	assert_int_equal(f->r.irq_rises, 2);
	/* Disabling THRI drops it too. */
	uart_write(&f->u, UART_IER, 0);
	assert_int_equal(f->r.irq_level, 0);
}

static void test_thri_iir_with_fifo(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_IIR, UART_FCR_ENABLE); /* FCR */
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	uart_write(&f->u, UART_MCR, UART_MCR_OUT2);
	uart_write(&f->u, UART_IER, UART_IER_THRI);
	assert_int_equal(f->r.irq_level, 1);
	assert_int_equal(uart_read(&f->u, UART_IIR), 0xc2);
	assert_int_equal(f->r.irq_level, 0);
	assert_int_equal(uart_read(&f->u, UART_IIR), 0xc1);
}

static void test_thri_without_out2(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_IER, UART_IER_THRI);
	assert_int_equal(f->r.irq_calls, 0);
	/* Pending inside the UART, just not wired to the interrupt controller. */
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_THRI);
	assert_int_equal(f->r.irq_calls, 0);
}

static void test_receive_rdi(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_MCR, UART_MCR_OUT2);
	uart_write(&f->u, UART_IER, UART_IER_RDI);
	assert_int_equal(f->r.irq_calls, 0);
	assert_int_equal(uart_receive(&f->u, (const uint8_t *)"hi", 2), 2);
	assert_int_equal(f->r.irq_level, 1);
	assert_true(uart_read(&f->u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_RDI);
	/* Reading IIR does not acknowledge received data. */
	assert_int_equal(f->r.irq_level, 1);
	assert_int_equal(uart_read(&f->u, UART_RBR), 'h');
	assert_int_equal(f->r.irq_level, 1);
	assert_int_equal(uart_read(&f->u, UART_RBR), 'i');
	assert_int_equal(f->r.irq_level, 0);
	assert_false(uart_read(&f->u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(f->r.irq_rises, 1);
}

static void test_receive_irq_needs_out2(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_IER, UART_IER_RDI);
	assert_int_equal(uart_receive(&f->u, (const uint8_t *)"x", 1), 1);
	assert_int_equal(f->r.irq_calls, 0);
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_RDI);
	/* Setting OUT2 connects the pending interrupt. */
	uart_write(&f->u, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(f->r.irq_level, 1);
	uart_write(&f->u, UART_MCR, 0);
	assert_int_equal(f->r.irq_level, 0);
}

static void test_receive_without_rdi_enable(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_MCR, UART_MCR_OUT2);
	assert_int_equal(uart_receive(&f->u, (const uint8_t *)"q", 1), 1);
	assert_int_equal(f->r.irq_calls, 0);
	assert_true(uart_read(&f->u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_NO_INT);
	/* Enabling RDI with data waiting raises the line. */
	uart_write(&f->u, UART_IER, UART_IER_RDI);
	assert_int_equal(f->r.irq_level, 1);
}

static void test_rdi_has_priority_over_thri(void **state)
{
	struct fx *f = *state;

	uart_write(&f->u, UART_MCR, UART_MCR_OUT2);
	uart_write(&f->u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	uart_receive(&f->u, (const uint8_t *)"r", 1);
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_RDI);
	assert_int_equal(uart_read(&f->u, UART_RBR), 'r');
	/* THRE is still pending underneath. */
	assert_int_equal(uart_read(&f->u, UART_IIR), UART_IIR_THRI);
	assert_int_equal(f->r.irq_level, 0);
}

static void test_fcr_clears_rx(void **state)
{
	struct fx *f = *state;

	uart_receive(&f->u, (const uint8_t *)"abc", 3);
	uart_write(&f->u, UART_IIR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	assert_false(uart_read(&f->u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart_rx_space(&f->u), UART_RX_CAP);
}

static void test_receive_capacity(void **state)
{
	struct fx *f = *state;
	static uint8_t in[UART_RX_CAP + 10];
	uint8_t more[20];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 13 + 1);
	assert_int_equal(uart_receive(&f->u, in, sizeof(in)), UART_RX_CAP);
	assert_int_equal(uart_rx_space(&f->u), 0);
	assert_int_equal(uart_receive(&f->u, in, 1), 0);
	/* Drain 10, then 20 more offered: 10 fit (the ring wraps). */
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(uart_read(&f->u, UART_RBR), in[i]);
	for (unsigned i = 0; i < sizeof(more); i++)
		more[i] = (uint8_t)(0xf0 + i);
	assert_int_equal(uart_receive(&f->u, more, sizeof(more)), 10);
	/* FIFO order across the wrap. */
	for (unsigned i = 10; i < UART_RX_CAP; i++)
		assert_int_equal(uart_read(&f->u, UART_RBR), in[i]);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(uart_read(&f->u, UART_RBR), more[i]);
	assert_false(uart_read(&f->u, UART_LSR) & UART_LSR_DR);
	assert_int_equal(uart_rx_space(&f->u), UART_RX_CAP);
}

static void test_no_callbacks(void **state)
{
	struct uart u;

	(void)state;
	uart_init(&u, NULL, NULL, NULL);
	uart_write(&u, UART_MCR, UART_MCR_OUT2);
	uart_write(&u, UART_IER, UART_IER_THRI);
	uart_write(&u, UART_RBR, 'x'); /* dropped, no crash */
	assert_int_equal(u.irq_level, 1);
	assert_int_equal(uart_read(&u, UART_IIR), UART_IIR_THRI);
	assert_int_equal(u.irq_level, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_state),
		T(test_thr_write_transmits),
		T(test_dlab_divisor),
		T(test_scratch_and_masks),
		T(test_msr_without_loopback),
		T(test_loopback),
		T(test_thri_irq),
		T(test_thri_iir_with_fifo),
		T(test_thri_without_out2),
		T(test_receive_rdi),
		T(test_receive_irq_needs_out2),
		T(test_receive_without_rdi_enable),
		T(test_rdi_has_priority_over_thri),
		T(test_fcr_clears_rx),
		T(test_receive_capacity),
		cmocka_unit_test(test_no_callbacks),
	};

	return cmocka_run_group_tests_name("uart", tests, NULL, NULL);
}
