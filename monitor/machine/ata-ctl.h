/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/ata-ctl.h - the machine's AHCI and IDE controllers
 * (devices/ahci.h, devices/ide.h): built from the disks whose bus is
 * DISK_BUS_AHCI, DISK_BUS_IDE or DISK_BUS_CDROM (`--disk ...,if=ahci|ide`,
 * `--cdrom FILE`).
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

struct machine;

/* Builds what the disks ask for (nothing if none does).  0 or -errno (message printed). */
int machine_ata_init(struct machine *m);
/* The drives take no more commands and have none on the host (platform_stop_io()). */
void machine_ata_stop(struct machine *m);
void machine_ata_destroy(struct machine *m);

#endif
