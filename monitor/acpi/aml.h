/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acpi/aml.h - a tiny emitter of ACPI Machine Language (AML) byte code,
 * just what the monitor's DSDT needs.  References are to the ACPI 6.x
 * specification: chapter 20 "ACPI Machine Language (AML) Specification"
 * for the byte code and section 6.4 "Resource Data Types for ACPI" for
 * ResourceTemplate descriptors.
 *
 * Output goes into a caller-owned fixed buffer (no allocation).  Errors
 * are sticky: the first failure (-ENOSPC when the buffer is full, -EINVAL
 * for a bad name, value or nesting) is kept in `err`, later calls do
 * nothing, and the caller checks aml_error() once at the end.
 *
 * Objects with a PkgLength (Scope, Device, Method, Package, Buffer) are
 * opened with *_begin(), which returns a mark, and closed with aml_end()
 * (or aml_buffer_end() for a Buffer) on that mark: the PkgLength is
 * inserted then, in its shortest encoding (20.2.4 "Package Length
 * Encoding"), so the contents need not be sized in advance.
 *
 * Example, `Scope (\_SB) { Device (PCI0) { Name (_UID, 0) } }`:
 *
 *	size_t s = aml_scope_begin(a, "\\_SB");
 *	size_t d = aml_device_begin(a, "PCI0");
 *	aml_name_integer(a, "_UID", 0);
 *	aml_end(a, d);
 *	aml_end(a, s);
 *
 * Plain C, no GLib (tests/acpi/aml-test.c).
 */
#ifndef VMAIN_MONITOR_ACPI_AML_H
#define VMAIN_MONITOR_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest PkgLength (20.2.4: 28 bits). */
#define AML_PKGLEN_MAX		0x0fffffffu

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;		/* 0 or the first -errno */
	unsigned int depth;	/* open PkgLength objects (checked by aml_end) */
};

void aml_init(struct aml *a, void *buf, size_t cap);

/* 0, or the first error (-ENOSPC, -EINVAL). */
static inline int aml_error(const struct aml *a)
{
	return a->err;
}

/* Raw bytes (opcodes the helpers below lack). */
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/*
 * Encodes a PkgLength for `len` bytes of content that follow it (the
 * encoded value counts its own bytes too, 20.2.4) into out[0..3].
 * Returns the number of bytes (1-4), or 0 if it cannot be encoded.
 */
unsigned int aml_pkglen_encode(size_t len, uint8_t out[4]);

/*
 * An Integer as the shortest ComputationalData (20.2.3 "Data Objects
 * Encoding"): ZeroOp, OneOp, OnesOp (all 64 bits set), else BytePrefix,
 * WordPrefix, DWordPrefix or QWordPrefix and the little-endian value.
 */
void aml_integer(struct aml *a, uint64_t v);

/* A String (StringPrefix, ASCII 0x01-0x7f, NUL).  -EINVAL otherwise. */
void aml_string(struct aml *a, const char *s);

/*
 * A NameString (20.2.2 "Name Objects Encoding"): an optional root "\" or
 * parent "^" prefixes, then dot-separated segments of 1-4 characters
 * (lead A-Z or _, then A-Z, 0-9, _), each padded with '_' to a NameSeg.
 * "\\_SB.PCI0" -> RootChar DualNamePrefix "_SB_" "PCI0".  "\\" alone is
 * the root (RootChar NullName).  -EINVAL for anything else.
 */
void aml_namestring(struct aml *a, const char *path);

/*
 * The 32-bit compressed EISA ID of a "PNP0A03"-style string (three
 * letters A-Z, four hex digits), as ASL's EISAID() makes it (19.6.35
 * "EISAID"); aml_eisaid() emits it as an Integer.  aml_eisaid_value()
 * returns 0 for a malformed string (and aml_eisaid() sets -EINVAL).
 */
uint32_t aml_eisaid_value(const char *id);
void aml_eisaid(struct aml *a, const char *id);

/* Name (name, <object>) (DefName, 20.2.5.1): the object follows. */
void aml_name(struct aml *a, const char *name);
void aml_name_integer(struct aml *a, const char *name, uint64_t v);
void aml_name_string(struct aml *a, const char *name, const char *s);
void aml_name_eisaid(struct aml *a, const char *name, const char *id);

