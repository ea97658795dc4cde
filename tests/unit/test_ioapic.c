/* warden's own IOAPIC (src/core/ioapic.c, --irqchip split): the guest's
 * register window, edge and level pins, Remote IRR and the EOI, masking,
 * and the MSI an entry sends.  No KVM here: a delivery is counted by the
 * IOAPIC (KVM_SIGNAL_MSI on the VM's absent fd fails, logged), which is
 * what these tests read, with the entries the guest would read.  The
 * tests that read registers run twice: reads exiting to the device, and
 * reads from the window page (ioapic_map_window), as the guest then does. */
#include <sys/mman.h>

#include "core/ioapic.h"
#include "core/layout.h"
#include "core/vm.h"
#include "unit.h"

struct fixture {
	struct vm *vm;
	struct ioapic *io;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->vm = calloc(1, sizeof(*f->vm));
	assert_non_null(f->vm);
	f->vm->vm_fd = -1;
	f->vm->cfg.irqchip = f->vm->cfg.irqchip_split = true;
	f->io = ioapic_create(f->vm, 9);
	assert_non_null(f->io);
	f->vm->ioapic = f->io;
	*state = f;
	return 0;
}

/* The same, its reads from a window page (as ioapic_map_window makes it,
 * without the memory slot: no KVM here). */
static int setup_window(void **state)
{
	struct fixture *f;
	void *page = mmap(NULL, IOAPIC_MMIO_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(page != MAP_FAILED);
	setup(state);
	f = *state;
	f->io->window = page;
	ioapic_set_pins(f->io, 9); /* fills the page, as vm_start does */
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->vm->ioapic = NULL; /* no routes to drop: the table never reached KVM */
	f->io->dev.ops->destroy(&f->io->dev);
	free(f->vm->msi);
	free(f->vm);
	free(f);
	return 0;
}

/* The guest's two registers, as its MMIO accesses reach the device. */
static void reg_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
	uint8_t b[4];

	u_wr32(b, reg);
	io->dev.ops->write(&io->dev, 0, IOAPIC_REGSEL, b, 4);
	u_wr32(b, v);
	io->dev.ops->write(&io->dev, 0, IOAPIC_WINDOW, b, 4);
}

/* IOWIN as the guest reads it: from the window page if there is one
 * (no exit), else from the device (an exit). */
static uint32_t window_read(struct ioapic *io)
{
	uint8_t b[4];

	if (io->window)
		return io->window[IOAPIC_WINDOW / 4];
	io->dev.ops->read(&io->dev, 0, IOAPIC_WINDOW, b, 4);
	return u_rd32(b);
}

static void select_reg(struct ioapic *io, uint32_t reg)
{
	uint8_t b[4];

	u_wr32(b, reg);
	io->dev.ops->write(&io->dev, 0, IOAPIC_REGSEL, b, 4);
}

static uint32_t reg_read(struct ioapic *io, uint32_t reg)
{
	select_reg(io, reg);
	return window_read(io);
}

static void program(struct ioapic *io, unsigned pin, uint64_t rte)
{
	reg_write(io, IOAPIC_REG_RTE + 2 * pin + 1, (uint32_t)(rte >> 32));
	reg_write(io, IOAPIC_REG_RTE + 2 * pin, (uint32_t)rte);
}

/* Pin PIN's Remote IRR, as the guest would read it (and as the device
 * holds it: the two must agree). */
static bool remote_irr(struct ioapic *io, unsigned pin)
{
	uint64_t rte = 0;
	bool guest = (reg_read(io, IOAPIC_REG_RTE + 2 * pin) & IOAPIC_RTE_REMOTE_IRR) != 0;

	assert_int_equal(ioapic_rte(io, pin, &rte), 0);
	assert_int_equal(guest, (rte & IOAPIC_RTE_REMOTE_IRR) != 0);
	return guest;
}

