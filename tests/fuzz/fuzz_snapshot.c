/* The snapshot state file (src/snapshot/state_file.c, snapshot.c's
 * machine section): the input is a state file, its CRC-32 made right
 * first (a fuzzer would almost never guess it, and the parser behind it
 * is what must hold), read from a memfd as --restore reads DIR/state.  A
 * refused file must be a user error; an accepted one has every section
 * inside it and a machine whose arguments are NUL-terminated strings
 * inside the file. */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "snapshot/snapshot.h"
#include "snapshot/state_file.h"
#include "util/crc32.h"
#include "util/error.h"

static void fix_crc(uint8_t *b, size_t n)
{
	uint32_t crc;

	if (n < sizeof(struct snap_header) + sizeof(struct snap_trailer))
		return;
	crc = crc32_update(0, b, n - sizeof(struct snap_trailer));
	memcpy(b + n - sizeof(struct snap_trailer), &crc, sizeof(crc));
}

static volatile uint8_t fz_sink;

/* Every section a restore looks for, each byte of each read. */
static void walk(const struct snapshot *s)
{
	uint8_t sum = 0;

	for (uint32_t t = 0; t < 80; t++)
		for (uint32_t i = 0; i < 4; i++) {
			size_t len;
			const uint8_t *p = snap_find(&s->r, t, i, &len);

			for (size_t k = 0; p && k < len; k++)
				sum += p[k];
		}
	for (int i = 0; i < s->argc; i++)
		sum += (uint8_t)strlen(s->argv[i]);
	if (s->argv[s->argc] != NULL)
		__builtin_trap();
	fz_sink = sum; /* the reads are the point: ASan checks each */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	uint8_t *b = malloc(size ? size : 1);
	struct snapshot s;
	int r;

	if (fd < 0)
		fd = memfd_create("fuzz-state", 0);
	if (!b || fd < 0)
		abort();
	memcpy(b, data, size);
	fix_crc(b, size);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, b, size, 0) != (ssize_t)size)
		abort();
	free(b);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err_clear();
	r = snapshot_open(&s, path, "/nonexistent");
	if (r < 0 && err_class() != ERR_USAGE)
		__builtin_trap();
	if (r == 0) {
		walk(&s);
		snapshot_close(&s);
	}
	return 0;
}
