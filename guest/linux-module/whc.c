// SPDX-License-Identifier: GPL-2.0
/*
 * whc: warden's paravirtual hypercalls (include/warden/hypercall.h,
 * docs/hypercall.md) for a Linux guest.
 *
 * At load it asks the host for the interface (WHC_CALL_HELLO on the port
 * doorbell) and refuses to load when nobody answers or the version is not
 * the one this module was written for.  Then it offers:
 *
 *   /dev/whc-console     write(): the bytes go to warden's stdout as
 *                        WHC_CALL_CONSOLE_WRITE requests, up to 16 of
 *                        WHC_CONSOLE_MAX bytes in one batch (one doorbell)
 *   /dev/whc-disk        where the host offers a disk (--hypercall-disk,
 *                        WHC_F_BLOCK): read()/write()/lseek() in whole
 *                        sectors (WHC_SECTOR-aligned offsets and lengths,
 *                        else EINVAL) as WHC_CALL_BLOCK_READ/WRITE requests,
 *                        up to 4 of WHC_BLOCK_MAX bytes in one batch
 *   /sys/kernel/debug/whc/batching
 *                        the batching experiment (warden lab batching's,
 *                        from inside Linux): write "REPS N1 N2 ..." (or
 *                        an empty line: 21 reps of 1,2,3,4,6,8,12,16,32,64)
 *                        to run it, read the results (one line per
 *                        operation, way and n: the TSC cycles of a group
 *                        of n operations, median and minimum over REPS)
 *
 * Ways, for n operations (NOP, or a 1-byte CONSOLE_WRITE):
 *   single  n batches of one request, each rung on the port doorbell
 *           (n exits to warden)
 *   port    one batch of n requests on the port doorbell (one exit)
 *   fast    one batch of n requests on the fast doorbell, then polling
 *           its status (no exit where warden's KVM has ioeventfd)
 *
 * Batch memory: a header and WHC_BATCH_MAX requests (16,448 bytes) from
 * kmalloc, which takes an allocation that size from the page allocator:
 * physically contiguous and page-aligned (the ABI wants 64).  Its
 * guest-physical address is virt_to_phys(); the port doorbell takes it as
 * a 32-bit value, so the module refuses to load if it lies above 4 GiB.
 * All calls are serialised by one mutex (one batch for the port doorbell,
 * one for the fast one).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "warden/hypercall.h"

#define WHC_CONSOLE_BATCH 16 /* console requests in one write() batch */
#define WHC_DISK_BATCH 4     /* block requests in one batch */
#define WHC_FAST_SPINS 10000000UL /* polls before a fast call counts as unanswered */
#define WHC_MAX_SIZES 16
#define WHC_MAX_REPS 1001
#define WHC_RESULTS_MAX 16384

struct whc_buf {
	struct whc_batch hdr;
	struct whc_req req[WHC_BATCH_MAX];
};

static struct {
	struct mutex lock;
	struct whc_buf *port, *fast; /* the two batches */
	u32 port_gpa, fast_gpa;
	u8 *data;                    /* console bytes: WHC_CONSOLE_BATCH * WHC_CONSOLE_MAX */
	u64 data_gpa;
	u64 features;                /* the host's, from HELLO */
	bool fast_ready;             /* FAST_SETUP answered */
	u8 *disk_buf;                /* WHC_DISK_BATCH * WHC_BLOCK_MAX bytes, contiguous */
	u64 disk_gpa, disk_size;     /* disk_size 0: no disk */
	bool disk_ro, disk_on;
	char *results;               /* the last experiment's text */
	size_t results_len;
	struct dentry *dbg;
	bool misc_on;
} whc;

/* --- one batch ------------------------------------------------------------ */

static struct whc_req *whc_req(struct whc_buf *b, unsigned int i, u32 call)
{
	struct whc_req *r = &b->req[i];

	memset(r, 0, sizeof(*r));
	r->call = call;
	r->status = WHC_STATUS_PENDING;
	return r;
}

static void whc_seal(struct whc_buf *b, u32 count)
{
	struct whc_batch *h = &b->hdr;

	memset(h, 0, sizeof(*h));
	h->version = WHC_VERSION;
	h->count = count;
	WRITE_ONCE(h->status, WHC_STATUS_PENDING);
}

/* Ring the port doorbell: the answers are there when the OUT retires.
 * The kernel's outl() has no memory clobber, hence the barriers.  Returns
 * the batch's status (WHC_STATUS_PENDING: nobody answered). */
