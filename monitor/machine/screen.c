// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/screen.c - a machine's display devices (see screen.h).
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "display/display.h"
#include "io/ioloop.h"
#include "machine/machine.h"
#include "machine/screen.h"
#include "state/stream.h"

#define SCREEN_OWNER_STATE_VERSION	1

/* Does the VGA show its picture (rather than the GPU)? */
static bool vga_owns(const struct machine_screen *s)
{
	return s->vga && !s->gpu_owns;
}

/*
 * The GPU's ops: into the display (machine.lock held, as display.h
 * wants) once the GPU owns it.  Before that, beside a VGA, a scanout
 * the driver sets takes the display over; everything else (the device's
 * own resets disabling a scanout it never had, cursor updates) is the
 * GPU talking to a display it does not have yet.
 */
static int gpu_set_mode(void *opaque, uint32_t width, uint32_t height, uint32_t format)
{
	struct machine *m = opaque;
	struct machine_screen *s = m->screen;

	if (vga_owns(s)) {
		if (!width)
			return 0;
		s->gpu_owns = true;
		if (s->refresh)
			ioloop_timer_disarm(s->refresh);
	}
	return display_set_mode(m->cfg.display, width, height, format);
}

static void gpu_update(void *opaque, const struct display_rect *r, const void *src,
		       uint32_t stride)
{
	struct machine *m = opaque;

	if (!vga_owns(m->screen))
		display_update(m->cfg.display, r, src, stride);
}

static int gpu_cursor_define(void *opaque, uint32_t w, uint32_t h, uint32_t hot_x,
			     uint32_t hot_y, const uint32_t *argb)
{
	struct machine *m = opaque;

	if (vga_owns(m->screen))
		return 0;
	return display_cursor_define(m->cfg.display, w, h, hot_x, hot_y, argb);
}

static void gpu_cursor_move(void *opaque, int32_t x, int32_t y, bool visible)
{
	struct machine *m = opaque;

	if (!vga_owns(m->screen))
		display_cursor_move(m->cfg.display, x, y, visible);
}

/* ---- the VGA (lock held unless said) ---- */

static int vga_op_set_mode(void *opaque, uint32_t width, uint32_t height, uint32_t format)
{
	struct machine *m = opaque;

	return vga_owns(m->screen) ? display_set_mode(m->cfg.display, width, height, format) : 0;
}

static void vga_op_update(void *opaque, const struct display_rect *r, const void *src,
			  uint32_t stride)
{
	struct machine *m = opaque;

	if (vga_owns(m->screen))
		display_update(m->cfg.display, r, src, stride);
}

/* One refresh soon, unless one is due already or nobody would see it. */
static void vga_schedule(struct machine *m)
{
	struct machine_screen *s = m->screen;

	if (vga_owns(s) && s->watched && s->refresh && !ioloop_timer_armed(s->refresh))
		ioloop_timer_arm(s->refresh, ioloop_now_ns() + SCREEN_VGA_REFRESH_NS);
}

static void vga_op_dirty(void *opaque)
{
	vga_schedule(opaque);
}

/*
 * The framebuffer's slot follows BAR0 (the VGA calls lfb_map as the
 * guest moves it or turns memory decode off).  Until the VM exists, or
 * where the slot cannot be made (a BAR placed over RAM), LFB accesses
 * exit and the BAR callback serves them: slower, never wrong.
 */
static void lfb_apply(struct machine *m)
{
	struct machine_screen *s = m->screen;
	const struct hv_backend *be = m->vm.backend;
	int ret;

	if (!m->vm_created || s->lfb_want == s->lfb_gpa || !be->set_memory_logged ||
	    (s->lfb_failed && s->lfb_want == s->lfb_failed))
		return;
	if (s->lfb_gpa)
		be->set_memory(&m->vm, SCREEN_SLOT_VGA_LFB, s->lfb_gpa, 0, NULL, false);
	s->lfb_gpa = 0;
	if (!s->lfb_want)
		return;
	ret = be->set_memory_logged(&m->vm, SCREEN_SLOT_VGA_LFB, s->lfb_want, VGA_VRAM_SIZE,
				    s->vga->vram);
	if (ret) {
		if (!s->lfb_failed)
			fprintf(stderr, "vmain: VGA framebuffer at 0x%" G_GINT64_MODIFIER "x not "
				"mapped (%s): its accesses exit\n", s->lfb_want, strerror(-ret));
		s->lfb_failed = s->lfb_want;	/* not tried again on every access */
		return;
	}
	s->lfb_gpa = s->lfb_want;
	s->vga_full = true;	/* writes before the log existed */
}

