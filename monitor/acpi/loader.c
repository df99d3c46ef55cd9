// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi/loader.c - the BIOS linker/loader command list (see loader.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/loader.h"
#include "acpi/sdt.h"

void acpi_loader_init(struct acpi_loader *l)
{
	memset(l, 0, sizeof(*l));
}

void acpi_loader_free(struct acpi_loader *l)
{
	free(l->buf);
	acpi_loader_init(l);
}

static int name_ok(const char *name)
{
	return name && *name && strlen(name) < ACPI_LOADER_FILESZ;
}

/* A zeroed entry with its command set, or NULL (error recorded). */
static uint8_t *entry(struct acpi_loader *l, uint32_t command, int valid)
{
	uint8_t *e;

	if (l->err)
		return NULL;
	if (!valid) {
		l->err = -EINVAL;
		return NULL;
	}
	if (l->len + ACPI_LOADER_ENTRY_LEN > l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16 * ACPI_LOADER_ENTRY_LEN;
		uint8_t *buf = realloc(l->buf, cap);

		if (!buf) {
			l->err = -ENOMEM;
			return NULL;
		}
		l->buf = buf;
		l->cap = cap;
	}
	e = l->buf + l->len;
	l->len += ACPI_LOADER_ENTRY_LEN;
	memset(e, 0, ACPI_LOADER_ENTRY_LEN);
	acpi_put32(e, 0, command);
	return e;
}

int acpi_loader_allocate(struct acpi_loader *l, const char *file,
			 uint32_t align, uint8_t zone)
{
	uint8_t *e = entry(l, ACPI_LOADER_ALLOCATE,
			   name_ok(file) && align && !(align & (align - 1)) &&
			   (zone == ACPI_LOADER_ZONE_HIGH || zone == ACPI_LOADER_ZONE_FSEG));

	if (e) {
		memcpy(e + 4, file, strlen(file));
		acpi_put32(e, 60, align);
		acpi_put8(e, 64, zone);
	}
	return l->err;
}

int acpi_loader_add_pointer(struct acpi_loader *l, const char *dest_file,
			    const char *src_file, uint32_t offset, uint8_t size)
{
	uint8_t *e = entry(l, ACPI_LOADER_ADD_POINTER,
			   name_ok(dest_file) && name_ok(src_file) &&
			   (size == 1 || size == 2 || size == 4 || size == 8));

	if (e) {
		memcpy(e + 4, dest_file, strlen(dest_file));
		memcpy(e + 60, src_file, strlen(src_file));
		acpi_put32(e, 116, offset);
		acpi_put8(e, 120, size);
	}
	return l->err;
}

int acpi_loader_add_checksum(struct acpi_loader *l, const char *file,
			     uint32_t offset, uint32_t start, uint32_t length)
{
	uint8_t *e = entry(l, ACPI_LOADER_ADD_CHECKSUM, name_ok(file));

	if (e) {
		memcpy(e + 4, file, strlen(file));
		acpi_put32(e, 60, offset);
		acpi_put32(e, 64, start);
		acpi_put32(e, 68, length);
	}
	return l->err;
}

uint8_t *acpi_loader_take(struct acpi_loader *l, size_t *len, int *err)
{
	uint8_t *buf = l->buf;

	*err = l->err ? l->err : (l->len ? 0 : -EINVAL);
	*len = *err ? 0 : l->len;
	if (*err) {
		acpi_loader_free(l);
		return NULL;
	}
	acpi_loader_init(l);
	return buf;
}
