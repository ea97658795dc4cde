/* The virtio-mmio register file (src/virtio/mmio.c) and, behind it, the
 * transport-independent core: status state machine, feature negotiation,
 * queue set-up and activation, config space, notifications.  A fake VM
 * (no KVM: tests/unit/test_guest_random.c's set-up) gets warden's own
 * virtio devices from virtio_devices_create (a disk on a scratch image,
 * the console, the entropy device), and the fuzzer's accesses go to the
 * device's read/write ops under its lock, as exit_emulate hands them over.
 * A driver that reaches DRIVER_OK starts the device's real I/O thread on
 * the rings it described; each input ends with the VM's reset of every
 * device (its thread stopped), so inputs do not see each other.
 *
 * Input: u8 accesses, each u8 op (bit 0 write, bits 1-2 length 1/2/4/8,
 * bits 3-4 which device), u16 offset in the 4 KiB window, u64 value; then
 * guest RAM from address 0 (rings and buffers the driver points at).
 *
 * The same devices on virtio-pci (config space, BARs, MSI-X) are
 * fuzz_virtio_pci.c's. */
#include <fcntl.h>
#include <unistd.h>

#include "core/vm.h"
#include "core/vm_end.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"
#include "virtio_fuzz.h"

#define NDEV 3 /* disk, console, rng: virtio_devices_create's order */

static struct vm vm;
static struct device *dev[NDEV];

static void make_vm(void)
{
	struct virtio_config cfg = { .ndisks = 1, .console = true, .rng = true,
				     .opt = { .event_idx = true } };
	char image[] = "/tmp/fuzz-mmio-XXXXXX";
	int fd = mkstemp(image), null = open("/dev/null", O_WRONLY), in;
	unsigned n = 0;

	/* The console's output must not bury libFuzzer's (on stderr). */
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
		abort();
	close(fd);
	close(null);
	cfg.disks[0].path = image;
	vm.kvm_fd = vm.vm_fd = -1;
	vm.cfg.irqchip = true; /* virtio devices insist on it */
	if (vm_end_init(&vm.end) < 0 || gmem_map(&vm.mem, FZ_RAM) < 0 ||
	    virtio_devices_create(&vm, &cfg, &in) < 0)
		abort();
	unlink(image); /* the disk holds it open */
	vm.cfg.irqchip = false; /* no KVM behind it: interrupts go nowhere */
	for (unsigned i = 0; i < vm.ndevices && n < NDEV; i++)
		if (vm.devices[i]->acpi_hid && strcmp(vm.devices[i]->acpi_hid, "LNRO0005") == 0)
			dev[n++] = vm.devices[i];
	if (n != NDEV)
		abort();
}

/* A queue was notified: its device's I/O thread has work. */
static bool notified;

static void reg_access(struct fz *f)
{
	uint8_t op = fz_u8(f), data[8];
	unsigned len = 1u << ((op >> 1) & 3);
	uint64_t off = fz_u16(f) % VIRTIO_MMIO_WINDOW, v = fz_u64(f);
	struct device *d = dev[((op >> 3) & 3) % NDEV];

	memcpy(data, &v, sizeof(data));
	fz_device_access(d, off, data, len, op & 1);
	notified |= (op & 1) && off == VIRTIO_MMIO_QUEUE_NOTIFY;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	unsigned n;
	size_t skip;

	if (!vm.mem.map)
		make_vm();
	n = fz_u8(&f);
	/* RAM first (the rings are there before the driver points at them). */
	skip = (size_t)n * 11 < f.n ? (size_t)n * 11 : f.n;
	fz_ram_fill(&vm.mem, f.p + skip, f.n - skip);
	notified = false;
	for (unsigned i = 0; i < n && f.n; i++)
		reg_access(&f);
	/* Let the I/O threads look at the rings before the reset stops them
	 * (a guest would not reset at once either); only when there is work,
	 * so that most inputs run at full speed. */
	if (notified)
		usleep(1000);
	for (unsigned i = 0; i < NDEV; i++) {
		fz_debug("%s: requests %llu, errors %llu\n", dev[i]->name,
			 (unsigned long long)dev[i]->counters->requests,
			 (unsigned long long)dev[i]->counters->errors);
		dev[i]->ops->reset(dev[i]);
	}
	return 0;
}
