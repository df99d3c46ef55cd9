#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The platform device models (monitor/devices/), on the host: each test
# program feeds one device synthetic port accesses through the port-I/O
# bus.  The programs are built by make (with ASan/UBSan in build-asan/ when
# that exists, as in make check); this relays their TAP, renumbered.
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0
relay() { # relay NAME FILE: renumber the "ok - "/"not ok - " lines of FILE
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) n=$((n + 1)); echo "ok $n - $1: ${line#ok - }" ;;
		"not ok - "*) n=$((n + 1)); echo "not ok $n - $1: ${line#not ok - }" ;;
		"1.."*) ;;
		*) echo "# $1: ${line#\# }" ;;
		esac
	done <"$2"
}
prog() { # prog NAME: the built program, sanitized build preferred
	for b in build-asan build; do
		[ -x "$top/$b/tests/devices/$1" ] && { echo "$top/$b/tests/devices/$1"; return; }
	done
}

for t in pio-test serial8250-test cmos_rtc-test i8042-test; do
	p=$(prog $t)
	if [ -n "$p" ]; then
		"$p" >"$tmp/$t" 2>&1; rc=$?
		relay $t "$tmp/$t"
		[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - $t exited $rc"; }
	else
		n=$((n + 1)); echo "not ok $n - build/tests/devices/$t is not built (run make)"
	fi
done
echo "1..$n"
