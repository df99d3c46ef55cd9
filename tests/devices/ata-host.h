// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ata-host.h - for ata-test.c and atapi-test.c: a controller as the ATA
 * layer (monitor/devices/ata.h) sees one (a lock, the events it gets), an
 * in-memory disk whose completions the test holds and releases in any
 * order, the real I/O loop turned by hand, and helpers that issue a
 * command and wait for its events.  Included by one test program each.
 */
#ifndef VMAIN_TESTS_DEVICES_ATA_HOST_H
#define VMAIN_TESTS_DEVICES_ATA_HOST_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "devices/ata.h"
#include "disk/disk.h"
#include "io/ioloop.h"
#include "state/stream.h"

#define MAX_HELD	64
#define MAX_EVENTS	256

static struct ioloop *loop;

/* --- the in-memory disk -------------------------------------------------- */

struct fake_disk {
	struct disk d;
	uint8_t *data;
	struct disk_req *held[MAX_HELD];
	int held_ret[MAX_HELD];
	unsigned nheld;
	bool hold;			/* keep completions until released */
	int fail;			/* the next request completes with this */
	unsigned nsubmit, nflush, ndiscard;
	enum disk_op ops[MAX_EVENTS];	/* the order requests came in */
	bool wb_at[MAX_EVENTS];		/* the write cache when each came */
	struct disk_req last;
	struct ioloop_bh bh;
};

static inline struct fake_disk *fake_of(struct disk *d)
{
	return (struct fake_disk *)d;
}

static inline void fake_complete(void *opaque)
{
	struct fake_disk *f = opaque;
	unsigned i, n;

	if (f->hold)
		return;
	n = f->nheld;
	f->nheld = 0;
	for (i = 0; i < n; i++)
		f->held[i]->done(f->held[i], f->held_ret[i]);
}

static inline void fake_submit(struct disk *d, struct disk_req *r)
{
	struct fake_disk *f = fake_of(d);
	uint64_t off = r->offset;
	unsigned i;
	int ret = f->fail;

	f->fail = 0;
	if (f->nsubmit < MAX_EVENTS) {
		f->ops[f->nsubmit] = r->op;
		f->wb_at[f->nsubmit] = d->writeback;
	}
	f->nsubmit++;
	f->last = *r;
	if (!ret) {
		for (i = 0; i < r->iovcnt; i++) {
			if (r->op == DISK_READ)
				memcpy(r->iov[i].iov_base, f->data + off, r->iov[i].iov_len);
			else
				memcpy(f->data + off, r->iov[i].iov_base, r->iov[i].iov_len);
			off += r->iov[i].iov_len;
		}
		if (r->op == DISK_FLUSH)
			f->nflush++;
		if (r->op == DISK_DISCARD) {
			f->ndiscard++;
			memset(f->data + r->offset, 0, r->len);
		}
	}
	if (f->nheld < MAX_HELD) {
		f->held[f->nheld] = r;
		f->held_ret[f->nheld++] = ret;
	}
	ioloop_bh_schedule(f->d.loop, &f->bh);
}

static inline unsigned fake_pending(struct disk *d)
{
	return fake_of(d)->nheld;
}

static const struct disk_format_ops fake_ops = {
	.name = "fake",
	.submit = fake_submit,
	.pending = fake_pending,
};

static inline void fake_init(struct fake_disk *f, uint64_t bytes, bool ro, bool discard)
{
	uint64_t i;

	free(f->data);
	memset(f, 0, sizeof(*f));
	disk_init(&f->d, loop);
	f->d.ops = &fake_ops;
	f->d.size = bytes;
	f->d.readonly = ro;
	f->d.can_discard = discard;
	f->d.writeback = true;
	f->data = malloc(bytes);
	/* Every byte says where it is: sector number and offset. */
	for (i = 0; i < bytes; i++)
		f->data[i] = (uint8_t)(i / 512 * 7 + i % 512);
	ioloop_bh_init(&f->bh, fake_complete, f);
}

static inline void fake_fini(struct fake_disk *f)
{
	disk_fini(&f->d);
	free(f->data);
	f->data = NULL;
}

/* Completes the held request i (in submission order) alone. */
static inline void fake_release_one(struct fake_disk *f, unsigned i)
{
	struct disk_req *r = f->held[i];
	int ret = f->held_ret[i];

	memmove(&f->held[i], &f->held[i + 1], (f->nheld - i - 1) * sizeof(f->held[0]));
	memmove(&f->held_ret[i], &f->held_ret[i + 1], (f->nheld - i - 1) * sizeof(int));
	f->nheld--;
	r->done(r, ret);
}

/* --- the controller ------------------------------------------------------ */

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static bool locked;

struct event {
	unsigned slot;
	struct ata_result res;
	bool with_lock;
};

static struct event evs[MAX_EVENTS];
static unsigned nev, nidle;
/* Called after each event is recorded, with the lock held (a controller reacting). */
static void (*event_hook)(unsigned slot);

static inline void dlock(void *o)
{
	(void)o;
	pthread_mutex_lock(&dev_lock);
	locked = true;
}

static inline void dunlock(void *o)
{
	(void)o;
	locked = false;
	pthread_mutex_unlock(&dev_lock);
}

