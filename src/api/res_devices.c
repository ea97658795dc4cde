/* PUT and PATCH /network-interfaces/{id}, PUT /vsock, PUT /entropy: the
 * VM's other virtio devices (--net, the vsock hook, --rng). */
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "api/api_state.h"
#include "api/body.h"
#include "util/error.h"

static int iface_slot(const struct api *a, const char *id)
{
	for (unsigned i = 0; i < a->o->virtio.nnets; i++)
		if (strcmp(a->iface_id[i], id) == 0)
			return (int)i;
	return -1;
}

/* The tap and MAC as --net takes them: one parser for both ways in. A
 * name with a comma would smuggle in an option: refused first. */
static int parse_net(json_object *b, struct net_spec *n)
{
	const char *tap = body_string(b, "host_dev_name"), *mac = body_string(b, "guest_mac");
	char arg[96];

	if (strpbrk(tap, ",=/ \t") || strlen(tap) >= sizeof(n->tap))
		return fail(ERR_USAGE, "/network-interfaces: host_dev_name '%.32s' is not an interface name", tap);
	if (mac && strchr(mac, ','))
		return fail(ERR_USAGE, "/network-interfaces: guest_mac '%.32s' is not a MAC address", mac);
	snprintf(arg, sizeof(arg), "tap=%s%s%.40s", tap, mac ? ",mac=" : "", mac ? mac : "");
	if (virtio_parse_net(arg, n) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err_msg()); /* fail() writes where err_msg() points */
		return fail(ERR_USAGE, "/network-interfaces: %s", why);
	}
	return 0;
}

static int check_net(struct api *a, const char *id, json_object *b, int slot, struct net_spec *n)
{
	static const struct body_field fields[] = {
		{ "iface_id", BODY_STRING, true }, { "host_dev_name", BODY_STRING, true },
		{ "guest_mac", BODY_STRING, false }, { "rx_rate_limiter", BODY_OBJECT, false },
		{ "tx_rate_limiter", BODY_OBJECT, false },
		{ "allow_mmds_requests", BODY_BOOL, false }, /* before Firecracker 1.0 */
	};
	struct rate_update rx, tx;

	if (BODY_CHECK(b, fields, "/network-interfaces") < 0 || body_same_id(id, b, "iface_id") < 0)
		return -1;
	if (body_rate_limiter(b, "rx_rate_limiter", "/network-interfaces", &rx) < 0 ||
	    body_rate_limiter(b, "tx_rate_limiter", "/network-interfaces", &tx) < 0)
		return -1;
	if (body_bool(b, "allow_mmds_requests", false) && !a->o->virtio.mmds)
		return fail(ERR_USAGE, "/network-interfaces: MMDS is not available (allow_mmds_requests)");
	if (parse_net(b, n) < 0)
		return -1;
	n->rx_rate = rx.v;
	n->tx_rate = tx.v;
	/* MMDS through this interface: allow_mmds_requests (Firecracker 0.x)
	 * if given, else what PUT /mmds/config set for the one it replaces. */
	n->mmds = body_bool(b, "allow_mmds_requests", slot >= 0 && a->o->virtio.nets[slot].mmds);
	for (unsigned i = 0; i < a->o->virtio.nnets; i++)
		if ((int)i != slot && strcmp(a->o->virtio.nets[i].tap, n->tap) == 0)
			return fail(ERR_USAGE, "/network-interfaces: host_dev_name %s is in use by %s", n->tap,
				    a->iface_id[i]);
	if (slot < 0 && a->o->virtio.nnets == VIRTIO_MAX_NETS)
		return fail(ERR_USAGE, "/network-interfaces: warden takes at most %d interfaces", VIRTIO_MAX_NETS);
	return 0;
}

int api_put_network(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	struct virtio_config *v = &a->o->virtio;
	int slot = iface_slot(a, id);
	struct net_spec n;
	unsigned i;

	if (!api_before_start(a, r))
		return -1;
	if (check_net(a, id, b, slot, &n) < 0)
		return api_fault_err(r);
	i = slot >= 0 ? (unsigned)slot : v->nnets++;
	snprintf(n.id, sizeof(n.id), "%s", id); /* kept in a snapshot: a load's network_overrides name it */
	v->nets[i] = n;
	snprintf(a->iface_id[i], sizeof(a->iface_id[i]), "%s", id);
	a->configured = true;
	return api_no_content(r);
}

