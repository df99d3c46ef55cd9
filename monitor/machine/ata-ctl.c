// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/ata-ctl.c - the machine's AHCI and IDE controllers; see
 * ata-ctl.h for where the disks go.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "devices/ahci.h"
#include "devices/ide.h"
#include "disk/disk.h"
#include "machine/ata-ctl.h"
#include "machine/machine.h"

struct machine_ata {
	struct ahci *ahci;	/* NULL: none */
	struct ide *ide;
};

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
		.kind = d->bus == DISK_BUS_CDROM ? ATA_KIND_CDROM : ATA_KIND_DISK,
		.disk = d,
		.loop = m->cfg.ioloop,
		.serial = d->serial,
	};
}

/* The host's own drive in the CD/DVD drive's place (devices/atapi-pass.c). */
static struct ata_drive_config host_cfg(struct machine *m)
{
	return (struct ata_drive_config){
		.kind = ATA_KIND_CDROM,
		.host = m->cfg.cdrom_host,
		.loop = m->cfg.ioloop,
	};
}

/* AHCI: the CD/DVD drive on port 1, disks on 0, 2, 3, ... */
static int ahci_place(struct machine *m, struct ahci *h, bool cd_here)
{
	unsigned i, port = 0;
	struct ata_drive_config c;
	int ret;

	if (cd_here && m->cfg.cdrom_host) {
		c = host_cfg(m);
		ret = ahci_attach(h, 1, &c);
		if (ret)
			return ret;
	}
	for (i = 0; i < m->cfg.nr_disks; i++) {
		struct disk *d = m->cfg.disks[i];

		if (d->bus == DISK_BUS_CDROM && cd_here) {
			c = drive_cfg(m, d);
			ret = ahci_attach(h, 1, &c);
		} else if (d->bus == DISK_BUS_AHCI) {
			if (port == 1 && cd_here)
				port++;
			if (port >= AHCI_MAX_PORTS) {
				fprintf(stderr, "vmain: more AHCI disks than the %d ports\n",
					AHCI_MAX_PORTS - (cd_here ? 1 : 0));
				return -ENOSPC;
			}
			c = drive_cfg(m, d);
			ret = ahci_attach(h, port++, &c);
		} else {
			continue;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* IDE: the CD/DVD drive on the secondary master, disks on 0.0, 0.1, 1.1. */
static int ide_place(struct machine *m, struct ide *ide, bool cd_here)
{
	static const unsigned slots[4][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } };
	struct ata_drive_config c;
	unsigned i, n = 0;
	int ret;

	if (cd_here && m->cfg.cdrom_host) {
		c = host_cfg(m);
		ret = ide_attach(ide, 1, 0, &c);
		if (ret)
			return ret;
	}
	for (i = 0; cd_here && i < m->cfg.nr_disks; i++) {
		if (m->cfg.disks[i]->bus == DISK_BUS_CDROM) {
			c = drive_cfg(m, m->cfg.disks[i]);
			ret = ide_attach(ide, 1, 0, &c);
			if (ret)
				return ret;
		}
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
		ncd += m->cfg.disks[i]->bus == DISK_BUS_CDROM;
	}
	ncd += m->cfg.cdrom_host != NULL;
	if (!nahci && !nide && !ncd)
		return 0;
	if (ncd > 1) {
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
			ret = ahci_place(m, a->ahci, ncd && !nide);
		if (ret < 0)
			return ret;
	}
	if (nide) {
		a->ide = calloc(1, sizeof(*a->ide));
		if (!a->ide)
			return -ENOMEM;
		ret = ide_init(a->ide, &m->ram, &ide_ops, m, &m->pci, -1, 0, &m->pio);
		if (ret >= 0)
			ret = ide_place(m, a->ide, ncd != 0);
		if (ret < 0)
			return ret;
	}
	return 0;
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
	free(m->ata);
	m->ata = NULL;
}
