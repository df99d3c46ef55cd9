// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu.c - the vCPU fd: its mapped run structure, its ioctls and the run
 * loop, independent of the engine (kmod/svm/, kmod/vmx/).
 *
 * Lifetime: a vCPU fd holds a reference to its VM's file, and the vCPU
 * object lives as long as the VM (it is freed in the VM's release), so
 * code that walks vm->vcpus[] (TLB flushes from the MMU notifier) never
 * meets a freed vCPU.
 *
 * Leaving guest mode on demand: another thread sets a request bit, then
 * looks at vcpu->mode; the vCPU sets mode to IN_GUEST with interrupts off,
 * then looks at its request bits before entering (vcpu_enter_check()).
 * Either the vCPU sees the request, or the requester sees IN_GUEST and
 * interrupts the CPU, which forces a #VMEXIT; with wait=1 the requester
 * returns only after the vCPU has left guest mode.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>

#include "core.h"
#include "vm.h"
#include "vcpu.h"
#include "mitigate.h"

static void vcpu_ipi_noop(void *unused)
{
}

void vmain_vcpu_kick_all(struct vmain_vm *vm, int request)
{
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++)
		set_bit(request, &vm->vcpus[i]->requests);
	smp_mb__after_atomic();
	for (i = 0; i < n; i++) {
		struct vmain_vcpu *vcpu = vm->vcpus[i];

		if (READ_ONCE(vcpu->mode) == VCPU_IN_GUEST)
			smp_call_function_single(READ_ONCE(vcpu->cpu),
						 vcpu_ipi_noop, NULL, 1);
	}
}

bool vmain_vcpu_enter_check(struct vmain_vcpu *vcpu)
{
	lockdep_assert_irqs_disabled();
	/*
	 * The FPU registers belong to the guest now (fpu_swap_kvm_fpstate()
	 * made its state the task's).  If the task was scheduled out, or the
	 * kernel used the FPU (kernel_fpu_begin() in a softirq, say), they
	 * were saved and TIF_NEED_FPU_LOAD set: they hold someone else's
	 * values until reloaded.  Reload them here, with interrupts off so
	 * nothing can take them again before the entry, or the guest's XMM
	 * and x87 state is silently corrupted.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	vcpu->cpu = smp_processor_id();
	WRITE_ONCE(vcpu->mode, VCPU_IN_GUEST);
	smp_mb();	/* mode before requests: pairs with kick_all */
	/*
	 * hw_dead is checked again here, with interrupts off: the reboot
	 * notifier's IPI that turns virtualization off on this CPU may have
	 * come after the run loop's check, and CLGI/VMRUN would then #UD.
	 */
	if (test_bit(VCPU_REQ_KICK, &vcpu->requests) ||
	    signal_pending(current) || need_resched() || vmain_hw_dead()) {
		WRITE_ONCE(vcpu->mode, VCPU_OUTSIDE_GUEST);
		return false;
	}
	return true;
}

static long vcpu_kick(struct vmain_vcpu *vcpu, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	set_bit(VCPU_REQ_KICK, &vcpu->requests);
	smp_mb__after_atomic();
	if (READ_ONCE(vcpu->mode) == VCPU_IN_GUEST)
		smp_call_function_single(READ_ONCE(vcpu->cpu), vcpu_ipi_noop,
					 NULL, 0);
	return 0;
}

static long vcpu_run(struct vmain_vcpu *vcpu, unsigned long arg)
{
	const struct vmain_engine_ops *ops = vmain_engine();
	struct vmain_run *run = vcpu->run;
	int ret;

	if (arg)
		return -EINVAL;
	run->exit_reason = VMAIN_EXIT_NONE;
	if (READ_ONCE(run->immediate_exit)) {
		/*
		 * The instruction behind the last exit is finished first, so
		 * state read afterwards (save/restore) is complete.
		 */
		ret = vmain_complete_user_exit(vcpu);
		if (ret <= 0)
			return ret;
		run->exit_reason = VMAIN_EXIT_INTR;
		return -EINTR;
	}

	if (vcpu->check_state) {
		struct vmain_sregs sregs;
		struct vmain_gprs g;

		ops->get_sregs(vcpu, &sregs);
		ops->get_gprs(vcpu, &g);
		if (vmain_check_state(&sregs, g.rflags)) {
			/* hardware_reason 0: the module's own checks (state.c). */
			run->exit_reason = VMAIN_EXIT_FAIL_ENTRY;
			memset(&run->exit.fail_entry, 0, sizeof(run->exit.fail_entry));
			run->exit.fail_entry.cpu = raw_smp_processor_id();
			return 0;
		}
		vcpu->check_state = false;
	}

	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	/* Finish the instruction behind the last exit with userspace's data. */
	ret = vmain_complete_user_exit(vcpu);
	while (ret > 0) {
		if (vmain_hw_dead()) {
			ret = -EIO;	/* rebooting: no more guest entries */
			break;
		}
		if (test_and_clear_bit(VCPU_REQ_KICK, &vcpu->requests)) {
			run->exit_reason = VMAIN_EXIT_KICK;
			ret = 0;
			break;
		}
		if (signal_pending(current)) {
			run->exit_reason = VMAIN_EXIT_INTR;
			ret = -EINTR;
			break;
		}
		cond_resched();
		ret = ops->run(vcpu);
		if (ret > 0)
			run->exits_in_kernel++;
	}
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	return ret;
}

