# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/arena-tap.sh - for .t drivers that run test binaries inside an
# emulator arena: relays their TAP lines, turns an arena failure (crash,
# timeout, kernel error, missing result) into a "not ok", and prints the
# plan at the end.  Sourced by sh scripts.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
KBIN="$TOP/build/tests/kmod"
tap_count=0
tap_log=$(mktemp "${TMPDIR:-/tmp}/arena-tap.XXXXXX")
trap 'rm -f "$tap_log"' EXIT

# True if an arena run ended without a result (125) or timed out (124)
# and the console it printed shows the boot never reached the initramfs's
# init: an emulator boot failure, before any vmain code ran.
arena_died_before_init() {
	{ [ "$1" = 125 ] || [ "$1" = 124 ]; } &&
		! grep -q "arena-init: started" "$tap_log.err"
}

# arena_tap ARENA DESCRIPTION [ARENA-OPTIONS...] -- COMMAND...
arena_tap() {
	arena=$1 desc=$2
	shift 2
	echo "# $desc"
	"$TOP/scripts/$arena" -q "$@" >"$tap_log" 2>"$tap_log.err"
	rc=$?
	# One retry, only for a boot that died or hung before the guest's init
	# ran (no vmain code had run yet): a rare emulator boot failure.
	if arena_died_before_init $rc; then
		echo "# the emulated boot died or hung before init; booting once more"
		"$TOP/scripts/$arena" -q "$@" >"$tap_log" 2>"$tap_log.err"
		rc=$?
	fi
	while IFS= read -r line; do
		case "$line" in
		"not ok"*) tap_count=$((tap_count + 1)); echo "$line"; failing=1
			echo "$line" >&2 ;;
		"ok "*|"ok") tap_count=$((tap_count + 1)); echo "$line"; failing= ;;
		*) echo "# $line"
			# prove -f hides comments: a failure's reasons go to
			# stderr too, so a CI log shows why, not only what.
			[ -z "$failing" ] || echo "#   $line" >&2 ;;
		esac
	done <"$tap_log"
	failing=
	tap_count=$((tap_count + 1))
	if [ $rc = 0 ]; then
		echo "ok - $desc: arena run clean"
	else
		echo "not ok - $desc: arena exit status $rc"
		sed 's/^/# /' "$tap_log.err" | tail -n 80 >&2
	fi
	rm -f "$tap_log.err"
}

arena_tap_end() {
	echo "1..$tap_count"
}
