/* Native-tier test guest for the hypercall interface (docs/hypercall.md):
 * every call through both doorbells, and every error code provoked.  A
 * freestanding ELF64 using the guest library (guestlib/whc.c), run by
 * tests/native/hypercall.sh with `warden run --mem 16 --hypercall ...`.
 *
 * What it expects depends on the machine it finds: HELLO's features say
 * whether there is a disk (WHC_F_BLOCK) and an in-kernel irqchip
 * (WHC_F_IDLE); BLOCK_INFO whether the disk is read-only; and sector 0 of
 * the disk, written by the test script, holds "WHCTEST1" and the byte
 * offset at which the host's reads are made to fail (0: none), to provoke
 * WHC_E_IO.
 *
 * One line per step on COM1 ("hypercall: ..."; failures "hypercall: FAIL
 * ...").  The last lines give what the script compares with warden's
 * statistics, all exact:
 *   port_rings    32-bit writes to the port doorbell (each one exit)
 *   fast_rings    32-bit writes to the fast doorbell (an exit each only
 *                 without ioeventfd)
 *   status_reads  32-bit reads of the doorbell's status (each one exit)
 *   bad_accesses  other accesses to the doorbell ports (each one exit)
 *   fast_port_bad those of them at the fast doorbell's port
 *   requests      requests answered; bytes: payload bytes moved
 *   errors        guest errors the host must have counted */
#include <stdint.h>

#include "guest_rt.h"
#include "whc.h"

#define RAM_END (16ULL << 20) /* run with --mem 16 */
#define PORT 0
#define FAST 1
#define QCAP WHC_BATCH_MAX    /* each batch area has room for 300 requests */
#define PB_GPA 0x400000ULL    /* the port doorbell's batch */
#define FB_GPA 0x410000ULL    /* the fast doorbell's batch */
#define DATA_GPA 0x500000ULL  /* buffers */
#define BIG_GPA 0x600000ULL   /* a WHC_BLOCK_MAX buffer */
#define OUTSIDE 0x20000000ULL /* 512 MiB: no RAM there */
#define SECTOR WHC_SECTOR
#define IDLE_ROUNDS 10
#define TIMER_PERIOD 1000000  /* 1 ms */

static struct {
	uint64_t port_rings, fast_rings, status_reads, bad_accesses, fast_port_bad, requests, bytes, errors;
} n;
static unsigned long failures;
static uint64_t features, disk_size, disk_flags, eio_offset, tsc_wait;
static struct whc_queue q[2];
static const char *const dbname[2] = { "port", "fast" };

static void check(int ok, int db, const char *what)
{
	if (ok)
		return;
	failures++;
	print("hypercall: FAIL ");
	if (db >= 0) {
		print(dbname[db]);
		print(": ");
	}
	print(what);
	print("\n");
}

static void step(int db, const char *what)
{
	print("hypercall: ");
	if (db >= 0) {
		print(dbname[db]);
		print(": ");
	}
	print(what);
	print("\n");
}

static uint8_t *mem(uint64_t gpa)
{
	return (uint8_t *)gpa; /* identity-mapped */
}

/* --- ringing, and counting what the host must have counted ------------------ */

static void account(struct whc_queue *qq, uint32_t doorbell_status)
{
	uint32_t hs = qq->hdr->status;

	if (hs == WHC_STATUS_PENDING) {
		if (doorbell_status != WHC_OK && doorbell_status != WHC_STATUS_PENDING)
			n.errors++; /* refused at the doorbell */
		return;
	}
	if (hs != WHC_OK) {
		n.errors++; /* refused as a batch */
		return;
	}
	n.requests += qq->hdr->done;
	for (uint32_t i = 0; i < qq->hdr->done; i++) {
		volatile struct whc_req *r = whc_req_at(qq, i);

		if (r->status != WHC_OK && r->status != WHC_E_IO)
			n.errors++;
		if (r->call == WHC_CALL_CONSOLE_WRITE && (r->status == WHC_OK || r->status == WHC_E_IO))
			n.bytes += r->ret.console.written;
		if ((r->call == WHC_CALL_BLOCK_READ || r->call == WHC_CALL_BLOCK_WRITE) &&
		    (r->status == WHC_OK || r->status == WHC_E_IO))
			n.bytes += r->ret.block.bytes;
	}
}

