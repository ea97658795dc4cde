#include "report/fmt.h"

#include <math.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at S, or 0 if it is not one
 * (overlong forms, surrogates and values above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0], cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

static void escape_char(FILE *f, const unsigned char *s, size_t n)
{
	switch (s[0]) {
	case '<': fputs("&lt;", f); return;
	case '>': fputs("&gt;", f); return;
	case '&': fputs("&amp;", f); return;
	case '"': fputs("&quot;", f); return;
	case '\'': fputs("&#39;", f); return;
	default: break;
	}
	if (s[0] < 0x20 || s[0] == 0x7f)
		fputc('?', f); /* control characters are not text */
	else
		fwrite(s, 1, n, f);
}

void fmt_escape_max(FILE *f, const char *str, size_t max_chars)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t chars = 0;

	while (*s) {
		size_t n = utf8_len(s);

		if (max_chars && chars == max_chars - 1 && s[n ? n : 1]) {
			fputs("\xe2\x80\xa6", f); /* the name goes on: ellipsis */
			return;
		}
		if (n == 0) {
			fputs("\xef\xbf\xbd", f); /* U+FFFD for a byte that is not UTF-8 */
			s++;
		} else {
			escape_char(f, s, n);
			s += n;
		}
		chars++;
	}
}

void fmt_escape(FILE *f, const char *s)
{
	fmt_escape_max(f, s, 0);
}

/* V with DIGITS significant digits, but never in exponent form. */
static void sig(double v, int digits, const char *unit, char *buf, size_t len)
{
	int dec = 0;

	if (fabs(v) >= 1e6) { /* absurd input: keep it short */
		snprintf(buf, len, "%.3g%s%s", v, unit[0] ? " " : "", unit);
		return;
	}
	if (v != 0 && fabs(v) < 1000) {
		dec = digits - 1 - (int)floor(log10(fabs(v)));
		if (dec < 0)
			dec = 0;
	}
	snprintf(buf, len, "%.*f%s%s", dec, v, unit[0] ? " " : "", unit);
}

static const char *ns_digits(double ns, int digits, char *buf, size_t len)
{
	static const struct { double div; const char *unit; } u[] = {
		{ 1e9, "s" }, { 1e6, "ms" }, { 1e3, "\xc2\xb5s" }, { 1, "ns" },
	};

	if (!isfinite(ns) || ns < 0)
		ns = 0;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (ns >= u[i].div * 0.9995 || u[i].div == 1) {
			/* below 1 ns only whole nanoseconds make sense */
			sig(u[i].div == 1 ? round(ns) : ns / u[i].div, digits, u[i].unit, buf, len);
			return buf;
		}
	}
	return buf;
}

const char *fmt_ns(double ns, char *buf, size_t len)
{
	return ns_digits(ns, 3, buf, len);
}

const char *fmt_ns_tick(double ns, char *buf, size_t len)
{
	return ns_digits(ns, 2, buf, len);
}

const char *fmt_count(double v, char *buf, size_t len)
{
	char digits[32];
	size_t n, o = 0;

	if (!isfinite(v) || v < 0)
		v = 0;
	if (v >= 1e18) {
		snprintf(buf, len, "%.3g", v);
		return buf;
	}
	snprintf(digits, sizeof(digits), "%.0f", v);
	n = strlen(digits);
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

const char *fmt_si(double v, char *buf, size_t len)
{
	static const struct { double div; const char *unit; } u[] = {
		{ 1e12, "T" }, { 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" },
	};

	if (!isfinite(v))
		v = 0;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (fabs(v) >= u[i].div) {
			snprintf(buf, len, "%g%s", v / u[i].div, u[i].unit);
			return buf;
		}
	}
	snprintf(buf, len, "%g", v);
	return buf;
}

const char *fmt_plain(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%g", isfinite(v) ? v : 0);
	return buf;
}

const char *fmt_pct(double a, double b, char *buf, size_t len)
{
	if (!(b > 0) || !isfinite(a))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", 100.0 * a / b);
	return buf;
}
