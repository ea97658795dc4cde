/* `warden lab sensitive`: x86's sensitive instructions that do not trap
 * (SGDT, SIDT, SLDT, STR, SMSW, PUSHF/POPF with IF) and CPUID, executed at
 * guest CPL 0 and CPL 3, with CR4.UMIP off and on where CPUID offers it:
 * what each returns against the guest's own state (the vCPU's registers
 * as KVM holds them, and what warden set up), whether it faulted, and the
 * exits around it (issue 12, section 5). */
#ifndef WARDEN_LAB_SENSITIVE_LAB_H
#define WARDEN_LAB_SENSITIVE_LAB_H

/* ARGV[0] is "sensitive".  The exit status (0, also when some instruction
 * returned something else than the guest's own state: that is a finding,
 * in the table and the JSON's `wrong`; 1 host failure or a run that did
 * not finish; 2 bad input), having printed one line on stderr for 1 and 2. */
int lab_sensitive_main(int argc, char **argv);

#endif
