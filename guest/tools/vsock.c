/* vsock-test: the Linux guest's side of the emulated tier's vsock case
 * (tests/emu/cases/vsock.l1.sh), against tests/native/vsock_host.c on the
 * host, through warden's virtio-vsock.  The same exchange as the native
 * tier's bare-metal guest (tests/native/guests/vsock_guest.c), through
 * Linux's AF_VSOCK:
 *   B  listens on port 6000 and echoes one connection to its end;
 *   A  connects to the host (CID 2) port 5000, sends A_OUT_BYTES of a known
 *      pattern, shuts its sending side and reads the answer to its end.
 * It first loads the vsock modules the initramfs carries but does not load
 * at boot (lib/modules/<ver>/vsock-order).  Prints "vsock: linux cid N",
 * "vsock: A out BYTES FNV", "vsock: A in BYTES FNV", "vsock: B echoed
 * BYTES FNV"; status 1 on any failure, after a "vsock: FAIL" line.
 *
 * Freestanding (no C library, a few KiB), like warden-fail: it goes into
 * every initramfs of the default guest, whose size is boot time.  Built by
 * guest/build.sh with -nostdlib -static. */
#include <stdint.h>

#include "vsock_exchange.h"

#define TIMEOUT 60

#define AF_VSOCK 40
#define SOCK_STREAM 1
#define SOL_SOCKET 1
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define MSG_NOSIGNAL 0x4000
#define SHUT_WR 1
#define VMADDR_CID_ANY 0xffffffffu
#define VMADDR_CID_HOST 2
#define IOCTL_VM_SOCKETS_GET_LOCAL_CID 0x7b9 /* _IO(7, 0xb9) */

enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_ioctl = 16, SYS_socket = 41, SYS_connect = 42,
	SYS_accept = 43, SYS_sendto = 44, SYS_recvfrom = 45, SYS_shutdown = 48, SYS_bind = 49,
	SYS_listen = 50, SYS_setsockopt = 54, SYS_fork = 57, SYS_exit = 60,
	SYS_wait4 = 61, SYS_uname = 63, SYS_finit_module = 313,
};

struct sockaddr_vm {
	uint16_t svm_family, svm_reserved1;
	uint32_t svm_port, svm_cid;
	uint8_t svm_flags, svm_zero[3];
};

static long sys(long n, long a, long b, long c, long d, long e)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}

