#include "backends/vsock_host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/error.h"

static int unix_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -1;
	memcpy(a->sun_path, path, strlen(path) + 1);
	return 0;
}

static int unix_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int vsock_host_listen(const char *path)
{
	struct sockaddr_un a;
	int fd;

	if (strlen(path) > VSOCK_UDS_MAX || unix_addr(&a, path) < 0)
		return fail(ERR_USAGE, "--vsock uds=%s: longer than %d characters", path, VSOCK_UDS_MAX);
	fd = unix_socket();
	if (fd < 0)
		return fail_errno(ERR_HOST, "vsock: socket");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		/* Like Firecracker, never remove a file the user named. */
		fail_errno(ERR_USAGE, "--vsock uds=%s: cannot bind%s", path,
			   errno == EADDRINUSE ? " (remove the stale socket file)" : "");
		close(fd);
		return -1;
	}
	if (listen(fd, 64) < 0) {
		fail_errno(ERR_HOST, "vsock: listen on %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int vsock_host_accept(int listen_fd)
{
	return accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int vsock_host_connect(const char *path, uint32_t port)
{
	struct sockaddr_un a;
	char p[sizeof(a.sun_path) + 16];
	int fd, e;

	snprintf(p, sizeof(p), "%s_%u", path, port);
	if (unix_addr(&a, p) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = unix_socket();
	if (fd < 0)
		return -1;
	/* A Unix connect completes at once or fails (EAGAIN: the listener's
	 * backlog is full); it never stays in progress. */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int vsock_host_parse_connect(const char *line, size_t len, uint32_t *port)
{
	static const char cmd[] = "CONNECT ";
	uint64_t v = 0;
	size_t i = sizeof(cmd) - 1;

	if (len <= i + 1 || len > VSOCK_HELLO_MAX || memcmp(line, cmd, i) != 0 || line[len - 1] != '\n')
		return -1;
	for (; i < len - 1; i++) {
		if (line[i] < '0' || line[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(line[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*port = (uint32_t)v;
	return 0;
}

size_t vsock_host_ok_line(char *buf, uint32_t port)
{
	return (size_t)snprintf(buf, 16, "OK %u\n", port);
}
