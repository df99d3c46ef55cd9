#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vmain's Debian guest (scripts/guest-debian), on the host: builds it into
# build/guest-debian (or reuses it there when up to date), checks the image
# and its file system without booting it, then boots it once under QEMU TCG
# (not vmain) from a snapshot of the image: the default guest's initramfs
# must find /dev/vda and hand over to systemd, which must reach
# multi-user.target and log root in on the serial console by itself; the
# test then asks the shell for the system's state and powers it off.
# Needs root, the network to Debian's mirrors for a build, and
# scripts/deps guest-debian.  About a minute with the image built (QEMU TCG
# on two cores), plus about one for a build.
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-debian-t.XXXXXX")
qpid=""
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
gd="$top/scripts/guest-debian"
dir="$top/build/guest-debian"
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { # check DESC COMMAND...: ok when COMMAND succeeds
	desc=$1; shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}
show() { sed 's/^/# /' "$1"; }
finish() { echo "1..$n"; exit 0; }

out=$("$gd" --help 2>&1); rc=$?
check "guest-debian --help" test $rc = 0 -a "$(printf '%s\n' "$out" | grep -c '^Usage: scripts/guest-debian')" = 1
"$gd" --size 1.5G >/dev/null 2>&1; rc=$?
check "a bad --size is a usage error (status 2)" test $rc = 2

start=$(date +%s)
if ! "$gd" "$dir" >"$tmp/build.log" 2>&1; then
	nok "guest-debian builds the image (needs root and scripts/deps guest-debian)"
	show "$tmp/build.log"
	finish
fi
echo "# scripts/guest-debian: $(($(date +%s) - start)) s: $(tail -n 1 "$tmp/build.log")"
check "guest-debian builds debian.qcow2, vmlinuz, initrd.img and cmdline" \
	test -s "$dir/debian.qcow2" -a -s "$dir/vmlinuz" -a -s "$dir/initrd.img" -a -s "$dir/cmdline"
"$gd" "$dir" >"$tmp/build2.log" 2>&1
check "a second build with the same inputs does nothing" grep -q 'up to date' "$tmp/build2.log"
check "the kernel and initramfs are the default guest's" \
	sh -c "cmp -s '$dir/vmlinuz' '$top/build/guest/vmlinuz' && cmp -s '$dir/initrd.img' '$top/build/guest/initrd.img'"
check "the command line mounts /dev/vda read-write, console on ttyS0" \
	sh -c "grep -qE '(^| )root=/dev/vda( |$)' '$dir/cmdline' && grep -qw rw '$dir/cmdline' && grep -qw console=ttyS0 '$dir/cmdline'"

# The image, without booting it.
qemu-img info --output=json "$dir/debian.qcow2" >"$tmp/info.json" 2>&1
check "debian.qcow2 is a qcow2 image of 1 GiB" \
	sh -c "grep -q '\"format\": \"qcow2\"' '$tmp/info.json' && grep -q '\"virtual-size\": 1073741824' '$tmp/info.json'"
if qemu-img check "$dir/debian.qcow2" >"$tmp/check.log" 2>&1; then
	ok "qemu-img check finds no error"
else
	nok "qemu-img check finds no error"; show "$tmp/check.log"
fi
qemu-img convert -f qcow2 -O raw "$dir/debian.qcow2" "$tmp/root.raw"
if e2fsck -fn "$tmp/root.raw" >"$tmp/fsck.log" 2>&1; then
	ok "the whole disk is a clean ext4 file system (e2fsck -fn)"
else
	nok "the whole disk is a clean ext4 file system (e2fsck -fn)"; show "$tmp/fsck.log"
fi
cat_file() { debugfs -R "cat $1" "$tmp/root.raw" 2>/dev/null; }
check "/etc/fstab mounts /dev/vda as / (ext4)" \
	sh -c "printf '%s\n' \"\$(debugfs -R 'cat /etc/fstab' '$tmp/root.raw' 2>/dev/null)\" | grep -qE '^/dev/vda[[:space:]]+/[[:space:]]+ext4[[:space:]]'"
