/* virtio-rng (src/virtio/rng.c): the entropy device's request handling
 * over guest-written rings (tests/fuzz/virtio_dev_fuzz.h says how). */
#include "virtio_dev_fuzz.h"

static const struct fz_dev rng = { .create = virtio_rng_create };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_dev_run(&rng, data, size);
}
