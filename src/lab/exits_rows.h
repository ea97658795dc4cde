/* The rows of `warden bench exits`: what each measures, what its VM needs
 * from the host, how many exits per iteration reach user space by design,
 * and the host's answers that decide whether a row can run. */
#ifndef WARDEN_LAB_EXITS_ROWS_H
#define WARDEN_LAB_EXITS_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/exits_abi.h"

/* The MSR of the RDMSR/WRMSR rows: IA32_MISC_ENABLE, which KVM intercepts
 * and emulates on every kind of host (no hardware passes it through). */
#define LAB_MSR 0x1a0
/* A hypercall number KVM does not know: it answers -KVM_ENOSYS in RAX
 * without an exit to user space. */
#define LAB_HYPERCALL_NR 0x7fff0000ULL
#define LAB_KVM_ENOSYS 1000

/* What the op's address is. */
enum lab_target {
	LAB_T_NONE,
	LAB_T_PORT_EXIT,      /* PORT_LAB_EXIT: the bench port device */
	LAB_T_PORT_DOORBELL,  /* PORT_LAB_DOORBELL, under an ioeventfd */
	LAB_T_MMIO_EXIT,      /* the bench MMIO device's register */
	LAB_T_MMIO_DOORBELL,  /* its doorbell register, under an ioeventfd */
	LAB_T_MMIO_COALESCED, /* its coalesced page */
	LAB_T_PORT_COALESCED, /* PORT_LAB_COALESCED, a coalesced PIO zone */
	LAB_T_HC_PORT,        /* LAYOUT_LAB_HC_BATCH, rung on WHC_PORT_DOORBELL */
	LAB_T_HC_FAST,        /* the same batch, rung on WHC_PORT_FAST (an ioeventfd) */
};

/* What a row's VM needs. */
#define LAB_NEED_IOEVENTFD (1u << 0)
#define LAB_NEED_COALESCED (1u << 1)
#define LAB_NEED_MSR_FILTER (1u << 2)
#define LAB_NEED_TWO_VCPUS (1u << 3)
#define LAB_NEED_X2APIC (1u << 4)
#define LAB_NEED_TSC_DEADLINE (1u << 5)
#define LAB_NEED_VMCALL (1u << 6) /* a VMCALL/VMMCALL in guest ring 0 that completes */
#define LAB_NEED_COALESCED_PIO (1u << 7)

/* Exits that reach user space per timed iteration, by design. */
enum lab_expect {
	LAB_EXPECT_NONE, /* 0: KVM handles it (or it is no exit at all) */
	LAB_EXPECT_ONE,  /* exactly 1 */
	LAB_EXPECT_RING, /* one per full coalesced ring: at most 1/(ring - 1) */
};

struct lab_row {
	const char *name;
	const char *what;    /* one iteration, in words */
	enum lab_op op;
	enum lab_target target;
	unsigned needs;      /* LAB_NEED_* */
	enum lab_expect expect;
	const char *not_yet; /* non-NULL: a row kept for a feature not built yet */
};

extern const struct lab_row lab_rows[];
extern const unsigned lab_nrows;
const struct lab_row *lab_row_find(const char *name);

/* What the host's KVM offers, asked directly (KVM_CHECK_EXTENSION on a
 * new VM where KVM answers there, else on the device;
 * KVM_GET_SUPPORTED_CPUID). */
struct lab_host {
	long ioeventfd, coalesced_mmio, coalesced_pio, user_space_msr, msr_filter, irqchip;
	unsigned max_vcpus;
	bool cpuid_read;
	bool x2apic, tsc_deadline; /* CPUID.1:ECX bits 21, 24 KVM supports */
	/* KVM_GET_SUPPORTED_CPUID leaves the TSC-deadline timer out on most
	 * hosts: KVM offers it with this capability (and an in-kernel LAPIC)
	 * for the VMM to set in the guest's CPUID. */
	long tsc_deadline_cap;
	bool checked_on_vm;
	bool pvm; /* /dev/kvm is kvm_pvm (/sys/module) */
};

/* Fill H for DEVICE; -1 with the error recorded (user class when the
 * device is missing or not KVM, host class when a query failed). */
int lab_host_probe(struct lab_host *h, const char *device);
/* Whether ROW can run on H; if not, why (one line, naming what KVM
 * answered) into WHY. */
bool lab_row_runs(const struct lab_row *row, const struct lab_host *h, char *why, size_t len);

#endif
