// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/rm-irq.c - external interrupts with vectors 0-15 for a vCPU in
 * real mode, delivered by the monitor.
 *
 * A BIOS programs the master 8259 at vector base 08h (IRQ 0-7 on vectors
 * 08h-0Fh), where real mode has no exceptions in the way.  vmain.ko's
 * VMAIN_VCPU_INTERRUPT takes vectors 16-255 only (docs/abi.md: EINVAL
 * below), so such an interrupt could never be injected: the vCPU would
 * ask for an interrupt window, get it, fail to inject, and ask again,
 * forever (SeaBIOS's first timer tick did exactly that).  At an
 * interrupt-window exit (an instruction boundary, IF set, no shadow) the
 * monitor does what the CPU does in real-address mode (SDM Vol. 3A
 * 20.1.4 "Interrupt and Exception Handling", Intel; AMD APM Vol. 2
 * 8.7.1): push FLAGS, CS and IP on SS:SP, clear IF, TF and AC, and load
 * CS:IP from the interrupt vector table entry at vector * 4.  A backend
 * that takes the vector (KVM) gets it the ordinary way; a protected-mode
 * guest with such a vector is a state the backend cannot serve, and the
 * machine stops with a message instead of spinning.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "machine/firmware.h"
#include "machine/machine.h"

#define RFLAGS_TF	(1u << 8)
#define RFLAGS_IF	(1u << 9)
#define RFLAGS_AC	(1u << 18)
#define CR0_PE		1u

/* One 16-bit push at SS:SP (SP wraps within the segment). */
static int push16(struct machine *m, const struct vmain_sregs *s, uint16_t *sp, uint16_t val)
{
	uint8_t *p;

	*sp = (uint16_t)(*sp - 2);
	p = gmem_ptr(&m->ram, s->ss.base + *sp, 2);
	if (!p)
		return -EFAULT;
	p[0] = (uint8_t)val;
	p[1] = (uint8_t)(val >> 8);
	return 0;
}

static int real_mode_deliver(struct vcpu *v, uint8_t vector)
{
	const struct hv_backend *be = v->m->vm.backend;
	struct vmain_sregs s;
	struct vmain_regs r;
	const uint8_t *ivt;
	uint16_t sp;
	int ret;

	ret = be->get_regs(&v->hv, &r);
	if (!ret)
		ret = be->get_sregs(&v->hv, &s);
	if (ret)
		return ret;
	if (s.cr0 & CR0_PE)
		return -EINVAL;
	ivt = gmem_ptr(&v->m->ram, (uint64_t)vector * 4, 4);
	if (!ivt)
		return -EFAULT;
	sp = (uint16_t)r.rsp;
	ret = push16(v->m, &s, &sp, (uint16_t)r.rflags);
	if (!ret)
		ret = push16(v->m, &s, &sp, s.cs.selector);
	if (!ret)
		ret = push16(v->m, &s, &sp, (uint16_t)r.rip);
	if (ret)
		return ret;
	r.rsp = (r.rsp & ~0xffffull) | sp;
	r.rflags &= ~(uint64_t)(RFLAGS_IF | RFLAGS_TF | RFLAGS_AC);
	r.rip = (uint16_t)(ivt[0] | ivt[1] << 8);
	s.cs.selector = (uint16_t)(ivt[2] | ivt[3] << 8);
	s.cs.base = (uint64_t)s.cs.selector << 4;
	ret = be->set_sregs(&v->hv, &s);
	if (!ret)
		ret = be->set_regs(&v->hv, &r);
	return ret;
}

void firmware_irq_window(struct vcpu *v)
{
	const struct hv_backend *be = v->m->vm.backend;
	int vec = machine_irq_pending(v), ret;

	if (vec < 0 || vec >= 16 || !be->ready_for_interrupt(&v->hv))
		return;
	ret = be->interrupt(&v->hv, (uint8_t)vec);
	if (ret == -EINVAL)
		ret = real_mode_deliver(v, (uint8_t)vec);
	if (!ret) {
		machine_irq_ack(v);
		return;
	}
	if (ret == -EBUSY)
		return;
	fprintf(stderr, "vmain: CPU %u: cannot deliver interrupt vector %d: %s%s\n", v->id, vec,
		strerror(-ret), ret == -EINVAL ? " (vectors 0-15 only in real mode)" : "");
	machine_stop_locked(v->m, MACHINE_EXIT_ERROR);
}
