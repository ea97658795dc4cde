/* The paravirtual hypercall device (`--hypercall`): the two doorbells of
 * include/warden/hypercall.h on the ports core/layout.h gives them, an
 * I/O thread for the fast doorbell, and the disk of `--hypercall-disk`.
 * docs/hypercall.md describes the interface. */
#ifndef WARDEN_HYPERCALL_HYPERCALL_H
#define WARDEN_HYPERCALL_HYPERCALL_H

#include <stdbool.h>

struct vm;
struct device;

#define HYPERCALL_PATH_MAX 4096

struct hypercall_config {
	bool enabled;                       /* --hypercall */
	char disk_path[HYPERCALL_PATH_MAX]; /* --hypercall-disk PATH, or "" */
	bool disk_ro;                       /* ,ro */
	bool ioeventfd;                     /* the fast doorbell through KVM_IOEVENTFD
					       (off with --no-ioeventfd) */
};

/* Parse "PATH[,ro]" into C (errors: ERR_USAGE). */
int hypercall_parse_disk(const char *arg, struct hypercall_config *c);

/* Add the device to VM (which owns it from then on), or NULL with the
 * error recorded: a disk that cannot be used is the user's (ERR_USAGE). */
struct device *hypercall_create(struct vm *vm, const struct hypercall_config *cfg);

#endif
