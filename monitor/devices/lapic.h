/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devices/lapic.h - a local APIC in x2APIC mode only: registers are MSRs
 * 0x800-0x8ff, plus IA32_TSC_DEADLINE (0x6e0) for the timer.
 *
 * Semantics follow the Intel SDM Vol. 3A chapter "Advanced Programmable
 * Interrupt Controller (APIC)" (chapter 11 in recent editions, 10 in
 * older ones); lapic.c cites its sections by title.
 *
 * Time: the APIC timer is derived from an injected monotonic clock in
 * nanoseconds (no ticking).  The owner arms a host timer for
 * lapic_next_event_ns() and calls lapic_update() when it fires (and
 * before entering the guest).  The guest TSC is taken to be
 * clock_ns * tsc_hz / 10^9 (the owner keeps the guest's TSC offset
 * consistent with that clock).
 *
 * Not thread-safe: one vCPU's APIC is touched by its own thread; other
 * threads (IPIs, the I/O APIC) go through the owner's lock.  Callbacks run
 * under that serialisation and must not call back into this APIC.
 */
#ifndef VMAIN_MONITOR_DEVICES_LAPIC_H
#define VMAIN_MONITOR_DEVICES_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_MSR_BASE		0x800
#define LAPIC_MSR_END		0x8ff
#define LAPIC_MSR_TSC_DEADLINE	0x6e0
#define LAPIC_NO_EVENT		INT64_MAX
/* The timer's input clock ("bus clock"); KVM uses 1 GHz as well. */
#define LAPIC_TIMER_HZ		1000000000ull

/* x2APIC MSR indices ("x2APIC Register Address Space"). */
enum {
	LAPIC_MSR_ID		= 0x802,
	LAPIC_MSR_VERSION	= 0x803,
	LAPIC_MSR_TPR		= 0x808,
	LAPIC_MSR_PPR		= 0x80a,
	LAPIC_MSR_EOI		= 0x80b,
	LAPIC_MSR_LDR		= 0x80d,
	LAPIC_MSR_SVR		= 0x80f,
	LAPIC_MSR_ISR0		= 0x810,
	LAPIC_MSR_TMR0		= 0x818,
	LAPIC_MSR_IRR0		= 0x820,
	LAPIC_MSR_ESR		= 0x828,
	LAPIC_MSR_LVT_CMCI	= 0x82f,
	LAPIC_MSR_ICR		= 0x830,
	LAPIC_MSR_LVT_TIMER	= 0x832,
	LAPIC_MSR_LVT_THERMAL	= 0x833,
	LAPIC_MSR_LVT_PMC	= 0x834,
	LAPIC_MSR_LVT_LINT0	= 0x835,
	LAPIC_MSR_LVT_LINT1	= 0x836,
	LAPIC_MSR_LVT_ERROR	= 0x837,
	LAPIC_MSR_TIMER_ICR	= 0x838,
	LAPIC_MSR_TIMER_CCR	= 0x839,
	LAPIC_MSR_TIMER_DCR	= 0x83e,
	LAPIC_MSR_SELF_IPI	= 0x83f,
};

/* LVT indices into struct lapic.lvt[]. */
enum {
	LAPIC_LVT_CMCI, LAPIC_LVT_TIMER, LAPIC_LVT_THERMAL, LAPIC_LVT_PMC,
	LAPIC_LVT_LINT0, LAPIC_LVT_LINT1, LAPIC_LVT_ERROR, LAPIC_NR_LVT,
};

#define LAPIC_LVT_MASKED	(1u << 16)
#define LAPIC_SVR_ENABLE	(1u << 8)

typedef int64_t (*lapic_now_fn)(void *opaque);

