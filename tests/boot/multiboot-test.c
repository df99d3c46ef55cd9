// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * multiboot-test.c - the Multiboot (version 1) loader (monitor/boot/
 * multiboot.c): an a.out-kludge image and an ELF32 image loaded with
 * modules into a malloc'd guest RAM, the information structure, memory
 * map, module list and entry state read back; every header and ELF field
 * broken one at a time; every truncation; random images from a fixed
 * seed.  A refused image leaves RAM untouched.  TAP lines without a plan.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "boot/multiboot.h"

#define MiB (1ull << 20)
#define RAM_SIZE (8 * MiB)
#define FILL 0xa5

static uint8_t *ram;

static void put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	put16(p, off, (uint16_t)v);
	put16(p, off + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p, uint64_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static uint64_t get64(const uint8_t *p, uint64_t off)
{
	return get32(p, off) | (uint64_t)get32(p, off + 4) << 32;
}

static void ram_fill(void)
{
	memset(ram, FILL, RAM_SIZE);
}

static int ram_untouched(void)
{
	size_t i;

	for (i = 0; i < RAM_SIZE; i++)
		if (ram[i] != FILL)
			return 0;
	return 1;
}

/* --- an a.out-kludge image: header at HDR_OFF, loaded at 1 MiB --- */
#define AOUT_LEN	0x3000
#define AOUT_HDR_OFF	0x40
#define AOUT_LOAD	0x100000u
#define AOUT_BSS	0x2000u
static uint8_t aout[AOUT_LEN];

static void mb_header(uint8_t *p, size_t off, uint32_t flags)
{
	put32(p, off, MB_HEADER_MAGIC);
	put32(p, off + 4, flags);
	put32(p, off + 8, (uint32_t)-(MB_HEADER_MAGIC + flags));
}

static void make_aout(void)
{
	size_t i;

	for (i = 0; i < AOUT_LEN; i++)
		aout[i] = (uint8_t)(i * 7 + 3);
	mb_header(aout, AOUT_HDR_OFF, MB_HF_PAGE_ALIGN | MB_HF_MEMORY_INFO | MB_HF_AOUT_KLUDGE);
	put32(aout, AOUT_HDR_OFF + 12, AOUT_LOAD + AOUT_HDR_OFF);	/* header_addr */
	put32(aout, AOUT_HDR_OFF + 16, AOUT_LOAD);			/* load_addr */
	put32(aout, AOUT_HDR_OFF + 20, AOUT_LOAD + AOUT_LEN);		/* load_end_addr */
	put32(aout, AOUT_HDR_OFF + 24, AOUT_LOAD + AOUT_LEN + AOUT_BSS);	/* bss_end_addr */
	put32(aout, AOUT_HDR_OFF + 28, AOUT_LOAD + 0x1000);		/* entry_addr */
}

/* Re-signs the header after a field changed (the checksum covers flags only). */
static void aout_set(size_t field_off, uint32_t v)
{
	put32(aout, AOUT_HDR_OFF + field_off, v);
	if (field_off == 4)
		put32(aout, AOUT_HDR_OFF + 8, (uint32_t)-(MB_HEADER_MAGIC + v));
}

/* --- an ELF32 image: two PT_LOAD segments (virtual 0xc0100000 -> 1 MiB) --- */
#define ELF_LEN		0x3000
#define ELF_PHOFF	52
#define SEG0_OFF	0x1000
#define SEG0_SIZE	0x1000
#define SEG1_OFF	0x2000
#define SEG1_FILE	0x800
#define SEG1_MEM	0x3000
#define SEG0_PADDR	0x100000u
#define SEG0_VADDR	0xc0100000u
#define SEG1_PADDR	0x200000u
#define ELF_ENTRY	(SEG0_VADDR + 0x20)
static uint8_t elf[ELF_LEN];

static void elf_phdr(uint8_t *p, unsigned i, uint32_t type, uint32_t off, uint32_t vaddr,
		     uint32_t paddr, uint32_t filesz, uint32_t memsz)
{
	uint8_t *ph = p + ELF_PHOFF + 32 * i;

	put32(ph, 0, type);
	put32(ph, 4, off);
	put32(ph, 8, vaddr);
	put32(ph, 12, paddr);
	put32(ph, 16, filesz);
	put32(ph, 20, memsz);
	put32(ph, 24, 5);
	put32(ph, 28, 0x1000);
}

static void make_elf(void)
{
	size_t i;

	memset(elf, 0, sizeof(elf));
	for (i = SEG0_OFF; i < ELF_LEN; i++)
		elf[i] = (uint8_t)(i * 13 + 1);
	memcpy(elf, "\177ELF", 4);
	elf[4] = 1;		/* ELFCLASS32 */
	elf[5] = 1;		/* little endian */
	elf[6] = 1;		/* EV_CURRENT */
	put16(elf, 16, 2);	/* ET_EXEC */
	put16(elf, 18, 3);	/* EM_386 */
	put32(elf, 20, 1);
	put32(elf, 24, ELF_ENTRY);
	put32(elf, 28, ELF_PHOFF);
	put16(elf, 40, 52);
	put16(elf, 42, 32);
	put16(elf, 44, 3);
	/* A PT_NOTE, then the two loads. */
	elf_phdr(elf, 0, 4, 0, 0, 0, 0, 0);
	elf_phdr(elf, 1, 1, SEG0_OFF, SEG0_VADDR, SEG0_PADDR, SEG0_SIZE, SEG0_SIZE);
	elf_phdr(elf, 2, 1, SEG1_OFF, SEG1_PADDR, SEG1_PADDR, SEG1_FILE, SEG1_MEM);
	/* The Multiboot header, in the first segment's bytes (within 8 KiB). */
	mb_header(elf, SEG0_OFF + 0x10, MB_HF_PAGE_ALIGN);
}

static const char mod0[] = "module zero's bytes";
static uint8_t mod1[5000];
static const struct multiboot_module mods[] = {
	{ mod0, sizeof(mod0), "mod0 arg1 arg2" },
	{ mod1, sizeof(mod1), NULL },
};

static int load(const void *img, size_t len, uint64_t high, const struct multiboot_module *m,
		size_t nm, const char *cmdline, struct multiboot_layout *lo,
		struct boot_cpu_state *cpu, const char **why)
{
	/* An exact-size copy, so that ASan sees any read past the image. */
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, img, len);
	*why = NULL;
	ret = multiboot_load(ram, RAM_SIZE, high, copy, len, m, nm, cmdline, lo, cpu, why);
	free(copy);
	return ret;
}

