// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk-test.c - the virtio block device (monitor/devices/
 * virtio-blk.c) driven like a guest driver over an in-memory disk whose
 * completions the test controls, with the real I/O loop turned by hand:
 * configuration, every request type, ANY_LAYOUT chains, errors mapped to
 * the spec's status codes, malformed chains, the write-cache switch,
 * batching (one interrupt per batch), a reset with requests in flight,
 * read-only disks, stop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "devices/pci.h"
#include "devices/virtio-blk.h"
#include "state/stream.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
}
/* --- end of the driver --- */
#include "virtio-locked.h"

#define VER1		(1ull << VIRTIO_F_VERSION_1)
#define DISK_BYTES	(1u << 20)
#define MAX_HELD	64

/* An in-memory disk: requests done at submit, completions when released. */
struct fake_disk {
	struct disk d;
	uint8_t data[DISK_BYTES];
	struct disk_req *held[MAX_HELD];
	int held_ret[MAX_HELD];
	unsigned nheld;
	bool hold;			/* keep completions until fake_release() */
	int fail;			/* next request completes with this */
	unsigned nsubmit, nunplug, nflush;
	struct disk_req last;
	bool wb;
	struct ioloop_bh bh;
};

static struct fake_disk fd0, fd_ro;
static struct ioloop *loop;

static struct fake_disk *fake_of(struct disk *d)
{
	return (struct fake_disk *)d;
}

static void fake_complete(void *opaque)
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

static void fake_submit(struct disk *d, struct disk_req *r)
{
	struct fake_disk *f = fake_of(d);
	uint64_t off = r->offset;
	unsigned i;
	int ret = f->fail;

	f->fail = 0;
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
		if (r->op == DISK_WRITE_ZEROES || r->op == DISK_DISCARD)
			memset(f->data + r->offset, 0, r->len);
	}
	if (f->nheld < MAX_HELD) {
		f->held[f->nheld] = r;
		f->held_ret[f->nheld++] = ret;
	}
	ioloop_bh_schedule(f->d.loop, &f->bh);
}

static void fake_release(struct fake_disk *f)
{
	f->hold = false;
	ioloop_bh_schedule(f->d.loop, &f->bh);
}

static void fake_unplug(struct disk *d)
{
	fake_of(d)->nunplug++;
}

static unsigned fake_pending(struct disk *d)
{
	return fake_of(d)->nheld;
}

static void fake_set_wb(struct disk *d, bool on)
{
	fake_of(d)->wb = on;
}

static const struct disk_format_ops fake_ops = {
	.name = "fake",
	.submit = fake_submit,
	.unplug = fake_unplug,
	.pending = fake_pending,
	.set_writeback = fake_set_wb,
};

static void fake_init(struct fake_disk *f, bool ro)
{
	memset(f, 0, sizeof(*f));
	disk_init(&f->d, loop);
	f->d.ops = &fake_ops;
	f->d.size = DISK_BYTES;
	f->d.readonly = ro;
	f->d.can_discard = true;
	f->d.writeback = true;
	f->wb = true;
	strcpy(f->d.serial, "vmain-test-serial");
	ioloop_bh_init(&f->bh, fake_complete, f);
}

static const struct virtio_blk_ops blk_ops = { .lock = dlock, .unlock = dunlock };
static struct virtio_blk blk, blk_ro;

static void turn(void)
{
	int i;

	for (i = 0; i < 5; i++)
		ioloop_run_once(loop, 0);
}

/* Guest memory for requests: headers at 0x200000, data at 0x280000, status at 0x3f0000. */
#define HDR_GPA		0x200000ull
#define DATA_GPA	0x280000ull
#define ST_GPA		0x3f0000ull

static void put_hdr(unsigned slot, uint32_t type, uint64_t sector)
{
	g32(HDR_GPA + 16ull * slot, type);
	g32(HDR_GPA + 16ull * slot + 4, 0);
	g64(HDR_GPA + 16ull * slot + 8, sector);
}

/* One request: header, optional data, status; returns the status byte (0xee: none yet). */
static uint8_t do_req(struct dq *q, unsigned slot, uint32_t type, uint64_t sector,
		      uint64_t data, uint32_t len, bool data_w, uint32_t *used_len)
{
	struct seg s[3] = {
		{ HDR_GPA + 16ull * slot, 16, false },
		{ data, len, data_w },
		{ ST_GPA + slot, 1, true },
	};
	uint32_t id, ul = 0;

	put_hdr(slot, type, sector);
	mem.base[ST_GPA + slot] = 0xee;
	if (len)
		add_chain(q, s, 3);
	else
		add_chain(q, (struct seg[]){ s[0], s[2] }, 2);
	lkick(0);
	turn();
	while (dq_used(q, &id, &ul))
		;
	if (used_len)
		*used_len = ul;
	return mem.base[ST_GPA + slot];
}

