/* Native-tier test guest: a virtio driver for warden's virtio-rng that
 * breaks the rules on purpose (built as a freestanding ELF64, entered in
 * long mode with the first 4 GiB identity-mapped, run with
 * `warden run --mem 16 --rng`, so the device window is at 0xc0000000).
 *
 * It initialises the device and gets random bytes; then, one at a time,
 * hands the device a broken queue (a descriptor loop, buffers outside RAM,
 * an avail index jump, bad ring set-up, ...) and expects the device to
 * answer DEVICE_NEEDS_RESET and nothing worse, resets it, and shows that
 * it works again.  Harmless oddities (a notify for a queue that does not
 * exist, ring registers rewritten after QueueReady, features the device did
 * not offer, resets while the device is busy) must leave it working.
 *
 * One line per step on COM1.  The last line gives the counts the native
 * test compares with warden's statistics, all exact:
 *   accesses  every access to the register window (all go through rd()/wr())
 *   fast      QueueNotify writes for queue 0, which KVM completes through the
 *             ioeventfd: with it, exits = accesses - fast
 *   kicks     notifications the device consumed (device_work.notifies)
 *   requests, bytes  buffers the device returned and bytes it wrote
 *   irqs      interrupts the device must have raised (used buffers that the
 *             driver asked to hear about, plus one configuration-change
 *             interrupt per failure)
 *   errors    failures (DEVICE_NEEDS_RESET) the guest provoked */
#include <stdint.h>

#include "virtio/virtio_spec.h"

#define RNG_BASE 0xc0000000UL /* VIRTIO_MMIO_START: the first (here only) device */
#define RAM_END (16UL << 20)  /* run with --mem 16 */
#define COM1 0x3f8
#define ACPI_SLEEP_CTL 0x600
#define QSIZE 8
#define DESC_GPA 0x400000UL
#define AVAIL_GPA 0x401000UL
#define USED_GPA 0x402000UL
#define ITAB_GPA 0x403000UL
#define BUF_GPA 0x404000UL /* a zeroed page, then a page of guard bytes */
#define BUF_GUARD 0xa5     /* bytes the device must not write */
#define OK_STATUS (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | \
		   VIRTIO_STATUS_DRIVER_OK)
#define F_V1 VIRTIO_BIT(VIRTIO_F_VERSION_1)
/* Bounds of the polling loops: several seconds each (a loop iteration
 * takes about 1 us on this host's kvm_pvm), never endless.  The device
 * answers within microseconds; the margin is for a loaded host.  NOTHING
 * bounds a wait for something that must not happen (a fraction of a
 * second of the device not doing it). */
#define POLL_MEM (1UL << 23)
#define POLL_MMIO 20000UL
#define POLL_DELAY 200
#define NOTHING (1UL << 18)
#define BUSY_RESETS 20

static struct {
	unsigned long accesses, fast, other_notifies, kicks, requests, bytes, irqs, errors;
} n;
static unsigned long bad_checks;

/* The current queue, as the driver set it up. */
static uint16_t qsize, avail_idx, used_seen;
static uint64_t q_desc, q_avail, q_used;

/* Freestanding: gcc may still call these for struct copies and zeroing. */
void *memset(void *d, int c, unsigned long len);
void *memcpy(void *d, const void *s, unsigned long len);
void *memset(void *d, int c, unsigned long len)
{
	volatile uint8_t *p = d;

	while (len--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long len)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	while (len--)
		*p++ = *q++;
	return d;
}

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void print(const char *s)
{
	while (*s)
		outb(COM1, (uint8_t)*s++);
}

