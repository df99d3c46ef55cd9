// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * multiboot-kernel.c - a bare-metal Multiboot (v1) kernel for
 * tests/monitor/multiboot.t, built by that test with gcc -m32
 * -ffreestanding and ld -m elf_i386 (multiboot-kernel.ld): as an ELF32
 * file, and with -DAOUT as a flat binary whose header carries the load
 * addresses (flag 16, the "a.out kludge").
 *
 * It checks the machine state of Multiboot 3.2 (EAX, protected mode
 * without paging, IF clear, flat segments), reads the information
 * structure (3.3: flags, memory, command line, modules, memory map),
 * prints one line of what it found on COM1 and ends the VM through the
 * test-exit port: its command line says which port ("port=N") and which
 * value ("exit=N"); a failed check writes 100 + the check's number
 * instead, so the test sees it in the exit status.
 */
#include <stdint.h>

#define MB_MAGIC	0x1badb002
#define MB_EAX		0x2badb002u
#ifdef AOUT
#define MB_FLAGS	0x00010003	/* page-align modules, memory info, addresses */
#else
#define MB_FLAGS	0x00000003
#endif
#define STR_(x)		#x
#define STR(x)		STR_(x)

uint8_t kstack[16384] __attribute__((aligned(16)));
void kmain(uint32_t eax, uint32_t ebx);

