/* --test-device (src/devices/test_device.c), QEMU pc-testdev's ports: the
 * latch at 0xe0 and byte by byte at 0xe8, the page flush at 0xe4, the
 * interrupt lines at 0x2000, the scratch MMIO at 0xff000000; driven through the VM's bus like a guest's
 * port accesses, on a fake VM with real guest memory. */
#include <sys/mman.h>

#include "core/bus.h"
#include "core/device.h"
#include "core/guest_mem.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "unit.h"

#define MEM (16 * GMEM_MIB)

static struct vm vm;
static int irq_gsi[64], irq_level[64], nirq;

static void record_irq(struct vm *v, unsigned gsi, int level)
{
	assert_ptr_equal(v, &vm);
	assert_true(nirq < 64);
	irq_gsi[nirq] = (int)gsi;
	irq_level[nirq++] = level;
}

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.vm_fd = -1;
	nirq = 0;
	if (vm_end_init(&vm.end) < 0 || gmem_map(&vm.mem, MEM) < 0)
		return -1;
	return test_device_create_irq(&vm, record_irq) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	return 0;
}

/* A guest's port access: the bus finds the device, as the exit path does. */
static void pio(uint16_t port, unsigned len, uint32_t *val, int write)
{
	const struct bus_range *r = bus_find(&vm.bus[BUS_PIO], port, len);
	struct device *d;
	uint8_t buf[4] = { 0 };

	assert_non_null(r);
	d = r->dev;
	if (write) {
		memcpy(buf, val, len);
		d->ops->write(d, r->index, port - r->base, buf, len);
	} else {
		d->ops->read(d, r->index, port - r->base, buf, len);
		*val = 0;
		memcpy(val, buf, len);
	}
}

static uint32_t in(uint16_t port, unsigned len)
{
	uint32_t v;

	pio(port, len, &v, 0);
	return v;
}

static void out(uint16_t port, unsigned len, uint32_t v)
{
	pio(port, len, &v, 1);
}

static void test_latch(void **state)
{
	(void)state;
	assert_int_equal(in(0xe0, 4), 0);
	out(0xe0, 4, 0x12345678);
	assert_int_equal(in(0xe0, 4), 0x12345678);
	assert_int_equal(in(0xe0, 1), 0x78);
	assert_int_equal(in(0xe2, 2), 0x1234);
	/* A sized write replaces only its bytes. */
	out(0xe1, 1, 0xab);
	assert_int_equal(in(0xe0, 4), 0x1234ab78);
	out(0xe2, 2, 0x9999);
	assert_int_equal(in(0xe0, 4), 0x9999ab78);
	/* 0xe8-0xeb: the same latch. */
	assert_int_equal(in(0xe8, 4), 0x9999ab78);
	assert_int_equal(in(0xeb, 1), 0x99);
	out(0xe8, 1, 0x01);
	assert_int_equal(in(0xe0, 4), 0x9999ab01);
	/* The flush port is not part of it. */
	assert_int_equal(in(0xe4, 4), 0);
}

static void test_flush_keeps_the_page(void **state)
{
	uint8_t *p = gmem_ptr(&vm.mem, 0x200000, 4096);

	(void)state;
	assert_non_null(p);
	memset(p, 0x5a, 4096);
	out(0xe4, 4, 0x200123); /* any address inside the page */
	/* Still mapped, readable and writable, with its contents. */
	for (unsigned i = 0; i < 4096; i++)
		assert_int_equal(p[i], 0x5a);
	p[7] = 1;
	assert_int_equal(p[7], 1);
	/* An address outside guest RAM: nothing happens (a guest error). */
	out(0xe4, 4, 0xfffff000u);
	/* Nor does the flush change the latch. */
	assert_int_equal(in(0xe0, 4), 0);
}

static void test_irq_lines(void **state)
{
	(void)state;
	out(0x200e, 1, 1);
	out(0x200e, 1, 0);
	out(0x2000 + 23, 1, 0x80); /* any non-zero byte raises */
	assert_int_equal(nirq, 3);
	assert_int_equal(irq_gsi[0], 14);
	assert_int_equal(irq_level[0], 1);
	assert_int_equal(irq_gsi[1], 14);
	assert_int_equal(irq_level[1], 0);
	assert_int_equal(irq_gsi[2], 23);
	assert_int_equal(irq_level[2], 1);
	/* Reads set nothing; past line 23 is no longer the device's. */
	assert_int_equal(in(0x2003, 1), 0);
	assert_int_equal(nirq, 3);
	assert_null(bus_find(&vm.bus[BUS_PIO], 0x2000 + 24, 1));
}

/* The scratch MMIO at 0xff000000: memory, as a guest's MMIO sees it. */
static void test_iomem(void **state)
{
	const struct bus_range *r = bus_find(&vm.bus[BUS_MMIO], 0xff000000, 8);
	const struct bus_range *last = bus_find(&vm.bus[BUS_MMIO], 0xff00fffc, 4);
	uint8_t in8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out8[8];

	(void)state;
	assert_non_null(r);
	assert_ptr_equal(r, last);
	assert_null(bus_find(&vm.bus[BUS_MMIO], 0xff00fffe, 4)); /* past its end */
	assert_null(bus_find(&vm.bus[BUS_MMIO], 0xfeffffff, 1));
	r->dev->ops->read(r->dev, r->index, 0x10, out8, 8);
	assert_memory_equal(out8, "\0\0\0\0\0\0\0\0", 8);
	r->dev->ops->write(r->dev, r->index, 0x10, in8, 8);
	r->dev->ops->read(r->dev, r->index, 0x10, out8, 8);
	assert_memory_equal(out8, in8, 8);
	r->dev->ops->read(r->dev, r->index, 0x13, out8, 2);
	assert_int_equal(out8[0], 4);
	assert_int_equal(out8[1], 5);
	r->dev->ops->write(r->dev, r->index, 0xfffc, in8, 4);
	r->dev->ops->read(r->dev, r->index, 0xfffc, out8, 4);
	assert_memory_equal(out8, in8, 4);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_latch),
		T(test_flush_keeps_the_page),
		T(test_irq_lines),
		T(test_iomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
