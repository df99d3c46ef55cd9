# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/arena/lib.sh - what the emulator arenas (arena-svm, arena-vmx) share:
# option parsing, the Debian kernel to boot, and the test initramfs.
#
# The guest's /init (scripts/arena/init) mounts the basics, loads the Debian
# modules asked for and vmain.ko, runs the command with its output on the
# second serial port, then checks the kernel log for oopses, warnings,
# lockups and stalls.  It ends with a line
#     ARENA-RESULT rc=N kernel=ok|tainted-by-error
# which the host side turns into its exit status.  No result line (a crash,
# a hang caught by the timeout, a reboot) is a failure, never a pass.
#
# Sourced by bash scripts; uses set -euo pipefail conventions of the caller.

arena_die() { echo "${ARENA_NAME:-arena}: $*" >&2; exit 2; }
arena_say() { [ "${ARENA_QUIET:-0}" = 1 ] || echo "${ARENA_NAME:-arena}: $*" >&2; }

# The Debian kernel the arenas boot (scripts/kver).
arena_kver() {
	"$ARENA_TOP/scripts/kver"
}

arena_usage() {
	cat <<EOF
Usage: $ARENA_NAME [OPTIONS] [--] COMMAND [ARG]...

$ARENA_DESCRIPTION

COMMAND runs as root in a busybox initramfs, with /proc, /sys, /dev and a
a writable /tmp; its output (stdout and stderr) is printed on stdout.
The guest's console (the kernel log) goes to stderr when COMMAND fails, or
always with --verbose.

Options:
  -k, --kmod FILE      module to insmod before COMMAND (default: kmod/vmain.ko
                       of this tree); "none" boots without it
  -f, --file PATH      copy PATH into the guest at the same absolute path;
                       directories are copied whole, ELF executables and
                       libraries bring the shared libraries they need
                       (repeatable)
  -M, --modprobe MOD   load this Debian kernel module, with its dependencies,
                       before vmain.ko (repeatable), e.g. kvm_amd
  -c, --cpu MODEL      the emulated CPU (default: $ARENA_DEFAULT_CPU)
  -s, --smp N          number of CPUs (default: $ARENA_DEFAULT_SMP)
  -m, --mem SIZE       memory in MiB (default: $ARENA_DEFAULT_MEM)
  -t, --timeout SEC    wall-clock limit; reaching it is a failure
                       (default: $ARENA_DEFAULT_TIMEOUT)
  -a, --append ARGS    extra kernel command-line arguments
  -v, --verbose        always copy the guest console to stderr
  -i, --interactive    COMMAND's standard input and output are this terminal
                       (arena-svm only; its status is not checked then)
  -q, --quiet          say nothing of our own, only COMMAND's output
  -h, --help           show this help

Exit status: COMMAND's exit status when the guest kernel logged no oops,
BUG, WARNING, lockup or stall; 1 when it did although COMMAND succeeded;
124 on timeout; 125 when the guest ended without a result (crash, panic,
reboot) or vmain.ko failed to load; 2 on bad usage or a missing package.

Environment: ARENA_KVER picks the Debian kernel version to boot.
ARENA_EMULATOR_ARGS (arena-svm only) adds arguments to QEMU's command line,
split at blanks, to look into a hang; e.g. with
  ARENA_EMULATOR_ARGS='-monitor unix:/tmp/arena.mon,server,nowait'
and -a nokaslr, "info registers -a" on that socket shows where each CPU is.
EOF
}

