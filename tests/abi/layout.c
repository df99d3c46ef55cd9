// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * layout.c - the ABI structs have the offsets docs/abi.md promises, and the
 * ioctl numbers never change (a changed number breaks every built tool).
 */
#include <stddef.h>

#include "tap.h"
#include "vmain.h"

int main(void)
{
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
	       offsetof(struct vmain_vm_info, reserved) == 32,
	       "vmain_vm_info field offsets");
	tap_ok(_Alignof(struct vmain_create_vm) == 8 &&
	       _Alignof(struct vmain_vm_info) == 8,
	       "structs are 8-byte aligned (same layout for 32-bit callers)");
	return tap_done();
}
