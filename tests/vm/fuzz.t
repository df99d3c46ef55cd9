#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A bounded, seeded fuzz pass over org.vmain.Display1 (vm/dbus-display.c;
# tests/vm/fuzz-dbus-display.c built standalone, ASan/UBSan in build-asan/):
# random calls and raw messages from one or two viewers over real GDBus
# peer connections, the guest drawing meanwhile; after each input the VM
# must still answer, serve a listener, and leak nothing.
# make fuzz-dbus-display runs libFuzzer on it for longer.
. "$(dirname "$0")/../lib/tap-relay.sh"

p=$(prog vm fuzz-dbus-display)
if [ -z "$p" ]; then
	echo "not ok 1 - tests/vm/fuzz-dbus-display is not built"
	echo "1..1"
	exit 0
fi
"$p" -n "${FUZZ_DBUS_DISPLAY_INPUTS:-300}" -s 1 >"$tmp/fz" 2>&1; rc=$?
relay fuzz-dbus-display "$tmp/fz"
[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - fuzz-dbus-display exited $rc"; sed 's/^/# /' "$tmp/fz" | tail -n 30; }
echo "1..$n"
