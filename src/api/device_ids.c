/* The ids the API names disks and interfaces by (PATCH /drives/{id},
 * GET /vm/config) for the ones no PUT named: the command line's, and a
 * loaded snapshot's. */
#include <stdio.h>

#include "api/api_state.h"

/* Disks and interfaces from the command line (or a loaded snapshot) get
 * ids, so that the API can name them (GET /vm/config, PATCH /drives/disk0). */
void api_name_devices(struct api *a)
{
	const struct virtio_config *v = &a->o->virtio;

	/* A disk's id= (the API's drive_id when it fit the serial) names it. */
	for (unsigned i = 0; i < v->ndisks && i < VIRTIO_MAX_DISKS; i++)
		if (!a->drive_id[i][0] && v->disks[i].id[0])
			snprintf(a->drive_id[i], sizeof(a->drive_id[i]), "%s", v->disks[i].id);
		else if (!a->drive_id[i][0])
			snprintf(a->drive_id[i], sizeof(a->drive_id[i]), "disk%u", i);
	for (unsigned i = 0; i < v->nnets && i < VIRTIO_MAX_NETS; i++)
		if (!a->iface_id[i][0])
			api_iface_name(&v->nets[i], i, a->iface_id[i], sizeof(a->iface_id[i]));
}

/* Its id= (the API's iface_id, which a snapshot keeps), else netN. */
void api_iface_name(const struct net_spec *n, unsigned index, char *buf, size_t len)
{
	if (n->id[0])
		snprintf(buf, len, "%s", n->id);
	else
		snprintf(buf, len, "net%u", index);
}