static uint8_t do_dwz(struct dq *q, uint32_t type, uint64_t sector, uint32_t count,
		      uint32_t flags, unsigned nseg)
{
	unsigned i;

	for (i = 0; i < nseg; i++) {
		g64(DATA_GPA + 16ull * i, sector + i * 8ull);
		g32(DATA_GPA + 16ull * i + 8, count);
		g32(DATA_GPA + 16ull * i + 12, flags);
	}
	return do_req(q, 0, type, 0, DATA_GPA, 16 * nseg, false, NULL);
}

static uint8_t cfg8(uint32_t off)
{
	return (uint8_t)lbar_rd(VIRTIO_PCI_DEVICE_OFF + off, 1);
}

static void enable_msix(uint8_t df, unsigned nvec)
{
	uint8_t p = (uint8_t)cfg_rd(df, PCI_CAPABILITY_LIST, 1);
	unsigned v;

	while (p && cfg_rd(df, p, 1) != PCI_CAP_ID_MSIX)
		p = (uint8_t)cfg_rd(df, p + 1u, 1);
	for (v = 0; v < nvec; v++) {
		bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v, 8, 0xfee00000ull);
		bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 8, 4, 0x30 + v);
		bar_wr(VIRTIO_PCI_MSIX_TABLE_OFF + 16 * v + 12, 4, 0);
	}
	cfg_wr(df, p + 2u, 2, PCI_MSIX_FLAGS_ENABLE);
}

static uint64_t blk_features(void)
{
	return VER1 | 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_CONFIG_WCE |
	       1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES |
	       1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_SEG_MAX |
	       1ull << VIRTIO_BLK_F_MQ;
}

static void test_config(uint8_t df)
{
	uint64_t f, cap;

	map_bar(df);
	f = read_features();
	tap_ok((f & blk_features()) == blk_features() &&
	       (f >> VIRTIO_BLK_F_TOPOLOGY & 1) && (f >> VIRTIO_BLK_F_SIZE_MAX & 1) &&
	       !(f >> VIRTIO_BLK_F_RO & 1), "features: FLUSH, CONFIG_WCE, DISCARD, WRITE_ZEROES, "
	       "BLK_SIZE, SEG_MAX, SIZE_MAX, TOPOLOGY, MQ; not RO");
	cap = lbar_rd(VIRTIO_PCI_DEVICE_OFF, 4) | lbar_rd(VIRTIO_PCI_DEVICE_OFF + 4, 4) << 32;
	tap_ok(cap == DISK_BYTES / 512, "capacity %llu sectors", (unsigned long long)cap);
	tap_ok(lbar_rd(VIRTIO_PCI_DEVICE_OFF + 20, 4) == 512 && cfg8(24) == 3 &&
	       lbar_rd(VIRTIO_PCI_DEVICE_OFF + 12, 4) == VIRTIO_BLK_SEG_MAX,
	       "blk_size 512, physical 4 KiB, seg_max %u", VIRTIO_BLK_SEG_MAX);
	tap_ok(cfg8(32) == 1 && lbar_rd(VIRTIO_PCI_DEVICE_OFF + 34, 2) == 2,
	       "writeback 1 (cache on), num_queues 2");
	tap_ok(negotiate(blk_features()) & VIRTIO_STATUS_FEATURES_OK, "features accepted");
}

