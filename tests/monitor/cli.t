#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The vmain command line on the host (ASan/UBSan build): help, version,
# usage errors, and a clear error when /dev/vm-main is absent.
top=$(cd "$(dirname "$0")/../.." && pwd)
vmain="$top/build-asan/monitor/vmain"
[ -x "$vmain" ] || vmain="$top/build/monitor/vmain"
n=0
t() { # t DESC WANT-STATUS PATTERN COMMAND...
	desc=$1 want=$2 pat=$3; shift 3; n=$((n + 1))
	out=$("$@" 2>&1); rc=$?
	if echo "$rc" | grep -qxE "$want" && printf '%s\n' "$out" | grep -qE "$pat"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (status $rc, want $want)"; printf '%s\n' "$out" | sed 's/^/# /'
	fi
}
t "vmain --help lists the commands" 0 '^  info ' "$vmain" --help
t "vmain --version" 0 '^vmain [0-9.]+ \(ABI version 1\)' "$vmain" --version
t "vmain without a command is a usage error" 2 '^Usage: vmain' "$vmain"
t "unknown command: one-line error, status 2" 2 "unknown command 'bogus'" "$vmain" bogus
t "vmain info --help describes the command" 0 '^  vmain info \[OPTION' "$vmain" info --help
t "vmain info with a stray argument" 2 "unexpected argument 'x'" "$vmain" info x
t "vmain info with an unknown option" 2 'Unknown option' "$vmain" info --nope
if [ ! -e /dev/vm-main ]; then
	t "vmain info without the module explains it" 1 'module is not loaded' "$vmain" info
else
	# A host with the module loaded: info must answer as the module.
	t "vmain info on this host (module loaded) reports the API" '[01]' '^API version: +1$' "$vmain" info
fi
echo "1..$n"
