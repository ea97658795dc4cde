/* LD_PRELOAD shim for the native tier: writes each name warden gives a
 * thread (pthread_setname_np, prctl PR_SET_NAME) as a line to the file
 * $WARDEN_THREAD_NAMES, then names the thread as asked. The tier checks
 * every name against WARDEN_THREADS (tests/lib.sh), the names by which the
 * emulated tier recognises warden in a kernel's soft-lockup report. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void note(const char *name)
{
	const char *path = getenv("WARDEN_THREAD_NAMES");
	char line[64];
	int fd, n;

	if (!path)
		return;
	n = snprintf(line, sizeof(line), "%.16s\n", name);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) != n)
			perror("thread-names: write");
		close(fd);
	}
}

int pthread_setname_np(pthread_t t, const char *name)
{
	int (*real)(pthread_t, const char *) =
		(int (*)(pthread_t, const char *))dlsym(RTLD_NEXT, "pthread_setname_np");

	note(name);
	return real(t, name);
}

int prctl(int option, ...)
{
	int (*real)(int, ...) = (int (*)(int, ...))dlsym(RTLD_NEXT, "prctl");
	unsigned long a[4];
	va_list ap;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_NAME)
		note((const char *)a[0]);
	return real(option, a[0], a[1], a[2], a[3]);
}
