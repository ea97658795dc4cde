#include "lab/exits_run.h"

#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "accounting/exit_stats.h"
#include "accounting/kvm_stats.h"
#include "accounting/recorder.h"
#include "boot/loader.h"
#include "core/device.h"
#include "core/cpuid.h"
#include "core/exit.h"
#include "core/kvm.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "hypercall/hypercall.h"
#include "lab/guest_blob.h"
#include "util/clock.h"
#include "util/error.h"
#include "warden/hypercall.h"

#define LAB_MAX_VCPUS 2
#define MMIO_WINDOW 0x1000
#define MMIO_REG_EXIT 0x0     /* in the bench MMIO device's first range */
#define MMIO_REG_DOORBELL 0x8 /* the same range, under an ioeventfd */
#define MMIO_READ_VALUE 0x4c414221u /* what the register reads as: "!BAL" */
#define KICK_SIGNAL SIGUSR1   /* core/vcpu.c's kick: interrupts KVM_RUN */

/* --- the bench devices: a port range, an MMIO window, an MSR --------------- */

struct machine;

struct bench_dev {
	struct device dev;
	uint64_t msr_value; /* the MSR device's register */
	struct machine *mark_machine; /* the port device: the machine whose marks it answers */
};

static void bench_mark(struct machine *m, uint8_t what);

static void bench_read(struct device *d, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct bench_dev *b = d->priv;
	uint64_t v = d->res.range[0].space == BUS_MSR ? b->msr_value : MMIO_READ_VALUE;

	(void)range;
	(void)off;
	memcpy(data, &v, len < sizeof(v) ? len : sizeof(v));
}

static void bench_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data, unsigned len)
{
	struct bench_dev *b = d->priv;

	(void)range;
	if (d->res.range[0].space == BUS_MSR && len == sizeof(b->msr_value))
		memcpy(&b->msr_value, data, len);
	else if (b->mark_machine && off == PORT_LAB_MARK - PORT_LAB && len == 1)
		bench_mark(b->mark_machine, data[0]);
}

static void bench_destroy(struct device *d)
{
	free(d->priv);
}

static const struct device_ops bench_ops = { .read = bench_read, .write = bench_write,
					     .destroy = bench_destroy };

static struct bench_dev *bench_add(struct vm *vm, const char *name, struct device_resources res)
{
	struct bench_dev *b = calloc(1, sizeof(*b));

