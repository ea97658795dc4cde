#include "report/report.h"

#include <stdio.h>

int report_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "warden: report: not implemented yet\n");
	return 1;
}
