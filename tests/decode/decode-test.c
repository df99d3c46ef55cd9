// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * decode-test.c - table-driven tests of the x86 decoder (common/x86/).
 *
 * Each case is a mode, the instruction bytes in hex and the expected
 * result as a list of "key=value" and "+flag"/"-flag" words (see check()).
 * Every decode runs on a copy placed at the very end of a page followed by
 * a PROT_NONE page, so reading one byte past `avail` faults; the fault is
 * caught and reported as a failure.  For every case, each shorter prefix of
 * the bytes must give -ENODATA or the same result (never anything else).
 *
 * Encodings are from the Intel SDM Vol. 2 / AMD APM Vol. 3 and were checked
 * with GNU as/objdump; tests/decode/cross-check.sh does that for many more.
 *
 * Output is TAP lines without a plan (tests/lib/tap.h); exit status 0 only
 * if every check passed.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"
#include "x86/decode.h"

#define M16 X86_MODE_REAL
#define M32 X86_MODE_PROT32
#define M64 X86_MODE_LONG64

struct tcase {
	enum x86_cpu_mode mode;
	const char *hex;	/* "66 89 03"; "66*14" repeats a byte */
	const char *what;
	const char *want;	/* "err=EINVAL" or key=value/+flag words */
};

/*
 * Registers for the "ea=" checks (enum x86_reg order), and rip: next_rip
 * is RIP + the instruction's length.
 */
#define RIP 0x400000ull
static const uint64_t regs[16] = {
	0x1000,			/* rax */
	0x20,			/* rcx */
	0x3,			/* rdx */
	0x7ffff000,		/* rbx */
	0x8000,			/* rsp */
	0xfffffffffffffff0,	/* rbp */
	0x123456789abcdef0,	/* rsi */
	0xffff,			/* rdi */
	0x800000000, 0x900000000, 0xa00000000, 0xb00000000,	/* r8-r11 */
	0xc00000000, 0xd00000000, 0xe00000000, 0xf00000000,	/* r12-r15 */
};

