// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vga-test.c - the standard VGA (monitor/devices/vga.c, vga-render.c):
 * its PCI function and ROM BAR, text mode 3 programmed as the VGA BIOS
 * does (registers, a font loaded through the plane-2 sequence,
 * characters at 0xb8000) rendered and compared pixel for pixel with a
 * rendering computed here, cell damage, the dispi 1024x768x32 mode with
 * LFB writes and dirty-log damage, 16 and 8 bpp conversion, the DAC,
 * the graphics controller's write and read modes, bad indexes and
 * values, and a save/load round trip (a corrupt state refused).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"
#include "devices/pci.h"
#include "devices/vga.h"
#include "state/stream.h"
#include "state-patch.h"

#define LFB_ADDR	0xc0000000ull
#define MMIO_ADDR	0xc1000000ull
#define ROM_ADDR	0xc1010000ull

/* What a VGA drew: the display as a viewer would see it. */
struct screen {
	uint32_t w, h, format;
	uint32_t *px;
	unsigned modes, updates, dirties, maps;
	struct display_rect last;
	uint64_t mapped;
};

static int scr_set_mode(void *opaque, uint32_t w, uint32_t h, uint32_t format)
{
	struct screen *s = opaque;

	free(s->px);
	s->px = calloc((size_t)w * h + 1, 4);
	s->w = w;
	s->h = h;
	s->format = format;
	s->modes++;
	return 0;
}

static void scr_update(void *opaque, const struct display_rect *r, const void *src,
		       uint32_t stride)
{
	struct screen *s = opaque;
	uint32_t y;

	s->updates++;
	s->last = *r;
	if (r->x + r->w > s->w || r->y + r->h > s->h)
		return;
	for (y = 0; y < r->h; y++)
		memcpy(s->px + (size_t)(r->y + y) * s->w + r->x,
		       (const uint8_t *)src + (size_t)y * stride, (size_t)r->w * 4);
}

static void scr_dirty(void *opaque)
{
	((struct screen *)opaque)->dirties++;
}

static void scr_map(void *opaque, uint64_t gpa)
{
	struct screen *s = opaque;

	s->maps++;
	s->mapped = gpa;
}

static const struct vga_ops ops = {
	.set_mode = scr_set_mode, .update = scr_update, .dirty = scr_dirty, .lfb_map = scr_map,
};

static void outb(struct vga *v, uint16_t port, uint8_t val)
{
	uint32_t d = val;

	vga_pio(v, (uint16_t)(port - VGA_PORT_BASE), 1, true, &d);
}

static uint8_t inb(struct vga *v, uint16_t port)
{
	uint32_t d = 0;

	vga_pio(v, (uint16_t)(port - VGA_PORT_BASE), 1, false, &d);
	return (uint8_t)d;
}

/* OUT DX, AX to an index/data pair, as the VGA BIOS sets one register. */
static void outw(struct vga *v, uint16_t port, uint16_t val)
{
	uint32_t d = val;

	vga_pio(v, (uint16_t)(port - VGA_PORT_BASE), 2, true, &d);
}

static void dispi_set(struct vga *v, uint16_t idx, uint16_t val)
{
	uint32_t i = idx, d = val;

	vga_dispi_pio(v, 0, 2, true, &i);
	vga_dispi_pio(v, 1, 2, true, &d);
}

static uint16_t dispi_get(struct vga *v, uint16_t idx)
{
	uint32_t i = idx, d = 0;

	vga_dispi_pio(v, 0, 2, true, &i);
	vga_dispi_pio(v, 1, 2, false, &d);
	return (uint16_t)d;
}

static void mem_write(struct vga *v, uint32_t addr, unsigned size, uint64_t val)
{
	vga_legacy_mmio(v, addr - VGA_LEGACY_BASE, size, true, &val);
}

static uint64_t mem_read(struct vga *v, uint32_t addr, unsigned size)
{
	uint64_t d = 0;

	vga_legacy_mmio(v, addr - VGA_LEGACY_BASE, size, false, &d);
	return d;
}

/* ---- mode 3, as the VGA BIOS's parameter table programs it ---- */

static const uint8_t mode3_seq[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_crtc[25] = {
	0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00,
	0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};
static const uint8_t mode3_ar[20] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
	0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08,
};
static const uint8_t mode3_gr[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff };

/* The test's DAC: entry i gets values no two entries share. */
static uint8_t dac_val(unsigned i, unsigned c)
{
	return (uint8_t)((i * 5 + c * 17 + 3) & 0x3f);
}

static uint32_t dac_rgb(unsigned i)
{
	uint32_t r = dac_val(i, 0), g = dac_val(i, 1), b = dac_val(i, 2);

	return (r << 2 | r >> 4) << 16 | (g << 2 | g >> 4) << 8 | (b << 2 | b >> 4);
}

static uint8_t glyph(unsigned ch, unsigned row)
{
	return (uint8_t)(ch * 37 + row * 11 + (ch >> 3));
}

