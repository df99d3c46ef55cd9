#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: vmain.ko's VT-x engine on Bochs CPU models that lack
# what it needs (tests/kmod/vmx.t runs the Haswell model with all of it in
# make check): no VMX and no EPT are refused with ENODEV; without
# unrestricted guest, 64-bit guests run and a real-mode guest is a clear
# FAIL_ENTRY.  Three Bochs boots, about 2 minutes; moved out of make check
# for its 45-minute budget on 2026-12-04.
. "$(dirname "$0")/../lib/arena-tap.sh"

# Other Bochs CPU models: the engine's requirements and its clear errors.
arena_tap arena-vmx "CPU without VMX (p4_prescott_celeron_336): CREATE_VM is ENODEV" \
	-t 120 -c p4_prescott_celeron_336 -f "$KBIN" -- "$KBIN/errno" --expect-nohw

arena_tap arena-vmx "VMX without EPT (core2_penryn_t9600): CREATE_VM is ENODEV" \
	-t 120 -c core2_penryn_t9600 -f "$KBIN" -- "$KBIN/errno" --expect-nohw

# Nehalem has EPT and VPID but not unrestricted guest: paged 64-bit guests
# run; a real-mode guest's RUN ends with FAIL_ENTRY (0x80000021, what the
# CPU's own entry check would report) and a kernel log line saying why.
G="$KBIN/guest"
arena_tap arena-vmx "VMX without unrestricted guest (corei5_lynnfield_750): 64-bit guests run, real mode is a clear FAIL_ENTRY" \
	-t 300 -c corei5_lynnfield_750 -f "$G" -f "$TOP/tests/kmod/guest" -- sh -c "
	$TOP/tests/kmod/guest/run-all.sh 'exits long64/io long64/mmio long64/string' \
		'events long64/interrupt long64/nmi long64/triple-fault' 'control -n 200'
	r=\$?
	$G/exits real/io >/tmp/o 2>&1
	grep -q 'got exit 6 (FAIL_ENTRY) hardware_reason 0x80000021' /tmp/o &&
		echo 'ok - real mode without unrestricted guest: FAIL_ENTRY, hardware_reason 0x80000021' ||
		{ echo 'not ok - real mode without unrestricted guest: FAIL_ENTRY'; r=1; cat /tmp/o; }
	dmesg | grep -q 'need VT-x unrestricted guest, which this CPU lacks' &&
		echo 'ok - the kernel log says that unrestricted guest is missing' ||
		{ echo 'not ok - the kernel log says that unrestricted guest is missing'; r=1; }
	exit \$r"

arena_tap_end
