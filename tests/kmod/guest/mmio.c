// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmio.c - the instructions beyond the MOV family that vmain.ko emulates on
 * MMIO (kmod/emulate/string.c, rmw.c, mem.c), the ones firmware and VGA
 * code use, in real mode, 32-bit protected mode and 64-bit long mode:
 *
 *   MODE/string    STOSB/W/D, REP STOSW (one exit per iteration, RIP on the
 *                  instruction and RCX counting down between them), REP
 *                  STOSB with DF=1, LODSB/W through an FS override, REP
 *                  MOVSB MMIO->RAM, REP MOVSW RAM->MMIO, MOVSD MMIO->MMIO
 *                  (a read exit, then a write exit), and a 32-bit address
 *                  size (addr32 REP STOSB: real mode, and 64-bit mode where
 *                  RDI and RCX are written as 32-bit registers); RSI, RDI,
 *                  RCX after each
 *   MODE/rmw       OR/AND/XOR/ADD/SUB/ADC/SBB with immediates and registers
 *                  (AH too), CMP and TEST (a read exit and no write), XCHG,
 *                  ADD reg, [mmio], LOCK OR (and a 64-bit ADD in long64):
 *                  the value read, the value written back, the arithmetic
 *                  flags (CF PF AF ZF SF OF)
 *   long64/ad-bits MOVSB MMIO->RAM and MMIO->MMIO through 4 KiB mappings
 *                  whose entries have A/D clear: the emulated write sets A
 *                  and D in its PTE (SDM Vol. 3A 4.8); a MOVSB to a
 *                  not-present page raises #PF (error code W, CR2), RSI
 *                  and RDI unchanged
 *   long64/immediate-exit  the write half of an OR to MMIO, due after its
 *                  read exit, comes from a RUN with immediate_exit as an
 *                  MMIO write exit (return 0, docs/abi.md); the RUN after
 *                  that returns EINTR, and the guest goes on to the next
 *                  instruction, the OR done once
 *   long64/user-undecodable  user code (CPL 3) touching MMIO: a MOV is
 *                  emulated; BTS (not emulated) raises #UD in the guest at
 *                  the BTS, and so does a jump into MMIO (code the module
 *                  cannot fetch), and the VM goes on; LOCK CMP raises #UD
 *                  (the CPU's own, in decode, before any MMIO exit: this
 *                  shows it reaches the guest, not the module's LOCK
 *                  check in emul_decode_failed(), which needs the bytes
 *                  to change between the CPU's fetch and the module's).
 *                  The same code at CPL 0: BTS ends the RUN with
 *                  VMAIN_INTERNAL_EMULATION (its RIP and first bytes),
 *                  LOCK CMP still raises #UD (SDM Vol. 2 "LOCK")
 *   MODE/seg-limit MOVSB whose ES destination is past ES's limit (real mode
 *                  with addr32, 32-bit) or non-canonical (64-bit), LODSB
 *                  past FS's limit (real) or through SS past its limit
 *                  (#SS, 32-bit), OR through a read-only GS (32-bit):
 *                  #GP(0)/#SS(0) at the instruction, no write exit
 *
 * Either the processor or the module may raise a segment fault: a
 * processor that checks the destination only after reading the source
 * (QEMU TCG, Bochs) gives the module the fault, which then reads the
 * MMIO source first, as the processor would; the tests accept that read.
 *
 * MODE is real, prot32 or long64.  Usage: mmio [-T TIMEOUT] [CASE...]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

#define SYNC		"out %al, $" GUEST_STR(GUEST_PORT_SYNC) "\n"
#define FS_PFX		".byte 0x64\n"
#define SS_PFX		".byte 0x36\n"
#define GS_PFX		".byte 0x65\n"
#define FLAGS_ARITH	0x8d5ULL	/* CF PF AF ZF SF OF */

static struct vm *vm;
static struct vcpu *vcpu;

static const char *const mode_names[] = { "real", "prot32", "long64" };

/* ------------------------------------------------------------------ */
/* Guest code                                                          */
/* ------------------------------------------------------------------ */

/*
 * String instructions.  MB is the MMIO operand's base and RB the RAM
 * operand's: in real mode both 0 (FS and, when it is the destination, ES
 * hold GUEST_MMIO_LOW >> 4; DS and otherwise ES GUEST_DATA_GPA >> 4); in
 * 32/64-bit mode flat addresses.
 */
#define STR_BODY(name, MB, RB, ES_RAM, ES_MMIO, EXTRA)			\
	ES_MMIO								\
	"	cld\n"							\
	"	mov $" MB ", %edi\n"					\
	"	mov $0x11223344, %eax\n"				\
	"	stosb\n"						\
	"	stosw\n"						\
	"	stosl\n" SYNC						\
	"	mov $" MB "+0x10, %edi\n"				\
	"	mov $3, %ecx\n"						\
	"	mov $0xbeef, %eax\n"					\
	name "_repstos:\n"						\
	"	rep stosw\n" SYNC					\
	"	std\n"							\
	"	mov $" MB "+0x21, %edi\n"				\
	"	mov $2, %ecx\n"						\
	"	mov $0x5a, %eax\n"					\
	"	rep stosb\n"						\
	"	cld\n" SYNC						\
	"	mov $" MB ", %esi\n"					\
	"	mov $0xaaaaaaaa, %eax\n"				\
	FS_PFX "	lodsb\n"					\
	FS_PFX "	lodsw\n" SYNC					\
	ES_RAM								\
	"	mov $" MB "+0x40, %esi\n"				\
	"	mov $" RB "+0x100, %edi\n"				\
	"	mov $3, %ecx\n"						\
	FS_PFX "	rep movsb\n" SYNC				\
	ES_MMIO								\
	"	mov $" RB "+0x200, %esi\n"				\
	"	mov $" MB "+0x50, %edi\n"				\
	"	mov $2, %ecx\n"						\
	"	rep movsw\n" SYNC					\
	"	mov $" MB "+0x60, %esi\n"				\
	"	mov $" MB "+0x70, %edi\n"				\
	FS_PFX "	movsl\n" SYNC					\
	EXTRA								\
	"	hlt\n"

#define REAL_SEG(seg, gpa) \
	"	mov $" GUEST_STR(gpa) " >> 4, %ax\n	mov %ax, %" seg "\n"

GUEST_CODE(gr_str); GUEST_LABEL(gr_str_repstos);
GUEST_CODE(gp_str); GUEST_LABEL(gp_str_repstos);
GUEST_CODE(gl_str); GUEST_LABEL(gl_str_repstos);

asm(GUEST_ASM_BEGIN(".code16")
    "gr_str_start:\n"
    REAL_SEG("fs", GUEST_MMIO_LOW)
    REAL_SEG("ds", GUEST_DATA_GPA)
    STR_BODY("gr_str", "0", "0",
	     REAL_SEG("es", GUEST_DATA_GPA), REAL_SEG("es", GUEST_MMIO_LOW),
	     "	mov $0x30, %edi\n"
	     "	mov $2, %ecx\n"
	     "	mov $0x77, %eax\n"
	     "	addr32 rep stosb\n" SYNC)
    "gr_str_end:\n"
    ".code32\n"
    "gp_str_start:\n"
    STR_BODY("gp_str", GUEST_STR(GUEST_MMIO_HIGH), GUEST_STR(GUEST_DATA_GPA),
	     "", "", "")
    "gp_str_end:\n"
    ".code64\n"
    "gl_str_start:\n"
    STR_BODY("gl_str", GUEST_STR(GUEST_MMIO_HIGH), GUEST_STR(GUEST_DATA_GPA),
	     "", "",
	     "	movabs $0x5555555500000000 + " GUEST_STR(GUEST_MMIO_HIGH) " + 0x30, %rdi\n"
	     "	movabs $0x1234567800000002, %rcx\n"
	     "	mov $0x77, %eax\n"
	     "	addr32 rep stosb\n" SYNC)
    "gl_str_end:\n"
    GUEST_ASM_END);

/*
 * Read-modify-write.  B is the base register holding the MMIO page + 0x100
 * (real mode: DS = GUEST_MMIO_LOW >> 4, BX = 0x100).
 */
#define RMW_BODY(B, EXTRA)						\
	"	orb $0x80, (" B ")\n"					\
	"	andw $0x0ff0, 2(" B ")\n"				\
	"	mov $0xffffffff, %eax\n"				\
	"	xorl %eax, 4(" B ")\n"					\
	"	addb $1, 8(" B ")\n" SYNC				\
	"	addw $1, 0xa(" B ")\n" SYNC				\
	"	mov $2, %ecx\n"						\
	"	subw %cx, 0xc(" B ")\n" SYNC				\
	"	cmpl $0x10, 0x10(" B ")\n" SYNC				\
	"	testb $0x40, 0x14(" B ")\n" SYNC			\
	"	stc\n"							\
	"	adcb $1, 0x18(" B ")\n" SYNC				\
	"	stc\n"							\
	"	sbbb $1, 0x19(" B ")\n" SYNC				\
	"	mov $0x11112222, %edx\n"				\
	"	xchg %edx, 0x1c(" B ")\n" SYNC				\
	"	mov $0x100, %esi\n"					\
	"	add 0x20(" B "), %esi\n" SYNC				\
	"	mov $0x55, %ah\n"					\
	"	orb %ah, 0x24(" B ")\n"					\
	"	lock orl $1, 0x28(" B ")\n" SYNC			\
	EXTRA								\
	"	hlt\n"

GUEST_CODE(gr_rmw);
GUEST_CODE(gp_rmw);
GUEST_CODE(gl_rmw);

asm(GUEST_ASM_BEGIN(".code16")
    "gr_rmw_start:\n"
    REAL_SEG("ds", GUEST_MMIO_LOW)
    "	mov $0x100, %bx\n"
    RMW_BODY("%bx", "")
    "gr_rmw_end:\n"
    ".code32\n"
    "gp_rmw_start:\n"
    "	mov $" GUEST_STR(GUEST_MMIO_HIGH) " + 0x100, %ebx\n"
    RMW_BODY("%ebx", "")
    "gp_rmw_end:\n"
    ".code64\n"
    "gl_rmw_start:\n"
    "	mov $" GUEST_STR(GUEST_MMIO_HIGH) " + 0x100, %ebx\n"
    RMW_BODY("%rbx",
	     "	movabs $0x0102030405060708, %r9\n"
	     "	addq %r9, 0x30(%rbx)\n" SYNC)
    "gl_rmw_end:\n"
    GUEST_ASM_END);

/*
 * A/D bits.  Linear AD_LA.. is mapped through a 4 KiB page table of its
 * own: page 0 -> the MMIO page, 1 -> a RAM page, 2 -> the next MMIO page,
 * 3 not present.
 */
#define AD_LA		0x200000
#define AD_PT_GPA	(GUEST_DATA_GPA + 0x3f000)
#define AD_RAM_GPA	(GUEST_DATA_GPA + 0x10000)
#define AD_P_RW		0x3ULL
#define AD_A		(1ULL << 5)
#define AD_D		(1ULL << 6)

GUEST_CODE(gl_ad); GUEST_LABEL(gl_ad_pf); GUEST_LABEL(gl_ad_pf_next);
asm(GUEST_ASM_BEGIN(".code64")
    "gl_ad_start:\n"
    "	cld\n"
    "	mov $" GUEST_STR(AD_LA) ", %esi\n"
    "	mov $" GUEST_STR(AD_LA) " + 0x1000, %edi\n"
    "	movsb\n" SYNC
    "	mov $" GUEST_STR(AD_LA) ", %esi\n"
    "	mov $" GUEST_STR(AD_LA) " + 0x2000, %edi\n"
    "	movsb\n" SYNC
    "	mov $" GUEST_STR(AD_LA) ", %esi\n"
    "	mov $" GUEST_STR(AD_LA) " + 0x3000, %edi\n"
    "gl_ad_pf:\n"
    "	movsb\n"
    "gl_ad_pf_next:\n" SYNC
    "	hlt\n"
    "gl_ad_end:\n"
    GUEST_ASM_END);

/*
 * Segment checks.  Each fault is taken at seg_fN and the test moves the
 * handler's return to seg_nN.  Protected mode: the test sets ES.limit and
 * SS.limit to GUEST_MMIO_HIGH - 1 and makes GS read-only.
 */
GUEST_CODE(gr_seg);
GUEST_LABEL(gr_seg_f1); GUEST_LABEL(gr_seg_n1);
GUEST_LABEL(gr_seg_f2); GUEST_LABEL(gr_seg_n2);
GUEST_CODE(gp_seg);
GUEST_LABEL(gp_seg_f1); GUEST_LABEL(gp_seg_n1);
GUEST_LABEL(gp_seg_f2); GUEST_LABEL(gp_seg_n2);
GUEST_LABEL(gp_seg_f3); GUEST_LABEL(gp_seg_n3);
GUEST_CODE(gl_seg);
GUEST_LABEL(gl_seg_f1); GUEST_LABEL(gl_seg_n1);
GUEST_LABEL(gl_seg_f2); GUEST_LABEL(gl_seg_n2);

asm(GUEST_ASM_BEGIN(".code16")
    "gr_seg_start:\n"
    REAL_SEG("fs", GUEST_MMIO_LOW)
    REAL_SEG("es", GUEST_MMIO_LOW)
    "	cld\n"
    "	xor %esi, %esi\n"
    "	mov $0x10000, %edi\n"
    "gr_seg_f1:\n"
    FS_PFX "	addr32 movsb\n"		/* ES:0x10000 is past ES's limit */
    "gr_seg_n1:\n"
    "	mov $0x10000, %esi\n"
    "gr_seg_f2:\n"
    FS_PFX "	addr32 lodsb\n"		/* FS:0x10000 is past FS's limit */
    "gr_seg_n2:\n" SYNC
    "	hlt\n"
    "gr_seg_end:\n"
    ".code32\n"
    "gp_seg_start:\n"
    "	cld\n"
    "	mov $" GUEST_STR(GUEST_MMIO_HIGH) ", %esi\n"
    "	mov $" GUEST_STR(GUEST_MMIO_HIGH) " + 0x10, %edi\n"
    "gp_seg_f1:\n"
    "	movsb\n"			/* the ES destination is past the limit */
    "gp_seg_n1:\n"
    "gp_seg_f2:\n"
    SS_PFX "	lodsb\n"		/* SS ends below the MMIO page: #SS */
    "gp_seg_n2:\n"
    "gp_seg_f3:\n"
    GS_PFX "	orb $1, (%esi)\n"	/* GS is read-only */
    "gp_seg_n3:\n" SYNC
    "	hlt\n"
    "gp_seg_end:\n"
    ".code64\n"
    "gl_seg_start:\n"
    "	cld\n"
    "	mov $" GUEST_STR(GUEST_MMIO_HIGH) ", %esi\n"
    "	movabs $0x0000800000000000, %rdi\n"
    "gl_seg_f1:\n"
    "	movsb\n"			/* non-canonical destination */
    "gl_seg_n1:\n"
    "	movabs $0x0000800000000000, %rsi\n"
    "gl_seg_f2:\n"
    "	lodsb\n"			/* non-canonical source */
    "gl_seg_n2:\n" SYNC
    "	hlt\n"
    "gl_seg_end:\n"
    GUEST_ASM_END);

/*
 * User code.  The test runs it at CPL 3 (IOPL 3 for the SYNCs) and at
 * CPL 0.  Each #UD returns to the label after the faulting instruction.
 */
#define USER_MMIO	GUEST_STR(GUEST_MMIO_HIGH) " + 0x100"
#define USER_JMP	GUEST_STR(GUEST_MMIO_HIGH) " + 0x200"

GUEST_CODE(gl_user);
GUEST_LABEL(gl_user_bts); GUEST_LABEL(gl_user_bts_next);
GUEST_LABEL(gl_user_jmp_next);
GUEST_LABEL(gl_user_lock); GUEST_LABEL(gl_user_lock_next);
asm(GUEST_ASM_BEGIN(".code64")
    "gl_user_start:\n"
    "	mov $" USER_MMIO ", %ebx\n"
    "	movl $0x5a, (%rbx)\n"
    "gl_user_bts:\n"
    "	btsl $1, (%rbx)\n"		/* not emulated */
    "gl_user_bts_next:\n"
    "	movl $0x6b, 4(%rbx)\n"
    "	mov $" USER_JMP ", %ecx\n"
    "	jmp *%rcx\n"			/* code on MMIO: not fetched */
    "gl_user_jmp_next:\n"
    "	movl $0x7c, 8(%rbx)\n"
    "gl_user_lock:\n"
    "	.byte 0xf0\n"
    "	cmpl %eax, (%rbx)\n"		/* LOCK CMP: #UD at any CPL */
    "gl_user_lock_next:\n"
    "	movl $0x8d, 12(%rbx)\n" SYNC
    "	hlt\n"
    "gl_user_end:\n"
    GUEST_ASM_END);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static bool boot(enum guest_mode mode, const unsigned char *start,
		 const unsigned char *end)
{
	return guest_boot(&vm, &vcpu, mode, start, end);
}

static void shutdown_vm(void)
{
	guest_shutdown(&vm, &vcpu);
}

static __u64 mmio_base(enum guest_mode mode)
{
	return mode == GUEST_REAL ? GUEST_MMIO_LOW : GUEST_MMIO_HIGH;
}

/* Register values: real mode's offsets are within their segments. */
static __u64 mmio_off(enum guest_mode mode)
{
	return mode == GUEST_REAL ? 0 : GUEST_MMIO_HIGH;
}

static __u64 ram_off(enum guest_mode mode)
{
	return mode == GUEST_REAL ? 0 : GUEST_DATA_GPA;
}

static bool check_regs(const char *what, unsigned int n, const enum guest_reg *regs,
		       const __u64 *want, __u64 mask)
{
	struct vmain_regs r;
	unsigned int i;
	bool ok;

	if (vcpu_get_regs(vcpu, &r))
		return false;
	ok = true;
	for (i = 0; i < n; i++)
		ok &= (*regs_ptr(&r, regs[i]) & mask) == (want[i] & mask);
	tap_ok(ok, "%s: %s", guest_case_name(), what);
	for (i = 0; !ok && i < n; i++)
		tap_diag("  reg %d: 0x%llx, want 0x%llx", regs[i],
			 (unsigned long long)(*regs_ptr(&r, regs[i]) & mask),
			 (unsigned long long)(want[i] & mask));
	return ok;
}

/* ------------------------------------------------------------------ */
/* MODE/string                                                         */
/* ------------------------------------------------------------------ */

static void test_string(enum guest_mode mode)
{
	static const unsigned char src[4] = { 0x34, 0x12, 0x78, 0x56 };
	const unsigned char *start = mode == GUEST_REAL ? gr_str_start :
				     mode == GUEST_PROT32 ? gp_str_start : gl_str_start;
	const unsigned char *end = mode == GUEST_REAL ? gr_str_end :
				   mode == GUEST_PROT32 ? gp_str_end : gl_str_end;
	const unsigned char *repstos = mode == GUEST_REAL ? gr_str_repstos :
				       mode == GUEST_PROT32 ? gp_str_repstos : gl_str_repstos;
	__u64 b = mmio_base(mode), mo = mmio_off(mode), ro = ram_off(mode);
	__u64 m32 = 0xffffffffULL;
	unsigned char got[3];
	bool ok;

	if (!boot(mode, start, end))
		return;
	vm_write(vm, GUEST_DATA_GPA + 0x200, src, sizeof(src));

	/* STOSB, STOSW, STOSD. */
	if (!expect_mmio_write(vcpu, b, 1, 0x44, "STOSB: 1 byte of AL") ||
	    !expect_mmio_write(vcpu, b + 1, 2, 0x3344, "STOSW: 2 bytes of AX at rDI + 1") ||
	    !expect_mmio_write(vcpu, b + 3, 4, 0x11223344, "STOSD: EAX at rDI + 3") ||
	    !run_to_sync(vcpu, "after the STOS"))
		goto out;
	check_regs("rDI advanced by 7", 1, (enum guest_reg[]){ R_RDI },
		   (__u64[]){ mo + 7 }, m32);

	/* REP STOSW: one exit per iteration, RIP stays while rCX != 0. */
	if (!expect_mmio_write(vcpu, b + 0x10, 2, 0xbeef, "REP STOSW: first iteration"))
		goto out;
	check_regs("between iterations: RIP on the REP STOSW, rCX 2, rDI + 2", 3,
		   (enum guest_reg[]){ R_RIP, R_RCX, R_RDI },
		   (__u64[]){ vcpu_code_rip(vcpu, (__u64)(repstos - start)), 2, mo + 0x12 },
		   mode == GUEST_LONG64 ? ~0ULL : m32);
	if (!expect_mmio_write(vcpu, b + 0x12, 2, 0xbeef, "REP STOSW: second iteration") ||
	    !expect_mmio_write(vcpu, b + 0x14, 2, 0xbeef, "REP STOSW: third iteration") ||
	    !run_to_sync(vcpu, "after REP STOSW"))
		goto out;
	check_regs("REP STOSW: rCX 0, rDI + 6", 2, (enum guest_reg[]){ R_RCX, R_RDI },
		   (__u64[]){ 0, mo + 0x16 }, m32);

	/* DF = 1. */
	if (!expect_mmio_write(vcpu, b + 0x21, 1, 0x5a, "STD; REP STOSB: first at rDI") ||
	    !expect_mmio_write(vcpu, b + 0x20, 1, 0x5a, "STD; REP STOSB: then rDI - 1") ||
	    !run_to_sync(vcpu, "after STD; REP STOSB"))
		goto out;
	check_regs("DF=1: rDI went down by 2", 1, (enum guest_reg[]){ R_RDI },
		   (__u64[]){ mo + 0x1f }, m32);

	/* LODS through FS. */
	if (!expect_mmio_read(vcpu, b, 1, 0x12, "FS: LODSB reads 1 byte at FS:rSI") ||
	    !expect_mmio_read(vcpu, b + 1, 2, 0x3456, "FS: LODSW reads 2 bytes at rSI + 1") ||
	    !run_to_sync(vcpu, "after the LODS"))
		goto out;
	check_regs("LODSW's value in AX, the rest of EAX kept; rSI + 3", 2,
		   (enum guest_reg[]){ R_RAX, R_RSI },
		   (__u64[]){ 0xaaaa3456, mo + 3 }, m32);

	/* REP MOVSB MMIO -> RAM. */
	if (!expect_mmio_read(vcpu, b + 0x40, 1, 0xa1, "REP MOVSB MMIO->RAM: read 1") ||
	    !expect_mmio_read(vcpu, b + 0x41, 1, 0xb2, "REP MOVSB MMIO->RAM: read 2") ||
	    !expect_mmio_read(vcpu, b + 0x42, 1, 0xc3, "REP MOVSB MMIO->RAM: read 3") ||
	    !run_to_sync(vcpu, "after REP MOVSB MMIO->RAM"))
		goto out;
	vm_read(vm, GUEST_DATA_GPA + 0x100, got, sizeof(got));
	ok = got[0] == 0xa1 && got[1] == 0xb2 && got[2] == 0xc3;
	tap_ok(ok, "%s: the bytes read landed in RAM", guest_case_name());
	if (!ok)
		tap_diag("  RAM %02x %02x %02x", got[0], got[1], got[2]);
	check_regs("REP MOVSB: rSI + 3, rDI + 3, rCX 0", 3,
		   (enum guest_reg[]){ R_RSI, R_RDI, R_RCX },
		   (__u64[]){ mo + 0x43, ro + 0x103, 0 }, m32);

	/* REP MOVSW RAM -> MMIO. */
	if (!expect_mmio_write(vcpu, b + 0x50, 2, 0x1234, "REP MOVSW RAM->MMIO: RAM's first word") ||
	    !expect_mmio_write(vcpu, b + 0x52, 2, 0x5678, "REP MOVSW RAM->MMIO: RAM's second word") ||
	    !run_to_sync(vcpu, "after REP MOVSW RAM->MMIO"))
		goto out;
	check_regs("REP MOVSW: rSI + 4, rDI + 4, rCX 0", 3,
		   (enum guest_reg[]){ R_RSI, R_RDI, R_RCX },
		   (__u64[]){ ro + 0x204, mo + 0x54, 0 }, m32);

	/* MOVSD MMIO -> MMIO: a read exit, then a write exit. */
	if (!expect_mmio_read(vcpu, b + 0x60, 4, 0xcafef00d, "MOVSD MMIO->MMIO: the read") ||
	    !expect_mmio_write(vcpu, b + 0x70, 4, 0xcafef00d, "MOVSD MMIO->MMIO: the value read, written") ||
	    !run_to_sync(vcpu, "after MOVSD MMIO->MMIO"))
		goto out;
	check_regs("MOVSD: rSI + 4, rDI + 4", 2, (enum guest_reg[]){ R_RSI, R_RDI },
		   (__u64[]){ mo + 0x64, mo + 0x74 }, m32);

	/* A 32-bit address size. */
	if (mode != GUEST_PROT32) {
		if (!expect_mmio_write(vcpu, b + 0x30, 1, 0x77, "addr32 REP STOSB: EDI") ||
		    !expect_mmio_write(vcpu, b + 0x31, 1, 0x77, "addr32 REP STOSB: EDI + 1") ||
		    !run_to_sync(vcpu, "after addr32 REP STOSB"))
			goto out;
		check_regs(mode == GUEST_LONG64 ?
			   "addr32: RDI and RCX written as EDI and ECX (bits 63:32 cleared)" :
			   "addr32: EDI + 2, ECX 0", 2,
			   (enum guest_reg[]){ R_RDI, R_RCX },
			   (__u64[]){ mo + 0x32, 0 }, ~0ULL);
	}
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

/* ------------------------------------------------------------------ */
/* MODE/rmw                                                            */
/* ------------------------------------------------------------------ */

struct rmw_step {
	unsigned int off, len;
	__u64 read, write;	/* write: ~0 for none (CMP, TEST) */
	bool sync;
	__u64 flags;		/* at the sync: the arithmetic flags, or ~0 */
	const char *what;
};

#define NOWRITE (~0ULL)
#define NOFLAGS (~0ULL)

static const struct rmw_step rmw_steps[] = {
	{ 0x00, 1, 0x01, 0x81, false, NOFLAGS, "OR byte, imm8 0x80" },
	{ 0x02, 2, 0x1234, 0x0230, false, NOFLAGS, "AND word, imm16 0x0ff0" },
	{ 0x04, 4, 0x0f0f0f0f, 0xf0f0f0f0, false, NOFLAGS, "XOR dword, EAX" },
	{ 0x08, 1, 0xff, 0x00, true, 0x55, "ADD byte 0xff + 1: CF ZF AF PF" },
	{ 0x0a, 2, 0x7fff, 0x8000, true, 0x894, "ADD word 0x7fff + 1: OF SF AF PF" },
	{ 0x0c, 2, 0x0001, 0xffff, true, 0x95, "SUB word 1 - CX (2): CF SF AF PF" },
	{ 0x10, 4, 0x10, NOWRITE, true, 0x44, "CMP dword 0x10, 0x10: ZF PF, no write" },
	{ 0x14, 1, 0x40, NOWRITE, true, 0x00, "TEST byte 0x40, 0x40: no flag, no write" },
	{ 0x18, 1, 0x10, 0x12, true, 0x04, "STC; ADC byte 0x10 + 1 + CF" },
	{ 0x19, 1, 0x10, 0x0e, true, 0x10, "STC; SBB byte 0x10 - 1 - CF: AF" },
	{ 0x1c, 4, 0x33334444, 0x11112222, true, NOFLAGS, "XCHG dword, EDX" },
	{ 0x20, 4, 0x23, NOWRITE, true, NOFLAGS, "ADD ESI, dword" },
	{ 0x24, 1, 0x0a, 0x5f, false, NOFLAGS, "OR byte, AH" },
	{ 0x28, 4, 0x10, 0x11, true, NOFLAGS, "LOCK OR dword, 1" },
};

static void test_rmw(enum guest_mode mode)
{
	const unsigned char *start = mode == GUEST_REAL ? gr_rmw_start :
				     mode == GUEST_PROT32 ? gp_rmw_start : gl_rmw_start;
	const unsigned char *end = mode == GUEST_REAL ? gr_rmw_end :
				   mode == GUEST_PROT32 ? gp_rmw_end : gl_rmw_end;
	__u64 b = mmio_base(mode) + 0x100;
	unsigned int i;
	char what[160];

	if (!boot(mode, start, end))
		return;
	for (i = 0; i < sizeof(rmw_steps) / sizeof(rmw_steps[0]); i++) {
		const struct rmw_step *s = &rmw_steps[i];

		snprintf(what, sizeof(what), "%s: reads %u bytes", s->what, s->len);
		if (!expect_mmio_read(vcpu, b + s->off, s->len, s->read, "%s", what))
			goto out;
		if (s->write != NOWRITE) {
			snprintf(what, sizeof(what), "%s: writes 0x%llx back", s->what,
				 (unsigned long long)s->write);
			if (!expect_mmio_write(vcpu, b + s->off, s->len, s->write, "%s", what))
				goto out;
		}
		if (!s->sync)
			continue;
		snprintf(what, sizeof(what), "%s: done", s->what);
		if (!run_to_sync(vcpu, what))
			goto out;
		if (s->flags != NOFLAGS) {
			snprintf(what, sizeof(what), "%s: RFLAGS 0x%llx", s->what,
				 (unsigned long long)s->flags);
			check_reg(vcpu, R_RFLAGS, FLAGS_ARITH, s->flags, what);
		}
	}
	check_regs("XCHG left the value read in EDX, ADD 0x100 + 0x23 in ESI", 2,
		   (enum guest_reg[]){ R_RDX, R_RSI },
		   (__u64[]){ 0x33334444, 0x123 }, 0xffffffffULL);
	if (mode == GUEST_LONG64 &&
	    (!expect_mmio_read(vcpu, b + 0x30, 8, 1, "ADD qword, R9: reads 8 bytes") ||
	     !expect_mmio_write(vcpu, b + 0x30, 8, 0x0102030405060709ULL,
				"ADD qword, R9: writes the 64-bit sum") ||
	     !run_to_sync(vcpu, "after ADD qword")))
		goto out;
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

/* ------------------------------------------------------------------ */
/* long64/immediate-exit                                               */
/* ------------------------------------------------------------------ */

static void test_immediate_exit(void)
{
	struct vmain_run *run;
	__u64 b = GUEST_MMIO_HIGH + 0x100, v = 0;
	int ret;
	bool ok;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_rmw)))
		return;
	run = vcpu->run;
	if (!expect_mmio_read(vcpu, b, 1, 0x01, "OR byte: the read exit"))
		goto out;
	run->immediate_exit = 1;
	ret = vcpu_run(vcpu);
	memcpy(&v, run->exit.mmio.data, 1);
	ok = ret == 0 && run->exit_reason == VMAIN_EXIT_MMIO && run->exit.mmio.is_write &&
	     run->exit.mmio.phys_addr == b && run->exit.mmio.len == 1 && v == 0x81;
	tap_ok(ok, "%s: RUN with immediate_exit returns 0 with the OR's write exit (0x81)",
	       guest_case_name());
	if (!ok)
		tap_diag("  RUN %d (%s), %s", ret, ret ? strerror(errno) : "-", exit_str(vcpu));
	ret = vcpu_run(vcpu);
	ok = ret == -1 && errno == EINTR && run->exit_reason == VMAIN_EXIT_INTR;
	tap_ok(ok, "%s: the next RUN with immediate_exit returns EINTR", guest_case_name());
	if (!ok)
		tap_diag("  RUN %d, %s", ret, exit_str(vcpu));
	run->immediate_exit = 0;
	expect_mmio_read(vcpu, b + 2, 2, 0x1234,
			 "the guest goes on with the next instruction (AND): the OR was done once");
out:
	shutdown_vm();
}

