/* Placeholder until the device lands. */
#include "util/error.h"
#include "virtio/virtio_devices.h"

struct virtio_dev *virtio_console_create(void)
{
	
	fail(ERR_USAGE, "virtio-console is not implemented yet");
	return NULL;
}
