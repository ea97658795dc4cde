/* The vsock tests' exchange, shared by its three programs: the native
 * tier's bare-metal guest (vsock_guest.c), the emulated tier's Linux guest
 * tool (guest/tools/vsock.c) and the host side (tests/native/vsock_host.c).
 *   A: the guest connects to host port A_HOST_PORT and sends A_OUT_BYTES of
 *      pattern(); the host answers with A_REPLY_BYTES random bytes.
 *   B: the host connects to guest port B_GUEST_PORT and sends B_BYTES
 *      random bytes, which the guest echoes.
 * Each side prints what it sent and got as a byte count and FNV-1a (64). */
#ifndef VSOCK_EXCHANGE_H
#define VSOCK_EXCHANGE_H

#include <stdint.h>

#define A_HOST_PORT 5000
#define B_GUEST_PORT 6000
#define A_OUT_BYTES (3 * 65536 + 1000) /* three times warden's credit: flow control at work */
#define A_REPLY_BYTES 150000
#define B_BYTES 70000
#define FNV_INIT 0xcbf29ce484222325ULL

static inline uint64_t fnv(uint64_t h, const volatile uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static inline uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 7 + (i >> 8) * 13) ^ (i >> 16));
}

#endif
