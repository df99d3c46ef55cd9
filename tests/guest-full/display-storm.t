#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: the screen's storm (issue 12, the DevTap failure) in the
# SVM arena: with the default guest redrawing twice a second, private mode
# taken and released 200 times while a viewer watches (it ends with the
# right pixels), two viewers asking for 500 sizes a second each for 30 s
# (the guest keeps drawing, the monitor's RSS within 32 MiB), and SIGTERM
# during a storm powering the guest off (tests/monitor/display-guest.sh
# storm).  make check runs the rest of the display test
# (tests/monitor/display.t) and private mode 1,000 times on the host
# (tests/vm/dbus-display-test).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "vmain run --display: the storm" \
	-t 900 -m 2048 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/build/tests/monitor/display-check" -f "$TOP/build/tests/monitor/vnc-snap" \
	-f "$TOP/build/examples/display-viewer" -f "$TOP/build/tests/monitor/display-storm" \
	-f "$TOP/tests/monitor/display-guest.sh" -- \
	"$TOP/tests/monitor/display-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest" \
	"$TOP/build/tests/monitor/display-check" "$TOP/build/tests/monitor/vnc-snap" \
	"$TOP/build/examples/display-viewer" "$TOP/build/tests/monitor/display-storm" storm

arena_tap_end
