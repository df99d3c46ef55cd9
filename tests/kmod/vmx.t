#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /dev/vm-main in the VT-x arena (Bochs): module load, the errno table and
# 20 insmod/rmmod cycles.
. "$(dirname "$0")/../lib/arena-tap.sh"

arena_tap arena-vmx "VMX arena: module load, the errno table, module cycles" \
	-t 900 -f "$KBIN" -f "$TOP/tests/kmod" -- \
	"$TOP/tests/kmod/run-in-guest.sh" "$KBIN/errno" "$TOP/tests/kmod/modcycle.sh $KBIN"

arena_tap_end
