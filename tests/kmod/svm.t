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
	-t 600 -f "$KBIN/guest" -f "$TOP/tests/kmod/guest" -- "$TOP/tests/kmod/guest/run-all.sh"

arena_tap arena-svm "CPU without SVM: CREATE_VM is ENODEV" \
	-t 120 -c max,-la57,-svm -f "$KBIN" -- "$KBIN/errno" --expect-nohw

arena_tap arena-svm "SVM without nested paging: CREATE_VM is ENODEV" \
	-t 120 -c max,-la57,-npt -f "$KBIN" -- "$KBIN/errno" --expect-nohw

arena_tap arena-svm "KVM (kvm_amd) owns AMD-V: CREATE_VM is EBUSY; the monitor's vmain and KVM backends" \
	-t 180 -M kvm_amd -f "$KBIN" -f "$TOP/build/tests/monitor/hv-test" -f "$TOP/tests/kmod" -- \
	"$TOP/tests/kmod/run-in-guest.sh" "$KBIN/errno --expect-owned" "$TOP/build/tests/monitor/hv-test"

arena_tap arena-svm "AMD-V on only while a VM exists, across CPU hot-unplug (EFER.SVME via msr)" \
	-t 120 -M msr -f "$KBIN" -f "$TOP/tests/kmod" -- "$TOP/tests/kmod/hwstate.sh" "$KBIN"

# Reboot with a vCPU in guest mode: the reboot notifier turns AMD-V off on
# every CPU, the vCPU's RUN fails with EIO, and nothing faults on the way
# down.  The guest reboots, so there is no result line: the console is the
# evidence.  loglevel=5 shows warnings and worse; a chattier console falls
# so far behind under TCG that the reset can overtake its backlog.
# Reboot and panic with a vCPU in guest mode: the reboot notifier (or the
# panic notifier) turns AMD-V off, the other CPU is stopped out of guest
# mode, and the machine restarts without a second fault or a hang.  The
# guest restarts, so there is no result line: the console is the
# evidence.  loglevel=5 shows warnings and worse; a chattier console falls
# so far behind under TCG that the reset can overtake its backlog.
spin_then() { # spin_then SEED ACTION: a spinning vCPU, then ACTION
	"$TOP/scripts/arena-svm" -q -v -t 120 -a loglevel=5 -f "$KBIN" -- sh -c \
		"mkfifo /tmp/f; $KBIN/hold-vm --spin $1 >/tmp/f & read l </tmp/f; echo spinning: \$l; sleep 2; $2" \
		>"$tap_log" 2>"$tap_log.err"
}
spin_then_checked() { # DESCRIPTION SEED ACTION CHECK...: one TAP line
	desc=$1 seed=$2 action=$3
	shift 3
	echo "# $desc"
	spin_then "$seed" "$action"
	rc=$?
	if arena_died_before_init $rc; then
		echo "# the emulated boot died or hung before init; booting once more"
		spin_then "$seed" "$action"
		rc=$?
	fi
	tap_count=$((tap_count + 1))
	if [ $rc = 125 ] && grep -q "^spinning: ready" "$tap_log" && "$@" &&
	   ! grep -qE "Oops|BUG:|WARNING:|invalid opcode|general protection|double fault" "$tap_log.err"; then
		echo "ok - $desc"
	else
		echo "not ok - $desc (arena status $rc)"
		sed 's/^/# /' "$tap_log" "$tap_log.err" | tail -n 60
	fi
	rm -f "$tap_log.err"
}
reboot_checks() {
	# The vCPU's RUN fails with EIO; whether its message gets out before
	# the reset is a race, so it is reported, not required.
	grep -q "hold-vm: RUN: Input/output error" "$tap_log" &&
		echo "# the vCPU's RUN failed with EIO before the restart"
	grep -q "reboot: Restarting system" "$tap_log.err"
}
panic_checks() {
	[ "$(grep -c 'Kernel panic - not syncing' "$tap_log.err")" = 1 ]
}
spin_then_checked "reboot -f with a vCPU in guest mode: clean restart, no fault" \
	5 "reboot -f" reboot_checks
spin_then_checked "kernel panic with a vCPU in guest mode: one panic, clean restart, no hang" \
	6 "echo c > /proc/sysrq-trigger" panic_checks

arena_tap_end