static void test_registers(void **state)
{
	struct fixture *f = *state;
	struct ioapic *io = f->io;

	/* Version 0x11, "maximum redirection entry" = pins - 1. */
	assert_int_equal(reg_read(io, IOAPIC_REG_VERSION), 0x11 | (8u << 16));
	reg_write(io, IOAPIC_REG_ID, 0x05000000);
	assert_int_equal(reg_read(io, IOAPIC_REG_ID), 0x05000000);
	assert_int_equal(reg_read(io, IOAPIC_REG_ARB), 0x05000000);
	reg_write(io, IOAPIC_REG_VERSION, 0xffffffff); /* read-only */
	assert_int_equal(reg_read(io, IOAPIC_REG_VERSION), 0x11 | (8u << 16));
	/* Every pin starts masked. */
	for (unsigned p = 0; p < 9; p++)
		assert_int_equal(reg_read(io, IOAPIC_REG_RTE + 2 * p), 1u << 16);
	/* Past the pins: nothing there, writes dropped. */
	reg_write(io, IOAPIC_REG_RTE + 2 * 9, 0x30);
	assert_int_equal(reg_read(io, IOAPIC_REG_RTE + 2 * 9), 0);
	assert_int_equal(reg_read(io, 0xff), 0);
	/* Delivery status and Remote IRR are not the guest's to write. */
	program(io, 3, 0x55 | IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR | (1u << 12) | (0x12ULL << 56));
	assert_int_equal(reg_read(io, IOAPIC_REG_RTE + 6), 0x55 | (1u << 16));
	assert_int_equal(reg_read(io, IOAPIC_REG_RTE + 7), 0x12000000);
}

static void test_edge(void **state)
{
	struct fixture *f = *state;
	struct ioapic *io = f->io;

	program(io, 4, 0x41 | IOAPIC_RTE_MASKED);
	ioapic_set_line(io, 4, 1);
	assert_int_equal(io->work.interrupts, 0);  /* masked: the edge is lost */
	program(io, 4, 0x41);                      /* unmasked: nothing was held */
	assert_int_equal(io->work.interrupts, 0);
	ioapic_set_line(io, 4, 1);                 /* still high: no new edge */
	assert_int_equal(io->work.interrupts, 0);
	ioapic_set_line(io, 4, 0);
	ioapic_set_line(io, 4, 1);
	assert_int_equal(io->work.interrupts, 1);
	ioapic_eoi(io, 0x41);                      /* an edge pin has no Remote IRR */
	assert_int_equal(io->work.interrupts, 1);
	ioapic_set_line(io, 4, 0);
	ioapic_set_line(io, 4, 1);                 /* a pulse, as virtio-mmio makes */
	ioapic_set_line(io, 4, 0);
	assert_int_equal(io->work.interrupts, 2);
}