static u32 whc_ring_port(u32 count)
{
	whc_seal(whc.port, count);
	barrier();
	outl(whc.port_gpa, WHC_PORT_DOORBELL);
	barrier();
	return READ_ONCE(whc.port->hdr.status);
}

/* Ring the fast doorbell for the batch FAST_SETUP named, and poll. */
static u32 whc_ring_fast(u32 count)
{
	unsigned long spins = WHC_FAST_SPINS;
	u32 st;

	whc_seal(whc.fast, count);
	barrier();
	outl(0, WHC_PORT_FAST);
	while ((st = READ_ONCE(whc.fast->hdr.status)) == WHC_STATUS_PENDING && spins--)
		cpu_relax();
	rmb(); /* the requests' answers were written before the status */
	return st;
}

/* Requests of B (COUNT of them) not answered WHC_OK. */
static unsigned int whc_failed(struct whc_buf *b, u32 st, u32 count)
{
	unsigned int bad = 0;

	if (st != WHC_OK)
		return count;
	for (u32 i = 0; i < count; i++)
		bad += READ_ONCE(b->req[i].status) != WHC_OK;
	return bad;
}

/* --- finding the interface ------------------------------------------------ */

static int whc_hello(void)
{
	struct whc_req *r = whc_req(whc.port, 0, WHC_CALL_HELLO);
	u32 st;

	r->args.hello.guest_version = WHC_VERSION;
	st = whc_ring_port(1);
	if (st == WHC_STATUS_PENDING) {
		pr_err("whc: no hypercall interface at port 0x%x (run warden with --hypercall)\n",
		       WHC_PORT_DOORBELL);
		return -ENODEV;
	}
	if (st != WHC_OK || r->status != WHC_OK || r->ret.hello.host_version != WHC_VERSION) {
		pr_err("whc: host speaks hypercall version %u (batch status %u, request %u); this module version %u\n",
		       r->ret.hello.host_version, st, r->status, WHC_VERSION);
		return -ENODEV;
	}
	whc.features = r->ret.hello.features;
	return 0;
}

static void whc_fast_setup(void)
{
	struct whc_req *r = whc_req(whc.port, 0, WHC_CALL_FAST_SETUP);
	u32 st;

	r->args.fast_setup.batch.gpa = whc.fast_gpa;
	st = whc_ring_port(1);
	whc.fast_ready = st == WHC_OK && r->status == WHC_OK;
	if (!whc.fast_ready)
		pr_warn("whc: FAST_SETUP refused (status %u, request %u): no fast doorbell\n", st, r->status);
}

/* --- the console ------------------------------------------------------------ */

/* Up to WHC_CONSOLE_BATCH * WHC_CONSOLE_MAX bytes of FROM in one batch. */
static ssize_t whc_console_batch(const char __user *from, size_t len)
{
	size_t chunk = min_t(size_t, len, WHC_CONSOLE_BATCH * WHC_CONSOLE_MAX), done = 0;
	u32 n = 0, st;

	if (copy_from_user(whc.data, from, chunk))
		return -EFAULT;
	for (size_t off = 0; off < chunk; off += WHC_CONSOLE_MAX, n++) {
		struct whc_req *r = whc_req(whc.port, n, WHC_CALL_CONSOLE_WRITE);

		r->args.console.buf.gpa = whc.data_gpa + off;
		r->args.console.len = min_t(size_t, chunk - off, WHC_CONSOLE_MAX);
	}
	st = whc_ring_port(n);
	if (st != WHC_OK)
		return -EIO;
	for (u32 i = 0; i < n && whc.port->req[i].status == WHC_OK; i++)
		done += whc.port->req[i].ret.console.written;
	return done ? (ssize_t)done : -EIO;
}

static ssize_t whc_console_write(struct file *f, const char __user *buf, size_t len, loff_t *pos)
{
	size_t total = 0;
	ssize_t r = 0;

	if (mutex_lock_interruptible(&whc.lock))
		return -ERESTARTSYS;
	while (total < len) {
		r = whc_console_batch(buf + total, len - total);
		if (r <= 0)
			break;
		total += r;
	}
	mutex_unlock(&whc.lock);
	return total ? (ssize_t)total : r;
}

static const struct file_operations whc_console_fops = {
	.owner = THIS_MODULE,
	.write = whc_console_write,
	.llseek = noop_llseek,
};

static struct miscdevice whc_console_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "whc-console",
	.fops = &whc_console_fops,
	.mode = 0666,
};

/* --- the disk ----------------------------------------------------------------- */

