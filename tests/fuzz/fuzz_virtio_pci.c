/* PCI, as a guest's driver reaches it (src/devices/pci_host.c, pci_cfg.c,
 * msix.c, src/virtio/pci.c): configuration mechanism #1 (the address
 * port and the data ports, every size and offset), the config space
 * behind it (header, BAR sizing and programming, the capability list,
 * the MSI-X capability's enable and function mask, virtio's PCI_CFG
 * window into the BARs), and BAR 0 of each function: the virtio common
 * configuration, device config, notifications, the MSI-X table and PBA
 * (masking and unmasking while interrupts are pending, vectors out of
 * range), and the ISR BAR.  Behind it warden's own disk, console and
 * entropy devices with their real I/O threads, as fuzz_virtio_mmio.c
 * has them; a fake VM (no KVM), the accesses handed to the devices' ops
 * under their locks as exit_emulate does.
 *
 * No KVM: the link wraps ioctl() (fuzz.mk: -Wl,--wrap=ioctl) and this
 * file answers the VM fd's ioctls (MSI routes, irqfds, KVM_SIGNAL_MSI);
 * every other fd goes to the real ioctl.  The devices use irqfds, as
 * warden does by default: unmasking a vector programs its KVM MSI route,
 * a message is an eventfd write.
 *
 * Input: u8 accesses, each u8 op, u16 offset, u64 value; then guest RAM
 * from address 0.  op bit 0: write; bits 1-2: length 1/2/4/8 (4 for port
 * accesses, which have no 8); bits 3-4: where: 0 config space of
 * function (bits 5-6: disk, console, rng, or for 3 the slot in the
 * offset's bits 8-12: the host bridge, absent slots) at the offset's low
 * byte; 1 BAR 0; 2 the ISR BAR; 3 the host's ports themselves (the
 * address register with any value, the data ports after it).
 *
 * Checked besides the sanitizers, after each input: every function's IDs
 * read as the function set them; a walk of the capability list ends
 * inside the config space in at most 48 steps and finds the MSI-X
 * capability with its table size; BARs read back their address or their
 * size mask, never another (they cannot be moved); the PBA has no bit for
 * a vector the function does not have. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <unistd.h>

#include "core/layout.h"
#include "core/vm.h"
#include "core/vm_end.h"
#include "devices/msix.h"
#include "devices/pci_cfg.h"
#include "virtio/pci.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"
#include "virtio_fuzz.h"

#define NFN 3 /* disk, console, rng: virtio_devices_create's order, slots 1-3 */

static struct vm vm;
static struct device *host, *bar0[NFN], *isr[NFN];
static uint32_t bar0_base[NFN], isr_base[NFN];
static uint16_t id[NFN][2];
static int vm_fd = -1; /* the fake VM's fd, once made */
static uint64_t routes; /* MSI routing tables given to "KVM" */

/* --- the VM fd: KVM's part, answered here ------------------------------- */

int __real_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != vm_fd || fd < 0)
		return __real_ioctl(fd, req, arg);
	switch (req) {
	case KVM_SIGNAL_MSI:
		return 1; /* delivered */
	case KVM_SET_GSI_ROUTING:
		__atomic_fetch_add(&routes, 1, __ATOMIC_RELAXED);
		return 0;
	case KVM_IRQFD:
	case KVM_IOEVENTFD:
		return 0;
	default:
		errno = ENOTTY;
		return -1;
	}
}

/* --- the machine ---------------------------------------------------------- */

