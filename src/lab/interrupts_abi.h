/* What warden and the built-in guest of `warden lab interrupts`
 * (guest/lab/interrupts.c) share: the page at LAYOUT_LAB_PARAMS.  The
 * guest routes warden's interrupt line (GSI, an IOAPIC pin) to IR_VEC_PIN
 * and takes MSIs on IR_VEC_MSI; each handler reads the TSC, counts the
 * interrupt and acknowledges it (EOI), and the guest idles in HLT between
 * them.  Warden injects one interrupt at a time and waits until the
 * count moves: the count is the acknowledgement. */
#ifndef WARDEN_LAB_INTERRUPTS_ABI_H
#define WARDEN_LAB_INTERRUPTS_ABI_H

#include <stdint.h>

#define IR_MAGIC 0x49524c42u /* "BLRI" */
#define IR_VEC_PIN 0x40      /* the IOAPIC pin's vector (irqfd, KVM_IRQ_LINE) */
#define IR_VEC_MSI 0x41      /* KVM_SIGNAL_MSI's vector */
#define IR_VEC_SPURIOUS 0xff
#define IR_NVEC 2            /* 0: the pin, 1: MSI */

enum ir_status {
	IR_ST_NONE = 0,   /* the guest never got to write it */
	IR_ST_READY = 1,  /* the IOAPIC pin and the LAPIC are set up: inject */
	IR_ST_BAD_PARAMS, /* magic or GSI not what it knows */
	IR_ST_NO_X2APIC,  /* CPUID.1:ECX[21] clear */
	IR_ST_FAULT,      /* an exception: FAULT_* say which */
};

struct ir_params {
	/* IN */
	uint32_t magic;
	uint32_t gsi;        /* the IOAPIC pin warden injects on (16..23) */
	/* OUT, written by the guest */
	uint32_t status;     /* enum ir_status */
	uint32_t fault_vector;
	uint64_t fault_rip;
	uint64_t count[IR_NVEC]; /* interrupts handled, per vector */
	uint64_t tsc[IR_NVEC];   /* the guest's TSC at the last one's handler entry */
	uint64_t spurious;       /* spurious-vector interrupts */
};

_Static_assert(sizeof(struct ir_params) == 64, "ir_params layout");

#endif
