// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmx/engine.c - the VT-x engine's ops table and its EPT entry format.
 *
 * cpu.c: VMX operation per CPU and VMCS residency; vmcs.c: a vCPU's VMCS
 * and the register conversions; run.c: one entry; exits.c: the exit
 * handlers; enter.S: VMLAUNCH/VMRESUME.
 */
#include "vmx.h"
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
	.init		= vmx_hw_init,
	.exit		= vmx_hw_exit,
	.enable_cpu	= vmx_enable_cpu,
	.disable_cpu	= vmx_disable_cpu,
	.vcpu_create	= vmx_vcpu_create,
	.vcpu_free	= vmx_vcpu_free,
	.run		= vmx_run,
	.get_gprs	= vmx_get_gprs,
	.set_gprs	= vmx_set_gprs,
	.get_sregs	= vmx_get_sregs,
	.set_sregs	= vmx_set_sregs,
	.get_msr	= vmx_get_msr,
	.set_msr	= vmx_set_msr,
	.get_shadow	= vmx_get_shadow,
	.set_shadow	= vmx_set_shadow,
};
