#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/guest-full/firmware-vga.t): a firmware
# boot with a display, `vmain run --display` without --kernel and without
# disks, so that SeaBIOS runs Debian's VGA BIOS (vgabios-stdvga.bin): it
# sets text mode 3 and clears the screen with REP STOSW into the legacy
# window at 0xb8000, which the monitor serves as MMIO (devices/vga.c), and
# SeaBIOS then writes its banner and "No bootable device" there.  Through
# vmain.ko every such access is emulated by the module (kmod/emulate/
# string.c, rmw.c); through KVM by KVM.  Both runs wait for "No bootable
# device" on the debug console and take `vmain screenshot`, which must not
# be blank; with DUMP=1 both are printed (base64 between "# png NAME" and
# "# end") for the caller to compare (firmware-vga.t: the same but for the
# line with the VM's random UUID).  With ISO (scripts/guest-iso,
# vmain.test=poweroff), vmain.ko boots it from the AHCI CD-ROM: ISOLINUX
# on the VGA (a screenshot, printed too with DUMP=1), the guest's init,
# its power-off.  Prints TAP lines; the screenshots stay in $w.
# Usage: firmware-vga-guest.sh VMAIN [ISO]
vmain=$1 iso=${2:-}
w=/tmp/firmware-vga
rm -rf "$w"; mkdir -p "$w/xdg"
export XDG_RUNTIME_DIR=$w/xdg
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
inlog() { grep -qF -- "$2" "$w/$1.log" 2>/dev/null; }
show() {
	sed 's/^/#   out: /' "$w/$1.out"
	tail -n 15 "$w/$1.log" 2>/dev/null | sed 's/^/#   log: /'
}

# run ACCEL TEXT SECONDS [OPTIONS...]: the VM named ACCEL until TEXT is on
# its debug console, then a screenshot into $w/ACCEL.png and a kill.
run() {
	name=$1 text=$2 secs=$3
	shift 3
	"$vmain" run --name "$name" --accel "${name%%-*}" --memory 256M --display \
		--firmware-log "$w/$name.log" "$@" </dev/null >"$w/$name.out" 2>&1 &
	pid=$!
	t0=$(cut -d. -f1 /proc/uptime)
	i=0
	while [ $i -lt "$secs" ] && kill -0 $pid 2>/dev/null; do
		inlog "$name" "$text" && break
		sleep 1
		i=$((i + 1))
	done
	found=1
	inlog "$name" "$text" || found=0
	# The text is on the debug console as the BIOS writes it to the
	# screen; a second for the screen's refresh.
	sleep 2
	"$vmain" screenshot "$name" "$w/$name.png" >"$w/$name.shot" 2>&1
	shot=$?
	"$vmain" kill "$name" >/dev/null 2>&1
	sleep 1
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	echo "# $name: '$text' $( [ $found = 1 ] && echo seen || echo 'not seen') after $(( $(cut -d. -f1 /proc/uptime) - t0 )) s; screenshot status $shot"
	[ $found = 1 ]
}

for accel in vmain kvm; do
	if ! check "$accel: SeaBIOS with the VGA reaches 'No bootable device'" \
		run "$accel" "No bootable device" 240; then
		show "$accel"
	fi
	check "$accel: the VGA BIOS ran (SeaBIOS found its option ROM)" \
		inlog "$accel" "Running option rom at c000:0003"
	check "$accel: vmain screenshot of the VGA's text screen" [ -s "$w/$accel.png" ]
	sed 's/^/#   /' "$w/$accel.shot"
	check "$accel: no error from the monitor" \
		sh -c "! grep -qE 'cannot|could not continue|refused|internal error' '$w/$accel.out'"
done
# A blank 720x400 screen compresses to a few hundred bytes; the banner's
# text does not.
size=$(stat -c %s "$w/vmain.png" 2>/dev/null || echo 0)
check "vmain.ko: the screenshot is not blank ($size bytes of PNG)" [ "$size" -gt 1500 ]

if [ -n "$iso" ]; then
	# The ISO through vmain.ko: ISOLINUX writes its banner and menu through
	# the VGA BIOS (int 10h) into the text screen; the guest then boots
	# (ISOLINUX's protected-mode core takes the 8259's vectors 08h-0Fh,
	# VMAIN_CAP_LOW_VECTORS) and powers off.
	name=vmain-iso
	: >"$w/$name.con"
	t0=$(cut -d. -f1 /proc/uptime)
	"$vmain" run --name "$name" --accel vmain --memory 512M --display --cdrom "$iso" \
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
	if check "vmain.ko, ISO: ISOLINUX runs (its banner on the serial console)" waitcon ISOLINUX 240; then
		sleep 1
		"$vmain" screenshot "$name" "$w/$name.png" >"$w/$name.shot" 2>&1
		sed 's/^/#   /' "$w/$name.shot"
	else
		show "$name"
	fi
	size=$(stat -c %s "$w/$name.png" 2>/dev/null || echo 0)
	check "vmain.ko, ISO: the screenshot at ISOLINUX is not blank ($size bytes of PNG)" [ "$size" -gt 1500 ]
	check "vmain.ko, ISO: the guest's init runs" waitcon "VMAIN-GUEST: init" 300
	i=0
	while [ $i -lt 120 ] && kill -0 $pid 2>/dev/null; do sleep 1; i=$((i + 1)); done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	echo "# $name: status $rc after $(( $(cut -d. -f1 /proc/uptime) - t0 )) s"
	if ! check "vmain.ko, ISO: the guest powers off (status 0)" [ "$rc" = 0 ]; then
		show "$name"
	fi
fi
if [ "${DUMP:-0}" = 1 ]; then
	for f in "$w"/*.png; do
		echo "# png $(basename "$f")"
		base64 "$f" | sed 's/^/# /'
		echo "# end"
	done
fi
echo "1..$n"
