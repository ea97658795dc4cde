/* The command line a Linux guest gets: warden's machine defaults, then the
 * user's --cmdline words.  A default whose key the user's command line also
 * sets is left out, so the user's value is the only one (and the kernel,
 * which takes the last of most keys, sees no contradiction); every other
 * default stays, so panic=-1 never disappears without the user saying
 * panic=SOMETHING.  Keys: the text before '=' (or the whole word), '-' and
 * '_' the same (as the kernel compares them); a few keys are one group:
 * ro/rw, and quiet/loglevel/debug (each sets the console log level).
 * Words after "--" are init's arguments, never keys.  Multiboot and other
 * non-Linux kernels do not go through this (main.c). */
#ifndef WARDEN_BOOT_CMDLINE_H
#define WARDEN_BOOT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Every Linux guest: warden's machine has no PCI bus (unless --transport
 * pci: then pci=off is left out) and one UART (COM1), and a guest that
 * panics should end the VM, not hang in it. */
#define CMDLINE_MACHINE "console=ttyS0 panic=-1 pci=off 8250.nr_uarts=1"
/* The default guest (build/guest) also boots quietly. */
#define CMDLINE_DEFAULT_GUEST "console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1"

struct cmdline_machine {
	bool default_guest; /* booting build/guest's kernel */
	int root_disk;      /* index of the --disk ...,root (vda = 0), or -1 */
	bool root_ro;       /* that disk is read-only: mount it ro */
	bool pci_bus;       /* virtio devices on PCI: the guest must scan it */
};

/* Warden's defaults for M into OUT (LEN bytes).  -1 (ERR_USAGE) if too long. */
int cmdline_defaults(char *out, size_t len, const struct cmdline_machine *m);

/* DEFAULTS, less the words whose keys USER sets, then USER (NULL: none),
 * into OUT.  -1 (ERR_USAGE, naming --cmdline) if it does not fit. */
int cmdline_compose(char *out, size_t len, const char *defaults, const char *user);

/* Does CMDLINE set KEY (before any "--")?  KEY compared as above. */
bool cmdline_has_key(const char *cmdline, const char *key);

#endif
