/* Metrics as Firecracker writes them (PUT /metrics): one JSON line per
 * flush, every 60 s and at each FlushMetrics action, to a file or named
 * pipe, and when the VM stops.  Counters count since the previous flush (each flush resets
 * them); every group is present in every line, with zeros for a device
 * the VM lacks.  warden adds its exit counts by reason (warden_exits). */
#ifndef WARDEN_API_METRICS_H
#define WARDEN_API_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accounting/exit_stats.h"
#include "api/routes.h"

/* Firecracker's WRITE_METRICS_PERIOD_MS. */
#define API_METRICS_PERIOD_MS 60000
/* The device groups of a line, by device name prefix. */
#define API_METRICS_NGROUPS 4
#define API_METRICS_NCOUNTERS 6 /* per device group (metrics.c) */

struct api;

struct api_metrics {
	int fd;               /* the metrics file, or -1 (not configured) */
	int stop_fd;          /* eventfd ending the periodic thread */
	int period_ms;        /* API_METRICS_PERIOD_MS, or the test hook's */
	pthread_t thread;
	bool thread_running;
	uint64_t cpu_us_at_listen; /* process CPU time when the API answered */
	/* Requests per route since the last flush (the server's thread
	 * counts, a flush takes and resets). */
	_Atomic uint64_t count[API_NROUTES], fails[API_NROUTES];
	/* What the previous flush saw, to count since then. */
	uint64_t last_exits[STATS_NREASONS];
	uint64_t last_dev[VM_MAX_DEVICES][API_METRICS_NCOUNTERS];
	uint64_t lines, missed; /* written, and lost (a full pipe) */
};

void api_metrics_init(struct api_metrics *m);
void api_metrics_count(struct api_metrics *m, unsigned route, bool failed);
/* PUT /metrics: open PATH and start the periodic flush.  Lock held. */
int api_metrics_open(struct api *a, const char *path);
/* One line now (FlushMetrics).  Lock held; -1 with fail() if not configured. */
int api_metrics_flush(struct api *a);
/* The end of the thread and the file (api_vm_stopped wrote the last
 * line).  Lock NOT held. */
void api_metrics_stop(struct api *a);

#endif
