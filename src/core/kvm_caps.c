#include "core/kvm_caps.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/cpuid.h"
#include "core/kvm.h"
#include "util/error.h"

/* Where warden uses a row: the one place to update when warden starts (or
 * stops) using a capability. Keyed by the row's name; the paravirtual
 * features share the key of their CPUID leaf. */
#define CAPS_PV_KEY "cpuid-0x40000001"
static const struct {
	const char *name, *where;
} warden_uses[] = {
	{ "ioeventfd", "virtio queue notifications (src/virtio/mmio.c)" },
	{ "irqfd", "virtio interrupts (src/virtio/mmio.c)" },
	{ "irqchip", "in-kernel LAPIC, IOAPIC and PIC (src/core/vm.c)" },
	{ "split-irqchip", "--irqchip split: the LAPICs in KVM, warden's own IOAPIC with only the wired pins "
			   "(src/core/ioapic.c)" },
	{ "readonly-mem", "--irqchip split: the IOAPIC's register reads from a read-only page, one exit a "
			  "read instead of two (src/core/ioapic.c); off with --no-ioapic-window" },
	{ "coalesced-mmio", "the ring coalesced port writes go through (src/core/vm_exits.c)" },
	{ "coalesced-pio", "the UART's transmit register, the RTC's index port (src/devices/serial.c, "
			   "rtc_device.c); off with --no-coalesced-pio" },
	{ "pit2", "in-kernel PIT (src/core/vm.c)" },
	{ "max-vcpus", "the --cpus limit (src/core/kvm.c)" },
	{ "disable-exits", "HLT passthrough with --hlt-passthrough (src/core/vm_idle.c)" },
	{ "halt-poll", "--halt-poll-ns (src/core/vm_idle.c)" },
	{ "binary-stats", "the exits handled in KVM (src/accounting/kvm_stats.c)" },
	{ "manual-dirty-log-protect", "the register page's dirty-log scans (src/devices/regpage.c, warden lab)" },
	{ CAPS_PV_KEY, "offered to the guest: KVM_GET_SUPPORTED_CPUID's leaf passed on (src/core/cpuid.c)" },
};

