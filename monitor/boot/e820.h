/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * boot/e820.h - the guest's physical memory map as the zero page's e820
 * table carries it, and placing things (the initrd) in its RAM.
 *
 * The caller lists ranges (RAM, reserved, ...) in any order;
 * boot_e820_build() sorts them, refuses overlaps and merges neighbours of
 * the same type.  Plain C, no GLib (tests/boot/bootparams-test.c).
 */
#ifndef VMAIN_MONITOR_BOOT_E820_H
#define VMAIN_MONITOR_BOOT_E820_H

#include <stddef.h>
#include <stdint.h>

/* Range types (ACPI "Address Range Types", as in Linux's e820). */
#define BOOT_E820_RAM		1
#define BOOT_E820_RESERVED	2
#define BOOT_E820_ACPI		3
#define BOOT_E820_NVS		4
#define BOOT_E820_UNUSABLE	5
#define BOOT_E820_PMEM		7

/* The zero page holds at most this many entries (e820_table[128]). */
#define BOOT_E820_MAX		128

/* One zero-page e820 entry: 20 bytes, packed (struct boot_e820_entry). */
struct boot_e820_entry {
	uint64_t addr;		/* 0x00 */
	uint64_t size;		/* 0x08 */
	uint32_t type;		/* 0x10 */
} __attribute__((packed));

_Static_assert(sizeof(struct boot_e820_entry) == 20, "e820 entry is 20 bytes");

/* A range as the caller describes it. */
struct boot_mem_range {
	uint64_t addr;
	uint64_t size;
	uint32_t type;		/* BOOT_E820_* */
};

/*
 * Sorts in[0, n) by address into out[0, *nout) (out has room for max),
 * merging ranges of the same type that touch.  Returns 0, or -EINVAL (a
 * range of size 0, one that wraps past 2^64, an unknown type, two ranges
 * that overlap, n == 0 or NULL pointers) or -E2BIG (more than max entries
 * after merging); *reason (if not NULL) says which.
 */
int boot_e820_build(const struct boot_mem_range *in, size_t n,
		    struct boot_e820_entry *out, size_t max, size_t *nout,
		    const char **reason);

/*
 * Whether [addr, addr + size) lies entirely in RAM entries of map[0, n)
 * (touching RAM entries count as one).  size 0 is never "in RAM".
 */
int boot_e820_is_ram(const struct boot_e820_entry *map, size_t n,
		     uint64_t addr, uint64_t size);

/*
 * Finds the highest `align`-aligned (power of two) address A with
 * [A, A + size) in one RAM entry of the sorted map[0, n), A >= min_addr
 * and A + size <= limit.  Returns 0 and *addr = A, -EINVAL (size 0, bad
 * align) or -ENOSPC (nothing fits).
 */
int boot_e820_place_high(const struct boot_e820_entry *map, size_t n,
			 uint64_t size, uint64_t align, uint64_t min_addr,
			 uint64_t limit, uint64_t *addr);

#endif
