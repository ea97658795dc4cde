/* `warden lab sensitive`: x86's sensitive instructions that do not trap
 * (SGDT, SIDT, SLDT, STR, SMSW, PUSHF/POPF with IF) and CPUID, executed at
 * guest CPL 0 and CPL 3, with CR4.UMIP off and on where CPUID offers it:
 * what each returns against the guest's own state (the vCPU's registers
 * as KVM holds them, and what warden set up), whether it faulted, and the
 * exits around it (issue 12, section 5). */
#ifndef WARDEN_LAB_SENSITIVE_LAB_H
#define WARDEN_LAB_SENSITIVE_LAB_H

#include <stdbool.h>

#include "lab/sensitive_abi.h"

/* What the grid figure shows (lab/sensitive_svg.c): per context (a CPL
 * and CR4.UMIP) and instruction, whether it ran, returned the guest's own
 * state or faulted, the exits per execution (KVM's: NAN where unknown),
 * and what it returned against what it should have. */
struct sn_plot_cell {
	bool ran, own, faulted;
	unsigned vector;
	double exits, kvm_exits;
	const char *got, *want;
};
struct sn_plot {
	const char *ctx[SN_NCTX], *op[SN_NOPS];
	int cpl[SN_NCTX];
	bool umip[SN_NCTX];
	struct sn_plot_cell cell[SN_NCTX][SN_NOPS];
	const char *tier, *kvm, *kernel;
};

/* Writes the figure to PATH: 0, or -1 (fail() said why: ERR_USAGE). */
int sn_write_svg(const char *path, const struct sn_plot *p);

/* ARGV[0] is "sensitive".  The exit status (0, also when some instruction
 * returned something else than the guest's own state: that is a finding,
 * in the table and the JSON's `wrong`; 1 host failure or a run that did
 * not finish; 2 bad input), having printed one line on stderr for 1 and 2. */
int lab_sensitive_main(int argc, char **argv);

#endif
