/* `warden lab tsc` (lab/tsc_lab.h): one VM, the built-in guest, and a
 * watcher on the VM's observer hooks that keeps, for each of the guest's
 * marks, the run loop's own stamps around the KVM_RUN it ended (t_enter,
 * t_exit: the host's TSC) next to the reading the guest stored before it.
 * The offset is set after the loader and before the first KVM_RUN. */
#include "lab/tsc_lab.h"
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
#include <unistd.h>

#include "boot/loader.h"
#include "core/device.h"
#include "core/exit.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

extern const unsigned char lab_tsc_guest[], lab_tsc_guest_end[];

#define MSR_IA32_TSC 0x10

struct ts_state {
	struct device dev;
	struct vm *vm;
	struct ts_result *R;
	bool done, bad;
};

/* KVM's own view of the offset, where debugfs shows it
 * (/sys/kernel/debug/kvm/PID-VMFD/vcpu0/tsc-offset). */
static void read_debugfs(struct ts_state *c)
{
	char path[96], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/vcpu0/tsc-offset", (int)getpid(), c->vm->vm_fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	c->R->debugfs_offset = strtoll(buf, NULL, 10);
	c->R->debugfs = true;
}

/* KVM's own view, on the vCPU thread at the guest's last mark: the offset
 * attribute as KVM reads it back, and IA32_TSC (what KVM says the guest's
 * TSC is) between two host TSC reads. */
static void read_kvm_view(struct ts_state *c)
{
	int fd = c->vm->vcpus[0].fd;
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
				     .addr = (uint64_t)(uintptr_t)&c->R->kvm_attr_offset };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };
	uint64_t t0, t1;

	c->R->kvm_attr_known = c->R->cap_attr && ioctl(fd, KVM_GET_DEVICE_ATTR, &a) == 0;
	t0 = cycles();
	if (ioctl(fd, KVM_GET_MSRS, &m) != 1)
		return;
	t1 = cycles();
	c->R->kvm_msr_known = true;
	c->R->kvm_msr_lo = (long double)m.e.data - c->R->ratio * (long double)t1;
	c->R->kvm_msr_hi = (long double)m.e.data - c->R->ratio * (long double)t0;
}

static void ctl_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0xff, len);
}

static void ctl_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data, unsigned len)
{
	struct ts_state *c = dev->priv;
	uint32_t v = 0;

	(void)range, (void)off;
	memcpy(&v, data, len < 4 ? len : 4);
	if (v == TS_MARK_DONE || v == TS_MARK_BAD) {
		c->done = v == TS_MARK_DONE;
		c->bad = v == TS_MARK_BAD;
		read_debugfs(c);
		read_kvm_view(c);
		vm_request_end(c->vm, VM_END_POWEROFF);
	}
}

static void ctl_destroy(struct device *dev)
{
	(void)dev; /* the state belongs to ts_measure */
}

static const struct device_ops ctl_ops = { .read = ctl_read, .write = ctl_write, .destroy = ctl_destroy };

/* The watcher: a sample mark's exit, with the run loop's stamps. */
static void ts_on_exit(void *ctx, unsigned vcpu, const struct exit_record *r)
{
	struct ts_state *c = ctx;
	volatile struct ts_params *p = gmem_ptr(&c->vm->mem, LAYOUT_LAB_PARAMS, sizeof(*p));
	uint32_t v = 0, ph, i;

	if (vcpu != 0 || !p || r->kind != EXIT_ACCESS || r->space != BUS_PIO || !r->write ||
	    r->addr != PORT_LAB_CTL || r->size != 4)
		return;
	memcpy(&v, r->data, 4);
	if ((v & ~0x1ffu) != 0x10000u)
		return;
	ph = (v >> 8) & 1;
	i = v & 0xff;
	if (i >= TS_SAMPLES_MAX)
		return;
	c->R->s[ph][i] = (struct ts_sample){ .seen = true, .g = p->tsc[ph][i], .h_enter = r->t_enter,
					     .h_exit = r->t_exit, .h_hook = cycles(), .ns = now_ns() };
}

static bool has_offset_attr(int vcpu_fd)
{
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET };

	return ioctl(vcpu_fd, KVM_HAS_DEVICE_ATTR, &a) == 0;
}

