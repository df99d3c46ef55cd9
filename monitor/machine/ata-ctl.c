// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/ata-ctl.c - the machine's AHCI and IDE controllers; see
 * ata-ctl.h for where the disks go.
 */
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ahci.h"
#include "devices/atapi.h"
#include "devices/ide.h"
#include "disk/disk.h"
#include "disk/hostdrive.h"
#include "machine/ata-ctl.h"
#include "machine/machine.h"

/* Boot entries: the CD/DVD drive and at most 6 AHCI or 4 IDE disks. */
#define ATA_BOOT_MAX	(AHCI_MAX_PORTS + 4)

struct machine_ata {
	struct ahci *ahci;	/* NULL: none */
	struct ide *ide;
	struct ata_drive *cdrom;	/* the CD/DVD drive on either, NULL: none */
	/* The firmware's boot order (fw_cfg "bootorder"): the CD/DVD drive first. */
	char *boot[ATA_BOOT_MAX];
	unsigned int nr_boot;
};

/*
 * A drive's Open Firmware path as SeaBIOS matches it against "bootorder"
 * (its boot.c builds "/pci@i0cf8/<name>@<slot>[,<fn>]/drive@<channel>/
 * disk@<unit>": for AHCI the port is the channel and the unit 0, for IDE
 * the channel and master 0 / slave 1), the form QEMU writes.  Our
 * controllers sit on bus 0, function 0.
 */
static void boot_add(struct machine_ata *a, const char *name, int devfn, unsigned chan,
		     unsigned unit, bool first)
{
	char *p;

	if (a->nr_boot >= ATA_BOOT_MAX)
		return;
	p = g_strdup_printf("/pci@i0cf8/%s@%x/drive@%x/disk@%x", name, (unsigned)devfn >> 3,
			    chan, unit);
	if (first) {
		memmove(&a->boot[1], &a->boot[0], a->nr_boot * sizeof(a->boot[0]));
		a->boot[0] = p;
	} else {
		a->boot[a->nr_boot] = p;
	}
	a->nr_boot++;
}

/* The controllers' lock is the machine's: their registers are reached under it. */
static void ata_lock(void *opaque)
{
	struct machine *m = opaque;

	pthread_mutex_lock(&m->lock);
}

static void ata_unlock(void *opaque)
{
	struct machine *m = opaque;

	pthread_mutex_unlock(&m->lock);
}

static void ide_irq(void *opaque, unsigned irq, bool level)
{
	machine_isa_irq(opaque, irq, level);
}

static struct ata_drive_config drive_cfg(struct machine *m, struct disk *d)
{
	return (struct ata_drive_config){
		.kind = ATA_KIND_DISK,
		.disk = d,
		.loop = m->cfg.ioloop,
		.serial = d->serial,
	};
}

/*
 * The CD/DVD drive: the host's own (devices/atapi-pass.c), or one with
 * the VM's disc (not the drive's to close: cfg.cdrom outlives this boot),
 * or an empty one.
 */
static struct ata_drive_config cd_cfg(struct machine *m)
{
	return (struct ata_drive_config){
		.kind = ATA_KIND_CDROM,
		.host = m->cfg.cdrom_host,
		.disk = m->cfg.cdrom_host ? NULL : m->cfg.cdrom,
		.loop = m->cfg.ioloop,
		.serial = m->cfg.cdrom && !m->cfg.cdrom_host ? m->cfg.cdrom->serial : NULL,
	};
}

/* AHCI: the CD/DVD drive on port 1, disks on 0, 2, 3, ... */
static int ahci_place(struct machine *m, struct ahci *h, int devfn, bool cd_here)
{
	unsigned i, port = 0;
	struct ata_drive_config c;
	int ret;

	if (cd_here) {
		c = cd_cfg(m);
		ret = ahci_attach(h, 1, &c);
		if (ret)
			return ret;
		m->ata->cdrom = ahci_drive(h, 1);
		boot_add(m->ata, "sata", devfn, 1, 0, true);
	}
	for (i = 0; i < m->cfg.nr_disks; i++) {
		struct disk *d = m->cfg.disks[i];

		if (d->bus != DISK_BUS_AHCI)
			continue;
		if (port == 1 && cd_here)
			port++;
		if (port >= AHCI_MAX_PORTS) {
			fprintf(stderr, "vmain: more AHCI disks than the %d ports\n",
				AHCI_MAX_PORTS - (cd_here ? 1 : 0));
			return -ENOSPC;
		}
		c = drive_cfg(m, d);
		boot_add(m->ata, "sata", devfn, port, 0, false);
		ret = ahci_attach(h, port++, &c);
		if (ret)
			return ret;
	}
	return 0;
}

/* IDE: the CD/DVD drive on the secondary master, disks on 0.0, 0.1, 1.1. */
static int ide_place(struct machine *m, struct ide *ide, int devfn, bool cd_here)
{
	static const unsigned slots[4][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } };
	struct ata_drive_config c;
	unsigned i, n = 0;
	int ret;

	if (cd_here) {
		c = cd_cfg(m);
		ret = ide_attach(ide, 1, 0, &c);
		if (ret)
			return ret;
		m->ata->cdrom = ide_drive(ide, 1, 0);
		boot_add(m->ata, "ide", devfn, 1, 0, true);
	}
	for (i = 0; i < m->cfg.nr_disks; i++) {
		if (m->cfg.disks[i]->bus != DISK_BUS_IDE)
			continue;
		if (n < 4 && cd_here && slots[n][0] == 1 && slots[n][1] == 0)
			n++;
		if (n >= 4) {
			fprintf(stderr, "vmain: more IDE disks than the %d places\n", cd_here ? 3 : 4);
			return -ENOSPC;
		}
		c = drive_cfg(m, m->cfg.disks[i]);
		boot_add(m->ata, "ide", devfn, slots[n][0], slots[n][1], false);
		ret = ide_attach(ide, slots[n][0], slots[n][1], &c);
		n++;
		if (ret)
			return ret;
	}
	return 0;
}

