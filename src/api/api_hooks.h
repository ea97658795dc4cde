/* What the API asks of features that live elsewhere in warden (pause,
 * snapshots, vsock, a drive's new backing file): main fills a table of
 * function pointers, and a hook left NULL makes its request answer 400
 * "not supported by this build".  The API has validated every argument
 * before a hook sees it.  A hook returns 0, or -1 with fail() saying why
 * (the client gets that line as its fault_message). */
#ifndef WARDEN_API_API_HOOKS_H
#define WARDEN_API_API_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct rate_update;

/* network_overrides: at most this many (one per interface warden can
 * have: more would name one twice or one that is not there). */
#define API_MAX_NET_OVERRIDES 2

/* One of network_overrides (Firecracker's NetworkOverride): the snapshot's
 * interface IFACE_ID (its iface_id, or netN for one the command line
 * gave) runs on tap HOST_DEV_NAME (an interface name, checked). */
struct api_net_override {
	const char *iface_id;
	const char *host_dev_name;
};

/* PUT /snapshot/load, as Firecracker's LoadSnapshotParams. */
struct api_snapshot_load {
	const char *snapshot_path;
	const char *mem_path;      /* mem_file_path, or mem_backend's backend_path */
	bool mem_uffd;             /* mem_backend.backend_type "Uffd" */
	bool enable_diff_snapshots;
	bool resume_vm;
	struct api_net_override net_overrides[API_MAX_NET_OVERRIDES]; /* distinct iface_ids */
	unsigned nnet_overrides;
};

struct api_hooks {
	void *ctx; /* handed to the hooks that run before the VM exists */
	/* PATCH /vm: the running VM.  The signatures are src/snapshot's. */
	int (*pause)(struct vm *vm);
	int (*resume)(struct vm *vm);
	/* PUT /snapshot/create (a paused VM; snapshot_type Full). */
	int (*snapshot_create)(struct vm *vm, const char *state_path, const char *mem_path);
	/* PUT /snapshot/load (before the VM is configured or started). */
	int (*snapshot_load)(void *ctx, const struct api_snapshot_load *req);
	/* PUT /vsock (before start): guest CID >= 3, the host's Unix socket. */
	int (*vsock)(void *ctx, uint32_t guest_cid, const char *uds_path);
	/* PATCH /drives/{id} on a running VM: a new backing file for the
	 * drive's disk, INDEX in the order the VM's disks were made. */
	int (*drive_update)(struct vm *vm, unsigned index, const char *path);
	/* PATCH /drives or /network-interfaces on a running VM: new rate
	 * limits for the limiter WHICH (VIRTIO_RATE_RX/TX) of DEVICE. */
	int (*rate_update)(struct vm *vm, const char *device, unsigned which, const struct rate_update *u);
	/* After a PATCH changed a running VM's machine (a drive's file, a
	 * limit): what a snapshot keeps of it is made again.  A failure is
	 * logged, not answered: the change itself took effect. */
	int (*machine_changed)(void *ctx);
	/* PUT /actions SendCtrlAltDel on a running VM. */
	int (*ctrl_alt_del)(void *ctx);
};

#endif