static void set_mode3(struct vga *v)
{
	unsigned i;

	inb(v, 0x3da);
	outb(v, 0x3c0, 0x00);			/* palette address source off while loading */
	outb(v, 0x3c2, 0x67);
	for (i = 0; i < 5; i++)
		outw(v, 0x3c4, (uint16_t)(mode3_seq[i] << 8 | i));
	outw(v, 0x3d4, 0x0e11);			/* unprotect CRTC 0-7 */
	for (i = 0; i < 25; i++)
		outw(v, 0x3d4, (uint16_t)(mode3_crtc[i] << 8 | i));
	inb(v, 0x3da);
	for (i = 0; i < 20; i++) {
		outb(v, 0x3c0, (uint8_t)i);
		outb(v, 0x3c0, mode3_ar[i]);
	}
	for (i = 0; i < 9; i++)
		outw(v, 0x3ce, (uint16_t)(mode3_gr[i] << 8 | i));
	outb(v, 0x3c8, 0);
	for (i = 0; i < 256 * 3; i++)
		outb(v, 0x3c9, dac_val(i / 3, i % 3));
	inb(v, 0x3da);
	outb(v, 0x3c0, 0x20);			/* and on again */
}

/* The VGA BIOS's font upload: plane 2 alone, sequential, at 0xa0000. */
static void load_font(struct vga *v)
{
	unsigned ch, row;

	outw(v, 0x3c4, 0x0100);
	outw(v, 0x3c4, 0x0402);
	outw(v, 0x3c4, 0x0704);
	outw(v, 0x3c4, 0x0300);
	outw(v, 0x3ce, 0x0204);
	outw(v, 0x3ce, 0x0005);
	outw(v, 0x3ce, 0x0406);
	for (ch = 0; ch < 256; ch++)
		for (row = 0; row < 16; row++)
			mem_write(v, 0xa0000 + ch * 32 + row, 1, glyph(ch, row));
	outw(v, 0x3c4, 0x0100);
	outw(v, 0x3c4, 0x0302);
	outw(v, 0x3c4, 0x0304);
	outw(v, 0x3c4, 0x0300);
	outw(v, 0x3ce, 0x0004);
	outw(v, 0x3ce, 0x1005);
	outw(v, 0x3ce, 0x0e06);
}

/* The 720x400 picture mode 3 should show for cells[] (char | attr << 8), cursor at `cur`. */
static uint32_t expect_text(const uint16_t *cells, unsigned cur, unsigned x, unsigned y)
{
	unsigned col = x / 9, row = y / 16, dx = x % 9, dy = y % 16;
	uint16_t cell = cells[row * 80 + col];
	uint8_t ch = (uint8_t)cell, attr = (uint8_t)(cell >> 8);
	uint32_t fg = dac_rgb(mode3_ar[attr & 0x0f]);
	uint32_t bg = dac_rgb(mode3_ar[(attr >> 4) & 7]);	/* AR10 bit 3: blink, bit 7 dropped */
	uint8_t bits = glyph(ch, dy);
	bool on;

	if (row * 80 + col == cur && dy >= 0x0d && dy <= 0x0e)
		return fg;
	if (dx < 8)
		on = bits & (0x80 >> dx);
	else
		on = ch >= 0xc0 && ch <= 0xdf && (bits & 1);
	return on ? fg : bg;
}

static bool text_matches(const struct screen *s, const uint16_t *cells, unsigned cur,
			 unsigned *bad_x, unsigned *bad_y)
{
	unsigned x, y;

	for (y = 0; y < 400; y++)
		for (x = 0; x < 720; x++)
			if (s->px[y * 720 + x] != expect_text(cells, cur, x, y)) {
				*bad_x = x;
				*bad_y = y;
				return false;
			}
	return true;
}

static uint8_t rom_image[40000];

