#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/cmdline.h"
#include "sandbox/jailer.h"
#include "util/error.h"
#include "util/version.h"

enum {
	OPT_KERNEL = 256, OPT_KERNEL_FORMAT, OPT_INITRD, OPT_CMDLINE, OPT_MEM, OPT_CPUS,
	OPT_STATS, OPT_REBOOT, OPT_NO_IRQCHIP, OPT_KVM_DEVICE, OPT_HELP, OPT_VERSION, OPT_VERBOSE,
	OPT_DISK, OPT_NET, OPT_RNG, OPT_VIRTIO_CONSOLE, OPT_NO_IOEVENTFD, OPT_NO_IRQFD, OPT_NO_EVENT_IDX, OPT_TRANSPORT,
	OPT_STATS_INTERVAL, OPT_STATS_TRACE, OPT_EXIT_TRACE, OPT_PREFAULT, OPT_TEST_EXIT_PORT,
	OPT_HYPERCALL, OPT_HYPERCALL_DISK,
	OPT_TEST_DEVICE, OPT_NO_COALESCED_PIO, OPT_NO_IOAPIC_WINDOW, OPT_NO_RTC, OPT_ADVICE_COSTS,
	OPT_HALT_POLL_NS, OPT_HLT_PASSTHROUGH, OPT_KVM_HINT_REALTIME,
	OPT_SHUTDOWN_TIMEOUT, OPT_NESTED,
	OPT_HYPERV, OPT_HYPERV_TESTDEV, OPT_ACPI_S3, OPT_INTEL_IOMMU, OPT_EDU,
	OPT_SECCOMP, OPT_JAIL, OPT_JAIL_OPTION,
	OPT_API_SOCK, OPT_CONFIG_FILE, OPT_NO_API, OPT_ID,
	OPT_SNAPSHOT_DIR, OPT_SNAPSHOT_THEN, OPT_RESTORE,
	OPT_VSOCK, OPT_MMDS, OPT_METADATA, OPT_MMDS_SIZE_LIMIT, OPT_IRQCHIP,
};

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "kernel-format", required_argument, NULL, OPT_KERNEL_FORMAT },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "stats", required_argument, NULL, OPT_STATS },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "advice-costs", required_argument, NULL, OPT_ADVICE_COSTS },
	{ "stats-trace", required_argument, NULL, OPT_STATS_TRACE },
	{ "exit-trace", no_argument, NULL, OPT_EXIT_TRACE },
	{ "reboot", no_argument, NULL, OPT_REBOOT },
	{ "no-irqchip", no_argument, NULL, OPT_NO_IRQCHIP },
	{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
	{ "no-coalesced-pio", no_argument, NULL, OPT_NO_COALESCED_PIO },
	{ "no-ioapic-window", no_argument, NULL, OPT_NO_IOAPIC_WINDOW },
	{ "no-rtc", no_argument, NULL, OPT_NO_RTC },
	{ "kvm-device", required_argument, NULL, OPT_KVM_DEVICE },
	{ "prefault", required_argument, NULL, OPT_PREFAULT },
	{ "test-exit-port", required_argument, NULL, OPT_TEST_EXIT_PORT },
	{ "test-device", no_argument, NULL, OPT_TEST_DEVICE },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "rng", optional_argument, NULL, OPT_RNG },
	{ "virtio-console", no_argument, NULL, OPT_VIRTIO_CONSOLE },
	{ "no-ioeventfd", no_argument, NULL, OPT_NO_IOEVENTFD },
	{ "no-irqfd", no_argument, NULL, OPT_NO_IRQFD },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "no-event-idx", no_argument, NULL, OPT_NO_EVENT_IDX },
	{ "hypercall", no_argument, NULL, OPT_HYPERCALL },
	{ "hypercall-disk", required_argument, NULL, OPT_HYPERCALL_DISK },
	{ "halt-poll-ns", required_argument, NULL, OPT_HALT_POLL_NS },
	{ "hlt-passthrough", no_argument, NULL, OPT_HLT_PASSTHROUGH },
	{ "kvm-hint-realtime", no_argument, NULL, OPT_KVM_HINT_REALTIME },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "nested", no_argument, NULL, OPT_NESTED },
	{ "hyperv", no_argument, NULL, OPT_HYPERV },
	{ "hyperv-testdev", no_argument, NULL, OPT_HYPERV_TESTDEV },
	{ "acpi-s3", no_argument, NULL, OPT_ACPI_S3 },
	{ "intel-iommu", no_argument, NULL, OPT_INTEL_IOMMU },
	{ "edu", no_argument, NULL, OPT_EDU },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "jail", required_argument, NULL, OPT_JAIL },
	{ "jail-uid", required_argument, NULL, OPT_JAIL_OPTION },
	{ "jail-gid", required_argument, NULL, OPT_JAIL_OPTION },
	{ "jail-netns", no_argument, NULL, OPT_JAIL_OPTION },
	{ "jail-nofile", required_argument, NULL, OPT_JAIL_OPTION },
	{ "jail-fsize", required_argument, NULL, OPT_JAIL_OPTION },
	{ "jail-mem", required_argument, NULL, OPT_JAIL_OPTION },
	{ "jail-cpus", required_argument, NULL, OPT_JAIL_OPTION },
	{ "jail-root", no_argument, NULL, OPT_JAIL_OPTION },
	{ "jail-netns-path", required_argument, NULL, OPT_JAIL_OPTION },
	{ "api-sock", required_argument, NULL, OPT_API_SOCK },
	{ "config-file", required_argument, NULL, OPT_CONFIG_FILE },
	{ "no-api", no_argument, NULL, OPT_NO_API },
	{ "id", required_argument, NULL, OPT_ID },
	{ "snapshot-dir", required_argument, NULL, OPT_SNAPSHOT_DIR },
	{ "snapshot-then", required_argument, NULL, OPT_SNAPSHOT_THEN },
	{ "restore", required_argument, NULL, OPT_RESTORE },
	{ "vsock", required_argument, NULL, OPT_VSOCK },
	{ "mmds", required_argument, NULL, OPT_MMDS },
	{ "metadata", required_argument, NULL, OPT_METADATA },
	{ "mmds-size-limit", required_argument, NULL, OPT_MMDS_SIZE_LIMIT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void cli_usage(FILE *f)
{
	fputs("usage: warden run [options]\n"
	      "       warden caps [--json] [--kvm-device PATH]   what this host offers against exits\n"
	      "       warden report FILE.jsonl -o REPORT.html    a --stats-trace file as an HTML page\n"
	      "       warden bench exits [--json FILE] [--rounds N] [--iterations N]\n"
	      "                                           what each kind of exit costs here\n"
	      "       warden lab emulated-vs-virtio [--json F] [--svg F]   the exit lab (warden lab --help)\n"
	      "       warden jailer --id ID --exec-file PATH --uid UID --gid GID [-- run options]\n"
	      "                                           Firecracker's jailer (warden jailer --help)\n"
	      "       warden --help | --version\n"
	      "\n"
	      "Runs a virtual machine on KVM and reports every VM exit when it ends.\n"
	      "\n"
	      "  --kernel FILE          Linux bzImage or vmlinux (ELF) to boot (default: the\n"
	      "                         guest built by `make guest` next to the warden\n"
	      "                         binary: its vmlinux, or its vmlinuz)\n"
	      "  --kernel-format FMT    auto (multiboot, bzImage or ELF), bzimage, elf,\n"
	      "                         multiboot, or flat (a raw real-mode binary loaded\n"
	      "                         and entered at 0x7c00); ELF32 starts in protected\n"
	      "                         mode, ELF64 in long mode\n"
	      "  --initrd FILE          initial ramdisk for a Linux kernel (a multiboot\n"
	      "                         kernel gets it as its one module)\n"
	      "  --cmdline STR          words added to a Linux guest's command line after\n"
	      "                         warden's defaults (\"" CMDLINE_MACHINE "\";\n"
	      "                         the default guest adds quiet); a key you set\n"
	      "                         (console=, panic=, ...) replaces warden's;\n"
	      "                         --verbose shows the result (README). A multiboot\n"
	      "                         kernel gets only STR\n"
	      "  --mem MiB              guest RAM in MiB, or with a G suffix (default 256)\n"
	      "  --cpus N               vCPUs, 1 to the host's KVM limit (default 1)\n"
	      "  --stats FILE.json      write the exit statistics as JSON\n"
	      "  --advice-costs FILE    the JSON of `warden bench exits --json` on this\n"
	      "                         host: the advice then says what each fix saves in\n"
	      "                         time, from those measurements\n"
	      "  --stats-interval SECONDS  print exits per second by reason every\n"
	      "                         SECONDS while the VM runs (stderr)\n"
	      "  --stats-trace FILE.jsonl  one JSON line per interval (default 1 s) and\n"
	      "                         the final statistics; see `warden report`\n"
	      "  --exit-trace           precise mode: every hardware exit from the\n"
	      "                         kvm:kvm_exit/kvm_entry tracepoints (root, tracefs)\n"
	      "  --reboot               restart the guest when it reboots (default: end)\n"
	      "  --shutdown-timeout SECONDS  on SIGTERM/SIGINT, press the guest's ACPI power\n"
	      "                         button and give it SECONDS to power off before\n"
	      "                         stopping it (default 30; 0: stop at once); a second\n"
	      "                         signal stops it at once (docs/shutdown.md)\n"
	      "  --nested               show the host's SVM/VMX to the guest (nested\n"
	      "                         virtualization; default: hidden in CPUID)\n"
	      "  --acpi-s3              a full ACPI FADT with PM1a blocks and a FACS: the\n"
	      "                         guest may suspend to S3; the RTC alarm resumes it\n"
	      "                         at the FACS waking vector (default: hardware-reduced,\n"
	      "                         S5 only; docs/acpi-s3.md)\n"
	      "  --no-irqchip           no in-kernel interrupt controller (test guests:\n"
	      "                         HLT then reaches warden and ends the VM)\n"
	      "  --irqchip kernel|split\n"
	      "                         kernel (default): LAPICs, IOAPIC, PIC and PIT in KVM;\n"
	      "                         split: only the LAPICs in KVM, warden's own IOAPIC\n"
	      "                         with just the pins the machine wires, no PIC, no\n"
	      "                         PIT: fewer boot exits (docs/irqchip.md)\n"
	      "  --no-ioapic-window     with --irqchip split: every read of an IOAPIC register\n"
	      "                         exits (default: reads come from a read-only page,\n"
	      "                         one exit a register read instead of two)\n"
	      "  --no-rtc               no CMOS RTC (the FADT says so): a Linux guest reads\n"
	      "                         the wall clock from kvmclock and takes none of the\n"
	      "                         RTC's port exits; no /dev/rtc, no S3 wake alarm\n"
	      "  --no-coalesced-pio     every write to the UART's transmit register and the\n"
	      "                         RTC's index port exits (default: KVM queues them\n"
	      "                         until the guest's next read, KVM_CAP_COALESCED_PIO)\n"
	      "  --kvm-device PATH      KVM device (default /dev/kvm)\n"
	      "  --test-exit-port PORT  a guest's write of V to PORT (e.g. 0xf4) ends warden\n"
	      "                         with status (V << 1) | 1, as QEMU's isa-debug-exit\n"
	      "  --test-device          QEMU pc-testdev's ports for test kernels (0xe0-0xeb:\n"
	      "                         latch and page flush; 0x2000-0x2017: IRQ lines;\n"
	      "                         MMIO 0xff000000: 64 KiB scratch)\n"
	      "  --hyperv               the Hyper-V enlightenments KVM offers (QEMU's\n"
	      "                         hv_passthrough): its Hyper-V CPUID leaves (KVM's\n"
	      "                         move to 0x40000100), SynIC and synthetic timers\n"
	      "  --hyperv-testdev       QEMU hyperv-testdev's port 0x3000 (SINT routes,\n"
	      "                         message and event connections; needs --hyperv)\n"
	      "  --intel-iommu          a VT-d remapping unit's registers at 0xfed90000, as\n"
	      "                         QEMU's q35 intel-iommu (intremap=on, eim=off): DMA\n"
	      "                         translation and interrupt remapping for --edu (test\n"
	      "                         kernels: no DMAR table; docs/benchmarks.md)\n"
	      "  --edu                  QEMU's educational PCI device (1234:11e8): DMA, INTx\n"
	      "                         and MSI, behind --intel-iommu when given\n"
	      "  --prefault off|boot|all  populate guest RAM on a helper thread while\n"
	      "                         the guest runs: none (default: each page on the\n"
	      "                         guest's first touch), the 128 MiB a booting\n"
	      "                         Linux takes first, or all of it\n"
	      "  --seccomp on|log|off   a seccomp filter per thread (default on); log: run\n"
	      "                         on and list at the end what a filter would refuse\n"
	      "  --jail DIR --jail-uid UID [--jail-gid GID] [--jail-netns] [--jail-nofile N]\n"
	      "    [--jail-fsize MiB] [--jail-mem MiB] [--jail-cpus N]  run the VM in a jail:\n"
	      "                         DIR as its root, holding only what it opens; new\n"
	      "                         mount, PID (and network) namespaces; UID/GID, no\n"
	      "                         capabilities; rlimits; a cgroup v2 group with\n"
	      "                         memory and CPU limits (docs/security.md)\n"
	      "    [--jail-root] [--jail-netns-path PATH]  DIR is the root as prepared by an\n"
	      "                         orchestrator (Firecracker's jailer layout: every path,\n"
	      "                         the API's too, is inside it; `warden jailer`); join\n"
	      "                         the network namespace at PATH\n"
	      "\n"
	      "virtio devices (virtio-mmio, found by the guest through ACPI):\n"
	      "  --disk PATH[,ro][,root][,id=NAME][,queues=N][,poll[=US]]  virtio-blk on a\n"
	      "                         raw image file (repeatable; vda, vdb, ... in\n"
	      "                         order); ro rejects writes; root (one disk): boot\n"
	      "                         it as the root file system (root=/dev/vdX; the\n"
	      "                         default initramfs mounts it and starts its\n"
	      "                         /sbin/init); queues=N: N request queues (1-8, at\n"
	      "                         most --cpus); poll: the I/O thread polls the\n"
	      "                         queues, notifications off, until US (default 50)\n"
	      "                         microseconds pass without work (burns a host CPU\n"
	      "                         meanwhile); poll-max=US: that window adapts to\n"
	      "                         the gaps between requests, up to US;\n"
	      "                         bw=SIZE/MS[/BURST]: at most SIZE\n"
	      "                         bytes per MS milliseconds, after a one-time\n"
	      "                         BURST; ops=SIZE/MS[/BURST]: the same in requests\n"
	      "                         (Firecracker's rate_limiter; docs/api.md)\n"
	      "  --net tap=NAME[,mac=MAC][,queues=N][,poll[=US]][,vhost=on|off|auto][,mmds=on]\n"
	      "                         virtio-net on tap device NAME (created if\n"
	      "                         missing); queues=N: N queue pairs (1-3, at most\n"
	      "                         --cpus; a multi-queue tap); poll, poll-max as\n"
	      "                         for --disk (poll with vhost: vhost-net's busy\n"
	      "                         polling);\n"
	      "                         vhost=on: the kernel's vhost-net moves the packets\n"
	      "                         (/dev/vhost-net, one per queue pair), auto:\n"
	      "                         when the host has it; id=NAME: the API's\n"
	      "                         iface_id for it (kept in a snapshot);\n"
	      "                         rx-bw=, rx-ops=, tx-bw=, tx-ops=SIZE/MS[/BURST]:\n"
	      "                         rate limits as for --disk, each way (not with\n"
	      "                         vhost); mmds=on: the guest reaches the metadata\n"
	      "                         service (--mmds) through it (not with vhost)\n"
	      "  --mmds [version=V1|V2][,ipv4=ADDR][,imds-compat]\n"
	      "                         the metadata service (Firecracker's MMDS) for\n"
	      "                         the --net devices with mmds=on: V2 needs a\n"
	      "                         session token; ADDR link-local (default\n"
	      "                         169.254.169.254); docs/mmds.md\n"
	      "  --metadata FILE        its first contents: a JSON object\n"
	      "  --mmds-size-limit BYTES  its largest JSON text (default 51200)\n"
	      "  --virtio-console       virtio-console (hvc0; with console=hvc0 in the\n"
	      "                         command line it gets stdin)\n"
	      "  --rng[=bw=SIZE/MS[/BURST],ops=SIZE/MS[/BURST]]  virtio-rng, fed from\n"
	      "                         getrandom(); limits as for --disk\n"
	      "  --vsock cid=N,uds=PATH virtio-vsock for guest CID N (3 or more), with\n"
	      "                         Firecracker's host side: the host connects to\n"
	      "                         PATH and writes CONNECT <port>; the guest's\n"
	      "                         connections to port P reach PATH_P (docs/vsock.md)\n"
	      "  --no-ioeventfd         queue notifications exit to warden instead of\n"
	      "                         completing in KVM\n"
	      "  --no-irqfd             interrupts injected with an ioctl per interrupt\n"
	      "  --transport mmio|pci   how virtio devices appear: virtio-mmio windows\n"
	      "                         or PCI functions with MSI-X (default: pci,\n"
	      "                         fewer exits per request; mmio with\n"
	      "                         --api-sock, --config-file)\n"
	      "  --no-event-idx         do not offer VIRTIO_F_EVENT_IDX (no notification\n"
	      "                         or interrupt suppression by index)\n"
	      "\n"
	      "paravirtual hypercalls (docs/hypercall.md):\n"
	      "  --hypercall            batched hypercalls through two doorbells (ports\n"
	      "                         0x540, 0x544): console, time, idle, no-op, disk\n"
	      "  --hypercall-disk PATH[,ro]  the raw image the block calls use (needs\n"
	      "                         --hypercall)\n"
	      "\n"
	      "idle (docs/lab.md, warden lab idle):\n"
	      "  --halt-poll-ns N       KVM polls a halted vCPU for up to N ns (0: never)\n"
	      "                         before its thread sleeps (default: KVM's\n"
	      "                         halt_poll_ns module parameter)\n"
	      "  --hlt-passthrough      the guest's HLT halts the host CPU without an exit\n"
	      "                         (KVM_CAP_X86_DISABLE_EXITS; the vCPU keeps its CPU)\n"
	      "  --kvm-hint-realtime    tell the guest its vCPUs are never preempted\n"
	      "                         (KVM_HINTS_REALTIME: Linux polls before it halts,\n"
	      "                         the haltpoll cpuidle driver)\n"
	      "  --verbose              more diagnostics\n"
	      "\n"
	      "Firecracker-compatible API (docs/api.md):\n"
	      "  --api-sock PATH        serve the REST API on the Unix socket PATH; without\n"
	      "                         --config-file, boot at its InstanceStart action\n"
	      "  --config-file FILE     configure the VM from FILE (the API's JSON, keyed by\n"
	      "                         resource) and boot at once\n"
	      "  --no-api               no API socket (needs --config-file)\n"
	      "  --id ID                the instance id GET / reports (Firecracker's --id:\n"
	      "                         1 to 64 letters, digits and '-'; `warden jailer`\n"
	      "                         passes its own)\n"
	      "snapshots (docs/snapshot.md):\n"
	      "  --snapshot-dir DIR     SIGUSR2 pauses the VM and writes DIR/state and\n"
	      "                         DIR/memory\n"
	      "  --snapshot-then resume|exit  after the snapshot (default resume)\n"
	      "  --restore DIR          run the VM snapshotted in DIR from where it\n"
	      "                         stopped; --disk PATH and --net tap=NAME replace the\n"
	      "                         snapshot's in order; machine options are the\n"
	      "                         snapshot's\n"
	      "\n"
	      "The guest's serial console is stdin/stdout; Ctrl-A x quits on a terminal.\n"
	      "Exit status: 0 poweroff, 1 warden/host failure, 2 bad input, 3 reboot,\n"
	      "4 triple fault, 5 KVM internal error, 6 halted (no irqchip), 7 stopped,\n"
	      "8 the guest could not boot (the default initramfs: no root device, a\n"
	      "failed mount, no init; its console says why).\n",
	      f);
}

static int parse_uint(const char *s, const char *opt, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!s[0] || s[0] == '-')
		return fail(ERR_USAGE, "%s needs a positive number, not '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		return fail(ERR_USAGE, "%s needs a number, not '%s'", opt, s);
	if (v > max)
		return fail(ERR_USAGE, "%s %s is too large (at most %llu)", opt, s, (unsigned long long)max);
	*out = v;
	return 0;
}

/* A port for --test-exit-port: decimal or 0x hex, room for 4 bytes. */
/* --mmds-size-limit: bytes, at least a few (an empty object's text) and
 * at most 16 MiB (a bound on what the guest can make warden hold). */
static int parse_mmds_limit(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < 2 || v > (16ULL << 20))
		return fail(ERR_USAGE, "--mmds-size-limit %s: expected bytes, 2 to 16777216", s);
	*out = (size_t)v;
	return 0;
}

