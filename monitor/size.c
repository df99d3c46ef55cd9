// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * size.c - parsing sizes (see size.h).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "size.h"

const char *size_parse(const char *s, unsigned int default_shift, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int shift = default_shift;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return "not a size (expected a number such as 512M or 2G)";
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return "too large";
		v = v * 10 + digit;
	}
	if (*p) {
		switch (toupper((unsigned char)*p)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default:
			return "unknown unit (use K, M, G or T)";
		}
		p++;
		if (*p && strcasecmp(p, "iB") && strcasecmp(p, "B"))
			return "unknown unit (use K, M, G or T)";
	}
	if (!v)
		return "must not be zero";
	if (shift && v > (UINT64_MAX >> shift))
		return "too large";
	*out = v << shift;
	return NULL;
}
