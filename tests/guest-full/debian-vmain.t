#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: the Debian guest (make guest-debian) boots through
# vmain.ko inside the SVM arena from its qcow2 virtio-blk disk to a root
# shell, and powers off (tests/guest-full/debian-vmain.sh).  Slow: the
# guest's systemd runs under nested emulation (docs/testing.md).
. "$(dirname "$0")/../lib/arena-tap.sh"

dir="$TOP/build/guest-debian"
if [ ! -f "$dir/debian.qcow2" ]; then
	echo "not ok 1 - build/guest-debian/debian.qcow2 is missing (make guest-debian)"
	echo "1..1"
	exit 0
fi
arena_tap arena-svm "the Debian guest through vmain.ko" \
	-t 2400 -m 4096 -f "$TOP/build/monitor/vmain" -f "$dir" \
	-f "$TOP/tests/guest-full/debian-vmain.sh" -- \
	"$TOP/tests/guest-full/debian-vmain.sh" "$TOP/build/monitor/vmain" "$dir"

arena_tap_end