static void putu(unsigned long v)
{
	char b[24];
	int i = 0;

	do
		b[i++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (i)
		outb(COM1, (uint8_t)b[--i]);
}

static void print_count(const char *name, unsigned long v)
{
	print(" ");
	print(name);
	print(" ");
	putu(v);
}

static void check(int ok, const char *what)
{
	if (ok)
		return;
	bad_checks++;
	print("virtio-rng: FAIL ");
	print(what);
	print("\n");
}

static void step(const char *what)
{
	print("virtio-rng: ");
	print(what);
	print("\n");
}

static void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* --- the register window: every access counted ---------------------------- */

static uint32_t rd(uint32_t off)
{
	n.accesses++;
	return *(volatile uint32_t *)(RNG_BASE + off);
}

static void wr(uint32_t off, uint32_t v)
{
	n.accesses++;
	*(volatile uint32_t *)(RNG_BASE + off) = v;
}

static void notify(uint32_t queue)
{
	if (queue == 0)
		n.fast++;
	else
		n.other_notifies++;
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

/* --- rings in our RAM --------------------------------------------------- */

static volatile struct virtq_desc *desc(void) { return (volatile struct virtq_desc *)q_desc; }
static volatile struct virtq_avail *avail(void) { return (volatile struct virtq_avail *)q_avail; }
static volatile struct virtq_used *used(void) { return (volatile struct virtq_used *)q_used; }
static volatile uint16_t *used_event(void) { return &avail()->ring[qsize]; }
static volatile uint16_t *avail_event(void) { return (volatile uint16_t *)&used()->ring[qsize]; }
static volatile uint8_t *buf(unsigned long off) { return (volatile uint8_t *)(BUF_GPA + off); }

static void set_desc(volatile struct virtq_desc *t, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	t[i].addr = addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = next;
}

/* Make chain HEAD available (IDX_STEP = 1 for a well-behaved driver). */
static void post(uint16_t head, uint16_t idx_step)
{
	avail()->ring[avail_idx % qsize] = head;
	avail_idx = (uint16_t)(avail_idx + idx_step);
	/* The ring entry before the index that publishes it. */
	__atomic_store_n(&avail()->idx, avail_idx, __ATOMIC_RELEASE);
}

/* --- device set-up ------------------------------------------------------ */

/* Reset, then negotiate DRV (the driver's feature bits); true if the
 * device kept FEATURES_OK. */
static int negotiate(uint64_t drv)
{
	uint32_t lo, hi;

	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	check(hi & 1, "device offers VIRTIO_F_VERSION_1");
	check(lo & (1u << VIRTIO_F_INDIRECT_DESC), "device offers VIRTIO_F_INDIRECT_DESC");
	check(lo & (1u << VIRTIO_F_EVENT_IDX), "device offers VIRTIO_F_EVENT_IDX");
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)drv);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(drv >> 32));
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return (rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) != 0;
}

static void zero_rings(void)
{
	memset((void *)q_desc, 0, 16UL * qsize);
	memset((void *)q_avail, 0, 6UL + 2UL * qsize);
	memset((void *)q_used, 0, 6UL + 8UL * qsize);
}

/* Queue 0 with SIZE entries at the given ring addresses (zeroed first if
 * they are in our RAM); QueueReady. */
static void setup_queue(uint32_t size, uint64_t d, uint64_t a, uint64_t u, int in_ram)
{
	qsize = (uint16_t)size;
	q_desc = d;
	q_avail = a;
	q_used = u;
	if (in_ram)
		zero_rings();
	avail_idx = used_seen = 0;
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	check(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == 256, "QueueNumMax is 256");
	wr(VIRTIO_MMIO_QUEUE_NUM, size);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)a);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(a >> 32));
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)u);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(u >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

static void driver_ok(void)
{
	wr(VIRTIO_MMIO_STATUS, OK_STATUS);
	check(rd(VIRTIO_MMIO_STATUS) == OK_STATUS, "status is DRIVER_OK without NEEDS_RESET");
}

/* The whole sequence of 3.1.1 with features DRV and a queue of SIZE at
 * the usual place. */
static void init_queue(uint64_t drv, uint32_t size)
{
	check(negotiate(drv), "FEATURES_OK sticks");
	setup_queue(size, DESC_GPA, AVAIL_GPA, USED_GPA, 1);
	check(rd(VIRTIO_MMIO_QUEUE_READY) == 1, "QueueReady reads 1");
	driver_ok();
}

static void init_device(uint64_t drv)
{
	init_queue(drv, QSIZE);
}

static void reset_device(void)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	check(rd(VIRTIO_MMIO_STATUS) == 0, "status reads 0 after reset");
	check(rd(VIRTIO_MMIO_QUEUE_READY) == 0, "queue not ready after reset");
	check(rd(VIRTIO_MMIO_INTERRUPT_STATUS) == 0, "InterruptStatus clear after reset");
}

