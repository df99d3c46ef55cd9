// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * screen-test.c - a machine's screen with the standard VGA
 * (monitor/machine/screen.c) over a real display, device models and I/O
 * loop, with a recording backend: the VGA shows the firmware's text
 * through a refresh on the loop (none while nobody watches), its
 * framebuffer becomes a dirty-logged slot where BAR0 goes and the log's
 * pages become damage, 30 times a second only while watched in a dispi
 * mode; the GPU's first scanout takes the display and keeps it; the
 * owner is saved and loaded; without a VGA the GPU drives the display
 * from the start, as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "display/display.h"
#include "io/ioloop.h"
#include "machine/machine.h"
#include "machine/screen.h"
#include "state/stream.h"

#define LFB_ADDR	0xc0000000ull

/* The backend: what the screen asked of the memory slots. */
static unsigned logged_calls, unmap_calls, dirty_calls;
static uint32_t logged_slot;
static uint64_t logged_gpa, logged_size;
static void *logged_hva;
static uint64_t fake_log[VGA_VRAM_PAGES / 64];

static unsigned rom_maps;
static uint64_t rom_gpa;
static const uint8_t *rom_hva;

static int fake_set_memory(struct hv_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
			   void *hva, bool readonly)
{
	(void)vm;
	if (!size)
		unmap_calls++;
	else if (slot == SCREEN_SLOT_VGA_ROM && readonly && size >= 4096) {
		rom_maps++;
		rom_gpa = gpa;
		rom_hva = hva;
	}
	return 0;
}

static int fake_set_memory_logged(struct hv_vm *vm, uint32_t slot, uint64_t gpa,
				  uint64_t size, void *hva)
{
	(void)vm;
	logged_calls++;
	logged_slot = slot;
	logged_gpa = gpa;
	logged_size = size;
	logged_hva = hva;
	return 0;
}

static int fake_get_dirty_log(struct hv_vm *vm, uint32_t slot, uint64_t *bitmap)
{
	(void)vm;
	(void)slot;
	dirty_calls++;
	memcpy(bitmap, fake_log, sizeof(fake_log));
	memset(fake_log, 0, sizeof(fake_log));
	return 0;
}

static const struct hv_backend fake = {
	.name = "fake", .set_memory = fake_set_memory,
	.set_memory_logged = fake_set_memory_logged, .get_dirty_log = fake_get_dirty_log,
};

static struct ioloop *loop;
static char rom_path[] = "/tmp/vmain-screen-test-rom-XXXXXX";

static void wake(void *opaque)
{
	(void)opaque;
}

static const struct display_viewer_ops viewer_ops = { .wake = wake };

static struct machine *new_machine(struct display *d, bool vga)
{
	struct machine *m = calloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	m->ram.size = 1 << 20;
	m->ram.base = calloc(1, m->ram.size);
	m->vm.backend = &fake;
	m->vm_created = true;
	m->cfg.display = d;
	m->cfg.ioloop = loop;
	m->cfg.vga = vga;
	m->cfg.vga_rom = vga ? rom_path : NULL;
	pio_bus_init(&m->pio);
	pci_bus_init(&m->pci, NULL, NULL);
	if (machine_screen_init(m) < 0)
		tap_ok(0, "machine_screen_init");
	return m;
}

static void free_machine(struct machine *m)
{
	machine_screen_destroy(m);
	pio_bus_destroy(&m->pio);
	free(m->ram.base);
	free(m);
}

static void outw(struct machine *m, uint16_t port, uint16_t v)
{
	uint32_t d = v;

	pthread_mutex_lock(&m->lock);
	pio_bus_dispatch(&m->pio, port, 2, true, &d);
	pthread_mutex_unlock(&m->lock);
}

/* Text mode 80x25 with 9x16 cells, odd/even at 0xb8000 (what the VGA BIOS leaves). */
static void text_mode(struct machine *m)
{
	uint32_t misc = 0x67;

	pio_bus_dispatch(&m->pio, 0x3c2, 1, true, &misc);
	outw(m, 0x3c4, 0x0302);
	outw(m, 0x3c4, 0x0204);
	outw(m, 0x3ce, 0x0e06);
	outw(m, 0x3ce, 0x1005);
	outw(m, 0x3d4, 0x4f01);
	outw(m, 0x3d4, 0x1f07);
	outw(m, 0x3d4, 0x4f09);
	outw(m, 0x3d4, 0x8f12);
	outw(m, 0x3d4, 0x2813);
}

