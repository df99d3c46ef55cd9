#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mitigations.sh KMOD_BIN GUEST_BIN - inside an arena: reloads vmain.ko with
# every force_* parameter, runs guests on one CPU with two vCPUs of two VMs
# taking turns (control/concurrent) and the exit tests, and checks in
# /sys/class/misc/vm-main/mitigations that each mitigation the CPU can do
# ran (its count went up) and that the guests behaved; SPEC_CTRL
# switching is on exactly where the CPU has SPEC_CTRL.  POSIX sh (busybox).
guest=$2
fail=0
ok() { echo "ok - mitigations: $*"; }
nok() { echo "not ok - mitigations: $*"; fail=1; }
f=/sys/class/misc/vm-main/mitigations

rmmod vmain 2>/dev/null
if insmod /arena/vmain.ko force_rsb_fill=1 force_ibpb=1 force_verw=1 force_l1d_flush=1 force_rsb_fill_lite=1; then
	ok "vmain.ko loads with force_rsb_fill, force_ibpb, force_verw, force_l1d_flush, force_rsb_fill_lite"
else
	nok "vmain.ko loads with every force_* parameter"; exit 1
fi
sed 's/^/# before: /' $f
# The last CPU: off CPU 0 in the AMD-V arena (docs/testing.md).
cpu=$(($(grep -c ^processor /proc/cpuinfo) - 1))
taskset -c $cpu "$guest/control" -n 300 control/concurrent >/tmp/m.out 2>&1 &&
	ok "2 VMs x 2 vCPUs on one CPU run under every forced mitigation" ||
	{ nok "control/concurrent under forced mitigations"; cat /tmp/m.out; }
"$guest/exits" long64/io long64/mmio >/tmp/m.out 2>&1 &&
	ok "the exit tests pass under every forced mitigation" ||
	{ nok "exits under forced mitigations"; cat /tmp/m.out; }
sed 's/^/# after: /' $f
count() { awk -v n="$1" '$1 == n { print $3 }' $f; }
mode() { awk -v n="$1" '$1 == n { print $2 }' $f; }
for m in rsb_fill verw ibpb l1d_flush rsb_fill_lite; do
	case "$(mode $m)" in
	kernel|forced)
		[ "$(count $m)" -gt 0 ] && ok "$m ($(mode $m)) ran $(count $m) times" ||
			nok "$m ($(mode $m)) never ran" ;;
	unsupported)
		ok "$m is reported unsupported by this CPU (forced, count $(count $m))" ;;
	off)
		# Only l1d_flush and rsb_fill_lite may be off: they are VT-x's.
		case $m in l1d_flush|rsb_fill_lite) ;; *) false ;; esac &&
			grep -q "^$m off .*VT-x only" $f &&
			ok "$m is off on AMD-V (VT-x only)" || nok "$m is off although forced" ;;
	*) nok "$m: no line in $f" ;;
	esac
done
# SPEC_CTRL switching is on wherever the CPU has the MSR (no force_*: a
# CPU without it has nothing to switch); it counts entries that switched.
if grep -qw -e ibrs -e ssbd -e stibp -e amd_ssbd -e amd_stibp /proc/cpuinfo; then
	[ "$(mode spec_ctrl)" = kernel ] && ok "spec_ctrl switching is on (the CPU has SPEC_CTRL)" ||
		nok "spec_ctrl: mode $(mode spec_ctrl) on a CPU with SPEC_CTRL"
else
	[ "$(mode spec_ctrl)" = off ] && [ "$(count spec_ctrl)" = 0 ] &&
		ok "spec_ctrl is off and never ran: this CPU has no SPEC_CTRL" ||
		nok "spec_ctrl: mode $(mode spec_ctrl), count $(count spec_ctrl) on a CPU without SPEC_CTRL"
fi
# VMSCAPE: IBPB before the next return to user space, exactly where the
# kernel applies it (its vulnerabilities/vmscape says so).
v=/sys/devices/system/cpu/vulnerabilities/vmscape
if grep -q "IBPB before exit to userspace" $v 2>/dev/null; then
	[ "$(mode ibpb_exit_to_user)" = kernel ] && [ "$(count ibpb_exit_to_user)" -gt 0 ] &&
		ok "ibpb_exit_to_user (kernel) ran $(count ibpb_exit_to_user) times" ||
		nok "ibpb_exit_to_user: mode $(mode ibpb_exit_to_user), count $(count ibpb_exit_to_user) although the kernel applies it"
else
	[ "$(mode ibpb_exit_to_user)" = off ] && [ "$(count ibpb_exit_to_user)" = 0 ] &&
		ok "ibpb_exit_to_user is off, as the kernel's vmscape: $(cat $v 2>/dev/null || echo no such file)" ||
		nok "ibpb_exit_to_user: mode $(mode ibpb_exit_to_user) although the kernel does not apply it"
fi
exit $fail
