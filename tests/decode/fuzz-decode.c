// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-decode.c - fuzzing the x86 decoder (common/x86/) for crashes,
 * out-of-bounds reads and broken invariants.
 *
 * Two builds of this one file:
 *
 *   libFuzzer (clang):
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon \
 *         tests/decode/fuzz-decode.c common/x86/{decode,modrm,describe}.c
 *     ./a.out -max_len=32 -max_total_time=120
 *
 *   standalone (any compiler, no libFuzzer), deterministic for CI:
 *     gcc -DFUZZ_STANDALONE -fsanitize=address,undefined -Icommon ...
 *     ./a.out [-n ITERATIONS] [-s SEED]     random inputs from a seeded PRNG
 *     ./a.out FILE...                       replay inputs (e.g. crash files)
 *   It prints one TAP line, "ok - ..." or "not ok - ...", and exits 0 only
 *   if all inputs passed.
 *
 * Every input is decoded in all three modes; a broken invariant prints the
 * input and aborts (so libFuzzer saves it as a crash).  The invariants:
 * only the documented errors; on success 1 <= len <= min(avail, 15), the
 * length equals the sum of its parts, sizes are in {1,2,4,8} (memsize 0
 * without a memory operand), registers < 16 or X86_REG_NONE, flags agree
 * with the fields; the answer does not depend on avail once it is not
 * -ENODATA (every shorter prefix gives -ENODATA or the same answer, more
 * bytes give the same answer); x86_insn_mem_address() stays within the
 * address size; x86_insn_describe() stays within its buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x86/decode.h"

static const uint8_t *cur_data;
static size_t cur_size;
static int cur_mode;

static void fail(const char *what, int line)
{
	size_t i;

	fprintf(stderr, "fuzz-decode: invariant broken at line %d: %s\n"
		"  mode %d, input (%zu bytes):", line, what, cur_mode, cur_size);
	for (i = 0; i < cur_size; i++)
		fprintf(stderr, " %02x", cur_data[i]);
	fprintf(stderr, "\n");
	abort();
}

#define CHECK(cond) do { if (!(cond)) fail(#cond, __LINE__); } while (0)

