// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm/cpu.c - turning AMD-V on and off on a CPU, the per-CPU host areas,
 * the I/O and MSR permission maps, and the engine's ops table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/io.h>
#include <asm/msr.h>

#include "svm.h"
#include "../core.h"

#define MSR_VM_HSAVE_PA		0xc0010117

static DEFINE_PER_CPU(struct svm_cpu, svm_cpus);

/* One set of permission maps serves every VM: they never change. */
void *svm_iopm;
unsigned long svm_iopm_pa;
void *svm_msrpm;
unsigned long svm_msrpm_pa;

#define IOPM_ORDER	2	/* 12 KiB used (APM 15.10.1) */
#define MSRPM_ORDER	1	/* 8 KiB (APM 15.11) */

struct svm_cpu *svm_this_cpu(void)
{
	return this_cpu_ptr(&svm_cpus);
}

/*
 * MSRs the guest reads and writes directly.  They are exactly the state
 * VMLOAD/VMSAVE switch around VMRUN (APM 15.5.2), so the guest's values
 * live in its VMCB and the host's are restored from the host area.
 */
static const u32 svm_passthrough_msrs[] = {
	0x00000174, 0x00000175, 0x00000176,	/* SYSENTER_CS/ESP/EIP */
	0xc0000081, 0xc0000082, 0xc0000083,	/* STAR, LSTAR, CSTAR */
	0xc0000084,				/* SFMASK */
	0xc0000100, 0xc0000101, 0xc0000102,	/* FS, GS, KERNEL_GS base */
};

static void msrpm_allow(u8 *msrpm, u32 msr)
{
	u32 base, off;

	/* Three 2 KiB blocks, two bits (read, write) per MSR (APM 15.11). */
	if (msr <= 0x1fff) {
		base = 0x000;
		off = msr;
	} else if (msr >= 0xc0000000 && msr <= 0xc0001fff) {
		base = 0x800;
		off = msr - 0xc0000000;
	} else {
		base = 0x1000;
		off = msr - 0xc0010000;
	}
	msrpm[base + off / 4] &= ~(3U << ((off % 4) * 2));
}

static void svm_cpu_free_areas(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpus, cpu);

		free_page((unsigned long)sc->hsave);
		free_page((unsigned long)sc->host_vmcb);
		sc->hsave = NULL;
		sc->host_vmcb = NULL;
	}
	if (svm_iopm)
		free_pages((unsigned long)svm_iopm, IOPM_ORDER);
	if (svm_msrpm)
		free_pages((unsigned long)svm_msrpm, MSRPM_ORDER);
	svm_iopm = svm_msrpm = NULL;
}

int svm_cpu_init(void)
{
	unsigned int i;
	int cpu;

	svm_iopm = (void *)__get_free_pages(GFP_KERNEL, IOPM_ORDER);
	svm_msrpm = (void *)__get_free_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm)
		goto nomem;
	/* Every port is intercepted: all of port I/O belongs to userspace. */
	memset(svm_iopm, 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(svm_msrpm, 0xff, PAGE_SIZE << MSRPM_ORDER);
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++)
		msrpm_allow(svm_msrpm, svm_passthrough_msrs[i]);
	svm_iopm_pa = virt_to_phys(svm_iopm);
	svm_msrpm_pa = virt_to_phys(svm_msrpm);

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpus, cpu);

		sc->hsave = (void *)get_zeroed_page(GFP_KERNEL);
		sc->host_vmcb = (void *)get_zeroed_page(GFP_KERNEL);
		if (!sc->hsave || !sc->host_vmcb)
			goto nomem;
		sc->host_vmcb_pa = virt_to_phys(sc->host_vmcb);
	}
	return 0;

nomem:
	svm_cpu_free_areas();
	return -ENOMEM;
}

void svm_cpu_exit(void)
{
	svm_cpu_free_areas();
}

/* APM 15.4 "Enabling SVM": EFER.SVME, then the host save area. */
static int svm_enable_cpu(void)
{
	struct svm_cpu *sc = svm_this_cpu();
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;		/* someone else turned it on */
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, virt_to_phys(sc->hsave));
	/* ASIDs handed out before may be stale in this CPU's TLB now. */
	sc->asid_generation++;
	sc->next_asid = svm_max_asid + 1;
	sc->last_vmcb = NULL;
	sc->enabled = true;
	return 0;
}

static void svm_disable_cpu(void)
{
	struct svm_cpu *sc = svm_this_cpu();
	u64 efer;

	if (!sc->enabled)
		return;
	vmain_tsc_aux_drop();
	/*
	 * GIF must be 1 when SVM goes off, or INIT and NMI stay blocked
	 * (APM 15.17); STGI is valid only while EFER.SVME is set.
	 */
	asm volatile("stgi" ::: "memory");
	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	sc->enabled = false;
}

static const struct vmain_pte_format svm_npt_format = {
	/* Nested page tables use the long-mode format; U must be set on
	 * every level, as nested walks are user accesses (APM 15.25.5). */
	.table		= 0x7,		/* P | RW | US */
	.leaf_read	= 0x5,		/* P | US */
	.leaf_write	= 0x2,		/* RW */
	.leaf_exec	= 0,		/* NX clear */
	.leaf_memtype	= 0,		/* PAT index 0: host WB */
};

const struct vmain_engine_ops svm_engine_ops = {
	.name		= "AMD-V",
	.pte_format	= &svm_npt_format,
	.init		= svm_cpu_init,
	.exit		= svm_cpu_exit,
	.enable_cpu	= svm_enable_cpu,
	.disable_cpu	= svm_disable_cpu,
	.vcpu_create	= svm_vcpu_create,
	.vcpu_free	= svm_vcpu_free,
	.run		= svm_run,
	.get_gprs	= svm_get_gprs,
	.set_gprs	= svm_set_gprs,
	.get_sregs	= svm_get_sregs,
	.set_sregs	= svm_set_sregs,
	.get_msr	= svm_get_msr,
	.set_msr	= svm_set_msr,
	.get_shadow	= svm_get_shadow,
	.set_shadow	= svm_set_shadow,
};
