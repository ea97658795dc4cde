/* The snapshot state file (src/snapshot/state_file.c) and CRC-32
 * (src/util/crc32.c): what is written reads back section by section, and
 * any one byte changed, any truncation, an extension, a section table
 * that leaves the body, another version are refused as user errors. */
#include "snapshot/state_file.h"
#include "util/crc32.h"
#include "util/version.h"
#include "unit.h"

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/warden-snap-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* A file of three sections: odd lengths (padding), two of one type. */
static void write_sample(void)
{
	struct snap_writer w;
	const char a[] = "abc", b[] = "0123456789";
	uint64_t x = 0x1122334455667788ULL;

	snap_writer_init(&w);
	snap_put(&w, 7, 0, a, sizeof(a));
	snap_put2(&w, 7, 1, b, 5, b + 5, 6);
	snap_put(&w, 9, 3, &x, sizeof(x));
	assert_int_equal(snap_writer_finish(&w, path), 0);
}

static uint8_t *slurp(size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(4096);

	assert_non_null(f);
	*len = fread(buf, 1, 4096, f);
	fclose(f);
	return buf;
}

static void spit(const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* LEN bytes of BUF as the file: refused, a user error. */
static void refused(const uint8_t *buf, size_t len)
{
	struct snap_reader r;

	spit(buf, len);
	assert_int_equal(snap_read(&r, path), -1);
	assert_int_equal(err_class(), ERR_USAGE);
}

static void test_crc32_check_value(void **state)
{
	(void)state;
	/* The CRC-32 catalogue's check value for "123456789". */
	assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926u);
	/* In pieces, the same. */
	assert_int_equal(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xcbf43926u);
}

static void test_round_trip(void **state)
{
	struct snap_reader r;
	size_t len;
	const char *p;
	uint64_t x;

	(void)state;
	write_sample();
	assert_int_equal(snap_read(&r, path), 0);
	p = snap_find(&r, 7, 0, &len);
	assert_non_null(p);
	assert_int_equal(len, 4);
	assert_string_equal(p, "abc");
	p = snap_find(&r, 7, 1, &len);
	assert_int_equal(len, 11);
	assert_memory_equal(p, "0123456789", 11);
	assert_int_equal(snap_get(&r, 9, 3, &x, sizeof(x), "x"), 0);
	assert_true(x == 0x1122334455667788ULL);
	assert_null(snap_find(&r, 9, 0, &len));
	/* A length other than the caller's: a user error naming it. */
	assert_int_equal(snap_get(&r, 9, 3, &x, 4, "the x"), -1);
	assert_int_equal(err_class(), ERR_USAGE);
	assert_non_null(strstr(err_msg(), "the x is 8 bytes, expected 4"));
	assert_int_equal(snap_get(&r, 10, 0, &x, 8, "the y"), -1);
	assert_non_null(strstr(err_msg(), "has no the y"));
	snap_reader_free(&r);
}

static void test_every_byte_flip_refused(void **state)
{
	size_t len;
	uint8_t *buf;
	struct snap_reader r;

	(void)state;
	write_sample();
	buf = slurp(&len);
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x40;
		refused(buf, len);
		buf[i] ^= 0x40;
	}
	spit(buf, len);
	assert_int_equal(snap_read(&r, path), 0); /* restored: accepted again */
	snap_reader_free(&r);
	free(buf);
}

static void test_truncated_and_extended_refused(void **state)
{
	size_t len;
	uint8_t *buf;

	(void)state;
	write_sample();
	buf = slurp(&len);
	for (size_t n = 0; n < len; n++)
		refused(buf, n);
	buf[len] = 0;
	refused(buf, len + 1);
	assert_non_null(strstr(err_msg(), "truncated or has extra bytes"));
	free(buf);
}

/* Rewrite the checksum so only the edit is wrong. */
static void reseal(uint8_t *buf, size_t len)
{
	u_wr32(buf + len - 8, crc32_update(0, buf, len - 8));
}

/* The sample with the bytes at OFF replaced by LEN bytes of V, resealed:
 * the checksum is right, only the edit is wrong; refused, saying WHY. */
static void refused_edit(size_t off, const void *v, size_t len, const char *why)
{
	size_t flen;
	uint8_t *buf;

	write_sample();
	buf = slurp(&flen);
	memcpy(buf + off, v, len);
	reseal(buf, flen);
	refused(buf, flen);
	assert_non_null(strstr(err_msg(), why));
	free(buf);
}

static void test_version_and_sections(void **state)
{
	uint64_t huge = 1ULL << 40;
	uint32_t four = 4;

	(void)state;
	/* Another warden's version. */
	refused_edit(16, "9.9.9", 6, "written by warden 9.9.9; this is warden " WARDEN_VERSION);
	/* The first section's length runs past the body. */
	refused_edit(sizeof(struct snap_header) + 8, &huge, sizeof(huge), "bad section table");
	/* A section count the body does not hold. */
	refused_edit(12, &four, sizeof(four), "bad section table");
}

static void test_not_a_snapshot(void **state)
{
	struct snap_reader r;

	(void)state;
	spit((const uint8_t *)"hello", 5);
	assert_int_equal(snap_read(&r, path), -1);
	assert_non_null(strstr(err_msg(), "is not a warden snapshot state file"));
	unlink(path);
	assert_int_equal(snap_read(&r, path), -1);
	assert_int_equal(err_class(), ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_check_value),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_byte_flip_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_and_extended_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_and_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_snapshot, setup, teardown),
	};

	return cmocka_run_group_tests_name("snapshot_file", tests, NULL, NULL);
}
