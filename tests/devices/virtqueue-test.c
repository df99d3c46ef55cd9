// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtqueue-test.c - split virtqueues (monitor/virtio/virtqueue.c) over a
 * fake guest RAM: enable checks, chains, indirect tables, used ring,
 * notification suppression with and without EVENT_IDX, index wrap, and
 * malicious rings (index ahead, bad head/next, loops, buffers outside RAM,
 * huge lengths, indirect in indirect, over-long chains) failing cleanly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "state/stream.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE	(1u << 20)
#define QSZ		8
#define DESC		0x1000ull
#define AVAIL		0x2000ull
#define USED		0x3000ull
#define DATA		0x10000ull

static struct gmem mem;
static struct virtq vq;
static struct virtq_elem el;
static int nfail;
static const char *fail_why;

static void on_fail(void *o, struct virtq *q, const char *why)
{
	(void)o;
	(void)q;
	nfail++;
	fail_why = why;
}

static void w16(uint64_t gpa, uint16_t v) { memcpy(mem.base + gpa, &v, 2); }
static void w32(uint64_t gpa, uint32_t v) { memcpy(mem.base + gpa, &v, 4); }
static void w64(uint64_t gpa, uint64_t v) { memcpy(mem.base + gpa, &v, 8); }
static uint16_t r16(uint64_t gpa) { uint16_t v; memcpy(&v, mem.base + gpa, 2); return v; }
static uint32_t r32(uint64_t gpa) { uint32_t v; memcpy(&v, mem.base + gpa, 4); return v; }

static void desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	uint64_t p = table + 16ull * i;

	w64(p, addr);
	w32(p + 8, len);
	w16(p + 12, flags);
	w16(p + 14, next);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_at(DESC, i, addr, len, flags, next);
}

static uint16_t avail_idx;