/* ------------------------------------------------------------------ */
/* long64/ad-bits                                                      */
/* ------------------------------------------------------------------ */

static bool ad_check(__u64 gpa, __u64 want, const char *what)
{
	__u64 e;
	bool ok;

	vm_read(vm, gpa, &e, 8);
	ok = (e & (AD_A | AD_D)) == want;
	tap_ok(ok, "%s: %s", guest_case_name(), what);
	if (!ok)
		tap_diag("  entry 0x%llx, want A/D bits 0x%llx",
			 (unsigned long long)e, (unsigned long long)want);
	return ok;
}

/*
 * Runs to the stub of `vector`; an MMIO read at read_gpa on the way (the
 * source of a MOVS or LODS read before the faulting check) is answered.
 */
static bool fault_after_read(unsigned int vector, __u64 read_gpa, const char *what)
{
	struct vmain_run *run = vcpu->run;
	bool ok;

	if (vcpu_run(vcpu) == 0 && run->exit_reason == VMAIN_EXIT_MMIO &&
	    !run->exit.mmio.is_write) {
		ok = run->exit.mmio.phys_addr == read_gpa;
		tap_ok(ok, "%s: %s: the source was read first, at 0x%llx",
		       guest_case_name(), what, (unsigned long long)read_gpa);
		if (!ok)
			tap_diag("  %s", exit_str(vcpu));
		memset(run->exit.mmio.data, 0x77, sizeof(run->exit.mmio.data));
		return expect_vector(vcpu, vector, "%s raises %s", what,
				     vector == 12 ? "#SS" : vector == 14 ? "#PF" : "#GP");
	}
	ok = run->exit_reason == VMAIN_EXIT_IO &&
	     run->exit.io.direction == VMAIN_IO_OUT &&
	     run->exit.io.port == GUEST_PORT_VECTOR &&
	     *(__u8 *)io_data(vcpu) == vector;
	tap_ok(ok, "%s: %s raises %s (before any access)", guest_case_name(), what,
	       vector == 12 ? "#SS" : vector == 14 ? "#PF" : "#GP");
	if (!ok)
		tap_diag("  %s", exit_str(vcpu));
	return ok;
}