static void test_rw(struct dq *q)
{
	uint32_t ul;
	unsigned i;
	struct seg s[2];
	uint8_t st;

	for (i = 0; i < 4096; i++)
		mem.base[DATA_GPA + i] = (uint8_t)(i * 7 + 1);
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_OUT, 2, DATA_GPA, 4096, false, &ul) == 0 && ul == 1 &&
	       !memcmp(fd0.data + 1024, mem.base + DATA_GPA, 4096),
	       "OUT 4 KiB at sector 2: OK, used length 1, on the disk");
	memset(mem.base + DATA_GPA, 0, 4096);
	tap_ok(do_req(q, 1, VIRTIO_BLK_T_IN, 2, DATA_GPA, 4096, true, &ul) == 0 && ul == 4097 &&
	       !memcmp(fd0.data + 1024, mem.base + DATA_GPA, 4096),
	       "IN 4 KiB: OK, used length 4097, the data");
	/* 2.7.4 / 5.2.6 ANY_LAYOUT: header and data in one buffer, data and status in another. */
	put_hdr(0, VIRTIO_BLK_T_OUT, 100);
	memcpy(mem.base + HDR_GPA + 16, "hello, any layout", 18);
	memset(mem.base + HDR_GPA + 34, 0x5a, 512 - 18);
	mem.base[ST_GPA] = 0xee;
	s[0] = (struct seg){ HDR_GPA, 16 + 512, false };
	s[1] = (struct seg){ ST_GPA, 1, true };
	add_chain(q, s, 2);
	lkick(0);
	turn();
	tap_ok(mem.base[ST_GPA] == 0 && !memcmp(fd0.data + 100 * 512, "hello, any layout", 18),
	       "OUT with the header and data in one descriptor");
	put_hdr(1, VIRTIO_BLK_T_IN, 100);
	mem.base[DATA_GPA + 512] = 0xee;
	s[0] = (struct seg){ HDR_GPA + 16, 16, false };
	s[1] = (struct seg){ DATA_GPA, 513, true };
	add_chain(q, s, 2);
	lkick(0);
	turn();
	tap_ok(mem.base[DATA_GPA + 512] == 0 && !memcmp(mem.base + DATA_GPA, "hello, any layout", 18),
	       "IN with the data and status byte in one descriptor");
	while (dq_used(q, &(uint32_t){ 0 }, &ul))
		;
	st = do_req(q, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL);
	tap_ok(st == 0 && fd0.nflush == 1, "FLUSH reaches the disk, OK");
	memset(mem.base + DATA_GPA, 0xff, 32);
	st = do_req(q, 0, VIRTIO_BLK_T_GET_ID, 0, DATA_GPA, 20, true, &ul);
	tap_ok(st == 0 && ul == 21 && !memcmp(mem.base + DATA_GPA, "vmain-test-serial\0\0", 20) &&
	       mem.base[DATA_GPA + 20] == 0xff, "GET_ID: the serial, NUL-padded to 20 bytes");
}

static void test_errors(struct dq *q)
{
	unsigned sub = fd0.nsubmit;

	tap_ok(do_req(q, 0, 99, 0, DATA_GPA, 512, true, NULL) == VIRTIO_BLK_S_UNSUPP,
	       "unknown request type: UNSUPP");
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_IN, DISK_BYTES / 512, DATA_GPA, 512, true, NULL) ==
	       VIRTIO_BLK_S_IOERR, "read past the end: IOERR");
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_OUT, DISK_BYTES / 512 - 1, DATA_GPA, 1024, false, NULL) ==
	       VIRTIO_BLK_S_IOERR, "write across the end: IOERR");
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_OUT, UINT64_MAX / 256, DATA_GPA, 512, false, NULL) ==
	       VIRTIO_BLK_S_IOERR, "sector * 512 overflows: IOERR");
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 100, true, NULL) == VIRTIO_BLK_S_IOERR,
	       "100-byte read (not whole sectors): IOERR");
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_OUT, 0, 0, 0, false, NULL) == VIRTIO_BLK_S_IOERR,
	       "write of no data: IOERR");
	tap_ok(fd0.nsubmit == sub, "none of them reached the disk");
	fd0.fail = -EIO;
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_IN, 0, DATA_GPA, 512, true, NULL) == VIRTIO_BLK_S_IOERR,
	       "a disk error (-EIO): IOERR");
	fd0.fail = -ENOSPC;
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 512, false, NULL) == VIRTIO_BLK_S_IOERR,
	       "a full host disk (-ENOSPC): IOERR");
	fd0.fail = -EOPNOTSUPP;
	tap_ok(do_req(q, 0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL) == VIRTIO_BLK_S_UNSUPP,
	       "-EOPNOTSUPP from the disk: UNSUPP");
}

