/* The hypercall device: two 32-bit doorbell ports (core/layout.h's
 * PORT_HYPERCALL, the ABI's WHC_PORT_BASE).
 *
 *   port doorbell  an exit like any port write: exit_emulate routes it here
 *                  (under dev.lock) and the batch is answered on the vCPU
 *                  thread before the guest runs on; an IDLE request halts
 *                  that vCPU in KVM afterwards.
 *   fast doorbell  KVM_IOEVENTFD on the port: KVM signals an eventfd and
 *                  resumes the guest, no exit reaches warden; this device's
 *                  I/O thread wakes and answers the batch the guest named
 *                  with FAST_SETUP.  Without ioeventfd (--no-ioeventfd, or
 *                  a host that refuses it) the write exits here and the
 *                  handler signals the same eventfd: the same thread
 *                  answers, one exit later.
 *
 * The I/O thread never takes dev.lock (a vCPU holding it may be the one
 * the VM is stopping); what both doorbells share is struct hc_host. */
#include "hypercall/hypercall.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/device.h"
#include "core/layout.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "hypercall/batch.h"
#include "sandbox/seccomp.h"
#include "util/error.h"
#include "util/log.h"

_Static_assert(PORT_HYPERCALL == WHC_PORT_BASE, "layout.h and the ABI agree on the doorbell ports");
_Static_assert(PORT_HYPERCALL_LEN == WHC_PORT_MAX - WHC_PORT_BASE, "layout.h and the ABI agree on their range");

#define OFF_DOORBELL (WHC_PORT_DOORBELL - WHC_PORT_BASE)
#define OFF_FAST (WHC_PORT_FAST - WHC_PORT_BASE)

struct hypercall {
	struct device dev;
	struct device_counters counters;
	struct hc_host host;
	struct vm *vm;
	struct hc_scratch *port_scratch; /* under dev.lock */
	struct hc_scratch *fast_scratch; /* the I/O thread's */
	uint32_t last_status;            /* the latest port doorbell's; under dev.lock */
	int kick_fd, stop_fd;            /* eventfds: the fast doorbell, the thread's stop */
	bool ioeventfd;                  /* KVM_IOEVENTFD assigned on the fast port */
	bool thread_running;
	pthread_t thread;
};

/* --- the I/O thread ------------------------------------------------------------ */

static void fast_rung(struct hypercall *hc)
{
	uint64_t rings, gpa;

	if (read(hc->kick_fd, &rings, sizeof(rings)) != sizeof(rings))
		return; /* nothing there (a spurious wake-up) */
	/* Rings that came before this read are answered together: the batch
	 * is answered once, as the ABI says. */
	device_count(&hc->counters.notifies, rings);
	gpa = atomic_load_explicit(&hc->host.fast_batch, memory_order_acquire);
	if (gpa == HC_NO_BATCH) {
		device_count(&hc->counters.errors, 1);
		log_guest("hypercall: fast doorbell rung before any FAST_SETUP");
		return;
	}
	hc_answer(&hc->host, hc->fast_scratch, gpa, HC_FAST);
}

static void *fast_thread(void *arg)
{
	struct hypercall *hc = arg;
	sigset_t all;

	/* Signals are for the vCPU threads and the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	seccomp_enter(THREAD_HYPERCALL);
	for (;;) {
		struct pollfd p[2] = { { .fd = hc->kick_fd, .events = POLLIN },
				       { .fd = hc->stop_fd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("hypercall: poll: %s", strerror(errno));
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		if (p[0].revents & POLLIN)
			fast_rung(hc);
	}
}

static void stop_thread(struct hypercall *hc)
{
	uint64_t one = 1;

	if (!hc->thread_running)
		return;
	if (write(hc->stop_fd, &one, sizeof(one)) < 0)
		log_warn("hypercall: cannot stop the I/O thread: %s", strerror(errno));
	pthread_join(hc->thread, NULL);
	hc->thread_running = false;
}

/* --- the ports ----------------------------------------------------------------- */

static void bad_access(struct hypercall *hc, bool write, uint64_t off, unsigned len)
{
	device_count(&hc->counters.errors, 1);
	log_guest("hypercall: %u-byte %s at port 0x%llx: the doorbells take 32-bit writes "
		  "(and a 32-bit read of 0x%x)", len, write ? "write" : "read",
		  (unsigned long long)(PORT_HYPERCALL + off), WHC_PORT_DOORBELL);
}

static void hc_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct hypercall *hc = dev->priv;

	(void)range;
	if (off == OFF_DOORBELL && len == 4) {
		memcpy(data, &hc->last_status, 4);
		return;
	}
	memset(data, 0xff, len);
	bad_access(hc, false, off, len);
}