static void make_vm(void)
{
	struct virtio_config cfg = { .transport = VIRTIO_TRANSPORT_PCI, .ndisks = 1, .console = true,
				     .rng = true,
				     .opt = { .event_idx = true, .irqfd = true } };
	char image[] = "/tmp/fuzz-pci-XXXXXX";
	int fd = mkstemp(image), null = open("/dev/null", O_WRONLY), in;
	unsigned n = 0;

	/* The console's output must not bury libFuzzer's (on stderr). */
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
		abort();
	close(fd);
	cfg.disks[0].path = image;
	vm.kvm_fd = -1;
	vm.vm_fd = vm_fd = null; /* no real ioctl is for it: __wrap_ioctl answers */
	vm.cfg.irqchip = true; /* virtio devices insist on it */
	if (vm_end_init(&vm.end) < 0 || gmem_map(&vm.mem, FZ_RAM) < 0 ||
	    virtio_devices_create(&vm, &cfg, &in) < 0)
		abort();
	unlink(image); /* the disk holds it open */
	for (unsigned i = 0; i < vm.ndevices; i++) {
		struct device *d = vm.devices[i];

		if (d->acpi_hid && strcmp(d->acpi_hid, "PNP0A03") == 0)
			host = d;
		else if (d->res.range[0].len == VIRTIO_PCI_BAR0_SIZE && n < NFN)
			bar0[n] = d;
		else if (d->res.range[0].len == VIRTIO_PCI_ISR_SIZE && n < NFN)
			isr[n++] = d; /* added right after its function's BAR 0 */
	}
	if (!host || n != NFN)
		abort();
}

/* --- accesses ------------------------------------------------------------- */

static void port(bool write, unsigned off, uint8_t *data, unsigned len)
{
	fz_device_access(host, off, data, len, write);
}

static void config(bool write, unsigned slot, unsigned off, uint8_t *data, unsigned len)
{
	uint32_t a = 0x80000000u | slot << 11 | (off & 0xfc);

	port(true, 0, (uint8_t *)&a, 4);
	port(write, (PORT_PCI_CONFIG_DATA - PORT_PCI_CONFIG) + (off & 3), data, len);
}

static void bar(struct device *d, bool write, uint64_t off, uint8_t *data, unsigned len)
{
	fz_device_access(d, off, data, len, write);
}

/* Whether the input wrote a queue's notification address. */
static bool notified;

static void access_one(struct fz *f)
{
	uint8_t op = fz_u8(f), data[8];
	unsigned len = 1u << ((op >> 1) & 3), where = (op >> 3) & 3, fn = (op >> 5) & 3;
	uint16_t off = fz_u16(f);
	uint64_t v = fz_u64(f);
	bool write = op & 1;

	memcpy(data, &v, sizeof(data));
	if (where != 1 && len == 8)
		len = 4; /* no 8-byte port access, nor one to the ISR's byte */
	switch (where) {
	case 0:
		config(write, fn < NFN ? fn + 1 : (off >> 8) & 0x1f, off, data, len);
		break;
	case 1: { /* inside the BAR, as the bus hands accesses over */
		uint64_t o = off % VIRTIO_PCI_BAR0_SIZE;

		o = o + len > VIRTIO_PCI_BAR0_SIZE ? VIRTIO_PCI_BAR0_SIZE - len : o;
		bar(bar0[fn % NFN], write, o, data, len);
		notified |= write && o >= VIRTIO_PCI_NOTIFY_OFF && o < VIRTIO_PCI_MSIX_TABLE_OFF;
		break;
	}
	case 2:
		bar(isr[fn % NFN], write, off % (VIRTIO_PCI_ISR_SIZE - 3), data, len);
		break;
	default: {
		unsigned o = off % PORT_PCI_CONFIG_LEN;

		port(write, o + len > PORT_PCI_CONFIG_LEN ? PORT_PCI_CONFIG_LEN - len : o, data, len);
		break;
	}
	}
}

/* --- what the sanitizers cannot see --------------------------------------- */

static uint32_t cfg32(unsigned slot, unsigned off)
{
	uint32_t v = 0;

	config(false, slot, off, (uint8_t *)&v, 4);
	return v;
}

static void cfg_put32(unsigned slot, unsigned off, uint32_t v)
{
	config(true, slot, off, (uint8_t *)&v, 4);
}

static void check(bool ok, unsigned fn, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_virtio_pci: function %u: %s\n", fn, what);
	__builtin_trap();
}

/* The capability list from the header's pointer: where the MSI-X
 * capability is (0: not found), and the PCI_CFG window's (*PCICFG). */
