#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the SVM arena (tests/monitor/forward.t), as the uid of the
# test's host client (arena-svm -u): the default guest with a screen,
# `vmain run --display --name fwd`, through vmain.ko, its control socket
# forwarded out of the arena (arena-svm -S) to the host, where the test
# looks at the screen and asks the VM to stop.  Here: the VM ends within
# the time given (the host's Stop came through), and the guest drew its
# pattern (vmain.test=display, scripts/guest/init).
# Prints TAP lines.  Usage: forward-guest.sh VMAIN GUEST-DIR SECONDS
vmain=$1 guest=$2 limit=$3
w=/tmp/forward
mkdir -p "$w/xdg"
chmod 700 "$w/xdg"
# The control socket: $XDG_RUNTIME_DIR/vmain/fwd.sock, forward.t's -S GUEST.
export XDG_RUNTIME_DIR=$w/xdg
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }

echo "# monitor uid $(id -u)"
"$vmain" run --name fwd --accel vmain --memory 256M --kernel "$guest/vmlinuz" \
	--initrd "$guest/initrd.img" --serial "$w/fwd.con" --display \
	--append "console=ttyS0 panic=-1 vmain.test=display" >"$w/fwd.out" 2>&1 &
pid=$!
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt $((limit * 10)) ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
	nok "the VM ended within ${limit}s (Stop through the forwarded socket)"
	kill -9 "$pid"
	wait "$pid"
else
	wait "$pid"
	ok "the VM ended within ${limit}s (Stop through the forwarded socket): status $?"
fi
if grep -q '^VMAIN-GUEST: display-ready' "$w/fwd.con"; then
	ok "the guest drew its pattern"
else
	nok "the guest drew its pattern"
fi
grep '^VMAIN-GUEST: display\|insmod-failed' "$w/fwd.con" | tr -d '\r' | sed 's/^/#   /'
sed 's/^/#   /' "$w/fwd.out" | tail -n 8