static void test_dwz(struct dq *q)
{
	memset(fd0.data + 8 * 512, 0xab, 16 * 512);
	tap_ok(do_dwz(q, VIRTIO_BLK_T_DISCARD, 8, 8, 0, 2) == 0 && fd0.last.op == DISK_DISCARD &&
	       fd0.last.offset == 16 * 512 && fd0.last.len == 8 * 512,
	       "DISCARD with 2 segments: 2 disk requests, OK");
	tap_ok(do_dwz(q, VIRTIO_BLK_T_DISCARD, 8, 8, VIRTIO_BLK_DWZ_F_UNMAP, 1) ==
	       VIRTIO_BLK_S_UNSUPP, "DISCARD with the unmap flag: UNSUPP (5.2.6.2)");
	tap_ok(do_dwz(q, VIRTIO_BLK_T_WRITE_ZEROES, 8, 8, VIRTIO_BLK_DWZ_F_UNMAP, 1) == 0 &&
	       fd0.last.op == DISK_WRITE_ZEROES && fd0.last.flags == DISK_REQ_UNMAP,
	       "WRITE_ZEROES with unmap: passed on");
	tap_ok(do_dwz(q, VIRTIO_BLK_T_WRITE_ZEROES, 8, 8, 4, 1) == VIRTIO_BLK_S_UNSUPP,
	       "WRITE_ZEROES with a reserved flag: UNSUPP");
	tap_ok(do_dwz(q, VIRTIO_BLK_T_DISCARD, 8, VIRTIO_BLK_MAX_DWZ_SECTORS + 1, 0, 1) ==
	       VIRTIO_BLK_S_IOERR, "DISCARD beyond max_discard_sectors: IOERR");
	tap_ok(do_dwz(q, VIRTIO_BLK_T_DISCARD, 0, 8, 0, VIRTIO_BLK_MAX_DWZ_SEG + 1) ==
	       VIRTIO_BLK_S_IOERR, "more than max_discard_seg segments: IOERR");
	tap_ok(do_dwz(q, VIRTIO_BLK_T_DISCARD, DISK_BYTES / 512, 8, 0, 1) == VIRTIO_BLK_S_IOERR,
	       "DISCARD past the end: IOERR");
}

static void test_wce(void)
{
	lbar_wr(VIRTIO_PCI_DEVICE_OFF + 32, 1, 0);
	turn();
	tap_ok(cfg8(32) == 0 && !fd0.wb && !fd0.d.writeback,
	       "writeback := 0: the disk is told (write-through)");
	lbar_wr(VIRTIO_PCI_DEVICE_OFF + 32, 1, 1);
	turn();
	tap_ok(cfg8(32) == 1 && fd0.wb, "writeback := 1: write-back again");
	lbar_wr(VIRTIO_PCI_DEVICE_OFF + 33, 1, 0);
	lbar_wr(VIRTIO_PCI_DEVICE_OFF + 0, 4, 0);
	tap_ok(cfg8(32) == 1 && lbar_rd(VIRTIO_PCI_DEVICE_OFF, 4) == DISK_BYTES / 512,
	       "other configuration fields are read-only");
	lbar_wr(VIRTIO_PCI_DEVICE_OFF + 32, 1, 0);
}

static void test_batch(struct dq *q)
{
	struct seg s[3];
	uint32_t id, ul;
	unsigned i, n = 0, unplug = fd0.nunplug;
	bool ok = true;

	nmsi = 0;
	for (i = 0; i < 8; i++) {
		put_hdr(i, VIRTIO_BLK_T_IN, i);
		mem.base[ST_GPA + i] = 0xee;
		s[0] = (struct seg){ HDR_GPA + 16ull * i, 16, false };
		s[1] = (struct seg){ DATA_GPA + 512ull * i, 512, true };
		s[2] = (struct seg){ ST_GPA + i, 1, true };
		add_chain(q, s, 3);
	}
	lkick(0);
	turn();
	while (dq_used(q, &id, &ul)) {
		n++;
		ok &= ul == 513;
	}
	for (i = 0; i < 8; i++)
		ok &= mem.base[ST_GPA + i] == 0;
	tap_ok(n == 8 && ok && fd0.nunplug == unplug + 1 && nmsi == 1,
	       "8 requests, one notification: one unplug, one interrupt (%d)", nmsi);
}

