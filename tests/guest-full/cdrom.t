#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: the installer workflow's CD/DVD drive and the save of a
# VM with AHCI and IDE disks, inside the SVM arena (QEMU TCG, AMD-V),
# through vmain.ko (tests/guest-full/cdrom-guest.sh): vmain create --iso,
# vmain cdrom NAME FILE|--eject [--force] with the guest reading each disc
# and locking the tray, config.ini's [cdrom] following, vmain save and
# vmain start restoring the disks and the drive, a VM holding the host's
# drive refused a save before anything stops, a VM without a drive
# refused.
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
# The arena's QEMU has a DVD-ROM too (a disc of random bytes): the host's own drive for a VM.
disc=$TOP/build/guest/cdrom-host.img
[ -s "$disc" ] || dd if=/dev/urandom of="$disc" bs=1M count=2 2>/dev/null
ARENA_EMULATOR_ARGS="-drive file=$disc,format=raw,media=cdrom,readonly=on,if=none,id=cd0 -device ide-cd,drive=cd0,bus=ide.0" \
arena_tap arena-svm "vmain cdrom and the save of AHCI, IDE and CD/DVD drives through vmain.ko" \
	-t 900 -m 2048 -M ahci -M sr_mod -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/tests/guest-full/cdrom-guest.sh" -f /usr/bin/gdbus -- \
	sh "$TOP/tests/guest-full/cdrom-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest"

arena_tap_end
