#include "api/server.h"

#include "api/api_state.h"
#include "util/error.h"

#ifdef WARDEN_NO_API

int api_listen(struct api *a, const char *path)
{
	(void)a;
	return fail(ERR_USAGE, "--api-sock %s: this warden was built without the API server "
			       "(libmicrohttpd; the static build): use --config-file", path);
}

void api_server_stop(struct api *a)
{
	(void)a;
}

#else

#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* A slow or stuck client cannot hold a connection longer than this. */
#define API_CONN_TIMEOUT_S 10
#define API_MAX_CONNS 16

struct api_server {
	struct MHD_Daemon *daemon;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	_Atomic int in_flight; /* requests read but not yet fully answered */
};

/* One request's body, gathered across the handler's calls. */
struct request {
	char *buf;
	size_t len;
	bool too_large;
};

static enum MHD_Result send_response(struct MHD_Connection *c, const struct api_response *r)
{
	const char *text = r->body ? json_object_to_json_string_ext(r->body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "";
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								   MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (r->body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result too_large(struct MHD_Connection *c)
{
	struct api_response r = { 0 };
	enum MHD_Result ret;

	api_fault(&r, "Request payload is larger than the limit of %d bytes allowed by the server.",
		  API_MAX_BODY);
	ret = send_response(c, &r);
	json_object_put(r.body);
	return ret;
}

/* A Content-Length over the limit is refused before its body is read. */
static bool declared_too_large(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > API_MAX_BODY;
}

static void gather(struct request *q, const char *data, size_t n)
{
	char *b;

	if (q->too_large || n > API_MAX_BODY - q->len) {
		q->too_large = true; /* the rest is read and dropped */
		return;
	}
	b = realloc(q->buf, q->len + n + 1);
	if (!b) {
		q->too_large = true;
		return;
	}
	memcpy(b + q->len, data, n);
	q->len += n;
	b[q->len] = 0;
	q->buf = b;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct api *a = cls;
	struct request *q = *con_cls;
	struct api_response r;
	enum MHD_Result ret;

	(void)version;
	if (!q) { /* the headers are in; the body (if any) follows */
		if (!(q = calloc(1, sizeof(*q))))
			return MHD_NO;
		*con_cls = q;
		a->server->in_flight++;
		return declared_too_large(c) ? too_large(c) : MHD_YES;
	}
	if (*data_size) {
		gather(q, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	if (q->too_large)
		return too_large(c);
	api_route(a, method, url, q->buf, q->len, &r);
	ret = send_response(c, &r);
	json_object_put(r.body);
	return ret;
}

/* Every request ends here, answered or not (a client gone mid-request). */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct request *q = *con_cls;

	(void)c;
	(void)toe;
	if (!q)
		return;
	free(q->buf);
	free(q);
	*con_cls = NULL;
	a->server->in_flight--;
}

static int bind_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(ERR_USAGE, "--api-sock %s: longer than a Unix socket path can be", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_errno(ERR_HOST, "--api-sock: socket");
	/* Where the socket goes is the user's choice: a path in use, a
	 * missing or read-only directory are user errors (status 2). */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fail_errno(ERR_USAGE, "--api-sock %s", path);
		close(fd);
		return -1;
	}
	if (listen(fd, API_MAX_CONNS) < 0) {
		fail_errno(ERR_HOST, "--api-sock %s: listen", path);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

static uint64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct MHD_Daemon *start_daemon(struct api *a, int fd)
{
	sigset_t all, old;
	struct MHD_Daemon *d;

	/* The server's thread takes no signal: they are the main thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request, a,
			     MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_MAX_CONNS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONN_TIMEOUT_S,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

int api_listen(struct api *a, const char *path)
{
	struct api_server *s = calloc(1, sizeof(*s));
	int fd;

	if (!s)
		return fail(ERR_HOST, "out of memory");
	fd = bind_socket(path);
	if (fd < 0) {
		free(s);
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	a->server = s;
	a->metrics.cpu_us_at_listen = cpu_us();
	s->daemon = start_daemon(a, fd);
	if (!s->daemon) {
		close(fd);
		unlink(path);
		free(s);
		a->server = NULL;
		return fail(ERR_HOST, "--api-sock %s: libmicrohttpd could not start", path);
	}
	return 0;
}

void api_server_stop(struct api *a)
{
	struct api_server *s = a->server;
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	if (!s)
		return;
	/* An answer being written (InstanceStart's, when the VM failed to
	 * start) gets out before the socket goes: at most a second. */
	for (int i = 0; i < 100 && s->in_flight > 0; i++)
		nanosleep(&tick, NULL);
	MHD_stop_daemon(s->daemon); /* closes the listening socket too */
	unlink(s->path);
	free(s);
	a->server = NULL;
}

#endif
