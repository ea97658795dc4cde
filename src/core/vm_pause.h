/* Pausing a running VM at a consistent point (for a snapshot, or an API's
 * pause): every vCPU parks between two KVM_RUNs, with the instruction of
 * its last exit completed (so its registers are the whole truth), and
 * every device with a pause hook quiesces its threads (device_ops.pause:
 * every virtio device's I/O thread, the RTC's clock), so no host input
 * reaches guest memory while paused.  vm_resume lets everything go on.
 * The VM's end still stops paused vCPUs. */
#ifndef WARDEN_CORE_VM_PAUSE_H
#define WARDEN_CORE_VM_PAUSE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct vm;

struct vm_pause {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool requested; /* read by every vCPU before each KVM_RUN */
	unsigned parked;       /* vCPUs waiting (under lock) */
	bool paused;           /* vm_pause succeeded, vm_resume not yet called */
};

void vm_pause_init(struct vm_pause *p);
void vm_pause_destroy(struct vm_pause *p);

/* How long vm_pause waits for the vCPUs to park. */
#define VM_PAUSE_TIMEOUT_S 5

/* Park every vCPU and quiesce the devices.  0, or -1 with the error
 * recorded: not running, already paused, suspended to S3, or a vCPU that
 * did not park within VM_PAUSE_TIMEOUT_S (the VM is resumed then). */
int vm_pause(struct vm *vm);
/* A VM that starts paused (a snapshot loaded without resume_vm):
 * vm_pause_before_start before vm_start, so no vCPU enters KVM_RUN, then
 * vm_pause_started after it (the same result as vm_pause). */
void vm_pause_before_start(struct vm *vm);
int vm_pause_started(struct vm *vm);
/* Let the devices and vCPUs go on; -1 if the VM was not paused. */
int vm_resume(struct vm *vm);
bool vm_is_paused(struct vm *vm);
/* KVM_KVMCLOCK_CTRL on every vCPU (they are not in KVM_RUN): the guest's
 * watchdogs learn the vCPUs were stopped by the host (after a pause, and
 * a restore). */
void vm_kvmclock_stopped(struct vm *vm);
/* The VM ends (vm_stop): parked vCPUs and a waiting vm_pause see it. */
void vm_pause_release(struct vm *vm);

#endif
