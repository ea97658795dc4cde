/* The baseline of bench/overhead.sh: the same guest, set up by warden's own
 * code, but run by a bare KVM_RUN loop that does nothing for an exit except
 * look at it (no dispatch, no devices, no accounting).  Prints the exits
 * and the time from the first KVM_RUN to the poweroff write. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "boot/loader.h"
#include "core/layout.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "util/clock.h"
#include "util/error.h"

#define PORT_POWEROFF PORT_ACPI_PM

int main(int argc, char **argv)
{
	struct vm_config cfg = { .mem_bytes = 16 << 20, .ncpus = 1, .irqchip = true };
	static struct vm vm;
	struct serial *com1;
	struct boot_spec spec = { .format = KERNEL_ELF };
	struct kvm_run *run;
	uint64_t exits = 0, t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: bare_loop GUEST.elf\n");
		return 2;
	}
	spec.kernel = argv[1];
	/* The platform devices are there for the ACPI tables only: this loop
	 * never dispatches an exit to them. */
	if (boot_spec_read(&spec) < 0 || vm_create(&vm, &cfg) < 0 || platform_create(&vm, &com1) < 0 ||
	    boot_load(&vm, &spec) < 0 || vcpu_set_boot_regs(&vm.vcpus[0], &vm.boot) < 0) {
		fprintf(stderr, "bare_loop: %s\n", err_msg());
		return 1;
	}
	run = vm.vcpus[0].run;
	t0 = now_ns();
	for (;;) {
		if (ioctl(vm.vcpus[0].fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("KVM_RUN");
			return 1;
		}
		exits++;
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "bare_loop: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
		if (run->io.port == PORT_POWEROFF)
			break;
	}
	t1 = now_ns();
	printf("exits=%llu ns=%llu\n", (unsigned long long)exits, (unsigned long long)(t1 - t0));
	return 0;
}
