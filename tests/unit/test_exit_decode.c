/* Decode, then emulate (src/core/exit_decode.c, exit_emulate.c): struct
 * kvm_run into one exit record, without a vCPU; malformed exits from KVM
 * are refused before anything touches their data; accesses go to the
 * device that owns the address and are attributed to it. */
#include <errno.h>
#include <linux/kvm.h>

#include "core/bus.h"
#include "core/device.h"
#include "core/exit.h"
#include "core/vm.h"
#include "unit.h"

#define RUN_SIZE 4096

static union {
	struct kvm_run run;
	uint8_t bytes[RUN_SIZE];
} page;

static struct exit_record decode(int ret, int err)
{
	struct exit_record r;

	memset(&r, 0xa5, sizeof(r)); /* nothing left over from before counts */
	exit_decode(&page.run, RUN_SIZE, ret, err, &r);
	return r;
}

static void pio_exit(uint16_t port, unsigned size, unsigned count, uint64_t off, bool out)
{
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_IO;
	page.run.io.port = port;
	page.run.io.size = (uint8_t)size;
	page.run.io.count = count;
	page.run.io.data_offset = off;
	page.run.io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
}

static void mmio_exit(uint64_t addr, unsigned len, bool write)
{
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_MMIO;
	page.run.mmio.phys_addr = addr;
	page.run.mmio.len = len;
	page.run.mmio.is_write = write;
}

static void test_reason_slots(void **state)
{
	(void)state;
	page.run.exit_reason = KVM_EXIT_IO;
	assert_int_equal(decode(-1, EINTR).slot, EXIT_SLOT_EINTR);
	assert_int_equal(decode(-1, EINTR).kind, EXIT_NONE);
	assert_int_equal(decode(-1, EAGAIN).slot, EXIT_SLOT_EAGAIN);
	page.run.exit_reason = KVM_EXIT_HLT;
	assert_int_equal(decode(0, EINTR).slot, KVM_EXIT_HLT); /* stale errno */
	assert_int_equal(decode(0, 0).kind, EXIT_HLT);
	/* Reasons beyond the table must not alias the special slots. */
	page.run.exit_reason = EXIT_SLOT_EAGAIN;
	assert_int_equal(decode(0, 0).slot, KVM_EXIT_UNKNOWN);
	page.run.exit_reason = EXIT_SLOT_EAGAIN - 1;
	assert_int_equal(decode(0, 0).slot, EXIT_SLOT_EAGAIN - 1);
	page.run.exit_reason = UINT32_MAX;
	assert_int_equal(decode(0, 0).slot, KVM_EXIT_UNKNOWN);
	assert_int_equal(decode(0, 0).kind, EXIT_UNHANDLED);
}

static void test_pio(void **state)
{
	struct exit_record r;

	(void)state;
	pio_exit(0x3f8, 1, 1, 2048, true);
	r = decode(0, 0);
	assert_int_equal(r.kind, EXIT_ACCESS);
	assert_int_equal(r.space, BUS_PIO);
	assert_true(r.write);
	assert_int_equal(r.size, 1);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.addr, 0x3f8);
	assert_ptr_equal(r.data, page.bytes + 2048);
	assert_int_equal(r.dev, EXIT_DEV_NONE);
	/* rep insw: 16 words, the last ending at the page's end */
	pio_exit(0x1f0, 2, 16, RUN_SIZE - 32, false);
	r = decode(0, 0);
	assert_int_equal(r.kind, EXIT_ACCESS);
	assert_false(r.write);
	assert_int_equal(r.count, 16);
}

/* KVM fills these fields; one that cannot be right must never be used. */
static void test_malformed_pio(void **state)
{
	static const struct { unsigned size, count; uint64_t off; } bad[] = {
		{ 0, 1, 2048 }, { 3, 1, 2048 }, { 8, 1, 2048 },   /* sizes */
		{ 1, 0, 2048 },                                   /* no access */
		{ 1, 1, RUN_SIZE }, { 4, 1, RUN_SIZE - 2 },       /* data past the page */
		{ 2, 17, RUN_SIZE - 32 },                         /* one word too many */
		{ 4, 0x40000000u, 64 },                           /* count * size wraps 32 bits */
		{ 1, 1, UINT64_MAX },                             /* offset wraps */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pio_exit(0x80, bad[i].size, bad[i].count, bad[i].off, true);
		if (decode(0, 0).kind != EXIT_MALFORMED)
			fail_msg("size %u count %u offset %llu accepted", bad[i].size, bad[i].count,
				 (unsigned long long)bad[i].off);
	}
}

