#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: the AHCI and PIIX IDE controllers (issue 16) inside the
# SVM arena (QEMU TCG, AMD-V): `vmain run --disk FILE,if=ahci|ide` gives
# the default guest /dev/sda through vmain.ko; the guest formats, fills
# and syncs it and the image is checked on the arena's side; the guest's
# write-cache switch (sd's cache_type, SET FEATURES 82h through libata)
# reaches the drive; `--cdrom` shows a DVD-ROM; SeaBIOS (through KVM: see
# firmware.t) boots the guest's ISO from the IDE secondary master
# (tests/guest-full/ata-guest.sh).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
iso="$TOP/build/guest/ata.iso"
"$TOP/scripts/guest-iso" -q -o "$iso" -a vmain.test=poweroff -t 10 || { echo "not ok 1 - scripts/guest-iso failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "vmain run with AHCI and IDE disks through vmain.ko" \
	-t 1200 -m 3072 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/tests/guest-full/ata-guest.sh" -f /usr/sbin/e2fsck -f /usr/sbin/debugfs \
	-f /usr/share/seabios/bios-256k.bin -- \
	"$TOP/tests/guest-full/ata-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest" "$iso"

arena_tap_end
