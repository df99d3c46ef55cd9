// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lapic-test.c - the x2APIC local APIC (monitor/devices/lapic.c) driven
 * through synthetic RDMSR/WRMSR and injected time: reset state, reserved
 * and read-only MSRs, priority against TPR/PPR, ack and EOI (with the
 * level-triggered EOI broadcast), IPIs and self IPIs, ESR, and the timer
 * in one-shot, periodic and TSC-deadline modes.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "state-patch.h"
#include "devices/lapic.h"
#include "state/stream.h"

static int64_t now_ns = 5000;
static int neoi, nipi, nkick;
static uint8_t last_eoi;
static uint64_t last_icr;

static int64_t fake_now(void *opaque)
{
	(void)opaque;
	return now_ns;
}

static void on_ipi(void *opaque, uint64_t icr)
{
	(void)opaque;
	nipi++;
	last_icr = icr;
}

static void on_eoi(void *opaque, uint8_t vector)
{
	(void)opaque;
	neoi++;
	last_eoi = vector;
}

static void on_kick(void *opaque)
{
	(void)opaque;
	nkick++;
}

static uint64_t rd(struct lapic *l, uint32_t msr)
{
	uint64_t d = 0xdeadbeef;

	if (lapic_msr_read(l, msr, &d))
		tap_diag("rdmsr %#x failed", msr);
	return d;
}

static int wr(struct lapic *l, uint32_t msr, uint64_t v)
{
	return lapic_msr_write(l, msr, v);
}

/* --- save and restore ----------------------------------------------------- */

/* Every readable register, in a fixed order. */
static void dump(struct lapic *l, uint64_t *o)
{
	static const uint32_t regs[] = {
		0x802, 0x803, 0x808, 0x80a, 0x80d, 0x80f, 0x828, 0x82f, 0x830,
		0x832, 0x833, 0x834, 0x835, 0x836, 0x837, 0x838, 0x839, 0x83e,
		LAPIC_MSR_TSC_DEADLINE,
	};
	unsigned i, n = 0;

	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		o[n++] = rd(l, regs[i]);
	for (i = 0; i < 8; i++) {
		o[n++] = rd(l, 0x810 + i);
		o[n++] = rd(l, 0x818 + i);
		o[n++] = rd(l, 0x820 + i);
	}
}

static int roundtrip(struct lapic *from, struct lapic *to, int64_t gap)
{
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	size_t len;
	int err, ret;

	state_writer_init(&w);
	ret = lapic_save(from, &w);
	buf = state_writer_data(&w, &len, &err);
	now_ns += gap;
	if (!ret) {
		state_reader_init(&r, buf, len);
		ret = lapic_load(to, &r);
		if (!ret && !state_reader_at_end(&r))
			ret = -EBADMSG;
	}
	state_writer_free(&w);
	return ret;
}

/* Payload offsets of fields in lapic_save()'s order. */
#define ST_RAN		158	/* le64 ns the timer's count has run */

/*
 * Loads buf patched (see patched()) into a fresh APIC 0x23: returns the
 * load's result, and whether the APIC was left bit for bit as it was.
 */
static int load_patched(const uint8_t *buf, size_t len, size_t off, uint64_t v,
			unsigned int n, bool *untouched, char *msg, size_t msg_len)
{
	struct lapic c, before;
	struct state_reader r;
	uint8_t copy[512];
	size_t l = patched(copy, sizeof(copy), buf, len, off, v, n);
	int ret;

	if (!l)
		return -E2BIG;
	lapic_init(&c, NULL, NULL, 0x23, fake_now, NULL, 2000000000ull);
	memcpy(&before, &c, sizeof(c));
	state_reader_init(&r, copy, l);
	ret = lapic_load(&c, &r);
	*untouched = !memcmp(&before, &c, sizeof(c));
	snprintf(msg, msg_len, "%s", state_reader_msg(&r));
	return ret;
}

/*
 * A one-shot timer counting, saved; then loads of that state with
 * one field changed.
 */
