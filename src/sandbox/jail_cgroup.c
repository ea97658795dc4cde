/* The jail's cgroup v2 group: a child of the hierarchy's root, with the
 * memory and cpu controllers enabled for it, memory.max and cpu.max set
 * from --jail-mem and --jail-cpus. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sandbox/jail_cgroup.h"
#include "util/error.h"
#include "util/log.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
/* cpu.max's period, microseconds (the kernel's default). */
#define CPU_PERIOD_US 100000

static int write_file(const char *dir, const char *file, const char *value)
{
	char path[512];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno(ERR_HOST, "cgroup: %s", path);
	if (write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		r = fail_errno(ERR_HOST, "cgroup: writing '%s' to %s", value, path);
	close(fd);
	return r;
}

/* Is WORD one of the words of the root's cgroup.controllers? */
static bool has_controller(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static int read_controllers(char *buf, size_t len)
{
	FILE *f = fopen(CGROUP_ROOT "/cgroup.controllers", "re");
	bool ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		buf[0] = 0;
	return 0;
}

int jail_cgroup_check(bool memory, bool cpu)
{
	char list[512];
	const char *opt = memory ? "--jail-mem" : "--jail-cpus";

	if (read_controllers(list, sizeof(list)) < 0)
		return fail(ERR_USAGE, "%s needs cgroup v2, and this host has none (no %s/cgroup.controllers)",
			    opt, CGROUP_ROOT);
	if (memory && !has_controller(list, "memory"))
		return fail(ERR_USAGE, "--jail-mem: this host's cgroup v2 has no memory controller");
	if (cpu && !has_controller(list, "cpu"))
		return fail(ERR_USAGE, "--jail-cpus: this host's cgroup v2 has no cpu controller");
	return 0;
}

static int set_limits(const struct jail_config *j, const char *path)
{
	char v[64];

	if (j->mem_mib) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)j->mem_mib << 20);
		if (write_file(path, "memory.max", v) < 0)
			return -1;
	}
	if (j->cpus > 0) {
		snprintf(v, sizeof(v), "%lld %d", (long long)(j->cpus * CPU_PERIOD_US), CPU_PERIOD_US);
		if (write_file(path, "cpu.max", v) < 0)
			return -1;
	}
	return 0;
}

/* The hierarchy's root, held by the process that waits for the jail: the
 * jailed child's pivot_root moves the root of every process in their
 * shared mount namespace, the waiting one's too, so by the end
 * CGROUP_ROOT's path names nothing there.  The child closes it (it must
 * hold nothing outside its root). */
static int root_fd = -1;

int jail_cgroup_create(const struct jail_config *j, char *path, size_t len)
{
	char list[512];

	path[0] = 0;
	if (read_controllers(list, sizeof(list)) < 0)
		return 0; /* no cgroup v2: jail_check refused limits already */
	if (root_fd < 0 && (root_fd = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return fail_errno(ERR_HOST, "cgroup: %s", CGROUP_ROOT);
	/* The controllers the limits need, for the root's children. */
	if ((j->mem_mib && write_file(CGROUP_ROOT, "cgroup.subtree_control", "+memory") < 0) ||
	    (j->cpus > 0 && write_file(CGROUP_ROOT, "cgroup.subtree_control", "+cpu") < 0))
		return -1;
	snprintf(path, len, "%s/warden-%ld", CGROUP_ROOT, (long)getpid());
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fail_errno(ERR_HOST, "cgroup: cannot create %s", path);
		path[0] = 0;
		return -1;
	}
	if (set_limits(j, path) < 0) {
		jail_cgroup_remove(path);
		path[0] = 0;
		return -1;
	}
	return 0;
}

int jail_cgroup_join(const char *path)
{
	int r;

	/* "0": the writing process, whatever its PID namespace calls it. */
	r = path[0] ? write_file(path, "cgroup.procs", "0") : 0;
	if (root_fd >= 0)
		close(root_fd);
	root_fd = -1;
	return r;
}

/* Remove the group once its processes are gone (the waiting process, by
 * the root it opened: its own root is the jail's by now). */
void jail_cgroup_remove(const char *path)
{
	const char *name = strrchr(path, '/');

	if (!path[0] || !name || root_fd < 0)
		return;
	if (unlinkat(root_fd, name + 1, AT_REMOVEDIR) < 0)
		log_warn("jail: cannot remove the cgroup %s: %s", path, strerror(errno));
}
