// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hv/backend-kvm.c - the KVM backend (/dev/kvm, Linux
 * Documentation/virt/kvm/api.rst), for hosts where vmain.ko cannot be
 * used: Secure Boot without a signed module, or VT-x/AMD-V held by KVM.
 *
 * Exits are translated into vmain's exit reasons; data stays where KVM
 * put it (kvm_run + data_offset, kvm_run.mmio.data), so device models
 * write results in place exactly as with the vmain backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "hv/backend-kvm.h"

/* The segment and descriptor-table layouts are the same in both ABIs. */
_Static_assert(sizeof(struct kvm_segment) == sizeof(struct vmain_segment),
	       "kvm_segment and vmain_segment differ");
_Static_assert(sizeof(struct kvm_dtable) == sizeof(struct vmain_dtable),
	       "kvm_dtable and vmain_dtable differ");

/* KVM puts the VMX real-mode TSS here unless told otherwise (api.rst). */
#define KVM_TSS_ADDR	0xfffbd000UL

/*
 * Until the machine moves the local APICs into KVM (irqchip->enable,
 * backend-kvm-irq.c), the local APIC is the monitor's
 * (devices/lapic.c), as with vmain.ko: without an in-kernel irqchip KVM finds the x2APIC MSRs invalid and,
 * with KVM_MSR_EXIT_REASON_INVAL, hands them to userspace.  It would
 * swallow IA32_TSC_DEADLINE writes, so a filter sends that one out too
 * (api.rst, KVM_CAP_X86_USER_SPACE_MSR and KVM_X86_SET_MSR_FILTER).
 */
static int kvm_msrs_to_userspace(struct hv_vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = { KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_FILTER },
	};
	static uint8_t deny_deadline[1];	/* bit clear: deny -> exit */
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = { {
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = 0x6e0,
			.bitmap = deny_deadline,
		} },
	};

	if (ioctl(vm->vmfd, KVM_ENABLE_CAP, &cap))
		return -errno;
	return ioctl(vm->vmfd, KVM_X86_SET_MSR_FILTER, &filter) ? -errno : 0;
}

static void kvm_vm_destroy(struct hv_vm *vm)
{
	kvm_irqchip_destroy(vm);
	hv_vm_close(vm);
}

static int kvm_vm_create(struct hv_vm *vm, const uint8_t uuid[16],
			 char *why, size_t whylen)
{
	int ret, version;

	(void)uuid;	/* KVM has no VM identity; the monitor's lock file is it */
	vm->sysfd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->sysfd < 0) {
		ret = -errno;
		snprintf(why, whylen, "/dev/kvm: %s", strerror(errno));
		return ret;
	}
	version = ioctl(vm->sysfd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(why, whylen, "/dev/kvm speaks API version %d, not %d",
			 version, KVM_API_VERSION);
		ret = -ENOTSUP;
		goto close_sys;
	}
	vm->run_size = ioctl(vm->sysfd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->vmfd = ioctl(vm->sysfd, KVM_CREATE_VM, 0);
	if (vm->vmfd < 0 || vm->run_size <= 0) {
		ret = -errno;
		snprintf(why, whylen, "KVM cannot create a VM: %s", strerror(errno));
		goto close_sys;
	}
	/* Needed on Intel for real mode without unrestricted guest. */
	ioctl(vm->vmfd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR);
	vm->irq_path = "local APIC in the monitor, KVM_INTERRUPT";
	ret = kvm_msrs_to_userspace(vm);
	if (ret) {
		snprintf(why, whylen, "KVM cannot pass the local APIC's MSRs to "
			 "userspace (KVM_CAP_X86_USER_SPACE_MSR): %s", strerror(-ret));
		goto close_vm;
	}
	return 0;

close_vm:
	close(vm->vmfd);
	vm->vmfd = -1;

close_sys:
	if (vm->vmfd >= 0)
		close(vm->vmfd);
	close(vm->sysfd);
	vm->sysfd = vm->vmfd = -1;
	return ret;
}

