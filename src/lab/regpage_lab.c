/* `warden lab emulated-vs-virtio`: the runs.  One VM per mechanism and
 * rate, each with the register page (devices/regpage.c), the lab's control
 * port and the built-in guest (guest/lab/regpage.c).  The guest marks the
 * start and end of its measured window on the control port; at each mark,
 * on the vCPU thread, the lab takes warden's own exit count (the
 * recorder's exit_stats, fed by the VM's observer hooks), the register
 * page's counters and KVM's binary statistics for the vCPU. */
#include "lab/regpage_lab.h"
#include "lab/lab_host.h"

#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accounting/exit_stats.h"
#include "accounting/kvm_stats.h"
#include "accounting/recorder.h"
#include "boot/loader.h"
#include "core/device.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "devices/regpage.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

extern const unsigned char lab_regpage_guest[], lab_regpage_guest_end[];

struct ev_snap {
	uint64_t exits, dev_exits, t_ns;
	struct regpage_counts rp;
	bool kvm_ok;
	struct kvm_stat_values kvm;
};

/* The control port: marks from the guest. */
struct ev_ctl {
	struct device dev;
	struct vm *vm;
	const struct exit_stats *stats; /* vCPU 0's: read on its own thread */
	struct device *rp;
	struct kvm_stats ks;
	bool have_ks;
	struct ev_snap snap[2];
	unsigned marks; /* bit per mark seen */
	bool done;
};

static void take(struct ev_ctl *c, struct ev_snap *s)
{
	vm_sync_observer(c->vm); /* the accounting's counts are complete */
	s->exits = stats_total(c->stats);
	s->dev_exits = stats_device_count(c->stats, c->rp->id);
	regpage_counts(c->rp, &s->rp);
	s->kvm_ok = c->have_ks && kvm_stats_read(&c->ks, &s->kvm) == 0;
	s->t_ns = now_ns();
}

static void ctl_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0xff, len);
}

static void ctl_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		      unsigned len)
{
	struct ev_ctl *c = dev->priv;
	uint32_t v = 0;

	(void)range, (void)off;
	memcpy(&v, data, len < 4 ? len : 4);
	if ((v == EV_MARK_START || v == EV_MARK_END) && !(c->marks & (1u << v)) &&
	    (v == EV_MARK_START || (c->marks & (1u << EV_MARK_START)))) {
		c->marks |= 1u << v;
		take(c, &c->snap[v - 1]);
	} else if (v == EV_MARK_DONE) {
		c->done = true;
		vm_request_end(c->vm, VM_END_POWEROFF);
	} else {
		log_guest("lab: mark %u out of order or unknown (ignored)", v);
	}
}

static void ctl_destroy(struct device *dev)
{
	struct ev_ctl *c = dev->priv;

	if (c->have_ks)
		kvm_stats_close(&c->ks);
	free(c);
}

static const struct device_ops ctl_ops = { .read = ctl_read, .write = ctl_write, .destroy = ctl_destroy };

static void why(struct ev_run *r, const char *fmt, const char *arg)
{
	r->ok = false;
	snprintf(r->why, sizeof(r->why), fmt, arg);
}

/* Fill R from the two marks and the guest's answers. */
static void collect(struct ev_run *r, const struct ev_ctl *c, const volatile struct ev_params *p,
		    uint64_t tsc_hz)
{
	const struct ev_snap *a = &c->snap[0], *b = &c->snap[1];

	r->ok = true;
	r->window_s = (double)(b->t_ns - a->t_ns) / 1e9;
	r->window_guest_s = tsc_hz ? (double)p->window_tsc / (double)tsc_hz : 0;
	r->clock_reads = p->clock_reads;
	r->reads = p->reads;
	r->writes = p->writes;
	r->doorbells = p->doorbells;
	/* The start mark's own exit is recorded after the first snapshot. */
	r->exits_warden = b->exits - a->exits - 1;
	r->exits_device = b->dev_exits - a->dev_exits;
	r->have_kvm = a->kvm_ok && b->kvm_ok;
	for (unsigned i = 0; r->have_kvm && i < EV_NKVM; i++) {
		r->kvm[i] = kvm_stat_get(&b->kvm, ev_kvm_names[i]) - kvm_stat_get(&a->kvm, ev_kvm_names[i]);
		/* KVM counted the end mark's exit before the second snapshot. */
		if (i == 0 || i == 1)
			r->kvm[i] -= r->kvm[i] > 0;
	}
	r->scans = b->rp.scans - a->rp.scans;
	r->dirty0 = b->rp.dirty[0] - a->rp.dirty[0];
	r->held = b->rp.held - a->rp.held;
	r->log_gets = b->rp.log_gets - a->rp.log_gets;
	r->manual = b->rp.manual;
	r->device_count = p->device_count;
	r->settle_ms = tsc_hz ? (double)p->settle_spent * 1e3 / (double)tsc_hz : 0;
	if (r->device_count != (uint32_t)r->writes) {
		char n[64];

		snprintf(n, sizeof(n), "%u of %llu", r->device_count, (unsigned long long)r->writes);
		why(r, "the device counted %s control writes", n);
	}
}