static inline void on_event(void *o, unsigned slot, const struct ata_result *res)
{
	(void)o;
	/* A ring: the newest MAX_EVENTS events. */
	evs[nev % MAX_EVENTS].slot = slot;
	evs[nev % MAX_EVENTS].res = *res;
	evs[nev % MAX_EVENTS].with_lock = locked;
	nev++;
	if (event_hook)
		event_hook(slot);
}

static inline void on_idle(void *o)
{
	(void)o;
	nidle++;
}

static const struct ata_host_ops host_ops = {
	.lock = dlock, .unlock = dunlock, .event = on_event, .idle = on_idle,
};

static inline void turn(void)
{
	int i;

	for (i = 0; i < 8; i++)
		ioloop_run_once(loop, 0);
}

static inline struct ata_drive *drive_new(enum ata_kind kind, struct disk *disk, bool ncq)
{
	struct ata_drive_config c = {
		.kind = kind, .disk = disk, .loop = loop, .serial = "QM00001-serial",
		.ncq = ncq, .ops = host_ops,
	};
	struct ata_drive *d = NULL;

	if (ata_drive_create(&d, &c))
		return NULL;
	turn();
	return d;
}

/* A command's task file. */
static struct ata_cmd tf_cmd(uint8_t command, uint16_t feature, uint16_t count,
			     uint64_t lba, uint8_t device)
{
	struct ata_cmd c;

	memset(&c, 0, sizeof(c));
	c.tf.command = command;
	c.tf.feature = feature;
	c.tf.count = count;
	c.tf.lba = lba;
	c.tf.device = device;
	c.xfer = ATA_XFER_PIO;
	return c;
}

/* Submits with the lock held, as a vCPU's exit would; returns ata_submit()'s value. */
static inline int submit(struct ata_drive *d, struct ata_cmd *c)
{
	int ret;

	dlock(NULL);
	ret = ata_submit(d, c);
	dunlock(NULL);
	return ret;
}

/* Submits, turns the loop and returns the first new event (NULL: none). */
static inline struct event *run_cmd(struct ata_drive *d, struct ata_cmd *c)
{
	unsigned first = nev;

	if (submit(d, c))
		return NULL;
	turn();
	return nev > first ? &evs[first % MAX_EVENTS] : NULL;
}

/* The command's data through one iovec of `len` bytes at buf. */
static inline struct event *run_iov(struct ata_drive *d, struct ata_cmd *c, void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	c->xfer = ATA_XFER_IOV;
	c->iov = &iov;
	c->iovcnt = 1;
	return run_cmd(d, c);
}

static inline int pio_read(struct ata_drive *d, void *buf, unsigned len)
{
	int ret;

	dlock(NULL);
	ret = ata_pio_read(d, buf, len);
	dunlock(NULL);
	return ret;
}

static inline int pio_write(struct ata_drive *d, const void *buf, unsigned len)
{
	int ret;

	dlock(NULL);
	ret = ata_pio_write(d, buf, len);
	dunlock(NULL);
	return ret;
}

/* Reads a whole DRQ block of `len` bytes in 16-bit accesses; the last returns 0. */
static inline bool pio_read_block(struct ata_drive *d, uint8_t *buf, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i += 2) {
		int left = pio_read(d, buf + i, 2);

		if (left != (int)(len - i - 2))
			return false;
	}
	turn();
	return true;
}

/* Writes a whole block in 32-bit accesses. */
static inline bool pio_write_block(struct ata_drive *d, const uint8_t *buf, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i += 4) {
		int left = pio_write(d, buf + i, 4);

		if (left != (int)(len - i - 4))
			return false;
	}
	turn();
	return true;
}

static inline struct event *last_ev(void)
{
	return nev ? &evs[(nev - 1) % MAX_EVENTS] : NULL;
}

static inline bool ok_done(const struct event *e, bool irq)
{
	return e && e->res.phase == ATA_PHASE_DONE && e->res.status == 0x50 &&
	       !e->res.error && e->res.irq == irq && e->with_lock;
}

static inline bool err_done(const struct event *e, uint8_t error)
{
	return e && e->res.phase == ATA_PHASE_DONE && (e->res.status & ATA_STAT_ERR) &&
	       e->res.error == error && e->res.irq;
}

/* A drive's state through save and load into a second drive. */
static inline int roundtrip2(struct ata_drive *from, struct ata_drive *to, uint32_t id,
		      uint32_t load_id, char *msg, size_t msglen)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	size_t len;
	int ret, err;

	state_writer_init(&w);
	ret = ata_drive_save(from, &w, id);
	if (!ret) {
		buf = state_writer_data(&w, &len, &err);
		ret = buf ? 0 : err;
	}
	if (!ret) {
		state_reader_init(&r, buf, len);
		dlock(NULL);
		ret = ata_drive_load(to, &r, load_id);
		dunlock(NULL);
		snprintf(msg, msglen, "%s", state_reader_msg(&r));
	}
	state_writer_free(&w);
	return ret;
}

static inline int roundtrip(struct ata_drive *from, struct ata_drive *to, uint32_t id,
		     char *msg, size_t msglen)
{
	return roundtrip2(from, to, id, id, msg, msglen);
}

#endif
