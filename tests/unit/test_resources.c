/* The one allocator (src/core/resources.c) through vm_add_device: fixed
 * resources as asked, pool requests from the layout's pools, and all or
 * nothing: a device that cannot get everything leaves nothing behind. */
#include "core/bus.h"
#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "unit.h"

static void nop_read(struct device *d, unsigned r, uint64_t o, uint8_t *data, unsigned len)
{
	(void)d, (void)r, (void)o;
	memset(data, 0, len);
}

static void nop_write(struct device *d, unsigned r, uint64_t o, const uint8_t *data, unsigned len)
{
	(void)d, (void)r, (void)o, (void)data, (void)len;
}

static void nop_destroy(struct device *d)
{
	(void)d;
}

static const struct device_ops ops = { .read = nop_read, .write = nop_write, .destroy = nop_destroy };

static struct device dev(const char *name, struct device_resources res)
{
	return (struct device){ .name = name, .ops = &ops, .res = res };
}

static struct device_resources pio(uint64_t base, uint64_t len, int gsi)
{
	return (struct device_resources){ .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, base, len) }, .gsi = gsi };
}

static struct device_resources window(int gsi)
{
	return (struct device_resources){
		.nranges = 1, .range = { DEVICE_RANGE(BUS_MMIO, DEVICE_ANY_BASE, 0x1000) }, .gsi = gsi,
	};
}

static struct vm *new_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	assert_non_null(vm);
	return vm;
}

static void test_fixed_and_pools(void **state)
{
	struct vm *vm = new_vm();
	struct device com = dev("com", pio(PORT_COM1, PORT_COM_LEN, GSI_COM1));
	struct device v[3];

	(void)state;
	assert_int_equal(vm_add_device(vm, &com), 0);
	assert_int_equal(com.res.range[0].base, PORT_COM1);
	assert_int_equal(com.res.gsi, GSI_COM1);
	for (int i = 0; i < 3; i++) {
		v[i] = dev("v", window(DEVICE_ANY_GSI));
		assert_int_equal(vm_add_device(vm, &v[i]), 0);
		/* From the pools, one after the other, each its own. */
		assert_int_equal(v[i].res.range[0].base, LAYOUT_MMIO_POOL_START + 0x1000ULL * i);
		assert_int_equal(v[i].res.gsi, GSI_POOL_START + i);
		assert_ptr_equal(bus_find(&vm->bus[BUS_MMIO], v[i].res.range[0].base, 4)->dev, &v[i]);
	}
	assert_int_equal(vm->ndevices, 4);
	free(vm);
}

/* With warden's own IOAPIC (--irqchip split) the pool starts at line 10,
 * right after the ISA lines, so that IOAPIC needs few pins. */
static void test_split_pool(void **state)
{
	struct vm *vm = new_vm();
	struct device v[2];

	(void)state;
	vm->cfg.irqchip = vm->cfg.irqchip_split = true;
	for (int i = 0; i < 2; i++) {
		v[i] = dev("v", window(DEVICE_ANY_GSI));
		assert_int_equal(vm_add_device(vm, &v[i]), 0);
		assert_int_equal(v[i].res.gsi, GSI_SPLIT_POOL_START + i);
	}
	free(vm);
}

