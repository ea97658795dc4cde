#include "snapshot/snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include "core/device.h"
#include "core/vm.h"
#include "snapshot/hot_pages.h"
#include "snapshot/mem_file.h"
#include "snapshot/vcpu_state.h"
#include "snapshot/vm_state.h"
#include "util/error.h"
#include "util/log.h"
#include "util/stamp.h"

/* A device's saved bytes: at most this (the largest today is the
 * serial's receive buffer, about 1 KiB). */
#define DEVICE_STATE_MAX (256u << 10)
#define DEVICE_NAME_LEN 32

/* The machine section: these, then the arguments, each NUL-terminated. */
struct snap_machine {
	uint64_t mem_bytes;
	uint32_t ncpus;
	uint32_t argc;
};

/* Set at the start, and again by the API thread when a PATCH changes
 * the machine (a running VM's limits or disk file); read by whoever
 * writes a snapshot: under LOCK. */
static struct {
	pthread_mutex_t lock;
	char *args; /* NUL-separated */
	size_t len;
	uint32_t argc;
} machine = { .lock = PTHREAD_MUTEX_INITIALIZER };

int snapshot_set_machine(int argc, char *const *argv)
{
	size_t len = 0;
	char *args, *p;

	if (argc < 0 || argc > SNAPSHOT_MAX_ARGS)
		return fail(ERR_USAGE, "too many arguments to keep in a snapshot (at most %d)", SNAPSHOT_MAX_ARGS);
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	args = p = malloc(len ? len : 1);
	if (!p)
		return fail(ERR_HOST, "out of memory");
	for (int i = 0; i < argc; i++)
		p = stpcpy(p, argv[i]) + 1;
	pthread_mutex_lock(&machine.lock);
	free(machine.args);
	machine.args = args;
	machine.len = len;
	machine.argc = (uint32_t)argc;
	pthread_mutex_unlock(&machine.lock);
	return 0;
}

/* Every device can be saved, and the VM is in a state a snapshot holds. */
static int check_snapshottable(struct vm *vm)
{
	bool given;

	if (!vm_is_paused(vm))
		return fail(ERR_USAGE, "the VM is not paused: pause it before a snapshot");
	pthread_mutex_lock(&machine.lock);
	given = machine.args != NULL;
	pthread_mutex_unlock(&machine.lock);
	if (!given)
		return fail(ERR_HOST, "snapshot: the machine's arguments were never given");
	if (vm->cfg.hyperv)
		return fail(ERR_USAGE, "cannot snapshot a VM with --hyperv (its SynIC state is not saved yet)");
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (!vm->devices[i]->ops->save || !vm->devices[i]->ops->restore)
			return fail(ERR_USAGE, "cannot snapshot this VM: device %s cannot be saved yet",
				    vm->devices[i]->name);
	return 0;
}

static int save_devices(struct vm *vm, struct snap_writer *w)
{
	uint8_t *buf = malloc(DEVICE_STATE_MAX);

	if (!buf)
		return fail(ERR_HOST, "out of memory");
	for (unsigned i = 0; i < vm->ndevices; i++) {
		struct device *d = vm->devices[i];
		char name[DEVICE_NAME_LEN] = { 0 };
		long n;

		strncpy(name, d->name, sizeof(name) - 1);
		futex_mutex_lock(&d->lock);
		n = d->ops->save(d, buf, DEVICE_STATE_MAX);
		futex_mutex_unlock(&d->lock);
		if (n < 0) {
			free(buf);
			return fail(ERR_HOST, "device %s could not save its state", d->name);
		}
		snap_put2(w, SNAP_DEVICE, i, name, sizeof(name), buf, (size_t)n);
	}
	free(buf);
	return 0;
}

