/* warden: a KVM virtual machine monitor that counts every VM exit. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounting/crash.h"
#include "api/api.h"
#include "accounting/exit_stats.h"
#include "accounting/observatory.h"
#include "accounting/advice_costs.h"
#include "accounting/recorder.h"
#include "boot/cmdline.h"
#include "boot/loader.h"
#include "cli/caps.h"
#include "cli/cli.h"
#include "cli/fc_names.h"
#include "console/host_console.h"
#include "core/device.h"
#include "core/kvm.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/edu.h"
#include "devices/guest_shutdown.h"
#include "devices/guest_status.h"
#include "devices/intel_iommu.h"
#include "devices/platform.h"
#include "hypercall/hypercall.h"
#include "lab/lab.h"
#include "lab/lab_cmd.h"
#include "mmds/mmds.h"
#include "report/report.h"
#include "sandbox/jail.h"
#include "sandbox/jailer.h"
#include "sandbox/seccomp.h"
#include "snapshot/snapshot.h"
#include "snapshot/trigger.h"
#include "virtio/virtio_devices.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/file.h"
#include "util/log.h"
#include "util/stamp.h"

static struct vm *_Atomic running_vm;
static volatile sig_atomic_t stop_requested;
static uint64_t process_start_ns;
/* The power button press on the first signal (docs/shutdown.md). */
static struct guest_shutdown guest_shutdown;
/* The API (--api-sock, --config-file; docs/api.md), or NULL, and the
 * running VM's power button for its SendCtrlAltDel. */
static struct api *api;
static struct device *api_button;

static void on_signal(int sig)
{
	struct vm *vm = running_vm;
	int first = !stop_requested;

	(void)sig;
	stop_requested = 1; /* also stops a --reboot loop between boots */
	/* The first signal asks a running guest to shut down, when it has a
	 * power button and a grace period; a second one stops it at once. */
	if (vm && !(first && guest_shutdown_request(&guest_shutdown)))
		vm_request_end(vm, VM_END_SIGNAL);
	api_interrupt(api); /* a VM still waiting for InstanceStart never starts */
}

/* SendCtrlAltDel: warden's guests power off on the ACPI power button
 * (Firecracker presses Ctrl-Alt-Del on its i8042; docs/api.md). */
static int api_ctrl_alt_del(void *ctx)
{
	(void)ctx;
	if (!api_button)
		return fail(ERR_USAGE, "this VM has no power button (it runs without the in-kernel irqchip)");
	power_button_press(api_button);
	return 0;
}

/* PUT /vsock: the device --vsock would add (docs/vsock.md); the last one
 * given before InstanceStart is built with the others. */
static int api_vsock(void *ctx, uint32_t guest_cid, const char *uds_path)
{
	struct cli_options *o = ctx;

	return virtio_vsock_spec(&o->virtio.vsock, guest_cid, uds_path);
}

/* PATCH /drives/{id} on a running VM (Kata's placeholder drives). */
static int api_drive_update(struct vm *vm, unsigned index, const char *path)
{
	return virtio_disk_replace(vm, index, path);
}

static int api_snapshot_load(void *ctx, const struct api_snapshot_load *req);
static int api_machine_changed(void *ctx);

/* PUT /snapshot/create: the snapshot SIGUSR2 writes, at the client's
 * paths; the VM is paused (the API checked). */
static int api_snapshot_create(struct vm *vm, const char *state_path, const char *mem_path)
{
	if (snapshot_create(vm, state_path, mem_path) < 0)
		return -1;
	log_info("snapshot written to %s and %s", state_path, mem_path);
	return 0;
}

/* The metadata service's store (docs/mmds.md): made before the API, as
 * PUT /mmds may come before InstanceStart; filled from --metadata.  A
 * static, so that it stays reachable until the process ends. */
static struct mmds *mmds_store;

/* --mmds (or the snapshot's) into the store: version (none given: V1). */
static void mmds_apply_spec(struct mmds *store, const struct mmds_spec *m)
{
	mmds_set_version(store, m->version == MMDS_V2 ? MMDS_V2 : MMDS_V1, m->imds_compat);
}

static int mmds_setup(struct cli_options *o)
{
	const struct mmds_spec *m = &o->virtio.mmds_spec;
	char why[512];
	uint8_t *buf;
	size_t len;
	int r;

	mmds_store = mmds_new(o->mmds_size_limit ? o->mmds_size_limit : MMDS_DEFAULT_SIZE_LIMIT);
	if (!mmds_store)
		return -1;
	mmds_apply_spec(mmds_store, m);
	o->virtio.mmds = mmds_store;
	if (!o->metadata)
		return 0;
	if (file_read_all(o->metadata, "--metadata", &buf, &len) < 0)
		return -1;
	r = mmds_put(mmds_store, (const char *)buf, len);
	free(buf);
	if (r < 0) {
		snprintf(why, sizeof(why), "%s", err_msg()); /* fail() writes where err_msg() points */
		return fail(ERR_USAGE, "--metadata %s: %s", o->metadata, why);
	}
	return 0;
}