const struct caps_cap_def caps_cap_defs[] = {
	{ "ioeventfd", "KVM_CAP_IOEVENTFD", KVM_CAP_IOEVENTFD, CAPS_BOOL, { 0 },
	  "doorbell MMIO/PIO write exits to user space: KVM completes the write and signals an eventfd" },
	{ "ioeventfd-any-length", "KVM_CAP_IOEVENTFD_ANY_LENGTH", KVM_CAP_IOEVENTFD_ANY_LENGTH, CAPS_BOOL, { 0 },
	  "the same for doorbells written with any access width (length-0 ioeventfds)" },
	{ "irqfd", "KVM_CAP_IRQFD", KVM_CAP_IRQFD, CAPS_BOOL, { 0 },
	  "an interrupt-injection ioctl per interrupt: a device thread writes an eventfd and KVM injects" },
	{ "irqfd-resample", "KVM_CAP_IRQFD_RESAMPLE", KVM_CAP_IRQFD_RESAMPLE, CAPS_BOOL, { 0 },
	  "user-space EOI handling of level-triggered irqfd interrupts: KVM lowers the line at EOI, signals an eventfd" },
	{ "coalesced-mmio", "KVM_CAP_COALESCED_MMIO", KVM_CAP_COALESCED_MMIO, CAPS_PAGE, { 0 },
	  "MMIO write exits for registers whose writes may wait: KVM queues them in a ring read at the next exit" },
	{ "coalesced-pio", "KVM_CAP_COALESCED_PIO", KVM_CAP_COALESCED_PIO, CAPS_BOOL, { 0 },
	  "the same for port writes (the ring of coalesced MMIO)" },
	{ "irqchip", "KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP, CAPS_BOOL, { 0 },
	  "APIC, IOAPIC and PIC access exits and HLT exits to user space: the interrupt controllers run in KVM" },
	{ "split-irqchip", "KVM_CAP_SPLIT_IRQCHIP", KVM_CAP_SPLIT_IRQCHIP, CAPS_BOOL, { 0 },
	  "local APIC exits only: IOAPIC and PIC stay in user space (their accesses and level EOIs exit)" },
	{ "pit2", "KVM_CAP_PIT2", KVM_CAP_PIT2, CAPS_BOOL, { 0 },
	  "PIT port exits (0x40-0x43) to user space: the timer runs in KVM" },
	{ "disable-exits", "KVM_CAP_X86_DISABLE_EXITS", KVM_CAP_X86_DISABLE_EXITS, CAPS_BITS,
	  { "mwait", "hlt", "pause", "cstate" },
	  "MWAIT, HLT and PAUSE exits and C-state MSR exits: the guest idles and spins on a CPU of its own" },
	{ "halt-poll", "KVM_CAP_HALT_POLL", KVM_CAP_HALT_POLL, CAPS_BOOL, { 0 },
	  "none: sets a VM's halt polling (the vCPU polls after a HLT before sleeping: no wake-up latency)" },
	{ "user-space-msr", "KVM_CAP_X86_USER_SPACE_MSR", KVM_CAP_X86_USER_SPACE_MSR, CAPS_BOOL, { 0 },
	  "none, it adds exits: MSR accesses KVM cannot handle reach user space instead of a #GP" },
	{ "msr-filter", "KVM_CAP_X86_MSR_FILTER", KVM_CAP_X86_MSR_FILTER, CAPS_BOOL, { 0 },
	  "none: picks the MSRs whose accesses exit to user space; the rest stay in KVM" },
	{ "dirty-log-ring", "KVM_CAP_DIRTY_LOG_RING", KVM_CAP_DIRTY_LOG_RING, CAPS_BYTES, { 0 },
	  "dirty-bitmap scans of live migration: dirtied pages queued per vCPU (a full ring is one exit)" },
	{ "dirty-log-ring-acq-rel", "KVM_CAP_DIRTY_LOG_RING_ACQ_REL", KVM_CAP_DIRTY_LOG_RING_ACQ_REL, CAPS_BYTES, { 0 },
	  "the same ring with acquire/release ordering (weakly ordered hosts)" },
	{ "manual-dirty-log-protect", "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2", KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, CAPS_BITS,
	  { "manual-protect", "initially-set" },
	  "write-protection faults after each dirty-log read: pages are protected again only when cleared" },
	{ "binary-stats", "KVM_CAP_BINARY_STATS_FD", KVM_CAP_BINARY_STATS_FD, CAPS_BOOL, { 0 },
	  "none: KVM's own exit counters, read from a file descriptor (the exits handled in KVM)" },
	{ "x2apic-api", "KVM_CAP_X2APIC_API", KVM_CAP_X2APIC_API, CAPS_BITS,
	  /* Bits 2 and 3 (KVM_X2APIC_{ENABLE,DISABLE}_SUPPRESS_EOI_BROADCAST)
	   * are newer than the 6.1 header; only their names are needed here. */
	  { "32bit-ids", "no-bcast-quirk", "eoi-supp-on", "eoi-supp-off" },
	  "none by itself: 32-bit x2APIC IDs for more than 255 vCPUs (x2APIC MSRs are handled in KVM)" },
	{ "pmu-capability", "KVM_CAP_PMU_CAPABILITY", KVM_CAP_PMU_CAPABILITY, CAPS_BITS, { "disable" },
	  "PMU MSR exits: a VM can be created without a virtual PMU" },
	{ "kvmclock-ctrl", "KVM_CAP_KVMCLOCK_CTRL", KVM_CAP_KVMCLOCK_CTRL, CAPS_BOOL, { 0 },
	  "none: tells the guest it was paused, so its lockup watchdogs do not fire" },
	{ "readonly-mem", "KVM_CAP_READONLY_MEM", KVM_CAP_READONLY_MEM, CAPS_BOOL, { 0 },
	  "read exits on ROM and flash regions: reads come from memory, only writes exit as MMIO" },
	{ "sync-regs", "KVM_CAP_SYNC_REGS", KVM_CAP_SYNC_REGS, CAPS_BITS, { "regs", "sregs", "events" },
	  "register ioctls around the exits user space handles: registers are shared in kvm_run" },
	{ "disable-nx-huge-pages", "KVM_CAP_VM_DISABLE_NX_HUGE_PAGES", KVM_CAP_VM_DISABLE_NX_HUGE_PAGES, CAPS_BOOL, { 0 },
	  "NPT/EPT faults from splitting executable huge pages (iTLB multihit mitigation), for one VM" },
	{ "nr-vcpus", "KVM_CAP_NR_VCPUS", KVM_CAP_NR_VCPUS, CAPS_NUMBER, { 0 },
	  "none: the recommended vCPU count of a VM (warden reads it only without max-vcpus)" },
	{ "max-vcpus", "KVM_CAP_MAX_VCPUS", KVM_CAP_MAX_VCPUS, CAPS_NUMBER, { 0 },
	  "none: the largest vCPU count of a VM" },
};
const unsigned caps_ncap = sizeof(caps_cap_defs) / sizeof(caps_cap_defs[0]);
_Static_assert(sizeof(caps_cap_defs) / sizeof(caps_cap_defs[0]) <= CAPS_NCAP_MAX, "caps table too long");

