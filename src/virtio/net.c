/* Placeholder until the device lands. */
#include "util/error.h"
#include "virtio/virtio_devices.h"

struct virtio_dev *virtio_net_create(const struct net_spec *n, unsigned index)
{
	(void)n; (void)index;
	fail(ERR_USAGE, "virtio-net is not implemented yet");
	return NULL;
}
