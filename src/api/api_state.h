/* The API's state, shared by its server, router and resource handlers
 * (not by the rest of warden: main sees api.h).  One lock guards it all;
 * handlers run with it held.  vCPU threads never take it, so nothing the
 * API does can hold up a vCPU. */
#ifndef WARDEN_API_API_STATE_H
#define WARDEN_API_API_STATE_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "api/metrics.h"
#include "util/clock.h"
#include "virtio/virtio_devices.h"

/* Firecracker's limit on a request body (--http-api-max-payload-size). */
#define API_MAX_BODY 51200
/* Firecracker's bound on drive and interface ids. */
#define API_MAX_ID 64
/* Firecracker's MAX_SUPPORTED_VCPUS. */
#define API_MAX_VCPUS 32

enum api_phase {
	API_CONFIGURING, /* before InstanceStart: resources may be PUT */
	API_STARTING,    /* InstanceStart taken: main is building the VM */
	API_RUNNING,     /* the VM runs (or is paused) */
	API_ENDED,       /* the VM stopped, or failed to start */
};

struct api {
	pthread_mutex_t lock;
	pthread_cond_t cond;   /* phase changes */
	enum api_phase phase;
	bool paused;           /* PATCH /vm Paused succeeded */
	bool ran;              /* the VM started (it may have ended since) */
	bool configured;       /* a boot resource was PUT: no snapshot load */
	bool boot_source;      /* PUT /boot-source done */
	bool from_file;        /* --config-file: starts without InstanceStart */
	char start_error[512]; /* why the VM did not start (API_ENDED) */
	int wake_fd;           /* eventfd: InstanceStart or a signal */
	volatile int interrupted;
	uint64_t created_ns;

	struct cli_options *o;
	struct api_hooks hooks;
	/* Strings O points to, owned here (a PUT replaces its slot). */
	char *kernel, *initrd, *boot_args;
	char *disk_path[VIRTIO_MAX_DISKS];
	char drive_id[VIRTIO_MAX_DISKS][API_MAX_ID + 1];
	char iface_id[VIRTIO_MAX_NETS][API_MAX_ID + 1];
	bool vsock;            /* PUT /vsock accepted by its hook */
	uint32_t vsock_cid;
	char *vsock_uds;
	bool track_dirty_pages;
	char *log_path, *log_level;
	char *metrics_path;

	/* The running VM (API_RUNNING), for GET /exits and the metrics. */
	struct vm *vm;
	const struct exit_stats *stats;
	unsigned ncpus;
	uint64_t started_ns;   /* when it started, for GET /stats' wall_ns */
	struct clock_cal cal;  /* TSC cycles to ns, for GET /stats */

	struct api_metrics metrics;
	struct api_server *server; /* server.c */
};

/* An answer: STATUS and a JSON BODY (NULL: 204, no body). */
struct api_response {
	int status;
	json_object *body;
};

/* Answers: 204; 200 with BODY (taken); 400 with {"fault_message": ...}. */
int api_no_content(struct api_response *r);
int api_ok_json(struct api_response *r, json_object *body);
int api_fault(struct api_response *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 400 with err_msg() as the fault message. */
int api_fault_err(struct api_response *r);

/* Handle one request: METHOD PATH with BODY (LEN bytes, may be NULL).
 * Called by the server with nothing held; takes the lock. */
void api_route(struct api *a, const char *method, const char *path, const char *body, size_t len,
	       struct api_response *r);

/* Run route I (routes.h) on ID and BODY: the path's id checked, the
 * handler run under the lock.  -1 when R is a fault. */
int api_apply(struct api *a, int i, const char *id, json_object *body, struct api_response *r);

/* One resource's handler: ID is the path's last part for /drives/{id}
 * and /network-interfaces/{id}, else NULL; BODY the parsed JSON object
 * (NULL for GET).  Runs with the lock held. */
typedef int api_handler(struct api *a, const char *id, json_object *body, struct api_response *r);

/* Pre-boot only: 400 once the VM is started (Firecracker's words). */
bool api_before_start(struct api *a, struct api_response *r);
/* Post-boot only: 400 before the VM runs. */
bool api_after_start(struct api *a, struct api_response *r);
/* A PATCH changed the running VM's options: the machine a snapshot
 * keeps is made again (hooks.machine_changed). */
void api_machine_changed(struct api *a);
/* Open PATH to append lines to without ever blocking: a file (created
 * if missing) or a named pipe, even one nobody reads yet.  -1 with fail(). */
int api_open_sink(const char *path, const char *field);
/* Replace the string in *SLOT with a copy of S (NULL: free it). */
int api_set_string(char **slot, const char *s);

/* Resource groups, one file each. */
api_handler api_put_boot_source, api_put_machine_config, api_get_machine_config;
api_handler api_put_drive, api_patch_drive;
api_handler api_patch_network, api_put_network, api_put_vsock, api_put_entropy;
api_handler api_put_actions, api_patch_vm, api_put_snapshot_create, api_put_snapshot_load;
api_handler api_put_logger, api_put_metrics;
api_handler api_get_instance, api_get_version, api_get_vm_config, api_get_exits, api_get_stats;
api_handler api_put_mmds_config, api_put_mmds, api_patch_mmds, api_get_mmds;

/* Ids for the disks and interfaces that have none (disk0, net0, ...). */
void api_name_devices(struct api *a);

/* GET /vm/config's object, also the --config-file format. */
json_object *api_vm_config(struct api *a);
json_object *api_machine_config(struct api *a);

#endif
