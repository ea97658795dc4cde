/* The guest-status port (PORT_GUEST_STATUS): how a Linux guest's init says
 * it could not boot, so that warden ends with a status of its own (8)
 * instead of the guest hanging or powering off as if all went well.  The
 * default initramfs (guest/init) writes one byte, through
 * guest/tools/warden-fail.c, after printing why on the console. */
#ifndef WARDEN_DEVICES_GUEST_STATUS_H
#define WARDEN_DEVICES_GUEST_STATUS_H

struct vm;
struct device;

/* The byte's meaning, in the end line warden prints. */
enum guest_failure {
	GUEST_FAIL_ROOT_MISSING = 1, /* root= names no device */
	GUEST_FAIL_ROOT_MOUNT = 2,   /* the root device did not mount */
	GUEST_FAIL_NO_INIT = 3,      /* the root has no init to start */
};

struct device *guest_status_create(struct vm *vm);
/* "the root device is missing", ... or "code N" (STATIC buffer). */
const char *guest_failure_name(int code);

#endif
