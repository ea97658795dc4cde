/* Test helper for tests/native/caps.sh: asks KVM directly, without any of
 * warden's code, so `warden caps` can be checked against it.
 *
 *   kvm-check-ext CAP [DEVICE]       KVM_CHECK_EXTENSION CAP on the device
 *   kvm-check-ext --vm CAP [DEVICE]  the same on a new VM's fd
 *   kvm-check-ext --pv [DEVICE]      EAX of leaf 0x40000001 in
 *                                    KVM_GET_SUPPORTED_CPUID, in hex
 *   kvm-check-ext --cpuid LEAF SUBLEAF REG BIT [DEVICE]
 *                                    that bit (REG one of eax ebx ecx edx)
 *                                    of KVM_GET_SUPPORTED_CPUID: 1 or 0
 * Prints one number; exit status 1 (with a message) if KVM could not be asked.
 *
 * Capabilities the native tier needs, tried on a scratch VM (so that a test
 * is skipped because the host lacks something, never because of what
 * warden printed):
 *   kvm-check-ext --ioeventfd [DEVICE]  an in-kernel irqchip, an MMIO
 *                                       KVM_IOEVENTFD and a KVM_IRQFD
 *   kvm-check-ext --stats-fd [DEVICE]   KVM_GET_STATS_FD on a VM and on a
 *                                       vCPU, and a readable header
 *   kvm-check-ext --exit-trace [DEVICE] the kvm:kvm_exit tracepoint in
 *                                       tracefs counts the exit of a tiny
 *                                       real-mode guest (a paravirtual KVM
 *                                       such as kvm_pvm has the tracepoint
 *                                       but never fires it)
 * Print "yes", or "no: what failed: why"; exit status 0 either way.
 *
 *   kvm-check-ext --tsc-offset N [DEVICE]
 *                                       sets KVM_VCPU_TSC_OFFSET to N on a
 *                                       new vCPU (KVM_SET_DEVICE_ATTR) and
 *                                       prints what KVM_GET_DEVICE_ATTR
 *                                       reads back ("none" where KVM has
 *                                       no such attribute; N where the
 *                                       read-back is below N by no more
 *                                       than the cycles between the two
 *                                       calls: KVM re-deriving the offset
 *                                       on an unstable host TSC) */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

static int die(const char *what)
{
	fprintf(stderr, "kvm-check-ext: %s: %s\n", what, strerror(errno));
	return 1;
}

static int supported_pv_eax(int kvm)
{
	unsigned n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		return die("calloc");
	c->nent = n;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) < 0)
		return die("KVM_GET_SUPPORTED_CPUID");
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x40000001) {
			printf("0x%x\n", c->entries[i].eax);
			return 0;
		}
	printf("none\n");
	return 0;
}

/* One bit of KVM_GET_SUPPORTED_CPUID (a leaf KVM leaves out: 0). */
static int supported_cpuid_bit(int kvm, unsigned leaf, unsigned sub, const char *reg, unsigned bit)
{
	unsigned n = 256;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		return die("calloc");
	c->nent = n;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) < 0)
		return die("KVM_GET_SUPPORTED_CPUID");
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t v;

		if (e->function != leaf || ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && e->index != sub))
			continue;
		v = !strcmp(reg, "eax") ? e->eax : !strcmp(reg, "ebx") ? e->ebx : !strcmp(reg, "ecx") ? e->ecx : e->edx;
		printf("%u\n", (v >> bit) & 1);
		return 0;
	}
	printf("0\n");
	return 0;
}

/* "no: WHAT: strerror(errno)" and status 0: the host lacks it. */
static int lacks(const char *what)
{
	printf("no: %s: %s\n", what, strerror(errno));
	return 0;
}

/* The in-kernel I/O paths warden's virtio-mmio uses: a queue-notify
 * register served by an eventfd in KVM, and an interrupt line raised from
 * an eventfd. */
