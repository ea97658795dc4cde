/* Putting a vCPU back to its power-on state (the resume from S3). */
#ifndef WARDEN_CORE_VCPU_RESET_H
#define WARDEN_CORE_VCPU_RESET_H

#include <stdint.h>

#include "core/vcpu.h"

/* Let KVM finish the instruction of the last exit without entering the
 * guest (KVM_RUN with immediate_exit), before registers are rewritten. */
int vcpu_complete_io(struct vcpu *v);
/* Real mode at CS:IP with the reset values of everything else (caches
 * off, no paging, EFER 0, flags 2, general registers 0). */
int vcpu_reset_real_mode(struct vcpu *v, uint16_t cs, uint16_t ip);
/* KVM_MP_STATE_RUNNABLE, or _INIT_RECEIVED: waiting for a SIPI. */
int vcpu_set_mp_state(struct vcpu *v, uint32_t state);

#endif