static void test_pci(struct vga *v, struct pci_bus *bus, struct screen *s)
{
	uint8_t devfn = v->dev.devfn;
	uint32_t d;
	uint64_t q;

	pci_cfg_access(bus, devfn, 0, 4, false, &d);
	tap_ok(d == 0x11111234, "PCI id 1234:1111 (0x%08x)", d);
	pci_cfg_access(bus, devfn, 8, 4, false, &d);
	tap_ok(d >> 8 == 0x030000, "class 03 00 00 (0x%06x)", d >> 8);
	d = 0xffffffff;
	pci_cfg_access(bus, devfn, PCI_BAR0, 4, true, &d);
	pci_cfg_access(bus, devfn, PCI_BAR0, 4, false, &d);
	tap_ok(d == 0xff000008, "BAR0: 16 MiB, prefetchable memory (0x%08x)", d);
	d = 0xffffffff;
	pci_cfg_access(bus, devfn, PCI_BAR0 + 8, 4, true, &d);
	pci_cfg_access(bus, devfn, PCI_BAR0 + 8, 4, false, &d);
	tap_ok(d == 0xfffff000, "BAR2: 4 KiB of registers (0x%08x)", d);
	d = 0xffffffff;
	pci_cfg_access(bus, devfn, PCI_ROM_ADDRESS, 4, true, &d);
	pci_cfg_access(bus, devfn, PCI_ROM_ADDRESS, 4, false, &d);
	tap_ok(d == 0xffff0001, "ROM BAR sizes as 64 KiB for a 40000-byte image (0x%08x)", d);

	d = (uint32_t)LFB_ADDR;
	pci_cfg_access(bus, devfn, PCI_BAR0, 4, true, &d);
	d = (uint32_t)MMIO_ADDR;
	pci_cfg_access(bus, devfn, PCI_BAR0 + 8, 4, true, &d);
	d = (uint32_t)ROM_ADDR;		/* enable bit clear */
	pci_cfg_access(bus, devfn, PCI_ROM_ADDRESS, 4, true, &d);
	tap_ok(s->maps == 0, "no LFB mapping while memory decode is off");
	d = PCI_COMMAND_MEMORY;
	pci_cfg_access(bus, devfn, PCI_COMMAND, 2, true, &d);
	tap_ok(s->maps == 1 && s->mapped == LFB_ADDR,
	       "memory decode on: the LFB is mapped at BAR0 (0x%llx)", (unsigned long long)s->mapped);
	tap_ok(pci_mmio(bus, ROM_ADDR, 2, false, &q) == PCI_UNCLAIMED,
	       "the ROM does not decode while its enable bit is clear");
	d = (uint32_t)ROM_ADDR | PCI_ROM_ADDRESS_ENABLE;
	pci_cfg_access(bus, devfn, PCI_ROM_ADDRESS, 4, true, &d);
	q = 0;
	tap_ok(pci_mmio(bus, ROM_ADDR, 2, false, &q) == 0 && q == 0xaa55,
	       "the ROM BAR serves the image: signature 55 aa (0x%llx)", (unsigned long long)q);
	pci_mmio(bus, ROM_ADDR + 39999, 1, false, &q);
	tap_ok(q == rom_image[39999], "the image's last byte (0x%llx)", (unsigned long long)q);
	pci_mmio(bus, ROM_ADDR + 50000, 1, false, &q);
	tap_ok(q == 0, "the ROM BAR past the image reads 0");
	q = 0x12;
	pci_mmio(bus, ROM_ADDR, 1, true, &q);
	pci_mmio(bus, ROM_ADDR, 1, false, &q);
	tap_ok(q == 0x55, "the ROM is read-only");
	d = 0;
	pci_cfg_access(bus, devfn, PCI_ROM_ADDRESS, 4, true, &d);

	/* BAR2: dispi through MMIO, the VGA ports at 0x400. */
	q = 0xb0c4;
	pci_mmio(bus, MMIO_ADDR + 0x500, 2, true, &q);
	q = 0;
	pci_mmio(bus, MMIO_ADDR + 0x500, 2, false, &q);
	tap_ok(q == 0xb0c4, "BAR2 0x500: the dispi ID register (0x%llx)", (unsigned long long)q);
	q = 0xb0c5;
	pci_mmio(bus, MMIO_ADDR + 0x500, 2, true, &q);
	pci_mmio(bus, MMIO_ADDR + 0x500 + 2 * VBE_DISPI_INDEX_VIDEO_MEMORY_64K, 2, false, &q);
	tap_ok(q == 256, "BAR2: VIDEO_MEMORY_64K says 16 MiB (%llu)", (unsigned long long)q);
	q = 0x01;
	pci_mmio(bus, MMIO_ADDR + 0x402, 1, true, &q);	/* misc output, 0x3c2 */
	pci_mmio(bus, MMIO_ADDR + 0x40c, 1, false, &q);	/* misc read, 0x3cc */
	tap_ok(q == 0x01, "BAR2 0x400 + port - 0x3c0: the VGA ports");
	pci_mmio(bus, MMIO_ADDR + 0x10, 4, false, &q);
	tap_ok(q == 0xffffffff, "BAR2 outside the registers reads all-ones");
}

static void test_text(struct vga *v, struct screen *s)
{
	static uint16_t cells[80 * 25];
	unsigned i, bx = 0, by = 0, updates;
	uint32_t cur;

	set_mode3(v);
	load_font(v);
	/* The BIOS's clear, then a line of every attribute and the line-drawing range. */
	for (i = 0; i < 80 * 25; i++) {
		cells[i] = (uint16_t)(((i * 7) & 0xff) | ((i * 13) & 0xff) << 8);
		mem_write(v, 0xb8000 + 2 * i, 2, cells[i]);
	}
	cells[5] = 0x07c4;		/* a horizontal line: the ninth dot repeats */
	mem_write(v, 0xb8000 + 10, 2, cells[5]);
	cells[6] = 0x07b3;		/* outside 0xc0-0xdf: the ninth dot is background */
	mem_write(v, 0xb8000 + 12, 1, 0xb3);
	mem_write(v, 0xb8000 + 13, 1, 0x07);
	cur = 2 * 80 + 3;
	outw(v, 0x3d4, (uint16_t)(cur >> 8 << 8 | 0x0e));
	outw(v, 0x3d4, (uint16_t)((cur & 0xff) << 8 | 0x0f));
	tap_ok(s->dirties == 1, "window writes and registers ask for one refresh (%u)",
	       s->dirties);
	tap_ok(mem_read(v, 0xb8000 + 10, 2) == 0x07c4, "text reads back through odd/even");

	vga_refresh(v, NULL, false);
	tap_ok(s->w == 720 && s->h == 400 && s->format == DISPLAY_FORMAT_XRGB8888,
	       "mode 3 is a 720x400 XRGB8888 surface (%ux%u)", s->w, s->h);
	tap_ok(text_matches(s, cells, cur, &bx, &by),
	       "mode 3 text, font from plane 2, DAC colours, cursor: every pixel as computed "
	       "(first difference at %u,%u)", bx, by);

	/* One character: one cell of damage. */
	updates = s->updates;
	cells[80 * 10 + 40] = 0x1e41;
	mem_write(v, 0xb8000 + 2 * (80 * 10 + 40), 2, cells[80 * 10 + 40]);
	vga_refresh(v, NULL, false);
	tap_ok(s->updates == updates + 1 && s->last.x == 360 && s->last.y == 160 &&
	       s->last.w == 9 && s->last.h == 16,
	       "one character written: one 9x16 update at its cell (%u,%u %ux%u)",
	       s->last.x, s->last.y, s->last.w, s->last.h);
	tap_ok(text_matches(s, cells, cur, &bx, &by), "and the picture is right (%u,%u)", bx, by);
	updates = s->updates;
	vga_refresh(v, NULL, false);
	tap_ok(s->updates == updates, "nothing written: no update");

	/* The cursor moves: its old and new cells. */
	cur = 24 * 80 + 79;
	outw(v, 0x3d4, (uint16_t)(cur >> 8 << 8 | 0x0e));
	outw(v, 0x3d4, (uint16_t)((cur & 0xff) << 8 | 0x0f));
	vga_refresh(v, NULL, false);
	tap_ok(s->updates == updates + 2 && text_matches(s, cells, cur, &bx, &by),
	       "the cursor moved: two cells redrawn, picture right (%u updates)",
	       s->updates - updates);
	/* Hidden cursor (CRTC 0Ah bit 5). */
	outw(v, 0x3d4, 0x2d0a);
	vga_refresh(v, NULL, false);
	tap_ok(text_matches(s, cells, UINT32_MAX, &bx, &by), "cursor disabled: not drawn");
	outw(v, 0x3d4, 0x0d0a);
}

