// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * size-test.c - sizes on the command line (monitor/size.c): units,
 * defaults, and every way a size can be wrong.
 */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "size.h"

static void good(const char *s, unsigned int shift, uint64_t want)
{
	uint64_t v = 0;
	const char *why = size_parse(s, shift, &v);

	tap_ok(!why && v == want, "'%s' is %llu bytes%s%s", s,
	       (unsigned long long)want, why ? ": " : "", why ? why : "");
}

static void bad(const char *s, const char *want)
{
	uint64_t v = 42;
	const char *why = size_parse(s, 20, &v);

	tap_ok(why && strstr(why, want) && v == 42, "'%s' is refused (%s)", s,
	       why ? why : "accepted");
}

int main(void)
{
	good("512", 20, 512ull << 20);
	good("512", 0, 512);
	good("4K", 20, 4096);
	good("4k", 20, 4096);
	good("512M", 0, 512ull << 20);
	good("512MiB", 0, 512ull << 20);
	good("512MB", 0, 512ull << 20);
	good("2G", 0, 2ull << 30);
	good("2gib", 0, 2ull << 30);
	good("1T", 0, 1ull << 40);
	good("16777215T", 0, 16777215ull << 40);
	good("18446744073709551615", 0, UINT64_MAX);

	bad("", "not a size");
	bad("M", "not a size");
	bad("-1", "not a size");
	bad(" 1G", "not a size");
	bad("1.5G", "unknown unit");
	bad("12Q", "unknown unit");
	bad("1GG", "unknown unit");
	bad("1G ", "unknown unit");
	bad("0", "zero");
	bad("0G", "zero");
	bad("16777216T", "too large");
	bad("18446744073709551616", "too large");
	bad("99999999999999999999G", "too large");
	bad("17592186044416", "too large");	/* 2^44 MiB = 2^64 bytes */
	return tap_done();
}
