/* PUT and PATCH /drives/{id}: virtio-blk disks (--disk), in the order
 * they were put, the root device first (as Firecracker attaches them). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api_state.h"
#include "api/body.h"
#include "util/error.h"

/* The slot of drive ID, or -1. */
static int drive_slot(const struct api *a, const char *id)
{
	for (unsigned i = 0; i < a->o->virtio.ndisks; i++)
		if (strcmp(a->drive_id[i], id) == 0)
			return (int)i;
	return -1;
}

/* The path of a drive: there, and writable unless read-only. */
static int check_backing(const char *path, bool readonly)
{
	if (body_check_path(path, "path_on_host") < 0)
		return -1;
	/* A --disk's path ends at its first comma: such a path would be
	 * another file to the device and to a snapshot's arguments. */
	if (strchr(path, ','))
		return fail(ERR_USAGE, "path_on_host %.64s: warden takes no comma in a drive's path", path);
	if (access(path, readonly ? R_OK : R_OK | W_OK) != 0)
		return fail_errno(ERR_USAGE, "path_on_host %s", path);
	return 0;
}

/* Features of Firecracker's drives warden does not have. */
static int unsupported(json_object *b)
{
	static const char *const fields[] = { "socket", "partuuid" };

	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (json_object_object_get(b, fields[i]))
			return fail(ERR_USAGE, "/drives: %s is not supported by warden", fields[i]);
	return 0;
}

static int check_choice(json_object *b, const char *field, const char *x, const char *y)
{
	const char *v = body_string(b, field);

	if (v && strcmp(v, x) != 0 && strcmp(v, y) != 0)
		return fail(ERR_USAGE, "/drives: %s must be %s or %s, not '%.32s'", field, x, y, v);
	return 0;
}

/* Move slot FROM to the front (the root device is vda). */
static void to_front(struct api *a, unsigned from)
{
	struct virtio_config *v = &a->o->virtio;
	struct disk_spec d = v->disks[from];
	char *path = a->disk_path[from], id[API_MAX_ID + 1];

	memcpy(id, a->drive_id[from], sizeof(id));
	for (unsigned i = from; i > 0; i--) {
		v->disks[i] = v->disks[i - 1];
		a->disk_path[i] = a->disk_path[i - 1];
		memcpy(a->drive_id[i], a->drive_id[i - 1], sizeof(id));
	}
	v->disks[0] = d;
	a->disk_path[0] = path;
	memcpy(a->drive_id[0], id, sizeof(id));
}

static int check_put(struct api *a, const char *id, json_object *b, int slot, struct rate_update *rate)
{
	static const struct body_field fields[] = {
		{ "drive_id", BODY_STRING, true }, { "path_on_host", BODY_STRING, true },
		{ "is_root_device", BODY_BOOL, true }, { "is_read_only", BODY_BOOL, false },
		{ "partuuid", BODY_STRING, false }, { "cache_type", BODY_STRING, false },
		{ "rate_limiter", BODY_OBJECT, false }, { "io_engine", BODY_STRING, false },
		{ "socket", BODY_STRING, false },
	};

	if (BODY_CHECK(b, fields, "/drives") < 0 || body_same_id(id, b, "drive_id") < 0 || unsupported(b) < 0 ||
	    body_rate_limiter(b, "rate_limiter", "/drives", rate) < 0 ||
	    check_choice(b, "cache_type", "Unsafe", "Writeback") < 0 ||
	    check_choice(b, "io_engine", "Sync", "Async") < 0 ||
	    check_backing(body_string(b, "path_on_host"), body_bool(b, "is_read_only", false)) < 0)
		return -1;
	if (slot < 0 && a->o->virtio.ndisks == VIRTIO_MAX_DISKS)
		return fail(ERR_USAGE, "/drives: warden takes at most %d drives", VIRTIO_MAX_DISKS);
	for (unsigned i = 0; body_bool(b, "is_root_device", false) && i < a->o->virtio.ndisks; i++)
		if (a->o->virtio.disks[i].root && (int)i != slot) /* a --disk ...,root counts too */
			return fail(ERR_USAGE, "A root block device already exists!");
	return 0;
}

int api_put_drive(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	struct virtio_config *v = &a->o->virtio;
	int slot = drive_slot(a, id);
	struct rate_update rate;
	struct disk_spec *d;
	unsigned i;

	if (!api_before_start(a, r))
		return -1;
	if (check_put(a, id, b, slot, &rate) < 0)
		return api_fault_err(r);
	i = slot >= 0 ? (unsigned)slot : v->ndisks;
	if (api_set_string(&a->disk_path[i], body_string(b, "path_on_host")) < 0)
		return api_fault_err(r);
	if (slot < 0)
		v->ndisks++;
	d = &v->disks[i];
	/* An empty file is a placeholder, as Firecracker takes it: a disk of
	 * no sectors until PATCH gives it a real file (Kata's hot plug). */
	*d = (struct disk_spec){ .path = a->disk_path[i], .readonly = body_bool(b, "is_read_only", false),
				 .root = body_bool(b, "is_root_device", false), .empty_ok = true,
				 .rate = rate.v };
	/* The guest sees the id as the disk's serial when it fits. */
	if (strlen(id) < sizeof(d->id))
		memcpy(d->id, id, strlen(id) + 1);
	snprintf(a->drive_id[i], sizeof(a->drive_id[i]), "%s", id);
	if (d->root)
		to_front(a, i);
	a->configured = true;
	return api_no_content(r);
}

int api_patch_drive(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = {
		{ "drive_id", BODY_STRING, true }, { "path_on_host", BODY_STRING, false },
		{ "rate_limiter", BODY_OBJECT, false },
	};
	const char *path = body_string(b, "path_on_host");
	int slot = drive_slot(a, id);
	struct rate_update rate;
	char dev[32];

	if (BODY_CHECK(b, fields, "/drives") < 0 || body_same_id(id, b, "drive_id") < 0 || unsupported(b) < 0 ||
	    body_rate_limiter(b, "rate_limiter", "/drives", &rate) < 0)
		return api_fault_err(r);
	if (slot < 0)
		return api_fault(r, "/drives: there is no drive '%s'", id);
	if (path && check_backing(path, a->o->virtio.disks[slot].readonly) < 0)
		return api_fault_err(r);
	if (a->phase == API_RUNNING) {
		if (!a->hooks.drive_update || !a->hooks.rate_update)
			return api_fault(r, "PATCH /drives on a running VM is not supported by this build");
		if (path && a->hooks.drive_update(a->vm, (unsigned)slot, path) < 0)
			return api_fault_err(r);
		snprintf(dev, sizeof(dev), "virtio-blk%d", slot);
		if ((rate.set_bw || rate.set_ops) && a->hooks.rate_update(a->vm, dev, VIRTIO_RATE_RX, &rate) < 0)
			return api_fault_err(r);
	} else if (!api_before_start(a, r)) {
		return -1;
	}
	rate_spec_apply(&a->o->virtio.disks[slot].rate, &rate);
	/* GET /vm/config and a snapshot name the file the disk has now.
	 * Before start, warden takes the new path at once (Firecracker
	 * answers 400 there; Kata patches only running VMs). */
	if (path && api_set_string(&a->disk_path[slot], path) < 0)
		return api_fault_err(r);
	a->o->virtio.disks[slot].path = a->disk_path[slot];
	api_machine_changed(a);
	return api_no_content(r);
}
