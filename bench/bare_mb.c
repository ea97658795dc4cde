/* The floor of bench/kvm-unit-tests.sh's vmexit figures (VMEXIT_VMMS=bare):
 * a minimal VMM for a multiboot test kernel, to hold warden's port-I/O
 * round trip against.  It sets the VM up with warden's own code (loader,
 * COM1, fw_cfg, test-exit port; 128 MiB, 1 vCPU, in-kernel irqchip), then
 * runs a bare KVM_RUN loop: a port no device claims (the vmexit test's
 * inl_from_qemu reads 0x1234) reads as all ones at once; the claimed ports
 * go straight to the device's read/write; no exit decode, no dispatch
 * path, no timestamps, no accounting.  MMIO reads as all ones.
 *
 * Usage: bare_mb KERNEL [ARGS]    (the kernel gets "KERNEL ARGS")
 * Exit status: the test-exit status ((V << 1) | 1), 1 on a failure. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "boot/loader.h"
#include "core/bus.h"
#include "core/device.h"
#include "core/layout.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "core/vm_end.h"
#include "devices/platform.h"
#include "util/error.h"

static void port_io(struct vm *vm, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;

	for (unsigned i = 0; i < run->io.count; i++, data += size) {
		const struct bus_range *r = bus_find(&vm->bus[BUS_PIO], run->io.port, size);

		if (!r) {
			if (run->io.direction == KVM_EXIT_IO_IN)
				memset(data, 0xff, size);
		} else if (run->io.direction == KVM_EXIT_IO_IN) {
			r->dev->ops->read(r->dev, r->index, run->io.port - r->base, data, size);
		} else {
			r->dev->ops->write(r->dev, r->index, run->io.port - r->base, data, size);
		}
	}
}

int main(int argc, char **argv)
{
	struct vm_config cfg = { .mem_bytes = 128 << 20, .ncpus = 1, .irqchip = true };
	static struct vm vm;
	static char args[4096];
	struct serial *com1;
	struct boot_spec spec = { .format = KERNEL_AUTO };
	struct kvm_run *run;

	if (argc < 2) {
		fprintf(stderr, "usage: bare_mb KERNEL [ARGS]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		size_t n = strlen(args);

		snprintf(args + n, sizeof(args) - n, "%s%s", n ? " " : "", argv[i]);
	}
	spec.kernel = argv[1];
	spec.cmdline = args;
	if (boot_spec_read(&spec) < 0 || vm_create(&vm, &cfg) < 0 || platform_create(&vm, &com1) < 0 ||
	    !fw_cfg_create(&vm) || !test_exit_create(&vm, PORT_TEST_EXIT_DEFAULT) ||
	    boot_load(&vm, &spec) < 0 || vcpu_set_boot_regs(&vm.vcpus[0], &vm.boot) < 0) {
		fprintf(stderr, "bare_mb: %s\n", err_msg());
		return 1;
	}
	run = vm.vcpus[0].run;
	while (vm_end_get(&vm.end) == VM_RUNNING) {
		if (ioctl(vm.vcpus[0].fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("bare_mb: KVM_RUN");
			return 1;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			port_io(&vm, run);
			break;
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			break;
		default:
			fprintf(stderr, "bare_mb: exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
	if (vm_end_get(&vm.end) != VM_END_TEST_EXIT) {
		fprintf(stderr, "bare_mb: the VM ended (%d) without a test exit\n", (int)vm_end_get(&vm.end));
		return 1;
	}
	return vm_end_status(&vm.end);
}
