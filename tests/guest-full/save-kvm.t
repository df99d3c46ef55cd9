#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: suspend and resume through KVM in the SVM arena
# (tests/monitor/save-guest.sh kvm): the ticking guest saved and restored
# through the arena's kvm_amd (its kvmclock kept: the guest's date is the
# host's), then saved through one backend and restored through the other,
# both ways.  kvm_amd runs nested under QEMU's TCG here: slow, and once a
# restored KVM guest froze a CI arena whole, so make check runs the
# vmain.ko part (tests/monitor/save.t) and the backends' state transfer
# (tests/monitor/hv-state.t: vmain->KVM and KVM->vmain field by field).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "save and restore through KVM, and across backends" \
	-t 900 -m 2048 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/tests/monitor/save-guest.sh" -f /usr/bin/timeout -f /usr/bin/script \
	-f "$TOP/build/tests/monitor/display-check" -f "$TOP/build/examples/display-viewer" -- \
	"$TOP/tests/monitor/save-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest" \
	"$TOP/build/tests/monitor/display-check" "$TOP/build/examples/display-viewer" kvm

arena_tap_end
