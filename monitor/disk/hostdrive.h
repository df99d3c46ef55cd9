/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/hostdrive.h - a host CD/DVD drive given to one VM: `--cdrom
 * /dev/sr0` (or its SCSI generic node, /dev/sgN).
 *
 * The drive is opened with O_EXCL: while the VM holds it, the host cannot
 * mount it and no other program that asks for exclusive use gets it (a
 * second VM, the desktop's automounter through udisks, cdrecord, another
 * O_EXCL open()); the kernel drops the claim when the monitor's process
 * ends, however it ends, so a killed VM never leaves the drive held.  It
 * must answer SG_IO and report itself a CD/DVD drive (SCSI peripheral
 * type 5, MMC) to the INQUIRY sent at open; anything else is refused with
 * the reason.
 *
 * Every MMC command (the ATAPI packets a guest sends: READ(10),
 * READ TOC, GET EVENT STATUS NOTIFICATION, START STOP UNIT...) goes to
 * the drive through SG_IO on a thread of the worker pool (io/pool.h),
 * never on a vCPU thread: an optical drive spinning up or retrying a bad
 * sector blocks for seconds.  Its completion runs on the caller's I/O
 * loop.  The data goes through a buffer the command owns, so a device
 * that abandons a command (a reset) leaves nothing of its own in use
 * while the drive is still busy with it.
 *
 * One command at a time per drive: ATAPI has no queueing (a PACKET
 * device takes the next command once the last one completed).  A command
 * abandoned by a reset still runs to its end at the drive, beside the
 * next one (the kernel orders them at the device); at most
 * HOSTDRIVE_MAX_JOBS run or wait at once, so a guest resetting in a loop
 * cannot pile them up.
 *
 * Threads: hostdrive_open/close/submit/cancel on the loop thread.
 */
#ifndef VMAIN_MONITOR_DISK_HOSTDRIVE_H
#define VMAIN_MONITOR_DISK_HOSTDRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioloop;
struct pool;
struct hostdrive;
struct hostdrive_cmd;

/* The largest transfer one command may ask for (MMC READ(10)/(12) of 32 2 KiB sectors, and more). */
#define HOSTDRIVE_MAX_XFER	(1024 * 1024)
#define HOSTDRIVE_SENSE_MAX	32
#define HOSTDRIVE_MAX_JOBS	4	/* the live command and abandoned ones still at the drive */

enum hostdrive_dir {
	HOSTDRIVE_NONE,		/* no data phase */
	HOSTDRIVE_FROM_DEV,	/* the drive sends data (READ, INQUIRY, ...) */
	HOSTDRIVE_TO_DEV,	/* data goes to the drive (MODE SELECT, ...) */
};

struct hostdrive_result {
	int err;		/* 0: the command reached the drive; -errno: it did not (transport, -ECANCELED) */
	uint16_t host_status;	/* the SCSI host's and driver's codes (sg_io_hdr), for logs */
	uint16_t driver_status;
	uint8_t status;		/* SCSI status (0 GOOD, 2 CHECK CONDITION) when err is 0 */
	uint8_t sense[HOSTDRIVE_SENSE_MAX];
	unsigned sense_len;	/* sense bytes the drive returned (CHECK CONDITION) */
	const uint8_t *data;	/* FROM_DEV: what the drive sent, valid during the callback */
	size_t len;		/* bytes transferred (the request less the residue) */
};

typedef void (*hostdrive_done_fn)(void *opaque, const struct hostdrive_result *r);

/*
 * Opens `path` exclusively and checks it is an SG_IO CD/DVD drive.  0, or
 * -errno with one line in `why`: -ENOENT, -EACCES, -EBUSY (held: mounted,
 * or claimed by another VM or program), -ENOTTY (not a SCSI device: no
 * SG_IO), -ENODEV (a SCSI device of another type), -EIO (no INQUIRY).
 * Completions run on `loop`; the commands on `pool`'s threads.
 */
int hostdrive_open(struct hostdrive **out, const char *path, struct pool *pool,
		   struct ioloop *loop, char *why, size_t whylen);

/*
 * Gives the drive back.  A command still at the drive is cancelled (its
 * callback is not called) and the drive is closed once it returns, on the
 * loop thread; the caller may go at once.
 */
void hostdrive_close(struct hostdrive *hd);

/*
 * Sends `cdb` (6..16 bytes) to the drive.  For HOSTDRIVE_TO_DEV, `data`
 * (len bytes) is copied now; for FROM_DEV, `len` is how much to accept.
 * `timeout_ms` 0: 30 s.  `done` runs on the loop thread with the result.
 * 0, or -EBUSY (a command is pending, or HOSTDRIVE_MAX_JOBS are still
 * at the drive), -EINVAL (a bad length or cdb), -ENOMEM.
 */
int hostdrive_submit(struct hostdrive *hd, const uint8_t *cdb, unsigned cdb_len,
		     enum hostdrive_dir dir, const void *data, size_t len,
		     unsigned timeout_ms, hostdrive_done_fn done, void *opaque);

/*
 * Abandons the pending command, if any (a device reset): its callback
 * will not run, and the next command may be submitted at once.
 */
void hostdrive_cancel(struct hostdrive *hd);

/* Is a command pending (submitted, its callback not run, not cancelled)? */
bool hostdrive_busy(const struct hostdrive *hd);

/* The INQUIRY vendor, product and revision, trimmed ("HL-DT-ST DVDRAM GH24NSD1 LG00"). */
const char *hostdrive_name(const struct hostdrive *hd);

#endif