static int no_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a + alen <= b || b + blen <= a;
}

/* The information structure and everything it points at. */
static void check_info(const char *what, const struct multiboot_layout *lo,
		       const struct boot_cpu_state *cpu, uint64_t kstart, uint64_t kend,
		       const char *cmdline, uint64_t high)
{
	const uint8_t *info = ram + lo->info;
	uint32_t flags = get32(info, MB_INFO_OFF_FLAGS), n, i, mods_addr, mmap, mlen;
	uint64_t prev_end = 0;
	int ok;

	tap_ok(flags == (MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MMAP |
			 MB_INFO_LOADER_NAME), "%s: info flags 0x%x", what, flags);
	tap_ok(get32(info, MB_INFO_OFF_MEM_LOWER) == 639, "%s: mem_lower 639 KiB", what);
	tap_ok(get32(info, MB_INFO_OFF_MEM_UPPER) == (RAM_SIZE - MiB) / 1024,
	       "%s: mem_upper %u KiB", what, get32(info, MB_INFO_OFF_MEM_UPPER));
	tap_ok(!strcmp((char *)ram + get32(info, MB_INFO_OFF_CMDLINE), cmdline),
	       "%s: cmdline '%s'", what, cmdline);
	tap_ok(!strcmp((char *)ram + get32(info, MB_INFO_OFF_LOADER_NAME), "vmain"),
	       "%s: boot_loader_name 'vmain'", what);
	n = get32(info, MB_INFO_OFF_MODS_COUNT);
	mods_addr = get32(info, MB_INFO_OFF_MODS_ADDR);
	tap_ok(n == 2, "%s: mods_count 2", what);
	for (i = 0; i < n && i < 2; i++) {
		uint32_t s = get32(ram, mods_addr + 16 * i), e = get32(ram, mods_addr + 16 * i + 4);
		const char *str = (char *)ram + get32(ram, mods_addr + 16 * i + 8);

		tap_ok(s % 4096 == 0 && s >= kend && s >= MiB && s >= prev_end,
		       "%s: module %u at 0x%x: page aligned, above the kernel and the one before",
		       what, i, s);
		tap_ok(e - s == mods[i].size && !memcmp(ram + s, mods[i].data, mods[i].size),
		       "%s: module %u: mod_end - mod_start = its size, its bytes", what, i);
		tap_ok(!strcmp(str, mods[i].string ? mods[i].string : ""),
		       "%s: module %u's string '%s'", what, i, str);
		tap_ok(get32(ram, mods_addr + 16 * i + 12) == 0, "%s: module %u reserved 0", what, i);
		prev_end = e;
	}
	mmap = get32(info, MB_INFO_OFF_MMAP_ADDR);
	mlen = get32(info, MB_INFO_OFF_MMAP_LENGTH);
	tap_ok(mlen == (high ? 4u : 3u) * 24, "%s: mmap_length %u", what, mlen);
	ok = 1;
	for (i = 0; i + 24 <= mlen; i += 24)
		ok &= get32(ram, mmap + i) == 20;
	tap_ok(ok, "%s: every mmap entry's size is 20", what);
	ok = get64(ram, mmap + 4) == 0 && get64(ram, mmap + 12) == 0x9fc00 &&
	     get32(ram, mmap + 20) == 1 &&
	     get64(ram, mmap + 28) == 0x9fc00 && get64(ram, mmap + 36) == MiB - 0x9fc00 &&
	     get32(ram, mmap + 44) == 2 &&
	     get64(ram, mmap + 52) == MiB && get64(ram, mmap + 60) == RAM_SIZE - MiB &&
	     get32(ram, mmap + 68) == 1;
	if (high)
		ok &= get64(ram, mmap + 76) == 4ull << 30 && get64(ram, mmap + 84) == high &&
		      get32(ram, mmap + 92) == 1;
	tap_ok(ok, "%s: mmap: low RAM, the BIOS hole reserved, RAM from 1 MiB%s", what,
	       high ? ", RAM at 4 GiB" : "");
	tap_ok(no_overlap(lo->block, lo->block_end - lo->block, kstart, kend - kstart) &&
	       lo->block >= prev_end && lo->block_end <= RAM_SIZE && lo->block % 4096 == 0,
	       "%s: the boot block [0x%llx, 0x%llx) overlaps nothing", what,
	       (unsigned long long)lo->block, (unsigned long long)lo->block_end);
	tap_ok(lo->info >= lo->block && lo->info + MB_INFO_SIZE <= lo->block_end &&
	       lo->mmap >= lo->block && lo->mmap + mlen <= lo->block_end,
	       "%s: info and mmap inside the block", what);

	/* 3.2 Machine state. */
	tap_ok(cpu->rax == MB_BOOTLOADER_MAGIC && cpu->rbx == lo->info,
	       "%s: EAX 0x2BADB002, EBX the info structure", what);
	tap_ok(cpu->cr0 & BOOT_CR0_PE && !(cpu->cr0 & BOOT_CR0_PG) && cpu->efer == 0 &&
	       cpu->cr4 == 0, "%s: protected mode, paging off, EFER 0", what);
	tap_ok(cpu->rflags == 2, "%s: EFLAGS IF = VM = 0", what);
	tap_ok(cpu->cs.selector == MB_CS_SELECTOR && cpu->cs.db && !cpu->cs.l &&
	       cpu->cs.limit == 0xffffffff && cpu->cs.base == 0 && cpu->cs.type == 0xb &&
	       cpu->cs.present && cpu->cs.s,
	       "%s: CS a flat 32-bit code segment", what);
	tap_ok(cpu->ds.selector == MB_DS_SELECTOR && cpu->ds.db && cpu->ds.type == 0x3 &&
	       cpu->ds.limit == 0xffffffff && !memcmp(&cpu->ds, &cpu->ss, sizeof(cpu->ds)) &&
	       !memcmp(&cpu->ds, &cpu->es, sizeof(cpu->ds)) &&
	       !memcmp(&cpu->ds, &cpu->fs, sizeof(cpu->ds)) &&
	       !memcmp(&cpu->ds, &cpu->gs, sizeof(cpu->ds)),
	       "%s: DS/ES/FS/GS/SS flat 32-bit data", what);
	tap_ok(cpu->gdt.base == lo->gdt && cpu->gdt.limit == 31 &&
	       get64(ram, lo->gdt + MB_CS_SELECTOR) == 0x00cf9b000000ffffull &&
	       get64(ram, lo->gdt + MB_DS_SELECTOR) == 0x00cf93000000ffffull,
	       "%s: the GDT in RAM matches the selectors", what);
	tap_ok(cpu->rsp == lo->block_end && cpu->rsp % 16 == 0,
	       "%s: ESP the top of the block's scratch stack", what);
}