static void hc_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct hypercall *hc = dev->priv;
	uint32_t v;
	uint64_t one = 1;

	(void)range;
	if (len != 4 || (off != OFF_DOORBELL && off != OFF_FAST)) {
		bad_access(hc, true, off, len);
		return;
	}
	if (off == OFF_FAST) {
		/* No ioeventfd: the exit does what KVM would have done. */
		if (write(hc->kick_fd, &one, sizeof(one)) < 0)
			log_warn("hypercall: eventfd write: %s", strerror(errno));
		return;
	}
	memcpy(&v, data, 4);
	device_count(&hc->counters.notifies, 1);
	hc->last_status = hc_answer(&hc->host, hc->port_scratch, v, HC_PORT);
}

static bool halt_vcpu(void *ctx)
{
	(void)ctx;
	return vcpu_halt_after_exit();
}

/* --- life cycle ------------------------------------------------------------------ */

static int set_ioeventfd(struct hypercall *hc, bool on)
{
	struct kvm_ioeventfd io = {
		.addr = WHC_PORT_FAST,
		.len = 4,
		.fd = hc->kick_fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO | (on ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(hc->vm->vm_fd, KVM_IOEVENTFD, &io);
}

static void hc_reset(struct device *dev)
{
	struct hypercall *hc = dev->priv;

	stop_thread(hc);
	atomic_store_explicit(&hc->host.fast_batch, HC_NO_BATCH, memory_order_release);
	hc->last_status = WHC_OK;
}

static void free_hypercall(struct hypercall *hc)
{
	stop_thread(hc);
	if (hc->ioeventfd)
		set_ioeventfd(hc, false);
	if (hc->kick_fd >= 0)
		close(hc->kick_fd);
	if (hc->stop_fd >= 0)
		close(hc->stop_fd);
	if (hc->host.disk_fd >= 0)
		close(hc->host.disk_fd);
	free(hc->port_scratch);
	free(hc->fast_scratch);
	free(hc);
}

static void hc_destroy(struct device *dev)
{
	free_hypercall(dev->priv);
}

static const struct device_ops hc_ops = {
	.read = hc_read, .write = hc_write, .reset = hc_reset, .destroy = hc_destroy,
};

int hypercall_parse_disk(const char *arg, struct hypercall_config *c)
{
	const char *comma = strchr(arg, ',');
	size_t n = comma ? (size_t)(comma - arg) : strlen(arg);

	if (n == 0)
		return fail(ERR_USAGE, "--hypercall-disk needs a path: --hypercall-disk PATH[,ro]");
	if (n >= sizeof(c->disk_path))
		return fail(ERR_USAGE, "--hypercall-disk: the path is too long");
	c->disk_ro = false;
	while (comma) {
		const char *opt = comma + 1, *next = strchr(opt, ',');
		size_t len = next ? (size_t)(next - opt) : strlen(opt);

		if (len == 2 && strncmp(opt, "ro", 2) == 0)
			c->disk_ro = true;
		else
			return fail(ERR_USAGE, "--hypercall-disk: unknown option '%.*s' (ro)", (int)len, opt);
		comma = next;
	}
	memcpy(c->disk_path, arg, n);
	c->disk_path[n] = 0;
	return 0;
}

/* The disk: a regular file or block device, a whole number of sectors,
 * locked like --disk images so two users cannot both write it. */
static int open_disk(struct hc_host *h, const char *path, bool ro)
{
	struct stat st;
	uint64_t size = 0;

	h->disk_ro = ro;
	h->disk_fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (h->disk_fd < 0 && !ro && (errno == EACCES || errno == EROFS || errno == EPERM) &&
	    access(path, R_OK) == 0)
		return fail(ERR_USAGE, "--hypercall-disk %s: cannot open read-write (%s); add ,ro for a read-only disk",
			    path, strerror(errno));
	if (h->disk_fd < 0 && errno == EISDIR)
		return fail(ERR_USAGE, "--hypercall-disk %s: not a regular file or block device", path);
	if (h->disk_fd < 0)
		return fail(ERR_USAGE, "--hypercall-disk %s: cannot open: %s", path, strerror(errno));
	if (fstat(h->disk_fd, &st) < 0)
		return fail(ERR_USAGE, "--hypercall-disk %s: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	else if (!S_ISBLK(st.st_mode) || ioctl(h->disk_fd, BLKGETSIZE64, &size) < 0)
		return fail(ERR_USAGE, "--hypercall-disk %s: not a regular file or block device", path);
	if (size == 0 || size % WHC_SECTOR)
		return fail(ERR_USAGE, "--hypercall-disk %s: size %llu bytes is not a positive multiple of %d",
			    path, (unsigned long long)size, WHC_SECTOR);
	if (flock(h->disk_fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		return fail(ERR_USAGE, "--hypercall-disk %s: the image is in use (locked by another disk or process)",
			    path);
	h->disk_size = size;
	return 0;
}

struct device *hypercall_create(struct vm *vm, const struct hypercall_config *cfg)
{
	struct hypercall *hc = calloc(1, sizeof(*hc));
	int e;

	if (!hc)
		return fail(ERR_HOST, "out of memory"), NULL;
	hc->vm = vm;
	hc->kick_fd = hc->stop_fd = hc->host.disk_fd = -1;
	hc->host = (struct hc_host){
		.mem = &vm->mem, .console_fd = STDOUT_FILENO, .disk_fd = -1,
		.features = vm->cfg.irqchip ? WHC_F_IDLE : 0, .idle = halt_vcpu,
		.fast_batch = HC_NO_BATCH, .counters = &hc->counters,
	};
	hc->port_scratch = calloc(1, sizeof(*hc->port_scratch));
	hc->fast_scratch = calloc(1, sizeof(*hc->fast_scratch));
	if (!hc->port_scratch || !hc->fast_scratch) {
		fail(ERR_HOST, "out of memory");
		goto bad;
	}
	if (cfg->disk_path[0]) {
		if (open_disk(&hc->host, cfg->disk_path, cfg->disk_ro) < 0)
			goto bad;
		hc->host.features |= WHC_F_BLOCK;
	}
	hc->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	hc->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (hc->kick_fd < 0 || hc->stop_fd < 0) {
		fail_errno(ERR_HOST, "hypercall: eventfd");
		goto bad;
	}
	if (cfg->ioeventfd) {
		if (set_ioeventfd(hc, true) == 0) {
			hc->ioeventfd = true;
			hc->host.features |= WHC_F_FAST_NOEXIT;
		} else {
			log_debug("hypercall: KVM_IOEVENTFD refused (%s): the fast doorbell exits to warden",
				  strerror(errno));
		}
	}
	hc->dev = (struct device){
		.name = "hypercall", .ops = &hc_ops, .priv = hc,
		.counters = &hc->counters,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, PORT_HYPERCALL, PORT_HYPERCALL_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	e = pthread_create(&hc->thread, NULL, fast_thread, hc);
	if (e) {
		fail(ERR_HOST, "hypercall: cannot start its I/O thread: %s", strerror(e));
		goto bad;
	}
	hc->thread_running = true;
	if (vm_add_device(vm, &hc->dev) < 0)
		goto bad;
	return &hc->dev;
bad:
	free_hypercall(hc);
	return NULL;
}
