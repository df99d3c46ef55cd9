// SPDX-License-Identifier: GPL-2.0-only
/*
 * describe.c - names and one-line descriptions of decoded instructions, for
 * debug messages and test diagnostics.  Nothing here affects decoding.
 */
#include "decode.h"

static const char *const op_names[X86_OP_COUNT] = {
	[X86_OP_NONE] = "none",
	[X86_OP_MOV_STORE] = "mov_store",
	[X86_OP_MOV_LOAD] = "mov_load",
	[X86_OP_MOV_STORE_IMM] = "mov_store_imm",
	[X86_OP_MOV_LOAD_MOFFS] = "mov_load_moffs",
	[X86_OP_MOV_STORE_MOFFS] = "mov_store_moffs",
	[X86_OP_MOVZX] = "movzx",
	[X86_OP_MOVSX] = "movsx",
	[X86_OP_MOVSXD] = "movsxd",
	[X86_OP_STOS] = "stos",
	[X86_OP_MOVS] = "movs",
	[X86_OP_CPUID] = "cpuid",
	[X86_OP_RDMSR] = "rdmsr",
	[X86_OP_WRMSR] = "wrmsr",
	[X86_OP_RDTSC] = "rdtsc",
	[X86_OP_RDTSCP] = "rdtscp",
	[X86_OP_HLT] = "hlt",
	[X86_OP_VMMCALL] = "vmmcall",
	[X86_OP_VMCALL] = "vmcall",
	[X86_OP_XSETBV] = "xsetbv",
	[X86_OP_INVD] = "invd",
	[X86_OP_WBINVD] = "wbinvd",
	[X86_OP_WBNOINVD] = "wbnoinvd",
	[X86_OP_PAUSE] = "pause",
	[X86_OP_IN] = "in",
	[X86_OP_OUT] = "out",
	[X86_OP_INS] = "ins",
	[X86_OP_OUTS] = "outs",
	[X86_OP_LODS] = "lods",
	[X86_OP_ALU_STORE] = "alu_store",
	[X86_OP_ALU_LOAD] = "alu_load",
	[X86_OP_ALU_IMM] = "alu_imm",
	[X86_OP_XCHG] = "xchg",
};

static const char *const alu_names[9] = {
	"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test",
};

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *const high_byte_names[4] = { "ah", "ch", "dh", "bh" };

static const char *const seg_names[8] = {
	"es", "cs", "ss", "ds", "fs", "gs", "?", "?",
};

const char *x86_op_name(unsigned int op)
{
	if (op >= X86_OP_COUNT || !op_names[op])
		return "?";
	return op_names[op];
}

static const char *reg_name(unsigned int reg)
{
	return reg < 16 ? reg_names[reg] : "?";
}

/* An append-only view of the caller's buffer; output is truncated. */
struct outbuf {
	char *buf;
	size_t len;
	size_t pos;
};

__attribute__((format(printf, 2, 3)))
static void out(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->pos += (size_t)n;
	if (o->pos >= o->len)
		o->pos = o->len - 1;
}

static void describe_mem(struct outbuf *o, const struct x86_insn *insn)
{
	const struct x86_mem *m = &insn->mem;
	bool any = false;

	out(o, " mem=%u@%s:[", insn->memsize, seg_names[insn->seg & 7]);
	if (insn->flags & X86_INSN_RIP_REL) {
		out(o, "rip");
		any = true;
	}
	if (m->base != X86_REG_NONE) {
		out(o, "%s", reg_name(m->base));
		any = true;
	}
	if (m->index != X86_REG_NONE) {
		out(o, "%s%s*%u", any ? "+" : "", reg_name(m->index), m->scale);
		any = true;
	}
	if (m->disp < 0)
		out(o, "-0x%llx", (unsigned long long)-(uint64_t)m->disp);
	else if (m->disp || !any)
		out(o, "%s0x%llx", any ? "+" : "", (unsigned long long)m->disp);
	out(o, "] addr=%u", insn->addrsize);
}

void x86_insn_describe(const struct x86_insn *insn, char *buf, size_t len)
{
	struct outbuf o = { .buf = buf, .len = len, .pos = 0 };

	if (!len)
		return;
	buf[0] = '\0';
	out(&o, "%s len=%u opsize=%u", x86_op_name(insn->op), insn->len,
	    insn->opsize);
	if (insn->flags & X86_INSN_MEM)
		describe_mem(&o, insn);
	switch (insn->op) {
	case X86_OP_MOV_STORE:
	case X86_OP_MOV_LOAD:
	case X86_OP_MOV_LOAD_MOFFS:
	case X86_OP_MOV_STORE_MOFFS:
	case X86_OP_MOVZX:
	case X86_OP_MOVSX:
	case X86_OP_MOVSXD:
	case X86_OP_IN:
	case X86_OP_OUT:
	case X86_OP_LODS:
	case X86_OP_ALU_STORE:
	case X86_OP_ALU_LOAD:
	case X86_OP_XCHG:
		if (insn->flags & X86_INSN_HIGH_BYTE)
			out(&o, " reg=%s", high_byte_names[insn->reg & 3]);
		else
			out(&o, " reg=%s", reg_name(insn->reg));
		break;
	default:
		break;
	}
	if ((insn->op == X86_OP_ALU_STORE || insn->op == X86_OP_ALU_LOAD ||
	     insn->op == X86_OP_ALU_IMM) && insn->alu < 9)
		out(&o, " alu=%s", alu_names[insn->alu]);
	if (insn->flags & X86_INSN_IMM)
		out(&o, " imm=0x%llx", (unsigned long long)insn->imm);
	if (insn->flags & X86_INSN_PORT_DX)
		out(&o, " port=dx");
	if (insn->flags & X86_INSN_REP)
		out(&o, " f3");
	if (insn->flags & X86_INSN_REPNE)
		out(&o, " f2");
	if (insn->flags & X86_INSN_LOCK)
		out(&o, " lock");
	if (insn->flags & X86_INSN_SEG_OVERRIDE)
		out(&o, " segprefix");
	if (insn->rex)
		out(&o, " rex=0x%x", insn->rex);
}
