#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/guest-iso, on the host: the default guest as an installer-style
# ISO (ISOLINUX, El Torito), booted under plain QEMU TCG with QEMU's own
# SeaBIOS, not vmain: from the IDE CD-ROM of QEMU's i440FX machine and from
# the AHCI CD-ROM of its Q35 machine to the guest's init, its menu on the
# serial console, and a label typed at its boot: prompt.  This tests the
# image that vmain's firmware-boot tests install from.
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-iso-t.XXXXXX")
qpid=
trap '[ -n "$qpid" ] && kill -9 $qpid 2>/dev/null; rm -rf "$tmp"' EXIT
gi="$top/scripts/guest-iso"
. "$top/tests/lib/tap.sh"
failed_boots=
# expect CONDITION DESC [BOOT]: ok when the shell CONDITION holds; a
# failure names BOOT's console for the end.
expect() { if eval "$1"; then ok "$2"; else
	nok "$2"; case " $failed_boots " in *" $3 "*) ;; *) failed_boots="$failed_boots $3" ;; esac; fi; }

out=$("$gi" --help 2>&1); rc=$?
expect '[ $rc = 0 ] && printf "%s\n" "$out" | grep -q "^Usage: scripts/guest-iso"' \
      "guest-iso --help"
"$gi" -t soon >"$tmp/e" 2>&1; rc=$?
expect '[ $rc = 2 ] && grep -q "not a number" "$tmp/e"' \
      "a bad -t is a usage error, status 2 ($(cat "$tmp/e"))"
"$gi" -x >"$tmp/e" 2>&1; rc=$?
expect '[ $rc = 2 ] && grep -q "unknown argument" "$tmp/e"' "an unknown option, status 2"

# The guest from build/guest (scripts/guest-image makes it when missing).
iso=$tmp/g.iso
if ! "$gi" -q -o "$iso" -a vmain.test=poweroff -t 10 >"$tmp/build.log" 2>&1; then
	nok "guest-iso builds the image ($(tail -n 1 "$tmp/build.log"))"
	echo "1..$n"; exit 0
fi
ok "guest-iso builds the image ($(stat -c %s "$iso") bytes)"
"$gi" -o "$iso" -a vmain.test=poweroff -t 10 >"$tmp/build2.log" 2>&1
expect 'grep -q "up to date" "$tmp/build2.log"' "an unchanged rebuild does nothing"
xorriso -indev "$iso" -report_el_torito plain >"$tmp/et" 2>/dev/null
expect 'grep -Eq "^El Torito boot img : +1 +BIOS +y +none" "$tmp/et" &&
       grep -q "^El Torito img path : *1 */isolinux/isolinux.bin" "$tmp/et"' \
      "one bootable El Torito entry: BIOS, no emulation, ISOLINUX"
xorriso -indev "$iso" -find / -type f 2>/dev/null >"$tmp/files"
expect 'grep -q "/boot/vmlinuz" "$tmp/files" && grep -q "/boot/initrd.img" "$tmp/files"' \
      "the guest's kernel and initramfs are on the disc"

if ! command -v qemu-system-x86_64 >/dev/null; then
	nok "qemu-system-x86_64 is there (scripts/deps test)"
	echo "1..$n"; exit 0
fi

# plain: the serial console's text without carriage returns and terminal
# escapes.  SeaBIOS's serial console repeats the cursor moves of its VGA
# text screen (ESC [ row ; col H) wherever in a line the screen moved
# on, so "vmain guest installer" came out split by one now and then
# (CI, 2026-12-04, and 4 of 29 runs on 2026-12-05, one of them
# "vm\e[17;02H\e[17;03Hain guest installer").
plain() { tr -d '\r' | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g'; }

# boot NAME MACHINE: the ISO as QEMU's -cdrom on MACHINE, to power-off.
boot() {
	start=$(date +%s)
	timeout --kill-after=5 150 qemu-system-x86_64 -accel tcg -M "$2" -m 512 -nographic \
		-no-reboot -cdrom "$iso" </dev/null >"$tmp/$1.raw" 2>&1
	rc=$?
	plain <"$tmp/$1.raw" >"$tmp/$1"
	echo "# QEMU TCG $2 from its CD-ROM: status $rc after $(($(date +%s) - start)) s"
}
boot ide pc
# Not anchored: the firmware's terminal escapes may share ISOLINUX's first line.
expect 'grep -aq "ISOLINUX " "$tmp/ide" && grep -aq "vmain guest installer" "$tmp/ide" &&
       grep -aq "boot:" "$tmp/ide"' "i440FX, IDE CD-ROM: ISOLINUX's menu on the serial console" ide
expect 'grep -q "^VMAIN-GUEST: init" "$tmp/ide" && grep -q "^VMAIN-GUEST: poweroff" "$tmp/ide" &&
       [ $rc = 0 ]' "and the guest boots to its init and powers off (status $rc)" ide
boot ahci q35
expect 'grep -aq "vmain guest installer" "$tmp/ahci" && grep -q "^VMAIN-GUEST: init" "$tmp/ahci" &&
       grep -q "^VMAIN-GUEST: poweroff" "$tmp/ahci" && [ $rc = 0 ]' \
      "Q35, AHCI CD-ROM: the menu, the guest's init, power-off (status $rc)" ahci

# A label typed at the prompt: "shell" boots the guest that waits.
mkfifo "$tmp/in"
qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot -cdrom "$iso" \
	<"$tmp/in" >"$tmp/typed.raw" 2>&1 &
qpid=$!
exec 3>"$tmp/in"
i=0
while [ $i -lt 600 ] && ! grep -q "boot:" "$tmp/typed.raw"; do sleep 0.1; i=$((i + 1)); done
printf 'shell\r' >&3
i=0
while [ $i -lt 1200 ] && ! tr -d '\r' <"$tmp/typed.raw" | grep -q "^VMAIN-GUEST: waiting"; do
	kill -0 $qpid 2>/dev/null || break
	sleep 0.1; i=$((i + 1))
done
plain <"$tmp/typed.raw" >"$tmp/typed"
expect 'grep -q "^VMAIN-GUEST: waiting" "$tmp/typed" && ! grep -q "^VMAIN-GUEST: poweroff" "$tmp/typed"' \
      '"shell" typed at the boot: prompt boots the entry that waits' typed
kill -9 $qpid 2>/dev/null; wait $qpid 2>/dev/null; qpid=
exec 3>&-

# A failed boot's console, its last 60 lines as TAP comments (the
# awk ends the last line too, so the plan stays on a line of its own).
for b in $failed_boots; do
	echo "# the $b boot's console (last 60 lines):"
	tail -n 60 "$tmp/$b" | cat -v | awk '{ print "# " $0 }'
done
echo "1..$n"
