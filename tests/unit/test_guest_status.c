/* The guest-status port (src/devices/guest_status.c): a Linux guest's init
 * writes why it could not boot and the VM ends with its own reason (warden's
 * status 8); driven through the VM's bus like a guest's port access. */
#include "core/bus.h"
#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/guest_status.h"
#include "unit.h"

static struct vm vm;

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.vm_fd = -1;
	if (vm_end_init(&vm.end) < 0)
		return -1;
	return guest_status_create(&vm) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm);
	return 0;
}

static void out8(uint16_t port, uint8_t v)
{
	const struct bus_range *r = bus_find(&vm.bus[BUS_PIO], port, 1);

	assert_non_null(r);
	r->dev->ops->write(r->dev, r->index, port - r->base, &v, 1);
}

static void test_write_ends_the_vm_with_the_code(void **state)
{
	(void)state;
	assert_int_equal(vm_end_get(&vm.end), VM_RUNNING);
	out8(PORT_GUEST_STATUS, GUEST_FAIL_NO_INIT);
	assert_int_equal(vm_end_get(&vm.end), VM_END_GUEST_FAILED);
	assert_int_equal(vm.end.status, GUEST_FAIL_NO_INIT);
	assert_int_equal(vm_end_status(&vm.end), 8);
	/* The first reason wins: a later poweroff or write changes nothing. */
	out8(PORT_GUEST_STATUS, GUEST_FAIL_ROOT_MISSING);
	vm_end_request(&vm.end, VM_END_POWEROFF);
	assert_int_equal(vm_end_get(&vm.end), VM_END_GUEST_FAILED);
	assert_int_equal(vm.end.status, GUEST_FAIL_NO_INIT);
}

static void test_one_port_only(void **state)
{
	(void)state;
	assert_non_null(bus_find(&vm.bus[BUS_PIO], PORT_GUEST_STATUS, 1));
	assert_null(bus_find(&vm.bus[BUS_PIO], PORT_GUEST_STATUS + 1, 1));
	assert_null(bus_find(&vm.bus[BUS_PIO], PORT_GUEST_STATUS - 1, 1));
}

static void test_failure_names(void **state)
{
	(void)state;
	assert_string_equal(guest_failure_name(GUEST_FAIL_ROOT_MISSING), "the root device is missing");
	assert_string_equal(guest_failure_name(GUEST_FAIL_ROOT_MOUNT), "the root device did not mount");
	assert_string_equal(guest_failure_name(GUEST_FAIL_NO_INIT), "the root file system has no init");
	assert_string_equal(guest_failure_name(200), "code 200");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_ends_the_vm_with_the_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_port_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_names, setup, teardown),
	};

	return cmocka_run_group_tests_name("guest_status", tests, NULL, NULL);
}