static void test_level(void **state)
{
	struct fixture *f = *state;
	struct ioapic *io = f->io;

	program(io, 8, 0x42 | IOAPIC_RTE_LEVEL);
	ioapic_set_line(io, 8, 1);
	assert_int_equal(io->work.interrupts, 1);
	assert_true(remote_irr(io, 8));
	ioapic_set_line(io, 8, 1);                 /* Remote IRR holds it */
	assert_int_equal(io->work.interrupts, 1);
	ioapic_eoi(io, 0x43);                      /* another vector: not ours */
	assert_int_equal(io->work.interrupts, 1);
	ioapic_eoi(io, 0x42);                      /* the line still high: again */
	assert_int_equal(io->work.interrupts, 2);
	ioapic_set_line(io, 8, 0);
	ioapic_eoi(io, 0x42);                      /* low now: Remote IRR clear, quiet */
	assert_int_equal(io->work.interrupts, 2);
	assert_false(remote_irr(io, 8));
	/* Masked while high: nothing until unmasked. */
	program(io, 8, 0x42 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	ioapic_set_line(io, 8, 1);
	assert_int_equal(io->work.interrupts, 2);
	program(io, 8, 0x42 | IOAPIC_RTE_LEVEL);
	assert_int_equal(io->work.interrupts, 3);
	/* A handler that masks its pin before its EOI: the EOI still clears
	 * Remote IRR (kvm-unit-tests' "retriggered level interrupts with
	 * mask"), and unmasking with the line high delivers again. */
	program(io, 8, 0x42 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR);
	ioapic_eoi(io, 0x42);
	assert_false(remote_irr(io, 8));
	assert_int_equal(io->work.interrupts, 3);
	program(io, 8, 0x42 | IOAPIC_RTE_LEVEL);
	assert_int_equal(io->work.interrupts, 4);
	assert_int_equal(io->eois, 4);
}

/* The guest moves a level pin to another vector while its interrupt is
 * in service (kvm-unit-tests' "Reconfigure self"): the EOI comes with the
 * vector it was sent with, and clears Remote IRR all the same. */
static void test_reconfigure_in_service(void **state)
{
	struct fixture *f = *state;
	struct ioapic *io = f->io;

	program(io, 7, 0x64 | IOAPIC_RTE_LEVEL);
	ioapic_set_line(io, 7, 1);
	assert_int_equal(io->work.interrupts, 1);
	ioapic_set_line(io, 7, 0);
	program(io, 7, 0x66 | IOAPIC_RTE_LEVEL | (1ULL << 56)); /* another vector, vCPU 1 */
	assert_true(remote_irr(io, 7));
	ioapic_eoi(io, 0x66);                      /* not the one in service */
	assert_true(remote_irr(io, 7));
	ioapic_eoi(io, 0x64);
	assert_false(remote_irr(io, 7));
	ioapic_set_line(io, 7, 1);                 /* now with the new entry */
	assert_int_equal(io->work.interrupts, 2);
	assert_int_equal(io->sent[7] & IOAPIC_RTE_VECTOR, 0x66);
}

/* The window page follows what changes without a guest write: a level
 * delivery sets Remote IRR in the entry IOREGSEL already selects, the EOI
 * clears it, the pin count moves the version register, a reset masks.
 * (With reads exiting, the same reads ask the device.) */
static void test_window_follows(void **state)
{
	struct fixture *f = *state;
	struct ioapic *io = f->io;

	program(io, 8, 0x42 | IOAPIC_RTE_LEVEL);
	select_reg(io, IOAPIC_REG_RTE + 2 * 8);
	assert_int_equal(window_read(io), 0x42 | IOAPIC_RTE_LEVEL);
	ioapic_set_line(io, 8, 1);
	assert_int_equal(window_read(io), 0x42 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_REMOTE_IRR);
	ioapic_set_line(io, 8, 0);
	ioapic_eoi(io, 0x42);
	assert_int_equal(window_read(io), 0x42 | IOAPIC_RTE_LEVEL);
	select_reg(io, IOAPIC_REG_VERSION);
	ioapic_set_pins(io, 12);
	assert_int_equal(window_read(io), 0x11 | (11u << 16));
	select_reg(io, IOAPIC_REG_RTE + 2 * 8);
	io->dev.ops->reset(&io->dev);
	/* IOREGSEL back to 0: the ID register, 0 after a reset. */
	assert_int_equal(window_read(io), 0);
	assert_int_equal(reg_read(io, IOAPIC_REG_RTE + 2 * 8), IOAPIC_RTE_MASKED);
	if (io->window)
		assert_int_equal(io->window[IOAPIC_REGSEL / 4], IOAPIC_REG_RTE + 2 * 8);
}

/* A line past the pins is dropped and counted, never an out-of-bounds bit. */
static void test_line_past_pins(void **state)
{
	struct fixture *f = *state;

	ioapic_set_line(f->io, 9, 1);
	ioapic_set_line(f->io, 200, 1);
	assert_int_equal(f->io->work.errors, 2);
	assert_int_equal(f->io->work.interrupts, 0);
	assert_int_equal(ioapic_rte(f->io, 9, &(uint64_t){ 0 }), -1);
}

/* The compatibility-format MSI: destination in address bits 12-19, the
 * logical bit at 2; vector, delivery mode and (level) trigger and assert
 * in the data. */
static void test_msi_format(void **state)
{
	uint64_t rte = 0x31 | (1ULL << IOAPIC_RTE_DELIVERY_SHIFT) | IOAPIC_RTE_DEST_LOGICAL |
		       IOAPIC_RTE_LEVEL | IOAPIC_RTE_REMOTE_IRR | (0x12ULL << 56);

	(void)state;
	assert_int_equal(ioapic_msi_addr(rte), 0xfee12004ULL);
	assert_int_equal(ioapic_msi_data(rte), 0x31 | 0x100 | 0x8000 | 0x4000);
	assert_int_equal(ioapic_msi_addr(0x40), 0xfee00000ULL);
	assert_int_equal(ioapic_msi_data(0x40 | IOAPIC_RTE_MASKED), 0x40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure_in_service, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_past_pins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup_window, teardown),
		cmocka_unit_test_setup_teardown(test_level, setup_window, teardown),
		cmocka_unit_test_setup_teardown(test_reconfigure_in_service, setup_window, teardown),
		cmocka_unit_test_setup_teardown(test_window_follows, setup_window, teardown),
		cmocka_unit_test(test_msi_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
