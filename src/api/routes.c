#include "api/routes.h"

#include <string.h>

const struct api_route api_routes[API_NROUTES] = {
	[ROUTE_GET_INSTANCE] = { "GET", "/", false, "instance_info" },
	[ROUTE_GET_VERSION] = { "GET", "/version", false, "vmm_version" },
	[ROUTE_GET_VM_CONFIG] = { "GET", "/vm/config", false, "vm_config" },
	[ROUTE_GET_MACHINE_CONFIG] = { "GET", "/machine-config", false, "machine_cfg" },
	[ROUTE_GET_EXITS] = { "GET", "/exits", false, "exits" },
	[ROUTE_PUT_BOOT_SOURCE] = { "PUT", "/boot-source", false, "boot_source" },
	[ROUTE_PUT_MACHINE_CONFIG] = { "PUT", "/machine-config", false, "machine_cfg" },
	[ROUTE_PUT_DRIVE] = { "PUT", "/drives/", true, "drive" },
	[ROUTE_PATCH_DRIVE] = { "PATCH", "/drives/", true, "drive" },
	[ROUTE_PUT_NETWORK] = { "PUT", "/network-interfaces/", true, "network" },
	[ROUTE_PUT_VSOCK] = { "PUT", "/vsock", false, "vsock" },
	[ROUTE_PUT_ENTROPY] = { "PUT", "/entropy", false, "entropy" },
	[ROUTE_PUT_ACTIONS] = { "PUT", "/actions", false, "actions" },
	[ROUTE_PATCH_VM] = { "PATCH", "/vm", false, "vm" },
	[ROUTE_PUT_SNAPSHOT_CREATE] = { "PUT", "/snapshot/create", false, "snapshot_create" },
	[ROUTE_PUT_SNAPSHOT_LOAD] = { "PUT", "/snapshot/load", false, "snapshot_load" },
	[ROUTE_PUT_METRICS] = { "PUT", "/metrics", false, "metrics" },
	[ROUTE_PUT_LOGGER] = { "PUT", "/logger", false, "logger" },
	[ROUTE_GET_STATS] = { "GET", "/stats", false, "stats" },
	[ROUTE_PATCH_NETWORK] = { "PATCH", "/network-interfaces/", true, "network" },
	[ROUTE_PUT_MMDS] = { "PUT", "/mmds", false, "mmds" },
	[ROUTE_PATCH_MMDS] = { "PATCH", "/mmds", false, "mmds" },
	[ROUTE_GET_MMDS] = { "GET", "/mmds", false, "mmds" },
	[ROUTE_PUT_MMDS_CONFIG] = { "PUT", "/mmds/config", false, "mmds" },
};

int api_route_find(const char *method, const char *path, const char **id)
{
	for (unsigned i = 0; i < API_NROUTES; i++) {
		const struct api_route *r = &api_routes[i];
		size_t n = strlen(r->path);

		if (strcmp(method, r->method) != 0)
			continue;
		if (!r->id && strcmp(path, r->path) == 0) {
			*id = NULL;
			return (int)i;
		}
		if (r->id && strncmp(path, r->path, n) == 0 && path[n] && !strchr(path + n, '/')) {
			*id = path + n;
			return (int)i;
		}
	}
	return -1;
}