/* --- waiting (bounded) --------------------------------------------------- */

static int wait_mem16(volatile uint16_t *p, uint16_t v, unsigned long bound)
{
	for (unsigned long i = 0; i < bound; i++) {
		if (__atomic_load_n(p, __ATOMIC_ACQUIRE) == v)
			return 1;
		cpu_relax();
	}
	return 0;
}

static void delay(void)
{
	for (int i = 0; i < POLL_DELAY; i++)
		cpu_relax();
}

/* Poll InterruptStatus until BIT is set, then acknowledge it. */
static int wait_isr(uint32_t bit)
{
	for (unsigned long i = 0; i < POLL_MMIO; i++) {
		if (rd(VIRTIO_MMIO_INTERRUPT_STATUS) & bit) {
			wr(VIRTIO_MMIO_INTERRUPT_ACK, bit);
			return 1;
		}
		delay();
	}
	return 0;
}

static int wait_needs_reset(void)
{
	for (unsigned long i = 0; i < POLL_MMIO; i++) {
		if (rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET)
			return 1;
		delay();
	}
	return 0;
}

/* --- requests ------------------------------------------------------------ */

/* Bytes [OFF, OFF+LEN) of the buffer page hold something other than
 * zero; the 64 bytes after them still hold the guard. */
static void check_filled(unsigned long off, uint32_t len)
{
	int nonzero = 0, guard = 1;

	for (uint32_t i = 0; i < len; i++)
		nonzero |= buf(off + i)[0] != 0;
	for (uint32_t i = len; i < len + 64; i++)
		guard &= buf(off + i)[0] == BUF_GUARD;
	check(nonzero, "random bytes are not all zero");
	check(guard, "device wrote nothing past the buffer");
}

static void clear_buffers(void)
{
	for (unsigned long i = 0; i < 0x1000; i++)
		buf(i)[0] = 0;
	for (unsigned long i = 0x1000; i < 0x2000; i++)
		buf(i)[0] = BUF_GUARD;
}

/* The chain at HEAD (posted and notified) comes back with LEN bytes
 * written; IRQ: the driver asked for an interrupt for it. */
static void expect_back(uint16_t head, uint32_t len, int irq)
{
	uint16_t slot = used_seen % qsize;

	check(wait_mem16(&used()->idx, (uint16_t)(used_seen + 1), POLL_MEM), "device returned the buffer");
	used_seen++;
	n.kicks++;
	n.requests++;
	n.bytes += len;
	check(used()->ring[slot].id == head, "used id is the chain head");
	check(used()->ring[slot].len == len, "used len is the bytes written");
	if (irq) {
		n.irqs++;
		check(wait_isr(VIRTIO_MMIO_INT_VRING), "used-buffer interrupt bit set");
		/* Notifications are back on once the device is done. */
		check(used()->flags == 0, "used flags: notifications wanted");
	}
}

static void expect_returned(uint16_t head, uint32_t len)
{
	post(head, 1);
	notify(0);
	expect_back(head, len, 1);
}

/* One good 64-byte request, in one descriptor at OFF in the buffer page. */
static void good_request_at(unsigned long off)
{
	clear_buffers();
	set_desc(desc(), 0, BUF_GPA + off, 64, VIRTQ_DESC_F_WRITE, 0);
	expect_returned(0, 64);
	check_filled(off, 64);
}

/* Buffer at the page's end: the guard page follows it. */
static void good_request(void)
{
	good_request_at(0x1000 - 64);
}