static int whc_block_info(void)
{
	struct whc_req *r = whc_req(whc.port, 0, WHC_CALL_BLOCK_INFO);
	u32 st = whc_ring_port(1);

	if (st != WHC_OK || r->status != WHC_OK || r->ret.block_info.size % WHC_SECTOR) {
		pr_warn("whc: BLOCK_INFO refused (status %u, request %u): no /dev/whc-disk\n", st, r->status);
		return -EIO;
	}
	whc.disk_size = r->ret.block_info.size;
	whc.disk_ro = r->ret.block_info.flags & WHC_BLOCK_RO;
	return 0;
}

/* LEN (whole sectors, at most WHC_DISK_BATCH * WHC_BLOCK_MAX) bytes at
 * POS, to or from disk_buf, in one batch: bytes done, or -errno. */
static ssize_t whc_disk_batch(bool write, loff_t pos, size_t len)
{
	ssize_t done = 0;
	u32 n = 0, st;

	for (size_t off = 0; off < len; off += WHC_BLOCK_MAX, n++) {
		struct whc_req *r = whc_req(whc.port, n, write ? WHC_CALL_BLOCK_WRITE : WHC_CALL_BLOCK_READ);

		r->args.block.offset = pos + off;
		r->args.block.buf.gpa = whc.disk_gpa + off;
		r->args.block.len = min_t(size_t, len - off, WHC_BLOCK_MAX);
	}
	st = whc_ring_port(n);
	if (st != WHC_OK)
		return -EIO;
	for (u32 i = 0; i < n; i++) {
		st = whc.port->req[i].status;
		if (st != WHC_OK)
			return done ? done : st == WHC_E_RDONLY ? -EROFS : -EIO;
		done += whc.port->req[i].ret.block.bytes;
	}
	return done;
}

static ssize_t whc_disk_rw(bool write, char __user *ubuf, size_t len, loff_t *pos)
{
	size_t total = 0, chunk;
	ssize_t r = 0;

	if (*pos < 0 || *pos % WHC_SECTOR || len % WHC_SECTOR)
		return -EINVAL;
	if (*pos >= whc.disk_size)
		return write && len ? -ENOSPC : 0;
	if (write && whc.disk_ro)
		return -EROFS;
	len = min_t(u64, len, whc.disk_size - *pos);
	if (mutex_lock_interruptible(&whc.lock))
		return -ERESTARTSYS;
	while (total < len) {
		chunk = min_t(size_t, len - total, WHC_DISK_BATCH * WHC_BLOCK_MAX);
		if (write && copy_from_user(whc.disk_buf, ubuf + total, chunk)) {
			r = -EFAULT;
			break;
		}
		r = whc_disk_batch(write, *pos + total, chunk);
		if (r <= 0)
			break;
		if (!write && copy_to_user(ubuf + total, whc.disk_buf, r)) {
			r = -EFAULT;
			break;
		}
		total += r;
	}
	*pos += total;
	mutex_unlock(&whc.lock);
	return total ? (ssize_t)total : r;
}

static ssize_t whc_disk_read(struct file *f, char __user *buf, size_t len, loff_t *pos)
{
	return whc_disk_rw(false, buf, len, pos);
}

static ssize_t whc_disk_write(struct file *f, const char __user *buf, size_t len, loff_t *pos)
{
	return whc_disk_rw(true, (char __user *)buf, len, pos);
}

static loff_t whc_disk_llseek(struct file *f, loff_t off, int whence)
{
	return fixed_size_llseek(f, off, whence, whc.disk_size);
}

static const struct file_operations whc_disk_fops = {
	.owner = THIS_MODULE,
	.read = whc_disk_read,
	.write = whc_disk_write,
	.llseek = whc_disk_llseek,
};

static struct miscdevice whc_disk_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "whc-disk",
	.fops = &whc_disk_fops,
	.mode = 0600,
};

/* The disk, where the host offers one; the module works without it. */
static void whc_disk_init(void)
{
	if (!(whc.features & WHC_F_BLOCK) || whc_block_info())
		return;
	whc.disk_buf = kmalloc(WHC_DISK_BATCH * WHC_BLOCK_MAX, GFP_KERNEL);
	if (!whc.disk_buf) {
		pr_warn("whc: no memory for the disk's buffer: no /dev/whc-disk\n");
		return;
	}
	whc.disk_gpa = virt_to_phys(whc.disk_buf); /* contiguous: one kmalloc */
	whc.disk_on = misc_register(&whc_disk_dev) == 0;
	if (whc.disk_on)
		pr_info("whc: /dev/whc-disk: %llu bytes%s\n", whc.disk_size, whc.disk_ro ? ", read-only" : "");
}