static int parse_port(const char *s, int *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (!s[0] || s[0] == '-' || errno || *end || v == 0 || v > 0xfffc)
		return fail(ERR_USAGE, "--test-exit-port needs a port from 1 to 0xfffc, not '%s'", s);
	*port = (int)v;
	return 0;
}

static int parse_mem(const char *s, uint64_t host_mib, uint64_t *mib)
{
	char buf[32];
	size_t n = strlen(s);
	uint64_t mult = 1;

	if (n == 0 || n >= sizeof(buf))
		return fail(ERR_USAGE, "--mem needs a size in MiB, not '%s'", s);
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == 'G' || buf[n - 1] == 'g') {
		mult = 1024;
		buf[n - 1] = 0;
	} else if (buf[n - 1] == 'M' || buf[n - 1] == 'm') {
		buf[n - 1] = 0;
	}
	if (parse_uint(buf, "--mem", (1ULL << 30) / mult, mib) < 0)
		return -1;
	*mib *= mult;
	if (*mib < CLI_MIN_MEM_MIB)
		return fail(ERR_USAGE, "--mem %s is too small (at least %d MiB)", s, CLI_MIN_MEM_MIB);
	if (host_mib && *mib > host_mib)
		return fail(ERR_USAGE, "--mem %s is more than this host's %llu MiB of RAM",
			    s, (unsigned long long)host_mib);
	return 0;
}