/* Wait for a fast batch's answer: a few seconds at most, never forever. */
static uint32_t wait_fast(struct whc_queue *qq, uint64_t cycles)
{
	uint64_t t0 = rdtsc();
	uint32_t st;

	while ((st = whc_wait(qq, 64)) == WHC_STATUS_PENDING && rdtsc() - t0 < cycles)
		;
	return st;
}

/* Ring a batch already sealed (and perhaps tampered with). */
static uint32_t ring_sealed(int db, struct whc_queue *qq)
{
	uint32_t st;

	if (db == PORT) {
		n.port_rings++;
		whc_outl(WHC_PORT_DOORBELL, (uint32_t)qq->gpa);
		st = qq->hdr->status;
		if (st == WHC_STATUS_PENDING) {
			n.status_reads++;
			st = whc_port_status();
		}
	} else {
		n.fast_rings++;
		whc_outl(WHC_PORT_FAST, 0);
		st = wait_fast(qq, tsc_wait);
		check(st != WHC_STATUS_PENDING, db, "the fast batch was answered in time");
	}
	account(qq, st);
	return st;
}

static uint32_t ring(int db)
{
	whc_seal(&q[db]);
	return ring_sealed(db, &q[db]);
}

static volatile struct whc_req *req(int db, uint32_t i)
{
	return whc_req_at(&q[db], i);
}

/* A batch of one request with CALL and raw args; its status. */
static uint32_t one_raw(int db, uint32_t call, uint32_t flags, uint64_t a0, uint64_t a1, uint64_t a2)
{
	volatile struct whc_req *r;

	whc_clear(&q[db]);
	r = whc_add(&q[db], call);
	r->flags = flags;
	r->args.raw[0] = a0;
	r->args.raw[1] = a1;
	r->args.raw[2] = a2;
	if (ring(db) != WHC_OK)
		return 0xdead;
	return r->status;
}

static void expect_one(int db, const char *what, uint32_t want, uint32_t call, uint32_t flags, uint64_t a0,
		       uint64_t a1, uint64_t a2)
{
	check(one_raw(db, call, flags, a0, a1, a2) == want, db, what);
}

/* --- the machine ------------------------------------------------------------ */

static void hello(int db)
{
	volatile struct whc_req *r;

	whc_clear(&q[db]);
	r = whc_hello(&q[db]);
	check(ring(db) == WHC_OK && r->status == WHC_OK, db, "HELLO answered");
	check(r->ret.hello.host_version == WHC_VERSION, db, "HELLO: host version 1");
	check(r->ret.hello.batch_max == WHC_BATCH_MAX, db, "HELLO: batch limit");
	if (db == PORT)
		features = r->ret.hello.features;
	check(r->ret.hello.features == features, db, "HELLO: same features on both doorbells");
	/* A guest written for a version the host does not know. */
	whc_clear(&q[db]);
	r = whc_hello(&q[db]);
	r->args.hello.guest_version = 2;
	check(ring(db) == WHC_OK && r->status == WHC_E_VERSION, db, "HELLO from a version-2 guest: E_VERSION");
	check(r->ret.hello.host_version == WHC_VERSION, db, "HELLO with E_VERSION still says the host's version");
}

static void disk_setup(void)
{
	volatile struct whc_req *r;
	const uint8_t *s0 = mem(DATA_GPA);

	whc_clear(&q[PORT]);
	r = whc_block_info(&q[PORT]);
	if (!(features & WHC_F_BLOCK)) {
		check(ring(PORT) == WHC_OK && r->status == WHC_E_NODEV, PORT, "BLOCK_INFO without a disk: E_NODEV");
		return;
	}
	check(ring(PORT) == WHC_OK && r->status == WHC_OK, PORT, "BLOCK_INFO");
	disk_size = r->ret.block_info.size;
	disk_flags = r->ret.block_info.flags;
	print("hypercall: disk size ");
	putu(disk_size);
	print(disk_flags & WHC_BLOCK_RO ? " read-only\n" : " read-write\n");
	whc_clear(&q[PORT]);
	r = whc_block_read(&q[PORT], 0, DATA_GPA, SECTOR);
	check(ring(PORT) == WHC_OK && r->status == WHC_OK && r->ret.block.bytes == SECTOR, PORT,
	      "BLOCK_READ of sector 0");
	check(s0[0] == 'W' && s0[1] == 'H' && s0[2] == 'C' && s0[3] == 'T' && s0[7] == '1', PORT,
	      "sector 0 holds the test's header");
	for (int i = 7; i >= 0; i--)
		eio_offset = eio_offset << 8 | s0[8 + i];
}