/*
 * PkgLength objects.  Each _begin returns a mark for aml_end().
 *   Scope (name) { ... }                        20.2.5.1 DefScope
 *   Device (name) { ... }                       20.2.5.2 DefDevice
 *   Method (name, nargs 0-7, serialized) {...}  20.2.5.2 DefMethod
 *   Package (nelems 0-255) { ... }              20.2.5.4 DefPackage
 * The caller emits exactly `nelems` objects into a Package.
 */
size_t aml_scope_begin(struct aml *a, const char *name);
size_t aml_device_begin(struct aml *a, const char *name);
size_t aml_method_begin(struct aml *a, const char *name, unsigned int nargs,
			bool serialized);
size_t aml_package_begin(struct aml *a, unsigned int nelems);
void aml_end(struct aml *a, size_t mark);

/* Return (<object>) (DefReturn, 20.2.5.3): the object follows. */
void aml_return(struct aml *a);

/*
 * Buffer () { bytes } (DefBuffer, 20.2.5.4): aml_buffer_begin() returns a
 * mark, the caller emits the raw bytes, aml_buffer_end() inserts the
 * PkgLength and the BufferSize Integer.
 */
size_t aml_buffer_begin(struct aml *a);
void aml_buffer_end(struct aml *a, size_t mark);

/*
 * ResourceTemplate () { ... } (19.6.114): a Buffer of resource
 * descriptors closed by an End Tag.  aml_restemplate_end() emits the End
 * Tag (6.4.2.9, checksum 0 = "treat as correct") and closes the Buffer.
 */
size_t aml_restemplate_begin(struct aml *a);
void aml_restemplate_end(struct aml *a, size_t mark);

/* Address space descriptor general flags (6.4.3.5.x "General Flags"). */
#define AML_RES_CONSUMER	0x01	/* else ResourceProducer */
#define AML_RES_SUB_DECODE	0x02	/* else PosDecode */
#define AML_RES_MIN_FIXED	0x04
#define AML_RES_MAX_FIXED	0x08

/* Memory type-specific flags (6.4.3.5.x "Memory Resource Flag"). */
#define AML_MEM_READ_WRITE	0x01
#define AML_MEM_NON_CACHEABLE	0x00
#define AML_MEM_CACHEABLE	0x02
#define AML_MEM_WRITE_COMBINING	0x04
#define AML_MEM_PREFETCHABLE	0x06

/* I/O type-specific flags (6.4.3.5.x "I/O Resource Flag"): _RNG. */
#define AML_IO_ENTIRE_RANGE	0x03

/*
 * Resource descriptors (inside a ResourceTemplate).  Address descriptors
 * take the general flags above; the length is max - min + 1,
 * granularity and translation 0.
 *   IO (Decode16, min, max, align, len)           6.4.2.5 small 0x47
 *   IRQNoFlags () {irq}                           6.4.2.1 small 0x22
 *   Memory32Fixed (rw, base, len)                 6.4.3.4 large 0x86
 *   WordBusNumber (flags, min, max)               6.4.3.5.3 large 0x88
 *   WordIO (flags, min, max), entire range        6.4.3.5.3 large 0x88
 *   DWordMemory (flags, memflags, min, max)       6.4.3.5.2 large 0x87
 *   QWordMemory (flags, memflags, min, max)       6.4.3.5.1 large 0x8A
 * min > max is -EINVAL; so is an irq > 15.
 */
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
		uint8_t len);
void aml_res_irq_noflags(struct aml *a, unsigned int irq);
void aml_res_mem32_fixed(struct aml *a, bool rw, uint32_t base, uint32_t len);
void aml_res_word_bus(struct aml *a, uint8_t flags, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint8_t flags, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint8_t flags, uint8_t memflags,
		       uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *a, uint8_t flags, uint8_t memflags,
		       uint64_t min, uint64_t max);

/* AML opcodes used here (20.3 "AML Byte Stream Byte Values"). */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_STRING_PREFIX	0x0d
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_METHOD_OP		0x14
#define AML_DUAL_NAME_PREFIX	0x2e
#define AML_MULTI_NAME_PREFIX	0x2f
#define AML_EXT_OP_PREFIX	0x5b
#define AML_DEVICE_OP		0x82	/* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR		0x5c
#define AML_PARENT_PREFIX	0x5e
#define AML_RETURN_OP		0xa4
#define AML_ONES_OP		0xff

#endif
