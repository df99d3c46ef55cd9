#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Keys from the display reach a boot loader through the 8042's PS/2
# keyboard (issue 16).  Runs inside the SVM arena: the default guest's ISO
# (scripts/guest-iso -t 0: ISOLINUX's "boot:" prompt waits for a key, on
# the screen and on COM1) booted by SeaBIOS under `vmain run --display`;
# the prompt still waits after 10 s; "vmain" and Enter typed through the
# control API (org.vmain.Display1.Key, Linux KEY_* codes), which SeaBIOS
# serves to ISOLINUX from the PS/2 keyboard (INT 16h); ISOLINUX echoes
# them on COM1 and boots that entry: the guest's init, its power-off.
# Prints TAP lines.  Usage: ps2-iso-guest.sh VMAIN ISO ACCEL...
vmain=$1 iso=$2
shift 2
w=/tmp/ps2-iso
rm -rf "$w"; mkdir -p "$w/xdg"
export XDG_RUNTIME_DIR=$w/xdg
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
for accel in "$@"; do
	name=ps2-$accel
	sock=$XDG_RUNTIME_DIR/vmain/$name.sock
	: >"$w/$name.con"
	t0=$(cut -d. -f1 /proc/uptime)
	"$vmain" run --name "$name" --accel "$accel" --memory 512M --display --cdrom "$iso" \
		--firmware-log "$w/$name.log" --serial "$w/$name.con" </dev/null >"$w/$name.out" 2>&1 &
	pid=$!
	incon() { tr -d '\r' <"$w/$name.con" | grep -qF -- "$1"; }
	# waitcon TEXT SECONDS: TEXT on the serial console while the VM runs
	waitcon() {
		i=0
		while [ $i -lt "$2" ] && kill -0 $pid 2>/dev/null; do
			incon "$1" && return 0
			sleep 1
			i=$((i + 1))
		done
		incon "$1"
	}
	show() {
		sed 's/^/#   out: /' "$w/$name.out"
		tr -d '\r' <"$w/$name.con" | tail -n 15 | sed 's/^/#   con: /'
		tail -n 15 "$w/$name.log" | sed 's/^/#   log: /'
	}
	key() {
		timeout 10 gdbus call --address "unix:path=$sock" --dest org.vmain.VM \
			--object-path /org/vmain/VM --method org.vmain.Display1.Key "$1" "$2" >>"$w/$name.key" 2>&1
	}
	if ! check "$accel: ISOLINUX's boot: prompt on COM1" waitcon "boot:" 240; then
		show
	fi
	check "$accel: SeaBIOS set up its PS/2 keyboard (the firmware log)" \
		grep -qi 'ps2 keyboard initialized' "$w/$name.log"
	sleep 10
	check "$accel: with no key, the prompt still waits after 10 s (no init)" \
		sh -c "! tr -d '\r' <'$w/$name.con' | grep -qF 'VMAIN-GUEST: init'"
	sent=0
	for k in 47 50 30 23 49 28; do	# v m a i n Enter
		key "$k" true && key "$k" false && sent=$((sent + 1))
		sleep 0.3
	done
	if ! check "$accel: six keys through Display1.Key (sent $sent)" [ "$sent" = 6 ]; then
		head -n 5 "$w/$name.key" | sed 's/^/#   key: /'
	fi
	check "$accel: ISOLINUX echoes the typed 'vmain' on COM1" waitcon "boot: vmain" 30
	if ! check "$accel: the entry boots: the guest's init runs" waitcon "VMAIN-GUEST: init" 300; then
		show
	fi
	i=0
	while [ $i -lt 120 ] && kill -0 $pid 2>/dev/null; do sleep 1; i=$((i + 1)); done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	echo "# $name: status $rc after $(( $(cut -d. -f1 /proc/uptime) - t0 )) s"
	if ! check "$accel: the guest powers off (status 0)" [ "$rc" = 0 ]; then
		show
	fi
done
echo "1..$n"
