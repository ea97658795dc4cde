/* The snapshot's memory file (src/snapshot/mem_file.c): it holds guest
 * memory byte for byte, with holes where memory is zero; pages of
 * anonymous guest RAM the host never gave the guest are not read
 * (/proc/self/pagemap), and of RAM mapped from an earlier memory file
 * only those in the file's holes, since an untouched page there holds
 * the file's data. */
#include <fcntl.h>
#include <sys/stat.h>

#include "core/guest_mem.h"
#include "snapshot/mem_file.h"
#include "unit.h"

#define MIB (1024u * 1024u)

static char out[64];

static int setup(void **state)
{
	(void)state;
	snprintf(out, sizeof(out), "/tmp/warden-memfile-test.%d", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(out);
	return 0;
}

/* The file at PATH holds exactly the LEN bytes at P. */
static void assert_file_is(const char *path, const uint8_t *p, size_t len)
{
	uint8_t *buf = malloc(len);
	int fd = open(path, O_RDONLY);
	struct stat st;

	assert_non_null(buf);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, (off_t)len);
	assert_int_equal(pread(fd, buf, len, 0), (ssize_t)len);
	assert_memory_equal(buf, p, len);
	close(fd);
	free(buf);
}

/* 16 MiB of anonymous RAM, touched in two 2 MiB regions only: a written
 * page in each, a page only read and a page written with zeros.  What
 * was never touched is skipped (at least the 12 MiB in other 2 MiB
 * regions, whether or not the kernel gave the touched ones huge pages),
 * and the file is the memory with the two written 64 KiB chunks. */
static void test_anonymous_untouched_skipped(void **state)
{
	struct guest_mem m;
	struct mem_file_counts c;
	volatile uint8_t sink;

	(void)state;
	assert_int_equal(gmem_map(&m, 16 * MIB), 0);
	assert_false(m.from_file);
	memset(m.map + 5 * 4096, 0xa5, 100);
	memset(m.map + 7 * MIB + 3 * 4096, 0x5a, 4096);
	sink = m.map[1 * MIB];		/* read only: the zero page */
	(void)sink;
	memset(m.map + 6 * MIB, 0, 4096);	/* written, but zero */
	assert_int_equal(mem_file_write(&m, out, &c), 0);
	assert_file_is(out, m.map, 16 * MIB);
	assert_int_equal(c.written, 2 * 64 * 1024);
	assert_true(c.skipped >= 12 * MIB);
	assert_int_equal(c.skipped + c.read, 16 * MIB);
	gmem_unmap(&m);
}

/* RAM mapped from a memory file without holes: untouched pages are the
 * file's data, so nothing is skipped and the new file equals the old one. */
static void test_from_file_read_whole(void **state)
{
	static uint8_t img[4 * MIB];
	struct guest_mem m;
	struct mem_file_counts c;
	char *src;

	(void)state;
	memset(img, 0, sizeof(img));
	for (unsigned i = 0; i < 4; i++)
		memset(img + i * MIB + 8192, 0x30 + i, 4096);
	src = u_write_temp(img, sizeof(img));
	assert_int_equal(gmem_map_file(&m, sizeof(img), src), 0);
	assert_true(m.from_file);
	m.map[2 * MIB + 8192] = 0x77;	/* one private copy */
	img[2 * MIB + 8192] = 0x77;
	assert_int_equal(mem_file_write(&m, out, &c), 0);
	assert_file_is(out, img, sizeof(img));
	assert_int_equal(c.skipped, 0);
	assert_int_equal(c.read, sizeof(img));
	assert_int_equal(c.written, 4 * 64 * 1024);
	gmem_unmap(&m);
	unlink(src);
}

/* RAM mapped from a sparse memory file: what is a hole there and was not
 * touched is skipped; the file's data and a page the guest wrote into a
 * hole (a private copy) are read.  Skipped only where /tmp reports holes. */
static void test_from_file_holes_skipped(void **state)
{
	static uint8_t img[4 * MIB];
	char src[64];
	struct guest_mem m;
	struct mem_file_counts c;
	bool holes;
	int fd;

	(void)state;
	memset(img, 0, sizeof(img));
	snprintf(src, sizeof(src), "/tmp/warden-memfile-src.%d", (int)getpid());
	fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, sizeof(img)), 0);
	for (unsigned i = 0; i < 4; i++) {
		memset(img + i * MIB + 8192, 0x30 + i, 4096);
		assert_int_equal(pwrite(fd, img + i * MIB + 8192, 4096, i * MIB + 8192), 4096);
	}
	holes = lseek(fd, 0, SEEK_HOLE) < (off_t)sizeof(img);
	close(fd);
	assert_int_equal(gmem_map_file(&m, sizeof(img), src), 0);
	memset(m.map + 2 * MIB + 512 * 1024, 0x77, 4096);	/* into a hole */
	memset(img + 2 * MIB + 512 * 1024, 0x77, 4096);
	assert_int_equal(mem_file_write(&m, out, &c), 0);
	assert_file_is(out, img, sizeof(img));
	assert_int_equal(c.written, 5 * 64 * 1024);
	assert_int_equal(c.skipped + c.read, sizeof(img));
	gmem_unmap(&m);
	unlink(src);
	if (!holes)
		u_skip("/tmp's file system reports no holes (SEEK_HOLE)");
	/* 64 chunks: 4 of data, 1 written by the guest, 59 holes */
	assert_int_equal(c.skipped, 59 * 64 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_anonymous_untouched_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_file_read_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_file_holes_skipped, setup, teardown),
	};

	return cmocka_run_group_tests_name("mem_file", tests, NULL, NULL);
}