static void test_ad_bits(void)
{
	__u64 e, pf_rip, pf_next;
	struct vmain_sregs s;
	struct guest_frame fr;
	unsigned char got;
	unsigned int i;
	bool ok;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_ad)))
		return;
	/* PD entry 1 (2..4 MiB) -> the page table; A/D clear everywhere. */
	e = AD_PT_GPA | AD_P_RW;
	vm_write(vm, GUEST_PD_GPA + 8, &e, 8);
	for (i = 0; i < 4; i++) {
		static const __u64 to[3] = {
			GUEST_MMIO_HIGH, AD_RAM_GPA, GUEST_MMIO_HIGH + GUEST_PAGE,
		};

		e = i < 3 ? to[i] | AD_P_RW : 0;
		vm_write(vm, AD_PT_GPA + i * 8, &e, 8);
	}

	if (!expect_mmio_read(vcpu, GUEST_MMIO_HIGH, 1, 0x42, "MOVSB MMIO->RAM: the read") ||
	    !run_to_sync(vcpu, "after MOVSB MMIO->RAM"))
		goto out;
	vm_read(vm, AD_RAM_GPA, &got, 1);
	tap_ok(got == 0x42, "%s: the byte reached the RAM page", guest_case_name());
	ad_check(GUEST_PD_GPA + 8, AD_A, "A set in the PDE");
	ad_check(AD_PT_GPA + 8, AD_A | AD_D, "the emulated RAM write set A and D in its PTE");
	ad_check(AD_PT_GPA + 16, 0, "the MMIO page's PTE, not used yet, has A/D clear");

	if (!expect_mmio_read(vcpu, GUEST_MMIO_HIGH, 1, 0x43, "MOVSB MMIO->MMIO: the read") ||
	    !expect_mmio_write(vcpu, GUEST_MMIO_HIGH + GUEST_PAGE, 1, 0x43,
			       "MOVSB MMIO->MMIO: the write, through the third PTE") ||
	    !run_to_sync(vcpu, "after MOVSB MMIO->MMIO"))
		goto out;
	ad_check(AD_PT_GPA + 16, AD_A | AD_D, "the emulated MMIO write set A and D in its PTE");

	pf_rip = vcpu_code_rip(vcpu, GUEST_OFF(gl_ad, gl_ad_pf));
	pf_next = vcpu_code_rip(vcpu, GUEST_OFF(gl_ad, gl_ad_pf_next));
	if (!fault_after_read(14, GUEST_MMIO_HIGH, "MOVSB to a not-present page"))
		goto out;
	ok = !guest_read_frame(vcpu, &fr) && fr.error == 0x2 && fr.rip == pf_rip;
	tap_ok(ok, "%s: #PF error code 0x2 (write, not present) at the MOVSB",
	       guest_case_name());
	if (!ok)
		tap_diag("  error 0x%llx rip 0x%llx, want rip 0x%llx",
			 (unsigned long long)fr.error, (unsigned long long)fr.rip,
			 (unsigned long long)pf_rip);
	if (!vcpu_get_sregs(vcpu, &s)) {
		ok = s.cr2 == AD_LA + 3 * GUEST_PAGE;
		tap_ok(ok, "%s: CR2 is the destination 0x%x", guest_case_name(),
		       AD_LA + 3 * 0x1000);
		if (!ok)
			tap_diag("  CR2 0x%llx", (unsigned long long)s.cr2);
	}
	check_regs("#PF: RSI and RDI unchanged", 2, (enum guest_reg[]){ R_RSI, R_RDI },
		   (__u64[]){ AD_LA, AD_LA + 3 * GUEST_PAGE }, ~0ULL);
	if (guest_frame_set_rip(vcpu, pf_next) || !run_to_sync(vcpu, "after the #PF"))
		goto out;
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