static void test_reset_inflight(uint8_t df, struct dq *q)
{
	uint32_t id, ul;

	fd0.hold = true;
	put_hdr(0, VIRTIO_BLK_T_IN, 0);
	mem.base[ST_GPA] = 0xee;
	add_chain(q, (struct seg[]){ { HDR_GPA, 16, false }, { DATA_GPA, 512, true },
				     { ST_GPA, 1, true } }, 3);
	lkick(0);
	turn();
	tap_ok(fd0.nheld == 1 && atomic_load(&blk.inflight) == 1, "a read held in flight");
	lbar_wr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	tap_ok(lbar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) != 0,
	       "reset with a request in flight: status reads non-zero (2.4.1)");
	fake_release(&fd0);
	turn();
	tap_ok(lbar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0 && !dq_used(q, &id, &ul) &&
	       atomic_load(&blk.inflight) == 0, "it completes: reset done, nothing on the used ring");
	tap_ok(cfg8(32) == 1 && fd0.wb, "the reset put the write cache back on");
	(void)df;
}

static void test_broken(struct dq *q)
{
	/* No status byte: nothing writable. */
	put_hdr(0, VIRTIO_BLK_T_IN, 0);
	add_chain(q, (struct seg[]){ { HDR_GPA, 16, false }, { DATA_GPA, 512, false } }, 2);
	lkick(0);
	turn();
	tap_ok(lbar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_STATUS_NEEDS_RESET,
	       "a chain without a status byte: NEEDS_RESET, the VM goes on");
}

static int ro_ret = 1;

static void ro_done(struct disk_req *r, int ret)
{
	(void)r;
	ro_ret = ret;
}

/* The device maps every error but -EOPNOTSUPP to IOERR. */
static bool status_ioerr(int err)
{
	return err && err != -EOPNOTSUPP;
}

/* The disk outlives the guest: a new device puts it back to its cache= mode. */
static void test_wce_default(void)
{
	struct fake_disk *f = calloc(1, sizeof(*f));
	struct virtio_blk *b2 = calloc(1, sizeof(*b2));
	struct pci_bus bus2;
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };

	fake_init(f, false);
	f->d.writeback = false;		/* the last boot's guest turned it off */
	f->wb = false;
	pci_bus_init(&bus2, &ops, NULL);
	virtio_blk_init(b2, &bus2, 3, &mem, &f->d, loop, 1, &blk_ops, NULL);
	turn();
	tap_ok(f->wb && f->d.writeback && b2->writeback == 1,
	       "a new device (a guest reboot) puts the disk back to write-back (its cache=)");
	f->d.cache_cfg.mode = WCACHE_WRITETHROUGH;
	f->d.writeback = true;		/* ... and the other way round */
	virtio_blk_stop(b2);
	virtio_blk_destroy(b2);
	memset(b2, 0, sizeof(*b2));
	pci_bus_init(&bus2, &ops, NULL);
	virtio_blk_init(b2, &bus2, 3, &mem, &f->d, loop, 1, &blk_ops, NULL);
	turn();
	tap_ok(!f->wb && !f->d.writeback && b2->writeback == 0,
	       "cache=writethrough: a new device puts the disk back to write-through");
	virtio_blk_stop(b2);
	virtio_blk_destroy(b2);
	disk_fini(&f->d);
	free(b2);
	free(f);
}

/*
 * The device's allocations fail on demand: the test links with
 * -Wl,--wrap=calloc (Makefile), so the device's calloc() calls come here.
 */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static unsigned calloc_failures;	/* the next this many calloc()s fail, */
static unsigned calloc_ok_first;	/* after this many more succeed */

void *__wrap_calloc(size_t n, size_t size)
{
	if (calloc_failures && !calloc_ok_first) {
		calloc_failures--;
		return NULL;
	}
	if (calloc_failures)
		calloc_ok_first--;
	return __real_calloc(n, size);
}

/* No memory for the second queue's retry timer: init fails whole, undone. */
static void test_init_no_memory(void)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	struct fake_disk *f = calloc(1, sizeof(*f));
	struct virtio_blk *b2 = calloc(1, sizeof(*b2));
	struct pci_bus bus2;
	int ret;

	fake_init(f, false);
	pci_bus_init(&bus2, &ops, NULL);
	calloc_ok_first = 1;
	calloc_failures = 1;
	ret = virtio_blk_init(b2, &bus2, 3, &mem, &f->d, loop, 2, &blk_ops, NULL);
	tap_ok(ret == -ENOMEM && !calloc_failures && !b2->q[0].retry && !b2->q[1].retry,
	       "no memory for the second queue's retry timer: -ENOMEM (%d), the first's freed", ret);
	calloc_failures = calloc_ok_first = 0;
	ret = virtio_blk_init(b2, &bus2, 3, &mem, &f->d, loop, 2, &blk_ops, NULL);
	tap_ok(ret >= 0, "... and the same device made again with memory: %d", ret);
	if (ret >= 0) {
		virtio_blk_stop(b2);
		virtio_blk_destroy(b2);
	}
	disk_fini(&f->d);
	free(b2);
	free(f);
}

