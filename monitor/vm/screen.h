/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vm/screen.h - a VM's screen for the VM's whole life: the display
 * (display/display.h) that each machine's virtio-gpu draws into, its
 * input routed to whichever machine runs now (machine/screen.h), the
 * size the viewers settled on (kept across guest resets), and the VNC
 * server when one was asked for.
 *
 * Threads: open, attach, detach and close on the main thread.  The
 * display's input ops come from the main thread (the control API) and
 * the I/O thread (VNC, the resize debounce): they find the machine under
 * the screen's lock, then take machine.lock (the order everywhere).
 */
#ifndef VMAIN_MONITOR_VM_SCREEN_H
#define VMAIN_MONITOR_VM_SCREEN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct display;
struct ioloop;
struct machine;
struct vnc_server;

struct vm_screen {
	struct display *display;
	pthread_mutex_t lock;
	struct machine *m;		/* under lock: the machine running now */
	uint32_t width, height;		/* under lock: the size viewers settled on */
	struct vnc_server *vnc;
};

/*
 * Makes the display on `loop` (its resize debounce runs there) and, when
 * `vnc` is set (display/vnc-options.h syntax, with `listen_any` and the
 * `password_file` or NULL), the VNC server on the same loop.  0, or
 * -errno with a message printed (*usage set when the VNC settings
 * themselves are wrong, not a failure to listen).
 */
int vm_screen_open(struct vm_screen *s, struct ioloop *loop, const char *vnc,
		   bool listen_any, const char *password_file, bool *usage);
/* Routes input to `m` (NULL: none, before that machine is destroyed). */
void vm_screen_attach(struct vm_screen *s, struct machine *m);
/* The size the next machine's GPU starts with (0 x 0: its default). */
void vm_screen_size(struct vm_screen *s, uint32_t *width, uint32_t *height);
/* Stops VNC and frees the display: every viewer must be gone. */
void vm_screen_close(struct vm_screen *s);

#endif
