/* --config-file FILE: Firecracker's JSON, one key per resource, applied
 * through the same handlers (and checks) as the API's requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api_state.h"
#include "api/body.h"
#include "api/routes.h"
#include "util/error.h"
#include "util/file.h"

/* Far more than any real configuration; a bound on what is read. */
#define CONFIG_MAX_BYTES (1 << 20)

/* The keys in the order they are applied (the logger first, so that it
 * sees the rest), each with its route; LIST: an array of objects with an id. */
static const struct {
	const char *key;
	int route;
	const char *id_field; /* non-NULL: an array keyed by this field */
} keys[] = {
	{ "logger", ROUTE_PUT_LOGGER, NULL },
	{ "metrics", ROUTE_PUT_METRICS, NULL },
	{ "machine-config", ROUTE_PUT_MACHINE_CONFIG, NULL },
	{ "boot-source", ROUTE_PUT_BOOT_SOURCE, NULL },
	{ "drives", ROUTE_PUT_DRIVE, "drive_id" },
	{ "network-interfaces", ROUTE_PUT_NETWORK, "iface_id" },
	{ "mmds-config", ROUTE_PUT_MMDS_CONFIG, NULL }, /* names interfaces: after them */
	{ "vsock", ROUTE_PUT_VSOCK, NULL },
	{ "entropy", ROUTE_PUT_ENTROPY, NULL },
};
/* Firecracker's resources warden lacks: accepted only as null. */
static const char *const absent_keys[] = { "balloon", "cpu-config" };

/* One resource: -1 with fail() naming KEY. */
static int apply(struct api *a, const char *key, int route, const char *id, json_object *body)
{
	struct api_response r = { 0 };
	json_object *msg;
	int ret;

	if (!json_object_is_type(body, json_type_object))
		return fail(ERR_USAGE, "%s: must be an object", key);
	ret = api_apply(a, route, id, body, &r);
	msg = r.body ? json_object_object_get(r.body, "fault_message") : NULL;
	if (ret < 0)
		fail(ERR_USAGE, "%s: %s", key, msg ? json_object_get_string(msg) : "refused");
	json_object_put(r.body);
	return ret;
}

static int apply_list(struct api *a, const char *key, int route, const char *id_field, json_object *v)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return fail(ERR_USAGE, "%s: must be an array", key);
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(v, i);
		json_object *id = json_object_is_type(item, json_type_object) ? json_object_object_get(item, id_field) : NULL;

		if (!json_object_is_type(id, json_type_string))
			return fail(ERR_USAGE, "%s[%zu]: needs %s, a string", key, i, id_field);
		if (apply(a, key, route, json_object_get_string(id), item) < 0)
			return -1;
	}
	return 0;
}

static int known_key(const char *key)
{
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			return 1;
	for (unsigned i = 0; i < sizeof(absent_keys) / sizeof(absent_keys[0]); i++)
		if (strcmp(key, absent_keys[i]) == 0)
			return 2;
	return 0;
}

static int apply_all(struct api *a, json_object *root)
{
	json_object_object_foreach(root, key, val) {
		int k = known_key(key);

		if (!k)
			return fail(ERR_USAGE, "unknown key '%.64s'", key);
		if (k == 2 && val)
			return fail(ERR_USAGE, "%s is not supported by warden (give null or leave it out)", key);
	}
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_object *v = json_object_object_get(root, keys[i].key);

		if (!v)
			continue;
		if (keys[i].id_field ? apply_list(a, keys[i].key, keys[i].route, keys[i].id_field, v) < 0
				     : apply(a, keys[i].key, keys[i].route, NULL, v) < 0)
			return -1;
	}
	return a->boot_source ? 0 : fail(ERR_USAGE, "no boot-source: warden has no kernel to boot");
}

int api_load_config(struct api *a, const char *path)
{
	uint8_t *buf;
	size_t len;
	json_object *root;
	struct stat st;
	int ret;

	if (!a)
		return 0;
	if (stat(path, &st) == 0 && st.st_size > CONFIG_MAX_BYTES)
		return fail(ERR_USAGE, "--config-file %s: larger than %d bytes", path, CONFIG_MAX_BYTES);
	if (file_read_all(path, "--config-file", &buf, &len) < 0)
		return -1;
	root = body_parse((const char *)buf, len);
	free(buf);
	ret = root ? apply_all(a, root) : -1;
	json_object_put(root);
	if (ret < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err_msg());
		return fail(ERR_USAGE, "--config-file %s: %s", path, why);
	}
	pthread_mutex_lock(&a->lock);
	a->from_file = true;
	a->phase = API_STARTING; /* no InstanceStart: the file boots at once */
	pthread_mutex_unlock(&a->lock);
	return 0;
}
