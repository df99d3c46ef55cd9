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
 * Threads: the device models run under machine.lock, as every device
 * does; the machine_screen_* input entry points take it themselves (any
 * thread, lock not held).
 */
#ifndef VMAIN_MONITOR_MACHINE_SCREEN_H
#define VMAIN_MONITOR_MACHINE_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio-gpu.h"
#include "devices/virtio-input.h"

struct machine;

struct machine_screen {
	struct virtio_gpu gpu;
	struct virtio_input keyboard, tablet, mouse;
	bool relative;		/* the pointer mode last given to the display */
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

#endif
