#include "lab/exits_rows.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/cpuid.h"
#include "core/kvm.h"
#include "util/error.h"

const struct lab_row lab_rows[] = {
	{ "loop", "nothing: the measuring loop alone (a TSC read and a store)", LAB_OP_LOOP, LAB_T_NONE, 0,
	  LAB_EXPECT_NONE, NULL },
	{ "cpuid", "CPUID leaf 0, emulated by KVM", LAB_OP_CPUID, LAB_T_NONE, 0, LAB_EXPECT_NONE, NULL },
	{ "hypercall-kvm", "VMCALL/VMMCALL of a number KVM does not know: KVM answers -KVM_ENOSYS",
	  LAB_OP_HYPERCALL, LAB_T_NONE, LAB_NEED_VMCALL, LAB_EXPECT_NONE, NULL },
	{ "pio-warden", "OUT to a port of warden's bench device: an exit to warden", LAB_OP_PIO_WRITE,
	  LAB_T_PORT_EXIT, 0, LAB_EXPECT_ONE, NULL },
	{ "pio-ioeventfd", "OUT to a port an ioeventfd absorbs: KVM signals an eventfd", LAB_OP_PIO_WRITE,
	  LAB_T_PORT_DOORBELL, LAB_NEED_IOEVENTFD, LAB_EXPECT_NONE, NULL },
	{ "mmio-write-warden", "4-byte MMIO store to warden's bench device", LAB_OP_MMIO_WRITE,
	  LAB_T_MMIO_EXIT, 0, LAB_EXPECT_ONE, NULL },
	{ "mmio-read-warden", "4-byte MMIO load from warden's bench device", LAB_OP_MMIO_READ,
	  LAB_T_MMIO_EXIT, 0, LAB_EXPECT_ONE, NULL },
	{ "mmio-ioeventfd", "4-byte MMIO store an ioeventfd absorbs", LAB_OP_MMIO_WRITE,
	  LAB_T_MMIO_DOORBELL, LAB_NEED_IOEVENTFD, LAB_EXPECT_NONE, NULL },
	{ "mmio-coalesced", "4-byte MMIO store KVM queues in the coalesced MMIO ring (an exit when it is full)",
	  LAB_OP_MMIO_WRITE, LAB_T_MMIO_COALESCED, LAB_NEED_COALESCED, LAB_EXPECT_RING, NULL },
	{ "pio-coalesced", "OUT to a port KVM queues in the coalesced ring (warden run does it for the UART's "
	  "transmit register): an exit to KVM, to warden only when the ring is full",
	  LAB_OP_PIO_WRITE, LAB_T_PORT_COALESCED, LAB_NEED_COALESCED | LAB_NEED_COALESCED_PIO, LAB_EXPECT_RING, NULL },
	{ "hlt-timer", "HLT woken by the in-kernel LAPIC's TSC-deadline timer: wake-up latency after the deadline",
	  LAB_OP_HLT_TIMER, LAB_T_NONE, LAB_NEED_X2APIC | LAB_NEED_TSC_DEADLINE, LAB_EXPECT_NONE, NULL },
	{ "hlt-ipi", "IPI to a second vCPU waiting in HLT, until its handler has run", LAB_OP_HLT_IPI,
	  LAB_T_NONE, LAB_NEED_TWO_VCPUS | LAB_NEED_X2APIC, LAB_EXPECT_NONE, NULL },
	{ "rdmsr-kvm", "RDMSR of IA32_MISC_ENABLE, emulated by KVM", LAB_OP_RDMSR, LAB_T_NONE, 0,
	  LAB_EXPECT_NONE, NULL },
	{ "wrmsr-kvm", "WRMSR of IA32_MISC_ENABLE (its own value), emulated by KVM", LAB_OP_WRMSR, LAB_T_NONE, 0,
	  LAB_EXPECT_NONE, NULL },
	{ "rdmsr-warden", "RDMSR of IA32_MISC_ENABLE sent to warden by an MSR filter", LAB_OP_RDMSR, LAB_T_NONE,
	  LAB_NEED_MSR_FILTER, LAB_EXPECT_ONE, NULL },
	{ "wrmsr-warden", "WRMSR of IA32_MISC_ENABLE sent to warden by an MSR filter", LAB_OP_WRMSR, LAB_T_NONE,
	  LAB_NEED_MSR_FILTER, LAB_EXPECT_ONE, NULL },
	{ "ipi", "IPI to a second vCPU that is running, until its handler has run", LAB_OP_IPI, LAB_T_NONE,
	  LAB_NEED_TWO_VCPUS | LAB_NEED_X2APIC, LAB_EXPECT_NONE, NULL },
	{ "hypercall-warden",
	  "a one-request NOP hypercall batch rung on warden's port doorbell: answered in place, one exit",
	  LAB_OP_WHC_PORT, LAB_T_HC_PORT, 0, LAB_EXPECT_ONE, NULL },
	{ "hypercall-fast",
	  "the same batch rung on the fast doorbell: KVM signals an eventfd, warden's I/O thread answers",
	  LAB_OP_WHC_FAST, LAB_T_HC_FAST, LAB_NEED_IOEVENTFD, LAB_EXPECT_NONE, NULL },
};
const unsigned lab_nrows = sizeof(lab_rows) / sizeof(lab_rows[0]);

const struct lab_row *lab_row_find(const char *name)
{
	for (unsigned i = 0; i < lab_nrows; i++)
		if (strcmp(lab_rows[i].name, name) == 0)
			return &lab_rows[i];
	return NULL;
}