/* --- every call, through one doorbell ------------------------------------------ */

static void calls(int db)
{
	static const char msg_port[] = "hypercall: console write through the port doorbell\n";
	static const char msg_fast[] = "hypercall: console write through the fast doorbell\n";
	const char *msg = db == PORT ? msg_port : msg_fast;
	uint64_t len = (db == PORT ? sizeof(msg_port) : sizeof(msg_fast)) - 1;
	volatile struct whc_req *r, *r2;
	int ok;

	hello(db);

	whc_clear(&q[db]);
	r = whc_nop(&q[db]);
	check(ring(db) == WHC_OK && r->status == WHC_OK && q[db].hdr->done == 1, db, "NOP");
	whc_clear(&q[db]);
	for (int i = 0; i < WHC_BATCH_MAX; i++)
		whc_nop(&q[db]);
	ok = ring(db) == WHC_OK && q[db].hdr->done == WHC_BATCH_MAX;
	for (int i = 0; i < WHC_BATCH_MAX; i++)
		ok = ok && req(db, (uint32_t)i)->status == WHC_OK;
	check(ok, db, "a full batch of 256 NOPs");
	whc_clear(&q[db]);
	check(ring(db) == WHC_OK && q[db].hdr->done == 0, db, "an empty batch");

	/* The message is copied into RAM the guest owns: the string may sit
	 * anywhere in the image. */
	memcpy(mem(DATA_GPA), msg, len);
	whc_clear(&q[db]);
	r = whc_console(&q[db], DATA_GPA, len);
	r2 = whc_console(&q[db], DATA_GPA, 0);
	check(ring(db) == WHC_OK && r->status == WHC_OK && r->ret.console.written == len, db, "CONSOLE_WRITE");
	check(r2->status == WHC_OK && r2->ret.console.written == 0, db, "CONSOLE_WRITE of 0 bytes");

	whc_clear(&q[db]);
	r = whc_time(&q[db]);
	r2 = whc_time(&q[db]);
	check(ring(db) == WHC_OK && r->status == WHC_OK && r2->status == WHC_OK, db, "TIME");
	check(r->ret.time.monotonic_ns && r2->ret.time.monotonic_ns >= r->ret.time.monotonic_ns, db,
	      "TIME: the monotonic clock does not go back");
	check(r2->ret.time.host_tsc >= r->ret.time.host_tsc, db, "TIME: the host TSC does not go back");
	print("hypercall: ");
	print(dbname[db]);
	print(": time realtime_s ");
	putu(r->ret.time.realtime_ns / 1000000000ULL);
	print("\n");

	if (features & WHC_F_BLOCK) {
		const uint8_t *p = mem(DATA_GPA), *big = mem(BIG_GPA);
		uint64_t woff = (db == PORT ? 100 : 102) * SECTOR;
		uint8_t pat = (uint8_t)(0xa0 + db);

		/* Sector k of the disk holds byte k & 0xff (sector 0: the header). */
		whc_clear(&q[db]);
		r = whc_block_read(&q[db], 3 * SECTOR, DATA_GPA, 2 * SECTOR);
		r2 = whc_block_read(&q[db], 128 * SECTOR, BIG_GPA, WHC_BLOCK_MAX);
		check(ring(db) == WHC_OK && r->status == WHC_OK && r->ret.block.bytes == 2 * SECTOR, db,
		      "BLOCK_READ of sectors 3-4");
		check(p[0] == 3 && p[SECTOR - 1] == 3 && p[SECTOR] == 4 && p[2 * SECTOR - 1] == 4, db,
		      "BLOCK_READ: the sectors' contents");
		ok = r2->status == WHC_OK && r2->ret.block.bytes == WHC_BLOCK_MAX;
		for (uint64_t i = 0; i < WHC_BLOCK_MAX; i++)
			ok = ok && big[i] == (uint8_t)(128 + i / SECTOR);
		check(ok, db, "BLOCK_READ of WHC_BLOCK_MAX bytes, every byte");

		for (uint64_t i = 0; i < 2 * SECTOR; i++)
			mem(DATA_GPA)[i] = pat;
		whc_clear(&q[db]);
		r = whc_block_write(&q[db], woff, DATA_GPA, 2 * SECTOR);
		if (disk_flags & WHC_BLOCK_RO) {
			check(ring(db) == WHC_OK && r->status == WHC_E_RDONLY, db, "BLOCK_WRITE to a read-only disk: E_RDONLY");
		} else {
			check(ring(db) == WHC_OK && r->status == WHC_OK && r->ret.block.bytes == 2 * SECTOR, db,
			      "BLOCK_WRITE");
			memset(mem(BIG_GPA), 0, 2 * SECTOR);
			whc_clear(&q[db]);
			r = whc_block_read(&q[db], woff, BIG_GPA, 2 * SECTOR);
			ok = ring(db) == WHC_OK && r->status == WHC_OK;
			for (uint64_t i = 0; i < 2 * SECTOR; i++)
				ok = ok && big[i] == pat;
			check(ok, db, "BLOCK_READ gives back what BLOCK_WRITE wrote");
		}
		if (eio_offset) {
			whc_clear(&q[db]);
			r = whc_block_read(&q[db], eio_offset, DATA_GPA, SECTOR);
			r2 = whc_nop(&q[db]);
			check(ring(db) == WHC_OK && r->status == WHC_E_IO && r2->status == WHC_OK, db,
			      "a read the host cannot do: E_IO, and the next request still answered");
		}
	}

	/* FAST_SETUP, pointing the fast doorbell where it already points. */
	whc_clear(&q[db]);
	r = whc_fast_setup(&q[db], FB_GPA);
	check(ring(db) == WHC_OK && r->status == WHC_OK, db, "FAST_SETUP");

	/* IDLE: on the port doorbell the vCPU halts until an interrupt (the
	 * timer ticks every ms; a halt that did not happen would return long
	 * before the next tick, so IDLE_ROUNDS rounds each seeing a tick
	 * show it waited). */
	whc_clear(&q[db]);
	r = whc_idle(&q[db]);
	if (db == FAST) {
		check(ring(db) == WHC_OK && r->status == WHC_E_DOORBELL, db, "IDLE through the fast doorbell: E_DOORBELL");
	} else if (!(features & WHC_F_IDLE)) {
		check(ring(db) == WHC_OK && r->status == WHC_E_NOTSUPP, db, "IDLE without an irqchip: E_NOTSUPP");
	} else {
		unsigned woke = 0;
		uint64_t t0, cycles = 0;

		rt_timer_start(TIMER_PERIOD);
		for (int i = 0; i < IDLE_ROUNDS; i++) {
			uint64_t before = rt_ticks;

			whc_clear(&q[db]);
			r = whc_nop(&q[db]);
			r2 = whc_idle(&q[db]);
			whc_seal(&q[db]);
			t0 = rdtsc();
			/* sti's shadow covers the out: an interrupt due before it is
			 * taken after it, and ends the halt at once. */
			__asm__ volatile("sti");
			ring_sealed(db, &q[db]);
			__asm__ volatile("cli");
			cycles += rdtsc() - t0;
			check(r->status == WHC_OK && r2->status == WHC_OK, db, "IDLE answered");
			woke += rt_ticks > before;
		}
		rt_timer_stop();
		check(woke == IDLE_ROUNDS, db, "IDLE: every round waited for a timer interrupt");
		print("hypercall: port: idle rounds ");
		putu(woke);
		print(" of ");
		putu(IDLE_ROUNDS);
		print(", guest cycles per idle ");
		putu(cycles / IDLE_ROUNDS);
		print("\n");
	}
	step(db, "every call answered");
}

