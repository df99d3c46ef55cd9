// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * machine/irqchip.c - the machine's side of KVM's split irqchip (hv.h,
 * lapic_in_kernel; Linux Documentation/virt/kvm/api.rst,
 * KVM_CAP_SPLIT_IRQCHIP): the local APICs run in KVM, so their timers,
 * IPIs, INIT/SIPI, HLT and EOIs never reach the monitor; device
 * interrupts go in as MSIs (machine/irq.c), and virtio queue
 * notifications as ioeventfds, here.
 *
 * ioeventfds.  Each virtio-net and virtio-blk queue's notify address (BAR 0 + 0x3000 + 4q;
 * virtio 1.2 4.1.4.4) gets an eventfd that KVM signals on a guest write
 * there instead of exiting (KVM_IOEVENTFD).  The I/O loop watches them and
 * hands each notification to the transport as the MMIO write it replaces,
 * with machine.lock held, so the transport's own checks (DRIVER_OK, queue
 * enabled, a reset in progress) still decide.  The eventfds live as long
 * as the machine: only their addresses follow the BAR and the command
 * register's memory-space bit (machine_ioeventfds_sync()), so no watch is
 * ever removed under the lock its callback takes.
 *
 * The APIC's state.  Saves keep the monitor's model format (devices/
 * lapic.h): the kernel's register page (SDM Vol. 3A table 11-1 "Local
 * APIC Register Address Map"), its TSC deadline and run state are copied
 * into a struct lapic for lapic_save(), and a loaded one is copied back,
 * so a save moves between the split irqchip, the monitor's model and
 * vmain.ko.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio-net.h"
#include "io/ioloop.h"
#include "machine/machine.h"
#include "virtio/virtio-pci.h"

int machine_irqchip_enable(struct machine *m)
{
	const struct hv_backend *be = m->vm.backend;
	const char *e = getenv("VMAIN_KVM_IRQCHIP");
	int ret = -EOPNOTSUPP;

	/* VMAIN_KVM_IRQCHIP=monitor: the monitor's APIC, for comparisons. */
	if (be->irqchip && !(e && !strcmp(e, "monitor")))
		ret = be->irqchip->enable(&m->vm);
	if (ret && ret != -EOPNOTSUPP) {
		fprintf(stderr, "vmain: cannot move the local APICs into %s: %s\n",
			be->name, strerror(-ret));
		return ret;
	}
	if (m->cfg.verbose)
		fprintf(stderr, "vmain: interrupts: %s\n",
			m->vm.irq_path ? m->vm.irq_path : "local APIC in the monitor");
	return 0;
}

/* --- ioeventfds ----------------------------------------------------------- */

struct ioeventfd {
	struct machine *m;
	struct pci_dev *dev;
	uint16_t q;
	int fd;
	uint64_t gpa;			/* where KVM signals it; 0: nowhere */
	struct ioloop_watch *watch;
};

struct machine_ioeventfds {
	unsigned int n;
	struct ioeventfd e[];
};

static uint64_t notify_offset(unsigned int q)
{
	return VIRTIO_PCI_NOTIFY_OFF + (uint64_t)VIRTIO_PCI_NOTIFY_MULT * q;
}

/* The MMIO write KVM took instead of exiting (lock held). */
static void notify(struct ioeventfd *e)
{
	uint64_t v = e->q;

	pci_bar_access(e->dev, VIRTIO_PCI_BAR, notify_offset(e->q), 2, true, &v);
}

/* Empties the counter: true if the guest wrote since the last time. */
static bool drain(int fd)
{
	uint64_t n;

	return read(fd, &n, sizeof(n)) == sizeof(n) && n;
}

/* I/O thread: the eventfd is read before the lock (no host I/O under it). */
static void ioeventfd_fired(void *opaque, uint32_t events)
{
	struct ioeventfd *e = opaque;

	(void)events;
	if (!drain(e->fd))
		return;
	pthread_mutex_lock(&e->m->lock);
	notify(e);
	pthread_mutex_unlock(&e->m->lock);
}

/*
 * The devices whose queue_notify only hands work to the I/O loop (a bottom
 * half), so that it does the same from the loop's thread as from a vCPU's:
 * virtio-net and virtio-blk, where the exits cost throughput.  The
 * others (console, rng, GPU, input) serve their queues in the notify
 * itself and keep their exits.
 */
