/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmain.h - the ioctl ABI of /dev/vm-main.
 *
 * This header is a public API: third-party tools include it to drive the
 * vmain kernel module directly.  It follows the discipline of the kernel's
 * own uapi headers (<linux/kvm.h> in particular):
 *
 *  - only fixed-width types (__u8 .. __u64), explicit padding, no pointers,
 *    no enums and no bit-fields in structures;
 *  - every structure carries a `flags` word and a reserved tail that must be
 *    zero; the module rejects non-zero flags it does not know and non-zero
 *    reserved/pad fields with EINVAL, so they can be given meaning later;
 *  - sizes are asserted at compile time; an ioctl number, once published,
 *    is never reused or changed.  Growth happens through new ioctls and
 *    capabilities (VMAIN_CHECK_CAP), never by editing a published struct;
 *  - VMAIN_API_VERSION is frozen at 1.
 *
 * docs/abi.md documents every ioctl, structure, flag and errno.
 */
#ifndef _UAPI_LINUX_VMAIN_H
#define _UAPI_LINUX_VMAIN_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VMAIN_API_VERSION	1

/* The device node the module creates (misc device, dynamic minor). */
#define VMAIN_DEVICE_PATH	"/dev/vm-main"

/*
 * The ioctl magic.  0xE7 is listed for no driver in the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst and used by no
 * _IO/_IOR/_IOW/_IOWR definition in the kernel's uapi headers
 * (tests/abi/magic-unique.sh checks the installed headers).
 */
#define VMAIN_IO		0xE7

/* ------------------------------------------------------------------ */
/* Capabilities (VMAIN_CHECK_CAP).  Unknown capabilities answer 0.     */
/* ------------------------------------------------------------------ */

/* 1: open(O_EXCL) makes the caller the only user of /dev/vm-main. */
#define VMAIN_CAP_EXCLUSIVE_OPEN	1
/* 1: VMs are claimed by UUID, one live VM per UUID system-wide. */
#define VMAIN_CAP_VM_UUID		2
/*
 * A bit mask of VMAIN_HW_* describing the virtualization hardware of this
 * host as the module sees it (0: none usable).  It says what the CPU has,
 * not whether another hypervisor currently owns it.
 */
#define VMAIN_CAP_HW			3
/* The largest number of VMs that may exist at once. */
#define VMAIN_CAP_MAX_VMS		4

#define VMAIN_HW_SVM		(1U << 0)	/* AMD-V (SVM) */
#define VMAIN_HW_NPT		(1U << 1)	/* AMD nested paging */
#define VMAIN_HW_VMX		(1U << 2)	/* Intel VT-x (VMX) */
#define VMAIN_HW_EPT		(1U << 3)	/* Intel extended page tables */
#define VMAIN_HW_UNRESTRICTED	(1U << 4)	/* VMX unrestricted guest */
#define VMAIN_HW_VPID		(1U << 5)	/* VMX virtual-processor IDs */
#define VMAIN_HW_NRIPS		(1U << 6)	/* SVM next-RIP save */
#define VMAIN_HW_VMCB_CLEAN	(1U << 7)	/* SVM VMCB clean bits */
#define VMAIN_HW_DECODE_ASSISTS	(1U << 8)	/* SVM decode assists */

/* ------------------------------------------------------------------ */
/* Structures                                                          */
/* ------------------------------------------------------------------ */

/* VMAIN_CREATE_VM: no flags are defined in API version 1. */
#define VMAIN_CREATE_VM_VALID_FLAGS	0U

struct vmain_create_vm {
	__u8  uuid[16];		/*  0: identity of the VM; must not be all zero */
	__u32 flags;		/* 16: VMAIN_CREATE_VM_* flags, none defined yet */
	__u32 pad;		/* 20: must be 0 */
	__u64 reserved[5];	/* 24: must be 0 */
};				/* 64 bytes */

/* VMAIN_VM_GET_INFO: filled in by the module. */
struct vmain_vm_info {
	__u8  uuid[16];		/*  0: the UUID the VM was created with */
	__u32 flags;		/* 16: the flags it was created with */
	__u32 owner_pid;	/* 20: thread-group id of the owning process,
				 *     as seen from the caller's pid namespace */
	__u32 hw;		/* 24: VMAIN_HW_* engine this VM runs on */
	__u32 pad;		/* 28: 0 */
	__u64 reserved[4];	/* 32: 0 */
};				/* 64 bytes */

/*
 * Compile-time size checks in every language the header is used from:
 * C11 and later, C++11 and later, and a negative-size array for C99/C89.
 */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define VMAIN_ABI_CHECK(name, cond) static_assert(cond, #name)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define VMAIN_ABI_CHECK(name, cond) _Static_assert(cond, #name)
#else
#define VMAIN_ABI_CHECK(name, cond) \
	typedef char vmain_abi_check_##name[(cond) ? 1 : -1]
#endif
VMAIN_ABI_CHECK(create_vm_is_64_bytes, sizeof(struct vmain_create_vm) == 64);
VMAIN_ABI_CHECK(vm_info_is_64_bytes, sizeof(struct vmain_vm_info) == 64);
#undef VMAIN_ABI_CHECK

/* ------------------------------------------------------------------ */
/* ioctls on /dev/vm-main (numbers 0x00-0x1f)                          */
/* ------------------------------------------------------------------ */

/* arg must be 0.  Returns VMAIN_API_VERSION. */
#define VMAIN_GET_API_VERSION	_IO(VMAIN_IO, 0x00)
/* arg is a VMAIN_CAP_* number.  Returns its value, 0 when unknown. */
#define VMAIN_CHECK_CAP		_IO(VMAIN_IO, 0x01)
/* arg points to struct vmain_create_vm.  Returns a new VM fd (O_CLOEXEC). */
#define VMAIN_CREATE_VM		_IOW(VMAIN_IO, 0x02, struct vmain_create_vm)

/* ------------------------------------------------------------------ */
/* ioctls on a VM fd (numbers 0x20-0x5f)                               */
/* ------------------------------------------------------------------ */

/* VMAIN_CHECK_CAP is accepted on a VM fd too, with the same meaning. */
/* arg points to struct vmain_vm_info, which the module fills.  Returns 0. */
#define VMAIN_VM_GET_INFO	_IOR(VMAIN_IO, 0x20, struct vmain_vm_info)

#endif /* _UAPI_LINUX_VMAIN_H */
