#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /dev/vm-main in the VT-x arena (Bochs): module load and the errno table.
. "$(dirname "$0")/../lib/arena-tap.sh"

arena_tap arena-vmx "VMX arena: module load and the errno table" \
	-t 900 -f "$KBIN" -- "$KBIN/errno"

arena_tap_end
