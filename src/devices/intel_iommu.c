/* --intel-iommu: the VT-d unit of devices/vtd.h as a device.  Its 4 KiB
 * register page is at 0xfed90000 (LAYOUT_VTD), where QEMU's q35 machine
 * has it and where the kvm-unit-tests intel_iommu test looks, without an
 * ACPI DMAR table (the test needs none; a Linux guest, which finds its
 * IOMMUs only through DMAR, does not see this one).
 *
 * Only warden's emulated PCI functions that ask (--edu) are behind it:
 * their DMA and MSIs go through intel_iommu_dma/_msi.  Everything runs
 * on the vCPU thread of the access that caused it, under the unit's lock
 * (the caller's device lock taken first: a function, then the unit).
 *
 * Counters: requests (DMA pages translated and interrupts remapped),
 * interrupts (fault and invalidation events sent), errors (faults, and
 * the guest's bad register accesses). */
#include <stdlib.h>
#include <string.h>

#include "core/device.h"
#include "core/guest_mem.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/intel_iommu.h"
#include "devices/vtd.h"
#include "util/error.h"
#include "util/log.h"

struct intel_iommu {
	struct device dev;
	struct vm *vm;
	int (*send_msi)(struct vm *vm, uint64_t addr, uint32_t data);
	struct vtd vtd;
	struct device_counters counters;
};

/* Send the unit's own messages EVENTS asked for (not remapped: VT-d
 * 5.1.6, they come from the unit itself). */
static void send_events(struct intel_iommu *u, unsigned events)
{
	struct vtd *v = &u->vtd;

	if (events & VTD_EVENT_FAULT) {
		u->send_msi(u->vm, v->feaddr | (uint64_t)v->feuaddr << 32, v->fedata);
		device_count(&u->counters.interrupts, 1);
	}
	if (events & VTD_EVENT_INVALIDATION) {
		u->send_msi(u->vm, v->ieaddr | (uint64_t)v->ieuaddr << 32, v->iedata);
		device_count(&u->counters.interrupts, 1);
	}
}

/* A fault of source SID at ADDR (an IOVA, or an interrupt index << 48 as
 * the recording register holds it). */
static void fault(struct intel_iommu *u, enum vtd_fault f, uint16_t sid, uint64_t addr, bool write,
		  bool fpd)
{
	bool ir = f >= VTD_FR_IR_REQ_RSVD;

	log_guest("intel-iommu: %02x:%02x.%u: fault 0x%x at %s 0x%llx (%s)%s", sid >> 8,
		  (sid >> 3) & 0x1f, sid & 7, (unsigned)f, ir ? "interrupt index" : "IOVA",
		  (unsigned long long)(ir ? addr >> 48 : addr), vtd_fault_name(f),
		  fpd ? ", not recorded (FPD)" : "");
	device_count(&u->counters.errors, 1);
	send_events(u, vtd_fault(&u->vtd, f, sid, addr, write, fpd));
}

static void iommu_read(struct device *d, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct intel_iommu *u = d->priv;
	uint64_t v;

	(void)range;
	if (vtd_read(&u->vtd, off, len, &v) < 0) {
		log_guest("intel-iommu: read of %u bytes at 0x%llx refused", len, (unsigned long long)off);
		device_count(&u->counters.errors, 1);
	}
	memcpy(data, &v, len);
}

static void iommu_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data,
			unsigned len)
{
	struct intel_iommu *u = d->priv;
	uint64_t v = 0;
	int events;

	(void)range;
	memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));
	events = vtd_write(&u->vtd, off, len, v);
	if (events < 0) {
		log_guest("intel-iommu: write of %u bytes at 0x%llx refused", len, (unsigned long long)off);
		device_count(&u->counters.errors, 1);
		return;
	}
	if (u->vtd.fsts & VTD_FSTS_IQE)
		log_guest("intel-iommu: invalidation queue error at IQH 0x%llx", (unsigned long long)u->vtd.iqh);
	send_events(u, (unsigned)events);
}

static void iommu_reset(struct device *d)
{
	struct intel_iommu *u = d->priv;

	futex_mutex_lock(&d->lock);
	vtd_init(&u->vtd, &u->vm->mem);
	futex_mutex_unlock(&d->lock);
}

static void iommu_destroy(struct device *d)
{
	free(d->priv);
}

