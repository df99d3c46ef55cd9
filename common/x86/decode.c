// SPDX-License-Identifier: GPL-2.0-only
/*
 * decode.c - x86_decode(): prefixes, operand/address sizes, the opcode
 * tables of the supported instructions, and their immediates.  ModRM/SIB
 * decoding lives in modrm.c.
 *
 * References: Intel SDM Vol. 2, chapter 2 ("Instruction Format"), the
 * opcode maps in Vol. 2 appendix A, and the instruction pages; AMD APM
 * Vol. 3, chapter 1 ("Instruction Encoding") and appendix A.
 */
#include "decode-internal.h"

/*
 * Legacy prefixes (SDM Vol. 2, 2.1.1; APM Vol. 3, "Instruction Prefixes")
 * may come in any order and may repeat; when several of one group appear
 * the last one is used here, as processors do in practice.  A REX prefix
 * (SDM Vol. 2, 2.2.1; APM Vol. 3, "REX Prefixes") exists only in 64-bit
 * mode (elsewhere 40-4F are INC/DEC) and counts only when it immediately
 * precedes the opcode: a REX followed by a legacy prefix is ignored (SDM
 * Vol. 2, 2.2.1: "other placements are ignored"), and of several REX bytes
 * in a row only the last one counts.  Returns with c->pos at the first
 * opcode byte.
 */
static int decode_prefixes(struct x86_cursor *c, struct x86_insn *insn)
{
	for (;;) {
		int err = x86_cur_need(c, 1);
		uint8_t b;

		if (err)
			return err;
		b = c->bytes[c->pos];
		switch (b) {
		case 0xf0:
			insn->flags |= X86_INSN_LOCK;
			break;
		case 0xf2:
			insn->flags |= X86_INSN_REPNE;
			insn->rep = b;
			break;
		case 0xf3:
			insn->flags |= X86_INSN_REP;
			insn->rep = b;
			break;
		case 0x66:
			insn->flags |= X86_INSN_OPSIZE;
			break;
		case 0x67:
			insn->flags |= X86_INSN_ADDRSIZE;
			break;
		case 0x26:
			insn->seg = X86_SEG_ES;
			insn->flags |= X86_INSN_SEG_OVERRIDE;
			break;
		case 0x2e:
			insn->seg = X86_SEG_CS;
			insn->flags |= X86_INSN_SEG_OVERRIDE;
			break;
		case 0x36:
			insn->seg = X86_SEG_SS;
			insn->flags |= X86_INSN_SEG_OVERRIDE;
			break;
		case 0x3e:
			insn->seg = X86_SEG_DS;
			insn->flags |= X86_INSN_SEG_OVERRIDE;
			break;
		case 0x64:
			insn->seg = X86_SEG_FS;
			insn->flags |= X86_INSN_SEG_OVERRIDE;
			break;
		case 0x65:
			insn->seg = X86_SEG_GS;
			insn->flags |= X86_INSN_SEG_OVERRIDE;
			break;
		default:
			if (insn->mode != X86_MODE_LONG64 || (b & 0xf0) != 0x40)
				return 0;	/* the opcode */
			insn->rex = b;
			c->pos++;
			insn->nprefixes++;
			continue;
		}
		insn->rex = 0;	/* a legacy prefix cancels an earlier REX */
		c->pos++;
		insn->nprefixes++;
	}
}

/*
 * Default operand and address sizes (SDM Vol. 2, 2.2.1.2 and Vol. 1, 3.6,
 * Tables 3-3 and 3-4; APM Vol. 3, "Operand-Size Override Prefix" and
 * "Address-Size Override Prefix"): 66 and 67 toggle between 16 and 32 bits
 * outside 64-bit mode.  In 64-bit mode the address size is 64 (67: 32) and
 * the operand size 32 (66: 16, REX.W: 64, and REX.W wins over 66).  Byte
 * opcodes override opsize later.
 */