/* Seconds, fractions allowed, from 0.01 to an hour. */
static int parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.01 && v <= 3600))
		return fail(ERR_USAGE, "--stats-interval needs seconds between 0.01 and 3600, not '%s'", s);
	*out = v;
	return 0;
}

/* Seconds, fractions allowed, from 0 (stop at once) to a day. */
static int parse_shutdown_timeout(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0 && v <= CLI_MAX_SHUTDOWN_TIMEOUT))
		return fail(ERR_USAGE, "--shutdown-timeout needs seconds between 0 and %d, not '%s'",
			    CLI_MAX_SHUTDOWN_TIMEOUT, s);
	*out = v;
	return 0;
}

static int parse_format(const char *s, enum kernel_format *f)
{
	static const struct { const char *name; enum kernel_format f; } formats[] = {
		{ "auto", KERNEL_AUTO }, { "bzimage", KERNEL_BZIMAGE },
		{ "elf", KERNEL_ELF }, { "flat", KERNEL_FLAT }, { "multiboot", KERNEL_MULTIBOOT },
	};

	for (unsigned i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(s, formats[i].name) == 0) {
			*f = formats[i].f;
			return 0;
		}
	return fail(ERR_USAGE, "--kernel-format must be auto, bzimage, elf, flat or multiboot, not '%s'", s);
}

