/* --edu: QEMU's educational PCI device (devices/edu.c). */
#ifndef WARDEN_DEVICES_EDU_H
#define WARDEN_DEVICES_EDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct device;
struct intel_iommu;

/* How the device reaches the machine (the VM's own calls, or a unit
 * test's recorders). */
struct edu_env {
	void (*set_irq)(struct vm *vm, unsigned gsi, int level);
	int (*send_msi)(struct vm *vm, uint64_t addr, uint32_t data);
	int (*ioapic_rte)(struct vm *vm, unsigned pin, uint64_t *rte);
	/* Through the IOMMU (when there is one): devices/intel_iommu.h. */
	int (*dma)(struct intel_iommu *u, uint16_t sid, uint64_t iova, void *buf, size_t len,
		   bool to_memory);
	int (*remap_msi)(struct intel_iommu *u, uint16_t sid, uint64_t addr, uint32_t data);
	int (*remap_ioapic)(struct intel_iommu *u, uint64_t rte);
};

/* Add the device to VM's PCI bus, behind IOMMU (or NULL: none); NULL on
 * failure (error recorded). */
struct device *edu_create(struct vm *vm, struct intel_iommu *iommu);
struct device *edu_create_env(struct vm *vm, struct intel_iommu *iommu, const struct edu_env *env);

#endif
