// SPDX-License-Identifier: GPL-2.0-only
/*
 * dev.c - /dev/vm-main: module entry, the misc device and its ioctls.
 *
 * The device is ioctl-only.  Every error is a negative errno returned from
 * a file operation, which the syscall layer hands to userspace as a
 * positive errno; nothing returns a bare -1 or a positive error code.
 *
 * Exclusive open: open(O_EXCL) succeeds only while nobody else holds the
 * device open, and while it is held every other open fails with EBUSY, the
 * contract of classic exclusive character devices.  The claim belongs to
 * the struct file, so it lasts exactly as long as the last descriptor that
 * refers to it (dup, fork and SCM_RIGHTS copies included) and is dropped by
 * the VFS on close or on process death: it can never go stale.  A VM holds
 * a reference to the device file it was created from, so a live VM keeps
 * its creator's open counted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>

#include "vmain.h"
#include "core.h"
#include "mitigate.h"
#include "vcpu.h"

/* Protects open_count and excl_file. */
static DEFINE_MUTEX(open_lock);
static unsigned int open_count;
static struct file *excl_file;

static int vmain_dev_open(struct inode *inode, struct file *file)
{
	int ret = 0;

	/*
	 * f_flags still carries O_EXCL here: do_dentry_open() strips
	 * O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC only after ->open() returns.
	 */
	mutex_lock(&open_lock);
	if (excl_file) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (file->f_flags & O_EXCL) {
		if (open_count) {
			ret = -EBUSY;
			goto out_unlock;
		}
		excl_file = file;
	}
	open_count++;
	/* misc_open() stored the miscdevice here; we keep no per-open state. */
	file->private_data = NULL;
out_unlock:
	mutex_unlock(&open_lock);
	return ret;
}

static int vmain_dev_release(struct inode *inode, struct file *file)
{
	mutex_lock(&open_lock);
	if (excl_file == file)
		excl_file = NULL;
	open_count--;
	mutex_unlock(&open_lock);
	return 0;
}

long vmain_check_cap(unsigned long cap)
{
	switch (cap) {
	case VMAIN_CAP_EXCLUSIVE_OPEN:
	case VMAIN_CAP_VM_UUID:
		return 1;
	case VMAIN_CAP_HW:
		return vmain_hw_caps();
	case VMAIN_CAP_MAX_VMS:
		return VMAIN_MAX_VMS;
	case VMAIN_CAP_MAX_VCPUS:
		return VMAIN_MAX_VCPUS;
	case VMAIN_CAP_MAX_MEM_SLOTS:
		return VMAIN_MAX_MEM_SLOTS;
	case VMAIN_CAP_GUEST_PHYS_BITS:
		return VMAIN_GUEST_PHYS_BITS;
	case VMAIN_CAP_READONLY_MEM:
	case VMAIN_CAP_DIRTY_LOG:
	case VMAIN_CAP_LOW_VECTORS:
		return 1;
	default:
		/* Unknown capabilities are absent, never an error (KVM's rule). */
		return 0;
	}
}

static long vmain_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	switch (cmd) {
	case VMAIN_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return VMAIN_API_VERSION;
	case VMAIN_CHECK_CAP:
		return vmain_check_cap(arg);
	case VMAIN_CREATE_VM:
		return vmain_vm_create(file, (void __user *)arg);
	case VMAIN_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return VMAIN_VCPU_MMAP_PAGES * PAGE_SIZE;
	default:
		return -ENOTTY;
	}
}

/*
 * No fd of ours (device, VM, vCPU) carries a byte stream: read, write and
 * seek are invalid on all of them.
 */
ssize_t vmain_no_read(struct file *file, char __user *buf, size_t len,
		      loff_t *pos)
{
	return -EINVAL;
}

ssize_t vmain_no_write(struct file *file, const char __user *buf, size_t len,
		       loff_t *pos)
{
	return -EINVAL;
}

loff_t vmain_no_llseek(struct file *file, loff_t off, int whence)
{
	return -EINVAL;
}

static const struct file_operations vmain_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= vmain_dev_open,
	.release	= vmain_dev_release,
	.unlocked_ioctl	= vmain_dev_ioctl,
	/* Every ioctl argument is layout-identical for 32-bit callers. */
	.compat_ioctl	= compat_ptr_ioctl,
	.read		= vmain_no_read,
	.write		= vmain_no_write,
	.llseek		= vmain_no_llseek,
};

/*
 * /sys/class/misc/vm-main/vms: how many VMs exist right now.  For admins
 * ("is anything running?") and for the leak tests, which need an exact
 * count that slab statistics cannot give.
 */
static ssize_t vms_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u\n", vmain_vm_count());
}
static DEVICE_ATTR_RO(vms);

/* The speculative-execution mitigations, their modes and counts. */
static ssize_t mitigations_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return vmain_mitigations_show(buf);
}
static DEVICE_ATTR_RO(mitigations);

static struct attribute *vmain_dev_attrs[] = {
	&dev_attr_vms.attr,
	&dev_attr_mitigations.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vmain_dev);

static struct miscdevice vmain_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vm-main",
	.fops	= &vmain_dev_fops,
	/* udev (scripts/60-vmain.rules) sets group vmain; root-only otherwise. */
	.mode	= 0600,
	.groups	= vmain_dev_groups,
};

static int __init vmain_init(void)
{
	int ret;

	vmain_hw_probe();
	ret = vmain_hw_init();
	if (ret)
		return ret;

	/* Registered last: once the node exists, userspace may use it. */
	ret = misc_register(&vmain_misc);
	if (ret) {
		pr_err("cannot register /dev/vm-main: error %d\n", ret);
		goto undo_hw_init;
	}
	return 0;

undo_hw_init:
	vmain_hw_exit();
	return ret;
}

static void __exit vmain_exit(void)
{
	/* Every open device or VM fd pins the module: nothing is alive here. */
	misc_deregister(&vmain_misc);
	vmain_hw_exit();
}

module_init(vmain_init);
module_exit(vmain_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmain hypervisor: AMD-V and VT-x guest execution via /dev/vm-main");
MODULE_AUTHOR("The vmain developers");