static const struct tcase cases[] = {
	/* ---- 64-bit mode: MOV r/m, reg (89/88) ---- */
	{ M64, "89 03", "mov [rbx], eax",
	  "op=mov_store len=2 os=4 ms=4 as=8 reg=eax base=rbx idx=none disp=0 seg=ds +mem "
	  "+modrm -sib -rex ea=0x7ffff000" },
	{ M64, "48 89 03", "mov [rbx], rax (REX.W)",
	  "op=mov_store len=3 os=8 ms=8 reg=rax base=rbx +rex rex=0x48" },
	{ M64, "66 89 03", "mov [rbx], ax (66)",
	  "op=mov_store len=3 os=2 ms=2 reg=ax +opsize -rex" },
	{ M64, "66 48 89 03", "REX.W overrides 66",
	  "op=mov_store len=4 os=8 ms=8 +opsize +rex" },
	{ M64, "48 66 89 03", "REX followed by 66 is ignored",
	  "op=mov_store len=4 os=2 ms=2 -rex rex=0 nprefixes=2" },
	{ M64, "48 26 89 03", "REX followed by ES override is ignored",
	  "op=mov_store len=4 os=4 -rex seg=es +segov" },
	{ M64, "41 48 89 03", "two REX: only the last counts",
	  "op=mov_store len=4 os=8 base=rbx rex=0x48" },
	{ M64, "88 23", "mov [rbx], ah (no REX: high byte)",
	  "op=mov_store len=2 os=1 ms=1 reg=ah +hb" },
	{ M64, "40 88 23", "mov [rbx], spl (REX 40: no high byte)",
	  "op=mov_store len=3 os=1 reg=spl -hb +rex" },
	{ M64, "48 40 88 23", "REX 48 then 40: 40 counts, os=1",
	  "op=mov_store len=4 os=1 reg=spl -hb rex=0x40" },
	{ M64, "40 66 88 23", "REX cancelled by 66: high byte again",
	  "op=mov_store len=4 os=1 reg=ah +hb -rex" },
	{ M64, "44 88 03", "mov [rbx], r8b (REX.R)",
	  "op=mov_store len=3 os=1 reg=r8b -hb" },
	{ M64, "4c 89 04 24", "mov [rsp], r8 (SIB, DS in 64-bit mode)",
	  "op=mov_store len=4 os=8 reg=r8 base=rsp idx=none +sib seg=ds ea=0x8000" },
	{ M64, "89 45 f8", "mov [rbp-8], eax (disp8)",
	  "op=mov_store len=3 base=rbp disp=-8 seg=ds ea=0xffffffffffffffe8" },
	{ M64, "41 89 45 00", "mov [r13+0], eax (REX.B, mod=01)",
	  "op=mov_store len=4 base=r13 disp=0 dsize=1 -riprel ea=0xd00000000" },
	{ M64, "41 89 04 24", "mov [r12], eax (r/m=100 needs SIB with REX.B)",
	  "op=mov_store len=4 base=r12 idx=none +sib ea=0xc00000000" },
	{ M64, "89 05 78 56 34 12", "mov [rip+0x12345678], eax",
	  "op=mov_store len=6 +riprel base=none idx=none disp=0x12345678 dsize=4 ea=0x1274567e" },
	{ M64, "41 89 05 f0 ff ff ff", "REX.B does not turn RIP-relative into r13",
	  "op=mov_store len=7 +riprel base=none disp=-16 ea=0x3ffff7" },
	{ M64, "89 04 25 78 56 34 12", "mov [0x12345678], eax (SIB, no base, no index)",
	  "op=mov_store len=7 +sib -riprel base=none idx=none disp=0x12345678 ea=0x12345678" },
	{ M64, "89 04 8b", "mov [rbx+rcx*4], eax",
	  "op=mov_store len=3 base=rbx idx=rcx scale=4 ea=0x7ffff080" },
	{ M64, "42 89 04 a3", "SIB index 100 with REX.X is r12",
	  "op=mov_store len=4 base=rbx idx=r12 scale=4 ea=0x307ffff000" },
	{ M64, "89 04 a3", "SIB index 100 without REX.X: no index",
	  "op=mov_store len=3 base=rbx idx=none scale=1 ea=0x7ffff000" },
	{ M64, "43 89 44 ac 10", "mov [r12+r13*4+0x10], eax",
	  "op=mov_store len=5 base=r12 idx=r13 scale=4 disp=0x10 ea=0x4000000010" },
	{ M64, "89 84 cb 00 01 00 00", "mov [rbx+rcx*8+0x100], eax (disp32)",
	  "op=mov_store len=7 base=rbx idx=rcx scale=8 disp=0x100 dsize=4 ea=0x7ffff200" },
	{ M64, "89 04 2d 00 10 00 00", "SIB base=101 mod=00: no base, disp32",
	  "op=mov_store len=7 base=none idx=rbp scale=1 disp=0x1000 ea=0xff0" },
	{ M64, "41 89 04 2d 00 10 00 00", "SIB base=101 mod=00 with REX.B: still no base",
	  "op=mov_store len=8 base=none idx=rbp disp=0x1000" },
	{ M64, "41 89 44 2d 08", "SIB base=101 mod=01 with REX.B: r13",
	  "op=mov_store len=5 base=r13 idx=rbp disp=8" },
	{ M64, "89 84 24 00 00 00 80", "disp32 is sign-extended to 64 bits",
	  "op=mov_store len=7 base=rsp disp=-0x80000000 ea=0xffffffff80008000" },
	{ M64, "67 89 03", "mov [ebx], eax (67 in 64-bit mode)",
	  "op=mov_store len=3 as=4 +addrsize base=rbx ea=0x7ffff000" },
	{ M64, "67 89 06", "mov [esi], eax: address truncated to 32 bits",
	  "op=mov_store len=3 as=4 base=rsi ea=0x9abcdef0" },
	{ M64, "67 89 45 f8", "mov [ebp-8], eax wraps at 4 GiB",
	  "op=mov_store len=4 as=4 base=rbp disp=-8 ea=0xffffffe8" },
	{ M64, "67 89 05 10 00 00 00", "mov [eip+0x10], eax (67 keeps RIP-relative)",
	  "op=mov_store len=7 as=4 +riprel ea=0x400017" },
	{ M64, "64 89 03", "mov fs:[rbx], eax",
	  "op=mov_store len=3 seg=fs +segov" },
	{ M64, "65 48 8b 04 25 28 00 00 00", "mov rax, gs:[0x28]",
	  "op=mov_load len=9 os=8 seg=gs base=none idx=none disp=0x28 ea=0x28" },
	{ M64, "2e 89 03", "CS override in 64-bit mode is reported",
	  "op=mov_store len=3 seg=cs +segov" },
	{ M64, "36 89 45 00", "SS override",
	  "op=mov_store len=4 seg=ss +segov base=rbp" },
	{ M64, "64 65 89 03", "two segment overrides: the last one counts",
	  "op=mov_store len=4 seg=gs +segov" },
	/* ---- 64-bit mode: MOV reg, r/m (8B/8A) ---- */
	{ M64, "8b 03", "mov eax, [rbx]",
	  "op=mov_load len=2 os=4 ms=4 reg=eax base=rbx" },
	{ M64, "8a 27", "mov ah, [rdi]",
	  "op=mov_load len=2 os=1 ms=1 reg=ah +hb base=rdi ea=0xffff" },
	{ M64, "8a 1f", "mov bl, [rdi]",
	  "op=mov_load len=2 os=1 reg=bl -hb" },
	{ M64, "44 8a 3f", "mov r15b, [rdi]",
	  "op=mov_load len=3 os=1 reg=r15b -hb" },
	{ M64, "4c 8b 7c 24 08", "mov r15, [rsp+8]",
	  "op=mov_load len=5 os=8 reg=r15 base=rsp disp=8 ea=0x8008" },
	{ M64, "66 8b 0e", "mov cx, [rsi]",
	  "op=mov_load len=3 os=2 reg=cx base=rsi" },
	{ M64, "45 8b 1c 24", "mov r11d, [r12]",
	  "op=mov_load len=4 os=4 reg=r11d base=r12" },
	{ M64, "66 8a 03", "66 has no effect on a byte opcode",
	  "op=mov_load len=3 os=1 ms=1 +opsize" },
	{ M64, "f3 8b 03", "F3 on MOV is recorded",
	  "op=mov_load len=3 +rep rep=0xf3" },
	{ M64, "8b c0", "mov eax, eax (register form)",
	  "err=EOPNOTSUPP" },
	{ M64, "89 d8", "mov eax, ebx (register form)",
	  "err=EOPNOTSUPP" },
	/* ---- 64-bit mode: MOV r/m, imm (C6/C7 /0) ---- */
	{ M64, "c6 03 ab", "mov byte [rbx], 0xab",
	  "op=mov_store_imm len=3 os=1 ms=1 imm=0xab isize=1 +imm reg=0" },
	{ M64, "66 c7 03 34 12", "mov word [rbx], 0x1234",
	  "op=mov_store_imm len=5 os=2 ms=2 imm=0x1234 isize=2" },
	{ M64, "c7 03 78 56 34 12", "mov dword [rbx], 0x12345678",
	  "op=mov_store_imm len=6 os=4 imm=0x12345678 isize=4" },
	{ M64, "c7 03 f0 ff ff ff", "mov dword: imm32 not extended",
	  "op=mov_store_imm len=6 os=4 imm=0xfffffff0" },
	{ M64, "48 c7 03 f0 ff ff ff", "mov qword [rbx], -16 (imm32 sign-extended)",
	  "op=mov_store_imm len=7 os=8 ms=8 imm=0xfffffffffffffff0 isize=4" },
	{ M64, "48 c7 03 ff ff ff 7f", "mov qword [rbx], 0x7fffffff",
	  "op=mov_store_imm len=7 os=8 imm=0x7fffffff" },
	{ M64, "4c c7 03 01 00 00 00", "REX.R on C7 /0 does not name a register",
	  "op=mov_store_imm len=7 os=8 reg=0 imm=1" },
	{ M64, "c7 05 10 00 00 00 01 00 00 00", "mov dword [rip+0x10], 1: next RIP counts the imm",
	  "op=mov_store_imm len=10 +riprel imm=1 ea=0x40001a" },
	{ M64, "41 c6 44 24 ff 00", "mov byte [r12-1], 0",
	  "op=mov_store_imm len=6 os=1 base=r12 disp=-1 imm=0" },
	{ M64, "f0 c6 03 01", "LOCK MOV byte [rbx], 1",
	  "err=EINVAL" },
	{ M64, "f0 48 63 03", "LOCK MOVSXD",
	  "err=EINVAL" },
	{ M64, "c6 c0 01", "mov al, 1 (C6 register form)",
	  "err=EOPNOTSUPP" },
	{ M64, "c6 0b 01", "C6 /1 is invalid",
	  "err=EINVAL" },
	{ M64, "c7 7b 10 00 00 00 00", "C7 /7 with memory is invalid",
	  "err=EINVAL" },
	{ M64, "c7 c8 00 00 00 00", "C7 /1 register form is invalid",
	  "err=EINVAL" },
	{ M64, "c6 f8 01", "C6 F8 is XABORT",
	  "err=EOPNOTSUPP" },
	{ M64, "c7 f8 00 00 00 00", "C7 F8 is XBEGIN",
	  "err=EOPNOTSUPP" },
	/* ---- 64-bit mode: MOV moffs (A0-A3) ---- */
	{ M64, "a1 88 77 66 55 44 33 22 11", "mov eax, [moffs64]",
	  "op=mov_load_moffs len=9 os=4 ms=4 as=8 reg=eax base=none idx=none "
	  "disp=0x1122334455667788 dsize=8 -modrm ea=0x1122334455667788" },
	{ M64, "48 a3 f0 ff ff ff ff ff ff ff", "mov [moffs64], rax",
	  "op=mov_store_moffs len=10 os=8 ms=8 ea=0xfffffffffffffff0" },
	{ M64, "67 a0 78 56 34 12", "mov al, [moffs32] (67)",
	  "op=mov_load_moffs len=6 os=1 as=4 dsize=4 reg=al -hb ea=0x12345678" },
	{ M64, "66 a1 00 00 00 00 00 00 00 80", "mov ax, [moffs64]",
	  "op=mov_load_moffs len=10 os=2 ea=0x8000000000000000" },
	{ M64, "65 a2 00 01 00 00 00 00 00 00", "mov gs:[moffs64], al",
	  "op=mov_store_moffs len=10 os=1 seg=gs ea=0x100" },
	{ M64, "41 a1 88 77 66 55 44 33 22 11", "REX.B does not apply to moffs",
	  "op=mov_load_moffs len=10 os=4 reg=eax" },
	/* ---- 64-bit mode: MOVZX / MOVSX / MOVSXD ---- */
	{ M64, "0f b6 03", "movzx eax, byte [rbx]",
	  "op=movzx len=3 os=4 ms=1 reg=eax base=rbx opcode_len=2" },
	{ M64, "48 0f b7 03", "movzx rax, word [rbx]",
	  "op=movzx len=4 os=8 ms=2" },
	{ M64, "66 0f b6 03", "movzx ax, byte [rbx]",
	  "op=movzx len=4 os=2 ms=1" },
	{ M64, "66 0f b7 03", "movzx ax, word [rbx]",
	  "op=movzx len=4 os=2 ms=2" },
	{ M64, "0f be 4c 24 08", "movsx ecx, byte [rsp+8]",
	  "op=movsx len=5 os=4 ms=1 reg=ecx base=rsp disp=8" },
	{ M64, "4c 0f bf 0c 24", "movsx r9, word [rsp]",
	  "op=movsx len=5 os=8 ms=2 reg=r9" },
	{ M64, "0f b6 05 00 01 00 00", "movzx eax, byte [rip+0x100]",
	  "op=movzx len=7 ms=1 +riprel ea=0x400107" },
	{ M64, "0f b6 c0", "movzx eax, al (register form)",
	  "err=EOPNOTSUPP" },
	{ M64, "f0 0f b6 03", "LOCK MOVZX",
	  "err=EINVAL" },
	{ M64, "48 63 03", "movsxd rax, dword [rbx]",
	  "op=movsxd len=3 os=8 ms=4 reg=rax" },
	{ M64, "63 03", "movsxd eax, dword [rbx] (no REX.W)",
	  "op=movsxd len=2 os=4 ms=4" },
	{ M64, "66 63 03", "movsxd ax, word [rbx]",
	  "op=movsxd len=3 os=2 ms=2" },
	{ M64, "4c 63 44 24 04", "movsxd r8, dword [rsp+4]",
	  "op=movsxd len=5 os=8 ms=4 reg=r8 base=rsp disp=4" },
	{ M64, "48 63 c3", "movsxd rax, ebx (register form)",
	  "err=EOPNOTSUPP" },
	/* ---- 64-bit mode: string instructions ---- */
	{ M64, "aa", "stosb",
	  "op=stos len=1 os=1 ms=1 base=rdi idx=none seg=es +mem ea=0xffff" },
	{ M64, "f3 48 ab", "rep stosq",
	  "op=stos len=3 os=8 ms=8 +rep rep=0xf3" },
	{ M64, "f3 ab", "rep stosd",
	  "op=stos len=2 os=4 +rep" },
	{ M64, "66 f3 ab", "rep stosw",
	  "op=stos len=3 os=2 +rep +opsize" },
	{ M64, "67 f3 aa", "rep stosb with 32-bit address (67)",
	  "op=stos len=3 as=4 ea=0xffff" },
	{ M64, "64 aa", "stos: no override of ES",
	  "op=stos len=2 seg=es +segov" },
	{ M64, "f3 a4", "rep movsb",
	  "op=movs len=2 os=1 base=rsi seg=ds +rep ea=0x123456789abcdef0" },
	{ M64, "f3 64 a5", "rep movsd fs: (source override)",
	  "op=movs len=3 os=4 seg=fs" },
	{ M64, "f2 a5", "repne movsd",
	  "op=movs len=2 +repne -rep rep=0xf2" },
	{ M64, "f3 f2 a4", "F3 F2: both recorded, F2 last",
	  "op=movs len=3 +rep +repne rep=0xf2" },
	{ M64, "f0 a4", "LOCK MOVSB",
	  "err=EINVAL" },
	/* ---- 64-bit mode: system instructions ---- */
	{ M64, "0f a2", "cpuid",
	  "op=cpuid len=2 -mem ms=0 os=4 as=8" },
	{ M64, "0f 32", "rdmsr",
	  "op=rdmsr len=2" },
	{ M64, "0f 30", "wrmsr",
	  "op=wrmsr len=2" },
	{ M64, "0f 31", "rdtsc",
	  "op=rdtsc len=2" },
	{ M64, "0f 01 f9", "rdtscp",
	  "op=rdtscp len=3 +modrm -mem" },
	{ M64, "f4", "hlt",
	  "op=hlt len=1" },
	{ M64, "0f 01 d9", "vmmcall",
	  "op=vmmcall len=3" },
	{ M64, "0f 01 c1", "vmcall",
	  "op=vmcall len=3" },
	{ M64, "0f 01 d1", "xsetbv",
	  "op=xsetbv len=3" },
	{ M64, "0f 08", "invd",
	  "op=invd len=2" },
	{ M64, "0f 09", "wbinvd",
	  "op=wbinvd len=2" },
	{ M64, "f3 0f 09", "wbnoinvd (F3 0F 09)",
	  "op=wbnoinvd len=3" },
	{ M64, "f3 90", "pause",
	  "op=pause len=2 +rep" },
	{ M64, "f3 41 90", "pause with REX.B (as GNU objdump)",
	  "op=pause len=3" },
	{ M64, "41 0f 01 d9", "vmmcall with a REX prefix",
	  "op=vmmcall len=4 +rex" },
	{ M64, "2e 0f a2", "cpuid with a CS prefix",
	  "op=cpuid len=3 seg=cs +segov -mem" },
	{ M64, "90", "nop",
	  "err=EOPNOTSUPP" },
	{ M64, "41 90", "xchg r8d, eax",
	  "err=EOPNOTSUPP" },
	{ M64, "0f 01 d8", "vmrun",
	  "err=EOPNOTSUPP" },
	{ M64, "0f 01 10", "lgdt [rax]",
	  "err=EOPNOTSUPP" },
	{ M64, "0f 01 f8", "swapgs",
	  "err=EOPNOTSUPP" },
	{ M64, "f0 0f a2", "LOCK CPUID",
	  "err=EINVAL" },
	{ M64, "f0 f4", "LOCK HLT",
	  "err=EINVAL" },
	{ M64, "f0 0f 01 d9", "LOCK VMMCALL",
	  "err=EINVAL" },
	/* ---- 64-bit mode: port I/O ---- */
	{ M64, "e4 60", "in al, 0x60",
	  "op=in len=2 os=1 reg=al imm=0x60 isize=1 +imm -dx -mem" },
	{ M64, "e5 71", "in eax, 0x71",
	  "op=in len=2 os=4 imm=0x71" },
	{ M64, "66 e5 71", "in ax, 0x71",
	  "op=in len=3 os=2" },
	{ M64, "e6 80", "out 0x80, al",
	  "op=out len=2 os=1 imm=0x80" },
	{ M64, "e7 ff", "out 0xff, eax",
	  "op=out len=2 os=4 imm=0xff" },
	{ M64, "ec", "in al, dx",
	  "op=in len=1 os=1 +dx -imm" },
	{ M64, "ed", "in eax, dx",
	  "op=in len=1 os=4 +dx" },
	{ M64, "66 ef", "out dx, ax",
	  "op=out len=2 os=2 +dx" },
	{ M64, "ee", "out dx, al",
	  "op=out len=1 os=1 +dx" },
	{ M64, "48 ed", "in eax, dx: REX.W ignored",
	  "op=in len=2 os=4" },
	{ M64, "66 48 ed", "66 REX.W in: still 32-bit",
	  "op=in len=3 os=4" },
	{ M64, "f0 e4 60", "LOCK IN",
	  "err=EINVAL" },
	{ M64, "6c", "insb",
	  "op=ins len=1 os=1 ms=1 +dx base=rdi seg=es ea=0xffff" },
	{ M64, "f3 6d", "rep insd",
	  "op=ins len=2 os=4 ms=4 +rep" },
	{ M64, "f3 66 6f", "rep outsw",
	  "op=outs len=3 os=2 ms=2 base=rsi seg=ds +dx" },
	{ M64, "2e 6e", "outsb cs:",
	  "op=outs len=2 os=1 seg=cs" },
	{ M64, "48 6f", "outsd: REX.W ignored",
	  "op=outs len=2 os=4 ms=4" },
	/* ---- 64-bit mode: length limit, unsupported, truncated ---- */
	{ M64, "66*14 f4", "hlt with 14 prefixes: 15 bytes",
	  "op=hlt len=15 nprefixes=14" },
	{ M64, "66*15 f4", "hlt with 15 prefixes: 16 bytes",
	  "err=E2BIG" },
	{ M64, "66*15", "15 prefixes and no opcode",
	  "err=E2BIG" },
	{ M64, "f3*14 0f a2", "cpuid with 14 prefixes: 16 bytes",
	  "err=E2BIG" },
	{ M64, "f3*13 0f a2", "cpuid with 13 prefixes: 15 bytes",
	  "op=cpuid len=15" },
	{ M64, "26*6 a1 88 77 66 55 44 33 22 11", "moffs64 with 6 prefixes: 15 bytes",
	  "op=mov_load_moffs len=15" },
	{ M64, "26*7 a1 88 77 66 55 44 33 22 11", "moffs64 with 7 prefixes: 16 bytes",
	  "err=E2BIG" },
	{ M64, "66 67 f3 2e 48 c7 84 88 78 56 34 12 01 00 00 00",
	  "mov imm with SIB, disp32, imm32 and 5 prefixes: 16 bytes",
	  "err=E2BIG" },
	{ M64, "67 f3 2e 48 c7 84 88 78 56 34 12 01 00 00 00", "the same with 4 prefixes: 15 bytes",
	  "op=mov_store_imm len=15 os=8 as=4 seg=cs base=rax idx=rcx scale=4 imm=1" },
	{ M64, "01 03", "add [rbx], eax",
	  "op=alu_store len=2 os=4 ms=4 reg=eax base=rbx alu=0" },
	{ M64, "0f 05", "syscall",
	  "err=EOPNOTSUPP" },
	{ M64, "c4 e2 79 18 07", "VEX vbroadcastss",
	  "err=EOPNOTSUPP" },
	{ M64, "62 f1 7c 48 10 07", "EVEX vmovups",
	  "err=EOPNOTSUPP" },
	{ M64, "0f 38 00 c1", "three-byte map 0F 38",
	  "err=EOPNOTSUPP" },
	{ M64, "ff 15 00 00 00 00", "call [rip]",
	  "err=EOPNOTSUPP" },
	{ M64, "8e d8", "mov ds, eax",
	  "err=EOPNOTSUPP" },
	{ M64, "", "no bytes",
	  "err=ENODATA" },
	{ M64, "66 67", "prefixes only",
	  "err=ENODATA" },
	{ M64, "48", "REX only",
	  "err=ENODATA" },
	{ M64, "0f", "0F only",
	  "err=ENODATA" },
	{ M64, "0f 01", "0F 01 without its ModRM",
	  "err=ENODATA" },
	{ M64, "89", "MOV without ModRM",
	  "err=ENODATA" },
	{ M64, "89 44", "MOV without SIB",
	  "err=ENODATA" },
	{ M64, "89 44 8b", "MOV without disp8",
	  "err=ENODATA" },
	{ M64, "c7 03 78 56", "MOV imm32 cut short",
	  "err=ENODATA" },
	{ M64, "a1 00 00 00", "moffs64 cut short",
	  "err=ENODATA" },
	/* ---- 32-bit protected mode ---- */
	{ M32, "89 03", "mov [ebx], eax",
	  "op=mov_store len=2 os=4 ms=4 as=4 base=ebx seg=ds ea=0x7ffff000" },
	{ M32, "66 89 03", "mov [ebx], ax",
	  "op=mov_store len=3 os=2 ms=2 reg=ax" },
	{ M32, "89 45 fc", "mov [ebp-4], eax: SS, wraps at 4 GiB",
	  "op=mov_store len=3 base=ebp disp=-4 seg=ss -segov ea=0xffffffec" },
	{ M32, "89 04 24", "mov [esp], eax: SS",
	  "op=mov_store len=3 base=esp seg=ss +sib ea=0x8000" },
	{ M32, "89 44 24 04", "mov [esp+4], eax",
	  "op=mov_store len=4 base=esp disp=4 seg=ss ea=0x8004" },
	{ M32, "89 04 2c", "mov [esp+ebp], eax: base ESP gives SS",
	  "op=mov_store len=3 base=esp idx=ebp seg=ss" },
	{ M32, "89 04 2b", "mov [ebx+ebp], eax: index EBP gives DS",
	  "op=mov_store len=3 base=ebx idx=ebp seg=ds" },
	{ M32, "89 44 6d 00", "mov [ebp+ebp*2+0], eax",
	  "op=mov_store len=4 base=ebp idx=ebp scale=2 seg=ss" },
	{ M32, "89 05 78 56 34 12", "mov [0x12345678], eax (not RIP-relative)",
	  "op=mov_store len=6 -riprel base=none idx=none disp=0x12345678 seg=ds ea=0x12345678" },
	{ M32, "3e 89 45 00", "ds: overrides the SS default",
	  "op=mov_store len=4 seg=ds +segov" },
	{ M32, "26 89 03", "mov es:[ebx], eax",
	  "op=mov_store len=3 seg=es +segov" },
	{ M32, "67 89 07", "mov [bx], eax (67: 16-bit addressing)",
	  "op=mov_store len=3 as=2 base=bx idx=none ea=0xf000" },
	{ M32, "67 8b 46 02", "mov eax, [bp+2]",
	  "op=mov_load len=4 as=2 base=bp disp=2 seg=ss ea=0xfff2" },
	{ M32, "a1 78 56 34 12", "mov eax, [moffs32]",
	  "op=mov_load_moffs len=5 as=4 dsize=4 ea=0x12345678" },
	{ M32, "67 a1 34 12", "mov eax, [moffs16] (67)",
	  "op=mov_load_moffs len=4 as=2 dsize=2 ea=0x1234" },
	{ M32, "c7 44 24 04 01 00 00 00", "mov dword [esp+4], 1",
	  "op=mov_store_imm len=8 os=4 base=esp disp=4 seg=ss imm=1" },
	{ M32, "88 27", "mov [edi], ah",
	  "op=mov_store len=2 os=1 reg=ah +hb" },
	{ M32, "0f b7 04 5d 00 10 00 00", "movzx eax, word [ebx*2+0x1000]",
	  "op=movzx len=8 os=4 ms=2 base=none idx=ebx scale=2 disp=0x1000 ea=0xfffff000" },
	{ M32, "0f be 03", "movsx eax, byte [ebx]",
	  "op=movsx len=3 os=4 ms=1" },
	{ M32, "f3 ab", "rep stosd",
	  "op=stos len=2 os=4 as=4 +rep ea=0xffff" },
	{ M32, "f3 a5", "rep movsd",
	  "op=movs len=2 os=4 ea=0x9abcdef0" },
	{ M32, "e5 71", "in eax, 0x71",
	  "op=in len=2 os=4 imm=0x71" },
	{ M32, "66 ed", "in ax, dx",
	  "op=in len=2 os=2 +dx" },
	{ M32, "6f", "outsd",
	  "op=outs len=1 os=4" },
	{ M32, "0f a2", "cpuid",
	  "op=cpuid len=2 os=4 as=4" },
	{ M32, "0f 01 d9", "vmmcall",
	  "op=vmmcall len=3" },
	{ M32, "f4", "hlt",
	  "op=hlt len=1" },
	{ M32, "f3 90", "pause",
	  "op=pause len=2" },
	{ M32, "48 89 03", "48 is DEC EAX outside 64-bit mode",
	  "err=EOPNOTSUPP" },
	{ M32, "40", "INC EAX",
	  "err=EOPNOTSUPP" },
	{ M32, "63 03", "ARPL",
	  "err=EOPNOTSUPP" },
	{ M32, "a1 78 56", "moffs32 cut short",
	  "err=ENODATA" },
	{ M32, "66*14 89 03", "16 bytes in 32-bit mode",
	  "err=E2BIG" },
	{ M32, "66*13 89 03", "15 bytes in 32-bit mode",
	  "op=mov_store len=15 os=2" },
	/* ---- 16-bit (real) mode ---- */
	{ M16, "89 07", "mov [bx], ax",
	  "op=mov_store len=2 os=2 ms=2 as=2 reg=ax base=bx idx=none seg=ds ea=0xf000" },
	{ M16, "89 00", "mov [bx+si], ax (wraps at 64 KiB)",
	  "op=mov_store len=2 base=bx idx=si scale=1 seg=ds ea=0xcef0" },
	{ M16, "89 01", "mov [bx+di], ax",
	  "op=mov_store len=2 base=bx idx=di seg=ds ea=0xefff" },
	{ M16, "89 02", "mov [bp+si], ax: SS",
	  "op=mov_store len=2 base=bp idx=si seg=ss ea=0xdee0" },
	{ M16, "89 03", "mov [bp+di], ax: SS",
	  "op=mov_store len=2 base=bp idx=di seg=ss ea=0xffef" },
	{ M16, "89 04", "mov [si], ax",
	  "op=mov_store len=2 base=si idx=none seg=ds ea=0xdef0" },
	{ M16, "89 05", "mov [di], ax",
	  "op=mov_store len=2 base=di seg=ds ea=0xffff" },
	{ M16, "89 06 34 12", "mov [0x1234], ax (mod=00 r/m=110)",
	  "op=mov_store len=4 base=none idx=none disp=0x1234 dsize=2 seg=ds ea=0x1234" },
	{ M16, "89 46 02", "mov [bp+2], ax",
	  "op=mov_store len=3 base=bp disp=2 dsize=1 seg=ss ea=0xfff2" },
	{ M16, "89 47 ff", "mov [bx-1], ax",
	  "op=mov_store len=3 base=bx disp=-1 ea=0xefff" },
	{ M16, "89 87 34 12", "mov [bx+0x1234], ax (disp16, wraps)",
	  "op=mov_store len=4 base=bx disp=0x1234 dsize=2 ea=0x234" },
	{ M16, "89 87 00 80", "disp16 is signed",
	  "op=mov_store len=4 base=bx disp=-0x8000 ea=0x7000" },
	{ M16, "89 84 00 01", "mov [si+0x100], ax",
	  "op=mov_store len=4 base=si disp=0x100 ea=0xdff0" },
	{ M16, "66 89 07", "mov [bx], eax (66)",
	  "op=mov_store len=3 os=4 ms=4 reg=eax" },
	{ M16, "67 89 03", "mov [ebx], ax (67: 32-bit addressing)",
	  "op=mov_store len=3 as=4 base=ebx seg=ds ea=0x7ffff000" },
	{ M16, "67 66 89 04 8b", "mov [ebx+ecx*4], eax",
	  "op=mov_store len=5 os=4 as=4 base=ebx idx=ecx scale=4 ea=0x7ffff080" },
	{ M16, "67 89 45 00", "mov [ebp+0], ax: SS",
	  "op=mov_store len=4 as=4 base=ebp seg=ss ea=0xfffffff0" },
	{ M16, "a1 34 12", "mov ax, [moffs16]",
	  "op=mov_load_moffs len=3 os=2 as=2 dsize=2 ea=0x1234" },
	{ M16, "66 67 a1 78 56 34 12", "mov eax, [moffs32]",
	  "op=mov_load_moffs len=7 os=4 as=4 dsize=4 ea=0x12345678" },
	{ M16, "a2 34 12", "mov [moffs16], al",
	  "op=mov_store_moffs len=3 os=1 reg=al" },
	{ M16, "88 26 34 12", "mov [0x1234], ah",
	  "op=mov_store len=4 os=1 reg=ah +hb base=none" },
	{ M16, "c7 06 34 12 78 56", "mov word [0x1234], 0x5678",
	  "op=mov_store_imm len=6 os=2 imm=0x5678 isize=2" },
	{ M16, "66 c7 06 34 12 78 56 34 12", "mov dword [0x1234], 0x12345678",
	  "op=mov_store_imm len=9 os=4 imm=0x12345678 isize=4" },
	{ M16, "c6 46 fe 01", "mov byte [bp-2], 1",
	  "op=mov_store_imm len=4 os=1 base=bp disp=-2 seg=ss imm=1" },
	{ M16, "0f b6 07", "movzx ax, byte [bx]",
	  "op=movzx len=3 os=2 ms=1" },
	{ M16, "66 0f bf 07", "movsx eax, word [bx]",
	  "op=movsx len=4 os=4 ms=2 reg=eax" },
	{ M16, "f3 a4", "rep movsb",
	  "op=movs len=2 os=1 as=2 ea=0xdef0" },
	{ M16, "f3 ab", "rep stosw",
	  "op=stos len=2 os=2 seg=es ea=0xffff" },
	{ M16, "67 f3 ab", "rep stosw with 32-bit addresses",
	  "op=stos len=3 os=2 as=4 ea=0xffff" },
	{ M16, "ec", "in al, dx",
	  "op=in len=1 os=1 +dx" },
	{ M16, "ed", "in ax, dx",
	  "op=in len=1 os=2 +dx" },
	{ M16, "66 ed", "in eax, dx",
	  "op=in len=2 os=4" },
	{ M16, "e6 70", "out 0x70, al",
	  "op=out len=2 os=1 imm=0x70" },
	{ M16, "6d", "insw",
	  "op=ins len=1 os=2 base=di seg=es" },
	{ M16, "0f a2", "cpuid",
	  "op=cpuid len=2 os=2 as=2" },
	{ M16, "0f 32", "rdmsr",
	  "op=rdmsr len=2" },
	{ M16, "0f 01 d9", "vmmcall",
	  "op=vmmcall len=3" },
	{ M16, "0f 01 f9", "rdtscp",
	  "op=rdtscp len=3" },
	{ M16, "f4", "hlt",
	  "op=hlt len=1" },
	{ M16, "26 89 07", "mov es:[bx], ax",
	  "op=mov_store len=3 seg=es +segov" },
	{ M16, "36 89 07", "mov ss:[bx], ax",
	  "op=mov_store len=3 seg=ss +segov" },
	{ M16, "3e 89 46 00", "mov ds:[bp+0], ax",
	  "op=mov_store len=4 seg=ds +segov base=bp" },
	{ M16, "63 07", "ARPL",
	  "err=EOPNOTSUPP" },
	{ M16, "89 c0", "mov ax, ax",
	  "err=EOPNOTSUPP" },
	{ M16, "89 06 34", "disp16 cut short",
	  "err=ENODATA" },
	{ M16, "f0 89 07", "LOCK MOV",
	  "err=EINVAL" },
	{ M16, "c6 0f 01", "C6 /1",
	  "err=EINVAL" },
	/* ---- LODS and the read-modify-write forms (MMIO emulation) ---- */
	{ M16, "ac", "lodsb",
	  "op=lods len=1 os=1 ms=1 as=2 reg=al base=rsi seg=ds" },
	{ M16, "f3 26 66 ad", "rep lodsd es:[si]",
	  "op=lods len=4 os=4 ms=4 seg=es +segov +rep" },
	{ M64, "48 ad", "lodsq",
	  "op=lods len=2 os=8 ms=8 as=8 reg=rax" },
	{ M64, "f0 ac", "LOCK LODS",
	  "err=EINVAL" },
	{ M32, "08 07", "or [edi], al",
	  "op=alu_store len=2 os=1 ms=1 reg=al base=rdi alu=1" },
	{ M32, "20 27", "and [edi], ah",
	  "op=alu_store len=2 os=1 reg=ah alu=4" },
	{ M16, "26 30 07", "xor es:[bx], al",
	  "op=alu_store len=3 os=1 seg=es base=rbx alu=6" },
	{ M16, "33 07", "xor ax, [bx]",
	  "op=alu_load len=2 os=2 ms=2 reg=ax alu=6" },
	{ M64, "4c 29 0b", "sub [rbx], r9",
	  "op=alu_store len=3 os=8 ms=8 reg=r9 alu=5" },
	{ M64, "3a 03", "cmp al, [rbx]",
	  "op=alu_load len=2 os=1 reg=al alu=7" },
	{ M64, "13 03", "adc eax, [rbx]",
	  "op=alu_load len=2 os=4 alu=2" },
	{ M64, "19 03", "sbb [rbx], eax",
	  "op=alu_store len=2 os=4 alu=3" },
	{ M64, "85 03", "test [rbx], eax",
	  "op=alu_store len=2 os=4 ms=4 reg=eax alu=8" },
	{ M64, "01 c3", "add ebx, eax (register form)",
	  "err=EOPNOTSUPP" },
	{ M64, "f0 01 03", "lock add [rbx], eax",
	  "op=alu_store len=3 +lock alu=0" },
	{ M64, "f0 39 03", "LOCK CMP",
	  "err=EINVAL" },
	{ M64, "f0 85 03", "LOCK TEST",
	  "err=EINVAL" },
	{ M64, "f0 03 03", "LOCK ADD reg, [mem]",
	  "err=EINVAL" },
	{ M32, "80 0f 80", "or byte [edi], 0x80",
	  "op=alu_imm len=3 os=1 ms=1 reg=0 imm=0x80 isize=1 alu=1" },
	{ M16, "81 27 ff 7f", "and word [bx], 0x7fff",
	  "op=alu_imm len=4 os=2 imm=0x7fff isize=2 alu=4" },
	{ M16, "83 27 fe", "and word [bx], -2 (imm8 sign-extended, masked)",
	  "op=alu_imm len=3 os=2 imm=0xfffe isize=1 alu=4" },
	{ M64, "48 83 03 ff", "add qword [rbx], -1",
	  "op=alu_imm len=4 os=8 imm=0xffffffffffffffff alu=0" },
	{ M64, "48 81 3b 00 00 00 80", "cmp qword [rbx], imm32 sign-extended",
	  "op=alu_imm len=7 os=8 imm=0xffffffff80000000 isize=4 alu=7" },
	{ M64, "81 43 08 00 00 00 80", "add dword [rbx+8], 0x80000000",
	  "op=alu_imm len=7 os=4 imm=0x80000000 disp=8 alu=0" },
	{ M64, "4c 81 03 01 00 00 00", "REX.R on 81 /0 does not name a register",
	  "op=alu_imm len=7 os=8 reg=0 imm=1" },
	{ M64, "f0 80 0b 01", "lock or byte [rbx], 1",
	  "op=alu_imm len=4 +lock alu=1" },
	{ M64, "f0 80 3b 01", "LOCK CMP imm",
	  "err=EINVAL" },
	{ M64, "82 03 01", "82 (invalid in 64-bit mode)",
	  "err=EOPNOTSUPP" },
	{ M64, "f6 03 01", "test byte [rbx], 1",
	  "op=alu_imm len=3 os=1 imm=1 alu=8" },
	{ M64, "66 f7 03 34 12", "test word [rbx], 0x1234",
	  "op=alu_imm len=5 os=2 imm=0x1234 isize=2 alu=8" },
	{ M64, "f6 13", "not byte [rbx] (F6 /2)",
	  "err=EOPNOTSUPP" },
	{ M64, "f6 0b 01", "F6 /1",
	  "err=EOPNOTSUPP" },
	{ M64, "f6 c0 01", "test al, 1 (register form)",
	  "err=EOPNOTSUPP" },
	{ M64, "87 03", "xchg [rbx], eax",
	  "op=xchg len=2 os=4 ms=4 reg=eax" },
	{ M64, "86 3b", "xchg [rbx], bh",
	  "op=xchg len=2 os=1 reg=bh" },
	{ M64, "f0 48 87 03", "lock xchg [rbx], rax",
	  "op=xchg len=4 os=8 +lock" },
	{ M64, "87 c3", "xchg ebx, eax (register form)",
	  "err=EOPNOTSUPP" },
};

