// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/irq.c - interrupt routing between the device models and the
 * vCPUs, all with machine.lock held.
 *
 *   ISA IRQ n  -> 8259 pair input n, and I/O APIC pin n (IRQ 0: pin 2,
 *                 as the MADT's interrupt source override says)
 *   8259 INT   -> the BSP's LINT0 when that LVT is ExtINT and unmasked
 *                 (virtual wire mode, SDM Vol. 3A "Local Vector Table")
 *   I/O APIC   -> local APICs by physical or logical destination
 *   MSI        -> local APICs (SDM Vol. 3A "Message Signalled Interrupts":
 *                 address 0xFEExxxxx, destination ID in bits 19:12)
 *   ICR writes -> fixed/lowest-priority IPIs, NMI, INIT and SIPI
 *
 * A vector that becomes pending in a local APIC kicks its vCPU: a halted
 * one is woken, a running one is made to leave the guest so that the
 * vector is injected on the way back in.
 *
 * With the split irqchip (hv.h, lapic_in_kernel) the local APICs are the
 * kernel's: I/O APIC and MSI messages go to it as MSIs, IPIs and the
 * APIC timer never reach the monitor, and only the 8259s' ExtINT is
 * injected from here.
 */
#include <stdio.h>
#include <string.h>

#include "machine/machine.h"

/* Delivery modes (ICR, redirection entries, MSI data bits 10:8). */
enum { DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5,
       DM_SIPI = 6, DM_EXTINT = 7 };

void machine_vcpu_kick_locked(struct vcpu *v)
{
	if (v->state != VCPU_RUNNABLE) {
		pthread_cond_signal(&v->wake);
		return;
	}
	if (v->in_guest)
		v->hv.vm->backend->kick(&v->hv);
}

/* x2APIC logical destination: cluster in 31:16, bitmap in 15:0 (SDM
 * "Logical Destination Mode in x2APIC Mode"). */
static bool lapic_matches(const struct vcpu *v, uint32_t dest, bool logical)
{
	uint32_t ldr;

	if (!logical)
		return dest == 0xffffffffu || dest == v->lapic.id;
	ldr = (v->lapic.id >> 4) << 16 | 1u << (v->lapic.id & 15);
	if (dest == 0xffffffffu)
		return true;
	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
}

static void deliver_one(struct vcpu *v, uint8_t mode, uint8_t vector, bool level)
{
	switch (mode) {
	case DM_FIXED:
	case DM_LOWEST:
		/* Accepting kicks the vCPU (lapic_ops.kick). */
		lapic_accept(&v->lapic, vector, level);
		break;
	case DM_INIT:
		/* An AP goes back to waiting for SIPI; the BSP ignores INIT. */
		if (v->id != 0) {
			v->state = VCPU_WAIT_SIPI;
			v->sipi_pending = false;
			machine_vcpu_kick_locked(v);
		}
		break;
	case DM_SIPI:
		if (v->state == VCPU_WAIT_SIPI && !v->sipi_pending) {
			v->sipi_pending = true;
			v->sipi_vector = vector;
			pthread_cond_signal(&v->wake);
		}
		break;
	case DM_NMI:
		/* Queued by the vCPU's own thread (backends take vCPU ioctls there). */
		v->nmi_pending = true;
		machine_vcpu_kick_locked(v);
		break;
	default:
		/* SMI (no SMM here), lowest-priority ExtINT and reserved modes. */
		if (v->m->cfg.verbose)
			fprintf(stderr, "vmain: delivery mode %u to CPU %u dropped\n",
				mode, v->id);
		break;
	}
}

static void deliver(struct machine *m, uint32_t dest, bool logical,
		    uint8_t mode, uint8_t vector, bool level)
{
	unsigned int i;

	for (i = 0; i < m->nr_vcpus; i++) {
		if (!lapic_matches(&m->vcpus[i], dest, logical))
			continue;
		deliver_one(&m->vcpus[i], mode, vector, level);
		/* Lowest priority: one target is enough (any is allowed). */
		if (mode == DM_LOWEST)
			break;
	}
}

/*
 * The split irqchip (hv.h, lapic_in_kernel): a redirection entry as the
 * MSI it amounts to (SDM Vol. 3A 11.11.1, 11.11.2): destination in
 * address bits 19:12, destination mode in bit 2; vector, delivery mode
 * in data bits 10:8, trigger mode in bit 15 (level: bit 14 asserted).
 */
static void ioapic_msi(uint64_t rte, uint64_t *addr, uint32_t *data)
{
	bool level = rte & IOAPIC_RTE_LEVEL;

	*addr = 0xfee00000ull | (rte >> IOAPIC_RTE_DEST_SHIFT) << 12 |
		((rte & IOAPIC_RTE_DESTMODE) ? 1u << 2 : 0);
	*data = (uint32_t)(rte & (IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELMODE)) |
		(level ? 1u << 15 | 1u << 14 : 0);
}

/*
 * The kernel's APICs tell the monitor of an EOI only for vectors that a
 * level-triggered pin routes to them (KVM scans GSIs 0-23 for those):
 * those pins' messages go to the backend whenever they change.  Every
 * level entry counts, masked too: one masked while its Remote IRR is set
 * still waits for the EOI (82093AA datasheet 3.2.4).
 */
static void sync_ioapic_routes(struct machine *m)
{
	struct hv_msi r[HV_IOAPIC_PINS];
	unsigned int i;
	int ret;

	memset(r, 0, sizeof(r));
	for (i = 0; i < HV_IOAPIC_PINS && i < IOAPIC_NR_PINS; i++) {
		uint64_t rte = m->ioapic.rte[i];

		if (!(rte & IOAPIC_RTE_LEVEL) || (rte & IOAPIC_RTE_VECTOR) < 16)
			continue;
		ioapic_msi(rte, &r[i].addr, &r[i].data);
		r[i].valid = true;
	}
	if (m->ioapic_routes_set && !memcmp(r, m->ioapic_routes, sizeof(r)))
		return;
	ret = m->vm.backend->irqchip->set_ioapic_routes(&m->vm, r);
	if (ret) {
		/* Tried again at the next delivery; until then no EOI comes back. */
		fprintf(stderr, "vmain: cannot route the I/O APIC's pins: %s\n", strerror(-ret));
		return;
	}
	memcpy(m->ioapic_routes, r, sizeof(r));
	m->ioapic_routes_set = true;
}

void machine_irqchip_sync(struct machine *m)
{
	if (m->vm.lapic_in_kernel)
		sync_ioapic_routes(m);
}

static void kernel_msi(struct machine *m, uint64_t addr, uint32_t data)
{
	int ret = m->vm.backend->irqchip->signal_msi(&m->vm, addr, data);

	if (ret && m->cfg.verbose)
		fprintf(stderr, "vmain: MSI %#llx/%#x not delivered: %s\n",
			(unsigned long long)addr, data, strerror(-ret));
}

void machine_ioapic_deliver(void *opaque, uint8_t dest, uint8_t dest_mode,
			    uint8_t delivery_mode, uint8_t vector, bool level)
{
	struct machine *m = opaque;
	uint32_t d = dest;

	if (m->vm.lapic_in_kernel) {
		uint64_t rte = vector | (uint64_t)(delivery_mode & 7) << 8 |
			       (dest_mode ? IOAPIC_RTE_DESTMODE : 0) |
			       (level ? IOAPIC_RTE_LEVEL : 0) |
			       (uint64_t)dest << IOAPIC_RTE_DEST_SHIFT;
		uint64_t addr;
		uint32_t data;

		if (level)
			sync_ioapic_routes(m);	/* before the EOI can come */
		ioapic_msi(rte, &addr, &data);
		kernel_msi(m, addr, data);
		return;
	}

	/* An 8-bit broadcast (0xff) is the x2APIC broadcast. */
	if (d == 0xff)
		d = 0xffffffffu;
	deliver(m, d, dest_mode, delivery_mode, vector, level);
}

void machine_msi(struct machine *m, uint64_t addr, uint32_t data)
{
	uint32_t dest = (addr >> 12) & 0xff;

	if ((addr >> 20) != 0xfee)
		return;		/* not an interrupt message: dropped */
	if (m->vm.lapic_in_kernel) {
		kernel_msi(m, addr, data);
		return;
	}
	if (dest == 0xff)
		dest = 0xffffffffu;
	deliver(m, dest, (addr >> 2) & 1, (data >> 8) & 7, data & 0xff,
		false);
}

static void lapic_send_ipi(void *opaque, uint64_t icr)
{
	struct vcpu *self = opaque;
	struct machine *m = self->m;
	uint8_t vector = icr & 0xff, mode = (icr >> 8) & 7;
	bool logical = icr & (1u << 11);
	uint32_t dest = icr >> 32;
	unsigned int i;

	/*
	 * INIT level de-assert (INIT, trigger mode level, level 0) only
	 * synchronizes arbitration IDs on old APICs (SDM Vol. 3A, 11.6.1,
	 * "Interrupt Command Register"): it resets no CPU.  Linux sends it
	 * between INIT and the SIPIs.
	 */
	if (mode == DM_INIT && (icr & (1u << 15)) && !(icr & (1u << 14)))
		return;

	switch ((icr >> 18) & 3) {
	case 0:		/* no shorthand */
		deliver(m, dest, logical, mode, vector, false);
		break;
	case 1:		/* self: the model accepts these itself */
		break;
	case 2:		/* all including self */
	case 3:		/* all excluding self */
		for (i = 0; i < m->nr_vcpus; i++) {
			if (&m->vcpus[i] == self && ((icr >> 18) & 3) == 3)
				continue;
			deliver_one(&m->vcpus[i], mode, vector, false);
		}
		break;
	}
}

static void lapic_eoi(void *opaque, uint8_t vector)
{
	struct vcpu *v = opaque;

	/* Passed on after the APIC call returns (no re-entry into it). */
	v->pending_eoi[vector / 8] |= 1u << (vector % 8);
	v->has_eoi = true;
}

static void lapic_kick(void *opaque)
{
	machine_vcpu_kick_locked(opaque);
}

void machine_lapic_ops(struct lapic_ops *ops)
{
	ops->send_ipi = lapic_send_ipi;
	ops->eoi = lapic_eoi;
	ops->kick = lapic_kick;
}

void machine_flush_eois(struct vcpu *v)
{
	unsigned int i;

	if (!v->has_eoi)
		return;
	v->has_eoi = false;
	for (i = 0; i < 256; i++) {
		if (v->pending_eoi[i / 8] & (1u << (i % 8))) {
			v->pending_eoi[i / 8] &= ~(1u << (i % 8));
			ioapic_eoi(&v->m->ioapic, i);
		}
	}
}

/* The BSP's LINT0 takes the 8259s' INT when programmed as ExtINT. */
static bool extint_enabled(const struct vcpu *v)
{
	uint32_t lvt = v->lapic.lvt[LAPIC_LVT_LINT0];

	return v->id == 0 && !(lvt & LAPIC_LVT_MASKED) &&
	       ((lvt >> 8) & 7) == DM_EXTINT &&
	       (v->lapic.svr & LAPIC_SVR_ENABLE);
}

void machine_isa_irq(struct machine *m, unsigned int irq, bool level)
{
	i8259_set_irq(&m->pic, irq, level);
	ioapic_set_irq(&m->ioapic, irq == 0 ? 2 : irq, level);
}

int machine_irq_pending(struct vcpu *v)
{
	int vec;

	/*
	 * The kernel's APIC delivers its own vectors; only the 8259s' ExtINT
	 * goes in from here, and KVM itself checks that LINT0 takes it
	 * (ready_for_interrupt_injection; api.rst, KVM_INTERRUPT).
	 */
	if (v->m->vm.lapic_in_kernel)
		return v->id == 0 && v->m->pic_output ? i8259_pending(&v->m->pic) : -1;
	vec = lapic_next_vector(&v->lapic);

	if (vec >= 0)
		return vec;
	/* ExtINT: the vector the 8259s' INTA cycle would give. */
	if (extint_enabled(v) && v->m->pic_output)
		return i8259_pending(&v->m->pic);
	return -1;
}

int machine_irq_ack(struct vcpu *v)
{
	if (v->m->vm.lapic_in_kernel)
		return v->id == 0 && v->m->pic_output ? i8259_ack(&v->m->pic) : -1;
	if (lapic_next_vector(&v->lapic) >= 0)
		return lapic_ack(&v->lapic);
	if (extint_enabled(v) && v->m->pic_output)
		return i8259_ack(&v->m->pic);
	return -1;
}