static struct virtio_pci *notified(struct pci_dev *dev)
{
	struct virtio_pci *vp = virtio_pci_of(dev);

	return vp && (vp->type == VIRTIO_ID_NET || vp->type == VIRTIO_ID_BLOCK) ? vp : NULL;
}

static unsigned int count_queues(struct machine *m)
{
	struct virtio_pci *vp;
	unsigned int d, n = 0;

	for (d = 0; d < PCI_NR_DEVFN; d++)
		if ((vp = notified(m->pci.devs[d])))
			n += vp->nr_queues;
	return n;
}

int machine_ioeventfds_init(struct machine *m)
{
	struct machine_ioeventfds *t;
	struct virtio_pci *vp;
	unsigned int d, q, n;
	int ret;

	if (!m->vm.lapic_in_kernel || !m->cfg.ioloop)
		return 0;
	n = count_queues(m);
	t = calloc(1, sizeof(*t) + n * sizeof(t->e[0]));
	if (!t)
		return -ENOMEM;
	m->ioeventfds = t;
	for (d = 0; d < PCI_NR_DEVFN; d++) {
		if (!(vp = notified(m->pci.devs[d])))
			continue;
		for (q = 0; q < vp->nr_queues && t->n < n; q++) {
			struct ioeventfd *e = &t->e[t->n];

			e->m = m;
			e->dev = &vp->pci;
			e->q = (uint16_t)q;
			e->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (e->fd < 0) {
				ret = -errno;
				goto fail;
			}
			t->n++;
			ret = ioloop_watch_fd(m->cfg.ioloop, e->fd, EPOLLIN, ioeventfd_fired, e,
					      &e->watch);
			if (ret)
				goto fail;
		}
	}
	pthread_mutex_lock(&m->lock);
	machine_ioeventfds_sync(m);
	pthread_mutex_unlock(&m->lock);
	return 0;

fail:
	fprintf(stderr, "vmain: cannot make the virtio notify eventfds: %s\n", strerror(-ret));
	machine_ioeventfds_fini(m);
	return ret;
}

/* Where queue e's notify write lands now, or 0 while the BAR does not decode. */
static uint64_t notify_gpa(const struct ioeventfd *e)
{
	uint64_t bar = pci_bar_addr(e->dev, VIRTIO_PCI_BAR);

	if (!bar || !(pci_cfg_get16(e->dev, PCI_COMMAND) & PCI_COMMAND_MEMORY))
		return 0;
	return bar + notify_offset(e->q);
}

void machine_ioeventfds_sync(struct machine *m)
{
	const struct hv_irqchip_ops *ops = m->vm.backend->irqchip;
	struct machine_ioeventfds *t = m->ioeventfds;
	unsigned int i;

	for (i = 0; t && i < t->n; i++) {
		struct ioeventfd *e = &t->e[i];
		uint64_t want = notify_gpa(e);

		if (want == e->gpa)
			continue;
		if (e->gpa)
			ops->ioeventfd(&m->vm, e->gpa, e->fd, false);
		e->gpa = 0;
		/*
		 * Refused (another device's ioeventfd at that address after a
		 * guest stacked two BARs): the write exits as before.
		 */
		if (want && !ops->ioeventfd(&m->vm, want, e->fd, true))
			e->gpa = want;
		/* A write KVM took at the old address still counts. */
		if (drain(e->fd))
			notify(e);
	}
}

void machine_ioeventfds_flush(struct machine *m)
{
	struct machine_ioeventfds *t = m->ioeventfds;
	unsigned int i;

	for (i = 0; t && i < t->n; i++)
		if (drain(t->e[i].fd))
			notify(&t->e[i]);
}

void machine_ioeventfds_fini(struct machine *m)
{
	const struct hv_irqchip_ops *ops = m->vm.backend->irqchip;
	struct machine_ioeventfds *t = m->ioeventfds;
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		struct ioeventfd *e = &t->e[i];

		if (e->watch)
			ioloop_unwatch(m->cfg.ioloop, e->watch);
		if (e->gpa)
			ops->ioeventfd(&m->vm, e->gpa, e->fd, false);
		close(e->fd);
	}
	free(t);
	m->ioeventfds = NULL;
}

/* --- the APIC's state for save and restore -------------------------------- */

