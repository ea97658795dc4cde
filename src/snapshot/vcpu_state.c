#include "snapshot/vcpu_state.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/vcpu.h"
#include "core/vm.h"
#include "snapshot/state_file.h"
#include "util/error.h"
#include "util/log.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_TSC_DEADLINE 0x6e0
/* Bounds on what a file may claim (KVM's own lists are far smaller). */
#define MAX_MSRS 1024
#define MAX_CPUID 256
#define XSAVE_LEGACY_SIZE ((int)sizeof(struct kvm_xsave))

/* The fixed-size parts, in restore order; STAGE places them around XSAVE
 * (0 before it) and the MSRs (1 before them, 2 after). */
static const struct part {
	uint32_t type;
	const char *name;
	size_t size;
	unsigned long get, set;
	long cap;      /* needed capability, or 0 */
	bool irqchip;  /* only with the in-kernel LAPIC */
	unsigned stage;
} parts[] = {
	{ SNAP_VCPU_MP_STATE, "MP state", sizeof(struct kvm_mp_state), KVM_GET_MP_STATE,
	  KVM_SET_MP_STATE, KVM_CAP_MP_STATE, true, 0 },
	{ SNAP_VCPU_REGS, "registers", sizeof(struct kvm_regs), KVM_GET_REGS, KVM_SET_REGS, 0, false, 0 },
	{ SNAP_VCPU_SREGS, "special registers", sizeof(struct kvm_sregs), KVM_GET_SREGS,
	  KVM_SET_SREGS, 0, false, 0 },
	{ SNAP_VCPU_XCRS, "XCRs", sizeof(struct kvm_xcrs), KVM_GET_XCRS, KVM_SET_XCRS,
	  KVM_CAP_XCRS, false, 1 },
	{ SNAP_VCPU_DEBUGREGS, "debug registers", sizeof(struct kvm_debugregs), KVM_GET_DEBUGREGS,
	  KVM_SET_DEBUGREGS, KVM_CAP_DEBUGREGS, false, 1 },
	{ SNAP_VCPU_LAPIC, "LAPIC", sizeof(struct kvm_lapic_state), KVM_GET_LAPIC, KVM_SET_LAPIC,
	  0, true, 1 },
	{ SNAP_VCPU_EVENTS, "events", sizeof(struct kvm_vcpu_events), KVM_GET_VCPU_EVENTS,
	  KVM_SET_VCPU_EVENTS, KVM_CAP_VCPU_EVENTS, false, 2 },
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

/* Room for any one of them. */
union part_buf {
	struct kvm_mp_state m;
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_xcrs x;
	struct kvm_debugregs d;
	struct kvm_lapic_state l;
	struct kvm_vcpu_events e;
};

static int has_cap(struct vm *vm, long cap)
{
	int r = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap);

	return r > 0 ? r : 0;
}

static bool part_applies(struct vm *vm, const struct part *p)
{
	return (!p->irqchip || vm->cfg.irqchip) && (!p->cap || has_cap(vm, p->cap));
}

/* The XSAVE area's size here: KVM_CAP_XSAVE2's answer (AMX and other
 * large state), else the legacy 4 KiB, else 0 (no XSAVE). */
static int xsave_size(struct vm *vm)
{
	int n = has_cap(vm, KVM_CAP_XSAVE2);

	if (n >= XSAVE_LEGACY_SIZE)
		return n;
	return has_cap(vm, KVM_CAP_XSAVE) ? XSAVE_LEGACY_SIZE : 0;
}

static int save_xsave(struct vcpu *v, struct snap_writer *w)
{
	int size = xsave_size(v->vm);
	void *buf;
	int ret;

	if (!size)
		return fail(ERR_HOST, "this host's KVM offers no KVM_CAP_XSAVE: the FPU state cannot be saved");
	buf = calloc(1, (size_t)size);
	if (!buf)
		return fail(ERR_HOST, "out of memory");
	ret = ioctl(v->fd, size > XSAVE_LEGACY_SIZE ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, buf);
	if (ret < 0)
		ret = fail_errno(ERR_HOST, "vCPU %u: KVM_GET_XSAVE", v->id);
	else
		snap_put(w, SNAP_VCPU_XSAVE, v->id, buf, (size_t)size);
	free(buf);
	return ret < 0 ? -1 : 0;
}

