#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A VM's life through `vmain create/start/pause/resume/console/stop/kill`
# and the D-Bus control API, inside the SVM arena, through vmain.ko
# (tests/monitor/lifecycle-guest.sh says what is checked).  The same
# through KVM, nested under QEMU's TCG here and slow (about 2 minutes),
# is in make check-full: tests/guest-full/lifecycle-kvm.t.
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "the VM lifecycle and the control API, through vmain.ko" \
	-t 900 -m 2048 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/build/tests/monitor/vmctl-test" -f "$TOP/tests/monitor/lifecycle-guest.sh" \
	-f /usr/bin/gdbus -f /usr/bin/setpriv -f /usr/bin/timeout -- \
	"$TOP/tests/monitor/lifecycle-guest.sh" "$TOP/build/monitor/vmain" \
	"$TOP/build/tests/monitor/vmctl-test" "$TOP/build/guest" vmain

arena_tap_end
