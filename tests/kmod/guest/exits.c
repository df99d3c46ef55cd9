// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exits.c - the exits a guest makes to userspace, in real mode, 32-bit
 * protected mode and 64-bit long mode:
 *
 *   MODE/io        OUT (1/2/4 bytes, immediate and DX port forms; RIP is
 *                  past the OUT at its exit), IN
 *                  (the supplied value lands in AL/AX/EAX, the rest of RAX
 *                  as the architecture says), HLT (RIP after the HLT, RUN
 *                  resumes after it, with IF=0 and IF=1)
 *   MODE/mmio      MMIO writes and reads of 1, 2, 4 (and 8 in 64-bit mode)
 *                  bytes where no slot is: mov r/m, mov imm, movzx/movsx,
 *                  moffs (real/32-bit), high-byte and REX byte registers;
 *                  phys_addr, len, is_write, data, and the loaded value in
 *                  the destination register (zero/sign extension, untouched
 *                  upper bits)
 *   MODE/string    OUTS/INS with and without REP: count, data, chunks of at
 *                  most 4096 bytes, RSI/RDI/RCX afterwards, REP with RCX=0,
 *                  DF=1
 *   MODE/readonly  a VMAIN_MEM_READONLY slot: reads see the memory, writes
 *                  exit as MMIO writes and do not reach the memory
 *   long64/mmio-above-4g   MMIO at 6 GiB (when the guest has 33+ phys bits)
 *   long64/mmio-unsupported  BTS to MMIO (an instruction the module does not
 *                  emulate): VMAIN_INTERNAL_EMULATION at its RIP
 *   long64/ad-bits REP INSB/OUTSB through a 4 KiB mapping whose entries
 *                  have A/D clear: the emulated writes set A on the PDE and
 *                  A and D on the PTE, the reads set only A (SDM Vol. 3A
 *                  4.8)
 *   MODE/seg-limit string I/O past a segment limit, through SS, through a
 *                  read-only ES (INS), a null FS, an expand-down GS, a
 *                  non-canonical address (long64): #GP(0)/#SS(0) at the
 *                  instruction, and no exit for its port (SDM Vol. 3A 5.3)
 *
 * MODE is real, prot32 or long64.  Usage: exits [-T TIMEOUT] [CASE...]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

#define PORT_A		0x10	/* OUT immediate forms */
#define PORT_IN		0x20	/* IN immediate forms */
#define PORT_DX_OUT	0x1234	/* OUT DX forms */
#define PORT_DX_IN	0x4321	/* IN DX forms */
#define PORT_STR	0x1e0	/* string I/O */
#define PORT_VAL	0x30	/* readonly test: values read */
#define SYNC		"out %al, $" GUEST_STR(GUEST_PORT_SYNC) "\n"

#define STR_IN_OFF	0x8000	/* INS destination: GUEST_DATA_GPA + this */
#define RO_GPA		0x90000	/* the read-only slot */
#define RO_SIZE		0x4000
#define RO_SLOT		1
#define HIGH_MMIO	0x180000000ULL	/* 6 GiB */

/* ------------------------------------------------------------------ */
/* Guest code                                                          */
/* ------------------------------------------------------------------ */

/*
 * I/O: the same instructions in every mode; PRELOAD puts a known value in
 * RAX before each group of INs so that the untouched bits can be checked.
 */
#define IO_BODY(name, preload)						\
	"	mov $0x11, %al\n"					\
	"	out %al, $" GUEST_STR(PORT_A) "\n"			\
	name "_out1:\n"							\
	"	mov $0x2233, %ax\n"					\
	"	out %ax, $" GUEST_STR(PORT_A) "+2\n"			\
	"	mov $0x44556677, %eax\n"				\
	"	out %eax, $" GUEST_STR(PORT_A) "+4\n"			\
	"	mov $" GUEST_STR(PORT_DX_OUT) ", %dx\n"			\
	"	mov $0x88, %al\n"					\
	"	out %al, %dx\n"						\
	"	mov $0x99aa, %ax\n"					\
	"	out %ax, %dx\n"						\
	"	mov $0xbbccddee, %eax\n"				\
	"	out %eax, %dx\n"					\
	"	" preload "\n"						\
	"	in $" GUEST_STR(PORT_IN) ", %al\n"			\
	SYNC								\
	"	in $" GUEST_STR(PORT_IN) "+2, %ax\n"			\
	SYNC								\
	"	in $" GUEST_STR(PORT_IN) "+4, %eax\n"			\
	SYNC								\
	"	mov $" GUEST_STR(PORT_DX_IN) ", %dx\n"			\
	"	" preload "\n"						\
	"	in %dx, %al\n"						\
	SYNC								\
	"	in %dx, %ax\n"						\
	SYNC								\
	"	in %dx, %eax\n"						\
	SYNC								\
	"	hlt\n"							\
	name "_hlt1:\n"							\
	SYNC								\
	"	sti\n"							\
	"	hlt\n"							\
	name "_hlt2:\n"							\
	"	jmp " name "_hlt2\n"

GUEST_CODE(gr_io); GUEST_LABEL(gr_io_out1);
GUEST_LABEL(gr_io_hlt1); GUEST_LABEL(gr_io_hlt2);
GUEST_CODE(gp_io); GUEST_LABEL(gp_io_out1);
GUEST_LABEL(gp_io_hlt1); GUEST_LABEL(gp_io_hlt2);
GUEST_CODE(gl_io); GUEST_LABEL(gl_io_out1);
GUEST_LABEL(gl_io_hlt1); GUEST_LABEL(gl_io_hlt2);

asm(GUEST_ASM_BEGIN(".code16")
    "gr_io_start:\n"
    IO_BODY("gr_io", "mov $0x11223344, %eax")
    "gr_io_end:\n"
    ".code32\n"
    "gp_io_start:\n"
    IO_BODY("gp_io", "mov $0x11223344, %eax")
    "gp_io_end:\n"
    ".code64\n"
    "gl_io_start:\n"
    IO_BODY("gl_io", "movabs $0x1122334455667788, %rax")
    "gl_io_end:\n"
    GUEST_ASM_END);

/*
 * MMIO.  Real mode: ES:BX = GUEST_MMIO_LOW.  32/64-bit: [E/R]BX =
 * GUEST_MMIO_HIGH.  Reads first copy the canary in [E/R]BP into the
 * destination and end with a checkpoint, where the test reads the register.
 */
GUEST_CODE(gr_mmio);
GUEST_CODE(gp_mmio);
GUEST_CODE(gl_mmio);
GUEST_CODE(gl_mmio_hi);
GUEST_CODE(gl_mmio_rmw); GUEST_LABEL(gl_mmio_rmw_insn);