static int kvm_set_memory(struct hv_vm *vm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *hva, bool readonly)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->vmfd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static int kvm_set_memory_logged(struct hv_vm *vm, uint32_t slot, uint64_t gpa,
				 uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm->vmfd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/* KVM's bitmap is unsigned longs: 64-bit words on x86-64, as ours. */
static int kvm_get_dirty_log(struct hv_vm *vm, uint32_t slot, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return ioctl(vm->vmfd, KVM_GET_DIRTY_LOG, &log) ? -errno : 0;
}

/*
 * A kick is a signal to the vCPU thread (its handler does nothing: the
 * point is KVM_RUN's EINTR) plus immediate_exit, which covers a kick that
 * lands just before KVM_RUN (api.rst, "immediate_exit").
 */
#define KVM_KICK_SIGNAL SIGUSR1

static void kvm_kick_handler(int sig)
{
	(void)sig;
}

static int kvm_vcpu_create(struct hv_vcpu *vcpu)
{
	struct sigaction sa;

	/* No SA_RESTART: the point of the signal is KVM_RUN's EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kvm_kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVM_KICK_SIGNAL, &sa, NULL))
		return -errno;
	return hv_vcpu_open(vcpu, KVM_CREATE_VCPU);
}

static int kvm_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	memset(exit, 0, sizeof(*exit));
	if (ioctl(vcpu->fd, KVM_RUN, 0)) {
		int err = errno;

		/*
		 * With KVM's APIC, an AP waiting for INIT/SIPI returns EAGAIN
		 * when one arrives: enter again, as after a signal.
		 */
		if (err == EAGAIN)
			err = EINTR;
		exit->reason = err == EINTR ? VMAIN_EXIT_INTR : VMAIN_EXIT_NONE;
		return -err;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->reason = VMAIN_EXIT_IO;
		exit->io.in = run->io.direction == KVM_EXIT_IO_IN;
		exit->io.size = run->io.size;
		exit->io.port = run->io.port;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		break;
	case KVM_EXIT_MMIO:
		exit->reason = VMAIN_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.data = run->mmio.data;
		exit->mmio.len = run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		break;
	case KVM_EXIT_HLT:
		exit->reason = VMAIN_EXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = VMAIN_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		exit->reason = VMAIN_EXIT_IRQ_WINDOW;
		break;
	case KVM_EXIT_INTR:
		exit->reason = VMAIN_EXIT_INTR;
		return -EINTR;
	case KVM_EXIT_IOAPIC_EOI:
		exit->reason = HV_EXIT_IOAPIC_EOI;
		exit->eoi_vector = run->eoi.vector;
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		exit->reason = VMAIN_EXIT_MSR;
		exit->msr.index = run->msr.index;
		exit->msr.write = run->exit_reason == KVM_EXIT_X86_WRMSR;
		exit->msr.data = (uint64_t *)&run->msr.data;
		exit->msr.error = &run->msr.error;
		run->msr.error = 0;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->reason = VMAIN_EXIT_FAIL_ENTRY;
		exit->hw_reason = run->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		/* Anything else KVM reports is an error to the monitor. */
		exit->reason = VMAIN_EXIT_INTERNAL_ERROR;
		exit->suberror = run->exit_reason == KVM_EXIT_INTERNAL_ERROR ?
				 run->internal.suberror : 0x10000 + run->exit_reason;
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			hv_exit_set_data(exit, run->internal.ndata,
					 (const uint64_t *)run->internal.data);
		break;
	}
	return 0;
}

static int kvm_get_regs(struct hv_vcpu *vcpu, struct vmain_regs *r)
{
	struct kvm_regs k;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &k))
		return -errno;
	memset(r, 0, sizeof(*r));
	r->rax = k.rax; r->rcx = k.rcx; r->rdx = k.rdx; r->rbx = k.rbx;
	r->rsp = k.rsp; r->rbp = k.rbp; r->rsi = k.rsi; r->rdi = k.rdi;
	r->r8 = k.r8; r->r9 = k.r9; r->r10 = k.r10; r->r11 = k.r11;
	r->r12 = k.r12; r->r13 = k.r13; r->r14 = k.r14; r->r15 = k.r15;
	r->rip = k.rip;
	r->rflags = k.rflags;
	return 0;
}

static int kvm_set_regs(struct hv_vcpu *vcpu, const struct vmain_regs *r)
{
	struct kvm_regs k = {
		.rax = r->rax, .rcx = r->rcx, .rdx = r->rdx, .rbx = r->rbx,
		.rsp = r->rsp, .rbp = r->rbp, .rsi = r->rsi, .rdi = r->rdi,
		.r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11,
		.r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
		.rip = r->rip, .rflags = r->rflags,
	};

	return ioctl(vcpu->fd, KVM_SET_REGS, &k) ? -errno : 0;
}

