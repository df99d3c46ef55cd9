#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/monitor/save.t): a VM whose guest
# counts twice a second (vmain.test=ticker) is saved with `vmain save`
# and restored by `vmain start`, through vmain.ko (one with a display
# too, its screen kept): the process ends with
# state.sav in the bundle; the restored guest's counter goes on from
# where it stopped (no reboot: no second ticker-ready, its uptime goes
# on) and its date is the host's; state.sav is gone once it runs.  The
# same with --restore=eager, and a second save/restore cycle.  A corrupt
# and a truncated state.sav are refused (the VM does not start, the file
# stays); a disk grown or with another first sector since the save is
# refused, and so is another file in its place; --discard-state boots
# afresh.
# PART "kvm" runs, instead, the KVM cycle and the cross-backend restores
# (make check-full: tests/guest-full/save-kvm.t): kvm_amd nested under
# QEMU's TCG is slow, and a restored KVM guest has frozen a CI arena whole
# (docs/testing.md, "KVM in the arena").
# PART "soak" runs twenty cycles and twenty saves cut short by kill -9,
# then checks the guest's ext4 disk (make check-full: save-soak.t).
# Prints TAP lines.  Usage: save-guest.sh VMAIN GUEST-DIR DISPLAY-CHECK VIEWER [PART]
vmain=$1 guest=$2 check_png=$3 viewer=$4 part=${5:-}
w=/tmp/save
rm -rf "$w"; mkdir -p "$w/run" "$w/data"
export XDG_RUNTIME_DIR="$w/run" XDG_DATA_HOME="$w/data"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (want '$2', got '$3')"; fi; }
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
# The Nth field (tick, up, date) of the last / first tick line of FILE.
last() { grep 'VMAIN-GUEST: tick=' "$1" | tail -n 1 | tr -d '\r' | sed -n "s/.*$2=\([0-9.]*\).*/\1/p"; }
first() { grep 'VMAIN-GUEST: tick=' "$1" | head -n 1 | tr -d '\r' | sed -n "s/.*$2=\([0-9.]*\).*/\1/p"; }
state() { "$vmain" status "$1" --json | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p'; }
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
# uptime a <= b (decimals), both given
le() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
# the next tick b follows a (a restore may lose the tick being printed)
goes_on() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt "$1" ] && [ "$2" -le $(($1 + 2)) ]; }
# two epoch seconds within 2 s
near() { [ -n "$1" ] && [ -n "$2" ] && [ $(($2 - $1)) -le 2 ] && [ $(($1 - $2)) -le 2 ]; }

# ticker_vm LABEL NAME DISK-SIZE APPEND [CREATE-OPTIONS...]: creates VM NAME
# through vmain.ko (256 MiB, the console in $w/con, a new raw disk of
# DISK-SIZE, the kernel command line's vmain options APPEND), starts it
# and waits for its ticker; sets vm, bundle and sav.  LABEL prefixes the
# checks.
ticker_vm() {
	label=$1 vm=$2 size=$3 append=$4
	shift 4
	bundle=$XDG_DATA_HOME/vmain/VMs/$vm.vmain
	sav=$bundle/state.sav
	truncate -s "$size" "$w/$vm.img"
	: >"$w/con"
	"$vmain" create "$vm" --memory 256M --accel vmain --kernel "$guest/vmlinuz" \
		--initrd "$guest/initrd.img" --serial "$w/con" --disk "$w/$vm.img,format=raw" \
		--append "console=ttyS0 panic=-1 $append" "$@" >"$w/out" 2>&1
	is "${label}vmain create" 0 $?
	"$vmain" start "$vm" --headless >"$w/out" 2>&1
	is "${label}vmain start --headless" 0 $?
	check "${label}the guest ticks" wait_for "$w/con" "VMAIN-GUEST: ticker-ready" 120
}

