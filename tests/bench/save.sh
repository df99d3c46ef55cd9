#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/bench/save.sh SAVE_BENCH - suspend and resume's numbers on the host
# (issue 14, "Numbers"; results go to docs/perf.md by hand): the save
# file's RAM path (SAVE_BENCH, tests/bench/save-bench.c: the code of
# monitor/state/savefile.c that vmain save and vmain start run) beside
# fio, dd and QEMU's migration to a file, for guests of 1 and 4 GiB
# (BENCH_SAVE_SIZES, default "1G 4G").
#
# Guest RAM stands in a tmpfs file (/dev/shm, as a memfd is tmpfs) of
# pseudo-random pages, 10% of them zero at random (BENCH_SAVE_ZERO), which
# the save skips and fio and dd write.  Each row runs REPS times
# (BENCH_SAVE_REPS, default 3), the programs' order rotating, and gives
# the median and the range:
#   save      vmain's savefile_write(): 2 MiB O_DIRECT writes through
#             io_uring, 8 in flight, zero pages skipped, fsync, rename
#   fio       sequential 1 MiB O_DIRECT writes, queue depth 8, of the same
#             number of bytes to a new file, fsync at the end (the limit)
#   dd        dd from the tmpfs RAM to a new file, 1 MiB O_DIRECT writes,
#             one at a time, conv=fsync
#   qemu      QEMU's migration of a paused TCG guest whose RAM is a private
#             mapping of the same tmpfs file, to a file through
#             "exec:cat > FILE", max-bandwidth unlimited; the time from the
#             migrate command until the file is written and fsynced
#             (QEMU's own total-time, which ends when cat has the data in
#             its pipe, is printed beside it)
#   eager     savefile_read_ram(): 2 MiB O_DIRECT reads into a fresh memfd
#   fio read  sequential 1 MiB O_DIRECT reads of the save file, depth 8
# and, per size, the lazy restore's cost before the guest's first
# instruction (savefile_open + savefile_map_ram: wall and CPU), the page
# cache's growth during the save (Cached + Dirty in /proc/meminfo, sampled
# every 5 ms, and the save file's pages in the cache after it, mincore),
# and the SQEs per MiB written.  Last, the first size again with its zero
# pages as holes of the RAM file (below, holes()).  Rates are MB/s (10^6 bytes) of the
# guest's RAM size for every program, so that they compare the time to
# save one guest.
#
# The files live in a fresh directory under $TMPDIR, else /var/tmp (not
# tmpfs).  Needs about 2 x the largest size free there and in /dev/shm.
set -eu

bench=${1:?usage: tests/bench/save.sh SAVE_BENCH}
SIZES=${BENCH_SAVE_SIZES:-1G 4G}
REPS=${BENCH_SAVE_REPS:-3}
ZERO=${BENCH_SAVE_ZERO:-10}

for p in fio dd qemu-system-x86_64 perl; do
	command -v $p >/dev/null || { echo "save.sh: $p is missing (make deps-test)" >&2; exit 1; }
done
base=${TMPDIR:-/var/tmp}
dir=$(mktemp -d "$base/vmain-save-bench.XXXXXX")
ram=$(mktemp /dev/shm/vmain-save-bench-ram.XXXXXX)
qpid=
trap '[ -z "$qpid" ] || kill $qpid 2>/dev/null; rm -rf "$dir" "$ram"' EXIT
trap 'exit 1' INT TERM
if [ "$(stat -f -c %T "$dir")" = tmpfs ]; then
	echo "save.sh: $base is tmpfs; set TMPDIR to a directory on a disk" >&2
	exit 1
fi
out=$dir/out
log=$dir/log

machine() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
	echo "files: $dir, $(df --output=fstype "$dir" | tail -n 1 | tr -d ' ') on $(df --output=source "$dir" | tail -n 1); RAM in $ram (tmpfs)"
	echo "tools: $(fio --version), $(dd --version | head -n 1), $(qemu-system-x86_64 --version | head -n 1)"
	echo "guest RAM: pseudo-random pages, ${ZERO}% zero at random; $REPS rounds per row, the median [min-max]"
}

ms() { date +%s%3N; }

# kv KEY: the value of KEY in the key=value line on stdin
kv() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

# mbs BYTES MS: MB/s
mbs() { awk -v b="$1" -v t="$2" 'BEGIN { if (t <= 0) t = 1; printf "%.0f\n", b / t / 1000 }'; }

# median FILE: "MEDIAN [MIN-MAX]" of the numbers in FILE, one a line
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%s [%s-%s]", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# ratio A B: A/B as "0.97x"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'; }

# --- one run of each program; each appends its MB/s to $dir/v.NAME ---

run_save() {
	rm -f "$dir/state.sav"
	"$bench" save "$ram" "$dir/state.sav" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
	cat "$log" >>"$dir/save.lines"
	kv ram_mb_s <"$log" >>"$dir/v.save"
}

