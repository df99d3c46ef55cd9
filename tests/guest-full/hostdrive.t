#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A host CD/DVD drive given to a VM (monitor/disk/hostdrive.c, `--cdrom
# /dev/srN`), without a physical drive: the AMD-V arena's QEMU gets an
# emulated DVD-ROM on its Q35 machine's AHCI port holding the default
# guest's ISO (scripts/guest-iso), which the arena's kernel sees as
# /dev/sr0 (ahci, sr_mod).  tests/monitor/hostdrive-guest.sh: MMC commands
# through SG_IO in the worker pool against the ISO, the loop turning
# meanwhile, eject and load, the O_EXCL claim (refused to a second holder
# and to a host open(O_EXCL), free again after kill -9 of the holder),
# and an unprivileged holder (uid 1000) kept to read commands.
. "$(dirname "$0")/../lib/arena-tap.sh"

iso=$TOP/build/guest/hostdrive.iso
if ! "$TOP/scripts/guest-iso" -q -g "$TOP/build/guest" -o "$iso" >"$tap_log.iso" 2>&1; then
	echo "not ok 1 - scripts/guest-iso failed: $(tail -n 1 "$tap_log.iso")"
	echo "1..1"
	exit 0
fi
"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
ARENA_EMULATOR_ARGS="-drive file=$iso,format=raw,media=cdrom,readonly=on,if=none,id=cd0 -device ide-cd,drive=cd0,bus=ide.0" \
arena_tap arena-svm "a host DVD drive through SG_IO: MMC commands, the ISO's bytes, O_EXCL, an unprivileged holder, a VM's guest reading it" \
	-t 600 -m 2048 -M ahci -M sr_mod -M isofs -f "$TOP/build/tests/disk/hostdrive-test" -f "$iso" \
	-f "$TOP/tests/monitor/hostdrive-guest.sh" -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" -- \
	sh "$TOP/tests/monitor/hostdrive-guest.sh" "$TOP/build/tests/disk/hostdrive-test" "$iso" \
	"$TOP/build/monitor/vmain" "$TOP/build/guest"

arena_tap_end
