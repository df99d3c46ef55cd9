#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-in-guest.sh - (in an arena) runs test commands one after another,
# their TAP on stdout; exits non-zero if any failed.  Each argument is one
# command line.
failed=0
for cmd in "$@"; do
	echo "# --- $cmd"
	sh -c "$cmd" || { echo "# FAILED ($?): $cmd"; failed=1; }
done
exit $failed
