#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/bench/disk.sh DISK_BENCH - the disk stack against QEMU's block
# layer and fio, side by side on one 2 GiB file (issue 10, "Numbers";
# results go to docs/perf.md by hand).
#
# Each row runs three programs on the same file with the same block size,
# queue depth and caching:
#   ours      DISK_BENCH (tests/bench/disk-bench.c): disk_open(), the write
#             cache and the io_uring engine of monitor/disk/
#   qemu-img  qemu-img bench -f raw -i io_uring (QEMU's block layer)
#   fio       fio --ioengine=io_uring (the limit)
# fio runs first, for BENCH_DISK_TIME seconds (default 3); the other two
# then do the same number of requests, so every program does the same
# work.  Each row is measured BENCH_DISK_REPS times (default 3), the
# order of the programs rotating, and the table gives the median and the
# range: on a shared or virtual disk one run says little.  qemu-img bench
# has no random pattern: its random rows use a stride of an odd number of
# blocks close to 0.618 of the file, which visits every block once per
# pass with no two neighbours adjacent.
#
# cache=none / -t none / --direct=1 (O_DIRECT) for the IOPS and
# throughput rows, so that the host page cache does not make them memcpy
# benchmarks.  The flush row runs at queue depth 1, so that all three
# flush exactly the 64 writes before each FLUSH whatever they do with
# writes in flight at greater depths.  It runs again with the caches on
# (cache=writeback, -t writeback, buffered fio), where the write cache's
# coalescing shows: write submissions to the file per guest write.  One
# row reads what the page cache holds (cache=writeback again), so no
# device is involved and what is left is each program's own cost per
# request (system calls, wake-ups, copies).  Last, a write storm (random
# 4 KiB writes, no flush) measures the cache's peak dirty bytes against
# its bound, and the driver's peak RSS.
#
# The file lives in a fresh directory under $TMPDIR, else /var/tmp (not
# tmpfs), and is written in full once before the first row.
set -eu

bench=${1:?usage: tests/bench/disk.sh DISK_BENCH}
T=${BENCH_DISK_TIME:-3}
REPS=${BENCH_DISK_REPS:-3}
SIZE=$((2 << 30))
STORM_WRITES=${BENCH_DISK_STORM:-200000}
STORM_DIRTY=64M

for p in fio qemu-img perl; do
	command -v $p >/dev/null || { echo "disk.sh: $p is missing (make deps-test)" >&2; exit 1; }
done
base=${TMPDIR:-/var/tmp}
dir=$(mktemp -d "$base/vmain-disk-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
	echo "disk.sh: $base is tmpfs; set TMPDIR to a directory on a disk" >&2
	exit 1
fi
img=$dir/disk.img
log=$dir/log

# --- what ran where ---

machine() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
	echo "file: $img, $(df --output=fstype "$dir" | tail -n 1 | tr -d ' ') on $(df --output=source "$dir" | tail -n 1)"
	echo "tools: $(qemu-img --version | head -n 1), $(fio --version)"
	echo "each row: fio for ${T} s, then the same request count for ours and qemu-img;"
	echo "$REPS rounds per row, the median [min-max] of them"
}

# --- the three programs: each prints "IOPS MBPS" ---

# fio's JSON on stdin -> "COUNT IOPS MBPS" (reads and writes; syncs not counted).
fio_parse() {
	perl -MJSON::PP -e '
		local $/;
		my $j = decode_json(<STDIN>)->{jobs}[0];
		my $ios = $j->{read}{total_ios} + $j->{write}{total_ios};
		my $bytes = $j->{read}{io_bytes} + $j->{write}{io_bytes};
		my $s = $j->{job_runtime} / 1000;
		printf "%d %.0f %.1f\n", $ios, $ios / $s, $bytes / $s / 1e6;'
}