static const uint8_t *saved_oneshot(struct state_writer *w, size_t *len)
{
	struct lapic a;
	int err;

	now_ns = 5000000000ll;
	lapic_init(&a, NULL, NULL, 0x23, fake_now, NULL, 2000000000ull);
	wr(&a, 0x80f, 0x1ff);
	wr(&a, 0x83e, 0xb);			/* divide by 1 */
	wr(&a, 0x832, 0xe1);			/* one-shot, vector 0xe1 */
	wr(&a, 0x838, 1000000);
	state_writer_init(w);
	lapic_save(&a, w);
	return state_writer_data(w, len, &err);
}

/*
 * A timer that has run longer than any host could (2^63 ns or
 * UINT64_MAX): refused, the APIC untouched.  Before, its start became
 * INT64_MIN and lapic_update()'s now - timer_start_ns overflowed
 * (UBSan: "5000000000 - -9223372036854775808").  2^62 ns is taken and
 * runs without overflow.
 */
static void test_load_bad_ran(void)
{
	static const uint64_t bad[] = { UINT64_MAX, 1ull << 63, STATE_NS_MAX + 1 };
	struct state_writer w;
	struct state_reader r;
	struct lapic c;
	const uint8_t *buf;
	char msg[STATE_MSG_MAX] = "";
	uint8_t copy[512];
	unsigned int i, fails = 0;
	bool untouched;
	size_t len, l;

	buf = saved_oneshot(&w, &len);
	for (i = 0; i < 3; i++)
		if (load_patched(buf, len, ST_RAN, bad[i], 8, &untouched, msg,
				 sizeof(msg)) != -EINVAL || !untouched)
			fails++;
	tap_ok(buf && !fails,
	       "load: a timer run 2^62+1, 2^63 or 2^64-1 ns refused, APIC untouched (%s)", msg);
	l = patched(copy, sizeof(copy), buf, len, ST_RAN, STATE_NS_MAX, 8);
	lapic_init(&c, NULL, NULL, 0x23, fake_now, NULL, 2000000000ull);
	state_reader_init(&r, copy, l);
	tap_ok(l && lapic_load(&c, &r) == 0, "load: a timer run 2^62 ns taken (%s)",
	       state_reader_msg(&r));
	lapic_update(&c, now_ns);
	tap_ok(lapic_next_vector(&c) == 0xe1 && rd(&c, 0x839) == 0,
	       "load: ... long expired: fires once, current count 0, no overflow");
	state_writer_free(&w);
}

/* More payload offsets, lapic_save()'s order. */
#define ST_TPR		0
#define ST_SVR		4
#define ST_ESR		8
#define ST_ICR		16	/* le64 */
#define ST_LVT(i)	(25 + 4 * (i))
#define ST_DCR		153
#define ST_DEADLINE	174	/* bool: a TSC deadline is armed */

/*
 * Register values no guest write could leave (lapic_msr_write() drops
 * or #GPs on those bits) are refused with the APIC untouched; the
 * reachable ones, timer mode 3 among them (write_lvt() keeps it), load.
 */
