// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv/backend-kvm-irq.c - the KVM backend's split irqchip (Linux
 * Documentation/virt/kvm/api.rst, KVM_CAP_SPLIT_IRQCHIP): the local APICs
 * in the kernel, the I/O APIC and the 8259s in the monitor.
 *
 * Interrupt messages (MSI-X, the I/O APIC's) go in as MSIs.  A message
 * seen before has a GSI route of type KVM_IRQ_ROUTING_MSI and an irqfd
 * (KVM_IRQFD): raising it is a write to that eventfd.  A new message
 * takes a free route (up to KVM_IRQ_CACHE) or, with none free, the oldest
 * one; KVM_SIGNAL_MSI is the fallback when KVM refuses a route.  The
 * table is keyed by the message, not by device and vector: a vector the
 * guest re-targets becomes a new message, and the old route ages out.
 *
 * GSIs 0-23 are the I/O APIC's pins (KVM_CAP_SPLIT_IRQCHIP's args[0]):
 * KVM delivers nothing on them here, but scans them for level-triggered
 * vectors whose EOI must come back to the monitor (KVM_EXIT_IOAPIC_EOI;
 * api.rst, KVM_CAP_SPLIT_IRQCHIP).  The machine keeps them in step with
 * the redirection table (set_ioapic_routes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "hv/backend-kvm.h"

#define KVM_IRQ_CACHE		64	/* irqfd routes, GSIs 24 .. 24 + 63 */
#define KVM_IRQ_FIRST_GSI	HV_IOAPIC_PINS

struct kvm_msi_route {
	uint64_t addr;
	uint32_t data;
	int fd;				/* -1: the slot is free */
	uint64_t used;			/* age, for replacing the oldest */
};

struct split_chip {
	pthread_mutex_t lock;
	struct hv_msi ioapic[HV_IOAPIC_PINS];
	struct kvm_msi_route cache[KVM_IRQ_CACHE];
	uint64_t clock;
	bool irqfd_broken;		/* KVM refused one: KVM_SIGNAL_MSI from then on */
};

static struct split_chip *chip(struct hv_vm *vm)
{
	return vm->priv;
}

/*
 * The filter kvm_msrs_to_userspace() set sends IA32_TSC_DEADLINE to the
 * monitor's APIC; KVM's own APIC serves it now: no ranges, all allowed.
 */
static int no_msr_filter(struct hv_vm *vm)
{
	struct kvm_msr_filter filter = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };

	return ioctl(vm->vmfd, KVM_X86_SET_MSR_FILTER, &filter) ? -errno : 0;
}

