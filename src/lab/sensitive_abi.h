/* What `warden lab sensitive` tells its built-in guest
 * (guest/lab/sensitive.c) and what the guest answers: a block at
 * LAYOUT_LAB_PARAMS in guest RAM, and marks written to an MMIO register
 * (reachable from any CPL, unlike a port with IOPL 0).  Fixed-width fields
 * only: the freestanding guest includes this header too. */
#ifndef WARDEN_LAB_SENSITIVE_ABI_H
#define WARDEN_LAB_SENSITIVE_ABI_H

#include <stdint.h>

#define SN_MAGIC 0x534e4c42u /* "BLNS" */
#define SN_REPS_MAX 64

/* The instructions. */
enum sn_op {
	SN_SGDT = 0, /* V0 base, V1 limit */
	SN_SIDT,     /* V0 base, V1 limit */
	SN_SLDT,     /* V0 the LDT selector */
	SN_STR,      /* V0 the TR selector */
	SN_SMSW,     /* V0 what SMSW r64 stores (CR0's low bits) */
	SN_PUSHF,    /* V0 RFLAGS as PUSHF pushed it */
	SN_POPF,     /* POPF of RFLAGS with IF set: V0 RFLAGS before, V1 after
		      * (PUSHF again); RFLAGS is restored after */
	SN_CPUID,    /* CPUID 0x40000000: V0 EBX | ECX << 32, V1 EDX | EAX << 32 */
	SN_NOPS
};

/* Where they run. */
enum sn_ctx {
	SN_BOOT0 = 0,  /* CPL 0 on the descriptor tables warden's boot set up */
	SN_OWN0,       /* CPL 0 on the guest's own GDT, IDT, LDT and TSS */
	SN_OWN3,       /* CPL 3 (IOPL 0) on them */
	SN_OWN0_UMIP,  /* CPL 0 with CR4.UMIP set (where CPUID offers UMIP) */
	SN_OWN3_UMIP,  /* CPL 3 with CR4.UMIP set */
	SN_NCTX
};

/* Marks (32-bit writes to MARK_GPA).  Every op runs REPS times between
 * SN_MARK_BEGIN(ctx, op) and SN_MARK_END; warden counts the exits. */
#define SN_MARK_BEGIN(ctx, op) (0x100u | ((uint32_t)(ctx) << 4) | (uint32_t)(op))
#define SN_MARK_END 2u
#define SN_MARK_DONE 3u
#define SN_MARK_FATAL 4u /* an exception nobody expected: FATAL_* say which */

enum sn_status {
	SN_ST_NONE = 0,
	SN_ST_DONE = 1,
	SN_ST_BAD_PARAMS = 2,
	SN_ST_FATAL = 3,
};

struct sn_result {
	uint64_t v0, v1;
	uint32_t faulted; /* the last execution raised an exception */
	uint32_t vector;  /* which */
	uint32_t ran;     /* executions */
	uint32_t pad;
};

struct sn_params {
	/* IN */
	uint32_t magic;
	uint32_t reps;      /* executions of each op in its window, 1..SN_REPS_MAX */
	uint64_t mark_gpa;  /* the marks' MMIO register */
	/* OUT */
	uint32_t status;    /* enum sn_status */
	uint32_t umip;      /* CPUID.7.0:ECX[2]: the UMIP contexts ran */
	uint32_t fatal_vector;
	uint32_t pad;
	uint64_t fatal_rip;
	struct sn_result res[SN_NCTX][SN_NOPS];
};

_Static_assert(sizeof(struct sn_result) == 32, "sn_result layout");
_Static_assert(sizeof(struct sn_params) == 40 + 32 * SN_NCTX * SN_NOPS, "sn_params layout");

#endif
