/* --intel-iommu and --edu (src/devices/vtd*.c, intel_iommu.c, edu*.c): the
 * VT-d register page, edu's BAR and its PCI configuration through the
 * host bridge's ports, driven as exit_emulate hands a guest's accesses
 * over (the device's ops under its lock), on a fake VM (no KVM) whose
 * guest RAM holds whatever tables, queues and IRTEs the fuzzer wrote.
 * The unit walks them on every DMA, interrupt and tail write; none of it
 * may crash, trip a sanitizer or reach outside guest memory.  Messages go
 * nowhere; the fake IOAPIC holds one entry the input chooses.  Each input
 * ends with every device's reset.
 *
 * Input: u8 accesses, u64 the IOAPIC entry; each access u8 op (bit 0
 * write, bits 1-2 length 1/2/4/8, bits 3-4 target: 0 the VT-d page, 1
 * edu's BAR, 2/3 edu's config space), u16 offset, u64 value; then guest
 * RAM from address 0. */
#include "core/bus.h"
#include "core/device.h"
#include "core/vm.h"
#include "core/vm_end.h"
#include "devices/edu.h"
#include "devices/intel_iommu.h"
#include "virtio_fuzz.h"

#define ACCESS_BYTES 11

static struct vm vm;
static struct device *edu, *vtd, *host;
static uint64_t rte;

static void no_irq(struct vm *v, unsigned gsi, int level)
{
	(void)v, (void)gsi, (void)level;
}

static int no_msi(struct vm *v, uint64_t addr, uint32_t data)
{
	(void)v, (void)addr, (void)data;
	return 0;
}

static int fake_rte(struct vm *v, unsigned pin, uint64_t *out)
{
	(void)v, (void)pin;
	*out = rte;
	return 0;
}

static struct device *by_name(const char *name)
{
	for (unsigned i = 0; i < vm.ndevices; i++)
		if (strcmp(vm.devices[i]->name, name) == 0)
			return vm.devices[i];
	abort();
}

static void make_vm(void)
{
	const struct edu_env env = {
		.set_irq = no_irq, .send_msi = no_msi, .ioapic_rte = fake_rte,
		.dma = intel_iommu_dma, .remap_msi = intel_iommu_msi, .remap_ioapic = intel_iommu_ioapic,
	};
	struct intel_iommu *u;

	vm.kvm_fd = vm.vm_fd = -1;
	if (vm_end_init(&vm.end) < 0 || gmem_map(&vm.mem, FZ_RAM) < 0)
		abort();
	u = intel_iommu_create_msi(&vm, no_msi);
	if (!u || !edu_create_env(&vm, u, &env))
		abort();
	edu = by_name("edu");
	vtd = by_name("intel-iommu");
	host = by_name("pci-host");
}

static void one_access(struct fz *f)
{
	uint8_t o = fz_u8(f), data[8];
	unsigned len = 1u << ((o >> 1) & 3);
	uint16_t off = fz_u16(f);
	uint64_t v = fz_u64(f);

	memcpy(data, &v, sizeof(data));
	switch ((o >> 3) & 3) {
	case 0: fz_device_access(vtd, off % 0x1000, data, len, o & 1); break;
	case 1: fz_device_access(edu, off % 0x1000, data, len, o & 1); break;
	default: { /* config: address (slot 1, the offset's low bits too), then data */
		uint32_t a = 0x80000000u | 1u << 11 | (off & 0xff);
		unsigned port = 4 + ((off >> 8) & 3);
		uint8_t ab[4];

		len = len > 4 ? 4 : len;
		port = port + len > 8 ? 8 - len : port; /* inside 0xcfc-0xcff, as the bus gives it */
		memcpy(ab, &a, 4);
		fz_device_access(host, 0, ab, 4, true);
		fz_device_access(host, port, data, len, o & 1);
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	unsigned n;
	size_t skip;

	if (!vm.mem.map)
		make_vm();
	n = fz_u8(&f);
	rte = fz_u64(&f);
	skip = (size_t)n * ACCESS_BYTES < f.n ? (size_t)n * ACCESS_BYTES : f.n;
	fz_ram_fill(&vm.mem, f.p + skip, f.n - skip);
	for (unsigned i = 0; i < n && f.n; i++)
		one_access(&f);
	fz_debug("edu: requests %llu, errors %llu; intel-iommu: requests %llu, errors %llu\n",
		 (unsigned long long)edu->counters->requests, (unsigned long long)edu->counters->errors,
		 (unsigned long long)vtd->counters->requests, (unsigned long long)vtd->counters->errors);
	for (unsigned i = 0; i < vm.ndevices; i++)
		if (vm.devices[i]->ops->reset)
			vm.devices[i]->ops->reset(vm.devices[i]);
	return 0;
}
