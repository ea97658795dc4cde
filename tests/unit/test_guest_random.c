/* A hostile guest, at random, through the one exit dispatch path: a VM
 * without KVM (a fake struct vm with real guest memory, the platform
 * devices and four virtio devices: a disk on a temporary image, the
 * console, the entropy device and vsock on a temporary socket) takes hundreds of thousands of port and
 * MMIO exits built the way KVM hands them over, with random ports,
 * addresses, sizes, string counts and data, while the guest's memory (its
 * rings and buffers) changes under the devices' I/O threads. Now and then
 * the "driver" brings a virtio device up properly, with queues in RAM and
 * plausible descriptors, so that the devices really work on what it wrote.
 *
 * What it guarantees: no crash, no sanitizer report (ASan + UBSan), no
 * hang (an alarm ends a stuck run), and the invariants a guest can check:
 * every exit is attributed to the device whose granted range holds the
 * address (and "unclaimed" exactly when none does, both decided here from
 * the allocator's grants, not from what dispatch said), unclaimed reads
 * float high, every virtio window answers "virt", a VM end
 * is only ever requested by the two devices that may (the ACPI sleep and
 * reset registers, the i8042 reset line), and every device can still be
 * stopped and freed afterwards. The rules one by one are in the devices'
 * own tests; this is the breadth behind them. Fixed seeds: a failure names
 * its seed and step. */
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <linux/kvm.h>

#include "core/device.h"
#include "core/exit.h"
#include "core/layout.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "virtio/virtio_devices.h"
#include "virtio/virtio_spec.h"
#include "unit.h"

#define MEM_SIZE (16 * GMEM_MIB)
#define RUN_SIZE 8192
#define PIO_DATA 4096        /* where string I/O data sits in the run area */
#define RING_AREA (1 * GMEM_MIB) /* rings and buffers: the first MiB */
#define NDEV 4               /* disk, console, rng, vsock: the order of virtio_devices_create */
#define VSOCK_DEV 3
#define VSOCK_CID 3
#define STEPS 150000
/* Heap warden may gain over the second half of a run, when every device
 * has long been set up: what a hostile guest can make it allocate without
 * bound (held packets, console bytes, per-address statistics) would show
 * here as growth in proportion to the 75,000 exits (seen: 368 bytes; a
 * 64-byte leak per virtio config read, about 4,200 of them, fails it). */
#define HEAP_GROWTH_MAX (64 * 1024)
/* The sanitizer runtime's count of bytes malloc'd and not freed (the unit
 * tier always runs under ASan; gcc ships no allocator_interface.h). */
size_t __sanitizer_get_current_allocated_bytes(void);

static struct vm vm;
static struct vcpu cpu;
static uint64_t vbase[NDEV]; /* the virtio windows the allocator granted */
static char image[64];
static char vsock_dir[64], vsock_uds[96];
static uint64_t rng;
static char failure[256]; /* set in the random phase, reported after it */
static unsigned ends;      /* VM ends the guest asked for (and got) */

static uint64_t pick(uint64_t n) { return u_below(&rng, n); }
static bool chance(unsigned percent) { return pick(100) < percent; }

static void make_image(void)
{
	int fd;

	snprintf(image, sizeof(image), "/tmp/warden-random.XXXXXX");
	fd = mkstemp(image);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * GMEM_MIB), 0);
	close(fd);
}