static void window_write(struct machine *m, uint64_t gpa, uint64_t v)
{
	pthread_mutex_lock(&m->lock);
	machine_screen_mmio(m, gpa, 2, true, &v);
	pthread_mutex_unlock(&m->lock);
}

static void dispi(struct machine *m, uint16_t idx, uint16_t val)
{
	outw(m, 0x1ce, idx);
	outw(m, 0x1cf, val);
}

static bool armed(struct machine *m)
{
	return ioloop_timer_armed(m->screen->refresh);
}

/* Turns the loop until the refresh has run (it is due within 1/30 s). */
static void run_refresh(void)
{
	int i;

	for (i = 0; i < 10; i++)
		if (ioloop_run_once(loop, 100) > 0)
			return;
}

static void test_vga_owns(struct display *d)
{
	struct display_viewer *v;
	struct display_frame *f = calloc(1, sizeof(*f));
	int got;
	struct machine *m = new_machine(d, true);
	struct vga *vga = m->screen->vga;
	uint32_t d32;
	uint64_t q;

	tap_ok(vga && vga->dev.devfn < m->screen->gpu.vp.pci.devfn,
	       "the VGA is a PCI function before the GPU");
	tap_ok(pio_bus_find(&m->pio, 0x3d4) && pio_bus_find(&m->pio, 0x1ce),
	       "its ports 0x3b0-0x3df and 0x1ce-0x1cf are on the bus");
	d32 = (uint32_t)0xc1000000 | PCI_ROM_ADDRESS_ENABLE;
	pci_cfg_access(&m->pci, vga->dev.devfn, PCI_ROM_ADDRESS, 4, true, &d32);
	d32 = PCI_COMMAND_MEMORY;
	pci_cfg_access(&m->pci, vga->dev.devfn, PCI_COMMAND, 2, true, &d32);
	q = 0;
	pci_mmio(&m->pci, 0xc1000000, 2, false, &q);
	tap_ok(q == 0xaa55, "the ROM BAR holds the VGA BIOS file (0x%llx)", (unsigned long long)q);
	tap_ok(rom_maps == 1 && rom_gpa == 0xc1000000 && rom_hva[0] == 0x55 && rom_hva[2] == 6,
	       "decoded, the ROM is a read-only slot there (firmware compares it in place)");

	/* Nobody watches: the firmware's writes cost no wakeup. */
	text_mode(m);
	window_write(m, 0xb8000, 0x0741);
	tap_ok(!armed(m), "nobody watches: window writes arm no refresh");
	display_viewer_new(d, NULL, NULL, false, &v);	/* a screenshot's */
	machine_screen_refresh(m);
	got = display_viewer_poll(v, f);
	tap_ok(got == 1 && f->mode_changed && f->width == 720 && f->fd >= 0,
	       "a one-off read (a screenshot) gets the picture drawn at once (%ux%u)",
	       f->width, f->height);
	if (f->fd >= 0)
		close(f->fd);
	display_viewer_free(v);

	display_viewer_new(d, &viewer_ops, NULL, false, &v);
	machine_screen_watched(m);
	tap_ok(armed(m), "a viewer comes: a refresh is due");
	run_refresh();
	got = display_viewer_poll(v, f);
	tap_ok(got == 1 && f->mode_changed && f->width == 720 &&
	       f->height == 400, "the viewer gets the VGA's 720x400 text mode (%ux%u)",
	       f->width, f->height);
	if (f->fd >= 0)
		close(f->fd);
	tap_ok(!armed(m), "text mode: no periodic refresh");
	window_write(m, 0xb8000 + 2 * 81, 0x0742);
	tap_ok(armed(m), "a character written: one refresh due");
	run_refresh();
	got = display_viewer_poll(v, f);
	tap_ok(got == 1 && !f->mode_changed && f->nr_rects == 1 &&
	       f->rects[0].x == 9 && f->rects[0].y == 16 && f->rects[0].w == 9,
	       "its cell is the damage (%u,%u %ux%u)", f->rects[0].x, f->rects[0].y,
	       f->rects[0].w, f->rects[0].h);

	/* The framebuffer slot follows BAR0. */
	d32 = (uint32_t)LFB_ADDR;
	pci_cfg_access(&m->pci, vga->dev.devfn, PCI_BAR0, 4, true, &d32);
	tap_ok(logged_calls == 1 && logged_slot == SCREEN_SLOT_VGA_LFB && logged_gpa == LFB_ADDR &&
	       logged_size == VGA_VRAM_SIZE && logged_hva == vga->vram,
	       "BAR0 placed: the framebuffer is a dirty-logged slot %u there", logged_slot);
	dispi(m, VBE_DISPI_INDEX_XRES, 1024);
	dispi(m, VBE_DISPI_INDEX_YRES, 768);
	dispi(m, VBE_DISPI_INDEX_BPP, 32);
	dispi(m, VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
	run_refresh();
	got = display_viewer_poll(v, f);
	tap_ok(got == 1 && f->mode_changed && f->width == 1024 &&
	       f->height == 768, "dispi 1024x768x32: a display mode change");
	if (f->fd >= 0)
		close(f->fd);
	tap_ok(armed(m) && dirty_calls >= 1,
	       "a dispi mode from the mapped framebuffer, watched: refreshed 30 times a second");
	((uint32_t *)vga->vram)[300 * 1024 + 5] = 0xffffff;	/* a guest write, no exit */
	fake_log[300 / 64] |= 1ull << (300 % 64);
	run_refresh();
	got = display_viewer_poll(v, f);
	tap_ok(got == 1 && f->nr_rects == 1 && f->rects[0].y == 300 &&
	       f->rects[0].h == 1 && f->rects[0].w == 1024,
	       "the dirty log's page is the damage: line 300 (y %u h %u)", f->rects[0].y,
	       f->rects[0].h);
	run_refresh();
	got = display_viewer_poll(v, f);
	tap_ok(got == 0, "a clean log: no damage");

	display_viewer_free(v);
	machine_screen_watched(m);
	run_refresh();
	tap_ok(!armed(m), "the last viewer went: the polling stops");

	/* Memory decode off: the slots go. */
	d32 = 0;
	pci_cfg_access(&m->pci, vga->dev.devfn, PCI_COMMAND, 2, true, &d32);
	tap_ok(unmap_calls == 2, "memory decode off: both slots are removed (%u)", unmap_calls);
	free_machine(m);
	free(f);
}

static void test_gpu_takes_over(struct display *d)
{
	struct display_viewer *v;
	struct display_frame *f = calloc(1, sizeof(*f));
	int got;
	struct machine *m = new_machine(d, true), *m2;
	struct virtio_gpu *gpu = &m->screen->gpu;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	size_t len;
	int err;

	display_viewer_new(d, &viewer_ops, NULL, false, &v);
	machine_screen_watched(m);
	text_mode(m);
	window_write(m, 0xb8000, 0x0741);
	run_refresh();
	display_viewer_poll(v, f);
	if (f->fd >= 0)
		close(f->fd);
	pthread_mutex_lock(&m->lock);
	gpu->ops.set_mode(gpu->opaque, 0, 0, 0);
	gpu->ops.cursor_define(gpu->opaque, 0, 0, 0, 0, NULL);
	pthread_mutex_unlock(&m->lock);
	got = display_viewer_poll(v, f);
	tap_ok(got == 0 && !m->screen->gpu_owns,
	       "the GPU disabling a scanout it never had: the VGA keeps the display");
	pthread_mutex_lock(&m->lock);
	gpu->ops.set_mode(gpu->opaque, 800, 600, DISPLAY_FORMAT_XRGB8888);
	pthread_mutex_unlock(&m->lock);
	got = display_viewer_poll(v, f);
	tap_ok(m->screen->gpu_owns && got == 1 && f->mode_changed &&
	       f->width == 800, "the driver's first scanout: the display is the GPU's (%ux%u)",
	       f->width, f->height);
	if (f->fd >= 0)
		close(f->fd);
	window_write(m, 0xb8000, 0x0742);
	tap_ok(!armed(m), "VGA writes after that: no refresh");
	pthread_mutex_lock(&m->lock);
	vga_refresh(m->screen->vga, NULL, true);
	gpu->ops.set_mode(gpu->opaque, 0, 0, 0);
	pthread_mutex_unlock(&m->lock);
	got = display_viewer_poll(v, f);
	tap_ok(got == 1 && f->mode_changed && f->width == 0 &&
	       m->screen->gpu_owns, "the VGA's picture never reaches the display again; "
	       "the GPU's own disable does");

	state_writer_init(&w);
	pthread_mutex_lock(&m->lock);
	err = machine_screen_vga_save(m->screen, &w);
	pthread_mutex_unlock(&m->lock);
	buf = state_writer_data(&w, &len, &err);
	m2 = new_machine(d, true);
	state_reader_init(&r, buf, len);
	pthread_mutex_lock(&m2->lock);
	err = machine_screen_vga_load(m2->screen, &r);
	pthread_mutex_unlock(&m2->lock);
	tap_ok(!err && m2->screen->gpu_owns, "saved and loaded: the GPU still owns the display (%s)",
	       state_reader_msg(&r));
	state_writer_free(&w);
	free_machine(m2);
	display_viewer_free(v);
	free_machine(m);
	free(f);
}

/*
 * A direct boot places BARs without config cycles (pci_bus_assign())
 * before the VM exists: the framebuffer's first access maps it.
 */
static void test_assigned_bars(struct display *d)
{
	struct machine *m = new_machine(d, true);
	unsigned before = logged_calls;
	uint64_t q = 0x12345678, base;

	m->vm_created = false;
	pci_bus_assign(&m->pci, 0xc0000000ull, 0x20000000ull, 0xc000, 0x1000);
	m->vm_created = true;
	base = pci_bar_addr(&m->screen->vga->dev, 0);
	tap_ok(logged_calls == before && base, "BARs assigned before the VM: nothing mapped yet");
	pthread_mutex_lock(&m->lock);
	pci_mmio(&m->pci, base + 64, 4, true, &q);
	pthread_mutex_unlock(&m->lock);
	tap_ok(logged_calls == before + 1 && logged_gpa == base &&
	       ((uint32_t *)m->screen->vga->vram)[16] == 0x12345678,
	       "the first framebuffer access (an exit) maps the slot, and lands");
	pthread_mutex_lock(&m->lock);
	pci_mmio(&m->pci, base + 128, 4, true, &q);
	pthread_mutex_unlock(&m->lock);
	tap_ok(logged_calls == before + 1, "no second mapping for the next one");
	free_machine(m);
}

static void test_no_vga(struct display *d)
{
	struct display_viewer *v;
	struct display_frame *f = calloc(1, sizeof(*f));
	int got;
	struct machine *m = new_machine(d, false);
	struct virtio_gpu *gpu = &m->screen->gpu;

	tap_ok(!m->screen->vga && !pio_bus_find(&m->pio, 0x3d4), "no VGA unless asked for");
	display_viewer_new(d, &viewer_ops, NULL, false, &v);
	display_viewer_poll(v, f);
	if (f->fd >= 0)
		close(f->fd);
	pthread_mutex_lock(&m->lock);
	gpu->ops.set_mode(gpu->opaque, 640, 480, DISPLAY_FORMAT_XRGB8888);
	pthread_mutex_unlock(&m->lock);
	got = display_viewer_poll(v, f);
	tap_ok(got == 1 && f->mode_changed && f->width == 640,
	       "without a VGA the GPU drives the display as before");
	if (f->fd >= 0)
		close(f->fd);
	tap_ok(!machine_screen_mmio(m, 0xb8000, 2, true, &(uint64_t){ 0 }),
	       "and 0xa0000-0xbffff is not the screen's");
	display_viewer_free(v);
	free_machine(m);
	free(f);
}

/*
 * Keys before the guest's virtio-input keyboard driver is up go to the
 * 8042's PS/2 keyboard (what the firmware and boot loaders read).
 */
static void test_keys_to_ps2(struct display *d)
{
	struct machine *m = new_machine(d, false);
	uint32_t v = 0;

	i8042_init(&m->kbc, NULL, NULL);
	tap_ok(!virtio_input_driver_ready(&m->screen->keyboard),
	       "keys: no virtio-input keyboard driver yet");
	machine_screen_key(m, 30, true);	/* KEY_A */
	i8042_io(&m->kbc, 4, 1, false, &v);
	tap_ok(v & 1, "keys: KEY_A fills the 8042's output buffer");
	i8042_io(&m->kbc, 0, 1, false, &v);
	tap_ok((v & 0xff) == 0x1e, "keys: as set 1 make code 1E (read %#x)", v & 0xff);
	machine_screen_key(m, 30, false);
	i8042_io(&m->kbc, 0, 1, false, &v);
	tap_ok((v & 0xff) == 0x9e, "keys: its release as 9E (read %#x)", v & 0xff);
	free_machine(m);
}

int main(void)
{
	struct display *d;
	uint8_t rom[3000] = { 0x55, 0xaa, 6 };
	int fd = mkstemp(rom_path);

	if (fd < 0 || write(fd, rom, sizeof(rom)) != (ssize_t)sizeof(rom))
		return 1;
	close(fd);
	if (ioloop_create(&loop) || display_create(&d, NULL, NULL, NULL))
		return 1;
	test_vga_owns(d);
	test_gpu_takes_over(d);
	test_assigned_bars(d);
	test_no_vga(d);
	test_keys_to_ps2(d);
	display_destroy(d);
	ioloop_destroy(loop);
	unlink(rom_path);
	return tap_done();
}