	if (!b)
		return fail(ERR_HOST, "out of memory"), NULL;
	b->dev = (struct device){ .name = name, .ops = &bench_ops, .priv = b, .res = res };
	b->msr_value = 1; /* IA32_MISC_ENABLE as warden boots vCPUs: fast strings */
	if (vm_add_device(vm, &b->dev) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

/* --- the machine ------------------------------------------------------------ */

/* What the guest's marks saw, read by the bench port device on the mark's
 * own exit: KVM's exit counter (all vCPUs) and the writes delivered from
 * the coalesced ring so far (the ring is drained before the mark reaches
 * the device). */
struct marks {
	_Atomic bool inside; /* between the marks */
	bool kvm_ok;
	uint64_t kvm_begin, kvm_end;
	uint64_t coalesced_begin, coalesced_end;
};

struct machine {
	struct vm vm;
	bool created;
	struct marks marks;
	uint64_t mmio;      /* the bench MMIO device's window */
	uint64_t coalesced; /* and its coalesced page */
	int efd;            /* the ioeventfd's eventfd, or -1 */
	struct kvm_stats stats[LAB_MAX_VCPUS];
	int exits_stat[LAB_MAX_VCPUS]; /* index of "exits" in stats, or -1 */
};

static uint64_t target_addr(const struct machine *m, enum lab_target t)
{
	switch (t) {
	case LAB_T_PORT_EXIT: return PORT_LAB_EXIT;
	case LAB_T_PORT_DOORBELL: return PORT_LAB_DOORBELL;
	case LAB_T_MMIO_EXIT: return m->mmio + MMIO_REG_EXIT;
	case LAB_T_MMIO_DOORBELL: return m->mmio + MMIO_REG_DOORBELL;
	case LAB_T_MMIO_COALESCED: return m->coalesced;
	case LAB_T_PORT_COALESCED: return PORT_LAB_COALESCED;
	case LAB_T_HC_PORT:
	case LAB_T_HC_FAST: return LAYOUT_LAB_HC_BATCH;
	default: return 0;
	}
}

/* BLOCKING: the floor's hypercall thread waits in read() on it. */
static int add_ioeventfd(struct machine *m, bool pio, uint64_t addr, uint32_t len, bool blocking)
{
	struct kvm_ioeventfd io = { .addr = addr, .len = len, .flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0 };

	m->efd = eventfd(0, EFD_CLOEXEC | (blocking ? 0 : EFD_NONBLOCK));
	if (m->efd < 0)
		return fail_errno(ERR_HOST, "eventfd");
	io.fd = m->efd;
	if (ioctl(m->vm.vm_fd, KVM_IOEVENTFD, &io) < 0)
		return fail_errno(ERR_HOST, "KVM_IOEVENTFD");
	return 0;
}

/* vCPU 1 starts at the guest's entry too, with RDI = 1 and its own stack,
 * already running (with an in-kernel irqchip an AP would otherwise wait
 * for INIT/SIPI). */
static int start_ap(struct machine *m)
{
	struct vcpu_boot_regs b = m->vm.boot;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	b.regs.rdi = 1;
	b.regs.rsp = LAYOUT_LAB_AP_STACK;
	if (vcpu_set_boot_regs(&m->vm.vcpus[1], &b) < 0)
		return -1;
	if (ioctl(m->vm.vcpus[1].fd, KVM_SET_MP_STATE, &mp) < 0)
		return fail_errno(ERR_HOST, "KVM_SET_MP_STATE");
	return 0;
}

/* The TSC-deadline timer in vCPU 0's CPUID.  warden's CPUID is what
 * KVM_GET_SUPPORTED_CPUID says, which on most hosts leaves the timer out:
 * KVM offers it through KVM_CAP_TSC_DEADLINE_TIMER instead (with the
 * in-kernel LAPIC every bench VM has).  Set again before the first run. */
static int offer_tsc_deadline(struct machine *m)
{
	struct kvm_cpuid2 *c = cpuid_for_vcpu(m->vm.cpuid, 0);
	int r;

	if (!c)
		return -1;
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= 1u << 24;
	r = ioctl(m->vm.vcpus[0].fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? fail_errno(ERR_HOST, "KVM_SET_CPUID2 with the TSC-deadline timer") : 0;
}

static void open_stats(struct machine *m)
{
	for (unsigned i = 0; i < m->vm.cfg.ncpus; i++) {
		m->exits_stat[i] = -1;
		if (kvm_stats_open(&m->stats[i], m->vm.vcpus[i].fd) == 0)
			m->exits_stat[i] = kvm_stat_index(&m->stats[i].names, "exits");
	}
}

/* KVM's exit counter summed over the vCPUs; false when it has none. */
static bool kvm_exits(struct machine *m, uint64_t *sum)
{
	*sum = 0;
	for (unsigned i = 0; i < m->vm.cfg.ncpus; i++) {
		int k = m->exits_stat[i];
		uint64_t v;

		if (k < 0 || pread(m->stats[i].fd, &v, sizeof(v), m->stats[i].data_offset + m->stats[i].offset[k]) !=
				     (ssize_t)sizeof(v))
			return false;
		*sum += v;
	}
	return true;
}

/* The writes delivered from the coalesced ring to M's devices so far. */
static uint64_t coalesced_delivered(struct machine *m)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < m->vm.ndevices; i++)
		n += __atomic_load_n(&m->vm.devices[i]->coalesced, __ATOMIC_RELAXED);
	return n;
}

static void bench_mark(struct machine *m, uint8_t what)
{
	struct marks *k = &m->marks;

	if (what == LAB_MARK_BEGIN) {
		k->kvm_ok = kvm_exits(m, &k->kvm_begin);
		k->coalesced_begin = coalesced_delivered(m);
		atomic_store(&k->inside, true);
	} else if (what == LAB_MARK_END) {
		atomic_store(&k->inside, false);
		k->kvm_ok = k->kvm_ok && kvm_exits(m, &k->kvm_end);
		k->coalesced_end = coalesced_delivered(m);
	}
}

static uint64_t guest_mem_mib(uint32_t iterations)
{
	uint64_t need = LAYOUT_LAB_SAMPLES + (uint64_t)iterations * sizeof(uint64_t);

	need = (need + GMEM_MIB - 1) / GMEM_MIB + 1;
	return need < 16 ? 16 : need;
}

/* The hypercall rows: warden's side gets warden's hypercall device (both
 * doorbells, the fast one under KVM_IOEVENTFD for hypercall-fast, and its
 * I/O thread); the floor's side gets no device, only, for hypercall-fast,
 * an ioeventfd of its own on the fast doorbell (floor_hc_thread answers
 * it). */
static int add_hypercall(struct machine *m, const struct lab_row *row, bool floor)
{
	struct hypercall_config hc = { .enabled = true, .ioeventfd = row->target == LAB_T_HC_FAST };

	if (row->target != LAB_T_HC_PORT && row->target != LAB_T_HC_FAST)
		return 0;
	if (floor)
		return row->target == LAB_T_HC_FAST ? add_ioeventfd(m, true, WHC_PORT_FAST, 4, true) : 0;
	return hypercall_create(&m->vm, &hc) ? 0 : -1;
}

/* The coalesced PIO row's zone (vm_coalesce_port_writes: 0 when KVM does
 * not offer it, which the row's needs rule out before). */
static int add_coalesced_port(struct machine *m)
{
	int r = vm_coalesce_port_writes(&m->vm, PORT_LAB_COALESCED, 1);

	if (r == 0)
		return fail(ERR_HOST, "KVM did not take a coalesced port zone (KVM_CAP_COALESCED_PIO)");
	return r < 0 ? -1 : 0;
}

static int machine_create(struct machine *m, const struct lab_run_config *c, const struct lab_row *row,
			  bool floor)
{
	struct vm_config cfg = {
		.mem_bytes = guest_mem_mib(c->iterations) << 20,
		.ncpus = (row->needs & LAB_NEED_TWO_VCPUS) ? 2 : 1,
		.irqchip = true,
		.kvm_device = c->kvm_device,
		/* Only this row's VM lets devices queue port writes (the UART's
		 * and the RTC's, as warden run does, and the bench port's). */
		.coalesced_pio = row->target == LAB_T_PORT_COALESCED,
	};
	struct boot_spec spec = {
		.kernel = "warden bench exits' built-in guest", .format = KERNEL_ELF,
		.kernel_img = (uint8_t *)lab_exits_guest, .kernel_len = lab_exits_guest_size(), .kernel_fd = -1,
	};
	struct bench_dev *port, *mmio;
	struct serial *com1;
	uint32_t msr = c->msr ? c->msr : LAB_MSR;

	memset(m, 0, sizeof(*m));
	m->efd = -1;
	for (unsigned i = 0; i < LAB_MAX_VCPUS; i++)
		m->exits_stat[i] = -1;
	if (vm_create(&m->vm, &cfg) < 0)
		return m->created = true, -1;
	m->created = true;
	/* The devices every warden VM has, so the bus is as busy as usual. */
	if (platform_create(&m->vm, &com1, 0) < 0 ||
	    !(port = bench_add(&m->vm, "bench-port",
		       (struct device_resources){ .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_LAB, PORT_LAB_LEN) },
						  .gsi = DEVICE_NO_GSI })) ||
	    !(mmio = bench_add(&m->vm, "bench-mmio",
			       (struct device_resources){ .nranges = 2,
							  .range = { DEVICE_RANGE(BUS_MMIO, DEVICE_ANY_BASE, MMIO_WINDOW),
								     DEVICE_RANGE(BUS_MMIO, DEVICE_ANY_BASE, MMIO_WINDOW) },
							  .gsi = DEVICE_NO_GSI })) ||
	    !bench_add(&m->vm, "bench-msr",
		       (struct device_resources){ .nranges = 1, .range = { DEVICE_RANGE(BUS_MSR, msr, 1) },
						  .gsi = DEVICE_NO_GSI }))
		return -1;
	port->mark_machine = m;
	m->mmio = mmio->dev.res.range[0].base;
	m->coalesced = mmio->dev.res.range[1].base;
	if (boot_load(&m->vm, &spec) < 0)
		return -1;
	if (row->target == LAB_T_PORT_DOORBELL && add_ioeventfd(m, true, PORT_LAB_DOORBELL, 1, false) < 0)
		return -1;
	if (row->target == LAB_T_MMIO_DOORBELL && add_ioeventfd(m, false, m->mmio + MMIO_REG_DOORBELL, 4, false) < 0)
		return -1;
	if (add_hypercall(m, row, floor) < 0)
		return -1;
	if (row->target == LAB_T_MMIO_COALESCED && vm_coalesced_mmio(&m->vm, m->coalesced, MMIO_WINDOW) < 0)
		return -1;
	if (row->target == LAB_T_PORT_COALESCED && add_coalesced_port(m) < 0)
		return -1;
	if ((row->needs & LAB_NEED_MSR_FILTER) && vm_msr_filter(&m->vm, &msr, 1) < 0)
		return -1;
	if ((row->needs & LAB_NEED_TSC_DEADLINE) && kvm_has_cap(m->vm.vm_fd, KVM_CAP_TSC_DEADLINE_TIMER) &&
	    offer_tsc_deadline(m) < 0)
		return -1;
	if (cfg.ncpus > 1 && start_ap(m) < 0)
		return -1;
	open_stats(m);
	return 0;
}