/* ------------------------------------------------------------------ */
/* long64/user-undecodable                                             */
/* ------------------------------------------------------------------ */

/* Ring-3 descriptors after the library's TSS, and the ring-0 stack. */
#define USER_SEL_DATA	0x38
#define USER_SEL_CODE	0x40
#define USER_RSP0	(GUEST_STACK_TOP - 0x10)
#define USER_RSP	(GUEST_STACK_TOP - 0x800)
#define PTE_U		0x4ULL

static void put_u64(__u64 gpa, __u64 v)
{
	vm_write(vm, gpa, &v, 8);
}

static void set_u_bit(__u64 gpa)
{
	__u64 e;

	vm_read(vm, gpa, &e, 8);
	put_u64(gpa, e | PTE_U);
}

/*
 * Moves the booted vCPU to CPL 3: a DPL-3 code and data descriptor pair,
 * RSP0 in the TSS for the privilege change of an exception (SDM Vol. 3A
 * 6.14.4; APM Vol. 2 8.9.3), the U bit on the paths to the low 2 MiB
 * (code, stack) and to the MMIO page (SDM Vol. 3A 4.6: every level), and
 * IOPL 3 for the SYNC OUTs.
 */
static bool enter_user(void)
{
	struct vmain_sregs s;
	struct vmain_segment *segs[] = { &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
	struct vmain_regs r;
	unsigned int i;

	put_u64(GUEST_GDT_GPA + USER_SEL_DATA, 0x00cff3000000ffffULL);
	put_u64(GUEST_GDT_GPA + USER_SEL_CODE, 0x00affb000000ffffULL);
	put_u64(GUEST_TSS_GPA + 4, USER_RSP0);
	set_u_bit(GUEST_PML4_GPA);
	set_u_bit(GUEST_PDPT_GPA);
	set_u_bit(GUEST_PD_GPA);
	set_u_bit(GUEST_PDPT_GPA + 8 * (GUEST_MMIO_HIGH >> 30));
	set_u_bit(GUEST_PD_GPA + GUEST_PAGE * (GUEST_MMIO_HIGH >> 30) +
		  8 * ((GUEST_MMIO_HIGH >> 21) & 511));
	if (vcpu_get_sregs(vcpu, &s) || vcpu_get_regs(vcpu, &r))
		return false;
	s.gdt.limit = USER_SEL_CODE + 7;
	s.cs.selector = USER_SEL_CODE | 3;
	s.cs.dpl = 3;
	for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		segs[i]->selector = USER_SEL_DATA | 3;
		segs[i]->dpl = 3;
	}
	*regs_ptr(&r, R_RFLAGS) = 0x3002;
	*regs_ptr(&r, R_RSP) = USER_RSP;
	return !vcpu_set_sregs(vcpu, &s) && !vcpu_set_regs(vcpu, &r);
}