/* --api-sock, --config-file: the API or the file configures O and the VM
 * starts at InstanceStart (at once with a file), or at a snapshot's load.
 * 1: a signal came first. */
static int api_setup(struct cli_options *o)
{
	/* PATCH /vm: core's pause; the snapshots of docs/snapshot.md. */
	const struct api_hooks hooks = { .ctx = o, .ctrl_alt_del = api_ctrl_alt_del, .vsock = api_vsock,
					 .pause = vm_pause, .resume = vm_resume, .drive_update = api_drive_update,
					 .rate_update = virtio_rate_update, .machine_changed = api_machine_changed,
					 .snapshot_create = api_snapshot_create,
					 .snapshot_load = api_snapshot_load };
	struct sigaction sa = { .sa_handler = on_signal };

	if (!o->api_sock && !o->config_file)
		return 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!(api = api_create(o, &hooks)) || (o->config_file && api_load_config(api, o->config_file) < 0) ||
	    (o->api_sock && api_listen(api, o->api_sock) < 0))
		return -1;
	return api_wait_start(api) < 0 ? 1 : 0;
}

/* What api_machine made the machine from, for a PATCH on the running
 * VM to make it again (set once, before `made` is). */
static struct {
	int argc;
	char **argv;
	const struct cli_options *o;
	_Atomic bool made;
} api_machine_from;

/* A VM the API configured: the arguments a snapshot keeps are the
 * command line's with the API's resources in (cli_machine_args), so a
 * snapshot of it restores as any other (docs/snapshot.md). */
static int api_machine(int argc, char **argv, const struct cli_options *o)
{
	char **args = NULL;
	int n = 0, ret;

	if (!o->api_sock && !o->config_file)
		return 0;
	if (cli_machine_args(argc, argv, o, &args, &n) < 0)
		return -1;
	ret = snapshot_set_machine(n, args);
	cli_machine_args_free(args, n);
	if (ret == 0 && !api_machine_from.made) {
		api_machine_from.argc = argc, api_machine_from.argv = argv, api_machine_from.o = o;
		api_machine_from.made = true;
	}
	return ret;
}

/* A PATCH changed the running VM's drives or limits (on the API's
 * thread, which changed O): its machine made again.  A VM loaded from a
 * snapshot keeps the snapshot's arguments (docs/snapshot.md). */
static int api_machine_changed(void *ctx)
{
	(void)ctx;
	if (!api_machine_from.made)
		return 0;
	return api_machine(api_machine_from.argc, api_machine_from.argv, api_machine_from.o);
}

/* The API goes last: O's strings and the exit tables stay until then. */
static void api_end(void)
{
	struct api *a = api;

	api = NULL;
	api_destroy(a);
}

/* --verbose: where the set-up's time went (util/stamp.h), and the wall
 * clock's time at main's start, from which a script tells the time
 * before main (its exec of warden to here). */
static void log_set_up_phases(void)
{
	char line[2048];
	uint64_t real = stamp_start_realtime_ns();

	if (!log_verbose)
		return;
	stamp_format(line, sizeof(line));
	log_debug("set-up phases (ms, each from the one before; main started at %llu.%06llu): %s",
		  (unsigned long long)(real / 1000000000ULL), (unsigned long long)(real % 1000000000ULL / 1000),
		  line);
}

static uint64_t host_mem_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size >> 20 : 0;
}

/* The default guest lives in guest/ next to the binary (build/guest/): the
 * uncompressed vmlinux that `make guest` extracts (no decompressor runs in
 * the guest: about 0.5 s less to the init line in the emulated tier), else
 * the bzImage vmlinuz it came from. */
static int default_guest(struct cli_options *o, char *kernel, char *initrd, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *dir = getenv("WARDEN_GUEST_DIR");
	const char *sub = "";
	char *slash;

	if (!dir) {
		if (n <= 0)
			return fail(ERR_USAGE, "no --kernel given and cannot locate the default guest");
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		dir = exe;
		sub = "/guest";
	}
	if (snprintf(kernel, len, "%s%s/vmlinux", dir, sub) >= (int)len ||
	    snprintf(initrd, len, "%s%s/initrd.cpio.gz", dir, sub) >= (int)len)
		return fail(ERR_USAGE, "path of the default guest is too long");
	if (access(kernel, R_OK) != 0)
		kernel[strlen(kernel) - 1] = 'z'; /* vmlinux -> vmlinuz, same length */
	if (access(kernel, R_OK) != 0)
		return fail(ERR_USAGE, "no --kernel given and the default guest %s is missing (run make guest)", kernel);
	o->kernel = kernel;
	if (!o->initrd && access(initrd, R_OK) == 0)
		o->initrd = initrd;
	return 0;
}

