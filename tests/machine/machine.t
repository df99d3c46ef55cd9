#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The machine's plain-C policy pieces on the host: the CPUID table a vCPU
# sees (monitor/machine/cpuid.c) and size parsing (monitor/size.c).  The
# programs are built by make (with ASan/UBSan in build-asan/ when
# that exists, as in make check); this relays their TAP, renumbered.
. "$(dirname "$0")/../lib/tap-relay.sh"

for src in "$top"/tests/machine/*-test.c; do
	t=$(basename "$src" .c)
	p=$(prog machine $t)
	if [ -n "$p" ]; then
		"$p" >"$tmp/$t" 2>&1; rc=$?
		relay $t "$tmp/$t"
		[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - $t exited $rc"; }
	else
		n=$((n + 1)); echo "not ok $n - build/tests/machine/$t is not built (run make)"
	fi
done
echo "1..$n"
