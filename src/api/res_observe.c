/* PUT /logger and /metrics, and what a client reads: GET / (the state),
 * /version, /vm/config, and warden's own GET /exits (the live exit
 * counts by reason). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "accounting/exit_stats.h"
#include "api/api_state.h"
#include "api/body.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"
#include "util/version.h"

/* Firecracker's log levels; Debug and Trace make warden verbose. */
static int log_level(const char *level, bool *verbose)
{
	static const char *const levels[] = { "Off", "Error", "Warning", "Info", "Debug", "Trace" };

	for (unsigned i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(level, levels[i]) == 0) {
			*verbose = i >= 4;
			return 0;
		}
	return fail(ERR_USAGE, "/logger: level must be Off, Error, Warning, Info, Debug or Trace, not '%.32s'", level);
}

/* warden's diagnostics (its stderr) go to PATH from now on. */
static int redirect_log(const char *path)
{
	int fd = api_open_sink(path, "log_path");

	if (fd < 0)
		return -1;
	if (dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		return fail_errno(ERR_HOST, "log_path %s: dup2", path);
	}
	close(fd);
	return 0;
}

int api_put_logger(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = {
		{ "log_path", BODY_STRING, false }, { "level", BODY_STRING, false },
		{ "show_level", BODY_BOOL, false }, { "show_log_origin", BODY_BOOL, false },
		{ "module", BODY_STRING, false },
	};
	const char *path, *level;
	bool verbose = log_verbose;

	(void)id;
	if (!api_before_start(a, r))
		return -1;
	if (BODY_CHECK(b, fields, "/logger") < 0)
		return api_fault_err(r);
	path = body_string(b, "log_path");
	level = body_string(b, "level");
	if ((level && log_level(level, &verbose) < 0) || (path && body_check_path(path, "log_path") < 0))
		return api_fault_err(r);
	if (a->log_path && path)
		return api_fault(r, "Reconfiguring the logger is not allowed.");
	if ((path && redirect_log(path) < 0) || api_set_string(&a->log_path, path ? path : a->log_path) < 0 ||
	    (level && api_set_string(&a->log_level, level) < 0))
		return api_fault_err(r);
	log_verbose = verbose;
	return api_no_content(r);
}

int api_put_metrics(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = { { "metrics_path", BODY_STRING, true } };
	const char *path;

	(void)id;
	if (!api_before_start(a, r))
		return -1;
	if (BODY_CHECK(b, fields, "/metrics") < 0)
		return api_fault_err(r);
	path = body_string(b, "metrics_path");
	if (body_check_path(path, "metrics_path") < 0 || api_metrics_open(a, path) < 0 ||
	    api_set_string(&a->metrics_path, path) < 0)
		return api_fault_err(r);
	return api_no_content(r);
}

static const char *state_name(const struct api *a)
{
	switch (a->phase) {
	case API_CONFIGURING:
	case API_STARTING: return "Not started";
	case API_RUNNING: return a->paused ? "Paused" : "Running";
	case API_ENDED: break;
	}
	return "Stopped";
}

int api_get_instance(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	json_object *o = json_object_new_object();

	(void)id;
	(void)b;
	json_object_object_add(o, "app_name", json_object_new_string("warden"));
	json_object_object_add(o, "id", json_object_new_string(a->o->instance_id ? a->o->instance_id
										  : "anonymous-instance"));
	json_object_object_add(o, "state", json_object_new_string(state_name(a)));
	json_object_object_add(o, "vmm_version", json_object_new_string(WARDEN_VERSION));
	/* Firecracker's older InstanceInfo, which Kata's driver polls. */
	json_object_object_add(o, "started", json_object_new_boolean(a->phase == API_RUNNING));
	return api_ok_json(r, o);
}

int api_get_version(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	json_object *o = json_object_new_object();

	(void)a;
	(void)id;
	(void)b;
	json_object_object_add(o, "firecracker_version", json_object_new_string(WARDEN_VERSION));
	return api_ok_json(r, o);
}

int api_get_vm_config(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	(void)id;
	(void)b;
	return api_ok_json(r, api_vm_config(a));
}

/* The exits that reached warden so far, by reason (every vCPU's live
 * counters: read without stopping a vCPU), and each vCPU's total. */
int api_get_exits(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	json_object *o = json_object_new_object(), *reasons = json_object_new_object();
	json_object *vcpus = json_object_new_array();
	uint64_t total = 0, per[API_MAX_VCPUS] = { 0 };

	(void)id;
	(void)b;
	if (a->vm)
		vm_sync_observer(a->vm); /* an idle vCPU's last exits too */
	for (unsigned s = 0; s < STATS_NREASONS; s++) {
		uint64_t n = 0;

		for (unsigned v = 0; a->stats && v < a->ncpus; v++) {
			uint64_t c = stats_live_count(&a->stats[v], s);

			n += c;
			if (v < API_MAX_VCPUS)
				per[v] += c;
		}
		if (n)
			json_object_object_add(reasons, stats_reason_name(s), json_object_new_uint64(n));
		total += n;
	}
	for (unsigned v = 0; a->stats && v < a->ncpus && v < API_MAX_VCPUS; v++)
		json_object_array_add(vcpus, json_object_new_uint64(per[v]));
	json_object_object_add(o, "state", json_object_new_string(state_name(a)));
	json_object_object_add(o, "total", json_object_new_uint64(total));
	json_object_object_add(o, "reasons", reasons);
	json_object_object_add(o, "vcpus", vcpus);
	return api_ok_json(r, o);
}