/* The ROM BAR's read-only slot, as lfb_apply() does the framebuffer's. */
static void rom_apply(struct machine *m)
{
	struct machine_screen *s = m->screen;
	const struct hv_backend *be = m->vm.backend;
	int ret;

	if (!m->vm_created || s->rom_want == s->rom_gpa ||
	    (s->rom_failed && s->rom_want == s->rom_failed))
		return;
	if (s->rom_gpa)
		be->set_memory(&m->vm, SCREEN_SLOT_VGA_ROM, s->rom_gpa, 0, NULL, false);
	s->rom_gpa = 0;
	if (!s->rom_want)
		return;
	ret = be->set_memory(&m->vm, SCREEN_SLOT_VGA_ROM, s->rom_want, s->vga->rom_size,
			     (void *)s->vga->rom, true);
	if (ret) {
		if (!s->rom_failed)
			fprintf(stderr, "vmain: VGA BIOS at 0x%" G_GINT64_MODIFIER "x not mapped "
				"(%s): its reads exit\n", s->rom_want, strerror(-ret));
		s->rom_failed = s->rom_want;
		return;
	}
	s->rom_gpa = s->rom_want;
}

static void vga_op_rom_map(void *opaque, uint64_t gpa)
{
	struct machine *m = opaque;

	m->screen->rom_want = gpa;
	rom_apply(m);
}

static void vga_op_lfb_map(void *opaque, uint64_t gpa)
{
	struct machine *m = opaque;

	m->screen->lfb_want = gpa;
	lfb_apply(m);
}

/* The slot's dirty log (when the LFB is mapped) and the VGA's own damage into the display. */
static void vga_draw(struct machine *m)
{
	struct machine_screen *s = m->screen;
	bool full;

	lfb_apply(m);
	full = s->vga_full;
	if (s->lfb_gpa && m->vm.backend->get_dirty_log(&m->vm, SCREEN_SLOT_VGA_LFB, s->dirty))
		full = true;	/* the log is unknown: everything */
	s->vga_full = false;
	vga_refresh(s->vga, s->lfb_gpa ? s->dirty : NULL, full);
}

/*
 * The refresh, on the I/O thread; again in 1/30 s while a dispi mode is
 * shown from the mapped framebuffer and watched.
 */
static void vga_refresh_fired(void *opaque)
{
	struct machine *m = opaque;
	struct machine_screen *s;

	pthread_mutex_lock(&m->lock);
	s = m->screen;
	if (!s || !vga_owns(s) || !s->watched)
		goto unlock;
	vga_draw(m);
	if (s->lfb_gpa && vga_lfb_active(s->vga))
		ioloop_timer_arm(s->refresh, ioloop_now_ns() + SCREEN_VGA_REFRESH_NS);
unlock:
	pthread_mutex_unlock(&m->lock);
}

void machine_screen_refresh(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	if (m->screen && vga_owns(m->screen))
		vga_draw(m);
	pthread_mutex_unlock(&m->lock);
}

void machine_screen_watched(struct machine *m)
{
	bool watched = m->cfg.display && display_watched(m->cfg.display);

	pthread_mutex_lock(&m->lock);
	if (m->screen && m->screen->vga) {
		m->screen->watched = watched;
		/* What was drawn while nobody looked: all of it, now. */
		m->screen->vga_full = true;
		vga_schedule(m);
	}
	pthread_mutex_unlock(&m->lock);
}

bool machine_screen_mmio(struct machine *m, uint64_t gpa, unsigned size, bool write,
			 uint64_t *data)
{
	if (!m->screen || !m->screen->vga || gpa < VGA_LEGACY_BASE ||
	    gpa >= VGA_LEGACY_BASE + VGA_LEGACY_SIZE)
		return false;
	vga_legacy_mmio(m->screen->vga, gpa - VGA_LEGACY_BASE, size, write, data);
	return true;
}

