/* A restored guest's working set (docs/snapshot.md, "Restore time").
 *
 * A restore maps the memory file privately and lazily: the first touch
 * of each page is a fault in warden's process (the page cache's page
 * mapped, 16 at a time; a private copy when the guest writes it) inside
 * a nested page fault, on the vCPU's time.  Measured in the emulated
 * tier: ~470 such faults on the vCPU thread before the restored guest's
 * first line, most of the ~100 ms from its vCPUs' start to that line
 * that is not the guest's own work.
 *
 * So a restore records what its guest touched in its first
 * HOT_WINDOW_MS (the pages present in warden's mapping of the file, and
 * which of them the guest wrote: no longer the file's), next to the
 * memory file as MEM.hot; the restores after it map those pages before
 * the vCPUs start (MADV_POPULATE_READ, and MADV_POPULATE_WRITE for what
 * the guest wrote), so that the guest's first touches only take KVM's
 * nested fault.  Bounded: at most HOT_MAX_BYTES whatever the guest's
 * size; the rest stays lazy.  The hint only says what to bring in early:
 * every byte still comes from the memory file, so a wrong hint costs
 * time, never correctness.  One that does not match its memory file
 * (another size, inode or modification time) is ignored; a snapshot
 * removes the old one.
 *
 * Not done: copying the working set's 2 MiB runs into anonymous huge
 * pages (fewer nested faults): in the emulated tier each 2 MiB copy cost
 * 6-9 ms, more than the faults it saved (docs/benchmarks.md). */
#ifndef WARDEN_SNAPSHOT_HOT_PAGES_H
#define WARDEN_SNAPSHOT_HOT_PAGES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct guest_mem;

/* How long after the start the working set is taken. */
#define HOT_WINDOW_MS 500
/* At most this much is brought in before the vCPUs start. */
#define HOT_MAX_BYTES (64ULL << 20)

/* MEM_PATH's hint file name into OUT (LEN bytes): -1 if too long. */
int hot_path(const char *mem_path, char *out, unsigned long len);

/* Before the vCPUs start: map what MEM_PATH's hint names into M (mapped
 * from MEM_PATH).  Returns 1 when a hint was used, 0 when there was none
 * that matches (nothing done; a missing or stale hint is no error);
 * never fails: what it cannot bring in stays lazy. */
int hot_prefetch(struct guest_mem *m, const char *mem_path);

/* The same on a thread of its own, started as soon as M is mapped, so
 * that it runs alongside the rest of the set-up (KVM's irqchip and
 * vCPUs, the state); hot_prefetch_wait() joins it, before any vCPU runs,
 * and returns what hot_prefetch() would have.  Without a thread it runs
 * here.  The thread is a helper without a seccomp filter of its own
 * (docs/security.md): it would otherwise wait for the filters' builder. */
struct hot_prefetcher {
	pthread_t thread;
	bool started, armed;
	int result;
	struct guest_mem *m;
	char path[4096]; /* the memory file */
};
void hot_prefetch_start(struct hot_prefetcher *p, struct guest_mem *m, const char *mem_path);
int hot_prefetch_wait(struct hot_prefetcher *p);

struct hot_recorder {
	pthread_t thread;
	bool started;
	int stop_efd;
	uint8_t *map;
	uint64_t size;
	char path[4096]; /* the memory file */
};

/* Record M's working set in HOT_WINDOW_MS from now into MEM_PATH's hint,
 * on a thread of its own (the snapshot thread's seccomp kind).  Nothing
 * to do, or no thread: no hint, no error. */
void hot_record_start(struct hot_recorder *r, const struct guest_mem *m, const char *mem_path);
/* Stop it (a VM that ended within the window leaves no hint) and wait. */
void hot_record_stop(struct hot_recorder *r);

/* A new memory file at MEM_PATH: its old hint goes first. */
void hot_forget(const char *mem_path);

#endif
