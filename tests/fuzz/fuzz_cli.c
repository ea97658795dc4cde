/* The command line (src/cli/cli.c): `warden run` options and their
 * values (sizes, counts, paths, --disk and --net specs, formats).  The
 * input is the argument vector: its bytes split at NUL into arguments
 * after "warden" (tests/fuzz/cli.dict lists the option names).  A refused
 * command line must be a user error, one line; --help and --version go to
 * /dev/null. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "util/error.h"
#include "fuzz.h"

#define ARGS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	char *text = malloc(size + 1), *argv[ARGS_MAX + 2];
	struct cli_options o;
	int argc = 0, r;

	if (!out)
		out = fopen("/dev/null", "w");
	if (!text || !out)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	argv[argc++] = "warden";
	for (char *p = text; p <= text + size && argc <= ARGS_MAX; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	memset(&o, 0, sizeof(o));
	err_clear();
	/* A host with 1 GiB bounds --mem as warden's main would. */
	r = cli_parse(argc, argv, &o, out, 1024);
	if (r < 0 && (err_class() != ERR_USAGE || !err_msg()[0] || strchr(err_msg(), '\n')))
		__builtin_trap();
	free(text);
	return 0;
}