static void test_aout(void)
{
	struct multiboot_layout lo;
	struct boot_cpu_state cpu;
	const char *why;
	size_t i;
	int ret, ok;

	make_aout();
	for (i = 0; i < sizeof(mod1); i++)
		mod1[i] = (uint8_t)(i ^ 0x5a);
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, mods, 2, "/boot/kernel console=ttyS0", &lo, &cpu, &why);
	tap_ok(ret == 0, "a.out: loads (%d %s)", ret, why ? why : "");
	if (ret)
		return;
	tap_ok(lo.entry == AOUT_LOAD + 0x1000 && cpu.rip == lo.entry, "a.out: entry_addr");
	tap_ok(!memcmp(ram + AOUT_LOAD, aout, AOUT_LEN), "a.out: the file at load_addr");
	ok = 1;
	for (i = 0; i < AOUT_BSS; i++)
		ok &= ram[AOUT_LOAD + AOUT_LEN + i] == 0;
	tap_ok(ok, "a.out: bss up to bss_end_addr zeroed");
	tap_ok(ram[AOUT_LOAD - 1] == FILL, "a.out: nothing written below load_addr");
	tap_ok(lo.kernel_start == AOUT_LOAD && lo.kernel_end == AOUT_LOAD + AOUT_LEN + AOUT_BSS,
	       "a.out: kernel [load_addr, bss_end_addr)");
	check_info("a.out", &lo, &cpu, AOUT_LOAD, AOUT_LOAD + AOUT_LEN + AOUT_BSS,
		   "/boot/kernel console=ttyS0", 0);

	/* Header found further in, with load_addr below it: offset arithmetic. */
	make_aout();
	aout_set(12, AOUT_LOAD + AOUT_HDR_OFF - 0x20);	/* header 0x20 into the load */
	aout_set(20, 0);
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, mods, 2, "", &lo, &cpu, &why);
	tap_ok(ret == 0 && !memcmp(ram + AOUT_LOAD, aout + 0x20, AOUT_LEN - 0x20),
	       "a.out: loading starts at header offset - (header_addr - load_addr)");

	/* load_end_addr 0 = the rest of the file; bss_end_addr 0 = no bss. */
	make_aout();
	aout_set(20, 0);
	aout_set(24, 0);
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, mods, 2, "", &lo, &cpu, &why);
	tap_ok(ret == 0 && lo.kernel_end == AOUT_LOAD + AOUT_LEN &&
	       !memcmp(ram + AOUT_LOAD, aout, AOUT_LEN),
	       "a.out: load_end_addr 0 loads the whole file, bss_end_addr 0 no bss");

	/* A partial load_end_addr: only that much of the file. */
	make_aout();
	aout_set(20, AOUT_LOAD + 0x1800);
	aout_set(24, 0);
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, mods, 2, "", &lo, &cpu, &why);
	tap_ok(ret == 0 && !memcmp(ram + AOUT_LOAD, aout, 0x1800) &&
	       ram[AOUT_LOAD + 0x1800] == FILL, "a.out: load_end_addr bounds the copy");

	/* High RAM appears in the map; the video flag is ignored; optional flags too. */
	make_aout();
	aout_set(4, MB_HF_AOUT_KLUDGE | MB_HF_VIDEO_MODE | 0xfffe0000u);
	ram_fill();
	ret = load(aout, AOUT_LEN, 1ull << 30, mods, 2, "x", &lo, &cpu, &why);
	tap_ok(ret == 0, "a.out: video flag (2) and unknown optional flags (17-31) accepted (%s)",
	       why ? why : "");
	if (!ret)
		check_info("a.out, 1 GiB at 4 GiB", &lo, &cpu, AOUT_LOAD,
			   AOUT_LOAD + AOUT_LEN + AOUT_BSS, "x", 1ull << 30);

	/* No modules at all. */
	make_aout();
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, NULL, 0, NULL, &lo, &cpu, &why);
	tap_ok(ret == 0 && get32(ram + lo.info, MB_INFO_OFF_MODS_COUNT) == 0 &&
	       ram[get32(ram + lo.info, MB_INFO_OFF_CMDLINE)] == 0,
	       "no modules, no command line: mods_count 0, cmdline ''");
	/* A kernel below 1 MiB: modules and the block still start at 1 MiB. */
	make_aout();
	aout_set(12, 0x10000 + AOUT_HDR_OFF);
	aout_set(16, 0x10000);
	aout_set(20, 0x10000 + AOUT_LEN);
	aout_set(24, 0);
	aout_set(28, 0x10000);
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, mods, 2, "", &lo, &cpu, &why);
	tap_ok(ret == 0 && !memcmp(ram + 0x10000, aout, AOUT_LEN) && lo.mods == MiB,
	       "a.out at 64 KiB: loads; modules from 1 MiB");
}

