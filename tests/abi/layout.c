// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * layout.c - the ABI structs have the offsets docs/abi.md promises, and the
 * ioctl numbers never change (a changed number breaks every built tool).
 */
#include <stddef.h>

#include "tap.h"
#include "vmain.h"

/* Published numbers: a change here breaks every tool built against v1. */
static const struct {
	const char *name;
	unsigned long value, frozen;
} numbers[] = {
	{ "VMAIN_GET_VCPU_MMAP_SIZE", VMAIN_GET_VCPU_MMAP_SIZE, 0xe703UL },
	{ "VMAIN_VM_SET_MEMORY_REGION", VMAIN_VM_SET_MEMORY_REGION, 0x4040e721UL },
	{ "VMAIN_VM_GET_DIRTY_LOG", VMAIN_VM_GET_DIRTY_LOG, 0x4020e722UL },
	{ "VMAIN_VM_CREATE_VCPU", VMAIN_VM_CREATE_VCPU, 0xe723UL },
	{ "VMAIN_VCPU_RUN", VMAIN_VCPU_RUN, 0xe760UL },
	{ "VMAIN_VCPU_GET_REGS", VMAIN_VCPU_GET_REGS, 0x80c0e761UL },
	{ "VMAIN_VCPU_SET_REGS", VMAIN_VCPU_SET_REGS, 0x40c0e762UL },
	{ "VMAIN_VCPU_GET_SREGS", VMAIN_VCPU_GET_SREGS, 0x8150e763UL },
	{ "VMAIN_VCPU_SET_SREGS", VMAIN_VCPU_SET_SREGS, 0x4150e764UL },
	{ "VMAIN_VCPU_GET_FPU", VMAIN_VCPU_GET_FPU, 0x9040e765UL },
	{ "VMAIN_VCPU_SET_FPU", VMAIN_VCPU_SET_FPU, 0x5040e766UL },
	{ "VMAIN_VCPU_GET_MSRS", VMAIN_VCPU_GET_MSRS, 0xc020e767UL },
	{ "VMAIN_VCPU_SET_MSRS", VMAIN_VCPU_SET_MSRS, 0x4020e768UL },
	{ "VMAIN_VCPU_SET_CPUID", VMAIN_VCPU_SET_CPUID, 0x4020e769UL },
	{ "VMAIN_VCPU_GET_CPUID", VMAIN_VCPU_GET_CPUID, 0xc020e76aUL },
	{ "VMAIN_VCPU_GET_EVENTS", VMAIN_VCPU_GET_EVENTS, 0x8040e76bUL },
	{ "VMAIN_VCPU_SET_EVENTS", VMAIN_VCPU_SET_EVENTS, 0x4040e76cUL },
	{ "VMAIN_VCPU_INTERRUPT", VMAIN_VCPU_INTERRUPT, 0x4010e76dUL },
	{ "VMAIN_VCPU_NMI", VMAIN_VCPU_NMI, 0xe76eUL },
	{ "VMAIN_VCPU_KICK", VMAIN_VCPU_KICK, 0xe76fUL },
};

int main(void)
{
	unsigned int i;

	tap_ok(VMAIN_API_VERSION == 1, "API version is frozen at 1");
	tap_ok(VMAIN_GET_API_VERSION == 0xe700, "GET_API_VERSION is 0xe700");
	tap_ok(VMAIN_CHECK_CAP == 0xe701, "CHECK_CAP is 0xe701");
	tap_ok(VMAIN_CREATE_VM == 0x4040e702, "CREATE_VM is 0x4040e702");
	tap_ok(VMAIN_VM_GET_INFO == 0x8040e720, "VM_GET_INFO is 0x8040e720");

	tap_ok(sizeof(struct vmain_create_vm) == 64, "vmain_create_vm is 64 bytes");
	tap_ok(offsetof(struct vmain_create_vm, uuid) == 0 &&
	       offsetof(struct vmain_create_vm, flags) == 16 &&
	       offsetof(struct vmain_create_vm, pad) == 20 &&
	       offsetof(struct vmain_create_vm, reserved) == 24,
	       "vmain_create_vm field offsets");
	tap_ok(sizeof(struct vmain_vm_info) == 64, "vmain_vm_info is 64 bytes");
	tap_ok(offsetof(struct vmain_vm_info, uuid) == 0 &&
	       offsetof(struct vmain_vm_info, flags) == 16 &&
	       offsetof(struct vmain_vm_info, owner_pid) == 20 &&
	       offsetof(struct vmain_vm_info, hw) == 24 &&
	       offsetof(struct vmain_vm_info, pad) == 28 &&
	       offsetof(struct vmain_vm_info, npt_table_pages) == 32 &&
	       offsetof(struct vmain_vm_info, npt_faults) == 40 &&
	       offsetof(struct vmain_vm_info, npt_huge_leaves) == 48 &&
	       offsetof(struct vmain_vm_info, npt_giant_leaves) == 56,
	       "vmain_vm_info field offsets");
	tap_ok(_Alignof(struct vmain_create_vm) == 8 &&
	       _Alignof(struct vmain_vm_info) == 8,
	       "structs are 8-byte aligned (same layout for 32-bit callers)");
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		tap_ok(numbers[i].value == numbers[i].frozen, "%s is %#lx",
		       numbers[i].name, numbers[i].frozen);
	tap_ok(offsetof(struct vmain_run, exit) == 64 &&
	       offsetof(struct vmain_run, exit_reason) == 8 &&
	       offsetof(struct vmain_run, exits_in_kernel) == 24 &&
	       offsetof(struct vmain_run_io, data_offset) == 8 &&
	       offsetof(struct vmain_run_mmio, len) == 16 &&
	       offsetof(struct vmain_run_internal, data) == 8 &&
	       offsetof(struct vmain_run_msr, data) == 8 &&
	       sizeof(struct vmain_run) == 320, "vmain_run and its exit structs");
	tap_ok(offsetof(struct vmain_sregs, gdt) == 192 &&
	       offsetof(struct vmain_sregs, cr0) == 224 &&
	       offsetof(struct vmain_sregs, efer) == 264 &&
	       offsetof(struct vmain_regs, rip) == 128 &&
	       offsetof(struct vmain_fpu, xsave) == 64 &&
	       offsetof(struct vmain_events, interrupt_pending) == 8 &&
	       offsetof(struct vmain_cpuid_entry, eax) == 12,
	       "vCPU state structs' field offsets");
	tap_ok(VMAIN_RUN_IO_DATA_OFFSET == 4096, "I/O data lives in page 1");
	return tap_done();
}
