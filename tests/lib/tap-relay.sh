# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/tap-relay.sh - for .t scripts that run host test programs and
# relay their TAP as one stream.  Sourced by sh; sets top, tmp and n.
#   relay NAME FILE   renumber the ok/not ok lines of FILE into the stream
#   prog DIR NAME     the built program tests/DIR/NAME, sanitized preferred
#   run_dir DIR       run and relay every tests/DIR/*-test program, then the plan
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0
relay() {
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) n=$((n + 1)); echo "ok $n - ${line#ok - }" ;;
		"not ok - "*) n=$((n + 1)); echo "not ok $n - ${line#not ok - }" ;;
		"ok "[0-9]*|"not ok "[0-9]*) # numbered: drop the number
			st=${line%%ok *}ok; rest=${line#"$st" }
			rest=${rest#"${rest%%[!0-9]*}"}
			n=$((n + 1)); echo "$st $n$rest" ;;
		"1.."*) ;;
		*) echo "# $1: ${line#\# }" ;;
		esac
	done <"$2"
}
prog() {
	for b in build-asan build; do
		[ -x "$top/$b/tests/$1/$2" ] && { echo "$top/$b/tests/$1/$2"; return; }
	done
}
# run_dir DIR: runs every built tests/DIR/NAME-test (one per NAME-test.c),
# relays its TAP, adds a failure for a non-zero exit or a missing program,
# and prints the plan.
run_dir() {
	for src in "$top"/tests/"$1"/*-test.c; do
		t=$(basename "$src" .c)
		p=$(prog "$1" "$t")
		if [ -n "$p" ]; then
			"$p" >"$tmp/$t" 2>&1; rc=$?
			relay "$t" "$tmp/$t"
			[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - $t exited $rc"; }
		else
			n=$((n + 1)); echo "not ok $n - build/tests/$1/$t is not built (run make)"
		fi
	done
	echo "1..$n"
}