static void machine_destroy(struct machine *m)
{
	for (unsigned i = 0; i < LAB_MAX_VCPUS; i++)
		kvm_stats_close(&m->stats[i]); /* fd 0: never opened */
	if (m->created)
		vm_destroy(&m->vm);
	if (m->efd >= 0)
		close(m->efd);
	m->created = false;
	m->efd = -1;
}

static uint64_t ns_to_cycles(uint64_t ns, uint64_t khz)
{
	return (uint64_t)((double)ns * (double)khz / 1e6);
}

static int write_params(struct machine *m, const struct lab_run_config *c, const struct lab_row *row,
			uint64_t khz)
{
	struct lab_params *p = gmem_ptr(&m->vm.mem, LAYOUT_LAB_PARAMS, sizeof(*p));

	if (!p || !gmem_ptr(&m->vm.mem, LAYOUT_LAB_SAMPLES, (uint64_t)c->iterations * sizeof(uint64_t)))
		return fail(ERR_HOST, "guest memory too small for the bench's parameters and samples");
	*p = (struct lab_params){
		.magic = LAB_MAGIC, .version = LAB_VERSION, .op = row->op, .iterations = c->iterations,
		.warmup = c->warmup, .msr = c->msr ? c->msr : LAB_MSR, .addr = target_addr(m, row->target),
		.samples = LAYOUT_LAB_SAMPLES, .timer_delay = ns_to_cycles(c->timer_delay_ns, khz),
		.hypercall_nr = LAB_HYPERCALL_NR, .port_mark = PORT_LAB_MARK,
		.port_poweroff = PORT_ACPI_PM + ACPI_PM_SLEEP_CTL,
		.poweroff_value = ACPI_S5_TYPE << 2 | 0x20 /* SLP_TYP | SLP_EN */,
	};
	return 0;
}

