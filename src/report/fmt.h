/* Text on the report page: escaping of names that come from the input
 * file (never trusted) and the number formats of tables and axes. */
#ifndef WARDEN_REPORT_FMT_H
#define WARDEN_REPORT_FMT_H

#include <stddef.h>
#include <stdio.h>

/* Writes S as HTML/XML text or attribute value: <, >, &, quotes escaped,
 * control characters and invalid UTF-8 replaced. At most MAX_CHARS
 * characters (0: no limit); a cut name ends with an ellipsis. */
void fmt_escape_max(FILE *f, const char *s, size_t max_chars);
void fmt_escape(FILE *f, const char *s);

/* Each returns BUF: a duration in ns/µs/ms/s with 3 significant digits;
 * the same with 2 (axis ticks); a count with thousands separators; a
 * compact count or rate (1.5k, 20M) for axis ticks; a plain number. */
const char *fmt_ns(double ns, char *buf, size_t len);
const char *fmt_ns_tick(double ns, char *buf, size_t len);
const char *fmt_count(double v, char *buf, size_t len);
const char *fmt_si(double v, char *buf, size_t len);
const char *fmt_plain(double v, char *buf, size_t len);
/* A share A/B as "12.3%" ("-" when B is 0). */
const char *fmt_pct(double a, double b, char *buf, size_t len);

#endif
