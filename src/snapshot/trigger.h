/* `warden run --snapshot-dir DIR`: SIGUSR2 pauses the VM, writes
 * DIR/state and DIR/memory, then resumes it (or, with --snapshot-then
 * exit, ends it: status 7).  A thread waits for the signal on a
 * signalfd; the signal is blocked in every thread (snapshot_block_signal,
 * before the first thread is created), so it never interrupts anything
 * else.  (SIGUSR1 is the vCPU kick, core/vcpu.c.) */
#ifndef WARDEN_SNAPSHOT_TRIGGER_H
#define WARDEN_SNAPSHOT_TRIGGER_H

#include <pthread.h>
#include <stdbool.h>

struct vm;

#define SNAPSHOT_SIGNAL SIGUSR2
#define SNAPSHOT_STATE_FILE "state"
#define SNAPSHOT_MEM_FILE "memory"

struct snapshot_trigger {
	struct vm *vm;
	const char *dir;
	bool exit_after;
	int sfd, stop_efd;
	pthread_t thread;
	bool started;
};

/* --snapshot-dir DIR, before the VM runs: DIR a writable directory (a
 * user error naming it), then SNAPSHOT_SIGNAL blocked in this thread and
 * all it creates from now on. */
int snapshot_trigger_prepare(const char *dir);
/* DIR/state and DIR/memory, or a user error for a path too long. */
int snapshot_paths(const char *dir, char *state, char *mem, unsigned long len);
int snapshot_trigger_start(struct snapshot_trigger *t, struct vm *vm, const char *dir, bool exit_after);
void snapshot_trigger_stop(struct snapshot_trigger *t);

#endif
