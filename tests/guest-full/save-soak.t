#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: suspend and resume soak through vmain.ko in the SVM
# arena (tests/monitor/save-guest.sh soak): twenty save/restore cycles of
# a guest writing to ext4 on its disk, twenty saves cut short by kill -9,
# then e2fsck and the guest's own file checked on the host.  About ten
# minutes under TCG, which is why make check runs the three cycles of
# tests/monitor/save.t instead.
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "save and restore soak through vmain.ko" \
	-t 1800 -m 2048 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/tests/monitor/save-guest.sh" -f /usr/bin/timeout -f /usr/bin/script \
	-f /usr/sbin/e2fsck -f /usr/sbin/debugfs \
	-f "$TOP/build/tests/monitor/display-check" -f "$TOP/build/examples/display-viewer" -- \
	"$TOP/tests/monitor/save-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest" \
	"$TOP/build/tests/monitor/display-check" "$TOP/build/examples/display-viewer" soak

arena_tap_end
