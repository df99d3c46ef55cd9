/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/atapi.h - the host's side of an ATAPI CD/DVD-ROM drive
 * (ata.h, ATA_KIND_CDROM): putting a disc (an ISO image) in and taking it
 * out, as `vmain cdrom NAME FILE|--eject` and the control API will.
 *
 * The guest's side is MMC-6 through PACKET (atapi.c): after a change the
 * next command but INQUIRY, REQUEST SENSE, GET CONFIGURATION and GET
 * EVENT STATUS NOTIFICATION fails once with UNIT ATTENTION (06/28/00,
 * "not ready to ready change, medium may have changed"), GET EVENT STATUS
 * NOTIFICATION reports the media event once (new media, media removal,
 * eject request), and without a disc the commands that need one fail
 * with NOT READY (02/3A/00, "medium not present").
 *
 * The guest's own eject (START STOP UNIT) opens the tray with the disc
 * in it: the disc stays open (and its image locked) until the guest
 * closes the tray again (the same disc comes back) or the host inserts
 * or ejects.  While the guest prevents removal (PREVENT ALLOW MEDIUM
 * REMOVAL), the host's eject (and an insert over a disc) is refused with
 * -EBUSY and the guest sees an eject request event, as a press of a real
 * drive's button does.
 *
 * Threads: without the drive's lock, not on the I/O loop's thread (they
 * open and close images); the loop must be running, or be turned by the
 * caller (tests).
 */
#ifndef VMAIN_MONITOR_DEVICES_ATAPI_H
#define VMAIN_MONITOR_DEVICES_ATAPI_H

#include <stdbool.h>
#include <stddef.h>

#include "devices/ata.h"

struct disk;

/*
 * Opens `path` read-only (an ISO image: raw, or qcow2 by its header) and
 * puts it in the drive, replacing a disc that is there.  0, -EBUSY
 * (removal prevented by the guest), or the open's -errno with a one-line
 * reason in err.
 */
int atapi_insert(struct ata_drive *d, const char *path, char *err, size_t errlen);
/*
 * The same with an image already open (the drive closes it when it goes
 * when `own`; otherwise the caller does, after taking it out).
 */
int atapi_insert_disk(struct ata_drive *d, struct disk *disk, bool own);
/*
 * Takes the disc out (closing it when the drive owns it).  0 (also when
 * the drive was empty) or -EBUSY (prevented: the guest gets an eject
 * request event).
 */
int atapi_eject(struct ata_drive *d);
/*
 * Lifts the guest's PREVENT ALLOW MEDIUM REMOVAL: the host's next eject
 * or insert goes through (`vmain cdrom --force`, as QEMU's `eject -f`).
 */
void atapi_unlock_tray(struct ata_drive *d);
/* Is there a disc in the drive, and is the tray closed over it? */
bool atapi_has_medium(struct ata_drive *d);

#endif
