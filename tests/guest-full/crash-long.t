#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-full: the disk stack's kill -9 crash-consistency tests with
# $CRASH_CYCLES cycles (default 2000; make check runs 200) for raw images,
# and the qcow2 one likewise.
. "$(dirname "$0")/../lib/tap-relay.sh"

export CRASH_CYCLES=${CRASH_CYCLES:-2000}
for t in crash-test qcow2-crash-test; do
	p=$(prog disk "$t")
	if [ -z "$p" ]; then
		n=$((n + 1)); echo "not ok $n - $t is not built"
		continue
	fi
	"$p" >"$tmp/$t" 2>&1; rc=$?
	relay "$t" "$tmp/$t"
	[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - $t exited $rc"; }
done
echo "1..$n"
