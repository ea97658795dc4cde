/* Populating guest RAM on a helper thread while the guest boots.
 *
 * Guest RAM is mapped lazily (MAP_NORESERVE, THP advised): the host
 * allocates and zeroes a 2 MiB page the first time the guest touches it,
 * inside the nested page fault, while the vCPU waits. A booting Linux
 * touches its RAM in a known order: the kernel image and initrd (which
 * warden has written already), a few pages at the top of low RAM
 * (memblock), then what its page allocator hands out, upwards from
 * 16 MiB. A helper thread that populates that range ahead of the guest
 * (MADV_POPULATE_WRITE) takes the allocation off the vCPU's path; the
 * nested page faults remain, each now only maps a page that is there.
 * The price is host memory committed before the guest asks for it, so it
 * is not the default: lazy guest memory is what lets microVMs pack. */
#ifndef WARDEN_CORE_PREFAULT_H
#define WARDEN_CORE_PREFAULT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

enum prefault_mode {
	PREFAULT_OFF,  /* every page on the guest's first touch (default) */
	PREFAULT_BOOT, /* PREFAULT_BOOT_MIB from PREFAULT_BOOT_FROM (Linux guests) */
	PREFAULT_ALL,  /* all of RAM, low then high */
};

/* Where Linux's page allocator starts handing out memory (the bottom of
 * ZONE_DMA32; below is ZONE_DMA), and how much a boot takes from there:
 * the Debian guest touched up to 86 MiB by its init line in 256 MiB. */
#define PREFAULT_BOOT_FROM (16ULL << 20)
#define PREFAULT_BOOT_MIB 128ULL

struct prefault_span {
	uint8_t *hva;
	uint64_t len;
};

/* What MODE populates of MEM, in order, to OUT: how many spans (0-2). */
unsigned prefault_plan(const struct guest_mem *mem, enum prefault_mode mode, struct prefault_span out[2]);

/* Parse "off", "boot" or "all": 0, or -1 with a user error. */
int prefault_parse(const char *s, enum prefault_mode *mode);

struct prefault {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	struct prefault_span spans[2];
	unsigned nspans;
	uint64_t done;  /* bytes populated (or found populated) */
	uint64_t ns;    /* how long the thread ran */
	int err;        /* errno that ended it early, else 0 */
};

/* Start populating what MODE asks of MEM. Nothing to do or no thread is
 * not an error: the guest then faults its memory in itself. */
void prefault_start(struct prefault *pf, const struct guest_mem *mem, enum prefault_mode mode);

/* Stop (within one 2 MiB step) and wait; says what was done (--verbose).
 * Must run before guest memory is unmapped. */
void prefault_stop(struct prefault *pf);

#endif
