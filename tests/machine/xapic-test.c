// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xapic-test.c - the xAPIC MMIO page of firmware boots
 * (monitor/machine/xapic.c) over the real APIC model and the machine's
 * IPI routing, with ten vCPUs: ICR high kept in the model's ICR (so the
 * APIC's save carries it), physical FFh as broadcast, flat logical masks
 * to APIC IDs 0-7 only, the LDR of IDs above 7, and unaligned accesses.
 */
#include <string.h>

#include "tap.h"
#include "machine/firmware.h"
#include "machine/machine.h"
#include "machine/memmap.h"
#include "state/stream.h"

#define NCPUS 10

static struct machine m;
static struct vcpu vcpus[NCPUS];
static struct machine_firmware fw;
static struct lapic_ops ops;

static void fake_kick(struct hv_vcpu *hv)
{
	(void)hv;
}

static const struct hv_backend fake = { .name = "fake", .kick = fake_kick };

/* machine.c's, which this test does not link: never reached here. */
void machine_stop_locked(struct machine *mm, enum machine_exit why)
{
	(void)mm;
	(void)why;
}

void machine_vcpu_rearm_timer(struct vcpu *v)
{
	(void)v;
}

static int64_t zero_clock(void *opaque)
{
	(void)opaque;
	return 0;
}

static void setup(void)
{
	unsigned int i;

	memset(&m, 0, sizeof(m));
	m.vm.backend = &fake;
	m.vcpus = vcpus;
	m.nr_vcpus = NCPUS;
	m.fw = &fw;
	machine_lapic_ops(&ops);
	for (i = 0; i < NCPUS; i++) {
		vcpus[i].m = &m;
		vcpus[i].id = i;
		vcpus[i].hv.vm = &m.vm;
		vcpus[i].hv.id = i;
		vcpus[i].state = VCPU_RUNNABLE;
		pthread_cond_init(&vcpus[i].wake, NULL);
		lapic_init(&vcpus[i].lapic, &ops, &vcpus[i], i, zero_clock, NULL, 1000000000);
		lapic_msr_write(&vcpus[i].lapic, LAPIC_MSR_SVR, LAPIC_SVR_ENABLE | 0xff);
	}
}

static uint32_t xapic(unsigned int cpu, unsigned int off, unsigned int size, bool write,
		      uint32_t v, bool *handled)
{
	uint8_t d[8] = { 0 };
	unsigned int i;

	for (i = 0; i < 4; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	*handled = firmware_xapic_mmio(&vcpus[cpu], MEMMAP_LAPIC_BASE + off, size, write, d);
	for (i = 0, v = 0; i < 4; i++)
		v |= (uint32_t)d[i] << (8 * i);
	return v;
}

static uint32_t rd(unsigned int cpu, unsigned int off)
{
	bool h;

	return xapic(cpu, off, 4, false, 0, &h);
}

static void wr(unsigned int cpu, unsigned int off, uint32_t v)
{
	bool h;

	xapic(cpu, off, 4, true, v, &h);
}

static bool irr(unsigned int cpu, uint8_t vec)
{
	return vcpus[cpu].lapic.irr[vec / 32] & (1u << (vec % 32));
}

/* The CPUs whose IRR has vec, as a bitmap; and clears it there. */
static unsigned int got(uint8_t vec)
{
	unsigned int i, mask = 0;

	for (i = 0; i < NCPUS; i++)
		if (irr(i, vec)) {
			mask |= 1u << i;
			vcpus[i].lapic.irr[vec / 32] &= ~(1u << (vec % 32));
		}
	return mask;
}

int main(void)
{
	struct state_writer w;
	struct state_reader r;
	struct lapic copy;
	const uint8_t *data;
	size_t len;
	uint32_t v;
	bool h;
	int ret;

	setup();
	v = xapic(0, 0x310, 4, false, 0, &h);
	tap_ok(h && v == 0, "ICR high reads 0 at reset");
	wr(0, 0x310, 0x05123456);
	tap_ok(rd(0, 0x310) == 0x05000000,
	       "ICR high keeps the destination, bits 31:24 (the rest reads 0)");
	tap_ok(!got(0x40), "writing ICR high sends nothing");
	tap_ok((vcpus[0].lapic.icr >> 32) == 5,
	       "the destination sits in the model's ICR bits 63:32, which its save carries");

	/* The model's save and load keep ICR high (it was a side array). */
	state_writer_init(&w);
	ret = lapic_save(&vcpus[0].lapic, &w);
	data = state_writer_data(&w, &len, &ret);
	lapic_init(&copy, &ops, &vcpus[0], 0, zero_clock, NULL, 1000000000);
	state_reader_init(&r, data, len);
	ret = data ? lapic_load(&copy, &r) : -1;
	tap_ok(!ret && (copy.icr >> 32) == 5, "ICR high survives the APIC's save and load");
	state_writer_free(&w);

	wr(0, 0x300, 0x40);			/* fixed, physical, vector 40h */
	tap_ok(got(0x40) == 1u << 5, "physical destination 5: APIC ID 5 only");
	wr(0, 0x300, 0x41);
	tap_ok(got(0x41) == 1u << 5, "a second ICR low write reuses ICR high");

	wr(0, 0x310, 0xff000000);
	wr(0, 0x300, 0x42);
	tap_ok(got(0x42) == (1u << NCPUS) - 1,
	       "physical destination FFh is the xAPIC broadcast: all 10 CPUs, ID 9 too (SDM 11.6.2.1)");
	tap_ok(rd(0, 0x310) == 0xff000000, "ICR high still reads FFh after the broadcast");

	wr(0, 0x310, 0x09000000);
	wr(0, 0x300, 0x43);
	tap_ok(got(0x43) == 1u << 9, "physical destination 9: APIC ID 9");

	wr(0, 0x310, 0x24000000);		/* flat logical: bits 2 and 5 */
	wr(0, 0x300, 0x44 | 1u << 11);
	tap_ok(got(0x44) == (1u << 2 | 1u << 5),
	       "flat logical mask 24h: APIC IDs 2 and 5 (SDM 11.6.2.2)");
	wr(0, 0x310, 0xff000000);
	wr(0, 0x300, 0x45 | 1u << 11);
	tap_ok(got(0x45) == (1u << NCPUS) - 1, "flat logical FFh: every CPU");
	wr(0, 0x310, 0x01000000);
	wr(0, 0x300, 0x46 | 1u << 11);
	tap_ok(got(0x46) == 1u, "flat logical mask 01h: APIC ID 0, not ID 8 (no aliasing)");

	tap_ok(rd(3, 0xd0) == 1u << 27, "LDR of APIC ID 3: bit 3 of 31:24");
	tap_ok(rd(8, 0xd0) == 0 && rd(9, 0xd0) == 0,
	       "LDR of APIC IDs 8 and 9: none (the flat model addresses 8 CPUs)");
	tap_ok(rd(0, 0xe0) == 0xffffffff, "DFR: the flat model");

	v = xapic(0, 0x312, 4, false, 0xffffffff, &h);
	tap_ok(h && v == 0, "an unaligned read is handled and reads 0");
	xapic(0, 0x310, 2, true, 0x0700, &h);
	tap_ok(h && rd(0, 0x310) == 0x01000000, "a 16-bit write changes nothing");
	tap_ok(!firmware_xapic_mmio(&vcpus[0], MEMMAP_LAPIC_BASE + 0x1000, 4, false,
				    (uint8_t[8]){ 0 }),
	       "the page ends at 0xfee01000");
	return tap_done();
}
