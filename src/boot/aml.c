#include "boot/aml.h"

#include <string.h>

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_STRING 0x0d
#define AML_QWORD 0x0e
#define AML_NAME 0x08
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT 0x5b
#define AML_DEVICE 0x82
#define AML_METHOD 0x14
#define AML_IF 0xa0
#define AML_LEQUAL 0x93
#define AML_ARG0 0x68
#define AML_NOTIFY 0x86
#define AML_ROOT '\\'
#define AML_DUAL_NAME 0x2e
#define AML_MULTI_NAME 0x2f

void aml_init(struct aml *a)
{
	a->n = 0;
	a->overflow = false;
}

void aml_bytes(struct aml *a, const void *p, size_t len)
{
	if (a->overflow || len > AML_MAX - a->n) {
		a->overflow = true;
		return;
	}
	memcpy(a->b + a->n, p, len);
	a->n += len;
}

static void byte(struct aml *a, uint8_t v)
{
	aml_bytes(a, &v, 1);
}

/* PkgLength counts its own bytes: 1 byte up to 63, else 2-4 bytes. */
static void pkg_length(struct aml *a, size_t body)
{
	if (body + 1 < 0x40) {
		byte(a, (uint8_t)(body + 1));
	} else if (body + 2 <= 0xfff) {
		size_t l = body + 2;
		byte(a, (uint8_t)(0x40 | (l & 0xf)));
		byte(a, (uint8_t)(l >> 4));
	} else if (body + 3 <= 0xfffff) {
		size_t l = body + 3;
		byte(a, (uint8_t)(0x80 | (l & 0xf)));
		byte(a, (uint8_t)(l >> 4));
		byte(a, (uint8_t)(l >> 12));
	} else {
		size_t l = body + 4;
		byte(a, (uint8_t)(0xc0 | (l & 0xf)));
		byte(a, (uint8_t)(l >> 4));
		byte(a, (uint8_t)(l >> 12));
		byte(a, (uint8_t)(l >> 20));
	}
}

void aml_pkg(struct aml *a, const uint8_t *op, size_t oplen, const struct aml *body)
{
	if (body->overflow) {
		a->overflow = true;
		return;
	}
	aml_bytes(a, op, oplen);
	pkg_length(a, body->n);
	aml_bytes(a, body->b, body->n);
}

/* A NameString: "XXXX", "\\XXXX" or a path "\\XXXX.YYYY[.ZZZZ...]" of
 * 4-character segments (DualNamePrefix for two, MultiNamePrefix and a
 * count for more).  Anything else marks A unusable. */
static void name_seg(struct aml *a, const char *name)
{
	size_t len, nseg;

	if (name[0] == '\\') {
		byte(a, AML_ROOT);
		name++;
	}
	len = strlen(name);
	nseg = (len + 1) / 5;
	if (len < 4 || (len + 1) % 5 || nseg > 255) {
		a->overflow = true; /* only 4-character segments */
		return;
	}
	for (size_t i = 1; i < nseg; i++)
		if (name[5 * i - 1] != '.') {
			a->overflow = true;
			return;
		}
	if (nseg == 2)
		byte(a, AML_DUAL_NAME);
	else if (nseg > 2) {
		byte(a, AML_MULTI_NAME);
		byte(a, (uint8_t)nseg);
	}
	for (size_t i = 0; i < nseg; i++)
		aml_bytes(a, name + 5 * i, 4);
}

static void scoped(struct aml *a, const uint8_t *op, size_t oplen, const char *name,
		   const struct aml *body)
{
	struct aml tmp;

	aml_init(&tmp);
	name_seg(&tmp, name);
	aml_bytes(&tmp, body->b, body->n);
	tmp.overflow |= body->overflow;
	aml_pkg(a, op, oplen, &tmp);
}

void aml_scope(struct aml *a, const char *name, const struct aml *body)
{
	static const uint8_t op[] = { AML_SCOPE };
	scoped(a, op, sizeof(op), name, body);
}

void aml_device(struct aml *a, const char *name, const struct aml *body)
{
	static const uint8_t op[] = { AML_EXT, AML_DEVICE };
	scoped(a, op, sizeof(op), name, body);
}

static void integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		byte(a, AML_ZERO);
	} else if (v == 1) {
		byte(a, AML_ONE);
	} else if (v <= 0xff) {
		byte(a, AML_BYTE);
		byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		byte(a, AML_WORD);
		aml_bytes(a, &(uint16_t){ (uint16_t)v }, 2);
	} else if (v <= 0xffffffff) {
		byte(a, AML_DWORD);
		aml_bytes(a, &(uint32_t){ (uint32_t)v }, 4);
	} else {
		byte(a, AML_QWORD);
		aml_bytes(a, &v, 8);
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	integer(a, v);
}

void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	byte(a, AML_NAME);
	name_seg(a, name);
	integer(a, v);
}

void aml_name_string(struct aml *a, const char *name, const char *s)
{
	byte(a, AML_NAME);
	name_seg(a, name);
	byte(a, AML_STRING);
	aml_bytes(a, s, strlen(s) + 1);
}

