/* virtio-net (src/virtio/net.c): transmit framing (header, frame length
 * bounds, readable-only chains) and receive (one chain per packet or
 * mergeable buffers across chains, num_buffers, packets waiting for
 * room) on guest-written rings (tests/fuzz/virtio_dev_fuzz.h).
 *
 * The tap is a stand-in: this file defines backends/tap.h's functions,
 * so the linker takes them instead of tap.o (no /dev/net/tun, no
 * privileges), and the "tap" is one end of a datagram socket pair: each
 * datagram is a frame, with its virtio-net header, as a tap gives and
 * takes them.  The host side sends the input's host bytes as frames
 * (u16 length, then the frame) and reads what the guest sent.  The
 * metadata service is on, so its ARP, IPv4, TCP and HTTP are fuzzed by
 * the guest's frames too. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/tap.h"
#include "mmds/mmds.h"
#include "virtio_dev_fuzz.h"

static int peer = -1;

int tap_open(const char *name, bool *created, bool multi_queue)
{
	int sv[2];

	(void)name;
	(void)multi_queue;
	*created = true;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	peer = sv[1];
	return sv[0];
}

int tap_queue_enable(int fd, const char *name, bool on)
{
	(void)fd;
	(void)name;
	(void)on;
	return 0;
}

int tap_set_vnet_hdr_len(int fd, const char *name, int len)
{
	(void)fd;
	(void)name;
	(void)len;
	return 0;
}

int tap_set_offload(int fd, const char *name, unsigned flags)
{
	(void)fd;
	(void)name;
	(void)flags;
	return 0;
}

/* The metadata service is on (mmds=on): frames the guest sends to
 * 169.254.169.254 reach its stack and HTTP server instead of the tap.
 * One store for every input (a static: reachable, not a leak). */
static struct virtio_dev *create(void)
{
	static const char data[] = "{\"latest\":{\"meta-data\":{\"ami-id\":\"ami-1\",\"n\":1}}}";
	static struct mmds *store;
	struct net_spec n = { .tap = "fuzz0", .mmds = true };

	if (!store && (!(store = mmds_new(MMDS_DEFAULT_SIZE_LIMIT)) || mmds_put(store, data, strlen(data)) < 0))
		abort();
	return virtio_net_create(&n, 0, store, MMDS_DEFAULT_IPV4);
}

static void host(struct virtio_dev *vd, const uint8_t *p, size_t len)
{
	struct fz f = { p, len };

	(void)vd;
	while (f.n) {
		size_t n;
		const uint8_t *frame = fz_bytes(&f, fz_u16(&f), &n);

		if (send(peer, frame, n, 0) < 0)
			return; /* full: the rest is lost, as on a wire */
	}
}

/* Frames left on either side would be the next input's. */
static void drain(struct virtio_dev *vd)
{
	static uint8_t buf[70000];

	while (recv(peer, buf, sizeof(buf), 0) >= 0)
		;
	for (unsigned i = 0; i < vd->worker.nwatch; i++)
		if (vd->worker.watch[i].fd >= 0)
			while (read(vd->worker.watch[i].fd, buf, sizeof(buf)) > 0)
				;
}

static const struct fz_dev net = { .create = create, .host = host, .drain = drain };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_dev_run(&net, data, size);
}
