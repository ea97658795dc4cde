/* The HTTP side: libmicrohttpd on a Unix socket, one thread of its own
 * (epoll, accept, read, write: all the API's system calls are there and
 * in metrics.c).  Built without libmicrohttpd (WARDEN_NO_API, the static
 * binary), api_listen refuses and --config-file still works. */
#ifndef WARDEN_API_SERVER_H
#define WARDEN_API_SERVER_H

struct api;

/* Stop serving: answers still being written get up to a second. */
void api_server_stop(struct api *a);

#endif