/* The VGA BIOS image (`path`), read whole; NULL and a message when it cannot be. */
static gchar *read_vga_rom(const char *path, gsize *len)
{
	GError *err = NULL;
	gchar *buf;

	if (!g_file_get_contents(path, &buf, len, &err)) {
		fprintf(stderr, "vmain: VGA BIOS: %s\n", err->message);
		g_error_free(err);
		return NULL;
	}
	if (*len > VGA_ROM_MAX) {
		fprintf(stderr, "vmain: VGA BIOS %s: %" G_GSIZE_FORMAT " bytes, more than %u\n",
			path, *len, VGA_ROM_MAX);
		g_free(buf);
		return NULL;
	}
	return buf;
}

static int vga_create(struct machine *m)
{
	static const struct vga_ops ops = {
		.set_mode = vga_op_set_mode, .update = vga_op_update, .dirty = vga_op_dirty,
		.lfb_map = vga_op_lfb_map, .rom_map = vga_op_rom_map,
	};
	struct machine_screen *s = m->screen;
	gchar *rom = NULL;
	gsize rom_len = 0;
	int ret;

	if (m->cfg.vga_rom) {
		rom = read_vga_rom(m->cfg.vga_rom, &rom_len);
		if (!rom)
			return -EINVAL;
	}
	s->vga = calloc(1, sizeof(*s->vga));
	if (!s->vga) {
		g_free(rom);
		return -ENOMEM;
	}
	ret = vga_init(s->vga, &m->pci, -1, &ops, m, rom, rom_len);
	g_free(rom);
	if (ret < 0) {
		free(s->vga);
		s->vga = NULL;
		return ret;
	}
	ret = vga_register_ports(s->vga, &m->pio);
	if (!ret && m->cfg.ioloop)
		ret = ioloop_timer_new(m->cfg.ioloop, vga_refresh_fired, m, &s->refresh);
	return ret;
}

int machine_screen_vga_save(const struct machine_screen *s, struct state_writer *w)
{
	int ret = vga_save(s->vga, w);

	if (ret)
		return ret;
	state_section_begin(w, "screen-owner", 0, SCREEN_OWNER_STATE_VERSION);
	state_put_bool(w, s->gpu_owns);
	state_section_end(w);
	return state_writer_error(w);
}

int machine_screen_vga_load(struct machine_screen *s, struct state_reader *r)
{
	bool gpu_owns;
	int ret;

	ret = vga_load(s->vga, r);
	if (ret)
		return ret;
	ret = state_section_open(r, "screen-owner", 0, SCREEN_OWNER_STATE_VERSION, NULL);
	if (ret)
		return ret;
	gpu_owns = state_get_bool(r);
	ret = state_section_close(r);
	if (!ret)
		s->gpu_owns = gpu_owns;
	return ret;
}

/*
 * Which pointer the guest drives: relative when a driver has the mouse
 * and none the tablet (a guest without an absolute-pointer driver, or
 * one that unbound it: a game that wants raw motion), else absolute,
 * also before any driver binds.  The viewers learn it from the display
 * (display_set_pointer_relative()); buttons and the wheel go to that
 * device.  machine.lock held (a driver's status write, or the loader's
 * kick).
 */
static bool pointer_relative(const struct machine_screen *s)
{
	return !virtio_input_driver_ready(&s->tablet) && virtio_input_driver_ready(&s->mouse);
}

static void pointer_driver_changed(void *opaque)
{
	struct machine *m = opaque;
	struct machine_screen *s = m->screen;
	bool relative = pointer_relative(s);

	/*
	 * The pointer that stops being the guest's lets go of its buttons
	 * (when its driver is still bound, a button held across the change
	 * would stay down: its release goes to the other pointer).
	 */
	if (relative != s->relative)
		virtio_input_buttons(s->relative ? &s->mouse : &s->tablet, 0);
	s->relative = relative;
	display_set_pointer_relative(m->cfg.display, relative);
}