static struct kvm_msr_list *msr_index_list(struct vm *vm)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;

	/* E2BIG, with the count KVM needs. */
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return fail_errno(ERR_HOST, "KVM_GET_MSR_INDEX_LIST"), NULL;
	if (probe.nmsrs == 0 || probe.nmsrs > MAX_MSRS)
		return fail(ERR_HOST, "KVM_GET_MSR_INDEX_LIST: %u MSRs", probe.nmsrs), NULL;
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	if (!l)
		return fail(ERR_HOST, "out of memory"), NULL;
	l->nmsrs = probe.nmsrs;
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		free(l);
		return fail_errno(ERR_HOST, "KVM_GET_MSR_INDEX_LIST"), NULL;
	}
	return l;
}

/* Every MSR of KVM's list this vCPU can read.  KVM_GET_MSRS stops at the
 * first one it cannot (one the CPU lacks): that one is dropped and the
 * rest read again; at most one retry per MSR. */
static int save_msrs(struct vcpu *v, struct snap_writer *w)
{
	struct kvm_msr_list *l = msr_index_list(v->vm);
	struct kvm_msrs *m;
	int got;

	if (!l)
		return -1;
	m = calloc(1, sizeof(*m) + l->nmsrs * sizeof(m->entries[0]));
	if (!m) {
		free(l);
		return fail(ERR_HOST, "out of memory");
	}
	m->nmsrs = l->nmsrs;
	for (unsigned i = 0; i < l->nmsrs; i++)
		m->entries[i].index = l->indices[i];
	free(l);
	while ((got = ioctl(v->fd, KVM_GET_MSRS, m)) >= 0 && (unsigned)got < m->nmsrs) {
		log_debug("vCPU %u: MSR 0x%x not readable here: not saved", v->id, m->entries[got].index);
		memmove(&m->entries[got], &m->entries[got + 1],
			(m->nmsrs - (unsigned)got - 1) * sizeof(m->entries[0]));
		m->nmsrs--;
	}
	if (got < 0) {
		free(m);
		return fail_errno(ERR_HOST, "vCPU %u: KVM_GET_MSRS", v->id);
	}
	snap_put(w, SNAP_VCPU_MSRS, v->id, m->entries, m->nmsrs * sizeof(m->entries[0]));
	free(m);
	return 0;
}

/* A vCPU's CPUID as KVM has it (KVM_GET_CPUID2): saved, and on a new
 * vCPU before any restore what this host gives (what KVM applied of
 * warden's leaves, asked directly; kvm_pvm puts the host's own bits
 * there). */
static struct kvm_cpuid2 *current_cpuid(struct vcpu *v)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_CPUID * sizeof(c->entries[0]));

	if (!c)
		return fail(ERR_HOST, "out of memory"), NULL;
	c->nent = MAX_CPUID;
	if (ioctl(v->fd, KVM_GET_CPUID2, c) < 0) {
		free(c);
		return fail_errno(ERR_HOST, "vCPU %u: KVM_GET_CPUID2", v->id), NULL;
	}
	return c;
}

static int save_cpuid(struct vcpu *v, struct snap_writer *w)
{
	struct kvm_cpuid2 *c = current_cpuid(v);

	if (!c)
		return -1;
	snap_put(w, SNAP_VCPU_CPUID, v->id, c->entries, c->nent * sizeof(c->entries[0]));
	free(c);
	return 0;
}

