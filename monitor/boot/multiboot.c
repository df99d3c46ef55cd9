// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * boot/multiboot.c - Multiboot (version 1) kernels: the header, the image's
 * segments (a.out kludge or ELF32), the information structure and the
 * entry state.  Section numbers are those of the Multiboot Specification
 * version 0.6.96; the ELF fields those of the System V ABI's "ELF Header"
 * and "Program Header"; descriptors per Intel SDM vol. 3A, 3.4.5.
 */
#include <errno.h>
#include <string.h>

#include "boot/e820.h"
#include "boot/multiboot.h"

#define PAGE_4K		4096ull
#define FOUR_GIB	(1ull << 32)

/* ELF32 (System V ABI, "ELF Header", "Program Header"). */
#define ELF_EHDR32_SIZE	52
#define ELF_PHDR32_SIZE	32
#define ELF_CLASS32	1
#define ELF_CLASS64	2
#define ELF_DATA2LSB	1
#define ELF_ET_EXEC	2
#define ELF_EM_386	3
#define ELF_PT_LOAD	1

static int bad(const char **reason, const char *why, int err)
{
	if (reason)
		*reason = why;
	return err;
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static uint16_t get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_4K - 1) & ~(PAGE_4K - 1);
}

int multiboot_find_header(const void *buf, size_t len, struct multiboot_header *hdr,
			  const char **reason)
{
	const uint8_t *p = buf;
	size_t end = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	const char *why = NULL;
	size_t off;

	if (!buf || !hdr)
		return bad(reason, "no image buffer or result", -EINVAL);
	/* 3.1.1: the magic is 32-bit aligned within the first 8192 bytes. */
	for (off = 0; off + 4 <= end; off += 4) {
		uint32_t flags;

		if (get32(p, off) != MB_HEADER_MAGIC)
			continue;
		if (off + MB_HEADER_MIN > end) {
			why = "Multiboot header runs past the first 8192 bytes or the file";
			break;
		}
		flags = get32(p, off + 4);
		if ((uint32_t)(MB_HEADER_MAGIC + flags + get32(p, off + 8)) != 0) {
			/* Data that happens to hold the magic: keep looking. */
			if (!why)
				why = "Multiboot header checksum is wrong";
			continue;
		}
		/* 3.1.2: a requirement the loader does not understand fails the boot. */
		if (flags & MB_HF_REQUIRED_MASK & ~MB_HF_REQUIRED_KNOWN)
			return bad(reason, "Multiboot header requires features this loader lacks (flags 3-15)",
				   -ENOEXEC);
		memset(hdr, 0, sizeof(*hdr));
		hdr->offset = off;
		hdr->flags = flags;
		if (flags & MB_HF_AOUT_KLUDGE) {
			if (off + MB_HEADER_AOUT_END > end)
				return bad(reason, "Multiboot header's address fields run past the "
					   "first 8192 bytes or the file", -ENOEXEC);
			hdr->header_addr = get32(p, off + 12);
			hdr->load_addr = get32(p, off + 16);
			hdr->load_end_addr = get32(p, off + 20);
			hdr->bss_end_addr = get32(p, off + 24);
			hdr->entry_addr = get32(p, off + 28);
		}
		return 0;
	}
	if (why)
		return bad(reason, why, -ENOEXEC);
	return bad(reason, "no Multiboot header in the first 8192 bytes", -ENOENT);
}

/* 3.1.3: the address fields say what to load where. */
static int parse_aout(size_t len, struct multiboot_image *img, const char **reason)
{
	const struct multiboot_header *h = &img->hdr;
	struct multiboot_segment *s = &img->seg[0];
	uint64_t skip, file_size, mem_size;

	if (h->load_addr > h->header_addr)
		return bad(reason, "Multiboot load_addr is above header_addr", -ENOEXEC);
	skip = (uint64_t)h->header_addr - h->load_addr;
	if (skip > h->offset)
		return bad(reason, "Multiboot header_addr - load_addr reaches before the file's start",
			   -ENOEXEC);
	s->file_offset = h->offset - skip;
	if (h->load_end_addr) {
		if (h->load_end_addr <= h->load_addr)
			return bad(reason, "Multiboot load_end_addr is not above load_addr", -ENOEXEC);
		file_size = (uint64_t)h->load_end_addr - h->load_addr;
		if (file_size > len - s->file_offset)
			return bad(reason, "Multiboot load_end_addr is past the end of the file",
				   -ENOEXEC);
	} else {
		/* 0: text and data fill the rest of the file. */
		file_size = len - s->file_offset;
	}
	mem_size = file_size;
	if (h->bss_end_addr) {
		if ((uint64_t)h->bss_end_addr < h->load_addr + file_size)
			return bad(reason, "Multiboot bss_end_addr is below the loaded image's end",
				   -ENOEXEC);
		mem_size = (uint64_t)h->bss_end_addr - h->load_addr;
	}
	if (h->load_addr + mem_size > FOUR_GIB)
		return bad(reason, "Multiboot image runs past 4 GiB", -ENOEXEC);
	if (h->entry_addr < h->load_addr || h->entry_addr - h->load_addr >= file_size)
		return bad(reason, "Multiboot entry_addr is outside the loaded image", -ENOEXEC);
	s->file_size = file_size;
	s->addr = h->load_addr;
	s->mem_size = mem_size;
	img->nr_segments = 1;
	img->entry = h->entry_addr;
	return 0;
}

