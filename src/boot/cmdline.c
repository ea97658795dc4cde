#include "boot/cmdline.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

#define KEY_MAX 64

/* Keys that set the same thing: a user's word of a group replaces
 * warden's word of that group. */
static const char *const key_groups[][3] = {
	{ "ro", "rw", NULL },
	{ "quiet", "loglevel", "debug" },
};

/* The next word of S (the kernel's rule: spaces end a word outside double
 * quotes) as [*start, return value), or NULL at the end. */
static const char *next_word(const char *s, const char **start)
{
	bool quoted = false;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	*start = s;
	for (; *s && (quoted || !isspace((unsigned char)*s)); s++)
		if (*s == '"')
			quoted = !quoted;
	return s;
}

/* The key of the word [w, end): quotes dropped, up to '=', '-' as '_'. */
static void word_key(const char *w, const char *end, char key[KEY_MAX])
{
	size_t n = 0;

	for (; w < end && *w != '='; w++) {
		if (*w == '"')
			continue;
		if (n + 1 < KEY_MAX)
			key[n++] = *w == '-' ? '_' : *w;
	}
	key[n] = 0;
}

/* KEY's group leader (the first key of its group), or KEY itself. */
static const char *key_group(const char *key)
{
	for (size_t g = 0; g < sizeof(key_groups) / sizeof(key_groups[0]); g++)
		for (size_t i = 0; i < 3 && key_groups[g][i]; i++)
			if (strcmp(key, key_groups[g][i]) == 0)
				return key_groups[g][0];
	return key;
}

static bool same_key(const char *a, const char *b)
{
	return strcmp(key_group(a), key_group(b)) == 0;
}

bool cmdline_has_key(const char *cmdline, const char *key)
{
	const char *w, *end;
	char k[KEY_MAX], want[KEY_MAX];

	if (!cmdline)
		return false;
	word_key(key, key + strlen(key), want);
	while ((end = next_word(cmdline, &w))) {
		if (end - w == 2 && strncmp(w, "--", 2) == 0)
			break; /* the rest is init's */
		word_key(w, end, k);
		if (same_key(k, want))
			return true;
		cmdline = end;
	}
	return false;
}

/* Append the word [w, end) to OUT (N bytes used of LEN), space-separated. */
static int append_word(char *out, size_t len, size_t *n, const char *w, size_t wlen)
{
	if (*n + (*n ? 1 : 0) + wlen + 1 > len)
		return fail(ERR_USAGE, "--cmdline: the command line is longer than %zu bytes", len - 1);
	if (*n)
		out[(*n)++] = ' ';
	memcpy(out + *n, w, wlen);
	*n += wlen;
	out[*n] = 0;
	return 0;
}

int cmdline_compose(char *out, size_t len, const char *defaults, const char *user)
{
	const char *w, *end, *s = defaults;
	char key[KEY_MAX];
	size_t n = 0;

	if (len == 0)
		return fail(ERR_USAGE, "--cmdline: no room for a command line");
	out[0] = 0;
	while (s && (end = next_word(s, &w))) {
		word_key(w, end, key);
		if (!cmdline_has_key(user, key) && append_word(out, len, &n, w, (size_t)(end - w)) < 0)
			return -1;
		s = end;
	}
	s = user;
	while (s && (end = next_word(s, &w))) {
		if (append_word(out, len, &n, w, (size_t)(end - w)) < 0)
			return -1;
		s = end;
	}
	return 0;
}

int cmdline_defaults(char *out, size_t len, const struct cmdline_machine *m)
{
	/* CMDLINE_DEFAULT_GUEST or CMDLINE_MACHINE, word for word, less
	 * pci=off on a machine with a PCI bus. */
	int r = snprintf(out, len, "console=ttyS0%s panic=-1%s 8250.nr_uarts=1", m->default_guest ? " quiet" : "",
			 m->pci_bus ? "" : " pci=off");

	if (r >= 0 && (size_t)r < len && m->root_disk >= 0)
		r += snprintf(out + r, len - (size_t)r, " root=/dev/vd%c%s", 'a' + m->root_disk,
			      m->root_ro ? " ro" : "");
	if (r < 0 || (size_t)r >= len)
		return fail(ERR_USAGE, "warden's default command line does not fit in %zu bytes", len);
	return 0;
}
