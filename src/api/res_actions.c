/* PUT /actions (InstanceStart, SendCtrlAltDel, FlushMetrics), PATCH /vm
 * (Paused, Resumed), PUT /snapshot/create and /snapshot/load.  What warden
 * does elsewhere (pause, snapshots, the power button) is reached through
 * the hook table; a missing hook is a 400. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api_state.h"
#include "api/body.h"
#include "util/error.h"
#include "util/log.h"

#define NOT_IN_BUILD(what) api_fault(r, "%s is not supported by this build", what)

/* Hand the start to main (api_wait_start) and wait until it has either
 * the VM running or a reason it could not (then a fault). */
static int start_vm(struct api *a, struct api_response *r)
{
	uint64_t one = 1;

	if (write(a->wake_fd, &one, sizeof(one)) != sizeof(one))
		return api_fault(r, "cannot wake warden's main thread");
	a->phase = API_STARTING; /* main reads it under the lock this thread holds */
	while (a->phase == API_STARTING)
		pthread_cond_wait(&a->cond, &a->lock);
	if (!a->ran) /* a guest may end before this answer: it ran, 204 */
		return api_fault(r, "%s", a->start_error);
	return 0;
}

static int instance_start(struct api *a, struct api_response *r)
{
	if (!api_before_start(a, r))
		return -1;
	if (!a->boot_source)
		return api_fault(r, "Cannot start the microVM without a boot source: PUT /boot-source first.");
	return start_vm(a, r) < 0 ? -1 : api_no_content(r);
}

int api_put_actions(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = { { "action_type", BODY_STRING, true } };
	const char *type;

	(void)id;
	if (BODY_CHECK(b, fields, "/actions") < 0)
		return api_fault_err(r);
	type = body_string(b, "action_type");
	if (strcmp(type, "InstanceStart") == 0)
		return instance_start(a, r);
	if (strcmp(type, "FlushMetrics") == 0)
		return api_metrics_flush(a) < 0 ? api_fault_err(r) : api_no_content(r);
	if (strcmp(type, "SendCtrlAltDel") != 0)
		return api_fault(r, "/actions: unknown action_type '%.32s' (InstanceStart, SendCtrlAltDel, FlushMetrics)",
				 type);
	if (!api_after_start(a, r))
		return -1;
	if (!a->hooks.ctrl_alt_del)
		return NOT_IN_BUILD("SendCtrlAltDel");
	return a->hooks.ctrl_alt_del(a->hooks.ctx) < 0 ? api_fault_err(r) : api_no_content(r);
}

int api_patch_vm(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = { { "state", BODY_STRING, true } };
	const char *state;
	bool pause;

	(void)id;
	if (BODY_CHECK(b, fields, "/vm") < 0)
		return api_fault_err(r);
	state = body_string(b, "state");
	pause = strcmp(state, "Paused") == 0;
	if (!pause && strcmp(state, "Resumed") != 0)
		return api_fault(r, "/vm: state must be Paused or Resumed, not '%.32s'", state);
	if (!api_after_start(a, r))
		return -1;
	if (!(pause ? a->hooks.pause : a->hooks.resume))
		return NOT_IN_BUILD(pause ? "pausing the VM" : "resuming the VM");
	if ((pause ? a->hooks.pause : a->hooks.resume)(a->vm) < 0)
		return api_fault_err(r);
	a->paused = pause;
	return api_no_content(r);
}

int api_put_snapshot_create(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = {
		{ "snapshot_type", BODY_STRING, false }, { "snapshot_path", BODY_STRING, true },
		{ "mem_file_path", BODY_STRING, true }, { "version", BODY_STRING, false },
	};
	const char *type, *state, *mem;

	(void)id;
	if (BODY_CHECK(b, fields, "/snapshot/create") < 0)
		return api_fault_err(r);
	type = body_string(b, "snapshot_type");
	state = body_string(b, "snapshot_path");
	mem = body_string(b, "mem_file_path");
	if (type && strcmp(type, "Full") != 0 && strcmp(type, "Diff") != 0)
		return api_fault(r, "/snapshot/create: snapshot_type must be Full or Diff, not '%.32s'", type);
	if (body_check_path(state, "snapshot_path") < 0 || body_check_path(mem, "mem_file_path") < 0)
		return api_fault_err(r);
	if (type && strcmp(type, "Diff") == 0)
		return api_fault(r, "/snapshot/create: Diff snapshots are not supported by warden");
	if (!api_after_start(a, r))
		return -1;
	if (!a->paused)
		return api_fault(r, "Cannot create a snapshot of a running microVM: PATCH /vm Paused first.");
	if (!a->hooks.snapshot_create)
		return NOT_IN_BUILD("/snapshot/create");
	return a->hooks.snapshot_create(a->vm, state, mem) < 0 ? api_fault_err(r) : api_no_content(r);
}

/* mem_file_path, or mem_backend {backend_type File|Uffd, backend_path}:
 * exactly one of them. */
