/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * decode.h - a small x86 instruction decoder for vmain.
 *
 * vmain.ko uses it (a) to emulate a guest's access to MMIO after a nested
 * page fault on a guest-physical address that is not RAM, and (b) to find
 * the length of an intercepted instruction when the CPU does not report the
 * next RIP (AMD without NRIP-save, e.g. QEMU TCG).  It decodes only the
 * instructions listed in enum x86_op, completely (prefixes, REX, ModRM, SIB,
 * displacement, immediate), and refuses everything else with -EOPNOTSUPP.
 *
 * The same sources build in the kernel (no libc) and in userspace (tests,
 * fuzzer); see decode-types.h.  References: Intel SDM Vol. 2, chapter 2
 * ("Instruction Format") and AMD APM Vol. 3, chapter 1 ("Instruction
 * Encoding").
 */
#ifndef VMAIN_X86_DECODE_H
#define VMAIN_X86_DECODE_H

#include "decode-types.h"

/* The architectural limit on an instruction's length (SDM Vol. 2, 2.3.11). */
#define X86_MAX_INSN_LEN	15

/*
 * The processor mode, which sets the default operand and address sizes.
 * X86_MODE_REAL also stands for 16-bit protected mode and virtual-8086 mode
 * (CS.D = 0); X86_MODE_PROT32 for 32-bit protected mode and compatibility
 * mode with CS.D = 1; X86_MODE_LONG64 for 64-bit mode (CS.L = 1).
 */
enum x86_cpu_mode {
	X86_MODE_REAL = 16,
	X86_MODE_PROT32 = 32,
	X86_MODE_LONG64 = 64,
};

/* What the instruction is.  x86_decode() never returns X86_OP_NONE. */
enum x86_op {
	X86_OP_NONE = 0,
	/* MMIO-capable moves; all of these have a memory operand (mem). */
	X86_OP_MOV_STORE,	/* 88, 89 /r: MOV r/m, reg (memory forms only) */
	X86_OP_MOV_LOAD,	/* 8A, 8B /r: MOV reg, r/m (memory forms only) */
	X86_OP_MOV_STORE_IMM,	/* C6 /0 ib, C7 /0 iw/id: MOV r/m, imm */
	X86_OP_MOV_LOAD_MOFFS,	/* A0, A1: MOV AL/rAX, moffs */
	X86_OP_MOV_STORE_MOFFS,	/* A2, A3: MOV moffs, AL/rAX */
	X86_OP_MOVZX,		/* 0F B6, 0F B7: MOVZX reg, r/m8 / r/m16 */
	X86_OP_MOVSX,		/* 0F BE, 0F BF: MOVSX reg, r/m8 / r/m16 */
	X86_OP_MOVSXD,		/* 63 /r, 64-bit mode only: MOVSXD reg, r/m */
	X86_OP_STOS,		/* AA, AB: STOS ES:[rDI] */
	X86_OP_MOVS,		/* A4, A5: MOVS ES:[rDI], seg:[rSI] */
	/* Intercepted "system" instructions. */
	X86_OP_CPUID,		/* 0F A2 */
	X86_OP_RDMSR,		/* 0F 32 */
	X86_OP_WRMSR,		/* 0F 30 */
	X86_OP_RDTSC,		/* 0F 31 */
	X86_OP_RDTSCP,		/* 0F 01 F9 */
	X86_OP_HLT,		/* F4 */
	X86_OP_VMMCALL,		/* 0F 01 D9 (AMD) */
	X86_OP_VMCALL,		/* 0F 01 C1 (Intel) */
	X86_OP_XSETBV,		/* 0F 01 D1 */
	X86_OP_INVD,		/* 0F 08 */
	X86_OP_WBINVD,		/* 0F 09 */
	X86_OP_WBNOINVD,	/* F3 0F 09 (AMD intercepts it as WBINVD) */
	X86_OP_PAUSE,		/* F3 90 */
	X86_OP_IN,		/* E4, E5 ib; EC, ED: IN AL/eAX, imm8/DX */
	X86_OP_OUT,		/* E6, E7 ib; EE, EF: OUT imm8/DX, AL/eAX */
	X86_OP_INS,		/* 6C, 6D: INS ES:[rDI], DX */
	X86_OP_OUTS,		/* 6E, 6F: OUTS DX, seg:[rSI] */
	/*
	 * Read-modify-write and load forms that firmware and VGA code use on
	 * MMIO (memory forms only; alu says which operation).
	 */
	X86_OP_LODS,		/* AC, AD: LODS AL/rAX, seg:[rSI] */
	X86_OP_ALU_STORE,	/* 00-38 (+0/1) /r: OP r/m, reg; 84, 85: TEST r/m, reg */
	X86_OP_ALU_LOAD,	/* 02-3A (+2/3) /r: OP reg, r/m */
	X86_OP_ALU_IMM,		/* 80, 81, 83 /n: OP r/m, imm; F6, F7 /0: TEST r/m, imm */
	X86_OP_XCHG,		/* 86, 87 /r: XCHG r/m, reg */
	X86_OP_COUNT
};

/*
 * x86_insn.alu for the X86_OP_ALU_* forms: the /n of group 1 (80/81/83),
 * which is also bits 5:3 of the one-byte opcodes 00-3B (SDM Vol. 2,
 * Table A-6 and appendix A.3), plus TEST (84/85, F6/F7 /0).
 */
enum x86_alu {
	X86_ALU_ADD = 0,
	X86_ALU_OR = 1,
	X86_ALU_ADC = 2,
	X86_ALU_SBB = 3,
	X86_ALU_AND = 4,
	X86_ALU_SUB = 5,
	X86_ALU_XOR = 6,
	X86_ALU_CMP = 7,
	X86_ALU_TEST = 8,
};

/* Segment registers, numbered as in the ModRM.reg of MOV Sreg (SDM Vol. 2, "MOV"). */
enum x86_seg {
	X86_SEG_ES = 0,
	X86_SEG_CS = 1,
	X86_SEG_SS = 2,
	X86_SEG_DS = 3,
	X86_SEG_FS = 4,
	X86_SEG_GS = 5,
};

/*
 * General-purpose registers, numbered as in ModRM/SIB with the REX bit on
 * top (SDM Vol. 2, 2.2.1.2): the index into x86_insn_mem_address()'s regs[].
 */
enum x86_reg {
	X86_REG_RAX = 0,
	X86_REG_RCX = 1,
	X86_REG_RDX = 2,
	X86_REG_RBX = 3,
	X86_REG_RSP = 4,
	X86_REG_RBP = 5,
	X86_REG_RSI = 6,
	X86_REG_RDI = 7,
	X86_REG_R8 = 8,
	X86_REG_R9 = 9,
	X86_REG_R10 = 10,
	X86_REG_R11 = 11,
	X86_REG_R12 = 12,
	X86_REG_R13 = 13,
	X86_REG_R14 = 14,
	X86_REG_R15 = 15,
	X86_REG_NONE = 0xff,	/* no base / no index register */
};

/* x86_insn.flags */
#define X86_INSN_REP		(1u << 0)  /* F3 prefix seen (REP/REPE) */
#define X86_INSN_REPNE		(1u << 1)  /* F2 prefix seen (REPNE) */
#define X86_INSN_LOCK		(1u << 2)  /* F0 prefix seen (see below) */
#define X86_INSN_OPSIZE		(1u << 3)  /* 66 prefix seen */
#define X86_INSN_ADDRSIZE	(1u << 4)  /* 67 prefix seen */
#define X86_INSN_REX		(1u << 5)  /* a REX prefix is in effect (rex) */
#define X86_INSN_SEG_OVERRIDE	(1u << 6)  /* a segment-override prefix seen */
#define X86_INSN_MEM		(1u << 7)  /* mem describes a memory operand */
#define X86_INSN_RIP_REL	(1u << 8)  /* mem is [rIP + disp] */
#define X86_INSN_HIGH_BYTE	(1u << 9)  /* reg is AH/CH/DH/BH */
#define X86_INSN_IMM		(1u << 10) /* imm holds an immediate */
#define X86_INSN_PORT_DX	(1u << 11) /* IN/OUT/INS/OUTS: port is DX */
#define X86_INSN_MODRM		(1u << 12) /* the encoding has a ModRM byte */
#define X86_INSN_SIB		(1u << 13) /* the encoding has a SIB byte */

/*
 * A memory operand: offset = base + index * scale + disp, wrapped to the
 * address size (x86_insn_mem_address() computes it).  For RIP-relative
 * operands (X86_INSN_RIP_REL) base and index are X86_REG_NONE and the
 * offset is next_rip + disp.  For 16-bit addressing, [BX+SI] is base RBX
 * and index RSI, [BP+DI] base RBP and index RDI, [SI]/[DI]/[BP]/[BX] have
 * only a base, and [disp16] neither.  For MOV moffs, base and index are
 * none and disp holds the moffs zero-extended to 64 bits (an 8-byte moffs
 * with bit 63 set reads as negative).  For the string instructions
 * mem is [rSI] (MOVS, LODS, OUTS) or [rDI] (STOS, INS) with disp 0.
 */
struct x86_mem {
	uint8_t base;	/* enum x86_reg: 0-15 or X86_REG_NONE */
	uint8_t index;	/* enum x86_reg: 0-15 or X86_REG_NONE */
	uint8_t scale;	/* 1, 2, 4 or 8; 1 when there is no index */
	uint8_t reserved; /* 0 */
	uint32_t reserved2; /* 0 */
	int64_t disp;	/* sign-extended displacement (moffs: zero-extended) */
};

/*
 * One decoded instruction.  x86_decode() zeroes the struct first and fills
 * what applies (fields that do not apply stay 0, mem.base/index
 * X86_REG_NONE).  On failure op is X86_OP_NONE and len 0; the other fields
 * show how far decoding got and are for diagnostics only.
 */
struct x86_insn {
	uint8_t len;		/* total length in bytes, 1..15 */
	uint8_t op;		/* enum x86_op */
	uint8_t mode;		/* enum x86_cpu_mode it was decoded in: 16/32/64 */
	/*
	 * Operand size in bytes (1, 2, 4 or 8): 1 for byte opcodes (a 66
	 * prefix has no effect on them), else from the mode, 66 and REX.W
	 * (REX.W wins over 66).  For MOVZX/MOVSX/MOVSXD it is the destination
	 * register's size; for IN/OUT/INS/OUTS at most 4.  Instructions
	 * without operands report the mode's default operand size.
	 */
	uint8_t opsize;
	/*
	 * Bytes read or written at mem (1, 2, 4 or 8), 0 without a memory
	 * operand.  Equal to opsize except for MOVZX/MOVSX (1 or 2) and
	 * MOVSXD (4, or 2 with 66 and no REX.W).  For a REP string instruction
	 * it is the size of one iteration.
	 */
	uint8_t memsize;
	uint8_t addrsize;	/* address size in bytes: 2, 4 or 8 (67 prefix) */
	/*
	 * The register operand, 0-15 (enum x86_reg): ModRM.reg extended by
	 * REX.R, or the implied rAX (0) of MOV moffs, LODS, IN and OUT (for
	 * X86_OP_ALU_IMM ModRM.reg is the /n and reg is 0).  With
	 * X86_INSN_HIGH_BYTE (a byte operand and no REX prefix) reg is 4-7
	 * and names AH, CH, DH, BH: bits 15:8 of register reg - 4.  Other
	 * instructions report 0.
	 */
	uint8_t reg;
	/*
	 * enum x86_seg of the memory operand: the last segment-override prefix
	 * (X86_INSN_SEG_OVERRIDE), else the default: SS when the base
	 * register is rSP or rBP in 16/32-bit modes, DS otherwise.  In 64-bit
	 * mode CS/DS/ES/SS overrides are reported although the CPU treats
	 * those segments as flat; only FS and GS have a base there.  STOS and
	 * INS report ES, which no prefix overrides; MOVS reports its source
	 * segment, and its destination is always ES:[rDI].  Instructions
	 * without a memory operand report the override or DS.
	 */
	uint8_t seg;
	uint8_t rex;		/* the REX byte in effect (0x40-0x4f), else 0 */
	uint8_t rep;		/* the last of F2/F3 seen (0xf2, 0xf3), else 0 */
	uint8_t nprefixes;	/* legacy and REX prefix bytes, ignored ones too */
	uint8_t opcode_len;	/* opcode bytes: 1, or 2 for 0F xx */
	uint8_t opcode;		/* the last opcode byte (the xx of 0F xx) */
	uint8_t modrm;		/* the ModRM byte, if X86_INSN_MODRM */
	uint8_t sib;		/* the SIB byte, if X86_INSN_SIB */
	uint8_t disp_size;	/* displacement (or moffs) bytes: 0,1,2,4,8 */
	uint8_t imm_size;	/* immediate bytes in the encoding: 0,1,2,4 */
	uint8_t alu;		/* enum x86_alu for X86_OP_ALU_*, else 0 */
	uint8_t reserved[2];	/* 0 */
	/*
	 * X86_INSN_*.  LOCK is accepted only where the architecture accepts
	 * it (SDM Vol. 2, "LOCK"): the read-modify-write forms with a memory
	 * destination (X86_OP_ALU_STORE and X86_OP_ALU_IMM other than CMP
	 * and TEST, and XCHG); on any other supported instruction it is #UD
	 * and x86_decode() returns -EINVAL.
	 */
	uint32_t flags;
	/*
	 * The immediate (X86_INSN_IMM), extended as the instruction defines:
	 * MOV C6/C7 give the value to store, masked to opsize except that the
	 * imm32 of REX.W C7 is sign-extended to 64 bits; X86_OP_ALU_IMM gives
	 * the operand the same way (83's imm8 sign-extended to opsize, then
	 * masked); IN/OUT E4-E7 give the port number, zero-extended.
	 */
	uint64_t imm;
	struct x86_mem mem;	/* the memory operand, if X86_INSN_MEM */
};

/*
 * Decodes one instruction from bytes[0..avail).  Returns 0, or:
 *   -ENODATA     avail is too short (the caller may fetch more bytes, up
 *                to X86_MAX_INSN_LEN, and call again);
 *   -EOPNOTSUPP  a valid instruction outside the supported set (including
 *                the register-to-register forms of the MOVs);
 *   -EINVAL      an encoding the CPU raises #UD for: LOCK on an
 *                instruction that does not accept it, C6/C7 with a
 *                ModRM.reg other than 0 (but C6 F8 and C7 F8, XABORT and
 *                XBEGIN, are -EOPNOTSUPP); also an unknown mode;
 *   -E2BIG       longer than 15 bytes, prefixes included (the CPU
 *                raises #GP(0), SDM Vol. 2 2.3.11).
 * Never reads bytes[avail] or beyond; bytes past the 15th are never read.
 * The result does not depend on avail once avail covers the instruction:
 * for a given byte sequence every call that does not return -ENODATA
 * returns the same thing.
 */
int x86_decode(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode,
	       struct x86_insn *insn);

/*
 * The effective address of insn's memory operand: its offset within the
 * segment insn->seg, wrapped to the address size.  regs[] holds the 16
 * general-purpose registers in enum x86_reg order (only the low
 * insn->addrsize bytes matter); next_rip is the address of the next
 * instruction (rip + insn->len), used for RIP-relative operands.  Returns 0
 * when the instruction has no memory operand.  The segment base is not
 * added.
 */
uint64_t x86_insn_mem_address(const struct x86_insn *insn,
			      const uint64_t regs[16], uint64_t next_rip);

/* The name of an enum x86_op, e.g. "mov_store"; "?" for unknown values. */
const char *x86_op_name(unsigned int op);

/*
 * A one-line description of insn for debug messages, NUL-terminated and
 * truncated to len bytes (nothing is written when len is 0); registers
 * are named by their 64-bit names whatever the sizes, e.g.
 * "mov_store len=5 opsize=4 mem=4@ds:[r12+r13*4+0x10] addr=8 reg=rax rex=0x43".
 */
void x86_insn_describe(const struct x86_insn *insn, char *buf, size_t len);

#endif /* VMAIN_X86_DECODE_H */