static const char *status_text(uint32_t st)
{
	switch (st) {
	case LAB_ST_NONE: return "the guest wrote no result";
	case LAB_ST_BAD_PARAMS: return "the guest refused its parameters";
	case LAB_ST_NO_FEATURE: return "the guest CPU lacks a feature the op needs";
	case LAB_ST_HC_SETUP: return "the hypercall device did not answer FAST_SETUP WHC_OK (check: header << 32 | request)";
	case LAB_ST_TIMER_MODE:
		return "the LAPIC did not take the TSC-deadline timer mode its CPUID offers (LVT timer read back)";
	default: return "unknown guest status";
	}
}

/* The guest's answer, copied out of guest memory before it is checked. */
static void collect(struct machine *m, uint32_t iterations, struct lab_result *out)
{
	const struct lab_params *gp = gmem_ptr(&m->vm.mem, LAYOUT_LAB_PARAMS, sizeof(*gp));
	const uint64_t *s = gmem_ptr(&m->vm.mem, LAYOUT_LAB_SAMPLES, (uint64_t)iterations * sizeof(uint64_t));
	struct lab_params p;

	if (!gp || !s) {
		snprintf(out->error, sizeof(out->error), "guest memory lost");
		return;
	}
	memcpy(&p, gp, sizeof(p));
	out->status = p.status;
	out->loop_cycles = p.loop_cycles;
	out->check = p.check;
	out->wakeups = p.wakeups;
	out->amd = p.amd;
	if (p.status == LAB_ST_FAULT) {
		snprintf(out->error, sizeof(out->error), "guest exception %u (error code 0x%llx) at 0x%llx",
			 p.fault_vector, (unsigned long long)p.fault_error, (unsigned long long)p.fault_rip);
		return;
	}
	if (p.status != LAB_ST_DONE || p.done != iterations) {
		snprintf(out->error, sizeof(out->error), "%s (status %u, check 0x%llx, %u of %u iterations)",
			 status_text(p.status), p.status, (unsigned long long)p.check, p.done, iterations);
		return;
	}
	out->samples = malloc((size_t)iterations * sizeof(uint64_t));
	if (!out->samples) {
		snprintf(out->error, sizeof(out->error), "out of memory");
		return;
	}
	memcpy(out->samples, s, (size_t)iterations * sizeof(uint64_t));
	out->iterations = iterations;
	out->ok = true;
}

