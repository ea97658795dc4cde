/* Diagnostics on stderr, prefixed "warden: " (stdout is the guest console). */
#ifndef WARDEN_UTIL_LOG_H
#define WARDEN_UTIL_LOG_H

#include <stdbool.h>

extern bool log_verbose;

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