static void seg_from_kvm(struct vmain_segment *v, const struct kvm_segment *k)
{
	memcpy(v, k, sizeof(*v));
	v->pad = 0;
}

static void seg_to_kvm(struct kvm_segment *k, const struct vmain_segment *v)
{
	memcpy(k, v, sizeof(*k));
	k->padding = 0;
}

static int kvm_get_sregs(struct hv_vcpu *vcpu, struct vmain_sregs *s)
{
	struct kvm_sregs k;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &k))
		return -errno;
	memset(s, 0, sizeof(*s));
	seg_from_kvm(&s->cs, &k.cs);
	seg_from_kvm(&s->ds, &k.ds);
	seg_from_kvm(&s->es, &k.es);
	seg_from_kvm(&s->fs, &k.fs);
	seg_from_kvm(&s->gs, &k.gs);
	seg_from_kvm(&s->ss, &k.ss);
	seg_from_kvm(&s->tr, &k.tr);
	seg_from_kvm(&s->ldt, &k.ldt);
	s->gdt.base = k.gdt.base;
	s->gdt.limit = k.gdt.limit;
	s->idt.base = k.idt.base;
	s->idt.limit = k.idt.limit;
	s->cr0 = k.cr0;
	s->cr2 = k.cr2;
	s->cr3 = k.cr3;
	s->cr4 = k.cr4;
	s->cr8 = k.cr8;
	s->efer = k.efer;
	s->apic_base = k.apic_base;
	return 0;
}

static int kvm_set_sregs(struct hv_vcpu *vcpu, const struct vmain_sregs *s)
{
	struct kvm_sregs k;

	/* Keep what KVM has that vmain's struct does not (the IRQ bitmap). */
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &k))
		return -errno;
	seg_to_kvm(&k.cs, &s->cs);
	seg_to_kvm(&k.ds, &s->ds);
	seg_to_kvm(&k.es, &s->es);
	seg_to_kvm(&k.fs, &s->fs);
	seg_to_kvm(&k.gs, &s->gs);
	seg_to_kvm(&k.ss, &s->ss);
	seg_to_kvm(&k.tr, &s->tr);
	seg_to_kvm(&k.ldt, &s->ldt);
	k.gdt.base = s->gdt.base;
	k.gdt.limit = s->gdt.limit;
	k.idt.base = s->idt.base;
	k.idt.limit = s->idt.limit;
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.cr8 = s->cr8;
	k.efer = s->efer;
	k.apic_base = s->apic_base;
	return ioctl(vcpu->fd, KVM_SET_SREGS, &k) ? -errno : 0;
}

static int kvm_interrupt(struct hv_vcpu *vcpu, uint8_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	return ioctl(vcpu->fd, KVM_INTERRUPT, &irq) ? -errno : 0;
}

static int kvm_nmi(struct hv_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_NMI, 0) ? -errno : 0;
}

static void kvm_request_irq_window(struct hv_vcpu *vcpu, bool on)
{
	((struct kvm_run *)vcpu->run)->request_interrupt_window = on;
}

static bool kvm_ready_for_interrupt(struct hv_vcpu *vcpu)
{
	return ((struct kvm_run *)vcpu->run)->ready_for_interrupt_injection;
}

static void kvm_kick(struct hv_vcpu *vcpu)
{
	((struct kvm_run *)vcpu->run)->immediate_exit = 1;
	if (vcpu->has_thread && !pthread_equal(vcpu->thread, pthread_self()))
		pthread_kill(vcpu->thread, KVM_KICK_SIGNAL);
}

static void kvm_kick_done(struct hv_vcpu *vcpu)
{
	((struct kvm_run *)vcpu->run)->immediate_exit = 0;
}

static int kvm_set_cpuid(struct hv_vcpu *vcpu,
			 const struct vmain_cpuid_entry *e, uint32_t n)
{
	struct kvm_cpuid2 *c;
	uint32_t i;
	int ret;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = n;
	for (i = 0; i < n; i++) {
		c->entries[i].function = e[i].function;
		c->entries[i].index = e[i].index;
		c->entries[i].flags = (e[i].flags & VMAIN_CPUID_INDEXED) ?
				      KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
		c->entries[i].eax = e[i].eax;
		c->entries[i].ebx = e[i].ebx;
		c->entries[i].ecx = e[i].ecx;
		c->entries[i].edx = e[i].edx;
	}
	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, c) ? -errno : 0;
	free(c);
	return ret;
}