/* The root disk's index (vda = 0) for root=, or -1. */
static int root_disk(const struct virtio_config *v)
{
	for (unsigned i = 0; i < v->ndisks; i++)
		if (v->disks[i].root)
			return (int)i;
	return -1;
}

/* The command line the guest gets: a Linux kernel warden's defaults and
 * the user's words (boot/cmdline.h); a multiboot kernel only the user's;
 * other kernels (the test guests) the user's or CLI_DEFAULT_CMDLINE. */
static int guest_cmdline(const struct cli_options *o, struct boot_spec *spec, bool default_kernel)
{
	static char line[LAYOUT_CMDLINE_MAX];
	char defaults[256];
	int root = root_disk(&o->virtio), linux_kernel = boot_is_linux(spec);
	struct cmdline_machine m = {
		.default_guest = default_kernel, .root_disk = root,
		.root_ro = root >= 0 && o->virtio.disks[root].readonly,
		/* A PCI bus only where there are PCI functions (pci=off otherwise). */
		.pci_bus = o->virtio.transport == VIRTIO_TRANSPORT_PCI && virtio_config_has_devices(&o->virtio),
	};

	if (linux_kernel < 0)
		return -1;
	if (!linux_kernel) {
		if (root >= 0)
			return fail(ERR_USAGE, "--disk %s,root: only a Linux kernel takes a root disk (root=/dev/vdX)",
				    o->virtio.disks[root].path);
		spec->cmdline = o->cmdline ? o->cmdline : boot_is_multiboot(spec) ? "" : CLI_DEFAULT_CMDLINE;
		return 0;
	}
	if (cmdline_defaults(defaults, sizeof(defaults), &m) < 0 ||
	    cmdline_compose(line, sizeof(line), defaults, o->cmdline) < 0)
		return -1;
	spec->cmdline = line;
	log_debug("guest command line: %s", line);
	return 0;
}

/* A stock kernel cannot run on a paravirtual KVM: say so before trying. */
static int check_host(const struct boot_spec *spec)
{
	int linux_kernel = boot_is_linux(spec);

	if (linux_kernel < 0)
		return -1;
	if (linux_kernel && kvm_host_virt() == HOST_VIRT_PVM)
		return fail(ERR_USAGE,
			    "this host's KVM is %s: it cannot run an unmodified Linux kernel; "
			    "run warden on a VT-x/AMD-V host or in the emulated AMD-V host (make demo)",
			    kvm_host_virt_name(HOST_VIRT_PVM));
	return 0;
}

/* Device names outlive the VM (a --reboot loop creates it again). */
static void record_devices(struct stats_report *rep, const struct vm *vm)
{
	rep->ndevices = vm->ndevices;
	for (unsigned i = 0; i < vm->ndevices; i++) {
		snprintf(rep->name_buf[i], sizeof(rep->name_buf[i]), "%s", vm->devices[i]->name);
		rep->device_name[i] = rep->name_buf[i];
	}
}

static void add_device_counters(struct stats_report *rep, const struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		const struct device_counters *c = vm->devices[i]->counters;
		struct device_counters *t = &rep->counters[i];

		if (i < STATS_MAX_DEVICES)
			rep->coalesced[i] += __atomic_load_n(&vm->devices[i]->coalesced, __ATOMIC_RELAXED);

		if (!c || (vm->devices[i]->counters_if_nonzero && device_counters_zero(c)))
			continue;
		rep->has_counters[i] = true;
		device_counters_add(t, c);
	}
}

static void quit_from_console(void *ctx)
{
	vm_request_end(ctx, VM_END_SIGNAL);
}

static unsigned flush_coalesced(void *ctx)
{
	return vm_drain_coalesced(ctx);
}

/* Where typed input goes: the guest's console reads it (the virtio
 * console's pipe when the command line names hvc0, else COM1). */
static void wire_console(struct host_console *con, struct vm *vm, struct serial *com1,
			 int virtio_console_in)
{
	host_console_init(con);
	con->on_quit = quit_from_console;
	con->quit_ctx = vm;
	con->sink = serial_input;
	con->sink_ctx = com1;
	con->sink_fd = virtio_console_in;
	if (vm->coalesced_ports) {
		con->flush = flush_coalesced;
		con->flush_ctx = vm;
	}
}

/* The firmware interface of multiboot kernels, the test devices and the
 * test-exit port. */
