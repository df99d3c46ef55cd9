#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /dev/vm-main in the VT-x arena (Bochs): the errno table, claims, fuzzing
# and module cycles; the whole engine-neutral guest suite on one CPU; its
# SMP cases on two CPUs (VMX_FULL=1, make check-vmx-full: the whole suite
# on two CPUs); KVM (kvm_intel) owning VT-x; CPU hot-unplug with a vCPU in
# guest mode; reboot and panic with a vCPU in guest mode.  The CPU models
# without VMX, without EPT and without unrestricted guest are in make
# check-full (tests/guest-full/vmx-models.t).
. "$(dirname "$0")/../lib/arena-tap.sh"

arena_tap arena-vmx "VMX arena: errno table, claims, ioctl fuzz, module cycles" \
	-t 600 -f "$KBIN" -f "$TOP/tests/kmod" -- \
	"$TOP/tests/kmod/run-in-guest.sh" "$KBIN/errno" "$KBIN/claims" \
	"$KBIN/fuzz-ioctl ${VMX_FUZZ_CALLS:-200000}" "$TOP/tests/kmod/modcycle.sh $KBIN"

arena_tap arena-vmx "VMX arena: the whole guest suite (real, 32-bit, 64-bit guests; every exit kind; events; memory; 2 VMs x 2 vCPUs)" \
	-t 600 -M msr -f "$KBIN/guest" -f "$TOP/tests/kmod/guest" -- "$TOP/tests/kmod/guest/run-all.sh"

# The kernel turns THP off with 512 MiB of RAM or less: 768 MiB, so that
# guest RAM on THP gets 2 MiB EPT leaves.
arena_tap arena-vmx "VMX arena, 768 MiB: THP-backed guest RAM in 2 MiB EPT leaves; MADV_DONTNEED and dirty logging on them" \
	-t 300 -m 768 -f "$KBIN/guest" -f "$TOP/tests/kmod/guest" -- \
	"$TOP/tests/kmod/guest/run-all.sh" "memory huge-thp"

# Two CPUs: vCPU threads move between CPUs (VMCLEAR by IPI, VMPTRLD where
# they land), signals and kicks reach a vCPU in guest mode on the other
# CPU, and MMU-notifier flushes kick vCPUs there.  Bochs runs two CPUs at
# a third of the speed, so CI runs the cases that exercise that;
# make check-vmx-full runs the whole suite.
if [ "${VMX_FULL:-0}" = 1 ]; then
	arena_tap arena-vmx "VMX arena, 2 CPUs: the whole guest suite" \
		-t 1200 -s 2 -M msr -f "$KBIN/guest" -f "$TOP/tests/kmod/guest" -- \
		"$TOP/tests/kmod/guest/run-all.sh"
else
	arena_tap arena-vmx "VMX arena, 2 CPUs: signals, kicks, 2 VMs x 2 vCPUs, munmap/remap and dirty log under running guests, interrupts, NMIs" \
		-t 600 -s 2 -f "$KBIN/guest" -f "$TOP/tests/kmod/guest" -- \
		"$TOP/tests/kmod/guest/run-all.sh" "control -n 1000" \
		"memory memory/munmap memory/remap memory/dirty-log" \
		"events long64/interrupt long64/nmi long64/irq-window"
fi

