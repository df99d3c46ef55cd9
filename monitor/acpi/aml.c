// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi/aml.c - the AML byte-code emitter (see aml.h).  Section numbers
 * are the ACPI 6.x specification's.
 */
#include <errno.h>
#include <string.h>

#include "acpi/aml.h"

void aml_init(struct aml *a, void *buf, size_t cap)
{
	a->buf = buf;
	a->cap = cap;
	a->len = 0;
	a->err = buf || !cap ? 0 : -EINVAL;
	a->depth = 0;
}

static void fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		fail(a, -ENOSPC);
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, unsigned int n)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n);
}

/* Inserts n bytes at `at`, moving what follows. */
static void insert(struct aml *a, size_t at, const uint8_t *p, size_t n)
{
	if (a->err)
		return;
	if (at > a->len) {
		fail(a, -EINVAL);
		return;
	}
	if (n > a->cap - a->len) {
		fail(a, -ENOSPC);
		return;
	}
	memmove(a->buf + at + n, a->buf + at, a->len - at);
	memcpy(a->buf + at, p, n);
	a->len += n;
}

/*
 * 20.2.4: the PkgLength counts itself.  One byte holds 0-63 (bits 0-5);
 * longer forms put the number of following bytes (1-3) in bits 6-7 of
 * the lead byte, the low nibble of the length in its bits 0-3 (bits 4-5
 * zero), and the rest, 8 bits a byte, in the following bytes.
 */
unsigned int aml_pkglen_encode(size_t len, uint8_t out[4])
{
	unsigned int n, i;
	size_t total;

	if (len + 1 <= 0x3f) {
		out[0] = (uint8_t)(len + 1);
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = len + n;
		if (total < (1ull << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4)
		return 0;
	out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
	for (i = 1; i < n; i++)
		out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	return n;
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v == ~0ull) {
		/* OnesOp is all ones in a revision 2+ (64-bit) table. */
		aml_byte(a, AML_ONES_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	size_t i;

	if (!s) {
		fail(a, -EINVAL);
		return;
	}
	/* 20.2.3: AsciiCharList is 0x01-0x7F. */
	for (i = 0; s[i]; i++) {
		if ((unsigned char)s[i] > 0x7f) {
			fail(a, -EINVAL);
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, i + 1);
}

static bool lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_char(c) || (c >= '0' && c <= '9');
}

/* 20.2.2: NameString := <RootChar NamePath> | <PrefixPath NamePath>. */
void aml_namestring(struct aml *a, const char *path)
{
	uint8_t segs[255][4];
	unsigned int nseg = 0, i;
	const char *p = path;

	if (!path || !*path) {
		fail(a, -EINVAL);
		return;
	}
	if (*p == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == '^') {
			aml_byte(a, AML_PARENT_PREFIX);
			p++;
		}
	}
	while (*p) {
		unsigned int n = 0;

		if (nseg == 255 || !lead_char(*p)) {
			fail(a, -EINVAL);
			return;
		}
		while (n < 4 && name_char(*p))
			segs[nseg][n++] = (uint8_t)*p++;
		for (i = n; i < 4; i++)
			segs[nseg][i] = '_';
		nseg++;
		if (*p == '.' && p[1])
			p++;
		else if (*p)
			break;
	}
	if (*p) {
		fail(a, -EINVAL);
		return;
	}
	if (nseg == 0) {
		/* "\" or "^" alone: NullName. */
		aml_byte(a, 0x00);
		return;
	}
	if (nseg == 2)
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	else if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nseg);
	}
	aml_bytes(a, segs, 4 * nseg);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * 19.6.35 EISAID: three 5-bit letters ('A' = 1) and a 16-bit product
 * number, big-endian in memory: byte 0 = l1 << 2 | l2 >> 3, byte 1 =
 * l2 << 5 | l3, bytes 2-3 = the product number high byte first.  The
 * Integer is those four bytes read little-endian.
 */
uint32_t aml_eisaid_value(const char *id)
{
	unsigned int l[3], prod = 0, i;

	if (!id || strlen(id) != 7)
		return 0;
	for (i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return 0;
		l[i] = (unsigned int)(id[i] - 'A' + 1);
	}
	for (i = 3; i < 7; i++) {
		int h = hexval(id[i]);

		if (h < 0)
			return 0;
		prod = prod << 4 | (unsigned int)h;
	}
	return (uint32_t)((l[0] << 2 | l[1] >> 3) |
			  ((l[1] << 5 | l[2]) & 0xff) << 8 |
			  (prod >> 8) << 16 | (prod & 0xff) << 24);
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = aml_eisaid_value(id);

	if (!v) {
		fail(a, -EINVAL);
		return;
	}
	/* Always a DWord, as ASL compilers emit it. */
	aml_byte(a, AML_DWORD_PREFIX);
	le(a, v, 4);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, name);
}

void aml_name_integer(struct aml *a, const char *name, uint64_t v)
{
	aml_name(a, name);
	aml_integer(a, v);
}

void aml_name_string(struct aml *a, const char *name, const char *s)
{
	aml_name(a, name);
	aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_name(a, name);
	aml_eisaid(a, id);
}

static size_t open_pkg(struct aml *a)
{
	if (a->err)
		return 0;
	a->depth++;
	return a->len;
}

void aml_end(struct aml *a, size_t mark)
{
	uint8_t pl[4];
	unsigned int n;

	if (a->err)
		return;
	if (!a->depth || mark > a->len) {
		fail(a, -EINVAL);
		return;
	}
	n = aml_pkglen_encode(a->len - mark, pl);
	if (!n) {
		fail(a, -ENOSPC);
		return;
	}
	insert(a, mark, pl, n);
	a->depth--;
}

