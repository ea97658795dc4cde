/* vhost-net's ioctl protocol (linux/vhost.h): owner, features, memory
 * table, then per ring its size, start index, addresses, kick and call
 * eventfds, and last the backend (the tap), which starts the kernel's
 * worker on it. */
#include "backends/vhost_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/error.h"

int vhost_net_open(const char *device, uint64_t *features)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			return fail(ERR_USAGE, "%s: no such device on this host (modprobe vhost_net)",
				    device);
		if (errno == EACCES || errno == EPERM)
			return fail(ERR_USAGE, "%s: permission denied", device);
		return fail_errno(ERR_HOST, "%s", device);
	}
	if (ioctl(fd, VHOST_SET_OWNER) < 0 || ioctl(fd, VHOST_GET_FEATURES, features) < 0) {
		fail_errno(ERR_HOST, "%s: VHOST_SET_OWNER/GET_FEATURES", device);
		close(fd);
		return -1;
	}
	return fd;
}

static int set_mem(int fd, const struct guest_mem *mem)
{
	struct vhost_memory *t = calloc(1, sizeof(*t) + mem->nregions * sizeof(t->regions[0]));
	int r;

	if (!t)
		return fail(ERR_HOST, "out of memory");
	t->nregions = mem->nregions;
	for (unsigned i = 0; i < mem->nregions; i++)
		t->regions[i] = (struct vhost_memory_region){
			.guest_phys_addr = mem->regions[i].gpa,
			.memory_size = mem->regions[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)mem->regions[i].hva,
		};
	r = ioctl(fd, VHOST_SET_MEM_TABLE, t);
	free(t);
	return r < 0 ? fail_errno(ERR_HOST, "vhost: VHOST_SET_MEM_TABLE") : 0;
}

static int set_ring(int fd, unsigned i, const struct vhost_ring *r)
{
	struct vhost_vring_state num = { .index = i, .num = r->size }, base = { .index = i, .num = r->base };
	struct vhost_vring_addr addr = {
		.index = i,
		.desc_user_addr = (uint64_t)(uintptr_t)r->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)r->avail,
		.used_user_addr = (uint64_t)(uintptr_t)r->used,
	};
	struct vhost_vring_file kick = { .index = i, .fd = r->kick_fd }, call = { .index = i, .fd = r->call_fd };

	if (ioctl(fd, VHOST_SET_VRING_NUM, &num) < 0 || ioctl(fd, VHOST_SET_VRING_BASE, &base) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_ADDR, &addr) < 0 || ioctl(fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_CALL, &call) < 0)
		return fail_errno(ERR_HOST, "vhost: ring %u", i);
	return 0;
}

int vhost_net_start(int fd, uint64_t features, const struct guest_mem *mem,
		    const struct vhost_ring *ring, unsigned n, int tap)
{
	if (ioctl(fd, VHOST_SET_FEATURES, &features) < 0)
		return fail_errno(ERR_HOST, "vhost: VHOST_SET_FEATURES 0x%llx", (unsigned long long)features);
	if (set_mem(fd, mem) < 0)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (set_ring(fd, i, &ring[i]) < 0)
			return -1;
	for (unsigned i = 0; i < n; i++) {
		struct vhost_vring_file b = { .index = i, .fd = tap };

		if (ioctl(fd, VHOST_NET_SET_BACKEND, &b) < 0)
			return fail_errno(ERR_HOST, "vhost: VHOST_NET_SET_BACKEND ring %u", i);
	}
	return 0;
}

int vhost_net_set_call(int fd, unsigned i, int call_fd)
{
	struct vhost_vring_file call = { .index = i, .fd = call_fd };

	if (ioctl(fd, VHOST_SET_VRING_CALL, &call) < 0)
		return fail_errno(ERR_HOST, "vhost: VHOST_SET_VRING_CALL ring %u", i);
	return 0;
}

int vhost_net_busyloop(int fd, unsigned n, unsigned us)
{
	for (unsigned i = 0; i < n; i++) {
		struct vhost_vring_state s = { .index = i, .num = us };

		if (ioctl(fd, VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &s) < 0)
			return fail_errno(ERR_HOST, "vhost: VHOST_SET_VRING_BUSYLOOP_TIMEOUT ring %u", i);
	}
	return 0;
}

int vhost_net_stop(int fd, unsigned n, uint16_t *base)
{
	for (unsigned i = 0; i < n; i++) {
		struct vhost_vring_file detach = { .index = i, .fd = -1 };
		struct vhost_vring_state st = { .index = i };

		if (ioctl(fd, VHOST_NET_SET_BACKEND, &detach) < 0 || ioctl(fd, VHOST_GET_VRING_BASE, &st) < 0)
			return fail_errno(ERR_HOST, "vhost-net: ring %u: stopping it", i);
		base[i] = (uint16_t)st.num;
	}
	return 0;
}