static void test_load_reserved(void)
{
	static const struct {
		size_t off;
		uint64_t v;
		unsigned int n;
		int ret;
		const char *what;
	} cases[] = {
		{ ST_LVT(LAPIC_LVT_TIMER), 0x800e1, 4, -EINVAL, "LVT timer bit 19" },
		{ ST_LVT(LAPIC_LVT_TIMER), 0x400e1, 4, -EINVAL, "count armed in TSC-deadline mode" },
		{ ST_LVT(LAPIC_LVT_LINT0), 0x11000, 4, -EINVAL, "LINT0 delivery status" },
		{ ST_LVT(LAPIC_LVT_ERROR), 0x18000, 4, -EINVAL, "error LVT trigger mode" },
		{ ST_LVT(LAPIC_LVT_CMCI), 0x20000, 4, -EINVAL, "CMCI timer mode bits" },
		{ ST_SVR, 0x11ff, 4, -EINVAL, "SVR directed EOI (not offered)" },
		{ ST_SVR, 0x0ff, 4, -EINVAL, "SVR disabled, timer LVT unmasked" },
		{ ST_DCR, 0x4, 4, -EINVAL, "DCR bit 2" },
		{ ST_TPR, 0x100, 4, -EINVAL, "TPR bit 8" },
		{ ST_ESR, 0x80, 4, -EINVAL, "ESR bit 7" },
		{ ST_ICR, 1u << 12, 8, -EINVAL, "ICR bit 12" },
		{ ST_DEADLINE, 1, 1, -EINVAL, "TSC deadline in one-shot mode" },
		{ ST_LVT(LAPIC_LVT_TIMER), 0x600e1, 4, 0, "LVT timer mode 3" },
		{ ST_LVT(LAPIC_LVT_LINT0), 0x0a700, 4, 0, "LINT0 ExtINT, level, low" },
		{ ST_DCR, 0xa, 4, 0, "DCR divide by 128" },
	};
	struct state_writer w;
	const uint8_t *buf;
	char msg[STATE_MSG_MAX];
	unsigned int i;
	bool untouched;
	size_t len;
	int ret;

	buf = saved_oneshot(&w, &len);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msg[0] = 0;
		ret = load_patched(buf, len, cases[i].off, cases[i].v, cases[i].n,
				   &untouched, msg, sizeof(msg));
		tap_ok(buf && ret == cases[i].ret && untouched == (ret != 0),
		       "load: %s: %s (%s)", cases[i].what,
		       cases[i].ret ? "refused, APIC untouched" : "taken", msg);
	}
	state_writer_free(&w);
}

/*
 * A periodic timer mid-period, an interrupt in service and others
 * pending (one level-triggered): saved, the host clock jumps 1 s, a fresh
 * APIC loaded from it reads every register as the original did at the
 * save, fires its next period as far away, and delivers the same vectors.
 * Then the TSC-deadline timer.
 */