/* An ELF32 executable's PT_LOAD segments, at their physical addresses. */
static int parse_elf(const uint8_t *p, size_t len, struct multiboot_image *img,
		     const char **reason)
{
	bool entry_found = false;
	uint32_t entry, phoff;
	uint16_t phentsize, phnum;
	unsigned int i, j;

	if (len < ELF_EHDR32_SIZE)
		return bad(reason, "ELF file too short for its header", -ENOEXEC);
	entry = get32(p, 24);
	phoff = get32(p, 28);
	phentsize = get16(p, 42);
	phnum = get16(p, 44);
	if (p[5] != ELF_DATA2LSB || get16(p, 16) != ELF_ET_EXEC || get16(p, 18) != ELF_EM_386)
		return bad(reason, "not a little-endian i386 ELF executable", -ENOEXEC);
	if (phentsize < ELF_PHDR32_SIZE || phnum == 0)
		return bad(reason, "ELF program header table is empty or its entries too small",
			   -ENOEXEC);
	if (phoff > len || (uint64_t)phnum * phentsize > len - phoff)
		return bad(reason, "ELF program header table runs past the end of the file",
			   -ENOEXEC);
	img->nr_segments = 0;
	for (i = 0; i < phnum; i++) {
		const uint8_t *ph = p + phoff + (size_t)i * phentsize;
		struct multiboot_segment s;
		uint32_t vaddr = get32(ph, 8);

		if (get32(ph, 0) != ELF_PT_LOAD)
			continue;
		s.file_offset = get32(ph, 4);
		s.addr = get32(ph, 12);		/* p_paddr: where it goes */
		s.file_size = get32(ph, 16);
		s.mem_size = get32(ph, 20);
		if (s.file_size > s.mem_size)
			return bad(reason, "ELF segment has p_filesz above p_memsz", -ENOEXEC);
		if (s.file_offset > len || s.file_size > len - s.file_offset)
			return bad(reason, "ELF segment runs past the end of the file", -ENOEXEC);
		if (s.addr + s.mem_size > FOUR_GIB)
			return bad(reason, "ELF segment runs past 4 GiB", -ENOEXEC);
		/*
		 * The entry point is a virtual address; GRUB and QEMU enter at
		 * the physical address of the byte it names.  It must be a
		 * byte the file provides, not bss.
		 */
		if (!entry_found && entry >= vaddr && entry - vaddr < s.file_size) {
			img->entry = (uint32_t)(s.addr + (entry - vaddr));
			entry_found = true;
		}
		if (s.mem_size == 0)
			continue;
		if (img->nr_segments == MB_MAX_SEGMENTS)
			return bad(reason, "ELF file has too many loadable segments", -ENOEXEC);
		for (j = 0; j < img->nr_segments; j++)
			if (s.addr < img->seg[j].addr + img->seg[j].mem_size &&
			    img->seg[j].addr < s.addr + s.mem_size)
				return bad(reason, "ELF segments overlap", -ENOEXEC);
		img->seg[img->nr_segments++] = s;
	}
	if (img->nr_segments == 0)
		return bad(reason, "ELF file has no loadable segment", -ENOEXEC);
	if (!entry_found)
		return bad(reason, "ELF entry point is outside every loaded segment", -ENOEXEC);
	return 0;
}

