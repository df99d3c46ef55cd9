#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 1 GiB EPT leaves (issue 17) in the VT-x arena (Bochs): a 3 GiB arena
# (Bochs backs guest RAM above its 2048 MiB host limit on demand) reserves
# one 1 GiB hugetlbfs page at boot, and memory/huge-1g maps a 1 GiB slot
# on it: one 1 GiB leaf, no table page, 2 faults; dirty logging back to
# 4 KiB leaves and a per-page log; MADV_DONTNEED reads zeros.  The SVM
# arena runs the same case in make check (tests/kmod/svm.t).  About 3.5
# minutes.
. "$(dirname "$0")/../lib/arena-tap.sh"

arena_tap arena-vmx "VMX arena, 3 GiB: one 1 GiB hugetlbfs page in one 1 GiB EPT leaf" \
	-t 1200 -m 3072 -a "hugepagesz=1G hugepages=1" -f "$KBIN/guest" -f "$TOP/tests/kmod/guest" -- \
	"$TOP/tests/kmod/guest/run-all.sh" "memory -n 1024 -T 900 huge-1g"

arena_tap_end
