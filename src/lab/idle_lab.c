/* `warden lab idle` (lab/idle_lab.h): one VM per mode with the built-in
 * guest (guest/lab/idle.c), the platform devices, the hypercall device in
 * the idle-call mode, and the lab's mark port.  At each mark, on the vCPU
 * thread, the lab takes warden's exit count (the recorder), KVM's per-vCPU
 * counters (binary stats), the thread's CPU clock and the monotonic clock;
 * the differences are the measured window's. */
#include "lab/idle_lab.h"
#include "lab/lab_host.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "accounting/exit_stats.h"
#include "accounting/kvm_stats.h"
#include "accounting/recorder.h"
#include "boot/loader.h"
#include "core/device.h"
#include "core/kvm.h"
#include "core/kvm_caps.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "hypercall/hypercall.h"
#include "lab/idle_abi.h"
#include "util/error.h"
#include "util/log.h"

extern const unsigned char lab_idle_guest[], lab_idle_guest_end[];

/* One mark's snapshot. */
struct idle_snap {
	uint64_t exits, cpu_ns, mono_ns;
	bool kvm_ok;
	struct kvm_stat_values kvm;
};

struct idle_mark {
	struct device dev;
	struct vm *vm;
	const struct exit_stats *stats;
	struct kvm_stats ks;
	bool have_ks;
	int seen; /* marks seen in order: 0, 1 begin, 2 end */
	struct idle_snap at[2];
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void mark_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0xff, len);
}

/* On the vCPU thread: the thread's CPU clock is the vCPU's, halt polling
 * in KVM_RUN included. */
static void mark_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data, unsigned len)
{
	struct idle_mark *m = dev->priv;
	struct idle_snap *s;

	(void)range, (void)off, (void)len;
	if (data[0] != m->seen + 1 || m->seen >= 2) {
		log_guest("lab idle: mark %u out of order (ignored)", data[0]);
		return;
	}
	s = &m->at[m->seen++];
	vm_sync_observer(m->vm); /* the accounting's count is complete */
	s->exits = stats_total(m->stats);
	s->kvm_ok = m->have_ks && kvm_stats_read(&m->ks, &s->kvm) == 0;
	s->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	s->mono_ns = clock_ns(CLOCK_MONOTONIC);
}

static void mark_destroy(struct device *dev)
{
	struct idle_mark *m = dev->priv;

	if (m->have_ks)
		kvm_stats_close(&m->ks);
	free(m);
}

static const struct device_ops mark_ops = { .read = mark_read, .write = mark_write, .destroy = mark_destroy };

/* KVM's counters between the marks.  Read in the marks' own exits: the
 * end mark's exit is counted, the begin mark's is not. */
static void kvm_deltas(const struct idle_mark *m, struct idle_run *r)
{
	for (unsigned k = 0; k < IK_N; k++) {
		const struct kvm_stat_values *a = &m->at[0].kvm, *b = &m->at[1].kvm;

		r->kvm_known[k] = m->at[0].kvm_ok && m->at[1].kvm_ok && kvm_stat_index(a, idle_kvm_stat[k]) >= 0 &&
				  kvm_stat_index(b, idle_kvm_stat[k]) >= 0;
		if (r->kvm_known[k])
			r->kvm[k] = kvm_stat_get(b, idle_kvm_stat[k]) - kvm_stat_get(a, idle_kvm_stat[k]);
	}
	if (r->kvm_known[IK_EXITS] && r->kvm[IK_EXITS] > 0)
		r->kvm[IK_EXITS]--;
}

static const char *status_text(uint32_t st)
{
	switch (st) {
	case IDLE_ST_NONE: return "the guest wrote no result";
	case IDLE_ST_BAD_PARAMS: return "the guest refused its parameters";
	case IDLE_ST_NO_FEATURE: return "the guest CPU lacks x2APIC or the TSC-deadline timer (check: the CPUID.1:ECX bit)";
	case IDLE_ST_TIMER_MODE: return "the LAPIC did not take the TSC-deadline mode (check: LVT timer)";
	case IDLE_ST_CALL_FAILED: return "warden refused the idle call (check: batch status << 32 | request status)";
	default: return "unknown guest status";
	}
}

