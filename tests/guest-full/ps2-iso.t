#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PS/2 keys into a boot loader (issue 16): the default guest's ISO with
# ISOLINUX waiting at its prompt (scripts/guest-iso -t 0), booted by
# SeaBIOS under `vmain run --display --accel kvm` inside the SVM arena
# (ps2-iso-guest.sh also takes vmain: 7/7 through vmain.ko, 39 s, but a
# KVM boot after it in the same arena ran past the 600 s limit once);
# "vmain" and Enter typed through org.vmain.Display1.Key reach ISOLINUX
# through the 8042's keyboard and SeaBIOS's INT 16h, and the entry boots
# to the guest's power-off (tests/monitor/ps2-iso-guest.sh).
. "$(dirname "$0")/../lib/arena-tap.sh"

bios=/usr/share/seabios/bios-256k.bin
if [ ! -r "$bios" ] || [ ! -r /usr/share/seabios/vgabios-stdvga.bin ]; then
	echo "not ok 1 - /usr/share/seabios is incomplete (scripts/deps test installs seabios)"
	echo "1..1"
	exit 0
fi
iso="$TOP/build/guest/ps2-wait.iso"
if ! "$TOP/scripts/guest-iso" -q -o "$iso" -a vmain.test=poweroff -t 0; then
	echo "not ok 1 - scripts/guest-iso failed"
	echo "1..1"
	exit 0
fi
arena_tap arena-svm "a key through Display1.Key picks ISOLINUX's entry (PS/2 keyboard, SeaBIOS INT 16h), KVM" \
	-t 600 -m 3072 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f /usr/share/seabios \
	-f "$TOP/tests/monitor/ps2-iso-guest.sh" -f "$iso" -f /usr/bin/gdbus -- \
	"$TOP/tests/monitor/ps2-iso-guest.sh" "$TOP/build/monitor/vmain" "$iso" kvm
arena_tap_end