static void test_elf(void)
{
	struct multiboot_layout lo;
	struct boot_cpu_state cpu;
	const char *why;
	size_t i;
	int ret, ok;

	make_elf();
	ram_fill();
	ret = load(elf, ELF_LEN, 0, mods, 2, "elf kernel", &lo, &cpu, &why);
	tap_ok(ret == 0, "ELF: loads (%d %s)", ret, why ? why : "");
	if (ret)
		return;
	tap_ok(lo.entry == SEG0_PADDR + 0x20 && cpu.rip == lo.entry,
	       "ELF: virtual entry 0x%x entered at its physical address 0x%x",
	       ELF_ENTRY, lo.entry);
	tap_ok(!memcmp(ram + SEG0_PADDR, elf + SEG0_OFF, SEG0_SIZE) &&
	       !memcmp(ram + SEG1_PADDR, elf + SEG1_OFF, SEG1_FILE),
	       "ELF: each PT_LOAD's bytes at its p_paddr");
	ok = 1;
	for (i = SEG1_FILE; i < SEG1_MEM; i++)
		ok &= ram[SEG1_PADDR + i] == 0;
	tap_ok(ok && ram[SEG0_PADDR + SEG0_SIZE] == FILL,
	       "ELF: p_memsz beyond p_filesz zeroed, nothing past it");
	tap_ok(lo.kernel_start == SEG0_PADDR && lo.kernel_end == SEG1_PADDR + SEG1_MEM,
	       "ELF: kernel spans the segments");
	check_info("ELF", &lo, &cpu, SEG0_PADDR, SEG1_PADDR + SEG1_MEM, "elf kernel", 0);
	/* Flag 16 wins over ELF (3.1.3): the address fields are used. */
	make_elf();
	mb_header(elf, SEG0_OFF + 0x10, MB_HF_AOUT_KLUDGE);
	put32(elf, SEG0_OFF + 0x10 + 12, 0x300000 + SEG0_OFF + 0x10);
	put32(elf, SEG0_OFF + 0x10 + 16, 0x300000);
	put32(elf, SEG0_OFF + 0x10 + 20, 0);
	put32(elf, SEG0_OFF + 0x10 + 24, 0);
	put32(elf, SEG0_OFF + 0x10 + 28, 0x300000);
	ram_fill();
	ret = load(elf, ELF_LEN, 0, NULL, 0, "", &lo, &cpu, &why);
	tap_ok(ret == 0 && !memcmp(ram + 0x300000, elf, ELF_LEN) && ram[SEG0_PADDR] == FILL,
	       "ELF with flag 16: loaded by the address fields, not the program headers");
}