static void test_mmio(void **state)
{
	struct exit_record r;

	(void)state;
	for (unsigned len = 1; len <= 8; len++) {
		mmio_exit(0xc0000000 + len, len, len & 1);
		r = decode(0, 0);
		assert_int_equal(r.kind, EXIT_ACCESS);
		assert_int_equal(r.space, BUS_MMIO);
		assert_int_equal(r.size, len);
		assert_int_equal(r.count, 1);
		assert_int_equal(r.write, len & 1);
		assert_int_equal(r.addr, 0xc0000000 + len);
		assert_ptr_equal(r.data, page.run.mmio.data);
	}
	mmio_exit(0xc0000000, 0, true);
	assert_int_equal(decode(0, 0).kind, EXIT_MALFORMED);
	mmio_exit(0xc0000000, 9, false);
	assert_int_equal(decode(0, 0).kind, EXIT_MALFORMED);
	mmio_exit(0xc0000000, 0xffffffffu, false);
	assert_int_equal(decode(0, 0).kind, EXIT_MALFORMED);
}

static void test_events(void **state)
{
	(void)state;
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_SYSTEM_EVENT;
	page.run.system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	assert_int_equal(decode(0, 0).kind, EXIT_POWEROFF);
	page.run.system_event.type = KVM_SYSTEM_EVENT_RESET;
	assert_int_equal(decode(0, 0).kind, EXIT_RESET);
	page.run.system_event.type = 77;
	assert_int_equal(decode(0, 0).kind, EXIT_BAD_EVENT);
	assert_int_equal(decode(0, 0).detail, 77);
	page.run.exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(decode(0, 0).kind, EXIT_SHUTDOWN);
	page.run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
	page.run.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	assert_int_equal(decode(0, 0).kind, EXIT_KVM_ERROR);
	assert_int_equal(decode(0, 0).detail, KVM_INTERNAL_ERROR_EMULATION);
	page.run.exit_reason = KVM_EXIT_FAIL_ENTRY;
	page.run.fail_entry.hardware_entry_failure_reason = 0x80000021;
	assert_int_equal(decode(0, 0).kind, EXIT_FAIL_ENTRY);
	assert_int_equal(decode(0, 0).detail, 0x80000021);
	page.run.exit_reason = KVM_EXIT_INTR;
	assert_int_equal(decode(0, 0).kind, EXIT_NONE);
}

/* --- emulate: routing and attribution ------------------------------------ */

struct probe {
	struct device dev;
	unsigned reads, writes;
	unsigned range;
	uint64_t off;
	uint8_t last[8];
	unsigned writes_before_read; /* writes seen when the last read came */
};

static void probe_read(struct device *d, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	struct probe *p = d->priv;

	p->reads++;
	p->writes_before_read = p->writes;
	p->range = range;
	p->off = off;
	memset(data, 0x5a, len);
}

static void probe_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data,
			unsigned len)
{
	struct probe *p = d->priv;

	p->writes++;
	p->range = range;
	p->off = off;
	memcpy(p->last, data, len);
}

static void probe_destroy(struct device *d)
{
	(void)d;
}

static const struct device_ops probe_ops = {
	.read = probe_read, .write = probe_write, .destroy = probe_destroy,
};

static void probe_init(struct probe *p, const char *name, struct device_resources res)
{
	memset(p, 0, sizeof(*p));
	p->dev = (struct device){ .name = name, .ops = &probe_ops, .priv = p, .res = res };
}