/* Where a guest that took too long was (its vCPUs have stopped). */
static void timed_out(struct machine *m, const struct lab_run_config *c, struct lab_result *out)
{
	struct kvm_regs regs;

	struct kvm_mp_state mp = { 0 };

	if (ioctl(m->vm.vcpus[0].fd, KVM_GET_REGS, &regs) == 0)
		snprintf(out->error, sizeof(out->error), "timed out after %.0f s (vCPU 0 at RIP 0x%llx, RAX 0x%llx%s)",
			 c->timeout_s, (unsigned long long)regs.rip, (unsigned long long)regs.rax,
			 ioctl(m->vm.vcpus[0].fd, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_HALTED
				 ? ", halted: no interrupt came" : "");
	else
		snprintf(out->error, sizeof(out->error), "timed out after %.0f s", c->timeout_s);
}

/* --- warden: the one exit path, and each exit's share ------------------- */

/* One vCPU's exits between the guest's marks, and each one's share. */
struct window {
	bool counted;     /* the last exit was inside (its return is to come) */
	unsigned marks;   /* marks seen (the accounting's samples) */
	uint64_t handled; /* the last counted exit's decode + emulate */
	uint64_t exits, decode, emulate, ret;
	uint64_t *shares; /* per exit, room for CAP */
	uint32_t nshares, cap;
};

/* The next exit of a vCPU, in order: its decode and emulate, and the
 * return of the exit before it (HAS_RET), which completes that one's share
 * if it was counted.  INSIDE: between the marks; MARK: a mark itself,
 * never counted. */
static void window_exit(struct window *w, bool inside, bool mark, bool has_ret, uint64_t ret,
			uint64_t decode, uint64_t emulate)
{
	if (has_ret && w->counted) {
		w->ret += ret;
		if (w->nshares < w->cap)
			w->shares[w->nshares++] = w->handled + ret;
	}
	w->counted = inside && !mark;
	if (!w->counted)
		return;
	w->exits++;
	w->decode += decode;
	w->emulate += emulate;
	w->handled = decode + emulate;
}

/* With the accounting on and one vCPU, the shares come from the
 * accounting's own samples, handed over every STATS_PENDING exits
 * (stats_sample_sink): the exit path runs as in `warden run`, with no
 * observer of the lab's around it (one more call, its code and data
 * pages at every exit, which the share measured would include). */
static void window_sink(void *ctx, const struct exit_sample *x, unsigned n)
{
	struct window *w = ctx;

	for (unsigned i = 0; i < n; i++) {
		bool mark = x[i].access && x[i].space == BUS_PIO && x[i].addr == PORT_LAB_MARK;

		window_exit(w, w->marks == 1, mark, x[i].ret_cell != STATS_NO_CELL, x[i].ret,
			    x[i].decode, x[i].emulate);
		w->marks += mark;
	}
}

/* Otherwise (--no-accounting, or two vCPUs) an observer of the lab's sees
 * each exit as it comes, around the accounting if there is one. */
struct watch {
	struct vm_observer inner; /* warden's accounting (the recorder), or none */
	struct machine *m;
	struct watch_vcpu {
		_Alignas(64) struct window win; /* a cache line per vCPU thread */
		struct watch *w;   /* this vCPU's exits get this entry (watch_start) */
		void *inner_vctx;  /* and hand the accounting its own context */
	} v[LAB_MAX_VCPUS];
};

static bool is_mark(const struct exit_record *r)
{
	return r->kind == EXIT_ACCESS && r->space == BUS_PIO && r->addr == PORT_LAB_MARK && r->write &&
	       r->size == 1 && r->count == 1;
}

static void *watch_start(void *ctx, unsigned vcpu)
{
	struct watch *w = ctx;
	void *inner = w->inner.vcpu_start ? w->inner.vcpu_start(w->inner.ctx, vcpu) : w->inner.ctx;

	if (vcpu >= LAB_MAX_VCPUS) /* never: a lab machine has at most 2 */
		return NULL;
	w->v[vcpu].w = w;
	w->v[vcpu].inner_vctx = inner;
	return &w->v[vcpu];
}

static void watch_end(void *ctx, unsigned vcpu)
{
	struct watch *w = ctx;

	if (w->inner.vcpu_end)
		w->inner.vcpu_end(w->inner.ctx, vcpu);
}

/* VCTX: the vCPU's entry (watch_start).  The marks' device has already
 * run: INSIDE is true from the begin mark's own exit on. */
static void watch_exit(void *vctx, unsigned vcpu, const struct exit_record *r)
{
	struct watch_vcpu *wv = vctx;

	(void)vcpu;
	if (!wv)
		return;
	window_exit(&wv->win, atomic_load_explicit(&wv->w->m->marks.inside, memory_order_relaxed),
		    is_mark(r), r->has_return, r->return_ticks, r->t_decoded - r->t_exit,
		    r->t_done - r->t_decoded);
}

/* The accounting's batches of the same exits (core/vm.h), to the
 * accounting with its own context. */
static void watch_exits(void *vctx, unsigned vcpu, const struct exit_note *n, unsigned count)
{
	struct watch_vcpu *wv = vctx;

	if (wv && wv->w->inner.exits)
		wv->w->inner.exits(wv->inner_vctx, vcpu, n, count);
}

/* A way back into KVM_RUN with no exit after it (the VM's end). */
static void watch_return(void *ctx, unsigned vcpu, uint64_t ticks)
{
	struct watch *w = ctx;

	if (w->inner.exit_return)
		w->inner.exit_return(w->inner.ctx, vcpu, ticks);
	if (vcpu < LAB_MAX_VCPUS)
		window_exit(&w->v[vcpu].win, false, false, true, ticks, 0, 0);
}

/* The observer of M's VM: the accounting (RECORDER, or NULL for none)
 * alone, its samples handed to W's windows, where it can (window_sink);
 * else the lab's watch. */
static void observe(struct machine *m, struct watch *w, struct recorder *recorder)
{
	struct vm_observer rec = { 0 };

	w->m = m;
	if (recorder)
		recorder_observer(recorder, &rec);
	if (recorder && m->vm.cfg.ncpus == 1) {
		recorder->stats[0].sink = window_sink;
		recorder->stats[0].sink_ctx = &w->v[0].win;
		m->vm.obs = rec;
		return;
	}
	w->inner = rec;
	m->vm.obs = (struct vm_observer){ .ctx = w, .vcpu_start = watch_start,
					  .vcpu_end = watch_end, .exit = watch_exit,
					  .exits = rec.exits ? watch_exits : NULL,
					  .exit_return = watch_return };
}

static int run_warden(struct machine *m, const struct lab_run_config *c, struct lab_result *out)
{
	unsigned n = m->vm.cfg.ncpus;
	struct exit_stats *stats = stats_alloc(n);
	struct recorder rec = { .stats = stats, .nvcpus = n };
	struct watch *w = calloc(1, sizeof(*w));
	struct pollfd pfd = { .fd = m->vm.end.efd, .events = POLLIN };
	enum vm_end end;
	int r = -1;

	if (!stats || !w) {
		stats_free(stats);
		free(w);
		return fail(ERR_HOST, "out of memory");
	}
	/* A row has at most one exit to warden per iteration. */
	for (unsigned i = 0; i < n && i < LAB_MAX_VCPUS; i++) {
		w->v[i].win.cap = c->iterations + 64;
		w->v[i].win.shares = malloc(w->v[i].win.cap * sizeof(uint64_t));
		if (!w->v[i].win.shares) {
			for (unsigned k = 0; k < i; k++)
				free(w->v[k].win.shares);
			stats_free(stats);
			free(w);
			return fail(ERR_HOST, "out of memory");
		}
	}
	observe(m, w, c->no_accounting ? NULL : &rec);
	if (vm_start(&m->vm) == 0) {
		do
			r = poll(&pfd, 1, (int)(c->timeout_s * 1000));
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			vm_request_end(&m->vm, VM_END_SIGNAL);
	}
	end = vm_stop(&m->vm);
	if (r == 0)
		timed_out(m, c, out);
	out->shares = malloc(((size_t)w->v[0].win.nshares + (n > 1 ? w->v[1].win.nshares : 0) + 1) *
			     sizeof(uint64_t));
	for (unsigned i = 0; i < n && i < LAB_MAX_VCPUS; i++) {
		const struct window *win = &w->v[i].win;

		if (out->shares) {
			memcpy(out->shares + out->nshares, win->shares, win->nshares * sizeof(uint64_t));
			out->nshares += win->nshares;
		}
		free(win->shares);
		out->exits += win->exits;
		out->decode += win->decode;
		out->emulate += win->emulate;
		out->ret += win->ret;
	}
	out->coalesced = m->marks.coalesced_end - m->marks.coalesced_begin;
	/* Read during the marks' own exits: the end mark's is counted. */
	out->kvm_exits_known = m->marks.kvm_ok && m->marks.kvm_end > m->marks.kvm_begin;
	out->kvm_exits = out->kvm_exits_known ? m->marks.kvm_end - m->marks.kvm_begin - 1 : 0;
	free(w);
	stats_free(stats);
	if (!out->error[0] && end != VM_END_POWEROFF)
		snprintf(out->error, sizeof(out->error), "the VM ended with %s", vm_end_name(end));
	return 0;
}

/* --- the floor: a bare KVM_RUN loop per vCPU ------------------------------- */

struct floor {
	struct machine *m;
	_Atomic bool stop;
	_Atomic bool measuring;
	int done_efd;
	char error[160]; /* the first vCPU's failure */
	pthread_mutex_t lock;
	bool kvm_ok;
	uint64_t kvm_begin, kvm_end;
	struct floor_vcpu {
		struct floor *f;
		unsigned id;
		pthread_t thread;
		bool started;
		uint64_t exits;
	} v[LAB_MAX_VCPUS];
	pthread_t hc_thread; /* hypercall-fast: answers the fast doorbell */
	bool hc_started;
};

static void floor_stop(struct floor *f, const char *error)
{
	uint64_t one = 1;

	pthread_mutex_lock(&f->lock);
	if (error && !f->error[0])
		snprintf(f->error, sizeof(f->error), "%s", error);
	pthread_mutex_unlock(&f->lock);
	atomic_store(&f->stop, true);
	if (write(f->done_efd, &one, sizeof(one)) < 0) {
		/* the eventfd cannot be full: nothing to do */
	}
}

/* The least a hypercall needs: its answer where the guest reads it.  The
 * floor does not read the batch (the lab's guest rings a one-request
 * batch, whatever its call): it writes WHC_OK as the request's status,
 * then as the header's, the order warden writes them in. */
static void floor_hc_answer(struct machine *m, uint64_t gpa)
{
	struct whc_batch *h = gmem_ptr(&m->vm.mem, gpa, sizeof(*h) + sizeof(struct whc_req));
	struct whc_req *r;

	if (!h || gpa % WHC_BATCH_ALIGN)
		return;
	r = (struct whc_req *)(h + 1);
	__atomic_store_n(&r->status, WHC_OK, __ATOMIC_RELAXED);
	__atomic_store_n(&h->status, WHC_OK, __ATOMIC_RELEASE);
}

/* hypercall-fast: KVM signals the eventfd (m->efd, blocking) at each ring
 * of the fast doorbell and resumes the guest; this thread wakes in read()
 * and answers the batch the guest polls (LAYOUT_LAB_HC_BATCH, where the
 * guest was told to put it: the floor skips reading FAST_SETUP).  One
 * read() and two stores a call, where warden's I/O thread also polls its
 * stop eventfd and checks the whole batch. */
static void *floor_hc_thread(void *arg)
{
	struct floor *f = arg;
	uint64_t rings;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		if (read(f->m->efd, &rings, sizeof(rings)) != (ssize_t)sizeof(rings)) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (atomic_load_explicit(&f->stop, memory_order_relaxed))
			break;
		floor_hc_answer(f->m, LAYOUT_LAB_HC_BATCH);
	}
	return NULL;
}

