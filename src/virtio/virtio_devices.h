/* The virtio devices of a VM, as the user asked for them: `--disk`,
 * `--net`, `--rng`, `--virtio-console`.  virtio_devices_create() builds
 * each one on the transport `--transport` names (virtio-mmio or virtio-pci), in a stable order (disks,
 * network, console, entropy); the machine's allocator gives each its
 * window and line, and the ACPI DSDT describes them from there. */
#ifndef WARDEN_VIRTIO_VIRTIO_DEVICES_H
#define WARDEN_VIRTIO_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "mmds/mmds.h"
#include "virtio/rate_limit.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_MAX_DISKS 6
#define VIRTIO_MAX_NETS 2
/* As many as the layout's pool has interrupt lines. */
#define VIRTIO_MAX_DEVICES 8
/* queues=N of a disk: the device's queue table bounds it; the guest uses
 * at most one per vCPU (Linux's virtio_blk), so N must not exceed --cpus. */
#define VIRTIO_BLK_MAX_QUEUES VIRTIO_MAX_QUEUES
/* queues=N of a network: N queue pairs and a control queue in the table
 * (2 N + 1), and at most one per vCPU, as for a disk. */
#define VIRTIO_NET_MAX_PAIRS ((VIRTIO_MAX_QUEUES - 1) / 2)
/* poll[=US]: the polling window, microseconds without work before
 * notifications are re-armed; poll-max=US lets it adapt up to US
 * (virtio/worker.h), from poll's value (VIRTIO_POLL_DEFAULT_US without
 * one, or US if that is less). */
#define VIRTIO_POLL_DEFAULT_US 50
#define VIRTIO_POLL_MAX_US 1000000

struct disk_spec {
	const char *path;
	bool readonly;
	bool root; /* ,root: the guest's root file system (root=/dev/vdX) */
	char id[21]; /* VIRTIO_BLK_ID_BYTES + NUL; empty: derived from the path */
	unsigned queues;  /* queues=N: request queues (0: one) */
	uint32_t poll_us; /* poll[=US]: polling window (0: no polling) */
	uint32_t poll_max_us; /* poll-max=US: the window adapts up to US (0: fixed) */
	bool empty_ok;    /* an empty file is a disk of no sectors (the API's placeholders) */
	struct rate_spec rate; /* bw=, ops=: Firecracker's rate_limiter */
};

/* vhost=: who moves the packets (virtio/net.c, backends/vhost_net.c). */
enum net_vhost {
	NET_VHOST_OFF,  /* warden's I/O thread (the default) */
	NET_VHOST_ON,   /* the kernel's vhost-net, or refuse to start */
	NET_VHOST_AUTO, /* vhost-net when the host has it, else warden */
};

/* --mmds version=V1|V2,ipv4=ADDR,imds-compat (PUT /mmds/config). */
struct mmds_spec {
	enum mmds_version version; /* 0 (no --mmds): V1 */
	uint32_t ipv4;             /* host byte order; 0: MMDS_DEFAULT_IPV4 */
	bool imds_compat;
};

struct net_spec {
	char tap[16]; /* IFNAMSIZ */
	uint8_t mac[6];
	bool has_mac;
	enum net_vhost vhost;
	unsigned queues;  /* queues=N: queue pairs (0: one) */
	uint32_t poll_us; /* poll[=US]: polling window (0: no polling) */
	uint32_t poll_max_us; /* poll-max=US: the window adapts up to US (0: fixed) */
	char id[65];      /* id=NAME: the API's iface_id (at most 64), so a snapshot keeps it */
	struct rate_spec rx_rate, tx_rate; /* rx-bw=, rx-ops=, tx-bw=, tx-ops= (not with vhost) */
	bool mmds;        /* mmds=on: the guest reaches the metadata service here (not with vhost) */
};

/* --vsock cid=N,uds=PATH (docs/vsock.md); cid 0: no vsock device. */
struct vsock_spec {
	uint64_t cid;
	char uds[108]; /* sun_path's size */
};

enum virtio_transport_kind { VIRTIO_TRANSPORT_MMIO, VIRTIO_TRANSPORT_PCI };

struct virtio_config {
	/* --transport; without it virtio-pci, or virtio-mmio for a VM the
	 * Firecracker API configures (--api-sock, --config-file) */
	enum virtio_transport_kind transport;
	struct disk_spec disks[VIRTIO_MAX_DISKS];
	unsigned ndisks;
	struct net_spec nets[VIRTIO_MAX_NETS];
	unsigned nnets;
	bool console; /* virtio-console (hvc0) */
	bool console_input; /* it takes host input (console=hvc0) */
	bool rng;     /* virtio-rng */
	struct rate_spec rng_rate; /* --rng bw=,ops= */
	struct vsock_spec vsock; /* virtio-vsock, if vsock.cid */
	/* The metadata service (docs/mmds.md): --mmds, or the API's PUT
	 * /mmds/config; its store (made and freed by main) serves the nets
	 * with mmds=on. */
	struct mmds_spec mmds_spec;
	struct mmds *mmds;
	struct virtio_options opt;
};