static int kvm_supported_cpuid(struct hv_vm *vm, struct vmain_cpuid_entry *e,
			       uint32_t *n)
{
	struct kvm_cpuid2 *c;
	uint32_t i;
	int ret = 0;

	c = calloc(1, sizeof(*c) + *n * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = *n;
	if (ioctl(vm->sysfd, KVM_GET_SUPPORTED_CPUID, c)) {
		ret = -errno;
		goto free_c;
	}
	for (i = 0; i < c->nent; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].function = c->entries[i].function;
		e[i].index = c->entries[i].index;
		e[i].flags = (c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ?
			     VMAIN_CPUID_INDEXED : 0;
		e[i].eax = c->entries[i].eax;
		e[i].ebx = c->entries[i].ebx;
		e[i].ecx = c->entries[i].ecx;
		e[i].edx = c->entries[i].edx;
	}
	*n = c->nent;
free_c:
	free(c);
	return ret;
}

static int kvm_set_msr(struct hv_vcpu *vcpu, uint32_t index, uint64_t data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;
	int ret;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	m.e.data = data;
	ret = ioctl(vcpu->fd, KVM_SET_MSRS, &m);
	if (ret < 0)
		return -errno;
	return ret == 1 ? 0 : -EINVAL;
}

/*
 * KVM_KVMCLOCK_CTRL (Documentation/virt/kvm/api.rst): KVM sets
 * PVCLOCK_GUEST_STOPPED in the guest's kvmclock record.  EINVAL means the
 * guest has no kvmclock: nothing to tell.
 */
static int kvm_clock_stopped(struct hv_vcpu *vcpu)
{
	if (ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0) && errno != EINVAL)
		return -errno;
	return 0;
}

/*
 * KVM_GET_CLOCK / KVM_SET_CLOCK (Documentation/virt/kvm/api.rst 4.43,
 * 4.44): the VM's kvmclock value in ns, which every vCPU's record is made
 * from.  Set with no flags: KVM makes the clock read `ns` now.
 */
static int kvm_get_clock(struct hv_vm *vm, uint64_t *ns)
{
	struct kvm_clock_data d;

	memset(&d, 0, sizeof(d));
	if (ioctl(vm->vmfd, KVM_GET_CLOCK, &d))
		return -errno;
	*ns = d.clock;
	return 0;
}

static int kvm_set_clock(struct hv_vm *vm, uint64_t ns)
{
	struct kvm_clock_data d;

	memset(&d, 0, sizeof(d));
	d.clock = ns;
	return ioctl(vm->vmfd, KVM_SET_CLOCK, &d) ? -errno : 0;
}

/* The kvmclock MSRs (Documentation/virt/kvm/x86/msr.rst): KVM serves them. */
#define KVM_MSR_WALL_CLOCK_NEW	0x4b564d00
#define KVM_MSR_SYSTEM_TIME_NEW	0x4b564d01
#define KVM_MSR_PV_EOI_EN	0x4b564d04
#define MSR_SPEC_CTRL		0x48
#define STATE_NR_MSRS		(sizeof(struct hv_state_msrs) / sizeof(uint64_t))

struct kvm_state_msrs {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[STATE_NR_MSRS + 3];
};

/*
 * hv_state_msrs[], then kvmclock's system time; on SET also its wall
 * clock, but only once the guest has given it an address: KVM writes the
 * wall clock to the guest-physical address written, 0 included.  Last,
 * with the local APIC in KVM, the paravirtual EOI MSR (hv.h, pv_eoi).
 */
