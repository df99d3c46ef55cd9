#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# forward-app.sh TOP SOCKET DIR [RUNAS...] - for tests/monitor/forward.t,
# under an X server any uid may use (xvfb-run -s -ac): vmain-gtk --inline
# on the forwarded control SOCKET, as `make run` opens it, run by RUNAS
# (e.g. setpriv --reuid=65534 ... --); every 2 s for up to 60 s, the
# screen widget's part of a screenshot goes to display-check, until it
# shows the guest's 1024x768 pattern.  Files in DIR (writable by RUNAS's
# uid).  Prints the app's stats line; exit 0 when the pattern was seen.
top=$1 sock=$2 dir=$3
shift 3
"$@" env NO_AT_BRIDGE=1 GDK_BACKEND=x11 HOME="$dir" "$top/build/ui/vmain-gtk" --inline \
	--scaling 1:1 --config "$dir/gtk.ini" --socket "$sock" >>"$dir/app.out" 2>"$dir/app.err" &
app=$!
pass=""
i=0
while [ $i -lt 30 ] && [ -z "$pass" ] && kill -0 $app 2>/dev/null; do
	sleep 2
	i=$((i + 1))
	# Where the screen is: the app's SIGUSR1 report (appended, so it starts the emptied file).
	: >"$dir/app.out"
	kill -USR1 $app
	sleep 0.3
	set -- $(sed -n 's/^widget screen \([0-9]*\) \([0-9]*\) .*/\1 \2/p' "$dir/app.out")
	[ $# = 2 ] || continue
	import -window root "$dir/app.png" 2>/dev/null || continue
	convert "$dir/app.png" -crop "1024x768+$1+$2" +repage "$dir/app-screen.png"
	"$top/build/tests/monitor/display-check" "$dir/app-screen.png" 1024x768 >"$dir/app-check.out" 2>&1 &&
		pass=1
done
grep '^display' "$dir/app.out"
kill $app 2>/dev/null
wait $app 2>/dev/null
[ -n "$pass" ]
