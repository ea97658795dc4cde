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

/* Opened once, before warden's seccomp filters: a thread named after
 * they are in place (a virtio I/O thread, started by a vCPU thread) may
 * write, not open. */
static int names_fd = -1;

__attribute__((constructor)) static void open_names(void)
{
	const char *path = getenv("WARDEN_THREAD_NAMES");

	if (path)
		names_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

static void note(const char *name)
{
	char line[64];
	int n;

	if (names_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%.16s\n", name);
	if (write(names_fd, line, (size_t)n) != n)
		perror("thread-names: write");
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