static unsigned walk_caps(unsigned fn, unsigned *pcicfg)
{
	unsigned at = cfg32(fn + 1, PCI_CFG_CAP_PTR) & 0xff, msix = 0, steps = 0;

	*pcicfg = 0;
	while (at) {
		uint32_t head = cfg32(fn + 1, at);

		check(at >= PCI_CFG_CAP_START && at <= PCI_CFG_SIZE - 4 && !(at & 3), fn,
		      "a capability pointer outside the device-specific space");
		check(++steps <= 48, fn, "the capability list does not end");
		if ((head & 0xff) == PCI_CAP_ID_MSIX)
			msix = at;
		if ((head & 0xff) == PCI_CAP_ID_VNDR && ((head >> 24) & 0xff) == VIRTIO_PCI_CAP_PCI_CFG)
			*pcicfg = at;
		at = (head >> 8) & 0xff;
	}
	return msix;
}

static void check_function(unsigned fn)
{
	uint32_t ids = cfg32(fn + 1, PCI_CFG_VENDOR), b0 = cfg32(fn + 1, PCI_CFG_BAR0);
	uint32_t b2 = cfg32(fn + 1, PCI_CFG_BAR0 + 4 * VIRTIO_PCI_ISR_BAR), pba[2];
	unsigned pcicfg, msix = walk_caps(fn, &pcicfg), nvec;

	check(ids == ((uint32_t)id[fn][1] << 16 | id[fn][0]), fn, "vendor or device id changed");
	check(b0 == bar0_base[fn] || b0 == ~(uint32_t)(VIRTIO_PCI_BAR0_SIZE - 1), fn, "BAR 0 moved");
	check(b2 == isr_base[fn] || b2 == ~(uint32_t)(VIRTIO_PCI_ISR_SIZE - 1), fn, "BAR 2 moved");
	check(msix && pcicfg, fn, "the MSI-X or PCI_CFG capability is gone from the list");
	nvec = ((cfg32(fn + 1, msix) >> 16) & 0x7ff) + 1;
	check(nvec <= MSIX_MAX_VECTORS, fn, "more MSI-X vectors than the table has");
	/* The PBA, read through the BAR with memory decode on. */
	cfg_put32(fn + 1, PCI_CFG_COMMAND, PCI_COMMAND_MEMORY);
	bar(bar0[fn], false, VIRTIO_PCI_MSIX_PBA_OFF, (uint8_t *)pba, 8);
	check(!((((uint64_t)pba[1] << 32) | pba[0]) >> nvec), fn, "a PBA bit for a vector it lacks");
	/* What a reset does not put back but a new driver would find as
	 * set up by firmware: the BARs' addresses, an empty PCI_CFG window. */
	cfg_put32(fn + 1, PCI_CFG_BAR0, bar0_base[fn]);
	cfg_put32(fn + 1, PCI_CFG_BAR0 + 4 * VIRTIO_PCI_ISR_BAR, isr_base[fn]);
	for (unsigned o = 4; o < 16; o += 4) /* bar, offset, length: not the data */
		cfg_put32(fn + 1, pcicfg + o, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	unsigned n;
	size_t skip;

	if (!vm.mem.map) {
		make_vm();
		for (unsigned i = 0; i < NFN; i++) {
			uint32_t ids = cfg32(i + 1, PCI_CFG_VENDOR);

			id[i][0] = (uint16_t)ids;
			id[i][1] = (uint16_t)(ids >> 16);
			bar0_base[i] = cfg32(i + 1, PCI_CFG_BAR0);
			isr_base[i] = cfg32(i + 1, PCI_CFG_BAR0 + 4 * VIRTIO_PCI_ISR_BAR);
		}
	}
	n = fz_u8(&f);
	skip = (size_t)n * 11 < f.n ? (size_t)n * 11 : f.n;
	fz_ram_fill(&vm.mem, f.p + skip, f.n - skip);
	notified = false;
	for (unsigned i = 0; i < n && f.n; i++)
		access_one(&f);
	/* The I/O threads look at the rings before the reset stops them. */
	if (notified)
		usleep(1000);
	for (unsigned i = 0; i < NFN; i++)
		check_function(i);
	fz_debug("MSI routing tables set %llu\n", (unsigned long long)routes);
	for (unsigned i = 0; i < NFN; i++) {
		struct device_counters *c = bar0[i]->counters;

		fz_debug("%s: requests %llu, errors %llu\n", bar0[i]->name,
			 (unsigned long long)c->requests, (unsigned long long)c->errors);
		bar0[i]->ops->reset(bar0[i]);
	}
	host->ops->reset(host);
	return 0;
}