/*
 * No memory for a request: its chain stays on the ring and the device
 * takes it again by itself, the driver having notified once only.
 */
static void test_no_memory(struct dq *q)
{
	uint32_t id, ul = 0;
	unsigned waited, done = 0;
	int64_t start;

	nmsi = 0;
	put_hdr(0, VIRTIO_BLK_T_IN, 3);
	mem.base[ST_GPA] = 0xee;
	add_chain(q, (struct seg[]){ { HDR_GPA, 16, false }, { DATA_GPA, 512, true },
				     { ST_GPA, 1, true } }, 3);
	calloc_failures = 1;
	start = ioloop_now_ns();
	lkick(0);
	turn();
	/* Unless this thread was held up past the retry (a loaded host). */
	if (ioloop_now_ns() - start < 10000000)
		tap_ok(!calloc_failures && ioloop_timer_armed(blk.q[0].retry) &&
		       mem.base[ST_GPA] == 0xee,
		       "no memory for a request: it is not completed, nor failed; the retry is armed");
	else
		tap_ok(!calloc_failures, "no memory for a request (the retry may have run already)");
	for (waited = 0; waited < 100 && !done; waited++) {
		ioloop_run_once(loop, 10);
		while (dq_used(q, &id, &ul))
			done++;
	}
	tap_ok(done == 1 && ul == 513 && mem.base[ST_GPA] == 0 && nmsi == 1,
	       "... and taken again %lld ms later without another notification: done, "
	       "status 0, one interrupt", (long long)((ioloop_now_ns() - start) / 1000000));
}

static void test_readonly(void)
{
	struct disk_req w = { .op = DISK_WRITE, .offset = 0, .len = 512, .done = ro_done };
	struct iovec iov = { mem.base + DATA_GPA, 512 };
	uint64_t f;
	int ret;

	fake_init(&fd_ro, true);
	ret = virtio_blk_init(&blk_ro, &bus, 6, &mem, &fd_ro.d, loop, 1, &blk_ops, NULL);
	tap_ok(ret == PCI_DEVFN(6, 0), "read-only disk at 06.0");
	f = blk_ro.vp.host_features;
	tap_ok((f >> VIRTIO_BLK_F_RO & 1) && !(f >> VIRTIO_BLK_F_DISCARD & 1) &&
	       !(f >> VIRTIO_BLK_F_WRITE_ZEROES & 1) && !(f >> VIRTIO_BLK_F_MQ & 1),
	       "read-only: RO offered, no DISCARD/WRITE_ZEROES, one queue: no MQ");
	w.iov = &iov;
	w.iovcnt = 1;
	disk_submit(&fd_ro.d, &w);
	tap_ok(ro_ret == 1 && fd_ro.nsubmit == 0, "a write to it is refused, not completed inside submit");
	turn();
	tap_ok(ro_ret == -EROFS && status_ioerr(ro_ret), "... later, with -EROFS (IOERR to the guest)");
}

/*
 * Save and restore: a device mid-ring with the guest's write cache off,
 * saved (refused while a request is on the host), loaded into a fresh
 * device that is then plugged into the same slot, as a restored VM's
 * would be: it reads the same and the ring continues.
 */
