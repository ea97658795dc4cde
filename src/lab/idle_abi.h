/* What `warden lab idle` tells its built-in guest (guest/lab/idle.c) and
 * what the guest answers: a block at LAYOUT_LAB_PARAMS, the samples at
 * LAYOUT_LAB_SAMPLES.  Fixed-width fields only: the freestanding guest
 * includes this header too.
 *
 * The guest idles WARMUP times, writes IDLE_MARK_BEGIN to PORT_MARK, idles
 * ITERATIONS times (each: the x2APIC TSC-deadline timer armed DELAY cycles
 * ahead, then idle HOW until its interrupt; the sample is the TSC in the
 * handler minus the deadline), writes IDLE_MARK_END, and powers off.  With
 * WAKE = IDLE_WAKE_IPI vCPU 1 (entered with RDI = 1 on its own stack)
 * sends that interrupt as an IPI instead, at the deadline, spinning on the
 * TSC until then. */
#ifndef WARDEN_LAB_IDLE_ABI_H
#define WARDEN_LAB_IDLE_ABI_H

#include <stdint.h>

#define IDLE_MAGIC 0x4c444c49u /* "ILDL" */
#define IDLE_ITER_MAX 100000
#define IDLE_MARK_BEGIN 1
#define IDLE_MARK_END 2
#define IDLE_VEC_TIMER 0x40
#define IDLE_VEC_SPURIOUS 0xff
#define IDLE_WAKE_TIMER 0
#define IDLE_WAKE_IPI 1

enum idle_how {
	IDLE_HOW_HLT = 0,  /* STI; HLT */
	IDLE_HOW_CALL = 1, /* STI; OUT of a sealed WHC_CALL_IDLE batch to the port doorbell */
};

enum idle_status {
	IDLE_ST_NONE = 0,
	IDLE_ST_DONE,
	IDLE_ST_FAULT,       /* FAULT_VECTOR, FAULT_RIP say which */
	IDLE_ST_BAD_PARAMS,
	IDLE_ST_NO_FEATURE,  /* CHECK: the CPUID.1:ECX bit missing (21 x2APIC, 24 TSC deadline) */
	IDLE_ST_TIMER_MODE,  /* CHECK: the LVT timer read back */
	IDLE_ST_CALL_FAILED, /* CHECK: the batch's status << 32 | the request's */
};

struct idle_params {
	/* IN */
	uint32_t magic;
	uint32_t how;           /* enum idle_how */
	uint32_t iterations;    /* 1 .. IDLE_ITER_MAX */
	uint32_t warmup;
	uint64_t delay;         /* TSC cycles from arming to the deadline */
	uint64_t samples;       /* guest-physical address of ITERATIONS uint64_t */
	uint16_t port_mark;
	uint16_t port_poweroff;
	uint8_t poweroff_value;
	uint8_t wake;           /* IDLE_WAKE_TIMER or IDLE_WAKE_IPI */
	uint8_t pad0[2];
	/* OUT */
	uint32_t status;        /* enum idle_status */
	uint32_t fault_vector;
	uint64_t fault_rip;
	uint64_t check;
	uint64_t idles;         /* idle entries between the marks (HLTs or calls),
				 * wake-ups without the timer's interrupt included */
	uint32_t done;          /* timed iterations completed */
	uint32_t pad1;
};

_Static_assert(sizeof(struct idle_params) == 80, "idle_params layout");

#endif