# save_cycle LABEL [START-OPTIONS]: save, run $between (if set), then
# restore and check.  With $tty set, vmain save runs on a terminal
# (script(1)'s pty) and must show its progress line; without, it must
# print nothing.
between=
datecheck=1
tty=
startcmd=start
save_cycle() {
	label=$1; shift
	t0=$(ms)
	if [ -n "$tty" ]; then
		script -qec "'$vmain' save '$vm'" /dev/null >"$w/out" 2>&1; rc=$?
	else
		"$vmain" save "$vm" >"$w/out" 2>&1; rc=$?
	fi
	t1=$(ms)
	is "$label: vmain save exits 0" 0 $rc
	[ $rc = 0 ] || sed 's/^/# /' "$w/out"
	if [ -n "$tty" ]; then
		# \r-separated redraws; the last one stays, with the time taken.
		tr '\r' '\n' <"$w/out" | tr -d '\033' | sed 's/\[K//g' | grep saving: >"$w/progress"
		sed 's/^/#   /' "$w/progress"
		check "$label: on a terminal, a progress line (RAM done of 256 MiB, rate, time)" \
			grep -qE '^saving: [0-9]+ MiB of 256 MiB, [0-9]+ MiB/s, [0-9.]+ s$' "$w/progress"
	else
		check "$label: not on a terminal, vmain save prints nothing" [ ! -s "$w/out" ]
	fi
	echo "# $label: save took $((t1 - t0)) ms; state.sav $(du -k "$sav" 2>/dev/null | cut -f1) KiB on disk, $(stat -c %s "$sav" 2>/dev/null) bytes"
	check "$label: state.sav is in the bundle" [ -f "$sav" ]
	is "$label: the VM has stopped" stopped "$(state "$vm")"
	cp "$w/con" "$w/con.before"
	t_saved=$(last "$w/con.before" tick); up_saved=$(last "$w/con.before" up)
	[ -z "$between" ] || eval "$between"
	sleep 2
	t0=$(ms)
	"$vmain" "$startcmd" "$vm" --headless "$@" >"$w/out" 2>&1; rc=$?
	t1=$(ms)
	is "$label: vmain $startcmd $* restores (0)" 0 $rc
	[ $rc = 0 ] || sed 's/^/# /' "$w/out"
	echo "# $label: start took $((t1 - t0)) ms"
	check "$label: the restored guest ticks" wait_for "$w/con" "tick=" 30
	sleep 1.5
	t_next=$(first "$w/con" tick); up_next=$(first "$w/con" up)
	# The date of a tick line read as it comes (a lazily restored guest
	# may stall while its memory loads: a line already there may be old).
	t_last=$(last "$w/con" tick)
	wait_for "$w/con" "tick=$((t_last + 1)) " 30
	gdate=$(last "$w/con" date); hdate=$(date +%s)
	echo "# $label: saved at tick=$t_saved up=$up_saved; restored: first tick=$t_next up=$up_next; guest date $gdate, host $hdate"
	check "$label: the counter goes on from where it stopped ($t_saved -> $t_next)" \
		goes_on "$t_saved" "$t_next"
	check "$label: no reboot (no second ticker-ready)" sh -c "! grep -q ticker-ready '$w/con'"
	check "$label: the guest's uptime goes on ($up_saved -> $up_next)" le "$up_saved" "$up_next"
	# Only kvmclock moves the guest's clock over the time saved (snapshot.h).
	if [ "$datecheck" = 1 ]; then
		check "$label: the guest's date is the host's (guest $gdate, host $hdate)" \
			near "$gdate" "$hdate"
		near "$gdate" "$hdate" ||
			{ tail -n 3 "$w/con.before"; head -n 4 "$w/con"; } | grep tick= | sed 's/^/#   /'
	fi
	check "$label: state.sav is gone once the guest runs" [ ! -e "$sav" ]
	is "$label: status says running" running "$(state "$vm")"
}

if [ -z "$part" ]; then
ticker_vm "" sv-vmain 16M vmain.test=ticker
wait_for "$w/con" "tick=4 " 30