/* The frequency, where KVM can scale (3/4 of the host's unless --khz). */
static void set_khz(struct ts_result *R, int fd)
{
	R->ratio = 1;
	if (R->khz_auto)
		R->khz_req = R->cap_tsc_control > 0 ? R->host_khz * 3 / 4 : 0;
	if (!R->khz_req && !R->khz_auto) {
		snprintf(R->khz_status, sizeof(R->khz_status), "not asked (--khz)");
	} else if (R->cap_tsc_control <= 0) {
		snprintf(R->khz_status, sizeof(R->khz_status), "skipped: KVM_CHECK_EXTENSION KVM_CAP_TSC_CONTROL is %ld",
			 R->cap_tsc_control);
	} else if (ioctl(fd, KVM_SET_TSC_KHZ, (unsigned long)R->khz_req) < 0) {
		snprintf(R->khz_status, sizeof(R->khz_status), "skipped: KVM_SET_TSC_KHZ %" PRIu64 " refused: %s",
			 R->khz_req, strerror(errno));
	} else {
		snprintf(R->khz_status, sizeof(R->khz_status), "set");
		R->ratio = (long double)R->khz_req / (long double)R->host_khz;
	}
}

/* IA32_TSC = host TSC (scaled) + offset: KVM turns the write into an
 * offset, taking its own host TSC some time into the call. */
static int set_offset_msr(struct ts_result *R, int fd)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };
	uint64_t t0 = cycles();

	R->method = "KVM_SET_MSRS IA32_TSC";
	m.e.data = (uint64_t)((long double)t0 * R->ratio) + (uint64_t)R->offset_req;
	if (ioctl(fd, KVM_SET_MSRS, &m) != 1)
		return fail_errno(ERR_HOST, "KVM_SET_MSRS IA32_TSC");
	R->set_window = cycles() - t0;
	return 0;
}

/* The frequency first (scaling changes what an offset means), then the
 * offset: through the vCPU attribute where KVM has it, else IA32_TSC. */
static int set_tsc(struct ts_result *R, struct vm *vm)
{
	int fd = vm->vcpus[0].fd;
	long khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
				     .addr = (uint64_t)(uintptr_t)&R->offset_req };

	if (khz <= 0)
		return fail_errno(ERR_HOST, "KVM_GET_TSC_KHZ");
	R->host_khz = (uint64_t)khz;
	R->gap_cycles = R->gap_us * R->host_khz / 1000;
	R->cap_tsc_control = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL);
	set_khz(R, fd);
	khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
	R->guest_khz = khz > 0 ? (uint64_t)khz : 0;
	R->cap_attr = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_ATTRIBUTES) > 0 && has_offset_attr(fd);
	if (!R->cap_attr)
		return set_offset_msr(R, fd);
	R->method = "KVM_VCPU_TSC_OFFSET";
	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return fail_errno(ERR_HOST, "KVM_SET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET");
	return 0;
}

static int run_vm(struct ts_result *R, struct vm *vm, const struct boot_spec *spec, struct ts_state *c)
{
	volatile struct ts_params *p;
	struct ts_params in;
	struct serial *com1;
	struct pollfd pfd;

	c->vm = vm;
	c->R = R;
	c->dev = (struct device){
		.name = "lab-tsc", .ops = &ctl_ops, .priv = c,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_LAB_CTL, PORT_LAB_CTL_LEN) }, .gsi = DEVICE_NO_GSI },
	};
	if (platform_create(vm, &com1, 0) < 0 || vm_add_device(vm, &c->dev) < 0 || boot_load(vm, spec) < 0)
		return -1;
	vm->obs = (struct vm_observer){ .ctx = c, .exit = ts_on_exit };
	p = gmem_ptr(&vm->mem, LAYOUT_LAB_PARAMS, sizeof(*p));
	if (!p)
		return fail(ERR_HOST, "lab: the parameter block is outside guest RAM");
	if (set_tsc(R, vm) < 0)
		return -1;
	in = (struct ts_params){ .magic = TS_MAGIC, .samples = R->samples, .gap_cycles = R->gap_cycles };
	memcpy((void *)p, &in, sizeof(in));
	if (vm_start(vm) < 0)
		return -1;
	pfd = (struct pollfd){ .fd = vm->end.efd, .events = POLLIN };
	while (poll(&pfd, 1, 60000) < 0 && errno == EINTR)
		;
	vm_request_end(vm, VM_END_SIGNAL);
	vm_stop(vm);
	R->ok = c->done && p->status == TS_ST_DONE;
	if (!R->ok)
		snprintf(R->why, sizeof(R->why), "the guest did not finish (status %u%s)", p->status,
			 c->bad ? ", it refused its parameters" : ", 60 s passed");
	return 0;
}

int ts_measure(struct ts_result *R, const char *kvm_device)
{
	struct vm_config cfg = { .mem_bytes = 16ULL << 20, .ncpus = 1, .irqchip = true, .kvm_device = kvm_device };
	struct boot_spec spec = lab_guest_spec("warden lab tsc's built-in guest", lab_tsc_guest, lab_tsc_guest_end);
	static struct vm vm;
	static struct ts_state c;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	if (vm_create(&vm, &cfg) == 0) {
		rc = run_vm(R, &vm, &spec, &c);
		vm_destroy(&vm);
	}
	if (rc == 0)
		ts_judge(R);
	return rc;
}