/* A port write: the marks, the poweroff, and the port doorbell (a 32-bit
 * write of the batch's address, answered in place before the vCPU runs on). */
static void floor_io(struct floor_vcpu *fv, struct kvm_run *run, size_t run_size)
{
	struct floor *f = fv->f;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t gpa;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.data_offset + run->io.size > run_size)
		return;
	if (run->io.size == 4 && run->io.port == WHC_PORT_DOORBELL) {
		memcpy(&gpa, data, sizeof(gpa));
		floor_hc_answer(f->m, gpa);
	} else if (run->io.size == 1 && run->io.port == PORT_LAB_MARK && *data == LAB_MARK_BEGIN) {
		fv->exits = 0;
		f->kvm_ok = kvm_exits(f->m, &f->kvm_begin);
		atomic_store(&f->measuring, true);
	} else if (run->io.size == 1 && run->io.port == PORT_LAB_MARK && *data == LAB_MARK_END) {
		atomic_store(&f->measuring, false);
		fv->exits--; /* the mark itself */
		f->kvm_ok = f->kvm_ok && kvm_exits(f->m, &f->kvm_end);
	} else if (run->io.size == 1 && run->io.port == PORT_ACPI_PM + ACPI_PM_SLEEP_CTL) {
		floor_stop(f, NULL);
	}
}