static void test_emulate_attribution(void **state)
{
	static struct vm vm;
	struct probe a, b;
	struct exit_record r;

	(void)state;
	memset(&vm, 0, sizeof(vm));
	probe_init(&a, "a", (struct device_resources){ .nranges = 1, .range = { DEVICE_RANGE(BUS_PIO, 0x70, 2) },
						       .gsi = DEVICE_NO_GSI });
	probe_init(&b, "b", (struct device_resources){
		.nranges = 2, .range = { DEVICE_RANGE(BUS_PIO, 0x200, 8), DEVICE_RANGE(BUS_MMIO, DEVICE_ANY_BASE, 0x1000) },
		.gsi = DEVICE_ANY_GSI });
	assert_int_equal(vm_add_device(&vm, &a.dev), 0);
	assert_int_equal(vm_add_device(&vm, &b.dev), 0);
	assert_int_not_equal(a.dev.id, b.dev.id);

	/* A port write to b's first range. */
	pio_exit(0x203, 1, 1, 1024, true);
	page.bytes[1024] = 0x42;
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.dev, b.dev.id);
	assert_false(r.unclaimed);
	assert_int_equal(r.end, VM_RUNNING);
	assert_int_equal(b.writes, 1);
	assert_int_equal(b.range, 0);
	assert_int_equal(b.off, 3);
	assert_int_equal(b.last[0], 0x42);
	assert_int_equal(a.writes + a.reads, 0);

	/* An MMIO read in b's granted window: its second range. */
	mmio_exit(b.dev.res.range[1].base + 0x10, 4, false);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.dev, b.dev.id);
	assert_int_equal(b.range, 1);
	assert_int_equal(b.off, 0x10);
	assert_int_equal(page.run.mmio.data[0], 0x5a);

	/* rep outsb of 3 bytes to a: three accesses, one exit, one owner. */
	pio_exit(0x71, 1, 3, 512, true);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.dev, a.dev.id);
	assert_int_equal(a.writes, 3);

	/* Nobody's: unclaimed, reads float high, no device touched. */
	pio_exit(0x72, 2, 1, 512, false);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_true(r.unclaimed);
	assert_int_equal(r.dev, EXIT_DEV_NONE);
	assert_int_equal(page.bytes[512], 0xff);
	assert_int_equal(page.bytes[513], 0xff);
	/* Straddling the end of a's range is not a's. */
	pio_exit(0x71, 2, 1, 512, true);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_true(r.unclaimed);
	assert_int_equal(a.writes, 3);

	/* A malformed exit ends the VM as an internal error, touching nothing. */
	pio_exit(0x70, 4, 1, RUN_SIZE, true);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.end, VM_END_INTERNAL_ERROR);
	assert_int_equal(r.dev, EXIT_DEV_NONE);
	assert_int_equal(a.writes, 3);
}

/* --- MSR exits (an MSR filter sent them) and coalesced MMIO ------------- */

static void msr_exit(uint32_t index, bool write, uint64_t data)
{
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	page.run.msr.index = index;
	page.run.msr.data = data;
	page.run.msr.reason = KVM_MSR_EXIT_REASON_FILTER;
	page.run.msr.error = 0x77; /* stale: emulate must set it */
}

static void test_msr(void **state)
{
	static struct vm vm;
	struct probe m;
	struct exit_record r;
	uint64_t v;

	(void)state;
	msr_exit(0x1a0, true, 0x1122334455667788ULL);
	r = decode(0, 0);
	assert_int_equal(r.kind, EXIT_MSR);
	assert_int_equal(r.slot, KVM_EXIT_X86_WRMSR);
	assert_int_equal(r.space, BUS_MSR);
	assert_true(r.write);
	assert_int_equal(r.size, 8);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.addr, 0x1a0);
	assert_int_equal(r.detail, KVM_MSR_EXIT_REASON_FILTER);
	assert_ptr_equal(r.data, (uint8_t *)&page.run.msr.data);
	assert_ptr_equal(r.status, &page.run.msr.error);
	msr_exit(0xc0000103, false, 0);
	r = decode(0, 0);
	assert_int_equal(r.kind, EXIT_MSR);
	assert_int_equal(r.slot, KVM_EXIT_X86_RDMSR);
	assert_false(r.write);
	assert_int_equal(r.addr, 0xc0000103);

	/* A device claiming the MSR answers reads and takes writes. */
	memset(&vm, 0, sizeof(vm));
	probe_init(&m, "msr", (struct device_resources){ .nranges = 1, .range = { DEVICE_RANGE(BUS_MSR, 0x1a0, 1) },
							 .gsi = DEVICE_NO_GSI });
	assert_int_equal(vm_add_device(&vm, &m.dev), 0);
	msr_exit(0x1a0, false, 0);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.dev, m.dev.id);
	assert_false(r.unclaimed);
	assert_int_equal(page.run.msr.error, 0);
	assert_int_equal(page.run.msr.data, 0x5a5a5a5a5a5a5a5aULL);
	assert_int_equal(m.reads, 1);
	msr_exit(0x1a0, true, 0x0102030405060708ULL);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(page.run.msr.error, 0);
	assert_int_equal(m.writes, 1);
	memcpy(&v, m.last, sizeof(v));
	assert_int_equal(v, 0x0102030405060708ULL);
	assert_int_equal(r.end, VM_RUNNING);

	/* Nobody's MSR: #GP (error 1), no device touched, the VM goes on. */
	msr_exit(0x1a1, true, 1);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_true(r.unclaimed);
	assert_int_equal(r.dev, EXIT_DEV_NONE);
	assert_int_equal(page.run.msr.error, 1);
	assert_int_equal(r.end, VM_RUNNING);
	assert_int_equal(m.writes, 1);
	/* An MSR index equal to a port number is not the port's device. */
	msr_exit(0x70, false, 0);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_true(r.unclaimed);
	assert_int_equal(page.run.msr.error, 1);
}