static int save_tsc_khz(struct vcpu *v, struct snap_writer *w)
{
	int khz;
	uint32_t k;

	if (!has_cap(v->vm, KVM_CAP_GET_TSC_KHZ)) {
		log_debug("KVM_CAP_GET_TSC_KHZ missing: the TSC frequency is not saved");
		return 0;
	}
	khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return fail_errno(ERR_HOST, "vCPU %u: KVM_GET_TSC_KHZ", v->id);
	k = (uint32_t)khz;
	snap_put(w, SNAP_VCPU_TSC_KHZ, v->id, &k, sizeof(k));
	return 0;
}

int vcpu_state_save(struct vcpu *v, struct snap_writer *w)
{
	union part_buf buf;

	for (unsigned i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];

		if (!part_applies(v->vm, p))
			continue;
		memset(&buf, 0, sizeof(buf));
		if (ioctl(v->fd, p->get, &buf) < 0)
			return fail_errno(ERR_HOST, "vCPU %u: cannot read its %s", v->id, p->name);
		if (p->type == SNAP_VCPU_EVENTS) /* what a restore must apply */
			buf.e.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
		snap_put(w, p->type, v->id, &buf, p->size);
	}
	if (save_xsave(v, w) < 0 || save_msrs(v, w) < 0 || save_cpuid(v, w) < 0)
		return -1;
	return save_tsc_khz(v, w);
}

/* The CPUID bits a guest's own settings change (OSXSAVE, APIC enabled,
 * OSPKE, the hypervisor bit warden sets), left out of the comparison. */
struct feature_reg {
	uint32_t function, index;
	unsigned reg; /* 0 eax, 1 ebx, 2 ecx, 3 edx */
	uint32_t dynamic;
	const char *name;
};
static const struct feature_reg feature_regs[] = {
	{ 1, 0, 2, (1u << 27) | (1u << 31), "1.ECX" },
	{ 1, 0, 3, 1u << 9, "1.EDX" },
	{ 7, 0, 1, 0, "7.0.EBX" },
	{ 7, 0, 2, 1u << 4, "7.0.ECX" },
	{ 7, 0, 3, 0, "7.0.EDX" },
	{ 0xd, 1, 0, 0, "0xd.1.EAX" },
	{ 0x80000001, 0, 2, 0, "0x80000001.ECX" },
	{ 0x80000001, 0, 3, 0, "0x80000001.EDX" },
};

static const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid_entry2 *e, unsigned n,
						  uint32_t function, uint32_t index)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].function == function &&
		    (!(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e[i].index == index))
			return &e[i];
	return NULL;
}

static uint32_t cpuid_reg(const struct kvm_cpuid_entry2 *e, unsigned reg)
{
	const uint32_t r[4] = { e->eax, e->ebx, e->ecx, e->edx };

	return r[reg];
}

/* The saved CPUID: whole entries, at most MAX_CPUID.  NULL: a user error. */
static const struct kvm_cpuid_entry2 *saved_cpuid(const struct snap_reader *r, unsigned id,
						  unsigned *n)
{
	size_t len;
	const void *p = snap_find(r, SNAP_VCPU_CPUID, id, &len);

	if (!p || len == 0 || len % sizeof(struct kvm_cpuid_entry2) ||
	    len / sizeof(struct kvm_cpuid_entry2) > MAX_CPUID)
		return fail(ERR_USAGE, "snapshot %s: vCPU %u's CPUID is missing or malformed", r->path, id), NULL;
	*n = (unsigned)(len / sizeof(struct kvm_cpuid_entry2));
	return p; /* 8-aligned in the reader's buffer */
}

static int check_cpuid(struct vm *vm, const struct snap_reader *r, unsigned id)
{
	unsigned n;
	const struct kvm_cpuid_entry2 *saved = saved_cpuid(r, id, &n);
	struct kvm_cpuid2 *host;
	int ret = 0;

	if (!saved || !(host = current_cpuid(&vm->vcpus[id])))
		return -1;
	for (unsigned i = 0; i < sizeof(feature_regs) / sizeof(feature_regs[0]) && !ret; i++) {
		const struct feature_reg *f = &feature_regs[i];
		const struct kvm_cpuid_entry2 *s = cpuid_find(saved, n, f->function, f->index);
		const struct kvm_cpuid_entry2 *h = cpuid_find(host->entries, host->nent, f->function, f->index);
		uint32_t missing = s ? cpuid_reg(s, f->reg) & ~f->dynamic & ~(h ? cpuid_reg(h, f->reg) : 0) : 0;

		if (missing)
			ret = fail(ERR_USAGE, "this host cannot run snapshot %s: CPUID %s bits 0x%08x "
				   "are not offered by its KVM", r->path, f->name, missing);
	}
	free(host);
	return ret;
}