static void test_save_restore(void)
{
	static const struct lapic_ops ops = {
		.send_ipi = on_ipi, .eoi = on_eoi, .kick = on_kick,
	};
	struct lapic a, b;
	uint64_t da[48] = { 0 }, db[48] = { 0 };
	int64_t left;

	now_ns = 1000000;
	lapic_init(&a, &ops, NULL, 0x23, fake_now, NULL, 2000000000ull);
	wr(&a, 0x80f, 0x1ff);
	wr(&a, 0x808, 0x20);
	wr(&a, 0x83e, 0xb);			/* divide by 1 */
	wr(&a, 0x832, 1u << 17 | 0xec);		/* periodic, vector 0xec */
	wr(&a, 0x838, 1000000);			/* 1 ms */
	now_ns += 2500000;
	lapic_update(&a, now_ns);		/* two periods: 0xec pending */
	lapic_accept(&a, 0x61, false);
	lapic_ack(&a);				/* 0xec in service */
	lapic_accept(&a, 0x51, true);
	lapic_accept(&a, 0x71, false);
	dump(&a, da);
	left = lapic_next_event_ns(&a) - now_ns;
	lapic_init(&b, &ops, NULL, 0x23, fake_now, NULL, 2000000000ull);
	nkick = 0;
	tap_ok(roundtrip(&a, &b, 1000000000) == 0 && nkick == 0,
	       "save/load: periodic timer, ISR and IRR (1 s between), no callback");
	dump(&b, db);
	tap_ok(!memcmp(da, db, sizeof(da)) && db[16] == 500000,
	       "load: every register reads as at the save (current count %llu)",
	       (unsigned long long)db[16]);
	tap_ok(lapic_next_event_ns(&b) - now_ns == left,
	       "load: the next period is %lld ns away, as at the save", (long long)left);
	tap_ok(lapic_next_vector(&b) == -1 && lapic_ppr(&b) == 0xe0,
	       "load: PPR from the in-service 0xec blocks the pending vectors");
	neoi = 0;
	wr(&b, 0x80b, 0);			/* EOI of 0xec */
	{
		int v1 = lapic_ack(&b), v2, v3;

		wr(&b, 0x80b, 0);
		v2 = lapic_ack(&b);
		wr(&b, 0x80b, 0);
		v3 = lapic_ack(&b);
		tap_ok(v1 == 0x71 && v2 == 0x61 && v3 == 0x51 && neoi == 0,
		       "load: then 0x71, 0x61, 0x51 in priority order");
	}
	wr(&b, 0x80b, 0);
	tap_ok(neoi == 1 && last_eoi == 0x51, "load: the level vector's EOI is broadcast (TMR kept)");
	now_ns += left;
	lapic_update(&b, now_ns);
	tap_ok(lapic_next_vector(&b) == 0xec, "load: the timer fires at the restored period");

	/* TSC deadline 1 ms ahead (guest TSC 2 GHz). */
	lapic_init(&a, &ops, NULL, 0x23, fake_now, NULL, 2000000000ull);
	wr(&a, 0x80f, 0x1ff);
	wr(&a, 0x832, 2u << 17 | 0xed);
	wr(&a, LAPIC_MSR_TSC_DEADLINE, (uint64_t)now_ns * 2 + 2000000);
	lapic_init(&b, &ops, NULL, 0x23, fake_now, NULL, 2000000000ull);
	tap_ok(roundtrip(&a, &b, 3000000000ll) == 0 && rd(&b, LAPIC_MSR_TSC_DEADLINE),
	       "save/load: TSC deadline armed, 3 s between");
	tap_ok(lapic_next_event_ns(&b) - now_ns == 1000000,
	       "load: the deadline is still 1 ms away (%lld ns)",
	       (long long)(lapic_next_event_ns(&b) - now_ns));
	now_ns += 999999;
	lapic_update(&b, now_ns);
	tap_ok(lapic_next_vector(&b) == -1, "load: not fired 1 ns early");
	now_ns += 1;
	lapic_update(&b, now_ns);
	tap_ok(lapic_next_vector(&b) == 0xed && !rd(&b, LAPIC_MSR_TSC_DEADLINE),
	       "load: fires at the deadline, MSR reads 0");

	/* Another vCPU's state: refused, untouched. */
	lapic_init(&b, &ops, NULL, 0x24, fake_now, NULL, 2000000000ull);
	tap_ok(roundtrip(&a, &b, 0) == -ENOENT && rd(&b, 0x80f) == 0xff,
	       "load: APIC ID 0x23's state refused by 0x24, APIC untouched");
}

