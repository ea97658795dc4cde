/* A minimal fw_cfg (QEMU's firmware configuration interface, the port
 * I/O flavour): a 16-bit selector at 0x510 and a byte-wide data port at
 * 0x511 through which the selected item is read from its start.  It
 * carries what a multiboot test kernel asks its "firmware" for: the
 * signature, the CPU count and the RAM size (the kvm-unit-tests suite
 * reads its CPU count here).  Unknown items read as zeroes. */
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/error.h"

#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_MAX_CPUS 0x0f
#define ITEM_MAX 8

struct fw_cfg {
	struct device dev;
	uint16_t ncpus;
	uint64_t ram;
	uint8_t item[ITEM_MAX]; /* the selected item */
	unsigned item_len, pos;
};

static void select_item(struct fw_cfg *c, uint16_t key)
{
	c->pos = 0;
	c->item_len = 0;
	memset(c->item, 0, sizeof(c->item));
	switch (key) {
	case FW_CFG_SIGNATURE: memcpy(c->item, "QEMU", 4); c->item_len = 4; break;
	case FW_CFG_ID: c->item_len = 4; break; /* 0: no DMA interface */
	case FW_CFG_RAM_SIZE: memcpy(c->item, &c->ram, 8); c->item_len = 8; break;
	case FW_CFG_NB_CPUS:
	case FW_CFG_MAX_CPUS: memcpy(c->item, &c->ncpus, 2); c->item_len = 2; break;
	}
}

static void fw_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct fw_cfg *c = dev->priv;

	(void)range;
	memset(data, 0, len);
	if (off != PORT_FW_CFG_DATA - PORT_FW_CFG)
		return;
	/* Each data read returns the next byte(s) of the item, then zeroes. */
	for (unsigned i = 0; i < len; i++, c->pos++)
		data[i] = c->pos < c->item_len ? c->item[c->pos] : 0;
}

static void fw_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct fw_cfg *c = dev->priv;
	uint16_t key = data[0];

	(void)range;
	if (off != 0)
		return; /* the data port is read-only here */
	if (len >= 2)
		key |= (uint16_t)(data[1] << 8);
	select_item(c, key);
}

static void fw_destroy(struct device *dev)
{
	free(dev->priv);
}

static const struct device_ops fw_ops = { .read = fw_read, .write = fw_write, .destroy = fw_destroy };

struct device *fw_cfg_create(struct vm *vm)
{
	struct fw_cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return fail(ERR_HOST, "out of memory"), NULL;
	c->ncpus = (uint16_t)vm->cfg.ncpus;
	c->ram = vm->cfg.mem_bytes;
	c->dev = (struct device){
		.name = "fw-cfg", .ops = &fw_ops, .priv = c,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_FW_CFG, PORT_FW_CFG_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &c->dev) < 0) {
		free(c);
		return NULL;
	}
	return &c->dev;
}
