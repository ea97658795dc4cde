/* seccomp filters, one allowlist per kind of thread (docs/security.md).
 *
 * main() calls seccomp_setup() once, before any thread starts; each
 * thread calls seccomp_enter(its kind) at its start, after the set-up it
 * needs and before it touches anything the guest controls.  A refused
 * system call never dies silently: a SIGSYS handler prints one line
 * naming the thread and the call and ends warden with
 * SECCOMP_EXIT_STATUS (--seccomp on), or lets the call through and
 * remembers it for seccomp_report() (--seccomp log). */
#ifndef WARDEN_SANDBOX_SECCOMP_H
#define WARDEN_SANDBOX_SECCOMP_H

#include <stdio.h>

enum seccomp_mode { SECCOMP_OFF, SECCOMP_LOG, SECCOMP_ON };

/* A kind of thread: one allowlist each (allowlists.c). A new kind is one
 * entry here and one in the table. */
enum thread_kind {
	THREAD_MAIN,       /* set-up, the host console, the end */
	THREAD_VCPU,       /* core/vcpu.c: the exit loop */
	THREAD_IO_WORKER,  /* virtio/worker.c: one per virtio device */
	THREAD_HYPERCALL,  /* hypercall/device.c: the fast doorbell */
	THREAD_REGPAGE,    /* devices/regpage.c: the dirty-log scanner */
	THREAD_RTC,        /* devices/rtc_device.c: the clock */
	THREAD_SHUTDOWN,   /* devices/guest_shutdown.c: the graceful stop */
	THREAD_PREFAULT,   /* core/prefault.c */
	THREAD_SAMPLER,    /* accounting/observatory.c: the statistics sampler */
	THREAD_HV_TESTDEV, /* devices/hyperv_testdev.c: SINT acknowledgements */
	THREAD_API,        /* api/server.c: libmicrohttpd's thread, from its first connection */
	THREAD_METRICS,    /* api/metrics.c: the periodic metrics line */
	THREAD_VSOCK,      /* virtio/vsock.c: the vsock device's I/O thread (host sockets) */
	THREAD_SNAPSHOT,   /* snapshot/trigger.c: SIGUSR2 -> pause, write, resume */
	THREAD_KINDS
};

/* warden's status when a thread made a system call its list refuses. */
#define SECCOMP_EXIT_STATUS 9

/* "on", "log" or "off" into *MODE; -1 for anything else. */
int seccomp_parse_mode(const char *s, enum seccomp_mode *mode);

/* Starts building every kind's filter (on a thread of its own: main's
 * set-up goes on meanwhile) and installs the SIGSYS handler. BEFORE_EXIT
 * (may be NULL) runs in the handler before warden ends: it may only make
 * the system calls every list allows (write, ioctl TCSETS). -1 with
 * fail() on a host failure. */
int seccomp_setup(enum seccomp_mode mode, void (*before_exit)(void));

/* Waits until the filters are built: 0, or -1 with fail() if one could
 * not be (a host failure).  seccomp_enter() and seccomp_program() wait
 * themselves; a process that must be single-threaded again (the jail's
 * unshare and fork) calls this first. */
int seccomp_wait(void);

/* KIND's filter as seccomp_setup built it, or NULL (off, not built):
 * for the tests. */
struct sock_fprog;
const struct sock_fprog *seccomp_program(enum thread_kind kind);

/* In the calling thread: install KIND's filter (nothing when off, or when
 * this thread already has one). A host that refuses it ends warden
 * (status 1): a thread never runs unfiltered when filters are on. */
void seccomp_enter(enum thread_kind kind);

/* --seccomp log: one line per kind of thread that made a call its list
 * would refuse, naming the calls; nothing when nothing was refused. */
void seccomp_report(FILE *out);

/* The kind's name, as the messages and docs/security.md say it. */
const char *thread_kind_name(enum thread_kind kind);

#endif
