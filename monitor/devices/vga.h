/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/vga.h - the standard VGA: a PCI display controller 1234:1111
 * (class 03 00 00) with the Bochs "dispi" extension, the adapter that
 * QEMU calls "stdvga" and that Debian's vgabios-stdvga.bin and Linux's
 * bochs DRM driver program.
 *
 * What the guest sees:
 *  - BAR0: the linear framebuffer (LFB), VGA_VRAM_SIZE bytes,
 *    prefetchable.  The video memory is a memfd (vga_vram_fd()) the
 *    machine maps into the guest as RAM at the BAR's address
 *    (ops.lfb_map), so LFB writes do not exit; the BAR callback serves
 *    the same bytes when nothing is mapped (host tests, the moment
 *    before the machine maps it).
 *  - BAR2: 4 KiB of registers: the VGA ports 0x3c0-0x3df at 0x400 +
 *    (port - 0x3c0), the dispi registers at 0x500 + 2 * index (16 bits
 *    each), as QEMU's stdvga lays them out for drivers that avoid ports.
 *  - The expansion ROM BAR: the VGA BIOS image given to vga_init()
 *    (vgabios-stdvga.bin), which SeaBIOS copies to 0xc0000 and runs.
 *  - The legacy ports 0x3b0-0x3df: miscellaneous output (0x3c2 write,
 *    0x3cc read), sequencer (0x3c4/5), graphics controller (0x3ce/f),
 *    attribute controller (0x3c0/1, index and data alternating on one
 *    port through a flip-flop that a read of input status 1 resets),
 *    CRTC (0x3d4/5 or 0x3b4/5 as misc bit 0 selects), the DAC (0x3c6
 *    mask, 0x3c7/8 read/write index, 0x3c9 data, three 6-bit values a
 *    colour), feature control, and input status 1 (0x3da or 0x3ba) whose
 *    retrace bits toggle on every read so that polling loops end.
 *  - The dispi ports 0x1ce (index) and 0x1cf (data): ID (0xb0c0-0xb0c5),
 *    XRES, YRES, BPP (8, 15, 16, 24, 32), ENABLE (with GETCAPS, LFB and
 *    NOCLEARMEM), BANK (64 KiB granularity), VIRT_WIDTH, VIRT_HEIGHT,
 *    X_OFFSET, Y_OFFSET, VIDEO_MEMORY_64K.
 *  - The legacy window 0xa0000-0xbffff (vga_legacy_mmio(), offsets from
 *    0xa0000), decoded as graphics register 6 maps it: the sequencer's
 *    map mask, chain-4 and odd/even, the graphics controller's write modes
 *    0-3 (set/reset, rotate, logical function, bit mask), read modes 0
 *    and 1 and the four latches.  With dispi enabled, the 64 KiB window
 *    at 0xa0000 shows bank BANK of the linear memory.
 *
 * Video memory layout: plane p's byte at plane offset o is vram[4 o + p]
 * (the layout that makes chain-4 addressing linear: CPU address a is
 * vram[a]).  Text mode: characters in plane 0, attributes in plane 1
 * (odd/even), the font in plane 2 (32 bytes per glyph, 8 KiB per font
 * block).
 *
 * The picture (vga_refresh(), devices/vga-render.c), in a 32-bit XRGB8888
 * surface through ops.set_mode / ops.update:
 *  - dispi enabled: XRES x YRES of the linear memory at the offsets;
 *    32 bpp goes straight from video memory, 24/16/15/8 bpp converted
 *    (8 bpp through the DAC);
 *  - else text mode (graphics register 6 bit 0 clear): columns x rows of
 *    8- or 9-dot cells, the loaded font, CRTC start address, the cursor
 *    (static: no blinking; blinking attributes show their foreground);
 *  - else the 16-colour planar modes and the chain-4 256-colour modes.
 *  Not modelled: split screen (line compare), horizontal panning, the
 *  40-column dot-clock halving (a 40-column screen is 360 dots wide),
 *  underline (monochrome attribute) and the EDID block of QEMU's BAR2.
 *
 * Damage: VGA hardware has no flush.  Legacy-window writes and register
 * changes are exits the model records (ops.dirty, once until the next
 * refresh); LFB writes that go through the BAR callback are recorded
 * per page; LFB writes to the mapped memfd are found by the caller
 * (the memory slot's dirty log) and passed to vga_refresh().
 *
 * Threads: not thread-safe; the caller serialises every entry point
 * with the device lock (machine.lock in the VM).  The ops run with it
 * held.
 */
#ifndef VMAIN_MONITOR_DEVICES_VGA_H
#define VMAIN_MONITOR_DEVICES_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/pio.h"
#include "display/display.h"

#define VGA_PCI_VENDOR		0x1234
#define VGA_PCI_DEVICE		0x1111
#define VGA_PCI_CLASS		0x030000	/* display controller, VGA compatible */

#define VGA_VRAM_SIZE		(16u << 20)
#define VGA_PAGE_SIZE		4096u
#define VGA_VRAM_PAGES		(VGA_VRAM_SIZE / VGA_PAGE_SIZE)
#define VGA_MMIO_BAR_SIZE	4096u
#define VGA_ROM_MAX		(256u << 10)

#define VGA_LEGACY_BASE		0xa0000ull
#define VGA_LEGACY_SIZE		0x20000ull
#define VGA_PORT_BASE		0x3b0
#define VGA_PORT_LEN		0x30
#define VGA_DISPI_PORT		0x1ce	/* index; 0x1cf data */

/* Dispi registers (Bochs vbe.h numbering). */
#define VBE_DISPI_INDEX_ID		0x0
#define VBE_DISPI_INDEX_XRES		0x1
#define VBE_DISPI_INDEX_YRES		0x2
#define VBE_DISPI_INDEX_BPP		0x3
#define VBE_DISPI_INDEX_ENABLE		0x4
#define VBE_DISPI_INDEX_BANK		0x5
#define VBE_DISPI_INDEX_VIRT_WIDTH	0x6
#define VBE_DISPI_INDEX_VIRT_HEIGHT	0x7
#define VBE_DISPI_INDEX_X_OFFSET	0x8
#define VBE_DISPI_INDEX_Y_OFFSET	0x9
#define VBE_DISPI_INDEX_VIDEO_MEMORY_64K 0xa
#define VBE_DISPI_NR_REGS		0xb

#define VBE_DISPI_ID0			0xb0c0
#define VBE_DISPI_ID5			0xb0c5
#define VBE_DISPI_ENABLED		0x01
#define VBE_DISPI_GETCAPS		0x02
#define VBE_DISPI_8BIT_DAC		0x20
#define VBE_DISPI_LFB_ENABLED		0x40
#define VBE_DISPI_NOCLEARMEM		0x80
#define VBE_DISPI_MAX_XRES		4096	/* also within DISPLAY_MAX_WIDTH */
#define VBE_DISPI_MAX_YRES		4096
#define VBE_DISPI_MAX_BPP		32

/* Register file sizes. */
#define VGA_SEQ_REGS		8
#define VGA_GR_REGS		16
#define VGA_AR_REGS		32
#define VGA_CRTC_REGS		32

/* What the VGA drives: the display (through the machine's screen), and the LFB slot. */
struct vga_ops {
	/* A new mode (DISPLAY_FORMAT_*); width 0: nothing shown. */
	int (*set_mode)(void *opaque, uint32_t width, uint32_t height, uint32_t format);
	/* Pixels of rectangle r: src at (r.x, r.y), src_stride a row. */
	void (*update)(void *opaque, const struct display_rect *r, const void *src,
		       uint32_t src_stride);
	/*
	 * The legacy picture changed (a window write, a register): call
	 * vga_refresh() soon.  Once until that refresh.  May be NULL.
	 */
	void (*dirty)(void *opaque);
	/*
	 * BAR0 now decodes at `gpa` (0: not at all): map vga_vram_fd()
	 * there as guest RAM, or unmap it.  May be NULL.
	 */
	void (*lfb_map)(void *opaque, uint64_t gpa);
	/*
	 * The ROM BAR now decodes at `gpa` (0: not at all): map v->rom
	 * (v->rom_size bytes, page-aligned) there read-only, or unmap it.
	 * Firmware reads the image with any instruction (SeaBIOS compares
	 * its signature in place), which an MMIO exit may not emulate.  May
	 * be NULL.
	 */
	void (*rom_map)(void *opaque, uint64_t gpa);
};

/* The picture's kind, for the renderer. */
enum vga_kind {
	VGA_KIND_NONE,		/* nothing to show (sequencer off, bad values) */
	VGA_KIND_TEXT,
	VGA_KIND_PLANAR16,	/* 4 planes, 16 colours */
	VGA_KIND_CHAIN4,	/* 256 colours, one byte a pixel */
	VGA_KIND_LFB,		/* dispi */
};

/* The mode last given to ops.set_mode, and what rendered it. */
struct vga_screen {
	enum vga_kind kind;
	uint32_t width, height;
	/* Text: the cells as last drawn (char | attr << 8), for damage. */
	uint16_t *cells;
	uint32_t cols, rows, cell_w, cell_h;
	uint32_t cursor;		/* cell index drawn with a cursor, or UINT32_MAX */
	/* LFB: bytes a pixel, bytes a line, first byte. */
	uint32_t bpp, stride, start;
};

struct vga {
	struct pci_dev dev;
	const struct vga_ops *ops;
	void *opaque;
	int vram_fd;
	uint8_t *vram;			/* VGA_VRAM_SIZE, shared mapping of vram_fd */
	int rom_fd;			/* a memfd holding it */
	const uint8_t *rom;		/* the VGA BIOS, read-only (rom_size: a power of two, pages) */
	size_t rom_size;
	uint64_t rom_mapped;		/* where ops.rom_map put it last (0: nowhere) */
	uint64_t lfb_mapped;		/* where ops.lfb_map put it last (0: nowhere) */

	/* Legacy registers. */
	uint8_t misc;
	uint8_t seq_index, seq[VGA_SEQ_REGS];
	uint8_t gr_index, gr[VGA_GR_REGS];
	uint8_t ar_index, ar[VGA_AR_REGS];
	bool ar_flip;			/* false: next 0x3c0 write is the index */
	uint8_t crtc_index, crtc[VGA_CRTC_REGS];
	uint8_t feature;
	uint8_t st1_toggle;		/* input status 1's retrace bits */
	uint8_t latch[4];
	uint8_t pel_mask;
	uint8_t dac_read, dac_write, dac_sub;	/* index, index, component 0-2 */
	bool dac_reading;		/* 0x3c7 state: last index write was the read one */
	uint8_t dac_cache[3];
	uint8_t palette[768];		/* 6-bit R, G, B per entry */

	/* Dispi. */
	uint16_t vbe_index;
	uint16_t vbe[VBE_DISPI_NR_REGS];

	/* Damage. */
	bool dirty;			/* ops.dirty called, no refresh since */
	bool full;			/* redraw everything (font, palette, mode registers) */
	uint64_t *lfb_dirty;		/* pages written through the BAR callback */
	struct vga_screen scr;
	uint32_t *surface;		/* rendered pixels (converted modes), width x height */
	size_t surface_len;		/* pixels allocated */
};

/*
 * Adds the VGA to `bus` at `slot` (-1: the first free one) with its
 * video memory (a memfd) and the ROM image `rom` of `rom_size` bytes
 * (copied; NULL or 0: no ROM BAR; at most VGA_ROM_MAX).  Returns the
 * devfn or -errno.
 */
int vga_init(struct vga *v, struct pci_bus *bus, int slot, const struct vga_ops *ops,
	     void *opaque, const void *rom, size_t rom_size);
void vga_destroy(struct vga *v);

/* Claims ports 0x3b0-0x3df and 0x1ce-0x1cf. */
int vga_register_ports(struct vga *v, struct pio_bus *pio);

/* The pio_io_fns themselves (offsets from 0x3b0 and 0x1ce), for callers that wrap a lock. */
int vga_pio(void *opaque, uint16_t port_offset, unsigned size, bool write, uint32_t *data);
int vga_dispi_pio(void *opaque, uint16_t port_offset, unsigned size, bool write,
		  uint32_t *data);

/*
 * One access to the legacy window at `offset` from 0xa0000 (< 0x20000),
 * size 1, 2, 4 or 8 (bytes in address order).  Returns 0 or -EINVAL.
 */
int vga_legacy_mmio(struct vga *v, uint64_t offset, unsigned size, bool write,
		    uint64_t *data);

/* The video memory, for the machine to map at BAR0. */
int vga_vram_fd(const struct vga *v);

/* Power-on state (also the PCI function's reset hook). */
void vga_reset(struct vga *v);

/* Does the picture come from the LFB (so the caller should watch its dirty log)? */
bool vga_lfb_active(const struct vga *v);

/*
 * Renders what changed and hands it to ops.set_mode / ops.update.
 * `lfb_dirty`: a bitmap of VGA_VRAM_PAGES bits of video memory pages
 * written since the last refresh (the slot's dirty log), or NULL when
 * the memory is not mapped into the guest (every write then came
 * through the BAR callback, which records its pages itself).  full:
 * redraw everything (a new viewer, the screen coming back from
 * virtio-gpu, a dirty log that could not be read).
 */
void vga_refresh(struct vga *v, const uint64_t *lfb_dirty, bool full);

/* Save and restore: registers, DAC, dispi, and the non-zero pages of video memory. */
struct state_writer;
struct state_reader;
int vga_save(const struct vga *v, struct state_writer *w);
int vga_load(struct vga *v, struct state_reader *r);

/* devices/vga-render.c */
void vga_render(struct vga *v, const uint64_t *lfb_dirty, bool full);
/* The DAC colour of palette entry i as XRGB8888. */
uint32_t vga_dac_rgb(const struct vga *v, uint8_t i);
/* A 16-colour attribute index through the attribute controller to the DAC. */
uint32_t vga_attr_rgb(const struct vga *v, uint8_t attr_index);

#endif