size_t aml_scope_begin(struct aml *a, const char *name)
{
	size_t m;

	aml_byte(a, AML_SCOPE_OP);
	m = open_pkg(a);
	aml_namestring(a, name);
	return m;
}

size_t aml_device_begin(struct aml *a, const char *name)
{
	size_t m;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	m = open_pkg(a);
	aml_namestring(a, name);
	return m;
}

/* 20.2.5.2: MethodFlags bits 0-2 ArgCount, bit 3 SerializeFlag. */
size_t aml_method_begin(struct aml *a, const char *name, unsigned int nargs,
			bool serialized)
{
	size_t m;

	if (nargs > 7) {
		fail(a, -EINVAL);
		return 0;
	}
	aml_byte(a, AML_METHOD_OP);
	m = open_pkg(a);
	aml_namestring(a, name);
	aml_byte(a, (uint8_t)(nargs | (serialized ? 0x08 : 0)));
	return m;
}

size_t aml_package_begin(struct aml *a, unsigned int nelems)
{
	size_t m;

	if (nelems > 255) {
		fail(a, -EINVAL);
		return 0;
	}
	aml_byte(a, AML_PACKAGE_OP);
	m = open_pkg(a);
	aml_byte(a, (uint8_t)nelems);
	return m;
}

void aml_return(struct aml *a)
{
	aml_byte(a, AML_RETURN_OP);
}

size_t aml_buffer_begin(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	return open_pkg(a);
}

/* DefBuffer := BufferOp PkgLength BufferSize ByteList. */
void aml_buffer_end(struct aml *a, size_t mark)
{
	uint8_t hdr[4 + 9], isz[9];
	struct aml tmp;
	unsigned int n;

	if (a->err)
		return;
	if (!a->depth || mark > a->len) {
		fail(a, -EINVAL);
		return;
	}
	aml_init(&tmp, isz, sizeof(isz));
	aml_integer(&tmp, a->len - mark);
	n = aml_pkglen_encode(tmp.len + (a->len - mark), hdr);
	if (!n) {
		fail(a, -ENOSPC);
		return;
	}
	memcpy(hdr + n, isz, tmp.len);
	insert(a, mark, hdr, n + tmp.len);
	a->depth--;
}

size_t aml_restemplate_begin(struct aml *a)
{
	return aml_buffer_begin(a);
}

void aml_restemplate_end(struct aml *a, size_t mark)
{
	/* 6.4.2.9 End Tag: small item 0x0f, length 1, checksum 0. */
	aml_byte(a, 0x79);
	aml_byte(a, 0x00);
	aml_buffer_end(a, mark);
}

/* 6.4.2.5 I/O Port Descriptor: bit 0 of the information byte = Decode16. */
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
		uint8_t len)
{
	if (min > max) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, 0x47);
	aml_byte(a, 0x01);
	le(a, min, 2);
	le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

/* 6.4.2.1 IRQ Descriptor, 2-byte form (high true, edge, exclusive). */
void aml_res_irq_noflags(struct aml *a, unsigned int irq)
{
	if (irq > 15) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, 0x22);
	le(a, 1u << irq, 2);
}

/* 6.4.3.4 32-Bit Fixed Memory Range Descriptor. */
void aml_res_mem32_fixed(struct aml *a, bool rw, uint32_t base, uint32_t len)
{
	aml_byte(a, 0x86);
	le(a, 9, 2);
	aml_byte(a, rw ? 1 : 0);
	le(a, base, 4);
	le(a, len, 4);
}

/*
 * 6.4.3.5.1-3 Address Space Descriptors: tag, length (2 bytes), resource
 * type (0 memory, 1 I/O, 2 bus number), general flags, type-specific
 * flags, then granularity, min, max, translation offset and length, each
 * `w` bytes wide.
 */
static void res_addr(struct aml *a, uint8_t tag, unsigned int w,
		     uint8_t type, uint8_t flags, uint8_t tflags,
		     uint64_t min, uint64_t max)
{
	if (min > max || (flags & ~0x0fu)) {
		fail(a, -EINVAL);
		return;
	}
	aml_byte(a, tag);
	le(a, 3 + 5 * w, 2);
	aml_byte(a, type);
	aml_byte(a, flags);
	aml_byte(a, tflags);
	le(a, 0, w);			/* _GRA */
	le(a, min, w);			/* _MIN */
	le(a, max, w);			/* _MAX */
	le(a, 0, w);			/* _TRA */
	le(a, max - min + 1, w);	/* _LEN */
}

void aml_res_word_bus(struct aml *a, uint8_t flags, uint16_t min, uint16_t max)
{
	res_addr(a, 0x88, 2, 2, flags, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint8_t flags, uint16_t min, uint16_t max)
{
	res_addr(a, 0x88, 2, 1, flags, AML_IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_mem(struct aml *a, uint8_t flags, uint8_t memflags,
		       uint32_t min, uint32_t max)
{
	res_addr(a, 0x87, 4, 0, flags, memflags, min, max);
}

void aml_res_qword_mem(struct aml *a, uint8_t flags, uint8_t memflags,
		       uint64_t min, uint64_t max)
{
	if (min == 0 && max == ~0ull) {
		/* _LEN would be 2^64. */
		fail(a, -EINVAL);
		return;
	}
	res_addr(a, 0x8a, 8, 0, flags, memflags, min, max);
}
