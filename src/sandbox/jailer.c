/* `warden jailer` (docs/security.md, "Firecracker's jailer"): the jailer's
 * options mapped onto `warden run --jail DIR --jail-root`.  The jailer
 * itself copies the Firecracker binary into the jail and execs it there;
 * warden needs no copy of itself in the jail: it sets the jail up from
 * outside and goes on inside (src/sandbox/jail.c). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/jailer.h"
#include "util/error.h"

#define JAILER_DEFAULT_BASE "/srv/jailer"
#define JAILER_API_SOCK "/run/firecracker.socket"
#define JAILER_MAX_ID 64

struct jailer_opts {
	const char *id, *exec_file, *uid, *gid, *base, *netns;
	bool daemonize;
};

static const struct option jailer_options[] = {
	{ "id", required_argument, NULL, 'i' },
	{ "exec-file", required_argument, NULL, 'e' },
	{ "uid", required_argument, NULL, 'u' },
	{ "gid", required_argument, NULL, 'g' },
	{ "chroot-base-dir", required_argument, NULL, 'c' },
	{ "netns", required_argument, NULL, 'n' },
	{ "daemonize", no_argument, NULL, 'd' },
	{ "node", required_argument, NULL, 'N' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fputs("usage: warden jailer --id ID --exec-file PATH --uid UID --gid GID\n"
	      "                     [--chroot-base-dir DIR] [--netns PATH] [--daemonize] [--node 0]\n"
	      "                     [-- warden run options]\n"
	      "Firecracker's jailer command line: the VM runs jailed (warden run --jail\n"
	      "DIR --jail-root) with DIR = <chroot-base-dir>/<exec-file's name>/<id>/root\n"
	      "(default base " JAILER_DEFAULT_BASE "), as uid/gid, the API socket at\n"
	      JAILER_API_SOCK " inside it unless the options after -- name one.\n",
	      out);
}

int jailer_check_id(const char *id, const char *prefix)
{
	size_t n = strlen(id);

	if (n == 0 || n > JAILER_MAX_ID)
		return fail(ERR_USAGE, "%s--id must be 1 to %d characters", prefix, JAILER_MAX_ID);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '-')
			return fail(ERR_USAGE, "%s--id may hold only letters, digits and '-'", prefix);
	return 0;
}

static int parse(int argc, char **argv, struct jailer_opts *o)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", jailer_options, NULL)) != -1) {
		switch (c) {
		case 'i': o->id = optarg; break;
		case 'e': o->exec_file = optarg; break;
		case 'u': o->uid = optarg; break;
		case 'g': o->gid = optarg; break;
		case 'c': o->base = optarg; break;
		case 'n': o->netns = optarg; break;
		case 'd': o->daemonize = true; break;
		case 'N':
			/* One NUMA node is all this jailer knows. */
			if (strcmp(optarg, "0") != 0)
				return fail(ERR_USAGE, "jailer: --node %s: only node 0 is supported", optarg);
			break;
		case 'h': usage(stdout); exit(0);
		default:
			return fail(ERR_USAGE, "jailer: unknown or incomplete option '%s' (warden jailer --help)",
				    argv[optind - 1]);
		}
	}
	if (!o->id || !o->exec_file || !o->uid || !o->gid)
		return fail(ERR_USAGE, "jailer: --id, --exec-file, --uid and --gid are required");
	if (jailer_check_id(o->id, "jailer: ") < 0)
		return -1;
	if (access(o->exec_file, X_OK) < 0)
		return fail_errno(ERR_USAGE, "jailer: --exec-file %s", o->exec_file);
	return 0;
}

/* mkdir -p PATH (mode 0755). */
static int make_dirs(const char *path)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return fail(ERR_USAGE, "jailer: %s: path too long", path);
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return fail_errno(ERR_HOST, "jailer: mkdir %s", p);
		if (!s)
			return 0;
		*s = '/';
	}
}

/* Does the run's part of the command line say where the API is? */
static bool names_api(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--api-sock") == 0 || strncmp(argv[i], "--api-sock=", 11) == 0 ||
		    strcmp(argv[i], "--config-file") == 0 || strncmp(argv[i], "--config-file=", 14) == 0 ||
		    strcmp(argv[i], "--no-api") == 0)
			return true;
	return false;
}

static void daemonize(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	setsid();
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
}

int jailer_main(int argc, char **argv)
{
	struct jailer_opts o = { .base = JAILER_DEFAULT_BASE };
	char root[PATH_MAX], *name;
	char **args;
	int n = 0, rest;

	if (parse(argc, argv, &o) < 0)
		goto fail;
	rest = argc - optind;
	name = strrchr(o.exec_file, '/');
	name = name ? name + 1 : (char *)o.exec_file;
	if (snprintf(root, sizeof(root), "%s/%s/%s/root", o.base, name, o.id) >= (int)sizeof(root)) {
		fail(ERR_USAGE, "jailer: the jail's path is too long");
		goto fail;
	}
	if (make_dirs(root) < 0)
		goto fail;
	args = calloc((size_t)rest + 20, sizeof(*args));
	if (!args) {
		fail(ERR_HOST, "out of memory");
		goto fail;
	}
	args[n++] = "warden";
	args[n++] = "run";
	args[n++] = "--jail";
	args[n++] = root;
	args[n++] = "--jail-root";
	args[n++] = "--jail-uid";
	args[n++] = (char *)o.uid;
	args[n++] = "--jail-gid";
	args[n++] = (char *)o.gid;
	if (o.netns) {
		args[n++] = "--jail-netns-path";
		args[n++] = (char *)o.netns;
	}
	/* Firecracker's jailer hands its --id on to the VMM. */
	args[n++] = "--id";
	args[n++] = (char *)o.id;
	if (!names_api(rest, argv + optind)) {
		args[n++] = "--api-sock";
		args[n++] = JAILER_API_SOCK;
	}
	for (int i = 0; i < rest; i++)
		args[n++] = argv[optind + i];
	args[n] = NULL;
	if (o.daemonize)
		daemonize();
	execv("/proc/self/exe", args);
	fail_errno(ERR_HOST, "jailer: cannot start warden run (execv /proc/self/exe)");
	free(args);
fail:
	fprintf(stderr, "warden: %s\n", err_msg());
	return err_class() == ERR_USAGE ? 2 : 1;
}
