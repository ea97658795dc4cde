/* The page warden and the built-in guest of `warden bench exits` share,
 * at LAYOUT_LAB_PARAMS: what to run (IN: written by warden before the
 * guest starts) and what happened (OUT: written by the guest before it
 * powers off).  Included by the freestanding guest (guest/lab/exits.c),
 * so only fixed-width fields and no pointers; every layout is asserted.
 *
 * The guest does, on vCPU 0: WARMUP untimed iterations of OP, an OUT of
 * LAB_MARK_BEGIN to PORT_MARK, ITERATIONS timed iterations (one TSC
 * sample each into the array at SAMPLES), an OUT of LAB_MARK_END, then
 * writes the OUT fields and powers off (POWEROFF_VALUE to PORT_POWEROFF).
 * Warden counts the exits between the two marks.  vCPU 1 exists only for
 * the IPI ops: it enters at the same entry point with RDI = 1. */
#ifndef WARDEN_LAB_EXITS_ABI_H
#define WARDEN_LAB_EXITS_ABI_H

#include <stddef.h>
#include <stdint.h>

#define LAB_MAGIC 0x5845424cu /* "LBEX" */
#define LAB_VERSION 1

/* What one iteration does.  The sample is the TSC since the previous
 * sample (so the samples add up to the loop), except where noted. */
enum lab_op {
	LAB_OP_LOOP = 0,   /* nothing: the cost of the measuring loop itself */
	LAB_OP_CPUID,      /* CPUID leaf 0 */
	LAB_OP_HYPERCALL,  /* VMCALL (VMMCALL on AMD) with RAX = HYPERCALL_NR */
	LAB_OP_PIO_WRITE,  /* 1-byte OUT to port ADDR */
	LAB_OP_MMIO_WRITE, /* 4-byte store to ADDR */
	LAB_OP_MMIO_READ,  /* 4-byte load from ADDR */
	LAB_OP_RDMSR,      /* RDMSR of MSR */
	LAB_OP_WRMSR,      /* WRMSR of MSR, with the value read before the loop */
	LAB_OP_HLT_TIMER,  /* x2APIC TSC-deadline timer armed TIMER_DELAY cycles
			    * ahead, HLT until its interrupt; sample = TSC in
			    * the handler - deadline (the wake-up latency) */
	LAB_OP_HLT_IPI,    /* IPI to vCPU 1, which waits in HLT; sample = until
			    * its handler has run, seen from vCPU 0 */
	LAB_OP_IPI,        /* the same with vCPU 1 running (a busy loop) */
	LAB_OP_WHC_PORT,   /* a one-request NOP batch (include/warden/hypercall.h)
			    * at ADDR: mark it pending, ring WHC_PORT_DOORBELL,
			    * read the answer (there when the OUT retires) */
	LAB_OP_WHC_FAST,   /* the same batch, named once with FAST_SETUP (a
			    * batch at ADDR + LAB_HC_SETUP_OFF, rung on the
			    * port doorbell before any timing): mark it pending,
			    * ring WHC_PORT_FAST, poll its status until answered */
	LAB_NOPS
};

/* OUT status. */
enum lab_status {
	LAB_ST_NONE = 0,   /* the guest never got to write it */
	LAB_ST_DONE,       /* measured */
	LAB_ST_FAULT,      /* an exception: FAULT_VECTOR/ERROR/RIP say which */
	LAB_ST_BAD_PARAMS, /* magic, version, op or sizes not what it knows */
	LAB_ST_NO_FEATURE, /* the guest CPU lacks what the op needs: CHECK = the
			    * CPUID.1:ECX bit (21 x2APIC, 24 TSC deadline) */
	LAB_ST_TIMER_MODE, /* CPUID offers the TSC-deadline timer but the LAPIC
			    * did not take the mode: CHECK = the LVT timer
			    * register as read back */
	LAB_ST_HC_SETUP,   /* the FAST_SETUP batch was not answered WHC_OK:
			    * CHECK = its header status << 32 | request status */
};

/* LAB_OP_WHC_*: the FAST_SETUP batch, after the measured one (which takes
 * a header and one request: 128 bytes). */
#define LAB_HC_SETUP_OFF 0x100
/* LAB_OP_WHC_FAST: pauses a call may poll before it counts as unanswered. */
#define LAB_HC_SPINS (1ul << 26)

#define LAB_MARK_BEGIN 1
#define LAB_MARK_END 2

/* x2APIC vectors the guest uses. */
#define LAB_VEC_TIMER 0x40
#define LAB_VEC_IPI 0x41
#define LAB_VEC_SPURIOUS 0xff

struct lab_params {
	/* IN */
	uint32_t magic;         /* LAB_MAGIC */
	uint32_t version;       /* LAB_VERSION */
	uint32_t op;            /* enum lab_op */
	uint32_t iterations;    /* timed iterations, >= 1 */
	uint32_t warmup;        /* untimed iterations before them */
	uint32_t msr;           /* the MSR of RDMSR/WRMSR */
	uint64_t addr;          /* port (PIO) or guest-physical address (MMIO) */
	uint64_t samples;       /* guest-physical address of ITERATIONS uint64_t */
	uint64_t timer_delay;   /* TSC cycles from arming to the deadline */
	uint64_t hypercall_nr;  /* RAX of the hypercall */
	uint16_t port_mark;     /* the marks' port */
	uint16_t port_poweroff; /* where POWEROFF_VALUE powers the VM off */
	uint8_t poweroff_value;
	uint8_t pad0[3];
	/* OUT */
	uint32_t status;        /* enum lab_status */
	uint32_t fault_vector;
	uint64_t fault_error;
	uint64_t fault_rip;
	uint64_t loop_cycles;   /* TSC from just before the first timed
				 * iteration to just after the last */
	uint64_t check;         /* the op's result: RAX after the last
				 * hypercall, the last MMIO/MSR value read;
				 * LAB_OP_WHC_*: calls not answered WHC_OK */
	uint32_t done;          /* timed iterations completed */
	uint32_t amd;           /* 1: an AMD CPU (VMMCALL used) */
	uint64_t wakeups;       /* HLT_*: HLTs, including wake-ups without
				 * the expected interrupt */
};

_Static_assert(offsetof(struct lab_params, op) == 8, "lab_params layout");
_Static_assert(offsetof(struct lab_params, addr) == 24, "lab_params layout");
_Static_assert(offsetof(struct lab_params, samples) == 32, "lab_params layout");
_Static_assert(offsetof(struct lab_params, timer_delay) == 40, "lab_params layout");
_Static_assert(offsetof(struct lab_params, hypercall_nr) == 48, "lab_params layout");
_Static_assert(offsetof(struct lab_params, port_mark) == 56, "lab_params layout");
_Static_assert(offsetof(struct lab_params, poweroff_value) == 60, "lab_params layout");
_Static_assert(offsetof(struct lab_params, status) == 64, "lab_params layout");
_Static_assert(offsetof(struct lab_params, fault_error) == 72, "lab_params layout");
_Static_assert(offsetof(struct lab_params, loop_cycles) == 88, "lab_params layout");
_Static_assert(offsetof(struct lab_params, done) == 104, "lab_params layout");
_Static_assert(offsetof(struct lab_params, wakeups) == 112, "lab_params layout");
_Static_assert(sizeof(struct lab_params) == 120, "lab_params layout");

#endif
