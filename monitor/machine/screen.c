// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/screen.c - a machine's display devices (see screen.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "display/display.h"
#include "machine/machine.h"
#include "machine/screen.h"

/* The GPU's ops: straight into the display (machine.lock held, as display.h wants). */
static int gpu_set_mode(void *opaque, uint32_t width, uint32_t height, uint32_t format)
{
	return display_set_mode(opaque, width, height, format);
}

static void gpu_update(void *opaque, const struct display_rect *r, const void *src,
		       uint32_t stride)
{
	display_update(opaque, r, src, stride);
}

static int gpu_cursor_define(void *opaque, uint32_t w, uint32_t h, uint32_t hot_x,
			     uint32_t hot_y, const uint32_t *argb)
{
	return display_cursor_define(opaque, w, h, hot_x, hot_y, argb);
}

static void gpu_cursor_move(void *opaque, int32_t x, int32_t y, bool visible)
{
	display_cursor_move(opaque, x, y, visible);
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
	/* A new machine shows nothing until its guest sets a scanout. */
	display_set_mode(m->cfg.display, 0, 0, 0);
	display_cursor_define(m->cfg.display, 0, 0, 0, 0, NULL);
	display_set_pointer_relative(m->cfg.display, false);
	ret = virtio_gpu_init(&s->gpu, &m->pci, -1, &m->ram, &gpu_ops, m->cfg.display,
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
	virtio_gpu_destroy(&m->screen->gpu);
	free(m->screen);
	m->screen = NULL;
}

/*
 * Input a guest has no driver for yet is refused by the device (not
 * queued past its ring): nothing to report back to a viewer.
 */
void machine_screen_key(struct machine *m, uint16_t code, bool down)
{
	pthread_mutex_lock(&m->lock);
	if (m->screen)
		virtio_input_key(&m->screen->keyboard, code, down);
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