# run_fio RW BS QD DIRECT FLUSH -> "COUNT IOPS MBPS"
# Batched like ours (all free slots in one io_uring_enter, up to QD
# completions reaped at once): fio's defaults submit one request per call.
# No cache invalidation at start: the page-cache row wants the cache.
run_fio() {
	fio --name=row --filename="$img" --size=$SIZE --ioengine=io_uring \
		--rw="$1" --bs="$2" --iodepth="$3" --direct="$4" \
		--iodepth_batch_submit="$3" --iodepth_batch_complete_max="$3" \
		${5:+--fdatasync=$5} --randrepeat=1 --norandommap --invalidate=0 \
		--runtime="$T" --time_based --output-format=json >"$log" 2>&1 ||
		{ cat "$log" >&2; exit 1; }
	fio_parse <"$log"
}

# run_ours CACHE PATTERN WRITE_PCT BS QD COUNT FLUSH -> the key=value line
run_ours() {
	"$bench" -c "$1" -p "$2" -w "$3" -b "$4" -q "$5" -n "$6" \
		${7:+-f $7} -t $((T * 10)) -l ours "$img" >"$log" 2>&1 ||
		{ cat "$log" >&2; exit 1; }
	cat "$log"
}

# kv KEY: the value of KEY in the key=value line on stdin
kv() {
	tr ' ' '\n' | sed -n "s/^$1=//p"
}

# run_qemu CACHE PATTERN WRITE BS QD COUNT FLUSH -> "IOPS MBPS"
run_qemu() {
	step=$4
	if [ "$2" = rand ]; then
		blocks=$((SIZE / $4))
		step=$(((blocks * 618 / 1000 | 1) * $4))
	fi
	qemu-img bench -f raw -i io_uring -t "$1" -c "$6" -d "$5" -s "$4" -S "$step" \
		${3:+-w} ${7:+--flush-interval=$7} "$img" >"$log" 2>&1 ||
		{ cat "$log" >&2; exit 1; }
	secs=$(sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p' "$log")
	awk -v n="$6" -v bs="$4" -v s="$secs" 'BEGIN {
		if (s <= 0) s = 0.001;
		printf "%.0f %.1f\n", n / s, n * bs / s / 1e6 }'
}

# --- rows ---

# ratio A B: A/B as "0.97x", or "-"
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'
}

# median FILE: "MEDIAN [MIN-MAX]" of the numbers in FILE, one a line
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%s [%s-%s]", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# one TOOL: one run of TOOL (fio, ours, qemu) for the row being measured;
# appends its IOPS or MB/s to $dir/v.TOOL.
one() {
	# Assignments, so that a failed run stops the script (set -e).
	case $1 in
	fio)
		res=$(run_fio "$rw" "$bs" "$qd" "$direct" "$flush")
		res=${res#* } ;;
	ours)
		line=$(run_ours "$cache" "$pat" "$pct" "$bs" "$qd" "$count" "$flush")
		echo "$name: $line" >>"$dir/ours"
		res="$(echo "$line" | kv iops) $(echo "$line" | kv mb_s)" ;;
	qemu)
		res=$(run_qemu "$cache" "$pat" "$qw" "$bs" "$qd" "$count" "$flush") ;;
	esac
	if [ "$unit" = mbs ]; then echo "${res#* }"; else echo "${res% *}"; fi >>"$dir/v.$1"
}

