/* The virtio-pci transport (virtio 1.2, 4.1, modern only): a device type
 * made visible as a PCI function on the machine's bus (devices/pci_host.c)
 * with its registers in BARs from the layout's PCI MMIO window, and MSI-X
 * with one vector per queue plus one for configuration changes, each an
 * irqfd on a KVM MSI route: an interrupt needs no ISR read and no ACK.
 *
 * BAR 0 (VIRTIO_PCI_BAR0_SIZE): the common configuration, the device's
 * config space, the notification addresses (one 4-byte slot per queue,
 * each an ioeventfd), the MSI-X table and PBA.  BAR 2 (one page): the ISR
 * status, a device of its own ("<name>-isr") so that the exit table counts
 * its reads apart: with MSI-X they should be none. */
#ifndef WARDEN_VIRTIO_PCI_H
#define WARDEN_VIRTIO_PCI_H

#include "virtio/virtio_dev.h"

struct device;
struct msix;
struct vm;

#define VIRTIO_PCI_BAR0_SIZE 0x4000
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_DEVCFG_OFF 0x0800
#define VIRTIO_PCI_NOTIFY_OFF 0x1000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x2000
#define VIRTIO_PCI_MSIX_PBA_OFF 0x3000
#define VIRTIO_PCI_ISR_BAR 2
#define VIRTIO_PCI_ISR_SIZE 0x1000

/* Put VD (from a device type's constructor) on VM's PCI bus.  The VM owns
 * it from then on; on failure VD is freed too. */
int virtio_pci_create(struct vm *vm, struct virtio_dev *vd, const struct virtio_options *opt);
/* The eventfd through which KVM delivers vector VEC of M as it stands:
 * IRQ_FD[VEC] if M is enabled, not function-masked, and VEC is in range
 * and unmasked; else -1 (the interrupt must go through msix_notify, which
 * keeps it pending while masked).  Under the function's lock. */
int virtio_pci_direct_fd(struct msix *m, uint16_t vec, const int *irq_fd);
/* The virtio device behind D, or NULL if D is not a virtio-pci BAR. */
struct virtio_dev *virtio_pci_of(const struct device *d);

#endif
