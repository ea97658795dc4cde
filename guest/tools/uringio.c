/* uringio: O_DIRECT block I/O through io_uring, for the polling
 * benchmark and test (docs/virtio.md, "The guest's side") and the random
 * reads at queue depth 32 of bench/virtio.sh.
 *
 *   uringio read|write DEVICE [--size BYTES] [--bs BYTES] [--qd N]
 *           [--random] [--iopoll] [--cpu N] [--verify] [--mark NAME]
 *
 * Keeps N requests of BS bytes in flight from offset 0 on until SIZE bytes
 * have moved (wrapping round a smaller device), then prints bytes, seconds,
 * MiB/s and the number of completions.  --random: each request at a
 * pseudo-random whole block of the device instead, the same sequence in
 * every run (so a random read with --verify visits what a random write
 * wrote).  --iopoll sets up the ring with
 * IORING_SETUP_IOPOLL: the kernel then never waits for an interrupt but
 * polls the device's queue for completions, which only works on a queue
 * that polls (virtio_blk poll_queues=N, /sys/block/X/queue/io_poll = 1);
 * synchronous direct I/O does not poll since Linux 5.19, hence io_uring.
 * --verify: a write fills each block with a pattern made from its offset,
 * a read checks every 8-byte word of it (so write, then read back).
 * --mark NAME frames the timed loop for bench/virtio.sh and the emulated
 * tier: a BENCH-BEGIN/BENCH-END line on stdout, and two instructions that
 * always exit to the host's KVM and that it traces with a value the tool
 * chooses: CPUID of leaf MARK_LEAF before the loop (kvm:kvm_cpuid), and a
 * hypercall (VMMCALL; VMCALL on Intel) with RAX = MARK_HC after it
 * (kvm:kvm_hypercall; KVM refuses it to user mode, -KVM_EPERM, and the
 * guest goes on).  L1 switches its exit counting on and off with them, so
 * the host counts exactly the exits in between (the console lines reach
 * L1 late and cost exits of their own).  Unprivileged, unlike a port
 * write (ioperm + outb: which QEMU's guest answered with SIGSEGV).
 *
 * Raw syscalls (the static guest has no liburing); linux/io_uring.h gives
 * the ABI.  Bad arguments: usage, status 2; an I/O error or a mismatch:
 * status 1. */
#define _GNU_SOURCE /* O_DIRECT, sched_setaffinity */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MARK_LEAF 0x57415201u /* "WAR" 01: no CPUID leaf of any vendor */
#define MARK_HC 0x57415244u   /* "WARD": no KVM hypercall number */
#define MAX_QD 256

struct opts {
	int write, iopoll, verify, random, cpu;
	const char *dev, *mark;
	uint64_t size, bs;
	unsigned qd;
};

struct ring {
	int fd;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static void usage(void)
{
	fprintf(stderr, "usage: uringio read|write DEVICE [--size BYTES] [--bs BYTES] [--qd N] [--random] "
			"[--iopoll] [--cpu N] [--verify] [--mark NAME]\n"
			"  BYTES may end in K, M or G; defaults: --size 128M --bs 1M --qd 1\n");
	exit(2);
}

/* A size: digits and an optional K/M/G; 0 if malformed. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'K': v <<= 10, end++; break;
	case 'M': v <<= 20, end++; break;
	case 'G': v <<= 30, end++; break;
	}
	return *end ? 0 : v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .size = 128 << 20, .bs = 1 << 20, .qd = 1, .cpu = -1 };
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "write"))
		o->write = 1;
	else if (strcmp(argv[1], "read"))
		usage();
	o->dev = argv[2];
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!strcmp(a, "--iopoll"))
			o->iopoll = 1;
		else if (!strcmp(a, "--verify"))
			o->verify = 1;
		else if (!strcmp(a, "--random"))
			o->random = 1;
		else if (!v)
			usage();
		else if (i++, !strcmp(a, "--size"))
			o->size = parse_size(v);
		else if (!strcmp(a, "--bs"))
			o->bs = parse_size(v);
		else if (!strcmp(a, "--qd"))
			o->qd = (unsigned)strtoul(v, &end, 10), o->qd = *end ? 0 : o->qd;
		else if (!strcmp(a, "--cpu"))
			o->cpu = (int)strtol(v, &end, 10), o->cpu = *end || *v == '\0' ? -2 : o->cpu;
		else if (!strcmp(a, "--mark"))
			o->mark = v;
		else
			usage();
	}
	/* O_DIRECT wants block-aligned sizes; 4 KiB covers every block size. */
	if (o->size == 0 || o->bs < 4096 || o->bs % 4096 || o->bs > (64 << 20) || o->qd < 1 ||
	    o->qd > MAX_QD || o->cpu < -1 || o->cpu >= CPU_SETSIZE)
		usage();
}

