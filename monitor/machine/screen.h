/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/screen.h - a machine's display devices: a virtio-gpu that
 * draws into the VM's display (display/display.h), and a virtio-input
 * keyboard, tablet and relative mouse that the display's input reaches.
 *
 * Only a machine whose configuration names a display has them: a
 * headless VM has no such PCI functions and spends nothing on them.
 *
 * The pointer the guest drives decides the display's pointer mode
 * (display_set_pointer_relative()): relative while a driver has the
 * mouse and none has the tablet, absolute otherwise; buttons and the
 * wheel go to that pointer.
 *
 * The standard VGA (cfg.vga, devices/vga.h), for firmware boots: it
 * owns the display from power-on, so the firmware, boot loaders and text
 * installers are seen, until virtio-gpu's driver sets a scanout; from
 * then on the display is the GPU's until the machine goes (a guest reset
 * is a new machine: the VGA has it again).  Without a VGA the GPU owns
 * the display from the start, as before.  The VGA has no flush: its
 * legacy-window writes and register changes ask for one refresh (on the
 * I/O thread, 1/30 s later, coalesced); its framebuffer is guest RAM in
 * memory slot SCREEN_SLOT_VGA_LFB with dirty logging, read (one
 * GET_DIRTY_LOG of 512 bytes) 30 times a second only while the VGA owns
 * the display in a dispi mode and a viewer that draws is attached
 * (display_watched()).  Nothing runs while nobody watches or the GPU
 * owns the display.
 *
 * Threads: the device models run under machine.lock, as every device
 * does; the machine_screen_* input entry points take it themselves (any
 * thread, lock not held).
 */
#ifndef VMAIN_MONITOR_MACHINE_SCREEN_H
#define VMAIN_MONITOR_MACHINE_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/vga.h"
#include "devices/virtio-gpu.h"
#include "devices/virtio-input.h"

struct machine;
struct ioloop_timer;
struct state_writer;
struct state_reader;

/* The VGA's memory slots: past machine.c's (0-1) and the firmware's (0-17). */
#define SCREEN_SLOT_VGA_LFB	24	/* its framebuffer, dirty-logged */
#define SCREEN_SLOT_VGA_ROM	25	/* its BIOS in the ROM BAR, read-only */
#define SCREEN_VGA_REFRESH_NS	(1000000000 / 30)

struct machine_screen {
	struct virtio_gpu gpu;
	struct virtio_input keyboard, tablet, mouse;
	bool relative;		/* the pointer mode last given to the display */
	/* The standard VGA (cfg.vga), else NULL; the rest is its. */
	struct vga *vga;
	bool gpu_owns;		/* the GPU's driver set a scanout: the display is the GPU's */
	bool watched;		/* display_watched(), as last told */
	bool vga_full;		/* the next refresh redraws everything */
	uint64_t lfb_want;	/* where the VGA wants its framebuffer (0: nowhere) */
	uint64_t lfb_gpa;	/* where the slot maps it (0: no slot) */
	uint64_t lfb_failed;	/* where mapping failed: said once, BAR exits instead */
	uint64_t rom_want, rom_gpa, rom_failed;	/* the same for the ROM BAR */
	struct ioloop_timer *refresh;	/* on cfg.ioloop */
	uint64_t dirty[VGA_VRAM_PAGES / 64];
};

/*
 * Adds the devices to the machine's PCI bus (platform_init(), when
 * cfg.display is set): the GPU first reports cfg.display_width x
 * cfg.display_height.  -errno; machine_screen_destroy() undoes a partial
 * init too.
 */
int machine_screen_init(struct machine *m);
void machine_screen_destroy(struct machine *m);

/* The display's input and settled size, to this machine's devices. */
void machine_screen_key(struct machine *m, uint16_t code, bool down);
void machine_screen_abs(struct machine *m, uint32_t x, uint32_t y, uint32_t w, uint32_t h);
void machine_screen_buttons(struct machine *m, uint32_t mask);
void machine_screen_wheel(struct machine *m, int32_t dy, int32_t dx);
void machine_screen_rel(struct machine *m, int32_t dx, int32_t dy);
void machine_screen_resize(struct machine *m, uint32_t width, uint32_t height);

/* A viewer that draws came or the last one went (display_watched()); lock not held. */
void machine_screen_watched(struct machine *m);
/* The VGA's picture into the display now, watched or not (a screenshot); lock not held. */
void machine_screen_refresh(struct machine *m);

/*
 * The VGA's legacy window (0xa0000-0xbffff) for platform_mmio(), lock
 * held: true when the VGA took the access.
 */
bool machine_screen_mmio(struct machine *m, uint64_t gpa, unsigned size, bool write,
			 uint64_t *data);

/* The VGA and who owns the display (section "screen-owner"), where the machine has a VGA. */
int machine_screen_vga_save(const struct machine_screen *s, struct state_writer *w);
int machine_screen_vga_load(struct machine_screen *s, struct state_reader *r);

#endif
