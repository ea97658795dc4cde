/* `warden report`'s reader (src/report/input.c) and everything that reads
 * what it parsed to build the page (the sections, plots, tables): the
 * input is the --stats-trace JSONL file, read from a memfd as the file
 * warden report is given, and the page written to /dev/null.  A refused
 * file must be a user error. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "report/html.h"
#include "report/input.h"
#include "util/error.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	struct report_input in;
	char path[64];
	int fd = memfd_create("fuzz-report", MFD_CLOEXEC);

	if (!out)
		out = fopen("/dev/null", "w");
	if (fd < 0 || !out || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err_clear();
	if (input_read(path, &in) == 0) {
		page_write(out, &in);
		input_free(&in);
	} else if (err_class() != ERR_USAGE || !err_msg()[0]) {
		__builtin_trap();
	}
	close(fd);
	return 0;
}
