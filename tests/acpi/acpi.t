#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The ACPI tables (monitor/acpi/), on the host: the AML emitter byte for
# byte, and acpi_build()'s tables checked field by field and run through
# ACPICA's iasl (disassembled and recompiled, no error or warning).  The
# programs are built by make (with ASan/UBSan in build-asan/ when that
# exists, as in make check); this relays their TAP, renumbered.
. "$(dirname "$0")/../lib/tap-relay.sh"

for src in "$top"/tests/acpi/*-test.c; do
	t=$(basename "$src" .c)
	p=$(prog acpi $t)
	if [ -n "$p" ]; then
		"$p" >"$tmp/$t" 2>&1; rc=$?
		relay $t "$tmp/$t"
		[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - $t exited $rc"; }
	else
		n=$((n + 1)); echo "not ok $n - build/tests/acpi/$t is not built (run make)"
	fi
done
echo "1..$n"
