#include "devices/pci_host.h"

#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/layout.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"

#define ENABLE_BIT 0x80000000u
#define HOST_VENDOR 0x1b36 /* Red Hat: the virtual PCIe host bridge's ids */
#define HOST_DEVICE 0x0008
#define CLASS_HOST_BRIDGE 0x060000

struct pci_host {
	struct device dev;
	uint32_t address; /* the 0xcf8 register */
	/* Bits 1:0 of the last address written: they read back 0, but, as
	 * QEMU's host bridges do, they are ORed into the data port's offset.
	 * The kvm-unit-tests library depends on it: it writes register 2's
	 * address and reads a word at 0xcfc for a device id. */
	uint8_t low_bits;
	struct pci_function bridge;
	struct pci_function *slot[PCI_MAX_SLOTS];
	struct device_counters counters;
};

/* The function the address register selects, or NULL (no such device,
 * another bus, a function other than 0: all read as absent). */
static struct pci_function *selected(struct pci_host *h, unsigned *reg)
{
	uint32_t a = h->address;

	if (!(a & ENABLE_BIT) || ((a >> 16) & 0xff) || ((a >> 8) & 7))
		return NULL;
	*reg = a & 0xfc;
	return h->slot[(a >> 11) & 0x1f];
}

static void count_bad(struct pci_host *h, struct pci_function *fn, const char *what, unsigned off,
		      unsigned len)
{
	log_guest("pci: %s: %s of %u bytes at config offset 0x%x refused", fn->name, what, len, off);
	device_count(fn->errors ? fn->errors : &h->counters.errors, 1);
}

static void config_read(struct pci_host *h, unsigned port_off, uint8_t *data, unsigned len)
{
	unsigned reg;
	struct pci_function *fn = selected(h, &reg);

	port_off |= h->low_bits;
	memset(data, 0xff, len); /* no device: all ones, as a master abort reads */
	if (!fn || !pci_cfg_access_ok(reg + port_off, len))
		return;
	if (fn->dev)
		futex_mutex_lock(&fn->dev->lock);
	if (fn->before_read)
		fn->before_read(fn, reg + port_off, len);
	pci_cfg_read(&fn->cfg, reg + port_off, data, len);
	if (fn->dev)
		futex_mutex_unlock(&fn->dev->lock);
}

static void config_write(struct pci_host *h, unsigned port_off, const uint8_t *data, unsigned len)
{
	unsigned reg;
	struct pci_function *fn = selected(h, &reg);
	int r;

	port_off |= h->low_bits;
	if (!fn)
		return;
	if (fn->dev)
		futex_mutex_lock(&fn->dev->lock);
	r = pci_cfg_write(&fn->cfg, reg + port_off, data, len);
	if (r == 0 && fn->written)
		fn->written(fn, reg + port_off, len);
	if (fn->dev)
		futex_mutex_unlock(&fn->dev->lock);
	if (r < 0)
		count_bad(h, fn, "write", reg + port_off, len);
}

static void host_read(struct device *d, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct pci_host *h = d->priv;

	(void)range;
	if (off >= PORT_PCI_CONFIG_DATA - PORT_PCI_CONFIG) {
		config_read(h, (unsigned)off - (PORT_PCI_CONFIG_DATA - PORT_PCI_CONFIG), data, len);
		return;
	}
	memset(data, 0xff, len);
	if (off == 0 && len == 4) /* only a dword at 0xcf8 is the address register */
		memcpy(data, &h->address, 4);
}

static void host_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data,
		       unsigned len)
{
	struct pci_host *h = d->priv;

	(void)range;
	if (off >= PORT_PCI_CONFIG_DATA - PORT_PCI_CONFIG) {
		config_write(h, (unsigned)off - (PORT_PCI_CONFIG_DATA - PORT_PCI_CONFIG), data, len);
		return;
	}
	/* Byte and word writes here are mechanism #2's probe: not ours. */
	if (off == 0 && len == 4) {
		memcpy(&h->address, data, 4);
		h->low_bits = h->address & 3;
		h->address &= 0x80fffffcu; /* reserved bits and the low two read 0 */
	}
}

static void host_reset(struct device *d)
{
	struct pci_host *h = d->priv;

	futex_mutex_lock(&d->lock);
	h->address = 0;
	h->low_bits = 0;
	futex_mutex_unlock(&d->lock);
}

/* A snapshot: the 0xcf8 latch and the bridge's own config space (each
 * function's is its device's). */
struct host_saved {
	uint32_t address, pad;
	struct pci_cfg_saved bridge;
};

static long host_save(struct device *d, void *buf, size_t cap)
{
	struct pci_host *h = d->priv;
	struct host_saved s = { .address = h->address };

	pci_cfg_save(&h->bridge.cfg, &s.bridge);
	return device_save_plain(buf, cap, &s, sizeof(s));
}

static int host_restore(struct device *d, const void *buf, size_t len)
{
	struct pci_host *h = d->priv;
	struct host_saved s;

	if (device_restore_plain(&s, sizeof(s), buf, len) < 0 || (s.address & ~0x80fffffcu) ||
	    pci_cfg_restore(&h->bridge.cfg, &s.bridge) < 0)
		return -1;
	h->address = s.address;
	return 0;
}

static void host_destroy(struct device *d)
{
	free(d->priv);
}

static const struct device_ops pci_host_ops = {
	.read = host_read,
	.write = host_write,
	.reset = host_reset,
	.destroy = host_destroy,
	.save = host_save,
	.restore = host_restore,
};

static struct pci_host *create(struct vm *vm)
{
	struct pci_host *h = calloc(1, sizeof(*h));

	if (!h) {
		fail(ERR_HOST, "out of memory");
		return NULL;
	}
	h->dev = (struct device){
		.name = "pci-host", .ops = &pci_host_ops, .priv = h,
		.acpi_hid = "PNP0A03", /* a PCI root bridge: Linux scans bus 0 under it */
		.counters = &h->counters, .counters_if_nonzero = true,
		.res = { .nranges = 1,
			 .range = { DEVICE_RANGE_POOL(BUS_PIO, PORT_PCI_CONFIG, PORT_PCI_CONFIG_LEN, 0) },
			 .gsi = DEVICE_NO_GSI },
	};
	pci_cfg_init(&h->bridge.cfg, HOST_VENDOR, HOST_DEVICE, CLASS_HOST_BRIDGE, HOST_VENDOR,
		     HOST_DEVICE);
	h->bridge.name = "host bridge";
	h->slot[0] = &h->bridge;
	if (vm_add_device(vm, &h->dev) < 0) {
		free(h);
		return NULL;
	}
	/* The address register only picks what the data port reads or
	 * writes, and that access (or a read of the address back) exits and
	 * drains the ring first: KVM may queue its writes, which are half of
	 * a guest's enumeration (an exit still, but no trip to warden). */
	if (vm_coalesce_port_writes(vm, PORT_PCI_CONFIG, 4) < 0)
		log_warn("pci-host: %s: its address writes reach warden", err_msg());
	return h;
}

struct pci_host *pci_host_get(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i]->ops == &pci_host_ops)
			return vm->devices[i]->priv;
	return create(vm);
}

int pci_host_add(struct pci_host *h, struct pci_function *fn)
{
	for (unsigned s = 1; s < PCI_MAX_SLOTS; s++)
		if (!h->slot[s]) {
			h->slot[s] = fn;
			return (int)s;
		}
	return fail(ERR_HOST, "%s: the PCI bus is full", fn->name);
}