/* Register page offsets (SDM Vol. 3A table 11-1). */
#define APIC_TPR	0x080
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_LVT_CMCI	0x2f0
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EXTD	(1ull << 10)	/* x2APIC mode (SDM 11.12.1) */
#define APIC_LVT_TIMER	0x320
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0

/* LVT registers in struct lapic.lvt[] order (CMCI first, then 320h-370h). */
static unsigned int lvt_offset(unsigned int i)
{
	return i == LAPIC_LVT_CMCI ? APIC_LVT_CMCI : APIC_LVT_TIMER + 0x10 * (i - 1);
}

static uint32_t get32(const uint8_t *page, unsigned int off)
{
	uint32_t v;

	memcpy(&v, page + off, 4);
	return v;
}

static void put32(uint8_t *page, unsigned int off, uint32_t v)
{
	memcpy(page + off, &v, 4);
}

#define TIMER_MODE(lvt)		(((lvt) >> 17) & 3)	/* 0 one-shot, 1 periodic, 2 TSC deadline */

/*
 * Whether KVM's APIC is in x2APIC mode: its page then holds ICR high as
 * the whole 32-bit destination, in xAPIC mode the 8-bit one in bits
 * 31:24 (SDM 11.6.1, 11.12.9).  The model keeps the destination in ICR
 * bits 63:32 either way (machine/xapic.c for the xAPIC page), so a save
 * carries it whichever APIC the next run uses.
 */
static int lapic_x2apic(struct vcpu *v, bool *x2apic)
{
	uint64_t base = 0;
	int ret = v->m->vm.backend->irqchip->get_msr(&v->hv, MSR_APIC_BASE, &base);

	*x2apic = base & APIC_BASE_EXTD;
	return ret;
}

/* The divide configuration's divisor ("Divide Configuration Register"). */
static uint64_t divisor(uint32_t dcr)
{
	unsigned int v = (dcr & 3) | ((dcr >> 1) & 4);

	return v == 7 ? 1 : 2ull << v;
}

const struct lapic *machine_irqchip_lapic_get(struct vcpu *v, struct lapic *tmp, int *err)
{
	const struct hv_irqchip_ops *ops = v->m->vm.backend->irqchip;
	uint8_t page[HV_LAPIC_PAGE];
	enum hv_mp_state mp;
	uint32_t ccr;
	unsigned int i;
	int64_t now;

	if (!v->m->vm.lapic_in_kernel)
		return &v->lapic;
	*err = ops->get_lapic(&v->hv, page);
	if (!*err)
		*err = ops->get_mp_state(&v->hv, &mp);
	if (*err)
		return NULL;
	*tmp = v->lapic;	/* ops, clock and ID: the model's */
	tmp->tpr = get32(page, APIC_TPR) & 0xff;
	/* Bit 12 (EOI-broadcast suppression) is not in the model: dropped. */
	tmp->svr = get32(page, APIC_SVR) & 0x3ff;
	tmp->esr = get32(page, APIC_ESR);
	tmp->esr_pending = 0;
	tmp->icr = get32(page, APIC_ICR) & ~(1u << 12);	/* delivery status: idle */
	{
		bool x2apic;

		*err = lapic_x2apic(v, &x2apic);
		if (*err)
			return NULL;
		tmp->icr |= (uint64_t)(x2apic ? get32(page, APIC_ICR2) :
				       get32(page, APIC_ICR2) >> 24) << 32;
	}
	for (i = 0; i < LAPIC_NR_LVT; i++)
		tmp->lvt[i] = get32(page, lvt_offset(i));
	for (i = 0; i < 8; i++) {
		tmp->isr[i] = get32(page, APIC_ISR + 0x10 * i);
		tmp->tmr[i] = get32(page, APIC_TMR + 0x10 * i);
		tmp->irr[i] = get32(page, APIC_IRR + 0x10 * i);
	}
	/*
	 * The timer as the model keeps it: started so long ago that its
	 * count is where KVM's is (both count at LAPIC_TIMER_HZ, 1 GHz).
	 */
	tmp->timer_initial = get32(page, APIC_TMICT);
	tmp->timer_dcr = get32(page, APIC_TDCR) & 0xb;
	ccr = get32(page, APIC_TMCCT);
	now = tmp->now(tmp->now_opaque);
	tmp->timer_fired = 0;
	tmp->tsc_deadline = 0;
	tmp->timer_armed = false;
	tmp->timer_start_ns = now;
	if (TIMER_MODE(tmp->lvt[LAPIC_LVT_TIMER]) == 2) {
		*err = ops->get_msr(&v->hv, LAPIC_MSR_TSC_DEADLINE, &tmp->tsc_deadline);
		if (*err)
			return NULL;
	} else if (tmp->timer_initial && ccr && ccr <= tmp->timer_initial) {
		tmp->timer_armed = true;
		tmp->timer_start_ns = now - (int64_t)((tmp->timer_initial - ccr) *
						      divisor(tmp->timer_dcr));
	}
	/* The run state the save records (v->state), as KVM holds it. */
	v->state = mp == HV_MP_HALTED ? VCPU_HALTED :
		   mp == HV_MP_WAIT_SIPI ? VCPU_WAIT_SIPI : VCPU_RUNNABLE;
	v->sipi_pending = false;
	return tmp;
}