/* The header first in the image (the linker script puts .multiboot first). */
__asm__(
	"	.section .multiboot, \"a\"\n"
	"	.align 4\n"
	"mb_header:\n"
	"	.long " STR(MB_MAGIC) ", " STR(MB_FLAGS) ", -(" STR(MB_MAGIC) " + " STR(MB_FLAGS) ")\n"
#ifdef AOUT
	/* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
	"	.long mb_header, _load, _edata, _end, _start\n"
#endif
	"	.text\n"
	"	.globl _start\n"
	"_start:\n"
	"	mov $kstack + 16384, %esp\n"
	"	push %ebx\n"
	"	push %eax\n"
	"	call kmain\n"
	"1:	hlt\n"
	"	jmp 1b\n");

/* The compiler may call these for copies and clears. */
void *memset(void *d, int c, unsigned long n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/*
 * COM1 as 115200 8N1: the 8250's line control resets to 5-bit words,
 * which the model honours (the bits above them go), as a real UART does.
 */
static void com1_init(void)
{
	outb(0x3f8 + 3, 0x80);		/* DLAB: the divisor latch */
	outb(0x3f8 + 0, 1);
	outb(0x3f8 + 1, 0);
	outb(0x3f8 + 3, 0x03);		/* 8 bits, no parity, 1 stop bit */
}

/* COM1: wait for the transmitter holding register, then the byte. */
static void putc_com1(char c)
{
	unsigned int spin = 0;

	while (!(inb(0x3f8 + 5) & 0x20) && ++spin < 1000000)
		;
	outb(0x3f8, (uint8_t)c);
}

static void puts_com1(const char *s)
{
	while (*s)
		putc_com1(*s++);
}

static void put_hex(uint32_t v)
{
	int i;

	for (i = 28; i >= 0; i -= 4)
		putc_com1("0123456789abcdef"[(v >> i) & 0xf]);
}

static void put_dec(uint32_t v)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		putc_com1(buf[--i]);
}

/* A string from the guest's memory, at most `max` bytes, spaces as '_'. */
static void put_str(const char *s, unsigned int max)
{
	while (*s && max--) {
		putc_com1(*s == ' ' ? '_' : (*s >= 0x20 && *s < 0x7f ? *s : '?'));
		s++;
	}
}

static uint32_t rd32(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

/* "key=N" in the command line (decimal or 0x hex), a word of its own; `def` without it. */
static uint32_t cmdline_num(const char *line, const char *key, uint32_t def)
{
	const char *s;

	for (s = line; *s; s++) {
		const char *k = key, *p = s;
		uint32_t v = 0, base = 10;

		if (s != line && s[-1] != ' ')
			continue;
		while (*k && *p == *k)
			k++, p++;
		if (*k)
			continue;
		if (p[0] == '0' && p[1] == 'x') {
			base = 16;
			p += 2;
		}
		for (;; p++) {
			uint32_t d;

			if (*p >= '0' && *p <= '9')
				d = (uint32_t)(*p - '0');
			else if (base == 16 && *p >= 'a' && *p <= 'f')
				d = (uint32_t)(*p - 'a' + 10);
			else
				break;
			v = v * base + d;
		}
		return v;
	}
	return def;
}

void kmain(uint32_t eax, uint32_t ebx)
{
	uint32_t cr0, eflags, flags, mods, mods_addr, mmap, mmap_len, off, n = 0;
	uint32_t fail = 0, mem_upper, ram_at_1m = 0, port, value;
	uint16_t cs, ds;
	const char *cmdline = "";

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("pushf; pop %0" : "=r"(eflags));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("mov %%ds, %0" : "=r"(ds));

	/* 3.2: each check's number is its exit value's offset from 100. */
	if (eax != MB_EAX)
		fail = fail ? fail : 1;
	if (!(cr0 & 1) || (cr0 & 0x80000000u))
		fail = fail ? fail : 2;
	if (eflags & (1u << 9 | 1u << 17))
		fail = fail ? fail : 3;
	flags = rd32(ebx);
	/* memory (0), cmdline (2), mods (3), mmap (6), boot_loader_name (9) */
	if ((flags & 0x24d) != 0x24d)
		fail = fail ? fail : 4;
	if (flags & 4)
		cmdline = (const char *)rd32(ebx + 16);
	mem_upper = rd32(ebx + 8);
	mods = rd32(ebx + 20);
	mods_addr = rd32(ebx + 24);
	mmap_len = rd32(ebx + 44);
	mmap = rd32(ebx + 48);
	/* 3.3: entries of `size` + 4 bytes; RAM from 1 MiB as mem_upper says. */
	for (off = 0; off < mmap_len; off += rd32(mmap + off) + 4, n++) {
		uint32_t base = rd32(mmap + off + 4), len = rd32(mmap + off + 12);

		if (base == 0x100000 && rd32(mmap + off + 8) == 0 && rd32(mmap + off + 20) == 1 &&
		    len == mem_upper * 1024)
			ram_at_1m = 1;
	}
	if (!ram_at_1m)
		fail = fail ? fail : 5;
	for (off = 0; off < mods; off++)
		if (rd32(mods_addr + 16 * off) & 0xfff)
			fail = fail ? fail : 6;	/* flag 0 asked for page alignment */

	com1_init();
	puts_com1("MULTIBOOT-TEST: magic=");
	put_hex(eax);
	puts_com1(" cr0=");
	put_hex(cr0);
	puts_com1(" cs=");
	put_hex(cs);
	puts_com1(" ds=");
	put_hex(ds);
	puts_com1(" flags=");
	put_hex(flags);
	puts_com1(" mem_lower=");
	put_dec(rd32(ebx + 4));
	puts_com1(" mem_upper=");
	put_dec(mem_upper);
	puts_com1(" mmap_entries=");
	put_dec(n);
	puts_com1(" loader=");
	put_str((const char *)rd32(ebx + 64), 16);
	puts_com1(" mods=");
	put_dec(mods);
	for (off = 0; off < mods && off < 4; off++) {
		uint32_t s = rd32(mods_addr + 16 * off), e = rd32(mods_addr + 16 * off + 4);

		puts_com1(" mod");
		put_dec(off);
		puts_com1("=");
		put_str((const char *)rd32(mods_addr + 16 * off + 8), 64);
		puts_com1(" mod");
		put_dec(off);
		puts_com1("_size=");
		put_dec(e - s);
		puts_com1(" mod");
		put_dec(off);
		puts_com1("_data=");
		put_str((const char *)s, e - s < 24 ? e - s : 24);
	}
	puts_com1(" cmdline=");
	put_str(cmdline, 200);
	puts_com1(" fail=");
	put_dec(fail);
	puts_com1("\n");

	port = cmdline_num(cmdline, "port=", 0x501);
	value = fail ? 100 + fail : cmdline_num(cmdline, "exit=", 0);
	outb((uint16_t)port, (uint8_t)value);
	/* Not reached when the port works. */
	puts_com1("MULTIBOOT-TEST: still running after the test-exit write\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