asm(GUEST_ASM_BEGIN(".code16")
    "gr_mmio_start:\n"
    "	mov $" GUEST_STR(GUEST_MMIO_LOW) " >> 4, %ax\n"
    "	mov %ax, %es\n"
    "	xor %bx, %bx\n"
    "	mov $0xaaaaaaaa, %ebp\n"
    /* writes */
    "	mov $0x5a, %al\n"
    "	mov %al, %es:(%bx)\n"
    "	mov $0x1234, %cx\n"
    "	mov %cx, %es:2(%bx)\n"
    "	mov $0x89abcdef, %edx\n"
    "	mov %edx, %es:4(%bx)\n"
    "	movb $0xa5, %es:0x10(%bx)\n"
    "	movw $0xbeef, %es:0x12(%bx)\n"
    "	movl $0xdeadbeef, %es:0x14(%bx)\n"
    "	mov $0x20, %si\n"
    "	mov %dx, %es:(%bx,%si)\n"
    "	mov $0x77, %ah\n"
    "	mov %ah, %es:0x30(%bx)\n"
    "	mov %al, %es:0x40\n"			/* moffs: 26 a2 */
    "	mov %ax, %es:0x42\n"			/* 26 a3 */
    "	mov $0x01020304, %eax\n"
    "	mov %eax, %es:0x44\n"			/* 26 66 a3 */
    /* reads */
    "	mov %ebp, %eax\n	mov %es:0x80(%bx), %al\n" SYNC
    "	mov %ebp, %eax\n	mov %es:0x81(%bx), %ah\n" SYNC
    "	mov %ebp, %ecx\n	mov %es:0x82(%bx), %cx\n" SYNC
    "	mov %ebp, %edx\n	mov %es:0x84(%bx), %edx\n" SYNC
    "	mov %ebp, %esi\n	movzbw %es:0x88(%bx), %si\n" SYNC
    "	mov %ebp, %edi\n	movsbw %es:0x89(%bx), %di\n" SYNC
    "	mov %ebp, %ecx\n	movzbl %es:0x8a(%bx), %ecx\n" SYNC
    "	mov %ebp, %edx\n	movsbl %es:0x8b(%bx), %edx\n" SYNC
    "	mov %ebp, %esi\n	movzwl %es:0x8c(%bx), %esi\n" SYNC
    "	mov %ebp, %edi\n	movswl %es:0x8e(%bx), %edi\n" SYNC
    "	mov %ebp, %eax\n	mov %es:0x90, %al\n" SYNC	/* 26 a0 */
    "	mov %ebp, %eax\n	mov %es:0x92, %ax\n" SYNC	/* 26 a1 */
    "	mov %ebp, %eax\n	mov %es:0x94, %eax\n" SYNC	/* 26 66 a1 */
    "	mov $0x10, %si\n"
    "	mov %ebp, %ecx\n	mov %es:0x88(%bx,%si), %ecx\n" SYNC
    "	hlt\n"
    "gr_mmio_end:\n"

    ".code32\n"
    "gp_mmio_start:\n"
    "	mov $" GUEST_STR(GUEST_MMIO_HIGH) ", %ebx\n"
    "	mov $0xaaaaaaaa, %ebp\n"
    "	mov $0x5a, %al\n"
    "	mov %al, (%ebx)\n"
    "	mov $0x1234, %cx\n"
    "	mov %cx, 2(%ebx)\n"
    "	mov $0x89abcdef, %edx\n"
    "	mov %edx, 4(%ebx)\n"
    "	movb $0xa5, 0x10(%ebx)\n"
    "	movw $0xbeef, 0x12(%ebx)\n"
    "	movl $0xdeadbeef, 0x14(%ebx)\n"
    "	mov $0x10, %esi\n"
    "	mov %dx, (%ebx,%esi,2)\n"
    "	mov $0x77, %ah\n"
    "	mov %ah, 0x30(%ebx)\n"
    "	mov %al, " GUEST_STR(GUEST_MMIO_HIGH) "+0x40\n"	/* a2 */
    "	mov %ax, " GUEST_STR(GUEST_MMIO_HIGH) "+0x42\n"	/* 66 a3 */
    "	mov $0x01020304, %eax\n"
    "	mov %eax, " GUEST_STR(GUEST_MMIO_HIGH) "+0x44\n"	/* a3 */
    "	mov %ebp, %eax\n	mov 0x80(%ebx), %al\n" SYNC
    "	mov %ebp, %eax\n	mov 0x81(%ebx), %ah\n" SYNC
    "	mov %ebp, %ecx\n	mov 0x82(%ebx), %cx\n" SYNC
    "	mov %ebp, %edx\n	mov 0x84(%ebx), %edx\n" SYNC
    "	mov %ebp, %esi\n	movzbw 0x88(%ebx), %si\n" SYNC
    "	mov %ebp, %edi\n	movsbw 0x89(%ebx), %di\n" SYNC
    "	mov %ebp, %ecx\n	movzbl 0x8a(%ebx), %ecx\n" SYNC
    "	mov %ebp, %edx\n	movsbl 0x8b(%ebx), %edx\n" SYNC
    "	mov %ebp, %esi\n	movzwl 0x8c(%ebx), %esi\n" SYNC
    "	mov %ebp, %edi\n	movswl 0x8e(%ebx), %edi\n" SYNC
    "	mov %ebp, %eax\n	mov " GUEST_STR(GUEST_MMIO_HIGH) "+0x90, %al\n" SYNC
    "	mov %ebp, %eax\n	mov " GUEST_STR(GUEST_MMIO_HIGH) "+0x92, %ax\n" SYNC
    "	mov %ebp, %eax\n	mov " GUEST_STR(GUEST_MMIO_HIGH) "+0x94, %eax\n" SYNC
    "	mov $4, %esi\n"
    "	mov %ebp, %ecx\n	mov 0x88(%ebx,%esi,4), %ecx\n" SYNC
    "	hlt\n"
    "gp_mmio_end:\n"

    ".code64\n"
    "gl_mmio_start:\n"
    "	mov $" GUEST_STR(GUEST_MMIO_HIGH) ", %ebx\n"	/* zero-extends */
    "	movabs $0xaaaaaaaaaaaaaaaa, %rbp\n"
    "	mov $0x5a, %al\n"
    "	mov %al, (%rbx)\n"
    "	mov $0x1234, %cx\n"
    "	mov %cx, 2(%rbx)\n"
    "	mov $0x89abcdef, %edx\n"
    "	mov %edx, 4(%rbx)\n"
    "	movabs $0x0123456789abcdef, %rsi\n"
    "	mov %rsi, 8(%rbx)\n"
    "	movb $0xa5, 0x10(%rbx)\n"
    "	movw $0xbeef, 0x12(%rbx)\n"
    "	movl $0xdeadbeef, 0x14(%rbx)\n"
    "	movq $-2, 0x18(%rbx)\n"
    "	mov $4, %ecx\n"
    "	mov $0x11223344, %r8d\n"
    "	mov %r8d, 0x20(%rbx,%rcx,8)\n"
    "	mov $0x77, %ah\n"
    "	mov %ah, 0x48(%rbx)\n"
    "	mov $0x66, %r9b\n"
    "	mov %r9b, 0x49(%rbx)\n"
    "	movabs $0x8877665544332211, %r10\n"
    "	mov %r10, 0x50(%rbx)\n"
    "	mov %rbp, %rax\n	mov 0x80(%rbx), %al\n" SYNC
    "	mov %rbp, %rax\n	mov 0x81(%rbx), %ah\n" SYNC
    "	mov %rbp, %rcx\n	mov 0x82(%rbx), %cx\n" SYNC
    "	mov %rbp, %rdx\n	mov 0x84(%rbx), %edx\n" SYNC
    "	mov %rbp, %rsi\n	mov 0x88(%rbx), %rsi\n" SYNC
    "	mov %rbp, %rdi\n	movzbl 0x90(%rbx), %edi\n" SYNC
    "	mov %rbp, %r8\n	movsbq 0x91(%rbx), %r8\n" SYNC
    "	mov %rbp, %r9\n	movzwl 0x92(%rbx), %r9d\n" SYNC
    "	mov %rbp, %r10\n	movswq 0x94(%rbx), %r10\n" SYNC
    "	mov %rbp, %r11\n	movslq 0x98(%rbx), %r11\n" SYNC
    "	mov %rbp, %r12\n	movsbw 0x9c(%rbx), %r12w\n" SYNC
    "	mov %rbp, %rsi\n	mov 0x9d(%rbx), %sil\n" SYNC
    "	mov %rbp, %r13\n	movzbq 0x9e(%rbx), %r13\n" SYNC
    "	mov %rbp, %r14\n	movzwq 0xa0(%rbx), %r14\n" SYNC
    "	mov %rbp, %r15\n	mov 0xa8(%rbx), %r15d\n" SYNC
    "	mov $2, %ecx\n"
    "	mov %rbp, %rax\n	mov 0xb0(%rbx,%rcx,4), %eax\n" SYNC
    "	hlt\n"
    "gl_mmio_end:\n"

    "gl_mmio_hi_start:\n"
    "	movabs $" GUEST_STR(HIGH_MMIO) ", %rdi\n"
    "	movabs $0xaaaaaaaaaaaaaaaa, %rbp\n"
    "	movl $0x55aa55aa, (%rdi)\n"
    "	mov %rbp, %rax\n	mov 8(%rdi), %rax\n" SYNC
    "	hlt\n"
    "gl_mmio_hi_end:\n"

    "gl_mmio_rmw_start:\n"
    "	mov $" GUEST_STR(GUEST_MMIO_HIGH) ", %ebx\n"
    "gl_mmio_rmw_insn:\n"
    "	btsl $1, 0x100(%rbx)\n"
    "	hlt\n"
    "gl_mmio_rmw_end:\n"
    GUEST_ASM_END);

