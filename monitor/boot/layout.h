/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * boot/layout.h - guest-physical layout and initial vCPU state for a
 * 64-bit direct boot of a Linux bzImage.
 *
 * The guest's RAM is one buffer the caller owns, guest-physical address 0
 * at its first byte.  boot_layout_load() validates everything first, then
 * writes into that buffer:
 *
 *   0x000500  GDT: null, null, 0x10 = 64-bit code, 0x18 = data (the
 *             __BOOT_CS/__BOOT_DS selectors the 64-bit entry expects)
 *   0x007000  zero page (boot/bootparams.h)
 *   0x009000  PML4, 0x00a000 PDPT, 0x00b000..0x00efff four PDs:
 *             identity map of the first 4 GiB with 2 MiB pages (1 GiB
 *             pages would need the pdpe1gb CPUID bit; 2 MiB pages don't)
 *   0x020000  kernel command line (NUL-terminated)
 *   0x09fc00  .. 1 MiB reserved (EBDA, VGA, BIOS holes of a PC)
 *   load_addr protected-mode kernel, init_size bytes reserved from there
 *             (not written past the image: RAM is expected to start zeroed)
 *   high      initrd, page aligned, as high as RAM and initrd_addr_max allow
 *
 * and fills a struct boot_cpu_state with what the 64-bit boot protocol
 * (boot.rst, "64-bit boot protocol") requires at entry: long mode with
 * paging, CS = 0x10 and DS/ES/SS = 0x18 flat, interrupts off, RSI = the
 * zero page, RIP = load_addr + 0x200.  The hypervisor backend turns that
 * into its own register ABI.
 *
 * The RAM given here is at most BOOT_RAM_MAX (3 GiB), so the range below
 * 4 GiB above it stays free for MMIO; more RAM goes above 4 GiB and is
 * added to the map with boot_layout_add_high_ram().
 *
 * Plain C, no GLib (tests/boot/layout-test.c).
 */
#ifndef VMAIN_MONITOR_BOOT_LAYOUT_H
#define VMAIN_MONITOR_BOOT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "boot/bootparams.h"
#include "boot/bzimage.h"

#define BOOT_GDT_ADDR		0x500ull
#define BOOT_ZERO_PAGE_ADDR	0x7000ull
#define BOOT_STACK_TOP		0x8ff0ull	/* scratch; the kernel sets its own */
#define BOOT_PML4_ADDR		0x9000ull
#define BOOT_PDPT_ADDR		0xa000ull
#define BOOT_PD_ADDR		0xb000ull	/* 4 pages */
#define BOOT_CMDLINE_ADDR	0x20000ull
#define BOOT_LOW_RAM_END	0x9fc00ull
#define BOOT_HIGH_RAM_START	0x100000ull
#define BOOT_RAM_MAX		(3ull << 30)

/* GDT selectors the 64-bit entry expects (__BOOT_CS, __BOOT_DS). */
#define BOOT_CS_SELECTOR	0x10
#define BOOT_DS_SELECTOR	0x18

/* Control register and EFER bits set at entry. */
#define BOOT_CR0_PE		(1ull << 0)
#define BOOT_CR0_ET		(1ull << 4)
#define BOOT_CR0_NE		(1ull << 5)
#define BOOT_CR0_PG		(1ull << 31)
#define BOOT_CR4_PAE		(1ull << 5)
#define BOOT_EFER_LME		(1ull << 8)
#define BOOT_EFER_LMA		(1ull << 10)
#define BOOT_RFLAGS_FIXED	(1ull << 1)	/* bit 1 is always 1; IF clear */

/* A segment register, hidden part included, unpacked. */
struct boot_segment {
	uint16_t selector;
	uint64_t base;
	uint32_t limit;		/* in bytes, already scaled by g */
	uint8_t type;		/* 4-bit descriptor type */
	uint8_t s;		/* 1 = code/data, 0 = system */
	uint8_t dpl;
	uint8_t present;
	uint8_t avl;
	uint8_t l;		/* 64-bit code */
	uint8_t db;
	uint8_t g;
	uint8_t unusable;	/* null selector / no segment (VMX's flag) */
};

struct boot_dtable {
	uint64_t base;
	uint16_t limit;
};

struct boot_cpu_state {
	uint64_t rip, rsp, rsi, rflags;
	uint64_t rax, rbx;	/* 0 here; a Multiboot entry's magic and info (boot/multiboot.h) */
	uint64_t cr0, cr3, cr4, efer;
	struct boot_segment cs, ds, es, fs, gs, ss, tr, ldtr;
	struct boot_dtable gdt, idt;
};

/* Where things went. */
struct boot_layout {
	uint64_t ram_size;
	uint64_t zero_page;
	uint64_t cmdline;
	uint64_t cmdline_len;		/* without the NUL */
	uint64_t kernel;		/* load address */
	uint64_t kernel_end;		/* load address + init_size */
	uint64_t initrd;		/* 0 when there is none */
	uint64_t initrd_size;
	uint64_t entry;			/* 64-bit entry point */
	size_t e820_entries;
};

/*
 * Loads the bzImage (image, image_len), the optional initrd (initrd,
 * initrd_size; NULL/0 for none) and the command line (NULL = "") into
 * ram[0, ram_size) and fills *layout and *cpu.
 *
 * Errors, all before RAM is written: -EINVAL (NULL ram/image/out, RAM
 * size not a multiple of 4 KiB or below 2 MiB), -E2BIG (RAM above
 * BOOT_RAM_MAX, command line longer than cmdline_size or the low-memory
 * slot), -ENOEXEC (not a usable bzImage, see bzimage_parse(); a load
 * address inside the first MiB), -ENOMEM (the kernel's init_size does not
 * fit in RAM at its load address), -ENOSPC (no room for the initrd above
 * the kernel and below initrd_addr_max).  *reason (if not NULL) says why.
 */
int boot_layout_load(void *ram, uint64_t ram_size, const void *image,
		     size_t image_len, const void *initrd, uint64_t initrd_size,
		     const char *cmdline, struct boot_layout *layout,
		     struct boot_cpu_state *cpu, const char **reason);

/*
 * After boot_layout_load(): adds RAM at [gpa, gpa + size) above the MMIO
 * hole to the zero page's e820 map (RAM beyond BOOT_RAM_MAX lives at
 * 4 GiB and up, machine/memmap.h).  -EINVAL for a range that is not
 * page-aligned, is empty, starts below 4 GiB or wraps; -ENOSPC when the
 * map is full.
 */
int boot_layout_add_high_ram(void *ram, const struct boot_layout *layout,
			     uint64_t gpa, uint64_t size);

/* The pieces, for callers that place things themselves. */

/* Writes the PML4/PDPT/PDs (identity map of 4 GiB) at BOOT_PML4_ADDR.. */
void boot_layout_write_page_tables(uint8_t *ram);
/* Writes the 4-entry GDT at BOOT_GDT_ADDR. */
void boot_layout_write_gdt(uint8_t *ram);
/* The entry state for `entry` with the zero page at `zero_page`. */
void boot_layout_cpu_state(struct boot_cpu_state *cpu, uint64_t entry,
			   uint64_t zero_page);

#endif
