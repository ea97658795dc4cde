/* Test shim (LD_PRELOAD) for tests/native/hypercall.sh: the host's reads
 * at one byte offset fail with EIO, so a guest can be shown WHC_E_IO, the
 * hypercall status for a read the host could not do.  The offset comes
 * from $WARDEN_TEST_EIO_OFFSET; without it nothing changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t pread_fn(int, void *, size_t, off_t);

static ssize_t fail_or(pread_fn **real, const char *name, int fd, void *buf, size_t n, off_t off)
{
	const char *at = getenv("WARDEN_TEST_EIO_OFFSET");

	if (at && *at && off == (off_t)strtoll(at, NULL, 0)) {
		errno = EIO;
		return -1;
	}
	if (!*real)
		*real = (pread_fn *)dlsym(RTLD_NEXT, name);
	return *real ? (*real)(fd, buf, n, off) : (errno = ENOSYS, -1);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	static pread_fn *real;

	return fail_or(&real, "pread", fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	static pread_fn *real;

	return fail_or(&real, "pread64", fd, buf, n, off);
}
