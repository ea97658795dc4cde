"""Names of the MSRs a booting Linux guest touches, for the bench reports
(exitsources_report.py, msr_census_report.py). A name missing here is
printed as the bare index."""

MSRS = {0x10: "TSC", 0x1b: "APIC_BASE", 0x3a: "FEATURE_CONTROL", 0x3b: "TSC_ADJUST",
        0x48: "SPEC_CTRL", 0x49: "PRED_CMD",
        0x8b: "microcode revision", 0xfe: "MTRRcap", 0x10a: "ARCH_CAPABILITIES",
        0x174: "SYSENTER_CS", 0x175: "SYSENTER_ESP", 0x176: "SYSENTER_EIP",
        0x179: "MCG_CAP", 0x17a: "MCG_STATUS", 0x1a0: "MISC_ENABLE", 0x1d9: "DEBUGCTL", 0x277: "PAT",
        0x2ff: "MTRRdefType", 0x6e0: "TSC_DEADLINE", 0x802: "x2APIC ID", 0x803: "x2APIC version",
        0x808: "x2APIC TPR", 0x80b: "x2APIC EOI", 0x80d: "x2APIC LDR", 0x80f: "x2APIC SVR",
        0x828: "x2APIC ESR", 0x830: "x2APIC ICR", 0x832: "x2APIC LVT timer",
        0x835: "x2APIC LVT LINT0", 0x836: "x2APIC LVT LINT1", 0x837: "x2APIC LVT error",
        0x838: "x2APIC TMICT (timer count)", 0x839: "x2APIC TMCCT (timer read)",
        0x83e: "x2APIC TDCR", 0xc0000080: "EFER", 0xc0000081: "STAR", 0xc0000082: "LSTAR",
        0xc0000083: "CSTAR", 0xc0000084: "SYSCALL_MASK", 0xc0000100: "FS_BASE",
        0xc0000101: "GS_BASE", 0xc0000102: "KERNEL_GS_BASE", 0xc0000103: "TSC_AUX",
        0xc0010015: "HWCR", 0xc0011029: "DE_CFG",
        0x4b564d00: "KVM wall clock", 0x4b564d01: "KVM system time (kvmclock)",
        0x4b564d02: "KVM async PF", 0x4b564d03: "KVM steal time", 0x4b564d04: "KVM PV EOI",
        0x4b564d05: "KVM poll control"}
MSRS.update({0x833: "x2APIC LVT thermal", 0x834: "x2APIC LVT PMI",
             0xc0010000: "PerfEvtSel0 (K7)", 0xc0010001: "PerfEvtSel1 (K7)", 0xc0010002: "PerfEvtSel2 (K7)",
             0xc0010003: "PerfEvtSel3 (K7)", 0xc0010004: "PerfCtr0 (K7)", 0xc0010005: "PerfCtr1 (K7)",
             0xc0010006: "PerfCtr2 (K7)", 0xc0010007: "PerfCtr3 (K7)", 0xc0010010: "SYSCFG",
             0xc001001f: "NB_CFG", 0x4b564d06: "KVM async PF interrupt", 0x4b564d07: "KVM async PF ack"})
for i in range(8):
    MSRS[0x200 + 2 * i] = f"MTRRphysBase{i}"
    MSRS[0x201 + 2 * i] = f"MTRRphysMask{i}"
    MSRS[0x810 + i] = f"x2APIC ISR{i}"
    MSRS[0x818 + i] = f"x2APIC TMR{i}"
    MSRS[0x820 + i] = f"x2APIC IRR{i}"
MSRS.update({0x250: "MTRRfix64K_00000", 0x258: "MTRRfix16K_80000", 0x259: "MTRRfix16K_A0000"})
for i in range(8):
    MSRS[0x268 + i] = f"MTRRfix4K_{0xC0000 + i * 0x8000:05X}"
