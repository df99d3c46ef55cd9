// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * aml-test.c - the AML emitter (monitor/acpi/aml.c): PkgLength in its
 * 1-4 byte forms, integers with each prefix, strings, NameStrings,
 * EISAID, Name/Scope/Device/Method/Package/Buffer nesting, resource
 * descriptors byte for byte, and the sticky errors.  Expected bytes are
 * from the ACPI 6.x spec (chapter 20, section 6.4) and what iasl emits.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "acpi/aml.h"

static uint8_t buf[1 << 20];
static struct aml a;

static void reset(void)
{
	memset(buf, 0xcc, sizeof(buf));
	aml_init(&a, buf, sizeof(buf));
}

static int same(const void *want, size_t n)
{
	if (a.err || a.len != n || memcmp(buf, want, n)) {
		size_t i;

		tap_diag("  err %d len %zu (want %zu):", a.err, a.len, n);
		for (i = 0; i < a.len && i < 48; i++)
			tap_diag("  [%zu] %02x%s", i, buf[i],
				 i < n && buf[i] != ((const uint8_t *)want)[i] ? " <-" : "");
		return 0;
	}
	return 1;
}

#define SAME(...) ({ static const uint8_t w_[] = { __VA_ARGS__ }; same(w_, sizeof(w_)); })

static void test_pkglen(void)
{
	static const struct { size_t len; unsigned int n; uint8_t b[4]; } c[] = {
		{ 0, 1, { 0x01 } },
		{ 62, 1, { 0x3f } },			/* largest 1-byte */
		{ 63, 2, { 0x41, 0x04 } },		/* 65 = 0x41 */
		{ 0xffd, 2, { 0x4f, 0xff } },		/* 0xfff */
		{ 0xffe, 3, { 0x81, 0x00, 0x01 } },	/* 0x1001 */
		{ 0xffffc, 3, { 0x8f, 0xff, 0xff } },	/* 0xfffff */
		{ 0xffffd, 4, { 0xc1, 0x00, 0x00, 0x01 } },	/* 0x100001 */
		{ 0xffffffb, 4, { 0xcf, 0xff, 0xff, 0xff } },	/* 0xfffffff */
	};
	uint8_t out[4];
	unsigned int i, n;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(out, 0, sizeof(out));
		n = aml_pkglen_encode(c[i].len, out);
		tap_ok(n == c[i].n && !memcmp(out, c[i].b, n),
		       "PkgLength for %zu content bytes: %u-byte form", c[i].len, c[i].n);
	}
	tap_ok(aml_pkglen_encode(0xffffffc, out) == 0, "PkgLength past 2^28 refused");
}

static void test_integers(void)
{
	reset(); aml_integer(&a, 0); tap_ok(SAME(0x00), "Integer 0 = ZeroOp");
	reset(); aml_integer(&a, 1); tap_ok(SAME(0x01), "Integer 1 = OneOp");
	reset(); aml_integer(&a, ~0ull); tap_ok(SAME(0xff), "Integer ~0 = OnesOp");
	reset(); aml_integer(&a, 2); tap_ok(SAME(0x0a, 0x02), "Integer 2 = BytePrefix");
	reset(); aml_integer(&a, 0xff); tap_ok(SAME(0x0a, 0xff), "Integer 0xff = BytePrefix");
	reset(); aml_integer(&a, 0x100); tap_ok(SAME(0x0b, 0x00, 0x01), "Integer 0x100 = WordPrefix");
	reset(); aml_integer(&a, 0x12345);
	tap_ok(SAME(0x0c, 0x45, 0x23, 0x01, 0x00), "Integer 0x12345 = DWordPrefix");
	reset(); aml_integer(&a, 0x123456789ull);
	tap_ok(SAME(0x0e, 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0), "Integer 2^32+ = QWordPrefix");
}

