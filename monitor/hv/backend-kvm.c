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
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "hv/hv.h"

/* The segment and descriptor-table layouts are the same in both ABIs. */
_Static_assert(sizeof(struct kvm_segment) == sizeof(struct vmain_segment),
	       "kvm_segment and vmain_segment differ");
_Static_assert(sizeof(struct kvm_dtable) == sizeof(struct vmain_dtable),
	       "kvm_dtable and vmain_dtable differ");

/* KVM puts the VMX real-mode TSS here unless told otherwise (api.rst). */
#define KVM_TSS_ADDR	0xfffbd000UL

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
	return 0;

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

static int kvm_vcpu_create(struct hv_vcpu *vcpu)
{
	return hv_vcpu_open(vcpu, KVM_CREATE_VCPU);
}

static int kvm_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	memset(exit, 0, sizeof(*exit));
	if (ioctl(vcpu->fd, KVM_RUN, 0)) {
		int err = errno;

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
	case KVM_EXIT_FAIL_ENTRY:
		exit->reason = VMAIN_EXIT_FAIL_ENTRY;
		exit->hw_reason = run->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		/* Anything else KVM reports is an error to the monitor. */
		exit->reason = VMAIN_EXIT_INTERNAL_ERROR;
		exit->suberror = run->exit_reason == KVM_EXIT_INTERNAL_ERROR ?
				 run->internal.suberror : 0x10000 + run->exit_reason;
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

static void kvm_request_irq_window(struct hv_vcpu *vcpu, bool on)
{
	((struct kvm_run *)vcpu->run)->request_interrupt_window = on;
}

static bool kvm_ready_for_interrupt(struct hv_vcpu *vcpu)
{
	return ((struct kvm_run *)vcpu->run)->ready_for_interrupt_injection;
}

const struct hv_backend hv_backend_kvm = {
	.name			= "kvm",
	.vm_create		= kvm_vm_create,
	.vm_destroy		= hv_vm_close,
	.set_memory		= kvm_set_memory,
	.vcpu_create		= kvm_vcpu_create,
	.vcpu_destroy		= hv_vcpu_close,
	.vcpu_run		= kvm_vcpu_run,
	.get_regs		= kvm_get_regs,
	.set_regs		= kvm_set_regs,
	.get_sregs		= kvm_get_sregs,
	.set_sregs		= kvm_set_sregs,
	.interrupt		= kvm_interrupt,
	.request_irq_window	= kvm_request_irq_window,
	.ready_for_interrupt	= kvm_ready_for_interrupt,
};
