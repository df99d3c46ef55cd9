// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * boot/e820.c - build the guest's e820 map and place blobs in its RAM.
 *
 * The caller's list is small (a handful of ranges), so a plain insertion
 * sort keeps this obvious; no allocation.
 */
#include <errno.h>
#include <string.h>

#include "boot/e820.h"

static int bad(const char **reason, const char *why, int err)
{
	if (reason)
		*reason = why;
	return err;
}

static int type_known(uint32_t type)
{
	return (type >= BOOT_E820_RAM && type <= BOOT_E820_UNUSABLE) ||
	       type == BOOT_E820_PMEM;
}

int boot_e820_build(const struct boot_mem_range *in, size_t n,
		    struct boot_e820_entry *out, size_t max, size_t *nout,
		    const char **reason)
{
	size_t i, j, nr = 0;

	if (!in || !out || !nout || n == 0)
		return bad(reason, "no memory ranges", -EINVAL);

	for (i = 0; i < n; i++) {
		struct boot_e820_entry e = {
			.addr = in[i].addr, .size = in[i].size, .type = in[i].type,
		};

		if (e.size == 0)
			return bad(reason, "memory range of size 0", -EINVAL);
		if (e.addr > UINT64_MAX - (e.size - 1))
			return bad(reason, "memory range wraps past 2^64", -EINVAL);
		if (!type_known(e.type))
			return bad(reason, "memory range of unknown type", -EINVAL);

		/* Insert at its place in out[0, nr), sorted by address. */
		for (j = nr; j > 0 && out[j - 1].addr > e.addr; j--)
			;
		/* Overlap with the one before or after?  (ends are inclusive
		 * so that a range ending at 2^64 - 1 does not wrap) */
		if (j > 0 && out[j - 1].addr + (out[j - 1].size - 1) >= e.addr)
			return bad(reason, "memory ranges overlap", -EINVAL);
		if (j < nr && e.addr + (e.size - 1) >= out[j].addr)
			return bad(reason, "memory ranges overlap", -EINVAL);

		/*
		 * Merge with a touching neighbour of the same type, unless the
		 * merged size would not fit in 64 bits (a map spanning 2^64).
		 */
		if (j > 0 && out[j - 1].type == e.type &&
		    out[j - 1].addr + out[j - 1].size == e.addr &&
		    out[j - 1].size <= UINT64_MAX - e.size) {
			out[j - 1].size += e.size;
			if (j < nr && out[j].type == e.type &&
			    e.addr + e.size == out[j].addr &&
			    out[j - 1].size <= UINT64_MAX - out[j].size) {
				out[j - 1].size += out[j].size;
				memmove(&out[j], &out[j + 1], (nr - j - 1) * sizeof(*out));
				nr--;
			}
			continue;
		}
		if (j < nr && out[j].type == e.type && e.addr + e.size == out[j].addr &&
		    e.size <= UINT64_MAX - out[j].size) {
			out[j].addr = e.addr;
			out[j].size += e.size;
			continue;
		}
		if (nr == max)
			return bad(reason, "too many memory ranges for the e820 table", -E2BIG);
		memmove(&out[j + 1], &out[j], (nr - j) * sizeof(*out));
		out[j] = e;
		nr++;
	}
	*nout = nr;
	return 0;
}

int boot_e820_is_ram(const struct boot_e820_entry *map, size_t n,
		     uint64_t addr, uint64_t size)
{
	size_t i;

	if (size == 0 || addr > UINT64_MAX - (size - 1))
		return 0;
	/* Walk the sorted map, consuming [addr, addr + size) from the front. */
	for (i = 0; i < n; i++) {
		uint64_t last = map[i].addr + (map[i].size - 1);

		if (map[i].type != BOOT_E820_RAM || last < addr)
			continue;
		if (map[i].addr > addr)
			return 0;	/* a hole or non-RAM before addr */
		if (last - addr >= size - 1)
			return 1;
		size -= last - addr + 1;
		addr = last + 1;
	}
	return 0;
}

int boot_e820_place_high(const struct boot_e820_entry *map, size_t n,
			 uint64_t size, uint64_t align, uint64_t min_addr,
			 uint64_t limit, uint64_t *addr)
{
	size_t i;

	if (size == 0 || align == 0 || (align & (align - 1)) || !addr)
		return -EINVAL;
	for (i = n; i-- > 0;) {
		uint64_t lo = map[i].addr, hi = map[i].addr + map[i].size;
		uint64_t a;

		if (map[i].type != BOOT_E820_RAM)
			continue;
		/* hi wrapped: the entry reaches 2^64; clamp (limit is lower). */
		if (hi < lo)
			hi = UINT64_MAX;
		if (hi > limit)
			hi = limit;
		if (lo < min_addr)
			lo = min_addr;
		if (hi < lo || hi - lo < size)
			continue;
		a = (hi - size) & ~(align - 1);
		if (a < lo)
			continue;
		*addr = a;
		return 0;
	}
	return -ENOSPC;
}
