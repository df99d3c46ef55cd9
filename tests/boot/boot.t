#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Linux boot-protocol loader (monitor/boot/), on the host:
#   - bzimage-test: setup-header parsing, each field corrupted, truncation
#     at every length, random garbage, the machine's /boot/vmlinuz-*;
#   - bootparams-test: the e820 map (sort, merge, overlaps) and the zero
#     page (header copy, command line and initrd checks, initrd placement);
#   - layout-test: the 64-bit direct-boot layout in a guest-RAM buffer
#     (page tables, GDT, entry state), synthetic and real kernels;
#   - multiboot-test: Multiboot v1 kernels (a.out kludge and ELF32), the
#     information structure, modules, memory map and 32-bit entry state;
#     every field broken, every truncation, random images (fixed seed);
#   - fwboot-test: a bzImage laid out for the firmware's Linux boot ROM
#     (--kernel under SeaBIOS): the patched setup header, the initrd's
#     place, every refusal, the machine's /boot/vmlinuz-*.
# The programs are built by make (with ASan/UBSan in build-asan/ when that
# exists, as in make check); this relays their TAP, renumbered.
. "$(dirname "$0")/../lib/tap-relay.sh"

run_dir boot
