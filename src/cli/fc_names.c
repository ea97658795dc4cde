/* warden under Firecracker's names: a multi-call binary, as busybox is.
 *
 * Kata's Firecracker driver runs `<path> --version`, takes the first
 * line's second word without a leading `v` as a semantic version and
 * refuses anything below 0.21.1; then it runs `<path> --api-sock S
 * --config-file F`, or `<jailer_path> --id ... -- --config-file F`.
 * Neither command line names a subcommand, so warden reads the name it
 * was started under. */
#include "cli/fc_names.h"

#include <string.h>

#include "util/version.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* *argv with `sub` put in after argv[0] (which becomes "warden"). */
static void insert_sub(int *argc, char ***argv, char **buf, const char *sub)
{
	int n = 0;

	buf[n++] = "warden";
	buf[n++] = (char *)sub;
	for (int i = 1; i < *argc; i++)
		buf[n++] = (*argv)[i];
	buf[n] = NULL;
	*argc = n;
	*argv = buf;
}

enum fc_names_result fc_names(int *argc, char ***argv, char **buf, FILE *out)
{
	const char *name;

	if (*argc < 1 || !(*argv)[0])
		return FC_NAMES_NONE;
	name = base_name((*argv)[0]);
	if (strcmp(name, "jailer") == 0) {
		insert_sub(argc, argv, buf, "jailer");
		return FC_NAMES_REWROTE;
	}
	if (strcmp(name, "firecracker") != 0)
		return FC_NAMES_NONE;
	if (*argc == 2 && strcmp((*argv)[1], "--version") == 0) {
		/* Firecracker's own layout: the version line, a blank line,
		 * then more; Kata reads only the first line. */
		fprintf(out, "Firecracker v%s\n\nwarden %s, serving Firecracker's API (docs/api.md)\n",
			FC_COMPAT_VERSION, WARDEN_VERSION);
		return FC_NAMES_DONE;
	}
	insert_sub(argc, argv, buf, "run");
	return FC_NAMES_REWROTE;
}