/* ---- the guarded buffer ---- */

static uint8_t *page_end;	/* first byte of the PROT_NONE page */
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_segv(int sig)
{
	if (fault_armed)
		siglongjmp(fault_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void setup_guard(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa;

	if (p == MAP_FAILED || mprotect(p + psz, psz, PROT_NONE)) {
		perror("decode-test: mmap/mprotect");
		exit(1);
	}
	page_end = p + psz;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Decodes bytes[0..avail) copied to the end of the page; -1000 if the
 * decoder touched the guard page.
 */
static int guarded_decode(const uint8_t *bytes, size_t avail,
			  enum x86_cpu_mode mode, struct x86_insn *insn)
{
	uint8_t *at = page_end - avail;
	int ret;

	memcpy(at, bytes, avail);
	fault_armed = 1;
	if (sigsetjmp(fault_jmp, 1)) {
		fault_armed = 0;
		return -1000;
	}
	ret = x86_decode(at, avail, mode, insn);
	fault_armed = 0;
	return ret;
}

/* ---- parsing the table ---- */

static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*hex) {
		char *end;
		unsigned long b, rep = 1;

		while (*hex == ' ')
			hex++;
		if (!*hex)
			break;
		b = strtoul(hex, &end, 16);
		if (*end == '*')
			rep = strtoul(end + 1, &end, 10);
		if (end == hex || b > 0xff) {
			fprintf(stderr, "decode-test: bad hex '%s'\n", hex);
			exit(2);
		}
		while (rep-- && n < max)
			out[n++] = (uint8_t)b;
		hex = end;
	}
	return n;
}

static const char *errname(int err)
{
	switch (err) {
	case 0:
		return "0";
	case -ENODATA:
		return "-ENODATA";
	case -EOPNOTSUPP:
		return "-EOPNOTSUPP";
	case -EINVAL:
		return "-EINVAL";
	case -E2BIG:
		return "-E2BIG";
	case -1000:
		return "read past avail (fault)";
	default:
		return "?";
	}
}

static int parse_err(const char *s)
{
	if (!strcmp(s, "ENODATA"))
		return -ENODATA;
	if (!strcmp(s, "EOPNOTSUPP"))
		return -EOPNOTSUPP;
	if (!strcmp(s, "EINVAL"))
		return -EINVAL;
	if (!strcmp(s, "E2BIG"))
		return -E2BIG;
	fprintf(stderr, "decode-test: bad err=%s\n", s);
	exit(2);
}

/*
 * Register names: any width names the register number; byte names also
 * say whether X86_INSN_HIGH_BYTE is expected (1 for AH-BH, 0 otherwise);
 * -1 for wider names (then the flag must be clear too).
 */
static const struct {
	const char *name;
	int num;
	int high;
} reg_table[] = {
	{ "none", X86_REG_NONE, -1 },
	{ "rax", 0, -1 }, { "rcx", 1, -1 }, { "rdx", 2, -1 }, { "rbx", 3, -1 },
	{ "rsp", 4, -1 }, { "rbp", 5, -1 }, { "rsi", 6, -1 }, { "rdi", 7, -1 },
	{ "eax", 0, -1 }, { "ecx", 1, -1 }, { "edx", 2, -1 }, { "ebx", 3, -1 },
	{ "esp", 4, -1 }, { "ebp", 5, -1 }, { "esi", 6, -1 }, { "edi", 7, -1 },
	{ "ax", 0, -1 }, { "cx", 1, -1 }, { "dx", 2, -1 }, { "bx", 3, -1 },
	{ "sp", 4, -1 }, { "bp", 5, -1 }, { "si", 6, -1 }, { "di", 7, -1 },
	{ "al", 0, 0 }, { "cl", 1, 0 }, { "dl", 2, 0 }, { "bl", 3, 0 },
	{ "spl", 4, 0 }, { "bpl", 5, 0 }, { "sil", 6, 0 }, { "dil", 7, 0 },
	{ "ah", 4, 1 }, { "ch", 5, 1 }, { "dh", 6, 1 }, { "bh", 7, 1 },
	{ "r8", 8, -1 }, { "r9", 9, -1 }, { "r10", 10, -1 }, { "r11", 11, -1 },
	{ "r12", 12, -1 }, { "r13", 13, -1 }, { "r14", 14, -1 }, { "r15", 15, -1 },
	{ "r8d", 8, -1 }, { "r9d", 9, -1 }, { "r10d", 10, -1 }, { "r11d", 11, -1 },
	{ "r12d", 12, -1 }, { "r13d", 13, -1 }, { "r14d", 14, -1 }, { "r15d", 15, -1 },
	{ "r8b", 8, 0 }, { "r9b", 9, 0 }, { "r15b", 15, 0 },
};

static int parse_reg(const char *s, int *high)
{
	size_t i;
	char *end;
	unsigned long v;

	for (i = 0; i < sizeof(reg_table) / sizeof(reg_table[0]); i++) {
		if (!strcmp(s, reg_table[i].name)) {
			*high = reg_table[i].high;
			return reg_table[i].num;
		}
	}
	v = strtoul(s, &end, 0);
	if (*end || v > 15) {
		fprintf(stderr, "decode-test: bad register '%s'\n", s);
		exit(2);
	}
	*high = 0;
	return (int)v;
}

static const struct {
	const char *name;
	uint32_t flag;
} flag_table[] = {
	{ "rep", X86_INSN_REP }, { "repne", X86_INSN_REPNE },
	{ "lock", X86_INSN_LOCK }, { "opsize", X86_INSN_OPSIZE },
	{ "addrsize", X86_INSN_ADDRSIZE }, { "rex", X86_INSN_REX },
	{ "segov", X86_INSN_SEG_OVERRIDE }, { "mem", X86_INSN_MEM },
	{ "riprel", X86_INSN_RIP_REL }, { "hb", X86_INSN_HIGH_BYTE },
	{ "imm", X86_INSN_IMM }, { "dx", X86_INSN_PORT_DX },
	{ "modrm", X86_INSN_MODRM }, { "sib", X86_INSN_SIB },
};

static uint32_t parse_flag(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(flag_table) / sizeof(flag_table[0]); i++)
		if (!strcmp(s, flag_table[i].name))
			return flag_table[i].flag;
	fprintf(stderr, "decode-test: bad flag '%s'\n", s);
	exit(2);
}

