#ifndef WARDEN_UTIL_FILE_H
#define WARDEN_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Read all of PATH into a malloc'd buffer; WHAT names it in errors
 * ("kernel", "initrd").  Errors are user errors. */
int file_read_all(const char *path, const char *what, uint8_t **buf, size_t *len);
/* Write all N bytes of P to FD at OFF (short writes and EINTR retried);
 * -1 with errno set (nothing recorded: the caller names the file). */
int file_pwrite_all(int fd, const void *p, size_t n, uint64_t off);

#endif
