#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The monitor's backends save and restore a vCPU (hv get_state/set_state):
# vmain.ko -> vmain.ko, KVM -> KVM, vmain.ko -> KVM and KVM -> vmain.ko,
# in the SVM arena with Debian's kvm_amd (tests/monitor/hv-state-test.c).
. "$(dirname "$0")/../lib/arena-tap.sh"

arena_tap arena-svm "vCPU state moved between fresh vCPUs on both backends and across them; the guest runs on" \
	-t 300 -M kvm_amd -W 200 -f "$TOP/build/tests/monitor/hv-state-test" -- \
	"$TOP/build/tests/monitor/hv-state-test"

arena_tap_end
