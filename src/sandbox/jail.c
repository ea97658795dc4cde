/* Entering the jail: namespaces, the jailed process and the one that
 * waits for it, the jail's root (docs/security.md). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/jail.h"
#include "sandbox/seccomp.h"
#include "sandbox/jail_cgroup.h"
#include "sandbox/jail_creds.h"
#include "util/error.h"

static pid_t jailed = -1;
static bool entered; /* this process is the jailed one */

/* Seconds the jailed process has to end after a second SIGTERM (which
 * tells warden to stop at once: docs/shutdown.md) before the starting
 * process kills it. */
#define JAIL_STOP_GRACE_S 5

/* The starting process passes SIGTERM on (SIGINT from the terminal
 * reaches the jailed process itself: it is in the same process group).
 * The jailed process is its PID namespace's init, which no signal of
 * ours can end unless it handles it: one that hangs (stopped, or stuck
 * in a sanitizer's crash report) would keep warden running forever.  So
 * a second SIGTERM also starts a grace period, after which SIGALRM kills
 * the jail. */
static void pass_on(int sig)
{
	static volatile sig_atomic_t terms;

	if (jailed <= 0)
		return;
	if (sig == SIGALRM) {
		kill(jailed, SIGKILL);
		return;
	}
	kill(jailed, sig);
	if (++terms == 2)
		alarm(JAIL_STOP_GRACE_S);
}

static _Noreturn void wait_for_jail(const char *cgroup)
{
	struct sigaction sa = { .sa_handler = pass_on };
	int st = 0;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGINT, SIG_IGN);
	while (waitpid(jailed, &st, 0) < 0 && errno == EINTR)
		;
	alarm(0); /* reaped: its pid may be anyone's now */
	jailed = -1;
	jail_cgroup_remove(cgroup);
	/* _exit: nothing to flush here, and a sanitizer's leak check at exit
	 * could not clone its tracer into the jail's PID namespace, now gone. */
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1);
}

/* mkdir -p for the parents of PATH (inside the jail's tmpfs). */
static int make_parents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		int r;

		*p = 0;
		r = mkdir(path, 0755) < 0 && errno != EEXIST ? fail_errno(ERR_HOST, "jail: mkdir %s", path) : 0;
		*p = '/';
		if (r < 0)
			return -1;
	}
	return 0;
}

/* SRC_FD (opened before the tmpfs hid anything) at ROOT/PATH. */
static int bind_file(const char *root, const struct jail_path *jp, int src_fd)
{
	char target[PATH_MAX * 2], src[64];
	int fd;

	snprintf(target, sizeof(target), "%s%s", root, jp->path);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", src_fd);
	if (make_parents(target) < 0)
		return -1;
	fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno(ERR_HOST, "jail: %s", target);
	close(fd);
	if (mount(src, target, NULL, MS_BIND, NULL) < 0)
		return fail_errno(ERR_HOST, "jail: cannot mount %s in the jail", jp->path);
	if (!jp->writable &&
	    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		return fail_errno(ERR_HOST, "jail: cannot make %s read-only", jp->path);
	return 0;
}

/* A node of the host's character device PATH, for the jail's uid only. */
static int make_device(const char *root, const char *path, uid_t uid, gid_t gid)
{
	char target[PATH_MAX * 2];
	struct stat st;

	snprintf(target, sizeof(target), "%s%s", root, path);
	if (stat(path, &st) < 0)
		return fail_errno(ERR_HOST, "jail: %s", path);
	if (make_parents(target) < 0 || mknod(target, S_IFCHR | 0600, st.st_rdev) < 0 ||
	    chown(target, uid, gid) < 0)
		return fail_errno(ERR_HOST, "jail: cannot make %s in the jail", path);
	return 0;
}

/* ASan builds only: the sanitizer runtime reads /proc/self (its leak
 * check lists the threads, reports read the maps); a proc of the jail's
 * own PID namespace shows only the jail's processes. */
static int sanitizer_proc(const char *root)
{
#if defined(__SANITIZE_ADDRESS__)
	char target[PATH_MAX];

	snprintf(target, sizeof(target), "%s/proc", root);
	if (mkdir(target, 0555) < 0 || mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return fail_errno(ERR_HOST, "jail: cannot mount /proc for the sanitizer");
#else
	(void)root;
#endif
	return 0;
}

/* The jail's root: a tmpfs on DIR with the files and devices, made the
 * process's root; the host's tree is gone from this mount namespace. */
static int build_root(const struct jail_config *j, const int *fds, uid_t uid, gid_t gid)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail_errno(ERR_HOST, "jail: cannot make the mounts private");
	if (mount("warden-jail", j->dir, "tmpfs", MS_NOSUID, "mode=0755,size=1m") < 0)
		return fail_errno(ERR_HOST, "jail: cannot mount a tmpfs on %s", j->dir);
	for (unsigned i = 0; i < j->npaths; i++)
		if (bind_file(j->dir, &j->paths[i], fds[i]) < 0)
			return -1;
	for (unsigned i = 0; i < j->ndevices; i++)
		if (make_device(j->dir, j->devices[i], uid, gid) < 0)
			return -1;
	if (sanitizer_proc(j->dir) < 0)
		return -1;
	if (chdir(j->dir) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		return fail_errno(ERR_HOST, "jail: cannot make %s the root (pivot_root)", j->dir);
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL) < 0)
		return fail_errno(ERR_HOST, "jail: cannot make its root read-only");
	return 0;
}

