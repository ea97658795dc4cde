/* LD_PRELOAD shim for the native tier: KVM_CHECK_EXTENSION answers 0 for
 * the capability numbers listed in WARDEN_FAKE_NO_CAPS ("36,15"), on the
 * KVM device and on VMs alike, so a test can see how warden behaves on a
 * host without them.  Every other ioctl goes to the real one. */
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
	return real(fd, req, arg);
}
