/* The built-in guest of `warden bench exits` (guest/lab/exits.c), an ELF
 * image linked into warden at build time (src/lab/guest_blob.S). */
#ifndef WARDEN_LAB_GUEST_BLOB_H
#define WARDEN_LAB_GUEST_BLOB_H

#include <stddef.h>
#include <stdint.h>

extern const uint8_t lab_exits_guest[];
extern const uint8_t lab_exits_guest_end[];

static inline size_t lab_exits_guest_size(void)
{
	return (size_t)(lab_exits_guest_end - lab_exits_guest);
}

#endif
