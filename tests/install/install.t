#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make install / make uninstall into a staging root (DESTDIR): exactly the
# expected files with their modes, placeholders filled in, both systemd
# units verified by systemd-analyze and their exposure scores held, the
# sysusers.d and tmpfiles.d files applied to a scratch root, dkms.conf read
# by dkms, and uninstall leaving nothing.  Then tests/install/live.sh runs
# the real `make install` (DESTDIR empty: user, directories, DKMS build and
# install of vmain.ko) and `make uninstall` in a private mount namespace
# whose /etc, /usr, /var and /run are overlays, so the host is never
# written.
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
kver=$("$top/scripts/kver")
n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/# /'; }
check() { # check DESC COMMAND...: ok when COMMAND succeeds, its output shown otherwise
	desc=$1; shift
	if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc" "$out"; fi
}

dest=$tmp/dest
check "make install DESTDIR=... PREFIX=/usr succeeds" make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr

ver=$("$top/build/monitor/vmain" --version | sed -n 's/^vmain \([^ ]*\) .*/\1/p')
check "the version comes from vmain --version" test -n "$ver"
src=/usr/src/vmain-$ver

# What should be there, written out here (not taken from scripts/install).
{
	echo /usr/bin/vmain
	[ ! -e "$top/build/ui/vmain-gtk" ] || echo /usr/bin/vmain-gtk
	[ ! -e "$top/build/ui/vmain-gtk" ] || echo /usr/share/applications/org.vmain.Gtk.desktop
	echo /usr/include/vmain/vmain.h
	for f in "$top"/docs/*.md; do echo "/usr/share/doc/vmain/${f##*/}"; done
	echo /usr/lib/udev/rules.d/60-vmain.rules
	echo /usr/lib/systemd/system/vmain@.service
	echo /usr/lib/systemd/user/vmain@.service
	echo /usr/lib/systemd/user/vmain-autostart.service
	echo /usr/include/vmain/org.vmain.xml
	echo /usr/lib/sysusers.d/vmain.conf
	echo /usr/lib/tmpfiles.d/vmain.conf
	echo "$src/dkms.conf"
	# The module's sources: what git tracks or would track (build products
	# such as kmod/vmain.mod.c are ignored by .gitignore).
	(cd "$top" && git ls-files -co --exclude-standard Kbuild kmod common) |
		grep -E '(^|/)Kbuild$|\.[chS]$' | sed "s|^|$src/|"
} | sort >"$tmp/want"
(cd "$dest" && find . ! -type d | sed 's|^\.||' | sort) >"$tmp/have"
if cmp -s "$tmp/want" "$tmp/have"; then
	pass "exactly the expected $(wc -l <"$tmp/want") files are installed"
else
	fail "exactly the expected files are installed" "$(diff "$tmp/want" "$tmp/have")"
fi

