/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rsb.h - the module's own return-stack-buffer fills, for enter.S when
 * force_rsb_fill (or force_rsb_fill_lite) asks for one where the kernel's
 * FILL_RETURN_BUFFER is patched out (mitigate.c).
 *
 * 32 CALLs whose return addresses point at a speculation trap (INT3)
 * replace whatever the guest left in the RSB; the stack pointer is put
 * back after each pair, since none of them returns.  LFENCE keeps a mispredicted
 * loop exit from running ahead with the old entries.
 */
#ifndef VMAIN_KMOD_RSB_H
#define VMAIN_KMOD_RSB_H

#include <linux/objtool.h>

.macro VMAIN_FILL_RSB reg:req
	mov	$16, \reg
.Lvmain_rsb_loop\@:
	ANNOTATE_INTRA_FUNCTION_CALL
	call	.Lvmain_rsb_a\@
	int3
.Lvmain_rsb_a\@:
	ANNOTATE_INTRA_FUNCTION_CALL
	call	.Lvmain_rsb_b\@
	int3
.Lvmain_rsb_b\@:
	add	$(2 * 8), %rsp
	dec	\reg
	jnz	.Lvmain_rsb_loop\@
	lfence
.endm

/*
 * The one-slot fill for CPUs with enhanced IBRS whose RSB may still give
 * a RET the prediction of a CALL before the last barrier (PBRSB): one
 * CALL that retires (LFENCE) before any RET, when force_rsb_fill_lite asks
 * for it where the kernel's RSB_VMEXIT_LITE alternative is patched out.
 */
.macro VMAIN_FILL_RSB_ONE
	ANNOTATE_INTRA_FUNCTION_CALL
	call	.Lvmain_rsb_one\@
	int3
.Lvmain_rsb_one\@:
	add	$8, %rsp
	lfence
.endm

#endif
