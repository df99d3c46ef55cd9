// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/vga.c - the standard VGA's registers, memory and PCI function
 * (see vga.h; the picture is devices/vga-render.c).
 *
 * References: IBM's VGA technical reference (the register set: "VGA
 * XGA Technical Reference Manual", sequencer, graphics controller,
 * attribute controller, CRTC, DAC), the Bochs VBE "dispi" interface
 * (bochs vbe.h, as QEMU's docs describe it), PCI 3.0 6.2.5.2 (the
 * expansion ROM base address register).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/vga.h"
#include "state/stream.h"

#define VGA_STATE_VERSION	1

/* Bytes of the 64 KiB bank granularity and the planes. */
#define VGA_BANK_SIZE		0x10000u
#define VGA_PLANE_SIZE		0x10000u

static bool dispi_enabled(const struct vga *v)
{
	return v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;
}

/* The picture changed: ask for one refresh (until it runs). */
static void mark_dirty(struct vga *v)
{
	if (v->dirty)
		return;
	v->dirty = true;
	if (v->ops && v->ops->dirty)
		v->ops->dirty(v->opaque);
}

static void mark_full(struct vga *v)
{
	v->full = true;
	mark_dirty(v);
}

static void lfb_page_dirty(struct vga *v, uint32_t off, uint32_t len)
{
	uint32_t p;

	for (p = off / VGA_PAGE_SIZE; p <= (off + len - 1) / VGA_PAGE_SIZE && p < VGA_VRAM_PAGES; p++)
		v->lfb_dirty[p / 64] |= 1ull << (p % 64);
	if (dispi_enabled(v))
		mark_dirty(v);
}

/* ---- the DAC, the register files -------------------------------------- */

/* Bits each register keeps (the rest read back as 0), so odd values stay harmless. */
static const uint8_t seq_mask[VGA_SEQ_REGS] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e };
static const uint8_t gr_mask[VGA_GR_REGS] = {
	0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff,
};

static void ar_write(struct vga *v, uint8_t val)
{
	unsigned idx;

	if (!v->ar_flip) {
		v->ar_index = val & 0x3f;	/* bit 5: palette address source */
		v->ar_flip = true;
		return;
	}
	v->ar_flip = false;
	idx = v->ar_index & 0x1f;
	if (idx < 0x10)
		v->ar[idx] = val & 0x3f;
	else if (idx == 0x10 || idx == 0x11)
		v->ar[idx] = val;
	else if (idx == 0x12)
		v->ar[idx] = val & 0x3f;
	else if (idx == 0x13 || idx == 0x14)
		v->ar[idx] = val & 0x0f;
	else
		return;		/* 0x15-0x1f: no register */
	mark_full(v);
}

static void dac_data_write(struct vga *v, uint8_t val)
{
	v->dac_cache[v->dac_sub++] = val & 0x3f;
	if (v->dac_sub < 3)
		return;
	memcpy(&v->palette[v->dac_write * 3], v->dac_cache, 3);
	v->dac_write++;
	v->dac_sub = 0;
	mark_full(v);
}

static uint8_t dac_data_read(struct vga *v)
{
	uint8_t val = v->palette[v->dac_read * 3 + v->dac_sub];

	if (++v->dac_sub == 3) {
		v->dac_sub = 0;
		v->dac_read++;
	}
	return val;
}

static void crtc_write(struct vga *v, uint8_t val)
{
	unsigned idx = v->crtc_index;

	/* CRTC 11h bit 7 protects 00h-07h, except 07h's line-compare bit 4. */
	if ((v->crtc[0x11] & 0x80) && idx <= 7) {
		if (idx != 7)
			return;
		val = (uint8_t)((v->crtc[7] & ~0x10) | (val & 0x10));
	}
	if (v->crtc[idx] == val)
		return;
	v->crtc[idx] = val;
	/* The cursor and the start address move cells: the cell diff finds them. */
	if (idx >= 0x0a && idx <= 0x0f)
		mark_dirty(v);
	else
		mark_full(v);
}

/* Is `port` decoded now?  Misc output bit 0 picks 0x3dx (colour) or 0x3bx (mono). */
static bool port_decoded(const struct vga *v, uint16_t port)
{
	if (port >= 0x3b0 && port <= 0x3bf)
		return !(v->misc & 1);
	if (port >= 0x3d0 && port <= 0x3df)
		return v->misc & 1;
	return true;
}

static void port_write(struct vga *v, uint16_t port, uint8_t val)
{
	if (!port_decoded(v, port))
		return;
	switch (port) {
	case 0x3c0:
		ar_write(v, val);
		break;
	case 0x3c2:
		v->misc = val;
		mark_full(v);
		break;
	case 0x3c4:
		v->seq_index = val & (VGA_SEQ_REGS - 1);
		break;
	case 0x3c5:
		v->seq[v->seq_index] = val & seq_mask[v->seq_index];
		mark_full(v);
		break;
	case 0x3c6:
		v->pel_mask = val;
		mark_full(v);
		break;
	case 0x3c7:
		v->dac_read = val;
		v->dac_sub = 0;
		v->dac_reading = true;
		break;
	case 0x3c8:
		v->dac_write = val;
		v->dac_sub = 0;
		v->dac_reading = false;
		break;
	case 0x3c9:
		dac_data_write(v, val);
		break;
	case 0x3ce:
		v->gr_index = val & (VGA_GR_REGS - 1);
		break;
	case 0x3cf:
		v->gr[v->gr_index] = val & gr_mask[v->gr_index];
		mark_full(v);
		break;
	case 0x3b4:
	case 0x3d4:
		v->crtc_index = val & (VGA_CRTC_REGS - 1);
		break;
	case 0x3b5:
	case 0x3d5:
		crtc_write(v, val);
		break;
	case 0x3ba:
	case 0x3da:
		v->feature = val;
		break;
	default:
		break;		/* 0x3c3 (enable), 0x3cd and the rest: nothing here */
	}
}

