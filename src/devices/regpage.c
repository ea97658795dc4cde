/* The register page: see devices/regpage.h and regpage_abi.h. */
#include "devices/regpage.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/device.h"
#include "core/layout.h"
#include "core/memslot.h"
#include "core/vm.h"
#include "devices/regpage_model.h"
#include "sandbox/seccomp.h"
#include "util/error.h"
#include "util/log.h"

struct regpage {
	struct device dev;
	struct vm *vm;
	struct regpage_config cfg;
	struct regpage_model model;
	struct regpage_counts n;
	struct device_counters work;
	uint8_t *pages; /* REGPAGE_NPAGES pages, the memory slot's */
	int slot;
	uint32_t seen_seq; /* page 0's ctrl_seq at the last scan */
	unsigned quiet;    /* held scans in a row without a control write */
	bool holding;      /* page 0 left writable by the last scan */
	struct regpage_host_page published; /* what page 1 should hold */
	pthread_t thread;
	bool running;
	_Atomic bool stop;
};

static struct regpage_guest_page *guest_page(struct regpage *rp)
{
	return (struct regpage_guest_page *)rp->pages;
}

static struct regpage_host_page *host_page(struct regpage *rp)
{
	return (struct regpage_host_page *)(rp->pages + REGPAGE_PAGE_SIZE);
}

/* Under the lock: page 1 says what the model knows. */
static void publish(struct regpage *rp)
{
	struct regpage_host_page *h = host_page(rp);

	rp->published = (struct regpage_host_page){
		.echo = rp->model.echo, .count = (uint32_t)rp->model.count,
		.scans = (uint32_t)rp->n.dirty[0], .errors = (uint32_t)(rp->model.errors + rp->n.errors),
	};
	__atomic_store_n(&h->echo, rp->published.echo, __ATOMIC_RELAXED);
	__atomic_store_n(&h->scans, rp->published.scans, __ATOMIC_RELAXED);
	__atomic_store_n(&h->errors, rp->published.errors, __ATOMIC_RELAXED);
	__atomic_store_n(&h->count, rp->published.count, __ATOMIC_RELEASE);
}

static void guest_error(struct regpage *rp)
{
	rp->n.errors++;
	device_count(&rp->work.errors, 1);
}

/* Page 0's control writes since the last read (the scanner's own state:
 * no lock needed to read the guest's page). */
static uint32_t read_ctrl(struct regpage *rp, uint32_t *value)
{
	const struct regpage_guest_page *g = guest_page(rp);
	uint32_t seq = __atomic_load_n(&g->ctrl_seq, __ATOMIC_ACQUIRE);
	uint32_t d = regpage_seq_delta(rp->seen_seq, seq);

	*value = __atomic_load_n(&g->ctrl, __ATOMIC_RELAXED);
	rp->seen_seq = seq;
	return d;
}

/* Under the lock: a dirty-log call the host refused. */
static void host_error(struct regpage *rp)
{
	if (!rp->n.host_errors++) /* once: the next scans would say the same */
		log_warn("register page: %s", err_msg());
}

/* What one scan found, before it takes the lock to act on it. */
struct scan {
	uint64_t bm[1];  /* pages to look at: dirty_bitmap_words(REGPAGE_NPAGES) */
	bool asked;      /* KVM's dirty log was read */
	bool failed;     /* ... and the host refused */
	bool cleared;    /* every protection asked for was done */
	bool begins;     /* page 0 was left writable: a hold begins */
	uint32_t d, value; /* page 0's control writes, and the last value */
};

/* Which pages to look at.  Not holding: KVM's dirty log says, and the
 * pages it names are protected again before they are read (a write after
 * that is in the next scan), except page 0 when a hold begins.  Holding:
 * page 0 is writable and read as if dirty, and KVM is not asked at all:
 * KVM_GET_DIRTY_LOG kicks every running vCPU out of the guest on some
 * hosts (6.1 on SVM: one exit per scan, measured in the emulated tier),
 * which is the very cost the hold is there to save.  Page 1's dirty bit
 * waits in KVM's log for the first scan after the hold. */
static void pick_pages(struct regpage *rp, struct scan *sc)
{
	uint64_t protect;

	sc->cleared = true;
	if (rp->holding) {
		sc->bm[0] = 1;
		return;
	}
	sc->asked = true;
	if (vm_dirty_log_get(rp->vm, (unsigned)rp->slot, sc->bm) < 0) {
		sc->failed = true;
		return;
	}
	sc->begins = rp->n.manual && rp->cfg.hold_scans && dirty_page_is_set(sc->bm, 0);
	protect = sc->begins ? sc->bm[0] & ~1ULL : sc->bm[0];
	if (protect && rp->n.manual)
		sc->cleared = vm_dirty_log_clear(rp->vm, (unsigned)rp->slot, 0, REGPAGE_NPAGES, &protect) == 0;
}

/* Page 0, holding: HOLD_SCANS quiet scans end the hold.  The page is
 * protected again, then read once more, so a write between the two reads
 * is counted now and one after the protection faults and is seen next. */
