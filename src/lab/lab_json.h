/* The small JSON writer the lab's experiments share for their --json
 * files: the head every one starts with, a string escaped, a number or
 * null. */
#ifndef WARDEN_LAB_LAB_JSON_H
#define WARDEN_LAB_LAB_JSON_H

#include <stdio.h>

/* S as a JSON string: quotes, backslashes and control characters escaped. */
void lab_json_str(FILE *f, const char *s);
/* V with DIGITS significant digits, or null when it is not finite. */
void lab_json_num(FILE *f, double v, int digits);
/* Open PATH for EXPERIMENT's --json and write the head every lab's JSON
 * starts with: "experiment", "date" (UTC, now) and the start of "tier"
 * with its name, the KVM module and the host kernel.  The caller goes on
 * inside "tier" (", \"key\": ...}") and closes the file.  NULL with
 * fail(ERR_USAGE) when PATH cannot be written. */
FILE *lab_json_open(const char *path, const char *experiment, const char *tier, const char *kvm,
		    const char *kernel);

#endif
