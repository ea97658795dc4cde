/* `warden lab interrupts`: the measurement (lab/interrupts_lab.h).  One VM
 * with KVM's interrupt controller, the platform devices, a lab device that
 * holds an interrupt line from the pool (core/resources.c) and the
 * built-in guest.  The lab's own thread (the command's) injects one
 * interrupt at a time and spins until the guest's handler count moves;
 * the vCPU thread runs warden's exit path as ever (vm_start) and the
 * recorder counts the exits that reach warden. */
#include "lab/interrupts_lab.h"
#include "lab/lab_host.h"

#include <errno.h>
#include <linux/kvm.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "accounting/exit_stats.h"
#include "accounting/kvm_stats.h"
#include "accounting/recorder.h"
#include "boot/loader.h"
#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "lab/interrupts_abi.h"
#include "util/error.h"

extern const unsigned char lab_interrupts_guest[], lab_interrupts_guest_end[];

#define WAIT_NS 1000000000LL /* one interrupt not seen in 1 s: the run fails */
#define SETTLE_NS 20000000L  /* then 20 ms for a duplicate to show */

/* --- the lab device: the interrupt line, and the guest's ready mark ------------- */

/* At the guest's ready mark (a port write: the vCPU is out of KVM_RUN, so
 * its ioctls work), the device reads the vCPU's TSC offset from KVM: the
 * guest's TSC is the host's plus it. */
struct ir_line {
	struct device dev;
	struct vm *vm;
	int64_t tsc_offset;
	bool have_offset, marked;
	int offset_errno;
};

static void line_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0xff, len);
}

static void line_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data, unsigned len)
{
	struct ir_line *l = dev->priv;
	uint64_t offset = 0;
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
				     .addr = (uint64_t)(uintptr_t)&offset };

	(void)range, (void)data, (void)len;
	if (off != 0 || l->marked)
		return;
	l->marked = true;
	if (ioctl(l->vm->vcpus[0].fd, KVM_GET_DEVICE_ATTR, &a) == 0) {
		l->tsc_offset = (int64_t)offset;
		l->have_offset = true;
	} else {
		l->offset_errno = errno;
	}
}

static void line_destroy(struct device *dev)
{
	free(dev->priv);
}

static const struct device_ops line_ops = { .read = line_read, .write = line_write, .destroy = line_destroy };

/* --- one injection ---------------------------------------------------------------- */

struct injector {
	struct vm *vm;
	int gsi, efd;
};

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