static int kvm_irqchip_enable(struct hv_vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args = { HV_IOAPIC_PINS },
	};
	struct split_chip *c;
	unsigned int i;

	/* irqfd and ioeventfd come with any KVM that has the split irqchip (4.5+). */
	if (ioctl(vm->sysfd, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP) <= 0 ||
	    ioctl(vm->sysfd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0 ||
	    ioctl(vm->sysfd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0 ||
	    ioctl(vm->sysfd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) <= 0)
		return -EOPNOTSUPP;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (ioctl(vm->vmfd, KVM_ENABLE_CAP, &cap)) {
		int ret = -errno;

		free(c);
		return ret;
	}
	/*
	 * Past this point the APICs are KVM's whatever follows; a filter
	 * KVM will not clear would leave the deadline MSR exiting to a
	 * model that no longer runs: stop there.
	 */
	if (no_msr_filter(vm)) {
		free(c);
		return -EIO;
	}
	pthread_mutex_init(&c->lock, NULL);
	for (i = 0; i < KVM_IRQ_CACHE; i++)
		c->cache[i].fd = -1;
	vm->priv = c;
	vm->lapic_in_kernel = true;
	vm->irq_path = "local APIC in KVM (split irqchip), irqfd, ioeventfd";
	return 0;
}

void kvm_irqchip_destroy(struct hv_vm *vm)
{
	struct split_chip *c = chip(vm);
	unsigned int i;

	if (!c)
		return;
	/* The VM fd is closed after this: KVM drops its irqfds with it. */
	for (i = 0; i < KVM_IRQ_CACHE; i++)
		if (c->cache[i].fd >= 0)
			close(c->cache[i].fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
	vm->priv = NULL;
}

static void msi_entry(struct kvm_irq_routing_entry *e, uint32_t gsi, uint64_t addr,
		      uint32_t data)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
}

/* KVM_SET_GSI_ROUTING replaces the whole table: the pins and the cache. */
static int commit_routes(struct hv_vm *vm, struct split_chip *c)
{
	struct kvm_irq_routing *r;
	unsigned int i, n = 0;
	int ret;

	r = calloc(1, sizeof(*r) + (HV_IOAPIC_PINS + KVM_IRQ_CACHE) * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < HV_IOAPIC_PINS; i++)
		if (c->ioapic[i].valid)
			msi_entry(&r->entries[n++], i, c->ioapic[i].addr, c->ioapic[i].data);
	for (i = 0; i < KVM_IRQ_CACHE; i++)
		if (c->cache[i].fd >= 0)
			msi_entry(&r->entries[n++], KVM_IRQ_FIRST_GSI + i, c->cache[i].addr,
				  c->cache[i].data);
	r->nr = n;
	ret = ioctl(vm->vmfd, KVM_SET_GSI_ROUTING, r) ? -errno : 0;
	free(r);
	return ret;
}

static int kvm_set_ioapic_routes(struct hv_vm *vm, const struct hv_msi routes[HV_IOAPIC_PINS])
{
	struct split_chip *c = chip(vm);
	int ret;

	pthread_mutex_lock(&c->lock);
	memcpy(c->ioapic, routes, sizeof(c->ioapic));
	ret = commit_routes(vm, c);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

static int irqfd(struct hv_vm *vm, int fd, uint32_t gsi, bool assign)
{
	struct kvm_irqfd f = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(vm->vmfd, KVM_IRQFD, &f) ? -errno : 0;
}

/* The message's irqfd, made on first use; -1 where KVM cannot have one. */
static int route_fd(struct hv_vm *vm, struct split_chip *c, uint64_t addr, uint32_t data)
{
	struct kvm_msi_route *e, *victim = NULL;
	unsigned int i;
	int fd;

	for (i = 0; i < KVM_IRQ_CACHE; i++) {
		e = &c->cache[i];
		if (e->fd >= 0 && e->addr == addr && e->data == data) {
			e->used = ++c->clock;
			return e->fd;
		}
		if (!victim || (victim->fd >= 0 && (e->fd < 0 || e->used < victim->used)))
			victim = e;
	}
	if (c->irqfd_broken)
		return -1;
	i = (unsigned int)(victim - c->cache);
	if (victim->fd >= 0) {
		/*
		 * The oldest message gives up its GSI.  Reusing it at once is
		 * safe: KVM_IRQFD's deassign returns only once the irqfd's
		 * shutdown work has run, after which nothing more is injected
		 * on that GSI (virt/kvm/eventfd.c, kvm_irqfd_deassign()), and
		 * every write to the old eventfd was made under c->lock.
		 */
		irqfd(vm, victim->fd, KVM_IRQ_FIRST_GSI + i, false);
		close(victim->fd);
		victim->fd = -1;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -1;
	victim->fd = fd;
	victim->addr = addr;
	victim->data = data;
	victim->used = ++c->clock;
	if (commit_routes(vm, c) || irqfd(vm, fd, KVM_IRQ_FIRST_GSI + i, true)) {
		victim->fd = -1;
		close(fd);
		commit_routes(vm, c);
		c->irqfd_broken = true;
		return -1;
	}
	return fd;
}

static int kvm_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data)
{
	static const uint64_t one = 1;
	struct split_chip *c = chip(vm);
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	int fd;

	pthread_mutex_lock(&c->lock);
	fd = route_fd(vm, c, addr, data);
	/* An eventfd's counter only saturates after 2^64 - 2 writes. */
	if (fd >= 0 && write(fd, &one, sizeof(one)) == sizeof(one)) {
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);
	/* 0: the message reached no APIC (masked, disabled): not an error. */
	return ioctl(vm->vmfd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static int kvm_ioeventfd(struct hv_vm *vm, uint64_t gpa, int fd, bool assign)
{
	struct kvm_ioeventfd e = {
		.addr = gpa,
		.len = 0,	/* any size (KVM_CAP_IOEVENTFD_ANY_LENGTH) */
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	if (ioctl(vm->sysfd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD_ANY_LENGTH) <= 0)
		e.len = 2;	/* virtio's notify is a 16-bit write (4.1.4.4) */
	return ioctl(vm->vmfd, KVM_IOEVENTFD, &e) ? -errno : 0;
}

static int kvm_get_lapic(struct hv_vcpu *vcpu, uint8_t regs[HV_LAPIC_PAGE])
{
	struct kvm_lapic_state s;

	_Static_assert(sizeof(s.regs) == HV_LAPIC_PAGE, "kvm_lapic_state size");
	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &s))
		return -errno;
	memcpy(regs, s.regs, HV_LAPIC_PAGE);
	return 0;
}

static int kvm_set_lapic(struct hv_vcpu *vcpu, const uint8_t regs[HV_LAPIC_PAGE])
{
	struct kvm_lapic_state s;

	memcpy(s.regs, regs, HV_LAPIC_PAGE);
	return ioctl(vcpu->fd, KVM_SET_LAPIC, &s) ? -errno : 0;
}

static int kvm_get_mp_state(struct hv_vcpu *vcpu, enum hv_mp_state *st)
{
	struct kvm_mp_state mp;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp))
		return -errno;
	switch (mp.mp_state) {
	case KVM_MP_STATE_HALTED:
		*st = HV_MP_HALTED;
		break;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
		*st = HV_MP_WAIT_SIPI;
		break;
	default:
		*st = HV_MP_RUNNABLE;
		break;
	}
	return 0;
}

static int kvm_set_mp_state(struct hv_vcpu *vcpu, enum hv_mp_state st)
{
	struct kvm_mp_state mp = {
		.mp_state = st == HV_MP_HALTED ? KVM_MP_STATE_HALTED :
			    st == HV_MP_WAIT_SIPI ? KVM_MP_STATE_INIT_RECEIVED :
			    KVM_MP_STATE_RUNNABLE,
	};

	return ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) ? -errno : 0;
}

static int kvm_get_msr(struct hv_vcpu *vcpu, uint32_t index, uint64_t *data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	ret = ioctl(vcpu->fd, KVM_GET_MSRS, &m);
	if (ret < 0)
		return -errno;
	if (ret != 1)
		return -EINVAL;
	*data = m.e.data;
	return 0;
}

const struct hv_irqchip_ops kvm_irqchip_ops = {
	.enable			= kvm_irqchip_enable,
	.signal_msi		= kvm_signal_msi,
	.set_ioapic_routes	= kvm_set_ioapic_routes,
	.ioeventfd		= kvm_ioeventfd,
	.get_lapic		= kvm_get_lapic,
	.set_lapic		= kvm_set_lapic,
	.get_mp_state		= kvm_get_mp_state,
	.set_mp_state		= kvm_set_mp_state,
	.get_msr		= kvm_get_msr,
};