/* The pattern of the 8-byte word at byte offset OFF: differs per word and
 * per offset, so a misplaced block or a stale one does not match. */
static uint64_t pattern(uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ULL + 0x5851f42d4c957f2dULL;

	return x ^ (x >> 29);
}

static void fill(uint64_t *buf, uint64_t off, uint64_t bs)
{
	for (uint64_t i = 0; i < bs / 8; i++)
		buf[i] = pattern(off + i * 8);
}

/* Words of BUF (read from OFF) that do not hold the pattern. */
static uint64_t check(const uint64_t *buf, uint64_t off, uint64_t bs)
{
	uint64_t bad = 0;

	for (uint64_t i = 0; i < bs / 8; i++)
		bad += buf[i] != pattern(off + i * 8);
	return bad;
}

static int ring_setup(struct ring *r, unsigned entries, int iopoll)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	uint8_t *sq, *cq;

	memset(&p, 0, sizeof(p));
	p.flags = iopoll ? IORING_SETUP_IOPOLL : 0;
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -1;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	/* Since 5.4 both rings share one mapping (IORING_FEAT_SINGLE_MMAP). */
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -1;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -1;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -1;
	r->sq_head = (unsigned *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Queue one read or write of BS bytes at OFF into BUF; user_data = slot. */
static void queue(struct ring *r, const struct opts *o, int fd, unsigned slot, void *buf, uint64_t off)
{
	unsigned tail = *r->sq_tail, i = tail & *r->sq_mask;
	struct io_uring_sqe *s = &r->sqes[i];

	memset(s, 0, sizeof(*s));
	s->opcode = o->write ? IORING_OP_WRITE : IORING_OP_READ;
	s->fd = fd;
	s->addr = (uint64_t)(uintptr_t)buf;
	s->len = (uint32_t)o->bs;
	s->off = off;
	s->user_data = slot;
	r->sq_array[i] = i;
	/* The kernel reads the entry once it sees the new tail. */
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The window's edges (see the top); no-ops without --mark. */
static void mark_begin(const struct opts *o)
{
	unsigned a = MARK_LEAF, b, c = 0, d;

	if (o->mark)
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
}

static int cpu_is_intel(void)
{
	unsigned a = 0, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e; /* GenuineIntel */
}

static void mark_end(const struct opts *o, int intel)
{
	unsigned long a = MARK_HC;

	if (!o->mark)
		return;
	if (intel)
		__asm__ volatile("vmcall" : "+a"(a) : : "memory");
	else
		__asm__ volatile("vmmcall" : "+a"(a) : : "memory");
}

static uint64_t device_size(int fd)
{
	struct stat st;
	uint64_t size = 0;

	if (fstat(fd, &st) < 0)
		return 0;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, &size) < 0 ? 0 : size;
	return (uint64_t)st.st_size;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct ring r;
	void *buf[MAX_QD];
	uint64_t dev_size, span, next = 0, done = 0, bad = 0, completions = 0;
	uint64_t x = 0x9e3779b97f4a7c15ULL; /* --random's xorshift64 state */
	uint64_t at[MAX_QD];          /* each slot's offset */
	unsigned free_slot[MAX_QD], nfree, pending = 0;
	double t0, t1, r0;
	int fd, intel = cpu_is_intel();

	parse(argc, argv, &o);
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			fprintf(stderr, "uringio: cannot run on CPU %d: %s\n", o.cpu, strerror(errno));
			return 2;
		}
	}
	fd = open(o.dev, (o.write ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "uringio: %s: %s\n", o.dev, strerror(errno));
		return 2;
	}
	dev_size = device_size(fd);
	span = dev_size / o.bs * o.bs; /* whole blocks; offsets wrap at span */
	if (span == 0) {
		fprintf(stderr, "uringio: %s holds no whole block of %llu bytes\n", o.dev, (unsigned long long)o.bs);
		return 2;
	}
	if (o.size % o.bs) {
		fprintf(stderr, "uringio: --size %llu is not a multiple of --bs %llu\n", (unsigned long long)o.size,
			(unsigned long long)o.bs);
		return 2;
	}
	if (ring_setup(&r, o.qd, o.iopoll) < 0) {
		fprintf(stderr, "uringio: io_uring: %s\n", strerror(errno));
		return 1;
	}
	for (unsigned i = 0; i < o.qd; i++) {
		if (posix_memalign(&buf[i], 4096, o.bs)) {
			fprintf(stderr, "uringio: out of memory\n");
			return 1;
		}
		/* Unverified writes write the pattern of a slot's first offset. */
		fill(buf[i], (uint64_t)i * o.bs, o.bs);
	}

	for (unsigned i = 0; i < o.qd; i++)
		free_slot[i] = o.qd - 1 - i;
	nfree = o.qd;
	if (o.mark) {
		printf("BENCH-BEGIN %s\n", o.mark);
		fflush(stdout);
		/* Let the console send the line before the window opens: the
		 * serial port's own exits are not the I/O's. */
		if (isatty(STDOUT_FILENO))
			tcdrain(STDOUT_FILENO);
	}
	r0 = now(CLOCK_REALTIME);
	t0 = now(CLOCK_MONOTONIC);
	mark_begin(&o);
	while (done < o.size) {
		/* Fill every free slot, then submit and wait in one call. */
		while (nfree > 0 && next < o.size) {
			unsigned slot = free_slot[--nfree];

			if (o.random) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				at[slot] = x % (span / o.bs) * o.bs;
			} else {
				at[slot] = next % span;
			}
			if (o.write && o.verify)
				fill(buf[slot], at[slot], o.bs);
			queue(&r, &o, fd, slot, buf[slot], at[slot]);
			next += o.bs, pending++;
		}
		long n = syscall(__NR_io_uring_enter, r.fd, pending, 1, IORING_ENTER_GETEVENTS, NULL, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "uringio: io_uring_enter: %s\n", strerror(errno));
			return 1;
		}
		/* Entries the kernel did not take yet stay queued for the next call. */
		pending -= (unsigned)n < pending ? (unsigned)n : pending;
		for (unsigned h = *r.cq_head; h != __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE); h++) {
			struct io_uring_cqe *c = &r.cqes[h & *r.cq_mask];
			unsigned slot = (unsigned)c->user_data;

			if (slot >= o.qd || c->res != (int)o.bs) {
				fprintf(stderr, "uringio: %s at %llu: %s\n", o.write ? "write" : "read",
					slot < o.qd ? (unsigned long long)at[slot] : 0ULL,
					c->res < 0 ? strerror(-c->res) : "short transfer");
				return 1;
			}
			if (!o.write && o.verify && check(buf[slot], at[slot], o.bs))
				bad++;
			free_slot[nfree++] = slot;
			done += o.bs, completions++;
			__atomic_store_n(r.cq_head, h + 1, __ATOMIC_RELEASE);
		}
	}
	mark_end(&o, intel);
	t1 = now(CLOCK_MONOTONIC);
	if (o.mark)
		printf("BENCH-END %s %.6f %.6f\n", o.mark, r0, r0 + (t1 - t0));
	printf("uringio: %s %llu bytes in %.3f s: %.2f MiB/s, %llu completions, qd %u, bs %llu, iopoll %d, verify %s, "
	       "order %s\n",
	       o.write ? "write" : "read", (unsigned long long)done, t1 - t0,
	       (double)done / (t1 - t0) / 1048576.0, (unsigned long long)completions, o.qd,
	       (unsigned long long)o.bs, o.iopoll, !o.verify ? "off" : o.write ? "pattern" : bad ? "BAD" : "ok",
	       o.random ? "random" : "sequential");
	if (bad) {
		fprintf(stderr, "uringio: %llu blocks read back did not hold the pattern\n", (unsigned long long)bad);
		return 1;
	}
	return 0;
}
