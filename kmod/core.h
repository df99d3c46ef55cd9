/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core.h - declarations shared by the files of vmain.ko.
 */
#ifndef VMAIN_KMOD_CORE_H
#define VMAIN_KMOD_CORE_H

#include <linux/types.h>
#include <linux/fs.h>

/* The largest number of VMs that may exist at once (VMAIN_CAP_MAX_VMS). */
#define VMAIN_MAX_VMS	1024

/* dev.c: answers VMAIN_CHECK_CAP on both the device and a VM fd. */
long vmain_check_cap(unsigned long cap);
/* dev.c: read/write/llseek of every vmain fd (all -EINVAL). */
ssize_t vmain_no_read(struct file *file, char __user *buf, size_t len,
		      loff_t *pos);
ssize_t vmain_no_write(struct file *file, const char __user *buf, size_t len,
		       loff_t *pos);
loff_t vmain_no_llseek(struct file *file, loff_t off, int whence);

/* vm.c: the VM object and its fd. */
long vmain_vm_create(struct file *devfile, void __user *uarg);
unsigned int vmain_vm_count(void);

/*
 * hw.c: the virtualization hardware.  vmain_hw_caps() is VMAIN_HW_* of the
 * usable engine (0 if none); vmain_hw_get() is called for every new VM and
 * fails with -ENODEV (no usable hardware) or -EBUSY (owned by another
 * hypervisor); vmain_hw_put() pairs with it.
 */
void vmain_hw_probe(void);
int vmain_hw_init(void);		/* after probe: engine areas, hooks */
void vmain_hw_exit(void);
bool vmain_hw_dead(void);		/* after reboot/panic: no more entry */
u32 vmain_hw_caps(void);
int vmain_hw_get(void);
void vmain_hw_put(void);

/* svm/detect.c and vmx/detect.c: per-engine probing (APM / SDM). */
u32 svm_detect(void);
bool svm_owned_elsewhere(int *cpu);
u32 vmx_detect(void);
bool vmx_owned_elsewhere(int *cpu);

struct vmain_engine_ops;
extern const struct vmain_engine_ops svm_engine_ops;
extern const struct vmain_engine_ops vmx_engine_ops;


#endif