static void hold_step(struct regpage *rp, struct scan *sc)
{
	uint64_t page0 = 1;
	uint32_t value2, d2;

	rp->quiet = sc->d ? 0 : rp->quiet + 1;
	if (rp->quiet < rp->cfg.hold_scans)
		return;
	rp->holding = false;
	rp->quiet = 0;
	sc->cleared = vm_dirty_log_clear(rp->vm, (unsigned)rp->slot, 0, REGPAGE_NPAGES, &page0) == 0;
	d2 = read_ctrl(rp, &value2);
	if (d2)
		sc->value = value2;
	sc->d += d2;
}

/* One scan: which pages did the guest write since the last one?  Page 0:
 * act on the control writes its counter says happened.  Page 1 is warden's:
 * a guest write there is an error (the page is rewritten). */
static void scan_once(struct regpage *rp)
{
	struct scan sc = { .asked = false };
	unsigned idx[REGPAGE_NPAGES], nd;
	bool page0, was_holding = rp->holding;

	pick_pages(rp, &sc);
	page0 = dirty_page_is_set(sc.bm, 0);
	if (page0) {
		sc.d = read_ctrl(rp, &sc.value);
		if (was_holding)
			hold_step(rp, &sc);
		else if (sc.begins)
			rp->holding = true; /* the quiet count starts afresh */
	}
	nd = dirty_pages(sc.bm, REGPAGE_NPAGES, idx, REGPAGE_NPAGES);
	futex_mutex_lock(&rp->dev.lock);
	rp->n.log_gets += sc.asked;
	if (sc.failed || !sc.cleared)
		host_error(rp);
	if (sc.failed) {
		futex_mutex_unlock(&rp->dev.lock);
		return;
	}
	rp->n.scans++;
	if (page0) {
		rp->n.dirty[0]++;
		rp->n.held += rp->holding;
		regpage_model_ctrl(&rp->model, sc.value, sc.d);
		rp->n.page_ctrl += sc.d;
		device_count(&rp->work.requests, sc.d);
	}
	/* KVM may report page 1 when it maps it writable for a read; only a
	 * change of what warden wrote there is the guest's doing. */
	if (dirty_page_is_set(sc.bm, 1)) {
		rp->n.dirty[1]++;
		if (memcmp(host_page(rp), &rp->published, sizeof(rp->published)) != 0) {
			guest_error(rp);
			log_guest("register page: the guest wrote warden's status page (rewritten)");
			nd = nd ? nd : 1;
		}
	}
	if (nd)
		publish(rp);
	futex_mutex_unlock(&rp->dev.lock);
}

static void *scanner(void *arg)
{
	struct regpage *rp = arg;
	struct timespec next;
	long step = (long)rp->cfg.scan_us * 1000;

	seccomp_enter(THREAD_REGPAGE);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!rp->stop) {
		struct timespec now;

		next.tv_nsec += step;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		/* Late (the host was busy)? Start again from now, never catch up. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + 1)
			next = now;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !rp->stop)
			;
		if (!rp->stop)
			scan_once(rp);
	}
	return NULL;
}

static bool reg_ok(uint64_t off, unsigned len)
{
	return len == 4 && off % 4 == 0 && off < PORT_REGPAGE_LEN;
}

static void rp_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct regpage *rp = dev->priv;
	uint32_t v = 0xffffffffu;

	(void)range;
	rp->n.trapped_reads++;
	if (reg_ok(off, len)) {
		uint64_t e = rp->model.errors;

		v = regpage_model_read(&rp->model, (unsigned)off);
		if (rp->model.errors != e) {
			device_count(&rp->work.errors, 1);
			log_guest("register page: read of write-only register 0x%llx", (unsigned long long)off);
		}
	} else {
		guest_error(rp);
		log_guest("register page: %u-byte read at 0x%llx (registers are 32-bit)", len,
			  (unsigned long long)off);
	}
	memcpy(data, &v, len < 4 ? len : 4);
	if (len > 4)
		memset(data + 4, 0xff, len - 4);
}

/* A doorbell: N entries at the start of the ring, copied out of guest RAM,
 * served, and the answers copied back. */
static void ring(struct regpage *rp, uint32_t n)
{
	struct regpage_ring_entry ent[REGPAGE_RING_MAX];
	unsigned bad;
	void *p;

	if (n == 0 || n > REGPAGE_RING_MAX) {
		guest_error(rp);
		log_guest("register page: doorbell for %u entries (1 to %d)", n, REGPAGE_RING_MAX);
		return;
	}
	p = gmem_ptr(&rp->vm->mem, rp->cfg.ring_gpa, (uint64_t)n * sizeof(ent[0]));
	if (!p) {
		guest_error(rp);
		log_guest("register page: the ring at 0x%llx is outside RAM", (unsigned long long)rp->cfg.ring_gpa);
		return;
	}
	memcpy(ent, p, n * sizeof(ent[0]));
	bad = regpage_model_batch(&rp->model, ent, n); /* the model counts them */
	if (bad) {
		device_count(&rp->work.errors, bad);
		log_guest("register page: %u ring entries with unknown ops", bad);
	}
	memcpy(p, ent, n * sizeof(ent[0]));
	rp->n.ring_batches++;
	rp->n.ring_ops += n;
	device_count(&rp->work.notifies, 1);
	device_count(&rp->work.requests, n);
}

static void rp_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data,
		     unsigned len)
{
	struct regpage *rp = dev->priv;
	uint32_t v = 0;

	(void)range;
	rp->n.trapped_writes++;
	if (!reg_ok(off, len)) {
		guest_error(rp);
		log_guest("register page: %u-byte write at 0x%llx (registers are 32-bit)", len,
			  (unsigned long long)off);
		return;
	}
	memcpy(&v, data, 4);
	switch (off) {
	case REGPAGE_REG_CTRL:
		regpage_model_ctrl(&rp->model, v, 1);
		device_count(&rp->work.requests, 1);
		break;
	case REGPAGE_REG_RING:
		ring(rp, v);
		break;
	default:
		guest_error(rp);
		log_guest("register page: write to read-only register 0x%llx", (unsigned long long)off);
		return;
	}
	publish(rp); /* the page mechanism sees what the trapped one did */
}