static void set_sizes(struct x86_insn *insn)
{
	bool o16 = insn->flags & X86_INSN_OPSIZE;
	bool a16 = insn->flags & X86_INSN_ADDRSIZE;

	switch (insn->mode) {
	case X86_MODE_REAL:
		insn->opsize = o16 ? 4 : 2;
		insn->addrsize = a16 ? 4 : 2;
		break;
	case X86_MODE_PROT32:
		insn->opsize = o16 ? 2 : 4;
		insn->addrsize = a16 ? 2 : 4;
		break;
	default:
		insn->opsize = (insn->rex & 8) ? 8 : o16 ? 2 : 4;
		insn->addrsize = a16 ? 4 : 8;
		break;
	}
}

/* Reads an immediate of n bytes into insn->imm (zero-extended). */
static int read_imm(struct x86_cursor *c, struct x86_insn *insn, size_t n)
{
	int err = x86_cur_read(c, n, &insn->imm);

	if (err)
		return err;
	insn->imm_size = (uint8_t)n;
	insn->flags |= X86_INSN_IMM;
	return 0;
}

/*
 * A ModRM instruction whose r/m must be memory for vmain's purposes.  The
 * register forms are valid instructions (a register-to-register move), just
 * not ones that can touch MMIO, hence -EOPNOTSUPP rather than -EINVAL.
 */
