/* warden under Firecracker's names (docs/api.md, "Kata's Firecracker
 * driver"): orchestrators that run `firecracker` and `jailer` binaries
 * (Kata's configuration-fc.toml `path` and `jailer_path`) get warden through
 * symbolic links with those names. */
#ifndef WARDEN_CLI_FC_NAMES_H
#define WARDEN_CLI_FC_NAMES_H

#include <stdio.h>

/* The version Firecracker's clients see under the name `firecracker`:
 * the Firecracker API warden's endpoints follow (its 1.x specification;
 * docs/api.md lists what is supported and what is refused).  Kata's driver
 * refuses anything below 0.21.1; warden's own version stays its own. */
#define FC_COMPAT_VERSION "1.0.0"

enum fc_names_result {
	FC_NAMES_NONE,    /* not called by a Firecracker name: argv unchanged */
	FC_NAMES_DONE,    /* answered (--version): exit 0 */
	FC_NAMES_REWROTE, /* *argv now reads as `warden run ...` or `warden jailer ...` */
};

/* Looks at argv[0]'s last path component: `firecracker ARGS` becomes
 * `warden run ARGS` (its --version prints Firecracker's line format first),
 * `jailer ARGS` becomes `warden jailer ARGS`.  The rewritten vector is
 * `buf` (argc + 2 entries, caller-provided), its strings argv's own. */
enum fc_names_result fc_names(int *argc, char ***argv, char **buf, FILE *out);

#endif
