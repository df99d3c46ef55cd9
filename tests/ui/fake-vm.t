#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The app tests' stand-in VM (tests/ui/fake-vm.c) on the host: vmain list
# and status see it running on a bundle, VM1's states and errors with
# gdbus, Display1 (the monitor's own code) shows the documented pattern
# (fake-pattern.h) to examples/display-viewer pixel for pixel, input
# reaches its log, a preferred size becomes a new mode, Stop and SIGTERM
# end it, --no-display has no Display1.
top=$(cd "$(dirname "$0")/../.." && pwd)
b="$top/build"
. "$top/tests/lib/tap.sh"
# The ASan/UBSan fake VM when make check built one, as the other tests do.
fake="$top/build-asan/tests/ui/fake-vm"
[ -x "$fake" ] || fake="$b/tests/ui/fake-vm"
for p in monitor/vmain tests/ui/fake-vm tests/ui/shot-check examples/display-viewer; do
	if [ ! -x "$b/$p" ]; then
		echo "1..1"; echo "not ok 1 - $b/$p is not built (make -j2 $b/$p)"; exit 1
	fi
done
command -v gdbus >/dev/null || { echo "1..1"; echo "not ok 1 - gdbus is missing (scripts/deps)"; exit 1; }

tmp=$(mktemp -d /tmp/fake-vm-t.XXXXXX)
export VMAIN_VMS_DIR="$tmp/vms" VMAIN_RUNTIME_DIR="$tmp/run"
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
A="unix:path=$tmp/run/web.sock"
call() { timeout 10 gdbus call --address "$A" --dest org.vmain.VM --object-path /org/vmain/VM "$@"; }
waitlog() { # waitlog LINE-PATTERN [SECONDS]: the log has a matching line
	i=0
	while [ $i -lt $((${2:-5} * 20)) ]; do
		grep -qE "$1" "$tmp/log" 2>/dev/null && return 0
		sleep 0.05; i=$((i + 1))
	done
	echo "no line /$1/ in the log:"; cat "$tmp/log"; return 1
}
# gone PID: it ended within 5 s (a zombie until this shell waits counts).
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }
gone() { i=0; while alive "$1" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; ! alive "$1"; }

"$b/monitor/vmain" create --memory 1G --cpus 2 web >/dev/null
"$fake" --log "$tmp/log" web & pid=$!
check "it serves web.sock" waitlog "^ready $tmp/run/web.sock\$"
check "vmain list --json: running, its pid, the bundle's memory and CPUs" \
	sh -c "'$b/monitor/vmain' list --json | grep -F '\"state\": \"running\"' | grep -F '\"pid\": $pid' | grep -F '\"memory\": 1073741824, \"cpus\": 2'"
check "vmain status: accel fake" sh -c "'$b/monitor/vmain' status web | grep -E '^accel: +fake\$'"
check "a second fake-vm web is refused (the locks)" sh -c "! '$fake' --log /dev/null web"
check "GetAll: Name, Accel, Config" sh -c "timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM \
	--method org.freedesktop.DBus.Properties.GetAll org.vmain.VM1 | grep -F \"'Name': <'web'>\" | grep -F \"'Accel': <'fake'>\" | grep -F 'memory=1G'"

# The screen.
check "display-viewer saves the screen" timeout 20 "$b/examples/display-viewer" "$tmp/run/web.sock" "$tmp/a.png"
check "it is the pattern, 1024x768, pixel for pixel" "$b/tests/ui/shot-check" "$tmp/a.png" 1024 768 0 0
check "Key 30 down with gdbus" call --method org.vmain.Display1.Key 30 true
check "the guest gets key 30 down" waitlog '^key 30 down$'
check "PointerMotion 100 200" call --method org.vmain.Display1.PointerMotion 100 200
check "the guest gets abs 100 200" waitlog '^abs 100 200$'
check "PointerButtons 5, Wheel 1 -2" sh -c "timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM --method org.vmain.Display1.PointerButtons 5 && timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM --method org.vmain.Display1.Wheel -- 1 -2"
check "the guest gets buttons 5 and wheel 1 -2" sh -c "grep -qx 'buttons 5' '$tmp/log' && grep -qx 'wheel 1 -2' '$tmp/log'"
check "a key code 0 is InvalidArgs" sh -c "timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM --method org.vmain.Display1.Key 0 true 2>&1 | grep -F org.vmain.Error.InvalidArgs"
check "a viewer asks for 800x600" timeout 20 "$b/examples/display-viewer" --size 800x600 "$tmp/run/web.sock" "$tmp/b.png"
check "the guest takes it: mode 800 600" waitlog '^mode 800 600$'
check "display-viewer sees the pattern at 800x600" sh -c "timeout 20 '$b/examples/display-viewer' '$tmp/run/web.sock' '$tmp/c.png' && '$b/tests/ui/shot-check' '$tmp/c.png' 800 600 0 0"

