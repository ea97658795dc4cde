/* virtio-console (src/virtio/console.c): the transmitq (guest output,
 * written to stdout, which the harness points at /dev/null) and the
 * receiveq (host input through the device's input pipe: the input's host
 * bytes), on guest-written rings (tests/fuzz/virtio_dev_fuzz.h). */
#include <fcntl.h>
#include <unistd.h>

#include "virtio_dev_fuzz.h"

static struct virtio_dev *create(void)
{
	int null = open("/dev/null", O_WRONLY);

	/* The guest's output must not bury libFuzzer's (on stderr). */
	if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
		abort();
	close(null);
	return virtio_console_create(true);
}

static void host(struct virtio_dev *vd, const uint8_t *p, size_t len)
{
	/* A full pipe keeps the rest, as warden's host console does. */
	if (write(virtio_console_input_fd(vd), p, len) < 0)
		return;
}

/* Input the guest did not take would be the next input's: read it out of
 * the pipe (the device's watched fd that is not a queue's). */
static void drain(struct virtio_dev *vd)
{
	uint8_t buf[4096];

	for (unsigned i = 0; i < vd->worker.nwatch; i++)
		if (vd->worker.watch[i].fd >= 0)
			while (read(vd->worker.watch[i].fd, buf, sizeof(buf)) > 0)
				;
}

static const struct fz_dev console = { .create = create, .host = host, .drain = drain };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_dev_run(&console, data, size);
}