# fio_mbs FILE read|write [FIO-OPTIONS...]: sequential 1 MiB O_DIRECT at
# depth 8 over $bytes of FILE -> MB/s
fio_mbs() {
	f=$1 rw=$2
	shift 2
	fio --name=bench --filename="$f" --size="$bytes" --ioengine=io_uring \
		--rw="$rw" --bs=1M --iodepth=8 --direct=1 "$@" \
		--output-format=json >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>)->{jobs}[0];
		printf "%.0f\n", $j->{$ARGV[0]}{io_bytes} / ($j->{job_runtime} / 1000) / 1e6;' \
		"$rw" <"$log"
}

run_fio_write() {
	rm -f "$dir/fio.img"
	fio_mbs "$dir/fio.img" write --end_fsync=1 >>"$dir/v.fio"
	rm -f "$dir/fio.img"
}

run_dd() {
	rm -f "$dir/dd.img"
	t0=$(ms)
	dd if="$ram" of="$dir/dd.img" bs=1M oflag=direct conv=fsync status=none
	t1=$(ms)
	mbs "$bytes" $((t1 - t0)) >>"$dir/v.dd"
	rm -f "$dir/dd.img"
}

# QMP: qmp SOCKET COMMAND-JSON... -> the last reply's "return", as JSON
qmp() {
	perl -MIO::Socket::UNIX -MJSON::PP -e '
		my $s = IO::Socket::UNIX->new(Peer => shift) or die "qmp: $!\n";
		my $j = JSON::PP->new->canonical;
		my $r;
		<$s>;
		for my $c ("{\"execute\":\"qmp_capabilities\"}", @ARGV) {
			print $s "$c\n";
			while (defined(my $l = <$s>)) {
				my $m = $j->decode($l);
				next if $m->{event};
				die "qmp: $l" if $m->{error};
				$r = $m->{return};
				last;
			}
		}
		print $j->encode($r), "\n";' "$@"
}

run_qemu() {
	rm -f "$dir/qemu.mig" "$dir/qemu.done" "$dir/qmp"
	qemu-system-x86_64 -machine q35,accel=tcg,memory-backend=ram0 -m "$size" -S \
		-object "memory-backend-file,id=ram0,size=$size,mem-path=$ram,share=off" \
		-nodefaults -display none -qmp "unix:$dir/qmp,server=on,wait=off" \
		>"$dir/qemu.log" 2>&1 &
	qpid=$!
	i=0
	while [ ! -S "$dir/qmp" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	qmp "$dir/qmp" '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1099511627776}}' >/dev/null
	t0=$(ms)
	qmp "$dir/qmp" "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > $dir/qemu.mig && sync $dir/qemu.mig && touch $dir/qemu.done\"}}" >/dev/null
	while :; do
		st=$(qmp "$dir/qmp" '{"execute":"query-migrate"}')
		case $st in
		*'"status":"completed"'*) break ;;
		*'"status":"failed"'*) echo "save.sh: QEMU's migration failed: $st" >&2; exit 1 ;;
		esac
		sleep 0.05
	done
	while [ ! -e "$dir/qemu.done" ]; do sleep 0.01; done
	t1=$(ms)
	echo "$st" | perl -MJSON::PP -e 'local $/; my $m = decode_json(<STDIN>);
		printf "%d %d\n", $m->{"total-time"}, $m->{ram}{"normal-bytes"}' >>"$dir/qemu.lines"
	kill $qpid 2>/dev/null || :
	wait $qpid 2>/dev/null || :
	qpid=
	mbs "$bytes" $((t1 - t0)) >>"$dir/v.qemu"
	echo "$(stat -c %s "$dir/qemu.mig")" >>"$dir/qemu.sizes"
	rm -f "$dir/qemu.mig"
}

run_eager() {
	"$bench" eager "$ram" "$dir/state.sav" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
	[ "$(kv bad_pages <"$log")" = 0 ] || { echo "save.sh: eager restore differs:" >&2; cat "$log" >&2; exit 1; }
	cat "$log" >>"$dir/eager.lines"
	kv ram_mb_s <"$log" >>"$dir/v.eager"
}

run_fio_read() {
	fio_mbs "$dir/state.sav" read --invalidate=1 >>"$dir/v.fioread"
}

run_lazy() {
	"$bench" lazy "$ram" "$dir/state.sav" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
	[ "$(kv bad_pages <"$log")" = 0 ] || { echo "save.sh: lazy restore differs:" >&2; cat "$log" >&2; exit 1; }
	cat "$log" >>"$dir/lazy.lines"
}

# col FILE KEY: "MEDIAN [MIN-MAX]" of KEY over the key=value lines of FILE
col() { kv "$2" <"$1" >"$dir/col"; median "$dir/col"; }