static void test_strings_names(void)
{
	reset(); aml_string(&a, "Hi");
	tap_ok(SAME(0x0d, 'H', 'i', 0), "String \"Hi\"");
	reset(); aml_string(&a, "\xc3");
	tap_ok(a.err == -EINVAL, "String with a non-ASCII byte: -EINVAL");

	reset(); aml_namestring(&a, "_S5");
	tap_ok(SAME('_', 'S', '5', '_'), "NameSeg padded with _");
	reset(); aml_namestring(&a, "\\_SB");
	tap_ok(SAME(0x5c, '_', 'S', 'B', '_'), "\\_SB: RootChar NameSeg");
	reset(); aml_namestring(&a, "\\_SB.PCI0");
	tap_ok(SAME(0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'),
	       "\\_SB.PCI0: DualNamePrefix");
	reset(); aml_namestring(&a, "\\_SB.PCI0.S08");
	tap_ok(SAME(0x5c, 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'S', '0', '8', '_'),
	       "three segments: MultiNamePrefix");
	reset(); aml_namestring(&a, "^^FOO");
	tap_ok(SAME(0x5e, 0x5e, 'F', 'O', 'O', '_'), "^^FOO: ParentPrefix twice");
	reset(); aml_namestring(&a, "\\");
	tap_ok(SAME(0x5c, 0x00), "\\ alone: RootChar NullName");
	{
		static const char *bad[] = { "", "TOOLONG", "1ABC", "ab", "A..B", "A.",
					     ".A", "\\^A", "A B" };
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			reset();
			aml_namestring(&a, bad[i]);
			tap_ok(a.err == -EINVAL, "bad name \"%s\": -EINVAL", bad[i]);
		}
	}
}

static void test_eisaid(void)
{
	tap_ok(aml_eisaid_value("PNP0A03") == 0x030ad041, "EISAID PNP0A03 = 0x030AD041");
	tap_ok(aml_eisaid_value("PNP0A08") == 0x080ad041, "EISAID PNP0A08 = 0x080AD041");
	tap_ok(aml_eisaid_value("PNP0C02") == 0x020cd041, "EISAID PNP0C02 = 0x020CD041");
	tap_ok(aml_eisaid_value("PNP0501") == 0x0105d041, "EISAID PNP0501 = 0x0105D041");
	tap_ok(aml_eisaid_value("pnp0a03") == 0 && aml_eisaid_value("PNP0A0") == 0 &&
	       aml_eisaid_value("PNP0A0G") == 0 && aml_eisaid_value(NULL) == 0,
	       "malformed EISA IDs give 0");
	reset(); aml_eisaid(&a, "PNP0A03");
	tap_ok(SAME(0x0c, 0x41, 0xd0, 0x0a, 0x03), "EISAID as a DWord Integer");
	reset(); aml_eisaid(&a, "XYZ");
	tap_ok(a.err == -EINVAL, "aml_eisaid on a bad ID: -EINVAL");
}

