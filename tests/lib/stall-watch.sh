#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/stall-watch.sh FILE [IDLE-S]: runs in the background inside an
# arena beside a test that starts VMs; when FILE (the VM's console) has not
# grown for IDLE-S seconds (default 60), and again every IDLE-S seconds
# after that, reports where the VM processes (vmain, qemu) and their
# threads wait in the kernel (state, wchan, /proc/.../stack), the other
# blocked or running tasks, the THP and compaction counters, free memory
# by order (buddyinfo) and the kernel log's tail.  The report goes on
# stdout ('#' lines: TAP-safe) and into the kernel log, whose console
# (ttyS0) is written by polling: it still gets out when the command's
# own port (ttyS1, interrupt-driven) has stopped moving.
# Stop it with kill when the VM has ended.  Written to find out where the
# VM starts that stalled in the arena with anonymous THP guest RAM
# (2026-12-04, docs/perf.md) wait: the arena had been killed before its
# own hang report (scripts/arena/init, 60 s before the timeout) ran.
file=$1 limit=${2:-60} last=-1 idle=0 tmp=/tmp/stall-watch.$$
trap 'rm -f "$tmp"; exit 0' TERM INT
report() {
	echo "STALL-WATCH: $file idle for $idle s (uptime $(cut -d' ' -f1 /proc/uptime))"
	for p in /proc/[0-9]*; do
		read -r c <"$p/comm" 2>/dev/null || continue
		case "$c" in vmain|qemu-system-x86*) ;; *) continue ;; esac
		for t in "$p"/task/*; do
			read -r tc <"$t/comm" 2>/dev/null
			read -r st <"$t/stat" 2>/dev/null
			st=${st##*) }
			echo "task ${p#/proc/}/${t##*/} ($tc) state ${st%% *} wchan $(cat "$t/wchan" 2>/dev/null)"
			cat "$t/stack" 2>/dev/null
		done
	done
	for t in /proc/[0-9]*/task/[0-9]*; do
		read -r c <"$t/comm" 2>/dev/null || continue
		read -r st <"$t/stat" 2>/dev/null || continue
		st=${st##*) }
		case "${st%% *}:$c" in D:*|R:*|*:khugepaged|*:kcompactd*|*:kswapd*) ;; *) continue ;; esac
		echo "other ${t#/proc/} ($c) state ${st%% *} wchan $(cat "$t/wchan" 2>/dev/null)"
		cat "$t/stack" 2>/dev/null
	done
	echo "vmstat: $(grep -E '^(compact_stall|compact_fail|compact_success|thp_fault_alloc|thp_fault_fallback|thp_collapse_alloc|thp_split_pmd|pgmigrate_success|allocstall_normal|allocstall_movable) ' /proc/vmstat | tr '\n' ' ')"
	echo "thp: $(cat /sys/kernel/mm/transparent_hugepage/enabled) defrag $(cat /sys/kernel/mm/transparent_hugepage/defrag)"
	sed 's/^/buddyinfo: /' /proc/buddyinfo
	echo "meminfo: $(grep -E '^(MemFree|AnonHugePages|Shmem|HugePages_Free):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
	dmesg | tail -n 20 | sed 's/^/dmesg: /'
}
while sleep 5; do
	sz=$(wc -c <"$file" 2>/dev/null || echo 0)
	if [ "$sz" != "$last" ]; then last=$sz idle=0; continue; fi
	idle=$((idle + 5))
	[ "$idle" -ge "$limit" ] && [ $((idle % limit)) = 0 ] || continue
	report >"$tmp" 2>&1
	sed 's/^/# /' "$tmp"
	while IFS= read -r l; do echo "<4>$l" >/dev/kmsg; done <"$tmp"
	# Every CPU's backtrace, from an NMI (a spinning one too), from the
	# second report on: its "Call Trace" lines fail the arena run
	# (scripts/arena/init), which a stall past 2 * IDLE-S should.
	[ "$idle" -lt $((2 * limit)) ] || echo l >/proc/sysrq-trigger 2>/dev/null
done