struct bad_case {
	const char *what;
	void (*make)(void);
	size_t off;		/* the field's offset in the image */
	int width;		/* 1, 2 or 4 */
	uint32_t value;
	int err;
	const char *reason;	/* a word the reason must contain */
};

static void aout_base(void) { make_aout(); }
static void elf_base(void) { make_elf(); }

#define H(o) (AOUT_HDR_OFF + (o))
#define PH(i, o) (ELF_PHOFF + 32 * (i) + (o))

static const struct bad_case bad_cases[] = {
	{ "magic", aout_base, H(0), 4, 0x1badb003, -ENOENT, "no Multiboot header" },
	{ "checksum", aout_base, H(8), 4, 0, -ENOEXEC, "checksum" },
	{ "flags without re-signing", aout_base, H(4), 4, 0x10000 | 8, -ENOEXEC, "checksum" },
	{ "header_addr below load_addr", aout_base, H(12), 4, AOUT_LOAD - 4, -ENOEXEC, "above header_addr" },
	{ "header_addr reaching before the file", aout_base, H(12), 4, AOUT_LOAD + 0x1000, -ENOEXEC, "before the file" },
	{ "load_end_addr = load_addr", aout_base, H(20), 4, AOUT_LOAD, -ENOEXEC, "load_end_addr" },
	{ "load_end_addr below load_addr", aout_base, H(20), 4, 5, -ENOEXEC, "load_end_addr" },
	{ "load_end_addr past the file", aout_base, H(20), 4, AOUT_LOAD + AOUT_LEN + 1, -ENOEXEC, "past the end" },
	{ "bss_end_addr below load_end_addr", aout_base, H(24), 4, AOUT_LOAD + AOUT_LEN - 1, -ENOEXEC, "bss_end_addr" },
	{ "bss_end_addr past RAM", aout_base, H(24), 4, 0x10000000, -ENOEXEC, "outside the guest's RAM" },
	{ "bss_end_addr at 4 GiB - 1", aout_base, H(24), 4, 0xffffffff, -ENOEXEC, "outside" },
	{ "entry_addr below load_addr", aout_base, H(28), 4, AOUT_LOAD - 1, -ENOEXEC, "entry_addr" },
	{ "entry_addr in the bss", aout_base, H(28), 4, AOUT_LOAD + AOUT_LEN, -ENOEXEC, "entry_addr" },
	{ "entry_addr at 4 GiB - 1", aout_base, H(28), 4, 0xffffffff, -ENOEXEC, "entry_addr" },
	{ "ELF magic", elf_base, 1, 1, 'e', -ENOEXEC, "not an ELF" },
	{ "ELF class 64", elf_base, 4, 1, 2, -ENOEXEC, "64-bit" },
	{ "ELF class 0", elf_base, 4, 1, 0, -ENOEXEC, "class" },
	{ "ELF big endian", elf_base, 5, 1, 2, -ENOEXEC, "i386" },
	{ "ELF type DYN", elf_base, 16, 2, 3, -ENOEXEC, "executable" },
	{ "ELF machine x86-64", elf_base, 18, 2, 62, -ENOEXEC, "i386" },
	{ "ELF entry outside the segments", elf_base, 24, 4, 0x1234, -ENOEXEC, "entry" },
	{ "ELF entry in a segment's bss", elf_base, 24, 4, SEG1_PADDR + SEG1_FILE, -ENOEXEC, "entry" },
	{ "ELF phoff past the file", elf_base, 28, 4, ELF_LEN, -ENOEXEC, "program header" },
	{ "ELF phoff huge", elf_base, 28, 4, 0xfffffff0, -ENOEXEC, "program header" },
	{ "ELF phentsize 31", elf_base, 42, 2, 31, -ENOEXEC, "program header" },
	{ "ELF phnum 0", elf_base, 44, 2, 0, -ENOEXEC, "program header" },
	{ "ELF phnum 65535", elf_base, 44, 2, 65535, -ENOEXEC, "program header" },
	{ "ELF no PT_LOAD", elf_base, PH(1, 0), 4, 6, -ENOEXEC, "entry" },
	{ "ELF p_offset past the file", elf_base, PH(1, 4), 4, ELF_LEN, -ENOEXEC, "past the end" },
	{ "ELF p_offset huge", elf_base, PH(2, 4), 4, 0xffffffff, -ENOEXEC, "past the end" },
	{ "ELF p_filesz past the file", elf_base, PH(2, 16), 4, 0x2000, -ENOEXEC, "past the end" },
	{ "ELF p_filesz above p_memsz", elf_base, PH(2, 20), 4, SEG1_FILE - 1, -ENOEXEC, "p_filesz" },
	{ "ELF p_paddr past 4 GiB", elf_base, PH(2, 12), 4, 0xfffff000, -ENOEXEC, "4 GiB" },
	{ "ELF p_paddr in the BIOS hole", elf_base, PH(2, 12), 4, 0xa0000, -ENOEXEC, "outside the guest's RAM" },
	{ "ELF p_paddr in MMIO", elf_base, PH(2, 12), 4, 0xfec00000, -ENOEXEC, "outside the guest's RAM" },
	{ "ELF p_paddr past RAM", elf_base, PH(2, 12), 4, RAM_SIZE - 0x1000, -ENOEXEC, "outside the guest's RAM" },
	{ "ELF segments overlap", elf_base, PH(2, 12), 4, SEG0_PADDR + 0x800, -ENOEXEC, "overlap" },
	{ "ELF p_memsz huge", elf_base, PH(2, 20), 4, 0xffffff00, -ENOEXEC, "4 GiB" },
};