/*
 * String I/O.  Real mode: DS = ES = GUEST_DATA_GPA >> 4, SI/DI offsets from
 * there; 32/64-bit: flat addresses.  Port PORT_STR in DX throughout.
 */
GUEST_CODE(gr_str);
GUEST_CODE(gp_str);
GUEST_CODE(gl_str);

/*
 * The 32- and 64-bit string I/O guests are the same instructions (with
 * 32-bit addresses), assembled once per mode.
 */
#define STR_BODY \
    "	mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n" \
    "	mov $" GUEST_STR(PORT_STR) ", %dx\n" \
    "	cld\n" \
    "	outsb\n" SYNC \
    "	mov $3, %ecx\n	rep outsw\n" SYNC \
    "	mov $1500, %ecx\n	rep outsl\n" SYNC \
    "	xor %ecx, %ecx\n	rep outsb\n" SYNC \
    "	std\n	outsw\n	cld\n" SYNC \
    "	mov $" GUEST_STR(GUEST_DATA_GPA) "+" GUEST_STR(STR_IN_OFF) ", %edi\n" \
    "	insb\n" SYNC \
    "	mov $2, %ecx\n	rep insw\n" SYNC \
    "	mov $2000, %ecx\n	rep insl\n" SYNC \
    "	hlt\n"

asm(GUEST_ASM_BEGIN(".code16")
    "gr_str_start:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) " >> 4, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	xor %si, %si\n"
    "	mov $" GUEST_STR(PORT_STR) ", %dx\n"
    "	cld\n"
    "	outsb\n" SYNC
    "	mov $3, %cx\n	rep outsw\n" SYNC
    "	mov $1500, %cx\n	rep outsl\n" SYNC
    "	xor %cx, %cx\n	rep outsb\n" SYNC
    "	std\n	outsw\n	cld\n" SYNC
    "	mov $" GUEST_STR(STR_IN_OFF) ", %di\n"
    "	insb\n" SYNC
    "	mov $2, %cx\n	rep insw\n" SYNC
    "	mov $2000, %cx\n	rep insl\n" SYNC
    "	hlt\n"
    "gr_str_end:\n"
    ".code32\n"
    "gp_str_start:\n"
    STR_BODY
    "gp_str_end:\n"
    ".code64\n"
    "gl_str_start:\n"
    STR_BODY
    "gl_str_end:\n"
    GUEST_ASM_END);

/*
 * Read-only slot at RO_GPA.  Real mode: DS = RO_GPA >> 4, BX = 0;
 * 64-bit: RBX = RO_GPA.
 */
#define RO_BODY(b, w, cl)						\
	"	mov " w "(" b "), %eax\n"				\
	"	out %eax, $" GUEST_STR(PORT_VAL) "\n"			\
	"	mov 0x1004(" b "), %eax\n"				\
	"	out %eax, $" GUEST_STR(PORT_VAL) "\n"			\
	"	movl $0x12345678, 8(" b ")\n"				\
	"	mov 8(" b "), %eax\n"					\
	"	out %eax, $" GUEST_STR(PORT_VAL) "\n"			\
	"	mov $0x55, %" cl "\n"					\
	"	mov %" cl ", 0x2001(" b ")\n"				\
	SYNC								\
	"	mov 0x10(" b "), %eax\n"				\
	"	out %eax, $" GUEST_STR(PORT_VAL) "\n"			\
	"	hlt\n"

GUEST_CODE(gr_ro);
GUEST_CODE(gl_ro);

asm(GUEST_ASM_BEGIN(".code16")
    "gr_ro_start:\n"
    "	mov $" GUEST_STR(RO_GPA) " >> 4, %ax\n"
    "	mov %ax, %ds\n"
    "	xor %bx, %bx\n"
    RO_BODY("%bx", "", "cl")
    "gr_ro_end:\n"
    ".code64\n"
    "gl_ro_start:\n"
    "	mov $" GUEST_STR(RO_GPA) ", %ebx\n"
    RO_BODY("%rbx", "", "cl")
    "gl_ro_end:\n"
    GUEST_ASM_END);

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static const char *const mode_names[] = { "real", "prot32", "long64" };

struct snippet {
	const unsigned char *start, *end;
};

static struct vm *vm;
static struct vcpu *vcpu;

/* A fresh VM with low RAM and one vCPU in `mode` running `code`. */
static bool boot(enum guest_mode mode, const unsigned char *start,
		 const unsigned char *end)
{
	return guest_boot(&vm, &vcpu, mode, start, end);
}

static void shutdown_vm(void)
{
	guest_shutdown(&vm, &vcpu);
}

/* The value a register has after IN of `size` bytes of `value`. */
static __u64 after_in(enum guest_mode mode, __u64 old, unsigned int size,
		      __u32 value)
{
	switch (size) {
	case 1:
		return (old & ~0xffULL) | value;
	case 2:
		return (old & ~0xffffULL) | value;
	default:
		/* A 32-bit result zero-extends in 64-bit mode. */
		return mode == GUEST_LONG64 ? value : (old & ~0xffffffffULL) | value;
	}
}

