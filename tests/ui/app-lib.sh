# SPDX-License-Identifier: GPL-2.0-or-later
# tests/ui/app-lib.sh - what the desktop app's end-to-end tests (app.t,
# wm.t) share, sourced at their top: TAP output, their own Xvfb (the test
# runs itself again under xvfb-run), a fresh directory for bundles,
# sockets and settings, the stand-in VM (tests/ui/fake-vm) and the app
# started in the background and killed at the end, the app's SIGUSR1
# report, clicks on its named widgets, and screenshots checked against
# the stand-in's pattern.
top=$(cd "$(dirname "$0")/../.." && pwd)
b="$top/build"
# The ASan/UBSan build when make check made one (leaks not reported: GTK's
# and fontconfig's caches live until exit); any sanitizer report fails below.
app=${VMAIN_GTK:-$top/build-asan/ui/vmain-gtk}
[ -x "$app" ] || app=$b/ui/vmain-gtk
export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
# The library runs this vmain (an ASan app would look for build-asan's).
export VMAIN_CLI="$b/monitor/vmain"
. "$top/tests/lib/tap.sh"
fail_all() { echo "1..1"; echo "not ok 1 - $1"; exit 1; }
for p in "$app" "$b/monitor/vmain" "$b/tests/ui/fake-vm" "$b/tests/ui/shot-check" "$b/tests/ui/cursor-check"; do
	[ -x "$p" ] || fail_all "$p is not built (make)"
done
for t in xvfb-run xdotool import setxkbmap gdbus; do
	command -v $t >/dev/null || fail_all "$t is missing (scripts/deps test)"
done

# Our own X server: 24-bit, large enough for a 1024x768 guest at 1.5.
if [ -z "${APP_T_XVFB:-}" ]; then
	APP_T_XVFB=1 exec xvfb-run -a -s '-screen 0 1920x1400x24 -nolisten tcp' sh "$0" "$@"
fi

tmp=$(mktemp -d /tmp/app-t.XXXXXX)
shots="$b/ui-shots"
mkdir -p "$shots"
export VMAIN_VMS_DIR="$tmp/vms" VMAIN_RUNTIME_DIR="$tmp/run" XDG_CONFIG_HOME="$tmp/config"
export NO_AT_BRIDGE=1 GDK_BACKEND=x11
fake="$top/build-asan/tests/ui/fake-vm"
[ -x "$fake" ] || fake="$b/tests/ui/fake-vm"
pids=""
cleanup() { for p in $pids; do kill -9 "$p" 2>/dev/null; done; [ -n "${APP_T_KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
A="unix:path=$tmp/run/web.sock"
call() { timeout 10 gdbus call --address "$A" --dest org.vmain.VM --object-path /org/vmain/VM "$@"; }
waitfor() { # waitfor FILE PATTERN [SECONDS]
	i=0
	while [ $i -lt $((${3:-10} * 20)) ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05; i=$((i + 1))
	done
	echo "no line /$2/ in $1:"; tail -20 "$1"; return 1
}
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
gone() { i=0; while alive "$1" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; ! alive "$1"; }
# start_vm NAME [OPTIONS]: a fake VM logging to $tmp/NAME.log; $vm_pid
start_vm() {
	name=$1; shift
	: >"$tmp/$name.log"
	"$fake" --log "$tmp/$name.log" "$@" "$name" 2>>"$tmp/$name.err" & vm_pid=$!
	pids="$pids $vm_pid"
	waitfor "$tmp/$name.log" '^ready ' 10 >/dev/null
}
# start_app LOG ARGS...: vmain-gtk; $app_pid, its stdout in LOG.out, stderr in LOG.err
start_app() {
	log=$1; shift
	: >"$log.out"; : >"$log.err"
	# Appending: a SIGUSR1 report after the test empties LOG.out starts at its top.
	"$app" "$@" >>"$log.out" 2>"$log.err" & app_pid=$!
	pids="$pids $app_pid"
}
# stats PID LOG: the app's SIGUSR1 lines, fresh
stats() {
	: >"$2.out"
	kill -USR1 "$1"
	waitfor "$2.out" '^(display|library)' 5 >/dev/null
	sleep 0.1
	cat "$2.out"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" | head -1; }
# updates_come PID LOG: the window's update count once above 0 (up to 10 s), else 0
updates_come() {
	i=0 u=0
	while [ $i -lt 50 ]; do
		u=$(stats "$1" "$2" | field updates)
		[ "${u:-0}" -gt 0 ] && break
		sleep 0.2; i=$((i + 1))
	done
	echo "${u:-0}"
}
# click PID LOG WIDGET: click the middle of the app's widget of that name
# (where the app's SIGUSR1 report says it is: fonts decide button sizes).
click() {
	set -- $(stats "$1" "$2" | sed -n "s/^widget $3 \([0-9-]*\) \([0-9-]*\) \([0-9]*\) \([0-9]*\)\$/\1 \2 \3 \4/p" | head -1)
	[ $# = 4 ] || { echo "no widget $3"; return 1; }
	xdotool mousemove $(($1 + $3 / 2)) $(($2 + $4 / 2)) click 1
}
# window NAME: the X window whose title is exactly NAME (waits up to 10 s)
# window TITLE: the visible window of that title of the app started last
# ($app_pid).  Not any app's: the window of an app killed just before may
# not be destroyed yet, and xdotool on it fails (BadWindow) while
# import -window on it waits for a click for good.
window() {
	timeout 10 xdotool search --sync --onlyvisible --all ${app_pid:+--pid "$app_pid"} \
		--name "^$1\$" 2>/dev/null | head -1
}
# shot_win WINDOW FILE: a screenshot of one window (never waiting for a click).
shot_win() { [ -n "$1" ] && timeout 20 import -window "$1" "$2" 2>/dev/null; }
shot_at() { timeout 20 import -window root "$1" 2>/dev/null; }
# pattern DESC: a screenshot now shows the fake VM's 1024x768 screen pixel
# for pixel (shot-check's verdict in $tmp/check, the image in $tmp/shot.png).
pattern() {
	shot_at "$tmp/shot.png"
	if "$b/tests/ui/shot-check" "$tmp/shot.png" 1024 768 >"$tmp/check" 2>&1; then
		ok "$1 ($(cat "$tmp/check"))"
	else
		nok "$1"; sed 's/^/# /' "$tmp/check"; return 1
	fi
}
position() { xdotool getwindowgeometry "$1" | sed -n 's/.*Position: \([0-9]*,[0-9]*\).*/\1/p'; }
# px X Y: the colour at X,Y of the X screen now, as RRGGBB
px() { timeout 20 import -window root -crop "1x1+$1+$2" txt:- 2>/dev/null | sed -n 's/.*#\([0-9A-Fa-f]\{6\}\).*/\1/p' | head -1; }
# close_window WIN: its header bar's close button, as a person closes it
# (the window's top right corner: GTK draws the bar, there is no manager)
close_window() {
	set -- "$1" "$(position "$1")" "$(xdotool getwindowgeometry "$1" | sed -n 's/.*Geometry: \([0-9]*\)x.*/\1/p')"
	xdotool mousemove $((${2%,*} + $3 - 24)) $((${2#*,} + 25)) click 1
}
