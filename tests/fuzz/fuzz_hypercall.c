/* The hypercall request validator (src/hypercall/batch.c): one doorbell
 * ring on a batch in guest RAM the fuzzer wrote, answered by hc_answer as
 * the device's doorbells answer it, with every call available (a disk,
 * the console, idle).  RAM sits between guard bytes (as in
 * tests/unit/test_hypercall.c): the host must write nothing outside it.
 *
 * Input: u8 flags (bit 0 the fast doorbell, bit 1 a raw 64-bit header
 * address follows, else a u16 count of 8-byte units; bit 2 a second
 * ring), the address, then guest RAM from address 0. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/device.h"
#include "core/guest_mem.h"
#include "hypercall/batch.h"
#include "fuzz.h"

#define RAM (1 << 20)
#define GUARD 4096
#define GUARD_BYTE 0x5a
#define DISK_SIZE (64 * WHC_SECTOR)

static uint8_t *raw, *ram;
static struct guest_mem mem;
static struct hc_host host;
static struct hc_scratch scratch;
static struct device_counters counters;

static bool idle(void *ctx)
{
	(void)ctx;
	return true;
}

static void setup(void)
{
	int con = open("/dev/null", O_WRONLY | O_CLOEXEC), disk = memfd_create("fuzz-disk", MFD_CLOEXEC);

	raw = aligned_alloc(4096, RAM + 2 * GUARD);
	if (!raw || con < 0 || disk < 0 || ftruncate(disk, DISK_SIZE) < 0)
		abort();
	ram = raw + GUARD;
	mem.map = ram;
	mem.map_len = RAM;
	gmem_layout(&mem, RAM);
	host = (struct hc_host){
		.mem = &mem, .console_fd = con, .disk_fd = disk, .disk_size = DISK_SIZE,
		.features = WHC_F_ALL, .idle = idle, .counters = &counters,
	};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags;
	uint64_t gpa;

	if (!raw)
		setup();
	flags = fz_u8(&f);
	gpa = (flags & 2) ? fz_u64(&f) : (uint64_t)fz_u16(&f) * 8;
	memset(raw, GUARD_BYTE, RAM + 2 * GUARD);
	memset(ram, 0, RAM);
	memcpy(ram, f.p, f.n < RAM ? f.n : RAM);
	atomic_store(&host.fast_batch, HC_NO_BATCH);
	hc_answer(&host, &scratch, gpa, (flags & 1) ? HC_FAST : HC_PORT);
	if (flags & 4)
		hc_answer(&host, &scratch, gpa, HC_FAST); /* after a FAST_SETUP */
	fz_debug("batch status %u, done %u, requests %llu, errors %llu\n",
		 gpa + 24 <= RAM ? *(uint32_t *)(ram + gpa + 16) : 0, gpa + 24 <= RAM ? *(uint32_t *)(ram + gpa + 20) : 0,
		 (unsigned long long)counters.requests, (unsigned long long)counters.errors);
	for (size_t i = 0; i < GUARD; i++)
		if (raw[i] != GUARD_BYTE || ram[RAM + i] != GUARD_BYTE)
			__builtin_trap();
	return 0;
}