/* The device must now say DEVICE_NEEDS_RESET (and touch nothing). */
static void expect_needs_reset(const char *what)
{
	n.errors++;
	n.irqs++;
	check(wait_needs_reset(), what);
	check(wait_isr(VIRTIO_MMIO_INT_CONFIG), "configuration-change interrupt bit set");
	check(__atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE) == used_seen, "no buffer returned");
	check(rd(VIRTIO_MMIO_STATUS) == (OK_STATUS | VIRTIO_STATUS_NEEDS_RESET),
	      "driver's status bits kept next to NEEDS_RESET");
	step(what);
}

/* A broken chain at head 0: post it, expect NEEDS_RESET, reset, re-init. */
static void bad_chain(const char *what, uint16_t idx_step)
{
	post(0, idx_step);
	notify(0);
	n.kicks++;
	expect_needs_reset(what);
	reset_device();
	init_device(F_V1);
}

/* --- the scenarios ------------------------------------------------------- */

static void probe(void)
{
	check(rd(VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC, "magic value");
	check(rd(VIRTIO_MMIO_VERSION) == VIRTIO_MMIO_VERSION_2, "version 2");
	check(rd(VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_RNG, "device id 4 (entropy)");
	step("found virtio-mmio v2 entropy device at 0xc0000000");
}

static void good_paths(void)
{
	init_device(F_V1);
	step("initialised (VERSION_1, queue of 8)");
	good_request();
	step("64 random bytes returned");
	/* A chain of two writable buffers, not adjacent: 16 + 48 bytes. */
	clear_buffers();
	set_desc(desc(), 3, BUF_GPA + 0x1000 - 16, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 5);
	set_desc(desc(), 5, BUF_GPA + 0x800, 48, VIRTQ_DESC_F_WRITE, 0);
	for (int i = 0; i < 64; i++)
		buf(0x800 + 48 + i)[0] = BUF_GUARD;
	expect_returned(3, 64);
	check_filled(0x1000 - 16, 16);
	check_filled(0x800, 48);
	step("two-buffer chain returned with 64 bytes");
	/* A buffer that ends exactly where RAM does. */
	set_desc(desc(), 0, RAM_END - 64, 64, VIRTQ_DESC_F_WRITE, 0);
	expect_returned(0, 64);
	step("buffer ending at the last byte of RAM returned");
	reset_device();
}

static void loop_and_recover(void)
{
	init_device(F_V1);
	set_desc(desc(), 1, BUF_GPA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	set_desc(desc(), 2, BUF_GPA + 16, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	post(1, 1);
	notify(0);
	n.kicks++;
	expect_needs_reset("descriptor loop 1->2->1: device needs reset");
	reset_device();
	step("reset");
	init_device(F_V1);
	good_request();
	step("recovered: 64 random bytes after the reset");
}

static void bad_buffers(void)
{
	set_desc(desc(), 0, 0x20000000, 64, VIRTQ_DESC_F_WRITE, 0);
	bad_chain("buffer at 512 MiB (outside RAM): device needs reset", 1);
	set_desc(desc(), 0, RNG_BASE, 64, VIRTQ_DESC_F_WRITE, 0);
	bad_chain("buffer on the device's own registers: device needs reset", 1);
	set_desc(desc(), 0, RAM_END - 32, 64, VIRTQ_DESC_F_WRITE, 0);
	bad_chain("buffer straddling the end of RAM: device needs reset", 1);
	set_desc(desc(), 0, 0xffffffffffffff00UL, 0x200, VIRTQ_DESC_F_WRITE, 0);
	bad_chain("buffer whose end wraps around: device needs reset", 1);
	set_desc(desc(), 0, BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
	bad_chain("avail index jumped by 1000: device needs reset", 1000);
	set_desc(desc(), 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, QSIZE);
	bad_chain("next index out of range: device needs reset", 1);
	set_desc(desc(), 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(desc(), 1, BUF_GPA + 8, 8, 0, 0);
	bad_chain("readable after writable: device needs reset", 1);
	set_desc(desc(), 0, ITAB_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	bad_chain("indirect without negotiating it: device needs reset", 1);
	/* Features are frozen at FEATURES_OK: accepting INDIRECT now is too late. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_F_INDIRECT_DESC);
	set_desc(desc(), 0, ITAB_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	bad_chain("indirect accepted after FEATURES_OK: device needs reset", 1);
	/* Head out of range: the avail entry itself is bad. */
	avail()->ring[avail_idx % qsize] = QSIZE;
	avail_idx++;
	__atomic_store_n(&avail()->idx, avail_idx, __ATOMIC_RELEASE);
	notify(0);
	n.kicks++;
	expect_needs_reset("head index out of range: device needs reset");
	reset_device();
}

static void indirect(void)
{
	volatile struct virtq_desc *t = (volatile struct virtq_desc *)ITAB_GPA;

	init_device(F_V1 | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
	clear_buffers();
	set_desc(t, 0, BUF_GPA + 0x1000 - 40, 40, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(t, 1, BUF_GPA + 0x400, 24, VIRTQ_DESC_F_WRITE, 0);
	set_desc(desc(), 0, ITAB_GPA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_returned(0, 64);
	check_filled(0x1000 - 40, 40);
	step("indirect table of 2 buffers returned with 64 bytes");
	set_desc(desc(), 0, ITAB_GPA, 24, VIRTQ_DESC_F_INDIRECT, 0);
	post(0, 1);
	notify(0);
	n.kicks++;
	expect_needs_reset("indirect table of 24 bytes: device needs reset");
	reset_device();
}

/* The largest queue, and one chain through all of its descriptors. */
static void big_queue(void)
{
	init_queue(F_V1, 256);
	clear_buffers();
	for (unsigned i = 0; i < 256; i++)
		set_desc(desc(), i, BUF_GPA + 16 * i, 16, VIRTQ_DESC_F_WRITE | (i < 255 ? VIRTQ_DESC_F_NEXT : 0),
			 (uint16_t)(i + 1));
	expect_returned(0, 4096);
	check_filled(0, 4096);
	step("queue of 256, chain of 256 buffers returned with 4096 bytes");
	reset_device();
}

/* Rings in the last bytes of RAM (the used ring ends 2 bytes short of it). */
static void rings_at_top(void)
{
	check(negotiate(F_V1), "FEATURES_OK sticks");
	setup_queue(QSIZE, RAM_END - 0x1000, RAM_END - 0x800, RAM_END - 72, 1);
	driver_ok();
	clear_buffers();
	set_desc(desc(), 0, BUF_GPA + 0x1000 - 64, 64, VIRTQ_DESC_F_WRITE, 0);
	expect_returned(0, 64);
	check_filled(0x1000 - 64, 64);
	step("rings at the top of RAM work");
	reset_device();
}

/* Notification before DRIVER_OK: served once the driver is ready. */
static void early_notify(void)
{
	check(negotiate(F_V1), "FEATURES_OK sticks");
	setup_queue(QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, 1);
	clear_buffers();
	set_desc(desc(), 0, BUF_GPA + 0x1000 - 64, 64, VIRTQ_DESC_F_WRITE, 0);
	post(0, 1);
	notify(0);
	driver_ok();
	expect_back(0, 64, 1);
	check_filled(0x1000 - 64, 64);
	step("notify before DRIVER_OK served after it");
	reset_device();
}

/* VIRTIO_F_EVENT_IDX: the device interrupts only when used_event is
 * passed and tells where it wants the next notification (avail_event). */
static void event_idx(void)
{
	init_device(F_V1 | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	*used_event() = 2; /* interrupt me when you use entry 2 */
	for (uint16_t i = 0; i < 3; i++) {
		clear_buffers();
		set_desc(desc(), i, BUF_GPA + 0x1000 - 64, 64, VIRTQ_DESC_F_WRITE, 0);
		post(i, 1);
		notify(0);
		/* The first interrupt always comes (the device cannot know what
		 * the driver saw before); then only the one for entry 2. */
		expect_back(i, 64, i != 1);
		check_filled(0x1000 - 64, 64);
		check(wait_mem16(avail_event(), (uint16_t)(i + 1), POLL_MEM), "avail_event follows the device");
		check(used()->flags == 0, "no NO_NOTIFY flag with EVENT_IDX");
	}
	step("EVENT_IDX: used_event honoured (2 interrupts for 3 buffers), avail_event kept");
	reset_device();
}

/* Broken ring set-up: the device refuses QueueReady at once. */
static void bad_queue(const char *what, uint32_t size, uint64_t d, uint64_t a, uint64_t u)
{
	check(negotiate(F_V1), "FEATURES_OK sticks");
	setup_queue(size, d, a, u, 0);
	n.errors++;
	n.irqs++;
	check(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, what);
	check(rd(VIRTIO_MMIO_QUEUE_READY) == 0, "QueueReady reads 0");
	check(wait_isr(VIRTIO_MMIO_INT_CONFIG), "configuration-change interrupt bit set");
	step(what);
	reset_device();
}

static void bad_queues(void)
{
	bad_queue("queue size 3 at QueueReady: device needs reset", 3, DESC_GPA, AVAIL_GPA, USED_GPA);
	bad_queue("queue size 512 at QueueReady: device needs reset", 512, DESC_GPA, AVAIL_GPA, USED_GPA);
	bad_queue("no queue size at QueueReady: device needs reset", 0, DESC_GPA, AVAIL_GPA, USED_GPA);
	bad_queue("descriptor table in the MMIO hole: device needs reset", QSIZE, RNG_BASE, AVAIL_GPA,
		  USED_GPA);
	bad_queue("used ring past the end of RAM: device needs reset", QSIZE, DESC_GPA, AVAIL_GPA,
		  RAM_END - 68);
	bad_queue("avail ring above 4 GiB (no RAM there): device needs reset", QSIZE, DESC_GPA,
		  AVAIL_GPA + (1UL << 32), USED_GPA);
	bad_queue("misaligned descriptor table: device needs reset", QSIZE, DESC_GPA + 8, AVAIL_GPA,
		  USED_GPA);
}

static void harmless(void)
{
	/* Features: one the device did not offer, or no VERSION_1. */
	check(!negotiate(F_V1 | VIRTIO_BIT(33)), "unoffered feature refused");
	check(!negotiate(0), "legacy driver (no VERSION_1) refused");
	step("FEATURES_OK refused for bad feature sets");
	init_device(F_V1);
	/* A notification for a queue the device does not have. */
	notify(5);
	notify(0xffffffffu);
	/* Ring set-up rewritten while the queue is live: ignored. */
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0xdead0000u);
	wr(VIRTIO_MMIO_QUEUE_NUM, 3);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	check(rd(VIRTIO_MMIO_QUEUE_READY) == 1, "QueueReady still 1");
	/* Unaligned and short register accesses: ignored. */
	*(volatile uint16_t *)(RNG_BASE + VIRTIO_MMIO_STATUS) = 0;
	n.accesses++;
	*(volatile uint32_t *)(RNG_BASE + VIRTIO_MMIO_STATUS + 1) = 0;
	n.accesses++;
	check(rd(VIRTIO_MMIO_STATUS) == OK_STATUS, "status unchanged");
	/* No configuration space, no third feature word, no queue 1. */
	check(rd(VIRTIO_MMIO_CONFIG) == 0, "config space reads 0");
	wr(VIRTIO_MMIO_CONFIG, 0x12345678u);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	check(rd(VIRTIO_MMIO_DEVICE_FEATURES) == 0, "feature word 2 is 0");
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	check(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == 0, "queue 1 does not exist");
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	/* Status bits are the driver's to set, never to clear (only a reset
	 * does): dropping DRIVER_OK and setting it again changes nothing. */
	wr(VIRTIO_MMIO_STATUS, OK_STATUS & ~VIRTIO_STATUS_DRIVER_OK);
	check(rd(VIRTIO_MMIO_STATUS) == OK_STATUS, "DRIVER_OK cannot be cleared");
	wr(VIRTIO_MMIO_STATUS, OK_STATUS);
	good_request();
	step("notify of queue 5, live ring rewrites, odd accesses, status bits cleared: ignored, device works");
	reset_device();
}

/* FAILED: the driver gave up; the device does nothing more until reset. */
static void driver_failed(void)
{
	init_device(F_V1);
	wr(VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_FAILED);
	check(rd(VIRTIO_MMIO_STATUS) == (OK_STATUS | VIRTIO_STATUS_FAILED), "FAILED set");
	set_desc(desc(), 0, BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
	post(0, 1);
	notify(0); /* stays in the eventfd; the reset drops it */
	check(!wait_mem16(&used()->idx, 1, NOTHING), "no buffer served after FAILED");
	reset_device();
	init_device(F_V1);
	good_request();
	step("FAILED stops the device; it works again after a reset");
	reset_device();
}

/* Reset right after a notification, while the I/O thread may be at work:
 * after the reset the buffer is either back or untouched, never half done,
 * and the device works again. */
static void busy_resets(void)
{
	unsigned long served = 0;

	for (int i = 0; i < BUSY_RESETS; i++) {
		init_device(F_V1);
		clear_buffers();
		set_desc(desc(), 0, BUF_GPA, 4096, VIRTQ_DESC_F_WRITE, 0);
		post(0, 1);
		notify(0);
		wr(VIRTIO_MMIO_STATUS, 0);
		/* The reset waited for the I/O thread: what is done is done. */
		if (used()->idx == 1) {
			check(used()->ring[0].len == 4096, "a served buffer is whole");
			served++;
			n.kicks++;
			n.requests++;
			n.bytes += 4096;
			n.irqs++;
		} else {
			check(used()->idx == 0, "used index 0 or 1");
		}
		check(rd(VIRTIO_MMIO_STATUS) == 0, "status reads 0 after reset");
	}
	print("virtio-rng: resets right after a notification: ");
	putu(served);
	print(" of ");
	putu(BUSY_RESETS);
	print(" buffers served before the reset\n");
	init_device(F_V1);
	good_request();
	step("device works after busy resets");
	reset_device();
}

void guest_main(void);
void guest_main(void)
{
	print("virtio-rng: hostile driver start\n");
	probe();
	good_paths();
	loop_and_recover();
	bad_buffers();
	indirect();
	big_queue();
	rings_at_top();
	early_notify();
	event_idx();
	bad_queues();
	harmless();
	driver_failed();
	busy_resets();
	init_device(F_V1);
	good_request();
	reset_device();
	step("final request after all errors: 64 random bytes");
	print("virtio-rng: counts");
	print_count("accesses", n.accesses);
	print_count("fast", n.fast);
	print_count("other-notifies", n.other_notifies);
	print_count("kicks", n.kicks);
	print_count("requests", n.requests);
	print_count("bytes", n.bytes);
	print_count("irqs", n.irqs);
	print_count("errors", n.errors);
	print("\n");
	print(bad_checks ? "virtio-rng: checks FAILED\n" : "virtio-rng: all checks passed\n");
	for (;;) {
		outb(ACPI_SLEEP_CTL, 0x34); /* SLP_TYP=5 << 2 | SLP_EN */
		__asm__ volatile("hlt");
	}
}

/* Entry: our own stack, then C.  (push/popsection: the compiler's
 * section must be the same after this block as before it.) */
__asm__(".pushsection .text\n"
	".globl _start\n"
	"_start:\n"
	"	lea stack_top(%rip), %rsp\n"
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n"
	".pushsection .bss\n"
	".balign 16\n"
	"	.skip 16384\n"
	"stack_top:\n"
	".popsection\n");
