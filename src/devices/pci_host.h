/* A PCI host bridge with one bus (bus 0), reached through configuration
 * mechanism #1 (the 0xcf8 address and 0xcfc data ports, layout.h) and
 * described in the DSDT as a PCI root bridge (PNP0A03).  Slot 0 is the
 * bridge itself; PCI functions (virtio-pci) take the next slots.
 *
 * Why ports and not ECAM: a config access costs two port exits here and
 * one MMIO exit with ECAM, but no config access is on any I/O path
 * (virtio-pci's registers, notifications and MSI-X table are in BARs), so
 * the difference is boot-time only (docs/virtio.md has the count), and
 * mechanism #1 needs no MCFG table and no reserved ECAM region. */
#ifndef WARDEN_DEVICES_PCI_HOST_H
#define WARDEN_DEVICES_PCI_HOST_H

#include "core/device.h"
#include "devices/pci_cfg.h"

struct vm;
struct pci_host;

#define PCI_MAX_SLOTS 32

/* One function on the bus: its config space and who answers for it. */
struct pci_function {
	struct pci_cfg cfg;
	/* The device whose lock guards this function's state (taken inside
	 * the host's lock: host, then function), or NULL. */
	struct device *dev;
	/* After a config write was applied (OFF/LEN as the guest wrote). */
	void (*written)(struct pci_function *fn, unsigned off, unsigned len);
	/* Before a config read of LEN bytes at OFF is answered from cfg: a
	 * window into the function's registers (virtio's PCI_CFG capability)
	 * fills its bytes here.  NULL: cfg alone answers. */
	void (*before_read)(struct pci_function *fn, unsigned off, unsigned len);
	void *priv;
	uint64_t *errors; /* the guest's bad config accesses are counted here, or NULL */
	const char *name;
};

/* The bus of VM, created on first use (the VM owns it as a device). */
struct pci_host *pci_host_get(struct vm *vm);
/* Put FN in the next free slot: its number (1-31), or -1 when the bus is
 * full (error recorded). */
int pci_host_add(struct pci_host *h, struct pci_function *fn);

#endif
