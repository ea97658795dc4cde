#include "accounting/hw_exit_names.h"

#include <stdio.h>

/* AMD APM vol. 2, appendix C "SVM intercept exit codes". */
static const char *svm_name(uint32_t c)
{
	static const char *const low[] = {
		[0x60] = "INTR", [0x61] = "NMI", [0x62] = "SMI", [0x63] = "INIT", [0x64] = "VINTR",
		[0x65] = "CR0_SEL_WRITE", [0x66] = "IDTR_READ", [0x67] = "GDTR_READ",
		[0x68] = "LDTR_READ", [0x69] = "TR_READ", [0x6a] = "IDTR_WRITE", [0x6b] = "GDTR_WRITE",
		[0x6c] = "LDTR_WRITE", [0x6d] = "TR_WRITE", [0x6e] = "RDTSC", [0x6f] = "RDPMC",
		[0x70] = "PUSHF", [0x71] = "POPF", [0x72] = "CPUID", [0x73] = "RSM", [0x74] = "IRET",
		[0x75] = "SWINT", [0x76] = "INVD", [0x77] = "PAUSE", [0x78] = "HLT", [0x79] = "INVLPG",
		[0x7a] = "INVLPGA", [0x7b] = "IOIO", [0x7c] = "MSR", [0x7d] = "TASK_SWITCH",
		[0x7e] = "FERR_FREEZE", [0x7f] = "SHUTDOWN", [0x80] = "VMRUN", [0x81] = "VMMCALL",
		[0x82] = "VMLOAD", [0x83] = "VMSAVE", [0x84] = "STGI", [0x85] = "CLGI",
		[0x86] = "SKINIT", [0x87] = "RDTSCP", [0x88] = "ICEBP", [0x89] = "WBINVD",
		[0x8a] = "MONITOR", [0x8b] = "MWAIT", [0x8c] = "MWAIT_COND", [0x8d] = "XSETBV",
		[0x8e] = "RDPRU", [0x8f] = "EFER_WRITE_TRAP", [0x90] = "CR0_WRITE_TRAP",
		[0x94] = "CR4_WRITE_TRAP", [0x98] = "CR8_WRITE_TRAP", [0xa0] = "INVLPGB",
		[0xa1] = "INVLPGB_ILLEGAL", [0xa2] = "INVPCID", [0xa3] = "MCOMMIT",
		[0xa4] = "TLBSYNC", [0xa5] = "BUSLOCK", [0xa6] = "IDLE_HLT",
	};
	static const char *const cr[] = { "READ_CR0", NULL, "READ_CR2", "READ_CR3", "READ_CR4",
					  NULL, NULL, NULL, "READ_CR8" };
	static const char *const crw[] = { "WRITE_CR0", NULL, "WRITE_CR2", "WRITE_CR3", "WRITE_CR4",
					   NULL, NULL, NULL, "WRITE_CR8" };

	if (c < 9)
		return cr[c];
	if (c >= 0x10 && c < 0x19)
		return crw[c - 0x10];
	if (c < sizeof(low) / sizeof(low[0]))
		return low[c];
	switch (c) {
	case 0x400: return "NPF";
	case 0x401: return "AVIC_INCOMPLETE_IPI";
	case 0x402: return "AVIC_NOACCEL";
	case 0x403: return "VMGEXIT";
	case 0xffffffffu: return "INVALID";
	}
	return NULL;
}

/* Intel SDM vol. 3, appendix C "VMX basic exit reasons". */
static const char *vmx_name(uint32_t c)
{
	static const char *const n[] = {
		[0] = "EXCEPTION_NMI", [1] = "EXTERNAL_INTERRUPT", [2] = "TRIPLE_FAULT",
		[3] = "INIT_SIGNAL", [4] = "SIPI_SIGNAL", [7] = "INTERRUPT_WINDOW",
		[8] = "NMI_WINDOW", [9] = "TASK_SWITCH", [10] = "CPUID", [12] = "HLT", [13] = "INVD",
		[14] = "INVLPG", [15] = "RDPMC", [16] = "RDTSC", [18] = "VMCALL", [19] = "VMCLEAR",
		[20] = "VMLAUNCH", [21] = "VMPTRLD", [22] = "VMPTRST", [23] = "VMREAD",
		[24] = "VMRESUME", [25] = "VMWRITE", [26] = "VMOFF", [27] = "VMON",
		[28] = "CR_ACCESS", [29] = "DR_ACCESS", [30] = "IO_INSTRUCTION", [31] = "MSR_READ",
		[32] = "MSR_WRITE", [33] = "INVALID_STATE", [34] = "MSR_LOAD_FAIL",
		[36] = "MWAIT", [37] = "MONITOR_TRAP_FLAG", [39] = "MONITOR", [40] = "PAUSE",
		[41] = "MCE_DURING_VMENTRY", [43] = "TPR_BELOW_THRESHOLD", [44] = "APIC_ACCESS",
		[45] = "EOI_INDUCED", [46] = "GDTR_IDTR", [47] = "LDTR_TR", [48] = "EPT_VIOLATION",
		[49] = "EPT_MISCONFIG", [50] = "INVEPT", [51] = "RDTSCP", [52] = "PREEMPTION_TIMER",
		[53] = "INVVPID", [54] = "WBINVD", [55] = "XSETBV", [56] = "APIC_WRITE",
		[57] = "RDRAND", [58] = "INVPCID", [59] = "VMFUNC", [60] = "ENCLS", [61] = "RDSEED",
		[62] = "PML_FULL", [63] = "XSAVES", [64] = "XRSTORS", [67] = "UMWAIT",
		[68] = "TPAUSE", [74] = "BUS_LOCK", [75] = "NOTIFY",
	};
	c &= 0xffff; /* the upper bits are flags (failed entry, SMM) */
	return c < sizeof(n) / sizeof(n[0]) ? n[c] : NULL;
}

const char *hw_exit_name(enum hw_isa isa, uint32_t code, char *buf, unsigned buflen)
{
	const char *n = NULL;

	if (isa == HW_ISA_SVM) {
		if (code >= 0x40 && code < 0x60) {
			snprintf(buf, buflen, "EXCP_%u", code - 0x40);
			return buf;
		}
		if (code >= 0x20 && code < 0x40) {
			snprintf(buf, buflen, "%s_DR%u", code < 0x30 ? "READ" : "WRITE", code & 0xf);
			return buf;
		}
		n = svm_name(code);
	} else if (isa == HW_ISA_VMX) {
		n = vmx_name(code);
	}
	if (n)
		return n;
	snprintf(buf, buflen, "%s_0x%x", isa == HW_ISA_VMX ? "VMX" : isa == HW_ISA_SVM ? "SVM" : "EXIT",
		 code);
	return buf;
}