static void test_io(enum guest_mode mode)
{
	static const struct snippet code[] = {
		{ GUEST_SNIPPET(gr_io) }, { GUEST_SNIPPET(gp_io) },
		{ GUEST_SNIPPET(gl_io) },
	};
	const unsigned char *out1[] = { gr_io_out1, gp_io_out1, gl_io_out1 };
	const unsigned char *hlt1[] = { gr_io_hlt1, gp_io_hlt1, gl_io_hlt1 };
	const unsigned char *hlt2[] = { gr_io_hlt2, gp_io_hlt2, gl_io_hlt2 };
	static const struct { __u16 port; unsigned int size; __u32 v; } ins[] = {
		{ PORT_IN, 1, 0x5a }, { PORT_IN + 2, 2, 0xa55a },
		{ PORT_IN + 4, 4, 0xdeadbeef },
		{ PORT_DX_IN, 1, 0x7f }, { PORT_DX_IN, 2, 0x8001 },
		{ PORT_DX_IN, 4, 0xcafef00d },
	};
	__u64 mask = mode == GUEST_LONG64 ? ~0ULL : 0xffffffffULL;
	__u64 preload = mode == GUEST_LONG64 ? 0x1122334455667788ULL : 0x11223344;
	__u64 model = preload;
	char what[128];
	unsigned int i;

	if (!boot(mode, code[mode].start, code[mode].end))
		return;
	if (!expect_out(vcpu, PORT_A, 1, 0x11, "OUT imm8 port, AL"))
		goto out;
	check_reg(vcpu, R_RIP, ~0ULL,
		  vcpu_code_rip(vcpu, (__u64)(out1[mode] - code[mode].start)),
		  "at an OUT exit, RIP is already past the OUT");
	if (!expect_out(vcpu, PORT_A + 2, 2, 0x2233, "OUT imm8 port, AX") ||
	    !expect_out(vcpu, PORT_A + 4, 4, 0x44556677, "OUT imm8 port, EAX") ||
	    !expect_out(vcpu, PORT_DX_OUT, 1, 0x88, "OUT DX, AL") ||
	    !expect_out(vcpu, PORT_DX_OUT, 2, 0x99aa, "OUT DX, AX") ||
	    !expect_out(vcpu, PORT_DX_OUT, 4, 0xbbccddee, "OUT DX, EAX"))
		goto out;
	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		const char *form = ins[i].port == PORT_DX_IN ? "DX" : "imm8 port";

		if (i == 3)
			model = preload;
		if (!expect_in(vcpu, ins[i].port, ins[i].size, ins[i].v,
			       "IN %s, %u byte(s): exit", form, ins[i].size))
			goto out;
		model = after_in(mode, model, ins[i].size, ins[i].v);
		snprintf(what, sizeof(what), "IN %s, %u byte(s): RAX 0x%llx",
			 form, ins[i].size, (unsigned long long)(model & mask));
		if (!run_to_sync(vcpu, what))
			goto out;
		check_reg(vcpu, R_RAX, mask, model, what);
	}
	if (!expect_hlt(vcpu, vcpu_code_rip(vcpu, (__u64)(hlt1[mode] - code[mode].start)),
			"HLT with IF=0 exits HLT, RIP after the HLT") ||
	    !expect_sync(vcpu, "RUN after a HLT exit resumes after the HLT"))
		goto out;
	expect_hlt(vcpu, vcpu_code_rip(vcpu, (__u64)(hlt2[mode] - code[mode].start)),
		   "HLT with IF=1 and nothing pending exits HLT, RIP after it");
out:
	shutdown_vm();
}

struct mmio_step {
	const char *what;
	bool write;
	__u64 off;		/* from the mode's MMIO base */
	unsigned int len;
	__u64 data;		/* write: expected; read: supplied */
	int reg;		/* read: the destination register */
	__u64 want;		/* its value afterwards (in the mode's width) */
};

#define W(what, off, len, data)	{ what, true, off, len, data, -1, 0 }
#define RD(what, off, len, data, reg, want) \
	{ what, false, off, len, data, reg, want }

/* Real mode and 32-bit protected mode: the same steps, canary 0xaaaaaaaa. */
static const struct mmio_step mmio16_32[] = {
	W("mov r/m8, AL", 0x00, 1, 0x5a),
	W("mov r/m16, CX (disp8)", 0x02, 2, 0x1234),
	W("mov r/m32, EDX", 0x04, 4, 0x89abcdef),
	W("mov r/m8, imm8", 0x10, 1, 0xa5),
	W("mov r/m16, imm16", 0x12, 2, 0xbeef),
	W("mov r/m32, imm32", 0x14, 4, 0xdeadbeef),
	W("mov r/m16, DX (base+index)", 0x20, 2, 0xcdef),
	W("mov r/m8, AH", 0x30, 1, 0x77),
	W("mov moffs8, AL", 0x40, 1, 0x5a),
	W("mov moffs16, AX", 0x42, 2, 0x775a),
	W("mov moffs32, EAX", 0x44, 4, 0x01020304),
	RD("mov AL, r/m8", 0x80, 1, 0x9c, R_RAX, 0xaaaaaa9c),
	RD("mov AH, r/m8", 0x81, 1, 0x7e, R_RAX, 0xaaaa7eaa),
	RD("mov CX, r/m16", 0x82, 2, 0x8765, R_RCX, 0xaaaa8765),
	RD("mov EDX, r/m32", 0x84, 4, 0x87654321, R_RDX, 0x87654321),
	RD("movzx SI, r/m8", 0x88, 1, 0x80, R_RSI, 0xaaaa0080),
	RD("movsx DI, r/m8", 0x89, 1, 0x80, R_RDI, 0xaaaaff80),
	RD("movzx ECX, r/m8", 0x8a, 1, 0xff, R_RCX, 0x000000ff),
	RD("movsx EDX, r/m8", 0x8b, 1, 0x81, R_RDX, 0xffffff81),
	RD("movzx ESI, r/m16", 0x8c, 2, 0x8001, R_RSI, 0x00008001),
	RD("movsx EDI, r/m16", 0x8e, 2, 0x8001, R_RDI, 0xffff8001),
	RD("mov AL, moffs8", 0x90, 1, 0x42, R_RAX, 0xaaaaaa42),
	RD("mov AX, moffs16", 0x92, 2, 0x4243, R_RAX, 0xaaaa4243),
	RD("mov EAX, moffs32", 0x94, 4, 0x44434241, R_RAX, 0x44434241),
	RD("mov ECX, r/m32 (base+index)", 0x98, 4, 0x13572468, R_RCX, 0x13572468),
};

static const struct mmio_step mmio64[] = {
	W("mov r/m8, AL", 0x00, 1, 0x5a),
	W("mov r/m16, CX (disp8)", 0x02, 2, 0x1234),
	W("mov r/m32, EDX", 0x04, 4, 0x89abcdef),
	W("mov r/m64, RSI", 0x08, 8, 0x0123456789abcdefULL),
	W("mov r/m8, imm8", 0x10, 1, 0xa5),
	W("mov r/m16, imm16", 0x12, 2, 0xbeef),
	W("mov r/m32, imm32", 0x14, 4, 0xdeadbeef),
	W("mov r/m64, imm32 (sign-extended)", 0x18, 8, 0xfffffffffffffffeULL),
	W("mov r/m32, R8D (base+index*8+disp)", 0x40, 4, 0x11223344),
	W("mov r/m8, AH", 0x48, 1, 0x77),
	W("mov r/m8, R9B", 0x49, 1, 0x66),
	W("mov r/m64, R10", 0x50, 8, 0x8877665544332211ULL),
	RD("mov AL, r/m8", 0x80, 1, 0x9c, R_RAX, 0xaaaaaaaaaaaaaa9cULL),
	RD("mov AH, r/m8", 0x81, 1, 0x7e, R_RAX, 0xaaaaaaaaaaaa7eaaULL),
	RD("mov CX, r/m16", 0x82, 2, 0x8765, R_RCX, 0xaaaaaaaaaaaa8765ULL),
	RD("mov EDX, r/m32 (zero-extends)", 0x84, 4, 0x87654321, R_RDX, 0x87654321),
	RD("mov RSI, r/m64", 0x88, 8, 0xfedcba9876543210ULL, R_RSI,
	   0xfedcba9876543210ULL),
	RD("movzx EDI, r/m8", 0x90, 1, 0x80, R_RDI, 0x80),
	RD("movsx R8, r/m8", 0x91, 1, 0x80, R_R8, 0xffffffffffffff80ULL),
	RD("movzx R9D, r/m16", 0x92, 2, 0x8001, R_R9, 0x8001),
	RD("movsx R10, r/m16", 0x94, 2, 0x8001, R_R10, 0xffffffffffff8001ULL),
	RD("movsxd R11, r/m32", 0x98, 4, 0x80000001, R_R11, 0xffffffff80000001ULL),
	RD("movsx R12W, r/m8", 0x9c, 1, 0xfe, R_R12, 0xaaaaaaaaaaaafffeULL),
	RD("mov SIL, r/m8", 0x9d, 1, 0x42, R_RSI, 0xaaaaaaaaaaaaaa42ULL),
	RD("movzx R13, r/m8", 0x9e, 1, 0xff, R_R13, 0xff),
	RD("movzx R14, r/m16", 0xa0, 2, 0xffff, R_R14, 0xffff),
	RD("mov R15D, r/m32", 0xa8, 4, 0xffffffff, R_R15, 0xffffffffULL),
	RD("mov EAX, r/m32 (base+index*4+disp)", 0xb8, 4, 0x5555aaaa, R_RAX,
	   0x5555aaaa),
};