/* Bits of KVM_GET_SUPPORTED_CPUID's leaf 0x40000001 EAX (asm/kvm_para.h,
 * Documentation/virt/kvm/x86/cpuid.rst). The guest enables each itself. */
const struct caps_pv_def caps_pv_defs[] = {
	{ "kvmclock", "KVM_FEATURE_CLOCKSOURCE", 0,
	  "clock reads through PIT, HPET or ACPI PM timer exits: the time comes from a page KVM updates" },
	{ "kvmclock2", "KVM_FEATURE_CLOCKSOURCE2", 3, "the same, at the newer MSRs" },
	{ "kvmclock-stable", "KVM_FEATURE_CLOCKSOURCE_STABLE_BIT", 24,
	  "none: kvmclock has no per-CPU warps, so the guest may read it in user space (vDSO)" },
	{ "nop-io-delay", "KVM_FEATURE_NOP_IO_DELAY", 1,
	  "the port 0x80 writes a guest makes as I/O delays (a PIO exit each)" },
	{ "async-pf", "KVM_FEATURE_ASYNC_PF", 4,
	  "vCPU stalls while the host faults a guest page in: the guest runs another task meanwhile" },
	{ "async-pf-int", "KVM_FEATURE_ASYNC_PF_INT", 14,
	  "the same, 'page ready' delivered as an interrupt instead of a #PF" },
	{ "async-pf-vmexit", "KVM_FEATURE_ASYNC_PF_VMEXIT", 10,
	  "the same, also while the guest runs a nested guest" },
	{ "steal-time", "KVM_FEATURE_STEAL_TIME", 5, "none: tells the guest how long it was not running" },
	{ "pv-eoi", "KVM_FEATURE_PV_EOI", 6,
	  "the EOI exit of most interrupts (where APICv/AVIC is off): EOI through a flag in guest memory" },
	{ "pv-unhalt", "KVM_FEATURE_PV_UNHALT", 7,
	  "spinning (PAUSE exits) on locks of preempted vCPUs: waiters halt and are kicked by hypercall" },
	{ "pv-tlb-flush", "KVM_FEATURE_PV_TLB_FLUSH", 9,
	  "TLB-flush IPIs to preempted vCPUs (ICR exits, waiting): they flush at their next entry" },
	{ "pv-send-ipi", "KVM_FEATURE_PV_SEND_IPI", 11,
	  "an ICR-write exit per IPI destination: one hypercall reaches up to 128 vCPUs" },
	{ "pv-sched-yield", "KVM_FEATURE_PV_SCHED_YIELD", 13,
	  "spinning on an IPI to a preempted vCPU: the sender yields its CPU to it by hypercall" },
	{ "poll-control", "KVM_FEATURE_POLL_CONTROL", 12,
	  "host halt polling on top of the guest's own (cpuidle-haltpoll): the guest switches it off" },
	{ "msi-ext-dest-id", "KVM_FEATURE_MSI_EXT_DEST_ID", 15,
	  "none: MSIs to APIC IDs above 255 without an IOMMU" },
	{ "hc-map-gpa-range", "KVM_FEATURE_HC_MAP_GPA_RANGE", 16,
	  "none: encrypted guests tell KVM which pages they share" },
	{ "migration-control", "KVM_FEATURE_MIGRATION_CONTROL", 17, "none: migration of encrypted guests" },
};
const unsigned caps_npv = sizeof(caps_pv_defs) / sizeof(caps_pv_defs[0]);