static int setup(void **state)
{
	struct virtio_config cfg = { .ndisks = 1, .console = true, .rng = true };
	struct serial *com1;
	unsigned nv = 0;
	int console_in;

	(void)state;
	make_image();
	cfg.disks[0].path = image;
	snprintf(vsock_dir, sizeof(vsock_dir), "/tmp/warden-random.XXXXXX");
	assert_non_null(mkdtemp(vsock_dir));
	snprintf(vsock_uds, sizeof(vsock_uds), "%s/v.sock", vsock_dir);
	assert_int_equal(virtio_vsock_spec(&cfg.vsock, VSOCK_CID, vsock_uds), 0);
	memset(&vm, 0, sizeof(vm));
	vm.kvm_fd = vm.vm_fd = -1;
	vm.run_size = RUN_SIZE;
	vm.cfg.irqchip = true; /* virtio devices insist on it */
	assert_int_equal(vm_end_init(&vm.end), 0);
	assert_int_equal(gmem_map(&vm.mem, MEM_SIZE), 0);
	assert_int_equal(platform_create(&vm, &com1, 0), 0);
	if (virtio_devices_create(&vm, &cfg, &console_in) != 0)
		fail_msg("virtio devices: %s", err_msg());
	for (unsigned i = 0; i < vm.ndevices; i++)
		if (vm.devices[i]->acpi_hid && strcmp(vm.devices[i]->acpi_hid, "LNRO0005") == 0)
			vbase[nv++] = vm.devices[i]->res.range[0].base;
	assert_int_equal(nv, NDEV);
	vm.cfg.irqchip = false; /* no KVM behind it: interrupts go nowhere */
	cpu = (struct vcpu){ .vm = &vm, .run = calloc(1, RUN_SIZE) };
	assert_non_null(cpu.run);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vm_destroy(&vm); /* every device reset and destroyed */
	free(cpu.run);
	unlink(image);
	rmdir(vsock_dir); /* the device removed its socket */
	return 0;
}

/* --- one exit ------------------------------------------------------------- */

/* The first broken invariant of the random phase, reported after it. */
static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	if (failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(failure, sizeof(failure), fmt, ap);
	va_end(ap);
}

/* The device whose granted ranges hold [ADDR, ADDR+LEN) in SPACE, by a
 * plain walk over the grants (not the bus), or EXIT_DEV_NONE. */
static int owner(uint8_t space, uint64_t addr, unsigned len)
{
	for (unsigned i = 0; i < vm.ndevices; i++) {
		const struct device_resources *r = &vm.devices[i]->res;

		for (unsigned k = 0; k < r->nranges; k++)
			if (r->range[k].space == space && addr >= r->range[k].base &&
			    addr - r->range[k].base < r->range[k].len &&
			    len <= r->range[k].len - (addr - r->range[k].base))
				return vm.devices[i]->id;
	}
	return EXIT_DEV_NONE;
}

/* Decode the exit in cpu.run and emulate it, as the vCPU loop does, and
 * check who it was attributed to. */
static struct exit_record dispatch(uint64_t step)
{
	struct exit_record r = { 0 };
	int want;

	exit_decode(cpu.run, RUN_SIZE, 0, 0, &r);
	if (r.kind != EXIT_ACCESS) {
		note("step %llu: a well-formed access decoded as kind %d", (unsigned long long)step,
		     (int)r.kind);
		return r;
	}
	exit_emulate(&vm, 0, &r);
	want = owner(r.space, r.addr, r.size);
	if (r.dev != want || r.unclaimed != (want == EXIT_DEV_NONE))
		note("step %llu: %s 0x%llx+%u attributed to device %d (unclaimed %d), owner is %d",
		     (unsigned long long)step, r.space == BUS_PIO ? "port" : "MMIO",
		     (unsigned long long)r.addr, r.size, r.dev, r.unclaimed, want);
	return r;
}

static uint32_t mmio(uint64_t addr, unsigned len, bool write, uint64_t val, uint64_t step)
{
	struct kvm_run *run = cpu.run;
	uint32_t got = 0;
	struct exit_record res;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = addr;
	run->mmio.len = len;
	run->mmio.is_write = write;
	memcpy(run->mmio.data, &val, sizeof(run->mmio.data));
	res = dispatch(step);
	if (res.end != VM_RUNNING || vm_end_get(&vm.end) != VM_RUNNING)
		note("step %llu: MMIO 0x%llx ended the VM (%d)", (unsigned long long)step,
		     (unsigned long long)addr, (int)vm_end_get(&vm.end));
	if (!write && res.unclaimed)
		for (unsigned i = 0; i < len; i++)
			if (run->mmio.data[i] != 0xff)
				note("step %llu: unclaimed MMIO read at 0x%llx gave 0x%x",
				     (unsigned long long)step, (unsigned long long)addr,
				     run->mmio.data[i]);
	memcpy(&got, run->mmio.data, len < 4 ? len : 4);
	return got;
}

