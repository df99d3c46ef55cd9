#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A bounded, seeded fuzz pass over the qcow2 parser and request path
# (tests/disk/fuzz-qcow2.c built standalone, ASan/UBSan): mutated qemu-img
# images are opened, read and written; none may crash, leak or hang.
# make fuzz-qcow2 runs libFuzzer on it for longer.
. "$(dirname "$0")/../lib/tap-relay.sh"

p=$(prog disk fuzz-qcow2)
if [ -z "$p" ]; then
	echo "not ok 1 - tests/disk/fuzz-qcow2 is not built"
	echo "1..1"
	exit 0
fi
"$p" -n "${FUZZ_QCOW2_ITERS:-1000}" -s 1 >"$tmp/fz" 2>&1; rc=$?
relay fuzz-qcow2 "$tmp/fz"
[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - fuzz-qcow2 exited $rc"; sed 's/^/# /' "$tmp/fz" | tail -n 30; }
echo "1..$n"