static void run_mmio_steps(const struct mmio_step *steps, size_t n,
			   __u64 base, __u64 mask)
{
	char what[160];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct mmio_step *s = &steps[i];

		if (s->write) {
			if (!expect_mmio_write(vcpu, base + s->off, s->len, s->data,
					       "MMIO write, %s: gpa 0x%llx len %u data 0x%llx",
					       s->what,
					       (unsigned long long)(base + s->off),
					       s->len, (unsigned long long)s->data))
				return;
			continue;
		}
		if (!expect_mmio_read(vcpu, base + s->off, s->len, s->data,
				      "MMIO read, %s: gpa 0x%llx len %u", s->what,
				      (unsigned long long)(base + s->off), s->len))
			return;
		snprintf(what, sizeof(what), "MMIO read, %s: register is 0x%llx",
			 s->what, (unsigned long long)s->want);
		if (!run_to_sync(vcpu, what))
			return;
		check_reg(vcpu, (enum guest_reg)s->reg, mask, s->want, what);
	}
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest got past every MMIO access");
}

static void test_mmio(enum guest_mode mode)
{
	switch (mode) {
	case GUEST_REAL:
		if (!boot(mode, GUEST_SNIPPET(gr_mmio)))
			return;
		run_mmio_steps(mmio16_32, sizeof(mmio16_32) / sizeof(mmio16_32[0]),
			       GUEST_MMIO_LOW, 0xffffffff);
		break;
	case GUEST_PROT32:
		if (!boot(mode, GUEST_SNIPPET(gp_mmio)))
			return;
		run_mmio_steps(mmio16_32, sizeof(mmio16_32) / sizeof(mmio16_32[0]),
			       GUEST_MMIO_HIGH, 0xffffffff);
		break;
	case GUEST_LONG64:
		if (!boot(mode, GUEST_SNIPPET(gl_mmio)))
			return;
		run_mmio_steps(mmio64, sizeof(mmio64) / sizeof(mmio64[0]),
			       GUEST_MMIO_HIGH, ~0ULL);
		break;
	}
	shutdown_vm();
}

static void test_mmio_high(void)
{
	long bits = guest_cap(VMAIN_CAP_GUEST_PHYS_BITS);

	if (bits < 33) {
		tap_ok(1, "long64/mmio-above-4g: # SKIP guest physical bits %ld", bits);
		return;
	}
	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_mmio_hi)))
		return;
	if (expect_mmio_write(vcpu, HIGH_MMIO, 4, 0x55aa55aa,
			      "MMIO write at 6 GiB: gpa 0x%llx",
			      (unsigned long long)HIGH_MMIO) &&
	    expect_mmio_read(vcpu, HIGH_MMIO + 8, 8, 0x0102030405060708ULL,
			     "MMIO read at 6 GiB: gpa 0x%llx",
			     (unsigned long long)HIGH_MMIO + 8) &&
	    run_to_sync(vcpu, "MMIO read at 6 GiB completes"))
		check_reg(vcpu, R_RAX, ~0ULL, 0x0102030405060708ULL,
			  "MMIO read at 6 GiB lands in RAX");
	shutdown_vm();
}

/* An MMIO access by an instruction the module does not emulate (mmio.c has the ones it does). */
static void test_mmio_rmw(void)
{
	struct vmain_run_internal *in;
	__u64 rip, bytes = 0;
	bool ok;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_mmio_rmw)))
		return;
	in = &vcpu->run->exit.internal;
	rip = vcpu_code_rip(vcpu, GUEST_OFF(gl_mmio_rmw, gl_mmio_rmw_insn));
	if (expect_exit(vcpu, VMAIN_EXIT_INTERNAL_ERROR,
			"BTS to MMIO (not emulated): VMAIN_EXIT_INTERNAL_ERROR")) {
		ok = in->suberror == VMAIN_INTERNAL_EMULATION && in->ndata >= 1 &&
		     in->data[0] == rip;
		tap_ok(ok, "%s: suberror VMAIN_INTERNAL_EMULATION, data[0] the BTS's RIP 0x%llx",
		       guest_case_name(), (unsigned long long)rip);
		if (!ok)
			tap_diag("  %s", exit_str(vcpu));
		vm_read(vm, rip, &bytes, 8);
		tap_diag("data[1] 0x%llx, the instruction's first 8 bytes 0x%llx",
			 (unsigned long long)in->data[1], (unsigned long long)bytes);
	}
	shutdown_vm();
}

/* String I/O. */

static unsigned char out_pattern(size_t i)
{
	return (unsigned char)((i * 7 + 3) ^ (i >> 8));
}

static unsigned char in_pattern(size_t i)
{
	return (unsigned char)((i * 13 + 5) ^ (i >> 7));
}

/*
 * Collects the exits of one string instruction: every exit is IO in `dir`
 * at PORT_STR with `size`, count >= 1, at most 4096 bytes, until `total`
 * elements went through.  For OUT the data must equal `expect`; for IN the
 * test supplies `supply`.  Prints one line.
 */
static bool string_io(__u8 dir, unsigned int size, size_t total,
		      const unsigned char *expect, const unsigned char *supply,
		      const char *what)
{
	size_t done = 0, exits = 0;
	char why[300] = "";

	while (done < total) {
		struct vmain_run_io *io = &vcpu->run->exit.io;
		size_t bytes;
		void *d;

		if (exits++ > total) {
			snprintf(why, sizeof(why), "too many exits");
			break;
		}
		vcpu->run->exit_reason = VMAIN_EXIT_NONE;
		if (vcpu_run(vcpu)) {
			snprintf(why, sizeof(why), "RUN failed: %s%s",
				 strerror(errno), vcpu->timed_out ? " (timeout)" : "");
			break;
		}
		if (vcpu->run->exit_reason != VMAIN_EXIT_IO ||
		    io->direction != dir || io->port != PORT_STR ||
		    io->size != size || io->count < 1 ||
		    io->count > total - done) {
			snprintf(why, sizeof(why),
				 "after %zu of %zu elements: %s", done, total,
				 exit_str(vcpu));
			break;
		}
		bytes = (size_t)io->count * size;
		d = io_data(vcpu);
		if (bytes > 4096 || !d) {
			snprintf(why, sizeof(why),
				 "a chunk of %zu bytes at data_offset %llu (max 4096, inside the mapping)",
				 bytes, (unsigned long long)io->data_offset);
			break;
		}
		if (dir == VMAIN_IO_OUT) {
			if (memcmp(d, expect + done * size, bytes)) {
				snprintf(why, sizeof(why),
					 "data of elements %zu..%zu differ",
					 done, done + io->count - 1);
				break;
			}
		} else {
			memcpy(d, supply + done * size, bytes);
		}
		done += io->count;
	}
	tap_ok(done == total && !why[0], "%s: %s (%zu exit(s))",
	       guest_case_name(), what, exits);
	if (why[0])
		tap_diag("  %s", why);
	return done == total && !why[0];
}

