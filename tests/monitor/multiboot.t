#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Multiboot kernels and the test-exit port (issue 16): the test builds a
# bare-metal Multiboot kernel (tests/monitor/multiboot-kernel.c, gcc -m32
# -ffreestanding and ld -m elf_i386: no 32-bit libraries needed) as an
# ELF32 file and as an a.out-kludge binary; inside the SVM arena (QEMU
# TCG, AMD-V) `vmain run` boots each through vmain.ko and through KVM
# (kvm_amd), with modules, and the kernel ends the VM through --debug-exit
# with the status its command line chose (tests/monitor/multiboot-guest.sh).
# No Linux guest: about a minute of arena time, so it runs in make check.
. "$(dirname "$0")/../lib/arena-tap.sh"

kdir="$TOP/build/tests/monitor/multiboot"
src="$TOP/tests/monitor/multiboot-kernel.c"
lds="$TOP/tests/monitor/multiboot-kernel.ld"
cflags="-m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -nostdlib -O2 -Wall -Wextra -Werror"
ldflags="-m elf_i386 -z max-page-size=0x1000 --build-id=none -T $lds"
# binutils 2.39 and later warn about the one RWX segment a flat kernel has.
ld --help 2>/dev/null | grep -q -- --no-warn-rwx-segments && ldflags="$ldflags --no-warn-rwx-segments"
mkdir -p "$kdir"
# shellcheck disable=SC2086
if ! { ${CC:-cc} $cflags -c -o "$kdir/kernel.o" "$src" &&
       ld $ldflags -o "$kdir/kernel.elf" "$kdir/kernel.o" &&
       ${CC:-cc} $cflags -DAOUT -c -o "$kdir/kernel-aout.o" "$src" &&
       ld $ldflags -o "$kdir/kernel-aout.elf" "$kdir/kernel-aout.o" &&
       objcopy -O binary "$kdir/kernel-aout.elf" "$kdir/kernel.aout"; }; then
	echo "not ok 1 - the test kernel did not build (gcc -m32, ld -m elf_i386)"
	echo "1..1"
	exit 0
fi
# The modules: 20 bytes of text, and 10000 'M's (more than a page).
printf 'vmain-module-0 data\n' >"$kdir/mod0"
head -c 10000 /dev/zero | tr '\0' 'M' >"$kdir/mod1"
arena_tap arena-svm "vmain run: Multiboot kernels end through --debug-exit, vmain.ko and KVM (kvm_amd)" \
	-t 400 -m 2048 -M kvm_amd -W 200 -f "$TOP/build/monitor/vmain" -f "$kdir" \
	-f "$TOP/tests/monitor/multiboot-guest.sh" -- \
	"$TOP/tests/monitor/multiboot-guest.sh" "$TOP/build/monitor/vmain" "$kdir"

arena_tap_end
