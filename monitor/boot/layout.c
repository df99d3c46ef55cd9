// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * boot/layout.c - place a bzImage, its initrd, command line, zero page,
 * GDT and page tables in guest RAM, and describe the vCPU state at the
 * 64-bit entry point (boot.rst, "64-bit boot protocol"; paging structures
 * per Intel SDM vol. 3A, 4.5 "4-Level Paging"; descriptors per 3.4.5
 * "Segment Descriptors").
 */
#include <errno.h>
#include <string.h>

#include "boot/layout.h"

#define PAGE_4K		4096ull
#define PAGE_2M		(2ull << 20)
#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_PS		(1ull << 7)	/* in a PD entry: maps a 2 MiB page */

static int bad(const char **reason, const char *why, int err)
{
	if (reason)
		*reason = why;
	return err;
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void boot_layout_write_page_tables(uint8_t *ram)
{
	unsigned i, j;

	memset(ram + BOOT_PML4_ADDR, 0, 6 * PAGE_4K);
	put64(ram + BOOT_PML4_ADDR, BOOT_PDPT_ADDR | PTE_P | PTE_RW);
	for (i = 0; i < 4; i++) {
		uint64_t pd = BOOT_PD_ADDR + i * PAGE_4K;

		put64(ram + BOOT_PDPT_ADDR + 8 * i, pd | PTE_P | PTE_RW);
		for (j = 0; j < 512; j++)
			put64(ram + pd + 8 * j,
			      ((uint64_t)i << 30 | (uint64_t)j * PAGE_2M) |
			      PTE_P | PTE_RW | PTE_PS);
	}
}

/*
 * A flat descriptor: base 0, limit 0xfffff in 4 KiB units, present, DPL 0,
 * S = 1, with the given type and L/D bits.
 */
static uint64_t flat_descriptor(unsigned type, unsigned l, unsigned db)
{
	return 0xffffull |			/* limit 15:0 */
	       (uint64_t)(type | 0x10 | 0x80) << 40 |	/* type, S, P */
	       0xfull << 48 |			/* limit 19:16 */
	       (uint64_t)l << 53 | (uint64_t)db << 54 |
	       1ull << 55;			/* G */
}

void boot_layout_write_gdt(uint8_t *ram)
{
	uint8_t *gdt = ram + BOOT_GDT_ADDR;

	memset(gdt, 0, 32);
	/* 0x10: execute/read, accessed, 64-bit (L = 1 requires D = 0) */
	put64(gdt + BOOT_CS_SELECTOR, flat_descriptor(0xb, 1, 0));
	/* 0x18: read/write, accessed, 32-bit default size */
	put64(gdt + BOOT_DS_SELECTOR, flat_descriptor(0x3, 0, 1));
}

static struct boot_segment flat_segment(uint16_t sel, unsigned type,
					unsigned l, unsigned db)
{
	return (struct boot_segment){
		.selector = sel, .base = 0, .limit = 0xffffffff, .type = (uint8_t)type,
		.s = 1, .dpl = 0, .present = 1, .l = (uint8_t)l, .db = (uint8_t)db, .g = 1,
	};
}

void boot_layout_cpu_state(struct boot_cpu_state *cpu, uint64_t entry,
			   uint64_t zero_page)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->rip = entry;
	cpu->rsi = zero_page;			/* the protocol's only argument */
	cpu->rsp = BOOT_STACK_TOP;
	cpu->rflags = BOOT_RFLAGS_FIXED;	/* IF = 0: interrupts off */
	/* NE too: VMX requires it in CR0 (IA32_VMX_CR0_FIXED0) */
	cpu->cr0 = BOOT_CR0_PE | BOOT_CR0_ET | BOOT_CR0_NE | BOOT_CR0_PG;
	cpu->cr3 = BOOT_PML4_ADDR;
	cpu->cr4 = BOOT_CR4_PAE;
	cpu->efer = BOOT_EFER_LME | BOOT_EFER_LMA;
	cpu->cs = flat_segment(BOOT_CS_SELECTOR, 0xb, 1, 0);
	cpu->ds = flat_segment(BOOT_DS_SELECTOR, 0x3, 0, 1);
	cpu->es = cpu->ds;
	cpu->fs = cpu->ds;
	cpu->gs = cpu->ds;
	cpu->ss = cpu->ds;
	/* No TSS or LDT is needed until the kernel sets its own; a busy
	 * 64-bit TSS type keeps VMX's guest-state checks satisfied. */
	cpu->tr = (struct boot_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	cpu->ldtr = (struct boot_segment){ .type = 0x2, .unusable = 1 };
	cpu->gdt.base = BOOT_GDT_ADDR;
	cpu->gdt.limit = 4 * 8 - 1;
	cpu->idt.base = 0;
	cpu->idt.limit = 0;		/* interrupts are off until the kernel's IDT */
}

int boot_layout_load(void *ram, uint64_t ram_size, const void *image,
		     size_t image_len, const void *initrd, uint64_t initrd_size,
		     const char *cmdline, struct boot_layout *layout,
		     struct boot_cpu_state *cpu, const char **reason)
{
	const struct boot_mem_range mem[] = {
		{ 0, BOOT_LOW_RAM_END, BOOT_E820_RAM },
		{ BOOT_LOW_RAM_END, BOOT_HIGH_RAM_START - BOOT_LOW_RAM_END, BOOT_E820_RESERVED },
		{ BOOT_HIGH_RAM_START, ram_size - BOOT_HIGH_RAM_START, BOOT_E820_RAM },
	};
	struct boot_params_config cfg = { .mem = mem, .nr_mem = 3 };
	struct boot_e820_entry map[BOOT_E820_MAX];
	struct boot_params *bp;
	struct bzimage_info bi;
	struct boot_layout lo;
	uint8_t *r = ram;
	size_t nr, cmdlen;
	uint64_t kernel_end;
	int ret;

	if (!ram || !image || !layout || !cpu || (initrd_size && !initrd))
		return bad(reason, "missing argument", -EINVAL);
	if (ram_size % PAGE_4K || ram_size < 2 * BOOT_HIGH_RAM_START)
		return bad(reason, "guest RAM size not a multiple of 4 KiB, or below 2 MiB", -EINVAL);
	if (ram_size > BOOT_RAM_MAX)
		return bad(reason, "guest RAM above 3 GiB is not supported for direct boot yet", -E2BIG);
	if (!cmdline)
		cmdline = "";

	ret = bzimage_parse(image, image_len, &bi, reason);
	if (ret)
		return ret;
	if (bi.load_addr < BOOT_HIGH_RAM_START)
		return bad(reason, "kernel load address inside the first MiB", -ENOEXEC);
	kernel_end = bi.load_addr + bi.init_size;
	if (kernel_end > ram_size)
		return bad(reason, "guest RAM too small for the kernel's init_size at its load address", -ENOMEM);

	cmdlen = strnlen(cmdline, (size_t)bi.cmdline_size + 1);
	if (cmdlen > bi.cmdline_size)
		return bad(reason, "command line longer than the kernel's cmdline_size", -E2BIG);
	if (cmdlen + 1 > BOOT_LOW_RAM_END - BOOT_CMDLINE_ADDR)
		return bad(reason, "command line longer than its low-memory slot", -E2BIG);

	ret = boot_e820_build(mem, 3, map, BOOT_E820_MAX, &nr, reason);
	if (ret)
		return ret;
	memset(&lo, 0, sizeof(lo));
	if (initrd_size) {
		uint64_t min = (kernel_end + PAGE_4K - 1) & ~(PAGE_4K - 1);

		ret = bootparams_place_initrd(map, nr, &bi, initrd_size, min,
					      ram_size, &lo.initrd, reason);
		if (ret)
			return ret == -E2BIG ? ret : bad(reason,
				"no room for the initrd between the kernel and initrd_addr_max",
				-ENOSPC);
		lo.initrd_size = initrd_size;
	}
	cfg.cmdline_addr = BOOT_CMDLINE_ADDR;
	cfg.cmdline = cmdline;
	cfg.initrd_addr = lo.initrd;
	cfg.initrd_size = initrd_size;

	/* Everything checked; from here on only writes to guest RAM. */
	bp = (struct boot_params *)(r + BOOT_ZERO_PAGE_ADDR);
	ret = bootparams_build(bp, image, image_len, &bi, &cfg, reason);
	if (ret)
		return ret;
	memcpy(r + BOOT_CMDLINE_ADDR, cmdline, cmdlen + 1);
	memcpy(r + bi.load_addr, (const uint8_t *)image + bi.kernel_offset, bi.kernel_size);
	/*
	 * The rest of init_size is the kernel's bss/decompression room; the
	 * decompressor clears what it needs (boot.rst asks nothing of the
	 * loader), and guest RAM starts zeroed, so it is left untouched:
	 * writing ~50 MiB here cost most of the monitor's start-up time.
	 */
	if (initrd_size)
		memcpy(r + lo.initrd, initrd, initrd_size);
	boot_layout_write_gdt(r);
	boot_layout_write_page_tables(r);
	boot_layout_cpu_state(cpu, bi.entry64, BOOT_ZERO_PAGE_ADDR);

	lo.ram_size = ram_size;
	lo.zero_page = BOOT_ZERO_PAGE_ADDR;
	lo.cmdline = BOOT_CMDLINE_ADDR;
	lo.cmdline_len = cmdlen;
	lo.kernel = bi.load_addr;
	lo.kernel_end = kernel_end;
	lo.entry = bi.entry64;
	lo.e820_entries = nr;
	*layout = lo;
	return 0;
}

int boot_layout_add_high_ram(void *ram, const struct boot_layout *layout,
			     uint64_t gpa, uint64_t size)
{
	struct boot_params *bp;
	struct boot_e820_entry *e;

	if (!ram || !layout || !size || gpa % PAGE_4K || size % PAGE_4K ||
	    gpa < (4ull << 30) || gpa + size < gpa)
		return -EINVAL;
	bp = (struct boot_params *)((uint8_t *)ram + layout->zero_page);
	if (bp->e820_entries >= BOOT_E820_MAX)
		return -ENOSPC;
	/* Above every entry boot_layout_load() wrote: the map stays sorted. */
	e = &bp->e820_table[bp->e820_entries++];
	e->addr = gpa;
	e->size = size;
	e->type = BOOT_E820_RAM;
	return 0;
}
