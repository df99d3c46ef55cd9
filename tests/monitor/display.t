#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The screen (issue 12): inside the SVM arena, the default guest with
# `vmain run --display --vnc` draws a known pattern on its virtio-gpu
# framebuffer; `vmain screenshot`, the example viewer (by fd and inline)
# and a VNC client all see it pixel for pixel; keys typed through the API
# and through VNC reach the guest; a size request changes the guest's
# mode; the VM stops with a frozen viewer attached; a VM without a display
# has no display devices (tests/monitor/display-guest.sh says more; its
# storm runs in make check-full: tests/guest-full/display-storm.t).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "vmain run --display: screenshots, the example viewer, VNC, keys, the pointer mode, a size request" \
	-t 900 -m 2048 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/build/tests/monitor/display-check" -f "$TOP/build/tests/monitor/vnc-snap" \
	-f "$TOP/build/examples/display-viewer" -f "$TOP/build/tests/monitor/display-storm" \
	-f "$TOP/tests/monitor/display-guest.sh" -f /usr/bin/gdbus -- \
	"$TOP/tests/monitor/display-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest" \
	"$TOP/build/tests/monitor/display-check" "$TOP/build/tests/monitor/vnc-snap" \
	"$TOP/build/examples/display-viewer" "$TOP/build/tests/monitor/display-storm"

arena_tap_end
