/* The host side of the vsock tests, speaking Firecracker's protocol to
 * warden's virtio-vsock over Unix sockets: the native tier's bare-metal
 * guest (guests/vsock_guest.c) and the emulated tier's Linux guest
 * (guest/tools/vsock.c) are driven the same way.  Static, so that it runs
 * in the emulated tier's L1 too.
 *
 *   vsock-host UDS
 *   A: listens on UDS_5000 for the guest's connection, reads it to the
 *      end, answers with A_REPLY_BYTES random bytes and closes.
 *   B: connects to UDS, writes "CONNECT 6000", reads "OK <port>" (tries
 *      again while the guest is not listening yet), sends B_BYTES random
 *      bytes, shuts its sending side and reads the echo to the end.
 *
 * One line per fact on stdout ("host: A in BYTES FNV", ...), for the test
 * to compare with what the guest printed.  Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guests/vsock_exchange.h"

#define MAX_IN (4 << 20)
#define TIMEOUT 60

/* One whole line at a time: the two sides share stdout. */
static void say(const char *what, size_t n, const uint8_t *p)
{
	char line[128];
	int len = snprintf(line, sizeof(line), "host: %s %zu 0x%llx\n", what, n, (unsigned long long)fnv(FNV_INIT, p, n));

	if (write(STDOUT_FILENO, line, (size_t)len) != len)
		exit(1);
}

static void die(const char *what)
{
	char line[160];
	int len = snprintf(line, sizeof(line), "host: error %s: %s\n", what, strerror(errno));

	if (write(STDOUT_FILENO, line, (size_t)len) < 0)
		exit(1);
	exit(1);
}

static int unix_socket(const char *path, struct sockaddr_un *a)
{
	struct timeval tv = { .tv_sec = TIMEOUT };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (fd < 0 || strlen(path) >= sizeof(a->sun_path))
		die("socket");
	memcpy(a->sun_path, path, strlen(path) + 1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static size_t read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;
	ssize_t r;

	while (got < cap && (r = recv(fd, buf + got, cap - got, 0)) > 0)
		got += (size_t)r;
	if (got < cap && r < 0)
		die("recv");
	return got;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			die("send");
		p += w;
		n -= (size_t)w;
	}
}

static uint8_t *random_bytes(size_t n)
{
	uint8_t *p = malloc(n);
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (!p || fd < 0 || read(fd, p, n) != (ssize_t)n)
		die("/dev/urandom");
	close(fd);
	return p;
}

static void side_a(int listener)
{
	uint8_t *in = malloc(MAX_IN), *reply = random_bytes(A_REPLY_BYTES);
	int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	struct timeval tv = { .tv_sec = TIMEOUT };
	size_t n;

	if (fd < 0 || !in)
		die("accept on _5000");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = read_all(fd, in, MAX_IN);
	say("A in", n, in);
	send_all(fd, reply, A_REPLY_BYTES);
	say("A out", A_REPLY_BYTES, reply);
	close(fd);
}

/* Connect to UDS and ask for guest port 6000 until the guest accepts:
 * the socket, its "OK <port>" line in LINE. */
static int connect_guest(const char *uds, char *line, size_t cap)
{
	char hello[32];
	int hl = snprintf(hello, sizeof(hello), "CONNECT %d\n", B_GUEST_PORT);

	for (int tries = 0; tries < 20 * TIMEOUT; tries++, usleep(50000)) {
		struct sockaddr_un a;
		int fd = unix_socket(uds, &a);
		size_t n = 0;

		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    send(fd, hello, (size_t)hl, MSG_NOSIGNAL) != hl) {
			close(fd); /* warden not up yet */
			continue;
		}
		while (n + 1 < cap && recv(fd, line + n, 1, 0) == 1 && line[n] != '\n')
			n++;
		line[n] = 0;
		if (strncmp(line, "OK ", 3) == 0)
			return fd;
		close(fd); /* no OK: nobody listens on the guest's port yet */
	}
	errno = ETIMEDOUT;
	die(hello);
	return -1;
}

static void side_b(const char *uds)
{
	uint8_t *data = random_bytes(B_BYTES), *echo = malloc(MAX_IN);
	char line[64], out[96];
	size_t n;
	int fd = connect_guest(uds, line, sizeof(line)), len;

	len = snprintf(out, sizeof(out), "host: B line %s\n", line);
	if (!echo || write(STDOUT_FILENO, out, (size_t)len) != len)
		die("stdout");
	send_all(fd, data, B_BYTES);
	shutdown(fd, SHUT_WR);
	n = read_all(fd, echo, MAX_IN);
	say("B sent", B_BYTES, data);
	say("B echo", n, echo);
	close(fd);
}

int main(int argc, char **argv)
{
	struct sockaddr_un a;
	char path[128];
	int listener, st;
	pid_t pid;

	if (argc != 2 || strlen(argv[1]) > 96) {
		fprintf(stderr, "usage: vsock-host UDS_PATH\n");
		return 2;
	}
	alarm(3 * TIMEOUT); /* whatever happens, end */
	snprintf(path, sizeof(path), "%s_%d", argv[1], A_HOST_PORT);
	listener = unix_socket(path, &a);
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(listener, 4) < 0)
		die("bind _5000");
	if (write(STDOUT_FILENO, "host: listening\n", 16) != 16)
		return 1;
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		side_a(listener);
		return 0;
	}
	side_b(argv[1]);
	waitpid(pid, &st, 0);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
