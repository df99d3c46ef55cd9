// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/screen.c - a VM's screen across its machines (see screen.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "display/display.h"
#include "display/vnc.h"
#include "machine/screen.h"
#include "vm/screen.h"

/*
 * Each op finds the machine running now.  Between two machines (a guest
 * reset) input is dropped: the new machine's devices start empty anyway.
 */
#define WITH_MACHINE(s, call) do {			\
	pthread_mutex_lock(&(s)->lock);			\
	if ((s)->m)					\
		call;					\
	pthread_mutex_unlock(&(s)->lock);		\
} while (0)

static void op_key(void *opaque, uint16_t code, bool down)
{
	struct vm_screen *s = opaque;

	WITH_MACHINE(s, machine_screen_key(s->m, code, down));
}

static void op_abs(void *opaque, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct vm_screen *s = opaque;

	WITH_MACHINE(s, machine_screen_abs(s->m, x, y, w, h));
}

static void op_buttons(void *opaque, uint32_t mask)
{
	struct vm_screen *s = opaque;

	WITH_MACHINE(s, machine_screen_buttons(s->m, mask));
}

static void op_wheel(void *opaque, int32_t dy, int32_t dx)
{
	struct vm_screen *s = opaque;

	WITH_MACHINE(s, machine_screen_wheel(s->m, dy, dx));
}

static void op_rel(void *opaque, int32_t dx, int32_t dy)
{
	struct vm_screen *s = opaque;

	WITH_MACHINE(s, machine_screen_rel(s->m, dx, dy));
}

static void op_resize(void *opaque, uint32_t width, uint32_t height)
{
	struct vm_screen *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->width = width;
	s->height = height;
	if (s->m)
		machine_screen_resize(s->m, width, height);
	pthread_mutex_unlock(&s->lock);
}

/* A viewer that draws came or the last went: the VGA looks for changes only while watched. */
static void op_watched_changed(void *opaque)
{
	struct vm_screen *s = opaque;

	WITH_MACHINE(s, machine_screen_watched(s->m));
}

/* A one-off read of the screen (a screenshot): the VGA draws what it has not. */
static void op_refresh(void *opaque)
{
	struct vm_screen *s = opaque;

	WITH_MACHINE(s, machine_screen_refresh(s->m));
}

/* The VNC settings, checked as `vmain run` checks them (again: a bundle may have changed). */
static int vnc_settings(struct vnc_options *o, const char *vnc, bool listen_any,
			const char *password_file)
{
	char err[512];
	int ret;

	ret = vnc_options_parse(vnc, o, err, sizeof(err));
	if (!ret && password_file)
		ret = vnc_options_load_password(o, password_file, err, sizeof(err));
	if (!ret) {
		o->listen_any = listen_any;
		ret = vnc_options_check(o, err, sizeof(err));
	}
	if (ret)
		fprintf(stderr, "vmain: VNC '%s': %s\n", vnc, err);
	return ret;
}

int vm_screen_open(struct vm_screen *s, struct ioloop *loop, const char *vnc,
		   bool listen_any, const char *password_file, bool *usage)
{
	static const struct display_input_ops ops = {
		.key = op_key, .abs = op_abs, .buttons = op_buttons, .wheel = op_wheel,
		.rel = op_rel, .resize = op_resize, .watched_changed = op_watched_changed,
		.refresh = op_refresh,
	};
	struct vnc_options o;
	char err[512];
	int ret;

	memset(s, 0, sizeof(*s));
	*usage = false;
	if (vnc) {
		ret = vnc_settings(&o, vnc, listen_any, password_file);
		if (ret) {
			*usage = true;
			return ret;
		}
	}
	pthread_mutex_init(&s->lock, NULL);
	ret = display_create(&s->display, loop, &ops, s);
	if (ret) {
		fprintf(stderr, "vmain: cannot make the display: %s\n", strerror(-ret));
		goto destroy_lock;
	}
	if (vnc) {
		ret = vnc_server_start(&s->vnc, s->display, loop, &o, err, sizeof(err));
		explicit_bzero(o.password, sizeof(o.password));
		if (ret) {
			fprintf(stderr, "vmain: VNC: %s\n", err);
			goto destroy_display;
		}
	}
	return 0;

destroy_display:
	display_destroy(s->display);
	s->display = NULL;
destroy_lock:
	pthread_mutex_destroy(&s->lock);
	return ret;
}

void vm_screen_attach(struct vm_screen *s, struct machine *m)
{
	pthread_mutex_lock(&s->lock);
	s->m = m;
	/*
	 * A size that settled while no machine was attached (during a
	 * reset, after vm_screen_size() was read) reaches the new one now;
	 * the GPU ignores a size it already has.
	 */
	if (m && s->width)
		machine_screen_resize(m, s->width, s->height);
	/* The new machine's VGA learns whether anybody watches. */
	if (m)
		machine_screen_watched(m);
	pthread_mutex_unlock(&s->lock);
}

void vm_screen_size(struct vm_screen *s, uint32_t *width, uint32_t *height)
{
	pthread_mutex_lock(&s->lock);
	*width = s->width;
	*height = s->height;
	pthread_mutex_unlock(&s->lock);
}

void vm_screen_close(struct vm_screen *s)
{
	if (!s->display)
		return;
	/* VNC is a viewer: it goes first. */
	if (s->vnc)
		vnc_server_stop(s->vnc);
	s->vnc = NULL;
	display_destroy(s->display);
	s->display = NULL;
	pthread_mutex_destroy(&s->lock);
}