static bool check_regs3(__u64 mask, __u64 rsi, __u64 rdi, __u64 rcx,
			bool check_rdi, const char *what)
{
	struct vmain_regs r;
	bool ok;

	if (vcpu_get_regs(vcpu, &r))
		return false;
	ok = (r.rsi & mask) == (rsi & mask) && (r.rcx & mask) == (rcx & mask) &&
	     (!check_rdi || (r.rdi & mask) == (rdi & mask));
	tap_ok(ok, "%s: %s", guest_case_name(), what);
	if (!ok)
		tap_diag("  rsi 0x%llx rdi 0x%llx rcx 0x%llx, want rsi 0x%llx%s 0x%llx rcx 0x%llx",
			 (unsigned long long)r.rsi, (unsigned long long)r.rdi,
			 (unsigned long long)r.rcx, (unsigned long long)rsi,
			 check_rdi ? " rdi" : " (rdi unchecked)",
			 (unsigned long long)rdi, (unsigned long long)rcx);
	return ok;
}

static void test_string(enum guest_mode mode)
{
	static const struct snippet code[] = {
		{ GUEST_SNIPPET(gr_str) }, { GUEST_SNIPPET(gp_str) },
		{ GUEST_SNIPPET(gl_str) },
	};
	/* Real mode: SI/DI/CX are 16-bit offsets from GUEST_DATA_GPA. */
	__u64 base = mode == GUEST_REAL ? 0 : GUEST_DATA_GPA;
	__u64 mask = mode == GUEST_REAL ? 0xffff :
		     mode == GUEST_PROT32 ? 0xffffffff : ~0ULL;
	__u64 in_base = base + STR_IN_OFF;
	static unsigned char out[8192], in[10000], got[10000];
	size_t i, pos;
	bool ok;

	for (i = 0; i < sizeof(out); i++)
		out[i] = out_pattern(i);
	for (i = 0; i < sizeof(in); i++)
		in[i] = in_pattern(i);
	if (!boot(mode, code[mode].start, code[mode].end))
		return;
	vm_write(vm, GUEST_DATA_GPA, out, sizeof(out));
	memset(got, 0x5c, sizeof(got));
	vm_write(vm, GUEST_DATA_GPA + STR_IN_OFF, got, sizeof(got));

	pos = 0;
	if (!string_io(VMAIN_IO_OUT, 1, 1, out + pos, NULL,
		       "OUTSB (no REP): count 1, the byte at RSI") ||
	    !run_to_sync(vcpu, "after OUTSB"))
		goto done;
	pos += 1;
	check_regs3(mask, base + pos, 0, 0, false, "OUTSB: RSI advanced by 1");

	if (!string_io(VMAIN_IO_OUT, 2, 3, out + pos, NULL,
		       "REP OUTSW, RCX=3: 6 bytes") ||
	    !run_to_sync(vcpu, "after REP OUTSW"))
		goto done;
	pos += 6;
	check_regs3(mask, base + pos, 0, 0, false,
		    "REP OUTSW: RSI advanced by 6, RCX 0");

	if (!string_io(VMAIN_IO_OUT, 4, 1500, out + pos, NULL,
		       "REP OUTSD, RCX=1500: 6000 bytes in chunks of <= 4096") ||
	    !run_to_sync(vcpu, "after REP OUTSD"))
		goto done;
	pos += 6000;
	check_regs3(mask, base + pos, 0, 0, false,
		    "REP OUTSD: RSI advanced by 6000, RCX 0");

	if (!expect_sync(vcpu, "REP OUTSB with RCX=0 makes no exit"))
		goto done;
	check_regs3(mask, base + pos, 0, 0, false, "REP OUTSB with RCX=0: RSI unchanged");

	if (!string_io(VMAIN_IO_OUT, 2, 1, out + pos, NULL,
		       "OUTSW with DF=1: the word at RSI") ||
	    !run_to_sync(vcpu, "after OUTSW with DF=1"))
		goto done;
	check_regs3(mask, base + pos - 2, 0, 0, false, "OUTSW with DF=1: RSI went down by 2");

	if (!string_io(VMAIN_IO_IN, 1, 1, NULL, in, "INSB (no REP): count 1") ||
	    !run_to_sync(vcpu, "after INSB"))
		goto done;
	check_regs3(mask, base + pos - 2, in_base + 1, 0, true, "INSB: RDI advanced by 1");

	if (!string_io(VMAIN_IO_IN, 2, 2, NULL, in + 1, "REP INSW, RCX=2: 4 bytes") ||
	    !run_to_sync(vcpu, "after REP INSW"))
		goto done;
	check_regs3(mask, base + pos - 2, in_base + 5, 0, true,
		    "REP INSW: RDI advanced by 4, RCX 0");

	if (!string_io(VMAIN_IO_IN, 4, 2000, NULL, in + 5,
		       "REP INSD, RCX=2000: 8000 bytes in chunks of <= 4096") ||
	    !run_to_sync(vcpu, "after REP INSD"))
		goto done;
	check_regs3(mask, base + pos - 2, in_base + 8005, 0, true,
		    "REP INSD: RDI advanced by 8000, RCX 0");

	vm_read(vm, GUEST_DATA_GPA + STR_IN_OFF, got, 8005 + 16);
	ok = !memcmp(got, in, 8005);
	for (i = 8005; i < 8005 + 16; i++)
		ok = ok && got[i] == 0x5c;
	tap_ok(ok, "%s: INS data landed at ES:RDI, nothing past it", guest_case_name());
	if (!ok)
		for (i = 0; i < 8005 + 16; i++)
			if (got[i] != (i < 8005 ? in[i] : 0x5c)) {
				tap_diag("  first difference at byte %zu: 0x%02x", i, got[i]);
				break;
			}
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest got past every string instruction");
done:
	shutdown_vm();
}