int vcpu_state_check(struct vm *vm, const struct snap_reader *r, unsigned id)
{
	size_t len;
	uint32_t khz;
	int host_khz;

	if (check_cpuid(vm, r, id) < 0)
		return -1;
	if (!snap_find(r, SNAP_VCPU_XSAVE, id, &len) || len < (size_t)XSAVE_LEGACY_SIZE)
		return fail(ERR_USAGE, "snapshot %s: vCPU %u's XSAVE area is missing or malformed", r->path, id);
	if (len > (size_t)xsave_size(vm))
		return fail(ERR_USAGE, "this host cannot run snapshot %s: its XSAVE area is %zu bytes, "
			    "this host's KVM takes %d", r->path, len, xsave_size(vm));
	for (unsigned i = 0; i < NPARTS; i++)
		if (snap_find(r, parts[i].type, id, &len) && !part_applies(vm, &parts[i]))
			return fail(ERR_USAGE, "this host cannot run snapshot %s: its KVM cannot take the "
				    "vCPUs' %s", r->path, parts[i].name);
	if (!snap_find(r, SNAP_VCPU_TSC_KHZ, id, &len))
		return 0;
	if (snap_get(r, SNAP_VCPU_TSC_KHZ, id, &khz, sizeof(khz), "TSC frequency") < 0)
		return -1;
	host_khz = has_cap(vm, KVM_CAP_GET_TSC_KHZ) ? ioctl(vm->vcpus[0].fd, KVM_GET_TSC_KHZ, 0) : -1;
	if ((int64_t)khz != host_khz && !has_cap(vm, KVM_CAP_TSC_CONTROL))
		return fail(ERR_USAGE, "this host cannot run snapshot %s: its TSC runs at %u kHz, this "
			    "host's at %d kHz, and this KVM cannot scale it (no KVM_CAP_TSC_CONTROL)",
			    r->path, khz, host_khz);
	return 0;
}

static int restore_cpuid(struct vcpu *v, const struct snap_reader *r)
{
	unsigned n;
	const struct kvm_cpuid_entry2 *saved = saved_cpuid(r, v->id, &n);
	struct kvm_cpuid2 *c;
	int ret;

	if (!saved)
		return -1;
	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return fail(ERR_HOST, "out of memory");
	c->nent = n;
	memcpy(c->entries, saved, n * sizeof(c->entries[0]));
	ret = ioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	return ret < 0 ? fail_errno(ERR_USAGE, "vCPU %u: KVM refused the snapshot's CPUID", v->id) : 0;
}

static int restore_tsc_khz(struct vcpu *v, const struct snap_reader *r)
{
	size_t len;
	uint32_t khz;

	if (!snap_find(r, SNAP_VCPU_TSC_KHZ, v->id, &len))
		return 0;
	if (snap_get(r, SNAP_VCPU_TSC_KHZ, v->id, &khz, sizeof(khz), "TSC frequency") < 0)
		return -1;
	if (ioctl(v->fd, KVM_GET_TSC_KHZ, 0) == (int)khz)
		return 0; /* the same here: nothing to scale */
	if (ioctl(v->fd, KVM_SET_TSC_KHZ, (unsigned long)khz) < 0)
		return fail_errno(ERR_USAGE, "vCPU %u: KVM cannot run its TSC at the snapshot's %u kHz",
				  v->id, khz);
	return 0;
}

