/* CRC-32 (IEEE 802.3, the one zlib and `python3 -c 'zlib.crc32(...)'`
 * compute), for checksums of files warden writes and reads back. */
#ifndef WARDEN_UTIL_CRC32_H
#define WARDEN_UTIL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue CRC (0 to start) over LEN bytes of BUF. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