/* At most one --disk ...,root: the kernel has one root=. */
static int check_root_disk(const struct virtio_config *v)
{
	unsigned roots = 0;

	for (unsigned i = 0; i < v->ndisks; i++)
		roots += v->disks[i].root;
	if (roots > 1)
		return fail(ERR_USAGE, "--disk: %u disks have the root flag; at most one can be the root", roots);
	return 0;
}

/* --mmds, --metadata and --mmds-size-limit serve the nets with mmds=on;
 * through the API, PUT /mmds/config names them later. */
static int check_mmds(const struct cli_options *o)
{
	bool any = false;

	for (unsigned i = 0; i < o->virtio.nnets; i++)
		any |= o->virtio.nets[i].mmds;
	if (!any && !o->api_sock && !o->config_file && !o->restore &&
	    (o->virtio.mmds_spec.version || o->metadata || o->mmds_size_limit))
		return fail(ERR_USAGE, "%s: no --net has mmds=on, so the guest could not reach the metadata service",
			    o->virtio.mmds_spec.version ? "--mmds" : o->metadata ? "--metadata" : "--mmds-size-limit");
	return 0;
}

/* What a --restore may say itself: where the disks and taps are now,
 * what to report, snapshots again.  The rest is the snapshot's. */
static bool restore_may_give(int c)
{
	switch (c) {
	case OPT_DISK: case OPT_NET: case OPT_STATS: case OPT_STATS_INTERVAL: case OPT_STATS_TRACE:
	case OPT_EXIT_TRACE: case OPT_ADVICE_COSTS: case OPT_VERBOSE: case OPT_SHUTDOWN_TIMEOUT:
	case OPT_SNAPSHOT_DIR: case OPT_SNAPSHOT_THEN: case OPT_RESTORE: case OPT_HELP: case OPT_SECCOMP:
	case OPT_METADATA:
		return true;
	default:
		return false;
	}
}