int multiboot_parse(const void *buf, size_t len, struct multiboot_image *img,
		    const char **reason)
{
	const uint8_t *p = buf;
	unsigned int i;
	int ret;

	if (!buf || !img)
		return bad(reason, "no image buffer or result", -EINVAL);
	memset(img, 0, sizeof(*img));
	ret = multiboot_find_header(buf, len, &img->hdr, reason);
	if (ret)
		return ret;
	if (img->hdr.flags & MB_HF_AOUT_KLUDGE) {
		ret = parse_aout(len, img, reason);
	} else {
		if (len < 6 || memcmp(p, "\177ELF", 4))
			return bad(reason, "Multiboot image without address fields (flag 16) is "
				   "not an ELF file", -ENOEXEC);
		if (p[4] == ELF_CLASS64)
			return bad(reason, "a 64-bit ELF Multiboot kernel: give a 32-bit one "
				   "(as QEMU asks)", -ENOEXEC);
		if (p[4] != ELF_CLASS32)
			return bad(reason, "ELF file of unknown class", -ENOEXEC);
		img->elf = true;
		ret = parse_elf(p, len, img, reason);
	}
	if (ret)
		return ret;
	img->start = UINT64_MAX;
	for (i = 0; i < img->nr_segments; i++) {
		if (img->seg[i].addr < img->start)
			img->start = img->seg[i].addr;
		if (img->seg[i].addr + img->seg[i].mem_size > img->end)
			img->end = img->seg[i].addr + img->seg[i].mem_size;
	}
	return 0;
}

/*
 * 32-bit flat descriptors (base 0, limit 4 GiB, G = 1, D/B = 1, P, DPL 0):
 * execute/read accessed code, read/write accessed data.
 */
#define MB_GDT_CODE32	0x00cf9b000000ffffull
#define MB_GDT_DATA32	0x00cf93000000ffffull
#define MB_GDT_SIZE	32

static struct boot_segment flat32(uint16_t sel, uint8_t type)
{
	return (struct boot_segment){
		.selector = sel, .base = 0, .limit = 0xffffffff, .type = type,
		.s = 1, .dpl = 0, .present = 1, .l = 0, .db = 1, .g = 1,
	};
}

