#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Suspend and resume (`vmain save`, `vmain start` restoring state.sav)
# inside the SVM arena, through vmain.ko (tests/monitor/save-guest.sh
# says what is checked).  The KVM cycle and the cross-backend restores
# are in make check-full (tests/guest-full/save-kvm.t).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "save and restore of a running VM through vmain.ko" \
	-t 900 -m 2048 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/tests/monitor/save-guest.sh" -f /usr/bin/timeout -f /usr/bin/script \
	-f "$TOP/build/tests/monitor/display-check" -f "$TOP/build/examples/display-viewer" -- \
	"$TOP/tests/monitor/save-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest" \
	"$TOP/build/tests/monitor/display-check" "$TOP/build/examples/display-viewer"

arena_tap_end
