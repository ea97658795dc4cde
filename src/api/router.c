/* From a request to its resource's handler: the route (routes.c), the
 * body parsed and the path's id checked once, the handler run under the
 * API's lock, the request counted for the metrics. */
#include <string.h>

#include "api/api_state.h"
#include "api/body.h"
#include "api/routes.h"
#include "util/error.h"

static api_handler *const handlers[API_NROUTES] = {
	[ROUTE_GET_INSTANCE] = api_get_instance,
	[ROUTE_GET_VERSION] = api_get_version,
	[ROUTE_GET_VM_CONFIG] = api_get_vm_config,
	[ROUTE_GET_MACHINE_CONFIG] = api_get_machine_config,
	[ROUTE_GET_EXITS] = api_get_exits,
	[ROUTE_PUT_BOOT_SOURCE] = api_put_boot_source,
	[ROUTE_PUT_MACHINE_CONFIG] = api_put_machine_config,
	[ROUTE_PUT_DRIVE] = api_put_drive,
	[ROUTE_PATCH_DRIVE] = api_patch_drive,
	[ROUTE_PATCH_NETWORK] = api_patch_network,
	[ROUTE_PUT_NETWORK] = api_put_network,
	[ROUTE_PUT_VSOCK] = api_put_vsock,
	[ROUTE_PUT_ENTROPY] = api_put_entropy,
	[ROUTE_PUT_ACTIONS] = api_put_actions,
	[ROUTE_PATCH_VM] = api_patch_vm,
	[ROUTE_PUT_SNAPSHOT_CREATE] = api_put_snapshot_create,
	[ROUTE_PUT_SNAPSHOT_LOAD] = api_put_snapshot_load,
	[ROUTE_PUT_METRICS] = api_put_metrics,
	[ROUTE_PUT_LOGGER] = api_put_logger,
	[ROUTE_GET_STATS] = api_get_stats,
	[ROUTE_PUT_MMDS] = api_put_mmds,
	[ROUTE_PATCH_MMDS] = api_patch_mmds,
	[ROUTE_GET_MMDS] = api_get_mmds,
	[ROUTE_PUT_MMDS_CONFIG] = api_put_mmds_config,
};

int api_apply(struct api *a, int i, const char *id, json_object *body, struct api_response *r)
{
	int ret;

	if (id && body_check_id(id, "the id in the path") < 0)
		return api_fault_err(r);
	pthread_mutex_lock(&a->lock);
	ret = handlers[i](a, id, body, r);
	pthread_mutex_unlock(&a->lock);
	return ret;
}

void api_route(struct api *a, const char *method, const char *path, const char *body, size_t len,
	       struct api_response *r)
{
	const char *id = NULL;
	json_object *o = NULL;
	int i = api_route_find(method, path, &id), ret;

	*r = (struct api_response){ 0 };
	if (i < 0) {
		api_fault(r, "Invalid request method and/or path: %.16s %.200s.", method, path);
		return;
	}
	if (strcmp(method, "GET") != 0 && !(o = body_parse(body, len)))
		ret = api_fault_err(r);
	else
		ret = api_apply(a, i, id, o, r);
	api_metrics_count(&a->metrics, (unsigned)i, ret < 0);
	json_object_put(o);
}