int machine_screen_init(struct machine *m)
{
	static const struct virtio_gpu_ops gpu_ops = {
		.set_mode = gpu_set_mode, .update = gpu_update,
		.cursor_define = gpu_cursor_define, .cursor_move = gpu_cursor_move,
	};
	struct machine_screen *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	m->screen = s;
	/* A new machine shows nothing until its guest sets a scanout (or programs its VGA). */
	display_set_mode(m->cfg.display, 0, 0, 0);
	display_cursor_define(m->cfg.display, 0, 0, 0, 0, NULL);
	display_set_pointer_relative(m->cfg.display, false);
	/* The VGA first: the PCI function firmware finds before the GPU. */
	if (m->cfg.vga) {
		ret = vga_create(m);
		if (ret < 0)
			return ret;
	}
	ret = virtio_gpu_init(&s->gpu, &m->pci, -1, &m->ram, &gpu_ops, m,
			      m->cfg.gpu_mem_cap);
	if (ret < 0)
		return ret;
	if (m->cfg.display_width && m->cfg.display_height)
		virtio_gpu_set_preferred_size(&s->gpu, m->cfg.display_width,
					      m->cfg.display_height);
	ret = virtio_input_init(&s->keyboard, &m->pci, -1, &m->ram, VIRTIO_INPUT_KEYBOARD);
	if (ret >= 0)
		ret = virtio_input_init(&s->tablet, &m->pci, -1, &m->ram, VIRTIO_INPUT_TABLET);
	if (ret >= 0)
		ret = virtio_input_init(&s->mouse, &m->pci, -1, &m->ram, VIRTIO_INPUT_MOUSE);
	if (ret < 0)
		return ret;
	virtio_input_on_ready_changed(&s->tablet, pointer_driver_changed, m);
	virtio_input_on_ready_changed(&s->mouse, pointer_driver_changed, m);
	return 0;
}

void machine_screen_destroy(struct machine *m)
{
	if (!m->screen)
		return;
	/* The refresh first: freeing the timer waits for a refresh that runs. */
	if (m->screen->refresh)
		ioloop_timer_free(m->screen->refresh);
	virtio_gpu_destroy(&m->screen->gpu);
	if (m->screen->vga) {
		vga_destroy(m->screen->vga);
		free(m->screen->vga);
	}
	free(m->screen);
	m->screen = NULL;
}

/*
 * Input a guest has no driver for yet is refused by the device (not
 * queued past its ring): nothing to report back to a viewer.
 *
 * Keys go to the 8042's PS/2 keyboard until the guest's virtio-input
 * keyboard driver is up (DRIVER_OK and no reset since, virtio 1.2
 * 3.1.1; its event buffers are posted with it), then to virtio-input
 * only: the firmware, boot loaders and installers read the PS/2 one
 * (SeaBIOS's INT 16h), and a Linux with both drivers sees each key once,
 * as QEMU hands keys to the newest handler.  A driver reset (a reboot)
 * sends them back to PS/2.
 */
void machine_screen_key(struct machine *m, uint16_t code, bool down)
{
	pthread_mutex_lock(&m->lock);
	if (m->screen && virtio_input_driver_ready(&m->screen->keyboard))
		virtio_input_key(&m->screen->keyboard, code, down);
	else
		i8042_key(&m->kbc, code, down);
	pthread_mutex_unlock(&m->lock);
}

void machine_screen_abs(struct machine *m, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	pthread_mutex_lock(&m->lock);
	if (m->screen)
		virtio_input_abs(&m->screen->tablet, x, y, w, h);
	pthread_mutex_unlock(&m->lock);
}

/* Buttons and the wheel go with the pointer the guest drives (lock held). */
static struct virtio_input *pointer_dev(struct machine_screen *s)
{
	return pointer_relative(s) ? &s->mouse : &s->tablet;
}

void machine_screen_buttons(struct machine *m, uint32_t mask)
{
	pthread_mutex_lock(&m->lock);
	if (m->screen)
		virtio_input_buttons(pointer_dev(m->screen), mask);
	pthread_mutex_unlock(&m->lock);
}

void machine_screen_wheel(struct machine *m, int32_t dy, int32_t dx)
{
	pthread_mutex_lock(&m->lock);
	if (m->screen)
		virtio_input_wheel(pointer_dev(m->screen), dy, dx);
	pthread_mutex_unlock(&m->lock);
}

void machine_screen_rel(struct machine *m, int32_t dx, int32_t dy)
{
	pthread_mutex_lock(&m->lock);
	if (m->screen)
		virtio_input_rel(&m->screen->mouse, dx, dy);
	pthread_mutex_unlock(&m->lock);
}

void machine_screen_resize(struct machine *m, uint32_t width, uint32_t height)
{
	pthread_mutex_lock(&m->lock);
	if (m->screen)
		virtio_gpu_set_preferred_size(&m->screen->gpu, width, height);
	pthread_mutex_unlock(&m->lock);
}
