#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench`, inside the SVM arena: `vmain run` with the default guest,
# per backend (vmain.ko, KVM):
#   - wall time from process start to the guest's init, and to power off;
#   - the monitor's CPU time until the first guest instruction and the
#     exits that reached the monitor during the boot (vmain run --stats);
#   - host CPU and wakeups per second while the guest idles (after 3 s
#     settling, over 10 s): utime+stime and context switches of all the
#     monitor's threads, from /proc.
# Usage: boot.sh VMAIN GUEST-DIR
vmain=$1 guest=$2
w=/tmp/bench-boot
mkdir -p "$w"
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
now_cs() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
switches() {
	cat /proc/"$1"/task/*/status 2>/dev/null |
		awk '/^(voluntary|nonvoluntary)_ctxt_switches/ { s += $2 } END { print s + 0 }'
}

# timed_boot NAME CPUS COMMAND...: runs COMMAND (which writes the guest
# console to $w/con) and prints the time to the guest's init and to its
# end, its status, and vmain's --stats line if there is one.
timed_boot() {
	name=$1 ncpu=$2
	shift 2
	rm -f "$w/con"
	t0=$(now_cs)
	"$@" </dev/null >/dev/null 2>"$w/err" &
	pid=$!
	while kill -0 $pid 2>/dev/null && ! grep -q "VMAIN-GUEST: init" "$w/con" 2>/dev/null; do
		sleep 0.1
	done
	t_init=$(now_cs)
	wait $pid; rc=$?
	t_end=$(now_cs)
	stats=$(sed -n 's/^vmain: stats: //p' "$w/err" | tr -d '\r')
	printf '%-6s %d vCPU: init after %d.%02d s, poweroff after %d.%02d s (status %d)%s\n' \
		"$name" "$ncpu" $(( (t_init - t0) / 100 )) $(( (t_init - t0) % 100 )) \
		$(( (t_end - t0) / 100 )) $(( (t_end - t0) % 100 )) "$rc" "${stats:+; $stats}"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$w/err" | tail -n 5
}

for accel in vmain kvm; do
	for cpus in 1 2; do
		timed_boot "$accel" "$cpus" "$vmain" run --accel "$accel" --cpus "$cpus" --stats \
			--kernel "$guest/vmlinuz" --initrd "$guest/initrd.img" \
			--append "console=ttyS0 panic=-1 vmain.test=poweroff" --serial "$w/con"
	done

	rm -f "$w/con"
	"$vmain" run --accel "$accel" --kernel "$guest/vmlinuz" --initrd "$guest/initrd.img" \
		--append "console=ttyS0 panic=-1 vmain.test=wait" --serial "$w/con" </dev/null 2>"$w/err" &
	pid=$!
	i=0
	while [ $i -lt 300 ] && ! grep -q "VMAIN-GUEST: waiting" "$w/con" 2>/dev/null; do
		sleep 0.5; i=$((i + 1))
	done
	sleep 3
	c0=$(cpu_ticks $pid) s0=$(switches $pid)
	sleep 10
	c1=$(cpu_ticks $pid) s1=$(switches $pid)
	kill -TERM $pid; wait $pid
	awk -v c=$((c1 - c0)) -v s=$((s1 - s0)) -v hz="$hz" -v a="$accel" 'BEGIN {
		printf "%-6s idle guest: host CPU %.2f%%, %.1f wakeups/s (10 s)\n", a, 100 * c / hz / 10, s / 10 }'
done

# A peer, side by side: QEMU with KVM, when the arena has it (make bench
# copies it in).  Same kernel, initrd and command line; its own firmware
# (SeaBIOS) runs first, so its time includes the BIOS.
if command -v qemu-system-x86_64 >/dev/null 2>&1; then
	for cpus in 1 2; do
		timed_boot qemu "$cpus" qemu-system-x86_64 -accel kvm -cpu host -smp "$cpus" -m 512 \
			-nographic -nodefaults -no-reboot -serial "file:$w/con" -device virtio-rng-pci \
			-kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" \
			-append "console=ttyS0 panic=-1 vmain.test=poweroff"
	done
fi
