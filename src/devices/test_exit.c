/* The test-exit port, as QEMU's isa-debug-exit: a guest writes a value
 * and warden ends with process status (value << 1) | 1, so a test guest
 * (the kvm-unit-tests suite, the project's own) reports pass or fail
 * through warden's exit status.  Only with --test-exit-port. */
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/error.h"

#define TEST_EXIT_LEN 4

struct test_exit {
	struct device dev;
	struct vm *vm;
};

static void te_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0, len);
}

static void te_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct test_exit *t = dev->priv;
	uint32_t v = 0;

	(void)range, (void)off;
	memcpy(&v, data, len < 4 ? len : 4);
	/* A process status has 8 bits, as the shell sees it. */
	vm_end_request_status(&t->vm->end, (int)(((v << 1) | 1) & 0xff));
}

static void te_destroy(struct device *dev)
{
	free(dev->priv);
}

static const struct device_ops te_ops = {
	.read = te_read, .write = te_write, .destroy = te_destroy,
	.save = device_save_none, .restore = device_restore_none,
};

struct device *test_exit_create(struct vm *vm, uint16_t port)
{
	struct test_exit *t = calloc(1, sizeof(*t));

	if (!t)
		return fail(ERR_HOST, "out of memory"), NULL;
	t->vm = vm;
	t->dev = (struct device){
		.name = "test-exit", .ops = &te_ops, .priv = t,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, port, TEST_EXIT_LEN) }, .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &t->dev) < 0) {
		free(t);
		return NULL;
	}
	return &t->dev;
}