static void test_objects(void)
{
	size_t s, d, m, p;

	reset(); aml_name_integer(&a, "_UID", 0);
	tap_ok(SAME(0x08, '_', 'U', 'I', 'D', 0x00), "Name (_UID, 0)");

	reset();
	p = aml_package_begin(&a, 4);
	aml_integer(&a, 5); aml_integer(&a, 5); aml_integer(&a, 0); aml_integer(&a, 0);
	aml_end(&a, p);
	tap_ok(SAME(0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00),
	       "Package (4) { 5, 5, 0, 0 }");

	reset();
	s = aml_scope_begin(&a, "\\_SB");
	d = aml_device_begin(&a, "PCI0");
	aml_name_integer(&a, "_UID", 0);
	aml_end(&a, d);
	aml_end(&a, s);
	tap_ok(SAME(0x10, 0x13, 0x5c, '_', 'S', 'B', '_',
		    0x5b, 0x82, 0x0b, 'P', 'C', 'I', '0',
		    0x08, '_', 'U', 'I', 'D', 0x00),
	       "Scope (\\_SB) { Device (PCI0) { Name (_UID, 0) } }");

	reset();
	m = aml_method_begin(&a, "_STA", 0, false);
	aml_return(&a);
	aml_integer(&a, 0x0f);
	aml_end(&a, m);
	tap_ok(SAME(0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f),
	       "Method (_STA, 0, NotSerialized) { Return (0x0F) }");
	reset();
	m = aml_method_begin(&a, "FOO", 2, true);
	aml_end(&a, m);
	tap_ok(SAME(0x14, 0x06, 'F', 'O', 'O', '_', 0x0a), "Method (FOO, 2, Serialized)");

	reset();
	m = aml_buffer_begin(&a);
	aml_byte(&a, 0xaa); aml_byte(&a, 0xbb);
	aml_buffer_end(&a, m);
	tap_ok(SAME(0x11, 0x05, 0x0a, 0x02, 0xaa, 0xbb), "Buffer () { 0xAA, 0xBB }");

	/* A 2-byte PkgLength: a Package of 40 Word integers (120 bytes). */
	{
		unsigned int i;

		reset();
		p = aml_package_begin(&a, 40);
		for (i = 0; i < 40; i++)
			aml_integer(&a, 0x1234);
		aml_end(&a, p);
		/* content = 1 (NumElements) + 120 = 121; +2 = 123 = 0x7b */
		tap_ok(!a.err && a.len == 1 + 2 + 121 && buf[0] == 0x12 &&
		       buf[1] == 0x4b && buf[2] == 0x07 && buf[3] == 40 &&
		       buf[4] == 0x0b && buf[5] == 0x34 && buf[6] == 0x12,
		       "Package of 121 bytes: 2-byte PkgLength 0x4b 0x07, contents moved");
	}
	/* A 3-byte PkgLength: a Buffer of 5000 bytes. */
	{
		uint8_t big[5000];

		memset(big, 0x5a, sizeof(big));
		reset();
		m = aml_buffer_begin(&a);
		aml_bytes(&a, big, sizeof(big));
		aml_buffer_end(&a, m);
		/* BufferSize = 0x0b 0x88 0x13 (3 bytes); PkgLength counts 3 + 3 + 5000 = 5006 = 0x138e */
		tap_ok(!a.err && a.len == 1 + 3 + 3 + 5000 && buf[1] == 0x8e &&
		       buf[2] == 0x38 && buf[3] == 0x01 && buf[4] == 0x0b &&
		       buf[5] == 0x88 && buf[6] == 0x13 && buf[7] == 0x5a &&
		       buf[a.len - 1] == 0x5a,
		       "Buffer of 5000 bytes: 3-byte PkgLength and WordPrefix size");
	}
	/* A 4-byte PkgLength: a Buffer of 1 MiB - 64 bytes. */
	{
		static uint8_t big[(1 << 20) - 64];
		size_t n = sizeof(big);

		memset(big, 0x77, n);
		reset();
		m = aml_buffer_begin(&a);
		aml_bytes(&a, big, n);
		aml_buffer_end(&a, m);
		/* size n = 0xfffc0: DWord 5 bytes; total = 4 + 5 + n = 0xfffc9 < 0x100000 -> 3 bytes */
		tap_ok(!a.err && buf[1] >> 6 == 2, "Buffer just under 1 MiB: 3-byte PkgLength");
	}
	/* A 4-byte PkgLength: a Buffer of 1 MiB. */
	{
		static uint8_t big[1 << 20], huge[(1 << 20) + 64];

		memset(big, 0x77, sizeof(big));
		aml_init(&a, huge, sizeof(huge));
		m = aml_buffer_begin(&a);
		aml_bytes(&a, big, sizeof(big));
		aml_buffer_end(&a, m);
		/* 4 + 5 (DWord size) + 0x100000 = 0x100009 */
		tap_ok(!a.err && a.len == 1 + 4 + 5 + sizeof(big) &&
		       huge[1] == 0xc9 && huge[2] == 0x00 && huge[3] == 0x00 &&
		       huge[4] == 0x01 && huge[5] == 0x0c,
		       "Buffer of 1 MiB: 4-byte PkgLength");
	}
}

