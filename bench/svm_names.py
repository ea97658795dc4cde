"""SVM exit codes (arch/x86/include/uapi/asm/svm.h) by name: L1 runs kvm-amd,
and the kvm_exit hist trigger prints exit_reason as a number."""

SVM = {0x0: "READ_CR0", 0x3: "READ_CR3", 0x4: "READ_CR4", 0x8: "READ_CR8", 0x10: "WRITE_CR0",
       0x13: "WRITE_CR3", 0x14: "WRITE_CR4", 0x18: "WRITE_CR8", 0x60: "INTR", 0x61: "NMI",
       0x62: "SMI", 0x63: "INIT", 0x64: "VINTR", 0x65: "CR0_SEL_WRITE", 0x6e: "RDTSC",
       0x72: "CPUID", 0x74: "IRET", 0x77: "PAUSE", 0x78: "HLT", 0x79: "INVLPG", 0x7b: "IOIO",
       0x7c: "MSR", 0x7f: "SHUTDOWN", 0x81: "VMMCALL", 0x87: "RDTSCP", 0x89: "WBINVD",
       0x8d: "XSETBV", 0x400: "NPF"}
for d in range(16):
    SVM[0x20 + d] = f"READ_DR{d}"
    SVM[0x30 + d] = f"WRITE_DR{d}"
for i, x in enumerate("DE DB NMI BP OF BR UD NM DF 09 TS NP SS GP PF 15 MF AC MC XM".split()):
    SVM[0x40 + i] = f"EXCP_{x}"
