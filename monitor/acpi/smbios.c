// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi/smbios.c - the SMBIOS 2.8 structure table and its 2.1 entry point
 * (see smbios.h).  Section numbers are DMTF DSP0134 2.8.0's.
 *
 * Every structure is a formatted area (type, length, handle, fields) and
 * then its strings, each NUL-terminated, the set ended by one more NUL;
 * a structure without strings ends in two NULs (6.1.3 "Text strings").
 * String fields hold the 1-based number of their string, 0 for none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/sdt.h"
#include "acpi/smbios.h"

#define SMBIOS_MAJOR		2
#define SMBIOS_MINOR		8
#define MAX_STRING		64
#define MAX_FORMATTED		0x30
#define MAX_STRINGS		8

/* Handles, per type, as QEMU numbers them (type << 8, + an index). */
#define HANDLE(type, i)		((uint16_t)((type) << 8 | (i)))

struct smb {
	uint8_t *buf;
	size_t len, cap;
	int err;
	/* The structure being built. */
	uint8_t fmt[MAX_FORMATTED];
	uint8_t fmt_len;
	const char *strs[MAX_STRINGS];
	unsigned int nr_strs;
	/* For the entry point. */
	unsigned int count;
	size_t max_size;
};

static void grow(struct smb *s, size_t more)
{
	size_t cap = s->cap ? s->cap : 4096;
	uint8_t *buf;

	if (s->err || s->len + more <= s->cap)
		return;
	while (cap < s->len + more)
		cap *= 2;
	buf = realloc(s->buf, cap);
	if (!buf) {
		s->err = -ENOMEM;
		return;
	}
	s->buf = buf;
	s->cap = cap;
}

static void begin(struct smb *s, uint8_t type, uint8_t len, uint16_t handle)
{
	memset(s->fmt, 0, sizeof(s->fmt));
	s->fmt[0] = type;
	s->fmt[1] = len;
	acpi_put16(s->fmt, 2, handle);
	s->fmt_len = len;
	s->nr_strs = 0;
}

/* Adds a string; its number for the field (0: none, for NULL or ""). */
static uint8_t str(struct smb *s, const char *v)
{
	if (!v || !*v)
		return 0;
	if (strlen(v) > MAX_STRING || s->nr_strs == MAX_STRINGS) {
		s->err = s->err ? s->err : -EINVAL;
		return 0;
	}
	s->strs[s->nr_strs++] = v;
	return (uint8_t)s->nr_strs;
}

static void end(struct smb *s)
{
	size_t start = s->len, need = s->fmt_len + 1;
	unsigned int i;

	for (i = 0; i < s->nr_strs; i++)
		need += strlen(s->strs[i]) + 1;
	if (!s->nr_strs)
		need++;			/* the empty set: two NULs */
	grow(s, need);
	if (s->err)
		return;
	memcpy(s->buf + s->len, s->fmt, s->fmt_len);
	s->len += s->fmt_len;
	for (i = 0; i < s->nr_strs; i++) {
		size_t l = strlen(s->strs[i]) + 1;

		memcpy(s->buf + s->len, s->strs[i], l);
		s->len += l;
	}
	if (!s->nr_strs)
		s->buf[s->len++] = 0;
	s->buf[s->len++] = 0;
	s->count++;
	if (s->len - start > s->max_size)
		s->max_size = s->len - start;
}

/* 7.1 BIOS Information (Type 0), 24 bytes. */
static void type0(struct smb *s)
{
	begin(s, 0, 0x18, HANDLE(0, 0));
	s->fmt[4] = str(s, "vmain");			/* vendor */
	s->fmt[5] = str(s, "vmain");			/* BIOS version */
	acpi_put16(s->fmt, 6, 0xe800);			/* starting segment */
	s->fmt[8] = str(s, "12/01/2026");		/* release date */
	s->fmt[9] = 0;					/* ROM size: 64 KiB */
	/* 7.1.1 Table 7 bit 3: "BIOS Characteristics are not supported". */
	s->fmt[0x0a] = 1u << 3;
	/*
	 * 7.1.2.2 Table 9, extension byte 2: bit 2 "Enable targeted content
	 * distribution", bit 4 "SMBIOS table describes a virtual machine".
	 */
	s->fmt[0x13] = 1u << 2 | 1u << 4;
	s->fmt[0x14] = 0;				/* system BIOS major */
	s->fmt[0x15] = 0;				/* minor */
	s->fmt[0x16] = 0xff;				/* no embedded controller */
	s->fmt[0x17] = 0xff;
	end(s);
}

/*
 * 7.2 System Information (Type 1), 27 bytes.  7.2.1: since 2.6 the UUID's
 * first three fields are little-endian, the rest as RFC 4122 gives them.
 */