/*
 * Runs to the #UD handler: the frame's RIP is `rip` (and CS has RPL
 * `cpl`); its IRET is sent to `next`.
 */
static bool expect_ud(__u64 rip, unsigned int cpl, __u64 next, const char *what)
{
	struct guest_frame fr;
	bool ok;

	if (!expect_vector(vcpu, 6, "%s raises #UD in the guest, the RUN goes on", what))
		return false;
	ok = !guest_read_frame(vcpu, &fr) && fr.rip == rip && (fr.cs & 3) == cpl;
	tap_ok(ok, "%s: %s: the #UD's frame has its RIP 0x%llx and CPL %u",
	       guest_case_name(), what, (unsigned long long)rip, cpl);
	if (!ok)
		tap_diag("  frame rip 0x%llx cs 0x%llx", (unsigned long long)fr.rip,
			 (unsigned long long)fr.cs);
	return !guest_frame_set_rip(vcpu, next) && ok;
}

static void test_user_undecodable(void)
{
	__u64 b = GUEST_MMIO_HIGH + 0x100, bts, bytes = 0;
	struct vmain_run_internal *in;
	bool ok;

#define USER_RIP(l) vcpu_code_rip(vcpu, GUEST_OFF(gl_user, l))
	/* CPL 3. */
	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_user)))
		return;
	if (!enter_user()) {
		shutdown_vm();
		return;
	}
	bts = USER_RIP(gl_user_bts);
	if (!expect_mmio_write(vcpu, b, 4, 0x5a, "CPL 3: MOV to MMIO is emulated") ||
	    !expect_ud(bts, 3, USER_RIP(gl_user_bts_next), "CPL 3: BTS to MMIO (not emulated)") ||
	    !expect_mmio_write(vcpu, b + 4, 4, 0x6b, "CPL 3: the guest's user code goes on") ||
	    !expect_ud(GUEST_MMIO_HIGH + 0x200, 3, USER_RIP(gl_user_jmp_next),
		       "CPL 3: a jump into MMIO (code not in RAM)") ||
	    !expect_mmio_write(vcpu, b + 8, 4, 0x7c, "CPL 3: after the jump's #UD") ||
	    !expect_ud(USER_RIP(gl_user_lock), 3, USER_RIP(gl_user_lock_next),
		       "CPL 3: LOCK CMP on MMIO (the CPU's #UD reaches the guest)") ||
	    !expect_mmio_write(vcpu, b + 12, 4, 0x8d, "CPL 3: after LOCK CMP's #UD"))
		goto out;
	expect_sync(vcpu, "CPL 3: the guest ran to its end");
	shutdown_vm();

	/* CPL 0: the guest's kernel gets no #UD for what is not emulated. */
	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_user)))
		return;
	in = &vcpu->run->exit.internal;
	bts = USER_RIP(gl_user_bts);
	if (!expect_mmio_write(vcpu, b, 4, 0x5a, "CPL 0: MOV to MMIO is emulated"))
		goto out;
	if (!expect_exit(vcpu, VMAIN_EXIT_INTERNAL_ERROR,
			 "CPL 0: BTS to MMIO ends the RUN with VMAIN_EXIT_INTERNAL_ERROR"))
		goto out;
	vm_read(vm, bts, &bytes, 8);
	ok = in->suberror == VMAIN_INTERNAL_EMULATION && in->ndata >= 2 &&
	     in->data[0] == bts && in->data[1] == bytes;
	tap_ok(ok, "%s: VMAIN_INTERNAL_EMULATION with the BTS's RIP 0x%llx and bytes 0x%llx",
	       guest_case_name(), (unsigned long long)bts, (unsigned long long)bytes);
	if (!ok)
		tap_diag("  %s", exit_str(vcpu));
	/* Userspace may skip it and go on, as a monitor could. */
	if (vcpu_set_reg(vcpu, R_RIP, USER_RIP(gl_user_bts_next)) ||
	    !expect_mmio_write(vcpu, b + 4, 4, 0x6b, "CPL 0: the guest goes on past the BTS"))
		goto out;
	/* The jump into MMIO at CPL 0 would end the RUN too: skip it. */
	if (vcpu_set_reg(vcpu, R_RIP, USER_RIP(gl_user_jmp_next)) ||
	    !expect_mmio_write(vcpu, b + 8, 4, 0x7c, "CPL 0: at the LOCK CMP") ||
	    !expect_ud(USER_RIP(gl_user_lock), 0, USER_RIP(gl_user_lock_next),
		       "CPL 0: LOCK CMP on MMIO (the CPU's #UD reaches the guest)") ||
	    !expect_mmio_write(vcpu, b + 12, 4, 0x8d, "CPL 0: after LOCK CMP's #UD") ||
	    !run_to_sync(vcpu, "CPL 0: the end"))
		goto out;
	expect_hlt(vcpu, GUEST_ANY_RIP, "CPL 0: the guest finished");