# row NAME UNIT(iops|mbs) CACHE PATTERN WRITE(0|1) BS(bytes) QD [FLUSH]
# REPS rounds, the order of the three programs rotating; the first fio
# run fixes the request count of all the others.
row() {
	name=$1 unit=$2 cache=$3 pat=$4 write=$5 bs=$6 qd=$7 flush=${8:-}
	case $pat$write in
	rand0) rw=randread ;;
	rand1) rw=randwrite ;;
	seq0) rw="read" ;;
	seq1) rw="write" ;;
	esac
	if [ "$write" = 1 ]; then pct=100 qw=1; else pct=0 qw=; fi
	if [ "$cache" = none ]; then direct=1; else direct=0; fi
	rm -f "$dir/v.fio" "$dir/v.ours" "$dir/v.qemu"

	res=$(run_fio "$rw" "$bs" "$qd" "$direct" "$flush")
	count=${res%% *}
	echo "${res#* }" | if [ "$unit" = mbs ]; then cut -d' ' -f2; else cut -d' ' -f1; fi >"$dir/v.fio"
	# The flush rows: whole groups of FLUSH writes, so all three flush alike.
	[ -z "$flush" ] || count=$(((count / flush > 0 ? count / flush : 1) * flush))
	one ours
	one qemu
	r=2
	while [ $r -le "$REPS" ]; do
		case $((r % 3)) in
		0) one qemu; one fio; one ours ;;
		1) one fio; one ours; one qemu ;;
		2) one ours; one qemu; one fio ;;
		esac
		r=$((r + 1))
	done

	o=$(median "$dir/v.ours") q=$(median "$dir/v.qemu") f=$(median "$dir/v.fio")
	if [ "$unit" = mbs ]; then u="MB/s"; else u=IOPS; fi
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$u" "$o" "$q" "$f" \
		"$(ratio "${o%% *}" "${q%% *}")" "$(ratio "${o%% *}" "${f%% *}")"
}

# The cache's coalescing, from the writeback flush row's counters.
coalescing() {
	line=$(sed -n 's/^4 KiB seq write qd1, flush\/64, writeback: //p' "$dir/ours" | head -n 1)
	w=$(echo "$line" | kv wc_writes)
	s=$(echo "$line" | kv wc_wb_writes)
	awk -v w="$w" -v s="$s" 'BEGIN {
		printf "coalescing (cache=writeback, 4 KiB sequential, flush/64): %d guest writes, %d write submissions to the file: %.4f submissions per guest write (%.1fx fewer; target: at least 16x)\n",
			w, s, s ? s / w : 0, s ? w / s : 0 }'
}

storm() {
	"$bench" -c writeback -p rand -w 100 -b 4K -q 32 -n "$STORM_WRITES" \
		-D $STORM_DIRTY -l storm "$img" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
	line=$(cat "$log")
	echo "storm: $line" >>"$dir/ours"
	awk -v peak="$(echo "$line" | kv wc_peak_dirty)" -v max="$(echo "$line" | kv wc_max_dirty)" \
	    -v rss0="$(echo "$line" | kv rss_start_kib)" -v rss="$(echo "$line" | kv rss_peak_kib)" \
	    -v n="$STORM_WRITES" -v waits="$(echo "$line" | kv wc_waits)" \
	    -v iops="$(echo "$line" | kv iops)" 'BEGIN {
		printf "write storm (cache=writeback, %d random 4 KiB writes, qd32, no flush, max_dirty %d MiB): peak dirty %.1f MiB (%s the bound), %d writes waited for room, %d IOPS; peak RSS %.1f MiB (%.1f MiB before the run)\n",
			n, max / 1048576, peak / 1048576, peak <= max ? "within" : "OVER",
			waits, iops, rss / 1024, rss0 / 1024 }'
}

machine
echo "preconditioning: writing $img in full (2 GiB)"
fio --name=precondition --filename="$img" --size=$SIZE --ioengine=io_uring --rw=write \
	--bs=1M --iodepth=8 --direct=1 --end_fsync=1 >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
echo
echo "| row | unit | ours | qemu-img bench | fio | ours / qemu-img | ours / fio |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
row "4 KiB rand read qd1" iops none rand 0 4096 1
row "4 KiB rand read qd32" iops none rand 0 4096 32
row "4 KiB rand write qd1" iops none rand 1 4096 1
row "4 KiB rand write qd32" iops none rand 1 4096 32
row "1 MiB seq read qd4" mbs none seq 0 1048576 4
row "1 MiB seq write qd4" mbs none seq 1 1048576 4
row "4 KiB seq write qd1, flush/64" iops none seq 1 4096 1 64
row "4 KiB seq write qd1, flush/64, writeback" iops writeback seq 1 4096 1 64
# Reads the host page cache holds: no device, only each stack's own cost.
cat "$img" >/dev/null
row "4 KiB rand read qd1, page cache" iops writeback rand 0 4096 1
echo
coalescing
storm
echo
echo "ours, every counter:"
cat "$dir/ours"
