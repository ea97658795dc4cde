#include "api/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "api/api_state.h"
#include "core/vm.h"
#include "mmds/mmds.h"
#include "util/error.h"
#include "util/thread.h"
#include "sandbox/seccomp.h"

/* The device groups, Firecracker's names, by warden's device names. */
static const struct { const char *key, *prefix; } groups[API_METRICS_NGROUPS] = {
	{ "block", "virtio-blk" }, { "net", "virtio-net" },
	{ "entropy", "virtio-rng" }, { "vsock", "virtio-vsock" },
};
/* The last is Firecracker's own key for requests a rate limiter delayed. */
static const char *const counter_names[API_METRICS_NCOUNTERS] = { "requests", "bytes", "notifies", "interrupts",
								  "errors", "rate_limiter_throttled_events" };

void api_metrics_init(struct api_metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->stop_fd = -1;
}

void api_metrics_count(struct api_metrics *m, unsigned route, bool failed)
{
	if (route >= API_NROUTES)
		return;
	atomic_fetch_add_explicit(&m->count[route], 1, memory_order_relaxed);
	if (failed)
		atomic_fetch_add_explicit(&m->fails[route], 1, memory_order_relaxed);
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

/* KEY += V: routes that share a metrics key (PUT /mmds and /mmds/config,
 * as Firecracker counts them) add up in it. */
static void sum_u64(json_object *o, const char *key, uint64_t v)
{
	json_object *cur = json_object_object_get(o, key);

	add_u64(o, key, v + (cur ? json_object_get_uint64(cur) : 0));
}

/* get_api_requests, put_api_requests, patch_api_requests: each route's
 * requests (and failed ones, for changes) since the last flush. */
static void add_requests(json_object *line, struct api_metrics *m)
{
	static const char *const methods[3] = { "GET", "PUT", "PATCH" };
	static const char *const keys[3] = { "get_api_requests", "put_api_requests", "patch_api_requests" };
	char k[64];

	for (unsigned g = 0; g < 3; g++) {
		json_object *o = json_object_new_object();

		for (unsigned i = 0; i < API_NROUTES; i++) {
			if (strcmp(api_routes[i].method, methods[g]) != 0)
				continue;
			snprintf(k, sizeof(k), "%s_count", api_routes[i].metric);
			sum_u64(o, k, atomic_exchange(&m->count[i], 0));
			snprintf(k, sizeof(k), "%s_fails", api_routes[i].metric);
			sum_u64(o, k, atomic_exchange(&m->fails[i], 0));
		}
		json_object_object_add(line, keys[g], o);
	}
}

/* What a counter went up by since LAST saw it (a new boot starts at 0). */
static uint64_t since(uint64_t now, uint64_t *last)
{
	uint64_t d = now >= *last ? now - *last : now;

	*last = now;
	return d;
}

static void add_devices(json_object *line, struct api *a)
{
	struct api_metrics *m = &a->metrics;
	uint64_t sum[API_METRICS_NGROUPS][API_METRICS_NCOUNTERS] = { { 0 } };
	unsigned n = a->vm ? a->vm->ndevices : 0;

	for (unsigned i = 0; i < n && i < VM_MAX_DEVICES; i++) {
		const struct device *d = a->vm->devices[i];
		const struct device_counters *c = d->counters;
		uint64_t now[API_METRICS_NCOUNTERS];

		if (!c)
			continue;
		now[0] = __atomic_load_n(&c->requests, __ATOMIC_RELAXED);
		now[1] = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
		now[2] = __atomic_load_n(&c->notifies, __ATOMIC_RELAXED);
		now[3] = __atomic_load_n(&c->interrupts, __ATOMIC_RELAXED);
		now[4] = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
		now[5] = __atomic_load_n(&c->throttled, __ATOMIC_RELAXED);
		for (unsigned g = 0; g < API_METRICS_NGROUPS; g++)
			if (strncmp(d->name, groups[g].prefix, strlen(groups[g].prefix)) == 0)
				for (unsigned k = 0; k < API_METRICS_NCOUNTERS; k++)
					sum[g][k] += since(now[k], &m->last_dev[i][k]);
	}
	for (unsigned g = 0; g < API_METRICS_NGROUPS; g++) {
		json_object *o = json_object_new_object();

		for (unsigned k = 0; k < API_METRICS_NCOUNTERS; k++)
			add_u64(o, counter_names[k], sum[g][k]);
		json_object_object_add(line, groups[g].key, o);
	}
}

/* mmds: the metadata service's counts since the last line (Firecracker's
 * group and names; all 0 without a store). */
static void add_mmds(json_object *line, struct api *a)
{
	json_object *o = json_object_new_object();
	uint64_t v[MMDS_NCOUNTERS];

	mmds_metrics_take(a->o->virtio.mmds, v);
	for (unsigned c = 0; c < MMDS_NCOUNTERS; c++)
		add_u64(o, mmds_counter_names[c], v[c]);
	json_object_object_add(line, "mmds", o);
}

/* warden_exits: exits that reached warden by reason, every named reason. */
static void add_exits(json_object *line, struct api *a)
{
	json_object *o = json_object_new_object();
	uint64_t total = 0;

	if (a->vm)
		vm_sync_observer(a->vm); /* an idle vCPU's last exits too */
	for (unsigned s = 0; s < STATS_NREASONS; s++) {
		const char *name = stats_reason_name(s);
		uint64_t now = 0;

		if (strncmp(name, "reason_", 7) == 0)
			continue;
		for (unsigned v = 0; a->stats && v < a->ncpus; v++)
			now += stats_live_count(&a->stats[v], s);
		now = since(now, &a->metrics.last_exits[s]);
		add_u64(o, name, now);
		total += now;
	}
	add_u64(o, "total", total);
	json_object_object_add(line, "warden_exits", o);
}

static json_object *metrics_line(struct api *a)
{
	json_object *line = json_object_new_object(), *srv = json_object_new_object();
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	add_u64(line, "utc_timestamp_ms", (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	add_u64(srv, "process_startup_time_cpu_us", a->metrics.cpu_us_at_listen);
	json_object_object_add(line, "api_server", srv);
	add_requests(line, &a->metrics);
	add_devices(line, a);
	add_mmds(line, a);
	add_exits(line, a);
	return line;
}

int api_metrics_flush(struct api *a)
{
	struct api_metrics *m = &a->metrics;
	json_object *line;
	const char *text;
	char *buf;
	size_t n;
	ssize_t w;

	if (m->fd < 0)
		return fail(ERR_USAGE, "metrics are not configured (PUT /metrics first)");
	line = metrics_line(a);
	text = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(text);
	buf = malloc(n + 1);
	if (buf) {
		memcpy(buf, text, n);
		buf[n] = '\n';
		/* One write: a pipe takes a line whole or not at all (a reader
		 * that does not keep up loses lines, never the VM its time). */
		w = write(m->fd, buf, n + 1);
		if (w == (ssize_t)n + 1)
			m->lines++;
		else
			m->missed++;
	}
	free(buf);
	json_object_put(line);
	return buf ? 0 : fail(ERR_HOST, "out of memory");
}

/* WARDEN_TEST_METRICS_PERIOD_MS=N (100 to 60000): the period, so that the
 * native tier sees periodic lines in a second, not a minute. */
static int period_ms(void)
{
	const char *s = getenv("WARDEN_TEST_METRICS_PERIOD_MS");
	char *end;
	long n;

	if (!s || !*s)
		return API_METRICS_PERIOD_MS;
	n = strtol(s, &end, 10);
	return !*end && n >= 100 && n <= API_METRICS_PERIOD_MS ? (int)n : API_METRICS_PERIOD_MS;
}

static void *periodic(void *arg)
{
	struct api *a = arg;
	struct pollfd p = { .fd = a->metrics.stop_fd, .events = POLLIN };

	seccomp_enter(THREAD_METRICS);
	for (;;) {
		int r = poll(&p, 1, a->metrics.period_ms);

		if (r != 0 && !(r < 0 && errno == EINTR))
			break; /* stopped (or poll failed: no more periodic lines) */
		if (r == 0) {
			pthread_mutex_lock(&a->lock);
			api_metrics_flush(a);
			pthread_mutex_unlock(&a->lock);
		}
	}
	return NULL;
}

static int start_thread(struct api *a)
{
	struct api_metrics *m = &a->metrics;
	int e;

	m->period_ms = period_ms();
	m->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (m->stop_fd < 0)
		return fail_errno(ERR_HOST, "metrics: eventfd");
	/* Signals are for the main thread (a first SIGTERM asks the guest). */
	e = thread_start_unsignalled(&m->thread, periodic, a);
	if (e) {
		errno = e;
		return fail_errno(ERR_HOST, "metrics: thread");
	}
	m->thread_running = true;
	return 0;
}

int api_metrics_open(struct api *a, const char *path)
{
	struct api_metrics *m = &a->metrics;

	if (m->fd >= 0)
		return fail(ERR_USAGE, "Reconfiguring the metrics system is not allowed.");
	/* Non-blocking: a named pipe without a reader must not hold the
	 * API's thread (the line is lost, counted in missed). */
	m->fd = api_open_sink(path, "metrics_path");
	if (m->fd < 0)
		return -1;
	if (start_thread(a) < 0) {
		close(m->fd);
		m->fd = -1;
		return -1;
	}
	return 0;
}

void api_metrics_stop(struct api *a)
{
	struct api_metrics *m = &a->metrics;
	uint64_t one = 1;

	if (m->thread_running) {
		ssize_t w = write(m->stop_fd, &one, sizeof(one)); /* cannot fail: a fresh eventfd */

		(void)w;
		pthread_join(m->thread, NULL);
		m->thread_running = false;
	}
	if (m->stop_fd >= 0)
		close(m->stop_fd);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = m->stop_fd = -1;
}