static int probe_ioeventfd(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), efd;
	struct kvm_ioeventfd io = { .addr = 0xd0000050, .len = 4 };
	struct kvm_irqfd irq = { .gsi = 5 };

	if (vm < 0)
		return die("KVM_CREATE_VM");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return lacks("KVM_CREATE_IRQCHIP");
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return die("eventfd");
	io.fd = efd;
	if (ioctl(vm, KVM_IOEVENTFD, &io) < 0)
		return lacks("KVM_IOEVENTFD");
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return die("eventfd");
	irq.fd = (__u32)efd;
	if (ioctl(vm, KVM_IRQFD, &irq) < 0)
		return lacks("KVM_IRQFD");
	printf("yes\n");
	return 0;
}

/* KVM's binary statistics: a file descriptor for the VM and for a vCPU,
 * each with a header that reads back. */
static int stats_fd(int obj, const char *what)
{
	struct kvm_stats_header h;
	int fd = ioctl(obj, KVM_GET_STATS_FD, NULL);

	if (fd < 0) {
		lacks(what);
		return -1;
	}
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.num_desc == 0) {
		printf("no: %s: no statistics header\n", what);
		return -1;
	}
	close(fd);
	return 0;
}

static int probe_stats_fd(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), vcpu;

	if (vm < 0)
		return die("KVM_CREATE_VM");
	if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0) {
		printf("no: KVM_CHECK_EXTENSION(KVM_CAP_BINARY_STATS_FD) is 0\n");
		return 0;
	}
	if (stats_fd(vm, "KVM_GET_STATS_FD on the VM") < 0)
		return 0;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die("KVM_CREATE_VCPU");
	if (stats_fd(vcpu, "KVM_GET_STATS_FD on a vCPU") < 0)
		return 0;
	printf("yes\n");
	return 0;
}

/* One exit of a real-mode guest ("out 0x80, al; hlt" at 0): 0 if KVM_RUN
 * came back with it, -1 (message printed) if not. */
static int run_one_exit(int kvm)
{
	static const unsigned char code[] = { 0xe6, 0x80, 0xf4 };
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), vcpu, size;
	void *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region r = { .memory_size = 0x1000 };
	struct kvm_sregs sr;
	struct kvm_regs regs = { .rflags = 2 };
	struct kvm_run *run;

	if (vm < 0 || mem == MAP_FAILED)
		return die("KVM_CREATE_VM"), -1;
	memcpy(mem, code, sizeof(code));
	r.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return die("KVM_SET_USER_MEMORY_REGION"), -1;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || size <= 0)
		return die("KVM_CREATE_VCPU"), -1;
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sr) < 0)
		return die("vCPU set-up"), -1;
	sr.cs.base = 0;
	sr.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return die("KVM_SET_SREGS/KVM_SET_REGS"), -1;
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return die("KVM_RUN"), -1;
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x80) {
		fprintf(stderr, "kvm-check-ext: the guest's exit was %u, not its port write\n", run->exit_reason);
		return -1;
	}
	return 0;
}

/* The kvm:kvm_exit tracepoint, as --exit-trace needs it: its id in
 * tracefs, a perf event on it for this thread, and an exit it counts. */
static int probe_exit_trace(const char *dev)
{
	static const char *const paths[] = { "/sys/kernel/tracing/events/kvm/kvm_exit/id",
					     "/sys/kernel/debug/tracing/events/kvm/kvm_exit/id" };
	struct perf_event_attr a;
	unsigned long long n = 0;
	FILE *f = NULL;
	int id = -1, fd, kvm;

	for (unsigned i = 0; i < 2 && !f; i++)
		f = fopen(paths[i], "r");
	if (!f)
		return lacks("no kvm/kvm_exit/id in tracefs");
	if (fscanf(f, "%d", &id) != 1 || id < 0) {
		printf("no: kvm/kvm_exit/id unreadable\n");
		return 0;
	}
	fclose(f);
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (__u64)id;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0)
		return lacks("perf_event_open(kvm:kvm_exit)");
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die(dev);
	if (run_one_exit(kvm) < 0)
		return 1;
	if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return die("read(kvm:kvm_exit counter)");
	if (n == 0) {
		printf("no: this host's KVM fired no kvm:kvm_exit event for a guest's exit\n");
		return 0;
	}
	printf("yes\n");
	return 0;
}

