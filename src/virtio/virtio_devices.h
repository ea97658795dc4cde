/* The virtio devices of a VM, as the user asked for them: `--disk`,
 * `--net`, `--rng`, `--virtio-console`.  virtio_devices_create() builds
 * each one on the virtio-mmio transport at a fixed window and GSI, in a
 * stable order (disks, network, console, entropy), and records them for the
 * ACPI DSDT, which is how the guest finds them. */
#ifndef WARDEN_VIRTIO_VIRTIO_DEVICES_H
#define WARDEN_VIRTIO_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio_dev.h"

#define VIRTIO_MAX_DISKS 6
#define VIRTIO_MAX_NETS 2
/* One 4 KiB window per device at the start of the 32-bit MMIO hole, and
 * IOAPIC pins 16-23, which no legacy device uses. */
#define VIRTIO_MMIO_START 0xc0000000ULL
#define VIRTIO_GSI_START 16
#define VIRTIO_MAX_DEVICES 8

struct disk_spec {
	const char *path;
	bool readonly;
	char id[21]; /* VIRTIO_BLK_ID_BYTES + NUL; empty: derived from the path */
};

struct net_spec {
	char tap[16]; /* IFNAMSIZ */
	uint8_t mac[6];
	bool has_mac;
};

struct virtio_config {
	struct disk_spec disks[VIRTIO_MAX_DISKS];
	unsigned ndisks;
	struct net_spec nets[VIRTIO_MAX_NETS];
	unsigned nnets;
	bool console; /* virtio-console (hvc0) */
	bool console_input; /* stdin goes to hvc0, not COM1 (console=hvc0) */
	bool rng;     /* virtio-rng */
	struct virtio_options opt;
};

/* Parse "PATH[,ro][,id=NAME]" and "tap=NAME[,mac=MAC]" (errors: ERR_USAGE). */
int virtio_parse_disk(const char *arg, struct disk_spec *d);
int virtio_parse_net(const char *arg, struct net_spec *n);

int virtio_devices_create(struct vm *vm, const struct virtio_config *cfg);
/* Stop every device's I/O thread (the vCPUs have stopped). */
void virtio_devices_stop(struct vm *vm);
void virtio_devices_destroy(struct vm *vm);

/* Device types: each returns a device ready for virtio_mmio_init(), or
 * NULL with the error recorded (fail()). */
struct virtio_dev *virtio_blk_create(const struct disk_spec *d, unsigned index);
struct virtio_dev *virtio_net_create(const struct net_spec *n, unsigned index);
/* INPUT: take console input (stdin) from the platform instead of COM1. */
struct virtio_dev *virtio_console_create(struct vm *vm, bool input);
struct virtio_dev *virtio_rng_create(void);

#endif