static void put(uint8_t *img, size_t off, int width, uint32_t v)
{
	if (width == 1)
		img[off] = (uint8_t)v;
	else if (width == 2)
		put16(img, off, (uint16_t)v);
	else
		put32(img, off, v);
}

static void test_bad_fields(void)
{
	struct multiboot_layout lo;
	struct boot_cpu_state cpu;
	const char *why;
	unsigned int i, bit;
	int ret;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		int is_elf = c->make == elf_base;

		c->make();
		put(is_elf ? elf : aout, c->off, c->width, c->value);
		ram_fill();
		ret = load(is_elf ? elf : aout, is_elf ? ELF_LEN : AOUT_LEN, 0, mods, 2, "",
			   &lo, &cpu, &why);
		tap_ok(ret == c->err && why && strstr(why, c->reason) && ram_untouched(),
		       "broken %s: %d (%s), RAM untouched", c->what, ret, why ? why : "no reason");
	}
	/* Each unknown requirement flag (3-15) is refused (3.1.2). */
	for (bit = 3; bit < 16; bit++) {
		make_aout();
		aout_set(4, MB_HF_AOUT_KLUDGE | 1u << bit);
		ram_fill();
		ret = load(aout, AOUT_LEN, 0, NULL, 0, "", &lo, &cpu, &why);
		tap_ok(ret == -ENOEXEC && why && strstr(why, "requires") && ram_untouched(),
		       "requirement flag %u refused", bit);
	}
	/* The magic unaligned, or past 8192 bytes: not found. */
	{
		static uint8_t big[0x4000];

		memset(big, 0, sizeof(big));
		mb_header(big, 0x102, MB_HF_AOUT_KLUDGE);
		tap_ok(multiboot_parse(big, sizeof(big), &(struct multiboot_image){ 0 }, &why) == -ENOENT,
		       "a header at an unaligned offset is not found");
		memset(big, 0, sizeof(big));
		mb_header(big, 8192, MB_HF_AOUT_KLUDGE);
		tap_ok(multiboot_parse(big, sizeof(big), &(struct multiboot_image){ 0 }, &why) == -ENOENT,
		       "a header at 8192 is not found");
		/* Address fields crossing 8192: refused. */
		memset(big, 0, sizeof(big));
		mb_header(big, 8192 - 16, MB_HF_AOUT_KLUDGE);
		tap_ok(multiboot_parse(big, sizeof(big), &(struct multiboot_image){ 0 }, &why) == -ENOEXEC &&
		       strstr(why, "8192"), "address fields past 8192 refused (%s)", why);
		/* A bad-checksum magic, then a good header: the good one is used. */
		make_aout();
		memset(big, 0, sizeof(big));
		put32(big, 0, MB_HEADER_MAGIC);
		memcpy(big + 0x10, aout, AOUT_LEN);
		put32(big, 0x10 + AOUT_HDR_OFF + 12, AOUT_LOAD + AOUT_HDR_OFF + 0x10);
		ram_fill();
		ret = multiboot_load(ram, RAM_SIZE, 0, big, 0x10 + AOUT_LEN, NULL, 0, "", &lo, &cpu, &why);
		tap_ok(ret == 0 && !memcmp(ram + AOUT_LOAD, big, AOUT_LEN),
		       "a stray magic with a bad checksum is skipped for the real header");
	}
	/* No flag 16 and not ELF. */
	make_aout();
	aout_set(4, MB_HF_PAGE_ALIGN);
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, NULL, 0, "", &lo, &cpu, &why);
	tap_ok(ret == -ENOEXEC && strstr(why, "not an ELF") && ram_untouched(),
	       "no address fields and no ELF: refused (%s)", why);
	/* Too many ELF segments. */
	{
		static uint8_t many[0x2000];
		unsigned int k;

		make_elf();
		memcpy(many, elf, 52);
		put16(many, 44, MB_MAX_SEGMENTS + 1);
		for (k = 0; k <= MB_MAX_SEGMENTS; k++) {
			uint8_t *ph = many + ELF_PHOFF + 32 * k;

			put32(ph, 0, 1);
			put32(ph, 4, 0x1000);
			put32(ph, 8, SEG0_VADDR + k * 0x1000);
			put32(ph, 12, SEG0_PADDR + k * 0x1000);
			put32(ph, 16, 0x100);
			put32(ph, 20, 0x1000);
		}
		mb_header(many, 0x1000, 0);
		ram_fill();
		ret = multiboot_load(ram, RAM_SIZE, 0, many, sizeof(many), NULL, 0, "", &lo, &cpu, &why);
		tap_ok(ret == -ENOEXEC && strstr(why, "too many") && ram_untouched(),
		       "ELF with %d loadable segments refused", MB_MAX_SEGMENTS + 1);
		put16(many, 44, MB_MAX_SEGMENTS);
		ret = multiboot_load(ram, RAM_SIZE, 0, many, sizeof(many), NULL, 0, "", &lo, &cpu, &why);
		tap_ok(ret == 0, "ELF with %d loadable segments loads", MB_MAX_SEGMENTS);
	}
}

