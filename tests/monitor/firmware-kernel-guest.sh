#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/guest-full/firmware.t): `vmain run
# --firmware seabios --kernel K --initrd I --append A` through vmain.ko and
# through KVM: SeaBIOS finds the Linux boot ROM (Debian's
# linuxboot_dma.bin, fw_cfg "genroms/") first in its boot order, boots it,
# the ROM loads the kernel, initrd and command line from fw_cfg and enters
# the real-mode setup code, which takes its memory map from the BIOS; the
# guest's init runs with our command line and powers off (status 0).
# Prints TAP lines.  Usage: firmware-kernel-guest.sh VMAIN VMLINUZ INITRD CMDLINE
vmain=$1 kernel=$2 initrd=$3 cmdline=$4
w=/tmp/firmware-kernel-guest
mkdir -p "$w"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { # check DESC COMMAND...: one TAP line from a command's status
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
inlog() { grep -qF -- "$1" "$w/log"; }
incon() { tr -d '\r' <"$w/con" | grep -qF -- "$1"; }

for accel in vmain kvm; do
	rm -f "$w/log" "$w/con" "$w/out"
	t0=$(cut -d. -f1 /proc/uptime)
	timeout -s KILL 200 "$vmain" run --accel "$accel" --cpus 1 --memory 512M \
		--firmware seabios --kernel "$kernel" --initrd "$initrd" \
		--append "$cmdline vmain.test=poweroff vmain.fwkernel=1" \
		--firmware-log "$w/log" --serial "$w/con" </dev/null >"$w/out" 2>&1
	rc=$?
	echo "# $accel: status $rc after $(( $(cut -d. -f1 /proc/uptime) - t0 )) s"
	check "$accel: the ROM is first in SeaBIOS's boot order" \
		inlog "1: /rom@genroms/linuxboot_dma.bin"
	check "$accel: SeaBIOS boots the ROM" inlog "Booting from ROM"
	check "$accel: the kernel has our command line" incon "vmain.test=poweroff vmain.fwkernel=1"
	check "$accel: its memory map came from the BIOS (E820 through the setup code)" \
		incon "BIOS-e820: [mem 0x0000000000000000-"
	check "$accel: the guest's init runs (from the initrd)" incon "VMAIN-GUEST: init"
	if ! check "$accel: the guest powers off (status 0)" [ "$rc" -eq 0 ]; then
		sed 's/^/#   out: /' "$w/out"
		tail -n 20 "$w/log" 2>/dev/null | sed 's/^/#   log: /'
		tr -d '\r' <"$w/con" 2>/dev/null | tail -n 20 | sed 's/^/#   con: /'
	fi
done
echo "1..$n"
