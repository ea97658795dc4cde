#include "core/vm_pause.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <time.h>

#include "core/device.h"
#include "core/vm.h"
#include "util/error.h"
#include "util/log.h"

void vm_pause_init(struct vm_pause *p)
{
	pthread_condattr_t a;

	pthread_mutex_init(&p->lock, NULL);
	/* Deadlines on the monotonic clock: a wall-clock step cannot stretch them. */
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &a);
	pthread_condattr_destroy(&a);
	atomic_store(&p->requested, false);
	p->parked = 0;
	p->paused = false;
}

void vm_pause_destroy(struct vm_pause *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

static bool running(struct vm *vm)
{
	return vm_end_get(&vm->end) == VM_RUNNING;
}

/* Under p->lock: wait until every vCPU parked, the VM ended or the deadline. */
static bool wait_parked(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	struct timespec deadline;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += VM_PAUSE_TIMEOUT_S;
	while (p->parked < vm->cfg.ncpus && running(vm) && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&p->cond, &p->lock, &deadline);
	return p->parked == vm->cfg.ncpus && running(vm);
}

static void devices_call(struct vm *vm, bool pause)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		struct device *d = vm->devices[i];
		void (*fn)(struct device *) = pause ? d->ops->pause : d->ops->resume;

		if (fn)
			fn(d);
	}
}

/* The pause is requested: wait for every vCPU to park, then quiesce the
 * devices (or undo the request). */
static int park_all(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;
	bool ok;

	pthread_mutex_lock(&p->lock);
	ok = wait_parked(vm);
	if (!ok) {
		atomic_store(&p->requested, false);
		pthread_cond_broadcast(&p->cond);
	}
	p->paused = ok;
	pthread_mutex_unlock(&p->lock);
	if (!ok)
		return running(vm) ? fail(ERR_HOST, "a vCPU did not pause within %d s", VM_PAUSE_TIMEOUT_S)
				   : fail(ERR_USAGE, "the VM ended while pausing");
	/* Guest writes KVM queued (the UART's transmit register, the RTC's
	 * index) reach their devices before anyone reads their state. */
	vm_drain_coalesced(vm);
	devices_call(vm, true);
	return 0;
}

int vm_pause(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	if (!running(vm) || !vm->vcpus || !vm->vcpus[0].started)
		return fail(ERR_USAGE, "the VM is not running");
	if (vm_sleep_is_suspended(&vm->sleep))
		return fail(ERR_USAGE, "the VM is suspended (S3): it cannot be paused");
	pthread_mutex_lock(&p->lock);
	if (p->paused || atomic_load(&p->requested)) {
		pthread_mutex_unlock(&p->lock);
		return fail(ERR_USAGE, "the VM is already paused");
	}
	atomic_store(&p->requested, true);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	return park_all(vm);
}

void vm_pause_before_start(struct vm *vm)
{
	atomic_store(&vm->pause.requested, true);
}

int vm_pause_started(struct vm *vm)
{
	if (!running(vm) || !atomic_load(&vm->pause.requested))
		return fail(ERR_USAGE, "the VM is not running");
	return park_all(vm);
}


/* Tell the guest each vCPU was stopped by the host (its pvclock's
 * PVCLOCK_GUEST_STOPPED flag), so its soft-lockup watchdog does not
 * take the pause for a hang.  EINVAL: the guest set up no kvmclock. */
void vm_kvmclock_stopped(struct vm *vm)
{
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		if (ioctl(vm->vcpus[i].fd, KVM_KVMCLOCK_CTRL, 0) < 0 && errno != EINVAL)
			log_debug("vCPU %u: KVM_KVMCLOCK_CTRL: %s", i, strerror(errno));
}

int vm_resume(struct vm *vm)
{
	struct vm_pause *p = &vm->pause;

	pthread_mutex_lock(&p->lock);
	if (!p->paused) {
		pthread_mutex_unlock(&p->lock);
		return fail(ERR_USAGE, "the VM is not paused");
	}
	pthread_mutex_unlock(&p->lock);
	vm_kvmclock_stopped(vm);
	devices_call(vm, false);
	pthread_mutex_lock(&p->lock);
	p->paused = false;
	atomic_store(&p->requested, false);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

bool vm_is_paused(struct vm *vm)
{
	bool v;

	pthread_mutex_lock(&vm->pause.lock);
	v = vm->pause.paused;
	pthread_mutex_unlock(&vm->pause.lock);
	return v;
}

void vm_pause_release(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause.lock);
	pthread_cond_broadcast(&vm->pause.cond);
	pthread_mutex_unlock(&vm->pause.lock);
}
