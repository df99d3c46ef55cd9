#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/install/live.sh WORK VERSION KVER - run by install.t under
# `unshare -m`: the real `make install` and `make uninstall` (DESTDIR
# empty, PREFIX default) inside this private mount namespace, where /etc,
# /usr, /var and /run are overlays whose writes land in WORK/*.u.  The
# host's files are never written.  Prints unnumbered TAP lines; exits 77
# when the namespace cannot be set up.
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$1 ver=$2 kver=$3

mount --make-rprivate / || exit 77
# The host's own view, to tell what existed before (e.g. a /run/vmain that
# vmain run as root made) from what install left.
mkdir -p "$work/host" && mount --rbind / "$work/host" || exit 77
for d in etc usr var run; do
	mkdir -p "$work/$d.u" "$work/$d.w" || exit 77
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$work/$d.u,workdir=$work/$d.w" "/$d" || exit 77
done

check() { # check DESC COMMAND...
	desc=$1; shift
	if out=$("$@" 2>&1); then echo "ok - $desc"
	else echo "not ok - $desc"; printf '%s\n' "$out" | tail -n 30 | sed 's/^/  /'; fi
}

check "make install (the live system, PREFIX=/usr/local, KVER=$kver)" make -s -C "$top" install KVER="$kver"
for f in /var/lib/dkms/vmain/*/build/make.log; do
	[ ! -f "$f" ] || tail -n 20 "$f" | sed 's/^/  make.log: /'
done
check "/usr/local/bin/vmain runs" /usr/local/bin/vmain --version
check "user vmain in groups vmain and kvm" sh -c 'id -nG vmain | tr " " "\n" | sort | tr "\n" " " | grep -qx "kvm vmain "'
check "/run/vmain and /var/lib/vmain/VMs are 0750 vmain:vmain" \
	test "$(stat -c '%a %U %G' /run/vmain /var/lib/vmain/VMs)" = "$(printf '750 vmain vmain\n750 vmain vmain')"
check "dkms says vmain/$ver is installed for $kver" \
	sh -c "dkms status vmain/$ver -k $kver | grep -q ': installed'"
check "modinfo finds vmain.ko in updates/dkms through depmod" \
	sh -c "modinfo -k $kver -n vmain | grep -q '^/lib/modules/$kver/updates/dkms/vmain.ko'"
check "vmain.ko is signed with DKMS's MOK key (/var/lib/dkms/mok.pub)" \
	sh -c "modinfo -k $kver -F signer vmain | grep -qx 'DKMS module signing key' && test -f /var/lib/dkms/mok.pub"
check "the udev rule and the system unit are in place" \
	test -f /usr/lib/udev/rules.d/60-vmain.rules -a -f /usr/lib/systemd/system/vmain@.service

check "make uninstall (the live system)" make -s -C "$top" uninstall
check "dkms knows no vmain any more" test -z "$(dkms status vmain)"
check "no vmain.ko for $kver any more" sh -c "! modinfo -k $kver -n vmain"
check "user and group vmain are gone" sh -c '! getent passwd vmain && ! getent group vmain'
check "group kvm lists no vmain member" sh -c '! getent group kvm | grep -q vmain'
# Whatever install wrote landed in the overlays' upper layers: no path
# there names vmain now (but what the host had before), and no account
# file mentions it.
left=$(cd "$work" && find etc.u usr.u var.u run.u -path '*vmain*' | while read -r p; do
	h=$work/host/${p%%.u/*}/${p#*.u/}
	[ -e "$h" ] || [ -L "$h" ] || echo "$p"
done)
check "nothing named vmain is left on the system" sh -c "echo '$left'; test -z '$left'"
check "no account file mentions vmain" sh -c '! grep -s vmain /etc/passwd /etc/group /etc/shadow /etc/gshadow'
exit 0
