// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx/engine.c - the VT-x engine's ops table.
 *
 * So far the VT-x engine detects the hardware (vmx/detect.c) and VMs can
 * be created, claimed and given memory; vCPUs need the VMCS-based entry
 * code, which is not written yet: VMAIN_VM_CREATE_VCPU fails with ENODEV
 * on Intel hosts until it is.
 */
#include "../vm.h"
#include "../core.h"

static const struct vmain_pte_format vmx_ept_format = {
	/* SDM Vol. 3C, 29.3.2: R 0, W 1, X 2; memory type 5:3 = 6 (WB). */
	.table		= 0x7,
	.leaf_read	= 0x1,
	.leaf_write	= 0x2,
	.leaf_exec	= 0x4,
	.leaf_memtype	= 6ULL << 3,
};

const struct vmain_engine_ops vmx_engine_ops = {
	.name		= "VT-x",
	.pte_format	= &vmx_ept_format,
};
