// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm.c - the VM object, its file descriptor and the system-wide UUID claim.
 *
 * A VM is identified by a 16-byte UUID; at most one live VM per UUID exists
 * system-wide.  The claim is the VM object itself: it is made under vm_lock
 * at VMAIN_CREATE_VM and dropped in the VM fd's ->release(), which the VFS
 * runs when the last reference to the file goes away, whether by close(),
 * by exit or by kill -9.  There is no lock file and no timeout, so a claim
 * cannot outlive its owner.
 *
 * A VM fd is bound to the process (address space) that created it, like a
 * KVM VM fd: a descriptor inherited over fork() or passed over a UNIX
 * socket can keep the VM alive and be closed, but every ioctl through it
 * from another process fails with EPERM.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmain.h"
#include "core.h"
#include "vm.h"
#include "vcpu.h"


/* Protects vm_list and vm_count. */
static DEFINE_MUTEX(vm_lock);
static LIST_HEAD(vm_list);
static unsigned int vm_count;

/* Adds vm to vm_list unless its UUID is taken or the table is full. */
static int vm_claim(struct vmain_vm *vm)
{
	struct vmain_vm *other;
	int ret = 0;

	mutex_lock(&vm_lock);
	if (vm_count >= VMAIN_MAX_VMS) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	list_for_each_entry(other, &vm_list, node) {
		if (!memcmp(other->uuid, vm->uuid, sizeof(vm->uuid))) {
			ret = -EBUSY;
			goto out_unlock;
		}
	}
	list_add(&vm->node, &vm_list);
	vm_count++;
out_unlock:
	mutex_unlock(&vm_lock);
	return ret;
}

static void vm_unclaim(struct vmain_vm *vm)
{
	mutex_lock(&vm_lock);
	list_del(&vm->node);
	vm_count--;
	mutex_unlock(&vm_lock);
}

/* Undoes vm_setup(): every vCPU fd is closed by now (they hold the VM). */
static void vm_teardown(struct vmain_vm *vm)
{
	unsigned int i;

	/*
	 * The notifier first: unregistering calls its ->release, which zaps
	 * and kicks every vCPU (mmu.c), and an invalidation from kcompactd or
	 * khugepaged can run until it is gone.  Both walk vm->vcpus, so the
	 * vCPUs must still exist; nothing runs them any more.
	 */
	vmain_mmu_destroy(vm);
	for (i = 0; i < vm->nr_vcpus; i++)
		vmain_vcpu_free(vm->vcpus[i]);
	vmain_memslots_free(rcu_dereference_protected(vm->slots, true));
	cleanup_srcu_struct(&vm->srcu);
}

static int vm_setup(struct vmain_vm *vm)
{
	struct vmain_memslots *slots;
	int ret;

	mutex_init(&vm->lock);
	ret = init_srcu_struct(&vm->srcu);
	if (ret)
		return ret;
	ret = -ENOMEM;
	slots = kzalloc(sizeof(*slots), GFP_KERNEL_ACCOUNT);
	if (!slots)
		goto cleanup_srcu;
	RCU_INIT_POINTER(vm->slots, slots);
	ret = vmain_mmu_init(vm);
	if (ret)
		goto free_slots;
	return 0;

free_slots:
	kfree(slots);
cleanup_srcu:
	cleanup_srcu_struct(&vm->srcu);
	return ret;
}

static int vm_release(struct inode *inode, struct file *file)
{
	struct vmain_vm *vm = file->private_data;

	vm_teardown(vm);
	vm_unclaim(vm);
	vmain_hw_put();
	put_pid(vm->owner);
	mmdrop(vm->mm);
	fput(vm->devfile);
	kfree(vm);
	return 0;
}

static long vm_get_info(struct vmain_vm *vm, void __user *uarg)
{
	struct vmain_vm_info info;

	memset(&info, 0, sizeof(info));
	memcpy(info.uuid, vm->uuid, sizeof(info.uuid));
	info.flags = vm->flags;
	info.owner_pid = pid_vnr(vm->owner);
	info.hw = vm->hw;
	spin_lock(&vm->mmu.lock);
	info.npt_table_pages = vm->mmu.table_pages;
	info.npt_huge_leaves = vm->mmu.huge_leaves;
	info.npt_giant_leaves = vm->mmu.giant_leaves;
	spin_unlock(&vm->mmu.lock);
	info.npt_faults = atomic64_read(&vm->mmu.faults);
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long vm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vmain_vm *vm = file->private_data;

	if (current->mm != vm->mm)
		return -EPERM;

	switch (cmd) {
	case VMAIN_CHECK_CAP:
		return vmain_check_cap(arg);
	case VMAIN_VM_GET_INFO:
		return vm_get_info(vm, (void __user *)arg);
	case VMAIN_VM_SET_MEMORY_REGION:
		return vmain_memslot_set(vm, (void __user *)arg);
	case VMAIN_VM_GET_DIRTY_LOG:
		return vmain_memslot_get_dirty_log(vm, (void __user *)arg);
	case VMAIN_VM_CREATE_VCPU:
		if (!vmain_engine()->vcpu_create)
			return -ENODEV;		/* VT-x: no vCPUs yet */
		return vmain_vcpu_create(vm, file, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vm_fops = {
	.owner		= THIS_MODULE,
	.release	= vm_release,
	.unlocked_ioctl	= vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.read		= vmain_no_read,
	.write		= vmain_no_write,
	.llseek		= vmain_no_llseek,
};

/* Checks the arguments of VMAIN_CREATE_VM; the only input is the struct. */
static int vm_check_args(const struct vmain_create_vm *args)
{
	if (args->flags & ~VMAIN_CREATE_VM_VALID_FLAGS)
		return -EINVAL;
	if (args->pad || memchr_inv(args->reserved, 0, sizeof(args->reserved)))
		return -EINVAL;
	/* The nil UUID names nothing: refuse it rather than let it collide. */
	if (!memchr_inv(args->uuid, 0, sizeof(args->uuid)))
		return -EINVAL;
	return 0;
}

long vmain_vm_create(struct file *devfile, void __user *uarg)
{
	struct vmain_create_vm args;
	struct vmain_vm *vm;
	int ret, fd;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	ret = vm_check_args(&args);
	if (ret)
		return ret;

	ret = vmain_hw_get();
	if (ret)
		return ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		ret = -ENOMEM;
		goto put_hw;
	}
	memcpy(vm->uuid, args.uuid, sizeof(vm->uuid));
	vm->flags = args.flags;
	vm->hw = vmain_hw_caps();

	ret = vm_claim(vm);
	if (ret)
		goto free_vm;

	mmgrab(current->mm);
	vm->mm = current->mm;
	vm->owner = get_pid(task_tgid(current));
	vm->devfile = get_file(devfile);
	ret = vm_setup(vm);
	if (ret)
		goto drop_refs;

	/* Last: once the fd is installed, userspace can reach (and close) it. */
	fd = anon_inode_getfd("vmain-vm", &vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto teardown;
	}
	return fd;

teardown:
	vm_teardown(vm);
drop_refs:
	fput(vm->devfile);
	put_pid(vm->owner);
	mmdrop(vm->mm);
	vm_unclaim(vm);
free_vm:
	kfree(vm);
put_hw:
	vmain_hw_put();
	return ret;
}

unsigned int vmain_vm_count(void)
{
	return READ_ONCE(vm_count);
}