save_cycle "lazy (the default)"
# The restored guest's console takes input, and its virtio-rng answers.
# The detach waits for the answer (up to 20 s): a loaded arena's guest can
# take more than the few seconds a fixed sleep gave it (it failed so once).
(sleep 1; printf 'echo rng-$(head -c 8 /dev/hwrng | od -An -tx1 | tr -d " \\n")-end\r'
 i=0; while [ $i -lt 200 ] && ! grep -aqE 'rng-[0-9a-f]{16}-end' "$w/console" 2>/dev/null; do
	sleep 0.1; i=$((i + 1)); done; printf '\001d') |
	timeout 30 "$vmain" console "$vm" >"$w/console" 2>"$w/console.err"
is "after the restore: vmain console attaches and detaches (0)" 0 $?
check "after the restore: a command typed on the console reads 8 bytes of /dev/hwrng ($(grep -aoE 'rng-[0-9a-f]{16}-end' "$w/console" | head -n 1))" \
	grep -qaE 'rng-[0-9a-f]{16}-end' "$w/console"
tty=1
save_cycle "lazy, second cycle"
tty=
save_cycle "eager" --restore=eager

# vmain restore --file: the state moved out of the bundle and restored
# from there, deleted once the guest runs; with --keep it stays.
startcmd=restore
between='mv "$sav" "$w/moved.sav"'
save_cycle "restore --file" --file "$w/moved.sav"
check "restore --file: the file is deleted once the guest runs" [ ! -e "$w/moved.sav" ]
save_cycle "restore --file --keep" --file "$w/moved.sav" --keep
check "restore --file --keep: the file stays" [ -f "$w/moved.sav" ]
"$vmain" restore "$vm" --file "$w/moved.sav" --headless >"$w/out" 2>&1; rc=$?
is "restore --file of a running VM: status 4" 4 $rc
check "... saying why ($(head -n 1 "$w/out"))" grep -q "already running" "$w/out"
rm -f "$w/moved.sav"
startcmd=start between=

# A corrupt and a truncated state are refused; the VM does not start.
"$vmain" save "$vm" >"$w/out" 2>&1
is "save for the refusals" 0 $?
cp "$sav" "$w/good.sav"
# The disk changed since the save: refused, nothing started, state kept.
truncate -s 32M "$w/sv-vmain.img"
"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
is "the disk grew: start fails (1)" 1 $rc
check "... saying why ($(grep changed "$w/out" | head -n 1))" \
	grep -q "sv-vmain.img changed since the save: the file had 16777216 bytes, it has 33554432 now" "$w/out"
check "... and state.sav stays" [ -f "$sav" ]
truncate -s 16M "$w/sv-vmain.img"
printf 'X' | dd of="$w/sv-vmain.img" bs=1 seek=100 conv=notrunc 2>/dev/null
"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
is "the disk's first sector changed: start fails (1)" 1 $rc
check "... saying why ($(grep changed "$w/out" | head -n 1))" \
	grep -q "sv-vmain.img changed since the save: its first 4096 bytes (the partition table and boot sector) differ" "$w/out"
is "... and the VM is not running" stopped "$(state "$vm")"
dd if=/dev/zero of="$w/sv-vmain.img" bs=1 count=1 seek=100 conv=notrunc 2>/dev/null
# The same bytes under another name (config.ini edited by hand): refused.
cp "$w/sv-vmain.img" "$w/sv-vmain2.img"
sed -i "s|^file=$w/sv-vmain.img\$|file=$w/sv-vmain2.img|" "$bundle/config.ini"
"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
is "another disk file: start fails (1)" 1 $rc
check "... saying why ($(grep "disk 0" "$w/out" | head -n 1))" \
	grep -q "the saved VM's disk 0 was $w/sv-vmain.img, this one's is $w/sv-vmain2.img" "$w/out"