void multiboot_cpu_state(struct boot_cpu_state *cpu, uint32_t entry, uint32_t info,
			 uint32_t gdt, uint32_t esp)
{
	memset(cpu, 0, sizeof(*cpu));
	/* 3.2: EAX the magic, EBX the information structure's address. */
	cpu->rax = MB_BOOTLOADER_MAGIC;
	cpu->rbx = info;
	cpu->rip = entry;
	cpu->rsp = esp;
	cpu->rflags = BOOT_RFLAGS_FIXED;	/* IF = 0, VM = 0 */
	/* PE = 1, PG = 0; ET and NE as on the 64-bit entry (VMX wants NE). */
	cpu->cr0 = BOOT_CR0_PE | BOOT_CR0_ET | BOOT_CR0_NE;
	cpu->cs = flat32(MB_CS_SELECTOR, 0xb);
	cpu->ds = flat32(MB_DS_SELECTOR, 0x3);
	cpu->es = cpu->ds;
	cpu->fs = cpu->ds;
	cpu->gs = cpu->ds;
	cpu->ss = cpu->ds;
	/* A busy 32-bit TSS type satisfies VMX's checks; the OS loads its own. */
	cpu->tr = (struct boot_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	cpu->ldtr = (struct boot_segment){ .type = 0x2, .unusable = 1 };
	/* 3.2: GDTR and IDTR are the OS's to set; a valid GDT costs nothing. */
	cpu->gdt.base = gdt;
	cpu->gdt.limit = MB_GDT_SIZE - 1;
}

/* Sizes of the boot block's parts, worked out before anything is written. */
struct block_plan {
	size_t cmdline_len;
	size_t mod_string_len[MB_MAX_MODULES];
	uint64_t mmap_len;
	uint64_t size;
};

static int plan_block(const struct multiboot_module *mods, size_t nr_mods,
		      const char *cmdline, size_t nr_map, struct block_plan *bp,
		      const char **reason)
{
	uint64_t strings;
	size_t i;

	bp->cmdline_len = strnlen(cmdline, MB_MAX_STRING);
	if (bp->cmdline_len == MB_MAX_STRING)
		return bad(reason, "command line too long", -E2BIG);
	strings = bp->cmdline_len + 1 + sizeof(MB_LOADER_NAME);
	for (i = 0; i < nr_mods; i++) {
		const char *s = mods[i].string ? mods[i].string : "";

		bp->mod_string_len[i] = strnlen(s, MB_MAX_STRING);
		if (bp->mod_string_len[i] == MB_MAX_STRING)
			return bad(reason, "module string too long", -E2BIG);
		strings += bp->mod_string_len[i] + 1;
	}
	bp->mmap_len = (uint64_t)nr_map * MB_MMAP_ENTRY_SIZE;
	/* GDT, info, mmap, module list, strings; then the 16-byte aligned stack. */
	bp->size = MB_GDT_SIZE + MB_INFO_SIZE + bp->mmap_len + nr_mods * MB_MODULE_SIZE + strings;
	bp->size = ((bp->size + 15) & ~15ull) + MB_STACK_SIZE;
	return 0;
}

/* Writes the boot block at lo->block (everything already checked). */
static void write_block(uint8_t *ram, const struct multiboot_module *mods, size_t nr_mods,
			const uint64_t *mod_addr, const char *cmdline,
			const struct boot_e820_entry *map, size_t nr_map,
			uint64_t ram_size, const struct block_plan *bp,
			struct multiboot_layout *lo)
{
	uint64_t at = lo->block, str;
	uint8_t *info;
	size_t i;

	memset(ram + lo->block, 0, lo->block_end - lo->block);
	lo->gdt = at;
	put64(ram + at + MB_CS_SELECTOR, MB_GDT_CODE32);
	put64(ram + at + MB_DS_SELECTOR, MB_GDT_DATA32);
	at += MB_GDT_SIZE;
	lo->info = at;
	info = ram + at;
	at += MB_INFO_SIZE;
	lo->mmap = at;
	lo->mmap_length = bp->mmap_len;
	/* 3.3: each entry's size field counts the 20 bytes after it. */
	for (i = 0; i < nr_map; i++, at += MB_MMAP_ENTRY_SIZE) {
		put32(ram + at, MB_MMAP_ENTRY_SIZE - 4);
		put64(ram + at + 4, map[i].addr);
		put64(ram + at + 12, map[i].size);
		put32(ram + at + 20, map[i].type);
	}
	lo->mod_list = at;
	str = at + nr_mods * MB_MODULE_SIZE;
	lo->cmdline = str;
	memcpy(ram + str, cmdline, bp->cmdline_len);
	str += bp->cmdline_len + 1;
	put32(info + MB_INFO_OFF_LOADER_NAME, (uint32_t)str);
	memcpy(ram + str, MB_LOADER_NAME, sizeof(MB_LOADER_NAME));
	str += sizeof(MB_LOADER_NAME);
	for (i = 0; i < nr_mods; i++, at += MB_MODULE_SIZE) {
		/* mod_end is the first byte after the module (as GRUB and QEMU). */
		put32(ram + at, (uint32_t)mod_addr[i]);
		put32(ram + at + 4, (uint32_t)(mod_addr[i] + mods[i].size));
		put32(ram + at + 8, (uint32_t)str);
		if (bp->mod_string_len[i])
			memcpy(ram + str, mods[i].string, bp->mod_string_len[i]);
		str += bp->mod_string_len[i] + 1;
	}
	/*
	 * 3.3: mem_lower from 0 (at most 640 KiB), mem_upper the contiguous
	 * RAM from 1 MiB up to the first hole (the RAM below 4 GiB here).
	 */
	put32(info + MB_INFO_OFF_FLAGS, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS |
					MB_INFO_MMAP | MB_INFO_LOADER_NAME);
	put32(info + MB_INFO_OFF_MEM_LOWER, (uint32_t)(BOOT_LOW_RAM_END >> 10));
	put32(info + MB_INFO_OFF_MEM_UPPER, (uint32_t)((ram_size - BOOT_HIGH_RAM_START) >> 10));
	put32(info + MB_INFO_OFF_CMDLINE, (uint32_t)lo->cmdline);
	put32(info + MB_INFO_OFF_MODS_COUNT, (uint32_t)nr_mods);
	put32(info + MB_INFO_OFF_MODS_ADDR, (uint32_t)lo->mod_list);
	put32(info + MB_INFO_OFF_MMAP_LENGTH, (uint32_t)lo->mmap_length);
	put32(info + MB_INFO_OFF_MMAP_ADDR, (uint32_t)lo->mmap);
}

int multiboot_load(void *ram, uint64_t ram_size, uint64_t high_ram,
		   const void *image, size_t image_len,
		   const struct multiboot_module *mods, size_t nr_mods,
		   const char *cmdline, struct multiboot_layout *layout,
		   struct boot_cpu_state *cpu, const char **reason)
{
	const struct boot_mem_range mem[] = {
		{ 0, BOOT_LOW_RAM_END, BOOT_E820_RAM },
		{ BOOT_LOW_RAM_END, BOOT_HIGH_RAM_START - BOOT_LOW_RAM_END, BOOT_E820_RESERVED },
		{ BOOT_HIGH_RAM_START, ram_size - BOOT_HIGH_RAM_START, BOOT_E820_RAM },
		{ FOUR_GIB, high_ram, BOOT_E820_RAM },
	};
	uint64_t mod_addr[MB_MAX_MODULES];
	struct boot_e820_entry map[BOOT_E820_MAX];
	struct multiboot_image img;
	struct multiboot_layout lo;
	struct block_plan bp;
	uint8_t *r = ram;
	uint64_t at;
	size_t i, nr_map;
	int ret;

	if (!ram || !image || !layout || !cpu || (nr_mods && !mods))
		return bad(reason, "missing argument", -EINVAL);
	if (ram_size % PAGE_4K || ram_size < 2 * BOOT_HIGH_RAM_START)
		return bad(reason, "guest RAM size not a multiple of 4 KiB, or below 2 MiB", -EINVAL);
	if (ram_size > BOOT_RAM_MAX)
		return bad(reason, "guest RAM below 4 GiB above 3 GiB", -E2BIG);
	if (nr_mods > MB_MAX_MODULES)
		return bad(reason, "more than 64 Multiboot modules", -E2BIG);
	for (i = 0; i < nr_mods; i++)
		if (mods[i].size && !mods[i].data)
			return bad(reason, "module without data", -EINVAL);
	if (!cmdline)
		cmdline = "";

	ret = multiboot_parse(image, image_len, &img, reason);
	if (ret)
		return ret;
	ret = boot_e820_build(mem, high_ram ? 4 : 3, map, BOOT_E820_MAX, &nr_map, reason);
	if (ret)
		return ret;
	/* Each segment in RAM below 4 GiB: not the BIOS hole, not MMIO. */
	for (i = 0; i < img.nr_segments; i++)
		if (img.seg[i].addr + img.seg[i].mem_size > ram_size ||
		    !boot_e820_is_ram(map, nr_map, img.seg[i].addr, img.seg[i].mem_size))
			return bad(reason, "Multiboot kernel loads outside the guest's RAM below 4 GiB",
				   -ENOEXEC);
	ret = plan_block(mods, nr_mods, cmdline, nr_map, &bp, reason);
	if (ret)
		return ret;

	/* Modules, then the block: page aligned, above the kernel and 1 MiB. */
	memset(&lo, 0, sizeof(lo));
	at = page_up(img.end > BOOT_HIGH_RAM_START ? img.end : BOOT_HIGH_RAM_START);
	lo.mods = at;
	for (i = 0; i < nr_mods; i++) {
		if (mods[i].size > ram_size - at)
			return bad(reason, "no room in the guest's RAM for the Multiboot modules",
				   -ENOSPC);
		mod_addr[i] = at;
		at = page_up(at + mods[i].size);
		if (at > ram_size)
			return bad(reason, "no room in the guest's RAM for the Multiboot modules",
				   -ENOSPC);
	}
	if (bp.size > ram_size - at)
		return bad(reason, "no room in the guest's RAM for the Multiboot information",
			   -ENOSPC);
	lo.block = at;
	lo.block_end = at + bp.size;

	/* Everything checked; from here on only writes to guest RAM. */
	for (i = 0; i < img.nr_segments; i++) {
		const struct multiboot_segment *s = &img.seg[i];

		memcpy(r + s->addr, (const uint8_t *)image + s->file_offset, s->file_size);
		memset(r + s->addr + s->file_size, 0, s->mem_size - s->file_size);
	}
	for (i = 0; i < nr_mods; i++)
		if (mods[i].size)
			memcpy(r + mod_addr[i], mods[i].data, mods[i].size);
	write_block(r, mods, nr_mods, mod_addr, cmdline, map, nr_map, ram_size, &bp, &lo);
	lo.entry = img.entry;
	lo.kernel_start = img.start;
	lo.kernel_end = img.end;
	lo.e820_entries = nr_map;
	multiboot_cpu_state(cpu, img.entry, (uint32_t)lo.info, (uint32_t)lo.gdt,
			    (uint32_t)lo.block_end);
	*layout = lo;
	return 0;
}
