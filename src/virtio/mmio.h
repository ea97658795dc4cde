/* The virtio-mmio transport: a device type made visible to the guest as a
 * 4 KiB register window and an interrupt line, both from the machine's
 * allocator, described to the guest in the ACPI DSDT. */
#ifndef WARDEN_VIRTIO_MMIO_H
#define WARDEN_VIRTIO_MMIO_H

#include "virtio/virtio_dev.h"

struct device;
struct vm;

/* Put VD (from a device type's constructor) on VM behind a virtio-mmio
 * window.  The VM owns it from then on (its destroy frees VD); on failure
 * VD is freed too. */
int virtio_mmio_create(struct vm *vm, struct virtio_dev *vd, const struct virtio_options *opt);
/* The virtio device behind D, or NULL if D is not a virtio-mmio window. */
struct virtio_dev *virtio_mmio_of(const struct device *d);

#endif