static const struct device_ops iommu_ops = {
	.read = iommu_read, .write = iommu_write, .reset = iommu_reset, .destroy = iommu_destroy,
};

struct intel_iommu *intel_iommu_create_msi(struct vm *vm,
					   int (*send_msi)(struct vm *, uint64_t, uint32_t))
{
	struct intel_iommu *u = calloc(1, sizeof(*u));

	if (!u)
		return fail(ERR_HOST, "out of memory"), NULL;
	u->vm = vm;
	u->send_msi = send_msi;
	vtd_init(&u->vtd, &vm->mem);
	u->dev = (struct device){
		.name = "intel-iommu", .ops = &iommu_ops, .priv = u,
		.counters = &u->counters, .counters_if_nonzero = true,
		.res = { .nranges = 1,
			 .range = { DEVICE_RANGE(BUS_MMIO, LAYOUT_VTD, LAYOUT_VTD_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &u->dev) < 0) {
		free(u);
		return NULL;
	}
	return u;
}

struct intel_iommu *intel_iommu_create(struct vm *vm)
{
	return intel_iommu_create_msi(vm, vm_signal_msi);
}

/* One piece of a DMA, inside one page of the I/O address space. */
static int dma_page(struct intel_iommu *u, uint16_t sid, uint64_t iova, uint8_t *buf, size_t len,
		    bool to_memory, size_t *done)
{
	uint64_t gpa, span;
	bool fpd;
	enum vtd_fault f = vtd_translate(&u->vtd, sid, iova, to_memory, &gpa, &span, &fpd);
	uint8_t *p;

	if (f != VTD_OK) {
		fault(u, f, sid, iova, to_memory, fpd);
		return -1;
	}
	*done = len < span ? len : span;
	p = gmem_ptr(&u->vm->mem, gpa, *done);
	if (!p) { /* translated, but not to RAM: no device memory is reachable by DMA here */
		log_guest("intel-iommu: DMA at 0x%llx translated to 0x%llx, not guest RAM",
			  (unsigned long long)iova, (unsigned long long)gpa);
		device_count(&u->counters.errors, 1);
		return -1;
	}
	if (to_memory)
		memcpy(p, buf, *done);
	else
		memcpy(buf, p, *done);
	device_count(&u->counters.requests, 1);
	return 0;
}

int intel_iommu_dma(struct intel_iommu *u, uint16_t sid, uint64_t iova, void *buf, size_t len,
		    bool to_memory)
{
	int r = 0;

	futex_mutex_lock(&u->dev.lock);
	for (size_t off = 0, done = 0; off < len && r == 0; off += done)
		r = dma_page(u, sid, iova + off, (uint8_t *)buf + off, len - off, to_memory, &done);
	futex_mutex_unlock(&u->dev.lock);
	return r;
}

/* Remap and send under the lock; VERIFY: SID is a PCI function's. */
static int remap_send(struct intel_iommu *u, uint16_t sid, bool verify, uint64_t addr, uint32_t data)
{
	uint64_t out_addr;
	uint32_t out_data, index;
	bool fpd;
	enum vtd_fault f;
	int r = 0;

	futex_mutex_lock(&u->dev.lock);
	f = vtd_remap(&u->vtd, sid, verify, addr, data, &out_addr, &out_data, &index, &fpd);
	if (f != VTD_OK) {
		fault(u, f, sid, (uint64_t)index << 48, true, fpd);
		r = -1;
	} else {
		if (u->vtd.gsts & VTD_GCMD_IRE)
			device_count(&u->counters.requests, 1);
		r = u->send_msi(u->vm, out_addr, out_data);
	}
	futex_mutex_unlock(&u->dev.lock);
	return r;
}

int intel_iommu_msi(struct intel_iommu *u, uint16_t sid, uint64_t addr, uint32_t data)
{
	return remap_send(u, sid, true, addr, data);
}

bool intel_iommu_remapping(struct intel_iommu *u)
{
	bool on;

	futex_mutex_lock(&u->dev.lock);
	on = u->vtd.gsts & VTD_GCMD_IRE;
	futex_mutex_unlock(&u->dev.lock);
	return on;
}

int intel_iommu_ioapic(struct intel_iommu *u, uint64_t rte)
{
	uint64_t addr;
	uint32_t data;

	vtd_ioapic_message(rte, &addr, &data);
	return remap_send(u, 0, false, addr, data);
}