static void test_resources(void)
{
	size_t m;

	reset(); aml_res_io(&a, 0xcf8, 0xcf8, 1, 8);
	tap_ok(SAME(0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08), "IO (Decode16, 0xCF8, 0xCF8, 1, 8)");
	reset(); aml_res_irq_noflags(&a, 4);
	tap_ok(SAME(0x22, 0x10, 0x00), "IRQNoFlags () {4}");
	reset(); aml_res_mem32_fixed(&a, true, 0xe0000000, 0x100000);
	tap_ok(SAME(0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xe0, 0x00, 0x00, 0x10, 0x00),
	       "Memory32Fixed (ReadWrite, 0xE0000000, 0x100000)");
	reset(); aml_res_word_bus(&a, AML_RES_MIN_FIXED | AML_RES_MAX_FIXED, 0, 0);
	tap_ok(SAME(0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0),
	       "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0, 0, 1)");
	reset(); aml_res_word_io(&a, AML_RES_MIN_FIXED | AML_RES_MAX_FIXED, 0xd00, 0xffff);
	tap_ok(SAME(0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0x00, 0x0d, 0xff, 0xff, 0, 0, 0x00, 0xf3),
	       "WordIO (..., EntireRange, 0, 0xD00, 0xFFFF, 0, 0xF300)");
	reset(); aml_res_dword_mem(&a, AML_RES_MIN_FIXED | AML_RES_MAX_FIXED,
				   AML_MEM_READ_WRITE, 0xc0000000, 0xdfffffff);
	tap_ok(SAME(0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
		    0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff, 0xdf, 0, 0, 0, 0,
		    0x00, 0x00, 0x00, 0x20),
	       "DWordMemory (..., NonCacheable, ReadWrite, 0, 0xC0000000, 0xDFFFFFFF, 0, 0x20000000)");
	reset(); aml_res_qword_mem(&a, AML_RES_MIN_FIXED | AML_RES_MAX_FIXED,
				   AML_MEM_PREFETCHABLE | AML_MEM_READ_WRITE,
				   0x100000000ull, 0x1ffffffffull);
	tap_ok(!a.err && a.len == 46 && buf[0] == 0x8a && buf[1] == 0x2b && buf[2] == 0 &&
	       buf[5] == 0x07 && buf[18] == 1 && buf[22] == 0xff && buf[26] == 1 &&
	       buf[38] == 0 && buf[42] == 1,
	       "QWordMemory (prefetchable, 0x100000000-0x1FFFFFFFF): 46 bytes");

	reset();
	m = aml_restemplate_begin(&a);
	aml_res_irq_noflags(&a, 4);
	aml_restemplate_end(&a, m);
	tap_ok(SAME(0x11, 0x08, 0x0a, 0x05, 0x22, 0x10, 0x00, 0x79, 0x00),
	       "ResourceTemplate () { IRQNoFlags () {4} } with End Tag");

	reset(); aml_res_io(&a, 2, 1, 1, 1);
	tap_ok(a.err == -EINVAL, "IO with min > max: -EINVAL");
	reset(); aml_res_irq_noflags(&a, 16);
	tap_ok(a.err == -EINVAL, "IRQ 16 in a small IRQ descriptor: -EINVAL");
	reset(); aml_res_dword_mem(&a, 0x10, 0, 0, 1);
	tap_ok(a.err == -EINVAL, "unknown general flag bit: -EINVAL");
}

static void test_errors(void)
{
	uint8_t small[4];
	size_t m;

	aml_init(&a, small, sizeof(small));
	aml_string(&a, "ABCDEF");
	tap_ok(a.err == -ENOSPC && a.len <= sizeof(small), "full buffer: -ENOSPC");
	{
		size_t len = a.len;

		aml_integer(&a, 0);
		tap_ok(a.err == -ENOSPC && a.len == len, "errors are sticky");
	}

	aml_init(&a, small, sizeof(small));
	m = aml_package_begin(&a, 1);
	aml_integer(&a, 7);
	aml_end(&a, m);
	tap_ok(a.err == -ENOSPC, "no room to insert the PkgLength: -ENOSPC");

	reset();
	aml_end(&a, 0);
	tap_ok(a.err == -EINVAL, "aml_end with nothing open: -EINVAL");
	reset();
	aml_package_begin(&a, 256);
	tap_ok(a.err == -EINVAL, "Package of 256 elements: -EINVAL");
	reset();
	aml_method_begin(&a, "FOO", 8, false);
	tap_ok(a.err == -EINVAL, "Method with 8 arguments: -EINVAL");
	aml_init(&a, NULL, 16);
	tap_ok(a.err == -EINVAL, "NULL buffer: -EINVAL");
}

int main(void)
{
	test_pkglen();
	test_integers();
	test_strings_names();
	test_eisaid();
	test_objects();
	test_resources();
	test_errors();
	return tap_done();
}