# Parses the common options into ARENA_* variables; the command is left in
# ARENA_CMD (an array).
arena_parse() {
	ARENA_KMOD="$ARENA_TOP/kmod/vmain.ko"
	ARENA_FILES=()
	ARENA_MODPROBE=()
	ARENA_CPU="$ARENA_DEFAULT_CPU"
	ARENA_SMP="$ARENA_DEFAULT_SMP"
	ARENA_MEM="$ARENA_DEFAULT_MEM"
	ARENA_TIMEOUT="$ARENA_DEFAULT_TIMEOUT"
	ARENA_APPEND=""
	ARENA_VERBOSE=0
	ARENA_INTERACTIVE=0
	ARENA_QUIET=0
	while [ $# -gt 0 ]; do
		case "$1" in
		-k|--kmod) [ $# -ge 2 ] || arena_die "$1 needs a FILE"; ARENA_KMOD="$2"; shift 2 ;;
		-f|--file) [ $# -ge 2 ] || arena_die "$1 needs a PATH"; ARENA_FILES+=("$2"); shift 2 ;;
		-M|--modprobe) [ $# -ge 2 ] || arena_die "$1 needs a MODULE"; ARENA_MODPROBE+=("$2"); shift 2 ;;
		-c|--cpu) [ $# -ge 2 ] || arena_die "$1 needs a MODEL"; ARENA_CPU="$2"; shift 2 ;;
		-s|--smp) [ $# -ge 2 ] || arena_die "$1 needs N"; ARENA_SMP="$2"; shift 2 ;;
		-m|--mem) [ $# -ge 2 ] || arena_die "$1 needs SIZE"; ARENA_MEM="$2"; shift 2 ;;
		-t|--timeout) [ $# -ge 2 ] || arena_die "$1 needs SEC"; ARENA_TIMEOUT="$2"; shift 2 ;;
		-a|--append) [ $# -ge 2 ] || arena_die "$1 needs ARGS"; ARENA_APPEND="$2"; shift 2 ;;
		-v|--verbose) ARENA_VERBOSE=1; shift ;;
		-i|--interactive) ARENA_INTERACTIVE=1; shift ;;
		-q|--quiet) ARENA_QUIET=1; shift ;;
		-h|--help) arena_usage; exit 0 ;;
		--) shift; break ;;
		-*) arena_die "unknown option '$1' (see --help)" ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || arena_die "no COMMAND given (see --help)"
	ARENA_CMD=("$@")
	case "$ARENA_SMP" in ''|*[!0-9]*|0) arena_die "--smp wants a positive integer, not '$ARENA_SMP'" ;; esac
	case "$ARENA_MEM" in ''|*[!0-9]*|0) arena_die "--mem wants MiB as a positive integer, not '$ARENA_MEM'" ;; esac
	case "$ARENA_TIMEOUT" in ''|*[!0-9]*|0) arena_die "--timeout wants seconds as a positive integer, not '$ARENA_TIMEOUT'" ;; esac
	if [ "$ARENA_KMOD" != none ]; then
		[ -r "$ARENA_KMOD" ] || arena_die "cannot read the module '$ARENA_KMOD' (run 'make' first, or --kmod none)"
	fi
	local f
	for f in "${ARENA_FILES[@]}"; do
		[ -e "$f" ] || arena_die "--file '$f' does not exist"
	done
	return 0
}