static long check(int fd, long cap)
{
	long v;

	do
		v = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	while (v < 0 && errno == EINTR);
	return v;
}

static void read_cpuid(int kvm_fd, struct lab_host *h)
{
	struct kvm_cpuid2 *c = cpuid_supported(kvm_fd);

	if (!c)
		return;
	h->cpuid_read = true;
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1) {
			h->x2apic = c->entries[i].ecx >> 21 & 1;
			h->tsc_deadline = c->entries[i].ecx >> 24 & 1;
		}
	free(c);
}

int lab_host_probe(struct lab_host *h, const char *device)
{
	int kvm_fd = kvm_open(device), vm_fd, fd;

	memset(h, 0, sizeof(*h));
	if (kvm_fd < 0)
		return -1;
	do
		vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	while (vm_fd < 0 && errno == EINTR);
	if (vm_fd < 0) {
		close(kvm_fd);
		return fail_errno(ERR_HOST, "KVM_CREATE_VM on %s", device);
	}
	/* Some answers differ per VM: ask the VM where KVM answers there. */
	h->checked_on_vm = check(kvm_fd, KVM_CAP_CHECK_EXTENSION_VM) > 0;
	fd = h->checked_on_vm ? vm_fd : kvm_fd;
	h->ioeventfd = check(fd, KVM_CAP_IOEVENTFD);
	h->coalesced_mmio = check(fd, KVM_CAP_COALESCED_MMIO);
	h->coalesced_pio = check(fd, KVM_CAP_COALESCED_PIO);
	h->user_space_msr = check(fd, KVM_CAP_X86_USER_SPACE_MSR);
	h->msr_filter = check(fd, KVM_CAP_X86_MSR_FILTER);
	h->irqchip = check(fd, KVM_CAP_IRQCHIP);
	h->tsc_deadline_cap = check(fd, KVM_CAP_TSC_DEADLINE_TIMER);
	h->max_vcpus = kvm_max_vcpus(kvm_fd);
	h->pvm = kvm_host_virt() == HOST_VIRT_PVM;
	read_cpuid(kvm_fd, h);
	close(vm_fd);
	close(kvm_fd);
	if (!h->cpuid_read)
		return -1; /* cpuid_supported said why */
	return 0;
}

#define CAP_TEXT(name) "KVM_CHECK_EXTENSION(" #name ") = %ld on this host"

bool lab_row_runs(const struct lab_row *row, const struct lab_host *h, char *why, size_t len)
{
	why[0] = 0;
	if (row->not_yet)
		snprintf(why, len, "%s", row->not_yet);
	else if (h->irqchip <= 0)
		snprintf(why, len, "skipped: " CAP_TEXT(KVM_CAP_IRQCHIP) " (the bench VM needs the in-kernel irqchip)",
			 h->irqchip);
	else if ((row->needs & LAB_NEED_IOEVENTFD) && h->ioeventfd <= 0)
		snprintf(why, len, "skipped: " CAP_TEXT(KVM_CAP_IOEVENTFD), h->ioeventfd);
	else if ((row->needs & LAB_NEED_COALESCED) && h->coalesced_mmio <= 0)
		snprintf(why, len, "skipped: " CAP_TEXT(KVM_CAP_COALESCED_MMIO), h->coalesced_mmio);
	else if ((row->needs & LAB_NEED_COALESCED_PIO) && h->coalesced_pio <= 0)
		snprintf(why, len, "skipped: " CAP_TEXT(KVM_CAP_COALESCED_PIO), h->coalesced_pio);
	else if ((row->needs & LAB_NEED_MSR_FILTER) && h->user_space_msr <= 0)
		snprintf(why, len, "skipped: " CAP_TEXT(KVM_CAP_X86_USER_SPACE_MSR), h->user_space_msr);
	else if ((row->needs & LAB_NEED_MSR_FILTER) && h->msr_filter <= 0)
		snprintf(why, len, "skipped: " CAP_TEXT(KVM_CAP_X86_MSR_FILTER), h->msr_filter);
	else if ((row->needs & LAB_NEED_TWO_VCPUS) && h->max_vcpus < 2)
		snprintf(why, len, "skipped: this host's KVM allows %u vCPU per VM (KVM_CAP_MAX_VCPUS)", h->max_vcpus);
	else if ((row->needs & LAB_NEED_VMCALL) && h->pvm)
		/* Seen on this project's kvm_pvm host (docs/lab.md): the vCPU stays
		 * on the VMCALL (and on a VMMCALL), RAX unchanged, burning a host
		 * CPU; PVM guests make hypercalls with SYSCALL instead. */
		snprintf(why, len, "skipped: this host's KVM is kvm_pvm, which never completes a VMCALL or "
				   "VMMCALL from guest ring 0 (PVM guests make hypercalls with SYSCALL)");
	else if ((row->needs & LAB_NEED_X2APIC) && !h->x2apic)
		snprintf(why, len, "skipped: KVM_GET_SUPPORTED_CPUID offers no x2APIC (leaf 1 ECX bit 21)");
	else if ((row->needs & LAB_NEED_TSC_DEADLINE) && !h->tsc_deadline && h->tsc_deadline_cap <= 0)
		snprintf(why, len, "skipped: KVM offers no TSC-deadline timer (" CAP_TEXT(KVM_CAP_TSC_DEADLINE_TIMER)
				   ", KVM_GET_SUPPORTED_CPUID leaf 1 ECX bit 24 clear)", h->tsc_deadline_cap);
	return why[0] == 0;
}