static uint8_t port_read(struct vga *v, uint16_t port)
{
	if (!port_decoded(v, port))
		return 0xff;
	switch (port) {
	case 0x3c0:
		return v->ar_index;
	case 0x3c1:
		return (v->ar_index & 0x1f) < 0x15 ? v->ar[v->ar_index & 0x1f] : 0;
	case 0x3c2:
		return 0;	/* input status 0: no switch sense, no interrupt */
	case 0x3c4:
		return v->seq_index;
	case 0x3c5:
		return v->seq[v->seq_index];
	case 0x3c6:
		return v->pel_mask;
	case 0x3c7:
		return v->dac_reading ? 0x03 : 0x00;
	case 0x3c8:
		return v->dac_write;
	case 0x3c9:
		return dac_data_read(v);
	case 0x3ca:
		return v->feature;
	case 0x3cc:
		return v->misc;
	case 0x3ce:
		return v->gr_index;
	case 0x3cf:
		return v->gr[v->gr_index];
	case 0x3b4:
	case 0x3d4:
		return v->crtc_index;
	case 0x3b5:
	case 0x3d5:
		return v->crtc[v->crtc_index];
	case 0x3ba:
	case 0x3da:
		/*
		 * Input status 1: bit 0 display disabled, bit 3 vertical
		 * retrace.  No real timing here: both toggle on each read, so
		 * a loop waiting for retrace to start or end finishes.  The
		 * read also resets the attribute controller's flip-flop.
		 */
		v->ar_flip = false;
		v->st1_toggle ^= 0x09;
		return v->st1_toggle;
	default:
		return 0xff;
	}
}

static int vga_port_byte(void *opaque, uint16_t offset, bool write, uint8_t *val)
{
	struct vga *v = opaque;
	uint16_t port = (uint16_t)(VGA_PORT_BASE + offset);

	if (write)
		port_write(v, port, *val);
	else
		*val = port_read(v, port);
	return 0;
}

int vga_pio(void *opaque, uint16_t port_offset, unsigned size, bool write, uint32_t *data)
{
	/* 16-bit OUTs to index/data pairs (0x3c4, 0x3ce, 0x3d4) are two byte cycles. */
	return pio_io_bytewise(opaque, vga_port_byte, VGA_PORT_LEN, port_offset, size, write,
			       data);
}

/* ---- dispi --------------------------------------------------------------- */

/* Bytes a line at `width` pixels of `bpp` bits (4 bpp: planar, half a byte). */
static uint32_t dispi_line_bytes(uint32_t width, uint32_t bpp)
{
	return bpp == 15 ? width * 2 : width * ((bpp + 7) / 8);
}

