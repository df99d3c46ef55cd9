#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# common/vmain.h compiles on its own in userspace: C99, C11 and C++ (11, 17),
# with every warning an error, and its structs have the documented layout.
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
t() { # t DESC COMMAND...
	desc=$1; shift; n=$((n + 1))
	if "$@" >"$tmp/log" 2>&1; then echo "ok $n - $desc"
	else echo "not ok $n - $desc"; sed 's/^/# /' "$tmp/log"; failed=1; fi
}
printf '#include "vmain.h"\nint main(void) { return sizeof(struct vmain_create_vm) != 64; }\n' >"$tmp/use.c"
cp "$tmp/use.c" "$tmp/use.cc"
W="-Wall -Wextra -Werror -I$top/common"
t "C99 (gcc -std=c99 -pedantic-errors)" ${CC:-cc} -std=c99 -pedantic-errors $W -c "$tmp/use.c" -o "$tmp/a.o"
t "C11 (gcc -std=c11 -pedantic-errors)" ${CC:-cc} -std=c11 -pedantic-errors $W -c "$tmp/use.c" -o "$tmp/b.o"
t "GNU C (gcc -std=gnu89)" ${CC:-cc} -std=gnu89 $W -c "$tmp/use.c" -o "$tmp/c.o"
t "C++11 (g++ -std=c++11 -pedantic-errors)" ${CXX:-c++} -std=c++11 -pedantic-errors $W -c "$tmp/use.cc" -o "$tmp/d.o"
t "C++17 (g++ -std=c++17 -pedantic-errors)" ${CXX:-c++} -std=c++17 -pedantic-errors $W -c "$tmp/use.cc" -o "$tmp/e.o"
t "included twice (include guard)" sh -c "printf '#include \"vmain.h\"\n#include \"vmain.h\"\n' > '$tmp/twice.c' && ${CC:-cc} $W -c '$tmp/twice.c' -o '$tmp/f.o'"
t "no leftover helper macros" sh -c "printf '#include \"vmain.h\"\n#ifdef VMAIN_ABI_CHECK\n#error leaked\n#endif\n' > '$tmp/leak.c' && ${CC:-cc} $W -c '$tmp/leak.c' -o '$tmp/g.o'"
# The layout program, built by make (with ASan/UBSan in check builds).
if [ -x "$top/build/tests/abi/layout" ]; then
	"$top/build/tests/abi/layout" >"$tmp/layout" 2>&1; rc=$?
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) n=$((n + 1)); echo "ok $n - ${line#ok - }" ;;
		"not ok - "*) n=$((n + 1)); echo "not ok $n - ${line#not ok - }"; failed=1 ;;
		*) echo "$line" ;;
		esac
	done <"$tmp/layout"
	[ $rc = 0 ] || { n=$((n + 1)); echo "not ok $n - layout exited $rc"; }
else
	n=$((n + 1)); echo "not ok $n - build/tests/abi/layout is not built (run make)"
fi
echo "1..$n"
