/* Reading parts of a file with several threads (src/util/pread_parallel.c). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "unit.h"
#include "util/pread_parallel.h"

#define MIB (1u << 20)
#define FILE_LEN (21 * MIB + 123) /* not a whole number of 2 MiB chunks */

/* A temporary file whose byte I is a function of I; its descriptor. */
static int make_file(uint64_t len)
{
	char path[] = "/tmp/warden-pread-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *b = malloc(len);

	assert_true(fd >= 0);
	assert_non_null(b);
	unlink(path);
	for (uint64_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + (i >> 12));
	assert_int_equal(pwrite(fd, b, len, 0), (ssize_t)len);
	free(b);
	return fd;
}

static uint8_t expect(uint64_t off) { return (uint8_t)(off * 7 + (off >> 12)); }

static void check_part(const struct pread_part *p)
{
	for (uint64_t i = 0; i < p->len; i++)
		if (p->dst[i] != expect(p->off + i))
			fail_msg("byte %llu of the part at file offset %llu is wrong",
				 (unsigned long long)i, (unsigned long long)p->off);
}

/* Three parts of different sizes (one smaller than a chunk, one not a
 * whole number of chunks, one empty), with 1 to 4 threads: every byte
 * lands where it belongs and nothing around the parts is touched. */
static void test_parts_any_threads(void **state)
{
	(void)state;
	int fd = make_file(FILE_LEN);

	for (unsigned t = 1; t <= PREAD_PARALLEL_MAX_THREADS + 1; t++) {
		uint8_t *buf = malloc(FILE_LEN + 64);
		struct pread_part parts[4];

		assert_non_null(buf);
		memset(buf, 0xee, FILE_LEN + 64);
		parts[0] = (struct pread_part){ .dst = buf + 8, .off = 5 * MIB + 3, .len = 13 * MIB + 100 };
		parts[1] = (struct pread_part){ .dst = buf + 8 + 13 * MIB + 100 + 8, .off = 17, .len = 4000 };
		parts[2] = (struct pread_part){ .dst = buf + 20 * MIB, .off = 0, .len = 0 };
		parts[3] = (struct pread_part){ .dst = buf + 14 * MIB, .off = FILE_LEN - 3 * MIB, .len = 3 * MIB };
		assert_int_equal(pread_parallel(fd, parts, 4, t), 0);
		for (unsigned i = 0; i < 4; i++)
			check_part(&parts[i]);
		for (unsigned i = 0; i < 8; i++)
			assert_int_equal(buf[i], 0xee);
		assert_int_equal(buf[8 + 13 * MIB + 100], 0xee);
		assert_int_equal(buf[14 * MIB + 3 * MIB], 0xee);
		free(buf);
	}
	close(fd);
}

/* A part reaching past the end of the file: -2, whatever the threads. */
static void test_short_file(void **state)
{
	(void)state;
	int fd = make_file(FILE_LEN);
	uint8_t *buf = malloc(16 * MIB);
	struct pread_part part = { .dst = buf, .off = FILE_LEN - 10 * MIB, .len = 16 * MIB };

	assert_non_null(buf);
	for (unsigned t = 1; t <= PREAD_PARALLEL_MAX_THREADS; t++)
		assert_int_equal(pread_parallel(fd, &part, 1, t), -2);
	free(buf);
	close(fd);
}

/* A read error: -1 with the read's errno. */
static void test_read_error(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct pread_part part = { .dst = buf, .off = 0, .len = sizeof(buf) };
	int fd = make_file(1024);

	close(fd); /* now a bad descriptor */
	errno = 0;
	assert_int_equal(pread_parallel(fd, &part, 1, 2), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(pread_full(fd, buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EBADF);
}

static void test_threads_for_host(void **state)
{
	(void)state;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned t = pread_parallel_threads();

	assert_true(t >= 1 && t <= PREAD_PARALLEL_MAX_THREADS);
	assert_int_equal(t, cpus > PREAD_PARALLEL_MAX_THREADS ? PREAD_PARALLEL_MAX_THREADS : (unsigned)cpus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts_any_threads),
		cmocka_unit_test(test_short_file),
		cmocka_unit_test(test_read_error),
		cmocka_unit_test(test_threads_for_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
