/* Linux tap devices (/dev/net/tun) as the backend of virtio-net: frames
 * are read and written whole, each preceded by a virtio-net header, so the
 * guest's checksum and segmentation offloads pass through the host kernel
 * untouched. */
#ifndef WARDEN_BACKENDS_TAP_H
#define WARDEN_BACKENDS_TAP_H

#include <stdbool.h>

/* What the host kernel may hand us unfinished (TUNSETOFFLOAD), i.e. what
 * the guest accepted to receive. */
enum tap_offload {
	TAP_OFFLOAD_CSUM = 1,    /* partial checksums */
	TAP_OFFLOAD_TSO4 = 2,    /* TCP segmentation, IPv4 (needs CSUM) */
	TAP_OFFLOAD_TSO6 = 4,    /* TCP segmentation, IPv6 (needs CSUM) */
	TAP_OFFLOAD_TSO_ECN = 8, /* TSO with the ECN (CWR) bit */
};

/* Attach to tap NAME, or create it (non-persistent: it goes away when the
 * fd is closed), with virtio-net headers and without offloads; the fd is
 * non-blocking.  *CREATED says which.  MULTI_QUEUE: NAME is (or becomes) a
 * multi-queue tap and the fd one of its queues; open it once per queue.
 * Errors (no /dev/net/tun, no permission, NAME busy or not a tap) are
 * ERR_USAGE; returns the fd or -1. */
int tap_open(const char *name, bool *created, bool multi_queue);
/* A multi-queue tap's queue FD gets packets from the host (ON) or not. */
int tap_queue_enable(int fd, const char *name, bool on);
/* Bytes of virtio-net header before each frame, both ways. */
int tap_set_vnet_hdr_len(int fd, const char *name, int len);
/* FLAGS: enum tap_offload bits. */
int tap_set_offload(int fd, const char *name, unsigned flags);

#endif