static int parse_seg(const char *s)
{
	static const char *const names[] = { "es", "cs", "ss", "ds", "fs", "gs" };
	int i;

	for (i = 0; i < 6; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "decode-test: bad segment '%s'\n", s);
	exit(2);
}

static uint64_t parse_num(const char *s)
{
	char *end;
	uint64_t v;

	if (*s == '-')
		v = (uint64_t)strtoll(s, &end, 0);
	else
		v = strtoull(s, &end, 0);
	if (*end || end == s) {
		fprintf(stderr, "decode-test: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* Appends a mismatch to diag (space-separated). */
static void mismatch(char *diag, size_t len, const char *key, uint64_t got,
		     uint64_t want)
{
	size_t n = strlen(diag);

	snprintf(diag + n, len - n, " %s: got 0x%" PRIx64 " want 0x%" PRIx64,
		 key, got, want);
}

/*
 * Compares insn (decoded with result ret) to the spec; returns 1 if it
 * matches, else 0 with the differences in diag.
 */
static int check(const struct tcase *tc, int ret, const struct x86_insn *insn,
		 char *diag, size_t dlen)
{
	char spec[512], *save = NULL, *w;
	int want_ret = 0, saw_op = 0, saw_len = 0;

	diag[0] = '\0';
	snprintf(spec, sizeof(spec), "%s", tc->want);
	for (w = strtok_r(spec, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		char *val = strchr(w, '=');
		uint64_t got, want;
		int high;

		if (w[0] == '+' || w[0] == '-') {
			uint32_t f = parse_flag(w + 1);
			int on = w[0] == '+';

			if (!!(insn->flags & f) != on)
				mismatch(diag, dlen, w, insn->flags & f, on);
			continue;
		}
		if (!val) {
			fprintf(stderr, "decode-test: bad word '%s'\n", w);
			exit(2);
		}
		*val++ = '\0';
		if (!strcmp(w, "err")) {
			want_ret = parse_err(val);
			continue;
		}
		high = -1;
		if (!strcmp(w, "op")) {
			saw_op = 1;
			if (strcmp(x86_op_name(insn->op), val)) {
				size_t n = strlen(diag);

				snprintf(diag + n, dlen - n, " op: got %s want %s",
					 x86_op_name(insn->op), val);
			}
			continue;
		} else if (!strcmp(w, "len")) {
			saw_len = 1;
			got = insn->len;
			want = parse_num(val);
		} else if (!strcmp(w, "os")) {
			got = insn->opsize;
			want = parse_num(val);
		} else if (!strcmp(w, "ms")) {
			got = insn->memsize;
			want = parse_num(val);
		} else if (!strcmp(w, "as")) {
			got = insn->addrsize;
			want = parse_num(val);
		} else if (!strcmp(w, "reg")) {
			got = insn->reg;
			want = (uint64_t)parse_reg(val, &high);
			/* AH-BH and SPL-DIL: the flag must match; wider: clear */
			if (!!(insn->flags & X86_INSN_HIGH_BYTE) != (high == 1))
				mismatch(diag, dlen, "high-byte flag",
					 !!(insn->flags & X86_INSN_HIGH_BYTE),
					 high == 1);
		} else if (!strcmp(w, "base")) {
			got = insn->mem.base;
			want = (uint64_t)parse_reg(val, &high);
		} else if (!strcmp(w, "idx")) {
			got = insn->mem.index;
			want = (uint64_t)parse_reg(val, &high);
		} else if (!strcmp(w, "scale")) {
			got = insn->mem.scale;
			want = parse_num(val);
		} else if (!strcmp(w, "disp")) {
			got = (uint64_t)insn->mem.disp;
			want = parse_num(val);
		} else if (!strcmp(w, "dsize")) {
			got = insn->disp_size;
			want = parse_num(val);
		} else if (!strcmp(w, "isize")) {
			got = insn->imm_size;
			want = parse_num(val);
		} else if (!strcmp(w, "alu")) {
			got = insn->alu;
			want = parse_num(val);
		} else if (!strcmp(w, "imm")) {
			got = insn->imm;
			want = parse_num(val);
		} else if (!strcmp(w, "seg")) {
			got = insn->seg;
			want = (uint64_t)parse_seg(val);
		} else if (!strcmp(w, "rex")) {
			got = insn->rex;
			want = parse_num(val);
		} else if (!strcmp(w, "rep")) {
			got = insn->rep;
			want = parse_num(val);
		} else if (!strcmp(w, "nprefixes")) {
			got = insn->nprefixes;
			want = parse_num(val);
		} else if (!strcmp(w, "opcode_len")) {
			got = insn->opcode_len;
			want = parse_num(val);
		} else if (!strcmp(w, "ea")) {
			got = x86_insn_mem_address(insn, regs, RIP + insn->len);
			want = parse_num(val);
		} else {
			fprintf(stderr, "decode-test: bad key '%s'\n", w);
			exit(2);
		}
		if (got != want)
			mismatch(diag, dlen, w, got, want);
	}
	if (want_ret == 0 && (!saw_op || !saw_len)) {
		fprintf(stderr, "decode-test: '%s' needs op= and len=\n", tc->what);
		exit(2);
	}
	if (ret != want_ret) {
		snprintf(diag, dlen, " returned %s, want %s", errname(ret),
			 errname(want_ret));
		return 0;
	}
	if (ret)
		return 1;	/* fields are not checked on failure */
	return diag[0] == '\0';
}

static const char *mode_name(enum x86_cpu_mode mode)
{
	return mode == M16 ? "16" : mode == M32 ? "32" : "64";
}

static void run_case(const struct tcase *tc)
{
	uint8_t bytes[32];
	size_t n = parse_hex(tc->hex, bytes, sizeof(bytes));
	struct x86_insn insn, part;
	char diag[1024], desc[160];
	int ret, ok, k, stable = 1;

	ret = guarded_decode(bytes, n, tc->mode, &insn);
	ok = check(tc, ret, &insn, diag, sizeof(diag));
	tap_ok(ok, "%s-bit: %s [%s]", mode_name(tc->mode), tc->what, tc->hex);
	if (!ok) {
		x86_insn_describe(&insn, desc, sizeof(desc));
		tap_diag("  %s", diag);
		tap_diag("  decoded: %s", desc);
	}

	/*
	 * Every shorter prefix: -ENODATA or, once the decoder could decide,
	 * the same answer; a success needs all of its bytes and no more.
	 */
	for (k = 0; k < (int)n && stable; k++) {
		int r = guarded_decode(bytes, (size_t)k, tc->mode, &part);

		if (r == -ENODATA)
			continue;
		if (r != ret || (ret == 0 && (k < insn.len ||
					      memcmp(&part, &insn, sizeof(insn))))) {
			tap_diag("  with avail=%d: %s", k, errname(r));
			stable = 0;
		}
	}
	if (ret == 0 && stable) {
		/* exactly len bytes suffice, and len - 1 never do */
		if (guarded_decode(bytes, insn.len, tc->mode, &part) != 0 ||
		    memcmp(&part, &insn, sizeof(insn)) ||
		    guarded_decode(bytes, insn.len - 1u, tc->mode, &part) != -ENODATA)
			stable = 0;
	}
	tap_ok(stable, "%s-bit: %s: every truncation gives -ENODATA or the same result",
	       mode_name(tc->mode), tc->what);
}

/* ---- other API checks ---- */

static void check_describe(void)
{
	static const uint8_t code[] = { 0x43, 0x89, 0x44, 0xac, 0x10 };
	static const uint8_t code2[] = { 0x48, 0xc7, 0x05, 0xf8, 0xff, 0xff, 0xff,
					 0x01, 0x00, 0x00, 0x00 };
	struct x86_insn insn;
	char buf[160];
	const char *want =
		"mov_store len=5 opsize=4 mem=4@ds:[r12+r13*4+0x10] addr=8 reg=rax rex=0x43";
	const char *want2 =
		"mov_store_imm len=11 opsize=8 mem=8@ds:[rip-0x8] addr=8 imm=0x1 rex=0x48";

	x86_decode(code, sizeof(code), M64, &insn);
	x86_insn_describe(&insn, buf, sizeof(buf));
	if (!tap_ok(!strcmp(buf, want), "describe: mov [r12+r13*4+0x10], eax"))
		tap_diag("  got '%s'", buf);
	x86_decode(code2, sizeof(code2), M64, &insn);
	x86_insn_describe(&insn, buf, sizeof(buf));
	if (!tap_ok(!strcmp(buf, want2), "describe: mov qword [rip-8], 1"))
		tap_diag("  got '%s'", buf);

	x86_decode((const uint8_t *)"\x88\x23", 2, M64, &insn);
	x86_insn_describe(&insn, buf, sizeof(buf));
	if (!tap_ok(!strcmp(buf, "mov_store len=2 opsize=1 mem=1@ds:[rbx] addr=8 reg=ah"),
		    "describe: mov [rbx], ah"))
		tap_diag("  got '%s'", buf);
	x86_decode((const uint8_t *)"\x65\xf3\x66\x6f", 4, M32, &insn);
	x86_insn_describe(&insn, buf, sizeof(buf));
	if (!tap_ok(!strcmp(buf, "outs len=4 opsize=2 mem=2@gs:[rsi] addr=4 port=dx f3 segprefix"),
		    "describe: rep outsw gs:"))
		tap_diag("  got '%s'", buf);
	x86_decode((const uint8_t *)"\xf0\xf2\x89\x03", 4, M16, &insn);
	x86_insn_describe(&insn, buf, sizeof(buf));
	if (!tap_ok(!strcmp(buf, "none len=0 opsize=2 f2 lock"),
		    "describe: a failed decode (LOCK MOV)"))
		tap_diag("  got '%s'", buf);

	memset(buf, 'x', sizeof(buf));
	x86_insn_describe(&insn, buf, 8);
	tap_ok(strlen(buf) == 7 && buf[8] == 'x', "describe truncates to the buffer");
	memset(buf, 'x', sizeof(buf));
	x86_insn_describe(&insn, buf, 0);
	tap_ok(buf[0] == 'x', "describe with len 0 writes nothing");
}

static void check_names(void)
{
	unsigned int i, j;
	int ok = 1;

	for (i = 1; i < X86_OP_COUNT; i++) {
		if (!strcmp(x86_op_name(i), "?"))
			ok = 0;
		for (j = 1; j < i; j++)
			if (!strcmp(x86_op_name(i), x86_op_name(j)))
				ok = 0;
	}
	tap_ok(ok, "every op has a distinct name");
	tap_ok(!strcmp(x86_op_name(X86_OP_COUNT), "?") &&
	       !strcmp(x86_op_name(~0u), "?"), "unknown ops are named '?'");
}

static void check_misc(void)
{
	static const uint8_t hlt[] = { 0xf4 };
	static const uint8_t out[] = { 0xee };
	struct x86_insn insn;

	tap_ok(x86_decode(hlt, 1, (enum x86_cpu_mode)8, &insn) == -EINVAL,
	       "an unknown mode is -EINVAL");
	tap_ok(x86_decode(NULL, 0, M64, &insn) == -ENODATA,
	       "NULL with avail 0 is -ENODATA");
	tap_ok(x86_decode(out, 1, M64, &insn) == 0 &&
	       x86_insn_mem_address(&insn, regs, RIP + 1) == 0,
	       "mem address of an instruction without memory operand is 0");
	tap_ok(x86_decode((const uint8_t *)"\x0f\xa2", 2, M32, &insn) == 0 &&
	       insn.len == 2 && insn.op == X86_OP_CPUID,
	       "decode reads a caller's unaligned buffer");
	tap_ok(sizeof(struct x86_insn) == 48, "struct x86_insn is 48 bytes");
}

int main(void)
{
	size_t i;

	setup_guard();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	check_describe();
	check_names();
	check_misc();
	tap_diag("%zu table cases", sizeof(cases) / sizeof(cases[0]));
	return tap_done();
}
