#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench-net`, inside the SVM arena: the default guest's virtio-net
# (with scripts/guest-image --bench's bench.img appended to its initrd, for
# iperf3) through vmain's user back end (libslirp) and tap back end, beside
# QEMU 7.2 with KVM on the same back ends (-netdev user: the same Debian
# libslirp; -netdev tap, vhost off as QEMU defaults), the same kernel,
# initrd, command line, memory and vCPU count.  One VM at a time; per VM:
#   - request/response latency: tests/bench/net-rr (the arena side, one TCP
#     connection, TCP_NODELAY, 1-byte request, 1-byte answer) against the
#     guest's echo server (busybox nc running cat) for SECONDS;
#   - TCP throughput host->guest and guest->host: Debian's iperf3 in the
#     arena as the client (-R for guest->host) against iperf3 -s in the
#     guest, one stream for SECONDS, the bytes the receiver counted;
#   - host CPU per GiB: the VM process's utime+stime (all its threads,
#     /proc/PID/stat; with KVM that includes the time its vCPUs spend in the
#     guest) over each iperf3 run, divided by the GiB the receiver counted;
#     in the notes, the exits the arena's KVM counted for the VM over each
#     iperf3 run per MiB received, and its eight largest other counters
#     per MiB (lib-vm.sh).
# The arena reaches the guest through hostfwd on 127.0.0.1 (user: 5201 to
# the guest's iperf3, 7007 to its echo port 7), or over a persistent tap
# made here with iproute2 that carries the arena's 192.168.79.254/24 (the
# guest: 192.168.79.1/24, static).  The rows take turns for ROUNDS
# rounds; prints a Markdown table row per VM as it goes, then the mean of
# the rounds, then per VM the CPU each of its threads used during the
# iperf3 runs and vmain's --stats exit counts (boot and run together).
# OLD=1 adds vmain (KVM) with VMAIN_KVM_IRQCHIP=monitor: the local APIC in
# the monitor as before the split irqchip, for the before/after.
# Everything runs two levels of emulation deep (QEMU TCG, then SVM or KVM):
# only the ratios between rows of one run mean something.
# BACKENDS (comma-separated, default user,tap) and ROWS (default
# kvm,vmain,qemu: vmain on KVM, on vmain.ko, QEMU) choose the rows;
# BASE, a second vmain binary (say the one before a change), adds the row
# "vmain (KVM, base)" beside vmain (KVM), for a before/after in one run.
# "-" for any of them: its default.
# Usage: net.sh VMAIN GUEST-DIR NET-RR IPERF3 IPROUTE2-IP [SECONDS [CPUS [ROUNDS [OLD
#        [BACKENDS [ROWS [BASE]]]]]]]
vmain=$1 guest=$2 rr=$3 iperf=$4 ip=$5 secs=${6:-5} cpus=${7:-1} rounds=${8:-2} old=${9:-0}
backends=${10:--} rows=${11:--} base=${12:--}
[ "$backends" != - ] || backends=user,tap
[ "$rows" != - ] || rows=kvm,vmain,qemu
[ "$base" != - ] || base=
backends=$(echo "$backends" | tr , ' ') rows=",$rows,"
w=/tmp/bench-net
rm -rf "$w"; mkdir -p "$w"
# hz, cpu_ticks, and KVM's per-VM counters in debugfs (kvm_dir, kvm_counters, kvm_delta)
. "$(dirname "$0")/lib-vm.sh"
kvm_debugfs
# threads PID: "NAME TICKS" per thread (the name may hold blanks: the
# fields after it are counted from the closing parenthesis)
threads() {
	for t in /proc/"$1"/task/*; do
		sed -n 's/^[0-9]* (\(.*\)) \(.*\)/\1|\2/p' "$t/stat" 2>/dev/null
	done | awk -F'|' '{ split($2, f, " "); n = $1; gsub(/ /, "_", n); print n, f[12] + f[13] }'
}
# thread_use BEFORE AFTER: the CPU ticks each thread name used in between
thread_use() {
	awk 'NR == FNR { b[$1] += $2; next } { a[$1] += $2 }
		END { for (n in a) if (a[n] - b[n] > 0) printf " %s=%.2fs", n, (a[n] - b[n]) / '"$hz"' }' "$1" "$2"
}

# The guest's initrd with iperf3: Linux unpacks the appended archive over
# the first.
if [ ! -s "$guest/bench.img" ]; then
	echo "# $guest/bench.img is missing: run scripts/guest-image --bench"
	exit 1
fi
cat "$guest/initrd.img" "$guest/bench.img" >"$w/initrd.img"
append="console=ttyS0 panic=-1 vmain.test=net vmain.net.iperf=1 vmain.net.echo=7"

# The tap: persistent, owned by root (the arena's user), the arena's end
# of the guest's link.
$ip tuntap add dev vtapn mode tap user 0 &&
	$ip addr add 192.168.79.254/24 dev vtapn && $ip link set vtapn up ||
	echo "# could not make the tap vtapn"

qemu=$(command -v qemu-system-x86_64 2>/dev/null)

# start VMM ACCEL BACKEND: boots the guest in the background ($pid)
start() {
	case "$3" in
	user) extra="" ;;
	tap) extra=" vmain.net.ip=192.168.79.1/24" ;;
	esac
	: >"$w/con"
	if [ "$1" = qemu ]; then
		case "$3" in
		user) nd="user,id=n0,hostfwd=tcp:127.0.0.1:5201-:5201,hostfwd=tcp:127.0.0.1:7007-:7" ;;
		tap) nd="tap,id=n0,ifname=vtapn,script=no,downscript=no" ;;
		esac
		"$qemu" -name bench,debug-threads=on -accel kvm -cpu host -smp "$cpus" -m 256 -nographic -nodefaults -no-reboot \
			-serial "file:$w/con" -netdev "$nd" -device virtio-net-pci,netdev=n0,romfile= \
			-kernel "$guest/vmlinuz" -initrd "$w/initrd.img" -append "$append$extra" \
			</dev/null >"$w/out" 2>&1 &
	else
		case "$3" in
		user) nd="user,hostfwd=tcp:127.0.0.1:5201-:5201,hostfwd=tcp:127.0.0.1:7007-:7" ;;
		tap) nd="tap,ifname=vtapn" ;;
		esac
		irqchip=
		[ "$2" != kvm-monitor ] || irqchip=monitor
		bin=$vmain
		[ "$2" != kvm-base ] || bin=$base
		VMAIN_KVM_IRQCHIP=$irqchip "$bin" run --accel "${2%-*}" --cpus "$cpus" --memory 256M --stats --kernel "$guest/vmlinuz" \
			--initrd "$w/initrd.img" --net "$nd" --serial "$w/con" --append "$append$extra" \
			</dev/null >"$w/out" 2>&1 &
	fi
	pid=$!
	# Where a VM that prints nothing for 60 s waits (tests/lib/stall-watch.sh).
	"$(dirname "$0")/../lib/stall-watch.sh" "$w/con" >&2 &
	watch_pid=$!
}

# ready SECONDS: waits for the guest's net-ready while its VMM runs
ready() {
	i=0
	while [ $i -lt $(($1 * 10)) ]; do
		grep -q "VMAIN-GUEST: net-ready" "$w/con" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# stop: the power button (SIGTERM; QEMU just exits), then SIGKILL after 30 s
stop() {
	kill "$pid" 2>/dev/null
	i=0; while [ -d "/proc/$pid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null
}

# iperf ADDR [-R]: one iperf3 run; prints "MBIT CPU-S-PER-GIB" (or "- -")
iperf() {
	threads "$pid" >"$w/t0"
	kd=$(kvm_dir "$pid")
	kvm_counters "$kd" >"$w/k0"
	c0=$(cpu_ticks "$pid")
	timeout $((secs + 60)) "$iperf" -c "$1" -p 5201 -t "$secs" -J $2 >"$w/iperf.json" 2>&1
	c1=$(cpu_ticks "$pid")
	kvm_counters "$kd" >"$w/k1"
	threads "$pid" >"$w/t1"
	mib=$(awk '/"sum_received"/ { f = 1 } f && /"bytes"/ { b = $2; sub(/,/, "", b); print b / 1048576; exit }' "$w/iperf.json")
	kx=""
	if [ -s "$w/k1" ] && [ "${mib:-0}" != 0 ]; then
		kx=$(awk -F: -v mib="$mib" 'NR == FNR { b[$1] = $2; next } $1 == "exits" { printf "%.1f", ($2 - b[$1]) / mib }' "$w/k0" "$w/k1")
		kx=" [KVM exits per MiB: $kx;$(kvm_delta "$w/k0" "$w/k1" "$mib")]"
	fi
	echo "$(thread_use "$w/t0" "$w/t1")$kx" >"$w/use$2"
	awk -v c0="$c0" -v c1="$c1" -v hz="$hz" '
		/"sum_received"/ { f = 1 }
		f && /"bytes"/ { b = $2; sub(/,/, "", b); b += 0 }
		f && /"bits_per_second"/ { r = $2; sub(/,/, "", r); r += 0; done = 1; exit }
		END {
			if (!done || b <= 0 || c0 == "" || c1 == "") { print "- -"; exit }
			printf "%.1f %.0f\n", r / 1e6, (c1 - c0) / hz / (b / 1073741824)
		}' "$w/iperf.json"
}

# row VMM ACCEL BACKEND
row() {
	case "$1:$2" in
	qemu:*) name="QEMU 7.2 + KVM" ;;
	vmain:kvm) name="vmain (KVM)" ;;
	vmain:kvm-monitor) name="vmain (KVM, monitor APIC)" ;;
	vmain:kvm-base) name="vmain (KVM, base)" ;;
	vmain:vmain) name="vmain (vmain.ko)" ;;
	esac
	case "$3" in
	user) addr=127.0.0.1 eport=7007 ;;
	tap) addr=192.168.79.1 eport=7 ;;
	esac
	start "$1" "$2" "$3"
	if ! ready 300; then
		echo "| $round | $name | $3 | failed: the guest did not come up | | | | | | |"
		sed 's/^/#   /' "$w/out" | tail -n 5
		tail -n 5 "$w/con" | sed 's/^/#   /'
		stop
		return
	fi
	grep -q "VMAIN-GUEST: net-iperf=5201" "$w/con" || echo "# $name $3: no iperf3 in the guest"
	r=$(timeout $((secs + 30)) "$rr" "$addr" "$eport" "$secs" 2>&1)
	rrline=$(echo "$r" | sed -n 's/^rr: [0-9]* transactions in [0-9.]* s, \([0-9.]*\)\/s, mean \([0-9]*\) us, p50 [0-9]* us, p99 \([0-9]*\) us.*/\1 | \2 us | \3 us/p')
	[ -n "$rrline" ] || { rrline="- | - | -"; echo "# $name $3: net-rr: $r"; }
	set -- $(iperf "$addr")
	up=$1 upcpu=$2
	[ "$up" != - ] || { echo "# $name $3 host->guest:"; tail -n 3 "$w/iperf.json" | sed 's/^/#   /'; }
	set -- $(iperf "$addr" -R)
	down=$1 downcpu=$2
	[ "$down" != - ] || { echo "# $name $3 guest->host:"; tail -n 3 "$w/iperf.json" | sed 's/^/#   /'; }
	echo "| $round | $name | $be | $up | $down | $rrline | $upcpu | $downcpu |"
	echo "$name|$be|$up|$down|$rrline|$upcpu|$downcpu" | sed 's/ *| */|/g; s/ us//g' >>"$w/rows"
	stop
	echo "#   round $round, $name $be, CPU by thread: host->guest$(cat "$w/use"); guest->host$(cat "$w/use-R")" >>"$w/notes"
	sed -n 's/^vmain: stats: \(.*exits.*\)/#   round '"$round, $name $be"': --stats (boot and run): \1/p' "$w/out" |
		tr -d '\r' >>"$w/notes"
}