/* --- the batching experiment ------------------------------------------------ */

enum whc_way { WAY_SINGLE, WAY_PORT, WAY_FAST, WAY_N };
static const char *const way_name[WAY_N] = { "single", "port", "fast" };
enum whc_op { OP_NOP, OP_CONSOLE, OP_N };
static const char *const op_name[OP_N] = { "nop", "console" };

static void whc_op_req(struct whc_buf *b, unsigned int i, enum whc_op op)
{
	struct whc_req *r = whc_req(b, i, op == OP_NOP ? WHC_CALL_NOP : WHC_CALL_CONSOLE_WRITE);

	if (op == OP_CONSOLE) {
		/* One byte each, all from the same place (the host only reads
		 * console buffers, so they may overlap each other). */
		r->args.console.buf.gpa = whc.data_gpa;
		r->args.console.len = 1;
	}
}

/* One group: N operations the way W says, timed with the TSC with
 * interrupts off.  Adds unanswered requests to *BAD. */
static u64 whc_group(enum whc_op op, enum whc_way w, u32 n, unsigned int *bad)
{
	unsigned long flags;
	u64 t0, t1;
	u32 st;

	local_irq_save(flags);
	t0 = rdtsc_ordered();
	if (w == WAY_SINGLE) {
		for (u32 i = 0; i < n; i++) {
			whc_op_req(whc.port, 0, op);
			st = whc_ring_port(1);
			*bad += whc_failed(whc.port, st, 1);
		}
	} else {
		struct whc_buf *b = w == WAY_PORT ? whc.port : whc.fast;

		for (u32 i = 0; i < n; i++)
			whc_op_req(b, i, op);
		st = w == WAY_PORT ? whc_ring_port(n) : whc_ring_fast(n);
		*bad += whc_failed(b, st, n);
	}
	t1 = rdtsc_ordered();
	local_irq_restore(flags);
	return t1 - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

struct whc_plan {
	u32 reps, nsizes, sizes[WHC_MAX_SIZES];
};

/* "REPS N1 N2 ...", or nothing: the defaults of warden lab batching. */
static int whc_parse(char *s, struct whc_plan *p)
{
	static const u32 def[] = { 1, 2, 3, 4, 6, 8, 12, 16, 32, 64 };
	char *tok;
	u32 v, k = 0;

	p->reps = 21;
	p->nsizes = 0;
	while ((tok = strsep(&s, " \t\n,")) != NULL) {
		if (!*tok)
			continue;
		if (kstrtou32(tok, 10, &v))
			return -EINVAL;
		if (k == 0 && (v == 0 || v > WHC_MAX_REPS))
			return -EINVAL;
		if (k > 0 && (v == 0 || v > WHC_BATCH_MAX || p->nsizes == WHC_MAX_SIZES))
			return -EINVAL;
		if (k++ == 0)
			p->reps = v;
		else
			p->sizes[p->nsizes++] = v;
	}
	if (!p->nsizes) {
		memcpy(p->sizes, def, sizeof(def));
		p->nsizes = ARRAY_SIZE(def);
	}
	return 0;
}

/* Every operation, way and size: REPS groups each, one line of results. */
static int whc_run(const struct whc_plan *p)
{
	u64 *t = kcalloc(p->reps, sizeof(*t), GFP_KERNEL);
	size_t len = 0;

	if (!t)
		return -ENOMEM;
	len += scnprintf(whc.results + len, WHC_RESULTS_MAX - len,
			 "whc-batching tsc_khz %u reps %u fast %d noexit %d\n"
			 "op way n median_cycles min_cycles failures\n", tsc_khz, p->reps, whc.fast_ready,
			 !!(whc.features & WHC_F_FAST_NOEXIT));
	for (int op = 0; op < OP_N; op++)
		for (int w = 0; w < WAY_N; w++)
			for (u32 i = 0; i < p->nsizes; i++) {
				unsigned int bad = 0;

				if (w == WAY_FAST && !whc.fast_ready)
					continue;
				for (u32 k = 0; k < p->reps; k++)
					t[k] = whc_group(op, w, p->sizes[i], &bad);
				sort(t, p->reps, sizeof(*t), cmp_u64, NULL);
				len += scnprintf(whc.results + len, WHC_RESULTS_MAX - len, "%s %s %u %llu %llu %u\n",
						 op_name[op], way_name[w], p->sizes[i],
						 p->reps % 2 ? t[p->reps / 2] : (t[p->reps / 2 - 1] + t[p->reps / 2]) / 2,
						 t[0], bad);
				cond_resched();
			}
	whc.results_len = len;
	kfree(t);
	return 0;
}

static ssize_t whc_batching_write(struct file *f, const char __user *buf, size_t len, loff_t *pos)
{
	struct whc_plan p;
	char s[256];
	int r;

	if (len >= sizeof(s))
		return -EINVAL;
	if (copy_from_user(s, buf, len))
		return -EFAULT;
	s[len] = 0;
	r = whc_parse(s, &p);
	if (r)
		return r;
	if (mutex_lock_interruptible(&whc.lock))
		return -ERESTARTSYS;
	whc.data[0] = '.'; /* what each console operation writes */
	r = whc_run(&p);
	mutex_unlock(&whc.lock);
	return r ? r : (ssize_t)len;
}

static ssize_t whc_batching_read(struct file *f, char __user *buf, size_t len, loff_t *pos)
{
	ssize_t r;

	if (mutex_lock_interruptible(&whc.lock))
		return -ERESTARTSYS;
	r = simple_read_from_buffer(buf, len, pos, whc.results, whc.results_len);
	mutex_unlock(&whc.lock);
	return r;
}

static const struct file_operations whc_batching_fops = {
	.owner = THIS_MODULE,
	.write = whc_batching_write,
	.read = whc_batching_read,
	.llseek = default_llseek,
};

/* --- life cycle ----------------------------------------------------------------- */

static void whc_free(void)
{
	debugfs_remove_recursive(whc.dbg);
	if (whc.misc_on)
		misc_deregister(&whc_console_dev);
	if (whc.disk_on)
		misc_deregister(&whc_disk_dev);
	kfree(whc.disk_buf);
	kfree(whc.port);
	kfree(whc.fast);
	kfree(whc.data);
	kfree(whc.results);
	release_region(WHC_PORT_BASE, WHC_PORT_MAX - WHC_PORT_BASE);
}

/* A batch buffer whose guest-physical address the doorbells can take. */
static struct whc_buf *whc_alloc_batch(u32 *gpa)
{
	struct whc_buf *b = kzalloc(sizeof(*b), GFP_KERNEL);
	phys_addr_t pa;

	if (!b)
		return NULL;
	pa = virt_to_phys(b);
	if (pa >> 32 || pa % WHC_BATCH_ALIGN) {
		pr_err("whc: batch memory at %pa: the doorbell needs it 64-byte aligned below 4 GiB\n", &pa);
		kfree(b);
		return NULL;
	}
	*gpa = (u32)pa;
	return b;
}

static int __init whc_init(void)
{
	int r = -ENOMEM;

	mutex_init(&whc.lock);
	if (!request_region(WHC_PORT_BASE, WHC_PORT_MAX - WHC_PORT_BASE, "whc")) {
		pr_err("whc: ports 0x%x-0x%x are taken\n", WHC_PORT_BASE, WHC_PORT_MAX - 1);
		return -EBUSY;
	}
	whc.port = whc_alloc_batch(&whc.port_gpa);
	whc.fast = whc_alloc_batch(&whc.fast_gpa);
	whc.data = kzalloc(WHC_CONSOLE_BATCH * WHC_CONSOLE_MAX, GFP_KERNEL);
	whc.results = kzalloc(WHC_RESULTS_MAX, GFP_KERNEL);
	if (!whc.port || !whc.fast || !whc.data || !whc.results)
		goto bad;
	whc.data_gpa = virt_to_phys(whc.data); /* contiguous: one kmalloc */
	r = whc_hello();
	if (r)
		goto bad;
	whc_fast_setup();
	r = misc_register(&whc_console_dev);
	if (r)
		goto bad;
	whc.misc_on = true;
	whc_disk_init();
	whc.dbg = debugfs_create_dir("whc", NULL);
	debugfs_create_file("batching", 0600, whc.dbg, NULL, &whc_batching_fops);
	pr_info("whc: hypercall interface version %u, features 0x%llx%s; /dev/whc-console\n", WHC_VERSION,
		whc.features, whc.fast_ready ? ", fast doorbell" : "");
	return 0;
bad:
	whc_free();
	return r;
}

static void __exit whc_exit(void)
{
	whc_free();
}

module_init(whc_init);
module_exit(whc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("warden's paravirtual hypercalls: a console and the batching experiment");