void *memset(void *d, int c, unsigned long n);
void *memset(void *d, int c, unsigned long n)
{
	volatile uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

/* Output goes out a whole line per write: the two processes share it. */
static void put(const char *s)
{
	static char out[256];
	static long n;

	for (; *s; s++) {
		out[n++] = *s;
		if (*s == '\n' || n == sizeof(out)) {
			sys(SYS_write, 1, (long)out, n, 0, 0);
			n = 0;
		}
	}
}

static void put_num(uint64_t v, int hex)
{
	char b[24];
	int i = sizeof(b);

	b[--i] = 0;
	do {
		unsigned d = (unsigned)(v % (hex ? 16 : 10));

		b[--i] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= hex ? 16 : 10;
	} while (v);
	if (hex)
		put("0x");
	put(b + i);
}

static void line(const char *what, uint64_t n, uint64_t h)
{
	put("vsock: ");
	put(what);
	put(" ");
	put_num(n, 0);
	put(" ");
	put_num(h, 1);
	put("\n");
}

static void die(const char *what, long err)
{
	put("vsock: FAIL ");
	put(what);
	put(": error ");
	put_num((uint64_t)-err, 0);
	put("\n");
	sys(SYS_exit, 1, 0, 0, 0, 0);
}

/* --- modules ------------------------------------------------------------------ */

static char path[512];

static void set_path(const char *a, const char *b, const char *c)
{
	int n = 0;

	for (const char *s = a; *s && n < 400; s++)
		path[n++] = *s;
	for (const char *s = b; *s && n < 420; s++)
		path[n++] = *s;
	for (const char *s = c; *s && n < 510; s++)
		path[n++] = *s;
	path[n] = 0;
}

/* insmod each module named in lib/modules/<release>/vsock-order. */
static void load_modules(void)
{
	static char uts[6 * 65], order[2048], dir[100];
	long fd, n;
	char *p, *nl;

	if (sys(SYS_uname, (long)uts, 0, 0, 0, 0) < 0)
		die("uname", -1);
	set_path("/lib/modules/", uts + 2 * 65, "/"); /* utsname.release */
	for (n = 0; path[n]; n++)
		dir[n] = path[n];
	dir[n] = 0;
	set_path(dir, "vsock-order", "");
	fd = sys(SYS_open, (long)path, 0, 0, 0, 0);
	if (fd < 0)
		die(path, fd);
	n = sys(SYS_read, fd, (long)order, sizeof(order) - 1, 0, 0);
	sys(SYS_close, fd, 0, 0, 0, 0);
	if (n <= 0)
		die("read vsock-order", n);
	order[n] = 0;
	for (p = order; *p; p = nl + 1) {
		long r;

		for (nl = p; *nl && *nl != '\n'; nl++)
			;
		if (!*nl)
			break;
		*nl = 0;
		set_path(dir, p, "");
		fd = sys(SYS_open, (long)path, 0, 0, 0, 0);
		if (fd < 0)
			die(path, fd);
		r = sys(SYS_finit_module, fd, (long)"", 0, 0, 0);
		if (r < 0 && r != -17) /* EEXIST: loaded already */
			die(path, r);
		sys(SYS_close, fd, 0, 0, 0, 0);
	}
}

/* --- sockets -------------------------------------------------------------------- */

static long vsock_socket(void)
{
	long tv[2] = { TIMEOUT, 0 };
	long fd = sys(SYS_socket, AF_VSOCK, SOCK_STREAM, 0, 0, 0);

	if (fd < 0)
		die("socket(AF_VSOCK)", fd);
	sys(SYS_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, (long)tv, sizeof(tv));
	sys(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO, (long)tv, sizeof(tv));
	return fd;
}

static void send_all(long fd, const uint8_t *p, long n)
{
	while (n > 0) {
		long w = sys(SYS_sendto, fd, (long)p, n, MSG_NOSIGNAL, 0);

		if (w <= 0)
			die("send", w);
		p += w;
		n -= w;
	}
}

static uint8_t buf[A_OUT_BYTES];

/* Read FD to its end (echoing it back if ECHO): the bytes' checksum, their
 * count in *TOTAL. */
static uint64_t read_to_end(long fd, int echo, uint64_t *total, const char *what)
{
	uint64_t h = FNV_INIT;
	long n;

	*total = 0;
	while ((n = sys(SYS_recvfrom, fd, (long)buf, 8192, 0, 0)) > 0) {
		if (echo)
			send_all(fd, buf, n);
		h = fnv(h, buf, (uint64_t)n);
		*total += (uint64_t)n;
	}
	if (n < 0)
		die(what, n);
	return h;
}

/* B: accept one connection on port 6000 and echo it until its end. */
static void echo_server(long listener)
{
	uint64_t total, h;
	long fd = sys(SYS_accept, listener, 0, 0, 0, 0);

	if (fd < 0)
		die("accept on port 6000", fd);
	h = read_to_end(fd, 1, &total, "recv on port 6000");
	line("B echoed", total, h);
	sys(SYS_close, fd, 0, 0, 0, 0);
}

/* A: connect out, send the pattern, read the answer. */
static void client(void)
{
	struct sockaddr_vm host = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = A_HOST_PORT };
	uint64_t total, h;
	long fd = vsock_socket(), n;

	n = sys(SYS_connect, fd, (long)&host, sizeof(host), 0, 0);
	if (n < 0)
		die("connect to host port 5000", n);
	for (uint64_t i = 0; i < A_OUT_BYTES; i++)
		buf[i] = pattern(i);
	send_all(fd, buf, A_OUT_BYTES);
	line("A out", A_OUT_BYTES, fnv(FNV_INIT, buf, A_OUT_BYTES));
	sys(SYS_shutdown, fd, SHUT_WR, 0, 0, 0);
	h = read_to_end(fd, 0, &total, "recv from host port 5000");
	line("A in", total, h);
	sys(SYS_close, fd, 0, 0, 0, 0);
}

/* The CID the guest's vsock transport read from the device. */
static void print_cid(void)
{
	uint32_t cid = 0;
	long fd = sys(SYS_open, (long)"/dev/vsock", 0, 0, 0, 0), r;

	if (fd < 0)
		die("/dev/vsock", fd);
	r = sys(SYS_ioctl, fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, (long)&cid, 0, 0);
	if (r < 0)
		die("IOCTL_VM_SOCKETS_GET_LOCAL_CID", r);
	sys(SYS_close, fd, 0, 0, 0, 0);
	put("vsock: linux cid ");
	put_num(cid, 0);
	put("\n");
}

void vsock_main(void);
void vsock_main(void)
{
	struct sockaddr_vm any = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = B_GUEST_PORT };
	long listener, pid, r;
	int st = 0;

	load_modules();
	print_cid();
	listener = vsock_socket();
	r = sys(SYS_bind, listener, (long)&any, sizeof(any), 0, 0);
	if (r < 0 || (r = sys(SYS_listen, listener, 1, 0, 0, 0)) < 0)
		die("listen on port 6000", r);
	pid = sys(SYS_fork, 0, 0, 0, 0, 0);
	if (pid < 0)
		die("fork", pid);
	if (pid == 0) {
		echo_server(listener);
		sys(SYS_exit, 0, 0, 0, 0, 0);
	}
	sys(SYS_close, listener, 0, 0, 0, 0);
	client();
	if (sys(SYS_wait4, pid, (long)&st, 0, 0, 0) < 0 || st != 0)
		die("the echo side", -1);
	put("vsock: all done\n");
	sys(SYS_exit, 0, 0, 0, 0, 0);
}

/* Entry: the kernel's stack is 16-byte aligned; the call keeps the ABI's. */
__asm__(".pushsection .text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	call vsock_main\n"
	"	ud2\n"
	".popsection\n");
