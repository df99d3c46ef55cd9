/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vmx/enter.S - the world switch (Intel SDM Vol. 3C, 27 "VM Entries",
 * 28 "VM Exits", 31.3 "VMLAUNCH/VMRESUME").
 *
 * int vmain_vmx_enter(u64 *gprs, bool launched, unsigned int flags,
 *                     const struct vmain_spec_switch *spec);
 *
 * flags (VMAIN_ENTER_*, mitigate.h) add the mitigations the kernel's own
 * ALTERNATIVEs leave out but a force_* parameter asks for, and
 * VMAIN_ENTER_SPEC_CTRL: write spec->guest to SPEC_CTRL right before the
 * entry and spec->host right after the exit (spec.c).
 *
 * Called with interrupts off and the vCPU's VMCS current.  VM entry loads
 * the guest's RSP, RIP, RFLAGS, control and segment registers from the
 * VMCS; the other guest GPRs are loaded here, in encoding order
 * (gprs[0..15], gprs[4] unused).  A VM exit loads the host state of the
 * VMCS, whose RIP is vmain_vmx_exit_point and whose RSP is written here,
 * and clears RFLAGS to 2.  A failed VMLAUNCH/VMRESUME goes on with the
 * next instruction and CF (VMfailInvalid) or ZF (VMfailValid) set, so
 * both end at vmain_vmx_exit_point and the flags tell them apart.
 *
 * Returns 0 after a VM exit (or an entry that failed while loading
 * guest state: the exit reason says so), 1 after VMfail, 2 if the VMWRITE
 * of the host RSP failed.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>

#include "../mitigate.h"
#include "../rsb.h"
#include "../spec.h"

#define G(n)		(n * 8)
#define VMCS_HOST_RSP	0x6c14

	.text

SYM_FUNC_START(vmain_vmx_enter)
	push	%rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rcx		/* 16(%rsp): SPEC_CTRL values */
	push	%rdx		/* 8(%rsp): VMAIN_ENTER_* flags */
	push	%rdi		/* 0(%rsp): gprs */

	/* The stack as it is now is where a VM exit resumes (25.5.1). */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lhost_rsp_failed

	/*
	 * The guest's SPEC_CTRL, with nothing but the entry left to run on
	 * it (WRMSR clobbers RAX, RCX, RDX; RSI and RDI are still ours).
	 */
	testb	$VMAIN_ENTER_SPEC_CTRL, 8(%rsp)
	jz	.Lno_guest_spec
	mov	16(%rsp), %rax
	mov	VMAIN_SPEC_GUEST+4(%rax), %edx
	mov	VMAIN_SPEC_GUEST(%rax), %eax
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
.Lno_guest_spec:

	/*
	 * MDS, TAA, MMIO stale data, RFDS: clear the CPU buffers where the
	 * kernel's mode asks for it, or forced.  Only guest values are read
	 * after this.
	 */
	CLEAR_CPU_BUFFERS
	testb	$VMAIN_ENTER_VERW, 8(%rsp)
	jz	.Lno_verw
	verw	x86_verw_sel(%rip)
.Lno_verw:

	/* Whether to VMRESUME; MOV keeps the flags to the jump below. */
	test	%esi, %esi
	mov	G(0)(%rdi), %rax
	mov	G(1)(%rdi), %rcx
	mov	G(2)(%rdi), %rdx
	mov	G(3)(%rdi), %rbx
	mov	G(5)(%rdi), %rbp
	mov	G(6)(%rdi), %rsi
	mov	G(8)(%rdi), %r8
	mov	G(9)(%rdi), %r9
	mov	G(10)(%rdi), %r10
	mov	G(11)(%rdi), %r11
	mov	G(12)(%rdi), %r12
	mov	G(13)(%rdi), %r13
	mov	G(14)(%rdi), %r14
	mov	G(15)(%rdi), %r15
	mov	G(7)(%rdi), %rdi
	jnz	.Lresume
	vmlaunch
	jmp	vmain_vmx_exit_point
.Lresume:
	vmresume

SYM_INNER_LABEL(vmain_vmx_exit_point, SYM_L_GLOBAL)
	/*
	 * The guest's GPRs are live (or, after VMfail, still what was loaded):
	 * store them.  PUSH, POP and MOV leave the flags alone.
	 */
	push	%rax
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
	popq	G(0)(%rax)
	mov	$0, %ebx	/* the guest's RBX is stored */
	setbe	%bl		/* CF or ZF: VMfail */

	/*
	 * The host's SPEC_CTRL before any RET: with spectre_v2=ibrs the
	 * host's RETs rely on IBRS being set.  Guest writes are intercepted,
	 * so the register still holds spec->guest: nothing to read back.
	 */
	testb	$VMAIN_ENTER_SPEC_CTRL, 8(%rsp)
	jz	.Lno_host_spec
	mov	16(%rsp), %rax
	mov	VMAIN_SPEC_HOST+4(%rax), %edx
	mov	VMAIN_SPEC_HOST(%rax), %eax
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
.Lno_host_spec:

	/*
	 * The guest may have filled the return stack buffer with its own
	 * targets: overwrite it before the first RET (where the kernel's
	 * mitigations ask for it: the whole RSB, or with eIBRS on a CPU with
	 * PBRSB one CALL that retires first; or forced).
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, X86_FEATURE_RSB_VMEXIT_LITE
	testb	$VMAIN_ENTER_RSB, 8(%rsp)
	jz	.Lno_rsb
	VMAIN_FILL_RSB %ecx
.Lno_rsb:
	testb	$VMAIN_ENTER_RSB_LITE, 8(%rsp)
	jz	.Lno_rsb_lite
	VMAIN_FILL_RSB_ONE
.Lno_rsb_lite:
	mov	%ebx, %eax

	/* No guest value may linger in a register the host then uses. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
.Lout:
	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

.Lhost_rsp_failed:
	mov	$2, %eax
	jmp	.Lout
SYM_FUNC_END(vmain_vmx_enter)

/*
 * void vmain_vmx_host_nmi(void);
 *
 * An NMI that arrived in guest mode caused the exit (26.2, "NMI exiting")
 * and was not delivered: hand it to the kernel's NMI handler through an
 * interrupt frame, as if the CPU had delivered it here.  Its IRET returns
 * to the instruction after the call.
 */
SYM_FUNC_START(vmain_vmx_host_nmi)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp	/* the CPU aligns the frame (SDM Vol. 3A, 6.14.2) */
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	call	asm_exc_nmi_noist
	/* IRET put RSP back already; restoring it from RBP says so. */
	mov	%rbp, %rsp
	pop	%rbp
	RET
SYM_FUNC_END(vmain_vmx_host_nmi)
