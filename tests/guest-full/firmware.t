#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Firmware boot (issue 16): `vmain run` without --kernel starts Debian's
# SeaBIOS at the reset vector inside the SVM arena (QEMU TCG, AMD-V),
# through vmain.ko and through KVM (kvm_amd), with no disks, up to "No
# bootable device" on the serial console; its log on --firmware-log shows
# the Q35/ICH9 chipset, the shadowing and the BARs it assigned; 2 CPUs and
# 3 GiB through vmain.ko; the default guest's ISO (scripts/guest-iso)
# booted by SeaBIOS from the AHCI CD-ROM through vmain.ko and through KVM
# to its power-off; a
# kernel-less bundle saved in SeaBIOS's wait and restored through vmain.ko
# (tests/monitor/firmware-guest.sh).  Then the guest's vmlinuz and initrd
# booted with --kernel under SeaBIOS (its Linux boot ROM) through vmain.ko
# and KVM to its power-off (tests/monitor/firmware-kernel-guest.sh).
# About 2 minutes of arena time, and one more for the --kernel boots.
. "$(dirname "$0")/../lib/arena-tap.sh"

bios=/usr/share/seabios/bios-256k.bin
if [ ! -r "$bios" ]; then
	echo "not ok 1 - $bios missing (scripts/deps test installs seabios)"
	echo "1..1"
	exit 0
fi
iso="$TOP/build/guest/firmware.iso"
if ! "$TOP/scripts/guest-iso" -q -o "$iso" -a vmain.test=poweroff -t 10; then
	echo "not ok 1 - scripts/guest-iso failed"
	echo "1..1"
	exit 0
fi
arena_tap arena-svm "vmain run --firmware seabios: SeaBIOS through vmain.ko and KVM to 'No bootable device'" \
	-t 600 -m 5120 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$bios" \
	-f "$TOP/tests/monitor/firmware-guest.sh" -f "$iso" -- \
	"$TOP/tests/monitor/firmware-guest.sh" "$TOP/build/monitor/vmain" "$iso"

# --kernel under the firmware: the default guest's vmlinuz and initrd booted
# by SeaBIOS through fw_cfg and Debian's linuxboot_dma.bin (docs/firmware.md).
rom=/usr/share/qemu/linuxboot_dma.bin
guest=$TOP/build/guest
if [ ! -r "$rom" ]; then
	tap_count=$((tap_count + 1))
	echo "not ok - $rom missing (scripts/deps test installs qemu-system-data)"
else
	arena_tap arena-svm "vmain run --firmware seabios --kernel: the guest through SeaBIOS's Linux boot ROM" \
		-t 600 -m 5120 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$bios" -f "$rom" \
		-f "$guest/vmlinuz" -f "$guest/initrd.img" \
		-f "$TOP/tests/monitor/firmware-kernel-guest.sh" -- \
		"$TOP/tests/monitor/firmware-kernel-guest.sh" "$TOP/build/monitor/vmain" \
		"$guest/vmlinuz" "$guest/initrd.img" "$(cat "$guest/cmdline")"
fi

arena_tap_end
