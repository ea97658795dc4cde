/* The host side of virtio-vsock, as Firecracker defines it: Unix stream
 * sockets stand for the host's vsock ports.
 *
 *   host-initiated: the host connects to UDS_PATH and writes
 *     "CONNECT <guest port>\n"; once the guest accepts, it reads
 *     "OK <host port>\n" (the port the guest sees it connect from) and
 *     the socket carries the stream from then on.
 *   guest-initiated: a guest connection to host port P becomes a
 *     connection to the Unix socket "<UDS_PATH>_<P>", on which host
 *     software listens.
 *
 * Every socket here is non-blocking and close-on-exec, so the device's
 * I/O thread never waits in a call. */
#ifndef WARDEN_BACKENDS_VSOCK_HOST_H
#define WARDEN_BACKENDS_VSOCK_HOST_H

#include <stddef.h>
#include <stdint.h>

/* sun_path's size, less "_4294967295" and its NUL: the longest UDS_PATH
 * whose per-port paths all fit. */
#define VSOCK_UDS_MAX (108 - 12)
/* The longest "CONNECT <port>\n" line accepted (with the newline). */
#define VSOCK_HELLO_MAX 32

/* Bind and listen on PATH (ERR_USAGE when it exists or cannot be bound:
 * the user named it).  Returns the fd or -1. */
int vsock_host_listen(const char *path);
/* Accept one connection: fd, or -1 (errno EAGAIN when there is none). */
int vsock_host_accept(int listen_fd);
/* Connect to "<PATH>_<PORT>": fd, or -1 with errno (nobody listens). */
int vsock_host_connect(const char *path, uint32_t port);

/* Parse one line the host wrote (LEN bytes, ending with '\n'): 0 and the
 * guest port in *PORT for "CONNECT <port>\n", -1 for anything else. */
int vsock_host_parse_connect(const char *line, size_t len, uint32_t *port);
/* "OK <port>\n" into BUF (at least 16 bytes); returns its length. */
size_t vsock_host_ok_line(char *buf, uint32_t port);

#endif