/* The ports whose devices may end the VM: the i8042 (reset line) and the
 * ACPI sleep and reset registers. */
static bool may_end(uint16_t port, unsigned size, unsigned count)
{
	uint32_t last = (uint32_t)port + size - 1;

	(void)count; /* string I/O repeats the same port */
	return port == PORT_I8042_DATA || port == PORT_I8042_CMD ||
	       (last >= PORT_ACPI_PM && port < PORT_ACPI_PM + ACPI_PM_LEN);
}

static void pio(uint16_t port, unsigned size, unsigned count, bool out, uint64_t step)
{
	struct kvm_run *run = cpu.run;
	uint8_t *data = (uint8_t *)run + PIO_DATA;
	struct exit_record res;
	uint64_t drain;
	int end;

	run->exit_reason = KVM_EXIT_IO;
	run->io.port = port;
	run->io.size = (uint8_t)size;
	run->io.count = count;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.data_offset = PIO_DATA;
	for (unsigned i = 0; i < size * count; i++)
		data[i] = (uint8_t)u_rand(&rng);
	res = dispatch(step);
	if (res.end != VM_RUNNING)
		note("step %llu: port 0x%x ended the dispatch (%d)", (unsigned long long)step, port,
		     res.end);
	if (!out && res.unclaimed && data[0] != 0xff)
		note("step %llu: unclaimed port 0x%x read 0x%x", (unsigned long long)step, port, data[0]);
	/* A reset or poweroff request: fine from those devices, once seen the
	 * test powers the machine "on" again and goes on. */
	end = atomic_exchange(&vm.end.end, VM_RUNNING);
	if (end != VM_RUNNING) {
		if (!may_end(port, size, count) || !out || (end != VM_END_REBOOT && end != VM_END_POWEROFF))
			note("step %llu: port 0x%x ended the VM (%d)", (unsigned long long)step, port, end);
		ends++;
		if (read(vm.end.efd, &drain, sizeof(drain)) != sizeof(drain))
			note("step %llu: VM end %d not signalled", (unsigned long long)step, end);
	}
}

/* --- the guest ------------------------------------------------------------ */

static uint16_t random_port(void)
{
	static const uint16_t ports[] = { PORT_COM1, PORT_RTC, PORT_I8042_DATA, PORT_I8042_CMD,
					  PORT_ACPI_PM, 0x2f8, 0xcf8, 0x20, 0x40 };

	if (chance(80))
		return (uint16_t)(ports[pick(sizeof(ports) / sizeof(ports[0]))] + pick(8));
	return (uint16_t)u_rand(&rng);
}

/* Device DEV's registers, mostly; the rest of its window sometimes. */
static uint64_t random_reg(unsigned dev)
{
	uint64_t base = vbase[dev];

	if (chance(70))
		return base + 4 * pick(0x44);             /* registers and config start */
	if (chance(70))
		return base + pick(VIRTIO_MMIO_WINDOW);   /* anywhere, unaligned too */
	return base - 8 + pick(16);                       /* across the window's edge */
}

static unsigned random_len(void)
{
	static const unsigned lens[] = { 1, 2, 4, 4, 4, 8 };

	return lens[pick(sizeof(lens) / sizeof(lens[0]))];
}

/* A request a device of type DEV can serve, at descriptor I of D: the
 * disk takes a header, data and a status byte (virtio_blk_outhdr: type,
 * reserved, sector), the console's even queues receive and odd ones send,
 * the entropy device fills writable buffers, vsock receives on queue 0 and
 * events on 2, and sends packets on 1. Returns descriptors used. */
