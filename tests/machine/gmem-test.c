// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmem-test.c - guest-physical to host addresses (monitor/machine/
 * gmem.h), the one gate for guest-controlled DMA addresses: RAM below the
 * hole, RAM from 4 GiB, the hole itself, ranges that cross an edge, and
 * overflowing lengths.  No memory is touched: only the arithmetic.
 */
#include <stdint.h>

#include "tap.h"
#include "machine/gmem.h"

#define GiB (1ull << 30)

int main(void)
{
	uint8_t *base = (uint8_t *)(uintptr_t)0x100000000000ull;
	struct gmem flat = { .base = base, .size = 512ull << 20 };
	struct gmem split = { .base = base, .size = 5 * GiB, .low_size = 3 * GiB };

	tap_ok(gmem_ptr(&flat, 0, 4096) == base, "flat: guest-physical 0");
	tap_ok(gmem_ptr(&flat, flat.size - 8, 8) == base + flat.size - 8, "flat: the last 8 bytes");
	tap_ok(!gmem_ptr(&flat, flat.size - 8, 9), "flat: one byte past the end");
	tap_ok(!gmem_ptr(&flat, flat.size, 1), "flat: at the end");
	tap_ok(gmem_ptr(&flat, flat.size, 0) == base + flat.size, "flat: an empty range at the end");
	tap_ok(!gmem_ptr(&flat, 8, UINT64_MAX), "flat: a length that wraps");
	tap_ok(!gmem_ptr(&flat, UINT64_MAX, 2), "flat: an address that wraps");
	tap_ok(!gmem_ptr(&flat, 4 * GiB, 8), "flat: nothing at 4 GiB");

	tap_ok(gmem_ptr(&split, 3 * GiB - 4096, 4096) == base + 3 * GiB - 4096,
	       "split: the top page below the hole");
	tap_ok(!gmem_ptr(&split, 3 * GiB - 4096, 8192), "split: a range into the hole");
	tap_ok(!gmem_ptr(&split, 3 * GiB, 8), "split: inside the hole (MMIO)");
	tap_ok(!gmem_ptr(&split, 4 * GiB - 8, 16), "split: a range across 4 GiB");
	tap_ok(gmem_ptr(&split, 4 * GiB, 8) == base + 3 * GiB, "split: 4 GiB is the byte after low RAM");
	tap_ok(gmem_ptr(&split, 6 * GiB - 8, 8) == base + 5 * GiB - 8, "split: the last 8 bytes");
	tap_ok(!gmem_ptr(&split, 6 * GiB - 8, 9), "split: one byte past the end");
	tap_ok(!gmem_ptr(&split, 6 * GiB, 1), "split: at the end");
	tap_ok(!gmem_ptr(&split, 4 * GiB, UINT64_MAX), "split: a length that wraps");
	tap_ok(!gmem_ptr(&split, UINT64_MAX - 4, 8), "split: an address that wraps");
	return tap_done();
}