static int restore_xsave(struct vcpu *v, const struct snap_reader *r)
{
	size_t len;
	const void *saved = snap_find(r, SNAP_VCPU_XSAVE, v->id, &len);
	int size = xsave_size(v->vm);
	void *buf;
	int ret;

	if (!saved || len > (size_t)size) /* vcpu_state_check said why */
		return fail(ERR_USAGE, "snapshot %s: vCPU %u's XSAVE area does not fit", r->path, v->id);
	buf = calloc(1, (size_t)size);
	if (!buf)
		return fail(ERR_HOST, "out of memory");
	memcpy(buf, saved, len);
	ret = ioctl(v->fd, KVM_SET_XSAVE, buf);
	free(buf);
	return ret < 0 ? fail_errno(ERR_USAGE, "vCPU %u: KVM refused the snapshot's XSAVE area", v->id) : 0;
}

/* The TSC first and the TSC deadline last: KVM computes the deadline
 * timer from the TSC, and an armed deadline set before would be lost. */
static unsigned msr_rank(uint32_t index)
{
	return index == MSR_IA32_TSC ? 0 : index == MSR_IA32_TSC_DEADLINE ? 2 : 1;
}

/* SRC's N entries into DST by rank, each rank in the saved order. */
static void order_msrs(struct kvm_msr_entry *dst, const struct kvm_msr_entry *src, unsigned n)
{
	unsigned k = 0;

	for (unsigned rank = 0; rank < 3; rank++)
		for (unsigned i = 0; i < n; i++)
			if (msr_rank(src[i].index) == rank)
				dst[k++] = src[i];
}

static int restore_msrs(struct vcpu *v, const struct snap_reader *r)
{
	size_t len;
	const void *saved = snap_find(r, SNAP_VCPU_MSRS, v->id, &len);
	struct kvm_msrs *m;
	unsigned n;
	int got;

	if (!saved || len % sizeof(struct kvm_msr_entry) || len / sizeof(struct kvm_msr_entry) > MAX_MSRS)
		return fail(ERR_USAGE, "snapshot %s: vCPU %u's MSRs are missing or malformed", r->path, v->id);
	n = (unsigned)(len / sizeof(struct kvm_msr_entry));
	m = calloc(1, sizeof(*m) + len);
	if (!m)
		return fail(ERR_HOST, "out of memory");
	m->nmsrs = n;
	order_msrs(m->entries, saved, n);
	got = ioctl(v->fd, KVM_SET_MSRS, m);
	if (got >= 0 && (unsigned)got < n)
		fail(ERR_USAGE, "this host cannot run the snapshot: its KVM refused vCPU %u's MSR 0x%x",
		     v->id, m->entries[got].index);
	else if (got < 0)
		fail_errno(ERR_HOST, "vCPU %u: KVM_SET_MSRS", v->id);
	free(m);
	return got >= 0 && (unsigned)got == n ? 0 : -1;
}

/* The fixed parts of STAGE. */
static int restore_parts(struct vcpu *v, const struct snap_reader *r, unsigned stage)
{
	for (unsigned i = 0; i < NPARTS; i++) {
		const struct part *p = &parts[i];
		union part_buf buf;
		size_t len;

		if (p->stage != stage || !snap_find(r, p->type, v->id, &len))
			continue; /* not saved where the snapshot was taken */
		if (snap_get(r, p->type, v->id, &buf, p->size, p->name) < 0)
			return -1;
		if (ioctl(v->fd, p->set, &buf) < 0)
			return fail_errno(ERR_USAGE, "vCPU %u: KVM refused the snapshot's %s", v->id, p->name);
	}
	return 0;
}

int vcpu_state_restore(struct vcpu *v, const struct snap_reader *r)
{
	if (restore_cpuid(v, r) < 0 || restore_tsc_khz(v, r) < 0 || restore_parts(v, r, 0) < 0 ||
	    restore_xsave(v, r) < 0 || restore_parts(v, r, 1) < 0 || restore_msrs(v, r) < 0)
		return -1;
	return restore_parts(v, r, 2);
}
