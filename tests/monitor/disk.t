#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Disks (issue 10): inside the SVM arena (QEMU TCG, AMD-V), `vmain run`
# gives the default guest virtio-blk disks (raw and qcow2, vmain.ko and
# KVM); the guest formats, fills and syncs them and the images are checked
# on the arena's side; the guest's write-cache switch; positioned I/O
# through io_uring and no thread per request, from the monitor's /proc
# files (tests/monitor/disk-guest.sh).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "vmain run with disks: raw and qcow2, vmain.ko and KVM" \
	-t 1500 -m 3072 -M kvm_amd -W 200 -M loop -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/tests/monitor/disk-guest.sh" -f /usr/bin/qemu-img -f /usr/sbin/e2fsck \
	-f /usr/sbin/debugfs -- \
	"$TOP/tests/monitor/disk-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest"

arena_tap_end
