#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-all.sh - runs the guest-execution tests, their TAP on stdout; exits
# non-zero if any of them failed (or could not be run).
#
#   run-all.sh                 every test binary, from $GUEST_BIN, else this
#                              script's directory, else build/tests/kmod/guest
#                              of the tree the script is in
#   run-all.sh CMD...          each argument is one command line: a binary
#                              (a bare name is looked up like above, or a
#                              path) and its arguments, e.g.
#                              run-all.sh "exits long64/io" "control -n 200"
#
# POSIX sh, so that it runs in the arenas' busybox.
here=$(cd "$(dirname "$0")" && pwd)
dir=${GUEST_BIN:-$here}
if [ -z "$GUEST_BIN" ] && [ ! -x "$dir/exits" ] &&
   [ -x "$here/../../../build/tests/kmod/guest/exits" ]; then
	dir=$(cd "$here/../../../build/tests/kmod/guest" && pwd)
fi
all="exits cpuid-msr events control memory vcpu-errors fpu mmio"

if [ $# = 0 ]; then
	set -- $all
fi

failed=0
for cmd in "$@"; do
	set -- $cmd
	prog=$1
	shift
	case $prog in
	*/*) ;;
	*) prog=$dir/$prog ;;
	esac
	echo "# --- $prog $*"
	if [ ! -x "$prog" ]; then
		echo "not ok - $prog: no such test binary"
		failed=1
		continue
	fi
	"$prog" "$@"
	rc=$?
	if [ $rc != 0 ]; then
		echo "# FAILED (exit status $rc): $prog $*"
		failed=1
	fi
done
exit $failed
