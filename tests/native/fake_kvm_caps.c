/* LD_PRELOAD shim for the native tier: KVM_CHECK_EXTENSION answers 0 for
 * the capability numbers listed in WARDEN_FAKE_NO_CAPS ("36,15"), on the
 * KVM device and on VMs alike, so a test can see how warden behaves on a
 * host without them.  With WARDEN_FAKE_CPUID_VIRT=1, KVM_GET_SUPPORTED_CPUID
 * also offers VMX (leaf 1 ECX 5) and SVM (leaf 0x80000001 ECX 2), as a
 * host with nested virtualization would (tests/native/shutdown.sh: what
 * warden shows the guest with and without --nested).  Every other ioctl
 * goes to the real one. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static int hidden(long cap)
{
	const char *list = getenv("WARDEN_FAKE_NO_CAPS");
	char *end;

	while (list && *list) {
		long v = strtol(list, &end, 10);

		if (end == list)
			return 0;
		if (v == cap)
			return 1;
		list = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static void add_virt(struct kvm_cpuid2 *c)
{
	const char *v = getenv("WARDEN_FAKE_CPUID_VIRT");

	if (!v || strcmp(v, "1") != 0)
		return;
	for (unsigned i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= 1u << 5;
		if (c->entries[i].function == 0x80000001u)
			c->entries[i].ecx |= 1u << 2;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == KVM_CHECK_EXTENSION && hidden((long)arg))
		return 0;
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (req == KVM_GET_SUPPORTED_CPUID) {
		int r = real(fd, req, arg);

		if (r == 0)
			add_virt(arg);
		return r;
	}
	return real(fd, req, arg);
}