/* --jail-root: DIR as the orchestrator prepared it becomes the root, with
 * the devices and a /run for the jail's uid (the API socket goes there).
 * It stays writable: the orchestrator adds files from outside while the
 * VM runs (a bind mount shows them). */
static int build_root_as_is(const struct jail_config *j, uid_t uid, gid_t gid)
{
	char run[PATH_MAX];

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail_errno(ERR_HOST, "jail: cannot make the mounts private");
	/* pivot_root needs a mount point. */
	if (mount(j->dir, j->dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail_errno(ERR_HOST, "jail: cannot bind %s on itself", j->dir);
	for (unsigned i = 0; i < j->ndevices; i++) {
		char node[PATH_MAX * 2];

		snprintf(node, sizeof(node), "%s%s", j->dir, j->devices[i]);
		unlink(node); /* a node left by an earlier run of the same id */
		if (make_device(j->dir, j->devices[i], uid, gid) < 0)
			return -1;
	}
	snprintf(run, sizeof(run), "%s/run", j->dir);
	if ((mkdir(run, 0755) < 0 && errno != EEXIST) || chown(run, uid, gid) < 0)
		return fail_errno(ERR_HOST, "jail: cannot make %s for uid %u", run, (unsigned)uid);
	if (sanitizer_proc(j->dir) < 0)
		return -1;
	if (chdir(j->dir) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		return fail_errno(ERR_HOST, "jail: cannot make %s the root (pivot_root)", j->dir);
	return 0;
}

/* --jail-netns-path: the network namespace the orchestrator made. */
static int join_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail_errno(ERR_USAGE, "--jail-netns-path %s", path);
	if (setns(fd, CLONE_NEWNET) < 0) {
		close(fd);
		return fail_errno(ERR_HOST, "--jail-netns-path %s: cannot join it (setns)", path);
	}
	close(fd);
	return 0;
}

/* Every file, opened now: one inside DIR would be hidden by the tmpfs. */
static int open_paths(const struct jail_config *j, int *fds)
{
	for (unsigned i = 0; i < j->npaths; i++) {
		fds[i] = open(j->paths[i].path, O_PATH | O_CLOEXEC);
		if (fds[i] < 0)
			return fail_errno(ERR_USAGE, "%s", j->paths[i].path);
	}
	return 0;
}

static void close_paths(const struct jail_config *j, int *fds)
{
	for (unsigned i = 0; i < j->npaths; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int enter_child(const struct jail_config *j, const char *cgroup, int *fds)
{
	uid_t uid = (uid_t)j->uid;
	gid_t gid = (gid_t)(j->gid < 0 ? j->uid : j->gid);

	/* The jail ends with the process that waits for it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* In the new mount namespace: a bind mount takes only its own mounts. */
	if (jail_cgroup_join(cgroup) < 0)
		return -1;
	if (j->as_root ? build_root_as_is(j, uid, gid) < 0
		       : open_paths(j, fds) < 0 || build_root(j, fds, uid, gid) < 0)
		return -1;
	entered = true;
	close_paths(j, fds);
	return jail_drop(j, uid, gid);
}

int jail_enter(struct jail_config *j)
{
	char cgroup[256] = "";
	int fds[JAIL_MAX_PATHS];
	int flags = CLONE_NEWNS | CLONE_NEWPID | (j->netns ? CLONE_NEWNET : 0);

	if (!j->dir || entered)
		return 0;
	/* unshare(CLONE_NEWNS) refuses a process with threads, and a fork
	 * would not take the filters' builder along. */
	if (seccomp_wait() < 0)
		return -1;
	memset(fds, -1, sizeof(fds));
	if (j->netns_path && join_netns(j->netns_path) < 0)
		return -1;
	if (jail_cgroup_create(j, cgroup, sizeof(cgroup)) < 0)
		goto bad;
	if (unshare(flags) < 0) {
		fail_errno(ERR_HOST, "jail: cannot create its namespaces (unshare)");
		goto bad;
	}
	/* The new PID namespace is for the children: the jailed process is
	 * its process 1, this one waits for it. */
	jailed = fork();
	if (jailed < 0) {
		fail_errno(ERR_HOST, "jail: fork");
		goto bad;
	}
	if (jailed > 0)
		wait_for_jail(cgroup);
	return enter_child(j, cgroup, fds);
bad:
	close_paths(j, fds);
	jail_cgroup_remove(cgroup);
	return -1;
}
