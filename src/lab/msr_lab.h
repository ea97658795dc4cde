/* `warden lab msr-filter`: a guest loop writing an MSR (IA32_TSC_AUX and
 * IA32_KERNEL_GS_BASE) left to KVM, and the same loop with the MSR sent
 * to warden by an MSR filter (KVM_X86_SET_MSR_FILTER with
 * KVM_CAP_X86_USER_SPACE_MSR): exits and ns per iteration each way, the
 * model's exits next to them (issue 12, section 5).  The runs are `warden
 * bench exits`' (lab/exits_run.h) with the MSR of the experiment's. */
#ifndef WARDEN_LAB_MSR_LAB_H
#define WARDEN_LAB_MSR_LAB_H

#include <stdbool.h>

#define MSR_NMSRS 2
#define MSR_NMODES 2 /* 0: left to KVM, 1: intercepted (sent to warden) */

/* What the plot shows (lab/msr_svg.c): per MSR and way the median ns per
 * write, the exits to warden per write (and the model's), or why the run
 * did not measure (WHY non-empty). */
struct msr_plot {
	const char *msr[MSR_NMSRS], *mode[MSR_NMODES];
	double ns[MSR_NMSRS][MSR_NMODES], exits[MSR_NMSRS][MSR_NMODES];
	const char *why[MSR_NMSRS][MSR_NMODES];
	const char *tier, *kvm, *kernel;
};

/* Writes the plot to PATH: 0, or -1 (fail() said why: ERR_USAGE). */
int msr_write_svg(const char *path, const struct msr_plot *p);

/* ARGV[0] is "msr-filter".  The exit status (0; 1 host failure or a failed
 * run; 2 bad input), having printed one line on stderr for 1 and 2. */
int lab_msr_main(int argc, char **argv);

#endif
