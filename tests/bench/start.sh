#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench`, inside the SVM arena: what the VM object and its control
# API cost at start, per backend (vmain.ko, KVM), median of RUNS:
#   - the monitor's CPU time until the guest's first instruction (--stats)
#     for `vmain run` and for `vmain start` (foreground) of the same guest:
#     the difference is the bundle, the VM object and the D-Bus server;
#   - `vmain start --headless`: wall time until it returns (the guest runs).
# Usage: start.sh VMAIN GUEST-DIR [RUNS]
vmain=$1 guest=$2 runs=${3:-5}
w=/tmp/bench-start
rm -rf "$w"; mkdir -p "$w/run" "$w/data"
export XDG_RUNTIME_DIR="$w/run" XDG_DATA_HOME="$w/data"
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cpu_ms() { sed -n 's/^vmain: stats: start-up CPU time \([0-9.]*\) ms.*/\1/p' "$1" | head -n 1; }
append="console=ttyS0 panic=-1 vmain.test=poweroff"

for accel in vmain kvm; do
	"$vmain" create "b-$accel" --accel "$accel" --memory 256M --kernel "$guest/vmlinuz" \
		--initrd "$guest/initrd.img" --append "$append" --serial "$w/con" >/dev/null
	: >"$w/run.ms"; : >"$w/start.ms"; : >"$w/headless.ms"
	i=0
	while [ $i -lt "$runs" ]; do
		"$vmain" run --accel "$accel" --memory 256M --stats --kernel "$guest/vmlinuz" \
			--initrd "$guest/initrd.img" --append "$append" --serial "$w/con" \
			</dev/null >/dev/null 2>"$w/err"
		cpu_ms "$w/err" >>"$w/run.ms"
		"$vmain" start "b-$accel" --stats </dev/null >"$w/con" 2>"$w/err"
		cpu_ms "$w/err" >>"$w/start.ms"
		t0=$(ms)
		"$vmain" start "b-$accel" --headless >/dev/null 2>&1
		echo $(( $(ms) - t0 )) >>"$w/headless.ms"
		# It powers itself off; the next start waits for that.
		while "$vmain" status "b-$accel" | grep -q '^state: *running'; do sleep 0.1; done
		i=$((i + 1))
	done
	printf '%-6s start-up CPU: vmain run %s ms, vmain start %s ms (median of %d); ' \
		"$accel" "$(median <"$w/run.ms")" "$(median <"$w/start.ms")" "$runs"
	printf 'vmain start --headless returns after %s ms (median)\n' "$(median <"$w/headless.ms")"
done
