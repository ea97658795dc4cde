/* GET /stats: the --stats JSON (schema warden-stats/2) of the VM as it
 * runs, on demand.  The exit tables are read while the vCPUs write them
 * (no vCPU is stopped): counts can be a few exits apart between two
 * parts of one answer; every array read is a fixed-size one. */
#include <stdio.h>
#include <stdlib.h>

#include "accounting/exit_stats.h"
#include "accounting/stats_json.h"
#include "api/api_state.h"
#include "core/vm.h"

/* The devices and their work counters, as main gathers them at the end. */
static void add_devices(struct stats_report *rep, const struct vm *vm)
{
	rep->ndevices = vm->ndevices < STATS_MAX_DEVICES ? vm->ndevices : STATS_MAX_DEVICES;
	for (unsigned i = 0; i < rep->ndevices; i++) {
		const struct device *d = vm->devices[i];
		const struct device_counters *c = d->counters;

		snprintf(rep->name_buf[i], sizeof(rep->name_buf[i]), "%s", d->name);
		rep->device_name[i] = rep->name_buf[i];
		rep->coalesced[i] = __atomic_load_n(&d->coalesced, __ATOMIC_RELAXED);
		if (!c)
			continue;
		rep->has_counters[i] = true;
		rep->counters[i] = (struct device_counters){ 0 };
		device_counters_add(&rep->counters[i], c);
	}
}

int api_get_stats(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	struct stats_report *rep;
	json_object *o;

	(void)id;
	(void)b;
	if (!a->ran || !a->stats)
		return api_fault(r, "The requested operation is not supported before starting the microVM.");
	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return api_fault(r, "out of memory");
	if (a->vm)
		vm_sync_observer(a->vm); /* an idle vCPU's last exits too */
	rep->nvcpus = a->ncpus;
	rep->vcpu = a->stats;
	rep->wall_ns = now_ns() - a->started_ns;
	rep->ns_per_tick = clock_cal_ns_per_cycle(&a->cal);
	rep->end_reason = a->phase == API_RUNNING ? "running" : "stopped";
	rep->kvm_missing = "not read while the VM runs";
	if (a->vm)
		add_devices(rep, a->vm);
	o = stats_json_build(rep);
	free(rep);
	return api_ok_json(r, o);
}