# VM1's states.
check "Pause" call --method org.vmain.VM1.Pause
check "State is paused" sh -c "timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM --method org.freedesktop.DBus.Properties.Get org.vmain.VM1 State | grep -F paused"
check "a second Pause: InvalidState, the VM is paused" sh -c "timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM --method org.vmain.VM1.Pause 2>&1 | grep -F 'org.vmain.Error.InvalidState: the VM is paused'"
check "Save: Failed, fake VM" sh -c "timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM --method org.vmain.VM1.Save 2>&1 | grep -F 'org.vmain.Error.Failed: fake VM'"
check "Resume" call --method org.vmain.VM1.Resume
check "SIGUSR1 logs the listener calls" sh -c "kill -USR1 $pid"
check "stats line" waitlog '^stats frame=0 calls=[1-9]'
check "Stop 30" call --method org.vmain.VM1.Stop 30
check "shutting-down, then stopped" waitlog '^state shutting-down$'
check "the process ends" gone "$pid"
check "stopped after shutting-down" sh -c "tail -n 2 '$tmp/log' | grep -qx 'state stopped'"
check "the socket and NAME.lock are gone" sh -c "[ ! -e '$tmp/run/web.sock' ] && [ ! -e '$tmp/run/web.lock' ]"
check "vmain list: stopped" sh -c "'$b/monitor/vmain' list --json | grep -F '\"state\": \"stopped\"'"

# A viewer through a restart (as across vmain save and vmain start): it
# waits for the socket to serve again, registers again and saves the new
# process's screen.
: > "$tmp/log"
"$fake" --log "$tmp/log" web & pid=$!
waitlog '^ready ' >/dev/null
"$b/examples/display-viewer" --through-restart 20 --settle 500 --timeout 40 "$tmp/run/web.sock" \
	"$tmp/r.png" >"$tmp/r.out" 2>&1 & vpid=$!
sleep 1
kill -TERM "$pid"; gone "$pid"
: > "$tmp/log"
"$fake" --log "$tmp/log" --size 640x480 web & pid=$!
wait "$vpid"; rc=$?
check "display-viewer --through-restart: detached, attached to the new process, saved ($(tr '\n' ' ' <"$tmp/r.out"))" \
	sh -c "[ $rc = 0 ] && grep -q '^detached' '$tmp/r.out' && grep -q '^attached again' '$tmp/r.out'"
check "and what it saved is the new process's screen (640x480), pixel for pixel" \
	"$b/tests/ui/shot-check" "$tmp/r.png" 640 480 0 0
kill -TERM "$pid"; gone "$pid"

# Headless, and SIGTERM.
: > "$tmp/log"
"$fake" --no-display --log "$tmp/log" web & pid=$!
check "--no-display serves" waitlog '^ready '
check "--no-display: no Display1" sh -c "timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM --method org.vmain.Display1.GetScanout 2>&1 | grep -E 'Unknown(Interface|Method)'"
check "--no-display: VM1 answers" call --method org.freedesktop.DBus.Properties.Get org.vmain.VM1 State
kill -TERM "$pid"
check "SIGTERM: the process ends" gone "$pid"
check "SIGTERM: shutting-down, then stopped" sh -c "grep -qx 'state shutting-down' '$tmp/log' && grep -qx 'state stopped' '$tmp/log'"
pid=
echo "1..$n"