static void collect(struct vm *vm, const struct idle_result *R, const struct idle_mark *m, struct idle_run *r)
{
	const struct idle_params *gp = gmem_ptr(&vm->mem, LAYOUT_LAB_PARAMS, sizeof(*gp));
	const uint64_t *gs = gmem_ptr(&vm->mem, LAYOUT_LAB_SAMPLES, (uint64_t)R->iterations * sizeof(uint64_t));
	struct idle_params p;
	uint64_t *s;

	if (!gp || !gs) {
		snprintf(r->why, sizeof(r->why), "guest memory lost");
		return;
	}
	memcpy(&p, gp, sizeof(p));
	if (p.status == IDLE_ST_FAULT) {
		snprintf(r->why, sizeof(r->why), "guest exception %u at 0x%llx", p.fault_vector,
			 (unsigned long long)p.fault_rip);
		return;
	}
	if (p.status != IDLE_ST_DONE || p.done != R->iterations || m->seen != 2) {
		snprintf(r->why, sizeof(r->why), "%s (status %u, check 0x%llx, %u of %u idles, %d marks)",
			 status_text(p.status), p.status, (unsigned long long)p.check, p.done, R->iterations, m->seen);
		return;
	}
	s = malloc((size_t)R->iterations * sizeof(*s));
	if (!s) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		return;
	}
	for (uint32_t i = 0; i < R->iterations; i++)
		s[i] = (uint64_t)((double)gs[i] * 1e6 / (double)R->tsc_khz);
	lab_summarize(s, R->iterations, &r->lat_ns);
	free(s);
	r->idles = p.idles;
	r->exits = m->at[1].exits - m->at[0].exits - 1; /* the begin mark's exit */
	r->cpu_ns = m->at[1].cpu_ns - m->at[0].cpu_ns;
	r->wall_ns = m->at[1].mono_ns - m->at[0].mono_ns;
	kvm_deltas(m, r);
	r->ok = true;
}

static int write_params(struct vm *vm, const struct idle_result *R, enum idle_mode mode)
{
	struct idle_params *p = gmem_ptr(&vm->mem, LAYOUT_LAB_PARAMS, sizeof(*p));

	if (!p || !gmem_ptr(&vm->mem, LAYOUT_LAB_SAMPLES, (uint64_t)R->iterations * sizeof(uint64_t)))
		return fail(ERR_HOST, "guest memory too small for the lab's parameters and samples");
	*p = (struct idle_params){
		.magic = IDLE_MAGIC, .how = mode == IM_CALL ? IDLE_HOW_CALL : IDLE_HOW_HLT,
		.iterations = R->iterations, .warmup = R->warmup,
		.delay = (uint64_t)((double)R->delay_us * (double)R->tsc_khz / 1000.0),
		.samples = LAYOUT_LAB_SAMPLES, .port_mark = PORT_LAB_MARK, .wake = R->wake_ipi ? IDLE_WAKE_IPI : IDLE_WAKE_TIMER,
		.port_poweroff = PORT_ACPI_PM + ACPI_PM_SLEEP_CTL,
		.poweroff_value = ACPI_S5_TYPE << 2 | 0x20 /* SLP_TYP | SLP_EN */,
	};
	return 0;
}

/* vCPU 1 (--wake ipi) starts at the guest's entry too, with RDI = 1 and
 * its own stack, already running (with an in-kernel LAPIC an AP would
 * otherwise wait for INIT/SIPI). */
static int start_ap(struct vm *vm)
{
	struct vcpu_boot_regs b = vm->boot;
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	b.regs.rdi = 1;
	b.regs.rsp = LAYOUT_LAB_AP_STACK;
	if (vcpu_set_boot_regs(&vm->vcpus[1], &b) < 0)
		return -1;
	if (ioctl(vm->vcpus[1].fd, KVM_SET_MP_STATE, &mp) < 0)
		return fail_errno(ERR_HOST, "KVM_SET_MP_STATE");
	return 0;
}

/* The VM of MODE, its devices and the guest; the mark device in *MARK. */
static int machine(struct vm *vm, struct idle_result *R, enum idle_mode mode, struct exit_stats *stats,
		   struct idle_mark **mark)
{
	struct vm_config cfg = {
		.mem_bytes = 16ULL << 20, .ncpus = R->wake_ipi ? 2 : 1, .irqchip = true, .kvm_device = R->kvm_device,
		.halt_poll_set = mode == IM_POLL_OFF || mode == IM_POLL_ON,
		.halt_poll_ns = mode == IM_POLL_ON ? R->poll_ns : 0, .hlt_passthrough = mode == IM_PASSTHROUGH,
	};
	struct boot_spec spec = {
		.kernel = "warden lab idle's built-in guest", .format = KERNEL_ELF,
		.kernel_img = (uint8_t *)lab_idle_guest,
		.kernel_len = (size_t)(lab_idle_guest_end - lab_idle_guest), .kernel_fd = -1,
	};
	struct hypercall_config hc = { .enabled = true };
	struct idle_mark *m;
	struct serial *com1;
	int khz;