sed -i "s|^file=$w/sv-vmain2.img\$|file=$w/sv-vmain.img|" "$bundle/config.ini"
# Another memory size, another CPU count: refused, nothing started.
"$vmain" edit "$vm" --memory 512M >/dev/null 2>&1
"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
is "another memory size: start fails (1)" 1 $rc
check "... saying why ($(head -n 1 "$w/out"))" grep -q "256 MiB of RAM, this one 512 MiB" "$w/out"
is "... and the VM is not running" stopped "$(state "$vm")"
"$vmain" edit "$vm" --memory 256M --cpus 2 >/dev/null 2>&1
"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
is "another CPU count: start fails (1)" 1 $rc
check "... saying why ($(grep restore "$w/out" | head -n 1))" grep -q "1 CPUs.*this one has 256 MiB, 2," "$w/out"
check "... and state.sav stays" [ -f "$sav" ]
"$vmain" edit "$vm" --cpus 1 >/dev/null 2>&1
printf 'X' | dd of="$sav" bs=1 seek=100 conv=notrunc 2>/dev/null
"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
is "a corrupt state.sav: start fails (1)" 1 $rc
check "... saying why ($(head -n 1 "$w/out"))" grep -q "cannot restore" "$w/out"
is "... and the VM is not running" stopped "$(state "$vm")"
check "... and state.sav stays" [ -f "$sav" ]
cp "$w/good.sav" "$sav"
truncate -s $(($(stat -c %s "$sav") / 2)) "$sav"
"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
is "a truncated state.sav: start fails (1)" 1 $rc
check "... saying why ($(head -n 1 "$w/out"))" grep -q "cannot restore" "$w/out"
"$vmain" start "$vm" --headless --discard-state >"$w/out" 2>&1; rc=$?
is "--discard-state boots afresh" 0 $rc
check "... the guest boots (ticker-ready)" wait_for "$w/con" "VMAIN-GUEST: ticker-ready" 120
check "... and state.sav is gone" [ ! -e "$sav" ]
"$vmain" kill "$vm" >/dev/null 2>&1
"$vmain" save "$vm" >"$w/out" 2>&1; rc=$?
is "vmain save of a stopped VM: status 4" 4 $rc

# A VM with a display is saved with its screen: the guest draws the
# display test's pattern (vmain.test=display) and redraws it twice a
# second, counting; a viewer attached before the save stays through it
# and attaches to the restored VM by itself (examples/display-viewer
# --through-restart), showing the pattern; after the restore the
# screenshot still shows the pattern, the count goes on, and a key typed
# through Display1 (the example viewer) reaches the restored guest's
# virtio keyboard.
vmd=sv-display
"$vmain" create "$vmd" --memory 256M --accel vmain --display --kernel "$guest/vmlinuz" \
	--initrd "$guest/initrd.img" --serial "$w/cond" \
	--append "console=ttyS0 panic=-1 vmain.test=display vmain.display.redraw=1" >"$w/out" 2>&1
"$vmain" start "$vmd" --headless >"$w/out" 2>&1
is "display: start" 0 $?
check "display: the guest draws" wait_for "$w/cond" "display-tick=2[^0-9]" 180
"$vmain" screenshot "$vmd" "$w/before.png" >"$w/out" 2>&1
check "display: the pattern before the save ($("$check_png" "$w/before.png" 1024x768 2>&1 | head -n 1))" \
	"$check_png" "$w/before.png" 1024x768
# A viewer stays attached through the save and the restore: it sees the
# VM's process go, waits for the restored one and attaches to it.
"$viewer" --through-restart 240 --settle 300 --timeout 400 --frames "$XDG_RUNTIME_DIR/vmain/$vmd.sock" \
	"$w/through.png" >"$w/through.out" 2>&1 &
vpid=$!
wait_for "$w/through.out" "^scanout 1024x768" 30
"$vmain" save "$vmd" >"$w/out" 2>&1; rc=$?
is "display: vmain save exits 0, with a viewer attached (it had the screen)" 0 $rc
[ $rc = 0 ] || sed 's/^/# /' "$w/out"
wait_for "$w/through.out" "^detached" 10
check "display: the viewer saw the VM's process go, and waits ($(grep -m1 '^detached' "$w/through.out"))" \
	sh -c "kill -0 $vpid && grep -q '^detached' '$w/through.out'"