/* --- every error ------------------------------------------------------------------ */

static void request_errors(int db)
{
	uint64_t batch_gpa = q[db].gpa;
	volatile struct whc_req *r, *r2, *r3;

	expect_one(db, "call 0 (reserved): E_NOSYS", WHC_E_NOSYS, WHC_CALL_RESERVED, 0, 0, 0, 0);
	expect_one(db, "call WHC_CALL_MAX: E_NOSYS", WHC_E_NOSYS, WHC_CALL_MAX, 0, 0, 0, 0);
	expect_one(db, "call 0xffffffff: E_NOSYS", WHC_E_NOSYS, 0xffffffffu, 0, 0, 0, 0);
	expect_one(db, "flags not 0: E_INVAL", WHC_E_INVAL, WHC_CALL_NOP, 1, 0, 0, 0);
	expect_one(db, "NOP with an argument: E_INVAL", WHC_E_INVAL, WHC_CALL_NOP, 0, 0, 0, 1);
	expect_one(db, "HELLO with its zero word set: E_INVAL", WHC_E_INVAL, WHC_CALL_HELLO, 0,
		   WHC_VERSION | 1ULL << 32, 0, 0);
	expect_one(db, "TIME with an argument: E_INVAL", WHC_E_INVAL, WHC_CALL_TIME, 0, 1, 0, 0);
	expect_one(db, "IDLE with an argument: E_INVAL", WHC_E_INVAL, WHC_CALL_IDLE, 0, 0, 1, 0);
	expect_one(db, "BLOCK_INFO with an argument: E_INVAL", WHC_E_INVAL, WHC_CALL_BLOCK_INFO, 0, 1, 0, 0);
	expect_one(db, "CONSOLE_WRITE with its third word set: E_INVAL", WHC_E_INVAL, WHC_CALL_CONSOLE_WRITE, 0,
		   DATA_GPA, 1, 1);
	expect_one(db, "CONSOLE_WRITE of WHC_CONSOLE_MAX + 1 bytes: E_TOOBIG", WHC_E_TOOBIG,
		   WHC_CALL_CONSOLE_WRITE, 0, DATA_GPA, WHC_CONSOLE_MAX + 1, 0);
	expect_one(db, "CONSOLE_WRITE from 512 MiB (outside RAM): E_FAULT", WHC_E_FAULT, WHC_CALL_CONSOLE_WRITE, 0,
		   OUTSIDE, 16, 0);
	expect_one(db, "CONSOLE_WRITE across the end of RAM: E_FAULT", WHC_E_FAULT, WHC_CALL_CONSOLE_WRITE, 0,
		   RAM_END - 8, 16, 0);
	expect_one(db, "CONSOLE_WRITE from the batch itself: E_OVERLAP", WHC_E_OVERLAP, WHC_CALL_CONSOLE_WRITE, 0,
		   batch_gpa + 8, 16, 0);
	expect_one(db, "FAST_SETUP misaligned: E_ALIGN", WHC_E_ALIGN, WHC_CALL_FAST_SETUP, 0, FB_GPA + 8, 0, 0);
	expect_one(db, "FAST_SETUP outside RAM: E_FAULT", WHC_E_FAULT, WHC_CALL_FAST_SETUP, 0, OUTSIDE, 0, 0);
	expect_one(db, "FAST_SETUP with a second word: E_INVAL", WHC_E_INVAL, WHC_CALL_FAST_SETUP, 0, FB_GPA, 1, 0);

	if (!(features & WHC_F_BLOCK)) {
		expect_one(db, "BLOCK_READ without a disk: E_NODEV", WHC_E_NODEV, WHC_CALL_BLOCK_READ, 0, 0, DATA_GPA,
			   SECTOR);
		expect_one(db, "BLOCK_WRITE without a disk: E_NODEV", WHC_E_NODEV, WHC_CALL_BLOCK_WRITE, 0, 0,
			   DATA_GPA, SECTOR);
		step(db, "every request error answered");
		return;
	}
	expect_one(db, "BLOCK_READ of 0 bytes: E_INVAL", WHC_E_INVAL, WHC_CALL_BLOCK_READ, 0, 0, DATA_GPA, 0);
	expect_one(db, "BLOCK_READ of 128 KiB: E_TOOBIG", WHC_E_TOOBIG, WHC_CALL_BLOCK_READ, 0, 0, BIG_GPA,
		   2 * WHC_BLOCK_MAX);
	expect_one(db, "BLOCK_READ at byte 100: E_ALIGN", WHC_E_ALIGN, WHC_CALL_BLOCK_READ, 0, 100, DATA_GPA, SECTOR);
	expect_one(db, "BLOCK_READ of 100 bytes: E_ALIGN", WHC_E_ALIGN, WHC_CALL_BLOCK_READ, 0, 0, DATA_GPA, 100);
	expect_one(db, "BLOCK_READ at the disk's end: E_RANGE", WHC_E_RANGE, WHC_CALL_BLOCK_READ, 0, disk_size,
		   DATA_GPA, SECTOR);
	expect_one(db, "BLOCK_READ across the disk's end: E_RANGE", WHC_E_RANGE, WHC_CALL_BLOCK_READ, 0,
		   disk_size - SECTOR, DATA_GPA, 2 * SECTOR);
	expect_one(db, "BLOCK_READ at 2^64 - 512 (sum overflows): E_RANGE", WHC_E_RANGE, WHC_CALL_BLOCK_READ, 0,
		   0ULL - SECTOR, DATA_GPA, 2 * SECTOR);
	expect_one(db, "BLOCK_READ into 512 MiB (outside RAM): E_FAULT", WHC_E_FAULT, WHC_CALL_BLOCK_READ, 0, 0,
		   OUTSIDE, SECTOR);
	expect_one(db, "BLOCK_READ into the batch: E_OVERLAP", WHC_E_OVERLAP, WHC_CALL_BLOCK_READ, 0, SECTOR,
		   batch_gpa, SECTOR);
	if (disk_flags & WHC_BLOCK_RO)
		expect_one(db, "BLOCK_WRITE to a read-only disk, even a bad one: E_RDONLY", WHC_E_RDONLY,
			   WHC_CALL_BLOCK_WRITE, 0, 100, OUTSIDE, 0);
	else
		expect_one(db, "BLOCK_WRITE from 512 MiB: E_FAULT", WHC_E_FAULT, WHC_CALL_BLOCK_WRITE, 0,
			   100 * SECTOR, OUTSIDE, SECTOR);

	/* Buffers of one batch: a buffer the host writes may share no byte with
	 * another buffer of the batch; buffers the host only reads may. */
	whc_clear(&q[db]);
	r = whc_block_read(&q[db], SECTOR, DATA_GPA, 2 * SECTOR);
	r2 = whc_block_read(&q[db], SECTOR, DATA_GPA + SECTOR, SECTOR);  /* into r's buffer */
	r3 = whc_console(&q[db], DATA_GPA + 2 * SECTOR - 1, 1);         /* r's last byte */
	check(ring(db) == WHC_OK && r->status == WHC_OK && r2->status == WHC_E_OVERLAP && r3->status == WHC_E_OVERLAP,
	      db, "buffers overlapping a read's: E_OVERLAP, the first read done");
	memcpy(mem(DATA_GPA + 4 * SECTOR), "hypercall: console from a third buffer\n", 39);
	whc_clear(&q[db]);
	r = whc_block_read(&q[db], SECTOR, DATA_GPA, SECTOR);
	r2 = whc_block_read(&q[db], SECTOR, DATA_GPA + SECTOR, SECTOR);   /* just after r's */
	r3 = whc_console(&q[db], DATA_GPA + 4 * SECTOR, 39);              /* elsewhere */
	check(ring(db) == WHC_OK && r->status == WHC_OK && r2->status == WHC_OK && r3->status == WHC_OK, db,
	      "adjacent buffers do not overlap");
	memset(mem(DATA_GPA), 0, SECTOR);
	memcpy(mem(DATA_GPA), "hypercall: console from a block write's buffer\n", 47);
	whc_clear(&q[db]);
	r = whc_block_write(&q[db], (disk_flags & WHC_BLOCK_RO) ? SECTOR : 104 * SECTOR, DATA_GPA, SECTOR);
	r2 = whc_console(&q[db], DATA_GPA, 47);                           /* both only read */
	check(ring(db) == WHC_OK && r2->status == WHC_OK &&
	      r->status == ((disk_flags & WHC_BLOCK_RO) ? WHC_E_RDONLY : WHC_OK), db,
	      "two buffers the host only reads may overlap");
	step(db, "every request error answered");
}

