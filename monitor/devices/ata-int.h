/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/ata-int.h - the inside of an ATA/ATAPI drive, shared by ata.c
 * (the drive: commands in flight, data phases, events, reset, state),
 * ata-cmd.c (the ATA command set and IDENTIFY DEVICE) and atapi.c (the
 * PACKET commands).  Not for controllers: they use ata.h.
 *
 * Locking (ata.h): every field is under the controller's lock (d->ops.lock)
 * unless marked "I/O thread".
 */
#ifndef VMAIN_MONITOR_DEVICES_ATA_INT_H
#define VMAIN_MONITOR_DEVICES_ATA_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "devices/ata.h"
#include "disk/disk.h"
#include "io/ioloop.h"

#define ATA_SECTOR		512u
#define ATAPI_SECTOR		2048u
#define ATA_PIO_BUF		65536u	/* the largest DRQ data block, and a bit */
#define ATA_MAX_MULTIPLE	16	/* IDENTIFY word 47: sectors per READ/WRITE MULTIPLE block */
#define ATA_DSM_MAX_BLOCKS	8	/* IDENTIFY word 105: 512-byte blocks of TRIM ranges */
#define ATA_OK_STATUS		(ATA_STAT_DRDY | ATA_STAT_DSC)
#define ATA_LOG_NCQ_ERROR	0x10	/* log address of the NCQ Command Error log */

/* What a request does on the host when it is submitted. */
enum ata_host_op {
	ATA_HOST_NONE,		/* no disk I/O: only an event */
	ATA_HOST_DISK,		/* r->dreq[0 .. nr_dreq) */
};

/* The source/sink of a data phase. */
enum ata_data {
	ATA_DATA_NONE,
	ATA_DATA_BUF,		/* a reply built in d->pio_buf (IDENTIFY, ATAPI replies) */
	ATA_DATA_DISK_IN,	/* sectors read from the disk */
	ATA_DATA_DISK_OUT,	/* sectors written to the disk */
	ATA_DATA_HOST_REPLY,	/* a host drive's reply to a passed-through command */
	ATA_DATA_HOST_IN,	/* sectors read from a host drive */
};

struct ata_req {
	struct ata_drive *d;
	struct ata_req *next;		/* the submit or event queue */
	unsigned slot;
	bool active;			/* between ata_submit() and its DONE event */
	bool aborted;			/* ata_abort(): no more events */
	bool on_host;			/* disk requests taken for submission, not completed */
	bool queued_ev;			/* on the event queue */
	bool ncq;
	struct ata_taskfile tf;
	uint8_t cdb[16];
	enum ata_xfer xfer;
	struct iovec *iov;		/* ATA_XFER_IOV: the caller's segments, copied */
	unsigned iovcnt;
	uint64_t iov_bytes;
	/* The data phase. */
	enum ata_data data;
	uint32_t ssize;			/* sector size of the disk data: 512 or 2048 */
	uint64_t lba;			/* the next sector to read or write */
	uint64_t left;			/* bytes of the transfer not yet read/written */
	uint64_t moved;			/* bytes moved to or from the guest */
	uint32_t blk_max;		/* PIO: the largest DRQ block */
	uint32_t drq_len, drq_pos;	/* PIO: the current DRQ block in d->pio_buf */
	uint32_t buf_len, buf_pos;	/* PIO, ATAPI: what d->pio_buf holds, what is given out */
	bool write;
	uint32_t dflags;		/* DISK_REQ_* for writes (FUA) */
	/* The host side. */
	struct disk *disk;		/* the disk (or medium) the command reads or writes */
	uint32_t gen;			/* ATAPI: the medium's generation at the start */
	unsigned nr_dreq, pending;
	struct disk_req *dreq;		/* nr_dreq of them */
	struct disk_req dreq1;		/* the usual single one */
	struct iovec *div;		/* the segments of dreq[0] (carved from iov) */
	struct iovec pio_iov;
	int err;			/* the first failed disk request's */
	/* A host drive's command (d->host): what the bottom half sends it. */
	bool sg;
	uint8_t sg_cdb[12];
	uint32_t sg_len;
	int sg_dir;			/* enum hostdrive_dir */
	/* The event to deliver. */
	struct ata_result res;
};

struct ata_drive {
	enum ata_kind kind;
	struct disk *disk;		/* ATA: the image; ATAPI: the medium in the tray (or NULL) */
	struct hostdrive *host;		/* ATAPI: a host drive instead of a medium (passthrough) */
	struct ioloop *loop;
	struct pool *pool;
	struct ata_host_ops ops;
	void *opaque;
	bool ncq_cap;
	char serial[ATA_SERIAL_LEN + 1];
	char model[41];

	/* Settings (ATA8-ACS; back to these at a reset). */
	uint8_t multiple;		/* SET MULTIPLE MODE: sectors per block, 0: off */
	uint8_t xfer_mode;		/* SET FEATURES 03h: the mode value last set (0: default PIO) */
	bool wce;			/* the guest's write-cache switch */
	bool wce_default;		/* from the disk's cache= */
	bool standby;			/* CHECK POWER MODE: 00h instead of FFh */
	uint8_t heads, spt;		/* INITIALIZE DEVICE PARAMETERS (CHS translation) */
	/* The NCQ Command Error log (ACS-3 9.13): the last failed queued command's registers. */
	uint8_t ncq_log[14];