/* Module parameters (arch/x86/kvm/{svm/svm.c,vmx/vmx.c,x86.c,mmu/mmu.c}).
 * They apply to every VM; no VMM chooses them. */
const struct caps_hw_def caps_hw_defs[] = {
	{ "kvm_amd", "npt", "npt",
	  "shadow paging's exits: guest page faults, CR3 writes and INVLPG run without exits" },
	{ "kvm_amd", NULL, "asid",
	  "TLB flushes at each VM entry and exit: guest TLB entries are tagged (always on in SVM)" },
	{ "kvm_amd", "avic", "avic",
	  "APIC access exits (EOI, TPR, most ICR writes) and interrupt windows: interrupts posted to running vCPUs" },
	{ "kvm_amd", "vnmi", "vnmi", "NMI-window (IRET) exits: the CPU tracks the guest's NMI masking" },
	{ "kvm_amd", "lbrv", "lbrv", "DEBUGCTL and LBR MSR exits: branch records switched by the CPU" },
	{ "kvm_amd", "tsc_scaling", "tsc_scaling",
	  "RDTSC exits for a guest TSC frequency other than the host's" },
	{ "kvm_amd", "pause_filter_count", "pause_filter_count",
	  "endless PAUSE spins on preempted lock holders: one exit after N PAUSEs lets the host run them (0: off)" },
	{ "kvm_amd", "nrips", "nrips",
	  "none; makes intercepted instructions cheaper: KVM need not decode them to skip them" },
	{ "kvm_amd", "vgif", "vgif", "STGI/CLGI exits of a guest hypervisor" },
	{ "kvm_amd", "vls", "vls", "VMLOAD/VMSAVE exits of a guest hypervisor" },
	{ "kvm_amd", "nested", "nested",
	  "none: lets guests run a hypervisor of their own (its exits pass through this KVM)" },
	{ "kvm_intel", "ept", "ept",
	  "shadow paging's exits: guest page faults, CR3 writes and INVLPG run without exits" },
	{ "kvm_intel", "vpid", "vpid",
	  "TLB flushes at each VM entry and exit: guest TLB entries are tagged" },
	{ "kvm_intel", "enable_apicv", "enable_apicv",
	  "APIC access exits (EOI, TPR) and interrupt windows; posted interrupts reach running vCPUs without exits" },
	{ "kvm_intel", "enable_ipiv", "enable_ipiv", "ICR-write exits of IPIs between running vCPUs" },
	{ "kvm_intel", "flexpriority", "flexpriority", "TPR access exits (MMIO TPR through the APIC access page)" },
	{ "kvm_intel", "unrestricted_guest", "unrestricted_guest",
	  "KVM's instruction-by-instruction emulation of real mode and big real mode" },
	{ "kvm_intel", "pml", "pml",
	  "write-protection faults of dirty logging: the CPU logs dirty pages, one exit per 512" },
	{ "kvm_intel", "eptad", "eptad", "faults for accessed/dirty tracking: the CPU sets EPT A/D bits" },
	{ "kvm_intel", "preemption_timer", "preemption_timer",
	  "host timer interrupts for the guest's LAPIC timer: the VMX preemption timer fires in guest mode" },
	{ "kvm_intel", "ple_gap", "ple_gap",
	  "endless PAUSE spins on preempted lock holders: one exit per spin lets the host run them (0: off)" },
	{ "kvm_intel", "enable_shadow_vmcs", "enable_shadow_vmcs", "VMREAD/VMWRITE exits of a guest hypervisor" },
	{ "kvm_intel", "nested", "nested",
	  "none: lets guests run a hypervisor of their own (its exits pass through this KVM)" },
	{ "kvm", "halt_poll_ns", "halt_poll_ns",
	  "the sleep and wake-up after a short HLT: the vCPU polls this many ns first (0: off)" },
	{ "kvm", "mmio_caching", "mmio_caching",
	  "page walks on MMIO exits: MMIO pages are marked in NPT/EPT, so their faults are known at once" },
	{ "kvm", "nx_huge_pages", "nx_huge_pages",
	  "when on, it adds NPT/EPT faults: executable huge pages are split (iTLB multihit mitigation)" },
	{ "kvm", "eager_page_split", "eager_page_split",
	  "faults splitting huge pages once dirty logging starts: they are split up front" },
	{ "kvm", "enable_pmu", "enable_pmu", "when off, guests have no PMU and so no PMU MSR exits" },
};
const unsigned caps_nhw = sizeof(caps_hw_defs) / sizeof(caps_hw_defs[0]);
_Static_assert(sizeof(caps_hw_defs) / sizeof(caps_hw_defs[0]) <= CAPS_NHW_MAX, "hw table too long");

