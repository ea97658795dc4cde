/* `warden lab msr-filter`: a guest loop writing an MSR (IA32_TSC_AUX and
 * IA32_KERNEL_GS_BASE) left to KVM, and the same loop with the MSR sent
 * to warden by an MSR filter (KVM_X86_SET_MSR_FILTER with
 * KVM_CAP_X86_USER_SPACE_MSR): exits and ns per iteration each way, the
 * model's exits next to them (issue 12, section 5).  The runs are `warden
 * bench exits`' (lab/exits_run.h) with the MSR of the experiment's. */
#ifndef WARDEN_LAB_MSR_LAB_H
#define WARDEN_LAB_MSR_LAB_H

/* ARGV[0] is "msr-filter".  The exit status (0; 1 host failure or a failed
 * run; 2 bad input), having printed one line on stderr for 1 and 2. */
int lab_msr_main(int argc, char **argv);

#endif
