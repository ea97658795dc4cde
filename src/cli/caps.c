#include "cli/caps.h"

#include <stdio.h>

int caps_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "warden: caps: not implemented yet\n");
	return 1;
}