static int add_optional_devices(struct vm *vm, const struct cli_options *o,
				const struct boot_spec *spec)
{
	if (boot_is_multiboot(spec) && !fw_cfg_create(vm))
		return -1;
	if (boot_is_linux(spec) == 1 && !guest_status_create(vm))
		return -1;
	if (o->test_device && !test_device_create(vm))
		return -1;
	if (o->hyperv_testdev && !hyperv_testdev_create(vm))
		return -1;
	struct intel_iommu *iommu = NULL;
	if (o->intel_iommu && !(iommu = intel_iommu_create(vm)))
		return -1;
	if (o->edu && !edu_create(vm, iommu))
		return -1;
	if (o->test_exit_port >= 0 && !test_exit_create(vm, (uint16_t)o->test_exit_port)) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err_msg());
		return fail(ERR_USAGE, "--test-exit-port 0x%x: %s", (unsigned)o->test_exit_port, why);
	}
	return 0;
}

/* A vCPU did not stop (vm_stop said which): end now, one line, status 1,
 * without tearing down the VM its thread may still be using. */
static _Noreturn void end_stuck(void)
{
	host_console_restore();
	fprintf(stderr, "warden: %s\n", err_msg());
	_exit(1);
}

/* What the jailed VM opens, at the absolute paths the jail mounts them at
 * (docs/security.md); the kernel and initrd are read before it closes. */
static int jail_files(struct cli_options *o)
{
	struct jail_config *j = &o->jail;
	struct hypercall_config *hc = &o->hypercall;
	const char *p;

	if (jail_check(j) < 0)
		return -1;
	if (!j->dir)
		return 0;
	/* --jail-root: the files are in DIR already, at the paths the VM is
	 * given; the devices are added (tun where the host has it: an API's
	 * network interface comes later). */
	if (j->as_root)
		return jail_add_device(j, o->kvm_device ? o->kvm_device : KVM_DEFAULT_DEVICE) < 0 ||
		       (access("/dev/net/tun", F_OK) == 0 && jail_add_device(j, "/dev/net/tun") < 0) ? -1 : 0;
	/* The API's threads would stay outside, in the starting process. */
	if (o->api_sock || o->config_file)
		return fail(ERR_USAGE, "--jail with --api-sock or --config-file needs --jail-root (the files "
				       "are not known before the API gives them)");
	if (j->netns && o->virtio.nnets)
		return fail(ERR_USAGE, "--jail-netns: a new network namespace has no tap device for --net");
	for (unsigned i = 0; i < o->virtio.ndisks; i++) {
		struct disk_spec *d = &o->virtio.disks[i];
		char path[PATH_MAX];

		/* d->path ends at its first comma (the disk's options). */
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(d->path, ","), d->path);
		if (!(d->path = jail_add_path(j, path, !d->readonly, false)))
			return -1;
	}
	if (hc->disk_path[0]) {
		if (!(p = jail_add_path(j, hc->disk_path, !hc->disk_ro, false)))
			return -1;
		snprintf(hc->disk_path, sizeof(hc->disk_path), "%s", p);
	}
	if (o->stats_json && !(o->stats_json = jail_add_path(j, o->stats_json, true, true)))
		return -1;
	if (jail_add_device(j, o->kvm_device ? o->kvm_device : KVM_DEFAULT_DEVICE) < 0 ||
	    (o->virtio.nnets && jail_add_device(j, "/dev/net/tun") < 0))
		return -1;
	return 0;
}

/* Snapshots (docs/snapshot.md): the snapshot --restore runs (read once,
 * used by the first boot only: a --reboot after it boots afresh), and
 * the SIGUSR2 trigger of --snapshot-dir. */
static struct snapshot restore_snap;
static bool restore_pending;
static char restore_mem[PATH_MAX];
static char **restore_argv; /* the machine's arguments: the options point into them */
static struct snapshot_trigger snap_trigger;

static bool restore_paused; /* PUT /snapshot/load without resume_vm */

/* The snapshot opened in restore_snap: parse its machine's arguments
 * (with the new disks and taps USER gives) into *O; what USER said about
 * reports, snapshots and the API stays. */