static unsigned hv_synic_calls, hv_vcpu;
static uint64_t hv_args[4];

static void hv_synic(void *ctx, unsigned vcpu, uint32_t msr, uint64_t control, uint64_t evt,
		     uint64_t msg)
{
	(void)ctx;
	hv_synic_calls++;
	hv_vcpu = vcpu;
	hv_args[0] = msr, hv_args[1] = control, hv_args[2] = evt, hv_args[3] = msg;
}

static uint64_t hv_hcall(void *ctx, unsigned vcpu, uint64_t input, const uint64_t params[2])
{
	(void)ctx;
	hv_vcpu = vcpu;
	hv_args[0] = input, hv_args[1] = params[0], hv_args[2] = params[1];
	return 0x77;
}

/* KVM_EXIT_HYPERV (--hyperv): SynIC page changes and hypercalls go to the
 * handler a device gave (vm_hyperv_handler); without one, SynIC changes
 * do nothing and hypercalls are answered "invalid hypercall code". */
static void test_hyperv(void **state)
{
	static struct vm vm;
	struct vm_hyperv_handler h = { .synic = hv_synic, .hcall = hv_hcall };
	struct exit_record r;

	(void)state;
	memset(&vm, 0, sizeof(vm));
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_HYPERV;
	page.run.hyperv.type = KVM_EXIT_HYPERV_HCALL;
	page.run.hyperv.u.hcall.input = 0x1005c;
	page.run.hyperv.u.hcall.params[0] = 0x1000;
	page.run.hyperv.u.hcall.params[1] = 0x2000;
	page.run.hyperv.u.hcall.result = 99;
	r = decode(0, 0);
	assert_int_equal(r.kind, EXIT_HYPERV);
	assert_int_equal(r.slot, KVM_EXIT_HYPERV);
	exit_emulate(&vm, 1, &r);
	assert_int_equal(page.run.hyperv.u.hcall.result, HV_STATUS_INVALID_HYPERCALL_CODE);
	assert_int_equal(r.end, VM_RUNNING);
	vm_hyperv_handler(&vm, &h);
	r = decode(0, 0);
	exit_emulate(&vm, 1, &r);
	assert_int_equal(page.run.hyperv.u.hcall.result, 0x77);
	assert_int_equal(hv_vcpu, 1);
	assert_int_equal(hv_args[0], 0x1005c);
	assert_int_equal(hv_args[1], 0x1000);
	assert_int_equal(hv_args[2], 0x2000);
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_HYPERV;
	page.run.hyperv.type = KVM_EXIT_HYPERV_SYNIC;
	page.run.hyperv.u.synic.msr = 0x40000083;
	page.run.hyperv.u.synic.control = 1;
	page.run.hyperv.u.synic.evt_page = 0x5001;
	page.run.hyperv.u.synic.msg_page = 0x6001;
	r = decode(0, 0);
	assert_int_equal(r.kind, EXIT_HYPERV);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(hv_synic_calls, 1);
	assert_int_equal(hv_vcpu, 0);
	assert_int_equal(hv_args[0], 0x40000083);
	assert_int_equal(hv_args[1], 1);
	assert_int_equal(hv_args[2], 0x5001);
	assert_int_equal(hv_args[3], 0x6001);
	assert_int_equal(r.end, VM_RUNNING);
	/* The synthetic debugger: not offered, so not handled. */
	page.run.hyperv.type = KVM_EXIT_HYPERV_SYNDBG;
	assert_int_equal(decode(0, 0).kind, EXIT_UNHANDLED);
}