static void *floor_thread(void *arg)
{
	struct floor_vcpu *fv = arg;
	struct floor *f = fv->f;
	struct vcpu *v = &f->m->vm.vcpus[fv->id];
	struct kvm_run *run = v->run;
	struct kvm_coalesced_mmio_ring *ring = f->m->vm.coalesced;
	size_t run_size = (size_t)f->m->vm.run_size;
	char msg[96];

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(msg, sizeof(msg), "vCPU %u: KVM_RUN: %s", fv->id, strerror(errno));
			floor_stop(f, msg);
			break;
		}
		if (atomic_load_explicit(&f->measuring, memory_order_relaxed))
			fv->exits++;
		if (ring) /* warden hands these to the device; the floor drops them */
			__atomic_store_n(&ring->first, __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE),
					 __ATOMIC_RELEASE);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			floor_io(fv, run, run_size);
			break;
		case KVM_EXIT_MMIO:
			break;
		case KVM_EXIT_X86_RDMSR:
			run->msr.data = 0;
			run->msr.error = 0;
			break;
		case KVM_EXIT_X86_WRMSR:
			run->msr.error = 0;
			break;
		case KVM_EXIT_INTR:
			break;
		default:
			snprintf(msg, sizeof(msg), "vCPU %u: unexpected exit reason %u", fv->id, run->exit_reason);
			floor_stop(f, msg);
			break;
		}
	}
	return NULL;
}

