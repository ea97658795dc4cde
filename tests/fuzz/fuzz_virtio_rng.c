/* virtio-rng (src/virtio/rng.c): the entropy device's request handling
 * over guest-written rings (tests/fuzz/virtio_dev_fuzz.h says how). */
#include "virtio_dev_fuzz.h"

/* With a limit of a few requests a second, so that the rate limiter's
 * path (a chain popped, then given back to the ring) is fuzzed too. */
static struct virtio_dev *create(void)
{
	static const struct rate_spec limit = { .ops = { .size = 4, .refill_ms = 1000 } };

	return virtio_rng_create(&limit);
}

static const struct fz_dev rng = { .create = create };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_dev_run(&rng, data, size);
}
