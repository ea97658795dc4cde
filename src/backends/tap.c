#include "backends/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "util/error.h"

_Static_assert(TAP_OFFLOAD_CSUM == TUN_F_CSUM && TAP_OFFLOAD_TSO4 == TUN_F_TSO4 &&
		       TAP_OFFLOAD_TSO6 == TUN_F_TSO6 && TAP_OFFLOAD_TSO_ECN == TUN_F_TSO_ECN,
	       "tap offload bits are the kernel's TUN_F_* bits");

static int open_tun(const char *name)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		return fail(ERR_USAGE, "--net tap=%s: no /dev/net/tun (is the tun module loaded?)", name);
	return fail_errno(ERR_USAGE, "--net tap=%s: cannot open /dev/net/tun", name);
}

/* TUNSETIFF failed with errno: say why in the user's terms. */
static int setiff_error(const char *name, bool multi_queue)
{
	switch (errno) {
	case EBUSY:
		return fail(ERR_USAGE, "--net tap=%s: the tap is in use by another program", name);
	case EPERM:
	case EACCES:
		return fail(ERR_USAGE, "--net tap=%s: no permission to use or create it "
			    "(needs CAP_NET_ADMIN, or a persistent tap owned by this user)", name);
	case EINVAL:
		if (multi_queue)
			return fail(ERR_USAGE, "--net tap=%s: an interface of that name exists and is not a "
				    "multi-queue tap (queues=N needs one, or a name that does not exist)", name);
		return fail(ERR_USAGE, "--net tap=%s: an interface of that name exists and is not a tap device",
			    name);
	default:
		return fail_errno(ERR_USAGE, "--net tap=%s: TUNSETIFF", name);
	}
}

int tap_open(const char *name, bool *created, bool multi_queue)
{
	struct ifreq ifr;
	int fd = open_tun(name);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	/* No packet-information prefix; a virtio-net header instead. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi_queue ? IFF_MULTI_QUEUE : 0);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		setiff_error(name, multi_queue);
		close(fd);
		return -1;
	}
	/* A tap we did not create is persistent: a non-persistent one only
	 * lives while its creator has it open, and then it is busy. */
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		fail_errno(ERR_HOST, "--net tap=%s: TUNGETIFF", name);
		close(fd);
		return -1;
	}
	*created = !(ifr.ifr_flags & IFF_PERSIST);
	/* Until the guest says what it can take, the kernel finishes every
	 * checksum and segment itself. */
	if (tap_set_offload(fd, name, 0) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tap_set_vnet_hdr_len(int fd, const char *name, int len)
{
	if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0)
		return fail_errno(ERR_HOST, "tap %s: TUNSETVNETHDRSZ %d", name, len);
	return 0;
}

int tap_queue_enable(int fd, const char *name, bool on)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	/* Attaching an attached queue (or detaching a detached one) is EINVAL:
	 * nothing to do. */
	if (ioctl(fd, TUNSETQUEUE, &ifr) < 0 && errno != EINVAL)
		return fail_errno(ERR_HOST, "tap %s: TUNSETQUEUE %s", name, on ? "attach" : "detach");
	return 0;
}

int tap_set_offload(int fd, const char *name, unsigned flags)
{
	if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) < 0)
		return fail_errno(ERR_HOST, "tap %s: TUNSETOFFLOAD 0x%x", name, flags);
	return 0;
}
