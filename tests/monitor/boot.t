#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `vmain run` boots the default guest (scripts/guest-image: Debian's kernel
# and a busybox initramfs) inside the SVM arena (QEMU TCG, AMD-V), through
# vmain.ko and through KVM (Debian's kvm_amd), with 1 and 2 vCPUs (and RAM
# above 4 GiB; the 1-vCPU boots on 2 MiB hugetlbfs pages): memory,
# CPU count, RTC, PCI devices, virtio-rng, virtio-console, console input,
# poweroff, reboot and SIGTERM (tests/monitor/boot-guest.sh).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
arena_tap arena-svm "vmain run: Linux through vmain.ko and through KVM (kvm_amd), 1 and 2 vCPUs" \
	-t 900 -m 5120 -a "hugepages=160" -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" \
	-f "$TOP/tests/monitor/boot-guest.sh" -f "$TOP/tests/lib/stall-watch.sh" -- \
	"$TOP/tests/monitor/boot-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest"

arena_tap_end