static int snapshot_options(struct cli_options *o, const struct cli_options *user)
{
	const struct cli_options u = *user; /* USER may be O */
	struct cli_options m;
	char why[512];
	int margc = restore_snap.argc;

	if (cli_restore_args(margc, restore_snap.argv, &u, &restore_argv) < 0)
		return -1;
	/* Into M first: a refused snapshot leaves O as it was (the API's
	 * configuration goes on). */
	if (cli_parse(margc, restore_argv, &m, stdout, 0) != CLI_RUN ||
	    snapshot_set_machine(margc, restore_argv) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg()); /* fail() writes where err_msg() points */
		cli_restore_args_free(restore_argv, margc, restore_snap.argv);
		restore_argv = NULL;
		return fail(ERR_USAGE, "snapshot %s: its machine's arguments: %s", restore_snap.r.path, why);
	}
	*o = m;
	stamp("snapshot's options parsed");
	o->stats_json = u.stats_json, o->stats_interval = u.stats_interval;
	o->stats_trace = u.stats_trace, o->exit_trace = u.exit_trace;
	o->advice_costs = u.advice_costs, o->verbose |= u.verbose;
	o->shutdown_timeout = u.shutdown_timeout;
	o->snapshot_dir = u.snapshot_dir, o->snapshot_exit = u.snapshot_exit;
	o->restore = u.restore;
	o->api_sock = u.api_sock, o->config_file = u.config_file, o->no_api = u.no_api;
	/* The metadata service's data is not the snapshot's (Firecracker's
	 * rule: a clone may need its own); its settings are. */
	o->metadata = u.metadata;
	o->virtio.mmds = u.virtio.mmds;
	/* A store made before the snapshot was chosen (the API's) takes its
	 * settings. */
	if (o->virtio.mmds)
		mmds_apply_spec(o->virtio.mmds, &o->virtio.mmds_spec);
	o->prefault = PREFAULT_OFF; /* the memory file is read as the guest touches it */
	restore_pending = true;
	return 0;
}

/* --restore DIR: read the snapshot and take its machine. */
static int restore_options(struct cli_options *o)
{
	char state[PATH_MAX];

	if (snapshot_paths(o->restore, state, restore_mem, sizeof(state)) < 0 ||
	    snapshot_open(&restore_snap, state, restore_mem) < 0 || snapshot_check_memory(&restore_snap) < 0)
		return -1;
	stamp("state file read");
	return snapshot_options(o, o);
}

/* PUT /snapshot/load's network_overrides: each names one of the opened
 * snapshot's interfaces as the API names them (api_iface_name: its
 * iface_id, kept in the snapshot, or netN) and gives it a new tap.  Into
 * USER's nets, one per interface of the snapshot (the others keep their
 * taps), as --restore's --net tap=NEW list. */
static int net_overrides(const struct api_snapshot_load *req, struct cli_options *user)
{
	struct virtio_config *v = &user->virtio;
	char *argv[SNAPSHOT_MAX_ARGS + 1], name[72];
	bool used[API_MAX_NET_OVERRIDES] = { false };
	struct cli_options m;

	v->ndisks = v->nnets = 0; /* the snapshot's, as they were */
	if (!req->nnet_overrides)
		return 0;
	/* A copy of the pointers: getopt may reorder what it parses. */
	memcpy(argv, restore_snap.argv, sizeof(argv[0]) * ((size_t)restore_snap.argc + 1));
	if (cli_parse(restore_snap.argc, argv, &m, stdout, 0) != CLI_RUN)
		return -1;
	for (unsigned i = 0; i < m.virtio.nnets; i++) {
		v->nets[i] = m.virtio.nets[i];
		api_iface_name(&m.virtio.nets[i], i, name, sizeof(name));
		for (unsigned k = 0; k < req->nnet_overrides; k++)
			if (strcmp(req->net_overrides[k].iface_id, name) == 0) {
				snprintf(v->nets[i].tap, sizeof(v->nets[i].tap), "%s", req->net_overrides[k].host_dev_name);
				used[k] = true;
			}
		for (unsigned j = 0; j < i; j++)
			if (strcmp(v->nets[j].tap, v->nets[i].tap) == 0)
				return fail(ERR_USAGE, "/snapshot/load: network_overrides would put two interfaces on tap %s",
					    v->nets[i].tap);
	}
	v->nnets = m.virtio.nnets;
	for (unsigned k = 0; k < req->nnet_overrides; k++)
		if (!used[k])
			return fail(ERR_USAGE, "/snapshot/load: network_overrides: the snapshot has no network interface '%s'",
				    req->net_overrides[k].iface_id);
	return 0;
}

/* PUT /snapshot/load (on the API's thread, while main waits for the
 * start): the same as --restore with the client's two paths and new
 * taps (network_overrides), no new disks; the API then starts the VM. */
static int api_snapshot_load(void *ctx, const struct api_snapshot_load *req)
{
	struct cli_options *o = ctx, user = *o;

	if (restore_pending)
		return fail(ERR_USAGE, "a snapshot is loaded already");
	if (snprintf(restore_mem, sizeof(restore_mem), "%s", req->mem_path) >= (int)sizeof(restore_mem))
		return fail(ERR_USAGE, "the memory file's path is too long");
	if (snapshot_open(&restore_snap, req->snapshot_path, restore_mem) < 0)
		return -1;
	if (snapshot_check_memory(&restore_snap) < 0) {
		snapshot_close(&restore_snap);
		return -1;
	}
	if (net_overrides(req, &user) < 0 || snapshot_options(o, &user) < 0) {
		snapshot_close(&restore_snap);
		return -1;
	}
	restore_paused = !req->resume_vm;
	return 0;
}

/* A restored guest that reboots boots afresh: with its initrd, which the
 * restore did not read. */