t_saved=$(grep '^VMAIN-GUEST: display-tick=' "$w/cond" | tail -n 1 | tr -d '\r' | sed 's/.*=//')
: >"$w/cond"
"$vmain" start "$vmd" --headless >"$w/out" 2>&1; rc=$?
is "display: vmain start restores (0)" 0 $rc
[ $rc = 0 ] || sed 's/^/# /' "$w/out"
check "display: the restored guest draws again" wait_for "$w/cond" "display-tick=" 60
i=0; while kill -0 $vpid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
kill $vpid 2>/dev/null
wait $vpid; rc=$?
grep -v '^\(update\|cursor\)' "$w/through.out" | sed 's/^/#   /'
check "display: the viewer attached to the restored VM by itself and saved its screen" \
	sh -c "[ $rc = 0 ] && grep -q '^attached again' '$w/through.out'"
check "display: what it shows is the pattern ($("$check_png" "$w/through.png" 1024x768 2>&1 | head -n 1))" \
	"$check_png" "$w/through.png" 1024x768
t_next=$(grep '^VMAIN-GUEST: display-tick=' "$w/cond" | head -n 1 | tr -d '\r' | sed 's/.*=//')
check "display: its count goes on ($t_saved -> $t_next)" goes_on "$t_saved" "$t_next"
check "display: no reboot (no second display-drawn)" sh -c "! grep -q display-drawn '$w/cond'"
"$vmain" screenshot "$vmd" "$w/after.png" >"$w/out" 2>&1
check "display: the pattern after the restore ($("$check_png" "$w/after.png" 1024x768 2>&1 | head -n 1))" \
	"$check_png" "$w/after.png" 1024x768
"$viewer" --key 30 --settle 200 --timeout 20 "$XDG_RUNTIME_DIR/vmain/$vmd.sock" "$w/viewer.png" >"$w/out" 2>&1
check "display: a key through Display1 reaches the restored guest (KEY_A)" \
	wait_for "$w/cond" "display-key=30" 30
# An interrupt pending at the save: a key typed while the VM is paused is
# put in the virtio keyboard's used ring and its interrupt raised (the
# local APIC's IRR; no vCPU runs to take it; were no buffer free, the key
# would wait in the device's own ring, which the restore's kick delivers
# with a new interrupt); saved so and restored, the guest takes the
# interrupt and reads the key (only that interrupt makes its virtio_input
# driver look at the ring: no other key comes).
"$vmain" pause "$vmd" >/dev/null 2>&1
is "display: paused" paused "$(state "$vmd")"
"$viewer" --key 25 --settle 200 --timeout 20 "$XDG_RUNTIME_DIR/vmain/$vmd.sock" "$w/viewer.png" >"$w/out" 2>&1
sleep 2
check "display: a key typed while paused does not reach the guest yet (KEY_P)" \
	sh -c "! grep -q 'display-key=25' '$w/cond'"
"$vmain" save "$vmd" >"$w/out" 2>&1; rc=$?
is "display: the paused VM, its key's interrupt pending, saved (0)" 0 $rc
: >"$w/cond"
"$vmain" start "$vmd" --headless >"$w/out" 2>&1; rc=$?
is "display: and restored (0)" 0 $rc
check "display: the restored guest takes the pending interrupt and reads the key (KEY_P)" \
	wait_for "$w/cond" "display-key=25" 30
"$vmain" kill "$vmd" >/dev/null 2>&1

# Saved busy: both vCPUs spinning, a writer with O_DIRECT requests in
# flight on the disk (each round writes 4 MiB, fsyncs, reads it back and
# compares: vmain.busy=1), the timer and the disk's interrupts coming.
# The save drains the disk first; after the restore the rounds go on, and
# none ever read back other data.
ticker_vm "busy: " sv-busy 16M "vmain.test=ticker vmain.busy=1" --cpus 2
check "busy: its disk writer goes round" wait_for "$w/con" "busy-round=2 ok" 60
wait_for "$w/con" "tick=4 " 30
for mode in lazy eager; do
	rounds=$(grep -c 'busy-round=[0-9]* ok' "$w/con")
	echo "# busy, $mode: $rounds rounds before the save"
	if [ $mode = eager ]; then save_cycle "busy, $mode" --restore=eager; else save_cycle "busy, $mode"; fi
	r0=$(grep 'busy-round=' "$w/con.before" | tail -n 1 | tr -d '\r' | sed 's/.*busy-round=\([0-9]*\).*/\1/')
	check "busy, $mode: the writer goes on after the restore (round $r0 before)" \
		wait_for "$w/con" "busy-round=$((r0 + 2)) ok" 60
	check "busy, $mode: no round read back other data" \
		sh -c "! grep -q 'busy-round=[0-9]* bad' '$w/con.before' '$w/con'"
	check "busy, $mode: no I/O error in the guest" \
		sh -c "! grep -qiE 'I/O error|blk_update_request|virtio_blk.*err' '$w/con.before' '$w/con'"
