/* The jailed process's rlimits, uid/gid and capabilities. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/jail_creds.h"
#include "util/error.h"

/* --jail-nofile's default: warden's own descriptors (KVM, eventfds, disks)
 * with room to spare. */
#define DEFAULT_NOFILE 1024

static int set_limits(const struct jail_config *j)
{
	struct rlimit nofile = { j->nofile ? j->nofile : DEFAULT_NOFILE, j->nofile ? j->nofile : DEFAULT_NOFILE };
	struct rlimit fsize = { j->fsize_mib << 20, j->fsize_mib << 20 };

	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return fail_errno(ERR_HOST, "jail: setrlimit(RLIMIT_NOFILE, %llu)", (unsigned long long)nofile.rlim_cur);
	if (j->fsize_mib && setrlimit(RLIMIT_FSIZE, &fsize) < 0)
		return fail_errno(ERR_HOST, "jail: setrlimit(RLIMIT_FSIZE, %llu MiB)", (unsigned long long)j->fsize_mib);
	return 0;
}

/* Empty the bounding set (while root may still do it) and the ambient set. */
static int drop_bounding(void)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return fail_errno(ERR_HOST, "jail: cannot drop capability %d from the bounding set", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail_errno(ERR_HOST, "jail: cannot clear the ambient capabilities");
	return 0;
}

/* After setresuid to a non-zero uid the kernel clears the permitted and
 * effective sets; say so explicitly, and check. */
static int clear_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (syscall(SYS_capset, &h, d) < 0 || syscall(SYS_capget, &h, d) < 0)
		return fail_errno(ERR_HOST, "jail: capset");
	if (d[0].effective | d[0].permitted | d[0].inheritable | d[1].effective | d[1].permitted | d[1].inheritable)
		return fail(ERR_HOST, "jail: capabilities left after dropping them");
	return 0;
}

int jail_drop(const struct jail_config *j, uid_t uid, gid_t gid)
{
	if (set_limits(j) < 0 || drop_bounding() < 0)
		return -1;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return fail_errno(ERR_HOST, "jail: cannot become uid %u gid %u", (unsigned)uid, (unsigned)gid);
	if (clear_caps() < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail_errno(ERR_HOST, "jail: no_new_privs");
	return 0;
}
