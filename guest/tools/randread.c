/* randread DEVICE COUNT [BLOCK]: COUNT reads of BLOCK bytes (default 4096)
 * at random BLOCK-aligned offsets of DEVICE with O_DIRECT, one at a time;
 * prints the rate.  Built statically into the test guest for the virtio-blk
 * benchmark (busybox has no fio). */
#define _GNU_SOURCE /* O_DIRECT */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t size = 0, x = 0x9e3779b97f4a7c15ULL, blocks;
	long count, bs = 4096;
	void *buf;
	double t0, t;
	int fd;

	if (argc < 3 || (count = atol(argv[2])) <= 0 || (argc > 3 && (bs = atol(argv[3])) < 512)) {
		fprintf(stderr, "usage: randread DEVICE COUNT [BLOCK]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0 || size < (uint64_t)bs) {
		perror(argv[1]);
		return 1;
	}
	if (posix_memalign(&buf, 4096, (size_t)bs))
		return 1;
	blocks = size / (uint64_t)bs;
	t0 = now();
	for (long i = 0; i < count; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		if (pread(fd, buf, (size_t)bs, (off_t)((x % blocks) * (uint64_t)bs)) != bs) {
			perror("pread");
			return 1;
		}
	}
	t = now() - t0;
	printf("randread: %ld reads of %ld bytes in %.3f s: %.0f IOPS, %.2f MiB/s\n", count, bs, t,
	       (double)count / t, (double)count * (double)bs / t / 1048576.0);
	return 0;
}
