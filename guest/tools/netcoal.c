/* netcoal: set and read a network interface's interrupt coalescing
 * through the ethtool ioctl (busybox has no ethtool), for the emulated
 * tier's net case (tests/emu/cases/net.l1.sh): virtio-net's driver turns
 * a setting into VIRTIO_NET_F_NOTF_COAL's control commands (TX_SET, then
 * RX_SET) when the feature is negotiated.
 *
 *   netcoal IFACE                          print the current setting
 *   netcoal IFACE RX-USECS RX-FRAMES TX-USECS TX-FRAMES
 *                                          set it, then print it
 *
 * Prints one line "coal rx-usecs R rx-frames F tx-usecs T tx-frames G",
 * what the driver reports back (ETHTOOL_GCOALESCE) after the set.  The
 * set starts from the current values, so that fields the driver does not
 * support stay as they are (the kernel refuses a set that changes one).
 * Bad arguments: usage, status 2; a refused ioctl: "coal get|set failed:
 * errno N" (95 EOPNOTSUPP: the driver cannot coalesce; 22 EINVAL: the
 * device refused a command; 16 EBUSY: virtio-net's tx NAPI would change
 * on a running interface, tx-frames 0 with napi_tx on), status 1.
 *
 * Freestanding (freestanding.h), 9 KiB. */
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/sockios.h> /* (linux/if.h brings sys/socket.h: AF_INET, SOCK_DGRAM) */

#define SYS_write 1
#define SYS_ioctl 16
#define SYS_socket 41
#define SYS_exit 60

#include "freestanding.h"

static void out(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	syscall3(SYS_write, 1, (long)s, (long)n);
}

static void out_u(unsigned long v)
{
	char b[24];
	int i = sizeof(b) - 1;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	out(b + i);
}

static __attribute__((noreturn)) void leave(int status)
{
	syscall3(SYS_exit, status, 0, 0);
	__builtin_unreachable();
}

/* A decimal number up to 2^32 - 1, or -1. */
static long parse_u32(const char *s)
{
	unsigned long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 0xffffffffUL)
			return -1;
	}
	return (long)v;
}

/* One ethtool command on IFACE through socket S; leaves with status 1
 * (said) if the kernel refuses it. */
static void ethtool(int s, const char *iface, struct ethtool_coalesce *ec, const char *what)
{
	struct ifreq ifr;
	long r;
	unsigned i;

	for (i = 0; i < sizeof(ifr); i++)
		((char *)&ifr)[i] = 0;
	for (i = 0; iface[i] && i < IFNAMSIZ - 1; i++)
		ifr.ifr_name[i] = iface[i];
	ifr.ifr_data = (void *)ec;
	r = syscall3(SYS_ioctl, s, SIOCETHTOOL, (long)&ifr);
	if (r == 0)
		return;
	out("coal ");
	out(what);
	out(" failed: errno ");
	out_u((unsigned long)-r);
	out("\n");
	leave(1);
}

void netcoal_main(long argc, char **argv);
void netcoal_main(long argc, char **argv)
{
	struct ethtool_coalesce ec = { .cmd = ETHTOOL_GCOALESCE };
	long set[4] = { 0 };
	long s, i;

	if (argc != 2 && argc != 6) {
		out("usage: netcoal IFACE [RX-USECS RX-FRAMES TX-USECS TX-FRAMES]\n");
		leave(2);
	}
	for (i = 0; argv[1][i]; i++)
		if (i >= IFNAMSIZ - 1) {
			out("netcoal: interface name too long\n");
			leave(2);
		}
	for (i = 0; argc == 6 && i < 4; i++)
		if ((set[i] = parse_u32(argv[2 + i])) < 0) {
			out("netcoal: not a number: ");
			out(argv[2 + i]);
			out("\n");
			leave(2);
		}
	s = syscall3(SYS_socket, AF_INET, SOCK_DGRAM, 0);
	if (s < 0) {
		out("coal socket failed: errno ");
		out_u((unsigned long)-s);
		out("\n");
		leave(1);
	}
	ethtool((int)s, argv[1], &ec, "get");
	if (argc == 6) {
		ec.cmd = ETHTOOL_SCOALESCE;
		ec.rx_coalesce_usecs = (__u32)set[0];
		ec.rx_max_coalesced_frames = (__u32)set[1];
		ec.tx_coalesce_usecs = (__u32)set[2];
		ec.tx_max_coalesced_frames = (__u32)set[3];
		ethtool((int)s, argv[1], &ec, "set");
		ec = (struct ethtool_coalesce){ .cmd = ETHTOOL_GCOALESCE };
		ethtool((int)s, argv[1], &ec, "get");
	}
	out("coal rx-usecs ");
	out_u(ec.rx_coalesce_usecs);
	out(" rx-frames ");
	out_u(ec.rx_max_coalesced_frames);
	out(" tx-usecs ");
	out_u(ec.tx_coalesce_usecs);
	out(" tx-frames ");
	out_u(ec.tx_max_coalesced_frames);
	out("\n");
	leave(0);
}

FREESTANDING_START(netcoal_main);
