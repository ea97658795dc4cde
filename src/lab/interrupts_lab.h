/* `warden lab interrupts`: a device interrupt injected by warden into a
 * built-in guest (guest/lab/interrupts.c) three ways: an eventfd
 * registered with KVM_IRQFD, KVM_IRQ_LINE (assert, deassert) on the same
 * IOAPIC pin, and an MSI (KVM_SIGNAL_MSI); each interrupt delivered once,
 * the latency from injection to the guest's handler and to warden seeing
 * its acknowledgement, KVM's exits per interrupt and warden's CPU; and
 * what AVIC/APICv and posted interrupts would remove on this host (issue
 * 12, section 5). */
#ifndef WARDEN_LAB_INTERRUPTS_LAB_H
#define WARDEN_LAB_INTERRUPTS_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/samples.h"

enum ir_mode { IR_IRQFD, IR_LINE, IR_MSI, IR_NMODES };
/* KVM's binary statistics of the vCPU taken around each mode. */
enum { IR_K_EXITS, IR_K_HALT, IR_K_WAKEUP, IR_K_WINDOW, IR_K_INJECT, IR_K_IRQ, IR_NKVM };

#define IR_COUNT_DEFAULT 1000
#define IR_COUNT_MAX 100000

struct ir_options {
	uint32_t count;
	const char *json, *svg, *kvm_device, *tier;
};

struct ir_run {
	bool ran, ok;
	char why[200];         /* skipped or failed: why */
	uint64_t injected, delivered; /* delivered: the guest's count after a settle */
	uint64_t exits_warden;
	bool have_kvm;
	uint64_t kvm[IR_NKVM];
	struct lab_summary rtt_ns;  /* injection -> warden sees the count move */
	struct lab_summary lat_ns;  /* injection -> the guest's handler (TSC) */
	bool have_lat;
	char lat_why[160];     /* why no handler latency, when none */
	double inject_cpu_ns;  /* warden's thread CPU per injection */
};

/* Hardware help on this host, asked the way `warden caps` does
 * (core/kvm_caps.h: the module parameters). */
struct ir_accel {
	char avic[32], apicv[32], ipiv[32]; /* the parameter's value, or "" (no such module) */
	bool active;                          /* AVIC or APICv on */
};

struct ir_result {
	struct ir_options opt;
	char tier[16], kvm[64], kernel[65];
	int gsi;
	uint64_t tsc_khz;
	bool tsc_offset_known;
	char lat_why[160];     /* why no handler latency, when none */
	long cap_irqfd, cap_msi;
	struct ir_accel accel;
	bool ok;
	char why[200];
	uint64_t spurious;
	struct ir_run run[IR_NMODES];
};

extern const char *const ir_mode_name[IR_NMODES];
extern const char *const ir_kvm_names[IR_NKVM];

/* The model: KVM exits per interrupt to a guest idling in HLT (the HLT
 * exit and, without AVIC/APICv, the EOI write), exits to warden (none:
 * the interrupt controller is KVM's). */
double ir_model_kvm_exits(const struct ir_accel *a);
/* Exits per interrupt KVM counts that are neither the HLT, nor interrupt
 * windows, nor host interrupts: in this guest's loop, the EOI write.
 * NAN without binary stats. */
double ir_other_exits(const struct ir_run *r);

/* Fills A from the module parameters `warden caps` reads (caps_probe). */
void ir_accel_probe(struct ir_accel *a, const char *device);
int ir_measure(struct ir_result *res);
void ir_print_table(FILE *f, const struct ir_result *res);
int ir_write_json(const char *path, const struct ir_result *res);
int ir_write_svg(const char *path, const struct ir_result *res);

/* ARGV[0] is "interrupts".  The exit status (0; 1 host failure or a run
 * that failed; 2 bad input), having printed one line on stderr for 1 and 2. */
int lab_interrupts_main(int argc, char **argv);

#endif