done
"$vmain" kill "$vm" >/dev/null 2>&1

fi

if [ "$part" = kvm ]; then
# The same guest through KVM, which keeps kvmclock in the kernel (saved
# with KVM_GET_CLOCK, restored with KVM_SET_CLOCK plus the time saved):
# the counter goes on and the guest's date is the host's.  Then across
# backends, KVM -> vmain.ko and vmain.ko -> KVM: each restores and the
# counter goes on.  (machine/cpuid.c offers each backend what it supports
# less what no backend keeps; under QEMU's TCG CPU that is the same set
# through both.  A host where they differ refuses, naming the CPUID bits,
# VM not started and state kept: that is a failure here, with the bits.)
vm=sv-cross
bundle=$XDG_DATA_HOME/vmain/VMs/$vm.vmain
sav=$bundle/state.sav
: >"$w/con"
"$vmain" create "$vm" --memory 256M --accel kvm --kernel "$guest/vmlinuz" \
	--initrd "$guest/initrd.img" --serial "$w/con" \
	--append "console=ttyS0 panic=-1 vmain.test=ticker" >"$w/out" 2>&1
"$vmain" start "$vm" --headless >"$w/out" 2>&1
is "kvm: start" 0 $?
check "kvm: the guest ticks" wait_for "$w/con" "VMAIN-GUEST: ticker-ready" 300
wait_for "$w/con" "tick=4 " 60
datecheck=1
save_cycle "kvm"

# cross FROM TO: the VM runs through FROM; save, restore through TO.
cross() {
	label="cross: $1 -> $2"
	if [ "$(state "$vm")" != running ]; then
		"$vmain" edit "$vm" --accel "$1" >/dev/null 2>&1
		: >"$w/con"
		"$vmain" start "$vm" --headless --discard-state >"$w/out" 2>&1
		wait_for "$w/con" "VMAIN-GUEST: ticker-ready" 300
		wait_for "$w/con" "tick=4 " 60
	fi
	"$vmain" save "$vm" >"$w/out" 2>&1
	is "$label: saved through $1" 0 $?
	t_saved=$(last "$w/con" tick)
	"$vmain" edit "$vm" --accel "$2" >/dev/null 2>&1
	cp "$w/con" "$w/con.before"
	: >"$w/con"
	"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
	if [ $rc = 0 ]; then
		wait_for "$w/con" "tick=" 60
		t_next=$(first "$w/con" tick)
		check "$label: restored, the counter goes on ($t_saved -> $t_next)" \
			goes_on "$t_saved" "$t_next"
		check "$label: no reboot" sh -c "! grep -q ticker-ready '$w/con'"
		is "$label: status says running" running "$(state "$vm")"
	else
		nok "$label: not restored (status $rc: $(tail -n 1 "$w/out"))"
		is "$label: ... the VM is not running" stopped "$(state "$vm")"
		check "$label: ... and the state stays" [ -f "$sav" ]
	fi
}
cross kvm vmain
cross vmain kvm
"$vmain" kill "$vm" >/dev/null 2>&1

fi