int snapshot_create(struct vm *vm, const char *state_path, const char *mem_path)
{
	struct snap_machine m = { .mem_bytes = vm->cfg.mem_bytes, .ncpus = vm->cfg.ncpus };
	struct snap_writer w;

	if (check_snapshottable(vm) < 0)
		return -1;
	hot_forget(mem_path); /* it describes the memory file this one replaces */
	/* An older state file goes first: until the new one is complete, the
	 * directory holds no state that would pair with the new memory. */
	if (unlink(state_path) < 0 && errno != ENOENT)
		return fail_errno(ERR_USAGE, "cannot replace %s", state_path);
	snap_writer_init(&w);
	pthread_mutex_lock(&machine.lock);
	m.argc = machine.argc;
	snap_put2(&w, SNAP_MACHINE, 0, &m, sizeof(m), machine.args, machine.len);
	pthread_mutex_unlock(&machine.lock);
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		if (vcpu_state_save(&vm->vcpus[i], &w) < 0)
			goto fail;
	if (vm_state_save(vm, &w) < 0 || save_devices(vm, &w) < 0 || mem_file_write(&vm->mem, mem_path, NULL) < 0)
		goto fail;
	return snap_writer_finish(&w, state_path);
fail:
	free(w.buf);
	return -1;
}

/* The machine section: sizes, and the arguments, each terminated inside it. */
static int read_machine(struct snapshot *s)
{
	struct snap_machine m;
	size_t len;
	const char *p = snap_find(&s->r, SNAP_MACHINE, 0, &len), *end;

	if (!p || len < sizeof(m))
		return fail(ERR_USAGE, "snapshot %s has no machine description", s->r.path);
	memcpy(&m, p, sizeof(m));
	end = p + len;
	p += sizeof(m);
	if (m.argc > SNAPSHOT_MAX_ARGS || m.ncpus == 0 || m.mem_bytes == 0)
		return fail(ERR_USAGE, "snapshot %s: the machine description is malformed", s->r.path);
	for (uint32_t i = 0; i < m.argc; i++) {
		const char *nul = memchr(p, 0, (size_t)(end - p));

		if (!nul)
			return fail(ERR_USAGE, "snapshot %s: the machine description is malformed", s->r.path);
		s->argv[i] = (char *)p; /* in r.buf, which the snapshot owns */
		p = nul + 1;
	}
	s->argv[m.argc] = NULL;
	s->argc = (int)m.argc;
	s->mem_bytes = m.mem_bytes;
	s->ncpus = m.ncpus;
	return 0;
}

int snapshot_check_memory(const struct snapshot *s)
{
	struct stat st;

	if (stat(s->mem_path, &st) < 0)
		return fail_errno(ERR_USAGE, "snapshot memory file %s", s->mem_path);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != s->mem_bytes)
		return fail(ERR_USAGE, "snapshot memory file %s is %lld bytes; the snapshot's machine has %llu",
			    s->mem_path, (long long)st.st_size, (unsigned long long)s->mem_bytes);
	return 0;
}

int snapshot_open(struct snapshot *s, const char *state_path, const char *mem_path)
{
	memset(s, 0, sizeof(*s));
	s->mem_path = mem_path;
	if (snap_read(&s->r, state_path) < 0)
		return -1;
	if (read_machine(s) < 0) {
		snap_reader_free(&s->r);
		return -1;
	}
	return 0;
}

void snapshot_close(struct snapshot *s)
{
	snap_reader_free(&s->r);
	memset(s, 0, sizeof(*s));
}

static int restore_device(struct vm *vm, const struct snapshot *s, unsigned i)
{
	struct device *d = vm->devices[i];
	char name[DEVICE_NAME_LEN];
	size_t len;
	const uint8_t *p = snap_find(&s->r, SNAP_DEVICE, i, &len);
	int ret;

	if (!p || len < sizeof(name))
		return fail(ERR_USAGE, "snapshot %s has no state for device %u (%s)", s->r.path, i, d->name);
	memcpy(name, p, sizeof(name));
	name[sizeof(name) - 1] = 0;
	if (strncmp(name, d->name, sizeof(name) - 1) != 0)
		return fail(ERR_USAGE, "snapshot %s: device %u is %s, this machine's is %s",
			    s->r.path, i, name, d->name);
	if (!d->ops->restore)
		return fail(ERR_USAGE, "device %s cannot be restored yet", d->name);
	err_clear(); /* a device may say why it refuses (util/error.h) */
	futex_mutex_lock(&d->lock);
	ret = d->ops->restore(d, p + sizeof(name), len - sizeof(name));
	futex_mutex_unlock(&d->lock);
	if (ret < 0) {
		char why[256] = "";

		if (strcmp(err_msg(), "unknown error") != 0)
			snprintf(why, sizeof(why), ": %s", err_msg());
		return fail(ERR_USAGE, "snapshot %s: the state of device %s is malformed%s", s->r.path,
			    d->name, why);
	}
	return 0;
}

