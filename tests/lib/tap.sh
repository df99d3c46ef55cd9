# SPDX-License-Identifier: GPL-2.0-or-later
# tests/lib/tap.sh - TAP output for the host's shell tests, sourced:
# ok DESC, nok DESC, check DESC COMMAND... (ok when COMMAND succeeds,
# else nok with its output as diagnostics); $n counts them for "1..$n".
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { # check DESC COMMAND...: ok when COMMAND succeeds
	desc=$1; shift
	if out=$("$@" 2>&1); then ok "$desc"; else nok "$desc"; printf '%s\n' "$out" | sed 's/^/# /'; fi
}