int main(void)
{
	static const struct lapic_ops ops = {
		.send_ipi = on_ipi, .eoi = on_eoi, .kick = on_kick,
	};
	struct lapic l;
	uint64_t d;
	int64_t t0;
	int rc;

	lapic_init(&l, &ops, NULL, 0x23, fake_now, NULL, 2000000000ull);

	/* Reset state and read-only registers. */
	tap_ok(rd(&l, 0x802) == 0x23, "x2APIC ID");
	tap_ok((rd(&l, 0x803) & 0xff) == 0x14 && ((rd(&l, 0x803) >> 16) & 0xff) == 6,
	       "version 0x14, max LVT 6");
	tap_ok(rd(&l, 0x80d) == ((0x2u << 16) | (1u << 3)), "LDR cluster 2, bit 3");
	tap_ok(rd(&l, 0x80f) == 0xff, "SVR 0xff (software-disabled)");
	tap_ok(rd(&l, 0x832) == 0x10000 && rd(&l, 0x835) == 0x10000,
	       "LVTs masked at reset");
	tap_ok(wr(&l, 0x802, 5) == -EINVAL, "write ID: #GP");
	tap_ok(wr(&l, 0x803, 0) == -EINVAL, "write version: #GP");
	tap_ok(wr(&l, 0x80a, 0) == -EINVAL, "write PPR: #GP");
	tap_ok(wr(&l, 0x80d, 0) == -EINVAL, "write LDR: #GP");
	tap_ok(wr(&l, 0x820, 0) == -EINVAL, "write IRR: #GP");
	tap_ok(wr(&l, 0x839, 0) == -EINVAL, "write current count: #GP");
	tap_ok(lapic_msr_read(&l, 0x80b, &d) == -EINVAL, "read EOI: #GP");
	tap_ok(lapic_msr_read(&l, 0x83f, &d) == -EINVAL, "read SELF IPI: #GP");
	tap_ok(lapic_msr_read(&l, 0x809, &d) == -EINVAL, "APR (0x809) reserved");
	tap_ok(lapic_msr_read(&l, 0x80e, &d) == -EINVAL, "DFR (0x80e) reserved");
	tap_ok(lapic_msr_read(&l, 0x831, &d) == -EINVAL, "ICR2 (0x831) reserved");
	tap_ok(lapic_msr_read(&l, 0x8ff, &d) == -EINVAL, "0x8ff reserved");
	tap_ok(lapic_msr_read(&l, 0x900, &d) == -ENOENT, "0x900 not ours");
	tap_ok(wr(&l, 0x808, 1ull << 32) == -EINVAL, "TPR bits 63:32: #GP");
	tap_ok(wr(&l, 0x80f, 0x10ff) == -EINVAL, "SVR bit 12 (no directed EOI): #GP");

	tap_ok(lapic_accept(&l, 0x40, false) == -ENODEV,
	       "software-disabled: fixed interrupt refused");
	tap_ok(wr(&l, 0x835, 0x700) == 0 && rd(&l, 0x835) == 0x10700,
	       "software-disabled: LVT mask cannot be cleared");
	tap_ok(wr(&l, 0x80f, 0x1ff) == 0 && rd(&l, 0x80f) == 0x1ff, "enable via SVR");

	/* Priorities. */
	nkick = 0;
	tap_ok(lapic_accept(&l, 0x31, false) == 0 && lapic_accept(&l, 0x52, false) == 0,
	       "accept 0x31 and 0x52");
	tap_ok(nkick == 2, "kick per accepted interrupt");
	tap_ok(rd(&l, 0x821) == (1u << 17) && rd(&l, 0x822) == (1u << 18),
	       "IRR words 1 and 2");
	tap_ok(lapic_next_vector(&l) == 0x52, "highest vector first");
	wr(&l, 0x808, 0x50);
	tap_ok(lapic_next_vector(&l) == -1, "TPR 0x50 blocks class 5 and below");
	wr(&l, 0x808, 0x4f);
	tap_ok(lapic_next_vector(&l) == 0x52, "TPR 0x4f lets class 5 through");
	tap_ok(lapic_ack(&l) == 0x52, "ack 0x52");
	tap_ok(rd(&l, 0x812) == (1u << 18) && rd(&l, 0x822) == 0, "IRR -> ISR");
	tap_ok(rd(&l, 0x80a) == 0x50, "PPR = ISR class 0x50 over TPR 0x4f");
	tap_ok(lapic_next_vector(&l) == -1, "0x31 blocked by the in-service 0x52");
	lapic_accept(&l, 0x61, false);
	tap_ok(lapic_ack(&l) == 0x61, "0x61 nests over 0x52");
	wr(&l, 0x808, 0);
	tap_ok(wr(&l, 0x80b, 1) == -EINVAL, "EOI with a nonzero value: #GP");
	tap_ok(wr(&l, 0x80b, 0) == 0 && rd(&l, 0x813) == 0 && rd(&l, 0x812) == (1u << 18),
	       "EOI clears the highest ISR bit (0x61)");
	wr(&l, 0x80b, 0);
	tap_ok(rd(&l, 0x80a) == 0 && lapic_ack(&l) == 0x31, "then 0x31");
	tap_ok(neoi == 0, "edge EOIs not broadcast");
	wr(&l, 0x80b, 0);
	tap_ok(lapic_ack(&l) == -1, "nothing left");

	/* Level-triggered: TMR and the EOI broadcast. */
	lapic_accept(&l, 0x41, true);
	tap_ok(rd(&l, 0x81a) == (1u << 1), "TMR set for a level interrupt");
	tap_ok(lapic_ack(&l) == 0x41, "ack level 0x41");
	wr(&l, 0x80b, 0);
	tap_ok(neoi == 1 && last_eoi == 0x41, "level EOI broadcast with vector 0x41");

	/* Illegal vectors and ESR. */
	wr(&l, 0x837, 0xfe);	/* LVT error, vector 0xfe, unmasked */
	tap_ok(lapic_accept(&l, 0x0f, false) == -EINVAL, "vector 15 refused");
	tap_ok(wr(&l, 0x828, 0) == 0 && rd(&l, 0x828) == 0x40,
	       "ESR: received illegal vector after the latching write");
	tap_ok(lapic_next_vector(&l) == 0xfe, "LVT error interrupt raised");
	lapic_ack(&l);
	wr(&l, 0x80b, 0);
	tap_ok(wr(&l, 0x828, 1) == -EINVAL, "ESR nonzero write: #GP");
	wr(&l, 0x828, 0);
	tap_ok(rd(&l, 0x828) == 0, "ESR clear after a second write");

	/* IPIs. */
	nipi = 0;
	tap_ok(wr(&l, 0x830, 0x0000000500000040ull) == 0 && nipi == 1 &&
	       last_icr == 0x0000000500000040ull, "ICR write sends an IPI to 5");
	tap_ok(rd(&l, 0x830) == 0x0000000500000040ull, "ICR reads back 64 bits");
	tap_ok(wr(&l, 0x830, 0x1040) == -EINVAL, "ICR bit 12 reserved: #GP");
	tap_ok(wr(&l, 0x830, 0x40040) == 0 && nipi == 1 && lapic_next_vector(&l) == 0x40,
	       "ICR shorthand self: accepted locally");
	lapic_ack(&l);
	wr(&l, 0x80b, 0);
	tap_ok(wr(&l, 0x83f, 0x45) == 0 && lapic_next_vector(&l) == 0x45, "SELF IPI");
	lapic_ack(&l);
	wr(&l, 0x80b, 0);
	tap_ok(wr(&l, 0x83f, 0x145) == -EINVAL, "SELF IPI reserved bits: #GP");
	tap_ok(wr(&l, 0x830, 0x500) == 0 && nipi == 2, "NMI IPI with vector 0 sent");

	/* One-shot timer: divide by 1, 1 GHz -> 1 ns per tick. */
	wr(&l, 0x83e, 0xb);
	tap_ok(rd(&l, 0x83e) == 0xb, "DCR divide by 1");
	wr(&l, 0x832, 0xec);	/* one-shot, vector 0xec */
	tap_ok(lapic_next_event_ns(&l) == LAPIC_NO_EVENT, "no count: no event");
	t0 = now_ns;
	wr(&l, 0x838, 1000);
	tap_ok(lapic_next_event_ns(&l) == t0 + 1000, "one-shot event at +1000 ns");
	now_ns = t0 + 400;
	tap_ok(rd(&l, 0x839) == 600, "current count 600");
	lapic_update(&l, now_ns);
	tap_ok(lapic_next_vector(&l) == -1, "not fired early");
	now_ns = t0 + 1000;
	lapic_update(&l, now_ns);
	tap_ok(lapic_next_vector(&l) == 0xec, "one-shot fired");
	tap_ok(rd(&l, 0x839) == 0 && lapic_next_event_ns(&l) == LAPIC_NO_EVENT,
	       "one-shot done: count 0, no event");
	lapic_ack(&l);
	wr(&l, 0x80b, 0);

	/* Divide by 16. */
	wr(&l, 0x83e, 0x3);
	t0 = now_ns;
	wr(&l, 0x838, 100);
	tap_ok(lapic_next_event_ns(&l) == t0 + 1600, "divide by 16: 100 ticks = 1600 ns");
	wr(&l, 0x838, 0);
	tap_ok(lapic_next_event_ns(&l) == LAPIC_NO_EVENT, "count 0 stops the timer");

	/* Periodic. */
	wr(&l, 0x83e, 0xb);
	wr(&l, 0x832, 0x200ec);
	t0 = now_ns;
	wr(&l, 0x838, 1000000);
	now_ns = t0 + 1000000;
	lapic_update(&l, now_ns);
	tap_ok(lapic_ack(&l) == 0xec, "periodic: first period");
	wr(&l, 0x80b, 0);
	tap_ok(lapic_next_event_ns(&l) == t0 + 2000000, "next period, no drift");
	now_ns = t0 + 2500000;
	tap_ok(rd(&l, 0x839) == 500000, "periodic current count reloads (%llu)",
	       (unsigned long long)rd(&l, 0x839));
	now_ns = t0 + 5500000;
	lapic_update(&l, now_ns);
	tap_ok(lapic_ack(&l) == 0xec && lapic_next_vector(&l) == -1,
	       "missed periods coalesce into one interrupt");
	wr(&l, 0x80b, 0);
	tap_ok(lapic_next_event_ns(&l) == t0 + 6000000, "next event after catch-up");
	wr(&l, 0x832, 0x300ec);	/* masked periodic */
	now_ns = t0 + 6000000;
	lapic_update(&l, now_ns);
	tap_ok(lapic_next_vector(&l) == -1, "masked timer raises nothing");
	tap_ok(lapic_next_event_ns(&l) == t0 + 7000000, "but keeps counting");

	/* TSC-deadline (TSC at 2 GHz = 2 ticks per ns). */
	d = 0;
	wr(&l, 0x6e0, 12345);
	tap_ok(lapic_msr_read(&l, 0x6e0, &d) == 0 && d == 0,
	       "TSC deadline ignored outside deadline mode");
	wr(&l, 0x832, 0x400ed);
	tap_ok(lapic_next_event_ns(&l) == LAPIC_NO_EVENT,
	       "mode switch disarmed the periodic timer");
	wr(&l, 0x838, 500);
	tap_ok(rd(&l, 0x838) == 0, "initial count ignored in deadline mode");
	t0 = now_ns;
	wr(&l, 0x6e0, (uint64_t)(t0 + 10000) * 2);
	tap_ok(rd(&l, 0x6e0) == (uint64_t)(t0 + 10000) * 2, "deadline reads back");
	tap_ok(lapic_next_event_ns(&l) == t0 + 10000, "deadline event time");
	now_ns = t0 + 9999;
	lapic_update(&l, now_ns);
	tap_ok(lapic_next_vector(&l) == -1, "not before the deadline");
	now_ns = t0 + 10000;
	lapic_update(&l, now_ns);
	tap_ok(lapic_next_vector(&l) == 0xed && rd(&l, 0x6e0) == 0,
	       "deadline fired; MSR reads 0");
	tap_ok(lapic_next_event_ns(&l) == LAPIC_NO_EVENT, "disarmed after firing");
	lapic_ack(&l);
	wr(&l, 0x80b, 0);
	wr(&l, 0x6e0, 1);	/* in the past */
	lapic_update(&l, now_ns);
	tap_ok(lapic_next_vector(&l) == 0xed, "past deadline fires at once");

	/* Disabling via SVR masks every LVT. */
	rc = wr(&l, 0x80f, 0xff);
	tap_ok(rc == 0 && (rd(&l, 0x837) & 0x10000) && (rd(&l, 0x832) & 0x10000),
	       "SVR disable masks the LVTs");
	test_save_restore();
	test_load_bad_ran();
	test_load_reserved();
	return tap_done();
}
