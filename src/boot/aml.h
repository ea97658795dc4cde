/* A tiny ACPI Machine Language writer: just what warden's DSDT needs
 * (scopes, devices, names with integer/string/EISA-id/buffer values,
 * packages, IO/IRQ/memory resource templates, and the few control-method
 * terms the power button needs). Lengths are encoded on
 * close, so callers never count bytes. */
#ifndef WARDEN_BOOT_AML_H
#define WARDEN_BOOT_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX 8192

struct aml {
	uint8_t b[AML_MAX];
	size_t n;
	bool overflow; /* something did not fit: the result is unusable */
};

void aml_init(struct aml *a);
void aml_bytes(struct aml *a, const void *p, size_t len);
/* Append OP (1 or 2 bytes), a PkgLength for BODY, then BODY. */
void aml_pkg(struct aml *a, const uint8_t *op, size_t oplen, const struct aml *body);

/* Scope(NAME) { BODY } and Device(NAME) { BODY }; NAME is 4 chars or "\\XXXX". */
void aml_scope(struct aml *a, const char *name, const struct aml *body);
void aml_device(struct aml *a, const char *name, const struct aml *body);
/* Name(NAME, value) */
void aml_name_int(struct aml *a, const char *name, uint64_t v);
void aml_name_string(struct aml *a, const char *name, const char *s);
void aml_name_eisaid(struct aml *a, const char *name, const char *id);
void aml_name_buffer(struct aml *a, const char *name, const uint8_t *data, size_t len);
/* Name(NAME, Package() { small integers }) */
void aml_name_package(struct aml *a, const char *name, const uint8_t *vals, unsigned n);

/* Resource template items, appended to a plain byte buffer. */
void aml_res_io(struct aml *r, uint16_t port, uint8_t len);
void aml_res_irq(struct aml *r, unsigned irq); /* edge, active high */
/* Extended interrupt descriptor: a GSI of any number, edge, active high. */
void aml_res_ext_irq(struct aml *r, unsigned gsi);
void aml_res_mem32(struct aml *r, uint32_t base, uint32_t len);
void aml_res_end(struct aml *r);

/* Control methods, just what the power button's _EVT needs.  Terms are
 * built in their own struct aml and passed in, so lengths are counted on
 * close as for scopes.  PATH is a name or "\\XXXX.YYYY" path. */
/* Method(NAME, NARGS, NotSerialized) { BODY } */
void aml_method(struct aml *a, const char *name, unsigned nargs, const struct aml *body);
/* If (PREDICATE) { BODY } */
void aml_if(struct aml *a, const struct aml *predicate, const struct aml *body);
/* LEqual(X, Y) */
void aml_lequal(struct aml *a, const struct aml *x, const struct aml *y);
/* ArgN, N from 0 to 6 */
void aml_arg(struct aml *a, unsigned n);
/* An integer constant in its shortest encoding (Zero, One, Byte...) */
void aml_integer(struct aml *a, uint64_t v);
/* Notify(PATH, VALUE) */
void aml_notify(struct aml *a, const char *path, uint64_t value);

/* Compressed EISA id ("PNP0501") as AML stores it; 0 if malformed. */
uint32_t aml_eisaid(const char *id);

#endif
