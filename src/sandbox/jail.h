/* The jail (`warden run --jail DIR --jail-uid UID ...`, docs/security.md):
 * warden sets up the VM's host side inside a new mount namespace whose
 * root is an empty tmpfs on DIR holding only what the VM opens (disk
 * images, output files, /dev/kvm, /dev/net/tun), a new PID namespace
 * (warden is its process 1; the process that started it waits and passes
 * its status on), optionally a new network namespace, an unprivileged
 * uid/gid with every capability dropped and no_new_privs, rlimits, and,
 * where the host has cgroup v2, a group of its own with memory and CPU
 * limits. */
#ifndef WARDEN_SANDBOX_JAIL_H
#define WARDEN_SANDBOX_JAIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define JAIL_MAX_PATHS 24
#define JAIL_MAX_DEVICES 4

struct jail_path {
	const char *path; /* absolute, the same inside the jail */
	bool writable;
};

struct jail_config {
	const char *dir;     /* --jail DIR: NULL, no jail */
	long uid, gid;       /* --jail-uid, --jail-gid (-1: not given; gid defaults to uid) */
	bool options_given;  /* any --jail-* (they need --jail) */
	bool netns;          /* --jail-netns */
	/* --jail-root: DIR is the jail's root as it stands, prepared by an
	 * orchestrator (Firecracker's jailer layout, `warden jailer`): every
	 * path the VM is given (the API's included) is inside it; warden adds
	 * /dev/kvm, /dev/net/tun and /run (for the API socket). */
	bool as_root;
	const char *netns_path; /* --jail-netns-path PATH: join that network namespace */
	uint64_t nofile;     /* --jail-nofile N (0: 1024) */
	uint64_t fsize_mib;  /* --jail-fsize MiB (0: no limit) */
	uint64_t mem_mib;    /* --jail-mem MiB: cgroup memory.max (0: none) */
	double cpus;         /* --jail-cpus N: cgroup cpu.max (0: none) */
	/* What the VM opens once jailed (jail_add_*). */
	struct jail_path paths[JAIL_MAX_PATHS];
	unsigned npaths;
	const char *devices[JAIL_MAX_DEVICES]; /* /dev/kvm, /dev/net/tun */
	unsigned ndevices;
};

void jail_config_init(struct jail_config *j);
/* A --jail-* option NAME (without the dashes) with VALUE; -1 with fail(ERR_USAGE). */
int jail_parse_option(struct jail_config *j, const char *name, const char *value);
/* The checks that need no host change: -1 with fail(ERR_USAGE) naming the problem. */
int jail_check(const struct jail_config *j);
/* A file the jailed VM opens: its absolute path, which the jail mounts it
 * at (PATH itself without a jail; NULL with fail()). An OUTPUT file is
 * created now, owned by the jail's uid, when missing. */
const char *jail_add_path(struct jail_config *j, const char *path, bool writable, bool output);
/* A character device the jail gets a node of, owned by its uid. */
int jail_add_device(struct jail_config *j, const char *path);

/* Enter the jail (once: a second call does nothing). Returns 0 in the jailed process (warden goes on setting
 * up the VM there); in the process that started it, it waits for the
 * jailed one and exits with its status. -1 with fail() before anything
 * changed on the host, or on a host failure. */
int jail_enter(struct jail_config *j);

#endif
