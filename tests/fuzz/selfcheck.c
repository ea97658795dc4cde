/* A fuzz target with a planted bug: it crashes on any input that starts
 * with "crash".  tests/fuzz/run.sh runs it first, over a corpus holding
 * that input and from a seed one byte away, and must count both as
 * failures: the runner's way of failing is checked every time. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 5 && memcmp(data, "crash", 5) == 0)
		__builtin_trap();
	return 0;
}