static void type1(struct smb *s, const struct smbios_config *cfg)
{
	const uint8_t *u = cfg->uuid;

	begin(s, 1, 0x1b, HANDLE(1, 0));
	s->fmt[4] = str(s, "vmain");			/* manufacturer */
	s->fmt[5] = str(s, "vmain VM");			/* product */
	s->fmt[6] = str(s, "1");			/* version */
	s->fmt[7] = str(s, cfg->serial);		/* serial number */
	if (u) {
		uint8_t *d = s->fmt + 8;

		d[0] = u[3]; d[1] = u[2]; d[2] = u[1]; d[3] = u[0];
		d[4] = u[5]; d[5] = u[4];
		d[6] = u[7]; d[7] = u[6];
		memcpy(d + 8, u + 8, 8);
	}
	s->fmt[0x18] = 0x06;				/* wake-up: power switch */
	s->fmt[0x1a] = str(s, "vmain");			/* family */
	end(s);
}

/* 7.4 System Enclosure or Chassis (Type 3), 22 bytes (2.7: SKU). */
static void type3(struct smb *s)
{
	begin(s, 3, 0x16, HANDLE(3, 0));
	s->fmt[4] = str(s, "vmain");			/* manufacturer */
	s->fmt[5] = 0x01;				/* type: Other */
	s->fmt[9] = 0x03;				/* boot-up state: safe */
	s->fmt[0x0a] = 0x03;				/* power supply: safe */
	s->fmt[0x0b] = 0x03;				/* thermal: safe */
	s->fmt[0x0c] = 0x02;				/* security: unknown */
	end(s);
}

/* 7.5 Processor Information (Type 4), 42 bytes (2.6: family 2). */
static void type4(struct smb *s, const struct smbios_config *cfg, uint32_t i,
		  char *name, size_t name_len)
{
	snprintf(name, name_len, "CPU %u", i);
	begin(s, 4, 0x2a, HANDLE(4, 0) + (uint16_t)i);
	s->fmt[4] = str(s, name);			/* socket designation */
	s->fmt[5] = 0x03;				/* central processor */
	s->fmt[6] = 0xfe;				/* family: see family 2 */
	s->fmt[7] = str(s, "vmain");			/* manufacturer */
	acpi_put32(s->fmt, 8, cfg->cpuid_1_eax);	/* processor ID */
	acpi_put32(s->fmt, 12, cfg->cpuid_1_edx);
	acpi_put16(s->fmt, 0x14, 2000);			/* max speed, MHz */
	acpi_put16(s->fmt, 0x16, 2000);			/* current speed */
	s->fmt[0x18] = 0x41;				/* populated, enabled */
	s->fmt[0x19] = 0x01;				/* upgrade: other */
	acpi_put16(s->fmt, 0x1a, 0xffff);		/* no L1/L2/L3 cache */
	acpi_put16(s->fmt, 0x1c, 0xffff);		/* information */
	acpi_put16(s->fmt, 0x1e, 0xffff);
	s->fmt[0x23] = 1;				/* cores */
	s->fmt[0x24] = 1;				/* cores enabled */
	s->fmt[0x25] = 1;				/* threads */
	acpi_put16(s->fmt, 0x26, 0x02);			/* characteristics: unknown */
	acpi_put16(s->fmt, 0x28, 0x01);			/* family 2: other */
	end(s);
}

/* 7.17 Physical Memory Array (Type 16), 23 bytes. */
static void type16(struct smb *s, uint64_t ram)
{
	uint64_t kib = ram >> 10;

	begin(s, 16, 0x17, HANDLE(16, 0));
	s->fmt[4] = 0x01;				/* location: other */
	s->fmt[5] = 0x03;				/* use: system memory */
	s->fmt[6] = 0x06;				/* error correction: multi-bit ECC */
	/* Maximum capacity in KiB; 0x80000000 says "see the extended field". */
	if (kib < 0x80000000ull) {
		acpi_put32(s->fmt, 7, (uint32_t)kib);
	} else {
		acpi_put32(s->fmt, 7, 0x80000000u);
		acpi_put64(s->fmt, 0x0f, ram);
	}
	acpi_put16(s->fmt, 0x0b, 0xfffe);		/* no error information */
	acpi_put16(s->fmt, 0x0d, 1);			/* devices */
	end(s);
}

/* 7.18 Memory Device (Type 17), 40 bytes (2.8). */
static void type17(struct smb *s, uint64_t ram)
{
	uint64_t mib = ram >> 20;

	begin(s, 17, 0x28, HANDLE(17, 0));
	acpi_put16(s->fmt, 4, HANDLE(16, 0));		/* its array */
	acpi_put16(s->fmt, 6, 0xfffe);			/* no error information */
	acpi_put16(s->fmt, 8, 0xffff);			/* widths unknown */
	acpi_put16(s->fmt, 0x0a, 0xffff);
	/* Size in MiB below 32 GiB - 1 MiB, else 0x7fff and the extended size. */
	if (mib < 0x7fff) {
		acpi_put16(s->fmt, 0x0c, (uint16_t)mib);
	} else {
		acpi_put16(s->fmt, 0x0c, 0x7fff);
		acpi_put32(s->fmt, 0x1c, (uint32_t)mib);
	}
	s->fmt[0x0e] = 0x09;				/* form factor: DIMM */
	s->fmt[0x10] = str(s, "DIMM 0");		/* device locator */
	s->fmt[0x12] = 0x07;				/* type: RAM */
	acpi_put16(s->fmt, 0x13, 0x02);			/* type detail: other */
	s->fmt[0x17] = str(s, "vmain");			/* manufacturer */
	end(s);
}

