/* The jail's options and the checks that need no change on the host:
 * every bad set-up is one line and status 2 before anything happens. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/jail.h"
#include "sandbox/jail_cgroup.h"
#include "util/error.h"

/* The absolute paths of what the jail holds (jail_add_path's answers). */
static char abs_paths[JAIL_MAX_PATHS][PATH_MAX];

void jail_config_init(struct jail_config *j)
{
	memset(j, 0, sizeof(*j));
	j->uid = j->gid = -1;
}

static int parse_u64(const char *name, const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || x > max)
		return fail(ERR_USAGE, "--%s needs a whole number up to %llu, not '%s'", name,
			    (unsigned long long)max, s);
	*v = x;
	return 0;
}

int jail_parse_option(struct jail_config *j, const char *name, const char *value)
{
	uint64_t v = 0;
	char *end;

	j->options_given = true;
	if (strcmp(name, "jail-netns") == 0) {
		j->netns = true;
		return 0;
	}
	if (strcmp(name, "jail-root") == 0) {
		j->as_root = true;
		return 0;
	}
	if (strcmp(name, "jail-netns-path") == 0) {
		j->netns_path = value;
		return 0;
	}
	if (strcmp(name, "jail-cpus") == 0) {
		j->cpus = strtod(value, &end);
		if (end == value || *end || !(j->cpus >= 0.01 && j->cpus <= 4096))
			return fail(ERR_USAGE, "--jail-cpus needs a number of CPUs from 0.01 to 4096, not '%s'", value);
		return 0;
	}
	if (parse_u64(name, value, strcmp(name, "jail-uid") && strcmp(name, "jail-gid") ? UINT32_MAX : 0x7fffffff, &v) < 0)
		return -1;
	if (strcmp(name, "jail-uid") == 0)
		j->uid = (long)v;
	else if (strcmp(name, "jail-gid") == 0)
		j->gid = (long)v;
	else if (strcmp(name, "jail-nofile") == 0)
		j->nofile = v;
	else if (strcmp(name, "jail-fsize") == 0)
		j->fsize_mib = v;
	else if (strcmp(name, "jail-mem") == 0)
		j->mem_mib = v;
	else
		return fail(ERR_USAGE, "unknown option '--%s'", name);
	return 0;
}

int jail_check(const struct jail_config *j)
{
	struct stat st;

	if (!j->dir)
		return j->options_given ? fail(ERR_USAGE, "--jail-* options need --jail DIR") : 0;
	if (stat(j->dir, &st) < 0)
		return fail_errno(ERR_USAGE, "--jail %s", j->dir);
	if (!S_ISDIR(st.st_mode))
		return fail(ERR_USAGE, "--jail %s: not a directory", j->dir);
	if (j->uid < 0)
		return fail(ERR_USAGE, "--jail needs --jail-uid UID: the unprivileged user the VM runs as");
	if (geteuid() != 0)
		return fail(ERR_USAGE, "--jail needs root: it makes namespaces, mounts and device nodes, then drops to --jail-uid");
	if (j->uid == 0 || j->gid == 0)
		return fail(ERR_USAGE, "--jail-%s 0: the jail drops root's privileges; give an unprivileged %s",
			    j->uid == 0 ? "uid" : "gid", j->uid == 0 ? "uid" : "gid");
	if (j->netns && j->netns_path)
		return fail(ERR_USAGE, "--jail-netns and --jail-netns-path: a new network namespace or an existing one, not both");
	if (j->netns_path && stat(j->netns_path, &st) < 0)
		return fail_errno(ERR_USAGE, "--jail-netns-path %s", j->netns_path);
	if ((j->mem_mib || j->cpus > 0) && jail_cgroup_check(j->mem_mib > 0, j->cpus > 0) < 0)
		return -1;
	return 0;
}

/* An output file the jailed uid writes: created now (and given to that
 * uid) when missing; an existing file keeps its owner. */
static int create_output(const struct jail_config *j, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno == EEXIST ? 0 : fail_errno(ERR_USAGE, "%s", path);
	if (fchown(fd, (uid_t)j->uid, (gid_t)(j->gid < 0 ? j->uid : j->gid)) < 0) {
		close(fd);
		return fail_errno(ERR_HOST, "%s: cannot give it to the jail's uid", path);
	}
	close(fd);
	return 0;
}

const char *jail_add_path(struct jail_config *j, const char *path, bool writable, bool output)
{
	char *abs;

	if (!j->dir || !path)
		return path;
	if (j->npaths == JAIL_MAX_PATHS)
		return fail(ERR_USAGE, "--jail: more than %d files to put in the jail", JAIL_MAX_PATHS), NULL;
	if (output && create_output(j, path) < 0)
		return NULL;
	/* Absolute, but symlinks kept: a disk's default serial is the
	 * basename the user gave. */
	abs = abs_paths[j->npaths];
	if (path[0] != '/' && !getcwd(abs, PATH_MAX))
		return fail_errno(ERR_HOST, "getcwd"), NULL;
	if (path[0] == '/')
		abs[0] = 0;
	if (strlen(abs) + 1 + strlen(path) >= PATH_MAX)
		return fail(ERR_USAGE, "%s: path too long", path), NULL;
	if (path[0] != '/')
		strcat(abs, "/");
	strcat(abs, path);
	if (access(abs, F_OK) < 0)
		return fail_errno(ERR_USAGE, "%s", path), NULL;
	j->paths[j->npaths++] = (struct jail_path){ .path = abs, .writable = writable };
	return abs;
}

int jail_add_device(struct jail_config *j, const char *path)
{
	struct stat st;

	if (!j->dir)
		return 0;
	if (j->ndevices == JAIL_MAX_DEVICES)
		return fail(ERR_USAGE, "--jail: more than %d devices", JAIL_MAX_DEVICES);
	if (stat(path, &st) < 0)
		return fail_errno(ERR_USAGE, "--jail: %s", path);
	if (!S_ISCHR(st.st_mode))
		return fail(ERR_USAGE, "--jail: %s is not a character device", path);
	j->devices[j->ndevices++] = path;
	return 0;
}
