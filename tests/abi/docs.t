#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# docs/abi.md matches common/vmain.h: every public name of the header
# (ioctls, capabilities, flags, structs and their fields) is documented.
top=$(cd "$(dirname "$0")/../.." && pwd)
h="$top/common/vmain.h" doc="$top/docs/abi.md"
n=0
names=$(grep -oE '^#define[[:space:]]+VMAIN_[A-Z0-9_]+' "$h" | awk '{print $2}' |
	grep -vE '^VMAIN_ABI_CHECK$')
structs=$(grep -oE '^struct vmain_[a-z_]+' "$h" | awk '{print $2}')
for name in $names $structs; do
	n=$((n + 1))
	if grep -qw "$name" "$doc"; then echo "ok $n - $name documented"
	else echo "not ok $n - $name is in vmain.h but not in docs/abi.md"; fi
done
# Fields: every member of every struct appears in the struct's table.
for s in $structs; do
	fields=$(sed -n "/^struct $s {/,/^};/p" "$h" | grep -oE '__u(8|16|32|64)[[:space:]]+[a-z_0-9]+' | awk '{print $2}')
	section=$(sed -n "/^### struct $s\$/,/^### /p" "$doc")
	for f in $fields; do
		n=$((n + 1))
		if printf '%s\n' "$section" | grep -q "\`$f"; then echo "ok $n - $s.$f documented"
		else echo "not ok $n - $s.$f is not in the '### struct $s' table of docs/abi.md"; fi
	done
done
# And the other way: every VMAIN_ name in the docs exists in the header.
for name in $(grep -oE 'VMAIN_[A-Z0-9_]+' "$doc" | sort -u); do
	n=$((n + 1))
	if grep -qw "$name" "$h"; then echo "ok $n - docs name $name exists"
	else echo "not ok $n - docs/abi.md names $name, which vmain.h lacks"; fi
done
echo "1..$n"
