/* The small JSON writer the lab's experiments share for their --json
 * files: a string escaped, a number or null. */
#ifndef WARDEN_LAB_LAB_JSON_H
#define WARDEN_LAB_LAB_JSON_H

#include <stdio.h>

/* S as a JSON string: quotes, backslashes and control characters escaped. */
void lab_json_str(FILE *f, const char *s);
/* V with DIGITS significant digits, or null when it is not finite. */
void lab_json_num(FILE *f, double v, int digits);

#endif