static int restored_initrd(const struct cli_options *o, struct boot_spec *spec)
{
	if (!o->initrd || spec->initrd)
		return 0;
	spec->initrd = o->initrd;
	return file_read_all(spec->initrd, "initrd", &spec->initrd_img, &spec->initrd_len);
}

/* One boot of the VM: create, load, run, tear down. */
static enum vm_end boot_once(const struct cli_options *o, const struct boot_spec *spec,
			     struct recorder *rec, struct stats_report *rep,
			     struct observatory *obs, int *status)
{
	struct vm_config cfg = {
		.mem_bytes = o->mem_mib << 20, .ncpus = o->cpus, .irqchip = o->irqchip, .irqchip_split = o->irqchip_split,
		/* pc-testdev drives all 24 lines by its ports, claiming none. */
		.ioapic_min_pins = o->test_device ? PORT_TESTDEV_IRQ_LEN : 0,
		.ioapic_window = o->ioapic_window,
		.kvm_device = o->kvm_device, .prefault = o->prefault,
		.coalesced_pio = o->coalesced_pio,
		.halt_poll_set = o->halt_poll_set, .halt_poll_ns = o->halt_poll_ns,
		.hlt_passthrough = o->hlt_passthrough, .kvm_hint_realtime = o->kvm_hint_realtime,
		.nested = o->nested,
		.hyperv = o->hyperv,
		.s3 = o->acpi_s3,
		.exit_rip = true, /* for the crash report */
		.fc_thread_names = o->api_sock || o->config_file, /* docs/api.md */
	};
	/* Page-aligned: what every exit reads of it is then one page (core/vm.h). */
	static struct vm vm __attribute__((aligned(4096)));
	struct host_console con;
	struct serial *com1;
	struct device *button = NULL;
	enum vm_end end = VM_END_HOST_ERROR;
	int console_in;
	uint64_t t0, s0 = now_ns(), s1, s2;

	/* "boot" is about how Linux boots; other guests fault in themselves. */
	if (cfg.prefault == PREFAULT_BOOT && boot_is_linux(spec) != 1)
		cfg.prefault = PREFAULT_OFF;
	if (restore_pending) {
		cfg.mem_file = restore_mem;
		cfg.mem_ready = snapshot_mem_ready;
		cfg.mem_ready_ctx = &restore_snap;
	}
	if (vm_create(&vm, &cfg) < 0)
		goto out;
	recorder_observer(rec, &vm.obs);
	s1 = now_ns();
	if (platform_create(&vm, &com1, o->rtc ? 0 : PLATFORM_NO_RTC) < 0 || add_optional_devices(&vm, o, spec) < 0)
		goto out;
	stamp("platform devices");
	if (virtio_devices_create(&vm, &o->virtio, &console_in) < 0)
		goto out;
	stamp("virtio devices");
	if (o->hypercall.enabled && !hypercall_create(&vm, &o->hypercall))
		goto out;
	/* The power button's line needs the in-kernel irqchip. */
	if (o->irqchip && !(button = power_button_create(&vm)))
		goto out;
	s2 = now_ns();
	if (restore_pending ? snapshot_restore(&vm, &restore_snap) < 0 : boot_load(&vm, spec) < 0)
		goto out;
	restore_pending = false;
	log_debug("set-up: VM and vCPUs %.1f ms, devices %.1f ms, guest loaded %.1f ms",
		  (double)(s1 - s0) / 1e6, (double)(s2 - s1) / 1e6, (double)(now_ns() - s2) / 1e6);
	record_devices(rep, &vm);
	wire_console(&con, &vm, com1, console_in);
	running_vm = &vm;
	if (stop_requested)
		vm_request_end(&vm, VM_END_SIGNAL); /* the signal came during set-up */
	obs_attach(obs, &vm);
	stamp("observatory attached");
	t0 = now_ns();
	log_debug("VM set up in %.1f ms since warden started", (double)(t0 - process_start_ns) / 1e6);
	if (button && o->shutdown_timeout > 0 &&
	    guest_shutdown_start(&guest_shutdown, &vm, button, o->shutdown_timeout) < 0)
		vm_request_end(&vm, VM_END_HOST_ERROR);
	/* Before main's filter: the snapshot thread's signalfd; the thread
	 * loads its own filter at its start. */
	if (o->snapshot_dir && snapshot_trigger_start(&snap_trigger, &vm, o->snapshot_dir, o->snapshot_exit) < 0)
		vm_request_end(&vm, VM_END_HOST_ERROR);
	seccomp_enter(THREAD_MAIN); /* once: a --reboot keeps the first one */
	api_button = button;
	if (restore_paused)
		vm_pause_before_start(&vm);
	stamp("snapshot trigger and main's filter");
	if (vm_start(&vm) == 0) {
		stamp("vCPU threads started");
		log_set_up_phases();
		if (restore_paused && vm_pause_started(&vm) < 0) {
			log_warn("%s", err_msg());
			vm_request_end(&vm, VM_END_HOST_ERROR);
		}
		restore_paused = false;
		api_vm_started(api, &vm, rec->stats, o->cpus);
		host_console_serve(&con, vm.end.efd); /* until the VM ends */
	}
	vm_pause_release(&vm); /* a snapshot being taken sees the end */
	snapshot_trigger_stop(&snap_trigger);
	snapshot_restore_end();
	end = vm_stop(&vm);
	guest_shutdown_stop(&guest_shutdown);
	if (vm.stuck)
		end_stuck(); /* does not return */
	*status = vm_end_status(&vm.end);
	if (rec->crash)
		crash_keep_console(rec->crash, &vm.console_tail);
	rep->wall_ns += now_ns() - t0;
	obs_detach(obs);
	add_device_counters(rep, &vm);
	running_vm = NULL;
	if (end == VM_END_GUEST_FAILED) /* the guest's console said why */
		fprintf(stderr, "warden: the guest could not boot: %s (status 8)\n",
			guest_failure_name(vm.end.status));
	if (end == VM_END_HOST_ERROR)
		fail(ERR_HOST, "the VM stopped because of a host error");
	if (end == VM_END_BUG)
		fail(ERR_HOST, "the VM stopped because of an internal error in warden (see above)");
out:
	api_vm_stopped(api); /* before InstanceStart's answer: err_msg() says why */
	api_button = NULL;
	snapshot_restore_end(); /* a set-up that failed: its threads end before the VM */
	vm_destroy(&vm);
	return end;
}

