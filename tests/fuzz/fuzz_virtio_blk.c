/* virtio-blk (src/virtio/blk.c) over its io_uring backend: request
 * framing and validation (header, sector ranges, data buffers, status
 * byte, GET_ID, discard / write zeroes segments) on guest-written rings,
 * against a real 1 MiB image file (tests/fuzz/virtio_dev_fuzz.h says how
 * an input becomes a driver session).  Requests in flight complete
 * through the io_uring eventfd, served as the I/O thread serves it. */
#include <fcntl.h>
#include <unistd.h>

#include "virtio_dev_fuzz.h"

#define IMG_BYTES (1 << 20)

static struct virtio_dev *create(void)
{
	struct disk_spec d = { 0 };
	char path[] = "/tmp/fuzz-blk-XXXXXX";
	struct virtio_dev *vd;
	int fd = mkstemp(path);

	if (fd < 0 || ftruncate(fd, IMG_BYTES) < 0)
		abort();
	close(fd);
	d.path = path;
	vd = virtio_blk_create(&d, 0);
	/* The device holds it open; nothing is left behind on exit. */
	unlink(path);
	return vd;
}

static const struct fz_dev blk = { .create = create, .settle_ms = 20 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_dev_run(&blk, data, size);
}
