/* The paths the API serves, in one table: the router pairs each with its
 * handler, the metrics name each one's counters after it. */
#ifndef WARDEN_API_ROUTES_H
#define WARDEN_API_ROUTES_H

#include <stdbool.h>

struct api_route {
	const char *method;
	const char *path;   /* a path taking an id ends with '/' */
	bool id;            /* PATH{id} */
	/* Firecracker's metrics key ("drive": drive_count, drive_fails); routes
	 * of one method may share one (PUT /mmds and /mmds/config: the sum). */
	const char *metric;
};

enum {
	ROUTE_GET_INSTANCE, ROUTE_GET_VERSION, ROUTE_GET_VM_CONFIG, ROUTE_GET_MACHINE_CONFIG,
	ROUTE_GET_EXITS, ROUTE_PUT_BOOT_SOURCE, ROUTE_PUT_MACHINE_CONFIG, ROUTE_PUT_DRIVE,
	ROUTE_PATCH_DRIVE, ROUTE_PUT_NETWORK, ROUTE_PUT_VSOCK, ROUTE_PUT_ENTROPY, ROUTE_PUT_ACTIONS,
	ROUTE_PATCH_VM, ROUTE_PUT_SNAPSHOT_CREATE, ROUTE_PUT_SNAPSHOT_LOAD, ROUTE_PUT_METRICS,
	ROUTE_PUT_LOGGER, ROUTE_GET_STATS, ROUTE_PATCH_NETWORK, ROUTE_PUT_MMDS, ROUTE_PATCH_MMDS,
	ROUTE_GET_MMDS, ROUTE_PUT_MMDS_CONFIG,
	API_NROUTES
};

extern const struct api_route api_routes[API_NROUTES];

/* The route for METHOD PATH (its id, if it takes one, in *ID), or -1. */
int api_route_find(const char *method, const char *path, const char **id);

#endif