static void test_dac_and_registers(struct vga *v)
{
	uint8_t r, g, b, st1, st2;

	outb(v, 0x3c8, 5);
	outb(v, 0x3c9, 0x3f);
	outb(v, 0x3c9, 0x40);
	outb(v, 0x3c9, 0x15);
	tap_ok(inb(v, 0x3c8) == 6, "DAC write index advances after three values");
	outb(v, 0x3c7, 5);
	tap_ok(inb(v, 0x3c7) == 3, "DAC state: reading");
	r = inb(v, 0x3c9);
	g = inb(v, 0x3c9);
	b = inb(v, 0x3c9);
	tap_ok(r == 0x3f && g == 0x00 && b == 0x15, "DAC entry reads back 6-bit (%02x %02x %02x)",
	       r, g, b);
	tap_ok(vga_dac_rgb(v, 5) == 0xff0055, "DAC 6-bit to 8-bit: 0x%06x", vga_dac_rgb(v, 5));
	outb(v, 0x3c6, 0x00);
	tap_ok(vga_dac_rgb(v, 5) == vga_dac_rgb(v, 0), "the PEL mask selects entry 0");
	outb(v, 0x3c6, 0xff);

	st1 = inb(v, 0x3da);
	st2 = inb(v, 0x3da);
	tap_ok((st1 ^ st2) == 0x09, "input status 1 toggles retrace and display-enable");
	outb(v, 0x3c0, 0x11);
	inb(v, 0x3da);
	outb(v, 0x3c0, 0x11);		/* the flip-flop was reset: an index again */
	outb(v, 0x3c0, 0x2a);		/* overscan */
	outb(v, 0x3c0, 0x20);
	tap_ok(v->ar[0x11] == 0x2a, "attribute flip-flop: index, data, reset by 0x3da");
	outb(v, 0x3c0, 0x1f);
	outb(v, 0x3c0, 0x55);		/* no register 1fh */
	outb(v, 0x3c0, 0x20);
	tap_ok(v->ar[0x1f] == 0 && v->ar[0x11] == 0x2a, "attribute index 1fh: nothing written");
	outb(v, 0x3c4, 0xff);
	outb(v, 0x3c5, 0xff);
	tap_ok(inb(v, 0x3c4) == 7 && inb(v, 0x3c5) == 0, "sequencer index 0xff wraps to an "
	       "unused register that keeps nothing");
	outb(v, 0x3d4, 0xff);
	outb(v, 0x3d5, 0x42);
	tap_ok(inb(v, 0x3d4) == 0x1f && v->crtc[0x1f] == 0x42, "CRTC index masked to 5 bits");
	outb(v, 0x3d4, 0x11);
	outb(v, 0x3d5, 0x8e);		/* protect 0-7 */
	outb(v, 0x3d4, 0x01);
	outb(v, 0x3d5, 0x10);
	tap_ok(v->crtc[1] == 0x4f, "CRTC 01h protected by 11h bit 7");
	outb(v, 0x3d4, 0x11);
	outb(v, 0x3d5, 0x0e);
	tap_ok(inb(v, 0x3b4) == 0xff, "mono CRTC port ignored in colour mode");
	outb(v, 0x3b4, 0x05);
	tap_ok(inb(v, 0x3d4) == 0x11, "a write there does nothing");
	tap_ok(inb(v, 0x3df) == 0xff && inb(v, 0x3c3) == 0xff, "unassigned ports read 0xff");
}

