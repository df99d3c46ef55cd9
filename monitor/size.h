/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * size.h - sizes on the command line: "512M", "2G", "1536" (a unit).
 */
#ifndef VMAIN_MONITOR_SIZE_H
#define VMAIN_MONITOR_SIZE_H

#include <stdint.h>

/*
 * Parses a decimal number with an optional suffix K, M, G or T (powers
 * of 1024, case-insensitive, "KiB"/"KB"/"K" alike).  A plain number is
 * in units of 2^default_shift bytes.  Returns NULL and stores the size,
 * or a message saying what is wrong (no digits, an unknown suffix,
 * zero, or a value past 2^64 - 1).
 */
const char *size_parse(const char *s, unsigned int default_shift, uint64_t *out);

#endif