static int load_memory(json_object *b, struct api_snapshot_load *req)
{
	static const struct body_field fields[] = {
		{ "backend_type", BODY_STRING, true }, { "backend_path", BODY_STRING, true },
	};
	json_object *be = body_object(b, "mem_backend");
	const char *type;

	req->mem_path = body_string(b, "mem_file_path");
	if (!be == !req->mem_path)
		return fail(ERR_USAGE, "/snapshot/load: give exactly one of mem_file_path and mem_backend");
	if (be) {
		if (BODY_CHECK(be, fields, "/snapshot/load mem_backend") < 0)
			return -1;
		type = body_string(be, "backend_type");
		if (strcmp(type, "File") != 0 && strcmp(type, "Uffd") != 0)
			return fail(ERR_USAGE, "/snapshot/load: backend_type must be File or Uffd, not '%.32s'", type);
		req->mem_uffd = strcmp(type, "Uffd") == 0;
		req->mem_path = body_string(be, "backend_path");
	}
	return body_check_path(req->mem_path, "the memory file's path");
}

/* One of network_overrides: {iface_id, host_dev_name}, both required;
 * the tap's name as /network-interfaces takes it (no comma or '=' that
 * would smuggle an option into --net). */
static int net_override(json_object *o, unsigned i, struct api_net_override *out)
{
	static const struct body_field fields[] = {
		{ "iface_id", BODY_STRING, true }, { "host_dev_name", BODY_STRING, true },
	};
	char what[64];
	const char *tap;

	snprintf(what, sizeof(what), "/snapshot/load network_overrides[%u]", i);
	if (!json_object_is_type(o, json_type_object))
		return fail(ERR_USAGE, "%s must be an object", what);
	if (BODY_CHECK(o, fields, what) < 0)
		return -1;
	out->iface_id = body_string(o, "iface_id");
	tap = out->host_dev_name = body_string(o, "host_dev_name");
	if (body_check_id(out->iface_id, "iface_id") < 0)
		return -1;
	if (!tap[0] || strpbrk(tap, ",=/ \t") || strlen(tap) >= sizeof(((struct net_spec *)0)->tap))
		return fail(ERR_USAGE, "%s: host_dev_name '%.32s' is not an interface name", what, tap);
	return 0;
}

/* network_overrides: an array of distinct interfaces, at most as many as
 * a machine can have (absent or null: none). */
static int load_net_overrides(json_object *b, struct api_snapshot_load *req)
{
	json_object *arr = json_object_object_get(b, "network_overrides");
	size_t n = arr ? json_object_array_length(arr) : 0;

	if (n > API_MAX_NET_OVERRIDES)
		return fail(ERR_USAGE, "/snapshot/load: network_overrides has %zu entries; a machine has at most %d "
			    "interfaces", n, API_MAX_NET_OVERRIDES);
	for (unsigned i = 0; i < n; i++) {
		struct api_net_override *o = &req->net_overrides[i];

		if (net_override(json_object_array_get_idx(arr, i), i, o) < 0)
			return -1;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(req->net_overrides[j].iface_id, o->iface_id) == 0)
				return fail(ERR_USAGE, "/snapshot/load: network_overrides names iface_id %s twice",
					    o->iface_id);
	}
	req->nnet_overrides = (unsigned)n;
	return 0;
}

int api_put_snapshot_load(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = {
		{ "snapshot_path", BODY_STRING, true }, { "mem_file_path", BODY_STRING, false },
		{ "mem_backend", BODY_OBJECT, false }, { "enable_diff_snapshots", BODY_BOOL, false },
		{ "resume_vm", BODY_BOOL, false }, { "track_dirty_pages", BODY_BOOL, false },
		{ "network_overrides", BODY_ARRAY, false },
	};
	struct api_snapshot_load req = { 0 };

	(void)id;
	if (BODY_CHECK(b, fields, "/snapshot/load") < 0 || load_memory(b, &req) < 0 ||
	    load_net_overrides(b, &req) < 0)
		return api_fault_err(r);
	req.snapshot_path = body_string(b, "snapshot_path");
	req.enable_diff_snapshots = body_bool(b, "enable_diff_snapshots", false) ||
				    body_bool(b, "track_dirty_pages", false);
	req.resume_vm = body_bool(b, "resume_vm", false);
	if (body_check_path(req.snapshot_path, "snapshot_path") < 0)
		return api_fault_err(r);
	if (req.mem_uffd)
		return api_fault(r, "/snapshot/load: backend_type Uffd is not supported by warden (File only)");
	if (req.enable_diff_snapshots)
		return api_fault(r, "/snapshot/load: diff snapshots (enable_diff_snapshots, track_dirty_pages) "
				 "are not supported by warden");
	if (!api_before_start(a, r))
		return -1;
	if (a->configured)
		return api_fault(r, "Loading a microVM snapshot not allowed after configuring boot-specific resources.");
	if (!a->hooks.snapshot_load)
		return NOT_IN_BUILD("/snapshot/load");
	if (a->hooks.snapshot_load(a->hooks.ctx, &req) < 0)
		return api_fault_err(r);
	/* The machine is the snapshot's: main builds and starts it as at
	 * InstanceStart (paused, without resume_vm, as Firecracker loads). */
	a->configured = a->boot_source = true;
	api_name_devices(a);
	if (api_set_string(&a->kernel, a->o->kernel) < 0 || api_set_string(&a->initrd, a->o->initrd) < 0 ||
	    api_set_string(&a->boot_args, a->o->cmdline) < 0)
		log_warn("/snapshot/load: %s", err_msg()); /* GET /vm/config only */
	if (start_vm(a, r) < 0)
		return -1;
	a->paused = !req.resume_vm;
	return api_no_content(r);
}