const char *caps_used_by(const char *name)
{
	for (unsigned i = 0; i < sizeof(warden_uses) / sizeof(warden_uses[0]); i++)
		if (strcmp(warden_uses[i].name, name) == 0)
			return warden_uses[i].where;
	return NULL;
}

long caps_cap_value(const struct caps_report *r, unsigned i)
{
	if (r->vm_created && r->check_on_vm)
		return r->cap[i].vm;
	return r->cap[i].system;
}

bool caps_cap_available(const struct caps_report *r, unsigned i)
{
	return caps_cap_value(r, i) > 0;
}

bool caps_cap_used(const struct caps_report *r, unsigned i)
{
	return caps_cap_available(r, i) && caps_used_by(caps_cap_defs[i].name);
}

bool caps_pv_available(const struct caps_report *r, unsigned i)
{
	return r->pv_leaf && (r->pv_eax >> caps_pv_defs[i].bit & 1);
}

bool caps_pv_used(const struct caps_report *r, unsigned i)
{
	return caps_pv_available(r, i) && caps_used_by(CAPS_PV_KEY);
}

static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s%s", n ? "," : "", s);
}

static void format_bits(const struct caps_cap_def *def, long value, char *buf, size_t len)
{
	char other[16];

	buf[0] = 0;
	for (unsigned b = 0; b < 8 * sizeof(value) - 1; b++) {
		if (!(value >> b & 1))
			continue;
		if (b < CAPS_MAX_BITS && def->bits[b]) {
			append(buf, len, def->bits[b]);
		} else {
			snprintf(other, sizeof(other), "bit%u", b);
			append(buf, len, other);
		}
	}
}

void caps_format_value(const struct caps_cap_def *def, long value, char *buf, size_t len)
{
	if (value == CAPS_UNCHECKED)
		snprintf(buf, len, "unchecked");
	else if (value < 0)
		snprintf(buf, len, "error");
	else if (value == 0)
		snprintf(buf, len, "no");
	else if (def->kind == CAPS_NUMBER)
		snprintf(buf, len, "%ld", value);
	else if (def->kind == CAPS_BITS)
		format_bits(def, value, buf, len);
	else if (def->kind == CAPS_BYTES && value % (1L << 20) == 0)
		snprintf(buf, len, "%ld MiB", value >> 20);
	else if (def->kind == CAPS_BYTES && value % 1024 == 0)
		snprintf(buf, len, "%ld KiB", value >> 10);
	else if (def->kind == CAPS_BYTES)
		snprintf(buf, len, "%ld bytes", value);
	else if (def->kind == CAPS_PAGE)
		snprintf(buf, len, "yes (ring at page %ld)", value);
	else if (value == 1)
		snprintf(buf, len, "yes");
	else
		snprintf(buf, len, "yes (%ld)", value);
}

