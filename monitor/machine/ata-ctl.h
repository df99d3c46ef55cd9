/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/ata-ctl.h - the machine's AHCI and IDE controllers
 * (devices/ahci.h, devices/ide.h): built from the disks whose bus is
 * DISK_BUS_AHCI or DISK_BUS_IDE (`--disk ...,if=ahci|ide`) and the
 * CD/DVD drive (cfg.cdrom_drive, cfg.cdrom, cfg.cdrom_host: `--cdrom`).
 *
 * Placement: AHCI disks on ports 0, 2, 3, ... in order (port 1 is the
 * CD/DVD drive's when it is on AHCI); IDE disks on the primary master,
 * the primary slave, then the secondary slave (the secondary master is
 * the CD/DVD drive's when it is on IDE).  The CD/DVD drive goes on IDE
 * when any disk does, else on AHCI.  Both controllers take the first
 * free PCI slot (function 0: a guest scans further functions only behind
 * a function 0).
 */
#ifndef VMAIN_MONITOR_MACHINE_ATA_CTL_H
#define VMAIN_MONITOR_MACHINE_ATA_CTL_H

#include <stdbool.h>
#include <stddef.h>

struct ata_drive;
struct disk;
struct machine;
struct state_reader;
struct state_writer;

/* Builds what the disks ask for (nothing if none does).  0 or -errno (message printed). */
int machine_ata_init(struct machine *m);
/* The drives take no more commands and have none on the host (platform_stop_io()). */
void machine_ata_stop(struct machine *m);
void machine_ata_destroy(struct machine *m);

/* The CD/DVD drive, NULL: none. */
struct ata_drive *machine_ata_cdrom(struct machine *m);
/*
 * Puts `disc` (the VM's, which closes it once it is out: cfg.cdrom) in
 * the CD/DVD drive, or takes the disc out (disc NULL); the guest sees the
 * media change (devices/atapi.h).  0 or -errno with a one-line message:
 * -ENODEV no drive, -EOPNOTSUPP the host's own drive, -EBUSY the guest
 * has locked the tray (unless `force`).  Main thread, without the lock.
 */
int machine_cdrom_change(struct machine *m, struct disk *disc, bool force, char *err,
			 size_t errlen);
/*
 * Before a save stops anything: -EOPNOTSUPP with a message for what
 * cannot be saved (the host's CD/DVD drive).
 */
int machine_ata_check_save(struct machine *m, char *err, size_t errlen);
/*
 * The controllers' sections ("ahci" then "ide", each with its drives):
 * after machine_ata_stop(), machine lock held.  0 or -errno.
 */
int machine_ata_save(struct machine *m, struct state_writer *w);
int machine_ata_load(struct machine *m, struct state_reader *r);

#endif