/* Planar write modes 0-3 and read modes 0 and 1 (graphics controller). */
static void test_planar(struct vga *v)
{
	uint8_t l;

	outw(v, 0x3ce, 0x0506);		/* graphics, 0xa0000 64K */
	outw(v, 0x3c4, 0x0604);		/* sequential (odd/even off), no chain-4 */
	outw(v, 0x3c4, 0x0f02);		/* all planes */
	outw(v, 0x3ce, 0x0005);		/* write mode 0 */
	outw(v, 0x3ce, 0x0001);
	outw(v, 0x3ce, 0x0003);
	outw(v, 0x3ce, 0xff08);
	mem_write(v, 0xa0010, 1, 0x5a);
	tap_ok(v->vram[0x10 * 4] == 0x5a && v->vram[0x10 * 4 + 3] == 0x5a,
	       "write mode 0: the byte to every plane the map mask enables");
	outw(v, 0x3ce, 0x0a00);		/* set/reset 1010b */
	outw(v, 0x3ce, 0x0f01);		/* enabled for all planes */
	outw(v, 0x3ce, 0x0f08);		/* bit mask: low nibble */
	mem_read(v, 0xa0010, 1);	/* latch 0x5a */
	mem_write(v, 0xa0010, 1, 0x00);
	tap_ok(v->vram[0x10 * 4] == 0x50 && v->vram[0x10 * 4 + 1] == 0x5f &&
	       v->vram[0x10 * 4 + 3] == 0x5f,
	       "set/reset with the bit mask keeps the latch outside it (%02x %02x)",
	       v->vram[0x10 * 4], v->vram[0x10 * 4 + 1]);
	outw(v, 0x3ce, 0x0001);
	outw(v, 0x3ce, 0xff08);
	outw(v, 0x3ce, 0x0105);		/* write mode 1: the latches */
	mem_read(v, 0xa0010, 1);
	mem_write(v, 0xa0020, 1, 0x99);
	tap_ok(!memcmp(&v->vram[0x20 * 4], &v->vram[0x10 * 4], 4), "write mode 1 copies latches");
	outw(v, 0x3ce, 0x0205);		/* write mode 2: colour */
	mem_write(v, 0xa0030, 1, 0x05);
	tap_ok(v->vram[0x30 * 4] == 0xff && v->vram[0x30 * 4 + 1] == 0 &&
	       v->vram[0x30 * 4 + 2] == 0xff, "write mode 2 spreads colour bits over planes");
	outw(v, 0x3ce, 0x0300);		/* set/reset colour 3 */
	outw(v, 0x3ce, 0x0305);		/* write mode 3 */
	mem_read(v, 0xa9040, 1);	/* zero latches (below 0x2000 plane 2 holds the font) */
	mem_write(v, 0xa9040, 1, 0xf0);
	tap_ok(v->vram[0x9040 * 4] == 0xf0 && v->vram[0x9040 * 4 + 1] == 0xf0 &&
	       v->vram[0x9040 * 4 + 2] == 0x00, "write mode 3: set/reset masked by the data "
	       "(%02x %02x %02x)", v->vram[0x9040 * 4], v->vram[0x9040 * 4 + 1], v->vram[0x9040 * 4 + 2]);
	outw(v, 0x3ce, 0x0205);
	outw(v, 0x3ce, 0x0204);		/* read plane 2 */
	tap_ok(mem_read(v, 0xa0030, 1) == 0xff, "read mode 0 reads the selected plane");
	outw(v, 0x3ce, 0x0a05);		/* read mode 1 */
	outw(v, 0x3ce, 0x0502);		/* compare colour 5 */
	outw(v, 0x3ce, 0x0f07);
	l = (uint8_t)mem_read(v, 0xa0030, 1);
	tap_ok(l == 0xff, "read mode 1: colour compare matches everywhere (0x%02x)", l);
	outw(v, 0x3ce, 0x0302);
	tap_ok(mem_read(v, 0xa0030, 1) == 0x00, "and nowhere for another colour");
	outw(v, 0x3ce, 0x0005);
	outw(v, 0x3ce, 0x0004);
	outw(v, 0x3ce, 0x0e06);
	tap_ok(mem_read(v, 0xa0000, 1) == 0xff, "memory map B8000: 0xa0000 is not decoded");
	tap_ok(vga_legacy_mmio(v, 0x20000, 1, false, &(uint64_t){ 0 }) == -EINVAL &&
	       vga_legacy_mmio(v, 0, 3, false, &(uint64_t){ 0 }) == -EINVAL,
	       "accesses outside the window or of odd sizes fail");
	outw(v, 0x3c4, 0x0304);
	outw(v, 0x3c4, 0x0302);
	outw(v, 0x3ce, 0x1005);
}