/* Read-only slot. */
static void test_readonly(enum guest_mode mode)
{
	__u32 words[RO_SIZE / 4], w;
	void *hva;
	unsigned int i;
	int memfd = -1;

	if (guest_cap(VMAIN_CAP_READONLY_MEM) != 1) {
		struct vm *v = vm_new_bare();

		if (!v)
			return;
		hva = guest_alloc(RO_SIZE, GUEST_ANON, NULL);
		tap_errno(vm_set_region(v, RO_SLOT, VMAIN_MEM_READONLY, RO_GPA,
					RO_SIZE, (uintptr_t)hva), EINVAL,
			  "%s: without VMAIN_CAP_READONLY_MEM, VMAIN_MEM_READONLY is rejected",
			  guest_case_name());
		if (hva)
			munmap(hva, RO_SIZE);
		vm_free(v);
		return;
	}
	for (i = 0; i < RO_SIZE / 4; i++)
		words[i] = 0xc0de0000 + i;
	hva = guest_alloc(RO_SIZE, GUEST_MEMFD, &memfd);
	if (!hva) {
		guest_fail("memory for the read-only slot: %s", strerror(errno));
		return;
	}
	memcpy(hva, words, RO_SIZE);
	if (!boot(mode, mode == GUEST_REAL ? gr_ro_start : gl_ro_start,
		  mode == GUEST_REAL ? gr_ro_end : gl_ro_end))
		goto free;
	if (!tap_ok(vm_set_region(vm, RO_SLOT, VMAIN_MEM_READONLY, RO_GPA,
				  RO_SIZE, (uintptr_t)hva) == 0,
		    "%s: SET_MEMORY_REGION with VMAIN_MEM_READONLY", guest_case_name())) {
		tap_diag("  errno %d (%s)", errno, strerror(errno));
		goto out;
	}
	if (!expect_out(vcpu, PORT_VAL, 4, words[0], "read of a read-only page") ||
	    !expect_out(vcpu, PORT_VAL, 4, words[0x1004 / 4],
			"read of the second read-only page") ||
	    !expect_mmio_write(vcpu, RO_GPA + 8, 4, 0x12345678,
			       "32-bit write to a read-only page exits as an MMIO write") ||
	    !expect_out(vcpu, PORT_VAL, 4, words[2],
			"the write did not reach the memory (guest view)"))
		goto out;
	memcpy(&w, (char *)hva + 8, 4);
	tap_ok(w == words[2], "%s: the write did not reach the memory (host view)",
	       guest_case_name());
	if (!expect_mmio_write(vcpu, RO_GPA + 0x2001, 1, 0x55,
			       "byte write to the third page exits as an MMIO write") ||
	    !run_to_sync(vcpu, "after the byte write"))
		goto out;
	w = 0x600dc0de;
	memcpy((char *)hva + 0x10, &w, 4);
	if (expect_out(vcpu, PORT_VAL, 4, w,
		       "the guest reads what the host wrote into the read-only slot"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
free:
	munmap(hva, RO_SIZE);
	close(memfd);
}

/* ------------------------------------------------------------------ */
/* A/D bits set by emulated accesses                                   */
/* ------------------------------------------------------------------ */

/*
 * Linear 2 MiB .. 2 MiB + 12 KiB is mapped through a 4 KiB page table that
 * nothing but the string I/O below uses, so only the module's emulated
 * accesses can set the A/D bits of PD entry 1 and of that table's PTEs.
 */
#define AD_LA		0x200000
#define AD_PT_GPA	(GUEST_DATA_GPA + 0x3f000)
#define AD_PAGE_GPA	(GUEST_DATA_GPA + 0x10000)	/* PTE n -> this + n pages */
#define AD_P_RW		0x3ULL
#define AD_A		(1ULL << 5)
#define AD_D		(1ULL << 6)
#define AD_LEN		16

GUEST_CODE(gl_ad);
asm(GUEST_ASM_BEGIN(".code64")
    "gl_ad_start:\n"
    "	mov $" GUEST_STR(PORT_STR) ", %dx\n"
    "	cld\n"
    "	mov $" GUEST_STR(AD_LA) ", %edi\n"
    "	mov $" GUEST_STR(AD_LEN) ", %ecx\n"
    "	rep insb\n" SYNC
    "	mov $" GUEST_STR(AD_LA) "+0x1000, %esi\n"
    "	mov $" GUEST_STR(AD_LEN) ", %ecx\n"
    "	rep outsb\n" SYNC
    "	hlt\n"
    "gl_ad_end:\n"
    GUEST_ASM_END);

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

static void test_ad_bits(void)
{
	unsigned char in[AD_LEN], out[AD_LEN], got[AD_LEN];
	__u64 e;
	unsigned int i;

	if (!boot(GUEST_LONG64, GUEST_SNIPPET(gl_ad)))
		return;
	/* PD entry 1 (2..4 MiB) -> the page table; A/D clear everywhere. */
	e = AD_PT_GPA | AD_P_RW;
	vm_write(vm, GUEST_PD_GPA + 8, &e, 8);
	for (i = 0; i < 3; i++) {
		e = (AD_PAGE_GPA + i * GUEST_PAGE) | AD_P_RW;
		vm_write(vm, AD_PT_GPA + i * 8, &e, 8);
	}
	for (i = 0; i < AD_LEN; i++) {
		in[i] = in_pattern(i);
		out[i] = out_pattern(i);
	}
	vm_write(vm, AD_PAGE_GPA + GUEST_PAGE, out, sizeof(out));

	if (!string_io(VMAIN_IO_IN, 1, AD_LEN, NULL, in,
		       "REP INSB to the 4 KiB mapping") ||
	    !run_to_sync(vcpu, "after the INS"))
		goto out;
	vm_read(vm, AD_PAGE_GPA, got, sizeof(got));
	tap_ok(!memcmp(got, in, sizeof(in)), "%s: INS data reached the page",
	       guest_case_name());
	ad_check(GUEST_PD_GPA + 8, AD_A, "the emulated write set A in the PDE");
	ad_check(AD_PT_GPA, AD_A | AD_D, "the emulated write set A and D in its PTE");
	ad_check(AD_PT_GPA + 8, 0, "the next PTE, not used yet, has A/D clear");

	if (!string_io(VMAIN_IO_OUT, 1, AD_LEN, out, NULL,
		       "REP OUTSB from the second page") ||
	    !run_to_sync(vcpu, "after the OUTS"))
		goto out;
	ad_check(AD_PT_GPA + 8, AD_A, "the emulated read set A (not D) in its PTE");
	ad_check(AD_PT_GPA + 16, 0, "the unused third PTE still has A/D clear");
	expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

/* ------------------------------------------------------------------ */
/* Segment checks of emulated string I/O                               */
/* ------------------------------------------------------------------ */

/*
 * Each fault is taken at label seg_fN, and the test moves the handler's
 * return to seg_nN; the last OUTSB is inside every limit and must exit.
 * Real mode: DS = ES = GUEST_DATA_GPA >> 4 (limit 0xffff), 32-bit
 * offsets through the address-size prefix.  Protected mode: the test sets
 * DS.limit = DATA + 0xfff, SS.limit = DATA - 1, ES read-only, FS null, GS
 * expand-down with limit DATA + 0xfff.
 */
#define SEG_DS_LIMIT	(GUEST_DATA_GPA + 0xfff)
#define SEG_N		5

GUEST_CODE(gr_seg);
GUEST_LABEL(gr_seg_f1); GUEST_LABEL(gr_seg_n1);
GUEST_LABEL(gr_seg_f2); GUEST_LABEL(gr_seg_n2);
GUEST_LABEL(gr_seg_f3); GUEST_LABEL(gr_seg_n3);
GUEST_CODE(gp_seg);
GUEST_LABEL(gp_seg_f1); GUEST_LABEL(gp_seg_n1);
GUEST_LABEL(gp_seg_f2); GUEST_LABEL(gp_seg_n2);
GUEST_LABEL(gp_seg_f3); GUEST_LABEL(gp_seg_n3);
GUEST_LABEL(gp_seg_f4); GUEST_LABEL(gp_seg_n4);
GUEST_LABEL(gp_seg_f5); GUEST_LABEL(gp_seg_n5);
GUEST_CODE(gl_seg);
GUEST_LABEL(gl_seg_f1); GUEST_LABEL(gl_seg_n1);

asm(GUEST_ASM_BEGIN(".code16")
    "gr_seg_start:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) " >> 4, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov $" GUEST_STR(PORT_STR) ", %dx\n"
    "	cld\n"
    "	mov $0xffff, %esi\n"
    "gr_seg_f1:\n"
    "	outsw %ds:(%esi), (%dx)\n"	/* its second byte is at 0x10000 */
    "gr_seg_n1:\n"
    "	mov $0x10000, %esi\n"
    "gr_seg_f2:\n"
    "	outsb %ss:(%esi), (%dx)\n"
    "gr_seg_n2:\n"
    "	mov $0x10000, %edi\n"
    "gr_seg_f3:\n"
    "	insb (%dx), %es:(%edi)\n"
    "gr_seg_n3:\n"
    "	mov $0xffff, %esi\n"
    "	outsb %ds:(%esi), (%dx)\n"
    "	hlt\n"
    "gr_seg_end:\n"
    ".code32\n"
    "gp_seg_start:\n"
    "	mov $" GUEST_STR(PORT_STR) ", %dx\n"
    "	cld\n"
    "	mov $" GUEST_STR(SEG_DS_LIMIT) ", %esi\n"
    "gp_seg_f1:\n"
    "	outsw\n"			/* DS: its second byte is past the limit */
    "gp_seg_n1:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n"
    "gp_seg_f2:\n"
    "	outsb %ss:(%esi), (%dx)\n"	/* SS ends below DATA: #SS */
    "gp_seg_n2:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) ", %edi\n"
    "gp_seg_f3:\n"
    "	insb\n"				/* ES is read-only */
    "gp_seg_n3:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) ", %esi\n"
    "gp_seg_f4:\n"
    "	outsb %fs:(%esi), (%dx)\n"	/* FS is null */
    "gp_seg_n4:\n"
    "	mov $" GUEST_STR(GUEST_DATA_GPA) " + 0x800, %esi\n"
    "gp_seg_f5:\n"
    "	outsb %gs:(%esi), (%dx)\n"	/* expand-down: at or below the limit */
    "gp_seg_n5:\n"
    "	mov $" GUEST_STR(SEG_DS_LIMIT) ", %esi\n"
    "	outsb\n"
    "	hlt\n"
    "gp_seg_end:\n"
    ".code64\n"
    "gl_seg_start:\n"
    "	mov $" GUEST_STR(PORT_STR) ", %dx\n"
    "	cld\n"
    "	movabs $0x0000800000000000, %rsi\n"
    "gl_seg_f1:\n"
    "	outsb\n"
    "gl_seg_n1:\n"
    "	mov $0x10, %esi\n"
    "	outsb %fs:(%rsi), (%dx)\n"	/* FS.base = DATA */
    "	hlt\n"
    "gl_seg_end:\n"
    GUEST_ASM_END);

struct seg_fault {
	const unsigned char *fault, *next;
	unsigned int vector;
	const char *what;
};

static void test_seg_limit(enum guest_mode mode)
{
	static const struct seg_fault real[] = {
		{ gr_seg_f1, gr_seg_n1, 13, "OUTSW whose second byte is past DS's limit 0xffff" },
		{ gr_seg_f2, gr_seg_n2, 12, "OUTSB SS:0x10000 (past SS's limit)" },
		{ gr_seg_f3, gr_seg_n3, 13, "INSB to ES:0x10000 (past ES's limit)" },
	};
	static const struct seg_fault prot[] = {
		{ gp_seg_f1, gp_seg_n1, 13, "OUTSW whose second byte is past DS's limit" },
		{ gp_seg_f2, gp_seg_n2, 12, "OUTSB through SS past its limit" },
		{ gp_seg_f3, gp_seg_n3, 13, "INSB to a read-only ES" },
		{ gp_seg_f4, gp_seg_n4, 13, "OUTSB through a null FS" },
		{ gp_seg_f5, gp_seg_n5, 13, "OUTSB at an expand-down GS's limit - 0x7ff" },
	};
	static const struct seg_fault l64[] = {
		{ gl_seg_f1, gl_seg_n1, 13, "OUTSB from a non-canonical RSI" },
	};
	const unsigned char *start = mode == GUEST_REAL ? gr_seg_start :
				     mode == GUEST_PROT32 ? gp_seg_start : gl_seg_start;
	const unsigned char *end = mode == GUEST_REAL ? gr_seg_end :
				   mode == GUEST_PROT32 ? gp_seg_end : gl_seg_end;
	const struct seg_fault *f = mode == GUEST_REAL ? real :
				    mode == GUEST_PROT32 ? prot : l64;
	unsigned int n = mode == GUEST_REAL ? 3 : mode == GUEST_PROT32 ? SEG_N : 1;
	__u32 last = mode == GUEST_REAL ? 0xffff :
		     mode == GUEST_PROT32 ? 0xfff : 0x10;
	const unsigned char marker = 0xa5;
	struct vmain_sregs s;
	struct guest_frame fr;
	unsigned int i;
	bool ok;

	if (!boot(mode, start, end))
		return;
	vm_write(vm, GUEST_DATA_GPA + last, &marker, 1);
	if (mode != GUEST_REAL) {
		if (vcpu_get_sregs(vcpu, &s))
			goto out;
		if (mode == GUEST_PROT32) {
			s.ds.limit = SEG_DS_LIMIT;
			s.ss.limit = GUEST_DATA_GPA - 1;
			s.es.type = 0x1;		/* read-only, accessed */
			memset(&s.fs, 0, sizeof(s.fs));
			s.fs.unusable = 1;
			s.gs.type = 0x7;		/* read/write, expand-down */
			s.gs.limit = SEG_DS_LIMIT;
		} else {
			s.fs.base = GUEST_DATA_GPA;
		}
		if (vcpu_set_sregs(vcpu, &s)) {
			tap_ok(0, "%s: SET_SREGS: %s", guest_case_name(), strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (!expect_vector(vcpu, f[i].vector, "%s raises %s", f[i].what,
				   f[i].vector == 12 ? "#SS" : "#GP"))
			goto out;
		ok = !guest_read_frame(vcpu, &fr) && fr.error == 0 &&
		     fr.rip == vcpu_code_rip(vcpu, (__u64)(f[i].fault - start));
		tap_ok(ok, "%s: %s: error code 0 at the instruction",
		       guest_case_name(), f[i].what);
		if (!ok)
			tap_diag("  error 0x%llx rip 0x%llx, want rip 0x%llx",
				 (unsigned long long)fr.error, (unsigned long long)fr.rip,
				 (unsigned long long)vcpu_code_rip(vcpu, (__u64)(f[i].fault - start)));
		if (guest_frame_set_rip(vcpu, vcpu_code_rip(vcpu, (__u64)(f[i].next - start))))
			goto out;
	}
	if (expect_out(vcpu, PORT_STR, 1, marker,
		       "OUTSB inside the limits exits with its byte"))
		expect_hlt(vcpu, GUEST_ANY_RIP, "the guest finished");
out:
	shutdown_vm();
}

int main(int argc, char **argv)
{
	static const char *const topics[] = { "io", "mmio", "string", "readonly" };
	char name[64];
	int mode;
	unsigned int t;

	guest_init(argc, argv, 0);
	for (mode = GUEST_REAL; mode <= GUEST_LONG64; mode++) {
		for (t = 0; t < 4; t++) {
			snprintf(name, sizeof(name), "%s/%s", mode_names[mode], topics[t]);
			if (!guest_want(name))
				continue;
			if (t == 3 && mode == GUEST_PROT32)
				continue;	/* real and long64 cover it */
			guest_case(name);
			switch (t) {
			case 0: test_io((enum guest_mode)mode); break;
			case 1: test_mmio((enum guest_mode)mode); break;
			case 2: test_string((enum guest_mode)mode); break;
			case 3: test_readonly((enum guest_mode)mode); break;
			}
		}
	}
	if (guest_want("long64/mmio-above-4g")) {
		guest_case("long64/mmio-above-4g");
		test_mmio_high();
	}
	if (guest_want("long64/mmio-unsupported")) {
		guest_case("long64/mmio-unsupported");
		test_mmio_rmw();
	}
	if (guest_want("long64/ad-bits")) {
		guest_case("long64/ad-bits");
		test_ad_bits();
	}
	for (mode = GUEST_REAL; mode <= GUEST_LONG64; mode++) {
		snprintf(name, sizeof(name), "%s/seg-limit", mode_names[mode]);
		if (!guest_want(name))
			continue;
		guest_case(name);
		test_seg_limit((enum guest_mode)mode);
	}
	close(guest_devfd);
	return guest_done();
}