static long vcpu_get_regs(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_regs regs;
	struct vmain_gprs g;

	vmain_engine()->get_gprs(vcpu, &g);
	memset(&regs, 0, sizeof(regs));
	/* struct vmain_regs starts with the 16 GPRs in encoding order. */
	BUILD_BUG_ON(offsetof(struct vmain_regs, r15) != 15 * sizeof(u64));
	memcpy(&regs, g.r, sizeof(g.r));
	regs.rip = g.rip;
	regs.rflags = g.rflags | X86_EFLAGS_FIXED;
	return copy_to_user(uarg, &regs, sizeof(regs)) ? -EFAULT : 0;
}

static long vcpu_set_regs(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_regs regs;
	struct vmain_gprs g;

	if (copy_from_user(&regs, uarg, sizeof(regs)))
		return -EFAULT;
	if (regs.flags || regs.pad || memchr_inv(regs.reserved, 0, sizeof(regs.reserved)))
		return -EINVAL;
	memcpy(g.r, &regs, sizeof(g.r));
	g.rip = regs.rip;
	g.rflags = regs.rflags | X86_EFLAGS_FIXED;
	vmain_engine()->set_gprs(vcpu, &g);
	/* New state: the instruction behind the last exit is abandoned. */
	vcpu->pending = PENDING_NONE;
	vcpu->check_state = true;
	return 0;
}

static bool sregs_pads_clear(const struct vmain_sregs *s)
{
	const struct vmain_segment *segs[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(segs); i++)
		if (segs[i]->pad)
			return false;
	return !s->flags && !s->pad && !memchr_inv(s->reserved, 0, sizeof(s->reserved)) &&
	       !memchr_inv(s->gdt.pad, 0, sizeof(s->gdt.pad)) &&
	       !memchr_inv(s->idt.pad, 0, sizeof(s->idt.pad));
}

static long vcpu_get_sregs(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_sregs sregs;

	memset(&sregs, 0, sizeof(sregs));
	vmain_engine()->get_sregs(vcpu, &sregs);
	sregs.apic_base = vcpu->apic_base;
	return copy_to_user(uarg, &sregs, sizeof(sregs)) ? -EFAULT : 0;
}

static long vcpu_set_sregs(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_sregs sregs;
	int ret;

	if (copy_from_user(&sregs, uarg, sizeof(sregs)))
		return -EFAULT;
	if (!sregs_pads_clear(&sregs))
		return -EINVAL;
	ret = vmain_msr_check_apic_base(sregs.apic_base);
	if (ret)
		return ret;
	ret = vmain_engine()->set_sregs(vcpu, &sregs);
	if (ret)
		return ret;
	vcpu->apic_base = sregs.apic_base;
	vcpu->pending = PENDING_NONE;
	vcpu->check_state = true;
	return 0;
}

static long vcpu_get_fpu(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_fpu *fpu;
	long ret;

	fpu = kzalloc(sizeof(*fpu), GFP_KERNEL_ACCOUNT);
	if (!fpu)
		return -ENOMEM;
	fpu->xcr0 = vcpu->xcr0;
	/*
	 * Every component the host enables may be in the guest's image;
	 * PKRU is kept apart (switch.c) and goes into its slot here.
	 */
	fpu_copy_guest_fpstate_to_uabi(&vcpu->guest_fpu, fpu->xsave,
				       sizeof(fpu->xsave),
				       vmain_host_xcr0(), vcpu->pkru);
	ret = copy_to_user(uarg, fpu, sizeof(*fpu)) ? -EFAULT : 0;
	kfree(fpu);
	return ret;
}

static long vcpu_set_fpu(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_fpu *fpu;
	u32 pkru = vcpu->pkru;	/* unchanged if the image has no PKRU */
	long ret;

	fpu = memdup_user(uarg, sizeof(*fpu));
	if (IS_ERR(fpu))
		return PTR_ERR(fpu);
	ret = -EINVAL;
	if (fpu->flags || fpu->pad || memchr_inv(fpu->reserved, 0, sizeof(fpu->reserved)))
		goto out;
	ret = vmain_xcr0_check(fpu->xcr0);
	if (ret)
		goto out;
	/* The kernel validates the image against the guest's feature set. */
	ret = fpu_copy_uabi_to_guest_fpstate(&vcpu->guest_fpu, fpu->xsave,
					     fpu->xcr0, &pkru);
	if (ret)
		goto out;
	vcpu->xcr0 = fpu->xcr0;
	vcpu->pkru = pkru;
out:
	kfree(fpu);
	return ret;
}