int machine_irqchip_lapic_put(struct vcpu *v)
{
	const struct hv_irqchip_ops *ops = v->m->vm.backend->irqchip;
	struct machine *m = v->m;
	uint8_t page[HV_LAPIC_PAGE];
	struct lapic_ops lops;
	uint64_t ccr = 0;
	unsigned int i;
	int ret;

	if (!m->vm.lapic_in_kernel)
		return 0;
	/* KVM's page first: its ID, LDR and version stay. */
	ret = ops->get_lapic(&v->hv, page);
	if (ret)
		return ret;
	put32(page, APIC_TPR, v->lapic.tpr);
	put32(page, APIC_SVR, v->lapic.svr);
	put32(page, APIC_ESR, v->lapic.esr);
	{
		bool x2apic;

		ret = lapic_x2apic(v, &x2apic);
		if (ret)
			return ret;
		/* Registers only: KVM_SET_LAPIC sends no IPI for them. */
		put32(page, APIC_ICR, (uint32_t)v->lapic.icr & ~(1u << 12));
		put32(page, APIC_ICR2, x2apic ? (uint32_t)(v->lapic.icr >> 32) :
			(uint32_t)(uint8_t)(v->lapic.icr >> 32) << 24);
	}
	for (i = 0; i < LAPIC_NR_LVT; i++)
		put32(page, lvt_offset(i), v->lapic.lvt[i]);
	for (i = 0; i < 8; i++) {
		put32(page, APIC_ISR + 0x10 * i, v->lapic.isr[i]);
		put32(page, APIC_TMR + 0x10 * i, v->lapic.tmr[i]);
		put32(page, APIC_IRR + 0x10 * i, v->lapic.irr[i]);
	}
	/* KVM_SET_LAPIC restarts the timer from the current count it is given. */
	lapic_msr_read(&v->lapic, LAPIC_MSR_TIMER_CCR, &ccr);
	put32(page, APIC_TDCR, v->lapic.timer_dcr);
	put32(page, APIC_TMICT, v->lapic.timer_initial);
	put32(page, APIC_TMCCT, (uint32_t)ccr);
	ret = ops->set_lapic(&v->hv, page);
	if (!ret && TIMER_MODE(v->lapic.lvt[LAPIC_LVT_TIMER]) == 2 && v->lapic.tsc_deadline)
		ret = m->vm.backend->set_msr(&v->hv, LAPIC_MSR_TSC_DEADLINE,
					     v->lapic.tsc_deadline);
	/*
	 * A SIPI the model had taken but its AP thread had not yet acted on
	 * cannot be handed to KVM (KVM_SET_MP_STATE has no vector): the AP
	 * waits for the next one, as Linux sends two (SDM Vol. 3A 9.4.4.1).
	 */
	if (!ret)
		ret = ops->set_mp_state(&v->hv, v->state == VCPU_HALTED ? HV_MP_HALTED :
					v->state == VCPU_WAIT_SIPI ? HV_MP_WAIT_SIPI :
					HV_MP_RUNNABLE);
	if (ret)
		return ret;
	/* KVM holds all of it now: the thread just enters, the model idles. */
	v->state = VCPU_RUNNABLE;
	v->sipi_pending = false;
	machine_lapic_ops(&lops);
	lapic_init(&v->lapic, &lops, v, v->id, machine_tsc_ns, m, m->tsc_hz);
	return 0;
}