int machine_ata_init(struct machine *m)
{
	static const struct ahci_ops ahci_ops = { .lock = ata_lock, .unlock = ata_unlock };
	static const struct ide_ops ide_ops = {
		.lock = ata_lock, .unlock = ata_unlock, .set_irq = ide_irq,
	};
	unsigned i, nahci = 0, nide = 0, ncd = 0;
	struct machine_ata *a;
	int ret;

	for (i = 0; i < m->cfg.nr_disks; i++) {
		nahci += m->cfg.disks[i]->bus == DISK_BUS_AHCI;
		nide += m->cfg.disks[i]->bus == DISK_BUS_IDE;
		if (m->cfg.disks[i]->bus == DISK_BUS_CDROM) {
			fprintf(stderr, "vmain: a CD/DVD disc goes in cfg.cdrom\n");
			return -EINVAL;
		}
	}
	ncd = m->cfg.cdrom_drive || m->cfg.cdrom || m->cfg.cdrom_host;
	if (!nahci && !nide && !ncd)
		return 0;
	if (m->cfg.cdrom && m->cfg.cdrom_host) {
		fprintf(stderr, "vmain: one CD/DVD drive at most\n");
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	m->ata = a;
	if (nahci || (ncd && !nide)) {
		a->ahci = calloc(1, sizeof(*a->ahci));
		if (!a->ahci)
			return -ENOMEM;
		ret = ahci_init(a->ahci, &m->ram, &ahci_ops, m, &m->pci, -1, 0);
		if (ret >= 0)
			ret = ahci_place(m, a->ahci, ret, ncd && !nide);
		if (ret < 0)
			return ret;
	}
	if (nide) {
		a->ide = calloc(1, sizeof(*a->ide));
		if (!a->ide)
			return -ENOMEM;
		ret = ide_init(a->ide, &m->ram, &ide_ops, m, &m->pci, -1, 0, &m->pio);
		if (ret >= 0)
			ret = ide_place(m, a->ide, ret, ncd != 0);
		if (ret < 0)
			return ret;
	}
	/*
	 * The installer's order (vmain create --iso): the CD/DVD drive, then
	 * the disks; a drive without a bootable disc is passed over, so an
	 * installed system boots from its disk once the disc is out.
	 */
	return fw_cfg_set_bootorder(&m->fwcfg.dev, (const char *const *)a->boot, a->nr_boot);
}

void machine_ata_stop(struct machine *m)
{
	if (!m->ata)
		return;
	if (m->ata->ahci)
		ahci_stop(m->ata->ahci);
	if (m->ata->ide)
		ide_stop(m->ata->ide);
}

void machine_ata_destroy(struct machine *m)
{
	unsigned int i;

	if (!m->ata)
		return;
	if (m->ata->ahci) {
		ahci_destroy(m->ata->ahci);
		free(m->ata->ahci);
	}
	if (m->ata->ide) {
		ide_destroy(m->ata->ide);
		free(m->ata->ide);
	}
	for (i = 0; i < m->ata->nr_boot; i++)
		g_free(m->ata->boot[i]);
	free(m->ata);
	m->ata = NULL;
}

struct ata_drive *machine_ata_cdrom(struct machine *m)
{
	return m->ata ? m->ata->cdrom : NULL;
}

int machine_cdrom_change(struct machine *m, struct disk *disc, bool force, char *err,
			 size_t errlen)
{
	struct ata_drive *d = machine_ata_cdrom(m);
	int ret;

	if (!d) {
		snprintf(err, errlen, "the VM has no CD/DVD drive");
		return -ENODEV;
	}
	if (m->cfg.cdrom_host) {
		snprintf(err, errlen, "the CD/DVD drive is the host's own: change its disc there");
		return -EOPNOTSUPP;
	}
	/* The host overrides the guest's lock, as QEMU's `eject -f` does. */
	if (force)
		atapi_unlock_tray(d);
	ret = disc ? atapi_insert_disk(d, disc, false) : atapi_eject(d);
	if (ret == -EBUSY) {
		snprintf(err, errlen, "the guest has locked the CD/DVD drive's tray "
			 "(PREVENT MEDIUM REMOVAL); it was told of the eject request "
			 "(--force takes the disc out anyway)");
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "cannot change the CD/DVD drive's disc: %s", strerror(-ret));
		return ret;
	}
	m->cfg.cdrom = disc;
	return 0;
}

int machine_ata_check_save(struct machine *m, char *err, size_t errlen)
{
	if (m->ata && m->cfg.cdrom_host) {
		snprintf(err, errlen, "a VM holding the host's CD/DVD drive (%s) cannot be "
			 "saved: the disc and the drive's state are the host's",
			 hostdrive_name(m->cfg.cdrom_host));
		return -EOPNOTSUPP;
	}
	return 0;
}

int machine_ata_save(struct machine *m, struct state_writer *w)
{
	int ret = 0;

	if (!m->ata)
		return 0;
	if (m->ata->ahci)
		ret = ahci_save(m->ata->ahci, w);
	if (!ret && m->ata->ide)
		ret = ide_save(m->ata->ide, w);
	return ret;
}

int machine_ata_load(struct machine *m, struct state_reader *r)
{
	int ret = 0;

	if (!m->ata)
		return 0;
	if (m->ata->ahci)
		ret = ahci_load(m->ata->ahci, r);
	if (!ret && m->ata->ide)
		ret = ide_load(m->ata->ide, r);
	return ret;
}