static void batch_errors(int db)
{
	struct whc_queue *qq = &q[db];
	volatile struct whc_req *r;

	whc_clear(qq);
	r = whc_nop(qq);
	whc_seal(qq);
	qq->hdr->version = 2;
	check(ring_sealed(db, qq) == WHC_E_VERSION && qq->hdr->done == 0 && r->status == WHC_STATUS_PENDING, db,
	      "batch version 2: E_VERSION, no request answered");
	whc_seal(qq);
	qq->hdr->version = 0;
	check(ring_sealed(db, qq) == WHC_E_VERSION, db, "batch version 0: E_VERSION");
	whc_seal(qq);
	qq->hdr->reserved[4] = 1;
	check(ring_sealed(db, qq) == WHC_E_INVAL, db, "batch reserved word set: E_INVAL");
	whc_seal(qq);
	qq->hdr->features = 1ULL << 63;
	check(ring_sealed(db, qq) == WHC_E_FEATURES, db, "batch relying on an unknown feature: E_FEATURES");
	if (!(features & WHC_F_BLOCK)) {
		whc_seal(qq);
		qq->hdr->features = WHC_F_BLOCK;
		check(ring_sealed(db, qq) == WHC_E_FEATURES, db, "batch relying on a disk there is not: E_FEATURES");
	}
	whc_clear(qq);
	for (int i = 0; i < WHC_BATCH_MAX; i++)
		whc_nop(qq);
	whc_seal(qq);
	qq->hdr->count = WHC_BATCH_MAX + 1; /* the area has room for it */
	check(ring_sealed(db, qq) == WHC_E_TOOBIG && qq->hdr->done == 0 && whc_req_at(qq, 0)->status == WHC_STATUS_PENDING, db,
	      "a batch of 257: E_TOOBIG, no request answered");
	whc_clear(qq);
	whc_nop(qq);
	whc_seal(qq);
	qq->hdr->count = 0x10000000; /* requests far past the end of RAM */
	check(ring_sealed(db, qq) == WHC_E_TOOBIG, db, "a batch count of 2^28: E_TOOBIG");
	/* Relying on a feature it has is fine. */
	whc_clear(qq);
	whc_nop(qq);
	qq->features = features;
	check(ring(db) == WHC_OK, db, "a batch relying on the features offered");
	qq->features = 0;
	step(db, "every batch error answered");
}