/* The TSC offset KVM keeps for a vCPU when asked for OFF. */
static int tsc_offset_kept(const char *dev, long long off)
{
	int kvm = open(dev, O_RDWR | O_CLOEXEC), vm, vcpu;
	int64_t want = off, got = 0;
	uint64_t t0;
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET };

	if (kvm < 0)
		return die(dev);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die("KVM_CREATE_VM");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die("KVM_CREATE_VCPU");
	if (ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_ATTRIBUTES) <= 0 || ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &a) < 0) {
		printf("none\n");
		return 0;
	}
	a.addr = (uint64_t)(uintptr_t)&want;
	t0 = __rdtsc();
	if (ioctl(vcpu, KVM_SET_DEVICE_ATTR, &a) < 0)
		return die("KVM_SET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET");
	a.addr = (uint64_t)(uintptr_t)&got;
	if (ioctl(vcpu, KVM_GET_DEVICE_ATTR, &a) < 0)
		return die("KVM_GET_DEVICE_ATTR KVM_VCPU_TSC_OFFSET");
	/* On an unstable host TSC KVM re-derives the offset at each vCPU
	 * load, moving it down by the time the vCPU was away: at most the
	 * time between the two calls.  That is the request kept. */
	if (got <= want && want - got <= (int64_t)(__rdtsc() - t0))
		got = want;
	printf("%lld\n", (long long)got);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "--tsc-offset") == 0)
		return tsc_offset_kept(argc == 4 ? argv[3] : "/dev/kvm", strtoll(argv[2], NULL, 0));
	if (argc >= 6 && argc <= 7 && strcmp(argv[1], "--cpuid") == 0) {
		int kvm = open(argc == 7 ? argv[6] : "/dev/kvm", O_RDWR | O_CLOEXEC);
		const char *reg = argv[4];

		if (strcmp(reg, "eax") && strcmp(reg, "ebx") && strcmp(reg, "ecx") && strcmp(reg, "edx"))
			return fprintf(stderr, "kvm-check-ext: --cpuid: register eax, ebx, ecx or edx\n"), 2;
		if (kvm < 0)
			return die(argc == 7 ? argv[6] : "/dev/kvm");
		return supported_cpuid_bit(kvm, (unsigned)strtoul(argv[2], NULL, 0), (unsigned)strtoul(argv[3], NULL, 0),
					   reg, (unsigned)strtoul(argv[5], NULL, 0) & 31);
	}
	int vm = argc > 1 && strcmp(argv[1], "--vm") == 0;
	int pv = argc > 1 && strcmp(argv[1], "--pv") == 0;
	int iofd = argc > 1 && strcmp(argv[1], "--ioeventfd") == 0;
	int stats = argc > 1 && strcmp(argv[1], "--stats-fd") == 0;
	int trace = argc > 1 && strcmp(argv[1], "--exit-trace") == 0;
	int flags = vm + pv + iofd + stats + trace;
	char **rest = argv + 1 + flags;
	int nrest = argc - 1 - flags, need = pv || iofd || stats || trace ? 0 : 1, kvm, fd;
	const char *dev;

	if (nrest < need || nrest > need + 1) {
		fprintf(stderr, "usage: kvm-check-ext [--vm] CAP [DEVICE] | --pv|--ioeventfd|--stats-fd|--exit-trace [DEVICE] \n");
		return 2;
	}
	dev = nrest > need ? rest[need] : "/dev/kvm";
	if (trace)
		return probe_exit_trace(dev);
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die(dev);
	if (pv)
		return supported_pv_eax(kvm);
	if (iofd)
		return probe_ioeventfd(kvm);
	if (stats)
		return probe_stats_fd(kvm);
	fd = kvm;
	if (vm) {
		fd = ioctl(kvm, KVM_CREATE_VM, 0);
		if (fd < 0)
			return die("KVM_CREATE_VM");
	}
	printf("%d\n", ioctl(fd, KVM_CHECK_EXTENSION, atol(rest[0])));
	return 0;
}
