#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Our ioctl magic (0xE7) is used by no ioctl definition of the installed
# kernel's uapi headers nor of the system's <linux/*.h>.
top=$(cd "$(dirname "$0")/../.." && pwd)
magic=$(sed -n 's/^#define[[:space:]]*VMAIN_IO[[:space:]]*\(0x[0-9A-Fa-f]*\).*/\1/p' "$top/common/vmain.h")
echo "# magic $magic"
dirs="/usr/include/linux /usr/include/asm-generic"
for d in /usr/src/linux-headers-*-common/include/uapi; do [ -d "$d" ] && dirs="$dirs $d"; done
hits=$(grep -rhoiE "_IO(W|R|WR)?[[:space:]]*\([[:space:]]*$magic[[:space:]]*," $dirs 2>/dev/null | wc -l)
# Magic values bound to a name first (#define FOO_MAGIC 0xE7, then _IO(FOO_MAGIC, ..)).
named=$(grep -rhoiE "^#define[[:space:]]+[A-Z0-9_]*(IOC|IOCTL|MAGIC|_IO)[A-Z0-9_]*[[:space:]]+$magic\b" $dirs 2>/dev/null)
echo "# searched: $dirs"
if [ -n "$magic" ] && [ "$hits" = 0 ] && [ -z "$named" ]; then
	echo "ok 1 - ioctl magic $magic is unused in the kernel's uapi headers"
else
	echo "not ok 1 - ioctl magic $magic collides: $hits direct uses; named: $named"
fi
echo "1..1"