static long vcpu_get_events(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_events ev;
	bool shadow;

	/*
	 * An event's fields are those of the event pending, all zero when
	 * none is (not the last one delivered): equal states read equal.
	 */
	memset(&ev, 0, sizeof(ev));
	if (vcpu->exc_pending) {
		ev.exception_pending = 1;
		ev.exception_vector = vcpu->exc_vector;
		ev.exception_has_error = vcpu->exc_has_error;
		ev.exception_error_code = vcpu->exc_error;
	}
	if (vcpu->irq_pending) {
		ev.interrupt_pending = 1;
		ev.interrupt_vector = vcpu->irq_vector;
	}
	ev.nmi_pending = vcpu->nmi_pending;
	ev.nmi_masked = vcpu->nmi_masked;
	vmain_engine()->get_shadow(vcpu, &shadow);
	ev.interrupt_shadow = shadow;
	return copy_to_user(uarg, &ev, sizeof(ev)) ? -EFAULT : 0;
}

static long vcpu_set_events(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_events ev;

	if (copy_from_user(&ev, uarg, sizeof(ev)))
		return -EFAULT;
	if (ev.pad0 || memchr_inv(ev.pad1, 0, sizeof(ev.pad1)) || ev.flags ||
	    ev.pad2 || memchr_inv(ev.reserved, 0, sizeof(ev.reserved)))
		return -EINVAL;
	if (ev.exception_pending > 1 || ev.exception_has_error > 1 ||
	    ev.interrupt_pending > 1 || ev.nmi_pending > 1 ||
	    ev.nmi_masked > 1 || ev.interrupt_shadow > 1)
		return -EINVAL;
	/* Exceptions are vectors 0-31; NMI (2) has its own field. */
	if (ev.exception_pending && (ev.exception_vector >= 32 ||
				     ev.exception_vector == X86_TRAP_NMI))
		return -EINVAL;
	/* Exactly the exceptions that push an error code may carry one. */
	if (ev.exception_pending &&
	    ev.exception_has_error != vmain_exception_has_error(ev.exception_vector))
		return -EINVAL;
	/* interrupt_vector is a u8: every vector is one (VMAIN_CAP_LOW_VECTORS). */
	vcpu->exc_pending = ev.exception_pending;
	vcpu->exc_vector = ev.exception_vector;
	vcpu->exc_has_error = ev.exception_has_error;
	vcpu->exc_error = ev.exception_error_code;
	vcpu->irq_pending = ev.interrupt_pending;
	vcpu->irq_vector = ev.interrupt_vector;
	vcpu->nmi_pending = ev.nmi_pending;
	vcpu->nmi_masked = ev.nmi_masked;
	vmain_engine()->set_shadow(vcpu, ev.interrupt_shadow);
	return 0;
}

static long vcpu_interrupt(struct vmain_vcpu *vcpu, void __user *uarg)
{
	struct vmain_interrupt irq;

	if (copy_from_user(&irq, uarg, sizeof(irq)))
		return -EFAULT;
	/*
	 * Any vector: an external interrupt is injected as such on both
	 * engines (EVENTINJ type 0, APM 15.20; VM-entry interruption type 0,
	 * SDM 26.2.1.3 restricts only NMIs, exceptions and type 7), so a
	 * vector below 32 runs its IDT/IVT entry without an error code, as a
	 * PC's 8259 at 08h does under a BIOS (VMAIN_CAP_LOW_VECTORS).
	 */
	if (irq.flags || irq.reserved || irq.vector > 255)
		return -EINVAL;
	if (vcpu->irq_pending)
		return -EBUSY;
	vcpu->irq_pending = true;
	vcpu->irq_vector = irq.vector;
	return 0;
}