static int kvm_state_msrs(struct hv_vcpu *vcpu, struct hv_vcpu_state *st, bool set)
{
	struct kvm_state_msrs m;
	unsigned int i, n, wall = 0, eoi = 0;
	int ret;

	memset(&m, 0, sizeof(m));
	for (i = n = 0; i < hv_state_nr_msrs; i++) {
		/*
		 * KVM refuses any write to SPEC_CTRL, 0 included, on a host
		 * without it; a new vCPU's is 0 already (SET only: GET keeps
		 * every position).
		 */
		if (set && hv_state_msrs[i].index == MSR_SPEC_CTRL &&
		    !*hv_state_msr_value(&st->msr, i))
			continue;
		m.e[n].index = hv_state_msrs[i].index;
		m.e[n++].data = set ? *hv_state_msr_value(&st->msr, i) : 0;
	}
	i = n;
	m.e[i].index = KVM_MSR_SYSTEM_TIME_NEW;
	m.e[i++].data = st->pvclock_system_time;
	if (!set || st->pvclock_wall_clock) {
		wall = i;
		m.e[i].index = KVM_MSR_WALL_CLOCK_NEW;
		m.e[i++].data = st->pvclock_wall_clock;
	}
	if (vcpu->vm->lapic_in_kernel) {
		eoi = i;
		m.e[i].index = KVM_MSR_PV_EOI_EN;
		m.e[i++].data = st->pv_eoi;
	}
	n = i;
	m.hdr.nmsrs = n;
	ret = ioctl(vcpu->fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m);
	if (ret < 0)
		return -errno;
	if ((unsigned int)ret != n)
		return -EIO;	/* KVM stopped at entry `ret` */
	if (set)
		return 0;
	for (i = 0; i < hv_state_nr_msrs; i++)
		*hv_state_msr_value(&st->msr, i) = m.e[i].data;
	st->pvclock_system_time = m.e[i].data;
	st->pvclock_wall_clock = m.e[wall].data;
	st->pv_eoi = eoi ? m.e[eoi].data : 0;
	return 0;
}

static void events_from_kvm(struct vmain_events *v, const struct kvm_vcpu_events *k)
{
	memset(v, 0, sizeof(*v));
	/* Without KVM_CAP_EXCEPTION_PAYLOAD KVM folds "pending" into "injected". */
	if (k->exception.injected || k->exception.pending) {
		v->exception_pending = 1;
		v->exception_vector = k->exception.nr;
		v->exception_has_error = hv_vector_has_error(k->exception.nr);
		v->exception_error_code = k->exception.has_error_code ?
					  k->exception.error_code : 0;
	}
	if (k->interrupt.injected && !k->interrupt.soft) {
		v->interrupt_pending = 1;
		v->interrupt_vector = k->interrupt.nr;
	}
	v->nmi_pending = k->nmi.pending || k->nmi.injected;
	v->nmi_masked = !!k->nmi.masked;
	v->interrupt_shadow = !!k->interrupt.shadow;
}

static void events_to_kvm(struct kvm_vcpu_events *k, const struct vmain_events *v,
			  const struct vmain_sregs *s)
{
	memset(k, 0, sizeof(*k));
	k->exception.injected = v->exception_pending;
	k->exception.nr = v->exception_vector;
	/* The CPU pushes no error code in real mode (SDM Vol. 3A 20.1.4). */
	k->exception.has_error_code = v->exception_has_error && (s->cr0 & 1);
	k->exception.error_code = v->exception_error_code;
	k->interrupt.injected = v->interrupt_pending;
	k->interrupt.nr = v->interrupt_vector;
	/*
	 * One flag in the neutral state; MOV SS's kind, because VT-x refuses
	 * STI blocking with RFLAGS.IF clear (SDM Vol. 3C 27.3.1.5) and both
	 * block the same events.
	 */
	k->interrupt.shadow = v->interrupt_shadow ? KVM_X86_SHADOW_INT_MOV_SS : 0;
	k->nmi.pending = v->nmi_pending;
	k->nmi.masked = v->nmi_masked;
	k->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
}

/*
 * KVM finishes an exit's instruction (an OUT's RIP advance, an IN's
 * data) only in the next KVM_RUN; with immediate_exit that RUN does it
 * and returns EINTR without entering the guest (api.rst, "immediate_exit"
 * and the note on saving state after KVM_EXIT_IO/MMIO).
 */
static int kvm_complete_exit(struct hv_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t saved = run->immediate_exit;
	int ret = -EIO;

	run->immediate_exit = 1;
	if (ioctl(vcpu->fd, KVM_RUN, 0))
		ret = errno == EINTR ? 0 : -errno;
	run->immediate_exit = saved;
	return ret;
}

static int kvm_settle(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	uint8_t saved = run->immediate_exit;
	int ret;

	run->immediate_exit = 1;
	ret = kvm_vcpu_run(vcpu, exit);
	run->immediate_exit = saved;
	if (ret == -EINTR)
		return 0;
	return ret ? ret : 1;
}