/* --intel-iommu and --edu: test-kernel devices that need the in-kernel
 * IOAPIC and LAPICs, touch guest memory from vCPU threads (so not next to
 * --test-device's page flush), and translate and remap only --edu. */
static int check_iommu_edu(const struct cli_options *o)
{
	const char *opt = o->intel_iommu ? "--intel-iommu" : "--edu";

	if (!o->intel_iommu && !o->edu)
		return 0;
	if (!o->irqchip)
		return fail(ERR_USAGE, "%s needs the in-kernel irqchip (drop --no-irqchip)", opt);
	if (o->test_device)
		return fail(ERR_USAGE, "%s cannot be used with --test-device", opt);
	if (o->intel_iommu && o->virtio.transport == VIRTIO_TRANSPORT_PCI &&
	    (o->virtio.ndisks || o->virtio.nnets || o->virtio.rng || o->virtio.console || o->virtio.vsock.cid))
		return fail(ERR_USAGE, "--intel-iommu: virtio-pci devices are not behind it (use --transport mmio)");
	return 0;
}

/* --irqchip split: the VT-d unit and edu read KVM's IOAPIC, and a VM
 * Firecracker's API configures is Firecracker's machine (KVM's irqchip
 * and PIT).  (--test-device's lines go through vm_set_irq like any.) */
static int check_split_irqchip(const struct cli_options *o)
{
	const char *other = !o->irqchip ? "--no-irqchip"
			  : o->api_sock ? "--api-sock" : o->config_file ? "--config-file"
			  : o->intel_iommu ? "--intel-iommu" : o->edu ? "--edu" : NULL;

	if (!o->irqchip_split && !o->ioapic_window)
		return fail(ERR_USAGE, "--no-ioapic-window needs --irqchip split (KVM's own IOAPIC is in the kernel)");
	if (!o->irqchip_split || !other)
		return 0;
	return fail(ERR_USAGE, "--irqchip split cannot be used with %s", other);
}