/* Unclaimed reads float high: exactly the access's bytes, whatever its
 * size, and nothing past them (exit_emulate answers them without a
 * variable-size memset). */
static void test_unclaimed_reads(void **state)
{
	static struct vm vm;
	struct exit_record r;

	(void)state;
	memset(&vm, 0, sizeof(vm));
	for (unsigned len = 1; len <= 8; len++) {
		mmio_exit(0xe0000000, len, false);
		memset(page.run.mmio.data, 0x11, sizeof(page.run.mmio.data));
		r = decode(0, 0);
		exit_emulate(&vm, 0, &r);
		assert_true(r.unclaimed);
		for (unsigned i = 0; i < sizeof(page.run.mmio.data); i++)
			assert_int_equal(page.run.mmio.data[i], i < len ? 0xff : 0x11);
	}
	/* rep insw/insl of three: each access's bytes, not one more. */
	for (unsigned size = 2; size <= 4; size += 2) {
		pio_exit(0x512, size, 3, 1024, false);
		memset(&page.bytes[1024], 0x11, 16);
		r = decode(0, 0);
		exit_emulate(&vm, 0, &r);
		assert_true(r.unclaimed);
		for (unsigned i = 0; i < 16; i++)
			assert_int_equal(page.bytes[1024 + i], i < 3 * size ? 0xff : 0x11);
	}
}

static void test_coalesced_drain(void **state)
{
	static struct vm vm;
	static union {
		struct kvm_coalesced_mmio_ring ring;
		uint8_t bytes[4096];
	} ring;
	struct probe d;
	struct exit_record r;
	uint32_t max = (uint32_t)((sizeof(ring) - sizeof(ring.ring)) / sizeof(struct kvm_coalesced_mmio));

	(void)state;
	memset(&vm, 0, sizeof(vm));
	memset(&ring, 0, sizeof(ring));
	probe_init(&d, "coalesced", (struct device_resources){
		.nranges = 1, .range = { DEVICE_RANGE(BUS_MMIO, 0xc0001000, 0x1000) }, .gsi = DEVICE_NO_GSI });
	assert_int_equal(vm_add_device(&vm, &d.dev), 0);
	vm.coalesced = &ring.ring;
	vm.coalesced_max = max;
	pthread_mutex_init(&vm.coalesced_lock, NULL);

	/* Three queued writes, wrapping around the ring's end; the third is
	 * nobody's. */
	ring.ring.first = max - 1;
	ring.ring.last = 2;
	ring.ring.coalesced_mmio[max - 1] = (struct kvm_coalesced_mmio){ .phys_addr = 0xc0001008, .len = 4,
									 .data = { 1, 2, 3, 4 } };
	ring.ring.coalesced_mmio[0] = (struct kvm_coalesced_mmio){ .phys_addr = 0xc0001010, .len = 2,
								   .data = { 9, 8 } };
	ring.ring.coalesced_mmio[1] = (struct kvm_coalesced_mmio){ .phys_addr = 0xd0000000, .len = 4 };
	/* An access nobody owns has no effect to see: they stay queued. */
	pio_exit(0x510, 1, 1, 1024, true);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_true(r.unclaimed); /* port 0x510 is nobody's */
	assert_int_equal(r.coalesced, 0);
	assert_int_equal(d.writes, 0);
	assert_int_equal(ring.ring.first, max - 1);
	/* An access with an owner: all reach their owners first, in order. */
	mmio_exit(0xc0001020, 4, false);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.coalesced, 3);
	assert_int_equal(d.writes, 2);
	assert_int_equal(d.reads, 1);
	assert_int_equal(d.writes_before_read, 2); /* the queued writes came first */
	assert_int_equal(d.off, 0x20);
	assert_int_equal(d.last[0], 9);
	assert_int_equal(d.last[1], 8);
	assert_int_equal(ring.ring.first, 2);
	assert_int_equal(d.dev.coalesced, 2); /* the owner's count; nobody's write is not */
	assert_int_equal(r.dev, d.dev.id);

	/* Empty ring: nothing delivered. */
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.coalesced, 0);
	assert_int_equal(d.writes, 2);

	/* A bad length from KVM is skipped, not copied; an exit that is no
	 * access (here an interrupt's) drains the ring as well. */
	ring.ring.coalesced_mmio[2] = (struct kvm_coalesced_mmio){ .phys_addr = 0xc0001000, .len = 9 };
	ring.ring.last = 3;
	memset(&page, 0, sizeof(page));
	page.run.exit_reason = KVM_EXIT_INTR;
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.coalesced, 1);
	assert_int_equal(d.writes, 2);
	assert_int_equal(ring.ring.first, 3);
	assert_int_equal(d.dev.coalesced, 2);

	/* Drained without an exit (at the VM's end, or by the console's
	 * flush while the vCPUs sleep). */
	ring.ring.coalesced_mmio[3] = (struct kvm_coalesced_mmio){ .phys_addr = 0xc0001004, .len = 1,
								   .data = { 7 } };
	ring.ring.last = 4;
	vm_drain_coalesced(&vm);
	assert_int_equal(d.writes, 3);
	assert_int_equal(d.last[0], 7);
	assert_int_equal(d.dev.coalesced, 3);
	assert_int_equal(ring.ring.first, 4);
	pthread_mutex_destroy(&vm.coalesced_lock);
}

