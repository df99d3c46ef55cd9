/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * svm/enter.S - the world switch (AMD APM Vol. 2, 15.5 "VMRUN
 * Instruction", 15.5.2 "VMSAVE and VMLOAD Instructions").
 *
 * void vmain_svm_enter(unsigned long vmcb_pa, u64 *gprs,
 *                      unsigned long host_vmcb_pa, unsigned int flags,
 *                      const struct vmain_spec_switch *spec);
 *
 * flags (VMAIN_ENTER_*, mitigate.h) add the mitigations the kernel's own
 * ALTERNATIVEs below leave out but a force_* parameter asks for, and
 * VMAIN_ENTER_SPEC_CTRL: write spec->guest to SPEC_CTRL right before the
 * entry and spec->host right after the exit (spec.c).
 *
 * Called with GIF=0.  VMRUN itself saves and restores the host's RIP,
 * RSP, RAX, RFLAGS, CR0/3/4, EFER, CS/SS/DS/ES and GDTR/IDTR (into the
 * VM_HSAVE_PA area); the rest of the host state the guest may change -
 * FS, GS, TR and LDTR with their hidden parts, KERNEL_GS_BASE, STAR,
 * LSTAR, CSTAR, SFMASK and SYSENTER_* - is VMSAVEd to the per-CPU host
 * area first and VMLOADed back last, with nothing in between touching
 * per-CPU (GS-based) data.  Guest RAX and RSP live in the VMCB; the other
 * guest GPRs are swapped here, in encoding order (gprs[0..15]).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#include <asm/msr-index.h>

#include "../mitigate.h"
#include "../rsb.h"
#include "../spec.h"

#define G(n)	(n * 8)

	.text

SYM_FUNC_START(vmain_svm_enter)
	push	%rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%r8		/* 32(%rsp): SPEC_CTRL values */
	push	%rcx		/* 24(%rsp): VMAIN_ENTER_* flags */
	push	%rdx		/* 16(%rsp): host area */
	push	%rsi		/*  8(%rsp): gprs */
	push	%rdi		/*  0(%rsp): VMCB */

	/* Host state VMRUN leaves alone. */
	mov	%rdx, %rax
	vmsave	%rax

	/* Forced: clear the CPU buffers (MDS and the like) before entry. */
	testb	$VMAIN_ENTER_VERW, 24(%rsp)
	jz	.Lno_verw
	verw	x86_verw_sel(%rip)
.Lno_verw:

	/*
	 * The guest's SPEC_CTRL, with nothing but the entry left to run on
	 * it (WRMSR clobbers RAX, RCX, RDX; the host area is on the stack).
	 */
	testb	$VMAIN_ENTER_SPEC_CTRL, 24(%rsp)
	jz	.Lno_guest_spec
	mov	32(%rsp), %rax
	mov	VMAIN_SPEC_GUEST+4(%rax), %edx
	mov	VMAIN_SPEC_GUEST(%rax), %eax
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
.Lno_guest_spec:

	/* Guest GPRs; RSI carries the array, so it goes last. */
	mov	G(1)(%rsi), %rcx
	mov	G(2)(%rsi), %rdx
	mov	G(3)(%rsi), %rbx
	mov	G(5)(%rsi), %rbp
	mov	G(7)(%rsi), %rdi
	mov	G(8)(%rsi), %r8
	mov	G(9)(%rsi), %r9
	mov	G(10)(%rsi), %r10
	mov	G(11)(%rsi), %r11
	mov	G(12)(%rsi), %r12
	mov	G(13)(%rsi), %r13
	mov	G(14)(%rsi), %r14
	mov	G(15)(%rsi), %r15
	mov	G(6)(%rsi), %rsi

	mov	(%rsp), %rax
	vmload	%rax
	/* TSA: VERW where the kernel clears CPU buffers before VMRUN. */
	VM_CLEAR_CPU_BUFFERS
	vmrun	%rax
	vmsave	%rax

	/* Back in the host with the guest's GPRs live: store them. */
	mov	8(%rsp), %rax
	mov	%rcx, G(1)(%rax)
	mov	%rdx, G(2)(%rax)
	mov	%rbx, G(3)(%rax)
	mov	%rbp, G(5)(%rax)
	mov	%rsi, G(6)(%rax)
	mov	%rdi, G(7)(%rax)
	mov	%r8, G(8)(%rax)
	mov	%r9, G(9)(%rax)
	mov	%r10, G(10)(%rax)
	mov	%r11, G(11)(%rax)
	mov	%r12, G(12)(%rax)
	mov	%r13, G(13)(%rax)
	mov	%r14, G(14)(%rax)
	mov	%r15, G(15)(%rax)

	/* No guest value may linger in a register the host then uses. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	/* Host FS/GS/TR/LDTR and syscall MSRs, before any per-CPU access. */
	mov	16(%rsp), %rax
	vmload	%rax

	/*
	 * The host's SPEC_CTRL before any RET: with spectre_v2=ibrs the
	 * host's RETs rely on IBRS being set.  Guest writes are intercepted,
	 * so the register still holds spec->guest: nothing to read back.
	 */
	testb	$VMAIN_ENTER_SPEC_CTRL, 24(%rsp)
	jz	.Lno_host_spec
	mov	32(%rsp), %rax
	mov	VMAIN_SPEC_HOST+4(%rax), %edx
	mov	VMAIN_SPEC_HOST(%rax), %eax
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
	xor	%edx, %edx
	xor	%ecx, %ecx
.Lno_host_spec:
	xor	%eax, %eax

	/*
	 * Before the first RET: the guest's return targets out of the RSB
	 * (where the kernel's spectre_v2 mode asks for it, or forced), then
	 * Retbleed/SRSO untraining as the kernel applies it (clobbers RAX,
	 * RCX, RDX).
	 */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT
	testb	$VMAIN_ENTER_RSB, 24(%rsp)
	jz	.Lno_rsb
	VMAIN_FILL_RSB %eax
.Lno_rsb:
	UNTRAIN_RET

	add	$40, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(vmain_svm_enter)