static int decode_modrm_mem(struct x86_cursor *c, struct x86_insn *insn)
{
	int err = x86_decode_modrm(c, insn);

	if (err)
		return err;
	if (!(insn->flags & X86_INSN_MEM))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * The byte registers (SDM Vol. 1, 3.4.1.1; APM Vol. 3, "REX Prefixes"):
 * without any REX prefix, byte register numbers 4-7 are AH, CH, DH, BH;
 * with one (even 40), they are SPL, BPL, SIL, DIL.
 */
static void check_high_byte(struct x86_insn *insn)
{
	if (insn->opsize == 1 && !insn->rex && insn->reg >= 4 && insn->reg < 8)
		insn->flags |= X86_INSN_HIGH_BYTE;
}

/* 88-8B: MOV r/m, reg and MOV reg, r/m (bit 1: direction, bit 0: width). */
static int decode_mov_rm(struct x86_cursor *c, struct x86_insn *insn,
			 uint8_t opc)
{
	int err;

	insn->op = opc & 2 ? X86_OP_MOV_LOAD : X86_OP_MOV_STORE;
	if (!(opc & 1))
		insn->opsize = 1;
	err = decode_modrm_mem(c, insn);
	if (err)
		return err;
	insn->memsize = insn->opsize;
	check_high_byte(insn);
	return 0;
}

/*
 * C6 /0 ib, C7 /0 iw/id: MOV r/m, imm.  The immediate is at most 32 bits;
 * with REX.W it is sign-extended to 64 (SDM Vol. 2, 2.2.1.5 and "MOV").
 * ModRM.reg is an opcode extension (group 11, SDM Vol. 2, Table A-6): /0
 * is MOV, C6 F8 and C7 F8 are XABORT and XBEGIN, everything else is #UD.
 */
static int decode_mov_imm(struct x86_cursor *c, struct x86_insn *insn,
			  uint8_t opc)
{
	uint8_t modrm;
	size_t isz;
	int err;

	insn->op = X86_OP_MOV_STORE_IMM;
	if (!(opc & 1))
		insn->opsize = 1;
	err = x86_cur_need(c, 1);
	if (err)
		return err;
	modrm = c->bytes[c->pos];
	if (modrm & 0x38)
		return modrm == 0xf8 ? -EOPNOTSUPP : -EINVAL;
	err = decode_modrm_mem(c, insn);
	if (err)
		return err;
	insn->reg = 0;	/* ModRM.reg is the /0, not a register */
	insn->memsize = insn->opsize;
	isz = insn->opsize == 1 ? 1 : insn->opsize == 2 ? 2 : 4;
	err = read_imm(c, insn, isz);
	if (err)
		return err;
	if (insn->opsize == 8)
		insn->imm = (uint64_t)x86_sext(insn->imm, 4);
	return 0;
}

/*
 * A0-A3: MOV AL/rAX, moffs and MOV moffs, AL/rAX.  No ModRM: the offset
 * follows the opcode and has the address size, so 8 bytes in 64-bit mode
 * and 4 with a 67 prefix (SDM 2.2.1.4, "Direct Memory-Offset MOVs").
 * REX.W selects RAX; REX.B does not apply.
 */
static int decode_mov_moffs(struct x86_cursor *c, struct x86_insn *insn,
			    uint8_t opc)
{
	uint64_t moffs;
	int err;

	insn->op = opc & 2 ? X86_OP_MOV_STORE_MOFFS : X86_OP_MOV_LOAD_MOFFS;
	if (!(opc & 1))
		insn->opsize = 1;
	err = x86_cur_read(c, insn->addrsize, &moffs);
	if (err)
		return err;
	insn->disp_size = insn->addrsize;
	insn->flags |= X86_INSN_MEM;
	insn->mem.disp = (int64_t)moffs;
	insn->memsize = insn->opsize;
	insn->reg = X86_REG_RAX;
	return 0;
}

/*
 * The string instructions: one implicit memory operand, [rSI] (source,
 * segment overridable) or [rDI] (always ES), with rSI/rDI/rCX of the
 * address size (SDM Vol. 1, 7.3.9; APM Vol. 3, "Repeat Prefixes").
 */
static void set_string_mem(struct x86_insn *insn, uint8_t base)
{
	insn->flags |= X86_INSN_MEM;
	insn->mem.base = base;
	if (base == X86_REG_RDI)
		insn->seg = X86_SEG_ES;
	insn->memsize = insn->opsize;
}

/*
 * I/O instructions have no 64-bit form: an operand size of 64 (REX.W) is
 * used as 32 (SDM "IN", "OUT": "REX.W ignored"; GNU objdump agrees that
 * 66 48 ED is IN EAX, DX).
 */
static void set_io_size(struct x86_insn *insn, uint8_t opc)
{
	if (!(opc & 1))
		insn->opsize = 1;
	else if (insn->opsize == 8)
		insn->opsize = 4;
}

/*
 * The ALU forms with a ModRM operand: OP r/m, reg (memory destination,
 * X86_OP_ALU_STORE; also TEST 84/85, which writes nothing) or OP reg, r/m
 * (to_reg, X86_OP_ALU_LOAD).  Bit 0 of the opcode is the width.
 */
static int decode_alu_rm(struct x86_cursor *c, struct x86_insn *insn,
			 uint8_t opc, unsigned int alu, bool to_reg)
{
	int err;

	insn->op = to_reg ? X86_OP_ALU_LOAD : X86_OP_ALU_STORE;
	insn->alu = (uint8_t)alu;
	if (!(opc & 1))
		insn->opsize = 1;
	err = decode_modrm_mem(c, insn);
	if (err)
		return err;
	insn->memsize = insn->opsize;
	check_high_byte(insn);
	return 0;
}

/*
 * An immediate of the operand size, at most 32 bits (imm8 when `byte`),
 * sign-extended and then masked to the operand size (SDM Vol. 2, 2.2.1.5:
 * 64-bit operations take a sign-extended imm32; 83 /n sign-extends imm8).
 */
static int read_alu_imm(struct x86_cursor *c, struct x86_insn *insn, bool byte)
{
	size_t isz = byte || insn->opsize == 1 ? 1 : insn->opsize == 2 ? 2 : 4;
	uint64_t v;
	int err;

	err = read_imm(c, insn, isz);
	if (err)
		return err;
	v = (uint64_t)x86_sext(insn->imm, isz);
	if (insn->opsize < 8)
		v &= (1ULL << (insn->opsize * 8)) - 1;
	insn->imm = v;
	return 0;
}

/*
 * Group 1 (SDM Vol. 2, Table A-6): 80 /n ib, 81 /n iw/id, 83 /n ib
 * (sign-extended); ModRM.reg is the operation.  82 (80's alias outside
 * 64-bit mode) is left out: no compiler emits it.
 */
static int decode_alu_imm(struct x86_cursor *c, struct x86_insn *insn,
			  uint8_t opc)
{
	int err;

	insn->op = X86_OP_ALU_IMM;
	if (opc == 0x80)
		insn->opsize = 1;
	err = decode_modrm_mem(c, insn);
	if (err)
		return err;
	insn->alu = insn->reg & 7;
	insn->reg = 0;	/* ModRM.reg is the /n, not a register */
	insn->memsize = insn->opsize;
	return read_alu_imm(c, insn, opc == 0x83);
}

/*
 * Group 3 (SDM Vol. 2, Table A-6): F6 /0 ib and F7 /0 iw/id are TEST r/m,
 * imm.  /1 is an undocumented alias of /0 and /2-/7 are NOT, NEG, MUL,
 * IMUL, DIV, IDIV: not supported.
 */
static int decode_test_imm(struct x86_cursor *c, struct x86_insn *insn,
			   uint8_t opc)
{
	int err = x86_cur_need(c, 1);

	if (err)
		return err;
	if (c->bytes[c->pos] & 0x38)
		return -EOPNOTSUPP;
	insn->op = X86_OP_ALU_IMM;
	insn->alu = X86_ALU_TEST;
	if (!(opc & 1))
		insn->opsize = 1;
	err = decode_modrm_mem(c, insn);
	if (err)
		return err;
	insn->reg = 0;
	insn->memsize = insn->opsize;
	return read_alu_imm(c, insn, false);
}

/* 0F 01 with mod = 11: a few fixed ModRM bytes are whole instructions. */
static int decode_0f01(struct x86_cursor *c, struct x86_insn *insn)
{
	uint8_t modrm;
	int err;

	err = x86_cur_need(c, 1);
	if (err)
		return err;
	modrm = c->bytes[c->pos];
	switch (modrm) {
	case 0xc1:
		insn->op = X86_OP_VMCALL;
		break;
	case 0xd1:
		insn->op = X86_OP_XSETBV;
		break;
	case 0xd9:
		insn->op = X86_OP_VMMCALL;
		break;
	case 0xf9:
		insn->op = X86_OP_RDTSCP;
		break;
	default:
		/* SGDT..INVLPG, VMRUN, MONITOR, SWAPGS, ... */
		return -EOPNOTSUPP;
	}
	insn->modrm = modrm;
	insn->flags |= X86_INSN_MODRM;
	c->pos++;
	return 0;
}

/* The two-byte opcode map, 0F xx (SDM Vol. 2, Table A-3; APM Vol. 3, app. A). */
static int decode_0f(struct x86_cursor *c, struct x86_insn *insn, uint8_t opc)
{
	int err;

	switch (opc) {
	case 0x01:
		return decode_0f01(c, insn);
	case 0x08:
		insn->op = X86_OP_INVD;
		return 0;
	case 0x09:
		/* F3 0F 09 is WBNOINVD (the mandatory prefix selects it). */
		insn->op = insn->rep == 0xf3 ? X86_OP_WBNOINVD : X86_OP_WBINVD;
		return 0;
	case 0x30:
		insn->op = X86_OP_WRMSR;
		return 0;
	case 0x31:
		insn->op = X86_OP_RDTSC;
		return 0;
	case 0x32:
		insn->op = X86_OP_RDMSR;
		return 0;
	case 0xa2:
		insn->op = X86_OP_CPUID;
		return 0;
	case 0xb6:
	case 0xb7:
	case 0xbe:
	case 0xbf:
		/*
		 * MOVZX/MOVSX reg, r/m8 (B6/BE) or r/m16 (B7/BF): the
		 * destination has the operand size, the source is 1 or 2
		 * bytes whatever 66 and REX.W say.
		 */
		if (insn->flags & X86_INSN_LOCK)
			return -EINVAL;
		insn->op = opc & 8 ? X86_OP_MOVSX : X86_OP_MOVZX;
		err = decode_modrm_mem(c, insn);
		if (err)
			return err;
		insn->memsize = opc & 1 ? 2 : 1;
		return 0;
	default:
		/* Including the 0F 38 and 0F 3A three-byte maps. */
		return -EOPNOTSUPP;
	}
}

/* The one-byte opcode map (SDM Vol. 2, Table A-2; APM Vol. 3, appendix A). */
static int decode_1byte(struct x86_cursor *c, struct x86_insn *insn,
			uint8_t opc)
{
	int err;

	switch (opc) {
	case 0x88:
	case 0x89:
	case 0x8a:
	case 0x8b:
		/* LOCK MOV is #UD in every form (SDM "LOCK"). */
		if (insn->flags & X86_INSN_LOCK)
			return -EINVAL;
		return decode_mov_rm(c, insn, opc);
	case 0xc6:
	case 0xc7:
		if (insn->flags & X86_INSN_LOCK)
			return -EINVAL;
		return decode_mov_imm(c, insn, opc);
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3:
		return decode_mov_moffs(c, insn, opc);
	case 0x63:
		/*
		 * MOVSXD in 64-bit mode (ARPL elsewhere): REX.W 63 sign-
		 * extends r/m32 into r64; without REX.W the source has the
		 * operand size (16 or 32) and nothing is extended.
		 */
		if (insn->mode != X86_MODE_LONG64)
			return -EOPNOTSUPP;
		if (insn->flags & X86_INSN_LOCK)
			return -EINVAL;
		insn->op = X86_OP_MOVSXD;
		err = decode_modrm_mem(c, insn);
		if (err)
			return err;
		insn->memsize = insn->opsize == 8 ? 4 : insn->opsize;
		return 0;
	case 0xa4:
	case 0xa5:
		insn->op = X86_OP_MOVS;
		if (!(opc & 1))
			insn->opsize = 1;
		set_string_mem(insn, X86_REG_RSI);
		return 0;
	case 0xac:
	case 0xad:
		insn->op = X86_OP_LODS;
		if (!(opc & 1))
			insn->opsize = 1;
		insn->reg = X86_REG_RAX;
		set_string_mem(insn, X86_REG_RSI);
		return 0;
	case 0x80:
	case 0x81:
	case 0x83:
		return decode_alu_imm(c, insn, opc);
	case 0x84:
	case 0x85:
		return decode_alu_rm(c, insn, opc, X86_ALU_TEST, false);
	case 0x86:
	case 0x87:
		insn->op = X86_OP_XCHG;
		if (!(opc & 1))
			insn->opsize = 1;
		err = decode_modrm_mem(c, insn);
		if (err)
			return err;
		insn->memsize = insn->opsize;
		check_high_byte(insn);
		return 0;
	case 0xf6:
	case 0xf7:
		return decode_test_imm(c, insn, opc);
	case 0xaa:
	case 0xab:
		insn->op = X86_OP_STOS;
		if (!(opc & 1))
			insn->opsize = 1;
		set_string_mem(insn, X86_REG_RDI);
		return 0;
	case 0x6c:
	case 0x6d:
		insn->op = X86_OP_INS;
		insn->flags |= X86_INSN_PORT_DX;
		set_io_size(insn, opc);
		set_string_mem(insn, X86_REG_RDI);
		return 0;
	case 0x6e:
	case 0x6f:
		insn->op = X86_OP_OUTS;
		insn->flags |= X86_INSN_PORT_DX;
		set_io_size(insn, opc);
		set_string_mem(insn, X86_REG_RSI);
		return 0;
	case 0xe4:
	case 0xe5:
	case 0xe6:
	case 0xe7:
		/* IN AL/eAX, imm8 and OUT imm8, AL/eAX. */
		insn->op = opc & 2 ? X86_OP_OUT : X86_OP_IN;
		set_io_size(insn, opc);
		return read_imm(c, insn, 1);
	case 0xec:
	case 0xed:
	case 0xee:
	case 0xef:
		/* IN AL/eAX, DX and OUT DX, AL/eAX. */
		insn->op = opc & 2 ? X86_OP_OUT : X86_OP_IN;
		insn->flags |= X86_INSN_PORT_DX;
		set_io_size(insn, opc);
		return 0;
	case 0xf4:
		insn->op = X86_OP_HLT;
		return 0;
	case 0x00: case 0x01: case 0x02: case 0x03:
	case 0x08: case 0x09: case 0x0a: case 0x0b:
	case 0x10: case 0x11: case 0x12: case 0x13:
	case 0x18: case 0x19: case 0x1a: case 0x1b:
	case 0x20: case 0x21: case 0x22: case 0x23:
	case 0x28: case 0x29: case 0x2a: case 0x2b:
	case 0x30: case 0x31: case 0x32: case 0x33:
	case 0x38: case 0x39: case 0x3a: case 0x3b:
		/* ADD OR ADC SBB AND SUB XOR CMP: bits 5:3 (Table A-2). */
		return decode_alu_rm(c, insn, opc, (opc >> 3) & 7, opc & 2);
	case 0x90:
		/*
		 * F3 90 is PAUSE (a mandatory prefix on NOP); 90 alone is
		 * NOP, or XCHG r8, rAX with REX.B.  GNU objdump decodes
		 * F3 41 90 as PAUSE too.
		 */
		if (insn->rep != 0xf3)
			return -EOPNOTSUPP;
		insn->op = X86_OP_PAUSE;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static bool lock_allowed(const struct x86_insn *insn)
{
	switch (insn->op) {
	case X86_OP_ALU_STORE:
	case X86_OP_ALU_IMM:
		return insn->alu != X86_ALU_CMP && insn->alu != X86_ALU_TEST;
	case X86_OP_XCHG:
		return true;
	default:
		return false;
	}
}

int x86_decode(const uint8_t *bytes, size_t avail, enum x86_cpu_mode mode,
	       struct x86_insn *insn)
{
	struct x86_cursor c = { .bytes = bytes, .avail = avail, .pos = 0 };
	uint64_t opc;
	int err;

	memset(insn, 0, sizeof(*insn));
	insn->mem.base = X86_REG_NONE;
	insn->mem.index = X86_REG_NONE;
	insn->mem.scale = 1;
	insn->seg = X86_SEG_DS;
	if (mode != X86_MODE_REAL && mode != X86_MODE_PROT32 &&
	    mode != X86_MODE_LONG64)
		return -EINVAL;
	insn->mode = (uint8_t)mode;

	err = decode_prefixes(&c, insn);
	if (err)
		goto fail;
	if (insn->rex)
		insn->flags |= X86_INSN_REX;
	set_sizes(insn);

	err = x86_cur_read(&c, 1, &opc);
	if (err)
		goto fail;
	insn->opcode_len = 1;
	if (opc == 0x0f) {
		/* Two-byte opcodes: escape 0F, then the opcode (SDM Vol. 2, 2.1.2). */
		err = x86_cur_read(&c, 1, &opc);
		if (err)
			goto fail;
		insn->opcode_len = 2;
		insn->opcode = (uint8_t)opc;
		err = decode_0f(&c, insn, insn->opcode);
	} else {
		insn->opcode = (uint8_t)opc;
		err = decode_1byte(&c, insn, insn->opcode);
	}
	if (err)
		goto fail;

	/*
	 * LOCK is #UD on anything but the read-modify-write memory forms
	 * (SDM Vol. 2, "LOCK"): ADD..XOR with a memory destination, and XCHG
	 * (locked anyway); not CMP, TEST or a register destination.
	 */
	if ((insn->flags & X86_INSN_LOCK) && !lock_allowed(insn)) {
		err = -EINVAL;
		goto fail;
	}
	insn->len = (uint8_t)c.pos;
	return 0;

fail:
	insn->op = X86_OP_NONE;
	insn->len = 0;
	return err;
}