#undef USER_RIP
out:
	shutdown_vm();
}

/* ------------------------------------------------------------------ */
/* MODE/seg-limit                                                      */
/* ------------------------------------------------------------------ */

struct seg_fault {
	const unsigned char *fault, *next;
	unsigned int vector;
	__u64 read_gpa;		/* an MMIO read that may come first */
	__u64 rsi, rdi;		/* unchanged at the fault */
	const char *what;
};

static void test_seg_limit(enum guest_mode mode)
{
	const struct seg_fault real[] = {
		{ gr_seg_f1, gr_seg_n1, 13, GUEST_MMIO_LOW, 0, 0x10000,
		  "addr32 MOVSB to ES:0x10000 (past ES's limit 0xffff)" },
		{ gr_seg_f2, gr_seg_n2, 13, ~0ULL, 0x10000, 0x10000,
		  "addr32 LODSB from FS:0x10000 (past FS's limit)" },
	};
	const struct seg_fault prot[] = {
		{ gp_seg_f1, gp_seg_n1, 13, GUEST_MMIO_HIGH, GUEST_MMIO_HIGH,
		  GUEST_MMIO_HIGH + 0x10, "MOVSB to ES past its limit" },
		{ gp_seg_f2, gp_seg_n2, 12, ~0ULL, GUEST_MMIO_HIGH,
		  GUEST_MMIO_HIGH + 0x10, "LODSB through SS past its limit" },
		{ gp_seg_f3, gp_seg_n3, 13, ~0ULL, GUEST_MMIO_HIGH,
		  GUEST_MMIO_HIGH + 0x10, "OR to MMIO through a read-only GS" },
	};
	const struct seg_fault l64[] = {
		{ gl_seg_f1, gl_seg_n1, 13, GUEST_MMIO_HIGH, GUEST_MMIO_HIGH,
		  0x0000800000000000ULL, "MOVSB to a non-canonical RDI" },
		{ gl_seg_f2, gl_seg_n2, 13, ~0ULL, 0x0000800000000000ULL,
		  0x0000800000000000ULL, "LODSB from a non-canonical RSI" },
	};
	const unsigned char *start = mode == GUEST_REAL ? gr_seg_start :
				     mode == GUEST_PROT32 ? gp_seg_start : gl_seg_start;
	const unsigned char *end = mode == GUEST_REAL ? gr_seg_end :
				   mode == GUEST_PROT32 ? gp_seg_end : gl_seg_end;
	const struct seg_fault *f = mode == GUEST_REAL ? real :
				    mode == GUEST_PROT32 ? prot : l64;
	unsigned int n = mode == GUEST_PROT32 ? 3 : 2;
	__u64 mask = mode == GUEST_LONG64 ? ~0ULL : 0xffffffffULL;
	struct vmain_sregs s;
	struct guest_frame fr;
	unsigned int i;
	__u64 rip;
	bool ok;

	if (!boot(mode, start, end))
		return;
	if (mode == GUEST_PROT32) {
		if (vcpu_get_sregs(vcpu, &s))
			goto out;
		s.es.limit = GUEST_MMIO_HIGH - 1;
		s.ss.limit = GUEST_MMIO_HIGH - 1;
		s.gs.type = 0x1;		/* read-only, accessed */
		if (vcpu_set_sregs(vcpu, &s)) {
			tap_ok(0, "%s: SET_SREGS: %s", guest_case_name(), strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (!fault_after_read(f[i].vector, f[i].read_gpa, f[i].what))
			goto out;
		rip = vcpu_code_rip(vcpu, (__u64)(f[i].fault - start));
		ok = !guest_read_frame(vcpu, &fr) && fr.error == 0 && fr.rip == rip;
		tap_ok(ok, "%s: %s: error code 0 at the instruction",
		       guest_case_name(), f[i].what);
		if (!ok)
			tap_diag("  error 0x%llx rip 0x%llx, want rip 0x%llx",
				 (unsigned long long)fr.error, (unsigned long long)fr.rip,
				 (unsigned long long)rip);
		check_regs("rSI and rDI unchanged at the fault", 2,
			   (enum guest_reg[]){ R_RSI, R_RDI },
			   (__u64[]){ f[i].rsi, f[i].rdi }, mask);
		if (guest_frame_set_rip(vcpu, vcpu_code_rip(vcpu, (__u64)(f[i].next - start))))
			goto out;
	}
	if (run_to_sync(vcpu, "after the faults"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

int main(int argc, char **argv)
{
	static const char *const topics[] = { "string", "rmw", "seg-limit" };
	char name[64];
	int mode;
	unsigned int t;

	guest_init(argc, argv, 0);
	for (mode = GUEST_REAL; mode <= GUEST_LONG64; mode++) {
		for (t = 0; t < 3; t++) {
			snprintf(name, sizeof(name), "%s/%s", mode_names[mode], topics[t]);
			if (!guest_want(name))
				continue;
			guest_case(name);
			switch (t) {
			case 0: test_string((enum guest_mode)mode); break;
			case 1: test_rmw((enum guest_mode)mode); break;
			default: test_seg_limit((enum guest_mode)mode); break;
			}
		}
	}
	if (guest_want("long64/immediate-exit")) {
		guest_case("long64/immediate-exit");
		test_immediate_exit();
	}
	if (guest_want("long64/ad-bits")) {
		guest_case("long64/ad-bits");
		test_ad_bits();
	}
	if (guest_want("long64/user-undecodable")) {
		guest_case("long64/user-undecodable");
		test_user_undecodable();
	}
	return guest_done();
}
