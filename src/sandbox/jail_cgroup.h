/* The jail's cgroup v2 group (jail_cgroup.c). */
#ifndef WARDEN_SANDBOX_JAIL_CGROUP_H
#define WARDEN_SANDBOX_JAIL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/jail.h"

/* Does the host have cgroup v2 with the controllers the limits need?
 * -1 with fail(ERR_USAGE) naming what is missing. */
int jail_cgroup_check(bool memory, bool cpu);
/* Where the host has cgroup v2: a new group with J's limits, its path in
 * PATH (empty without cgroup v2). -1 with fail(ERR_HOST). */
int jail_cgroup_create(const struct jail_config *j, char *path, size_t len);
/* Move the calling process into the group. */
int jail_cgroup_join(const char *path);
/* Remove the group once its processes are gone. */
void jail_cgroup_remove(const char *path);

#endif