/* A header in the last 64 bytes of RAM: its requests lie outside. */
static void requests_outside(int db)
{
	struct whc_queue edge;
	volatile struct whc_req *r;
	uint32_t st;

	check(whc_init(&edge, mem(RAM_END - 64), RAM_END - 64, 1) == 0, db, "a queue at the end of RAM");
	whc_clear(&edge);
	edge.n = 1; /* whc_add would write past the end of RAM */
	whc_seal(&edge);
	if (db == FAST) {
		whc_clear(&q[PORT]);
		r = whc_fast_setup(&q[PORT], RAM_END - 64);
		check(ring(PORT) == WHC_OK && r->status == WHC_OK, PORT, "FAST_SETUP of a header at the end of RAM");
	}
	st = ring_sealed(db, &edge);
	check(st == WHC_E_FAULT && edge.hdr->status == WHC_E_FAULT, db,
	      "requests past the end of RAM: E_FAULT in the header");
	if (db == FAST) {
		whc_clear(&q[PORT]);
		r = whc_fast_setup(&q[PORT], FB_GPA);
		check(ring(PORT) == WHC_OK && r->status == WHC_OK, PORT, "FAST_SETUP back");
	}
}

/* Errors only the port doorbell can make: a header it cannot use. */
static void doorbell_errors(void)
{
	uint32_t st;

	q[PORT].hdr->status = WHC_STATUS_PENDING;
	n.port_rings++;
	whc_outl(WHC_PORT_DOORBELL, (uint32_t)(PB_GPA + 32));
	n.status_reads++;
	st = whc_port_status();
	n.errors++;
	check(st == WHC_E_ALIGN && q[PORT].hdr->status == WHC_STATUS_PENDING, PORT,
	      "a misaligned batch: E_ALIGN from the status register, nothing written");
	n.port_rings++;
	whc_outl(WHC_PORT_DOORBELL, (uint32_t)OUTSIDE);
	n.status_reads++;
	st = whc_port_status();
	n.errors++;
	check(st == WHC_E_FAULT, PORT, "a batch at 512 MiB (outside RAM): E_FAULT from the status register");
	n.port_rings++;
	whc_outl(WHC_PORT_DOORBELL, (uint32_t)RAM_END);
	n.status_reads++;
	st = whc_port_status();
	n.errors++;
	check(st == WHC_E_FAULT, PORT, "a batch just past the end of RAM: E_FAULT");
	/* The library's own check: no 32-bit doorbell value for it. */
	{
		struct whc_queue high;

		check(whc_init(&high, mem(PB_GPA), 1ULL << 32, 1) == 0 && whc_ring_port(&high) == WHC_E_FAULT, PORT, "the library refuses a header above 4 GiB");
	}
	whc_clear(&q[PORT]);
	whc_nop(&q[PORT]);
	check(ring(PORT) == WHC_OK, PORT, "a good batch after them");
	n.status_reads++;
	check(whc_port_status() == WHC_OK, PORT, "the status register says WHC_OK after a good batch");

	/* Accesses the doorbells do not take: ignored, counted. */
	n.bad_accesses++, n.errors++;
	outb(WHC_PORT_DOORBELL, 1);
	n.bad_accesses++, n.fast_port_bad++, n.errors++;
	outw(WHC_PORT_FAST, 1);
	n.bad_accesses++, n.errors++;
	check(inb(WHC_PORT_DOORBELL + 1) == 0xff, PORT, "a byte read of the doorbell reads all ones");
	n.bad_accesses++, n.fast_port_bad++, n.errors++;
	check(inl(WHC_PORT_FAST) == 0xffffffffu, PORT, "a read of the fast doorbell reads all ones");
	n.bad_accesses++, n.errors++;
	whc_outl(WHC_PORT_BASE + 2, 0);
	step(PORT, "every doorbell error answered");
}