/* Firecracker's PartialNetworkInterface: new rate limits, each way, for
 * a running VM (or, before start, for the one it will be). */
int api_patch_network(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = {
		{ "iface_id", BODY_STRING, true }, { "rx_rate_limiter", BODY_OBJECT, false },
		{ "tx_rate_limiter", BODY_OBJECT, false },
	};
	struct rate_update u[2];
	int slot = iface_slot(a, id);
	struct net_spec *n;
	char dev[32];

	if (BODY_CHECK(b, fields, "/network-interfaces") < 0 || body_same_id(id, b, "iface_id") < 0 ||
	    body_rate_limiter(b, "rx_rate_limiter", "/network-interfaces", &u[VIRTIO_RATE_RX]) < 0 ||
	    body_rate_limiter(b, "tx_rate_limiter", "/network-interfaces", &u[VIRTIO_RATE_TX]) < 0)
		return api_fault_err(r);
	if (slot < 0)
		return api_fault(r, "/network-interfaces: there is no interface '%s'", id);
	n = &a->o->virtio.nets[slot];
	if (a->phase == API_RUNNING) {
		if (!a->hooks.rate_update)
			return api_fault(r, "PATCH /network-interfaces on a running VM is not supported by this build");
		snprintf(dev, sizeof(dev), "virtio-net%d", slot);
		for (unsigned w = VIRTIO_RATE_RX; w <= VIRTIO_RATE_TX; w++)
			if ((u[w].set_bw || u[w].set_ops) && a->hooks.rate_update(a->vm, dev, w, &u[w]) < 0)
				return api_fault_err(r);
	} else if (!api_before_start(a, r)) {
		return -1;
	}
	rate_spec_apply(&n->rx_rate, &u[VIRTIO_RATE_RX]);
	rate_spec_apply(&n->tx_rate, &u[VIRTIO_RATE_TX]);
	api_machine_changed(a);
	return api_no_content(r);
}

int api_put_vsock(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = {
		{ "guest_cid", BODY_UINT, true }, { "uds_path", BODY_STRING, true },
		{ "vsock_id", BODY_STRING, false },
	};
	const char *uds;
	uint64_t cid;

	(void)id;
	if (!api_before_start(a, r))
		return -1;
	/* CIDs 0-2 are the hypervisor's and the host's. */
	if (BODY_CHECK(b, fields, "/vsock") < 0 || body_uint(b, "guest_cid", 3, UINT32_MAX - 1, 0, &cid) < 0)
		return api_fault_err(r);
	uds = body_string(b, "uds_path");
	if (body_check_path(uds, "uds_path") < 0)
		return api_fault_err(r);
	if (strlen(uds) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return api_fault(r, "/vsock: uds_path is longer than a Unix socket path can be");
	if (!a->hooks.vsock)
		return api_fault(r, "/vsock is not supported by this build");
	if (a->hooks.vsock(a->hooks.ctx, (uint32_t)cid, uds) < 0 || api_set_string(&a->vsock_uds, uds) < 0)
		return api_fault_err(r);
	a->vsock = a->configured = true;
	a->vsock_cid = (uint32_t)cid;
	return api_no_content(r);
}

int api_put_entropy(struct api *a, const char *id, json_object *b, struct api_response *r)
{
	static const struct body_field fields[] = { { "rate_limiter", BODY_OBJECT, false } };
	struct rate_update u;

	(void)id;
	if (!api_before_start(a, r))
		return -1;
	if (BODY_CHECK(b, fields, "/entropy") < 0 || body_rate_limiter(b, "rate_limiter", "/entropy", &u) < 0)
		return api_fault_err(r);
	a->o->virtio.rng_rate = u.v;
	a->o->virtio.rng = a->configured = true;
	return api_no_content(r);
}
