# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the side-by-side VM benchmarks that run inside the SVM arena
# (tests/bench/firmware.sh, tests/bench/ata.sh): the clock, a VM
# process's CPU time, and the arena kernel's own count of a VM's exits.
#
# KVM keeps per-VM statistics in debugfs, in a directory named PID-FD for
# the process that made the VM (Documentation/virt/kvm/api.rst, "KVM
# statistics"; the vCPUs' counters summed there): the same counters for
# vmain's KVM back end and for QEMU + KVM.  vmain.ko's VMs have none.
# There "exits" is every exit KVM handled (in the kernel or not), and
# "io_exits" and "mmio_exits" the port and MMIO accesses it passed to the
# VMM (what the device models cost in round trips).

hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# now_cs: /proc/uptime in centiseconds (the arena has been up for more
# than a second, so no leading zero turns it octal)
now_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

# cpu_ticks PID: utime + stime of all the process's threads (clock ticks)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# kvm_debugfs: mounts debugfs where KVM's counters are, when it is not
# (the arena's init does not)
kvm_debugfs() {
	mountpoint -q /sys/kernel/debug 2>/dev/null || mount -t debugfs none /sys/kernel/debug 2>/dev/null
}

# kvm_dir PID: the process's VM directory in debugfs, or nothing
kvm_dir() {
	for d in /sys/kernel/debug/kvm/"$1"-*; do
		[ -r "$d/exits" ] && { echo "$d"; return; }
	done
}

# kvm_sample DIR: "EXITS IO+MMIO" now, or "- -" without a directory
kvm_sample() {
	if [ -n "$1" ] && [ -r "$1/exits" ]; then
		cat "$1/exits" "$1/io_exits" "$1/mmio_exits" 2>/dev/null |
			awk '{ v[NR] = $1 } END { if (NR == 3) print v[1], v[2] + v[3]; else print "- -" }'
	else
		echo "- -"
	fi
}

# kvm_counters DIR: every counter of the VM's directory, "NAME:VALUE" a
# line (nothing without a directory)
kvm_counters() {
	[ -z "$1" ] || grep . "$1"/* 2>/dev/null | sed 's|.*/||'
}

# kvm_delta BEFORE AFTER PER: the counters that grew between two
# kvm_counters files, the eight largest, each divided by PER:
# " NAME=X.XX ..." (what the exits were, and what KVM did for them)
kvm_delta() {
	awk -F: -v per="$3" '
		NR == FNR { b[$1] = $2; next }
		$1 != "exits" && ($1 in b) && $2 - b[$1] > 0 { d[$1] = $2 - b[$1] }
		END {
			for (k = 0; k < 8; k++) {
				m = ""; for (n in d) if (m == "" || d[n] > d[m]) m = n
				if (m == "") break
				printf(per == 1 ? " %s=%d" : " %s=%.2f", m, d[m] / per); delete d[m]
			}
		}' "$1" "$2"
}

# cs_to_s CENTISECONDS: "S.CC"
cs_to_s() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

# stop_vm PID: SIGTERM (vmain presses the power button; QEMU exits), then
# SIGKILL after 20 s
stop_vm() {
	kill "$1" 2>/dev/null
	i=0
	while [ -d "/proc/$1" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# mean_table FIRST LAST FILE: the mean of columns FIRST..LAST of FILE's
# "|"-separated rows, grouped by the columns before FIRST (in the order
# they first appear); "-" cells are left out of a mean, a column with
# none prints "-"
mean_table() {
	awk -F'|' -v first="$1" -v last="$2" '
		{
			key = $1; for (i = 2; i < first; i++) key = key "|" $i
			if (!(key in seen)) { seen[key] = 1; order[++n] = key }
			for (i = first; i <= last; i++)
				if ($i != "-" && $i != "") { sum[key, i] += $i; cnt[key, i]++ }
		}
		END {
			for (k = 1; k <= n; k++) {
				key = order[k]; gsub(/\|/, " | ", key)
				line = "| " key " |"
				for (i = first; i <= last; i++) {
					if (!cnt[order[k], i]) { line = line " - |"; continue }
					v = sum[order[k], i] / cnt[order[k], i]
					line = line sprintf(v >= 100 ? " %.0f |" : v >= 10 ? " %.1f |" : " %.2f |", v)
				}
				print line
			}
		}' "$3"
}
