// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * irq-test.c - the machine's interrupt routing (monitor/machine/irq.c)
 * with real device models and a recording backend: ISA IRQs through the
 * I/O APIC (and IRQ 0 on pin 2), level-triggered EOIs, MSI decoding,
 * physical/logical/broadcast destinations, IPI shorthands, NMI, INIT and
 * SIPI, the 8259s through LINT0 (ExtINT), and who gets kicked.
 */
#include <string.h>

#include "tap.h"
#include "machine/machine.h"

#define NCPUS 3

static int kicks[NCPUS];
static struct machine m;
static struct vcpu vcpus[NCPUS];

static void fake_kick(struct hv_vcpu *hv)
{
	kicks[hv->id]++;
}

static const struct hv_backend fake = { .name = "fake", .kick = fake_kick };

static int64_t zero_clock(void *opaque)
{
	(void)opaque;
	return 0;
}

static void pic_output(void *opaque, bool level)
{
	((struct machine *)opaque)->pic_output = level;
}

static void setup(void)
{
	static const struct ioapic_ops ioapic_ops = { .deliver = machine_ioapic_deliver };
	static const struct i8259_ops pic_ops = { .output = pic_output };
	struct lapic_ops ops;
	unsigned int i;

	memset(&m, 0, sizeof(m));
	memset(vcpus, 0, sizeof(vcpus));
	memset(kicks, 0, sizeof(kicks));
	m.vm.backend = &fake;
	m.vcpus = vcpus;
	m.nr_vcpus = NCPUS;
	ioapic_init(&m.ioapic, &ioapic_ops, &m);
	i8259_init(&m.pic, &pic_ops, &m);
	machine_lapic_ops(&ops);
	for (i = 0; i < NCPUS; i++) {
		vcpus[i].m = &m;
		vcpus[i].id = i;
		vcpus[i].hv.vm = &m.vm;
		vcpus[i].hv.id = i;
		vcpus[i].in_guest = true;
		vcpus[i].state = VCPU_RUNNABLE;
		pthread_cond_init(&vcpus[i].wake, NULL);
		lapic_init(&vcpus[i].lapic, &ops, &vcpus[i], i, zero_clock, NULL, 1000000000);
		lapic_msr_write(&vcpus[i].lapic, LAPIC_MSR_SVR, LAPIC_SVR_ENABLE | 0xff);
	}
}

static bool irr(unsigned int cpu, uint8_t vec)
{
	return vcpus[cpu].lapic.irr[vec / 32] & (1u << (vec % 32));
}

static void rte(unsigned int pin, uint64_t value)
{
	uint64_t sel = 0x10 + 2 * pin, lo = value & 0xffffffff, hi = value >> 32;

	ioapic_mmio(&m.ioapic, 0x00, 4, true, &sel);
	ioapic_mmio(&m.ioapic, 0x10, 4, true, &lo);
	sel++;
	ioapic_mmio(&m.ioapic, 0x00, 4, true, &sel);
	ioapic_mmio(&m.ioapic, 0x10, 4, true, &hi);
}

static void pio(uint16_t port, uint8_t v)
{
	uint32_t d = v;

	if (port == 0x20 || port == 0x21)
		i8259_io_master(&m.pic, port - 0x20, 1, true, &d);
	else
		i8259_io_slave(&m.pic, port - 0xa0, 1, true, &d);
}