uint32_t aml_eisaid(const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return 0;
		v = (v << 5) | (uint32_t)(id[i] - 0x40);
	}
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		uint32_t d = (c >= '0' && c <= '9') ? (uint32_t)(c - '0')
			     : (c >= 'A' && c <= 'F') ? (uint32_t)(c - 'A' + 10) : 16;
		if (d > 15)
			return 0;
		v = (v << 4) | d;
	}
	/* 32 bits big-endian in AML's little-endian DWord: swap. */
	return __builtin_bswap32(v);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	uint32_t v = aml_eisaid(id);

	if (!v) {
		a->overflow = true;
		return;
	}
	byte(a, AML_NAME);
	name_seg(a, name);
	byte(a, AML_DWORD);
	aml_bytes(a, &v, 4);
}

void aml_name_buffer(struct aml *a, const char *name, const uint8_t *data, size_t len)
{
	static const uint8_t op[] = { AML_BUFFER };
	struct aml body;

	aml_init(&body);
	integer(&body, len);
	aml_bytes(&body, data, len);
	byte(a, AML_NAME);
	name_seg(a, name);
	aml_pkg(a, op, sizeof(op), &body);
}

void aml_name_package(struct aml *a, const char *name, const uint8_t *vals, unsigned n)
{
	static const uint8_t op[] = { AML_PACKAGE };
	struct aml body;

	aml_init(&body);
	byte(&body, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		/* Package elements are data objects: always the prefixed form. */
		byte(&body, AML_BYTE);
		byte(&body, vals[i]);
	}
	byte(a, AML_NAME);
	name_seg(a, name);
	aml_pkg(a, op, sizeof(op), &body);
}

void aml_res_io(struct aml *r, uint16_t port, uint8_t len)
{
	/* Small item 0x08 (I/O port), 16-bit decode, fixed range. */
	uint8_t d[8] = { 0x47, 0x01, (uint8_t)port, (uint8_t)(port >> 8),
			 (uint8_t)port, (uint8_t)(port >> 8), 0x01, len };
	aml_bytes(r, d, sizeof(d));
}

void aml_res_irq(struct aml *r, unsigned irq)
{
	/* Small item 0x04 (IRQ), no flags byte: edge-triggered, active high. */
	uint16_t mask = (uint16_t)(1u << (irq & 15));
	uint8_t d[3] = { 0x22, (uint8_t)mask, (uint8_t)(mask >> 8) };
	aml_bytes(r, d, sizeof(d));
}

void aml_res_ext_irq(struct aml *r, unsigned gsi)
{
	/* Large item 0x89, length 6: flags (consumer | edge-triggered, active
	 * high, exclusive), one interrupt number. */
	uint8_t d[9] = { 0x89, 0x06, 0x00, 0x03, 0x01 };
	uint32_t g = gsi;

	memcpy(d + 5, &g, 4);
	aml_bytes(r, d, sizeof(d));
}

void aml_res_mem32(struct aml *r, uint32_t base, uint32_t len)
{
	/* Large item 0x86 (32-bit fixed memory range), read/write. */
	uint8_t d[12] = { 0x86, 0x09, 0x00, 0x01 };
	memcpy(d + 4, &base, 4);
	memcpy(d + 8, &len, 4);
	aml_bytes(r, d, sizeof(d));
}

void aml_res_end(struct aml *r)
{
	uint8_t d[2] = { 0x79, 0x00 }; /* end tag, checksum 0 = not checked */
	aml_bytes(r, d, sizeof(d));
}

void aml_method(struct aml *a, const char *name, unsigned nargs, const struct aml *body)
{
	static const uint8_t op[] = { AML_METHOD };
	struct aml tmp;

	aml_init(&tmp);
	if (nargs > 7)
		tmp.overflow = true;
	name_seg(&tmp, name);
	byte(&tmp, (uint8_t)nargs); /* MethodFlags: not serialized, sync level 0 */
	aml_bytes(&tmp, body->b, body->n);
	tmp.overflow |= body->overflow;
	aml_pkg(a, op, sizeof(op), &tmp);
}

void aml_if(struct aml *a, const struct aml *predicate, const struct aml *body)
{
	static const uint8_t op[] = { AML_IF };
	struct aml tmp;

	aml_init(&tmp);
	aml_bytes(&tmp, predicate->b, predicate->n);
	aml_bytes(&tmp, body->b, body->n);
	tmp.overflow |= predicate->overflow || body->overflow;
	aml_pkg(a, op, sizeof(op), &tmp);
}

void aml_lequal(struct aml *a, const struct aml *x, const struct aml *y)
{
	byte(a, AML_LEQUAL);
	aml_bytes(a, x->b, x->n);
	aml_bytes(a, y->b, y->n);
	a->overflow |= x->overflow || y->overflow;
}

void aml_arg(struct aml *a, unsigned n)
{
	if (n > 6) {
		a->overflow = true; /* Arg0..Arg6 */
		return;
	}
	byte(a, (uint8_t)(AML_ARG0 + n));
}

void aml_notify(struct aml *a, const char *path, uint64_t value)
{
	byte(a, AML_NOTIFY);
	name_seg(a, path);
	integer(a, value);
}
