#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The x86 instruction decoder (common/x86/), on the host:
#   - decode-test: the table-driven unit test (every kind in 16/32/64-bit
#     modes, guard-page truncation checks, effective addresses);
#   - fuzz-decode: $FUZZ_DECODE_ITERS (default 1000000) random inputs with a
#     fixed seed through the standalone fuzzer's invariant checks;
#   - cross-check.sh: instruction lengths against GNU as.
# The two programs are built by make (with ASan/UBSan in build-asan/ when
# that exists, as in make check).
. "$(dirname "$0")/../lib/tap-relay.sh"

p=$(prog decode decode-test)
if [ -n "$p" ]; then
	"$p" >"$tmp/unit" 2>&1; rc=$?
	relay decode-test "$tmp/unit"
	[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - decode-test exited $rc"; }
else
	n=$((n + 1)); echo "not ok $n - build/tests/decode/decode-test is not built (run make)"
fi

p=$(prog decode fuzz-decode)
if [ -n "$p" ]; then
	"$p" -n "${FUZZ_DECODE_ITERS:-1000000}" -s 1 >"$tmp/fuzz" 2>&1; rc=$?
	relay fuzz-decode "$tmp/fuzz"
	[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - fuzz-decode exited $rc"; }
else
	n=$((n + 1)); echo "not ok $n - build/tests/decode/fuzz-decode is not built (run make)"
fi

sh "$top/tests/decode/cross-check.sh" >"$tmp/cross" 2>&1; rc=$?
relay cross-check "$tmp/cross"
grep -q '^not ok' "$tmp/cross" || [ $rc = 0 ] ||
	{ n=$((n + 1)); echo "not ok $n - cross-check.sh exited $rc"; }
echo "1..$n"
