#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hwstate.sh BIN - (in the SVM arena, with the msr module) AMD-V is on
# (EFER.SVME) on every online CPU exactly while a VM exists, follows CPUs
# going offline and online, and is off again after the last VM.  TAP.
bin=$1
failed=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failed=1; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }
# EFER (C000_0080h) bit 12 of a CPU, through /dev/cpu/N/msr.
svme() {
	v=$(dd if=/dev/cpu/$1/msr bs=8 count=1 skip=$((0xC0000080 / 8)) 2>/dev/null | od -An -tx8 | tr -d ' ')
	[ -n "$v" ] || { echo x; return; }
	echo $(( (0x$v >> 12) & 1 ))
}
# every() V: EFER.SVME is V on every online CPU (the arena has 2 or more).
every() {
	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		n=${c##*cpu}
		[ -e "$c/online" ] && [ "$(cat "$c/online")" = 0 ] && continue
		[ "$(svme "$n")" = "$1" ] || return 1
	done
}
cpu1() { echo "$1" > /sys/devices/system/cpu/cpu1/online; }
start_holder() {
	mkfifo /tmp/hw.fifo.$1
	"$bin/hold-vm" --spin "$1" >/tmp/hw.fifo.$1 &
	holder=$!
	read -r line </tmp/hw.fifo.$1
	[ "$line" = ready ]
}
stop_holder() { kill -9 $holder; wait $holder 2>/dev/null; }

check "EFER.SVME is readable on CPUs 0 and 1 (msr module)" sh -c "[ \"$(svme 0)\" != x ] && [ \"$(svme 1)\" != x ]"
check "no VM: AMD-V is off on every CPU" every 0
check "a vCPU spins in guest mode" start_holder 1
check "while the VM exists: AMD-V is on on every CPU" every 1
check "CPU 1 goes offline while a vCPU runs" cpu1 0
check "the guest keeps running on another CPU (the holder is alive)" kill -0 $holder
check "CPU 1 comes back online" cpu1 1
check "CPU 1 came back with AMD-V on (hot-plug callback)" sh -c "[ \"$(svme 1)\" = 1 ]"
stop_holder
check "after the last VM (kill -9): AMD-V is off on every CPU" every 0
check "a second VM" start_holder 2
cpu1 0
stop_holder
cpu1 1
check "CPU 1 offline while the last VM went away comes back with AMD-V off" every 0
exit $failed