static void test_limits(void)
{
	static struct multiboot_module many[MB_MAX_MODULES + 1];
	struct multiboot_module big = { ram, RAM_SIZE - MiB, "big" };
	struct multiboot_layout lo;
	struct boot_cpu_state cpu;
	const char *why;
	char *longline;
	unsigned int i;
	int ret;

	make_aout();
	for (i = 0; i <= MB_MAX_MODULES; i++)
		many[i] = (struct multiboot_module){ mod0, sizeof(mod0), "m" };
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, many, MB_MAX_MODULES + 1, "", &lo, &cpu, &why);
	tap_ok(ret == -E2BIG && ram_untouched(), "%d modules: -E2BIG", MB_MAX_MODULES + 1);
	ret = load(aout, AOUT_LEN, 0, many, MB_MAX_MODULES, "", &lo, &cpu, &why);
	tap_ok(ret == 0 && get32(ram + lo.info, MB_INFO_OFF_MODS_COUNT) == MB_MAX_MODULES,
	       "%d modules load", MB_MAX_MODULES);

	/* A module that does not fit above the kernel. */
	big.data = malloc(big.size);
	memset((void *)big.data, 1, big.size);
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, &big, 1, "", &lo, &cpu, &why);
	tap_ok(ret == -ENOSPC && ram_untouched(), "a module larger than the RAM left: -ENOSPC (%s)", why);
	/* One that fits, but leaves no room for the boot block. */
	big.size = RAM_SIZE - MiB - 0x5000;
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, &big, 1, "", &lo, &cpu, &why);
	tap_ok(ret == -ENOSPC && strstr(why, "information") && ram_untouched(),
	       "no room for the boot block: -ENOSPC (%s)", why);
	free((void *)big.data);
	big = (struct multiboot_module){ NULL, 10, "x" };
	ret = load(aout, AOUT_LEN, 0, &big, 1, "", &lo, &cpu, &why);
	tap_ok(ret == -EINVAL, "a module with a size and no data: -EINVAL");

	longline = malloc(MB_MAX_STRING + 1);
	memset(longline, 'a', MB_MAX_STRING);
	longline[MB_MAX_STRING] = 0;
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, NULL, 0, longline, &lo, &cpu, &why);
	tap_ok(ret == -E2BIG && ram_untouched(), "a command line of %d bytes: -E2BIG", MB_MAX_STRING);
	longline[MB_MAX_STRING - 1] = 0;
	ret = load(aout, AOUT_LEN, 0, NULL, 0, longline, &lo, &cpu, &why);
	tap_ok(ret == 0 && strlen((char *)ram + lo.cmdline) == MB_MAX_STRING - 1,
	       "a command line of %d bytes loads", MB_MAX_STRING - 1);
	longline[MB_MAX_STRING - 1] = 'a';
	big = (struct multiboot_module){ mod0, sizeof(mod0), longline };
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, &big, 1, "", &lo, &cpu, &why);
	tap_ok(ret == -E2BIG && ram_untouched(), "a module string of %d bytes: -E2BIG", MB_MAX_STRING);
	free(longline);

	/* The kernel at the top of RAM: no room above it for the block. */
	make_aout();
	aout_set(12, RAM_SIZE - AOUT_LEN + AOUT_HDR_OFF);
	aout_set(16, RAM_SIZE - AOUT_LEN);
	aout_set(20, RAM_SIZE);
	aout_set(24, 0);
	aout_set(28, RAM_SIZE - AOUT_LEN);
	ram_fill();
	ret = load(aout, AOUT_LEN, 0, NULL, 0, "", &lo, &cpu, &why);
	tap_ok(ret == -ENOSPC && ram_untouched(), "a kernel ending at the top of RAM: -ENOSPC");

	make_aout();
	tap_ok(multiboot_load(NULL, RAM_SIZE, 0, aout, AOUT_LEN, NULL, 0, "", &lo, &cpu, &why) == -EINVAL &&
	       multiboot_load(ram, RAM_SIZE, 0, NULL, AOUT_LEN, NULL, 0, "", &lo, &cpu, &why) == -EINVAL &&
	       multiboot_load(ram, RAM_SIZE, 0, aout, AOUT_LEN, NULL, 1, "", &lo, &cpu, &why) == -EINVAL &&
	       multiboot_load(ram, RAM_SIZE + 1, 0, aout, AOUT_LEN, NULL, 0, "", &lo, &cpu, &why) == -EINVAL &&
	       multiboot_load(ram, MiB, 0, aout, AOUT_LEN, NULL, 0, "", &lo, &cpu, &why) == -EINVAL &&
	       multiboot_load(ram, 4ull << 30, 0, aout, AOUT_LEN, NULL, 0, "", &lo, &cpu, &why) == -E2BIG &&
	       multiboot_find_header(NULL, 1, &(struct multiboot_header){ 0 }, &why) == -EINVAL,
	       "NULL arguments, odd or out-of-range RAM sizes refused");
}