	if (vm_create(vm, &cfg) < 0 || platform_create(vm, &com1, 0) < 0)
		return -1;
	if (mode == IM_CALL && !hypercall_create(vm, &hc))
		return -1;
	m = calloc(1, sizeof(*m));
	if (!m)
		return fail(ERR_HOST, "out of memory");
	m->vm = vm;
	m->stats = stats;
	m->dev = (struct device){ .name = "lab-mark", .ops = &mark_ops, .priv = m,
				  .res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_LAB_MARK, 1) }, .gsi = DEVICE_NO_GSI } };
	if (vm_add_device(vm, &m->dev) < 0) {
		free(m);
		return -1;
	}
	*mark = m;
	m->have_ks = kvm_stats_open(&m->ks, vm->vcpus[0].fd) == 0;
	khz = ioctl(vm->vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return fail_errno(ERR_HOST, "KVM_GET_TSC_KHZ");
	R->tsc_khz = (uint64_t)khz;
	if (boot_load(vm, &spec) < 0 || (R->wake_ipi && start_ap(vm) < 0))
		return -1;
	return write_params(vm, R, mode);
}

/* Run MODE: 0 with R->run[MODE] filled (ok false: the guest failed), -1
 * when the host refused the set-up. */
static int run_mode(struct idle_result *R, enum idle_mode mode)
{
	struct idle_run *r = &R->run[mode];
	struct vm *vm = calloc(1, sizeof(*vm));
	struct exit_stats *stats = stats_alloc(2);
	struct recorder rec = { .stats = stats, .nvcpus = R->wake_ipi ? 2 : 1 };
	struct idle_mark *m = NULL;
	struct pollfd pfd;
	int p, rc = -1;

	r->ran = true;
	if (!vm || !stats) {
		free(vm);
		stats_free(stats);
		return fail(ERR_HOST, "out of memory");
	}
	if (machine(vm, R, mode, stats, &m) < 0)
		goto out;
	recorder_observer(&rec, &vm->obs);
	if (vm_start(vm) < 0)
		goto out;
	pfd = (struct pollfd){ .fd = vm->end.efd, .events = POLLIN };
	do
		p = poll(&pfd, 1, 60000);
	while (p < 0 && errno == EINTR);
	vm_request_end(vm, VM_END_SIGNAL);
	vm_stop(vm);
	if (p == 0)
		snprintf(r->why, sizeof(r->why), "the guest did not finish in 60 s");
	else
		collect(vm, R, m, r);
	rc = 0;
out:
	if (rc < 0)
		snprintf(r->why, sizeof(r->why), "%s", err_msg());
	vm_destroy(vm);
	free(vm);
	stats_free(stats);
	return rc;
}

/* KVM's answers, on a scratch VM where KVM answers there (as the native
 * tests' kvm-check-ext --vm asks), else on the device. */
static int ask_kvm(struct idle_result *R)
{
	const char *dev = R->kvm_device ? R->kvm_device : KVM_DEFAULT_DEVICE;
	int kvm = kvm_open(dev), vm, fd;
	FILE *f;

	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	fd = vm >= 0 && ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM) > 0 ? vm : kvm;
	R->cap_halt_poll = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL);
	R->cap_disable_exits = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_DISABLE_EXITS);
	R->cap_tsc_deadline = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER);
	if (vm >= 0)
		close(vm);
	close(kvm);
	R->host_halt_poll_ns = -1;
	f = fopen("/sys/module/kvm/parameters/halt_poll_ns", "r");
	if (f) {
		if (fscanf(f, "%ld", &R->host_halt_poll_ns) != 1)
			R->host_halt_poll_ns = -1;
		fclose(f);
	}
	return 0;
}

/* Why MODE cannot run on this host, by KVM's answers; NULL: it can. */
static const char *skip_reason(const struct idle_result *R, enum idle_mode mode)
{
	if ((mode == IM_POLL_OFF || mode == IM_POLL_ON) && R->cap_halt_poll <= 0)
		return "KVM cannot set a VM's halt polling (KVM_CHECK_EXTENSION KVM_CAP_HALT_POLL: 0)";
	if (mode == IM_PASSTHROUGH && (R->cap_disable_exits <= 0 || !(R->cap_disable_exits & KVM_X86_DISABLE_EXITS_HLT)))
		return "KVM does not let a guest keep HLT (KVM_CAP_X86_DISABLE_EXITS without KVM_X86_DISABLE_EXITS_HLT)";
	return NULL;
}