one_size() {
	size=$1
	rm -f "$dir"/v.* "$dir"/*.lines "$dir/qemu.sizes"
	"$bench" fill -s "$size" -z "$ZERO" "$ram" >"$log" || { cat "$log" >&2; exit 1; }
	bytes=$(stat -c %s "$ram")
	r=1
	while [ $r -le "$REPS" ]; do
		case $((r % 4)) in
		1) run_save; run_fio_write; run_dd; run_qemu ;;
		2) run_fio_write; run_dd; run_qemu; run_save ;;
		3) run_dd; run_qemu; run_save; run_fio_write ;;
		0) run_qemu; run_save; run_fio_write; run_dd ;;
		esac
		r=$((r + 1))
	done
	r=1
	while [ $r -le "$REPS" ]; do
		if [ $((r % 2)) = 1 ]; then run_eager; run_fio_read; else run_fio_read; run_eager; fi
		run_lazy
		r=$((r + 1))
	done
	s=$(median "$dir/v.save") f=$(median "$dir/v.fio") d=$(median "$dir/v.dd")
	q=$(median "$dir/v.qemu") e=$(median "$dir/v.eager") fr=$(median "$dir/v.fioread")
	echo
	echo "### $size guest ($(kv data_pages <"$dir/save.lines" | head -n 1) data pages, $(kv zero_pages <"$dir/save.lines" | head -n 1) zero)"
	echo
	echo "| row | MB/s of guest RAM | vmain / it |"
	echo "| --- | ---: | ---: |"
	echo "| vmain save (savefile_write) | $s | |"
	echo "| fio, 1 MiB O_DIRECT writes, depth 8 | $f | $(ratio "${s%% *}" "${f%% *}") |"
	echo "| dd, 1 MiB O_DIRECT writes | $d | $(ratio "${s%% *}" "${d%% *}") |"
	echo "| QEMU migrate to a file, until fsynced | $q | $(ratio "${s%% *}" "${q%% *}") |"
	echo "| vmain eager restore (savefile_read_ram) | $e | |"
	echo "| fio, 1 MiB O_DIRECT reads, depth 8 | $fr | $(ratio "${e%% *}" "${fr%% *}") |"
	echo
	echo "- save: $(col "$dir/save.lines" seconds) s, CPU $(col "$dir/save.lines" cpu_ms) ms, $(kv writes <"$dir/save.lines" | head -n 1) writes, $(col "$dir/save.lines" sqes_per_mib) SQEs per MiB written, O_DIRECT $(kv direct <"$dir/save.lines" | head -n 1)"
	echo "- page cache during the save: Cached + Dirty rose by at most $(col "$dir/save.lines" cache_peak_kib) KiB; the save file's pages cached after it: $(col "$dir/save.lines" file_cached_kib) KiB"
	echo "- QEMU: its total-time $(cut -d' ' -f1 "$dir/qemu.lines" >"$dir/col"; median "$dir/col") ms; its file $(head -n 1 "$dir/qemu.sizes") bytes, vmain's $(stat -c %s "$dir/state.sav") ($(du -k "$dir/state.sav" | cut -f1) KiB on disk)"
	echo "- eager restore: $(col "$dir/eager.lines" seconds) s, CPU $(col "$dir/eager.lines" cpu_ms) ms, $(kv reads <"$dir/eager.lines" | head -n 1) reads"
	echo "- lazy restore, to the guest's first instruction (open, check, map): $(col "$dir/lazy.lines" to_first_insn_ms) ms wall, $(col "$dir/lazy.lines" cpu_ms) ms CPU; then every page touched once: $(col "$dir/lazy.lines" touch_mb_s) MB/s"
	echo
	echo "vmain's lines:"
	sed 's/^/    /' "$dir/save.lines" "$dir/eager.lines" "$dir/lazy.lines"
}

# The worst case for the writer: the zero pages are holes of the RAM file
# (pages of a memfd the guest never touched), scattered one by one.  A
# write never reads a hole (that would allocate it), so each one ends a
# write: many small writes instead of 2 MiB ones.  A guest's untouched
# memory comes in large ranges, not in lone pages.
holes() {
	rm -f "$dir/save.lines" "$dir/v.save"
	"$bench" fill -H -s "$1" -z "$ZERO" "$ram" >"$log" || { cat "$log" >&2; exit 1; }
	r=1
	while [ $r -le "$REPS" ]; do run_save; r=$((r + 1)); done
	echo
	echo "### $1 guest, its ${ZERO}% zero pages holes of the RAM file, one by one"
	echo
	echo "- vmain save: $(median "$dir/v.save") MB/s of guest RAM, $(kv writes <"$dir/save.lines" | head -n 1) writes, $(col "$dir/save.lines" sqes_per_mib) SQEs per MiB written"
}

machine
for size in $SIZES; do
	one_size "$size"
done
holes "$(echo "$SIZES" | cut -d' ' -f1)"
