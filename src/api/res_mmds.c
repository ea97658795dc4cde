/* PUT /mmds/config, and PUT, PATCH and GET /mmds: the metadata service
 * (docs/mmds.md).  The config names the interfaces the guest reaches it
 * through, before start; the data store (mmds/mmds.h, made by main) takes
 * JSON at any time.  No store (a build or test without one): 400. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_state.h"
#include "api/body.h"
#include "mmds/mmds.h"
#include "util/error.h"

static struct mmds *store(struct api *a, struct api_response *r)
{
	if (!a->o->virtio.mmds)
		api_fault(r, "MMDS is not available");
	return a->o->virtio.mmds;
}

/* Firecracker's is_link_local_valid (RFC 3927): 169.254.0.0/16 without
 * its first and last /24. */
static bool link_local(uint32_t ip)
{
	uint32_t third = (ip >> 8) & 0xff;

	return (ip >> 16) == 0xa9fe && third != 0 && third != 255;
}

/* The interfaces LIST names, as a mask of slots: -1 with fail(). */
static int iface_mask(struct api *a, json_object *list, unsigned *mask)
{
	size_t n = json_object_array_length(list);

	*mask = 0;
	if (n == 0)
		return fail(ERR_USAGE, "The list of network interface IDs that allow forwarding MMDS requests is empty.");
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(list, i);
		const char *id = json_object_get_string(v);
		unsigned s;

		if (!json_object_is_type(v, json_type_string))
			return fail(ERR_USAGE, "/mmds/config: network_interfaces[%zu] must be a string", i);
		for (s = 0; s < a->o->virtio.nnets; s++)
			if ((size_t)json_object_get_string_len(v) == strlen(a->iface_id[s]) &&
			    strcmp(a->iface_id[s], id) == 0)
				break;
		if (s == a->o->virtio.nnets)
			return fail(ERR_USAGE, "The list of network interface IDs provided contains at least one ID "
				    "that does not correspond to any existing network interface.");
		*mask |= 1u << s;
	}
	return 0;
}

static int check_config(struct api *a, json_object *b, struct mmds_spec *spec, unsigned *mask)
{
	static const struct body_field fields[] = {
		{ "network_interfaces", BODY_ARRAY, true }, { "version", BODY_STRING, false },
		{ "ipv4_address", BODY_STRING, false }, { "imds_compat", BODY_BOOL, false },
	};
	const char *version, *ip;
	struct in_addr in;

	if (BODY_CHECK(b, fields, "/mmds/config") < 0)
		return -1;
	version = body_string(b, "version");
	ip = body_string(b, "ipv4_address");
	memset(spec, 0, sizeof(*spec));
	spec->version = MMDS_V1;
	if (version && strcmp(version, "V1") != 0 && strcmp(version, "V2") != 0)
		return fail(ERR_USAGE, "/mmds/config: version '%.32s' is not V1 or V2", version);
	if (version && strcmp(version, "V2") == 0)
		spec->version = MMDS_V2;
	if (ip) {
		if (inet_pton(AF_INET, ip, &in) != 1)
			return fail(ERR_USAGE, "/mmds/config: ipv4_address '%.32s' is not an IPv4 address", ip);
		spec->ipv4 = ntohl(in.s_addr);
		if (!link_local(spec->ipv4))
			return fail(ERR_USAGE, "The MMDS IPv4 address is not link local.");
	}
	spec->imds_compat = body_bool(b, "imds_compat", false);
	return iface_mask(a, json_object_object_get(b, "network_interfaces"), mask);
}

int api_put_mmds_config(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	struct virtio_config *v = &a->o->virtio;
	struct mmds *m;
	struct mmds_spec spec;
	unsigned mask = 0;

	(void)id;
	if (!api_before_start(a, r) || !(m = store(a, r)))
		return -1;
	if (check_config(a, b, &spec, &mask) < 0)
		return api_fault_err(r);
	for (unsigned i = 0; i < v->nnets; i++)
		v->nets[i].mmds = mask & (1u << i);
	v->mmds_spec = spec;
	mmds_set_version(m, spec.version, spec.imds_compat);
	a->configured = true; /* Firecracker's: no snapshot load after it */
	return api_no_content(r);
}

/* PUT and PATCH /mmds: the body, an object, into the store (compact, '/'
 * as itself: the text the store's size limit counts). */
static int data(struct api *a, json_object *b, struct api_response *r,
		int (*op)(struct mmds *, const char *, size_t))
{
	struct mmds *m = store(a, r);
	const char *text;
	size_t len;

	if (!m)
		return -1;
	text = json_object_to_json_string_length(b, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text)
		return api_fault(r, "/mmds: out of memory");
	return op(m, text, len) < 0 ? api_fault_err(r) : api_no_content(r);
}

int api_put_mmds(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	(void)id;
	return data(a, b, r, mmds_put);
}

int api_patch_mmds(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	(void)id;
	return data(a, b, r, mmds_patch);
}

int api_get_mmds(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	struct mmds *m = store(a, r);
	json_object *o;
	char *text;

	(void)id;
	(void)b;
	if (!m)
		return -1;
	text = mmds_get(m);
	if (!text)
		return api_fault(r, "/mmds: out of memory");
	o = json_tokener_parse(text);
	free(text);
	return api_ok_json(r, o);
}