static void usage(FILE *f)
{
	fputs("usage: warden lab idle [--json FILE] [--svg FILE] [--iterations N] [--delay-us D]\n"
	      "                 [--poll-ns N] [--wake timer|ipi] [--tier NAME] [--kvm-device PATH]\n"
	      "\n"
	      "A built-in guest idles N times, each woken by its TSC-deadline timer D us\n"
	      "later, by HLT (with KVM's default halt polling, with polling off, with polling\n"
	      "up to --poll-ns), by warden's paravirtual idle call, and by HLT passthrough\n"
	      "where KVM offers it.  Prints per mode the exits per idle entry (the model's\n"
	      "and the measured), the wake-up latency and the vCPU thread's host CPU time\n"
	      "per second of idle.  See docs/lab.md.\n"
	      "\n"
	      "  --json FILE       write the results as JSON\n"
	      "  --svg FILE        write a plot (latency and host CPU per mode)\n"
	      "  --iterations N    timed idles per mode (default 2000, 10 to 100000)\n"
	      "  --delay-us D      timer delay (default 100, 1 to 100000)\n"
	      "  --wake timer|ipi  what wakes the idle vCPU: its TSC-deadline timer\n"
	      "                    (default), or an IPI a second vCPU sends at that time\n"
	      "                    (spinning on the TSC: it keeps a host CPU busy)\n"
	      "  --poll-ns N       the halt-polling limit of the polling mode (default\n"
	      "                    200000, 1 to 4294967295)\n"
	      "  --tier NAME       the tier to report (default: emulated in a QEMU TCG L1,\n"
	      "                    else native)\n"
	      "  --kvm-device PATH KVM device (default /dev/kvm)\n",
	      f);
}

static int parse_num(const char *s, const char *opt, unsigned long lo, unsigned long hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return fail(ERR_USAGE, "%s needs a whole number from %lu to %lu, not '%s'", opt, lo, hi, s);
	*out = (uint32_t)v;
	return 0;
}

/* 0 run, 1 help printed, -1 bad input (recorded). */
static int parse(int argc, char **argv, struct idle_result *R)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' }, { "svg", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'n' }, { "delay-us", required_argument, NULL, 'd' },
		{ "poll-ns", required_argument, NULL, 'p' }, { "wake", required_argument, NULL, 'w' }, { "tier", required_argument, NULL, 't' },
		{ "kvm-device", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	R->iterations = 2000;
	R->delay_us = 100;
	R->poll_ns = 200000;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j': R->json = optarg; break;
		case 's': R->svg = optarg; break;
		case 'n': if (parse_num(optarg, "--iterations", 10, IDLE_ITER_MAX, &R->iterations) < 0) return -1; break;
		case 'd': if (parse_num(optarg, "--delay-us", 1, 100000, &R->delay_us) < 0) return -1; break;
		case 'p': if (parse_num(optarg, "--poll-ns", 1, UINT32_MAX, &R->poll_ns) < 0) return -1; break;
		case 'w':
			if (strcmp(optarg, "timer") && strcmp(optarg, "ipi"))
				return fail(ERR_USAGE, "--wake must be timer or ipi, not '%s'", optarg);
			R->wake_ipi = !strcmp(optarg, "ipi");
			break;
		case 't':
			if (lab_parse_tier(optarg, &R->tier_opt) < 0)
				return -1;
			break;
		case 'k': R->kvm_device = optarg; break;
		case 'h': usage(stdout); return 1;
		case ':': return fail(ERR_USAGE, "%s needs a value", argv[optind - 1]);
		default: return fail(ERR_USAGE, "unknown option '%s' (see warden lab idle --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(ERR_USAGE, "unexpected argument '%s' (see warden lab idle --help)", argv[optind]);
	R->warmup = R->iterations / 10 < 100 ? R->iterations / 10 : 100;
	return 0;
}

static int measure(struct idle_result *R)
{

	LAB_HOST_FACTS(R, R->tier_opt);
	if (ask_kvm(R) < 0)
		return -1;
	for (unsigned m = 0; m < IM_N; m++) {
		const char *why = skip_reason(R, m);

		if (why)
			snprintf(R->run[m].why, sizeof(R->run[m].why), "%s", why);
		else
			run_mode(R, m); /* a refused set-up is that mode's failure (its why) */
	}
	return 0;
}

int lab_idle_main(int argc, char **argv)
{
	struct idle_result *R = calloc(1, sizeof(*R));
	int r, st = 0;

	if (!R) {
		fprintf(stderr, "warden: out of memory\n");
		return 1;
	}
	r = parse(argc, argv, R);
	if (r == 0 && measure(R) < 0)
		r = -1;
	if (r != 0) {
		if (r < 0)
			fprintf(stderr, "warden: %s\n", err_msg());
		st = r > 0 ? 0 : err_class() == ERR_USAGE ? 2 : 1;
		free(R);
		return st;
	}
	idle_print_table(stdout, R);
	if ((R->json && idle_write_json(R->json, R) < 0) || (R->svg && idle_write_svg(R->svg, R) < 0)) {
		fprintf(stderr, "warden: %s\n", err_msg());
		free(R);
		return 2;
	}
	for (unsigned m = 0; m < IM_N; m++)
		if (R->run[m].ran && !R->run[m].ok)
			st = 1;
	if (st)
		fprintf(stderr, "warden: lab idle: some modes failed (see the table)\n");
	free(R);
	return st;
}
