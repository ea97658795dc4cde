/* virtio-rng (src/virtio/rng.c): the entropy device's request handling
 * over guest-written rings (tests/fuzz/virtio_dev_fuzz.h says how). */
#include "virtio_dev_fuzz.h"

/* With a limit of 10,000 requests a second, about what the fuzzer sends
 * (the device lives for the whole process), so that both paths run:
 * requests served, and chains popped, then given back to the ring. */
static struct virtio_dev *create(void)
{
	static const struct rate_spec limit = { .ops = { .size = 1024, .refill_ms = 100 } };

	return virtio_rng_create(&limit);
}

static const struct fz_dev rng = { .create = create };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_dev_run(&rng, data, size);
}