static unsigned plausible_chain(struct virtq_desc *d, unsigned i, unsigned size, unsigned dev,
				unsigned q)
{
	uint64_t buf = 0x80000 + 0x2000 * pick(0x38);
	uint16_t w = VIRTQ_DESC_F_WRITE, n = VIRTQ_DESC_F_NEXT;

	if (dev == 0 && i + 3 <= size) {
		static const uint32_t types[] = { 0, 1, 4, 8 };
		uint32_t type = types[pick(4)];
		uint8_t *h = gmem_ptr(&vm.mem, buf, 16);
		uint64_t sector = pick(8200);

		memcpy(h, &type, 4);
		memset(h + 4, 0, 4);
		memcpy(h + 8, &sector, 8);
		d[i] = (struct virtq_desc){ buf, 16, n, (uint16_t)(i + 1) };
		d[i + 1] = (struct virtq_desc){ buf + 512, 512 * (1 + (uint32_t)pick(8)),
						(uint16_t)(n | (type == 1 ? 0 : w)), (uint16_t)(i + 2) };
		d[i + 2] = (struct virtq_desc){ buf + 0x1fff, 1, w, 0 };
		return 3;
	}
	if (dev == VSOCK_DEV && q == 1 && chance(50)) {
		/* A vsock packet from the guest's CID to the host: random op,
		 * ports, length and credit (virtio_vsock_hdr). */
		uint8_t *h = gmem_ptr(&vm.mem, buf, 44);
		uint64_t cids[2] = { VSOCK_CID, 2 };
		uint32_t f[3] = { (uint32_t)pick(4), 5000 + (uint32_t)pick(2), (uint32_t)pick(80) };
		uint16_t t[2] = { 1, (uint16_t)pick(9) };

		memcpy(h, cids, 16);
		memcpy(h + 16, f, 12);
		memcpy(h + 28, t, 4);
		for (unsigned k = 32; k < 44; k++)
			h[k] = (uint8_t)u_rand(&rng);
		d[i] = (struct virtq_desc){ buf, 44 + (uint32_t)pick(80), 0, 0 };
		return 1;
	}
	d[i] = (struct virtq_desc){ buf, 1 + (uint32_t)pick(0x1000),
				    (uint16_t)((dev == 1 || dev == VSOCK_DEV) && (q & 1) ? 0 : w), 0 };
	return 1;
}

/* Queue Q of device DEV with chains it can serve (and, at random, some it
 * cannot), made available. */
static void plausible_queue(unsigned dev, unsigned q, uint64_t desc, uint64_t avail, unsigned size)
{
	struct virtq_desc *d = gmem_ptr(&vm.mem, desc, VIRTQ_DESC_BYTES(size));
	struct virtq_avail *a = gmem_ptr(&vm.mem, avail, VIRTQ_AVAIL_BYTES(size));
	unsigned heads = 0;

	if (!d || !a)
		return;
	for (unsigned i = 0; i < size;) {
		a->ring[heads++] = (uint16_t)i;
		i += plausible_chain(d, i, size, dev, q);
	}
	if (chance(10))
		d[pick(size)].next = (uint16_t)pick(size); /* maybe a loop */
	a->flags = 0;
	a->idx = (uint16_t)heads;
}

/* A driver that follows the rules: reset, features, queues, DRIVER_OK. */
static void bring_up(unsigned dev, uint64_t step)
{
	uint64_t base = vbase[dev];
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	mmio(base + VIRTIO_MMIO_STATUS, 4, true, 0, step);
	mmio(base + VIRTIO_MMIO_STATUS, 4, true, st, step);
	for (uint32_t sel = 0; sel < 2; sel++) {
		uint32_t f;

		mmio(base + VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, true, sel, step);
		f = mmio(base + VIRTIO_MMIO_DEVICE_FEATURES, 4, false, 0, step);
		mmio(base + VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, true, sel, step);
		mmio(base + VIRTIO_MMIO_DRIVER_FEATURES, 4, true, sel ? f : f & (uint32_t)u_rand(&rng), step);
	}
	st |= VIRTIO_STATUS_FEATURES_OK;
	mmio(base + VIRTIO_MMIO_STATUS, 4, true, st, step);
	for (uint32_t q = 0; q < 4; q++) {
		uint32_t max, size;
		/* Rings in the first 512 KiB, buffers above (plausible_chain). */
		uint64_t desc = 0x1000 * pick(0x20), avail = 0x20000 + 0x1000 * pick(0x20),
			 used = 0x40000 + 0x1000 * pick(0x20);

		mmio(base + VIRTIO_MMIO_QUEUE_SEL, 4, true, q, step);
		max = mmio(base + VIRTIO_MMIO_QUEUE_NUM_MAX, 4, false, 0, step);
		if (max == 0 || max > VIRTQ_MAX_SIZE)
			continue;
		size = 1u << pick(__builtin_ctz(max) + 1);
		mmio(base + VIRTIO_MMIO_QUEUE_NUM, 4, true, size, step);
		mmio(base + VIRTIO_MMIO_QUEUE_DESC_LOW, 4, true, desc, step);
		mmio(base + VIRTIO_MMIO_QUEUE_AVAIL_LOW, 4, true, avail, step);
		mmio(base + VIRTIO_MMIO_QUEUE_USED_LOW, 4, true, used, step);
		memset(gmem_ptr(&vm.mem, avail, VIRTQ_AVAIL_BYTES(size)), 0, VIRTQ_AVAIL_BYTES(size));
		memset(gmem_ptr(&vm.mem, used, VIRTQ_USED_BYTES(size)), 0, VIRTQ_USED_BYTES(size));
		plausible_queue(dev, q, desc, avail, size);
		mmio(base + VIRTIO_MMIO_QUEUE_READY, 4, true, 1, step);
	}
	mmio(base + VIRTIO_MMIO_STATUS, 4, true, st | VIRTIO_STATUS_DRIVER_OK, step);
}

