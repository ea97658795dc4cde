/* Names of hardware exit reasons as the CPU reports them (SVM exit codes,
 * VMX basic exit reasons), the codes the kvm:kvm_exit tracepoint carries. */
#ifndef WARDEN_ACCOUNTING_HW_EXIT_NAMES_H
#define WARDEN_ACCOUNTING_HW_EXIT_NAMES_H

#include <stdint.h>

enum hw_isa { HW_ISA_UNKNOWN = 0, HW_ISA_VMX = 1, HW_ISA_SVM = 2 };

/* Name of CODE, e.g. "NPF", "MSR", "CPUID", "IOIO", "VINTR" on SVM,
 * "EPT_VIOLATION", "IO_INSTRUCTION" on VMX; "SVM_0x1234" when unknown.
 * Returns a pointer to static or BUF storage (BUFLEN >= 24). */
const char *hw_exit_name(enum hw_isa isa, uint32_t code, char *buf, unsigned buflen);

#endif
