/* This process's page table through /proc/self/pagemap (util/pagemap.c),
 * as the snapshot's memory file and working set read it: in a private
 * mapping of a file, a page never touched is not present, a page read is
 * present and the file's, a page written is present and anonymous (the
 * private copy); in anonymous memory a page written is present.  Entries
 * are read in windows, so pages far apart and back again are asked.  Each
 * page lies in a 2 MiB region of its own: a kernel with large page-cache
 * folios maps a whole region at a read, and a write into it unmaps it. */
#include <fcntl.h>
#include <sys/mman.h>

#include "util/pagemap.h"
#include "unit.h"

#define PG 4096u

static void test_file_mapping_flags(void **state)
{
	static uint8_t img[1536 * PG];
	struct pagemap pm;
	volatile uint8_t sink;
	uint64_t e;
	uint8_t *p;
	char *path;
	int fd;

	(void)state;
	memset(img, 0x11, sizeof(img));
	path = u_write_temp(img, sizeof(img));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	p = mmap(NULL, sizeof(img), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	madvise(p, sizeof(img), MADV_RANDOM); /* no read-around into the pages left alone */
	sink = p[100 * PG];
	(void)sink;
	p[700 * PG] = 0x22;
	assert_int_equal(pagemap_open(&pm), 0);
	assert_true(pagemap_entry(&pm, p + 1200 * PG, &e));
	assert_false(e & PAGEMAP_PRESENT);
	assert_true(pagemap_entry(&pm, p + 100 * PG, &e)); /* another window, back */
	assert_true(e & PAGEMAP_PRESENT);
	assert_true(e & PAGEMAP_FILE);
	assert_true(pagemap_entry(&pm, p + 700 * PG, &e));
	assert_true(e & PAGEMAP_PRESENT);
	assert_false(e & PAGEMAP_FILE);
	pagemap_close(&pm);
	assert_false(pagemap_entry(&pm, p, &e)); /* closed: nothing read */
	munmap(p, sizeof(img));
	unlink(path);
}

static void test_anonymous_flags(void **state)
{
	struct pagemap pm;
	uint64_t e;
	uint8_t *p = mmap(NULL, 64 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(p != MAP_FAILED);
	madvise(p, 64 * PG, MADV_NOHUGEPAGE);
	p[5 * PG] = 1;
	assert_int_equal(pagemap_open(&pm), 0);
	assert_true(pagemap_entry(&pm, p + 5 * PG, &e));
	assert_true(e & PAGEMAP_PRESENT);
	assert_false(e & PAGEMAP_FILE);
	assert_true(pagemap_entry(&pm, p + 40 * PG, &e));
	assert_false(e & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED));
	pagemap_close(&pm);
	munmap(p, 64 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_mapping_flags),
		cmocka_unit_test(test_anonymous_flags),
	};

	return cmocka_run_group_tests_name("pagemap", tests, NULL, NULL);
}