/* A failed add leaves the VM as it was: no range, no line, no slot. */
static void test_all_or_nothing(void **state)
{
	struct vm *vm = new_vm();
	struct device com = dev("com", pio(PORT_COM1, PORT_COM_LEN, GSI_COM1));
	struct device clash_line = dev("x", window(GSI_COM1));
	struct device clash_port = dev("y", (struct device_resources){
		.nranges = 2, .range = { DEVICE_RANGE(BUS_MMIO, DEVICE_ANY_BASE, 0x1000), DEVICE_RANGE(BUS_PIO, PORT_COM1 + 4, 2) },
		.gsi = DEVICE_NO_GSI });
	struct device later = dev("z", window(DEVICE_ANY_GSI));
	unsigned nmmio, npio;

	(void)state;
	assert_int_equal(vm_add_device(vm, &com), 0);
	nmmio = vm->bus[BUS_MMIO].n;
	npio = vm->bus[BUS_PIO].n;
	/* Its window would fit; its line is taken. */
	err_clear();
	assert_int_equal(vm_add_device(vm, &clash_line), -1);
	assert_contains(err_msg(), "taken");
	assert_int_equal(clash_line.res.range[0].base, DEVICE_ANY_BASE); /* as asked */
	/* Its first range would fit; its second overlaps COM1. */
	assert_int_equal(vm_add_device(vm, &clash_port), -1);
	assert_int_equal(vm->bus[BUS_MMIO].n, nmmio);
	assert_int_equal(vm->bus[BUS_PIO].n, npio);
	assert_int_equal(vm->ndevices, 1);
	/* Nothing was held back: the next device gets the pools' first. */
	assert_int_equal(vm_add_device(vm, &later), 0);
	assert_int_equal(later.res.range[0].base, LAYOUT_MMIO_POOL_START);
	assert_int_equal(later.res.gsi, GSI_POOL_START);
	free(vm);
}

static void test_pools_run_out(void **state)
{
	struct vm *vm = new_vm();
	struct device d[GSI_POOL_END - GSI_POOL_START + 1];
	unsigned n = GSI_POOL_END - GSI_POOL_START;
	struct device big = dev("big", (struct device_resources){
		.nranges = 1,
		.range = { DEVICE_RANGE(BUS_MMIO, DEVICE_ANY_BASE, LAYOUT_MMIO_POOL_END - LAYOUT_MMIO_POOL_START) },
		.gsi = DEVICE_NO_GSI });
	struct device port_pool = dev("p", pio(DEVICE_ANY_BASE, 8, DEVICE_NO_GSI));

	(void)state;
	for (unsigned i = 0; i < n; i++) {
		d[i] = dev("v", window(DEVICE_ANY_GSI));
		assert_int_equal(vm_add_device(vm, &d[i]), 0);
	}
	d[n] = dev("v", window(DEVICE_ANY_GSI));
	err_clear();
	assert_int_equal(vm_add_device(vm, &d[n]), -1);
	assert_contains(err_msg(), "no interrupt line left");
	assert_int_equal(vm->ndevices, n);
	assert_int_equal(vm->bus[BUS_MMIO].n, n);
	/* The MMIO pool has no room left for a window that size. */
	assert_int_equal(vm_add_device(vm, &big), -1);
	assert_contains(err_msg(), "MMIO pool");
	/* Ports come from the layout, never from a pool. */
	assert_int_equal(vm_add_device(vm, &port_pool), -1);
	free(vm);
}

static void test_free_base(void **state)
{
	struct bus b = { 0 };
	struct device x;

	(void)state;
	assert_int_equal(bus_free_base(&b, 0x1000, 0x5000, 0x1000, 0x1000), 0x1000);
	assert_int_equal(bus_register(&b, 0x1000, 0x800, &x, 0), 0);
	assert_int_equal(bus_register(&b, 0x2000, 0x1000, &x, 0), 0);
	assert_int_equal(bus_free_base(&b, 0x1000, 0x5000, 0x1000, 0x1000), 0x3000);
	assert_int_equal(bus_free_base(&b, 0x1000, 0x5000, 0x800, 0x800), 0x1800);
	assert_int_equal(bus_free_base(&b, 0x1000, 0x4000, 0x1000, 0x1000), 0x3000);
	assert_int_equal(bus_free_base(&b, 0x1000, 0x3fff, 0x1000, 0x1000), 0); /* no room */
	bus_unregister(&b, 0x2000);
	assert_int_equal(bus_free_base(&b, 0x1000, 0x5000, 0x1000, 0x1000), 0x2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_and_pools),
		cmocka_unit_test(test_split_pool),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_pools_run_out),
		cmocka_unit_test(test_free_base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
