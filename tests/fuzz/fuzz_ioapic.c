/* warden's own IOAPIC (src/core/ioapic.c, --irqchip split): the guest's
 * accesses to its page as exit_emulate hands them over (any offset and
 * length, under the device's lock), device lines raised and lowered
 * (pins past the IOAPIC's too), EOIs of any vector, resets, and restores
 * of any snapshot bytes, on a fake VM whose ioctls (KVM_SIGNAL_MSI,
 * KVM_SET_GSI_ROUTING) this harness answers.  None of it may crash or
 * trip a sanitizer; after every step each entry's Remote IRR may be set
 * only on a level entry, exactly the level entries hold a route, and the
 * window page (ioapic_map_window's, here without its memory slot) holds
 * what a read that exits would return: IOREGSEL and the register it
 * selects.
 *
 * Input: u8 pins (1-24), then steps: u8 op (bits 0-2 the kind; for an
 * access bits 3-4 the length 1/2/4/8), and the kind's fields:
 *   0/1 read/write: u16 offset, u32 value;  2 line: u8 pin, u8 level;
 *   3 EOI: u8 vector;  4 reset;  5 restore: u16 length, then that many
 *   bytes;  6 save, then restore what was saved;  7 the version register. */
#include <linux/kvm.h>
#include <stdarg.h>
#include <fcntl.h>
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/device.h"
#include "core/ioapic.h"
#include "core/vm.h"
#include "fuzz.h"

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

static int vm_fd = -1;

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != vm_fd || fd < 0)
		return __real_ioctl(fd, req, arg);
	if (req == KVM_SIGNAL_MSI)
		return 1;
	if (req == KVM_SET_GSI_ROUTING)
		return 0;
	errno = ENOTTY;
	return -1;
}

/* What the guest reads at OFF when the read exits to the device. */
static uint32_t exit_read(struct ioapic *io, unsigned off)
{
	uint8_t b[4];
	uint32_t v;

	futex_mutex_lock(&io->dev.lock);
	io->dev.exit_read(&io->dev, 0, off, b, 4);
	futex_mutex_unlock(&io->dev.lock);
	memcpy(&v, b, sizeof(v));
	return v;
}

static void check(struct ioapic *io)
{
	if (io->npins == 0 || io->npins > IOAPIC_MAX_PINS)
		abort();
	if (io->window[IOAPIC_REGSEL / 4] != exit_read(io, IOAPIC_REGSEL) ||
	    io->window[IOAPIC_WINDOW / 4] != exit_read(io, IOAPIC_WINDOW))
		abort();
	for (unsigned p = 0; p < io->npins; p++) {
		uint64_t e = io->rte[p];

		if ((e & IOAPIC_RTE_REMOTE_IRR) && !(e & IOAPIC_RTE_LEVEL))
			abort();
		if (!(io->routed & (1u << p)) != !(e & IOAPIC_RTE_LEVEL))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm;
	struct fz f = { data, size };
	struct ioapic *io;
	uint8_t buf[512];
	int steps = 0;

	if (vm_fd < 0)
		vm_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	vm.vm_fd = vm_fd;
	vm.cfg.irqchip = vm.cfg.irqchip_split = true;
	io = ioapic_create(&vm, fz_u8(&f) % IOAPIC_MAX_PINS + 1);
	if (!io)
		abort();
	futex_mutex_init(&io->dev.lock); /* what vm_add_device does besides the bus */
	io->dev.exit_read = io->dev.ops->read;
	io->dev.exit_write = io->dev.ops->write;
	io->window = mmap(NULL, IOAPIC_MMIO_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (io->window == MAP_FAILED)
		abort();
	ioapic_set_pins(io, io->npins); /* fills the page, as vm_start does */
	vm.ioapic = io;
	while (f.n && steps++ < 4096) {
		uint8_t op = fz_u8(&f), b[8] = { 0 };
		unsigned len = 1u << ((op >> 3) & 3), n;
		uint16_t off;
		uint64_t v;
		size_t got;
		long saved;

		switch (op & 7) {
		case 0:
		case 1:
			off = fz_u16(&f) % IOAPIC_MMIO_LEN;
			v = fz_u32(&f);
			memcpy(b, &v, sizeof(v));
			futex_mutex_lock(&io->dev.lock);
			if (op & 1)
				io->dev.exit_write(&io->dev, 0, off, b, len);
			else
				io->dev.exit_read(&io->dev, 0, off, b, len);
			futex_mutex_unlock(&io->dev.lock);
			break;
		case 2:
			n = fz_u8(&f);
			ioapic_set_line(io, n, fz_u8(&f) & 1);
			break;
		case 3:
			ioapic_eoi(io, fz_u8(&f));
			break;
		case 4:
			io->dev.ops->reset(&io->dev);
			break;
		case 5: {
			const uint8_t *p = fz_bytes(&f, fz_u16(&f) % sizeof(buf), &got);

			memcpy(buf, p, got);
			io->dev.ops->restore(&io->dev, buf, got);
			break;
		}
		case 6:
			saved = io->dev.ops->save(&io->dev, buf, sizeof(buf));
			if (saved < 0 || io->dev.ops->restore(&io->dev, buf, (size_t)saved) < 0)
				abort(); /* its own state must come back */
			break;
		case 7:
			ioapic_rte(io, fz_u8(&f), &v);
			break;
		}
		check(io);
	}
	vm.ioapic = NULL;
	io->dev.ops->destroy(&io->dev);
	free(vm.msi);
	vm.msi = NULL;
	return 0;
}
