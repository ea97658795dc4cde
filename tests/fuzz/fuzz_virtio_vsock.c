/* virtio-vsock (src/virtio/vsock*.c, backends/vsock_host.c): the packets
 * the guest sends on the transmit queue (header, op, ports, length,
 * credit), what the device puts on the receive and event queues, the
 * connection table and its bounds, and the host side's Unix-socket
 * protocol: the "CONNECT <port>\n" line a host connection starts with
 * and the stream after it.  A driver session on guest-written rings
 * (tests/fuzz/virtio_dev_fuzz.h) over the real device, its listener on a
 * scratch path and real host sockets.
 *
 * Host bytes: records, each u8 kind then u8 length and that many bytes:
 *   kind % 4 == 0..2: a host connection to the device's socket that
 *     writes the bytes (a CONNECT line, most seeds, then stream data);
 *   kind % 4 == 3: the bytes go to the last host socket again (more of
 *     the stream, or of a line split in two).
 * A guest REQUEST to host port 1024 or 5000 reaches a listener the
 * harness holds at "<path>_1024" / "<path>_5000"; what the guest sends
 * there is read and echoed back once.  Every host socket is closed at
 * the end of the input, as a host that goes away.
 *
 * Checked besides the sanitizers: the process holds no more fds after a
 * session than after the first (a guest must not make warden leak host
 * sockets); a few of slack, as a leak repeats and passes it soon. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "virtio/vsock.h"
#include "virtio_dev_fuzz.h"

#define MAX_HOST 16 /* host sockets of one input: connections and accepted */

static char uds[64];
static int port_listen[2] = { -1, -1 };
static int host_fd[MAX_HOST];
static unsigned nhost;

static int unix_socket(const char *path, bool listen_on)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0)
		return -1;
	if (listen_on ? bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 :
			connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void remove_paths(void)
{
	char p[80];

	unlink(uds);
	snprintf(p, sizeof(p), "%s_1024", uds);
	unlink(p);
	snprintf(p, sizeof(p), "%s_5000", uds);
	unlink(p);
}

static struct virtio_dev *create(void)
{
	struct vsock_spec s;
	char p[80];
	static const unsigned ports[2] = { 1024, 5000 };

	snprintf(uds, sizeof(uds), "/tmp/fuzz-vsock-%d", (int)getpid());
	remove_paths();
	atexit(remove_paths);
	for (unsigned i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s_%u", uds, ports[i]);
		port_listen[i] = unix_socket(p, true);
		if (port_listen[i] < 0)
			abort();
	}
	if (virtio_vsock_spec(&s, 3, uds) < 0)
		abort();
	return virtio_vsock_create(&s);
}

static void keep(int fd)
{
	if (fd < 0)
		return;
	if (nhost == MAX_HOST) {
		close(fd);
		return;
	}
	host_fd[nhost++] = fd;
}

static void host(struct virtio_dev *vd, const uint8_t *p, size_t len)
{
	struct fz f = { p, len };

	while (f.n) {
		uint8_t kind = fz_u8(&f);
		size_t n;
		const uint8_t *b = fz_bytes(&f, fz_u8(&f), &n);

		if (kind % 4 != 3)
			keep(unix_socket(uds, false));
		if (nhost && n && send(host_fd[nhost - 1], b, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			continue; /* the device stopped reading: as a host would see it */
	}
	/* The device takes the connections and their lines before the
	 * driver's first notification, so that a RESPONSE in the transmit
	 * ring finds its connection asked for. */
	for (int k = 0; k < 8 && fz_serve(vd, 0); k++)
		;
}

/* The guest's connections to the harness's ports: take them, read what
 * came, answer once (the device's receive path then has data). */
static void serve_ports(void)
{
	uint8_t buf[4096];

	for (unsigned i = 0; i < 2; i++) {
		int fd;

		while ((fd = accept4(port_listen[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
			keep(fd);
	}
	for (unsigned i = 0; i < nhost; i++) {
		ssize_t n = recv(host_fd[i], buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0 && send(host_fd[i], buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			continue;
	}
}

static void drain(struct virtio_dev *vd)
{
	/* One more round with the host's answers, then the host goes away. */
	serve_ports();
	for (unsigned q = 0; q < vd->type.nqueues; q++)
		if (!virtio_failed(vd) && vd->queue_ready[q])
			vd->ops->queue_notify(vd, q);
	for (int k = 0; k < 64 && fz_serve(vd, 0); k++)
		;
	for (unsigned i = 0; i < nhost; i++)
		close(host_fd[i]);
	nhost = 0;
}

static const struct fz_dev vsock = { .create = create, .host = host, .drain = drain };

/* How many fds the process has open (a leak makes it grow; the lowest
 * free one would not, with the harness's own sockets closed below it). */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int base = -1;
	struct vsock *v = fz_dev_get(&vsock)->priv;
	int now;

	/* The host ports a device hands out go on counting across driver
	 * resets (as Firecracker's do); start each input from the first, so
	 * that a RESPONSE in an input names the same port every run. */
	v->next_host_port = VSOCK_FIRST_HOST_PORT;
	fz_dev_run(&vsock, data, size);
	now = open_fds();
	fz_debug("open fds %d\n", now);
	if (base < 0)
		base = now; /* the device, its listener and its poll set exist by now */
	if (now > base + 8) {
		fprintf(stderr, "fuzz_virtio_vsock: %d fds open after the session, %d after the first: a leak\n",
			now, base);
		__builtin_trap();
	}
	return 0;
}
