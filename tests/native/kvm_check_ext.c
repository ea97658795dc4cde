/* Test helper for tests/native/caps.sh: asks KVM directly, without any of
 * warden's code, so `warden caps` can be checked against it.
 *
 *   kvm-check-ext CAP [DEVICE]       KVM_CHECK_EXTENSION CAP on the device
 *   kvm-check-ext --vm CAP [DEVICE]  the same on a new VM's fd
 *   kvm-check-ext --pv [DEVICE]      EAX of leaf 0x40000001 in
 *                                    KVM_GET_SUPPORTED_CPUID, in hex
 * Prints one number; exit status 1 (with a message) if KVM could not be asked.
 *
 * Capabilities the native tier needs, tried on a scratch VM (so that a test
 * is skipped because the host lacks something, never because of what
 * warden printed):
 *   kvm-check-ext --ioeventfd [DEVICE]  an in-kernel irqchip, an MMIO
 *                                       KVM_IOEVENTFD and a KVM_IRQFD
 *   kvm-check-ext --stats-fd [DEVICE]   KVM_GET_STATS_FD on a VM and on a
 *                                       vCPU, and a readable header
 *   kvm-check-ext --exit-trace          the kvm:kvm_exit tracepoint in
 *                                       tracefs, opened with perf_event_open
 * Print "yes", or "no: what failed: why"; exit status 0 either way. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* The kvm:kvm_exit tracepoint, as --exit-trace needs it: its id in
 * tracefs, and a perf event on it for this thread. */
static int probe_exit_trace(void)
{
	static const char *const paths[] = { "/sys/kernel/tracing/events/kvm/kvm_exit/id",
					     "/sys/kernel/debug/tracing/events/kvm/kvm_exit/id" };
	struct perf_event_attr a;
	FILE *f = NULL;
	int id = -1, fd;

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
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_RAW;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0)
		return lacks("perf_event_open(kvm:kvm_exit)");
	close(fd);
	printf("yes\n");
	return 0;
}

int main(int argc, char **argv)
{
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
		fprintf(stderr, "usage: kvm-check-ext [--vm] CAP [DEVICE] | --pv|--ioeventfd|--stats-fd [DEVICE] | --exit-trace\n");
		return 2;
	}
	if (trace)
		return probe_exit_trace();
	dev = nrest > need ? rest[need] : "/dev/kvm";
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
