/* The jailed process's limits and identity (jail_creds.c). */
#ifndef WARDEN_SANDBOX_JAIL_CREDS_H
#define WARDEN_SANDBOX_JAIL_CREDS_H

#include <sys/types.h>

#include "sandbox/jail.h"

/* rlimits, then UID/GID with no supplementary groups, no capabilities
 * (none left to gain back: bounding and ambient sets emptied) and
 * no_new_privs. -1 with fail(ERR_HOST). */
int jail_drop(const struct jail_config *j, uid_t uid, gid_t gid);

#endif
