/* GET /vm/config: everything configured, in the --config-file format
 * (Firecracker's FullVmConfiguration), so its answer boots the same VM. */
#include <stdio.h>
#include <string.h>

#include "api/api_state.h"

static void add_str(json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *boot_source(const struct api *a)
{
	json_object *o;

	if (!a->boot_source)
		return NULL;
	o = json_object_new_object();
	add_str(o, "kernel_image_path", a->kernel);
	add_str(o, "initrd_path", a->initrd);
	add_str(o, "boot_args", a->boot_args);
	return o;
}

static json_object *bucket(const struct bucket_spec *b)
{
	json_object *o;

	if (!bucket_spec_limits(b))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "size", json_object_new_uint64(b->size));
	json_object_object_add(o, "one_time_burst", json_object_new_uint64(b->burst));
	json_object_object_add(o, "refill_time", json_object_new_uint64(b->refill_ms));
	return o;
}

/* Firecracker's RateLimiter, or null when S limits nothing. */
static json_object *rate_limiter(const struct rate_spec *s)
{
	json_object *o;

	if (!rate_spec_limits(s))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "bandwidth", bucket(&s->bw));
	json_object_object_add(o, "ops", bucket(&s->ops));
	return o;
}

static json_object *drives(const struct api *a)
{
	json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < a->o->virtio.ndisks; i++) {
		const struct disk_spec *d = &a->o->virtio.disks[i];
		json_object *o = json_object_new_object();

		add_str(o, "drive_id", a->drive_id[i]);
		/* A --disk's path ends at its first comma (its flags follow). */
		json_object_object_add(o, "path_on_host",
				       json_object_new_string_len(d->path, (int)strcspn(d->path, ",")));
		json_object_object_add(o, "is_root_device", json_object_new_boolean(d->root));
		json_object_object_add(o, "is_read_only", json_object_new_boolean(d->readonly));
		json_object_object_add(o, "rate_limiter", rate_limiter(&d->rate));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *interfaces(const struct api *a)
{
	json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < a->o->virtio.nnets; i++) {
		const struct net_spec *n = &a->o->virtio.nets[i];
		json_object *o = json_object_new_object();
		const uint8_t *m = n->mac;
		char mac[18];

		add_str(o, "iface_id", a->iface_id[i]);
		add_str(o, "host_dev_name", n->tap);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		if (n->has_mac)
			add_str(o, "guest_mac", mac);
		json_object_object_add(o, "rx_rate_limiter", rate_limiter(&n->rx_rate));
		json_object_object_add(o, "tx_rate_limiter", rate_limiter(&n->tx_rate));
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *vsock(const struct api *a)
{
	json_object *o;

	if (!a->vsock)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "guest_cid", json_object_new_uint64(a->vsock_cid));
	add_str(o, "uds_path", a->vsock_uds);
	return o;
}

static json_object *entropy(const struct api *a)
{
	json_object *o;

	if (!a->o->virtio.rng)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "rate_limiter", rate_limiter(&a->o->virtio.rng_rate));
	return o;
}

/* PUT /mmds/config's body, or null when no interface allows MMDS. */
static json_object *mmds_config(const struct api *a)
{
	const struct virtio_config *v = &a->o->virtio;
	json_object *o, *ids = NULL;
	uint32_t ip = virtio_mmds_ipv4(v);
	char addr[16];

	for (unsigned i = 0; i < v->nnets; i++)
		if (v->nets[i].mmds) {
			if (!ids)
				ids = json_object_new_array();
			json_object_array_add(ids, json_object_new_string(a->iface_id[i]));
		}
	if (!ids)
		return NULL;
	o = json_object_new_object();
	add_str(o, "version", v->mmds_spec.version == MMDS_V2 ? "V2" : "V1");
	json_object_object_add(o, "network_interfaces", ids);
	snprintf(addr, sizeof(addr), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	add_str(o, "ipv4_address", addr);
	json_object_object_add(o, "imds_compat", json_object_new_boolean(v->mmds_spec.imds_compat));
	return o;
}

/* An object with one string KEY = V, or null when V is unset. */
static json_object *one(const char *key, const char *v)
{
	json_object *o;

	if (!v)
		return NULL;
	o = json_object_new_object();
	add_str(o, key, v);
	return o;
}

json_object *api_vm_config(struct api *a)
{
	json_object *o = json_object_new_object(), *logger = one("log_path", a->log_path);

	if (!logger && a->log_level) /* a level without a path: stderr stays */
		logger = json_object_new_object();

	json_object_object_add(o, "boot-source", boot_source(a));
	json_object_object_add(o, "drives", drives(a));
	json_object_object_add(o, "machine-config", api_machine_config(a));
	json_object_object_add(o, "network-interfaces", interfaces(a));
	json_object_object_add(o, "vsock", vsock(a));
	json_object_object_add(o, "entropy", entropy(a));
	if (logger && a->log_level)
		add_str(logger, "level", a->log_level);
	json_object_object_add(o, "logger", logger);
	json_object_object_add(o, "metrics", one("metrics_path", a->metrics_path));
	json_object_object_add(o, "balloon", NULL);
	json_object_object_add(o, "mmds-config", mmds_config(a));
	return o;
}
