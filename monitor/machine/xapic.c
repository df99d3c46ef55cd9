// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/xapic.c - the local APIC's xAPIC MMIO page for firmware boots.
 *
 * The APIC model (devices/lapic.h) speaks x2APIC MSRs; a direct Linux
 * boot starts in x2APIC mode and never touches the page.  A BIOS starts
 * where a PC starts, in xAPIC mode with the page at 0xfee00000 (SDM
 * Vol. 3A 11.4.1 "The Local APIC Block Diagram", table 11-1 "Local APIC
 * Register Address Map"), and SeaBIOS uses it to enable the APIC, make
 * LINT0 ExtINT (the 8259s' way in) and send INIT/SIPI to the APs.  Each
 * register at offset 16*k is the x2APIC MSR 800h + k (SDM 11.12.1.2
 * "x2APIC Register Address Space"), except where the modes differ:
 *  - ID (20h): the ID in bits 31:24;
 *  - ICR: two registers, the destination in bits 31:24 of ICR high
 *    (310h); a write to ICR low (300h) sends, as in xAPIC mode.  The
 *    8-bit destination is kept in the model's 64-bit ICR (bits 63:32,
 *    so it is saved with the APIC) in x2APIC terms: physical FFh, the
 *    xAPIC broadcast (SDM 11.6.2.1), becomes FFFF_FFFFh; a flat logical
 *    mask (11.6.2.2) becomes cluster 0's bitmap, the same bits, which
 *    the model's LDRs of APIC IDs 0-7 match, and logical FFh all CPUs;
 *  - DFR (0E0h) exists only here: kept, but only the flat model (all
 *    ones) is offered; LDR (0D0h) reads what the model derives: bit ID
 *    for IDs 0-7, none above (the flat model addresses 8 CPUs at most).
 * Only aligned 32-bit accesses reach registers (11.4.1: "must be
 * aligned on 128-bit boundaries ... 32-bit loads and stores"); others
 * read 0 and write nothing.
 */
#include "machine/firmware.h"
#include "machine/machine.h"
#include "machine/memmap.h"

#define XAPIC_PAGE		0x1000
#define XAPIC_ID		0x20
#define XAPIC_LDR		0xd0
#define XAPIC_DFR		0xe0
#define XAPIC_ICR_LO		0x300
#define XAPIC_ICR_HI		0x310

static bool timer_msr(uint32_t idx)
{
	return idx == LAPIC_MSR_LVT_TIMER || idx == LAPIC_MSR_TIMER_ICR ||
	       idx == LAPIC_MSR_TIMER_DCR;
}

bool firmware_xapic_mmio(struct vcpu *v, uint64_t gpa, unsigned size, bool write,
			 uint8_t *data)
{
	struct machine_firmware *fw = v->m->fw;
	uint64_t off = gpa - MEMMAP_LAPIC_BASE, val = 0;
	uint32_t idx, w = 0;
	unsigned i;

	if (!fw || gpa < MEMMAP_LAPIC_BASE || off >= XAPIC_PAGE)
		return false;
	if (size != 4 || (off & 0xf)) {
		if (!write)
			for (i = 0; i < size && i < 8; i++)
				data[i] = 0;
		return true;
	}
	for (i = 0; i < 4; i++)
		w |= (uint32_t)data[i] << (8 * i);
	idx = 0x800 + (uint32_t)(off >> 4);
	if (write) {
		switch (off) {
		case XAPIC_ID:
		case XAPIC_LDR:
			break;		/* the model's IDs are fixed */
		case XAPIC_DFR:
			break;		/* flat model only */
		case XAPIC_ICR_HI:
			v->lapic.icr = (uint32_t)v->lapic.icr | (uint64_t)(w >> 24) << 32;
			break;
		case XAPIC_ICR_LO: {
			uint32_t dest = (uint8_t)(v->lapic.icr >> 32);

			if (dest == 0xff)
				dest = 0xffffffffu;
			(void)lapic_msr_write(&v->lapic, LAPIC_MSR_ICR, (uint64_t)dest << 32 | w);
			break;
		}
		default:
			/* A bad value sets ESR bits in the model; no #GP from MMIO. */
			(void)lapic_msr_write(&v->lapic, idx, w);
			break;
		}
		machine_flush_eois(v);
		if (timer_msr(idx))
			machine_vcpu_rearm_timer(v);
		return true;
	}
	switch (off) {
	case XAPIC_ID:
		val = (uint64_t)v->lapic.id << 24;
		break;
	case XAPIC_DFR:
		val = 0xffffffffu;
		break;
	case XAPIC_ICR_HI:
		val = (uint64_t)(uint8_t)(v->lapic.icr >> 32) << 24;
		break;
	case XAPIC_ICR_LO:
		val = (uint32_t)v->lapic.icr;
		break;
	default:
		if (lapic_msr_read(&v->lapic, idx, &val))
			val = 0;
		if (off == XAPIC_LDR)
			val = v->lapic.id < 8 ? (uint64_t)(1u << v->lapic.id) << 24 : 0;
		break;
	}
	for (i = 0; i < 4; i++)
		data[i] = (uint8_t)(val >> (8 * i));
	return true;
}