/* Makes head available (the driver's side of 2.7.13). */
/* The driver's test (2.7.10): notify after moving idx from old to new? */
static bool need_event(uint16_t event, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

static void offer(uint16_t head)
{
	w16(AVAIL + 4 + 2 * (avail_idx % QSZ), head);
	avail_idx++;
	w16(AVAIL + 2, avail_idx);
}

static void setup(bool event_idx, bool indirect)
{
	memset(mem.base, 0, RAM_SIZE);
	virtq_init(&vq, &mem, on_fail, NULL);
	vq.size = QSZ;
	vq.desc_gpa = DESC;
	vq.avail_gpa = AVAIL;
	vq.used_gpa = USED;
	avail_idx = 0;
	nfail = 0;
	fail_why = NULL;
	virtq_enable(&vq, event_idx, indirect);
}

/* Expects the next pop to fail; returns whether it did so cleanly. */
static void expect_bad(const char *what)
{
	int ret = virtq_pop(&vq, &el);

	tap_ok(ret == -EIO && vq.broken && nfail == 1 && vq.last_avail == 0,
	       "%s: -EIO, broken, fail hook once (%s)", what, fail_why ? fail_why : "-");
	tap_ok(virtq_pop(&vq, &el) == -EIO && nfail == 1 &&
	       virtq_push(&vq, 0, 0) == -EIO && !virtq_should_notify(&vq),
	       "%s: stays broken until reset", what);
}

int main(void)
{
	uint8_t buf[64];
	unsigned i;
	int ret;

	mem.base = aligned_alloc(4096, RAM_SIZE);
	mem.size = RAM_SIZE;
	if (!mem.base)
		return 1;

	/* virtq_enable() checks (2.7). */
	virtq_init(&vq, &mem, on_fail, NULL);
	vq.desc_gpa = DESC; vq.avail_gpa = AVAIL; vq.used_gpa = USED;
	vq.size = 6;
	tap_ok(virtq_enable(&vq, false, false) == -EINVAL && !vq.enabled, "size 6: -EINVAL");
	vq.size = 0;
	tap_ok(virtq_enable(&vq, false, false) == -EINVAL, "size 0: -EINVAL");
	vq.size = QSZ; vq.desc_gpa = DESC + 8;
	tap_ok(virtq_enable(&vq, false, false) == -EINVAL, "descriptors not 16-aligned: -EINVAL");
	vq.desc_gpa = DESC; vq.used_gpa = USED + 2;
	tap_ok(virtq_enable(&vq, false, false) == -EINVAL, "used ring not 4-aligned: -EINVAL");
	vq.used_gpa = RAM_SIZE - 16;
	tap_ok(virtq_enable(&vq, false, false) == -EINVAL, "used ring past RAM: -EINVAL");
	vq.used_gpa = 0xfffffffffffffff0ull;
	tap_ok(virtq_enable(&vq, false, false) == -EINVAL, "used ring at 2^64 - 16: -EINVAL");
	tap_ok(virtq_pop(&vq, &el) == 0, "pop on a disabled queue: 0");
	vq.used_gpa = USED;
	tap_ok(virtq_enable(&vq, false, false) == 0 && vq.enabled, "valid queue enabled");

	/* A request: one readable, two writable buffers. */
	setup(false, false);
	tap_ok(virtq_pop(&vq, &el) == 0, "empty ring: 0");
	memcpy(mem.base + DATA, "hello", 5);
	desc(2, DATA, 5, VIRTQ_DESC_F_NEXT, 5);
	desc(5, DATA + 0x100, 3, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
	desc(0, DATA + 0x200, 10, VIRTQ_DESC_F_WRITE, 0);
	offer(2);
	ret = virtq_pop(&vq, &el);
	tap_ok(ret == 1 && el.head == 2 && el.nr_out == 1 && el.nr_in == 2 &&
	       el.out_len == 5 && el.in_len == 13, "pop: head 2, 1 out (5), 2 in (13)");
	tap_ok(el.seg[0].host == mem.base + DATA && el.seg[1].gpa == DATA + 0x100 &&
	       el.seg[2].len == 10, "segments map guest memory");
	memset(buf, 0, sizeof(buf));
	tap_ok(virtq_elem_from_guest(&el, 1, buf, sizeof(buf)) == 4 &&
	       !memcmp(buf, "ello", 4), "copy from readable buffers at an offset");
	tap_ok(virtq_elem_to_guest(&el, 0, "abcdefghijklmnop", 16) == 13 &&
	       !memcmp(mem.base + DATA + 0x100, "abc", 3) &&
	       !memcmp(mem.base + DATA + 0x200, "defghijklm", 10),
	       "copy into writable buffers spans segments, stops at the end");
	tap_ok(virtq_pop(&vq, &el) == 0, "ring now empty");
	tap_ok(virtq_push(&vq, 2, 13) == 0 && r16(USED + 2) == 1 && r32(USED + 4) == 2 &&
	       r32(USED + 8) == 13, "push: used idx 1, entry {2, 13}");
	tap_ok(virtq_should_notify(&vq), "no suppression: notify");
	w16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	virtq_push(&vq, 0, 0);
	tap_ok(!virtq_should_notify(&vq), "VIRTQ_AVAIL_F_NO_INTERRUPT: no notify");
	tap_ok(virtq_push(&vq, QSZ, 0) == -EIO, "push of an id >= size: -EIO");
	tap_ok(virtq_push_many(&vq, (uint16_t[]){ 3, 1, 2 }, (uint32_t[]){ 30, 10, 20 }, 3) == 0 &&
	       r16(USED + 2) == 5 && r32(USED + 4 + 8 * 2) == 3 && r32(USED + 8 + 8 * 2) == 30 &&
	       r32(USED + 4 + 8 * 4) == 2 && r32(USED + 8 + 8 * 4) == 20,
	       "push_many: three entries, used idx 2 -> 5 in one step");
	tap_ok(virtq_push_many(&vq, (uint16_t[]){ 1, QSZ }, (uint32_t[]){ 0, 0 }, 2) == -EIO &&
	       r16(USED + 2) == 5, "push_many with an id >= size: -EIO, nothing pushed");
	tap_ok(nfail == 0, "no failure so far");

	/* Unpop. */
	desc(1, DATA, 1, 0, 0);
	offer(1);
	virtq_pop(&vq, &el);
	virtq_unpop(&vq);
	tap_ok(virtq_has_avail(&vq) && virtq_pop(&vq, &el) == 1 && el.head == 1,
	       "unpop gives the chain back");

	/* Index wrap-around: 70000 requests through a size-8 ring. */
	setup(false, false);
	desc(0, DATA, 4, VIRTQ_DESC_F_WRITE, 0);
	for (i = 0; i < 70000; i++) {
		offer(0);
		if (virtq_pop(&vq, &el) != 1 || virtq_push(&vq, el.head, 4) != 0)
			break;
	}
	tap_ok(i == 70000 && r16(USED + 2) == (uint16_t)70000 && nfail == 0,
	       "70000 requests: indices wrap at 2^16");

	/* Indirect descriptors (2.7.5.3). */
	setup(false, true);
	desc_at(DATA, 0, DATA + 0x100, 8, VIRTQ_DESC_F_NEXT, 2);
	desc_at(DATA, 2, DATA + 0x200, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc_at(DATA, 1, DATA + 0x300, 8, VIRTQ_DESC_F_WRITE, 0);
	desc(3, DATA + 0x40, 4, VIRTQ_DESC_F_NEXT, 4);	/* direct then indirect */
	desc(4, DATA, 48, VIRTQ_DESC_F_INDIRECT, 0);
	offer(3);
	tap_ok(virtq_pop(&vq, &el) == 1 && el.nr_out == 2 && el.nr_in == 2 &&
	       el.seg[1].gpa == DATA + 0x100 && el.seg[3].gpa == DATA + 0x300,
	       "direct descriptor then an indirect table of 3");
	setup(false, false);
	desc_at(DATA, 0, DATA + 0x100, 8, 0, 0);
	desc(4, DATA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(4);
	expect_bad("indirect without VIRTIO_F_INDIRECT_DESC");

	/* Malicious rings. */
	setup(false, false);
	w16(AVAIL + 2, QSZ + 1);
	expect_bad("available index size + 1 ahead");
	setup(false, false);
	w16(AVAIL + 4, QSZ);
	w16(AVAIL + 2, 1);
	expect_bad("head index == size");
	setup(false, false);
	desc(0, DATA, 4, VIRTQ_DESC_F_NEXT, 9);
	offer(0);
	expect_bad("next index out of range");
	setup(false, false);
	desc(0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(1, DATA, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	expect_bad("descriptor loop 0 -> 1 -> 0");
	setup(false, false);
	desc(3, DATA, 4, VIRTQ_DESC_F_NEXT, 3);
	offer(3);
	expect_bad("descriptor pointing at itself");
	setup(false, false);
	desc(0, RAM_SIZE - 2, 4, 0, 0);
	offer(0);
	expect_bad("buffer crossing the end of RAM");
	setup(false, false);
	desc(0, 0xfffffffffffffff0ull, 0x20, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	expect_bad("buffer address wrapping 2^64");
	setup(false, false);
	desc(0, DATA, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	expect_bad("4 GiB length");
	setup(false, false);
	desc(0, DATA, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(1, DATA, 4, 0, 0);
	offer(0);
	expect_bad("readable after writable");
	setup(false, true);
	desc_at(DATA, 0, DATA + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(0, DATA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("indirect in indirect");
	setup(false, true);
	desc(0, DATA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(0);
	expect_bad("indirect with NEXT");
	setup(false, true);
	desc(0, DATA, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("indirect length not a multiple of 16");
	setup(false, true);
	desc(0, DATA, 0, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("empty indirect table");
	setup(false, true);
	desc(0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("indirect table outside RAM");
	setup(false, true);
	desc_at(DATA, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	desc_at(DATA, 1, DATA, 4, VIRTQ_DESC_F_NEXT, 0);
	desc(0, DATA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("loop inside an indirect table");
	setup(false, true);
	desc_at(DATA, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 2);
	desc(0, DATA, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("indirect next beyond the table");
	setup(false, true);
	for (i = 0; i < VIRTQ_MAX_SEGS + 1; i++)
		desc_at(0x20000, i, DATA, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
			(uint16_t)(i + 1));
	desc_at(0x20000, VIRTQ_MAX_SEGS, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	desc(0, 0x20000, 16 * (VIRTQ_MAX_SEGS + 1), VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("chain longer than VIRTQ_MAX_SEGS");
	setup(false, true);
	for (i = 0; i < VIRTQ_MAX_SEGS - 1; i++)
		desc_at(0x20000, i, DATA, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
			(uint16_t)(i + 1));
	desc_at(0x20000, VIRTQ_MAX_SEGS - 1, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	desc(0, 0x20000, 16 * VIRTQ_MAX_SEGS, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	tap_ok(virtq_pop(&vq, &el) == 1 && el.nr_in == VIRTQ_MAX_SEGS,
	       "chain of exactly VIRTQ_MAX_SEGS is fine");
	virtq_reset(&vq);
	tap_ok(!vq.broken && !vq.enabled && vq.fail == on_fail, "reset clears broken, keeps hook");

	/* EVENT_IDX (2.7.10). */
	setup(true, false);
	desc(0, DATA, 4, VIRTQ_DESC_F_WRITE, 0);
	tap_ok(virtq_pop(&vq, &el) == 0 && r16(USED + 4 + 8 * QSZ) == 0,
	       "empty pop publishes avail_event = 0");
	offer(0);
	offer(0);
	virtq_pop(&vq, &el);
	/*
	 * Taking a chain leaves avail_event alone: a driver adding one now
	 * (idx 2 -> 3) is not asked to notify (2.7.10's vring_need_event:
	 * notify iff avail_event lies in [old, new)), since the device will
	 * come back for it; only the next empty look asks again.
	 */
	tap_ok(r16(USED + 4 + 8 * QSZ) == 0,
	       "a pop while chains remain leaves avail_event = 0 (no notification asked for)");
	offer(0);
	tap_ok(!need_event(r16(USED + 4 + 8 * QSZ), avail_idx, (uint16_t)(avail_idx - 1)),
	       "  so the driver adding chain 3 meanwhile need not notify");
	tap_ok(virtq_pop(&vq, &el) == 1 && virtq_pop(&vq, &el) == 1 && virtq_pop(&vq, &el) == 0 &&
	       r16(USED + 4 + 8 * QSZ) == 3,
	       "  the empty pop after the other two asks for the next index (avail_event = 3)");
	tap_ok(!virtq_has_avail(&vq) && r16(USED + 4 + 8 * QSZ) == 3,
	       "  virtq_has_avail(): none, and the notification stays asked for");
	w16(USED + 4 + 8 * QSZ, 0);
	tap_ok(!virtq_has_avail(&vq) && r16(USED + 4 + 8 * QSZ) == 3,
	       "  an empty virtq_has_avail() asks for it too (avail_event 0 -> 3)");
	offer(0);
	tap_ok(virtq_has_avail(&vq) && virtq_pop(&vq, &el) == 1, "  the next chain is seen and taken");
	w16(AVAIL + 4 + 2 * QSZ, 0);	/* used_event: notify when used idx passes 0 */
	virtq_push(&vq, 0, 4);
	tap_ok(virtq_should_notify(&vq), "first push: notify");
	virtq_pop(&vq, &el);
	virtq_push(&vq, 0, 4);
	tap_ok(!virtq_should_notify(&vq), "used_event 0 already passed: no notify");
	w16(AVAIL + 4 + 2 * QSZ, 2);
	offer(0);
	virtq_pop(&vq, &el);
	virtq_push(&vq, 0, 4);
	tap_ok(virtq_should_notify(&vq), "used idx crosses used_event 2: notify");
	tap_ok(!virtq_should_notify(&vq), "no new entries: no notify");

	/* Save and restore: positions kept, rings mapped again, bad rings refused. */
	{
		struct state_writer w;
		struct state_reader r;
		const uint8_t *sb;
		struct virtq fresh, bad;
		size_t slen;
		int err;

		offer(0);
		state_writer_init(&w);
		state_section_begin(&w, "vq", 0, 1);
		virtq_save(&vq, &w);
		state_section_end(&w);
		bad = vq;
		bad.used_gpa = RAM_SIZE - 4;	/* the used ring would leave RAM */
		state_section_begin(&w, "vq", 1, 1);
		virtq_save(&bad, &w);
		state_section_end(&w);
		sb = state_writer_data(&w, &slen, &err);
		virtq_init(&fresh, &mem, on_fail, NULL);
		w16(AVAIL + 4 + 2 * QSZ, 3);	/* used_event: after entry 3 */
		state_reader_init(&r, sb, slen);
		state_section_open(&r, "vq", 0, 1, NULL);
		tap_ok(virtq_load(&fresh, &r) == 0 && state_section_close(&r) == 0 &&
		       fresh.enabled && fresh.event_idx && fresh.last_avail == vq.last_avail &&
		       fresh.used_idx == 3 && fresh.desc == vq.desc && fresh.used == vq.used,
		       "save/load: ring positions kept (used 3), rings mapped again");
		tap_ok(virtq_pop(&fresh, &el) == 1 && el.head == 0 &&
		       virtq_push(&fresh, 0, 4) == 0 && r16(USED + 2) == 4 &&
		       virtq_should_notify(&fresh),
		       "save/load: the loaded queue pops the pending chain, used idx 4, notifies");
		virtq_init(&fresh, &mem, on_fail, NULL);
		state_section_open(&r, "vq", 1, 1, NULL);
		tap_ok(virtq_load(&fresh, &r) == -EINVAL && !fresh.enabled &&
		       fresh.last_avail == 0,
		       "save/load: a ring outside RAM is refused, queue untouched (%s)",
		       state_reader_msg(&r));
		state_writer_free(&w);
	}

	free(mem.base);
	return tap_done();
}