/* Mode 12h (640x480, 16 colours, planar) and mode 13h (320x200, 256 colours, chain-4). */
static void test_graphics(struct vga *v, struct screen *s)
{
	unsigned i, x = 100, y = 300;	/* past the font in plane 2 */

	inb(v, 0x3da);
	for (i = 0; i < 16; i++) {
		outb(v, 0x3c0, (uint8_t)i);
		outb(v, 0x3c0, (uint8_t)(i + 0x20));	/* palette i -> DAC 0x20 + i */
	}
	outb(v, 0x3c0, 0x10);
	outb(v, 0x3c0, 0x01);			/* graphics */
	outb(v, 0x3c0, 0x12);
	outb(v, 0x3c0, 0x0f);
	outb(v, 0x3c0, 0x14);
	outb(v, 0x3c0, 0x00);
	outb(v, 0x3c0, 0x20);
	outw(v, 0x3c4, 0x0604);
	outw(v, 0x3c4, 0x0f02);
	outw(v, 0x3ce, 0x0005);
	outw(v, 0x3ce, 0x0506);
	outw(v, 0x3d4, 0x4f01);
	outw(v, 0x3d4, 0x3e07);
	outw(v, 0x3d4, 0x4009);
	outw(v, 0x3d4, 0xdf12);
	outw(v, 0x3d4, 0x2813);
	outw(v, 0x3d4, 0x000c);
	outw(v, 0x3d4, 0x000d);
	/* Pixel (100, 300) colour 9 in write mode 2, the bit mask picking it. */
	outw(v, 0x3ce, 0x0205);
	outw(v, 0x3ce, (uint16_t)((0x80 >> (x & 7)) << 8 | 0x08));
	mem_read(v, 0xa0000 + y * 80 + x / 8, 1);
	mem_write(v, 0xa0000 + y * 80 + x / 8, 1, 9);
	outw(v, 0x3ce, 0xff08);
	outw(v, 0x3ce, 0x0005);
	vga_refresh(v, NULL, false);
	tap_ok(s->w == 640 && s->h == 480, "mode 12h: 640x480 (%ux%u)", s->w, s->h);
	tap_ok(s->px[y * 640 + x] == vga_dac_rgb(v, 0x29) &&
	       s->px[y * 640 + x + 1] == vga_dac_rgb(v, 0x20),
	       "planar pixel colour 9 through the attribute palette, its neighbour 0");

	/* Mode 13h. */
	outw(v, 0x3c4, 0x0e04);
	outw(v, 0x3ce, 0x4005);
	outw(v, 0x3d4, 0x4109);
	outw(v, 0x3d4, 0x8f12);
	outw(v, 0x3d4, 0x1f07);
	outw(v, 0x3d4, 0x4014);
	mem_write(v, 0xa0000 + 5 * 320 + 10, 1, 0x77);
	vga_refresh(v, NULL, false);
	tap_ok(s->w == 320 && s->h == 200, "mode 13h: 320x200 (%ux%u)", s->w, s->h);
	tap_ok(s->px[5 * 320 + 10] == vga_dac_rgb(v, 0x77) && v->vram[5 * 320 + 10] == 0x77,
	       "chain-4 pixel through the DAC");
	/* Back to text for what follows. */
	outw(v, 0x3c4, 0x0204);
	outw(v, 0x3ce, 0x1005);
	outw(v, 0x3ce, 0x0e06);
	outw(v, 0x3d4, 0x0014);
	set_mode3(v);
}

static bool lfb_matches(const struct vga *v, const struct screen *s)
{
	return !memcmp(s->px, v->vram, (size_t)1024 * 768 * 4);
}

