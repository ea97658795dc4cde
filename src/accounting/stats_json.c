/* The exit table as JSON (--stats FILE.json), written with json-c. */
#include <json-c/json.h>
#include <stdlib.h>

#include "accounting/exit_stats.h"
#include "util/error.h"

static json_object *hist_json(const struct histogram *h)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "count", json_object_new_uint64(h->count));
	json_object_object_add(o, "total_ns", json_object_new_uint64(h->sum));
	json_object_object_add(o, "mean_ns", json_object_new_double(hist_mean(h)));
	json_object_object_add(o, "p50_ns", json_object_new_uint64(hist_percentile(h, 50)));
	json_object_object_add(o, "p99_ns", json_object_new_uint64(hist_percentile(h, 99)));
	json_object_object_add(o, "max_ns", json_object_new_uint64(h->max));
	return o;
}

static json_object *reasons_json(const struct exit_stats *s)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < STATS_NREASONS; i++)
		if (s->reason[i].count)
			json_object_object_add(o, stats_reason_name(i), hist_json(&s->reason[i]));
	return o;
}

static json_object *devices_json(const struct stats_report *r, const struct exit_stats *s)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++)
		if (s->device[i].count)
			json_object_object_add(o, r->device_name[i], hist_json(&s->device[i]));
	return o;
}

/* Work next to exits: what each device did for the exits it caused. */
static json_object *device_work_json(const struct stats_report *r, const struct exit_stats *s)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; i < r->ndevices && i < STATS_MAX_DEVICES; i++) {
		const struct device_counters *c = &r->counters[i];
		json_object *d;

		if (!r->has_counters[i])
			continue;
		d = json_object_new_object();
		json_object_object_add(d, "exits", json_object_new_uint64(s->device[i].count));
		json_object_object_add(d, "requests", json_object_new_uint64(c->requests));
		json_object_object_add(d, "bytes", json_object_new_uint64(c->bytes));
		json_object_object_add(d, "notifies", json_object_new_uint64(c->notifies));
		json_object_object_add(d, "interrupts", json_object_new_uint64(c->interrupts));
		json_object_object_add(d, "errors", json_object_new_uint64(c->errors));
		json_object_object_add(o, r->device_name[i], d);
	}
	return o;
}

static json_object *unclaimed_json(const struct exit_stats *s)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < STATS_UNCLAIMED_SLOTS; i++) {
		const struct unclaimed_addr *u = &s->unclaimed[i];
		json_object *e;
		char addr[24];

		if (!u->used)
			continue;
		e = json_object_new_object();
		snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)u->addr);
		json_object_object_add(e, "space", json_object_new_string(u->space ? "mmio" : "pio"));
		json_object_object_add(e, "addr", json_object_new_string(addr));
		json_object_object_add(e, "count", json_object_new_uint64(u->count));
		json_object_array_add(a, e);
	}
	return a;
}

int stats_write_json(const char *path, const struct stats_report *r)
{
	struct exit_stats *all = calloc(1, sizeof(*all));
	json_object *root, *vcpus;
	int ret = 0;

	if (!all)
		return fail(ERR_HOST, "out of memory");
	stats_merge_all(r, all);
	root = json_object_new_object();
	json_object_object_add(root, "wall_ns", json_object_new_uint64(r->wall_ns));
	json_object_object_add(root, "end_reason", json_object_new_string(r->end_reason ? r->end_reason : ""));
	json_object_object_add(root, "vcpus", json_object_new_int((int)r->nvcpus));
	json_object_object_add(root, "total_exits", json_object_new_uint64(stats_total(all)));
	json_object_object_add(root, "run_ns", json_object_new_uint64(all->run_ns));
	json_object_object_add(root, "reasons", reasons_json(all));
	json_object_object_add(root, "devices", devices_json(r, all));
	json_object_object_add(root, "unclaimed", unclaimed_json(all));
	json_object_object_add(root, "device_work", device_work_json(r, all));
	json_object_object_add(root, "unclaimed_overflow", json_object_new_uint64(all->unclaimed_overflow));
	vcpus = json_object_new_array();
	for (unsigned c = 0; c < r->nvcpus; c++) {
		json_object *v = json_object_new_object();
		json_object_object_add(v, "id", json_object_new_int((int)c));
		json_object_object_add(v, "total_exits", json_object_new_uint64(stats_total(&r->vcpu[c])));
		json_object_object_add(v, "run_ns", json_object_new_uint64(r->vcpu[c].run_ns));
		json_object_object_add(v, "reasons", reasons_json(&r->vcpu[c]));
		json_object_array_add(vcpus, v);
	}
	json_object_object_add(root, "per_vcpu", vcpus);
	if (json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY) < 0)
		ret = fail(ERR_USAGE, "cannot write stats to %s: %s", path, json_util_get_last_err());
	json_object_put(root);
	free(all);
	return ret;
}