/* Scribble over part of the ring area, as a guest may at any time. */
static void scribble(void)
{
	uint8_t *p = gmem_ptr(&vm.mem, 0, RING_AREA);
	uint64_t off = pick(RING_AREA - 4096);

	for (unsigned i = 0; i < 4096; i += 8) {
		uint64_t v = u_rand(&rng);

		memcpy(p + off + i, &v, 8);
	}
}

static void step(uint64_t i)
{
	unsigned dev = (unsigned)pick(NDEV);
	uint64_t r = pick(1000);

	if (r < 3) {
		bring_up(dev, i);
	} else if (r < 20) {
		scribble();
	} else if (r < 160) {
		/* QueueNotify, the device's doorbell; then let its thread run,
		 * as it would next to a running vCPU */
		mmio(vbase[dev] + VIRTIO_MMIO_QUEUE_NOTIFY, 4, true,
		     chance(90) ? pick(2) : pick(20), i);
		if (chance(10))
			usleep(20);
	} else if (r < 180) {
		uint64_t base = vbase[dev];

		if (mmio(base + VIRTIO_MMIO_MAGIC_VALUE, 4, false, 0, i) != VIRTIO_MMIO_MAGIC)
			note("step %llu: device %u lost its magic value", (unsigned long long)i, dev);
	} else if (r < 600) {
		/* Small values half the time: selectors and indexes live there. */
		mmio(random_reg(dev), random_len(), chance(50), chance(50) ? pick(20) : u_rand(&rng), i);
	} else if (r < 650) {
		mmio(chance(50) ? u_rand(&rng) : LAYOUT_MMIO_POOL_START + pick(0x10000), random_len(),
		     chance(50), u_rand(&rng), i);
	} else {
		static const unsigned sizes[] = { 1, 1, 2, 4 };
		unsigned size = sizes[pick(4)], count = chance(90) ? 1 : 1 + (unsigned)pick(16);
		uint16_t port = random_port();

		pio(port, size, count, chance(50), i);
	}
}

/* The virtio devices must have done real work and seen broken rules too,
 * or the random guest proves little. */
static void check_work(void)
{
	uint64_t requests = 0, errors = 0;

	for (unsigned i = 0; i < vm.ndevices; i++) {
		const struct device_counters *c = vm.devices[i]->counters;

		if (!c)
			continue;
		print_message("  %-14s notifies %6llu requests %6llu errors %5llu\n", vm.devices[i]->name,
			      (unsigned long long)c->notifies, (unsigned long long)c->requests,
			      (unsigned long long)c->errors);
		requests += c->requests;
		errors += c->errors;
	}
	assert_true(requests > 0);
	assert_true(errors > 0);
}

