/* Placeholder until the device lands. */
#include "util/error.h"
#include "virtio/virtio_devices.h"

struct virtio_dev *virtio_blk_create(const struct disk_spec *d, unsigned index)
{
	(void)d; (void)index;
	fail(ERR_USAGE, "virtio-blk is not implemented yet");
	return NULL;
}