static int64_t now_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int inject(const struct injector *in, enum ir_mode m)
{
	static const uint64_t one = 1;
	struct kvm_irq_level l = { .irq = (uint32_t)in->gsi, .level = 1 };
	struct kvm_msi msi = { .address_lo = (uint32_t)LAYOUT_LAPIC, .data = IR_VEC_MSI };

	switch (m) {
	case IR_IRQFD:
		return write(in->efd, &one, sizeof(one)) == (ssize_t)sizeof(one) ? 0 : -1;
	case IR_LINE: /* an edge on the pin: assert, then deassert */
		if (ioctl(in->vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
			return -1;
		l.level = 0;
		return ioctl(in->vm->vm_fd, KVM_IRQ_LINE, &l);
	default:
		return ioctl(in->vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
	}
}

static void kvm_now(struct kvm_stats *ks, bool *have, uint64_t out[IR_NKVM])
{
	static struct kvm_stat_values v; /* the lab's thread only */

	*have = *have && kvm_stats_read(ks, &v) == 0;
	for (unsigned k = 0; *have && k < IR_NKVM; k++)
		out[k] = kvm_stat_index(&v, ir_kvm_names[k]) >= 0 ? kvm_stat_get(&v, ir_kvm_names[k]) : 0;
}

/* --- one mode: COUNT interrupts, one at a time ------------------------------------- */

struct mode_ctx {
	const struct injector *in;
	volatile struct ir_params *p;
	struct vm *vm;
	const struct exit_stats *stats;
	struct kvm_stats *ks;
	bool have_ks;
	int64_t tsc_offset;
	bool have_offset;
	uint64_t *rtt, *lat;
};

static bool wait_count(volatile uint64_t *count, uint64_t want)
{
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + WAIT_NS;

	for (unsigned spin = 0; *count < want; spin++) {
		__asm__ volatile("pause");
		if ((spin & 1023) == 0 && now_ns(CLOCK_MONOTONIC) > deadline)
			return false;
	}
	return true;
}

static void run_mode(struct mode_ctx *c, enum ir_mode m, uint32_t n, struct ir_run *r)
{
	unsigned slot = m == IR_MSI ? 1 : 0;
	volatile uint64_t *count = &c->p->count[slot];
	uint64_t base = *count, k0[IR_NKVM] = { 0 }, k1[IR_NKVM] = { 0 }, w0, nlat = 0;
	uint64_t outside = 0; /* handler times outside [injection, acknowledgement seen] */
	bool have_kvm = c->have_ks;
	int64_t cpu = 0;
	struct timespec settle = { 0, SETTLE_NS };

	vm_sync_observer(c->vm); /* the accounting's count is complete */
	w0 = stats_total(c->stats);
	r->ran = true;
	kvm_now(c->ks, &have_kvm, k0);
	for (uint32_t i = 0; i < n; i++) {
		int64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		uint64_t t0 = rdtsc();

		if (inject(c->in, m) < 0) {
			snprintf(r->why, sizeof(r->why), "injection %u: %s", i + 1, strerror(errno));
			return;
		}
		cpu += now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		if (!wait_count(count, base + i + 1)) {
			snprintf(r->why, sizeof(r->why), "interrupt %u of %u not handled within 1 s", i + 1, n);
			return;
		}
		c->rtt[i] = rdtsc() - t0;
		/* Where the guest's TSC is the host's plus KVM's offset, its
		 * handler entry in host cycles after the injection began; it
		 * must fall inside the round trip, or the relation does not
		 * hold on this host (TSC scaling, an emulated TSC). */
		if (c->have_offset) {
			int64_t d = (int64_t)(c->p->tsc[slot] - c->tsc_offset - t0);

			if (d >= 0 && (uint64_t)d <= c->rtt[i])
				c->lat[nlat++] = (uint64_t)d;
			else
				outside++;
		}
	}
	nanosleep(&settle, NULL);
	r->injected = n;
	r->delivered = *count - base;
	vm_sync_observer(c->vm);
	r->exits_warden = stats_total(c->stats) - w0;
	kvm_now(c->ks, &have_kvm, k1);
	r->have_kvm = have_kvm;
	for (unsigned k = 0; have_kvm && k < IR_NKVM; k++)
		r->kvm[k] = k1[k] - k0[k];
	r->inject_cpu_ns = (double)cpu / n;
	r->ok = true;
	lab_summarize(c->rtt, n, &r->rtt_ns);
	r->have_lat = nlat == n;
	if (r->have_lat)
		lab_summarize(c->lat, n, &r->lat_ns);
	else if (outside)
		snprintf(r->lat_why, sizeof(r->lat_why), "the guest's TSC is not the host's plus KVM's offset here: "
			 "%llu of %u handler times fell outside their round trip", (unsigned long long)outside, n);
	else
		snprintf(r->lat_why, sizeof(r->lat_why), "no TSC offset from KVM");
}

/* --- the run ---------------------------------------------------------------------- */

static void to_ns(struct lab_summary *s, uint64_t khz)
{
	double f = 1e6 / (double)khz;

	s->min *= f, s->median *= f, s->p99 *= f, s->max *= f, s->mean *= f;
}

static void skip(struct ir_run *r, const char *why)
{
	r->ran = false;
	snprintf(r->why, sizeof(r->why), "%s", why);
}

/* Until the guest says READY (or gives up), at most 10 s. */
static uint32_t wait_ready(volatile struct ir_params *p)
{
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + 10 * 1000000000LL;
	struct timespec ms = { 0, 1000000 };

	while (p->status == IR_ST_NONE && now_ns(CLOCK_MONOTONIC) < deadline)
		nanosleep(&ms, NULL);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return p->status;
}

static const char *guest_refused(uint32_t st)
{
	switch (st) {
	case IR_ST_NONE: return "the guest did not get ready within 10 s";
	case IR_ST_BAD_PARAMS: return "the guest refused its parameters";
	case IR_ST_NO_X2APIC: return "the guest's CPUID has no x2APIC (CPUID.1:ECX[21])";
	default: return "the guest took an exception while setting up";
	}
}

/* Injects in each mode the host offers, on the VM set up in VM. */
static void run_modes(struct ir_result *res, struct vm *vm, struct ir_line *l, const struct exit_stats *stats,
		      volatile struct ir_params *p, struct kvm_stats *ks, bool have_ks)
{
	uint32_t n = res->opt.count;
	struct injector in = { .vm = vm, .gsi = res->gsi, .efd = -1 };
	struct mode_ctx c = { .in = &in, .p = p, .vm = vm, .stats = stats, .tsc_offset = l->tsc_offset,
			      .have_offset = l->have_offset };
	struct kvm_irqfd fd = { .gsi = (uint32_t)res->gsi };

	c.rtt = calloc(n, sizeof(*c.rtt));
	c.lat = calloc(n, sizeof(*c.lat));
	c.ks = ks;
	c.have_ks = have_ks;
	if (!c.rtt || !c.lat) {
		res->ok = false;
		snprintf(res->why, sizeof(res->why), "out of memory for %u samples", n);
		goto out;
	}
	if (res->cap_irqfd <= 0)
		skip(&res->run[IR_IRQFD], "KVM_CHECK_EXTENSION(KVM_CAP_IRQFD) is 0 on this VM");
	else if ((in.efd = eventfd(0, EFD_CLOEXEC)) < 0 || (fd.fd = (uint32_t)in.efd, ioctl(vm->vm_fd, KVM_IRQFD, &fd) < 0))
		snprintf(res->run[IR_IRQFD].why, sizeof(res->run[IR_IRQFD].why), "KVM_IRQFD: %s", strerror(errno)),
			res->run[IR_IRQFD].ran = true;
	else
		run_mode(&c, IR_IRQFD, n, &res->run[IR_IRQFD]);
	run_mode(&c, IR_LINE, n, &res->run[IR_LINE]);
	if (res->cap_msi <= 0)
		skip(&res->run[IR_MSI], "KVM_CHECK_EXTENSION(KVM_CAP_SIGNAL_MSI) is 0 on this VM");
	else
		run_mode(&c, IR_MSI, n, &res->run[IR_MSI]);
	for (unsigned m = 0; m < IR_NMODES; m++)
		if (res->run[m].ok) {
			to_ns(&res->run[m].rtt_ns, res->tsc_khz);
			if (res->run[m].have_lat)
				to_ns(&res->run[m].lat_ns, res->tsc_khz);
		}
	res->spurious = p->spurious;
out:
	if (in.efd >= 0) {
		fd.flags = KVM_IRQFD_FLAG_DEASSIGN;
		ioctl(vm->vm_fd, KVM_IRQFD, &fd);
		close(in.efd);
	}
	free(c.rtt);
	free(c.lat);
}

static int run(struct ir_result *res, const struct boot_spec *spec)
{
	struct vm_config cfg = { .mem_bytes = 16ULL << 20, .ncpus = 1, .irqchip = true,
				 .kvm_device = res->opt.kvm_device };
	static struct vm vm;
	struct exit_stats *stats = stats_alloc(1);
	struct recorder rec = { .stats = stats, .nvcpus = 1 };
	struct ir_line *l = calloc(1, sizeof(*l));
	volatile struct ir_params *p;
	struct serial *com1;
	struct kvm_stats ks;
	bool have_ks = false;
	long khz;
	int rc = -1;

	if (!stats || !l) {
		stats_free(stats);
		free(l);
		return fail(ERR_HOST, "out of memory");
	}
	if (vm_create(&vm, &cfg) < 0) {
		free(l);
		goto out;
	}
	recorder_observer(&rec, &vm.obs);
	l->vm = &vm;
	l->dev = (struct device){
		.name = "lab-irq", .ops = &line_ops, .priv = l,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_LAB_CTL, PORT_LAB_CTL_LEN) }, .gsi = DEVICE_ANY_GSI },
	};
	if (platform_create(&vm, &com1, 0) < 0 || vm_add_device(&vm, &l->dev) < 0) {
		free(l); /* not added: the VM does not own it */
		goto out;
	}
	res->gsi = l->dev.res.gsi;
	res->cap_irqfd = ioctl(vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD);
	res->cap_msi = ioctl(vm.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI);
	if (boot_load(&vm, spec) < 0)
		goto out;
	khz = ioctl(vm.vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0) {
		fail_errno(ERR_HOST, "KVM_GET_TSC_KHZ");
		goto out;
	}
	res->tsc_khz = (uint64_t)khz;
	p = gmem_ptr(&vm.mem, LAYOUT_LAB_PARAMS, sizeof(*p));
	if (!p) {
		fail(ERR_HOST, "lab: the parameter block is outside guest RAM");
		goto out;
	}
	p->magic = IR_MAGIC;
	p->gsi = (uint32_t)res->gsi;
	/* A vCPU ioctl: it would wait for KVM_RUN to return, and the guest
	 * idles in it. */
	have_ks = kvm_stats_open(&ks, vm.vcpus[0].fd) == 0;
	if (vm_start(&vm) < 0)
		goto out;
	rc = 0;
	res->ok = wait_ready(p) == IR_ST_READY;
	if (!res->ok)
		snprintf(res->why, sizeof(res->why), "%s", guest_refused(p->status));
	else
		run_modes(res, &vm, l, stats, p, &ks, have_ks);
	res->tsc_offset_known = l->have_offset;
	if (!l->have_offset)
		snprintf(res->lat_why, sizeof(res->lat_why), "KVM_GET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET): %s",
			 strerror(l->offset_errno));
	vm_request_end(&vm, VM_END_SIGNAL);
	vm_stop(&vm);
out:
	if (rc < 0) {
		res->ok = false;
		snprintf(res->why, sizeof(res->why), "%s", err_msg());
	}
	if (have_ks)
		kvm_stats_close(&ks);
	vm_destroy(&vm);
	stats_free(stats);
	return rc;
}

int ir_measure(struct ir_result *res)
{
	struct boot_spec spec = lab_guest_spec("warden lab interrupts' built-in guest", lab_interrupts_guest,
					       lab_interrupts_guest_end);

	return run(res, &spec);
}
