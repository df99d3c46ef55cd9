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

arena_tap arena-svm "SVM arena: guest execution (real, 32-bit, 64-bit guests; every exit kind; events; memory; 2 VMs x 2 vCPUs)" \
	-t 600 -M msr -f "$KBIN/guest" -f "$TOP/tests/kmod/guest" -- "$TOP/tests/kmod/guest/run-all.sh"

# 4 GiB (q35 puts 2 above 4 GiB, where the kernel finds an aligned GiB
# free), one a 1 GiB hugetlbfs page reserved at boot for huge-1g.
arena_tap arena-svm "SVM arena: a guest touching 1 GiB of THP-backed RAM: 2 MiB nested leaves; 4 KiB with MADV_NOHUGEPAGE; MADV_DONTNEED and dirty logging on a huge mapping; one 1 GiB hugetlbfs page: one 1 GiB leaf" \
	-t 400 -m 4096 -a "hugepagesz=1G hugepages=1" -f "$KBIN/guest" -f "$TOP/tests/kmod/guest" -- \
	"$TOP/tests/kmod/guest/run-all.sh" "memory -n 1024 -T 300 huge"

arena_tap arena-svm "SVM arena: every force_* mitigation parameter: guests run, each mitigation's count goes up" \
	-t 300 -f "$KBIN" -f "$TOP/tests/kmod" -- "$TOP/tests/kmod/mitigations.sh" "$KBIN" "$KBIN/guest"

arena_tap arena-svm "CPU without SVM: CREATE_VM is ENODEV" \
	-t 120 -c max,-la57,-svm -f "$KBIN" -- "$KBIN/errno" --expect-nohw

arena_tap arena-svm "SVM without nested paging: CREATE_VM is ENODEV" \
	-t 120 -c max,-la57,-npt -f "$KBIN" -- "$KBIN/errno" --expect-nohw

arena_tap arena-svm "KVM (kvm_amd) owns AMD-V: CREATE_VM is EBUSY; the monitor's vmain and KVM backends" \
	-t 180 -M kvm_amd -f "$KBIN" -f "$TOP/build/tests/monitor/hv-test" -f "$TOP/tests/kmod" -- \
	"$TOP/tests/kmod/run-in-guest.sh" "$KBIN/errno --expect-owned" "$TOP/build/tests/monitor/hv-test"

arena_tap arena-svm "AMD-V on only while a VM exists, across CPU hot-unplug (EFER.SVME via msr)" \
	-t 120 -M msr -f "$KBIN" -f "$TOP/tests/kmod" -- "$TOP/tests/kmod/hwstate.sh" "$KBIN"

# Reboot and panic with a vCPU in guest mode: the reboot notifier (or the
# panic notifier) turns AMD-V off, the other CPU is stopped out of guest
# mode, and the machine restarts without a second fault or a hang.  The
# guest restarts, so there is no result line: the console is the
# evidence.  loglevel=5 shows warnings and worse; a chattier console falls
# so far behind under TCG that the reset can overtake its backlog.
arena_reboot_and_panic arena-svm -t 120

arena_tap_end
