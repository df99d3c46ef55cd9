#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vmain.ko builds warning-free with the kernel's extra warnings (W=1),
# objtool included, against the Debian headers (KDIR as in the Makefile).
# Built from a copy, so the tree's own objects are left alone.
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${KDIR:-/lib/modules/$("$top/scripts/kver")/build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
cp -r "$top/Kbuild" "$top/kmod" "$top/common" "$tmp/src/"
find "$tmp/src" \( -name '*.o' -o -name '*.ko' -o -name '*.cmd' -o -name '*.mod*' \) -delete
make -C "$kdir" M="$tmp/src" W=1 CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$tmp/log" 2>&1
rc=$?
if [ $rc = 0 ] && ! grep -qiE "warning|error" "$tmp/log"; then
	echo "ok 1 - vmain.ko builds with W=1 and no warnings"
else
	echo "not ok 1 - vmain.ko W=1 build (status $rc)"
	grep -iE "warning|error" "$tmp/log" | head -20 | sed 's/^/# /'
fi
echo "1..1"
