/* The ports of QEMU's x86 test device (pc-testdev) that the kvm-unit-tests
 * suite pokes besides the test-exit port; only with --test-device.
 *
 *   0xe0-0xe3      a 32-bit latch: writing N bytes at offset O replaces
 *                  those bytes, reading returns them (the emulator and
 *                  realmode tests check string and sized port I/O with it)
 *   0xe4-0xe7      "flush page": a write of a guest-physical address makes
 *                  the host take that page away from the guest and give it
 *                  back (mprotect to none and back), so KVM has to fault it
 *                  in again (the eventinj test injects an event meanwhile)
 *   0xe8-0xeb      the same latch, byte by byte
 *   0x2000-0x2017  a byte write sets ISA interrupt line (port - 0x2000) to
 *                  (byte != 0) on the in-kernel irqchip (the ioapic test)
 *   MMIO 0xff000000-0xff00ffff  64 KiB of scratch memory behind MMIO exits
 *                  (a second device, "test-iomem": the emulator test maps
 *                  it to check how KVM emulates instructions on MMIO)
 *
 * The flush briefly makes a page inaccessible to every thread of warden;
 * the CLI therefore refuses --test-device next to anything that touches
 * guest memory from its own threads (virtio devices, --prefault). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/device.h"
#include "core/guest_mem.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/error.h"
#include "util/log.h"

#define PAGE 4096u

enum { RANGE_IO, RANGE_IRQ };

struct test_device {
	struct device dev;
	struct vm *vm;
	void (*set_irq)(struct vm *vm, unsigned gsi, int level);
	uint32_t latch;
};

/* Offset OFF inside 0xe0-0xeb is a latch byte? Which one (0-3)? */
static int latch_byte(uint64_t off)
{
	if (off < 4)
		return (int)off;
	if (off >= PORT_TESTDEV_LATCH_BYTES - PORT_TESTDEV && off < PORT_TESTDEV_LEN)
		return (int)(off - (PORT_TESTDEV_LATCH_BYTES - PORT_TESTDEV));
	return -1;
}

static void td_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct test_device *t = dev->priv;

	memset(data, 0, len);
	if (range != RANGE_IO)
		return; /* the interrupt lines are write-only */
	for (unsigned i = 0; i < len; i++) {
		int b = latch_byte(off + i);

		if (b >= 0)
			data[i] = (uint8_t)(t->latch >> (8 * b));
	}
}

static void flush_page(struct test_device *t, uint32_t gpa)
{
	uint8_t *host = gmem_ptr(&t->vm->mem, gpa & ~(uint64_t)(PAGE - 1), PAGE);

	if (!host) {
		log_guest("test-device: flush of 0x%x, which is not guest RAM", gpa);
		return;
	}
	/* Guest RAM is one page-aligned mapping: HOST is page aligned. */
	if (mprotect(host, PAGE, PROT_NONE) < 0 || mprotect(host, PAGE, PROT_READ | PROT_WRITE) < 0) {
		log_warn("test-device: mprotect of guest page 0x%x failed", gpa);
		return;
	}
}

static void td_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct test_device *t = dev->priv;

	if (range == RANGE_IRQ) {
		/* One byte per line; a wider write sets the lines it covers. */
		for (unsigned i = 0; i < len && off + i < PORT_TESTDEV_IRQ_LEN; i++)
			t->set_irq(t->vm, (unsigned)(off + i), data[i] != 0);
		return;
	}
	if (off == PORT_TESTDEV_FLUSH - PORT_TESTDEV && len == 4) {
		uint32_t gpa;

		memcpy(&gpa, data, 4);
		flush_page(t, gpa);
		return;
	}
	for (unsigned i = 0; i < len; i++) {
		int b = latch_byte(off + i);

		if (b >= 0)
			t->latch = (t->latch & ~(0xffu << (8 * b))) | ((uint32_t)data[i] << (8 * b));
	}
}

static void td_destroy(struct device *dev)
{
	free(dev->priv);
}

static const struct device_ops td_ops = { .read = td_read, .write = td_write, .destroy = td_destroy };

/* The scratch MMIO: plain memory, every access an exit. */
struct test_iomem {
	struct device dev;
	uint8_t buf[LAYOUT_TESTDEV_IOMEM_LEN];
};

static void tm_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct test_iomem *m = dev->priv;

	(void)range;
	memset(data, 0, len);
	if (off < sizeof(m->buf) && len <= sizeof(m->buf) - off) /* the bus gave a range inside */
		memcpy(data, m->buf + off, len);
}

static void tm_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct test_iomem *m = dev->priv;

	(void)range;
	if (off < sizeof(m->buf) && len <= sizeof(m->buf) - off)
		memcpy(m->buf + off, data, len);
}

static const struct device_ops tm_ops = { .read = tm_read, .write = tm_write, .destroy = td_destroy };

static struct device *test_iomem_create(struct vm *vm)
{
	struct test_iomem *m = calloc(1, sizeof(*m));

	if (!m)
		return fail(ERR_HOST, "out of memory"), NULL;
	m->dev = (struct device){
		.name = "test-iomem", .ops = &tm_ops, .priv = m,
		.res = { .nranges = 1,
			 .range = { DEVICE_RANGE(BUS_MMIO, LAYOUT_TESTDEV_IOMEM, LAYOUT_TESTDEV_IOMEM_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &m->dev) < 0) {
		free(m);
		return NULL;
	}
	return &m->dev;
}

struct device *test_device_create_irq(struct vm *vm, void (*set_irq)(struct vm *, unsigned, int))
{
	struct test_device *t = calloc(1, sizeof(*t));

	if (!t)
		return fail(ERR_HOST, "out of memory"), NULL;
	t->vm = vm;
	t->set_irq = set_irq;
	t->dev = (struct device){
		.name = "test-device", .ops = &td_ops, .priv = t,
		.res = { .nranges = 2,
			 .range = { DEVICE_RANGE(BUS_PIO, PORT_TESTDEV, PORT_TESTDEV_LEN),
				    DEVICE_RANGE(BUS_PIO, PORT_TESTDEV_IRQ, PORT_TESTDEV_IRQ_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &t->dev) < 0) {
		free(t);
		return NULL;
	}
	/* (On failure the VM, which owns the first device now, destroys it.) */
	return test_iomem_create(vm) ? &t->dev : NULL;
}

struct device *test_device_create(struct vm *vm)
{
	return test_device_create_irq(vm, vm_set_irq);
}