/* argv as `warden run` or `warden jailer` reads it when warden was started
 * as `firecracker` or `jailer` (cli/fc_names.h): the options point into it
 * until the end.  Freed at exit, so that no sanitizer build reports it (a
 * pointer kept in a static variable is not enough: the compiler may drop a
 * store that nothing reads). */
static char **fc_argv;

static void fc_argv_free(void)
{
	free(fc_argv);
	fc_argv = NULL;
}

int main(int argc, char **argv)
{
	struct cli_options o;
	char kernel[PATH_MAX], initrd[PATH_MAX];
	struct boot_spec spec;
	struct exit_stats *stats;
	struct recorder rec;
	struct stats_report rep = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct observatory obs;
	static struct crash_info crash; /* a bad end: what warden can know */
	struct obs_config ocfg;
	struct clock_cal cal;
	enum vm_end end;
	int r, status = 1;
	bool default_kernel;

	stamp_start();
	process_start_ns = stamp_start_ns();
	clock_cal_start(&cal);
	/* Started as `firecracker` or `jailer` (symbolic links, as Kata's
	 * driver needs them): the same as `warden run` or `warden jailer`. */
	fc_argv = calloc((size_t)argc + 2, sizeof(*fc_argv));
	if (!fc_argv || atexit(fc_argv_free) != 0) {
		fprintf(stderr, "warden: out of memory\n");
		return 1;
	}
	if (fc_names(&argc, &argv, fc_argv, stdout) == FC_NAMES_DONE)
		return 0;
	/* Subcommands besides `run` have their own option parsers. */
	if (argc > 1 && strcmp(argv[1], "caps") == 0)
		return caps_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return lab_bench_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "lab") == 0)
		return lab_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "jailer") == 0)
		return jailer_main(argc - 1, argv + 1);
	r = cli_parse(argc, argv, &o, stdout, host_mem_mib());
	stamp("options parsed");

	if (r == CLI_EXIT_OK)
		return 0;
	if (r >= 0 && (o.restore ? restore_options(&o) : snapshot_set_machine(argc, argv)) < 0)
		goto fail;
	if (r >= 0 && mmds_setup(&o) < 0)
		goto fail;
	/* Before any thread: SIGUSR2 only reaches the snapshot thread. */
	if (r >= 0 && o.snapshot_dir && snapshot_trigger_prepare(o.snapshot_dir) < 0)
		goto fail;
	/* The filters are built before the API's threads start: they load
	 * theirs (api, metrics) at their start. */
	if (r >= 0 && seccomp_setup(o.seccomp, host_console_restore) < 0)
		r = -1;
	stamp("seccomp filters started");
	/* A jail whose root holds the files already is entered first: the
	 * API's threads and every path it is given are inside. */
	if (r >= 0 && o.jail.as_root && (jail_files(&o) < 0 || jail_enter(&o.jail) < 0))
		goto fail;
	if (r >= 0 && (r = api_setup(&o)) != 0) {
		if (r < 0)
			goto fail;
		api_end();
		return vm_end_exit_code(VM_END_SIGNAL);
	}
	if (r >= 0 && !restore_pending && api_machine(argc, argv, &o) < 0)
		goto fail;
	default_kernel = r >= 0 && !o.kernel;
	if (r < 0 || (!o.kernel && default_guest(&o, kernel, initrd, sizeof(kernel)) < 0))
		goto fail;
	log_verbose = o.verbose;
	if (o.advice_costs) {
		static struct advice_costs costs;

		if (advice_costs_load(o.advice_costs, &costs) < 0)
			goto fail;
		rep.costs = &costs;
	}
	/* A restore loads nothing into the guest: its initrd (the default
	 * guest's is 1.9 MiB) is read only if the restored guest reboots
	 * (--reboot), now if it will be jailed by then. */
	spec = (struct boot_spec){ .kernel = o.kernel,
				   .initrd = restore_pending && !(o.reboot && o.jail.dir) ? NULL : o.initrd,
				   .format = o.format };
	if (boot_spec_read(&spec) < 0)
		goto fail;
	stamp("kernel's headers read");
	if (guest_cmdline(&o, &spec, default_kernel) < 0) {
		boot_spec_free(&spec);
		goto fail;
	}
	/* Does the guest read its console from hvc0? Then typed input goes there. */
	o.virtio.console_input = o.virtio.console && console_cmdline_is(spec.cmdline, "hvc0");
	if (check_host(&spec) < 0) {
		boot_spec_free(&spec);
		goto fail;
	}
	stats = stats_alloc(o.cpus);
	if (!stats) {
		boot_spec_free(&spec);
		fail(ERR_HOST, "out of memory");
		goto fail;
	}
	ocfg = (struct obs_config){
		/* A trace file without an interval gets one line a second. */
		.interval_s = o.stats_interval ? o.stats_interval : o.stats_trace ? 1.0 : 0,
		.live = o.stats_interval > 0, .trace_path = o.stats_trace, .exit_trace = o.exit_trace,
	};
	if (obs_init(&obs, &ocfg, o.cpus, stats) < 0) {
		obs_destroy(&obs);
		stats_free(stats);
		boot_spec_free(&spec);
		goto fail;
	}
	stamp("observatory");
	if (guest_shutdown_init(&guest_shutdown) < 0) {
		obs_destroy(&obs);
		stats_free(stats);
		boot_spec_free(&spec);
		goto fail;
	}
	if (!o.jail.as_root && (jail_files(&o) < 0 || jail_enter(&o.jail) < 0)) {
		obs_destroy(&obs);
		stats_free(stats);
		boot_spec_free(&spec);
		goto fail;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rec = (struct recorder){ .stats = stats, .nvcpus = o.cpus, .obs = &obs, .crash = &crash };
	rep.crash = &crash;
	host_console_raw();
	stamp("jail and console");
	do {
		end = boot_once(&o, &spec, &rec, &rep, &obs, &status);
		if (end == VM_END_REBOOT && o.reboot)
			log_info("guest rebooted; starting it again");
		if (end == VM_END_REBOOT && o.reboot && !stop_requested && restored_initrd(&o, &spec) < 0)
			end = VM_END_HOST_ERROR; /* said at the end, with the statistics */
	} while (end == VM_END_REBOOT && o.reboot && !stop_requested);
	if (end == VM_END_REBOOT && stop_requested)
		end = VM_END_SIGNAL;
	boot_spec_free(&spec);
	host_console_restore();
	if (end == VM_END_HOST_ERROR && rep.ndevices == 0) {
		obs_destroy(&obs);
		stats_free(stats);
		goto fail; /* never ran: the error says why */
	}
	rep.nvcpus = o.cpus;
	rep.vcpu = stats;
	rep.end_reason = vm_end_name(end);
	rep.cmdline = spec.cmdline;
	rep.ns_per_tick = clock_cal_ns_per_cycle(&cal);
	obs_fill_report(&obs, &rep);
	stats_print_table(stderr, &rep);
	if (crash_wanted(&rep))
		crash_print(stderr, &rep);
	if ((o.stats_json && stats_write_json(o.stats_json, &rep) < 0) || obs_finish(&obs, &rep) < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		obs_destroy(&obs);
		api_end();
		stats_free(stats);
		return 1;
	}
	obs_destroy(&obs);
	if (end == VM_END_HOST_ERROR || end == VM_END_BUG)
		fprintf(stderr, "warden: %s\n", err_msg());
	api_end();
	seccomp_report(stderr); /* last: the API's end is checked too */
	stats_free(stats);
	return end == VM_END_TEST_EXIT ? status : vm_end_exit_code(end);
fail:
	host_console_restore();
	fprintf(stderr, "warden: %s\n", err_msg());
	r = err_class() == ERR_USAGE ? 2 : 1;
	api_end(); /* a waiting InstanceStart answers with the line above */
	return r;
}
