#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The /dev/vm-main suite in the AMD-V arena (QEMU TCG): errno table, claims,
# fuzzing, module cycles; then the no-hardware and owned-hardware paths.
. "$(dirname "$0")/../lib/arena-tap.sh"

arena_tap arena-svm "SVM arena: errno table, claims, 1M-call fuzz, module cycles, vmain info" \
	-t 600 -f "$KBIN" -f "$TOP/tests/kmod" -f "$TOP/build/monitor/vmain" -- \
	"$TOP/tests/kmod/run-in-guest.sh" "$KBIN/errno" "$KBIN/claims" \
	"$KBIN/fuzz-ioctl ${FUZZ_CALLS:-1000000}" "$TOP/tests/kmod/modcycle.sh $KBIN" \
	"$TOP/tests/kmod/info.sh $TOP/build/monitor/vmain"

arena_tap arena-svm "CPU without SVM: CREATE_VM is ENODEV" \
	-c max,-la57,-svm -f "$KBIN" -- "$KBIN/errno" --expect-nohw

arena_tap arena-svm "SVM without nested paging: CREATE_VM is ENODEV" \
	-c max,-la57,-npt -f "$KBIN" -- "$KBIN/errno" --expect-nohw

arena_tap arena-svm "KVM (kvm_amd) owns AMD-V: CREATE_VM is EBUSY" \
	-M kvm_amd -f "$KBIN" -- "$KBIN/errno" --expect-owned

arena_tap_end
