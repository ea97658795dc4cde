/* `warden lab paging` (lab/paging_lab.h): one VM per host backing and
 * guest mapping, the built-in guest, and KVM's counters read on the vCPU
 * thread at each of the guest's marks. */
#include "lab/paging_lab.h"
#include "lab/lab_host.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "accounting/exit_trace.h"
#include "accounting/kvm_stats.h"
#include "boot/loader.h"
#include "core/device.h"
#include "core/kvm_caps.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/error.h"
#include "util/log.h"

extern const unsigned char lab_paging_guest[], lab_paging_guest_end[];

const char *const pg_stat_name[PG_NSTATS] = {
	"exits", "pf_taken", "pf_fixed", "pf_guest", "pf_emulate", "pf_spurious", "tlb_flush", "invlpg", "io_exits",
	"mmu_pte_write", "mmu_unsync", "mmu_shadow_zapped", "mmu_flooded", "pages_4k", "pages_2m",
};

struct pg_state {
	struct device dev;
	struct vm *vm;
	struct pg_run *run;
	struct kvm_stats vcpu_ks, vm_ks;
	bool have_vcpu_ks, have_vm_ks;
	struct kvm_stat_values vals; /* the vCPU thread only */
	bool open, done, bad;
	unsigned win;
	bool b_known[PG_NSTATS];
	uint64_t begin[PG_NSTATS];
	struct exit_trace *trace;   /* NULL: no hardware exit reasons here */
	uint64_t hw_begin[TRACE_MAX_CODES];
};

/* Hardware exits of reason slot I so far (after a drain). */
static uint64_t hw_count(const struct exit_trace *t, unsigned i)
{
	return t->reason[i].used ? t->reason[i].in_kvm + t->reason[i].to_warden : 0;
}

static void hw_begin(struct pg_state *c)
{
	if (!c->trace)
		return;
	exit_trace_drain(c->trace);
	for (unsigned i = 0; i < TRACE_MAX_CODES; i++)
		c->hw_begin[i] = hw_count(c->trace, i);
}

/* The window's hardware exits by reason, the busiest PG_HW_MAX. */
static void hw_end(struct pg_state *c, struct pg_window_result *w)
{
	w->nhw = 0;
	if (!c->trace)
		return;
	exit_trace_drain(c->trace);
	for (unsigned i = 0; i < TRACE_MAX_CODES; i++) {
		uint64_t n = hw_count(c->trace, i) - c->hw_begin[i];
		unsigned k;

		if (!n)
			continue;
		for (k = w->nhw; k > 0 && w->hw[k - 1].n < n; k--)
			if (k < PG_HW_MAX)
				w->hw[k] = w->hw[k - 1];
		if (k >= PG_HW_MAX)
			continue;
		w->hw[k].n = n;
		{
			char buf[32];

			/* The name: a constant, or BUF filled. */
			snprintf(w->hw[k].name, sizeof(w->hw[k].name), "%s",
				 exit_trace_reason_name(c->trace, c->trace->reason[i].code, buf, sizeof(buf)));
		}
		w->nhw += w->nhw < PG_HW_MAX;
	}
}

/* On the vCPU thread before its first KVM_RUN: its trace events.  (This
 * observer has no exit call: the context it returns is not used.) */
static void *pg_vcpu_start(void *ctx, unsigned vcpu)
{
	struct pg_state *c = ctx;

	if (c->trace && exit_trace_open_thread(c->trace, vcpu) < 0) {
		snprintf(c->run->trace_why, sizeof(c->run->trace_why), "%s", err_msg());
		exit_trace_close(c->trace);
		free(c->trace);
		c->trace = NULL;
	}
	return c;
}

/* The kept counters now; KNOWN says which KVM has. */
static void stats_now(struct pg_state *c, uint64_t *v, bool *known)
{
	memset(known, 0, PG_NSTATS * sizeof(*known));
	if (c->have_vcpu_ks && kvm_stats_read(&c->vcpu_ks, &c->vals) == 0)
		for (unsigned i = 0; i < PG_NSTATS_VCPU; i++)
			if ((known[i] = kvm_stat_index(&c->vals, pg_stat_name[i]) >= 0))
				v[i] = kvm_stat_get(&c->vals, pg_stat_name[i]);
	if (c->have_vm_ks && kvm_stats_read(&c->vm_ks, &c->vals) == 0)
		for (unsigned i = PG_NSTATS_VCPU; i < PG_NSTATS; i++)
			if ((known[i] = kvm_stat_index(&c->vals, pg_stat_name[i]) >= 0))
				v[i] = kvm_stat_get(&c->vals, pg_stat_name[i]);
}

static void window_end(struct pg_state *c)
{
	struct pg_window_result *w = &c->run->w[c->win];
	uint64_t end[PG_NSTATS] = { 0 };
	bool known[PG_NSTATS];

	stats_now(c, end, known);
	for (unsigned i = 0; i < PG_NSTATS; i++) {
		w->known[i] = known[i] && c->b_known[i];
		w->delta[i] = w->known[i] ? (int64_t)(end[i] - c->begin[i]) : 0;
	}
	/* KVM has counted the end mark's exit, a port write, by now (the
	 * begin mark's it had counted at the begin). */
	w->delta[PG_S_EXITS] -= w->known[PG_S_EXITS];
	w->delta[PG_S_IO_EXITS] -= w->known[PG_S_IO_EXITS];
	hw_end(c, w);
	w->seen = true;
}

