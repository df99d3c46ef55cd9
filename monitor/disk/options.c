// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/options.c - the `--disk` option's syntax:
 *
 *   FILE[,format=raw|qcow2|auto][,cache=writeback|writethrough|none]
 *       [,readonly=on|off][,serial=STR][,max-dirty=SIZE][,max-age=MS]
 *       [,if=virtio|ahci|ide]
 *
 * A comma inside FILE or STR is written twice (",,"), as in QEMU.  Every
 * error is one line naming the key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/options.h"

/* Copies the next comma-separated field of *s, ",," as ','; advances *s. */
static char *next_field(const char **s)
{
	const char *p = *s;
	size_t n = 0;
	char *out = malloc(strlen(p) + 1);

	if (!out)
		return NULL;
	while (*p) {
		if (*p == ',') {
			if (p[1] != ',')
				break;
			p++;
		}
		out[n++] = *p++;
	}
	out[n] = 0;
	*s = *p ? p + 1 : p;
	return out;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int set_serial(struct disk_options *o, const char *v, char *err, size_t errlen)
{
	size_t i, n = strlen(v);

	if (n > DISK_SERIAL_MAX) {
		snprintf(err, errlen, "serial=%s: at most %d characters", v, DISK_SERIAL_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (v[i] < 0x20 || v[i] > 0x7e) {
			snprintf(err, errlen, "serial: printable ASCII only");
			return -EINVAL;
		}
	}
	memcpy(o->serial, v, n + 1);
	return 0;
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
static int parse_size(const char *v, uint64_t *out)
{
	unsigned long long n;
	char *end;
	unsigned shift = 0;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end || n > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)n << shift;
	return 0;
}

static int set_limit(struct disk_options *o, const char *key, const char *v,
		     char *err, size_t errlen)
{
	uint64_t n;

	if (!strcmp(key, "max-dirty")) {
		if (parse_size(v, &n) || n < DISK_MIN_MAX_DIRTY || n > DISK_MAX_MAX_DIRTY) {
			snprintf(err, errlen, "max-dirty=%s: a size from 1M to 4G "
				 "(K, M, G suffixes)", v);
			return -EINVAL;
		}
		o->max_dirty = n;
		return 0;
	}
	if (parse_size(v, &n) || !n || n > DISK_MAX_MAX_AGE_MS) {
		snprintf(err, errlen, "max-age=%s: milliseconds, 1 to %u", v,
			 DISK_MAX_MAX_AGE_MS);
		return -EINVAL;
	}
	o->max_age_ns = (int64_t)n * 1000000;
	return 0;
}

static int set_key(struct disk_options *o, const char *key, const char *v,
		   char *err, size_t errlen)
{
	if (!strcmp(key, "format")) {
		if (disk_format_parse(v, &o->format)) {
			snprintf(err, errlen, "format=%s: must be raw, qcow2 or auto", v);
			return -EINVAL;
		}
	} else if (!strcmp(key, "cache")) {
		if (disk_cache_parse(v, &o->cache)) {
			snprintf(err, errlen, "cache=%s: must be writeback, writethrough or none", v);
			return -EINVAL;
		}
	} else if (!strcmp(key, "readonly")) {
		if (parse_bool(v, &o->readonly)) {
			snprintf(err, errlen, "readonly=%s: must be on or off", v);
			return -EINVAL;
		}
	} else if (!strcmp(key, "serial")) {
		return set_serial(o, v, err, errlen);
	} else if (!strcmp(key, "max-dirty") || !strcmp(key, "max-age")) {
		return set_limit(o, key, v, err, errlen);
	} else if (!strcmp(key, "if")) {
		if (!strcmp(v, "virtio")) {
			o->bus = DISK_BUS_VIRTIO;
		} else if (!strcmp(v, "ahci")) {
			o->bus = DISK_BUS_AHCI;
		} else if (!strcmp(v, "ide")) {
			o->bus = DISK_BUS_IDE;
		} else {
			snprintf(err, errlen, "if=%s: must be virtio, ahci or ide", v);
			return -EINVAL;
		}
	} else {
		snprintf(err, errlen, "unknown option '%s' (format, cache, readonly, "
			 "serial, max-dirty, max-age, if)", key);
		return -EINVAL;
	}
	return 0;
}

int disk_options_parse(const char *spec, struct disk_options *o, char **path,
		       char *err, size_t errlen)
{
	const char *s = spec;
	char *field, *eq;
	int ret = 0;

	memset(o, 0, sizeof(*o));
	o->format = DISK_FORMAT_AUTO;
	o->cache = WCACHE_WRITEBACK;
	*path = next_field(&s);
	if (!*path)
		return -ENOMEM;
	if (!**path) {
		snprintf(err, errlen, "no image file given");
		ret = -EINVAL;
		goto free_path;
	}
	while (*s) {
		field = next_field(&s);
		if (!field) {
			ret = -ENOMEM;
			goto free_path;
		}
		eq = strchr(field, '=');
		if (!eq) {
			snprintf(err, errlen, "'%s': options are KEY=VALUE", field);
			ret = -EINVAL;
		} else {
			*eq = 0;
			ret = set_key(o, field, eq + 1, err, errlen);
		}
		free(field);
		if (ret)
			goto free_path;
	}
	o->path = *path;
	return 0;

free_path:
	free(*path);
	*path = NULL;
	return ret;
}
