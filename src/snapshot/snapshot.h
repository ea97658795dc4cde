/* Snapshots: pause a VM, write its memory and state to two files, and
 * build the same VM again from them in a new process (docs/snapshot.md).
 *
 * Writing (any thread but a vCPU's, e.g. the SIGUSR2 trigger or an API):
 *     vm_pause(vm);                                 core/vm_pause.h
 *     snapshot_create(vm, "DIR/state", "DIR/memory");
 *     vm_resume(vm);                                or end the VM
 *
 * Restoring (main, before any vCPU runs):
 *     snapshot_open(&s, "DIR/state", "DIR/memory");  checks everything in
 *         the state file; s.argc/s.argv are the `warden run` arguments
 *         that built the machine: parse them, replace disk paths and tap
 *         names if the user gave new ones
 *     vm_config.mem_file = s.mem_path; vm_create(); add the devices in
 *         the same order as the first time
 *     snapshot_restore(vm, &s);                     then vm_start(vm)
 *     snapshot_close(&s);
 *
 * A device takes part through device_ops.save/restore (core/device.h); a
 * device without them makes snapshot_create refuse, naming it.  A device
 * whose backend holds connections the snapshot cannot carry (virtio-vsock)
 * resets them in its save and restores only its configuration: the
 * guest sees the connections closed (docs/snapshot.md, "vsock"). */
#ifndef WARDEN_SNAPSHOT_SNAPSHOT_H
#define WARDEN_SNAPSHOT_SNAPSHOT_H

#include <stdint.h>

#include "core/vm_pause.h" /* vm_pause, vm_resume */
#include "snapshot/state_file.h"

struct vm;

/* The arguments that built the machine (`warden run ...` without "run"),
 * kept so that a restore builds the same one; copied.  Called once before
 * the VM runs; -1 (host error) out of memory or too long. */
int snapshot_set_machine(int argc, char *const *argv);

/* Write VM (paused by vm_pause) to MEM_PATH and STATE_PATH (the state
 * file last: it exists only once its memory is complete).  -1 with the
 * error recorded: a user error for a VM that cannot be snapshotted (not
 * paused, a device without save, --hyperv), a host error for a failed
 * write. */
int snapshot_create(struct vm *vm, const char *state_path, const char *mem_path);

#define SNAPSHOT_MAX_ARGS 256

struct snapshot {
	struct snap_reader r;
	const char *mem_path;
	uint64_t mem_bytes;
	unsigned ncpus;
	int argc;
	char *argv[SNAPSHOT_MAX_ARGS + 1]; /* point into r.buf, NULL-terminated */
};

/* Read and check STATE_PATH (magic, size, warden's version, checksum,
 * sections, the machine); MEM_PATH is checked when it is mapped.  User
 * errors (status 2) name what is wrong. */
int snapshot_open(struct snapshot *s, const char *state_path, const char *mem_path);
/* S's memory file is there and of its machine's size: said before
 * anything is built (an API's load answers 400 and waits on). */
int snapshot_check_memory(const struct snapshot *s);
void snapshot_close(struct snapshot *s);
/* Put S's state into VM, built from S's machine with its memory file and
 * devices and never run: checks that this host can run it (CPUID, XSAVE
 * size, TSC), then every vCPU, the VM, every device (matched by place and
 * name), and the devices' resume; vm_start then starts the vCPUs where
 * they stopped. */
int snapshot_restore(struct vm *vm, const struct snapshot *s);
/* The restored VM ends: stop what the restore left running (the
 * recording of its working set, snapshot/hot_pages.h).  Before its
 * memory is unmapped; harmless after any other VM. */
void snapshot_restore_end(void);

/* For vm_config.mem_ready of the VM a restore builds (CTX: the opened
 * snapshot): its working set starts coming in at once, on a thread of
 * its own; snapshot_restore() waits for it. */
struct guest_mem;
void snapshot_mem_ready(void *ctx, struct guest_mem *mem);

#endif
