/* The allowlists: for each kind of thread, the system calls it makes
 * once its filter is in (docs/security.md says why each is there).
 * Found by reading each thread's code and checked with --seccomp log,
 * which names every call a list lacks. */
#include <sys/syscall.h>

#include "sandbox/allowlists.h"

#define END ALLOWLIST_END

/* Every thread: glibc's locks, thread exit and signal return, memory
 * (malloc, a thread's exit frees its stack), clocks and sleeps, log
 * lines on stderr, and what the SIGSYS handler itself needs (write, the
 * terminal's ioctl TCSETS, which seccomp.c adds for every list, exit_group). */
static const int every[] = {
	__NR_read, __NR_write, __NR_close, __NR_futex, __NR_exit, __NR_exit_group,
	__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_restart_syscall,
	__NR_clock_gettime, __NR_clock_nanosleep, __NR_nanosleep, __NR_gettid,
	__NR_getpid, __NR_tgkill, __NR_madvise, __NR_munmap, __NR_mmap,
	__NR_mprotect, __NR_brk, __NR_sched_yield, END
};

/* A thread that creates threads: clone3 (clone on older glibc), and the
 * new thread's first calls in glibc, made under its creator's filter. */
static const int spawn[] = {
	__NR_clone, __NR_clone3, __NR_set_robust_list, __NR_rseq, __NR_prctl, END
};

/* Waiting on file descriptors (eventfds, the VM's end, timers). */
static const int wait_fds[] = {
	__NR_poll, __NR_ppoll, __NR_epoll_wait, __NR_epoll_pwait, __NR_epoll_ctl, END
};

/* KVM's ioctls on the VM, vCPU and device file descriptors. */
static const int kvm[] = { __NR_ioctl, END };

/* The vCPU's exit loop: KVM_RUN and the exits it emulates; devices it
 * starts (a virtio device's eventfds and epoll set at DRIVER_OK). */
static const int vcpu[] = {
	__NR_eventfd2, __NR_epoll_create1, __NR_dup, __NR_fcntl, __NR_lseek,
	__NR_pread64, __NR_pwrite64, END
};

/* A virtio device's I/O: tap frames, io_uring disk requests, the
 * console's pipes, the rng's getrandom, virtio-net's coalescing timer
 * (the guest sets VIRTIO_NET_F_NOTF_COAL's parameters at any time). */
static const int io[] = {
	__NR_readv, __NR_writev, __NR_io_uring_enter, __NR_getrandom, __NR_timerfd_settime, END
};

/* The hypercall disk, read and written in place (virtio-blk's requests
 * go through io_uring instead). */
static const int disk[] = { __NR_pread64, __NR_pwrite64, END };

/* The statistics sampler: KVM's binary statistics (pread on its fd), the
 * trace file it appends to, json-c's hash seed (getrandom, at its first
 * object). */
static const int sampler[] = { __NR_pread64, __NR_lseek, __NR_fstat, __NR_newfstatat, __NR_getrandom, END };

/* The prefault helper: idle scheduling for itself, then populating guest
 * memory. */
static const int prefault[] = { __NR_sched_setscheduler, __NR_sched_setparam, __NR_setpriority, END };

/* The main thread after its filter: serves the host console, ends the VM,
 * writes the statistics, and sets up the next VM of a --reboot loop (open
 * /dev/kvm and the guest's files, io_uring, tap). */
static const int setup[] = {
	__NR_openat, __NR_open, __NR_fstat, __NR_newfstatat, __NR_statx, __NR_lseek,
	__NR_pread64, __NR_pwrite64, __NR_readlink, __NR_access, __NR_faccessat2,
	__NR_eventfd2, __NR_epoll_create1, __NR_pipe2, __NR_dup, __NR_fcntl,
	__NR_io_uring_setup, __NR_io_uring_register, __NR_io_uring_enter,
	__NR_getrandom, __NR_rt_sigaction, __NR_kill, __NR_sysinfo, __NR_getrusage,
	__NR_sched_getaffinity, __NR_uname, __NR_ftruncate, __NR_rename, __NR_unlink,
	__NR_fdatasync, __NR_fsync, __NR_getdents64, __NR_mremap, __NR_readv, __NR_writev,
	__NR_signalfd4, /* the snapshot thread's, made anew on each boot of --reboot */
	__NR_flock, __NR_fallocate, /* a disk's image lock and discard probe (disk_open) */
	/* a device's timers (rate limits, coalescing), made anew on each boot
	 * of --reboot; the API thread's PATCH wakes a limited device */
	__NR_timerfd_create, __NR_timerfd_settime,
	END
};

/* The API server's connections (libmicrohttpd): accept, read and answer
 * requests on Unix sockets. */
static const int api[] = {
	__NR_accept, __NR_accept4, __NR_recvfrom, __NR_recvmsg, __NR_sendto, __NR_sendmsg,
	__NR_setsockopt, __NR_getsockopt, __NR_shutdown, __NR_fcntl, __NR_dup2, __NR_dup3, END
};