int caps_param_enabled(const char *value)
{
	static const char *const on[] = { "Y", "y", "always", "force", "on" };
	static const char *const off[] = { "N", "n", "never", "off" };
	char *end;
	long v;

	for (unsigned i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (strcmp(value, on[i]) == 0)
			return 1;
	for (unsigned i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (strcmp(value, off[i]) == 0)
			return 0;
	errno = 0;
	v = strtol(value, &end, 0);
	if (!value[0] || *end || errno)
		return -1;
	return v > 0;
}

static bool module_loaded(const char *module)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", module);
	return access(path, F_OK) == 0;
}

bool caps_hw_relevant(const struct caps_report *r, unsigned i)
{
	const char *m = caps_hw_defs[i].module;

	if (strcmp(m, "kvm") == 0)
		return r->hw[i].present;
	return strcmp(m, caps_module_name(r->host.module)) == 0;
}

bool caps_hw_enabled(const struct caps_report *r, unsigned i)
{
	return r->hw[i].present && caps_param_enabled(r->hw[i].value) == 1;
}

const char *caps_module_name(enum caps_module m)
{
	switch (m) {
	case CAPS_MOD_INTEL: return "kvm_intel";
	case CAPS_MOD_AMD: return "kvm_amd";
	case CAPS_MOD_PVM: return "kvm_pvm";
	default: return "none";
	}
}

const char *caps_module_summary(enum caps_module m)
{
	switch (m) {
	case CAPS_MOD_INTEL: return "hardware-assisted KVM (Intel VT-x)";
	case CAPS_MOD_AMD: return "hardware-assisted KVM (AMD-V, SVM)";
	case CAPS_MOD_PVM:
		return "paravirtual nested KVM (PVM): not hardware-assisted; guest kernel code is emulated";
	default: return "no KVM module loaded (no kvm_intel, kvm_amd or kvm_pvm in /sys/module)";
	}
}

const char *caps_signature_meaning(const char *sig)
{
	static const struct {
		const char *sig, *meaning;
	} known[] = {
		{ "TCGTCGTCGTCG", "emulated by QEMU TCG: every instruction runs in a software emulator" },
		{ "KVMKVMKVM", "virtualised by KVM: this host is itself a KVM guest" },
		{ "Linux KVM Hv", "virtualised by KVM (Hyper-V interface): this host is itself a KVM guest" },
		{ "Microsoft Hv", "virtualised by Hyper-V: this host is itself a guest" },
		{ "VMwareVMware", "virtualised by VMware: this host is itself a guest" },
		{ "XenVMMXenVMM", "virtualised by Xen: this host is itself a guest" },
		{ "VBoxVBoxVBox", "virtualised by VirtualBox: this host is itself a guest" },
		{ "bhyve bhyve ", "virtualised by bhyve: this host is itself a guest" },
		{ "ACRNACRNACRN", "virtualised by ACRN: this host is itself a guest" },
	};

	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(sig, known[i].sig) == 0)
			return known[i].meaning;
	return "virtualised by an unknown hypervisor: this host is itself a guest";
}

void caps_cpu_summary(const struct caps_host *h, char *buf, size_t len)
{
	if (!h->cpu_hypervisor)
		snprintf(buf, len, "bare metal (CPUID hypervisor bit clear)");
	else
		snprintf(buf, len, "%s (CPUID 0x40000000 \"%s\")", caps_signature_meaning(h->cpu_signature),
			 h->cpu_signature);
}

/* The CPU warden itself runs on, as CPUID shows it to this process. */
static void detect_cpu(struct caps_host *h)
{
	unsigned a, b, c, d;

	__cpuid(1, a, b, c, d);
	h->cpu_hypervisor = c >> 31 & 1;
	if (!h->cpu_hypervisor)
		return;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(h->cpu_signature, &b, 4);
	memcpy(h->cpu_signature + 4, &c, 4);
	memcpy(h->cpu_signature + 8, &d, 4);
	h->cpu_signature[12] = 0;
	/* Keep it printable: a hypervisor may pad with anything. */
	for (char *p = h->cpu_signature; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}

/* vmx/svm in the first "flags" line of /proc/cpuinfo. */
static void detect_cpu_flags(struct caps_host *h)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "flags", 5) != 0 || !colon)
			continue;
		h->cpuinfo_read = true;
		for (char *save, *t = strtok_r(colon + 1, " \n", &save); t;
		     t = strtok_r(NULL, " \n", &save)) {
			h->cpu_vmx |= strcmp(t, "vmx") == 0;
			h->cpu_svm |= strcmp(t, "svm") == 0;
		}
		break;
	}
	fclose(f);
}