/* Every length of both images: loads or a clean refusal, RAM untouched on refusal. */
static void test_truncations(void)
{
	struct multiboot_layout lo;
	struct boot_cpu_state cpu;
	const char *why;
	size_t len, bad_len = 0, loaded = 0;
	int ret, ok = 1, which;

	for (which = 0; which < 2; which++) {
		const uint8_t *img = which ? elf : aout;
		size_t full = which ? ELF_LEN : AOUT_LEN;

		which ? make_elf() : make_aout();
		loaded = 0;
		for (len = 0; len <= full; len++) {
			/* Filling 8 MiB per length is most of the time: every 64th. */
			if (len % 64 == 0)
				ram_fill();
			ret = load(img, len, 0, NULL, 0, "", &lo, &cpu, &why);
			if (ret == 0) {
				loaded++;
				continue;
			}
			if ((ret != -ENOEXEC && ret != -ENOENT) || !why ||
			    (len % 64 == 0 && !ram_untouched())) {
				ok = 0;
				bad_len = len;
			}
		}
		tap_ok(ok, "%s truncated at every length: refused cleanly (%zu of %zu lengths load)%s",
		       which ? "ELF" : "a.out", loaded, full + 1, ok ? "" : " FAILED at some length");
		if (!ok)
			tap_diag("first bad length %zu", bad_len);
	}
}

/* A small xorshift: the same images on every run. */
static uint64_t rng_state = 0x6d756c7469626f6full;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* Picks an interesting 32-bit value: near the image's own numbers or anything. */
static uint32_t rnd_addr(void)
{
	static const uint32_t near[] = { 0, 0x100000, 0x9fc00, 0xa0000, RAM_SIZE, 0xffffffff,
					 0xfffff000, 0x80000000, 0x1000, 0x200000 };

	switch (rnd() % 3) {
	case 0:
		return near[rnd() % 10] + (rnd() % 0x4000) - 0x2000;
	case 1:
		return near[rnd() % 10];
	default:
		return rnd();
	}
}

static int layout_sane(const struct multiboot_layout *lo, const struct multiboot_image *img)
{
	unsigned int i;

	if (lo->block_end > RAM_SIZE || lo->block < MiB || lo->block < img->end)
		return 0;
	for (i = 0; i < img->nr_segments; i++)
		if (img->seg[i].addr + img->seg[i].mem_size > RAM_SIZE ||
		    (img->seg[i].addr < MiB && img->seg[i].addr + img->seg[i].mem_size > 0x9fc00))
			return 0;
	return lo->entry >= img->start && lo->entry < img->end;
}

static void test_random(void)
{
	static uint8_t buf[0x3000];
	struct multiboot_layout lo;
	struct boot_cpu_state cpu;
	struct multiboot_image img;
	const char *why;
	unsigned int round, loaded = 0, refused = 0, bad_ret = 0, insane = 0;
	int ret;

	for (round = 0; round < 3000; round++) {
		size_t len = 16 + rnd() % (sizeof(buf) - 16), i;
		int kind = round % 3;

		if (kind == 0) {
			/* Random bytes with a signed header and random address fields. */
			for (i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd();
			size_t off = (rnd() % ((len < 8192 ? len : 8192) / 4)) * 4;
			if (off + 32 <= len) {
				mb_header(buf, off, (rnd() & 0xffff0007u) | (rnd() % 4 ? MB_HF_AOUT_KLUDGE : 0));
				for (i = 12; i < 32; i += 4)
					put32(buf, off + i, rnd_addr());
			}
		} else {
			/* The good images with a few random fields. */
			unsigned int k, n = 1 + rnd() % 4;
			const uint8_t *src = kind == 1 ? (make_aout(), aout) : (make_elf(), elf);

			len = kind == 1 ? AOUT_LEN : ELF_LEN;
			memcpy(buf, src, len);
			for (k = 0; k < n; k++) {
				size_t at = kind == 1 ? AOUT_HDR_OFF + 12 + 4 * (rnd() % 5)
						      : (rnd() % 2 ? (rnd() % 13) * 4
								   : ELF_PHOFF + 4 * (rnd() % 24));
				put32(buf, at, rnd_addr());
			}
			if (rnd() % 4 == 0)
				len = rnd() % len;
		}
		ret = load(buf, len, rnd() % 2 ? MiB * 64 : 0, mods, rnd() % 3, "r", &lo, &cpu, &why);
		if (ret == 0) {
			loaded++;
			if (multiboot_parse(buf, len, &img, &why) || !layout_sane(&lo, &img))
				insane++;
		} else if (ret == -ENOEXEC || ret == -ENOENT || ret == -ENOSPC) {
			refused++;
		} else {
			bad_ret++;
		}
	}
	tap_ok(!bad_ret && !insane,
	       "3000 random images (fixed seed): %u load sanely, %u refused, %u odd errors, %u insane",
	       loaded, refused, bad_ret, insane);
	tap_ok(loaded > 100 && refused > 100, "the random images exercise both outcomes");
}

int main(void)
{
	ram = malloc(RAM_SIZE);
	if (!ram)
		return 1;
	test_aout();
	test_elf();
	test_bad_fields();
	test_limits();
	test_truncations();
	test_random();
	free(ram);
	return tap_done();
}
