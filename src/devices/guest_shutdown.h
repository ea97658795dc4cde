/* Asking the guest to shut down (warden's first SIGTERM/SIGINT): press its
 * power button, give it a grace period to power off, then end the VM as
 * stopped (VM_END_SIGNAL).  A thread waits for the request, so the signal
 * handler only writes to an eventfd.  docs/shutdown.md. */
#ifndef WARDEN_DEVICES_GUEST_SHUTDOWN_H
#define WARDEN_DEVICES_GUEST_SHUTDOWN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct vm;
struct device;

struct guest_shutdown {
	struct vm *vm;
	struct device *button;
	double timeout_s;
	int efd;              /* a request (or the end of the thread) */
	_Atomic int asked;    /* the guest was asked once */
	_Atomic int quit;     /* guest_shutdown_stop: the thread ends */
	_Atomic int started;
	pthread_t thread;
};

/* Once per process: the eventfd, never closed, so a signal handler can
 * always write to it (a --reboot loop starts G again for each boot). */
int guest_shutdown_init(struct guest_shutdown *g);
/* Start the waiting thread for VM, which presses BUTTON (a power button
 * device) and waits TIMEOUT_S seconds (> 0).  -1 on a host failure. */
int guest_shutdown_start(struct guest_shutdown *g, struct vm *vm, struct device *button,
			 double timeout_s);
/* Ask the guest, once.  Async-signal-safe.  False when it was asked
 * already or G is not running: the caller then stops the VM at once. */
bool guest_shutdown_request(struct guest_shutdown *g);
/* End and join the thread (the VM's threads may still run); safe on a G
 * that was never started. */
void guest_shutdown_stop(struct guest_shutdown *g);

#endif