void guest_main(void)
{
	uint64_t t0, t1;
	volatile struct whc_req *r;

	print("hypercall: start\n");
	/* Half a second of TSC, measured with the host's clock below; until
	 * then a generous bound. */
	tsc_wait = 1ULL << 32;
	if (whc_init(&q[PORT], mem(PB_GPA), PB_GPA, QCAP) < 0 || whc_init(&q[FAST], mem(FB_GPA), FB_GPA, QCAP) < 0) {
		print("hypercall: FAIL whc_init\n");
		poweroff();
	}
	check(whc_init(&q[PORT], mem(PB_GPA), PB_GPA, WHC_BATCH_MAX + 1) < 0, -1,
	      "the library refuses a queue above WHC_BATCH_MAX");
	check(whc_init(&q[PORT], mem(PB_GPA + 8), PB_GPA + 8, 1) < 0, -1, "the library refuses a misaligned queue");
	whc_init(&q[PORT], mem(PB_GPA), PB_GPA, QCAP);

	/* The TSC against the host's clock: 20 ms of polling. */
	whc_clear(&q[PORT]);
	r = whc_time(&q[PORT]);
	ring(PORT);
	t0 = rdtsc();
	{
		uint64_t ns0 = r->ret.time.monotonic_ns, ns1;

		do {
			whc_clear(&q[PORT]);
			r = whc_time(&q[PORT]);
			ring(PORT);
			ns1 = r->ret.time.monotonic_ns;
		} while (ns1 - ns0 < 20000000ULL && r->status == WHC_OK);
		t1 = rdtsc();
		tsc_wait = (t1 - t0) * 150; /* ~3 s */
	}

	/* A fast ring before any FAST_SETUP: nothing to answer (the host counts
	 * it); the batch stays pending. */
	whc_clear(&q[FAST]);
	whc_nop(&q[FAST]);
	n.fast_rings++;
	n.errors++;
	whc_ring_fast_nowait(&q[FAST]);
	check(wait_fast(&q[FAST], tsc_wait / 6) == WHC_STATUS_PENDING, FAST,
	      "a fast ring before FAST_SETUP is not answered");

	hello(PORT);
	print("hypercall: features ");
	putx(features);
	print("\n");
	disk_setup();
	whc_clear(&q[PORT]);
	r = whc_fast_setup(&q[PORT], FB_GPA);
	check(ring(PORT) == WHC_OK && r->status == WHC_OK, PORT, "FAST_SETUP");

	for (int db = PORT; db <= FAST; db++) {
		calls(db);
		request_errors(db);
		batch_errors(db);
		requests_outside(db);
	}
	doorbell_errors();

	print("hypercall: counts port_rings ");
	putu(n.port_rings);
	print(" fast_rings ");
	putu(n.fast_rings);
	print(" status_reads ");
	putu(n.status_reads);
	print(" bad_accesses ");
	putu(n.bad_accesses);
	print(" fast_port_bad ");
	putu(n.fast_port_bad);
	print(" requests ");
	putu(n.requests);
	print(" bytes ");
	putu(n.bytes);
	print(" errors ");
	putu(n.errors);
	print("\n");
	if (failures) {
		print("hypercall: ");
		putu(failures);
		print(" checks failed\n");
	} else {
		print("hypercall: all checks passed\n");
	}
	poweroff();
}