bool caps_host_emulated(const struct caps_host *h)
{
	return h->cpu_hypervisor && strcmp(h->cpu_signature, "TCGTCGTCGTCG") == 0;
}

const char *caps_host_tier(const struct caps_host *h)
{
	return caps_host_emulated(h) ? "emulated" : "native";
}

void caps_host_detect(struct caps_host *h)
{
	struct utsname u;

	memset(h, 0, sizeof(*h));
	/* A hardware module owns /dev/kvm when loaded; kvm_pvm otherwise. */
	if (module_loaded("kvm_amd"))
		h->module = CAPS_MOD_AMD;
	else if (module_loaded("kvm_intel"))
		h->module = CAPS_MOD_INTEL;
	else if (module_loaded("kvm_pvm"))
		h->module = CAPS_MOD_PVM;
	detect_cpu(h);
	detect_cpu_flags(h);
	if (uname(&u) == 0)
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
}

static void read_param(const struct caps_hw_def *def, struct caps_hw_result *res)
{
	char path[256];
	FILE *f;
	size_t n;

	if (!module_loaded(def->module))
		return;
	if (!def->param) {
		res->present = true;
		snprintf(res->value, sizeof(res->value), "always");
		return;
	}
	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", def->module, def->param);
	f = fopen(path, "r");
	if (!f)
		return;
	n = fread(res->value, 1, sizeof(res->value) - 1, f);
	fclose(f);
	res->value[n] = 0;
	while (n > 0 && (res->value[n - 1] == '\n' || res->value[n - 1] == ' '))
		res->value[--n] = 0;
	res->present = true;
}

/* Records the first failure only: it is the one the user must fix. */
static int probe_failed(struct caps_report *r)
{
	if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "%s", err_msg());
	return -1;
}

static void check_caps(int fd, bool on_vm, struct caps_report *r)
{
	for (unsigned i = 0; i < caps_ncap; i++) {
		long v = ioctl(fd, KVM_CHECK_EXTENSION, caps_cap_defs[i].number);

		if (on_vm)
			r->cap[i].vm = v;
		else
			r->cap[i].system = v;
	}
}

static int read_pv_leaf(int kvm_fd, struct caps_report *r)
{
	struct kvm_cpuid2 *c = cpuid_supported(kvm_fd);

	if (!c)
		return -1;
	r->cpuid_read = true;
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == CPUID_KVM_FEATURES) {
			r->pv_leaf = true;
			r->pv_eax = c->entries[i].eax;
		}
	free(c);
	return 0;
}

/* Some capabilities answer only on a VM fd (KVM_CAP_CHECK_EXTENSION_VM). */
static int probe_vm(int kvm_fd, struct caps_report *r)
{
	int vm_fd;

	do
		vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	while (vm_fd < 0 && errno == EINTR);
	if (vm_fd < 0)
		return fail_errno(ERR_HOST, "KVM_CREATE_VM on %s", r->device);
	r->vm_created = true;
	r->check_on_vm = kvm_has_cap(kvm_fd, KVM_CAP_CHECK_EXTENSION_VM);
	if (r->check_on_vm)
		check_caps(vm_fd, true, r);
	close(vm_fd);
	return 0;
}

int caps_probe(struct caps_report *r, const char *device)
{
	int kvm_fd, st = 0;

	memset(r, 0, sizeof(*r));
	r->device = device;
	caps_host_detect(&r->host);
	for (unsigned i = 0; i < caps_nhw; i++)
		read_param(&caps_hw_defs[i], &r->hw[i]);
	for (unsigned i = 0; i < caps_ncap; i++)
		r->cap[i].system = r->cap[i].vm = CAPS_UNCHECKED;
	kvm_fd = kvm_open(device);
	if (kvm_fd < 0)
		return probe_failed(r);
	r->kvm_open = true;
	check_caps(kvm_fd, false, r);
	if (probe_vm(kvm_fd, r) < 0)
		st = probe_failed(r);
	if (read_pv_leaf(kvm_fd, r) < 0)
		st = probe_failed(r);
	close(kvm_fd);
	if (st < 0)
		fail(ERR_HOST, "%s", r->error); /* the first failure, not the last */
	return st;
}
