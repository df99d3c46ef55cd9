/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/ata.h - the ATA/ATAPI device side shared by the storage
 * controllers (AHCI, PIIX IDE): one drive, a hard disk (ATA8-ACS / ACS-3
 * command set, ata.c) or a CD/DVD-ROM (the PACKET feature set with an
 * MMC-6 subset, atapi.c), over the disk stack (disk/disk.h).
 *
 * The split.  A controller (the transport) owns the registers the guest
 * sees: the IDE task-file ports and bus master, or AHCI's ports, command
 * lists and FISes.  It hands this layer a command as the task-file
 * registers the guest wrote (an H2D Register FIS carries the same
 * fields), plus the CDB for PACKET, plus where the data goes; it gets back
 * events carrying the registers the device sets (what a D2H Register /
 * PIO Setup / Set Device Bits FIS carries).  The layer owns everything a
 * drive is: IDENTIFY data, the command set, the sense data, the media,
 * the write-cache switch, the disk requests.
 *
 * The data phase, chosen by the controller per command (struct ata_cmd):
 *   ATA_XFER_IOV  the whole transfer is host memory the controller has
 *                 already validated (the AHCI PRDT, the IDE bus master's
 *                 PRD table: guest RAM through gmem).  Used for DMA, and
 *                 by AHCI for PIO-protocol commands too (IDENTIFY...).
 *                 The iovec array is copied by ata_submit(); the memory
 *                 it points to must stay mapped until the command's last
 *                 event or, after ata_abort()/ata_reset(), until idle()
 *                 (guest RAM does).  A transfer longer than the iovecs
 *                 moves what fits: ATA commands whose sectors do not fit
 *                 fail with ABRT before any I/O; ATAPI replies are cut
 *                 to the buffer; `bytes` in the final event says how many
 *                 bytes were moved.
 *   ATA_XFER_PIO  the IDE PIO protocol (ATA8-ACS "PIO data-in/data-out"):
 *                 the layer moves the data one DRQ data block at a time
 *                 through its own buffer; the controller forwards the
 *                 guest's data-port accesses to ata_pio_read() /
 *                 ata_pio_write().  A block is one sector, the multiple
 *                 count for READ/WRITE MULTIPLE, 512 bytes for IDENTIFY,
 *                 and for ATAPI at most the byte count limit the guest
 *                 put in LBA mid/high (ATA8-ACS PACKET).
 *
 * Commands.  Without NCQ a drive runs one command at a time.  READ/WRITE
 * FPDMA QUEUED (60h/61h, ATA_XFER_IOV only, on a drive created with
 * `ncq`) may have up to 32 in flight, one per tag (count bits 7:3); a
 * queued command whose tag is busy, or any other command while queued
 * ones are in flight, completes with ABRT (ACS-3 "NCQ command error").
 * The controller's `slot` (0..31) names the command in the events: the
 * AHCI command slot (which must equal the NCQ tag), 0 for IDE.
 *
 * For PACKET (A0h) the controller collects the 12-byte CDB before
 * submitting (IDE: the six words written to the data port while the
 * device asks for the packet, interrupt reason CoD=1 IO=0, no interrupt;
 * AHCI: the ACMD area of the command table) and passes it in `cdb`.
 * Feature bit 0 (DMA) picks the data phase as for any command.
 *
 * Events.  Nothing is reported from inside a call the controller makes:
 * every event comes later, from the I/O loop, with the controller's lock
 * taken through ops.lock.  An event is either
 *   - ATA_PHASE_PIO_IN / ATA_PHASE_PIO_OUT (ATA_XFER_PIO only): a data
 *     block of `bytes` is ready to be read / wanted (set DRQ; raise the
 *     interrupt when `irq`: ATA8-ACS raises none before the first block
 *     of a PIO data-out command), or
 *   - ATA_PHASE_DONE: the command finished; its registers are the final
 *     status (DRDY, DSC, ERR...), error, and for ATAPI interrupt reason
 *     (count: CoD|IO) and byte count (LBA mid/high).  `irq` says whether
 *     the device raises INTRQ (the controller applies nIEN / the FIS's I
 *     bit; DEVICE RESET raises none).
 * For an ATAPI command the sense data the command left (sense key, ASC,
 * ASCQ) are in the event too; the error register's high nibble is the
 * sense key (ATA8-ACS PACKET "Error" output).
 *
 * Threads and locks (DESIGN.md "The monitor's I/O model").  Every ata_*
 * and atapi_* call is made with the controller's lock held (vCPU threads,
 * or the I/O thread inside an event); the layer's I/O thread side takes
 * that lock through ops.lock before touching the drive, and submits to
 * the disk with it dropped: no host I/O ever runs under it.  ops.event
 * and ops.idle are called with the lock held and may call ata_submit(),
 * ata_pio_*() and ata_abort() (they never recurse: the resulting events
 * come later).
 *
 * Reset and abort.  ata_abort() forgets every command: no event comes for
 * them any more.  Disk requests already on the host cannot be recalled
 * and still write into their buffers (guest RAM, the layer's PIO
 * buffer), so until the last of them has completed ata_abort() reports
 * -EINPROGRESS and the drive stays busy; then ops.idle() runs (as a
 * virtio-blk reset waits for its requests, virtio 1.2 section 2.4.1).  A
 * controller keeps BSY (IDE status, AHCI PxTFD/PxCMD.CR) until then.
 * ata_reset() is ata_abort() plus the device's reset (ATA8-ACS "software
 * reset" / COMRESET / DEVICE RESET): settings back to their power-on
 * values (multiple count, the write cache as configured, ATAPI sense
 * data), the signature in the registers.  An ATAPI DEVICE RESET (08h)
 * written while a command runs (BSY or DRQ set, where ata_submit() says
 * -EBUSY) is the controller's to turn into ata_reset(); submitted to an
 * idle drive it completes like any command.
 *
 * Save and restore: ata_drive_stop() drains, then ata_drive_save() saves
 * the drive's settings and a PIO data phase the guest is in the middle of
 * (the block, its position, the command's progress); commands on the host
 * are never state (-EBUSY while any is, as virtio-blk does).
 */
#ifndef VMAIN_MONITOR_DEVICES_ATA_H
#define VMAIN_MONITOR_DEVICES_ATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct disk;
struct ioloop;
struct pool;
struct state_writer;
struct state_reader;

#define ATA_MAX_SLOTS		32	/* NCQ tags / AHCI command slots */
#define ATA_MAX_IOV		1024	/* segments in one command (DISK_MAX_IOV) */
#define ATAPI_CDB_LEN		12	/* IDENTIFY PACKET DEVICE word 0: 12-byte packets */
#define ATA_SERIAL_LEN		20	/* IDENTIFY words 10-19 */

/* Status register (ATA8-ACS "Normal outputs"). */
#define ATA_STAT_ERR		0x01
#define ATA_STAT_DRQ		0x08
#define ATA_STAT_DSC		0x10	/* device seek complete / deferred write error (obsolete bit 4) */
#define ATA_STAT_DF		0x20
#define ATA_STAT_DRDY		0x40
#define ATA_STAT_BSY		0x80

/* Error register. */
#define ATA_ERR_AMNF		0x01
#define ATA_ERR_ABRT		0x04
#define ATA_ERR_IDNF		0x10
#define ATA_ERR_UNC		0x40
#define ATA_ERR_ICRC		0x80

/* ATAPI interrupt reason (the count register's bits 1:0, ATA8-ACS PACKET). */
#define ATAPI_IREASON_COD	0x01
#define ATAPI_IREASON_IO	0x02

/* Device register: LBA addressing (bit 6); bits 3:0 are LBA 27:24 for LBA28. */
#define ATA_DEV_LBA		0x40

enum ata_kind {
	ATA_KIND_DISK,		/* ATA device, 512-byte sectors */
	ATA_KIND_CDROM,		/* ATAPI CD/DVD-ROM, 2048-byte sectors, removable */
};

/*
 * The task-file registers as the guest wrote them (IDE shadow registers,
 * or an H2D Register FIS).  Each 16-bit field holds the current byte in
 * bits 7:0 and the previous ("HOB") byte in bits 15:8; `lba` holds LBA
 * low, mid, high in bits 23:0 and their HOB bytes in bits 47:24.  For an
 * LBA28 or CHS command the layer ignores the HOB bytes and takes bits
 * 27:24 (LBA) or the head (CHS) from `device`.
 */
struct ata_taskfile {
	uint16_t feature;
	uint16_t count;
	uint64_t lba;
	uint8_t device;
	uint8_t command;
};

enum ata_xfer {
	ATA_XFER_IOV,		/* iov/iovcnt: the whole transfer's memory */
	ATA_XFER_PIO,		/* block by block through ata_pio_read/write() */
};

/* A command, copied by ata_submit(): the caller's copy may go at once. */
struct ata_cmd {
	struct ata_taskfile tf;
	uint8_t cdb[16];		/* PACKET: the first ATAPI_CDB_LEN bytes */
	enum ata_xfer xfer;
	const struct iovec *iov;	/* ATA_XFER_IOV: 0..ATA_MAX_IOV segments */
	unsigned iovcnt;
	unsigned slot;			/* 0..ATA_MAX_SLOTS-1, echoed in its events */
};

enum ata_phase {
	ATA_PHASE_DONE,		/* the command finished */
	ATA_PHASE_PIO_IN,	/* a block of `bytes` is ready: ata_pio_read() */
	ATA_PHASE_PIO_OUT,	/* a block of `bytes` is wanted: ata_pio_write() */
};

/* What the device reports (the output registers of a D2H FIS). */
struct ata_result {
	enum ata_phase phase;
	uint8_t status;			/* ATA_STAT_* (BSY clear) */
	uint8_t error;			/* ATA_ERR_*; ATAPI: sense key << 4 | ABRT... */
	uint16_t count;			/* ATAPI: interrupt reason */
	uint64_t lba;			/* ATAPI: byte count in bits 23:8 */
	uint8_t device;
	bool irq;			/* the device asserts INTRQ */
	/* DONE: data bytes the command moved; PIO_*: bytes in this block. */
	uint32_t bytes;
	/* ATAPI commands: the sense the command left (0/0/0: none). */
	uint8_t sense_key, asc, ascq;
};

/* How a command moves data (ATA8-ACS protocol of each command, table in ata.c). */
enum ata_proto {
	ATA_PROTO_NONDATA,	/* also commands the drive will reject */
	ATA_PROTO_PIO_IN,
	ATA_PROTO_PIO_OUT,
	ATA_PROTO_DMA,		/* READ/WRITE DMA (EXT), DSM: needs ATA_XFER_IOV */
	ATA_PROTO_DMA_QUEUED,	/* READ/WRITE FPDMA QUEUED: IOV, several in flight */
	ATA_PROTO_PACKET,	/* the CDB decides; feature bit 0: by DMA */
	ATA_PROTO_DEVICE_RESET,	/* DEVICE RESET (08h, ATAPI) */
};

struct ata_host_ops {
	/* The controller's lock, taken by the I/O thread before events. */
	void (*lock)(void *opaque);
	void (*unlock)(void *opaque);
	/* A command's event (see the top of this file); the lock is held. */
	void (*event)(void *opaque, unsigned slot, const struct ata_result *res);
	/* After ata_abort()/ata_reset() returned -EINPROGRESS: nothing is in flight now. */
	void (*idle)(void *opaque);
};

struct hostdrive;

struct ata_drive_config {
	enum ata_kind kind;
	/*
	 * DISK: the image (required; on a read-only disk writes fail with
	 * ABRT).  CDROM: the medium in the tray, NULL for an empty one
	 * (atapi.h changes it later), read-only.
	 */
	struct disk *disk;
	struct ioloop *loop;		/* the disk's I/O loop */
	struct pool *pool;		/* CDROM: for atapi_insert()'s disk_open() */
	/*
	 * CDROM: a host CD/DVD drive (disk/hostdrive.h) that takes the
	 * guest's PACKET commands instead of an image (disk NULL); the
	 * caller keeps it open for the drive's life.  atapi.c, "Passthrough".
	 */
	struct hostdrive *host;
	const char *serial;		/* up to ATA_SERIAL_LEN printable ASCII, NULL: "" */
	const char *model;		/* NULL: "VMAIN HARDDISK" / "VMAIN DVD-ROM" */
	bool ncq;			/* advertise NCQ, depth 32 (AHCI; not IDE) */
	struct ata_host_ops ops;
	void *opaque;
};

struct ata_drive;

/*
 * A new drive (not holding the lock; the loop must not be the caller's
 * unless it is turned by hand, as tests do).  Takes no ownership of the
 * config's disk (CDROM media inserted later by atapi_insert() are the
 * drive's).  0 or -errno (-EINVAL for a bad config).
 */
int ata_drive_create(struct ata_drive **out, const struct ata_drive_config *cfg);
/*
 * Stops (ata_drive_stop()) and frees the drive; a CDROM's own medium is
 * closed.  Without the lock.
 */
void ata_drive_destroy(struct ata_drive *d);

enum ata_kind ata_drive_kind(const struct ata_drive *d);

/*
 * The protocol of a command (for IDE: wait for the bus master's start
 * before submitting a DMA command; for AHCI: PIO Setup vs D2H FIS).
 */
enum ata_proto ata_command_proto(const struct ata_drive *d, uint8_t command,
				 uint16_t feature);

/*
 * Starts a command (the lock held).  0: an event will come for `slot`.
 * -EBUSY: the drive is running a non-queued command or aborting (the
 * controller shows BSY and should not have sent it); -EINVAL: a bad slot
 * or iovec count; -ESHUTDOWN after ata_drive_stop().  Errors the guest
 * caused (an unknown command, an LBA out of range) are not returns: they
 * are the command's DONE event with ERR.
 */
int ata_submit(struct ata_drive *d, const struct ata_cmd *cmd);

/*
 * The data port during a PIO phase (the lock held): copies up to `len`
 * bytes of the current block out (PIO_IN) or in (PIO_OUT).  Returns the
 * bytes the block still holds after this access (0: the block is done;
 * clear DRQ, set BSY and wait for the next event), or -EINVAL outside a
 * PIO phase of that direction (the access does nothing; a read gives
 * 0xff bytes).
 */
int ata_pio_read(struct ata_drive *d, void *buf, unsigned len);
int ata_pio_write(struct ata_drive *d, const void *buf, unsigned len);

/*
 * Abort every command (the lock held).  0: done, nothing in flight.
 * -EINPROGRESS: disk requests are still on the host; ops.idle() runs once
 * they finished; until then ata_submit() says -EBUSY.
 */
int ata_abort(struct ata_drive *d);
/* ata_abort() and the device's reset (see the top); same returns. */
int ata_reset(struct ata_drive *d);

/*
 * The device signature (ATA8-ACS "Signature and persistence"): the
 * registers after a reset or EXECUTE DEVICE DIAGNOSTIC: count 1, LBA low
 * 1, LBA mid/high 00h/00h (ATA) or 14h/EBh (ATAPI), error 01h, status
 * DRDY|DSC (ATA) or 0 (ATAPI).  phase DONE, irq false.
 */
void ata_signature(const struct ata_drive *d, struct ata_result *res);

/*
 * Takes no more commands (ata_submit() says -ESHUTDOWN) and waits until
 * nothing is in flight and every event has been delivered.  Without the
 * lock; the loop must be running on its thread or turned by the caller.
 */
void ata_drive_stop(struct ata_drive *d);

/*
 * Section "ata" / `id` (the controller's name for the drive: e.g.
 * port << 8 | devfn).  -EBUSY while a command is on the host
 * (ata_drive_stop() first).  The load (lock held, drive idle) checks the
 * kind and the disk's size and changes nothing unless all of it loads.
 */
int ata_drive_save(const struct ata_drive *d, struct state_writer *w, uint32_t id);
int ata_drive_load(struct ata_drive *d, struct state_reader *r, uint32_t id);

#endif