static void run_seed(uint64_t seed)
{
	size_t heap_mid = 0, heap_end;
	int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
	FILE *err = stderr;

	rng = seed;
	failure[0] = 0;
	ends = 0;
	/* Guest console output and the devices' warnings (a hostile guest
	 * makes many) go nowhere while it runs; sanitizer reports still
	 * reach file descriptor 2. */
	assert_true(out >= 0 && null >= 0);
	fflush(stdout);
	dup2(null, STDOUT_FILENO);
	stderr = fopen("/dev/null", "w");
	alarm(120); /* a hang is a failure */
	for (uint64_t i = 0; i < STEPS && !failure[0]; i++) {
		if (i == STEPS / 2)
			heap_mid = __sanitizer_get_current_allocated_bytes();
		step(i);
	}
	heap_end = __sanitizer_get_current_allocated_bytes();
	vm_stop(&vm); /* every device reset: its I/O thread stops, whatever it was doing */
	alarm(0);
	fclose(stderr);
	stderr = err;
	dup2(out, STDOUT_FILENO);
	close(out);
	close(null);
	if (failure[0])
		fail_msg("seed %#llx: %s", (unsigned long long)seed, failure);
	assert_int_equal(vm_end_get(&vm.end), VM_RUNNING);
	check_work();
	print_message("seed %#llx: %u steps, %u VM ends requested, heap %zu bytes at half way, %zu at the end\n",
		      (unsigned long long)seed, STEPS, ends, heap_mid, heap_end);
	assert_true(heap_mid > 0);
	if (heap_end > heap_mid + HEAP_GROWTH_MAX)
		fail_msg("seed %#llx: the heap grew by %zu bytes over the run's second half (bound %d)",
			 (unsigned long long)seed, heap_end - heap_mid, HEAP_GROWTH_MAX);
	assert_true(ends > 0); /* the reset and sleep registers were reached */
}

static void test_random_guest_seed1(void **state)
{
	(void)state;
	run_seed(0x243f6a8885a308d3ULL);
}

static void test_random_guest_seed2(void **state)
{
	(void)state;
	run_seed(0x13198a2e03707344ULL);
}

/* The devices that may end the VM do so, and only with the reasons they
 * stand for: the ACPI sleep register (poweroff) and the i8042 reset. */
static void test_ending_devices(void **state)
{
	uint8_t *data = (uint8_t *)cpu.run + PIO_DATA;

	(void)state;
	cpu.run->exit_reason = KVM_EXIT_IO;
	cpu.run->io = (typeof(cpu.run->io)){ .direction = KVM_EXIT_IO_OUT, .size = 1,
					     .port = PORT_I8042_CMD, .count = 1,
					     .data_offset = PIO_DATA };
	data[0] = 0xfe; /* pulse the reset line */
	failure[0] = 0;
	assert_int_equal(dispatch(0).end, VM_RUNNING);
	assert_string_equal(failure, "");
	assert_int_equal(vm_end_get(&vm.end), VM_END_REBOOT);
}

/* A sleep state the platform lacks is a guest error: the write does
 * nothing, the ACPI PM device counts it, the VM runs on. */
static void test_sleep_type_refused(void **state)
{
	uint8_t *data = (uint8_t *)cpu.run + PIO_DATA;
	const struct device_counters *c = NULL;

	(void)state;
	for (unsigned i = 0; i < vm.ndevices; i++)
		if (strcmp(vm.devices[i]->name, "acpi-pm") == 0)
			c = vm.devices[i]->counters;
	assert_non_null(c);
	cpu.run->exit_reason = KVM_EXIT_IO;
	cpu.run->io = (typeof(cpu.run->io)){ .direction = KVM_EXIT_IO_OUT, .size = 1,
					     .port = PORT_ACPI_PM + ACPI_PM_SLEEP_CTL, .count = 1,
					     .data_offset = PIO_DATA };
	data[0] = 0x20 | (3 << 2); /* SLP_EN, SLP_TYP 3 (S3) */
	failure[0] = 0;
	assert_int_equal(dispatch(0).end, VM_RUNNING);
	assert_string_equal(failure, "");
	assert_int_equal(vm_end_get(&vm.end), VM_RUNNING);
	assert_int_equal(c->errors, 1);
	data[0] = 0x20 | (ACPI_S5_TYPE << 2);
	dispatch(0);
	assert_int_equal(vm_end_get(&vm.end), VM_END_POWEROFF);
	assert_int_equal(c->errors, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_guest_seed1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_guest_seed2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ending_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sleep_type_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
