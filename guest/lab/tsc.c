/* The built-in guest of `warden lab tsc` (src/lab/tsc_lab.c), embedded in
 * warden's binary.  Long mode, loaded as an ELF64 at 1 MiB.
 *
 * Takes SAMPLES readings of its TSC, GAP_CYCLES apart, in guest ring 0,
 * then as many in guest ring 3 (ring3.h: on kvm_pvm ring 0 is emulated,
 * ring 3 runs natively, so RDTSC takes two different paths there).  Each
 * reading comes right after a port write (an exit) and is stored, then
 * announced by another (warden stamps its own TSC around the KVM_RUN
 * between the two). */
#include <stdint.h>

#include "core/layout.h"
#include "lab/tsc_abi.h"
#include "ring3.h"
#include "x86.h"

static volatile struct ts_params *const P = (volatile struct ts_params *)LAYOUT_LAB_PARAMS;

static void take(unsigned phase)
{
	uint64_t last = rdtsc();

	for (uint32_t i = 0; i < P->samples; i++) {
		uint64_t t;

		while ((t = rdtsc()) - last < P->gap_cycles)
			__asm__ volatile("pause");
		last = t;
		outl(PORT_LAB_CTL, TS_MARK_PRE);
		P->tsc[phase][i] = rdtsc();
		outl(PORT_LAB_CTL, TS_MARK_SAMPLE(phase, i));
	}
}

static void user_main(void)
{
	take(1);
	P->status = TS_ST_DONE;
	outl(PORT_LAB_CTL, TS_MARK_DONE);
	for (;;)
		__asm__ volatile("pause"); /* warden ends the VM at the mark */
}

void main(void);
void main(void)
{
	if (P->magic != TS_MAGIC || P->samples < 2 || P->samples > TS_SAMPLES_MAX) {
		P->status = TS_ST_BAD_PARAMS;
		outl(PORT_LAB_CTL, TS_MARK_BAD);
		for (;;)
			__asm__ volatile("hlt");
	}
	take(0);
	ring3_enter(user_main);
}

RING3_START_ASM;