static void test_dispi(struct vga *v, struct pci_bus *bus, struct screen *s)
{
	uint64_t bitmap[VGA_VRAM_PAGES / 64];
	uint64_t q;
	unsigned updates, modes;
	uint32_t *fb = (uint32_t *)v->vram;

	tap_ok(dispi_get(v, VBE_DISPI_INDEX_ID) == 0xb0c5, "dispi ID 0xb0c5");
	dispi_set(v, VBE_DISPI_INDEX_ID, 0xb0c9);
	tap_ok(dispi_get(v, VBE_DISPI_INDEX_ID) == 0xb0c5, "an unknown ID is not taken");
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_GETCAPS);
	tap_ok(dispi_get(v, VBE_DISPI_INDEX_XRES) == VBE_DISPI_MAX_XRES &&
	       dispi_get(v, VBE_DISPI_INDEX_BPP) == 32, "GETCAPS: the maximum resolution and depth");
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, 0);
	dispi_set(v, VBE_DISPI_INDEX_XRES, 5000);
	dispi_set(v, VBE_DISPI_INDEX_YRES, 768);
	dispi_set(v, VBE_DISPI_INDEX_BPP, 32);
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
	tap_ok(!(dispi_get(v, VBE_DISPI_INDEX_ENABLE) & VBE_DISPI_ENABLED),
	       "XRES 5000: enable refused");
	dispi_set(v, VBE_DISPI_INDEX_XRES, 4096);
	dispi_set(v, VBE_DISPI_INDEX_YRES, 4096);
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
	tap_ok(!(dispi_get(v, VBE_DISPI_INDEX_ENABLE) & VBE_DISPI_ENABLED),
	       "4096x4096x32 (64 MiB) in 16 MiB: enable refused");
	dispi_set(v, VBE_DISPI_INDEX_BPP, 7);
	dispi_set(v, VBE_DISPI_INDEX_XRES, 640);
	dispi_set(v, VBE_DISPI_INDEX_YRES, 480);
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
	tap_ok(!(dispi_get(v, VBE_DISPI_INDEX_ENABLE) & VBE_DISPI_ENABLED), "7 bpp: refused");
	dispi_set(v, 0x55, 0x1234);
	tap_ok(dispi_get(v, 0x55) == 0, "an unknown dispi index reads 0, writes nothing");

	modes = s->modes;
	dispi_set(v, VBE_DISPI_INDEX_XRES, 1024);
	dispi_set(v, VBE_DISPI_INDEX_YRES, 768);
	dispi_set(v, VBE_DISPI_INDEX_BPP, 32);
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
	tap_ok(dispi_get(v, VBE_DISPI_INDEX_ENABLE) == (VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED),
	       "1024x768x32 enabled");
	tap_ok(dispi_get(v, VBE_DISPI_INDEX_VIRT_WIDTH) == 1024 &&
	       dispi_get(v, VBE_DISPI_INDEX_VIRT_HEIGHT) == 4096, "virtual size 1024x4096");
	dispi_set(v, VBE_DISPI_INDEX_XRES, 800);
	tap_ok(dispi_get(v, VBE_DISPI_INDEX_XRES) == 1024, "XRES is fixed while enabled");
	vga_refresh(v, NULL, false);
	tap_ok(s->modes == modes + 1 && s->w == 1024 && s->h == 768,
	       "mode change: a 1024x768 display mode (%ux%u)", s->w, s->h);

	/* LFB writes through the BAR: their own damage. */
	q = 0x00ff8040;
	pci_mmio(bus, LFB_ADDR + (100 * 1024 + 10) * 4, 4, true, &q);
	updates = s->updates;
	vga_refresh(v, NULL, false);
	tap_ok(s->updates == updates + 1 && s->last.y == 100 && s->last.h == 1 &&
	       s->px[100 * 1024 + 10] == 0x00ff8040,
	       "a write through BAR0: line 100 updated (y %u h %u)", s->last.y, s->last.h);

	/* Writes to the mapped memory: found through the dirty log. */
	fb[500 * 1024 + 7] = 0x123456;
	fb[501 * 1024 + 1000] = 0xabcdef;
	updates = s->updates;
	memset(bitmap, 0, sizeof(bitmap));
	vga_refresh(v, bitmap, false);
	tap_ok(s->updates == updates && s->px[500 * 1024 + 7] == 0,
	       "a clean dirty log: nothing updated");
	bitmap[500 / 64] |= 1ull << (500 % 64);		/* one 4 KiB page = one line */
	bitmap[501 / 64] |= 1ull << (501 % 64);
	vga_refresh(v, bitmap, false);
	tap_ok(s->updates == updates + 1 && s->last.y == 500 && s->last.h == 2 &&
	       s->px[500 * 1024 + 7] == 0x123456 && s->px[501 * 1024 + 1000] == 0xabcdef,
	       "dirty pages 500-501: those two lines updated (y %u h %u)", s->last.y, s->last.h);
	tap_ok(lfb_matches(v, s), "the display holds the framebuffer");
	vga_refresh(v, NULL, true);
	tap_ok(s->last.y == 0 && s->last.h == 768, "a full refresh updates all 768 lines");

	/* Panning inside the virtual screen. */
	dispi_set(v, VBE_DISPI_INDEX_Y_OFFSET, 4000);
	tap_ok(dispi_get(v, VBE_DISPI_INDEX_Y_OFFSET) == 0, "Y_OFFSET past the memory: ignored");
	dispi_set(v, VBE_DISPI_INDEX_Y_OFFSET, 768);
	fb[768 * 1024] = 0x777777;
	vga_refresh(v, NULL, false);
	tap_ok(s->px[0] == 0x777777, "Y_OFFSET 768 shows the second page");
	dispi_set(v, VBE_DISPI_INDEX_Y_OFFSET, 0);
	dispi_set(v, VBE_DISPI_INDEX_BANK, 300);
	tap_ok(dispi_get(v, VBE_DISPI_INDEX_BANK) == 0, "bank 300 of 256: ignored");
	dispi_set(v, VBE_DISPI_INDEX_BANK, 2);
	mem_write(v, 0xa0004, 4, 0xdeadbeef);
	tap_ok(fb[(2 * 65536 + 4) / 4] == 0xdeadbeef, "banked window: bank 2 at 0xa0000");
	dispi_set(v, VBE_DISPI_INDEX_BANK, 0);

	/* 16 and 8 bpp, converted. */
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, 0);
	dispi_set(v, VBE_DISPI_INDEX_XRES, 640);
	dispi_set(v, VBE_DISPI_INDEX_YRES, 480);
	dispi_set(v, VBE_DISPI_INDEX_BPP, 16);
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
	tap_ok(fb[0] == 0 && fb[100 * 1024 + 10] == 0 && fb[640 * 480 / 2 - 1] == 0,
	       "enable without NOCLEARMEM clears the visible memory");
	((uint16_t *)v->vram)[3] = 0xf800;
	((uint16_t *)v->vram)[4] = 0x07e0;
	((uint16_t *)v->vram)[5] = 0x001f;
	vga_refresh(v, NULL, false);
	tap_ok(s->w == 640 && s->h == 480 && s->px[3] == 0xff0000 && s->px[4] == 0x00ff00 &&
	       s->px[5] == 0x0000ff, "16 bpp converts to XRGB (%06x %06x %06x)",
	       s->px[3], s->px[4], s->px[5]);
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, 0);
	dispi_set(v, VBE_DISPI_INDEX_BPP, 8);
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_NOCLEARMEM);
	v->vram[1] = 9;
	vga_refresh(v, NULL, true);
	tap_ok(s->px[1] == vga_dac_rgb(v, 9), "8 bpp goes through the DAC");
	dispi_set(v, VBE_DISPI_INDEX_ENABLE, 0);
}

static size_t save_vga(const struct vga *v, uint8_t **out)
{
	struct state_writer w;
	const uint8_t *d;
	size_t len;
	int err;

	state_writer_init(&w);
	if (vga_save(v, &w)) {
		state_writer_free(&w);
		return 0;
	}
	d = state_writer_data(&w, &len, &err);
	*out = malloc(len);
	memcpy(*out, d, len);
	state_writer_free(&w);
	return len;
}