int main(void)
{
	unsigned int i;
	int vec;

	setup();
	rte(4, 0x31 | (1ull << 56));		/* COM1: vector 31h to APIC 1 */
	machine_isa_irq(&m, 4, true);
	tap_ok(irr(1, 0x31) && !irr(0, 0x31) && !irr(2, 0x31),
	       "ISA IRQ 4 -> pin 4 -> vector 31h at APIC ID 1 only");
	tap_ok(kicks[1] == 1 && !kicks[0] && !kicks[2], "only that vCPU is kicked out of the guest");
	machine_isa_irq(&m, 4, false);
	vcpus[1].state = VCPU_HALTED;
	machine_msi(&m, 0xfee01000, 0x32);
	tap_ok(irr(1, 0x32) && kicks[1] == 1, "a halted vCPU is woken, not kicked out of a guest it is not in");
	vcpus[1].state = VCPU_RUNNABLE;
	vcpus[1].in_guest = false;
	machine_msi(&m, 0xfee01000, 0x33);
	tap_ok(irr(1, 0x33) && kicks[1] == 1, "a runnable vCPU outside the guest: no kick needed");
	vcpus[1].in_guest = true;

	rte(2, 0x30);				/* the PIT on pin 2, APIC 0 */
	machine_isa_irq(&m, 0, true);
	tap_ok(irr(0, 0x30), "ISA IRQ 0 arrives on I/O APIC pin 2 (the MADT override)");
	machine_isa_irq(&m, 0, false);

	/* Level-triggered: redelivered after EOI while the line stays up. */
	rte(9, 0x39 | IOAPIC_RTE_LEVEL);
	machine_isa_irq(&m, 9, true);
	tap_ok(machine_irq_pending(&vcpus[0]) == 0x39, "the higher vector first: 39h before 30h");
	tap_ok(machine_irq_ack(&vcpus[0]) == 0x39 && !irr(0, 0x39), "ack takes 39h into service");
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_EOI, 0);
	tap_ok(vcpus[0].has_eoi, "a level EOI is queued for the I/O APIC, not passed from inside the APIC");
	machine_flush_eois(&vcpus[0]);
	tap_ok(irr(0, 0x39) && !vcpus[0].has_eoi, "EOI with the line still asserted: 39h delivered again");
	machine_isa_irq(&m, 9, false);
	machine_irq_ack(&vcpus[0]);
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_EOI, 0);
	machine_flush_eois(&vcpus[0]);
	tap_ok(!irr(0, 0x39), "EOI with the line low: not delivered again");
	tap_ok(machine_irq_ack(&vcpus[0]) == 0x30, "then the edge-triggered 30h");
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_EOI, 0);
	tap_ok(!vcpus[0].has_eoi && machine_irq_pending(&vcpus[0]) < 0,
	       "an edge EOI goes nowhere; nothing pending");

	/* MSI (SDM "Message Signalled Interrupts"). */
	machine_msi(&m, 0xfee02000, 0x41);
	tap_ok(irr(2, 0x41) && !irr(1, 0x41), "MSI: destination ID 2 in address bits 19:12");
	machine_msi(&m, 0xfeeff000, 0x42);
	tap_ok(irr(0, 0x42) && irr(1, 0x42) && irr(2, 0x42), "MSI to 0xff: every CPU");
	machine_msi(&m, 0xfed00000, 0x43);
	tap_ok(!irr(0, 0x43) && !irr(1, 0x43) && !irr(2, 0x43), "a write outside 0xFEExxxxx is not an interrupt");
	machine_msi(&m, 0xfee00000, 0x5);
	tap_ok(!irr(0, 0x5), "an illegal vector (below 16) is not accepted");

	/* IPIs: the x2APIC ICR (SDM "Interrupt Command Register"). */
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, 0x51 | (2ull << 32));
	tap_ok(irr(2, 0x51) && !irr(1, 0x51), "fixed IPI, physical destination 2");
	/* Logical: cluster 0, bit 1 = APIC 1 (LDR = cluster << 16 | 1 << (id & 15)). */
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, 0x52 | (1u << 11) | (2ull << 32));
	tap_ok(irr(1, 0x52) && !irr(2, 0x52) && !irr(0, 0x52), "fixed IPI, logical destination: cluster 0 bit 1");
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, 0x53 | (3u << 18));
	tap_ok(!irr(0, 0x53) && irr(1, 0x53) && irr(2, 0x53), "shorthand all-excluding-self");
	lapic_msr_write(&vcpus[1].lapic, LAPIC_MSR_ICR, 0x54 | (2u << 18));
	tap_ok(irr(0, 0x54) && irr(1, 0x54) && irr(2, 0x54), "shorthand all-including-self");

	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, (4u << 8) | (2ull << 32));
	tap_ok(vcpus[2].nmi_pending && !vcpus[1].nmi_pending && kicks[2] > 0,
	       "NMI IPI: pending for the target's thread to queue, target kicked");
	machine_msi(&m, 0xfee01000, 4u << 8);
	tap_ok(vcpus[1].nmi_pending, "MSI with delivery mode NMI");

	/* INIT and SIPI (SDM "MP Initialization Protocol"). */
	vcpus[1].state = vcpus[2].state = VCPU_WAIT_SIPI;
	tap_ok(vcpus[1].state == VCPU_WAIT_SIPI && !vcpus[1].sipi_pending, "an AP starts waiting for SIPI");
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, 0x9a | (6u << 8) | (1ull << 32));
	tap_ok(vcpus[1].sipi_pending && vcpus[1].sipi_vector == 0x9a, "SIPI: vector 9Ah for the AP");
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, 0x9b | (6u << 8) | (1ull << 32));
	tap_ok(vcpus[1].sipi_vector == 0x9a, "a second SIPI while one is pending is ignored");
	vcpus[2].state = VCPU_RUNNABLE;
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, (5u << 8) | (2ull << 32));
	tap_ok(vcpus[2].state == VCPU_WAIT_SIPI, "INIT puts a running AP back to waiting for SIPI");
	vcpus[2].state = VCPU_RUNNABLE;
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, (5u << 8) | (1u << 15) | (2ull << 32));
	tap_ok(vcpus[2].state == VCPU_RUNNABLE, "INIT level de-assert resets nothing");
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_ICR, (5u << 8) | (1u << 15) | (1u << 14) | (2ull << 32));
	tap_ok(vcpus[2].state == VCPU_WAIT_SIPI, "INIT level assert does");
	lapic_msr_write(&vcpus[1].lapic, LAPIC_MSR_ICR, (5u << 8) | (0ull << 32));
	tap_ok(vcpus[0].state == VCPU_RUNNABLE, "INIT to the BSP is ignored");

	/* The 8259s through the BSP's LINT0 (virtual wire mode). */
	setup();
	pio(0x20, 0x11); pio(0x21, 0x20); pio(0x21, 0x04); pio(0x21, 0x01);
	pio(0xa0, 0x11); pio(0xa1, 0x28); pio(0xa1, 0x02); pio(0xa1, 0x01);
	pio(0x21, 0x00); pio(0xa1, 0x00);
	machine_isa_irq(&m, 1, true);
	tap_ok(m.pic_output && machine_irq_pending(&vcpus[0]) < 0,
	       "8259 INT with LINT0 masked (reset state): nothing to inject");
	lapic_msr_write(&vcpus[0].lapic, LAPIC_MSR_LVT_LINT0, 7u << 8);
	vec = machine_irq_pending(&vcpus[0]);
	tap_ok(vec == 0x21, "LINT0 as ExtINT: the 8259 vector (IRQ 1 -> 21h) is offered");
	tap_ok(machine_irq_pending(&vcpus[1]) < 0, "ExtINT only reaches the BSP");
	tap_ok(machine_irq_ack(&vcpus[0]) == 0x21 && !m.pic_output, "ack is the 8259's INTA cycle");
	for (i = 0; i < NCPUS; i++)
		pthread_cond_destroy(&vcpus[i].wake);
	return tap_done();
}