static void test_save_restore(uint8_t df, struct dq *q)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	static struct pci_bus bus2, bus3;
	static struct virtio_blk blk2, blk3;
	static struct fake_disk fd_small;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	uint16_t used_before;
	size_t len;
	int err, ret;

	pthread_mutex_lock(&dev_lock);
	negotiate(blk_features());
	setup_queue(q, 0, 64, 1);
	driver_ok();
	pthread_mutex_unlock(&dev_lock);
	do_req(q, 0, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 512, false, NULL);
	do_req(q, 0, VIRTIO_BLK_T_OUT, 8, DATA_GPA, 512, false, NULL);
	lbar_wr(VIRTIO_PCI_DEVICE_OFF + 32, 1, 0);	/* writeback off */
	turn();

	fd0.hold = true;
	put_hdr(0, VIRTIO_BLK_T_IN, 0);
	add_chain(q, (struct seg[]){ { HDR_GPA, 16, false }, { DATA_GPA, 512, true },
				     { ST_GPA, 1, true } }, 3);
	lkick(0);
	turn();
	state_writer_init(&w);
	pthread_mutex_lock(&dev_lock);
	ret = virtio_blk_save(&blk, &w);
	pthread_mutex_unlock(&dev_lock);
	tap_ok(ret == -EBUSY, "save: refused with a request on the host");
	state_writer_free(&w);
	fake_release(&fd0);
	turn();
	while (dq_used(q, &(uint32_t){ 0 }, &(uint32_t){ 0 }))
		;
	used_before = gr16(q->used + 2);
	/* A request available at the save, its notification already taken. */
	g64(DATA_GPA + 8192, 0);
	put_hdr(2, VIRTIO_BLK_T_IN, 16);
	mem.base[ST_GPA + 2] = 0xee;
	add_chain(q, (struct seg[]){ { HDR_GPA + 32, 16, false },
				     { DATA_GPA + 8192, 512, true },
				     { ST_GPA + 2, 1, true } }, 3);
	memset(fd0.data + 16 * 512, 0x5c, 512);

	state_writer_init(&w);
	pthread_mutex_lock(&dev_lock);
	ret = virtio_blk_save(&blk, &w);
	pthread_mutex_unlock(&dev_lock);
	buf = state_writer_data(&w, &len, &err);
	tap_ok(ret == 0 && buf, "save: drained device saved (%zu bytes)", len);

	/* A disk of another size: refused, device untouched. */
	fake_init(&fd_small, false);
	fd_small.d.size = DISK_BYTES / 2;
	pci_bus_init(&bus3, &ops, NULL);
	virtio_blk_init(&blk3, &bus3, 4, &mem, &fd_small.d, loop, 2, &blk_ops, NULL);
	state_reader_init(&r, buf, len);
	tap_ok(virtio_blk_load(&blk3, &r) == -EINVAL && blk3.vp.status == 0 &&
	       pci_bar_addr(&blk3.vp.pci, 0) == 0 && blk3.writeback == 1,
	       "load: a disk of another size is refused, device untouched (%s)",
	       state_reader_msg(&r));

	pci_bus_init(&bus2, &ops, NULL);
	virtio_blk_init(&blk2, &bus2, 4, &mem, &fd0.d, loop, 2, &blk_ops, NULL);
	turn();
	tap_ok(fd0.wb, "load: the fresh device put the disk back to write-back");
	state_reader_init(&r, buf, len);
	pthread_mutex_lock(&dev_lock);
	ret = virtio_blk_load(&blk2, &r);
	pthread_mutex_unlock(&dev_lock);
	tap_ok(ret == 0 && state_reader_at_end(&r), "load: into a fresh device (%s)",
	       state_reader_msg(&r));
	/* The fresh device takes the old one's slot on the test's bus. */
	bus.devs[df] = &blk2.vp.pci;
	blk2.vp.pci.bus = &bus;
	turn();
	tap_ok(cfg8(32) == 0 && !fd0.wb, "load: writeback 0 restored, the disk follows it");
	tap_ok(mem.base[ST_GPA + 2] == 0 && mem.base[DATA_GPA + 8192] == 0x5c &&
	       dq_used(q, &(uint32_t){ 0 }, &(uint32_t){ 0 }) &&
	       gr16(q->used + 2) == (uint16_t)(used_before + 1),
	       "load: the request available at the save is taken without a new kick");
	used_before++;
	tap_ok(lbar_rd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0x0f &&
	       cfg8(34) == 2 && lbar_rd(VIRTIO_PCI_DEVICE_OFF, 8) == DISK_BYTES / 512,
	       "load: DRIVER_OK, 2 queues, capacity as before");
	nmsi = 0;
	tap_ok(do_req(q, 1, VIRTIO_BLK_T_IN, 8, DATA_GPA + 4096, 512, true, NULL) == 0 &&
	       gr16(q->used + 2) == (uint16_t)(used_before + 1) && nmsi == 1 &&
	       last_msi_data == 0x31,
	       "load: the next request completes at used index %u, MSI-X vector 1",
	       used_before + 1);
	tap_ok(!memcmp(mem.base + DATA_GPA + 4096, fd0.data + 8 * 512, 512),
	       "load: ... and reads the disk");
	bus.devs[df] = &blk.vp.pci;
	virtio_blk_stop(&blk2);
	virtio_blk_stop(&blk3);
	virtio_blk_destroy(&blk2);
	virtio_blk_destroy(&blk3);
	disk_fini(&fd_small.d);
	state_writer_free(&w);
}