# The load of the machine under the arena drifts: the rows take turns,
# round after round, and the mean of the rounds closes the output.
head="VMM | back end | host->guest Mbit/s | guest->host Mbit/s | RR transactions/s | RR mean | RR p99 | host CPU s/GiB, host->guest | host CPU s/GiB, guest->host |"
echo "| round | $head"
echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
: >"$w/rows"
round=1
while [ $round -le "$rounds" ]; do
	for be in $backends; do
		case $rows in *,kvm,*) row vmain kvm "$be" ;; esac
		[ -z "$base" ] || row vmain kvm-base "$be"
		[ "$old" != 1 ] || row vmain kvm-monitor "$be"
		case $rows in *,vmain,*) row vmain vmain "$be" ;; esac
		case $rows in *,qemu,*) [ -z "$qemu" ] || row qemu kvm "$be" ;; esac
	done
	round=$((round + 1))
done
echo
echo "Mean of $rounds rounds (a cell over the rounds that measured it):"
echo
echo "| $head"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
awk -F'|' '
	!(($1 "|" $2) in seen) { seen[$1 "|" $2] = 1; order[++n] = $1 "|" $2 }
	{ for (i = 3; i <= 9; i++) if ($i != "-" && $i != "") { sum[$1 "|" $2, i] += $i; cnt[$1 "|" $2, i]++ } }
	END {
		for (k = 1; k <= n; k++) {
			key = order[k]; split(key, kv, "|")
			line = "| " kv[1] " | " kv[2] " |"
			for (i = 3; i <= 9; i++) {
				if (!cnt[key, i]) { line = line " - |"; continue }
				v = sum[key, i] / cnt[key, i]
				unit = (i == 6 || i == 7) ? " us" : ""
				line = line sprintf(i <= 5 ? " %.1f%s |" : " %.0f%s |", v, unit)
			}
			print line
		}
	}' "$w/rows"
echo
cat "$w/notes" 2>/dev/null
echo "# $cpus vCPU, 256 MiB, $secs s per measurement, $rounds rounds; $(uname -r) in the arena; load average in the arena $(cut -d' ' -f1-3 /proc/loadavg)"
