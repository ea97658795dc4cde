/* recwriter: the crash-consistency workload (issue 15 section 4) and its
 * checker, one static binary for the guest and for L1.
 *
 *   recwriter write PATH COUNT   writes records 0..COUNT-1 of 4 KiB at
 *                                offset i * 4096 of PATH (a block device
 *                                or a file it creates), each followed by
 *                                fdatasync(); after each one returns it
 *                                prints "warden-rec: ack I" on stdout.
 *   recwriter check PATH ACKED   reads PATH back: records 0..ACKED must be
 *                                there and intact; prints one line,
 *                                "warden-rec: intact N of ACKED+1, first
 *                                bad B" and exits 0 only if all are.
 *
 * A record: "WREC", its number, then bytes from a generator seeded by the
 * number, and a CRC-32 of everything before it in the last 4 bytes: a
 * record from another position, a torn one or a stale one fails. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REC 4096

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

static void fill(uint8_t *r, uint32_t i)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (i + 1);
	uint32_t c;

	memcpy(r, "WREC", 4);
	memcpy(r + 4, &i, 4);
	for (size_t k = 8; k < REC - 4; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r[k] = (uint8_t)x;
	}
	c = crc32(r, REC - 4);
	memcpy(r + REC - 4, &c, 4);
}

static int do_write(const char *path, long count)
{
	static uint8_t r[REC] __attribute__((aligned(4096)));
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0) {
		perror(path);
		return 1;
	}
	for (long i = 0; i < count; i++) {
		fill(r, (uint32_t)i);
		if (pwrite(fd, r, REC, (off_t)i * REC) != REC || fdatasync(fd) != 0) {
			perror("recwriter: write");
			return 1;
		}
		printf("warden-rec: ack %ld\n", i);
		fflush(stdout);
	}
	printf("warden-rec: done %ld\n", count);
	return 0;
}

static int do_check(const char *path, long acked)
{
	uint8_t want[REC], got[REC];
	long intact = 0, first_bad = -1;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		perror(path);
		return 1;
	}
	for (long i = 0; i <= acked; i++) {
		fill(want, (uint32_t)i);
		if (pread(fd, got, REC, (off_t)i * REC) == REC && memcmp(want, got, REC) == 0)
			intact++;
		else if (first_bad < 0)
			first_bad = i;
	}
	printf("warden-rec: intact %ld of %ld, first bad %ld\n", intact, acked + 1, first_bad);
	return intact == acked + 1 ? 0 : 1;
}

int main(int argc, char **argv)
{
	char *end;
	long n;

	if (argc != 4 || (strcmp(argv[1], "write") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: recwriter write PATH COUNT | check PATH ACKED\n");
		return 2;
	}
	n = strtol(argv[3], &end, 10);
	if (*end || n < (strcmp(argv[1], "check") ? 1 : -1) || n > 1000000) {
		fprintf(stderr, "recwriter: bad number '%s'\n", argv[3]);
		return 2;
	}
	return strcmp(argv[1], "write") == 0 ? do_write(argv[2], n) : do_check(argv[2], n);
}
