/* randread DEVICE COUNT [BLOCK]: COUNT reads of BLOCK bytes (default 4096)
 * at random BLOCK-aligned offsets of DEVICE (or a file) with O_DIRECT, one
 * at a time; prints the rate and each read's latency at the 50th and 99th
 * percentiles (nearest rank).  Built statically into the test guest for
 * the virtio-blk benchmark (busybox has no fio). */
#define _GNU_SOURCE /* O_DIRECT */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <time.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The P-th percentile of N sorted values, nearest rank. */
static double percentile(const double *v, long n, int p)
{
	long rank = (n * p + 99) / 100;

	return v[rank > 0 ? rank - 1 : 0];
}

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
	struct stat st;
	double t0, t, *lat;
	int fd;

	if (argc < 3 || (count = atol(argv[2])) <= 0 || (argc > 3 && (bs = atol(argv[3])) < 512)) {
		fprintf(stderr, "usage: randread DEVICE COUNT [BLOCK]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (S_ISBLK(st.st_mode) ? ioctl(fd, BLKGETSIZE64, &size) < 0 : (size = (uint64_t)st.st_size, 0)) ||
	    size < (uint64_t)bs) {
		perror(argv[1]);
		return 1;
	}
	if (posix_memalign(&buf, 4096, (size_t)bs) || !(lat = malloc((size_t)count * sizeof(*lat)))) {
		fprintf(stderr, "randread: out of memory\n");
		return 1;
	}
	blocks = size / (uint64_t)bs;
	t0 = now();
	for (long i = 0; i < count; i++) {
		double a = now();

		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		if (pread(fd, buf, (size_t)bs, (off_t)((x % blocks) * (uint64_t)bs)) != bs) {
			perror("pread");
			return 1;
		}
		lat[i] = now() - a;
	}
	t = now() - t0;
	qsort(lat, (size_t)count, sizeof(*lat), cmp_double);
	printf("randread: %ld reads of %ld bytes in %.3f s: %.0f IOPS, %.2f MiB/s, latency p50 %.0f us, p99 %.0f us\n",
	       count, bs, t, (double)count / t, (double)count * (double)bs / t / 1048576.0,
	       percentile(lat, count, 50) * 1e6, percentile(lat, count, 99) * 1e6);
	return 0;
}