/* A queued write that moves another device's range (as a BAR write
 * would): the access that drained it goes where the bus says after the
 * drain, not where it said before. */
static struct vm *mover_vm;
static struct probe *mover_target;

static void mover_write(struct device *d, unsigned range, uint64_t off, const uint8_t *data,
			unsigned len)
{
	struct probe *t = mover_target;

	probe_write(d, range, off, data, len);
	bus_unregister(&mover_vm->bus[BUS_MMIO], t->dev.res.range[0].base);
	t->dev.res.range[0].base = 0xc0200000;
	assert_int_equal(bus_register(&mover_vm->bus[BUS_MMIO], 0xc0200000, 0x1000, &t->dev, 0), 0);
}

static const struct device_ops mover_ops = {
	.read = probe_read, .write = mover_write, .destroy = probe_destroy,
};

static void test_drain_moves_range(void **state)
{
	static struct vm vm;
	static union {
		struct kvm_coalesced_mmio_ring ring;
		uint8_t bytes[4096];
	} ring;
	struct probe mover, target;
	struct exit_record r;
	uint32_t max = (uint32_t)((sizeof(ring) - sizeof(ring.ring)) / sizeof(struct kvm_coalesced_mmio));

	(void)state;
	memset(&vm, 0, sizeof(vm));
	memset(&ring, 0, sizeof(ring));
	probe_init(&mover, "mover", (struct device_resources){
		.nranges = 1, .range = { DEVICE_RANGE(BUS_MMIO, 0xc0000000, 0x1000) }, .gsi = DEVICE_NO_GSI });
	mover.dev.ops = &mover_ops;
	probe_init(&target, "target", (struct device_resources){
		.nranges = 1, .range = { DEVICE_RANGE(BUS_MMIO, 0xc0100000, 0x1000) }, .gsi = DEVICE_NO_GSI });
	assert_int_equal(vm_add_device(&vm, &mover.dev), 0);
	assert_int_equal(vm_add_device(&vm, &target.dev), 0);
	mover_vm = &vm;
	mover_target = &target;
	vm.coalesced = &ring.ring;
	vm.coalesced_max = max;
	pthread_mutex_init(&vm.coalesced_lock, NULL);

	/* The mover's queued write moves the target away; the read of the
	 * target's old address that drains it then has no owner. */
	ring.ring.coalesced_mmio[0] = (struct kvm_coalesced_mmio){ .phys_addr = 0xc0000000, .len = 4 };
	ring.ring.last = 1;
	mmio_exit(0xc0100010, 4, false);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(r.coalesced, 1);
	assert_int_equal(mover.writes, 1);
	assert_int_equal(target.reads, 0);
	assert_true(r.unclaimed);
	assert_int_equal(page.run.mmio.data[0], 0xff);
	/* At its new address it answers. */
	mmio_exit(0xc0200010, 4, false);
	r = decode(0, 0);
	exit_emulate(&vm, 0, &r);
	assert_int_equal(target.reads, 1);
	assert_int_equal(r.dev, target.dev.id);
	pthread_mutex_destroy(&vm.coalesced_lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_slots),
		cmocka_unit_test(test_pio),
		cmocka_unit_test(test_malformed_pio),
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_emulate_attribution),
		cmocka_unit_test(test_msr),
		cmocka_unit_test(test_hyperv),
		cmocka_unit_test(test_unclaimed_reads),
		cmocka_unit_test(test_coalesced_drain),
		cmocka_unit_test(test_drain_moves_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