static bool dispi_bpp_ok(uint16_t bpp)
{
	return bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

/* Does the visible XRES x YRES picture at (x, y) of a virt_width-wide buffer fit? */
static bool dispi_fits(const struct vga *v, uint32_t virt_width, uint32_t x, uint32_t y)
{
	uint32_t bpp = v->vbe[VBE_DISPI_INDEX_BPP];
	uint64_t stride = dispi_line_bytes(virt_width, bpp);
	uint64_t xres = v->vbe[VBE_DISPI_INDEX_XRES], yres = v->vbe[VBE_DISPI_INDEX_YRES];

	if (!xres || !yres || virt_width < xres)
		return false;
	return (y + yres - 1) * stride + dispi_line_bytes(x + xres, bpp) <= VGA_VRAM_SIZE;
}

/*
 * Bytes [off, off + len) of video memory to zero: whole pages given back
 * to the memfd (the memory a cleared screen needs is none), the partial
 * ones at the edges written.
 */
static void vram_zero(struct vga *v, uint32_t off, uint32_t len)
{
	uint32_t lo = (off + VGA_PAGE_SIZE - 1) & ~(VGA_PAGE_SIZE - 1);
	uint32_t hi = (off + len) & ~(VGA_PAGE_SIZE - 1);

	if (lo >= hi || madvise(v->vram + lo, hi - lo, MADV_REMOVE)) {
		memset(v->vram + off, 0, len);
		return;
	}
	memset(v->vram + off, 0, lo - off);
	memset(v->vram + hi, 0, off + len - hi);
}

static void dispi_enable(struct vga *v, uint16_t val)
{
	uint16_t keep = VBE_DISPI_GETCAPS | VBE_DISPI_8BIT_DAC | VBE_DISPI_LFB_ENABLED |
			VBE_DISPI_NOCLEARMEM;
	uint32_t stride;

	if ((val & VBE_DISPI_ENABLED) && !dispi_enabled(v)) {
		/*
		 * A mode the memory cannot hold (or no mode) is refused: the
		 * adapter stays in VGA mode, the write is dropped.
		 */
		if (!dispi_bpp_ok(v->vbe[VBE_DISPI_INDEX_BPP]) ||
		    v->vbe[VBE_DISPI_INDEX_XRES] > VBE_DISPI_MAX_XRES ||
		    v->vbe[VBE_DISPI_INDEX_YRES] > VBE_DISPI_MAX_YRES ||
		    !dispi_fits(v, v->vbe[VBE_DISPI_INDEX_XRES], 0, 0))
			return;
		v->vbe[VBE_DISPI_INDEX_VIRT_WIDTH] = v->vbe[VBE_DISPI_INDEX_XRES];
		stride = dispi_line_bytes(v->vbe[VBE_DISPI_INDEX_XRES],
					  v->vbe[VBE_DISPI_INDEX_BPP]);
		v->vbe[VBE_DISPI_INDEX_VIRT_HEIGHT] =
			(uint16_t)(VGA_VRAM_SIZE / stride > 0xffff ? 0xffff : VGA_VRAM_SIZE / stride);
		v->vbe[VBE_DISPI_INDEX_X_OFFSET] = 0;
		v->vbe[VBE_DISPI_INDEX_Y_OFFSET] = 0;
		if (!(val & VBE_DISPI_NOCLEARMEM)) {
			vram_zero(v, 0, stride * v->vbe[VBE_DISPI_INDEX_YRES]);
			lfb_page_dirty(v, 0, stride * v->vbe[VBE_DISPI_INDEX_YRES]);
		}
		v->vbe[VBE_DISPI_INDEX_ENABLE] = VBE_DISPI_ENABLED | (val & keep);
	} else if (val & VBE_DISPI_ENABLED) {
		v->vbe[VBE_DISPI_INDEX_ENABLE] = VBE_DISPI_ENABLED | (val & keep);
	} else {
		v->vbe[VBE_DISPI_INDEX_ENABLE] = val & keep;
		v->vbe[VBE_DISPI_INDEX_BANK] = 0;
	}
	mark_full(v);
}

static uint16_t dispi_read(struct vga *v, uint16_t idx)
{
	bool caps = v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS;

	switch (idx) {
	case VBE_DISPI_INDEX_XRES:
		return caps ? VBE_DISPI_MAX_XRES : v->vbe[idx];
	case VBE_DISPI_INDEX_YRES:
		return caps ? VBE_DISPI_MAX_YRES : v->vbe[idx];
	case VBE_DISPI_INDEX_BPP:
		return caps ? VBE_DISPI_MAX_BPP : v->vbe[idx];
	case VBE_DISPI_INDEX_VIDEO_MEMORY_64K:
		return VGA_VRAM_SIZE / VGA_BANK_SIZE;
	default:
		return idx < VBE_DISPI_NR_REGS ? v->vbe[idx] : 0;
	}
}

static void dispi_write(struct vga *v, uint16_t idx, uint16_t val)
{
	uint32_t stride;

	switch (idx) {
	case VBE_DISPI_INDEX_ID:
		if (val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5)
			v->vbe[idx] = val;
		break;
	case VBE_DISPI_INDEX_XRES:
	case VBE_DISPI_INDEX_YRES:
	case VBE_DISPI_INDEX_BPP:
		/* The geometry changes only while disabled; checked at enable. */
		if (dispi_enabled(v))
			break;
		if (idx == VBE_DISPI_INDEX_BPP && val == 0)
			val = 8;
		v->vbe[idx] = val;
		break;
	case VBE_DISPI_INDEX_ENABLE:
		dispi_enable(v, val);
		break;
	case VBE_DISPI_INDEX_BANK:
		if (val < VGA_VRAM_SIZE / VGA_BANK_SIZE)
			v->vbe[idx] = val;
		break;
	case VBE_DISPI_INDEX_VIRT_WIDTH:
		if (!dispi_enabled(v) || val > VBE_DISPI_MAX_XRES ||
		    !dispi_fits(v, val, v->vbe[VBE_DISPI_INDEX_X_OFFSET],
				v->vbe[VBE_DISPI_INDEX_Y_OFFSET]))
			break;
		v->vbe[idx] = val;
		stride = dispi_line_bytes(val, v->vbe[VBE_DISPI_INDEX_BPP]);
		v->vbe[VBE_DISPI_INDEX_VIRT_HEIGHT] =
			(uint16_t)(VGA_VRAM_SIZE / stride > 0xffff ? 0xffff : VGA_VRAM_SIZE / stride);
		mark_full(v);
		break;
	case VBE_DISPI_INDEX_X_OFFSET:
	case VBE_DISPI_INDEX_Y_OFFSET:
		if (!dispi_enabled(v) ||
		    !dispi_fits(v, v->vbe[VBE_DISPI_INDEX_VIRT_WIDTH],
				idx == VBE_DISPI_INDEX_X_OFFSET ? val : v->vbe[VBE_DISPI_INDEX_X_OFFSET],
				idx == VBE_DISPI_INDEX_Y_OFFSET ? val : v->vbe[VBE_DISPI_INDEX_Y_OFFSET]))
			break;
		v->vbe[idx] = val;
		mark_full(v);
		break;
	default:
		break;		/* VIRT_HEIGHT and VIDEO_MEMORY_64K are computed; others none */
	}
}

int vga_dispi_pio(void *opaque, uint16_t port_offset, unsigned size, bool write,
		  uint32_t *data)
{
	struct vga *v = opaque;

	/* Index at 0x1ce, data at 0x1cf; 16-bit registers, a byte access takes the low half. */
	if (port_offset == 0) {
		if (write)
			v->vbe_index = (uint16_t)*data;
		else
			*data = v->vbe_index;
	} else if (port_offset == 1) {
		if (write)
			dispi_write(v, v->vbe_index, (uint16_t)*data);
		else
			*data = dispi_read(v, v->vbe_index);
	} else {
		return -EINVAL;
	}
	if (!write)
		*data &= pio_ones(size);
	return 0;
}

/* ---- the legacy window ------------------------------------------------- */

/* Graphics register 6 bits 3:2 (memory map select): the window's part of 0xa0000-0xbffff. */
static bool legacy_decode(const struct vga *v, uint32_t off, uint32_t *addr)
{
	static const uint32_t base[4] = { 0x00000, 0x00000, 0x10000, 0x18000 };
	static const uint32_t size[4] = { 0x20000, 0x10000, 0x08000, 0x08000 };
	/* Dispi modes use the 64 KiB window at 0xa0000 for the bank, whatever GR6 says. */
	unsigned map = dispi_enabled(v) ? 1 : (v->gr[6] >> 2) & 3;

	if (off < base[map] || off - base[map] >= size[map])
		return false;
	*addr = off - base[map];
	return true;
}

/* The ALU of write modes 0, 2 and 3, then the bit mask against the latch. */
static uint8_t gr_combine(const struct vga *v, unsigned plane, uint8_t val, uint8_t mask)
{
	uint8_t latch = v->latch[plane];

	switch ((v->gr[3] >> 3) & 3) {
	case 1:
		val &= latch;
		break;
	case 2:
		val |= latch;
		break;
	case 3:
		val ^= latch;
		break;
	default:
		break;
	}
	return (uint8_t)((val & mask) | (latch & ~mask));
}

static void planar_write(struct vga *v, uint32_t o, uint8_t val)
{
	unsigned mode = v->gr[5] & 3, rot = v->gr[3] & 7, p;
	uint8_t map = v->seq[2] & 0x0f, rv, b, mask = v->gr[8];

	rv = (uint8_t)((val >> rot) | (val << ((8 - rot) & 7)));
	for (p = 0; p < 4; p++) {
		bool sr = v->gr[0] & (1u << p);

		if (!(map & (1u << p)))
			continue;
		switch (mode) {
		case 0:
			b = (v->gr[1] & (1u << p)) ? (sr ? 0xff : 0) : rv;
			b = gr_combine(v, p, b, mask);
			break;
		case 1:
			b = v->latch[p];
			break;
		case 2:
			b = gr_combine(v, p, (val & (1u << p)) ? 0xff : 0, mask);
			break;
		default:
			b = gr_combine(v, p, sr ? 0xff : 0, rv & mask);
			break;
		}
		v->vram[o * 4 + p] = b;
		if (p == 2)
			v->full = true;		/* the font (text mode) */
	}
}

static void mem_write8(struct vga *v, uint32_t addr, uint8_t val)
{
	uint8_t map = v->seq[2] & 0x0f;
	unsigned p;

	if (dispi_enabled(v)) {
		uint32_t lin = v->vbe[VBE_DISPI_INDEX_BANK] * VGA_BANK_SIZE + (addr & 0xffff);

		v->vram[lin] = val;
		lfb_page_dirty(v, lin, 1);
		return;
	}
	if (v->seq[4] & 0x08) {
		/* Chain-4: the low two address bits pick the plane. */
		if (map & (1u << (addr & 3)))
			v->vram[addr] = val;
	} else if (!(v->seq[4] & 0x04)) {
		/* Odd/even: even addresses go to planes 0 and 2, odd ones to 1 and 3. */
		uint32_t o = (addr & ~1u) & (VGA_PLANE_SIZE - 1);

		for (p = addr & 1; p < 4; p += 2) {
			if (!(map & (1u << p)))
				continue;
			v->vram[o * 4 + p] = val;
			if (p == 2)
				v->full = true;
		}
	} else {
		planar_write(v, addr & (VGA_PLANE_SIZE - 1), val);
	}
	mark_dirty(v);
}

static uint8_t mem_read8(struct vga *v, uint32_t addr)
{
	uint32_t o;
	uint8_t res;
	unsigned p;

	if (dispi_enabled(v))
		return v->vram[v->vbe[VBE_DISPI_INDEX_BANK] * VGA_BANK_SIZE + (addr & 0xffff)];
	if (v->seq[4] & 0x08)
		return v->vram[addr];
	if (!(v->seq[4] & 0x04)) {
		o = (addr & ~1u) & (VGA_PLANE_SIZE - 1);
		return v->vram[o * 4 + ((v->gr[4] & 2) | (addr & 1))];
	}
	o = addr & (VGA_PLANE_SIZE - 1);
	for (p = 0; p < 4; p++)
		v->latch[p] = v->vram[o * 4 + p];
	if (!(v->gr[5] & 0x08))
		return v->latch[v->gr[4] & 3];
	/* Read mode 1: colour compare over the planes colour-don't-care keeps. */
	res = 0xff;
	for (p = 0; p < 4; p++) {
		if (!(v->gr[7] & (1u << p)))
			continue;
		res &= (uint8_t)~(v->latch[p] ^ ((v->gr[2] & (1u << p)) ? 0xff : 0));
	}
	return res;
}

int vga_legacy_mmio(struct vga *v, uint64_t offset, unsigned size, bool write,
		    uint64_t *data)
{
	uint64_t val = 0;
	uint32_t addr;
	unsigned i;

	if ((size != 1 && size != 2 && size != 4 && size != 8) || offset >= VGA_LEGACY_SIZE ||
	    size > VGA_LEGACY_SIZE - offset) {
		if (!write)
			*data = ~0ull;
		return -EINVAL;
	}
	/* A wide access is byte cycles in address order, as the VGA's 8-bit path splits it. */
	for (i = 0; i < size; i++) {
		bool hit = legacy_decode(v, (uint32_t)offset + i, &addr);

		if (write) {
			if (hit)
				mem_write8(v, addr, (uint8_t)(*data >> (8 * i)));
		} else {
			val |= (uint64_t)(hit ? mem_read8(v, addr) : 0xff) << (8 * i);
		}
	}
	if (!write)
		*data = val;
	return 0;
}

/* ---- the PCI function --------------------------------------------------- */

static void lfb_remap(struct vga *v);

static int lfb_bar(void *opaque, unsigned bar, uint64_t offset, unsigned size, bool write,
		   uint64_t *data)
{
	struct vga *v = opaque;

	(void)bar;
	/*
	 * An access that exits: the framebuffer is not guest RAM here (yet).
	 * Say where it decodes again, so that a machine that could not map
	 * it when the BAR was placed (no VM yet; or BARs placed without
	 * config cycles, as pci_bus_assign() does) maps it now.
	 */
	lfb_remap(v);
	if (v->ops && v->ops->lfb_map && v->lfb_mapped)
		v->ops->lfb_map(v->opaque, v->lfb_mapped);
	if (write) {
		memcpy(v->vram + offset, data, size);	/* x86: little-endian */
		lfb_page_dirty(v, (uint32_t)offset, size);
	} else {
		*data = 0;
		memcpy(data, v->vram + offset, size);
	}
	return 0;
}

/*
 * BAR2 (QEMU's stdvga layout): 0x400 + (port - 0x3c0) for the VGA ports,
 * 0x500 + 2 * index for the dispi registers (16-bit accesses).
 */
static int mmio_bar(void *opaque, unsigned bar, uint64_t offset, unsigned size, bool write,
		    uint64_t *data)
{
	struct vga *v = opaque;
	uint32_t d = write ? (uint32_t)*data : 0;
	int ret = 0;

	(void)bar;
	if (offset >= 0x400 && offset + size <= 0x420 && size <= 4) {
		ret = pio_io_bytewise(v, vga_port_byte, VGA_PORT_LEN,
				      (uint16_t)(offset - 0x400 + 0x10), size, write, &d);
	} else if (offset >= 0x500 && offset < 0x500 + 2 * VBE_DISPI_NR_REGS &&
		   size == 2 && !(offset & 1)) {
		uint16_t idx = (uint16_t)((offset - 0x500) / 2);

		if (write)
			dispi_write(v, idx, (uint16_t)d);
		else
			d = dispi_read(v, idx);
	} else {
		/* No EDID block or other registers: reads all-ones, writes dropped. */
		if (!write)
			*data = ~0ull;
		return 0;
	}
	if (!write)
		*data = d;
	return ret;
}

static void rom_remap(struct vga *v);

static int rom_bar(void *opaque, unsigned bar, uint64_t offset, unsigned size, bool write,
		   uint64_t *data)
{
	struct vga *v = opaque;

	(void)bar;
	/* As for the framebuffer: an access that exits asks for the mapping again. */
	rom_remap(v);
	if (v->ops && v->ops->rom_map && v->rom_mapped)
		v->ops->rom_map(v->opaque, v->rom_mapped);
	if (write)
		return 0;		/* read-only memory */
	*data = 0;
	memcpy(data, v->rom + offset, size);
	return 0;
}

/* BAR0's decode changed: the machine moves (or removes) its RAM mapping. */
static void lfb_remap(struct vga *v)
{
	uint64_t gpa = 0;

	if (pci_cfg_get16(&v->dev, PCI_COMMAND) & PCI_COMMAND_MEMORY)
		gpa = pci_bar_addr(&v->dev, 0);
	if (gpa == v->lfb_mapped)
		return;
	v->lfb_mapped = gpa;
	if (v->ops && v->ops->lfb_map)
		v->ops->lfb_map(v->opaque, gpa);
}

/* The ROM BAR's decode changed (PCI 3.0 6.2.5.2: memory space and its enable bit). */
static void rom_remap(struct vga *v)
{
	uint64_t gpa = 0;

	if (!v->rom_size)
		return;
	if ((pci_cfg_get16(&v->dev, PCI_COMMAND) & PCI_COMMAND_MEMORY) &&
	    (pci_cfg_get32(&v->dev, PCI_ROM_ADDRESS) & PCI_ROM_ADDRESS_ENABLE))
		gpa = pci_bar_addr(&v->dev, PCI_ROM_BAR);
	if (gpa == v->rom_mapped)
		return;
	v->rom_mapped = gpa;
	if (v->ops && v->ops->rom_map)
		v->ops->rom_map(v->opaque, gpa);
}

static void vga_cfg_write(struct pci_dev *dev, uint32_t off, unsigned size, uint32_t val)
{
	(void)val;
	if (off < PCI_COMMAND + 2 && off + size > PCI_COMMAND) {
		lfb_remap(dev->opaque);
		rom_remap(dev->opaque);
	} else if (off < PCI_BAR0 + 4 && off + size > PCI_BAR0) {
		lfb_remap(dev->opaque);
	} else if (off < PCI_ROM_ADDRESS + 4 && off + size > PCI_ROM_ADDRESS) {
		rom_remap(dev->opaque);
	}
}

static void vga_pci_reset(struct pci_dev *dev)
{
	vga_reset(dev->opaque);
}

static const struct pci_dev_ops vga_pci_ops = {
	.cfg_write = vga_cfg_write,
	.reset = vga_pci_reset,
};

/*
 * All of video memory to zero without touching it: the memfd's pages go
 * (a fresh VGA holds no memory until the guest writes), and a guest that
 * has the framebuffer mapped reads zeros through the same file.
 */
static void vram_clear(struct vga *v)
{
	vram_zero(v, 0, VGA_VRAM_SIZE);
}

void vga_reset(struct vga *v)
{
	v->misc = 0;
	v->seq_index = v->gr_index = v->ar_index = v->crtc_index = 0;
	memset(v->seq, 0, sizeof(v->seq));
	memset(v->gr, 0, sizeof(v->gr));
	memset(v->ar, 0, sizeof(v->ar));
	memset(v->crtc, 0, sizeof(v->crtc));
	v->ar_flip = false;
	v->feature = 0;
	v->st1_toggle = 0;
	memset(v->latch, 0, sizeof(v->latch));
	v->pel_mask = 0xff;
	v->dac_read = v->dac_write = v->dac_sub = 0;
	v->dac_reading = false;
	memset(v->dac_cache, 0, sizeof(v->dac_cache));
	memset(v->palette, 0, sizeof(v->palette));
	v->vbe_index = 0;
	memset(v->vbe, 0, sizeof(v->vbe));
	v->vbe[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
	v->vbe[VBE_DISPI_INDEX_BPP] = 8;
	vram_clear(v);
	memset(v->lfb_dirty, 0, VGA_VRAM_PAGES / 8);
	lfb_remap(v);
	rom_remap(v);
	mark_full(v);
}

int vga_init(struct vga *v, struct pci_bus *bus, int slot, const struct vga_ops *ops,
	     void *opaque, const void *rom, size_t rom_size)
{
	uint8_t *copy = NULL;
	size_t rom_bar_size = 0;
	int ret;

	memset(v, 0, sizeof(*v));
	v->vram_fd = -1;
	v->rom_fd = -1;
	v->ops = ops;
	v->opaque = opaque;
	if (rom_size > VGA_ROM_MAX || (rom_size && !rom))
		return -EINVAL;
	if (rom_size) {
		/*
		 * PCI 3.0 6.2.5.2: the ROM BAR's size is a power of two, 2 KiB
		 * or more; whole pages here, so that it can be a memory slot.
		 */
		for (rom_bar_size = VGA_PAGE_SIZE; rom_bar_size < rom_size; rom_bar_size <<= 1)
			;
		/* A memfd of its own, mapped read-only, as the firmware's ROM is. */
		v->rom_fd = memfd_create("vmain-vgabios", MFD_CLOEXEC);
		if (v->rom_fd < 0)
			return -errno;
		if (ftruncate(v->rom_fd, (off_t)rom_bar_size) ||
		    pwrite(v->rom_fd, rom, rom_size, 0) != (ssize_t)rom_size) {
			ret = -errno;
			close(v->rom_fd);
			v->rom_fd = -1;
			return ret;
		}
		copy = mmap(NULL, rom_bar_size, PROT_READ, MAP_SHARED, v->rom_fd, 0);
		if (copy == MAP_FAILED) {
			ret = -errno;
			close(v->rom_fd);
			v->rom_fd = -1;
			return ret;
		}
		v->rom = copy;
		v->rom_size = rom_bar_size;
	}
	v->lfb_dirty = calloc(VGA_VRAM_PAGES / 64, sizeof(uint64_t));
	if (!v->lfb_dirty) {
		ret = -ENOMEM;
		goto free_rom;
	}
	v->vram_fd = memfd_create("vmain-vga", MFD_CLOEXEC);
	if (v->vram_fd < 0) {
		ret = -errno;
		goto free_dirty;
	}
	if (ftruncate(v->vram_fd, VGA_VRAM_SIZE) < 0) {
		ret = -errno;
		goto close_fd;
	}
	v->vram = mmap(NULL, VGA_VRAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, v->vram_fd, 0);
	if (v->vram == MAP_FAILED) {
		v->vram = NULL;
		ret = -errno;
		goto close_fd;
	}
	pci_dev_init(&v->dev, VGA_PCI_VENDOR, VGA_PCI_DEVICE, VGA_PCI_CLASS, 2,
		     0x1af4, 0x1100, 0);
	v->dev.ops = &vga_pci_ops;
	v->dev.opaque = v;
	ret = pci_bar_init(&v->dev, 0, PCI_BAR_MEM32, true, VGA_VRAM_SIZE, lfb_bar, v);
	if (!ret)
		ret = pci_bar_init(&v->dev, 2, PCI_BAR_MEM32, false, VGA_MMIO_BAR_SIZE, mmio_bar, v);
	if (!ret && rom_bar_size)
		ret = pci_rom_init(&v->dev, rom_bar_size, rom_bar, v);
	if (ret)
		goto unmap;
	/* Power-on state, without telling anybody: nothing has been shown yet. */
	v->ops = NULL;
	vga_reset(v);
	v->ops = ops;
	v->dirty = false;
	ret = pci_bus_add(bus, &v->dev, slot, 0);
	if (ret < 0)
		goto unmap;
	return ret;

unmap:
	munmap(v->vram, VGA_VRAM_SIZE);
	v->vram = NULL;
close_fd:
	close(v->vram_fd);
	v->vram_fd = -1;
free_dirty:
	free(v->lfb_dirty);
	v->lfb_dirty = NULL;
free_rom:
	if (copy)
		munmap(copy, rom_bar_size);
	if (v->rom_fd >= 0)
		close(v->rom_fd);
	v->rom_fd = -1;
	v->rom = NULL;
	return ret;
}

void vga_destroy(struct vga *v)
{
	if (v->vram)
		munmap(v->vram, VGA_VRAM_SIZE);
	v->vram = NULL;
	if (v->vram_fd >= 0)
		close(v->vram_fd);
	v->vram_fd = -1;
	free(v->lfb_dirty);
	v->lfb_dirty = NULL;
	if (v->rom)
		munmap((void *)v->rom, v->rom_size);
	v->rom = NULL;
	if (v->rom_fd >= 0)
		close(v->rom_fd);
	v->rom_fd = -1;
	free(v->scr.cells);
	v->scr.cells = NULL;
	free(v->surface);
	v->surface = NULL;
}

int vga_register_ports(struct vga *v, struct pio_bus *pio)
{
	int ret;

	ret = pio_bus_register(pio, VGA_PORT_BASE, VGA_PORT_LEN, vga_pio, v, "vga");
	if (!ret)
		ret = pio_bus_register(pio, VGA_DISPI_PORT, 2, vga_dispi_pio, v, "vga-dispi");
	return ret;
}

int vga_vram_fd(const struct vga *v)
{
	return v->vram_fd;
}

bool vga_lfb_active(const struct vga *v)
{
	return dispi_enabled(v);
}

void vga_refresh(struct vga *v, const uint64_t *lfb_dirty, bool full)
{
	bool all = full || v->full;
	unsigned i;

	v->dirty = false;
	v->full = false;
	if (lfb_dirty) {
		for (i = 0; i < VGA_VRAM_PAGES / 64; i++)
			v->lfb_dirty[i] |= lfb_dirty[i];
	}
	vga_render(v, v->lfb_dirty, all);
	memset(v->lfb_dirty, 0, VGA_VRAM_PAGES / 8);
}

/* ---- save and restore --------------------------------------------------- */

static bool page_zero(const uint8_t *p)
{
	static const uint8_t zero[VGA_PAGE_SIZE];

	return !memcmp(p, zero, VGA_PAGE_SIZE);
}

/*
 * Is page i in a hole of the memfd (never written: zero)?  An extent
 * query (SEEK_DATA), not positioned I/O: reading a hole of a shared
 * mapping would allocate it.  Swapped-out pages are data, as they must.
 */
static bool page_hole(const struct vga *v, uint32_t i)
{
	off_t off = (off_t)i * VGA_PAGE_SIZE, data = lseek(v->vram_fd, off, SEEK_DATA);

	if (data < 0)
		return errno == ENXIO;		/* no data from here on */
	return data >= off + (off_t)VGA_PAGE_SIZE;
}

static bool page_saved(const struct vga *v, uint32_t i)
{
	return !page_hole(v, i) && !page_zero(v->vram + (size_t)i * VGA_PAGE_SIZE);
}

int vga_save(const struct vga *v, struct state_writer *w)
{
	uint32_t i, n = 0;
	int ret;

	ret = pci_dev_save(&v->dev, w);
	if (ret)
		return ret;
	state_section_begin(w, "vga", v->dev.devfn, VGA_STATE_VERSION);
	state_put_u8(w, v->misc);
	state_put_u8(w, v->seq_index);
	state_put_bytes(w, v->seq, sizeof(v->seq));
	state_put_u8(w, v->gr_index);
	state_put_bytes(w, v->gr, sizeof(v->gr));
	state_put_u8(w, v->ar_index);
	state_put_bytes(w, v->ar, sizeof(v->ar));
	state_put_bool(w, v->ar_flip);
	state_put_u8(w, v->crtc_index);
	state_put_bytes(w, v->crtc, sizeof(v->crtc));
	state_put_u8(w, v->feature);
	state_put_u8(w, v->st1_toggle);
	state_put_bytes(w, v->latch, sizeof(v->latch));
	state_put_u8(w, v->pel_mask);
	state_put_u8(w, v->dac_read);
	state_put_u8(w, v->dac_write);
	state_put_u8(w, v->dac_sub);
	state_put_bool(w, v->dac_reading);
	state_put_bytes(w, v->dac_cache, sizeof(v->dac_cache));
	state_put_bytes(w, v->palette, sizeof(v->palette));
	state_put_u16(w, v->vbe_index);
	for (i = 0; i < VBE_DISPI_NR_REGS; i++)
		state_put_u16(w, v->vbe[i]);
	/* Video memory: the pages that are not zero, in order. */
	for (i = 0; i < VGA_VRAM_PAGES; i++)
		n += page_saved(v, i);
	state_put_u32(w, n);
	for (i = 0; i < VGA_VRAM_PAGES; i++) {
		if (!page_saved(v, i))
			continue;
		state_put_u32(w, i);
		state_put_bytes(w, v->vram + (size_t)i * VGA_PAGE_SIZE, VGA_PAGE_SIZE);
	}
	state_section_end(w);
	return state_writer_error(w);
}

/* The registers of a loaded state, checked as the guest's writes would be. */
static void check_loaded(struct state_reader *r, const struct vga *t)
{
	unsigned i;

	if (t->seq_index >= VGA_SEQ_REGS || t->gr_index >= VGA_GR_REGS ||
	    t->ar_index > 0x3f || t->crtc_index >= VGA_CRTC_REGS || t->dac_sub > 2)
		state_reader_fail(r, "VGA register index out of range");
	for (i = 0; i < VGA_SEQ_REGS; i++)
		if (t->seq[i] & ~seq_mask[i])
			state_reader_fail(r, "sequencer register %u: 0x%x", i, t->seq[i]);
	for (i = 0; i < VGA_GR_REGS; i++)
		if (t->gr[i] & ~gr_mask[i])
			state_reader_fail(r, "graphics register %u: 0x%x", i, t->gr[i]);
	for (i = 0; i < sizeof(t->palette); i++)
		if (t->palette[i] > 0x3f || (i < 3 && t->dac_cache[i] > 0x3f))
			state_reader_fail(r, "DAC value out of range");
	if (t->vbe[VBE_DISPI_INDEX_BANK] >= VGA_VRAM_SIZE / VGA_BANK_SIZE)
		state_reader_fail(r, "dispi bank %u", t->vbe[VBE_DISPI_INDEX_BANK]);
	if ((t->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED) &&
	    (!dispi_bpp_ok(t->vbe[VBE_DISPI_INDEX_BPP]) ||
	     t->vbe[VBE_DISPI_INDEX_XRES] > VBE_DISPI_MAX_XRES ||
	     t->vbe[VBE_DISPI_INDEX_YRES] > VBE_DISPI_MAX_YRES ||
	     t->vbe[VBE_DISPI_INDEX_VIRT_WIDTH] > VBE_DISPI_MAX_XRES ||
	     !dispi_fits(t, t->vbe[VBE_DISPI_INDEX_VIRT_WIDTH], t->vbe[VBE_DISPI_INDEX_X_OFFSET],
			 t->vbe[VBE_DISPI_INDEX_Y_OFFSET])))
		state_reader_fail(r, "dispi mode %ux%ux%u does not fit",
				  t->vbe[VBE_DISPI_INDEX_XRES], t->vbe[VBE_DISPI_INDEX_YRES],
				  t->vbe[VBE_DISPI_INDEX_BPP]);
}

int vga_load(struct vga *v, struct state_reader *r)
{
	struct vga *t;
	uint8_t *pages = NULL;
	uint32_t *idx = NULL;
	uint32_t i, n;
	int ret;

	ret = pci_dev_load(&v->dev, r);
	if (ret)
		return ret;
	ret = state_section_open(r, "vga", v->dev.devfn, VGA_STATE_VERSION, NULL);
	if (ret)
		return ret;
	t = malloc(sizeof(*t));
	if (!t) {
		state_reader_fail(r, "out of memory");
		return -ENOMEM;
	}
	*t = *v;
	t->misc = state_get_u8(r);
	t->seq_index = state_get_u8(r);
	state_get_bytes(r, t->seq, sizeof(t->seq));
	t->gr_index = state_get_u8(r);
	state_get_bytes(r, t->gr, sizeof(t->gr));
	t->ar_index = state_get_u8(r);
	state_get_bytes(r, t->ar, sizeof(t->ar));
	t->ar_flip = state_get_bool(r);
	t->crtc_index = state_get_u8(r);
	state_get_bytes(r, t->crtc, sizeof(t->crtc));
	t->feature = state_get_u8(r);
	t->st1_toggle = state_get_u8(r);
	state_get_bytes(r, t->latch, sizeof(t->latch));
	t->pel_mask = state_get_u8(r);
	t->dac_read = state_get_u8(r);
	t->dac_write = state_get_u8(r);
	t->dac_sub = state_get_u8(r);
	t->dac_reading = state_get_bool(r);
	state_get_bytes(r, t->dac_cache, sizeof(t->dac_cache));
	state_get_bytes(r, t->palette, sizeof(t->palette));
	t->vbe_index = state_get_u16(r);
	for (i = 0; i < VBE_DISPI_NR_REGS; i++)
		t->vbe[i] = state_get_u16(r);
	check_loaded(r, t);
	n = state_get_u32(r);
	if (n > VGA_VRAM_PAGES)
		state_reader_fail(r, "%u video memory pages", n);
	else if (n) {
		pages = malloc((size_t)n * VGA_PAGE_SIZE);
		idx = malloc(n * sizeof(*idx));
		if (!pages || !idx)
			state_reader_fail(r, "out of memory");
	}
	for (i = 0; i < n && !state_reader_error(r); i++) {
		idx[i] = state_get_u32(r);
		if (idx[i] >= VGA_VRAM_PAGES || (i && idx[i] <= idx[i - 1])) {
			state_reader_fail(r, "video memory page %u out of order", idx[i]);
			break;
		}
		state_get_bytes(r, pages + (size_t)i * VGA_PAGE_SIZE, VGA_PAGE_SIZE);
	}
	ret = state_section_close(r);
	if (!ret) {
		/* The saved pages into emptied memory: a page not saved was zero. */
		vram_clear(v);
		for (i = 0; i < n; i++)
			memcpy(v->vram + (size_t)idx[i] * VGA_PAGE_SIZE,
			       pages + (size_t)i * VGA_PAGE_SIZE, VGA_PAGE_SIZE);
		/* The picture is drawn afresh; the mapping follows the loaded BAR. */
		t->scr.kind = VGA_KIND_NONE;
		t->scr.width = t->scr.height = 0;
		*v = *t;
		v->dirty = false;
		memset(v->lfb_dirty, 0, VGA_VRAM_PAGES / 8);
		lfb_remap(v);
		rom_remap(v);
		mark_full(v);
	}
	free(pages);
	free(idx);
	free(t);
	return ret;
}