# make check-vmx-full also boots vmain's default guest (Debian's kernel,
# scripts/guest-image) with the monitor through the VT-x engine: init's
# report lines, then an ACPI power-off (about 3.5 minutes under Bochs).
if [ "${VMX_FULL:-0}" = 1 ]; then
	gdir=$(mktemp -d "${TMPDIR:-/tmp}/vmx-guest.XXXXXX")
	if "$TOP/scripts/guest-image" -o "$gdir" >"$gdir/build.log" 2>&1; then
		arena_tap arena-vmx "VMX arena: a Linux guest boots through the VT-x engine and powers off" \
			-t 900 -m 1024 -f "$TOP/build/monitor/vmain" -f "$gdir" -- sh -c "
			$TOP/build/monitor/vmain run --accel=vmain -k $gdir/vmlinuz -i $gdir/initrd.img \
				-a 'console=ttyS0 panic=-1 vmain.test=poweroff' -m 128M -s /tmp/serial.txt
			rc=\$?; grep VMAIN-GUEST /tmp/serial.txt
			[ \$rc = 0 ] && echo 'ok - vmain run exits 0 (the guest powered off)' || echo 'not ok - vmain run: status '\$rc
			grep -q 'VMAIN-GUEST: poweroff' /tmp/serial.txt && echo 'ok - the guest reached init and powered off' ||
				{ echo 'not ok - the guest did not report its power-off'; tail -30 /tmp/serial.txt; }"
	else
		tap_count=$((tap_count + 1))
		echo "not ok - scripts/guest-image failed"
		sed 's/^/# /' "$gdir/build.log" | tail -20
	fi
	rm -rf "$gdir"
fi

arena_tap arena-vmx "VMX arena: every force_* mitigation parameter: guests run, each mitigation's count goes up" \
	-t 600 -f "$KBIN" -f "$TOP/tests/kmod" -- "$TOP/tests/kmod/mitigations.sh" "$KBIN" "$KBIN/guest"

# Other Bochs CPU models (no VMX, no EPT, no unrestricted guest): make
# check-full, tests/guest-full/vmx-models.t.

arena_tap arena-vmx "KVM (kvm_intel) owns VT-x: CREATE_VM is EBUSY, and works once KVM's VM is gone" \
	-t 300 -M kvm_intel -f "$KBIN" -- "$KBIN/errno" --expect-owned

# CPU 1 goes offline while a vCPU spins in guest mode (the hot-plug
# callback VMCLEARs the VMCSs active there and does VMXOFF), comes back
# (VMXON), and a second VM runs on both CPUs afterwards.  CR4.VMXE cannot
# be read from userspace; that VT-x is on exactly while a VM exists is
# shown by the KVM boot above (KVM is refused while vmain has a VM).
arena_tap arena-vmx "VMX arena, 2 CPUs: CPU 1 offline and back while a vCPU runs" \
	-t 300 -s 2 -f "$KBIN" -- sh -c '
		ok() { echo "ok - $*"; } ; nok() { echo "not ok - $*"; fail=1; } ; fail=0
		spin() { mkfifo /tmp/hp.$1; '"$KBIN"'/hold-vm --spin $1 >/tmp/hp.$1 & pid=$!; read -r l </tmp/hp.$1; [ "$l" = ready ]; }
		spin 1 && ok "a vCPU spins in guest mode" || nok "a vCPU spins in guest mode"
		echo 0 >/sys/devices/system/cpu/cpu1/online && ok "CPU 1 goes offline" || nok "CPU 1 goes offline"
		sleep 1; kill -0 $pid && ok "the guest keeps running on CPU 0" || nok "the guest keeps running on CPU 0"
		echo 1 >/sys/devices/system/cpu/cpu1/online && ok "CPU 1 comes back online" || nok "CPU 1 comes back online"
		sleep 1; kill -0 $pid && ok "the guest runs on after CPU 1 is back" || nok "the guest runs on after CPU 1 is back"
		kill -9 $pid; wait $pid 2>/dev/null
		spin 2 && ok "a second VM runs" || nok "a second VM runs"
		taskset -p 2 $pid >/dev/null 2>&1; sleep 1
		kill -0 $pid && ok "its vCPU runs on after a move to CPU 1" || nok "its vCPU runs on after a move to CPU 1"
		kill -9 $pid; wait $pid 2>/dev/null
		exit $fail'

# Reboot and panic while a vCPU spins in guest mode on CPU 1: the reboot
# notifier (VMXOFF on every CPU after VMCLEARing the active VMCSs) or the
# panic path, then a restart without a second fault or a hang.  There is
# no result line: the console is the evidence.
arena_reboot_and_panic arena-vmx -t 300 -s 2

arena_tap_end
