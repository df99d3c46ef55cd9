#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/monitor/lifecycle.t): a VM's life
# through the CLI and the control API, on both backends: create, start
# --headless, status, pause (the guest's counter and clocks stand still
# for 2 s), resume, console attach/type/detach (twice), a second start
# refused, gdbus as docs/api.md shows it, bad calls, a wrong uid refused,
# 4 clients x 250 calls while the guest runs, stop, start again, kill -9
# and an immediate start, kill, Type=notify through $NOTIFY_SOCKET, and no
# wakeups on the API path of an idle VM with a client connected.
# Prints TAP lines.  Usage: lifecycle-guest.sh VMAIN VMCTL-TEST GUEST-DIR
# [ACCELS]: the backends to take the VM through, "vmain kvm" unless given
# (make check: vmain, tests/monitor/lifecycle.t; make check-full: kvm,
# tests/guest-full/lifecycle-kvm.t).
vmain=$1 vmctl=$2 guest=$3 accels=${4:-vmain kvm}
w=/tmp/lifecycle
# The arena's root is made 0700; another uid must be able to run gdbus.
chmod 755 /
rm -rf "$w"; mkdir -p "$w/run" "$w/data"
export XDG_RUNTIME_DIR="$w/run" XDG_DATA_HOME="$w/data"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }
# is DESC WANT GOT
is() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1 (want '$2', got '$3')"; fi; }
# wait_for FILE PATTERN SECONDS
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
ticks() { grep -c '^VMAIN-GUEST: tick=' "$w/con"; }
last_tick() { grep '^VMAIN-GUEST: tick=' "$w/con" | tail -n 1 | tr -d '\r'; }
state() { "$vmain" status "$1" --json | sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p'; }
pid_of() { "$vmain" status "$1" --json | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'; }
ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

for accel in $accels; do
	vm=lc-$accel
	sock=$XDG_RUNTIME_DIR/vmain/$vm.sock
	: >"$w/con"
	"$vmain" create "$vm" --memory 256M --accel "$accel" --kernel "$guest/vmlinuz" \
		--initrd "$guest/initrd.img" --serial "$w/con" --stop-timeout 20 \
		--append "console=ttyS0 panic=-1 vmain.test=ticker" >"$w/out" 2>&1
	is "$accel: vmain create" 0 $?

	t0=$(ms)
	"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
	t1=$(ms)
	is "$accel: vmain start --headless returns 0 once the guest runs" 0 $rc
	echo "# $accel: start --headless took $((t1 - t0)) ms: $(cat "$w/out")"
	check "$accel: start says it runs, with the pid" grep -q "^$vm is running (pid [0-9]*)" "$w/out"
	is "$accel: status says running" running "$(state "$vm")"
	check "$accel: list shows it running" sh -c "'$vmain' list | grep -q '^$vm  *running '"
	check "$accel: list --json has it" sh -c "'$vmain' list --json | grep -q '\"name\": \"$vm\", \"state\": \"running\"'"
	check "$accel: the socket is mode 0600" [ "$(stat -c %a "$sock")" = 600 ]
	check "$accel: the guest ticks" wait_for "$w/con" "VMAIN-GUEST: ticker-ready" 120
	wait_for "$w/con" "tick=3 " 30

	# Pause: nothing in the guest advances for 2 s.
	"$vmain" pause "$vm"; is "$accel: pause" 0 $?
	is "$accel: status says paused" paused "$(state "$vm")"
	a=$(ticks); la=$(last_tick)
	sleep 2
	b=$(ticks); lb=$(last_tick)
	is "$accel: paused: the counter stands still over 2 s" "$a" "$b"
	is "$accel: paused: the guest's clocks stand still (the last tick is the same)" "$la" "$lb"
	"$vmain" pause "$vm" 2>"$w/err"; rc=$?
	is "$accel: pause while paused: status 4" 4 $rc
	check "$accel: ... with InvalidState's message" grep -q "paused" "$w/err"
	"$vmain" resume "$vm"; is "$accel: resume" 0 $?
	is "$accel: status says running again" running "$(state "$vm")"
	sleep 2
	c=$(ticks)
	check "$accel: resumed: the counter goes on ($b -> $c)" [ "$c" -gt "$b" ]
	echo "# $accel: before pause: $la; after resume: $(last_tick)"
	"$vmain" resume "$vm" 2>/dev/null; is "$accel: resume while running: status 4" 4 $?

	# The console, attached twice in turn: type, see, detach.
	for k in 1 2; do
		(sleep 1; printf 'echo console-$((6 * 7))-%s\r' "$k"; sleep 3; printf '\001d') |
			timeout 30 "$vmain" console "$vm" >"$w/console$k" 2>"$w/console$k.err"
		rc=$?
		is "$accel: console attach $k: detached with status 0" 0 $rc
		check "$accel: console attach $k: the command's output came back" \
			grep -q "console-42-$k" "$w/console$k"
		check "$accel: console attach $k: the history came first" \
			grep -q "VMAIN-GUEST: tick=" "$w/console$k"
	done
	is "$accel: still running after the console detached" running "$(state "$vm")"

	# One VM, one process.
	"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
	is "$accel: a second start is refused (status 4)" 4 $rc
	check "$accel: ... saying it already runs, with the pid" \
		grep -q "$vm is already running (pid [0-9]*)" "$w/out"

	# gdbus, as docs/api.md shows it.
	gdbus introspect --address "unix:path=$sock" --dest org.vmain.VM --object-path /org/vmain/VM >"$w/intro" 2>&1
	check "$accel: gdbus introspect shows org.vmain.VM1 and Console1" \
		sh -c "grep -q 'interface org.vmain.VM1' '$w/intro' && grep -q 'interface org.vmain.Console1' '$w/intro'"
	out=$(gdbus call --address "unix:path=$sock" --dest org.vmain.VM --object-path /org/vmain/VM \
		--method org.freedesktop.DBus.Properties.Get org.vmain.VM1 State 2>&1)
	is "$accel: gdbus: Get State" "(<'running'>,)" "$out"
	out=$(gdbus call --address "unix:path=$sock" --dest org.vmain.VM --object-path /org/vmain/VM \
		--method org.vmain.VM1.Pause 2>&1)
	is "$accel: gdbus: Pause" "()" "$out"
	out=$(gdbus call --address "unix:path=$sock" --dest org.vmain.VM --object-path /org/vmain/VM \
		--method org.vmain.VM1.Pause 2>&1)
	check "$accel: gdbus: Pause again: org.vmain.Error.InvalidState ($out)" \
		sh -c "echo '$out' | grep -q org.vmain.Error.InvalidState"
	out=$(gdbus call --address "unix:path=$sock" --dest org.vmain.VM --object-path /org/vmain/VM \
		--method org.vmain.VM1.Resume 2>&1)
	is "$accel: gdbus: Resume" "()" "$out"
	# gdbus monitor sees the state signals.
	timeout 8 gdbus monitor --address "unix:path=$sock" --dest org.vmain.VM >"$w/monitor" 2>&1 &
	mon=$!
	sleep 2
	"$vmain" pause "$vm"; "$vmain" resume "$vm"
	wait $mon
	check "$accel: gdbus monitor shows StateChanged paused, then running" \
		sh -c "grep -q \"StateChanged ('paused',)\" '$w/monitor' && grep -q \"StateChanged ('running',)\" '$w/monitor'"
	sed 's/^/#   /' "$w/monitor" | head -n 6
	out=$(gdbus call --address "unix:path=$sock" --dest org.vmain.VM --object-path /org/vmain/VM \
		--method org.vmain.VM1.Frobnicate 2>&1)
	check "$accel: an unknown method: UnknownMethod" sh -c "echo '$out' | grep -q UnknownMethod"
	"$vmctl" badargs "$sock" >"$w/badargs" 2>&1
	check "$accel: Stop with a string: InvalidArgs" \
		grep -qx "Stop: org.freedesktop.DBus.Error.InvalidArgs" "$w/badargs"
	check "$accel: Pause with an argument: InvalidArgs" \
		grep -qx "Pause: org.freedesktop.DBus.Error.InvalidArgs" "$w/badargs"
	sed 's/^/#   /' "$w/badargs"
	out=$(gdbus call --address "unix:path=$sock" --dest org.vmain.VM --object-path /org/vmain/Other \
		--method org.vmain.VM1.Pause 2>&1)
	check "$accel: a wrong object path: an error" sh -c "echo '$out' | grep -q Error"
	is "$accel: running after the bad calls" running "$(state "$vm")"

	# Another uid: the socket's mode keeps it out; opened up, SO_PEERCRED does.
	/usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups "$vmctl" connect "$sock" \
		>"$w/other" 2>&1
	rc=$?
	sed 's/^/#   /' "$w/other" | head -n 2
	check "$accel: uid 65534 cannot connect (mode 0700 directory: permission denied)" \
		sh -c "[ $rc != 0 ] && grep -q 'Permission denied' '$w/other'"
	chmod 0711 "$w" "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/vmain"; chmod 0666 "$sock"
	/usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups "$vmctl" connect "$sock" \
		>"$w/other" 2>&1
	rc=$?
	chmod 0600 "$sock"; chmod 0700 "$XDG_RUNTIME_DIR/vmain"
	sed 's/^/#   /' "$w/other" | head -n 2
	check "$accel: uid 65534 with the socket opened up: refused after connecting (SO_PEERCRED)" \
		sh -c "[ $rc != 0 ] && ! grep -q 'Permission denied' '$w/other' && ! grep -q connected '$w/other'"
	/usr/bin/setpriv --reuid 0 --regid 65534 --clear-groups "$vmctl" connect "$sock" \
		>"$w/other" 2>&1
	check "$accel: the owner's uid with another gid: admitted" grep -q "connected: .*running" "$w/other"
	is "$accel: running after the refused connections" running "$(state "$vm")"

	# 4 clients x 250 calls while the guest runs: every call answered, the guest ticks on.
	a=$(ticks)
	"$vmctl" stress "$sock" 4 250 >"$w/stress" 2>&1; rc=$?
	echo "# $accel: $(cat "$w/stress")"
	is "$accel: 1000 calls from 4 clients, all answered" 0 $rc
	sleep 1
	check "$accel: the guest kept ticking ($a -> $(ticks))" [ "$(ticks)" -gt "$a" ]

	# A client that never reads its replies: the VM does not wait for it.
	"$vmctl" noread "$sock" 20000 12 >"$w/noread" 2>&1 &
	nr=$!
	sleep 4
	a=$(ticks)
	"$vmain" pause "$vm" && "$vmain" resume "$vm"
	is "$accel: with a client that never reads: pause and resume work" 0 $?
	is "$accel: ... status answers: running" running "$(state "$vm")"
	sleep 1.5
	check "$accel: ... the guest ticks on ($a -> $(ticks))" [ "$(ticks)" -gt "$a" ]
	wait $nr
	sed 's/^/#   /' "$w/noread"
	is "$accel: running after the non-reading client left" running "$(state "$vm")"

	# Reset: the guest boots again in the same process, clients stay.
	pid=$(pid_of "$vm")
	"$vmain" reset "$vm"; is "$accel: vmain reset" 0 $?
	check "$accel: reset: the guest booted again" \
		sh -c "i=0; while [ \$i -lt 600 ]; do [ \$(grep -c '^VMAIN-GUEST: ticker-ready' '$w/con') -ge 2 ] && exit 0; sleep 0.2; i=\$((i + 1)); done; exit 1"
	is "$accel: reset: the same process" "$pid" "$(pid_of "$vm")"
	is "$accel: reset: running" running "$(state "$vm")"

	# An idle client: the API path (GDBus's thread) does not wake.
	pid=$(pid_of "$vm")
	"$vmctl" hold "$sock" 8 &
	hold=$!
	sleep 2
	tid=$(grep -l '^gdbus$' /proc/$pid/task/*/comm | head -n 1 | cut -d/ -f5)
	s0=$(grep ctxt /proc/$pid/task/$tid/status | awk '{ s += $2 } END { print s }')
	sleep 4
	s1=$(grep ctxt /proc/$pid/task/$tid/status | awk '{ s += $2 } END { print s }')
	wait $hold
	is "$accel: an idle connection: no wakeups of the gdbus thread in 4 s" 0 $((s1 - s0))

	# Stop: the power button, the guest powers off, the process ends with 0.
	"$vmain" stop "$vm" >"$w/out" 2>&1; rc=$?
	is "$accel: vmain stop" 0 $rc
	check "$accel: the guest saw the power button" grep -q "VMAIN-GUEST: power-button" "$w/con"
	is "$accel: status says stopped" stopped "$(state "$vm")"
	check "$accel: the socket is gone" [ ! -e "$sock" ]
	"$vmain" stop "$vm" 2>/dev/null; is "$accel: stop when stopped: status 4" 4 $?

	# Start again, then kill -9: the next start works at once.
	"$vmain" start "$vm" --headless >"$w/out" 2>&1
	is "$accel: start again" 0 $?
	pid=$(pid_of "$vm")
	kill -9 "$pid"
	i=0; while [ -d /proc/$pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	is "$accel: after kill -9, status says stopped" stopped "$(state "$vm")"
	"$vmain" start "$vm" --headless >"$w/out" 2>&1; rc=$?
	is "$accel: after kill -9, start works at once" 0 $rc
	[ $rc = 0 ] || sed 's/^/#   /' "$w/out"
	"$vmain" kill "$vm" >"$w/out" 2>&1
	is "$accel: vmain kill" 0 $?
	is "$accel: killed: stopped" stopped "$(state "$vm")"

	# Under systemd: Type=notify, READY=1 once the guest runs, no fork.
	# notify.out emptied first: the redirection is done in the forked
	# child, and until then the last backend's file still says
	# "listening", so the start could send READY=1 before this listener
	# had bound the socket (lost: the wait below times out).
	: >"$w/notify.out"
	"$vmctl" notify "$w/notify" 120 >"$w/notify.out" 2>&1 &
	listener=$!
	wait_for "$w/notify.out" listening 10
	NOTIFY_SOCKET=$w/notify "$vmain" start "$vm" --headless >"$w/fg" 2>&1 &
	fg=$!
	wait $listener; rc=$?
	is "$accel: NOTIFY_SOCKET: READY=1 arrives" 0 $rc
	sed 's/^/#   /' "$w/notify.out"
	check "$accel: NOTIFY_SOCKET: the VM stays in the foreground (our child runs it)" \
		[ "$(pid_of "$vm")" = "$fg" ]
	"$vmain" stop "$vm" --timeout 0 >/dev/null 2>&1
	wait $fg; rc=$?
	is "$accel: stop --timeout 0: the foreground VM ends (status 3: stopped hard)" 3 $rc
done

# A system VM: its socket is 0660 group vmain; root and group vmain get
# in, another uid does not (SO_PEERGROUPS).  The arena has no user vmain,
# so root may start it (with a user vmain, only its unit may).
if ! grep -q '^vmain:' /etc/group 2>/dev/null; then
	echo "vmain:x:990:" >>/etc/group
fi
sysvms=$w/sys/VMs sysrun=$w/sys/run
mkdir -p "$sysvms"; chmod 755 "$w" "$w/sys"
VMAIN_VMS_DIR=$sysvms VMAIN_RUNTIME_DIR=$sysrun "$vmain" create --system sys --memory 256M \
	--kernel "$guest/vmlinuz" --initrd "$guest/initrd.img" --serial "$w/sys.con" \
	--append "console=ttyS0 panic=-1 vmain.test=ticker" >"$w/out" 2>&1
VMAIN_VMS_DIR=$sysvms VMAIN_RUNTIME_DIR=$sysrun "$vmain" start --system sys --headless >"$w/out" 2>&1
is "system VM: starts" 0 $?
ssock=$sysrun/sys.sock
check "system VM: the socket is 0660 group vmain" \
	[ "$(stat -c '%a %G' "$ssock")" = "660 vmain" ]
check "system VM: the runtime directory is 0750 group vmain" \
	[ "$(stat -c '%a %G' "$sysrun")" = "750 vmain" ]
/usr/bin/setpriv --reuid 65534 --regid 65534 --groups 990 "$vmctl" connect "$ssock" >"$w/other" 2>&1
check "system VM: a member of group vmain is admitted" grep -q "connected: .*running" "$w/other"
sed 's/^/#   /' "$w/other" | head -n 1
/usr/bin/setpriv --reuid 65534 --regid 990 --clear-groups "$vmctl" connect "$ssock" >"$w/other" 2>&1
check "system VM: group vmain as the primary group is admitted" grep -q "connected: .*running" "$w/other"
chmod 0666 "$ssock"
/usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups "$vmctl" connect "$ssock" >"$w/other" 2>&1
rc=$?
chmod 0660 "$ssock"
check "system VM: another uid, socket opened up: refused (SO_PEERCRED, SO_PEERGROUPS)" \
	sh -c "[ $rc != 0 ] && ! grep -q connected '$w/other'"
sed 's/^/#   /' "$w/other" | head -n 1
VMAIN_VMS_DIR=$sysvms VMAIN_RUNTIME_DIR=$sysrun "$vmain" kill --system sys >"$w/out" 2>&1
is "system VM: kill" 0 $?

echo "1..$n"