static int is_size(unsigned int s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

static int is_reg_or_none(unsigned int r)
{
	return r < 16 || r == X86_REG_NONE;
}

/* Field invariants of a successful decode of avail bytes. */
static void check_insn(const struct x86_insn *in, size_t avail, int mode)
{
	unsigned int parts;

	CHECK(in->len >= 1 && in->len <= X86_MAX_INSN_LEN && in->len <= avail);
	CHECK(in->op > X86_OP_NONE && in->op < X86_OP_COUNT);
	CHECK(in->mode == mode);
	CHECK(is_size(in->opsize));
	CHECK(in->opsize != 8 || mode == X86_MODE_LONG64);
	if (mode == X86_MODE_LONG64)
		CHECK(in->addrsize == 4 || in->addrsize == 8);
	else
		CHECK(in->addrsize == 2 || in->addrsize == 4);
	CHECK(in->memsize == 0 || is_size(in->memsize));
	CHECK(!!in->memsize == !!(in->flags & X86_INSN_MEM));
	CHECK(in->reg < 16);
	if (in->flags & X86_INSN_HIGH_BYTE)
		CHECK(in->reg >= 4 && in->reg <= 7 && !in->rex && in->opsize == 1);
	CHECK(in->seg <= X86_SEG_GS);
	CHECK(is_reg_or_none(in->mem.base) && is_reg_or_none(in->mem.index));
	CHECK(is_size(in->mem.scale));
	CHECK(in->mem.index != X86_REG_NONE || in->mem.scale == 1);
	CHECK(!in->mem.reserved && !in->mem.reserved2);
	CHECK(!in->reserved[0] && !in->reserved[1]);
	if (in->op == X86_OP_ALU_STORE || in->op == X86_OP_ALU_LOAD ||
	    in->op == X86_OP_ALU_IMM)
		CHECK(in->alu <= X86_ALU_TEST);
	else
		CHECK(in->alu == 0);
	if (in->flags & X86_INSN_RIP_REL)
		CHECK(mode == X86_MODE_LONG64 && (in->flags & X86_INSN_MEM) &&
		      in->mem.base == X86_REG_NONE && in->mem.index == X86_REG_NONE);
	if (!(in->flags & X86_INSN_MEM))
		CHECK(in->mem.base == X86_REG_NONE && in->mem.index == X86_REG_NONE &&
		      in->mem.disp == 0);
	CHECK(!!in->rex == !!(in->flags & X86_INSN_REX));
	CHECK(!in->rex || (mode == X86_MODE_LONG64 && (in->rex & 0xf0) == 0x40));
	CHECK(in->rep == 0 || in->rep == 0xf2 || in->rep == 0xf3);
	CHECK(!!in->rep == !!(in->flags & (X86_INSN_REP | X86_INSN_REPNE)));
	/* LOCK only on a read-modify-write of memory (SDM Vol. 2 "LOCK"). */
	if (in->flags & X86_INSN_LOCK)
		CHECK((in->op == X86_OP_XCHG ||
		       ((in->op == X86_OP_ALU_STORE || in->op == X86_OP_ALU_IMM) &&
			in->alu != X86_ALU_CMP && in->alu != X86_ALU_TEST)) &&
		      (in->flags & X86_INSN_MEM));
	CHECK(in->imm_size == 0 || in->imm_size == 1 || in->imm_size == 2 ||
	      in->imm_size == 4);
	CHECK(!!in->imm_size == !!(in->flags & X86_INSN_IMM));
	CHECK(in->disp_size == 0 || is_size(in->disp_size));
	CHECK(in->opcode_len == 1 || in->opcode_len == 2);
	CHECK(!(in->flags & X86_INSN_SIB) || (in->flags & X86_INSN_MODRM));
	parts = in->nprefixes + in->opcode_len + !!(in->flags & X86_INSN_MODRM) +
		!!(in->flags & X86_INSN_SIB) + in->disp_size + in->imm_size;
	CHECK(parts == in->len);
	if (in->op == X86_OP_IN || in->op == X86_OP_OUT ||
	    in->op == X86_OP_INS || in->op == X86_OP_OUTS)
		CHECK(in->opsize <= 4);
	if (in->op == X86_OP_MOVZX || in->op == X86_OP_MOVSX)
		CHECK(in->memsize <= 2 && in->opsize >= 2);
	if (in->flags & X86_INSN_MEM && in->op != X86_OP_MOVZX &&
	    in->op != X86_OP_MOVSX && in->op != X86_OP_MOVSXD)
		CHECK(in->memsize == in->opsize);
}

static void check_extras(const struct x86_insn *in, const uint8_t *data,
			 size_t size)
{
	static const size_t buflens[] = { 0, 1, 2, 7, 16, 40, 200 };
	uint64_t regs[16], ea, rip = 0;
	char buf[208];
	size_t i, j;

	for (i = 0; i < 16; i++) {
		regs[i] = 0x0123456789abcdefull * (i + 1);
		for (j = 0; j < 8 && i * 8 + j < size; j++)
			regs[i] ^= (uint64_t)data[i * 8 + j] << (8 * j);
		rip ^= regs[i];
	}
	ea = x86_insn_mem_address(in, regs, rip + in->len);
	if (in->addrsize < 8)
		CHECK(ea >> (8 * in->addrsize) == 0);
	if (!(in->flags & X86_INSN_MEM))
		CHECK(ea == 0);

	for (i = 0; i < sizeof(buflens) / sizeof(buflens[0]); i++) {
		size_t n = buflens[i];

		memset(buf, 0x5a, sizeof(buf));
		x86_insn_describe(in, buf, n);
		if (n)
			CHECK(strlen(buf) < n);
		for (j = n; j < sizeof(buf); j++)
			CHECK(buf[j] == 0x5a);
	}
}

static void check_mode(const uint8_t *data, size_t size, enum x86_cpu_mode mode)
{
	struct x86_insn full, part;
	uint8_t more[32];
	size_t k, lim = size < 16 ? size : 16;
	int r, rk, decided = 0;

	cur_mode = mode;
	r = x86_decode(data, size, mode, &full);
	CHECK(r == 0 || r == -ENODATA || r == -EOPNOTSUPP || r == -EINVAL ||
	      r == -E2BIG);
	if (r == -ENODATA)
		CHECK(size < X86_MAX_INSN_LEN);
	if (r == 0)
		check_insn(&full, size, mode);
	else
		CHECK(full.op == X86_OP_NONE && full.len == 0);

	/* Shorter inputs: -ENODATA up to some length, then the same answer. */
	for (k = 0; k <= lim; k++) {
		rk = x86_decode(data, k, mode, &part);
		if (rk == -ENODATA) {
			CHECK(!decided);
			continue;
		}
		decided = 1;
		CHECK(rk == r);
		if (r == 0)
			CHECK(k >= full.len && !memcmp(&part, &full, sizeof(full)));
	}
	if (r == 0) {
		CHECK(x86_decode(data, full.len, mode, &part) == 0 &&
		      !memcmp(&part, &full, sizeof(full)));
		CHECK(x86_decode(data, full.len - 1u, mode, &part) == -ENODATA);
		check_extras(&full, data, size);
	}

	/* Longer inputs (two different tails) give the same answer. */
	if (r != -ENODATA && size < sizeof(more)) {
		int fill;

		for (fill = 0; fill < 2; fill++) {
			memset(more, fill ? 0x66 : 0x00, sizeof(more));
			memcpy(more, data, size);
			rk = x86_decode(more, sizeof(more), mode, &part);
			CHECK(rk == r);
			if (r == 0)
				CHECK(!memcmp(&part, &full, sizeof(full)));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
	check_mode(data, size, X86_MODE_REAL);
	check_mode(data, size, X86_MODE_PROT32);
	check_mode(data, size, X86_MODE_LONG64);
	return 0;
}

#ifdef FUZZ_STANDALONE
/*
 * The standalone driver.  Inputs are 0-20 bytes; half of the bytes come
 * from a list of prefixes, opcodes and ModRM/SIB values the decoder cares
 * about, so that a fixed number of iterations reaches the interesting
 * paths without coverage feedback.
 */
static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const uint8_t interesting[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
	0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f, 0x0f, 0x01, 0x88, 0x89, 0x8a,
	0x8b, 0xc6, 0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab,
	0x6c, 0x6d, 0x6e, 0x6f, 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee,
	0xef, 0xf4, 0x90, 0x63, 0xb6, 0xb7, 0xbe, 0xbf, 0x30, 0x31, 0x32,
	0x08, 0x09, 0xc1, 0xd1, 0xd9, 0xf9, 0xf8, 0x04, 0x05, 0x24, 0x25,
	0x44, 0x45, 0x84, 0x85, 0x06, 0x46, 0x86, 0xc0, 0x00, 0xff, 0x80,
};

static int run_one(const uint8_t *bytes, size_t n)
{
	/* An exact-size heap copy, so that ASan sees any read past it. */
	uint8_t *copy = malloc(n ? n : 1);

	if (!copy)
		return -1;
	if (n)
		memcpy(copy, bytes, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

static int replay(const char *path)
{
	static uint8_t buf[4096];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return run_one(buf, n);
}

int main(int argc, char **argv)
{
	unsigned long long iters = 1000000, seed = 1, i;
	uint8_t bytes[20];
	int argi = 1, nfiles = 0;

	while (argi < argc) {
		if (!strcmp(argv[argi], "-n") && argi + 1 < argc) {
			iters = strtoull(argv[argi + 1], NULL, 0);
			argi += 2;
		} else if (!strcmp(argv[argi], "-s") && argi + 1 < argc) {
			seed = strtoull(argv[argi + 1], NULL, 0);
			argi += 2;
		} else if (argv[argi][0] == '-') {
			fprintf(stderr, "usage: fuzz-decode [-n ITERATIONS] [-s SEED] | FILE...\n");
			return 2;
		} else {
			if (replay(argv[argi])) {
				printf("not ok - fuzz-decode: cannot read %s\n", argv[argi]);
				return 1;
			}
			nfiles++;
			argi++;
		}
	}
	if (nfiles) {
		printf("ok - fuzz-decode: %d input files replayed\n", nfiles);
		return 0;
	}

	rng_state = seed;
	for (i = 0; i < iters; i++) {
		uint64_t r = rng();
		size_t n = (size_t)(r % 21), j;

		for (j = 0; j < n; j++) {
			uint64_t b = rng();

			if (b & 1)
				bytes[j] = interesting[(b >> 8) % sizeof(interesting)];
			else
				bytes[j] = (uint8_t)(b >> 8);
		}
		if (run_one(bytes, n)) {
			printf("not ok - fuzz-decode: out of memory\n");
			return 1;
		}
	}
	printf("ok - fuzz-decode: %llu random inputs in 3 modes, seed %llu\n",
	       iters, seed);
	return 0;
}
#endif