/* 7.20 Memory Array Mapped Address (Type 19), 31 bytes (2.7). */
static void type19(struct smb *s, uint16_t i, uint64_t start, uint64_t len)
{
	uint64_t last = start + len - 1;

	begin(s, 19, 0x1f, HANDLE(19, i));
	/* KiB addresses in 32 bits up to 4 TiB, else 0xffffffff and bytes. */
	if (last >> 10 < 0xffffffffull) {
		acpi_put32(s->fmt, 4, (uint32_t)(start >> 10));
		acpi_put32(s->fmt, 8, (uint32_t)(last >> 10));
	} else {
		acpi_put32(s->fmt, 4, 0xffffffffu);
		acpi_put32(s->fmt, 8, 0xffffffffu);
		acpi_put64(s->fmt, 0x0f, start);
		acpi_put64(s->fmt, 0x17, last);
	}
	acpi_put16(s->fmt, 0x0c, HANDLE(16, 0));	/* its array */
	s->fmt[0x0e] = 1;				/* partition width */
	end(s);
}

/* 7.33 System Boot Information (Type 32), 11 bytes: no errors. */
static void type32(struct smb *s)
{
	begin(s, 32, 0x0b, HANDLE(32, 0));
	end(s);
}

/* 7.44 End-of-Table (Type 127). */
static void type127(struct smb *s)
{
	begin(s, 127, 4, HANDLE(127, 0));
	end(s);
}

/* 5.2.1 SMBIOS 2.1 (32-bit) Entry Point, 31 bytes. */
static void entry_point(uint8_t *ep, const struct smb *s)
{
	memset(ep, 0, SMBIOS_ANCHOR_LEN);
	memcpy(ep, "_SM_", 4);
	ep[5] = SMBIOS_ANCHOR_LEN;
	ep[6] = SMBIOS_MAJOR;
	ep[7] = SMBIOS_MINOR;
	acpi_put16(ep, 8, (uint16_t)s->max_size);
	ep[0x0a] = 0;					/* entry point revision */
	memcpy(ep + 0x10, "_DMI_", 5);
	acpi_put16(ep, 0x16, (uint16_t)s->len);
	acpi_put32(ep, 0x18, 0);			/* table address: the firmware's */
	acpi_put16(ep, 0x1c, (uint16_t)s->count);
	ep[0x1e] = SMBIOS_MAJOR << 4 | SMBIOS_MINOR;	/* BCD revision */
	/* Intermediate checksum over 0x10..0x1e, then the whole. */
	ep[0x15] = acpi_checksum(ep + 0x10, 0x0f);
	ep[4] = acpi_checksum(ep, SMBIOS_ANCHOR_LEN);
}

void smbios_blobs_free(struct smbios_blobs *b)
{
	free(b->anchor);
	free(b->tables);
	memset(b, 0, sizeof(*b));
}

int smbios_build(const struct smbios_config *cfg, struct smbios_blobs *out)
{
	struct smb s = { .buf = NULL };
	char name[16];
	uint32_t i;

	if (!cfg || !out || !cfg->nr_cpus || !cfg->low_ram)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (cfg->nr_cpus > SMBIOS_MAX_CPUS)
		return -E2BIG;

	type0(&s);
	type1(&s, cfg);
	type3(&s);
	for (i = 0; i < cfg->nr_cpus; i++)
		type4(&s, cfg, i, name, sizeof(name));
	type16(&s, cfg->low_ram + cfg->high_ram);
	type17(&s, cfg->low_ram + cfg->high_ram);
	type19(&s, 0, 0, cfg->low_ram);
	if (cfg->high_ram)
		type19(&s, 1, 1ull << 32, cfg->high_ram);
	type32(&s);
	type127(&s);
	if (!s.err && (s.len > 0xffff || s.count > 0xffff))
		s.err = -E2BIG;
	if (!s.err) {
		out->anchor = malloc(SMBIOS_ANCHOR_LEN);
		if (!out->anchor)
			s.err = -ENOMEM;
	}
	if (s.err) {
		free(s.buf);
		return s.err;
	}
	entry_point(out->anchor, &s);
	out->anchor_len = SMBIOS_ANCHOR_LEN;
	out->tables = s.buf;
	out->tables_len = s.len;
	return 0;
}
