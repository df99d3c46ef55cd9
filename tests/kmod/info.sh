#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# info.sh VMAIN - (in an arena) `vmain info --check` reports the engine and
# creates/releases a VM.  TAP on stdout.
out=$("$1" info --check 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
failed=0
check() { if echo "$out" | grep -qE "$2"; then echo "ok - $1"; else echo "not ok - $1"; failed=1; fi; }
[ $rc = 0 ] && echo "ok - vmain info --check exits 0" || { echo "not ok - vmain info --check exits $rc"; failed=1; }
check "reports API version 1" '^API version: +1$'
check "reports the engine with its paging support" '^engine: +(AMD-V \(SVM, NPT|Intel VT-x \(VMX, EPT)'
check "created and released a VM" '^VM check: +created and released a VM$'
check "no VM left" '^live VMs: +0$'
exit $failed