static int parse_run(int argc, char **argv, struct cli_options *o, FILE *out, uint64_t host_mib)
{
	uint64_t v;
	int c, idx = 0;
	bool transport_given = false;

	optind = 0; /* 0, not 1: glibc then fully re-initialises getopt */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", run_options, &idx)) != -1) {
		if (c >= OPT_KERNEL && !restore_may_give(c) && !o->machine_opt)
			o->machine_opt = run_options[idx].name;
		switch (c) {
		case OPT_KERNEL: o->kernel = optarg; break;
		case OPT_KERNEL_FORMAT: if (parse_format(optarg, &o->format) < 0) return -1; break;
		case OPT_INITRD: o->initrd = optarg; break;
		case OPT_CMDLINE: o->cmdline = optarg; break;
		case OPT_MEM: if (parse_mem(optarg, host_mib, &o->mem_mib) < 0) return -1; break;
		case OPT_CPUS:
			if (parse_uint(optarg, "--cpus", CLI_MAX_CPUS, &v) < 0)
				return -1;
			if (v == 0)
				return fail(ERR_USAGE, "--cpus must be at least 1");
			o->cpus = (unsigned)v;
			break;
		case OPT_STATS: o->stats_json = optarg; break;
		case OPT_ADVICE_COSTS: o->advice_costs = optarg; break;
		case OPT_STATS_INTERVAL: if (parse_interval(optarg, &o->stats_interval) < 0) return -1; break;
		case OPT_STATS_TRACE: o->stats_trace = optarg; break;
		case OPT_EXIT_TRACE: o->exit_trace = true; break;
		case OPT_REBOOT: o->reboot = true; break;
		case OPT_NO_IRQCHIP: o->irqchip = false; break;
		case OPT_IRQCHIP:
			if (strcmp(optarg, "kernel") != 0 && strcmp(optarg, "split") != 0)
				return fail(ERR_USAGE, "--irqchip: '%s' is neither kernel nor split", optarg);
			o->irqchip_split = strcmp(optarg, "split") == 0;
			break;
		case OPT_NO_COALESCED_PIO: o->coalesced_pio = false; break;
		case OPT_NO_IOAPIC_WINDOW: o->ioapic_window = false; break;
		case OPT_NO_RTC: o->rtc = false; break;
		case OPT_KVM_DEVICE: o->kvm_device = optarg; break;
		case OPT_PREFAULT: if (prefault_parse(optarg, &o->prefault) < 0) return -1; break;
		case OPT_TEST_EXIT_PORT: if (parse_port(optarg, &o->test_exit_port) < 0) return -1; break;
		case OPT_TEST_DEVICE: o->test_device = true; break;
		case OPT_VERBOSE: o->verbose = true; break;
		case OPT_DISK:
			if (o->virtio.ndisks == VIRTIO_MAX_DISKS)
				return fail(ERR_USAGE, "at most %d --disk options", VIRTIO_MAX_DISKS);
			if (virtio_parse_disk(optarg, &o->virtio.disks[o->virtio.ndisks++]) < 0)
				return -1;
			break;
		case OPT_NET:
			if (o->virtio.nnets == VIRTIO_MAX_NETS)
				return fail(ERR_USAGE, "at most %d --net options", VIRTIO_MAX_NETS);
			if (virtio_parse_net(optarg, &o->virtio.nets[o->virtio.nnets++]) < 0)
				return -1;
			break;
		case OPT_RNG:
			o->virtio.rng = true;
			if (optarg && virtio_parse_rng(optarg, &o->virtio.rng_rate) < 0)
				return -1;
			break;
		case OPT_MMDS:
			if (virtio_parse_mmds(optarg, &o->virtio.mmds_spec) < 0)
				return -1;
			break;
		case OPT_METADATA: o->metadata = optarg; break;
		case OPT_MMDS_SIZE_LIMIT:
			if (parse_mmds_limit(optarg, &o->mmds_size_limit) < 0)
				return -1;
			break;
		case OPT_VSOCK:
			if (o->virtio.vsock.cid)
				return fail(ERR_USAGE, "at most one --vsock option");
			if (virtio_parse_vsock(optarg, &o->virtio.vsock) < 0)
				return -1;
			break;
		case OPT_VIRTIO_CONSOLE: o->virtio.console = true; break;
		case OPT_NO_IOEVENTFD: o->virtio.opt.ioeventfd = false; break;
		case OPT_NO_IRQFD: o->virtio.opt.irqfd = false; break;
		case OPT_TRANSPORT:
			transport_given = true;
			if (strcmp(optarg, "pci") == 0)
				o->virtio.transport = VIRTIO_TRANSPORT_PCI;
			else if (strcmp(optarg, "mmio") == 0)
				o->virtio.transport = VIRTIO_TRANSPORT_MMIO;
			else
				return fail(ERR_USAGE, "--transport takes mmio or pci, not '%s'", optarg);
			break;
		case OPT_NO_EVENT_IDX: o->virtio.opt.event_idx = false; break;
		case OPT_HYPERCALL: o->hypercall.enabled = true; break;
		case OPT_HALT_POLL_NS:
			if (parse_uint(optarg, "--halt-poll-ns", UINT32_MAX, &v) < 0)
				return -1;
			o->halt_poll_set = true;
			o->halt_poll_ns = (uint32_t)v;
			break;
		case OPT_HLT_PASSTHROUGH: o->hlt_passthrough = true; break;
		case OPT_KVM_HINT_REALTIME: o->kvm_hint_realtime = true; break;
		case OPT_SHUTDOWN_TIMEOUT:
			if (parse_shutdown_timeout(optarg, &o->shutdown_timeout) < 0)
				return -1;
			break;
		case OPT_NESTED: o->nested = true; break;
		case OPT_HYPERV: o->hyperv = true; break;
		case OPT_HYPERV_TESTDEV: o->hyperv_testdev = true; break;
		case OPT_ACPI_S3: o->acpi_s3 = true; break;
		case OPT_INTEL_IOMMU: o->intel_iommu = true; break;
		case OPT_EDU: o->edu = true; break;
		case OPT_SECCOMP:
			if (seccomp_parse_mode(optarg, &o->seccomp) < 0)
				return fail(ERR_USAGE, "--seccomp takes on, log or off, not '%s'", optarg);
			break;
		case OPT_JAIL: o->jail.dir = optarg; break;
		case OPT_JAIL_OPTION:
			if (jail_parse_option(&o->jail, run_options[idx].name, optarg) < 0)
				return -1;
			break;
		case OPT_API_SOCK: o->api_sock = optarg; break;
		case OPT_CONFIG_FILE: o->config_file = optarg; break;
		case OPT_NO_API: o->no_api = true; break;
		case OPT_ID:
			if (jailer_check_id(optarg, "") < 0)
				return -1;
			o->instance_id = optarg;
			break;
		case OPT_HYPERCALL_DISK:
			if (hypercall_parse_disk(optarg, &o->hypercall) < 0)
				return -1;
			break;
		case OPT_SNAPSHOT_DIR: o->snapshot_dir = optarg; break;
		case OPT_RESTORE: o->restore = optarg; break;
		case OPT_SNAPSHOT_THEN:
			if (strcmp(optarg, "exit") != 0 && strcmp(optarg, "resume") != 0)
				return fail(ERR_USAGE, "--snapshot-then takes resume or exit, not '%s'", optarg);
			o->snapshot_exit = strcmp(optarg, "exit") == 0;
			break;
		case OPT_HELP: cli_usage(out); return CLI_EXIT_OK;
		case ':':
			return fail(ERR_USAGE, "%s needs a value", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < OPT_KERNEL) /* a short option; long ones have values from OPT_KERNEL */
				return fail(ERR_USAGE, "unknown option '-%c' (see warden --help)", optopt);
			return fail(ERR_USAGE, "unknown option '%s' (see warden --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(ERR_USAGE, "unexpected argument '%s' (see warden --help)", argv[optind]);
	/* The default transport is the one that takes fewer exits per request:
	 * virtio-pci, whose MSI-X interrupts need no InterruptStatus read and
	 * no InterruptACK write (docs/benchmarks.md, "mmio against pci"), a
	 * VM that may be snapshotted too (both transports are saved).  A VM
	 * configured through Firecracker's API stays on virtio-mmio: its
	 * guests expect Firecracker's (their kernels often have no PCI). */
	if (!transport_given)
		o->virtio.transport = o->api_sock || o->config_file ? VIRTIO_TRANSPORT_MMIO : VIRTIO_TRANSPORT_PCI;
	if (o->restore && o->machine_opt)
		return fail(ERR_USAGE, "--%s: with --restore the machine is the snapshot's", o->machine_opt);
	if (check_root_disk(&o->virtio) < 0 || virtio_check_config(&o->virtio, o->cpus) < 0)
		return -1;
	if (o->no_api && (o->api_sock || !o->config_file))
		return fail(ERR_USAGE, o->api_sock ? "--no-api and --api-sock exclude each other"
						   : "--no-api needs --config-file (nothing else could start the VM)");
	if (o->hypercall.disk_path[0] && !o->hypercall.enabled)
		return fail(ERR_USAGE, "--hypercall-disk needs --hypercall");
	o->hypercall.ioeventfd = o->virtio.opt.ioeventfd;
	if (o->hyperv_testdev && !o->hyperv)
		return fail(ERR_USAGE, "--hyperv-testdev needs --hyperv");
	if (o->hyperv && !o->irqchip)
		return fail(ERR_USAGE, "--hyperv needs the in-kernel irqchip (drop --no-irqchip)");
	if (o->cpus > 1 && !o->irqchip)
		return fail(ERR_USAGE, "--no-irqchip supports only one vCPU");
	/* Without the in-kernel LAPIC a HLT ends the VM: nothing idles. */
	if (!o->irqchip && (o->halt_poll_set || o->hlt_passthrough))
		return fail(ERR_USAGE, "%s needs the in-kernel irqchip (drop --no-irqchip)",
			    o->hlt_passthrough ? "--hlt-passthrough" : "--halt-poll-ns");
	if (!o->irqchip && virtio_config_has_devices(&o->virtio))
		return fail(ERR_USAGE, "virtio devices need the in-kernel irqchip (drop --no-irqchip)");
	/* Its page flush takes a page away from every thread of warden for a
	 * moment: nothing else may touch guest memory from the host side. */
	if (o->test_device && virtio_config_has_devices(&o->virtio))
		return fail(ERR_USAGE, "--test-device cannot be used with virtio devices");
	if (o->test_device && o->prefault != PREFAULT_OFF)
		return fail(ERR_USAGE, "--test-device cannot be used with --prefault");
	if (o->acpi_s3 && !o->rtc)
		return fail(ERR_USAGE, "--no-rtc cannot be used with --acpi-s3 (the RTC's alarm wakes the guest from S3)");
	if (check_iommu_edu(o) < 0 || check_mmds(o) < 0 || check_split_irqchip(o) < 0)
		return -1;
	return CLI_RUN;
}

int cli_parse(int argc, char **argv, struct cli_options *o, FILE *out, uint64_t host_mem_mib)
{
	memset(o, 0, sizeof(*o));
	o->mem_mib = CLI_DEFAULT_MEM_MIB;
	o->cpus = 1;
	o->irqchip = true;
	o->coalesced_pio = true;
	o->ioapic_window = true;
	o->rtc = true;
	o->format = KERNEL_AUTO;
	o->test_exit_port = -1;
	o->shutdown_timeout = CLI_DEFAULT_SHUTDOWN_TIMEOUT;
	o->virtio.opt = (struct virtio_options){ .ioeventfd = true, .irqfd = true, .event_idx = true };
	o->seccomp = SECCOMP_ON;
	jail_config_init(&o->jail);
	if (argc < 2)
		return fail(ERR_USAGE, "no command given (try warden --help)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		cli_usage(out);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		fprintf(out, "warden %s\n", WARDEN_VERSION);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "run") == 0)
		return parse_run(argc - 1, argv + 1, o, out, host_mem_mib);
	return fail(ERR_USAGE, "unknown command '%s' (try warden --help)", argv[1]);
}

/* --restore: the snapshot's `warden run` arguments with the user's new
 * disk paths and tap names put in place, in order (the flags after a
 * disk's path and a net's mac= stay the snapshot's).  getopt finds each
 * --disk/--net value as the parse did (also --disk=X and abbreviations). */
static char *replace_value(const char *elem, const char *val, const char *new_val, bool net)
{
	size_t pre = (size_t)(val - elem), n;
	const char *rest;
	char *out, *tok, *copy, *save = NULL;

	if (!net) { /* PATH[,flags]: the flags stay */
		rest = strchr(val, ',');
		rest = rest ? rest : "";
		n = pre + strlen(new_val) + strlen(rest) + 1;
		out = malloc(n);
		if (out)
			snprintf(out, n, "%.*s%s%s", (int)pre, elem, new_val, rest);
		return out;
	}
	/* tap=NAME[,mac=MAC]: every other word stays. */
	n = pre + strlen(val) + strlen(new_val) + 8;
	out = malloc(n);
	copy = strdup(val);
	if (!out || !copy) {
		free(out);
		free(copy);
		return NULL;
	}
	snprintf(out, n, "%.*stap=%s", (int)pre, elem, new_val);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strncmp(tok, "tap=", 4) != 0)
			snprintf(out + strlen(out), n - strlen(out), ",%s", tok);
	free(copy);
	return out;
}

void cli_restore_args_free(char **out, int argc, char **argv)
{
	for (int i = 0; out && i < argc; i++)
		if (out[i] != argv[i])
			free(out[i]);
	free(out);
}

int cli_restore_args(int argc, char **argv, const struct cli_options *user, char ***out)
{
	char **a = calloc((size_t)argc + 1, sizeof(*a));
	unsigned disk = 0, net = 0;
	int c;

	if (!a)
		return fail(ERR_HOST, "out of memory");
	for (int i = 0; i < argc; i++)
		a[i] = argv[i];
	optind = 0;
	opterr = 0;
	while (argc > 1 && (c = getopt_long(argc - 1, argv + 1, ":", run_options, NULL)) != -1) {
		int i = optind; /* argv + 1: the value's element is argv[optind] */
		bool is_net = c == OPT_NET;
		const char *new_val = c == OPT_DISK && disk < user->virtio.ndisks ? user->virtio.disks[disk].path
				    : is_net && net < user->virtio.nnets ? user->virtio.nets[net].tap : NULL;

		disk += c == OPT_DISK;
		net += is_net;
		if (new_val && !(a[i] = replace_value(argv[i], optarg, new_val, is_net))) {
			a[i] = argv[i];
			cli_restore_args_free(a, argc, argv);
			return fail(ERR_HOST, "out of memory");
		}
	}
	if (user->virtio.ndisks > disk || user->virtio.nnets > net) {
		cli_restore_args_free(a, argc, argv);
		return fail(ERR_USAGE, "--restore: %u --disk and %u --net given, the snapshot has %u and %u",
			    user->virtio.ndisks, user->virtio.nnets, disk, net);
	}
	*out = a;
	return 0;
}

/* The options the API configures, or that only say how it is served:
 * left out of cli_machine_args's copy of the command line. */
static bool api_may_set(int c)
{
	switch (c) {
	case OPT_KERNEL: case OPT_INITRD: case OPT_CMDLINE: case OPT_MEM: case OPT_CPUS: case OPT_DISK:
	case OPT_NET: case OPT_RNG: case OPT_VSOCK: case OPT_API_SOCK: case OPT_CONFIG_FILE: case OPT_NO_API:
	case OPT_MMDS: case OPT_METADATA:
		return true;
	default:
		return false;
	}
}

/* The arguments being built: each one malloc'd, at most CAP. */
struct arg_list {
	char **v;
	int n, cap;
	bool failed;
};

static void arg_add(struct arg_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg_add(struct arg_list *l, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (l->n >= l->cap) {
		l->failed = true;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		l->failed = true;
	else
		l->v[l->n++] = s;
}

/* ",queues=N,poll=US" as the parsers read them back (0: not given). */
static void queue_words(char *buf, size_t len, unsigned queues, uint32_t poll_us)
{
	int n = 0;

	buf[0] = 0;
	if (queues)
		n = snprintf(buf, len, ",queues=%u", queues);
	if (poll_us && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ",poll=%u", (unsigned)poll_us);
}

/* --disk and --net values from what virtio_parse_disk/_net filled (a
 * disk's path ends at its first comma: the API refuses paths with one). */
static void device_args(struct arg_list *l, const struct virtio_config *v)
{
	static const char *const vhost[] = { [NET_VHOST_OFF] = "", [NET_VHOST_ON] = ",vhost=on",
					     [NET_VHOST_AUTO] = ",vhost=auto" };
	char q[48], rx[RATE_WORDS_MAX], tx[RATE_WORDS_MAX];
	bool mmds = false;

	for (unsigned i = 0; i < v->ndisks; i++) {
		const struct disk_spec *d = &v->disks[i];

		queue_words(q, sizeof(q), d->queues, d->poll_us);
		rate_spec_words(rx, sizeof(rx), "", &d->rate);
		arg_add(l, "--disk");
		arg_add(l, "%.*s%s%s%s%s%s%s", (int)strcspn(d->path, ","), d->path, d->readonly ? ",ro" : "",
			d->root ? ",root" : "", d->id[0] ? ",id=" : "", d->id, q, rx);
	}
	for (unsigned i = 0; i < v->nnets; i++) {
		const struct net_spec *n = &v->nets[i];
		const uint8_t *m = n->mac;
		char mac[32] = "";

		if (n->has_mac)
			snprintf(mac, sizeof(mac), ",mac=%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		queue_words(q, sizeof(q), n->queues, n->poll_us);
		rate_spec_words(rx, sizeof(rx), "rx-", &n->rx_rate);
		rate_spec_words(tx, sizeof(tx), "tx-", &n->tx_rate);
		arg_add(l, "--net");
		arg_add(l, "tap=%s%s%s%s%s%s%s%s%s", n->tap, mac, n->id[0] ? ",id=" : "", n->id, q, vhost[n->vhost],
			rx, tx, n->mmds ? ",mmds=on" : "");
		mmds |= n->mmds;
	}
	/* The service's settings go into a snapshot, its data does not
	 * (Firecracker's rule: a clone may need other data). */
	if (mmds) {
		uint32_t a = virtio_mmds_ipv4(v);

		arg_add(l, "--mmds");
		arg_add(l, "version=V%d,ipv4=%u.%u.%u.%u%s", v->mmds_spec.version == MMDS_V2 ? 2 : 1, a >> 24,
			(a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff, v->mmds_spec.imds_compat ? ",imds-compat" : "");
	}
	if (v->rng && rate_spec_limits(&v->rng_rate)) {
		rate_spec_words(rx, sizeof(rx), "", &v->rng_rate);
		arg_add(l, "--rng=%s", rx + 1); /* without its leading comma */
	} else if (v->rng) {
		arg_add(l, "--rng");
	}
	if (v->vsock.cid) {
		arg_add(l, "--vsock");
		arg_add(l, "cid=%llu,uds=%s", (unsigned long long)v->vsock.cid, v->vsock.uds);
	}
}

void cli_machine_args_free(char **out, int outc)
{
	for (int i = 0; out && i < outc; i++)
		free(out[i]);
	free(out);
}

int cli_machine_args(int argc, char **argv, const struct cli_options *o, char ***out, int *outc)
{
	/* The command line's own, the API's resources (two each), "run". */
	struct arg_list l = { .cap = argc + 2 * (8 + VIRTIO_MAX_DISKS + VIRTIO_MAX_NETS) + 2 };
	int c, prev = 1;

	l.v = calloc((size_t)l.cap + 1, sizeof(*l.v));
	if (!l.v)
		return fail(ERR_HOST, "out of memory");
	arg_add(&l, "%s", argc > 0 ? argv[0] : "warden");
	arg_add(&l, "run");
	/* Each option's elements are argv[prev .. optind) (argv + 1 to
	 * getopt: "run" is its argv[0]). */
	optind = 0;
	opterr = 0;
	while (argc > 2 && (c = getopt_long(argc - 1, argv + 1, ":", run_options, NULL)) != -1) {
		for (int i = prev; !api_may_set(c) && i < optind && i < argc - 1; i++)
			arg_add(&l, "%s", argv[1 + i]);
		prev = optind;
	}
	if (o->kernel)
		arg_add(&l, "--kernel=%s", o->kernel);
	if (o->initrd)
		arg_add(&l, "--initrd=%s", o->initrd);
	if (o->cmdline)
		arg_add(&l, "--cmdline=%s", o->cmdline);
	arg_add(&l, "--mem=%llu", (unsigned long long)o->mem_mib);
	arg_add(&l, "--cpus=%u", o->cpus);
	/* Said outright: the default transport depends on options a restore
	 * does not have (--api-sock, --snapshot-dir). */
	arg_add(&l, "--transport=%s", o->virtio.transport == VIRTIO_TRANSPORT_PCI ? "pci" : "mmio");
	device_args(&l, &o->virtio);
	if (l.failed) {
		cli_machine_args_free(l.v, l.n);
		return fail(ERR_HOST, "out of memory");
	}
	*out = l.v;
	*outc = l.n;
	return 0;
}
