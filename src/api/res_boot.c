/* PUT /boot-source, PUT and GET /machine-config: the kernel, its initrd
 * and command line, the vCPU count and the memory size. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_state.h"
#include "api/body.h"
#include "util/error.h"

/* A file the VM will read at start: checked now, so that a typo is a 400
 * at its PUT, as Firecracker does, not a failed InstanceStart. */
static int readable(const char *path, const char *field)
{
	if (body_check_path(path, field) < 0)
		return -1;
	if (access(path, R_OK) != 0)
		return fail_errno(ERR_USAGE, "%s %s", field, path);
	return 0;
}

int api_put_boot_source(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = {
		{ "kernel_image_path", BODY_STRING, true },
		{ "initrd_path", BODY_STRING, false },
		{ "boot_args", BODY_STRING, false },
	};
	const char *kernel = body_string(b, "kernel_image_path"), *initrd = body_string(b, "initrd_path");
	const char *args = body_string(b, "boot_args");

	(void)id;
	if (!api_before_start(a, r))
		return -1;
	if (BODY_CHECK(b, fields, "/boot-source") < 0 || readable(kernel, "kernel_image_path") < 0 ||
	    (initrd && readable(initrd, "initrd_path") < 0))
		return api_fault_err(r);
	if (api_set_string(&a->kernel, kernel) < 0 || api_set_string(&a->initrd, initrd) < 0 ||
	    api_set_string(&a->boot_args, args) < 0)
		return api_fault_err(r);
	a->o->kernel = a->kernel;
	a->o->initrd = a->initrd;
	a->o->cmdline = a->boot_args;
	a->boot_source = a->configured = true;
	return api_no_content(r);
}

static uint64_t host_mem_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size >> 20 : CLI_MIN_MEM_MIB;
}

/* The choices warden has one answer to: only that answer is accepted. */
static int only_none(json_object *b, const char *field)
{
	const char *v = body_string(b, field);

	if (v && strcmp(v, "None") != 0)
		return fail(ERR_USAGE, "/machine-config: %s '%.32s' is not supported by warden (only None)", field, v);
	return 0;
}

int api_put_machine_config(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = {
		{ "vcpu_count", BODY_UINT, true },
		{ "mem_size_mib", BODY_UINT, true },
		{ "smt", BODY_BOOL, false },
		{ "ht_enabled", BODY_BOOL, false }, /* smt's name before Firecracker 1.0 */
		{ "track_dirty_pages", BODY_BOOL, false },
		{ "cpu_template", BODY_STRING, false },
		{ "huge_pages", BODY_STRING, false },
	};
	uint64_t cpus, mib;

	(void)id;
	if (!api_before_start(a, r))
		return -1;
	if (BODY_CHECK(b, fields, "/machine-config") < 0 ||
	    body_uint(b, "vcpu_count", 1, API_MAX_VCPUS, 1, &cpus) < 0 ||
	    body_uint(b, "mem_size_mib", CLI_MIN_MEM_MIB, host_mem_mib(), 0, &mib) < 0 ||
	    only_none(b, "cpu_template") < 0 || only_none(b, "huge_pages") < 0)
		return api_fault_err(r);
	if (body_bool(b, "smt", false) || body_bool(b, "ht_enabled", false))
		return api_fault(r, "/machine-config: smt is not supported by warden (one thread per core)");
	a->o->cpus = (unsigned)cpus;
	a->o->mem_mib = mib;
	a->track_dirty_pages = body_bool(b, "track_dirty_pages", false);
	a->configured = true;
	return api_no_content(r);
}

json_object *api_machine_config(struct api *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "vcpu_count", json_object_new_int((int)a->o->cpus));
	json_object_object_add(o, "mem_size_mib", json_object_new_uint64(a->o->mem_mib));
	json_object_object_add(o, "smt", json_object_new_boolean(0));
	json_object_object_add(o, "track_dirty_pages", json_object_new_boolean(a->track_dirty_pages));
	json_object_object_add(o, "huge_pages", json_object_new_string("None"));
	return o;
}

int api_get_machine_config(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	(void)id;
	(void)b;
	return api_ok_json(r, api_machine_config(a));
}