static void ctl_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0xff, len);
}

static void ctl_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data, unsigned len)
{
	struct pg_state *c = dev->priv;
	uint32_t v = 0;

	(void)range, (void)off;
	memcpy(&v, data, len < 4 ? len : 4);
	if ((v & ~0xffu) == 0x100u && (v & 0xff) < PG_NWINDOWS && !c->open) {
		c->open = true;
		c->win = v & 0xff;
		stats_now(c, c->begin, c->b_known);
		hw_begin(c);
	} else if (v == PG_MARK_END && c->open) {
		window_end(c);
		c->open = false;
	} else if (v == PG_MARK_DONE || v == PG_MARK_BAD) {
		c->done = v == PG_MARK_DONE;
		c->bad = v == PG_MARK_BAD;
		vm_request_end(c->vm, VM_END_POWEROFF);
	} else {
		log_guest("lab paging: mark %#x out of order or unknown (ignored)", v);
	}
}

static void ctl_destroy(struct device *dev)
{
	struct pg_state *c = dev->priv;

	if (c->have_vcpu_ks)
		kvm_stats_close(&c->vcpu_ks);
	if (c->have_vm_ks)
		kvm_stats_close(&c->vm_ks);
	c->have_vcpu_ks = c->have_vm_ks = false;
}

static const struct device_ops ctl_ops = { .read = ctl_read, .write = ctl_write, .destroy = ctl_destroy };

static uint64_t ws_total(const struct pg_result *R)
{
	uint64_t t = 0;

	for (uint32_t s = 0; s < R->nsizes; s++)
		t += (R->size[s] + (2ULL << 20) - 1) & ~((2ULL << 20) - 1);
	return t;
}

/* The host's answer for the working sets' pages: their VMA in smaps
 * (its own: the memory below them has the other THP advice). */
static void read_smaps(struct pg_run *run, const void *ws)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	bool in = false;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		unsigned long long kb;

		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a == (unsigned long)(uintptr_t)ws;
			continue;
		}
		if (in && sscanf(line, "Rss: %llu kB", &kb) == 1)
			run->ws_rss_kb = kb, run->smaps_read = true;
		if (in && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
			run->ws_huge_kb = kb;
	}
	fclose(f);
}

/* 4 KiB backing: MADV_NOHUGEPAGE; 2 MiB: MADV_HUGEPAGE (transparent huge
 * pages, where the host grants them).  The memory below the working sets
 * gets the other advice, so that their VMA is theirs alone in smaps. */
static int advise(struct vm *vm, bool huge, uint64_t total)
{
	uint8_t *ws = vm->mem.map + PG_WS_GPA;

	if (madvise(vm->mem.map, PG_WS_GPA, huge ? MADV_NOHUGEPAGE : MADV_HUGEPAGE) < 0 ||
	    madvise(ws, total, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0)
		return fail_errno(ERR_HOST, "madvise of the working sets");
	return 0;
}

/* Hardware exit reasons where the host's tracefs has KVM's tracepoints. */
static void trace_open(struct pg_state *c, struct pg_run *run)
{
	c->trace = calloc(1, sizeof(*c->trace));
	if (!c->trace) {
		snprintf(run->trace_why, sizeof(run->trace_why), "out of memory");
		return;
	}
	if (exit_trace_init(c->trace, 1) < 0) {
		snprintf(run->trace_why, sizeof(run->trace_why), "%s", err_msg());
		free(c->trace);
		c->trace = NULL;
	}
}

static int run_vm(struct pg_result *R, struct pg_run *run, struct vm *vm, const struct boot_spec *spec,
		  struct pg_state *c)
{
	volatile struct pg_params *p;
	struct pg_params in = { .magic = PG_MAGIC, .nsizes = R->nsizes, .map_2m = run->map_2m,
				.iterations = R->iterations };
	struct serial *com1;
	struct pollfd pfd;

	c->vm = vm;
	c->run = run;
	c->dev = (struct device){
		.name = "lab-paging", .ops = &ctl_ops, .priv = c,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_LAB_CTL, PORT_LAB_CTL_LEN) }, .gsi = DEVICE_NO_GSI },
	};
	if (advise(vm, run->backing_2m, ws_total(R)) < 0 || platform_create(vm, &com1, 0) < 0 ||
	    vm_add_device(vm, &c->dev) < 0 || boot_load(vm, spec) < 0)
		return -1;
	trace_open(c, run);
	vm->obs = (struct vm_observer){ .ctx = c, .vcpu_start = pg_vcpu_start };
	c->have_vcpu_ks = kvm_stats_open(&c->vcpu_ks, vm->vcpus[0].fd) == 0;
	c->have_vm_ks = kvm_stats_open(&c->vm_ks, vm->vm_fd) == 0;
	R->have_stats = c->have_vcpu_ks;
	p = gmem_ptr(&vm->mem, LAYOUT_LAB_PARAMS, sizeof(*p));
	if (!p)
		return fail(ERR_HOST, "lab: the parameter block is outside guest RAM");
	for (uint32_t s = 0; s < R->nsizes; s++)
		in.size[s] = R->size[s];
	memcpy((void *)p, &in, sizeof(in));
	if (!R->tsc_khz) {
		long khz = ioctl(vm->vcpus[0].fd, KVM_GET_TSC_KHZ, 0);

		R->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	}
	if (vm_start(vm) < 0)
		return -1;
	pfd = (struct pollfd){ .fd = vm->end.efd, .events = POLLIN };
	while (poll(&pfd, 1, 300000) < 0 && errno == EINTR)
		;
	vm_request_end(vm, VM_END_SIGNAL);
	vm_stop(vm);
	if (c->trace) {
		exit_trace_close(c->trace);
		run->traced = c->trace->exits > 0;
		if (!run->traced)
			snprintf(run->trace_why, sizeof(run->trace_why),
				 "kvm:kvm_exit never fired (a paravirtual KVM such as kvm_pvm does not)");
		free(c->trace);
		c->trace = NULL;
	}
	read_smaps(run, vm->mem.map + PG_WS_GPA);
	for (unsigned w = 0; w < PG_NWINDOWS; w++)
		run->w[w].cycles = p->cycles[w];
	run->check = p->check;
	for (uint32_t s = 0; s < R->nsizes; s++)
		run->check_want += R->size[s] / 4096;
	run->ok = c->done && p->status == PG_ST_DONE && run->check == run->check_want;
	if (!run->ok)
		snprintf(run->why, sizeof(run->why), "the guest did not finish (status %u%s)", p->status,
			 c->bad ? ", it refused its parameters" : c->done ? ", its touches read back wrong" : "");
	return 0;
}