struct lapic_ops {
	/*
	 * The guest wrote ICR: an IPI to send (64-bit x2APIC ICR: vector,
	 * delivery mode, destination mode, level, trigger, shorthand, and
	 * the 32-bit destination in bits 63:32).  Self IPIs (shorthand
	 * "self", or the SELF IPI register) are accepted locally instead.
	 */
	void (*send_ipi)(void *opaque, uint64_t icr);
	/* EOI of a level-triggered vector: broadcast it to the I/O APICs. */
	void (*eoi)(void *opaque, uint8_t vector);
	/* A vector became pending in IRR (wake the vCPU); may be NULL. */
	void (*kick)(void *opaque);
};

struct lapic {
	struct lapic_ops ops;
	void *opaque;
	lapic_now_fn now;
	void *now_opaque;
	uint64_t tsc_hz;

	uint32_t id;
	uint32_t tpr;
	uint32_t svr;
	uint32_t esr;		/* as latched by the last ESR write */
	uint32_t esr_pending;	/* errors since then */
	uint64_t icr;
	uint32_t lvt[LAPIC_NR_LVT];
	uint32_t irr[8], isr[8], tmr[8];

	/* Timer ("APIC Timer"). */
	uint32_t timer_initial;
	uint32_t timer_dcr;
	int64_t timer_start_ns;
	bool timer_armed;	/* one-shot/periodic counting */
	uint64_t timer_fired;	/* periods already delivered since start */
	uint64_t tsc_deadline;	/* 0 = disarmed */
};

/*
 * Reset state ("Power-up and reset state" in "Local APIC State After
 * Power-Up or Reset"), in x2APIC mode: `id` is the x2APIC ID.  `now`
 * must not be NULL; `tsc_hz` is the guest TSC frequency (not 0).
 */
void lapic_init(struct lapic *lapic, const struct lapic_ops *ops,
		void *opaque, uint32_t id, lapic_now_fn now, void *now_opaque,
		uint64_t tsc_hz);

/*
 * RDMSR/WRMSR of `index` (0x800-0x8ff or 0x6e0).  Returns 0; -EINVAL for
 * a reserved register, a read of a write-only one, a write of a read-only
 * one or reserved bits set (inject #GP); -ENOENT for an index that is not
 * the APIC's.
 */
int lapic_msr_read(struct lapic *lapic, uint32_t index, uint64_t *data);
int lapic_msr_write(struct lapic *lapic, uint32_t index, uint64_t data);

/*
 * Accepts a fixed interrupt into IRR (TMR set for level-triggered ones).
 * -EINVAL for vectors 0-15 (ESR "Received Illegal Vector" is set);
 * -ENODEV while the APIC is software-disabled (SVR bit 8 clear).
 */
int lapic_accept(struct lapic *lapic, uint8_t vector, bool level_trig);

/* The vector the CPU would take now (IRR over PPR), or -1. */
int lapic_next_vector(const struct lapic *lapic);

/* Takes that vector: IRR -> ISR; returns it, or -1 if none. */
int lapic_ack(struct lapic *lapic);

/* The processor priority (PPR). */
uint32_t lapic_ppr(const struct lapic *lapic);

/* Fires the timer if due at `now` (accepting its vector unless masked). */
void lapic_update(struct lapic *lapic, int64_t now);

/* When the timer next fires, or LAPIC_NO_EVENT. */
int64_t lapic_next_event_ns(const struct lapic *lapic);

struct state_writer;
struct state_reader;

/*
 * Save and restore (state/stream.h), section "lapic" / the APIC ID (a
 * state for another vCPU is refused): TPR, SVR, ESR, ICR, the LVT, IRR,
 * ISR, TMR, and the timer as time: how long the current count has run
 * and the periods delivered, or the time left to an armed TSC deadline.
 * The load rebuilds both on the loading host's clock (a TSC-deadline MSR
 * read afterwards gives the rebuilt deadline), changes `d` only when the
 * section is whole and valid, and calls no op: the vCPU looks at
 * lapic_next_vector() and the caller re-arms its host timer from
 * lapic_next_event_ns().
 */
int lapic_save(const struct lapic *d, struct state_writer *w);
int lapic_load(struct lapic *d, struct state_reader *r);

#endif
