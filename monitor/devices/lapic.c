// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/lapic.c - a local APIC in x2APIC mode.
 *
 * References are to sections of the Intel SDM Vol. 3A chapter "Advanced
 * Programmable Interrupt Controller (APIC)", cited by section title.
 *
 * Model and approximations:
 *  - x2APIC mode only: no MMIO page, no xAPIC/disabled mode switch via
 *    IA32_APIC_BASE (the owner handles that MSR), no DFR, APR or RRD.
 *  - LDR is derived from the x2APIC ID ("Logical Destination Mode in
 *    x2APIC Mode": cluster = ID[19:4], bit ID[3:0]).
 *  - Directed EOI is not offered (version bit 24 = 0), so SVR bit 12 is
 *    reserved and every level-triggered EOI is broadcast.
 *  - LVT reserved bits are dropped silently (as KVM does); nonzero bits
 *    63:32 of any register but ICR, a nonzero EOI/ESR write, or reserved
 *    ICR/SELF IPI bits raise #GP ("x2APIC Register Availability").
 *  - The thermal, performance-counter and CMCI LVTs are stored only;
 *    LINT0/LINT1 are stored only (the owner routes the 8259's INT as
 *    ExtINT and NMI by reading lvt[]).
 *  - A divide configuration change while the timer counts restarts the
 *    count arithmetic from the original start (the count may jump).
 *  - Missed periodic timer periods coalesce into one interrupt (IRR has
 *    one bit per vector anyway).
 *  - Errors: only "Send Illegal Vector" and "Received Illegal Vector".
 */
#include <errno.h>
#include <string.h>

#include "devices/lapic.h"
#include "state/stream.h"

#define NSEC_PER_SEC		1000000000ull
/* "Local APIC Version Register": integrated APIC, max LVT entry 6. */
#define LAPIC_VERSION		(0x14u | (LAPIC_NR_LVT - 1) << 16)

#define LVT_VECTOR		0xffu
#define LVT_TIMER_MODE_SHIFT	17
#define TIMER_ONESHOT		0
#define TIMER_PERIODIC		1
#define TIMER_TSC_DEADLINE	2

#define ESR_SEND_ILLEGAL	(1u << 5)
#define ESR_RECV_ILLEGAL	(1u << 6)

#define ICR_SHORTHAND(v)	(((v) >> 18) & 3)
#define ICR_SH_SELF		1
#define ICR_DELMODE(v)		(((v) >> 8) & 7)
/* Bits 12, 13, 16, 17 and 20-31 are reserved in the x2APIC ICR. */
#define ICR_RESERVED		0x00000000fff33000ull

/* "Local Vector Table": writable bits per entry. */
static const uint32_t lvt_writable[LAPIC_NR_LVT] = {
	[LAPIC_LVT_CMCI]	= 0x107ff,
	[LAPIC_LVT_TIMER]	= 0x700ff,	/* + timer mode 18:17 */
	[LAPIC_LVT_THERMAL]	= 0x107ff,
	[LAPIC_LVT_PMC]		= 0x107ff,
	[LAPIC_LVT_LINT0]	= 0x1a7ff,	/* + polarity, trigger */
	[LAPIC_LVT_LINT1]	= 0x1a7ff,
	[LAPIC_LVT_ERROR]	= 0x100ff,
};

static bool vec_test(const uint32_t *r, unsigned int v)
{
	return r[v >> 5] & (1u << (v & 31));
}

static void vec_set(uint32_t *r, unsigned int v)
{
	r[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *r, unsigned int v)
{
	r[v >> 5] &= ~(1u << (v & 31));
}

/* The highest vector set in a 256-bit register, or -1. */
static int vec_highest(const uint32_t *r)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

static bool sw_enabled(const struct lapic *l)
{
	return l->svr & LAPIC_SVR_ENABLE;
}

static unsigned int timer_mode(const struct lapic *l)
{
	return (l->lvt[LAPIC_LVT_TIMER] >> LVT_TIMER_MODE_SHIFT) & 3;
}

/* "Divide Configuration Register": bits 0, 1, 3; 111b divides by 1. */
static uint64_t timer_divisor(const struct lapic *l)
{
	unsigned int v = (l->timer_dcr & 3) | ((l->timer_dcr >> 1) & 4);

	return v == 7 ? 1 : 2u << v;
}

static uint64_t ns_to_timer_ticks(const struct lapic *l, int64_t ns)
{
	if (ns <= 0)
		return 0;
	return (uint64_t)((unsigned __int128)ns * LAPIC_TIMER_HZ /
			  NSEC_PER_SEC / timer_divisor(l));
}

/* The first ns after the start at which `ticks` have elapsed. */
static int64_t timer_ticks_to_ns(const struct lapic *l, uint64_t ticks)
{
	unsigned __int128 ns = ((unsigned __int128)ticks * timer_divisor(l) *
				NSEC_PER_SEC + LAPIC_TIMER_HZ - 1) / LAPIC_TIMER_HZ;

	return ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
}

static uint64_t guest_tsc(const struct lapic *l, int64_t now)
{
	if (now <= 0)
		return 0;
	return (uint64_t)((unsigned __int128)now * l->tsc_hz / NSEC_PER_SEC);
}

uint32_t lapic_ppr(const struct lapic *l)
{
	/* "Processor Priority Register (PPR)". */
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	if ((l->tpr & 0xf0) >= isr_class)
		return l->tpr & 0xff;
	return isr_class;
}

int lapic_next_vector(const struct lapic *l)
{
	int v = vec_highest(l->irr);

	/*
	 * "Interrupt, Task, and Processor Priorities": an interrupt is
	 * delivered only if its priority class is above PPR's class.
	 */
	if (v < 0 || ((uint32_t)v & 0xf0) <= (lapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

int lapic_ack(struct lapic *l)
{
	int v = lapic_next_vector(l);

	if (v < 0)
		return -1;
	vec_clear(l->irr, (unsigned int)v);
	vec_set(l->isr, (unsigned int)v);
	return v;
}

static void lapic_error(struct lapic *l, uint32_t bits);

int lapic_accept(struct lapic *l, uint8_t vector, bool level_trig)
{
	/* "Valid Interrupt Vectors": 0-15 are reserved. */
	if (vector < 16) {
		lapic_error(l, ESR_RECV_ILLEGAL);
		return -EINVAL;
	}
	/* "Local APIC State After It Has Been Software Disabled". */
	if (!sw_enabled(l))
		return -ENODEV;
	vec_set(l->irr, vector);
	if (level_trig)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
	if (l->ops.kick)
		l->ops.kick(l->opaque);
	return 0;
}

/* "Error Handling": record and raise the LVT error interrupt. */
static void lapic_error(struct lapic *l, uint32_t bits)
{
	uint32_t lvt = l->lvt[LAPIC_LVT_ERROR];

	l->esr_pending |= bits;
	if (!(lvt & LAPIC_LVT_MASKED) && (lvt & LVT_VECTOR) >= 16 &&
	    sw_enabled(l)) {
		vec_set(l->irr, lvt & LVT_VECTOR);
		vec_clear(l->tmr, lvt & LVT_VECTOR);
		if (l->ops.kick)
			l->ops.kick(l->opaque);
	}
}

/* "EOI Register": the highest ISR bit is cleared. */
static void lapic_eoi(struct lapic *l)
{
	int v = vec_highest(l->isr);

	if (v < 0)
		return;
	vec_clear(l->isr, (unsigned int)v);
	if (vec_test(l->tmr, (unsigned int)v)) {
		vec_clear(l->tmr, (unsigned int)v);
		if (l->ops.eoi)
			l->ops.eoi(l->opaque, (uint8_t)v);
	}
}

static void timer_fire(struct lapic *l)
{
	uint32_t lvt = l->lvt[LAPIC_LVT_TIMER];

	/* A masked timer still counts but raises nothing. */
	if (!(lvt & LAPIC_LVT_MASKED))
		lapic_accept(l, (uint8_t)(lvt & LVT_VECTOR), false);
}

void lapic_update(struct lapic *l, int64_t now)
{
	uint64_t ticks, periods;

	if (timer_mode(l) == TIMER_TSC_DEADLINE) {
		/* "TSC-Deadline Mode": fire once, then the MSR reads 0. */
		if (l->tsc_deadline && guest_tsc(l, now) >= l->tsc_deadline) {
			l->tsc_deadline = 0;
			timer_fire(l);
		}
		return;
	}
	if (!l->timer_armed)
		return;
	ticks = ns_to_timer_ticks(l, now - l->timer_start_ns);
	periods = ticks / l->timer_initial;
	if (periods <= l->timer_fired)
		return;
	if (timer_mode(l) == TIMER_PERIODIC) {
		l->timer_fired = periods;
	} else {
		l->timer_armed = false;	/* one-shot: current count stays 0 */
	}
	timer_fire(l);
}

int64_t lapic_next_event_ns(const struct lapic *l)
{
	unsigned __int128 ns;
	int64_t rel;

	if (timer_mode(l) == TIMER_TSC_DEADLINE) {
		if (!l->tsc_deadline)
			return LAPIC_NO_EVENT;
		ns = ((unsigned __int128)l->tsc_deadline * NSEC_PER_SEC +
		      l->tsc_hz - 1) / l->tsc_hz;
		return ns > INT64_MAX ? LAPIC_NO_EVENT : (int64_t)ns;
	}
	if (!l->timer_armed || l->timer_fired >= UINT64_MAX / l->timer_initial - 1)
		return LAPIC_NO_EVENT;
	rel = timer_ticks_to_ns(l, (l->timer_fired + 1) * (uint64_t)l->timer_initial);
	if (l->timer_start_ns > 0 && rel > INT64_MAX - l->timer_start_ns)
		return LAPIC_NO_EVENT;
	return l->timer_start_ns + rel;
}

static uint32_t timer_current(const struct lapic *l)
{
	uint64_t ticks;

	if (timer_mode(l) == TIMER_TSC_DEADLINE || !l->timer_armed)
		return 0;
	ticks = ns_to_timer_ticks(l, l->now(l->now_opaque) - l->timer_start_ns);
	if (timer_mode(l) == TIMER_PERIODIC)
		return l->timer_initial - (uint32_t)(ticks % l->timer_initial);
	if (ticks >= l->timer_initial)
		return 0;
	return l->timer_initial - (uint32_t)ticks;
}

static void timer_start(struct lapic *l)
{
	l->timer_start_ns = l->now(l->now_opaque);
	l->timer_fired = 0;
	l->timer_armed = l->timer_initial != 0 &&
			 timer_mode(l) != TIMER_TSC_DEADLINE;
}

static int lvt_index(uint32_t index)
{
	switch (index) {
	case LAPIC_MSR_LVT_CMCI:	return LAPIC_LVT_CMCI;
	case LAPIC_MSR_LVT_TIMER:	return LAPIC_LVT_TIMER;
	case LAPIC_MSR_LVT_THERMAL:	return LAPIC_LVT_THERMAL;
	case LAPIC_MSR_LVT_PMC:		return LAPIC_LVT_PMC;
	case LAPIC_MSR_LVT_LINT0:	return LAPIC_LVT_LINT0;
	case LAPIC_MSR_LVT_LINT1:	return LAPIC_LVT_LINT1;
	case LAPIC_MSR_LVT_ERROR:	return LAPIC_LVT_ERROR;
	}
	return -1;
}

int lapic_msr_read(struct lapic *l, uint32_t index, uint64_t *data)
{
	int lvt;

	if (index == LAPIC_MSR_TSC_DEADLINE) {
		/* Reads 0 outside TSC-deadline mode. */
		*data = timer_mode(l) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
		return 0;
	}
	if (index < LAPIC_MSR_BASE || index > LAPIC_MSR_END)
		return -ENOENT;
	if (index >= LAPIC_MSR_ISR0 && index < LAPIC_MSR_ISR0 + 8) {
		*data = l->isr[index - LAPIC_MSR_ISR0];
		return 0;
	}
	if (index >= LAPIC_MSR_TMR0 && index < LAPIC_MSR_TMR0 + 8) {
		*data = l->tmr[index - LAPIC_MSR_TMR0];
		return 0;
	}
	if (index >= LAPIC_MSR_IRR0 && index < LAPIC_MSR_IRR0 + 8) {
		*data = l->irr[index - LAPIC_MSR_IRR0];
		return 0;
	}
	lvt = lvt_index(index);
	if (lvt >= 0) {
		*data = l->lvt[lvt];
		return 0;
	}
	switch (index) {
	case LAPIC_MSR_ID:
		*data = l->id;
		return 0;
	case LAPIC_MSR_VERSION:
		*data = LAPIC_VERSION;
		return 0;
	case LAPIC_MSR_TPR:
		*data = l->tpr;
		return 0;
	case LAPIC_MSR_PPR:
		*data = lapic_ppr(l);
		return 0;
	case LAPIC_MSR_LDR:
		*data = (l->id >> 4) << 16 | 1u << (l->id & 0xf);
		return 0;
	case LAPIC_MSR_SVR:
		*data = l->svr;
		return 0;
	case LAPIC_MSR_ESR:
		*data = l->esr;
		return 0;
	case LAPIC_MSR_ICR:
		*data = l->icr;
		return 0;
	case LAPIC_MSR_TIMER_ICR:
		*data = l->timer_initial;
		return 0;
	case LAPIC_MSR_TIMER_CCR:
		*data = timer_current(l);
		return 0;
	case LAPIC_MSR_TIMER_DCR:
		*data = l->timer_dcr;
		return 0;
	}
	/* EOI and SELF IPI are write-only; the rest is reserved. */
	return -EINVAL;
}

static int write_icr(struct lapic *l, uint64_t val)
{
	uint8_t vec = (uint8_t)val;

	if (val & ICR_RESERVED)
		return -EINVAL;
	l->icr = val;
	/* Fixed and lowest-priority IPIs need a valid vector. */
	if (ICR_DELMODE(val) <= 1 && vec < 16) {
		lapic_error(l, ESR_SEND_ILLEGAL);
		return 0;
	}
	if (ICR_SHORTHAND(val) == ICR_SH_SELF && ICR_DELMODE(val) == 0) {
		lapic_accept(l, vec, val & (1u << 15));
		return 0;
	}
	if (l->ops.send_ipi)
		l->ops.send_ipi(l->opaque, val);
	return 0;
}

static void write_lvt(struct lapic *l, int lvt, uint32_t val)
{
	unsigned int old_mode = timer_mode(l);

	val &= lvt_writable[lvt];
	/* Software-disabled: the mask bits cannot be cleared. */
	if (!sw_enabled(l))
		val |= LAPIC_LVT_MASKED;
	l->lvt[lvt] = val;
	if (lvt == LAPIC_LVT_TIMER && timer_mode(l) != old_mode) {
		/* "TSC-Deadline Mode": switching modes disarms the timer. */
		l->timer_armed = false;
		l->timer_initial = 0;
		l->tsc_deadline = 0;
	}
}

int lapic_msr_write(struct lapic *l, uint32_t index, uint64_t val)
{
	int lvt, i;

	if (index == LAPIC_MSR_TSC_DEADLINE) {
		/* Ignored outside TSC-deadline mode; 0 disarms. */
		if (timer_mode(l) == TIMER_TSC_DEADLINE)
			l->tsc_deadline = val;
		return 0;
	}
	if (index < LAPIC_MSR_BASE || index > LAPIC_MSR_END)
		return -ENOENT;
	if (index == LAPIC_MSR_ICR)
		return write_icr(l, val);
	/* "x2APIC Register Availability": bits 63:32 are reserved. */
	if (val >> 32)
		return -EINVAL;
	lvt = lvt_index(index);
	if (lvt >= 0) {
		write_lvt(l, lvt, (uint32_t)val);
		return 0;
	}
	switch (index) {
	case LAPIC_MSR_TPR:
		l->tpr = (uint32_t)val & 0xff;
		return 0;
	case LAPIC_MSR_EOI:
		if (val)
			return -EINVAL;
		lapic_eoi(l);
		return 0;
	case LAPIC_MSR_SVR:
		/* Bits 0-9; 12 (directed EOI) is not offered. */
		if (val & ~0x3ffull)
			return -EINVAL;
		l->svr = (uint32_t)val;
		/* "Software Enabling/Disabling": clearing sets all LVT masks. */
		if (!sw_enabled(l))
			for (i = 0; i < LAPIC_NR_LVT; i++)
				l->lvt[i] |= LAPIC_LVT_MASKED;
		return 0;
	case LAPIC_MSR_ESR:
		/* "Error Status Register": a write latches; x2APIC wants 0. */
		if (val)
			return -EINVAL;
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return 0;
	case LAPIC_MSR_TIMER_ICR:
		/* Ignored in TSC-deadline mode; writing starts a count. */
		if (timer_mode(l) == TIMER_TSC_DEADLINE)
			return 0;
		l->timer_initial = (uint32_t)val;
		timer_start(l);
		return 0;
	case LAPIC_MSR_TIMER_DCR:
		l->timer_dcr = (uint32_t)val & 0xb;
		return 0;
	case LAPIC_MSR_SELF_IPI:
		/* "SELF IPI Register": vector only, edge, fixed. */
		if (val & ~0xffull)
			return -EINVAL;
		if (val < 16)
			lapic_error(l, ESR_SEND_ILLEGAL);
		else
			lapic_accept(l, (uint8_t)val, false);
		return 0;
	}
	/* ID, version, PPR, LDR, ISR/TMR/IRR, current count: read-only. */
	return -EINVAL;
}

void lapic_init(struct lapic *l, const struct lapic_ops *ops, void *opaque,
		uint32_t id, lapic_now_fn now, void *now_opaque, uint64_t tsc_hz)
{
	int i;

	memset(l, 0, sizeof(*l));
	if (ops)
		l->ops = *ops;
	l->opaque = opaque;
	l->id = id;
	l->now = now;
	l->now_opaque = now_opaque;
	l->tsc_hz = tsc_hz ? tsc_hz : 1;
	/* "Local APIC State After Power-Up or Reset": SVR 0xff, LVTs masked. */
	l->svr = 0xff;
	for (i = 0; i < LAPIC_NR_LVT; i++)
		l->lvt[i] = LAPIC_LVT_MASKED;
}

/* --- save and restore --------------------------------------------------- */

#define LAPIC_STATE_VERSION	1

/*
 * The timer is saved as time: how long the current count has run (one-
 * shot/periodic), or how far away the TSC deadline is.  Both are rebuilt
 * on the loading host's clock.
 */
int lapic_save(const struct lapic *l, struct state_writer *w)
{
	int64_t now = l->now(l->now_opaque);
	unsigned int i;

	state_section_begin(w, "lapic", l->id, LAPIC_STATE_VERSION);
	state_put_u32(w, l->tpr);
	state_put_u32(w, l->svr);
	state_put_u32(w, l->esr);
	state_put_u32(w, l->esr_pending);
	state_put_u64(w, l->icr);
	state_put_u8(w, LAPIC_NR_LVT);
	for (i = 0; i < LAPIC_NR_LVT; i++)
		state_put_u32(w, l->lvt[i]);
	for (i = 0; i < 8; i++) {
		state_put_u32(w, l->irr[i]);
		state_put_u32(w, l->isr[i]);
		state_put_u32(w, l->tmr[i]);
	}
	state_put_u32(w, l->timer_initial);
	state_put_u32(w, l->timer_dcr);
	state_put_bool(w, l->timer_armed);
	state_put_u64(w, state_ns_since(l->timer_start_ns, now));
	state_put_u64(w, l->timer_fired);
	state_put_bool(w, l->tsc_deadline != 0);
	state_put_u64(w, l->tsc_deadline ?
		      state_ns_left(lapic_next_event_ns(l), now) : 0);
	state_section_end(w);
	return state_writer_error(w);
}

int lapic_load(struct lapic *l, struct state_reader *r)
{
	struct lapic t = *l;
	uint64_t ran, left;
	unsigned int i, n;
	bool deadline;
	int64_t now;
	int ret;

	/* The section's id is the APIC ID: each vCPU loads its own. */
	ret = state_section_open(r, "lapic", l->id, LAPIC_STATE_VERSION, NULL);
	if (ret)
		return ret;
	t.tpr = state_get_u32(r);
	t.svr = state_get_u32(r);
	t.esr = state_get_u32(r);
	t.esr_pending = state_get_u32(r);
	t.icr = state_get_u64(r);
	n = state_get_u8(r);
	if (n != LAPIC_NR_LVT)
		return state_reader_fail(r, "%u LVT entries saved, this APIC has %u",
					 n, LAPIC_NR_LVT);
	for (i = 0; i < LAPIC_NR_LVT; i++)
		t.lvt[i] = state_get_u32(r);
	for (i = 0; i < 8; i++) {
		t.irr[i] = state_get_u32(r);
		t.isr[i] = state_get_u32(r);
		t.tmr[i] = state_get_u32(r);
	}
	t.timer_initial = state_get_u32(r);
	t.timer_dcr = state_get_u32(r);
	t.timer_armed = state_get_bool(r);
	ran = state_get_u64(r);
	t.timer_fired = state_get_u64(r);
	deadline = state_get_bool(r);
	left = state_get_u64(r);
	/* lapic_update() divides by the initial count of an armed timer. */
	if (t.timer_armed && !t.timer_initial)
		state_reader_fail(r, "timer armed with an initial count of 0");
	/*
	 * Only what lapic_msr_write() can leave: each register within the
	 * bits a write keeps (or does not #GP on), every LVT masked while
	 * the APIC is software-disabled, and the one-shot/periodic count and
	 * the TSC deadline each only in their own timer mode.  Timer mode 3
	 * is reserved in the SDM but write_lvt() keeps it (it counts as
	 * one-shot, as in KVM), so a load takes it too.
	 */
	for (i = 0; i < LAPIC_NR_LVT; i++) {
		if (t.lvt[i] & ~lvt_writable[i])
			state_reader_fail(r, "LVT %u = 0x%x: reserved bits", i, t.lvt[i]);
		if (!(t.svr & LAPIC_SVR_ENABLE) && !(t.lvt[i] & LAPIC_LVT_MASKED))
			state_reader_fail(r, "LVT %u unmasked in a disabled APIC", i);
	}
	if ((t.svr & ~0x3ffu) || (t.timer_dcr & ~0xbu) || (t.tpr & ~0xffu) ||
	    ((t.esr | t.esr_pending) & ~(ESR_SEND_ILLEGAL | ESR_RECV_ILLEGAL)) ||
	    (t.icr & ICR_RESERVED))
		state_reader_fail(r, "SVR 0x%x, DCR 0x%x, TPR 0x%x, ESR 0x%x/0x%x, ICR 0x%llx: reserved bits",
				  t.svr, t.timer_dcr, t.tpr, t.esr, t.esr_pending,
				  (unsigned long long)t.icr);
	if (timer_mode(&t) == TIMER_TSC_DEADLINE ? t.timer_armed : deadline)
		state_reader_fail(r, "timer mode %u with a %s armed", timer_mode(&t),
				  deadline ? "TSC deadline" : "count");
	/* No host has run that long; lapic_update() subtracts the start. */
	if (ran > STATE_NS_MAX)
		state_reader_fail(r, "timer ran %llu ns", (unsigned long long)ran);
	ret = state_section_close(r);
	if (ret)
		return ret;
	now = l->now(l->now_opaque);
	t.timer_start_ns = state_start(ran, now);
	t.tsc_deadline = 0;
	if (deadline) {
		t.tsc_deadline = guest_tsc(l, state_deadline(left, now));
		if (!t.tsc_deadline)
			t.tsc_deadline = 1;	/* armed, due at once */
	}
	*l = t;
	return 0;
}
