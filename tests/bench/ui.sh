#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/bench/ui.sh BUILD - vmain-gtk's numbers (docs/perf.md, "The desktop
# app"), under Xvfb against tests/ui/fake-vm:
#   - a guest flushing its whole 1920x1080 screen as fast as the display tap
#     lets it: the updates the app takes and draws a second, and its CPU,
#     at 1:1 and at 1.5 (fit in a 2880x1620 drawing area);
#   - an idle guest screen: the app's context switches and CPU in 10 s;
#   - a 64x64 flush to pixels on the X server (tests/bench/ui-latency.c).
set -eu
b=$(cd "${1:-build}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
app=${VMAIN_GTK:-$b/ui/vmain-gtk}
if [ -z "${UI_BENCH_XVFB:-}" ]; then
	UI_BENCH_XVFB=1 exec xvfb-run -a -s '-screen 0 3000x1750x24 -nolisten tcp' sh "$0" "$@"
fi
tmp=$(mktemp -d /tmp/ui-bench.XXXXXX)
export VMAIN_VMS_DIR="$tmp/vms" VMAIN_RUNTIME_DIR="$tmp/run" XDG_CONFIG_HOME="$tmp/config"
export NO_AT_BRIDGE=1 GDK_BACKEND=x11
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
switches() { cat /proc/$1/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }
stat_field() { : >"$tmp/app.out"; kill -USR1 "$1"; sleep 0.3; sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$tmp/app.out" | head -1; }

# run_vm ARGS...: the fake VM "web"; run_app ARGS...: the app on it
run_vm() { "$b/tests/ui/fake-vm" --log "$tmp/vm.log" "$@" web & vm=$!; pids="$pids $vm"; sleep 0.5; }
run_app() { "$app" "$@" web >"$tmp/app.out" 2>"$tmp/app.err" & a=$!; pids="$pids $a"; sleep 2.5; }
stop_all() { kill $a $vm 2>/dev/null || true; wait $a $vm 2>/dev/null || true; }

"$b/monitor/vmain" create --display web >/dev/null
echo "vmain-gtk: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), Xvfb 24-bit"

# A full screen of 1920x1080 redrawn continuously.
for mode in 1:1 1.5; do
	run_vm --size 1920x1080 --redraw-ms 1 --full
	if [ "$mode" = 1:1 ]; then
		run_app --scaling 1:1
	else
		run_app --scaling fit
		win=$(xdotool search --name '^web$' | head -1)
		area=$(stat_field $a area)
		geo=$(xdotool getwindowgeometry "$win" | sed -n 's/.*Geometry: \([0-9]*x[0-9]*\).*/\1/p')
		xdotool windowsize "$win" $((${geo%x*} - ${area%x*} + 2880)) $((${geo#*x} - ${area#*x} + 1620))
		sleep 1.5
	fi
	u0=$(stat_field $a updates); d0=$(stat_field $a draws); t0=$(ticks $a)
	sleep 10
	u1=$(stat_field $a updates); d1=$(stat_field $a draws); t1=$(ticks $a)
	scale=$(stat_field $a scale)
	echo "1920x1080 full-screen redraws at scale $scale: $(( (u1 - u0) / 10 )) updates/s taken, $(( (d1 - d0) / 10 )) draws/s, app CPU $(( (t1 - t0) * 100 / hz / 10 ))% of one core"
	stop_all
done

# An idle screen.
run_vm --size 1920x1080
run_app --scaling 1:1
c0=$(switches $a); t0=$(ticks $a)
sleep 10
c1=$(switches $a); t1=$(ticks $a)
echo "idle guest screen, 10 s: $((c1 - c0)) context switches (all the app's threads), $((t1 - t0)) CPU ticks"
stop_all

# Latency of a 64x64 flush.
run_vm
run_app --scaling 1:1
import -window root "$tmp/shot.png"
at=$("$b/tests/ui/shot-check" "$tmp/shot.png" 1024 768 | sed -n 's/.* at \([0-9]*\),\([0-9]*\).*/\1 \2/p')
x=$(( ${at% *} + 96 )); y=$(( ${at#* } + 96 ))
"$b/tests/bench/ui-latency" $vm $x $y 300
stop_all
