#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/guest-full/debian-vmain.t): `vmain run
# --accel vmain` boots the Debian guest (scripts/guest-debian: systemd on
# ext4 in a qcow2 image) from its virtio-blk disk to multi-user.target and
# a root shell on the serial console, then powers it off from the shell.
# Prints TAP lines.  Usage: debian-vmain.sh VMAIN GUEST-DEBIAN-DIR
vmain=$1 dir=$2
w=/tmp/debian-vmain
mkdir -p "$w"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
uptime_s() { cut -d. -f1 /proc/uptime; }
esc=$(printf '\033')
console() { tr -d '\r' <"$w/con.raw" | sed "s/$esc\[[0-9;?]*[A-Za-z]//g" >"$w/con"; }
wait_for() { # wait_for SECONDS ERE: until the console shows it, or vmain ends
	limit=$(($(uptime_s) + $1))
	while [ "$(uptime_s)" -lt $limit ]; do
		console
		grep -qE "$2" "$w/con" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 2
	done
	return 1
}

rm -f "$w/in"; mkfifo "$w/in"
t0=$(uptime_s)
"$vmain" run --accel vmain --cpus 2 --memory 1G --kernel "$dir/vmlinuz" \
	--initrd "$dir/initrd.img" --append "$(cat "$dir/cmdline")" \
	--disk "$dir/debian.qcow2,serial=debian-root" --serial stdio \
	<"$w/in" >"$w/con.raw" 2>"$w/err" &
pid=$!
exec 3>"$w/in"
if wait_for 1500 'Reached target .*multi-user'; then
	ok "Debian reaches multi-user.target through vmain.ko from a qcow2 virtio-blk root ($(( $(uptime_s) - t0 )) s)"
else
	nok "Debian reaches multi-user.target through vmain.ko"
fi
if wait_for 300 'root@vmain-debian:~# ?$'; then
	ok "root's shell prompt on ttyS0 ($(( $(uptime_s) - t0 )) s)"
	printf '%s\n' 'echo "VMAIN-""DEBIAN: state=$(systemctl is-system-running --wait) root=$(findmnt -no SOURCE,FSTYPE /) serial=$(cat /sys/block/vda/serial)"' >&3
	if wait_for 300 '^VMAIN-DEBIAN: state='; then
		state=$(sed -n 's/^VMAIN-DEBIAN: \(state=.*\)$/\1/p' "$w/con" | tr -s ' ')
		if [ "$state" = "state=running root=/dev/vda ext4 serial=debian-root" ]; then
			ok "systemd running, not degraded, root on /dev/vda: $state"
		else
			nok "systemd running, not degraded, root on /dev/vda: $state"
			grep -E 'FAILED|Failed' "$w/con" | head -n 20 | sed 's/^/#   /'
		fi
	else
		nok "the shell answers"
	fi
	printf 'poweroff\n' >&3
else
	nok "root's shell prompt on ttyS0"
fi
exec 3>&-
i=0
while [ $i -lt 300 ] && kill -0 "$pid" 2>/dev/null; do sleep 1; i=$((i + 1)); done
kill -KILL "$pid" 2>/dev/null
wait "$pid"; rc=$?
if [ "$rc" = 0 ]; then ok "poweroff from the shell: vmain exits 0"; else nok "poweroff: vmain exit status $rc"; fi
console
if grep -qE 'I/O error|EXT4-fs error|blk_update_request|Buffer I/O' "$w/con"; then
	nok "no disk error on the console"
	grep -E 'I/O error|EXT4-fs error|blk_update_request|Buffer I/O' "$w/con" | head | sed 's/^/#   /'
else
	ok "no disk error on the console"
fi
[ "$rc" = 0 ] || { sed 's/^/#   /' "$w/err"; tail -n 30 "$w/con" | sed 's/^/#   /'; }
echo "1..$n"
