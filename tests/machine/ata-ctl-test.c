// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ata-ctl-test - the machine's AHCI and IDE controllers (machine/ata-ctl.c)
 * without a backend: over real images (the disk stack, an I/O loop
 * thread), where the drives go, the firmware's boot order (fw_cfg
 * "bootorder": the CD/DVD drive first, as SeaBIOS matches the paths),
 * machine_cdrom_change() (a disc in, out, into an empty drive, refused
 * while the guest locks the tray unless forced, refused without a drive),
 * and the controllers' sections saved from one machine and loaded into
 * another built the same way (the guest's lock and the disc carried),
 * into one built otherwise refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "devices/ata-int.h"
#include "devices/atapi.h"
#include "devices/fw_cfg.h"
#include "disk/disk.h"
#include "io/ioloop.h"
#include "io/pool.h"
#include "machine/ata-ctl.h"
#include "machine/machine.h"
#include "state/stream.h"

static struct ioloop *loop;
static struct pool *pool;
static char dir[] = "/tmp/ata-ctl-test.XXXXXX";

static void pic_output(void *opaque, bool level)
{
	(void)opaque;
	(void)level;
}

static void deliver(void *opaque, uint8_t dest, uint8_t dest_mode, uint8_t delivery_mode,
		    uint8_t vector, bool level_trig)
{
	(void)opaque; (void)dest; (void)dest_mode; (void)delivery_mode; (void)vector;
	(void)level_trig;
}

/* A file of `size` bytes of `fill` in the test's directory, opened through the disk stack. */
static struct disk *image(const char *name, size_t size, int fill, bool ro,
			  enum disk_bus bus)
{
	char *path = g_strdup_printf("%s/%s", dir, name), err[256];
	struct disk_options o = {
		.path = path, .format = DISK_FORMAT_RAW, .cache = WCACHE_WRITEBACK,
		.readonly = ro, .bus = bus,
	};
	char *buf = malloc(size);
	struct disk *d = NULL;
	int fd;

	memset(buf, fill, size);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		tap_ok(0, "write %s", path);
	close(fd);
	if (disk_open(&d, &o, loop, pool, err, sizeof(err)))
		tap_ok(0, "disk_open %s: %s", path, err);
	free(buf);
	g_free(path);
	return d;
}

static struct machine *new_machine(struct disk **disks, unsigned n, struct disk *cd, bool drive)
{
	static const struct i8259_ops pic_ops = { .output = pic_output };
	static const struct ioapic_ops io_ops = { .deliver = deliver };
	struct machine *m = calloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	m->ram.size = 1 << 20;
	m->ram.base = calloc(1, m->ram.size);
	m->cfg.ioloop = loop;
	m->cfg.disks = disks;
	m->cfg.nr_disks = n;
	m->cfg.cdrom = cd;
	m->cfg.cdrom_drive = drive;
	i8259_init(&m->pic, &pic_ops, m);
	ioapic_init(&m->ioapic, &io_ops, m);
	pio_bus_init(&m->pio);
	pci_bus_init(&m->pci, NULL, NULL);
	if (fw_cfg_init(&m->fwcfg.dev, &m->ram) || fw_cfg_add_boot_files(&m->fwcfg.dev, 0))
		tap_ok(0, "fw_cfg");
	return m;
}

static void free_machine(struct machine *m)
{
	machine_ata_destroy(m);
	fw_cfg_destroy(&m->fwcfg.dev);
	pio_bus_destroy(&m->pio);
	free(m->ram.base);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static char *bootorder(struct machine *m)
{
	uint32_t len = 0;
	const uint8_t *p = fw_cfg_file_data(&m->fwcfg.dev, "bootorder", &len);

	return g_strndup((const char *)p, len);
}

/* The guest's PREVENT ALLOW MEDIUM REMOVAL, as atapi.c keeps it. */
static void guest_lock(struct ata_drive *d, bool on)
{
	ata_lock(d);
	d->atapi.prevent = on;
	ata_unlock(d);
}

static void test_placement_and_bootorder(void)
{
	struct disk *sata = image("sata.img", 1 << 20, 0x11, false, DISK_BUS_AHCI);
	struct disk *pata = image("pata.img", 1 << 20, 0x22, false, DISK_BUS_IDE);
	struct disk *cd = image("a.iso", 1 << 20, 0xaa, true, DISK_BUS_CDROM);
	struct disk *both[2] = { sata, pata }, *one[1] = { sata };
	struct machine *m;
	const char *want;
	char *bo;
	int ret;

	/* An IDE disk: the drive goes on IDE's secondary master, first in the order. */
	m = new_machine(both, 2, cd, true);
	ret = machine_ata_init(m);
	tap_ok(ret == 0, "AHCI disk, IDE disk and a disc: machine_ata_init (%d)", ret);
	tap_ok(machine_ata_cdrom(m) != NULL, "the machine has a CD/DVD drive");
	bo = bootorder(m);
	/* The AHCI function takes slot 1 (the first free), the IDE function slot 2. */
	want = "/pci@i0cf8/ide@2/drive@1/disk@0\n"
	       "/pci@i0cf8/sata@1/drive@0/disk@0\n"
	       "/pci@i0cf8/ide@2/drive@0/disk@0";
	tap_ok(!strcmp(bo, want), "bootorder: the IDE CD first, then the AHCI disk, then the "
	       "IDE disk");
	if (strcmp(bo, want))
		printf("# bootorder: %s\n", bo);
	g_free(bo);
	free_machine(m);

	/* AHCI only: the drive on port 1, the disk on port 0. */
	m = new_machine(one, 1, cd, true);
	ret = machine_ata_init(m);
	bo = bootorder(m);
	tap_ok(ret == 0 && !strcmp(bo, "/pci@i0cf8/sata@1/drive@1/disk@0\n"
				       "/pci@i0cf8/sata@1/drive@0/disk@0"),
	       "AHCI only: the drive on port 1 first, then port 0");
	g_free(bo);
	free_machine(m);

	/* An empty drive is still a drive, and first. */
	m = new_machine(NULL, 0, NULL, true);
	ret = machine_ata_init(m);
	bo = bootorder(m);
	tap_ok(ret == 0 && machine_ata_cdrom(m) && !atapi_has_medium(machine_ata_cdrom(m)) &&
	       !strcmp(bo, "/pci@i0cf8/sata@1/drive@1/disk@0"),
	       "an empty drive (cdrom_drive, no disc): on AHCI port 1, empty, in the order");
	g_free(bo);
	free_machine(m);

	/* No AHCI/IDE at all: nothing built, the order stays empty. */
	m = new_machine(NULL, 0, NULL, false);
	ret = machine_ata_init(m);
	bo = bootorder(m);
	tap_ok(ret == 0 && !m->ata && !*bo, "no drive and no disk: no controller, an empty order");
	g_free(bo);
	free_machine(m);

	disk_close(cd);
	disk_close(pata);
	disk_close(sata);
}

static void test_change(void)
{
	struct disk *a = image("a.iso", 1 << 20, 0xaa, true, DISK_BUS_CDROM);
	struct disk *b = image("b.iso", 2 << 20, 0xbb, true, DISK_BUS_CDROM);
	struct disk *sata = image("sata.img", 1 << 20, 0x11, false, DISK_BUS_AHCI);
	struct disk *one[1] = { sata };
	struct machine *m = new_machine(one, 1, a, true);
	struct ata_drive *d;
	char err[256] = "";
	int ret;

	machine_ata_init(m);
	d = machine_ata_cdrom(m);
	ret = machine_cdrom_change(m, b, false, err, sizeof(err));
	tap_ok(ret == 0 && m->cfg.cdrom == b && d->disk == b && atapi_has_medium(d),
	       "another disc in: the drive reads it, cfg.cdrom follows");
	tap_ok(d->atapi.unit_attention && d->atapi.event == 2,
	       "... the guest will see UNIT ATTENTION and a new-media event (%d, %u)",
	       d->atapi.unit_attention, d->atapi.event);
	guest_lock(d, true);
	ret = machine_cdrom_change(m, NULL, false, err, sizeof(err));
	tap_ok(ret == -EBUSY && strstr(err, "locked") && strstr(err, "--force") && d->disk == b,
	       "the guest locks the tray: the eject is refused, the disc stays (%s)", err);
	tap_ok(d->atapi.event == 1, "... and the guest hears of the eject request (event %u)",
	       d->atapi.event);
	ret = machine_cdrom_change(m, a, false, err, sizeof(err));
	tap_ok(ret == -EBUSY && d->disk == b, "a change while locked: refused too");
	ret = machine_cdrom_change(m, NULL, true, err, sizeof(err));
	tap_ok(ret == 0 && !d->disk && !m->cfg.cdrom && !atapi_has_medium(d) && !d->atapi.prevent,
	       "forced: the disc is out, the lock gone (%d)", ret);
	ret = machine_cdrom_change(m, NULL, false, err, sizeof(err));
	tap_ok(ret == 0, "an eject of an empty drive: nothing to do, 0");
	ret = machine_cdrom_change(m, a, false, err, sizeof(err));
	tap_ok(ret == 0 && d->disk == a && m->cfg.cdrom == a, "a disc into the empty drive");
	free_machine(m);

	m = new_machine(one, 1, NULL, false);
	machine_ata_init(m);
	ret = machine_cdrom_change(m, b, false, err, sizeof(err));
	tap_ok(ret == -ENODEV && strstr(err, "no CD/DVD drive"),
	       "a machine without a drive: -ENODEV (%s)", err);
	tap_ok(machine_ata_check_save(m, err, sizeof(err)) == 0,
	       "an AHCI machine without the host's drive: nothing refuses its save");
	free_machine(m);
	m = new_machine(NULL, 0, NULL, false);
	ret = machine_cdrom_change(m, b, false, err, sizeof(err));
	tap_ok(ret == -ENODEV, "a machine without controllers: -ENODEV");
	free_machine(m);
	disk_close(sata);
	disk_close(b);
	disk_close(a);
}

static void test_save_load(void)
{
	struct disk *a = image("a.iso", 1 << 20, 0xaa, true, DISK_BUS_CDROM);
	struct disk *sata = image("sata.img", 1 << 20, 0x11, false, DISK_BUS_AHCI);
	struct disk *pata = image("pata.img", 1 << 20, 0x22, false, DISK_BUS_IDE);
	struct disk *both[2] = { sata, pata }, *one[1] = { sata };
	struct machine *m = new_machine(both, 2, a, true), *m2, *m3;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *data;
	size_t len = 0;
	int ret;

	machine_ata_init(m);
	guest_lock(machine_ata_cdrom(m), true);
	machine_ata_stop(m);
	state_writer_init(&w);
	pthread_mutex_lock(&m->lock);
	ret = machine_ata_save(m, &w);
	pthread_mutex_unlock(&m->lock);
	data = state_writer_data(&w, &len, &ret);
	tap_ok(data && len > 0, "AHCI, IDE and the drive saved (%zu bytes)", len);

	m2 = new_machine(both, 2, a, true);
	machine_ata_init(m2);
	state_reader_init(&r, data, len);
	pthread_mutex_lock(&m2->lock);
	ret = machine_ata_load(m2, &r);
	pthread_mutex_unlock(&m2->lock);
	tap_ok(ret == 0 && state_reader_at_end(&r), "loaded into a machine built the same way (%d: %s)",
	       ret, state_reader_msg(&r));
	tap_ok(machine_ata_cdrom(m2)->atapi.prevent && atapi_has_medium(machine_ata_cdrom(m2)),
	       "... the guest's lock on the tray and the disc came with it");

	m3 = new_machine(one, 1, a, true);
	machine_ata_init(m3);
	state_reader_init(&r, data, len);
	pthread_mutex_lock(&m3->lock);
	ret = machine_ata_load(m3, &r);
	pthread_mutex_unlock(&m3->lock);
	tap_ok(ret != 0, "into a machine without the IDE disk: refused (%s)", state_reader_msg(&r));
	state_writer_free(&w);
	free_machine(m3);
	free_machine(m2);
	free_machine(m);
	disk_close(pata);
	disk_close(sata);
	disk_close(a);
}

int main(void)
{
	if (!mkdtemp(dir) || ioloop_create(&loop) || ioloop_start(loop, "ata-ctl-io") ||
	    pool_create(&pool, 2)) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	test_placement_and_bootorder();
	test_change();
	test_save_load();
	pool_destroy(pool);
	ioloop_destroy(loop);
	for (const char *const *f = (const char *const[]){ "a.iso", "b.iso", "sata.img",
							  "pata.img", NULL }; *f; f++) {
		char *path = g_strdup_printf("%s/%s", dir, *f);

		unlink(path);
		g_free(path);
	}
	rmdir(dir);
	return tap_done();
}
