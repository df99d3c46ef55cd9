#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A control socket forwarded out of the SVM arena (issue 13, `make run`
# with a desktop): arena-svm -S HOST:GUEST joins a UNIX socket on the host
# to `vmain run --display`'s control socket in the arena (build/tools/
# sockbridge over a virtio-serial port), and arena-svm -u runs the monitor
# as the host client's uid, so that EXTERNAL (the uid the client claims,
# checked against SO_PEERCRED of the bridge's connection) lets it in.
# On the host, through the forwarded socket:
# - gdbus reads org.vmain.VM1.State: running (each try a new connection:
#   the bridge takes one client after another);
# - the example viewer with --inline (no fd crosses) gets the guest's
#   pattern, and display-check finds it pixel for pixel;
# - vmain-gtk --inline, as `make run` opens it, shows the same pattern in
#   its window under Xvfb (tests/monitor/forward-app.sh);
# - a client of another uid is refused;
# - Stop(0) ends the VM (tests/monitor/forward-guest.sh checks that, and
#   that the guest drew its pattern).
# As root, the VM's owner and the host clients are uid 65534 (setpriv), so
# that the uid passed into the arena is tested; FORWARD_UID picks another
# (0: root on both sides).
. "$(dirname "$0")/../lib/arena-tap.sh"

"$TOP/scripts/guest-image" -q "$TOP/build/guest" || { echo "not ok 1 - scripts/guest-image failed"; echo "1..1"; exit 0; }
me=$(id -u)
fuid=${FORWARD_UID:-$([ "$me" = 0 ] && echo 65534 || echo "$me")}
w=$(mktemp -d "${TMPDIR:-/tmp}/forward.XXXXXX")
chmod 711 "$w"
mkdir -m 700 "$w/c"
sock=$w/c/fwd.sock
as=""
other=""
if [ "$fuid" != "$me" ]; then
	chown "$fuid:$fuid" "$w/c"
	as="setpriv --reuid=$fuid --regid=$fuid --clear-groups --"
elif [ "$me" = 0 ]; then
	other="setpriv --reuid=65534 --regid=65534 --clear-groups --"
fi
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
state() {
	timeout 20 $1 gdbus call --address "unix:path=$sock" --dest org.vmain.VM \
		--object-path /org/vmain/VM --method org.freedesktop.DBus.Properties.Get \
		org.vmain.VM1 State 2>&1
}
echo "# the arena's monitor and the host's clients: uid $fuid"
t0=$(date +%s)
"$TOP/scripts/arena-svm" -q -t 420 -u "$fuid" -S "$sock:/tmp/forward/xdg/vmain/fwd.sock" \
	-f "$TOP/build/monitor/vmain" -f "$TOP/build/guest" -f "$TOP/tests/monitor/forward-guest.sh" -- \
	"$TOP/tests/monitor/forward-guest.sh" "$TOP/build/monitor/vmain" "$TOP/build/guest" 360 \
	>"$w/arena.out" 2>"$w/arena.err" &
arena=$!
trap 'kill "$arena" 2>/dev/null; rm -rf "$w" "$tap_log"' EXIT

# QEMU makes the socket (root's, or ours, 0755 by umask): hand it to fuid.
i=0
while [ ! -S "$sock" ] && [ $i -lt 300 ] && kill -0 "$arena" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
[ -S "$sock" ] && [ "$fuid" != "$me" ] && chown "$fuid:$fuid" "$sock"

# The boot under TCG: the monitor's socket appears once the VM starts.
got=""
while [ $(($(date +%s) - t0)) -lt 300 ] && kill -0 "$arena" 2>/dev/null; do
	got=$(state "$as")
	case "$got" in *"'running'"*) break ;; esac
	sleep 2
done
case "$got" in
*"'running'"*) ok "gdbus through the forwarded socket: State is running ($(($(date +%s) - t0)) s)" ;;
*) nok "gdbus through the forwarded socket: State is running (got: $got)" ;;
esac

# The screen, once the guest has drawn its pattern (it boots on meanwhile).
pass=""
tries=0
while [ $(($(date +%s) - t0)) -lt 330 ] && kill -0 "$arena" 2>/dev/null; do
	tries=$((tries + 1))
	rm -f "$w/c/inline.png"
	$as timeout 90 "$TOP/build/examples/display-viewer" --inline --settle 1500 --timeout 60 \
		"$sock" "$w/c/inline.png" >"$w/viewer.out" 2>&1
	if "$TOP/build/tests/monitor/display-check" "$w/c/inline.png" 1024x768 >"$w/check.out" 2>&1; then
		pass=1
		break
	fi
	sleep 2
done
sed 's/^/#   /' "$w/viewer.out" "$w/check.out"
if [ -n "$pass" ]; then
	ok "the example viewer (--inline) through the forwarded socket: the guest's pattern ($tries tries)"
else
	nok "the example viewer (--inline) through the forwarded socket: the guest's pattern ($tries tries)"
fi

# The desktop app through the same socket, as `make run` opens it.
if xvfb-run -a -s '-ac -screen 0 1280x1024x24 -nolisten tcp' \
	sh "$TOP/tests/monitor/forward-app.sh" "$TOP" "$sock" "$w/c" $as >"$w/app-run.out" 2>&1; then
	ok "vmain-gtk --inline through the forwarded socket: the guest's pattern in its window ($(tr '\n' ' ' <"$w/app-run.out"))"
else
	nok "vmain-gtk --inline through the forwarded socket: the guest's pattern in its window"
	sed 's/^/#   /' "$w/app-run.out" "$w/c/app.err" "$w/c/app-check.out" 2>/dev/null | tail -20
fi

got=$(state "$as")
case "$got" in
*"'running'"*) ok "a new client after the viewer left: State is running" ;;
*) nok "a new client after the viewer left: State is running (got: $got)" ;;
esac
if [ "$fuid" != "$me" ]; then
	other=""
	who=$me
else
	who=65534
fi
if [ "$fuid" != "$me" ] || [ -n "$other" ]; then
	[ "$fuid" = "$me" ] && chmod 755 "$w/c" && chmod 777 "$sock"
	got=$(state "$other")
	case "$got" in
	*"'running'"*) nok "a client of uid $who is refused (got: $got)" ;;
	*) ok "a client of uid $who is refused"; echo "#   $got" ;;
	esac
	[ "$fuid" = "$me" ] && chmod 700 "$w/c"
fi

got=$($as timeout 20 gdbus call --address "unix:path=$sock" --dest org.vmain.VM \
	--object-path /org/vmain/VM --method org.vmain.VM1.Stop 0 2>&1)
case "$got" in
"()") ok "Stop(0) through the forwarded socket" ;;
*) nok "Stop(0) through the forwarded socket (got: $got)" ;;
esac

wait "$arena"
rc=$?
arena=""
while IFS= read -r line; do
	case "$line" in
	"not ok"*|"ok"*) n=$((n + 1)); echo "$line" | sed "s/^\(not ok\|ok\) [0-9]*/\1 $n/" ;;
	*) echo "# $line" ;;
	esac
done <"$w/arena.out"
if [ $rc = 0 ]; then
	ok "the arena run is clean ($(($(date +%s) - t0)) s)"
else
	nok "the arena run is clean: exit status $rc"
	arena_tap_why "$w/arena.out" "$w/arena.err" >&2
fi
echo "1..$n"