static int restore_devices(struct vm *vm, const struct snapshot *s)
{
	size_t len;

	for (unsigned i = 0; i < vm->ndevices; i++)
		if (restore_device(vm, s, i) < 0)
			return -1;
	if (snap_find(&s->r, SNAP_DEVICE, vm->ndevices, &len))
		return fail(ERR_USAGE, "snapshot %s has more devices than this machine (%u)", s->r.path,
			    vm->ndevices);
	/* Threads and interrupt lines as the restored state says. */
	for (unsigned i = 0; i < vm->ndevices; i++)
		if (vm->devices[i]->ops->resume)
			vm->devices[i]->ops->resume(vm->devices[i]);
	return 0;
}

/* The working set a restore records for the ones after it
 * (snapshot/hot_pages.h). */
static struct hot_recorder hot_recorder;
static bool hot_recording;
static struct hot_prefetcher prefetcher;

void snapshot_mem_ready(void *ctx, struct guest_mem *mem)
{
	const struct snapshot *s = ctx;

	hot_prefetch_start(&prefetcher, mem, s->mem_path);
}

int snapshot_restore(struct vm *vm, const struct snapshot *s)
{
	int hot = -1;

	/* The working set's pages came in since the memory was mapped
	 * (snapshot_mem_ready), alongside KVM's irqchip and vCPUs; they are
	 * all in before the vCPUs' state goes in: in the emulated tier,
	 * setting the state while a populate still ran stalled both, up to
	 * ~0.9 s instead of ~15 ms (docs/benchmarks.md). */
	if (prefetcher.armed) {
		hot = hot_prefetch_wait(&prefetcher);
		stamp("working set in");
	}
	if (vm->cfg.mem_bytes != s->mem_bytes || vm->cfg.ncpus != s->ncpus)
		return fail(ERR_USAGE, "snapshot %s: the machine built (%u vCPUs, %llu MiB) is not the "
			    "snapshot's (%u, %llu MiB)", s->r.path, vm->cfg.ncpus,
			    (unsigned long long)(vm->cfg.mem_bytes >> 20), s->ncpus,
			    (unsigned long long)(s->mem_bytes >> 20));
	for (unsigned i = 0; i < vm->cfg.ncpus; i++)
		if (vcpu_state_check(vm, &s->r, i) < 0)
			return -1;
	stamp("vCPU state checked");
	for (unsigned i = 0; i < vm->cfg.ncpus; i++) {
		if (vcpu_state_restore(&vm->vcpus[i], &s->r) < 0)
			return -1;
		stamp("vCPU state set");
	}
	if (vm_state_restore(vm, &s->r) < 0)
		return -1;
	stamp("VM state set");
	if (restore_devices(vm, s) < 0)
		return -1;
	stamp("devices restored");
	vm_kvmclock_stopped(vm);
	stamp("KVM_KVMCLOCK_CTRL");
	/* The pages the guest will touch first, if an earlier restore said
	 * which (above, or now without snapshot_mem_ready); else this one
	 * records them. */
	if (hot < 0)
		hot = hot_prefetch(&vm->mem, s->mem_path);
	if (hot == 0 && !hot_recording) {
		hot_record_start(&hot_recorder, &vm->mem, s->mem_path);
		hot_recording = true;
	}
	stamp("working set");
	vm->restored = true;
	log_debug("restored snapshot %s: %u vCPUs, %u devices", s->r.path, vm->cfg.ncpus, vm->ndevices);
	return 0;
}

void snapshot_restore_end(void)
{
	/* A set-up that failed before the restore: the thread is done
	 * before the memory goes. */
	if (prefetcher.armed)
		hot_prefetch_wait(&prefetcher);
	if (hot_recording)
		hot_record_stop(&hot_recorder);
	hot_recording = false;
}