static void test_save(struct vga *v, struct pci_bus *bus2)
{
	struct screen s2 = { 0 };
	struct state_reader r;
	struct vga v2;
	uint8_t *buf = NULL, *copy;
	size_t len, pci_len, l;
	int ret;
	unsigned bx = 0, by = 0;
	static uint16_t cells[80 * 25];
	unsigned i;

	set_mode3(v);
	load_font(v);
	for (i = 0; i < 80 * 25; i++) {
		cells[i] = (uint16_t)(0x1f00 | (i & 0xff));
		mem_write(v, 0xb8000 + 2 * i, 2, cells[i]);
	}
	outw(v, 0x3d4, 0x000e);
	outw(v, 0x3d4, 0x070f);
	len = save_vga(v, &buf);
	tap_ok(len > 0 && len < 200000, "saved: %zu bytes (zero pages skipped)", len);

	vga_init(&v2, bus2, v->dev.devfn >> 3, &ops, &s2, rom_image, sizeof(rom_image));
	state_reader_init(&r, buf, len);
	ret = vga_load(&v2, &r);
	tap_ok(ret == 0, "loaded (%s)", state_reader_msg(&r));
	{
		struct stat st;
		int fr = fstat(vga_vram_fd(&v2), &st);

		/* Measured before anything reads it: reading a hole would fill it. */
		tap_ok(!fr && (size_t)st.st_blocks * 512 <= len,
		       "the loaded video memory holds the saved pages, no more (%lld KiB)",
		       (long long)st.st_blocks / 2);
	}
	tap_ok(!memcmp(v2.vram, v->vram, VGA_VRAM_SIZE) && !memcmp(v2.palette, v->palette, 768) &&
	       !memcmp(v2.crtc, v->crtc, sizeof(v->crtc)) && !memcmp(v2.ar, v->ar, sizeof(v->ar)) &&
	       !memcmp(v2.seq, v->seq, sizeof(v->seq)) && !memcmp(v2.gr, v->gr, sizeof(v->gr)) &&
	       !memcmp(v2.vbe, v->vbe, sizeof(v->vbe)) && v2.misc == v->misc,
	       "registers, DAC, dispi and video memory round-trip");
	vga_refresh(&v2, NULL, false);
	tap_ok(s2.w == 720 && text_matches(&s2, cells, 7, &bx, &by),
	       "the loaded VGA draws the same text screen (%u,%u)", bx, by);
	vga_destroy(&v2);

	/* The vga section starts after the PCI function's. */
	{
		struct state_writer w;
		int err;

		state_writer_init(&w);
		pci_dev_save(&v->dev, &w);
		state_writer_data(&w, &pci_len, &err);
		state_writer_free(&w);
	}
	copy = malloc(len);
	/* Payload: misc, seq_index, seq[0], seq[1]: offset 3. */
	l = patched(copy, len - pci_len, buf + pci_len, len - pci_len, 3, 0xff, 1);

	/* Same slot, corrupt field. */
	{
		struct pci_bus b3;
		struct screen s4 = { 0 };
		uint8_t *whole = malloc(len);
		uint8_t seq1;

		pci_bus_init(&b3, NULL, NULL);
		vga_init(&v2, &b3, v->dev.devfn >> 3, &ops, &s4, rom_image, sizeof(rom_image));
		seq1 = v2.seq[1];
		v2.vram[100] = 0x42;
		memcpy(whole, buf, pci_len);
		memcpy(whole + pci_len, copy, l);
		state_reader_init(&r, whole, len);
		ret = vga_load(&v2, &r);
		tap_ok(l && ret == -EINVAL && v2.seq[1] == seq1 && v2.vram[100] == 0x42,
		       "a sequencer value with reserved bits: refused, the VGA untouched (%d: %s)",
		       ret, state_reader_msg(&r));
		vga_destroy(&v2);
		free(whole);
		free(s4.px);
	}
	free(copy);
	free(buf);
	free(s2.px);
}

int main(void)
{
	struct pci_bus bus, bus2;
	struct screen s = { 0 };
	struct stat st;
	struct vga v;
	unsigned i;
	int ret;

	for (i = 0; i < sizeof(rom_image); i++)
		rom_image[i] = (uint8_t)(i * 7);
	rom_image[0] = 0x55;
	rom_image[1] = 0xaa;
	pci_bus_init(&bus, NULL, NULL);
	pci_bus_init(&bus2, NULL, NULL);
	ret = vga_init(&v, &bus, 2, &ops, &s, rom_image, sizeof(rom_image));
	tap_ok(ret == PCI_DEVFN(2, 0), "vga_init at 02.0 (%d)", ret);
	tap_ok(!fstat(vga_vram_fd(&v), &st) && st.st_size == VGA_VRAM_SIZE && st.st_blocks == 0,
	       "16 MiB of video memory that holds no memory yet (%lld blocks)",
	       (long long)st.st_blocks);
	tap_ok(vga_init(&(struct vga){ 0 }, &bus, 5, &ops, &s, rom_image, VGA_ROM_MAX + 1) ==
	       -EINVAL, "a ROM image over 256 KiB is refused");
	vga_refresh(&v, NULL, true);
	tap_ok(s.modes == 0 && s.updates == 0, "power-on registers: no picture, no mode");
	test_pci(&v, &bus, &s);
	test_text(&v, &s);
	test_dac_and_registers(&v);
	test_planar(&v);
	test_graphics(&v, &s);
	test_dispi(&v, &bus, &s);
	test_save(&v, &bus2);
	vga_destroy(&v);
	free(s.px);
	return tap_done();
}