/* virtio-vsock's host side (backends/vsock_host.c): the listener's
 * connections, guest-initiated connections to <uds>_<port>, data both
 * ways, half-closes. */
static const int vsock[] = {
	__NR_socket, __NR_connect, __NR_accept, __NR_accept4, __NR_recvfrom, __NR_recvmsg,
	__NR_sendto, __NR_sendmsg, __NR_shutdown, __NR_getsockopt, __NR_setsockopt,
	__NR_epoll_create1, __NR_fcntl, END
};

/* The snapshot thread (snapshot/trigger.c): waits on its signalfd, pauses
 * the VM, reads KVM's state and writes the memory and state files (the
 * main thread's file calls), resumes or ends the VM. */

/* The API server's end on the main thread (libmicrohttpd's stop: its
 * listening socket shut down). */
static const int api_end[] = { __NR_shutdown, END };

/* What a vCPU thread does at its start, before its own filter, under
 * main's: --exit-trace opens its perf events there (the observer's
 * vcpu_start hook). Only main's filter lists it: the vCPU's own does not. */
static const int vcpu_start[] = { __NR_perf_event_open, END };

/* ASan and UBSan's runtime: reports (symbolizing reads /proc/self/maps),
 * and LeakSanitizer's check at exit, which stops the other threads with
 * ptrace from a helper thread it clones. */
#if defined(__SANITIZE_ADDRESS__)
static const int sanitizer[] = {
	__NR_openat, __NR_readlink, __NR_fstat, __NR_newfstatat, __NR_getdents, __NR_getdents64,
	__NR_sigaltstack, __NR_rt_sigaction, __NR_prctl, __NR_clone, __NR_ptrace,
	__NR_wait4, __NR_getppid, __NR_pipe2, __NR_sched_getaffinity, __NR_lseek,
	__NR_pread64, __NR_getrlimit, __NR_prlimit64, __NR_kill, END
};
#else
static const int sanitizer[] = { END };
#endif

#define KIND(k) (1u << (k))
/* Threads a vCPU starts: a virtio device's worker at DRIVER_OK, the RTC's
 * clock when the guest enables its interrupts. */
#define VCPU_SPAWNS (KIND(THREAD_IO_WORKER) | KIND(THREAD_RTC) | KIND(THREAD_VSOCK))

const struct thread_allowlist thread_allowlists[THREAD_KINDS] = {
	[THREAD_MAIN] = { .name = "main", .groups = { every, spawn, wait_fds, kvm, setup, vcpu_start, api_end, sanitizer },
			  .spawns = ~0u },
	[THREAD_VCPU] = { .name = "vcpu", .groups = { every, spawn, wait_fds, kvm, vcpu, sanitizer },
			  .spawns = VCPU_SPAWNS },
	[THREAD_IO_WORKER] = { .name = "io-worker", .groups = { every, wait_fds, kvm, io, sanitizer } },
	[THREAD_HYPERCALL] = { .name = "hypercall", .groups = { every, wait_fds, kvm, disk, sanitizer } },
	[THREAD_REGPAGE] = { .name = "regpage", .groups = { every, kvm, sanitizer } },
	[THREAD_RTC] = { .name = "rtc", .groups = { every, wait_fds, kvm, sanitizer } },
	[THREAD_SHUTDOWN] = { .name = "shutdown", .groups = { every, wait_fds, kvm, sanitizer } },
	[THREAD_PREFAULT] = { .name = "prefault", .groups = { every, prefault, sanitizer } },
	[THREAD_SAMPLER] = { .name = "sampler", .groups = { every, wait_fds, kvm, sampler, sanitizer } },
	[THREAD_HV_TESTDEV] = { .name = "hv-testdev", .groups = { every, wait_fds, kvm, sanitizer } },
	/* Requests come from the host (the socket's owner), not the guest:
	 * its configuration checks files (setup) and starts the metrics thread;
	 * PATCH /drives opens a disk's new file and restarts its I/O thread. */
	[THREAD_API] = { .name = "api", .groups = { every, spawn, wait_fds, kvm, api, setup, sanitizer },
			 .spawns = KIND(THREAD_METRICS) | KIND(THREAD_IO_WORKER) },
	[THREAD_METRICS] = { .name = "metrics", .groups = { every, wait_fds, sanitizer } },
	[THREAD_VSOCK] = { .name = "vsock", .groups = { every, wait_fds, kvm, io, vsock, sanitizer } },
	[THREAD_SNAPSHOT] = { .name = "snapshot", .groups = { every, wait_fds, kvm, setup, sanitizer } },
};

const char *thread_kind_name(enum thread_kind kind)
{
	return (unsigned)kind < THREAD_KINDS ? thread_allowlists[kind].name : "unknown";
}