check "/etc/hostname is vmain-debian" test "$(cat_file /etc/hostname)" = vmain-debian
check "/sbin/init is systemd" \
	sh -c "debugfs -R 'stat /sbin/init' '$tmp/root.raw' 2>/dev/null | grep -q 'Fast link dest: \"/lib/systemd/systemd\"'"
check "root logs in by itself on ttyS0 (agetty --autologin root)" \
	sh -c "debugfs -R 'cat /etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf' '$tmp/root.raw' 2>/dev/null | grep -q -- '--autologin root'"
rm -f "$tmp/root.raw"

if ! command -v qemu-system-x86_64 >/dev/null; then
	nok "qemu-system-x86_64 is there (scripts/deps test)"
	finish
fi

# The boot: the console's input is a FIFO the test writes the shell's
# commands to once the prompt is there.
mkfifo "$tmp/in"
start=$(date +%s)
timeout --kill-after=5 420 qemu-system-x86_64 -accel tcg -m 1G -nographic -no-reboot \
	-kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" -append "$(cat "$dir/cmdline")" \
	-drive "file=$dir/debian.qcow2,if=virtio,format=qcow2,snapshot=on" \
	<"$tmp/in" >"$tmp/console.raw" 2>&1 &
qpid=$!
exec 3>"$tmp/in"
# The console without carriage returns and terminal escapes (bash's
# bracketed-paste switches start the lines after a prompt).
esc=$(printf '\033')
console() { tr -d '\r' <"$tmp/console.raw" | sed "s/$esc\[[0-9;?]*[A-Za-z]//g" >"$tmp/console"; }
# wait_for SECONDS PATTERN: until the console has a line matching PATTERN
# (an extended regular expression); fails when QEMU ends or time is up.
wait_for() {
	limit=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt $limit ]; do
		console
		grep -qE "$2" "$tmp/console" && return 0
		kill -0 "$qpid" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}
if wait_for 300 'Reached target .*multi-user'; then
	ok "systemd reaches multi-user.target"
	echo "# multi-user.target reached $(($(date +%s) - start)) s after QEMU started"
else
	nok "systemd reaches multi-user.target"
fi
if wait_for 60 'root@vmain-debian:~# ?$'; then
	ok "root is logged in on ttyS0: a shell prompt"
	echo "# the shell prompt came $(($(date +%s) - start)) s after QEMU started"
	# The quotes in the middle keep the echoed command line from matching.
	printf '%s\n' 'echo "VMAIN-""DEBIAN: state=$(systemctl is-system-running --wait) root=$(findmnt -no SOURCE,FSTYPE /)"; systemctl --failed --no-legend --plain | sed "s/^/VMAIN-""DEBIAN: failed=/"' >&3
	if wait_for 120 '^VMAIN-DEBIAN: state='; then
		state=$(sed -n 's/^VMAIN-DEBIAN: \(state=.*\)$/\1/p' "$tmp/console")
		check "the system is running, not degraded, on /dev/vda (ext4): $state" \
			test "$(echo "$state" | tr -s ' ')" = "state=running root=/dev/vda ext4"
	else
		nok "the shell answers systemctl is-system-running"
	fi
	printf 'poweroff\n' >&3
else
	nok "root is logged in on ttyS0: a shell prompt"
fi
exec 3>&-
wait "$qpid"; rc=$?
qpid=""
console
echo "# QEMU TCG boot of the Debian guest: status $rc after $(($(date +%s) - start)) s"
check "the guest powers off when told to (QEMU status 0)" test $rc = 0
check "the initramfs hands over to /dev/vda (VMAIN-GUEST: root=/dev/vda)" \
	grep -qx 'VMAIN-GUEST: root=/dev/vda' "$tmp/console"
if grep -E 'Oops|BUG:|WARNING:|Call Trace|Kernel panic|insmod-failed|root-failed|EXT4-fs error' "$tmp/console" >"$tmp/errors"; then
	nok "the guest kernel logged no errors"; show "$tmp/errors"
else
	ok "the guest kernel logged no errors"
fi
if [ $failed = 1 ]; then echo "# guest console:"; show "$tmp/console"; fi
finish
