/* Command line of warden: `warden run [options]`, --help, --version. */
#ifndef WARDEN_CLI_CLI_H
#define WARDEN_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "boot/loader.h"
#include "core/prefault.h"
#include "hypercall/hypercall.h"
#include "sandbox/jail.h"
#include "sandbox/seccomp.h"
#include "virtio/virtio_devices.h"

#define CLI_DEFAULT_MEM_MIB 256
#define CLI_MIN_MEM_MIB 2
#define CLI_MAX_CPUS 254 /* xAPIC ids in the MADT */
/* Non-Linux, non-multiboot kernels without --cmdline (the test guests);
 * a Linux guest's command line is boot/cmdline.h's. */
#define CLI_DEFAULT_CMDLINE "console=ttyS0 panic=-1"

/* --shutdown-timeout: the guest's grace period after the power button. */
#define CLI_DEFAULT_SHUTDOWN_TIMEOUT 30
#define CLI_MAX_SHUTDOWN_TIMEOUT 86400

enum cli_action { CLI_RUN, CLI_EXIT_OK };

struct cli_options {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	enum kernel_format format;
	uint64_t mem_mib;
	unsigned cpus;
	const char *stats_json;
	const char *advice_costs; /* --advice-costs: warden bench exits --json */
	double stats_interval;   /* --stats-interval, 0 when not given */
	const char *stats_trace; /* --stats-trace FILE.jsonl */
	bool exit_trace;
	bool reboot;
	bool irqchip;
	bool irqchip_split; /* --irqchip split: warden's own IOAPIC (core/ioapic.h) */
	bool coalesced_pio; /* off: --no-coalesced-pio */
	bool ioapic_window; /* off: --no-ioapic-window (core/ioapic.h) */
	bool rtc;           /* off: --no-rtc (devices/platform.h) */
	bool verbose;
	const char *kvm_device;
	enum prefault_mode prefault; /* --prefault, default off */
	int test_exit_port; /* --test-exit-port, or -1 */
	bool test_device;   /* --test-device: QEMU pc-testdev's ports */
	struct virtio_config virtio; /* --disk, --net, --rng, --virtio-console, --no-* */
	struct hypercall_config hypercall; /* --hypercall, --hypercall-disk */
	bool halt_poll_set;      /* --halt-poll-ns given */
	uint32_t halt_poll_ns;
	bool hlt_passthrough;    /* --hlt-passthrough */
	bool kvm_hint_realtime;  /* --kvm-hint-realtime */
	double shutdown_timeout; /* --shutdown-timeout, seconds (0: no grace) */
	bool nested;             /* --nested: SVM/VMX shown in CPUID */
	bool hyperv;             /* --hyperv: Hyper-V enlightenments */
	bool hyperv_testdev;     /* --hyperv-testdev: QEMU hyperv-testdev's port */
	bool acpi_s3;            /* --acpi-s3: full FADT, FACS, S3 (docs/acpi-s3.md) */
	bool intel_iommu;        /* --intel-iommu: VT-d registers at 0xfed90000 */
	bool edu;                /* --edu: QEMU's educational PCI device */
	enum seccomp_mode seccomp; /* --seccomp on|log|off (default on; docs/security.md) */
	struct jail_config jail;   /* --jail DIR and --jail-* (docs/security.md) */
	/* The Firecracker-compatible API (docs/api.md). */
	const char *api_sock;    /* --api-sock PATH: serve it; boot at InstanceStart */
	const char *config_file; /* --config-file FILE: the same JSON, boot at once */
	bool no_api;             /* --no-api: no socket (needs --config-file) */
	const char *instance_id; /* --id ID: Firecracker's instance id (GET /), or NULL */
	const char *metadata;    /* --metadata FILE: the MMDS store's first contents */
	size_t mmds_size_limit;  /* --mmds-size-limit (0: MMDS_DEFAULT_SIZE_LIMIT) */
	/* Snapshots (docs/snapshot.md). */
	const char *snapshot_dir; /* --snapshot-dir: SIGUSR2 writes DIR/state, DIR/memory */
	bool snapshot_exit;       /* --snapshot-then exit (default resume) */
	const char *restore;      /* --restore DIR: the machine is the snapshot's */
	const char *machine_opt;  /* the first option given that --restore takes from the snapshot */
};

/* Parse ARGV. Returns CLI_RUN, CLI_EXIT_OK (help/version printed to OUT),
 * or -1 with a user error recorded. HOST_MEM_MIB bounds --mem (0: no bound). */
int cli_parse(int argc, char **argv, struct cli_options *o, FILE *out, uint64_t host_mem_mib);
void cli_usage(FILE *f);
/* --restore: ARGV (a snapshot's `warden run ...` arguments, ARGC of them)
 * with USER's --disk paths and --net tap names in place of the
 * snapshot's, in order, into *OUT (malloc'd, NULL-terminated; the
 * strings live as long as ARGV's or the process).  More disks or nets
 * than the snapshot has: a user error. */
int cli_restore_args(int argc, char **argv, const struct cli_options *user, char ***out);
/* What cli_restore_args allocated in OUT (ARGC, ARGV as given to it). */
void cli_restore_args_free(char **out, int argc, char **argv);

/* The `warden run` arguments that build the machine O describes, for a
 * snapshot of a VM the API configured (--api-sock, --config-file): ARGV
 * (the process's own, ARGC of them) without the API's options and
 * without what the API may have changed (kernel, initrd, command line,
 * memory, vCPUs, disks, nets, rng, vsock), then those as O has them
 * now.  The one representation a snapshot keeps, whichever way the VM
 * was configured.  *OUT (malloc'd, NULL-terminated, *OUTC elements) is
 * freed with cli_machine_args_free.  A value a --disk or --net could not
 * carry (a path with a comma): a user error naming it. */
int cli_machine_args(int argc, char **argv, const struct cli_options *o, char ***out, int *outc);
void cli_machine_args_free(char **out, int outc);

#endif