static int run_floor(struct machine *m, const struct lab_run_config *c, const struct lab_row *row,
		     struct lab_result *out)
{
	unsigned n = m->vm.cfg.ncpus;
	struct floor *f = calloc(1, sizeof(*f));
	struct pollfd pfd;
	int r, err;

	if (!f)
		return fail(ERR_HOST, "out of memory");
	f->m = m;
	pthread_mutex_init(&f->lock, NULL);
	f->done_efd = eventfd(0, EFD_CLOEXEC);
	if (f->done_efd < 0) {
		free(f);
		return fail_errno(ERR_HOST, "eventfd");
	}
	if (vcpu_set_boot_regs(&m->vm.vcpus[0], &m->vm.boot) < 0) {
		close(f->done_efd);
		free(f);
		return -1;
	}
	if (row->target == LAB_T_HC_FAST) {
		err = pthread_create(&f->hc_thread, NULL, floor_hc_thread, f);
		if (err)
			floor_stop(f, "cannot start the hypercall thread");
		f->hc_started = !err;
	}
	for (unsigned i = 0; i < n; i++) {
		f->v[i] = (struct floor_vcpu){ .f = f, .id = i };
		err = pthread_create(&f->v[i].thread, NULL, floor_thread, &f->v[i]);
		if (err) {
			floor_stop(f, "cannot start a vCPU thread");
			break;
		}
		f->v[i].started = true;
	}
	pfd = (struct pollfd){ .fd = f->done_efd, .events = POLLIN };
	do
		r = poll(&pfd, 1, (int)(c->timeout_s * 1000));
	while (r < 0 && errno == EINTR);
	atomic_store(&f->stop, true);
	for (unsigned i = 0; i < n; i++)
		if (f->v[i].started) {
			m->vm.vcpus[i].run->immediate_exit = 1;
			pthread_kill(f->v[i].thread, KICK_SIGNAL);
		}
	for (unsigned i = 0; i < n; i++)
		if (f->v[i].started)
			pthread_join(f->v[i].thread, NULL);
	if (f->hc_started) {
		uint64_t one = 1;

		/* f->stop is set: the thread ends at this wake-up.  (A write to
		 * an eventfd fails only at a count near 2^64.) */
		while (write(m->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_join(f->hc_thread, NULL);
	}
	if (r == 0)
		timed_out(m, c, out);
	for (unsigned i = 0; i < n; i++)
		out->exits += f->v[i].exits;
	out->kvm_exits_known = f->kvm_ok && f->kvm_end > f->kvm_begin;
	out->kvm_exits = out->kvm_exits_known ? f->kvm_end - f->kvm_begin - 1 : 0;
	if (!out->error[0] && f->error[0])
		snprintf(out->error, sizeof(out->error), "%s", f->error);
	close(f->done_efd);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

/* --- one run ------------------------------------------------------------------ */

int lab_run_row(const struct lab_run_config *c, const struct lab_row *row, bool floor,
		struct lab_result *out)
{
	/* Page-aligned, as warden run's VM is (core/vm.h: the part of the VM
	 * every exit reads then lies in one page), for warden and the floor
	 * alike. */
	size_t size = (sizeof(struct machine) + 4095) & ~(size_t)4095;
	struct machine *m = aligned_alloc(4096, size);
	int khz, ret = -1;

	memset(out, 0, sizeof(*out));
	if (!m)
		return fail(ERR_HOST, "out of memory");
	memset(m, 0, size);
	if (machine_create(m, c, row, floor) < 0)
		goto done;
	khz = ioctl(m->vm.vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	out->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	if (write_params(m, c, row, out->tsc_khz ? out->tsc_khz : 1000000) < 0)
		goto done;
	if ((floor ? run_floor(m, c, row, out) : run_warden(m, c, out)) < 0)
		goto done;
	if (!out->error[0])
		collect(m, c->iterations, out);
	ret = 0;
done:
	machine_destroy(m);
	free(m);
	return ret;
}

void lab_result_free(struct lab_result *r)
{
	free(r->samples);
	free(r->shares);
	r->samples = r->shares = NULL;
}
