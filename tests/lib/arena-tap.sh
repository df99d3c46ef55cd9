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

# True if an arena run timed out (124) and its kernel reports a soft
# lockup in a process that was running a guest through KVM (the same pid
# in KVM's own "kvm [PID]:" messages).  That process uses kvm_amd, not
# vmain.ko: the hang is in KVM nested under QEMU's TCG (docs/testing.md,
# "Known faults of the arenas"), and the run is worth one more try.  A
# lockup in a process using vmain.ko never matches.
arena_kvm_lockup() {
	[ "$1" = 124 ] || return 1
	for pid in $(sed -n 's/.*soft lockup - CPU#[0-9]* stuck for [0-9]*s! \[[^]]*:\([0-9][0-9]*\)\].*/\1/p' "$2" | sort -u); do
		grep -q "kvm \[$pid\]:" "$2" && return 0
	done
	return 1
}

# True if an arena run timed out (124) while a KVM pass ran: the label of
# the last result line the command printed (up to its first ':') names
# the kvm backend as a word ("ok 12 - kvm: ...", "ok 3 - kvm, 1 CPU: ...",
# "ok - kvm -> kvm: ...", "ok - vmain -> kvm: ..."; not kvm_amd), so the
# hang began after a KVM check passed and before the next one.  Twice in
# CI (2026-12-03) such a run froze whole, its kernel printing nothing
# more, so there is no lockup report for arena_kvm_lockup to match; so
# did hv-state.t's kvm -> kvm pass in a clean check here (2026-12-04,
# with the waker) (docs/testing.md).
arena_kvm_hang() {
	[ "$1" = 124 ] || return 1
	grep -aE '^(not )?ok( [0-9]+)? - ' "$2" | tail -n 1 |
		grep -qE '^(not )?ok( [0-9]+)? - [^:]*\<kvm\>'
}

# arena_tap_why OUT ERR: what a CI log needs to tell why an arena run
# failed: the last result lines before it ended, the console from the
# guest kernel's first complaint on (a hang's later lockup reports would
# push it out of a plain tail), then the end of the console.
arena_tap_why() {
	echo "# the last lines the command printed:"
	grep -av '^#' "$1" | tail -n 5 | sed 's/^/#   /'
	first=$(grep -anE 'BUG:|WARNING:|Oops|general protection|Call Trace|rcu: INFO|soft lockup|hung_task|blocked for more than' "$2" |
		head -n 1 | cut -d: -f1)
	total=$(wc -l <"$2")
	if [ -n "$first" ] && [ $((total - first)) -gt 100 ]; then
		echo "# the console from the kernel's first complaint (line $first of $total):"
		sed -n "$((first > 20 ? first - 20 : 1)),$((first + 80))p" "$2" | sed 's/^/# /'
		echo "# [...]"
	fi
	sed 's/^/# /' "$2" | tail -n 100
}

# arena_tap ARENA DESCRIPTION [ARENA-OPTIONS...] -- COMMAND...
arena_tap() {
	arena=$1 desc=$2
	shift 2
	echo "# $desc"
	t0=$(date +%s)
	"$TOP/scripts/$arena" -q "$@" >"$tap_log" 2>"$tap_log.err"
	rc=$?
	# One retry, only for a boot that died or hung before the guest's init
	# ran (no vmain code had run yet): a rare emulator boot failure.
	if arena_died_before_init $rc; then
		echo "# the emulated boot died or hung before init; booting once more"
		"$TOP/scripts/$arena" -q "$@" >"$tap_log" 2>"$tap_log.err"
		rc=$?
	fi
	# One retry, only for a hang inside KVM (a KVM-backed monitor stuck in
	# the arena's kernel, or a run that froze during a KVM pass): what the
	# first run printed goes to stderr first.
	if arena_kvm_lockup $rc "$tap_log.err" || arena_kvm_hang $rc "$tap_log"; then
		echo "# the arena hung in a KVM pass (nested SVM under TCG); running once more"
		{ echo "# $desc: the arena hung in a KVM pass; the first run:"
		  arena_tap_why "$tap_log" "$tap_log.err"; } >&2
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
	# Each arena run's time (prove -v shows it): what docs/testing.md's
	# table of make check's parts is made from.
	echo "# $desc: $(( $(date +%s) - t0 )) s"
	tap_count=$((tap_count + 1))
	if [ $rc = 0 ]; then
		echo "ok - $desc: arena run clean"
	else
		echo "not ok - $desc: arena exit status $rc"
		arena_tap_why "$tap_log" "$tap_log.err" >&2
	fi
	rm -f "$tap_log.err"
}