bad=$(cd "$dest" && find . ! -type d -printf '%m %p\n' | awk '
	$2 ~ /^\.\/usr\/bin\// { if ($1 != "755") print } $2 !~ /^\.\/usr\/bin\// { if ($1 != "644") print }')
check "programs are mode 0755, everything else 0644" test -z "$bad"
check "the installed vmain is the built one" cmp "$top/build/monitor/vmain" "$dest/usr/bin/vmain"
check "the installed header is common/vmain.h" cmp "$top/common/vmain.h" "$dest/usr/include/vmain/vmain.h"
left=$(grep -rlE '@(BINDIR|DOCDIR|VERSION)@' "$dest" 2>&1)
check "no @PLACEHOLDER@ is left in the installed files" test -z "$left"
check "the system unit starts /usr/bin/vmain --system" \
	grep -qx 'ExecStart=/usr/bin/vmain start --system --headless %i' "$dest/usr/lib/systemd/system/vmain@.service"
check "the user unit starts /usr/bin/vmain" \
	grep -qx 'ExecStart=/usr/bin/vmain start --headless %i' "$dest/usr/lib/systemd/user/vmain@.service"
check "dkms.conf carries the version" grep -qx "PACKAGE_VERSION=\"$ver\"" "$dest$src/dkms.conf"
if [ -e "$top/build/ui/vmain-gtk" ]; then
	app=$dest/usr/share/applications/org.vmain.Gtk.desktop
	check "the desktop entry starts /usr/bin/vmain-gtk" grep -qx 'Exec=/usr/bin/vmain-gtk' "$app"
	check "desktop-file-validate accepts the desktop entry" desktop-file-validate "$app"
fi

# systemd-analyze verify, for real: the system unit against a root holding
# the staged files and the host's own units (sysinit.target, ...), so
# ExecStart's /usr/bin/vmain is the staged binary; the user manager has no
# --root, so the user unit is verified from a copy whose ExecStart/ExecStop
# point at the staged binary.  Any warning fails too.
vroot=$tmp/vroot
mkdir -p "$vroot/usr/lib/systemd"
cp -a "$dest/." "$vroot/"
cp -r /usr/lib/systemd/system/. "$vroot/usr/lib/systemd/system/"
out=$(cd "$tmp" && systemd-analyze verify --root="$vroot" vmain@test.service 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then pass "systemd-analyze verify: the system unit vmain@test.service"
else fail "systemd-analyze verify: the system unit (status $rc)" "$out"; fi
rm "$vroot/usr/bin/vmain"
if ! out=$(cd "$tmp" && systemd-analyze verify --root="$vroot" vmain@test.service 2>&1) &&
	printf '%s' "$out" | grep -q 'vmain is not executable'; then
	pass "systemd-analyze verify fails when ExecStart's program is missing (the check is real)"
else fail "systemd-analyze verify without the program" "$out"; fi

mkdir -p "$tmp/user" "$tmp/xdg"; chmod 700 "$tmp/xdg"
sed "s|=/usr/bin/vmain |=$dest/usr/bin/vmain |" "$dest/usr/lib/systemd/user/vmain@.service" \
	>"$tmp/user/vmain@.service"
out=$(cd "$tmp" && XDG_RUNTIME_DIR=$tmp/xdg systemd-analyze --user verify "$tmp/user/vmain@test.service" 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then pass "systemd-analyze --user verify: the user unit vmain@test.service"
else fail "systemd-analyze --user verify: the user unit (status $rc)" "$out"; fi

sed "s|=/usr/bin/vmain |=$dest/usr/bin/vmain |" "$dest/usr/lib/systemd/user/vmain-autostart.service" \
	>"$tmp/user/vmain-autostart.service"
out=$(cd "$tmp" && XDG_RUNTIME_DIR=$tmp/xdg systemd-analyze --user verify "$tmp/user/vmain-autostart.service" 2>&1)
rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then pass "systemd-analyze --user verify: vmain-autostart.service"
else fail "systemd-analyze --user verify: vmain-autostart.service (status $rc)" "$out"; fi

# The exposure scores documented in docs/install.md, as ceilings.
score() { # score [--user] UNIT-FILE
	(cd "$tmp" && XDG_RUNTIME_DIR=$tmp/xdg systemd-analyze "$@" 2>/dev/null) |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
s=$(score security --offline=true "$dest/usr/lib/systemd/system/vmain@.service")
if [ -n "$s" ] && awk "BEGIN { exit !($s <= 0.7) }"; then pass "system unit exposure $s <= 0.7"
else fail "system unit exposure '$s' <= 0.7"; fi
s=$(score --user security --offline=true "$dest/usr/lib/systemd/user/vmain@.service")
if [ -n "$s" ] && awk "BEGIN { exit !($s <= 6.0) }"; then pass "user unit exposure $s <= 6.0"
else fail "user unit exposure '$s' <= 6.0"; fi

# sysusers.d and tmpfiles.d, applied to a scratch root.
sroot=$tmp/sroot
mkdir -p "$sroot/etc" "$sroot/usr/lib"
cp -r "$dest/usr/lib/sysusers.d" "$dest/usr/lib/tmpfiles.d" "$sroot/usr/lib/"
check "systemd-sysusers --root applies vmain.conf" systemd-sysusers --root="$sroot"
uid=$(awk -F: '$1 == "vmain" { print $3 }' "$sroot/etc/passwd")
ugid=$(awk -F: '$1 == "vmain" { print $4 ":" $6 ":" $7 }' "$sroot/etc/passwd")
ggid=$(awk -F: '$1 == "vmain" { print $3 }' "$sroot/etc/group")
check "user vmain: primary group vmain, home /var/lib/vmain, no login shell" \
	test -n "$uid" -a "$ugid" = "$ggid:/var/lib/vmain:/usr/sbin/nologin"
check "user vmain is a member of group kvm" grep -qE '^kvm:x:[0-9]+:(.*,)?vmain(,|$)' "$sroot/etc/group"
check "systemd-tmpfiles --root --create applies vmain.conf" systemd-tmpfiles --root="$sroot" --create
got=$(cd "$sroot" && stat -c '%n %a %u %g' run/vmain var/lib/vmain var/lib/vmain/VMs 2>&1)
want=$(printf '%s\n' "run/vmain 750 $uid $ggid" "var/lib/vmain 750 $uid $ggid" "var/lib/vmain/VMs 750 $uid $ggid")
check "/run/vmain, /var/lib/vmain and VMs/ are 0750 vmain:vmain" test "$got" = "$want"

# DKMS reads the staged dkms.conf: add and remove in a scratch DKMS tree.
# (The build itself is done by the live install below, the real path.)
if command -v dkms >/dev/null; then
	dk=$tmp/dkms; mkdir -p "$dk"
	dkms() { command dkms "$@" --sourcetree "$dest/usr/src" --dkmstree "$dk"; }
	check "dkms add parses the staged dkms.conf" dkms add -m vmain -v "$ver"
	check "dkms status says vmain/$ver added" sh -c "dkms status -m vmain -v $ver --dkmstree '$dk' | grep -qx 'vmain/$ver: added'"
	check "dkms remove --all" dkms remove -m vmain -v "$ver" --all
	check "the scratch DKMS tree is empty again" test -z "$(ls -A "$dk")"
else
	fail "dkms is not installed (make deps-test installs it)"
fi

check "make uninstall DESTDIR=... PREFIX=/usr succeeds" make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr
left=$(cd "$dest" && find . -mindepth 1)
check "make uninstall leaves nothing in DESTDIR" test -z "$left"
check "make uninstall again (nothing installed) succeeds" make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr

# PREFIX moves the programs, header and docs, not what udev and systemd read.
dest2=$tmp/dest2
check "make install PREFIX=/usr/local" make -s -C "$top" install DESTDIR="$dest2" PREFIX=/usr/local
check "PREFIX=/usr/local: programs, header and docs under /usr/local" \
	test -x "$dest2/usr/local/bin/vmain" -a -f "$dest2/usr/local/include/vmain/vmain.h" \
	-a -f "$dest2/usr/local/share/doc/vmain/install.md"
check "PREFIX=/usr/local: units, rule, sysusers/tmpfiles still in /usr/lib" \
	test -f "$dest2/usr/lib/systemd/system/vmain@.service" -a -f "$dest2/usr/lib/systemd/user/vmain@.service" \
	-a -f "$dest2/usr/lib/udev/rules.d/60-vmain.rules" -a -f "$dest2/usr/lib/sysusers.d/vmain.conf" \
	-a -f "$dest2/usr/lib/tmpfiles.d/vmain.conf"
check "PREFIX=/usr/local: the units run /usr/local/bin/vmain" \
	grep -q '^ExecStop=-/usr/local/bin/vmain stop --system %i' "$dest2/usr/lib/systemd/system/vmain@.service"
check "make uninstall PREFIX=/usr/local leaves nothing" \
	sh -c "make -s -C '$top' uninstall DESTDIR='$dest2' PREFIX=/usr/local && test -z \"\$(ls -A '$dest2')\""

# The live system needs root: as nobody, a clear refusal before any file.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env PREFIX=/usr/local "$top/scripts/install" install 2>&1)
rc=$?
if [ $rc = 1 ] && printf '%s' "$out" | grep -q 'needs root (or set DESTDIR)'; then
	pass "make install as a user (no DESTDIR) is refused: needs root"
else fail "make install as a user (status $rc)" "$out"; fi

# The live install, in a private mount namespace over overlays.
live=$(unshare -m "$top/tests/install/live.sh" "$tmp/live" "$ver" "$kver" 2>&1)
rc=$?
if [ $rc = 77 ]; then
	fail "the live install test could not set up its namespace" "$live"
else
	# Number live.sh's unnumbered lines here, its other lines as comments.
	printf '%s\n' "$live" | awk -v n=$n '
		/^(not )?ok - / { n++; sub(/ok - /, "ok " n " - live: "); print; next }
		{ print "# " $0 }'
	n=$((n + $(printf '%s\n' "$live" | grep -cE '^(not )?ok - ')))
	[ $rc = 0 ] || fail "live.sh exited with status $rc"
fi
echo "1..$n"