/* One VM: MODE at FRACTION of the model workload. */
static int run_one(struct ev_result *res, const struct boot_spec *spec, enum ev_mode mode, double fraction,
		   struct ev_run *r)
{
	const struct ev_options *o = &res->opt;
	struct vm_config cfg = { .mem_bytes = 16ULL << 20, .ncpus = 1, .irqchip = true,
				 .kvm_device = o->kvm_device };
	/* (c') is (c) with warden holding the page: the guest does the same.
	 * The other mechanisms leave the page alone: no scanner to pay for. */
	struct regpage_config rpc = { .scan_us = o->scan_us, .hold_scans = mode == EV_PAGE_HELD ? o->hold_scans : 0,
				      .ring_gpa = LAYOUT_LAB_RING,
				      .no_scanner = mode != EV_PAGE && mode != EV_PAGE_HELD };
	static struct vm vm;
	struct exit_stats *stats = stats_alloc(1);
	struct recorder rec = { .stats = stats, .nvcpus = 1 };
	struct ev_ctl *c = calloc(1, sizeof(*c));
	volatile struct ev_params *p;
	struct ev_params in;
	long khz;
	int rc = -1, timeout_ms;
	struct pollfd pfd;
	struct serial *com1;

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->fraction = fraction;
	r->offered_reads = EV_MODEL_READS * fraction;
	r->offered_writes = EV_MODEL_WRITES * fraction;
	if (!stats || !c) {
		stats_free(stats);
		free(c);
		return fail(ERR_HOST, "out of memory");
	}
	if (vm_create(&vm, &cfg) < 0) {
		free(c);
		goto out;
	}
	recorder_observer(&rec, &vm.obs);
	c->vm = &vm;
	c->stats = stats;
	c->dev = (struct device){
		.name = "lab-ctl", .ops = &ctl_ops, .priv = c,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_LAB_CTL, PORT_LAB_CTL_LEN) }, .gsi = DEVICE_NO_GSI },
	};
	/* The PC platform too: the loader describes its ACPI PM registers. */
	if (platform_create(&vm, &com1, 0) < 0) {
		free(c);
		goto out;
	}
	c->rp = regpage_create(&vm, &rpc);
	if (!c->rp || vm_add_device(&vm, &c->dev) < 0) {
		free(c);
		goto out;
	}
	if (kvm_stats_open(&c->ks, vm.vcpus[0].fd) == 0)
		c->have_ks = true;
	else if (!res->kvm_why[0])
		snprintf(res->kvm_why, sizeof(res->kvm_why), "KVM_GET_STATS_FD: %s", strerror(errno));
	if (boot_load(&vm, spec) < 0)
		goto out;
	khz = ioctl(vm.vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0) {
		fail_errno(ERR_HOST, "KVM_GET_TSC_KHZ");
		goto out;
	}
	res->tsc_hz = (uint64_t)khz * 1000;
	p = gmem_ptr(&vm.mem, LAYOUT_LAB_PARAMS, sizeof(*p));
	if (!p) {
		fail(ERR_HOST, "lab: the parameter block is outside guest RAM");
		goto out;
	}
	in = (struct ev_params){
		.magic = EV_MAGIC, .mode = mode == EV_PAGE_HELD ? EV_PAGE : mode, .tsc_hz = res->tsc_hz,
		.reads_per_s = (uint64_t)r->offered_reads, .writes_per_s = (uint64_t)r->offered_writes,
		.duration_tsc = (uint64_t)(o->seconds * (double)res->tsc_hz),
		/* Long enough for many scans of the register page. */
		.settle_tsc = res->tsc_hz / 2 + (uint64_t)o->scan_us * 50 * (res->tsc_hz / 1000000),
		.mmio_base = LAYOUT_REGPAGE_MMIO, .page_gpa = LAYOUT_REGPAGE, .ring_gpa = LAYOUT_LAB_RING,
		.port = PORT_REGPAGE, .batch = o->batch,
	};
	memcpy((void *)p, &in, sizeof(in));
	if (vm_start(&vm) < 0)
		goto out;
	timeout_ms = (int)(o->seconds * 1000 * 3) + (int)(in.settle_tsc * 1000 / res->tsc_hz) + 10000;
	pfd = (struct pollfd){ .fd = vm.end.efd, .events = POLLIN };
	while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
		;
	vm_request_end(&vm, VM_END_SIGNAL); /* no-op if it ended */
	vm_stop(&vm);
	rc = 0;
	if (!c->done)
		why(r, "%s", "the guest did not finish in time");
	else if (c->marks != ((1u << EV_MARK_START) | (1u << EV_MARK_END)))
		why(r, "%s", "the guest did not mark its window");
	else
		collect(r, c, p, res->tsc_hz);
out:
	if (rc < 0)
		why(r, "%s", err_msg());
	vm_destroy(&vm);
	stats_free(stats);
	return rc;
}

int ev_measure(struct ev_result *res)
{
	struct boot_spec spec = lab_guest_spec("warden lab emulated-vs-virtio's built-in guest", lab_regpage_guest,
					       lab_regpage_guest_end);
	int rc = 0;

	for (unsigned m = 0; m < EV_NMODES && rc == 0; m++)
		for (unsigned i = 0; i < res->opt.nrates && rc == 0; i++) {
			struct ev_run *r = &res->run[m][i];

			if (run_one(res, &spec, (enum ev_mode)(m + 1), res->opt.rates[i], r) < 0 &&
			    m == 0 && i == 0)
				rc = -1; /* the first VM could not be set up: none will */
			if (!r->ok)
				log_warn("lab: %s at %.0f%%: %s", ev_mode_name(r->mode), r->fraction * 100, r->why);
		}
	return rc;
}
