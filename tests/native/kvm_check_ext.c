/* Test helper for tests/native/caps.sh: asks KVM directly, without any of
 * warden's code, so `warden caps` can be checked against it.
 *
 *   kvm-check-ext CAP [DEVICE]       KVM_CHECK_EXTENSION CAP on the device
 *   kvm-check-ext --vm CAP [DEVICE]  the same on a new VM's fd
 *   kvm-check-ext --pv [DEVICE]      EAX of leaf 0x40000001 in
 *                                    KVM_GET_SUPPORTED_CPUID, in hex
 * Prints one number; exit status 1 (with a message) if KVM could not be asked. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

int main(int argc, char **argv)
{
	int vm = argc > 1 && strcmp(argv[1], "--vm") == 0;
	int pv = argc > 1 && strcmp(argv[1], "--pv") == 0;
	char **rest = argv + 1 + vm + pv;
	int nrest = argc - 1 - vm - pv, need = pv ? 0 : 1, kvm, fd;
	const char *dev;

	if (nrest < need || nrest > need + 1) {
		fprintf(stderr, "usage: kvm-check-ext [--vm] CAP [DEVICE] | --pv [DEVICE]\n");
		return 2;
	}
	dev = nrest > need ? rest[need] : "/dev/kvm";
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die(dev);
	if (pv)
		return supported_pv_eax(kvm);
	fd = kvm;
	if (vm) {
		fd = ioctl(kvm, KVM_CREATE_VM, 0);
		if (fd < 0)
			return die("KVM_CREATE_VM");
	}
	printf("%d\n", ioctl(fd, KVM_CHECK_EXTENSION, atol(rest[0])));
	return 0;
}
