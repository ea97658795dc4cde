/* A vCPU: its KVM fd, the shared kvm_run page, and a thread running the
 * one exit loop: KVM_RUN, dispatch the exit, account for it, repeat. */
#ifndef WARDEN_CORE_VCPU_H
#define WARDEN_CORE_VCPU_H

#include <pthread.h>
#include <stdbool.h>

struct vm;
struct kvm_run;
struct boot_entry;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned id);
void vcpu_destroy(struct vcpu *v);
int vcpu_set_boot_state(struct vcpu *v, const struct boot_entry *e);
int vcpu_start(struct vcpu *v);
/* Make the vCPU leave KVM_RUN soon (after vm_request_end). */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
/* Registers to stderr, for internal errors. */
void vcpu_dump(struct vcpu *v);

#endif