static void stop_scanner(struct regpage *rp)
{
	if (!rp->running)
		return;
	rp->stop = true;
	pthread_join(rp->thread, NULL);
	rp->running = false;
}

static void rp_reset(struct device *dev)
{
	stop_scanner(dev->priv);
}

static void rp_destroy(struct device *dev)
{
	struct regpage *rp = dev->priv;

	stop_scanner(rp);
	/* The slot goes with the VM fd; the pages stay mapped until then
	 * (vm_destroy closes it after the devices are gone: KVM keeps no
	 * reference to unmapped memory, and no vCPU runs any more). */
	if (rp->pages)
		munmap(rp->pages, REGPAGE_NPAGES * REGPAGE_PAGE_SIZE);
	free(rp);
}

static const struct device_ops rp_ops = {
	.read = rp_read, .write = rp_write, .reset = rp_reset, .destroy = rp_destroy,
};

struct device *regpage_create(struct vm *vm, const struct regpage_config *cfg)
{
	struct regpage *rp;
	int manual, err;

	if (cfg->scan_us < REGPAGE_SCAN_US_MIN || cfg->scan_us > REGPAGE_SCAN_US_MAX)
		return fail(ERR_USAGE, "register page: scan interval %u us is outside %d-%d us", cfg->scan_us,
			    REGPAGE_SCAN_US_MIN, REGPAGE_SCAN_US_MAX), NULL;
	if (cfg->hold_scans > REGPAGE_HOLD_MAX)
		return fail(ERR_USAGE, "register page: hold of %u scans is above %d", cfg->hold_scans,
			    REGPAGE_HOLD_MAX), NULL;
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return fail(ERR_HOST, "out of memory"), NULL;
	rp->vm = vm;
	rp->cfg = *cfg;
	rp->slot = -1;
	rp->pages = mmap(NULL, REGPAGE_NPAGES * REGPAGE_PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rp->pages == MAP_FAILED) {
		free(rp);
		return fail_errno(ERR_HOST, "mmap register page"), NULL;
	}
	manual = vm_dirty_log_manual(vm);
	if (manual < 0)
		goto fail;
	rp->n.manual = manual == 1;
	rp->slot = vm_add_memslot(vm, LAYOUT_REGPAGE, LAYOUT_REGPAGE_LEN, rp->pages,
				  KVM_MEM_LOG_DIRTY_PAGES);
	if (rp->slot < 0)
		goto fail;
	rp->dev = (struct device){
		.name = "regpage", .ops = &rp_ops, .priv = rp, .counters = &rp->work,
		.res = { .nranges = 2,
			 .range = { DEVICE_RANGE(BUS_PIO, PORT_REGPAGE, PORT_REGPAGE_LEN),
				    DEVICE_RANGE(BUS_MMIO, LAYOUT_REGPAGE_MMIO, LAYOUT_REGPAGE_MMIO_LEN) },
			 .gsi = DEVICE_NO_GSI },
	};
	if (vm_add_device(vm, &rp->dev) < 0)
		goto fail;
	/* The VM owns it now: its destroy frees it. */
	publish(rp);
	if (cfg->no_scanner)
		return &rp->dev;
	err = pthread_create(&rp->thread, NULL, scanner, rp);
	if (err) {
		errno = err;
		return fail_errno(ERR_HOST, "cannot start the register page's scanner"), NULL;
	}
	rp->running = true;
	return &rp->dev;
fail:
	munmap(rp->pages, REGPAGE_NPAGES * REGPAGE_PAGE_SIZE);
	free(rp);
	return NULL;
}

void regpage_counts(struct device *dev, struct regpage_counts *out)
{
	struct regpage *rp = dev->priv;

	futex_mutex_lock(&dev->lock);
	*out = rp->n;
	out->count = rp->model.count;
	out->errors += rp->model.errors;
	futex_mutex_unlock(&dev->lock);
}
