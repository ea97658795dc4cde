/* --intel-iommu: a VT-d remapping unit (the model: devices/vtd.h) as a
 * device of the machine, its register page at LAYOUT_VTD, and the two
 * services it gives warden's emulated PCI functions (--edu): their DMA,
 * translated, and their interrupts, remapped. */
#ifndef WARDEN_DEVICES_INTEL_IOMMU_H
#define WARDEN_DEVICES_INTEL_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct intel_iommu;

/* Add the unit to VM; NULL on failure (error recorded). */
struct intel_iommu *intel_iommu_create(struct vm *vm);
/* The same, its messages sent through SEND_MSI (unit tests). */
struct intel_iommu *intel_iommu_create_msi(struct vm *vm,
					   int (*send_msi)(struct vm *, uint64_t, uint32_t));

/* A DMA of LEN bytes by PCI function SID at IOVA: from guest memory into
 * BUF (!TO_MEMORY) or from BUF into guest memory.  Translated page by
 * page; -1 if any part faulted (recorded in FSTS unless the context asked
 * not) or translated to something not guest RAM (counted); the parts
 * before it were done, as on hardware. */
int intel_iommu_dma(struct intel_iommu *u, uint16_t sid, uint64_t iova, void *buf, size_t len,
		    bool to_memory);
/* An MSI the function SID wrote: remapped and sent; -1 if blocked. */
int intel_iommu_msi(struct intel_iommu *u, uint16_t sid, uint64_t addr, uint32_t data);
/* Is interrupt remapping on (GSTS.IRES)? */
bool intel_iommu_remapping(struct intel_iommu *u);
/* The IOAPIC's message for a redirection entry RTE in the remappable
 * format: remapped and sent; -1 if blocked. */
int intel_iommu_ioapic(struct intel_iommu *u, uint64_t rte);

#endif