if [ "$part" = soak ]; then
# Twenty save/restore cycles of a guest writing its count to an ext4 file
# system on its disk (vmain.test=fsticker), then twenty saves cut short by
# kill -9 of the VM's process at a random moment: each leaves a state
# that restores (the count goes on, no reboot) or none (the VM boots
# afresh), never one that restores wrong, and no temporary file once the
# VM started again.  At the end the guest powers off and the image, its
# journal replayed, passes e2fsck -fn, and the guest's file counts up by
# one from line to line (or starts at 1 again after a fresh boot).
ticker_vm "soak: " sv-soak 64M vmain.test=fsticker
check "soak: ... which mounted" sh -c "! grep -q 'fs=fail' '$w/con'"
wait_for "$w/con" "tick=4 " 30
datecheck=1
# (cyc, kill: wait_for and the other helpers use $i.)
cyc=1
while [ $cyc -le 20 ]; do
	if [ $((cyc % 4)) = 0 ]; then
		save_cycle "soak cycle $cyc" --restore=eager
	else
		save_cycle "soak cycle $cyc"
	fi
	cyc=$((cyc + 1))
done

pid_of() { "$vmain" status "$1" --json | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'; }
restored=0 fresh=0 kill=1
while [ $kill -le 20 ]; do
	label="kill -9 during save $kill"
	wait_for "$w/con" "tick=" 30
	pid=$(pid_of "$vm")
	"$vmain" save "$vm" >/dev/null 2>&1 &
	saver=$!
	# 0 to 3 s: the save of 256 MiB takes 1 to 5 s here.
	usleep $(( $(od -An -N2 -tu2 /dev/urandom) % 3000 * 1000 ))
	kill -9 "$pid" 2>/dev/null
	wait $saver
	i2=0
	while [ -n "$(pid_of "$vm")" ] && [ $i2 -lt 50 ]; do sleep 0.1; i2=$((i2 + 1)); done
	cp "$w/con" "$w/con.before"
	t_saved=$(last "$w/con.before" tick)
	had_state=no
	[ -f "$sav" ] && had_state=yes
	: >"$w/con"
	"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
	is "$label: vmain start (state.sav: $had_state)" 0 $rc
	[ $rc = 0 ] || sed 's/^/# /' "$w/out"
	if [ $had_state = yes ]; then
		restored=$((restored + 1))
		check "$label: the state restores and the guest ticks" wait_for "$w/con" "tick=" 30
		t_next=$(first "$w/con" tick)
		check "$label: the counter goes on ($t_saved -> $t_next)" goes_on "$t_saved" "$t_next"
		check "$label: no reboot" sh -c "! grep -q ticker-ready '$w/con'"
	else
		fresh=$((fresh + 1))
		check "$label: no state: the guest boots afresh" \
			wait_for "$w/con" "VMAIN-GUEST: ticker-ready" 120
	fi
	check "$label: no temporary file is left" sh -c "! ls '$bundle' | grep -q 'state.sav.tmp'"
	kill=$((kill + 1))
done
echo "# kill -9 during save: $restored restored a complete state, $fresh booted afresh"

"$vmain" stop "$vm" >"$w/out" 2>&1
is "soak: vmain stop (the power button: sync, power off)" 0 $?
i=0
while [ "$(state "$vm")" != stopped ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
is "soak: the VM stopped" stopped "$(state "$vm")"
cp "$w/sv-soak.img" "$w/fsck.img"
e2fsck -fy "$w/fsck.img" >"$w/fsck1" 2>&1
e2fsck -fn "$w/fsck.img" >"$w/fsck2" 2>&1; rc=$?
is "soak: the file system, its journal replayed, passes e2fsck -fn" 0 $rc
[ $rc = 0 ] || sed 's/^/# /' "$w/fsck1" "$w/fsck2"
debugfs -R "cat /ticks" "$w/fsck.img" 2>/dev/null >"$w/ticks"
echo "# the guest's file: $(wc -l <"$w/ticks") lines, the last $(tail -n 1 "$w/ticks")"
check "soak: the guest's file counts up by one (or from 1 after a fresh boot)" \
	awk 'NR == 1 && $0 != 1 { exit 1 } NR > 1 && $0 != p + 1 && $0 != 1 { exit 1 }
	     { p = $0 } END { exit NR < 40 }' "$w/ticks"
fi

echo "1..$n"