static int kvm_get_state(struct hv_vcpu *vcpu, struct hv_vcpu_state *st)
{
	struct kvm_vcpu_events ev;
	struct kvm_xsave *xs;
	struct kvm_xcrs xcrs;
	unsigned int i;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = kvm_complete_exit(vcpu);
	if (!ret)
		ret = kvm_get_regs(vcpu, &st->regs);
	if (!ret)
		ret = kvm_get_sregs(vcpu, &st->sregs);
	if (ret)
		return ret;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	memset(&xcrs, 0, sizeof(xcrs));
	if (ioctl(vcpu->fd, KVM_GET_XSAVE, xs) || ioctl(vcpu->fd, KVM_GET_XCRS, &xcrs) ||
	    ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev)) {
		ret = -errno;
		goto free_xs;
	}
	_Static_assert(sizeof(xs->region) == HV_XSAVE_SIZE, "kvm_xsave region size");
	memcpy(st->xsave, xs->region, HV_XSAVE_SIZE);
	st->xsave_size = HV_XSAVE_SIZE;
	st->xcr0 = 1;
	for (i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (xcrs.xcrs[i].xcr == 0)
			st->xcr0 = xcrs.xcrs[i].value;
	hv_xsave_normalize(st);
	events_from_kvm(&st->events, &ev);
	ret = kvm_state_msrs(vcpu, st, false);
free_xs:
	free(xs);
	return ret;
}

static int kvm_set_state(struct hv_vcpu *vcpu, const struct hv_vcpu_state *st)
{
	struct kvm_vcpu_events ev;
	struct kvm_xsave *xs;
	struct kvm_xcrs xcrs;
	int ret;

	if (st->xsave_size < HV_XSAVE_MIN_SIZE || st->xsave_size > HV_XSAVE_SIZE)
		return -EINVAL;
	ret = kvm_set_sregs(vcpu, &st->sregs);
	if (!ret)
		ret = kvm_set_regs(vcpu, &st->regs);
	if (ret)
		return ret;
	xs = calloc(1, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	memcpy(xs->region, st->xsave, st->xsave_size);
	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = st->xcr0;
	/* XCR0 first: KVM checks the image's components against it. */
	if (ioctl(vcpu->fd, KVM_SET_XCRS, &xcrs) || ioctl(vcpu->fd, KVM_SET_XSAVE, xs)) {
		ret = -errno;
		goto free_xs;
	}
	ret = kvm_state_msrs(vcpu, (struct hv_vcpu_state *)st, true);
	if (ret)
		goto free_xs;
	events_to_kvm(&ev, &st->events, &st->sregs);
	ret = ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) ? -errno : 0;
free_xs:
	free(xs);
	return ret;
}

const struct hv_backend hv_backend_kvm = {
	.name			= "kvm",
	.vm_create		= kvm_vm_create,
	.vm_destroy		= kvm_vm_destroy,
	.set_memory		= kvm_set_memory,
	.set_memory_logged	= kvm_set_memory_logged,
	.get_dirty_log		= kvm_get_dirty_log,
	.vcpu_create		= kvm_vcpu_create,
	.vcpu_destroy		= hv_vcpu_close,
	.vcpu_run		= kvm_vcpu_run,
	.get_regs		= kvm_get_regs,
	.set_regs		= kvm_set_regs,
	.get_sregs		= kvm_get_sregs,
	.set_sregs		= kvm_set_sregs,
	.interrupt		= kvm_interrupt,
	.nmi			= kvm_nmi,
	.request_irq_window	= kvm_request_irq_window,
	.ready_for_interrupt	= kvm_ready_for_interrupt,
	.kick			= kvm_kick,
	.kick_done		= kvm_kick_done,
	.set_cpuid		= kvm_set_cpuid,
	.supported_cpuid	= kvm_supported_cpuid,
	.set_msr		= kvm_set_msr,
	.clock_stopped		= kvm_clock_stopped,
	.settle			= kvm_settle,
	.get_state		= kvm_get_state,
	.set_state		= kvm_set_state,
	.get_clock		= kvm_get_clock,
	.set_clock		= kvm_set_clock,
	.irqchip		= &kvm_irqchip_ops,
};