# Copies one file into the staging root at its absolute path.
arena_stage_file() {
	local src="$1" root="$2" abs
	abs=$(readlink -f "$src")
	mkdir -p "$root$(dirname "$abs")"
	cp -L --preserve=mode "$abs" "$root$abs"
	# Keep the name the caller used when it is a symlink to elsewhere.
	case "$src" in /*) ;; *) src="$PWD/$src" ;; esac
	if [ "$src" != "$abs" ] && [ ! -e "$root$src" ]; then
		mkdir -p "$root$(dirname "$src")"
		cp -L --preserve=mode "$abs" "$root$src"
	fi
}

# Copies a file and, for a dynamically linked ELF, every library ldd names.
arena_stage_with_libs() {
	local f="$1" root="$2" lib
	arena_stage_file "$f" "$root"
	if head -c 4 "$f" 2>/dev/null | grep -q 'ELF'; then
		for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
			[ -e "$root$lib" ] || arena_stage_file "$lib" "$root"
		done
	fi
}

# arena_stage_module ROOT KVER LIST MODULE: copies the Debian kernel module
# MODULE of kernel KVER, and every module it needs, into ROOT at their
# /lib/modules paths (decompressed: busybox insmod reads plain .ko), and
# appends those paths, dependencies first, to LIST unless already there.
# A built-in MODULE stages nothing.  Also used by scripts/guest-image.
arena_stage_module() {
	local root="$1" kver="$2" list="$3" m="$4" line path
	modprobe -S "$kver" --show-depends "$m" >/dev/null 2>&1 ||
		arena_die "no Debian kernel module '$m' for $kver"
	while read -r line; do
		case "$line" in
		insmod\ *)
			path=$(echo "$line" | awk '{print $2}')
			case "$path" in
			*.ko.xz) mkdir -p "$root$(dirname "$path")"; xz -dc "$path" > "$root${path%.xz}"; path=${path%.xz} ;;
			*.ko.zst) mkdir -p "$root$(dirname "$path")"; zstd -qdc "$path" > "$root${path%.zst}"; path=${path%.zst} ;;
			*) arena_stage_file "$path" "$root" ;;
			esac
			grep -qxF "$path" "$list" || echo "$path" >> "$list"
			;;
		esac
	done < <(modprobe -S "$kver" --show-depends "$m")
}

# Builds the initramfs for the parsed options into $1 (a .cpio.gz path).
arena_build_initramfs() {
	local out="$1" root kver m path f
	root=$(mktemp -d "${TMPDIR:-/tmp}/arena-root.XXXXXX")
	kver=$(arena_kver)
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,arena,etc}
	cp /bin/busybox "$root/bin/busybox"
	cp "$ARENA_TOP/scripts/arena/init" "$root/init"
	chmod 755 "$root/init"

	: > "$root/arena/modules"
	for m in "${ARENA_MODPROBE[@]}"; do
		arena_stage_module "$root" "$kver" "$root/arena/modules" "$m"
	done

	if [ "$ARENA_KMOD" != none ]; then
		cp "$ARENA_KMOD" "$root/arena/vmain.ko"
	fi
	for f in "${ARENA_FILES[@]}"; do
		if [ -d "$f" ]; then
			while IFS= read -r -d '' path; do
				arena_stage_with_libs "$path" "$root"
			done < <(find "$f" -type f -print0)
		else
			arena_stage_with_libs "$f" "$root"
		fi
	done
	# The command, quoted so that the guest shell sees the same argv.
	{
		printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
		printf '%q ' "${ARENA_CMD[@]}"
		printf '\n'
	} > "$root/arena/command"
	echo "$ARENA_EXIT_METHOD" > "$root/arena/exit-method"
	echo "$ARENA_TIMEOUT" > "$root/arena/timeout"
	[ "$ARENA_INTERACTIVE" = 0 ] || : > "$root/arena/interactive"
	[ -z "${ARENA_WAKE_MS:-}" ] || echo "$ARENA_WAKE_MS" > "$root/arena/wake-ms"

	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 > "$out"
	rm -rf "$root"
}

# Reads the result line out of the guest's output file and sets ARENA_RC.
# $1: the output file (second serial port), $2: the console log.
arena_result() {
	local out="$1" console="$2" line rc kernel
	line=$(tr -d '\r' < "$out" | grep -a '^ARENA-RESULT ' | tail -n 1 || true)
	if [ -z "$line" ]; then
		arena_say "FAIL: the guest ended without a result (crash, panic or reboot); console follows"
		ARENA_RC=125
		return
	fi
	rc=$(echo "$line" | sed -n 's/.* rc=\([0-9]*\).*/\1/p')
	kernel=$(echo "$line" | sed -n 's/.* kernel=\([a-z-]*\).*/\1/p')
	ARENA_RC=${rc:-125}
	if [ "$kernel" != ok ] && [ "$ARENA_RC" = 0 ]; then
		arena_say "FAIL: the command passed but the guest kernel logged an error (see the console)"
		ARENA_RC=1
	fi
	: "$console"
}

# Prints the command's output (without our protocol lines) and, on failure
# or with --verbose, the console.
arena_report() {
	local out="$1" console="$2"
	tr -d '\r' < "$out" | grep -av '^ARENA-RESULT ' || true
	if [ "$ARENA_RC" != 0 ] || [ "$ARENA_VERBOSE" = 1 ]; then
		if [ "$ARENA_QUIET" != 1 ] || [ "$ARENA_RC" != 0 ]; then
			echo "----- $ARENA_NAME: guest console -----" >&2
			tr -d '\r' < "$console" >&2 || true
			echo "----- end of guest console -----" >&2
		fi
	fi
}