int main(void)
{
	struct dq q0;
	uint8_t df;
	int ret;

	bus_setup();
	if (ioloop_create(&loop)) {
		tap_ok(0, "ioloop_create");
		return tap_done();
	}
	fake_init(&fd0, false);
	tap_ok(virtio_blk_init(&blk, &bus, 4, &mem, &fd0.d, loop, 0, &blk_ops, NULL) == -EINVAL,
	       "0 queues: -EINVAL");
	ret = virtio_blk_init(&blk, &bus, 4, &mem, &fd0.d, loop, 2, &blk_ops, NULL);
	tap_ok(ret == PCI_DEVFN(4, 0), "virtio-blk at 04.0");
	df = (uint8_t)ret;
	tap_ok(cfg_rd(df, 0, 4) == (0x1042u << 16 | 0x1af4), "id 1af4:1042 (4.1.2: 0x1040 + 2)");
	tap_ok(find_vcap(df, VIRTIO_PCI_CAP_DEVICE_CFG) != 0, "device configuration capability");
	(void)dq_add;
	test_config(df);
	pthread_mutex_lock(&dev_lock);
	enable_msix(df, 3);
	tap_ok(setup_queue(&q0, 0, 64, 1) == 1, "queue 0 enabled");
	driver_ok();
	pthread_mutex_unlock(&dev_lock);
	test_rw(&q0);
	test_errors(&q0);
	test_dwz(&q0);
	test_wce();
	test_batch(&q0);
	test_no_memory(&q0);
	test_init_no_memory();
	test_reset_inflight(df, &q0);
	pthread_mutex_lock(&dev_lock);
	negotiate(blk_features());
	setup_queue(&q0, 0, 64, 1);
	driver_ok();
	pthread_mutex_unlock(&dev_lock);
	test_broken(&q0);
	test_readonly();
	test_wce_default();

	/* 5.2.5: a driver without FLUSH gets write-through, and reads writeback 0. */
	pthread_mutex_lock(&dev_lock);
	negotiate(blk_features() & ~(1ull << VIRTIO_BLK_F_FLUSH));
	setup_queue(&q0, 0, 64, 1);
	driver_ok();
	pthread_mutex_unlock(&dev_lock);
	tap_ok(do_req(&q0, 0, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 512, false, NULL) == 0 &&
	       !fd0.wb && cfg8(32) == 0, "no FLUSH negotiated: writeback reads 0, the disk is write-through");
	pthread_mutex_lock(&dev_lock);
	negotiate(blk_features());
	setup_queue(&q0, 0, 64, 1);
	driver_ok();
	pthread_mutex_unlock(&dev_lock);
	tap_ok(do_req(&q0, 0, VIRTIO_BLK_T_OUT, 0, DATA_GPA, 512, false, NULL) == 0 &&
	       fd0.wb && cfg8(32) == 1, "FLUSH negotiated again: write-back again");

	test_save_restore(df, &q0);

	/* Stop with a request in flight: it waits for it. */
	pthread_mutex_lock(&dev_lock);
	negotiate(blk_features());
	setup_queue(&q0, 0, 64, 1);
	driver_ok();
	pthread_mutex_unlock(&dev_lock);
	fd0.hold = true;
	put_hdr(0, VIRTIO_BLK_T_IN, 0);
	add_chain(&q0, (struct seg[]){ { HDR_GPA, 16, false }, { DATA_GPA, 512, true },
				       { ST_GPA, 1, true } }, 3);
	lkick(0);
	turn();
	fake_release(&fd0);
	virtio_blk_stop(&blk);
	tap_ok(atomic_load(&blk.inflight) == 0 && fd0.nheld == 0,
	       "stop waits for the request in flight");
	ret = (int)fd0.nsubmit;
	add_chain(&q0, (struct seg[]){ { HDR_GPA, 16, false }, { DATA_GPA, 512, true },
				       { ST_GPA, 1, true } }, 3);
	lkick(0);
	turn();
	tap_ok(fd0.nsubmit == (unsigned)ret && atomic_load(&blk.inflight) == 0,
	       "a stopped device takes nothing");
	virtio_blk_stop(&blk_ro);
	virtio_blk_destroy(&blk);
	virtio_blk_destroy(&blk_ro);
	disk_fini(&fd0.d);
	disk_fini(&fd_ro.d);
	ioloop_destroy(loop);
	free(mem.base);
	return tap_done();
}
