// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * decode-lens.c - the decoder side of tests/decode/cross-check.sh.
 *
 *   decode-lens MODE FILE.bin < LIST
 *
 * FILE.bin is code assembled by GNU as for MODE (16, 32 or 64).  Each line
 * of LIST is "START END EXPECT TEXT...": the instruction TEXT occupies
 * bytes [START, END) of the file, and EXPECT is the op name x86_op_name()
 * gives it, or EOPNOTSUPP.  Each instruction is decoded twice, with the
 * rest of the file available and with exactly its own bytes, and must give
 * EXPECT with the assembler's length both times.  Prints one TAP line per
 * instruction ("ok - ..."/"not ok - ...", no plan); exits 0 if all passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "x86/decode.h"

static uint8_t code[1 << 20];

static void hexdump(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t i, pos = 0;

	out[0] = '\0';
	for (i = 0; i < n && pos + 4 < len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%s%02x",
					i ? " " : "", p[i]);
}

int main(int argc, char **argv)
{
	char line[512], hex[64], desc[160];
	enum x86_cpu_mode mode;
	size_t size;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: decode-lens 16|32|64 FILE.bin < LIST\n");
		return 2;
	}
	mode = (enum x86_cpu_mode)atoi(argv[1]);
	f = fopen(argv[2], "rb");
	if (!f) {
		perror(argv[2]);
		return 2;
	}
	size = fread(code, 1, sizeof(code), f);
	fclose(f);

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long start, end;
		char expect[32];
		int text_at = 0, ok, r1, r2;
		struct x86_insn a, b;
		const char *text;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%lu %lu %31s %n", &start, &end, expect,
			   &text_at) < 3 || end <= start || end > size) {
			tap_ok(0, "%s-bit: malformed line '%s'", argv[1], line);
			continue;
		}
		text = line + text_at;
		r1 = x86_decode(code + start, size - start, mode, &a);
		r2 = x86_decode(code + start, end - start, mode, &b);
		if (!strcmp(expect, "EOPNOTSUPP"))
			ok = r1 == -EOPNOTSUPP && r2 == -EOPNOTSUPP;
		else
			ok = r1 == 0 && r2 == 0 && a.len == end - start &&
			     !memcmp(&a, &b, sizeof(a)) &&
			     !strcmp(x86_op_name(a.op), expect);
		tap_ok(ok, "%s-bit: %s: %s (%lu bytes)", argv[1], text, expect,
		       end - start);
		if (!ok) {
			hexdump(code + start, end - start, hex, sizeof(hex));
			x86_insn_describe(&a, desc, sizeof(desc));
			tap_diag("  bytes %s: returned %d/%d, %s", hex, r1, r2, desc);
		}
	}
	return tap_done();
}