static int one_run(struct pg_result *R, struct pg_run *run, const struct boot_spec *spec, const char *kvm_device)
{
	struct vm_config cfg = { .mem_bytes = PG_WS_GPA + ws_total(R), .ncpus = 1, .irqchip = true,
				 .kvm_device = kvm_device };
	static struct vm vm;
	static struct pg_state c;
	int rc;

	memset(&c, 0, sizeof(c));
	run->ran = true;
	if (vm_create(&vm, &cfg) < 0)
		return -1;
	rc = run_vm(R, run, &vm, spec, &c);
	vm_destroy(&vm);
	ctl_destroy(&c.dev);
	return rc;
}

/* Nested or shadow paging, as the module's own parameter says. */
static void detect_mmu(struct pg_result *R, enum caps_module m)
{
	const char *path = m == CAPS_MOD_AMD ? "/sys/module/kvm_amd/parameters/npt"
			 : m == CAPS_MOD_INTEL ? "/sys/module/kvm_intel/parameters/ept" : NULL;
	char v[16] = "";
	FILE *f;

	if (m == CAPS_MOD_PVM) {
		snprintf(R->mmu, sizeof(R->mmu), "shadow");
		snprintf(R->mmu_source, sizeof(R->mmu_source), "kvm_pvm (paravirtual: no nested paging)");
		return;
	}
	if (!path || !(f = fopen(path, "r"))) {
		snprintf(R->mmu, sizeof(R->mmu), "unknown");
		snprintf(R->mmu_source, sizeof(R->mmu_source), "%s", path ? path : "no KVM module known");
		return;
	}
	if (!fgets(v, sizeof(v), f))
		v[0] = 0;
	fclose(f);
	v[strcspn(v, "\n")] = 0;
	R->nested = v[0] == 'Y' || v[0] == '1';
	snprintf(R->mmu, sizeof(R->mmu), "%s", R->nested ? "nested" : "shadow");
	snprintf(R->mmu_source, sizeof(R->mmu_source), "%s = %s", path, v);
}

static void detect_thp(struct pg_result *R)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	snprintf(R->thp, sizeof(R->thp), "unknown");
	if (f) {
		if (fgets(R->thp, sizeof(R->thp), f))
			R->thp[strcspn(R->thp, "\n")] = 0;
		fclose(f);
	}
}

int pg_measure(struct pg_result *R, const char *kvm_device)
{
	struct boot_spec spec = lab_guest_spec("warden lab paging's built-in guest", lab_paging_guest,
					       lab_paging_guest_end);
	struct caps_host h;
	int rc = 0;

	caps_host_detect(&h);
	detect_mmu(R, h.module);
	detect_thp(R);
	for (unsigned r = 0; rc == 0 && r < PG_NRUNS; r++) {
		R->run[r].backing_2m = r & 2;
		R->run[r].map_2m = r & 1;
		if (R->want[r])
			rc = one_run(R, &R->run[r], &spec, kvm_device);
	}
	if (rc == 0)
		pg_model(R);
	return rc;
}