static long vcpu_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vmain_vcpu *vcpu = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	if (current->mm != vcpu->vm->mm)
		return -EPERM;
	/* KICK is for other threads while RUN holds the mutex. */
	if (cmd == VMAIN_VCPU_KICK)
		return vcpu_kick(vcpu, arg);

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (cmd) {
	case VMAIN_VCPU_RUN:
		ret = vcpu_run(vcpu, arg);
		break;
	case VMAIN_VCPU_GET_REGS:
		ret = vcpu_get_regs(vcpu, uarg);
		break;
	case VMAIN_VCPU_SET_REGS:
		ret = vcpu_set_regs(vcpu, uarg);
		break;
	case VMAIN_VCPU_GET_SREGS:
		ret = vcpu_get_sregs(vcpu, uarg);
		break;
	case VMAIN_VCPU_SET_SREGS:
		ret = vcpu_set_sregs(vcpu, uarg);
		break;
	case VMAIN_VCPU_GET_FPU:
		ret = vcpu_get_fpu(vcpu, uarg);
		break;
	case VMAIN_VCPU_SET_FPU:
		ret = vcpu_set_fpu(vcpu, uarg);
		break;
	case VMAIN_VCPU_GET_MSRS:
		ret = vmain_msrs_ioctl(vcpu, uarg, false);
		break;
	case VMAIN_VCPU_SET_MSRS:
		ret = vmain_msrs_ioctl(vcpu, uarg, true);
		break;
	case VMAIN_VCPU_SET_CPUID:
		ret = vmain_cpuid_set(vcpu, uarg);
		break;
	case VMAIN_VCPU_GET_CPUID:
		ret = vmain_cpuid_get(vcpu, uarg);
		break;
	case VMAIN_VCPU_GET_EVENTS:
		ret = vcpu_get_events(vcpu, uarg);
		break;
	case VMAIN_VCPU_SET_EVENTS:
		ret = vcpu_set_events(vcpu, uarg);
		break;
	case VMAIN_VCPU_INTERRUPT:
		ret = vcpu_interrupt(vcpu, uarg);
		break;
	case VMAIN_VCPU_NMI:
		ret = arg ? -EINVAL : 0;
		if (!ret)
			vcpu->nmi_pending = true;
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return ret;
}

/* Page 0: the run structure; page 1: string I/O data. */
static vm_fault_t vcpu_fault(struct vm_fault *vmf)
{
	struct vmain_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == 1)
		page = virt_to_page(vcpu->io_data);
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct vcpu_vm_ops = {
	.fault = vcpu_fault,
};

static int vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vmain_vcpu *vcpu = file->private_data;

	if (current->mm != vcpu->vm->mm)
		return -EPERM;
	if (vma->vm_pgoff || vma_pages(vma) > VMAIN_VCPU_MMAP_PAGES)
		return -EINVAL;
	vma->vm_ops = &vcpu_vm_ops;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	return 0;
}

static int vcpu_release(struct inode *inode, struct file *file)
{
	struct vmain_vcpu *vcpu = file->private_data;

	/* The vCPU itself goes with the VM; only our VM reference ends. */
	fput(vcpu->vmfile);
	return 0;
}

static const struct file_operations vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= vcpu_release,
	.unlocked_ioctl	= vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vcpu_mmap,
	.read		= vmain_no_read,
	.write		= vmain_no_write,
	.llseek		= vmain_no_llseek,
};

void vmain_vcpu_free(struct vmain_vcpu *vcpu)
{
	vmain_engine()->vcpu_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	kfree(vcpu->cpuid);
	free_page((unsigned long)vcpu->io_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

long vmain_vcpu_create(struct vmain_vm *vm, struct file *vmfile, unsigned long id)
{
	struct vmain_vcpu *vcpu;
	struct file *file;
	unsigned int i;
	int ret, fd;

	if (id >= VMAIN_MAX_VCPUS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	ret = -EEXIST;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			goto out_unlock;

	ret = -ENOMEM;
	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		goto out_unlock;
	vcpu->vm = vm;
	vcpu->id = id;
	vmain_mitigations_vcpu_init(vcpu);
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run)
		goto free_vcpu;
	vcpu->io_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->io_data)
		goto free_run;
	if (!fpu_alloc_guest_fpstate(&vcpu->guest_fpu))
		goto free_io;
	vmain_vcpu_reset_neutral(vcpu);

	ret = vmain_engine()->vcpu_create(vcpu);
	if (ret)
		goto free_fpu;

	/*
	 * The fd becomes usable (RUN, from any thread) only once the vCPU
	 * is published: kick_all must see every vCPU that can enter a guest,
	 * or an invalidation could leave it running on a stale mapping.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto free_engine;
	}
	vcpu->vmfile = get_file(vmfile);
	file = anon_inode_getfile("vmain-vcpu", &vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto put_vmfile;
	}
	vm->vcpus[vm->nr_vcpus] = vcpu;
	/* Publish the slot before the count: kick_all reads count first. */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	fd_install(fd, file);
	mutex_unlock(&vm->lock);
	return fd;

put_vmfile:
	fput(vcpu->vmfile);
	put_unused_fd(fd);
free_engine:
	vmain_engine()->vcpu_free(vcpu);
free_fpu:
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
free_io:
	free_page((unsigned long)vcpu->io_data);
free_run:
	free_page((unsigned long)vcpu->run);
free_vcpu:
	kfree(vcpu);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}