	/* Commands. */
	struct ata_req req[ATA_MAX_SLOTS];
	uint32_t tags;			/* NCQ tags in flight */
	unsigned nr_active, nr_ncq;
	struct ata_req *pio;		/* the request in a PIO data phase (waiting for the guest) */
	enum ata_phase pio_dir;
	uint8_t *pio_buf;		/* ATA_PIO_BUF bytes */
	bool aborting;			/* ata_abort() returned -EINPROGRESS */
	bool stopped;
	unsigned on_host;		/* requests with disk I/O on the host */
	struct ata_req *sub_head, **sub_tail;	/* to submit (the bottom half) */
	struct ata_req *ev_head, **ev_tail;	/* events to deliver */
	struct ioloop_bh bh;
	atomic_uint busy;		/* on the host + queued: ata_drive_stop() waits for 0 */
	pthread_mutex_t drain_lock;
	pthread_cond_t drained;
	/* I/O thread. */
	bool wce_applied;

	/* ATAPI (atapi.c). */
	struct atapi_state {
		struct disk *ejected;	/* the guest opened the tray: the disc in it, closed later */
		bool own_medium;	/* disk came from atapi_insert(): ours to close */
		bool own_ejected;
		bool tray_open;
		bool prevent;		/* PREVENT ALLOW MEDIUM REMOVAL */
		bool unit_attention;	/* 06/28/00 pending */
		uint8_t event;		/* GESN media event code pending (0: none) */
		uint8_t sense_key, asc, ascq;	/* the last command's, for REQUEST SENSE */
		uint32_t gen;		/* bumped at every medium change */
	} atapi;
};

/* ata.c: the pieces of a command's life the command sets use. */
void ata_lock(struct ata_drive *d);
void ata_unlock(struct ata_drive *d);
/* The DONE event: status ERR with `error` (0: success). */
void ata_req_done(struct ata_req *r, uint8_t error);
/* A reply in d->pio_buf[0, len): to the iovecs, or given out in PIO blocks. */
void ata_req_reply(struct ata_req *r, uint32_t len);
/* A disk data phase of `bytes` from sector `lba` (r->ssize, r->write set). */
void ata_req_disk(struct ata_req *r, uint64_t lba, uint64_t bytes);
/*
 * `n` disk requests for the host (flush, discard): filled in by the
 * caller, then handed over with ata_req_go().  NULL: out of memory.
 */
struct disk_req *ata_req_host(struct ata_req *r, unsigned n);
void ata_req_go(struct ata_req *r);
/*
 * A command for the host drive (passthrough): the bottom half sends `cdb`
 * with a data phase of `len` bytes in direction `dir` (enum
 * hostdrive_dir; FROM_DEV replies at most ATA_PIO_BUF), and
 * atapi_pass_done() gets the outcome.
 */
void ata_req_host_cmd(struct ata_req *r, const uint8_t *cdb, int dir, uint32_t len);
/* Sectors of 2048 bytes from the host drive, from `lba` (READ(12)s as the buffers take them). */
void ata_req_host_read(struct ata_req *r, uint64_t lba, uint64_t bytes);
/* Copies up to len bytes from the iovecs at offset off. */
size_t ata_iov_from(const struct ata_req *r, size_t off, void *buf, size_t len);
/* The write-cache switch (SET FEATURES 02h/82h): applied before the next submission. */
void ata_set_wce(struct ata_drive *d, bool on);
/* Is d's disk (ATA) or medium (ATAPI) sector `lba` + `n` inside `nsect`? */
static inline bool ata_range_ok(uint64_t lba, uint64_t n, uint64_t nsect)
{
	return n <= nsect && lba <= nsect - n;
}

/* "ABC" into IDENTIFY words: two characters a word, first in the high byte, space-padded. */
void ata_id_string(uint16_t *w, const char *s, unsigned words);
/* Word 255: the signature A5h and the checksum that makes the 512 bytes sum to 0. */
void ata_id_checksum(uint16_t *id);
/* Words of IDENTIFY (PACKET) DEVICE out to the reply buffer, little-endian. */
void ata_id_put(uint8_t *buf, const uint16_t *id);

/* Power-on settings (a reset, DEVICE RESET). */
void ata_settings_reset(struct ata_drive *d);

/* ata-cmd.c: an ATA command (not PACKET) decoded and started. */
void ata_cmd_start(struct ata_req *r);
enum ata_proto ata_cmd_proto(enum ata_kind kind, uint8_t command, uint16_t feature);
/* IDENTIFY DEVICE's 256 words; the transfer-mode words both IDENTIFYs share. */
void ata_identify(const struct ata_drive *d, uint16_t *id);
void ata_id_modes(const struct ata_drive *d, uint16_t *id);

/* atapi.c */
/* The sense data the command ends with (REQUEST SENSE reports it). */
void atapi_set_sense(struct ata_drive *d, uint8_t key, uint8_t asc, uint8_t ascq);
/* CHECK CONDITION with that sense: the command's DONE, the key in the error register. */
void atapi_fail(struct ata_req *r, uint8_t key, uint8_t asc, uint8_t ascq);
void atapi_packet(struct ata_req *r);
void atapi_identify(struct ata_drive *d, uint16_t *id);
void atapi_reset(struct ata_drive *d);
void atapi_save(const struct ata_drive *d, struct state_writer *w);
/* Reads the ATAPI fields into st (checked); ..._commit() makes them the drive's. */
void atapi_load_fields(struct ata_drive *d, struct state_reader *r, struct atapi_state *st);
void atapi_load_commit(struct ata_drive *d, struct atapi_state *st);
void atapi_close_media(struct ata_drive *d);
/* atapi-pass.c: a PACKET command for a host drive; its outcome (lock held). */
struct hostdrive_result;
void atapi_pass(struct ata_req *r);
void atapi_pass_done(struct ata_req *r, const struct hostdrive_result *res);

#endif
