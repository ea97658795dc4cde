/* warden-fail CODE: tell warden that this guest could not boot, so that the
 * VM ends with warden's status 8 instead of hanging or powering off as if
 * all went well (src/devices/guest_status.h: CODE 1 no root device, 2 the
 * mount failed, 3 no init).  One byte to warden's
 * guest-status port; the kernel has no /dev/port (CONFIG_DEVPORT is off),
 * hence this tool.  Returns only if the write did not end the VM (not
 * warden, or a warden without the port): status 1, and the caller powers
 * off instead.
 *
 * Freestanding (no C library, about 1 KiB): it goes into every initramfs
 * of the default guest, whose size is boot time.  Built by guest/build.sh
 * with -nostdlib -static. */
#define PORT_GUEST_STATUS 0x5f0 /* src/core/layout.h */
#define SYS_exit 60
#define SYS_ioperm 173
#define SYS_nanosleep 35

#include "freestanding.h"

/* A decimal CODE from 1 to 255, or 0. */
static int parse_code(const char *s)
{
	int v = 0;

	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 255)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v <= 255 ? v : 0;
}

void fail_main(long argc, char **argv);
void fail_main(long argc, char **argv)
{
	int code = argc == 2 ? parse_code(argv[1]) : 0;
	long ts[2] = { 1, 0 };

	if (code == 0)
		syscall3(SYS_exit, 2, 0, 0);
	if (syscall3(SYS_ioperm, PORT_GUEST_STATUS, 1, 1) < 0)
		syscall3(SYS_exit, 1, 0, 0);
	__asm__ volatile("outb %b0, %w1" : : "a"((unsigned char)code), "Nd"((unsigned short)PORT_GUEST_STATUS));
	syscall3(SYS_nanosleep, (long)ts, 0, 0); /* the VM ends meanwhile */
	syscall3(SYS_exit, 1, 0, 0);
}

FREESTANDING_START(fail_main);
