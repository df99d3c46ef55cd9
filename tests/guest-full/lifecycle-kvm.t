#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: a VM's life through the CLI and the D-Bus control API
# through KVM in the SVM arena (tests/monitor/lifecycle-guest.sh kvm), the
# same checks tests/monitor/lifecycle.t makes through vmain.ko in make
# check.  kvm_amd runs nested under QEMU's TCG here: about 2 minutes of
# arena time, moved out of make check for its 45-minute budget.
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "the VM lifecycle and the control API, through KVM" \
	-t 900 -m 2048 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/build/tests/monitor/vmctl-test" -f "$TOP/tests/monitor/lifecycle-guest.sh" \
	-f /usr/bin/gdbus -f /usr/bin/setpriv -f /usr/bin/timeout -- \
	"$TOP/tests/monitor/lifecycle-guest.sh" "$TOP/build/monitor/vmain" \
	"$TOP/build/tests/monitor/vmctl-test" "$TOP/build/guest" kvm

arena_tap_end