/* Does CFG ask for any virtio device? */
static inline bool virtio_config_has_devices(const struct virtio_config *c)
{
	return c->ndisks || c->nnets || c->console || c->rng || c->vsock.cid;
}

/* Parse "PATH[,ro][,root][,id=NAME][,queues=N][,poll[=US]][,bw=..][,ops=..]"
 * and "tap=NAME[,mac=MAC][,id=NAME][,queues=N][,poll[=US]][,vhost=on|off|auto]
 * [,rx-bw=..][,rx-ops=..][,tx-bw=..][,tx-ops=..]" (limits: SIZE/MS[/BURST],
 * virtio/rate_limit.h; errors: ERR_USAGE). */
int virtio_parse_disk(const char *arg, struct disk_spec *d);
int virtio_parse_net(const char *arg, struct net_spec *n);
/* --mmds "[version=V1|V2][,ipv4=A.B.C.D][,imds-compat]" (ERR_USAGE). */
int virtio_parse_mmds(const char *arg, struct mmds_spec *m);
/* Its address, the default if none was given. */
static inline uint32_t virtio_mmds_ipv4(const struct virtio_config *c)
{
	return c->mmds_spec.ipv4 ? c->mmds_spec.ipv4 : MMDS_DEFAULT_IPV4;
}
/* --rng=bw=SIZE/MS[/BURST],ops=SIZE/MS[/BURST] (errors: ERR_USAGE). */
int virtio_parse_rng(const char *arg, struct rate_spec *s);
/* The checks that need the whole command line: queues=N of a disk or a
 * network against the vCPUs the guest has (ERR_USAGE). */
int virtio_check_config(const struct virtio_config *cfg, unsigned cpus);

/* virtio-vsock: "cid=N,uds=PATH" from the command line, or the two values
 * (Firecracker's PUT /vsock guest_cid, uds_path) checked into S (errors:
 * ERR_USAGE, one line). */
int virtio_parse_vsock(const char *arg, struct vsock_spec *s);
int virtio_vsock_spec(struct vsock_spec *s, uint64_t cid, const char *uds);
/* Add a vsock device for guest CID on the host socket UDS to VM, on
 * transport T (what --vsock does at start-up, for an API to call). */
int virtio_vsock_add(struct vm *vm, enum virtio_transport_kind t, const struct virtio_options *opt,
		     uint64_t cid, const char *uds);
/* End every vsock connection, and send the guest the TRANSPORT_RESET
 * event (5.10.6.7): what a snapshot does to them.  From any thread; done
 * by the device's I/O thread (at its next start if it is not running). */
void virtio_vsock_reset_connections(struct virtio_dev *vd);

/* Add the devices CFG names to VM (which owns them from then on).  The
 * console's input fd (for the host console) goes to *CONSOLE_IN, or -1. */
int virtio_devices_create(struct vm *vm, const struct virtio_config *cfg, int *console_in);

/* Device types: each returns a device ready for a transport, or NULL with
 * the error recorded (fail()). */
struct virtio_dev *virtio_blk_create(const struct disk_spec *d, unsigned index);
/* A paused disk (virtio_dev_pause) takes PATH as its new backing file,
 * with the same read-only setting; its capacity changes and the driver
 * gets a configuration interrupt.  On failure (ERR_USAGE: PATH cannot be
 * opened, or lacks discard / write zeroes the driver was offered) the old
 * file stays.  virtio_disk_replace does the pausing. */
int virtio_blk_replace(struct virtio_dev *vd, const char *path);
/* PATCH /drives on a running VM: disk INDEX (in --disk order) of VM
 * swaps its backing file for PATH under the transport's lock. */
int virtio_disk_replace(struct vm *vm, unsigned index, const char *path);
/* PATCH on a running VM: new limits for rate limiter WHICH
 * (VIRTIO_RATE_RX/TX) of the virtio device named DEVICE ("virtio-blk0",
 * "virtio-net1", "virtio-rng"); from any thread (ERR_USAGE: no such
 * device or limiter). */
int virtio_rate_update(struct vm *vm, const char *device, unsigned which, const struct rate_update *u);
/* STORE: the metadata service behind the device if N->mmds, at IPV4. */
struct virtio_dev *virtio_net_create(const struct net_spec *n, unsigned index, struct mmds *store,
				     uint32_t ipv4);
/* INPUT: the console takes host input, written to virtio_console_input_fd. */
struct virtio_dev *virtio_console_create(bool input);
struct virtio_dev *virtio_rng_create(const struct rate_spec *rate);
/* Binds S->uds now (the host may connect before the guest is up). */
struct virtio_dev *virtio_vsock_create(const struct vsock_spec *s);
/* The non-blocking fd host input for the guest's console goes to, or -1. */
int virtio_console_input_fd(const struct virtio_dev *vd);

#endif
