/* A minimal i8042 keyboard controller: enough for Linux's probe and for
 * its reset command (0xfe, pulse the CPU reset line), which reboots. */
#include <stdlib.h>

#include "core/layout.h"
#include "core/device.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/error.h"

#define I8042_STS_OBF 0x01
#define I8042_STS_SYS 0x04
#define I8042_CMD_READ_CTR 0x20
#define I8042_CMD_WRITE_CTR 0x60
#define I8042_CMD_SELF_TEST 0xaa
#define I8042_CMD_KBD_TEST 0xab
#define I8042_CMD_WRITE_OUTPUT 0xd1
#define I8042_CMD_RESET 0xfe
#define I8042_OUTPUT_RESET_BIT 0x01 /* 0 = CPU held in reset */

struct i8042_regs {
	uint8_t ctr;
	uint8_t out;
	uint8_t out_full;
	uint8_t pending; /* command waiting for its data byte */
};

struct i8042 {
	struct device dev;
	struct vm *vm;
	struct i8042_regs r; /* all of its state: what a snapshot keeps */
};

static void put_output(struct i8042 *k, uint8_t v)
{
	k->r.out = v;
	k->r.out_full = 1;
}

static void command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case I8042_CMD_READ_CTR: put_output(k, k->r.ctr); break;
	case I8042_CMD_SELF_TEST: put_output(k, 0x55); break;
	case I8042_CMD_KBD_TEST: put_output(k, 0x00); break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTPUT: k->r.pending = cmd; break;
	case I8042_CMD_RESET: vm_request_end(k->vm, VM_END_REBOOT); break;
	default: break; /* enable/disable ports and the like: nothing to do */
	}
}

static void data_write(struct i8042 *k, uint8_t v)
{
	if (k->r.pending == I8042_CMD_WRITE_CTR)
		k->r.ctr = v;
	else if (k->r.pending == I8042_CMD_WRITE_OUTPUT && !(v & I8042_OUTPUT_RESET_BIT))
		vm_request_end(k->vm, VM_END_REBOOT);
	k->r.pending = 0;
}

static void i8042_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct i8042 *k = dev->priv;

	(void)range;
	for (unsigned i = 1; i < len; i++)
		data[i] = 0xff;
	if (off == 0) {
		data[0] = k->r.out;
		k->r.out_full = 0;
	} else if (off == PORT_I8042_CMD - PORT_I8042_DATA) {
		data[0] = I8042_STS_SYS | (k->r.out_full ? I8042_STS_OBF : 0);
	} else {
		data[0] = 0xff;
	}
}

static void i8042_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data, unsigned len)
{
	struct i8042 *k = dev->priv;

	(void)range;
	(void)len;
	if (off == 0)
		data_write(k, data[0]);
	else if (off == PORT_I8042_CMD - PORT_I8042_DATA)
		command(k, data[0]);
}

static void i8042_destroy(struct device *dev)
{
	free(dev->priv);
}

static long i8042_save(struct device *dev, void *buf, size_t cap)
{
	return device_save_plain(buf, cap, &((struct i8042 *)dev->priv)->r, sizeof(struct i8042_regs));
}

static int i8042_restore(struct device *dev, const void *buf, size_t len)
{
	struct i8042 *k = dev->priv;
	struct i8042_regs r;

	/* Any byte values are registers the guest could have written. */
	if (device_restore_plain(&r, sizeof(r), buf, len) < 0 || r.out_full > 1)
		return -1;
	k->r = r;
	return 0;
}

static const struct device_ops i8042_ops = {
	.read = i8042_read, .write = i8042_write, .destroy = i8042_destroy,
	.save = i8042_save, .restore = i8042_restore,
};

struct device *i8042_create(struct vm *vm)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return fail(ERR_HOST, "out of memory"), NULL;
	k->vm = vm;
	/* One range 0x60-0x64; 0x61-0x63 read as nothing.  (Port 0x61, the
	 * speaker, is the in-kernel PIT's and never gets here with it.) */
	k->dev = (struct device){
		.name = "i8042", .ops = &i8042_ops, .priv = k,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_I8042_DATA, PORT_I8042_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &k->dev) < 0) {
		free(k);
		return NULL;
	}
	return &k->dev;
}