# arena_spin_then_checked ARENA DESCRIPTION SEED ACTION CHECK [ARENA-OPTIONS...]
# One TAP line: a vCPU spins in guest mode (hold-vm --spin SEED), then the
# arena runs ACTION (a reboot, a panic).  The guest restarts, so there is
# no result line: the console is the evidence.  Passes when the arena
# ended without a result (125), the vCPU was spinning, CHECK succeeds and
# the console shows no fault.  loglevel=5 shows warnings and worse; a
# chattier console falls so far behind under an emulator that the reset
# can overtake its backlog.  Like arena_tap, one retry only for a boot that
# died before init.
arena_spin_then() { # ARENA [ARENA-OPTIONS...]
	spin_script="$TOP/scripts/$1"
	shift
	"$spin_script" -q -v -a loglevel=5 -f "$KBIN" "$@" -- sh -c \
		"mkfifo /tmp/f; $KBIN/hold-vm --spin $spin_seed >/tmp/f & read l </tmp/f; echo spinning: \$l; sleep 2; $spin_action" \
		>"$tap_log" 2>"$tap_log.err"
}
arena_spin_then_checked() {
	spin_arena=$1 spin_desc=$2 spin_seed=$3 spin_action=$4 spin_check=$5
	shift 5
	echo "# $spin_desc"
	arena_spin_then "$spin_arena" "$@"
	rc=$?
	if arena_died_before_init $rc; then
		echo "# the emulated boot died or hung before init; booting once more"
		arena_spin_then "$spin_arena" "$@"
		rc=$?
	fi
	tap_count=$((tap_count + 1))
	if [ $rc = 125 ] && grep -q "^spinning: ready" "$tap_log" && $spin_check &&
	   ! grep -qE "Oops|BUG:|WARNING:|invalid opcode|general protection|double fault" "$tap_log.err"; then
		echo "ok - $spin_desc"
	else
		echo "not ok - $spin_desc (arena status $rc)"
		sed 's/^/# /' "$tap_log" "$tap_log.err" | tail -n 60 >&2
	fi
	rm -f "$tap_log.err"
}
arena_reboot_checks() {
	# The vCPU's RUN fails with EIO; whether its message gets out before
	# the reset is a race, so it is reported, not required.
	grep -q "hold-vm: RUN: Input/output error" "$tap_log" &&
		echo "# the vCPU's RUN failed with EIO before the restart"
	grep -q "reboot: Restarting system" "$tap_log.err"
}
arena_panic_checks() {
	[ "$(grep -c 'Kernel panic - not syncing' "$tap_log.err")" = 1 ]
}
# arena_reboot_and_panic ARENA [ARENA-OPTIONS...]: both spin cases.
arena_reboot_and_panic() {
	a=$1
	shift
	arena_spin_then_checked "$a" "reboot -f with a vCPU in guest mode: clean restart, no fault" \
		5 "reboot -f" arena_reboot_checks "$@"
	arena_spin_then_checked "$a" "kernel panic with a vCPU in guest mode: one panic, clean restart, no hang" \
		6 "echo c > /proc/sysrq-trigger" arena_panic_checks "$@"
}

arena_tap_end() {
	echo "1..$tap_count"
}
