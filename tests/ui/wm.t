#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vmain-gtk under a window manager (openbox, EWMH), for what app.t cannot
# show without one, against the stand-in VM redrawing every 50 ms:
# - dragging the header bar with the pointer (the window manager moves the
#   window, as on a desktop) keeps frames arriving and being drawn (the
#   Parallels observations saw the guest freeze until the mouse-up); the
#   window ends where it was dragged and shows the guest pixel for pixel;
# - resizing the window by its corner with the pointer, in fit mode, keeps
#   frames arriving and being drawn, and the picture follows the size;
# - full screen (Ctrl+Alt+F and the menu's item): the window manager makes
#   it _NET_WM_STATE_FULLSCREEN and the screen's size, the header bar
#   goes and the guest is fitted to the screen; leaving it gives the old
#   geometry back;
# - the header bar's scaling combo, chosen with the pointer and keys.
. "$(dirname "$0")/app-lib.sh"
for t in openbox xprop; do
	command -v $t >/dev/null || fail_all "$t is missing (scripts/deps test)"
done
# A configuration of its own (the defaults, an empty root menu): without a
# valid one openbox opens a dialog that says so, on the test's screen.
cat >"$tmp/openbox-menu.xml" <<'XML'
<?xml version="1.0"?>
<openbox_menu xmlns="http://openbox.org/3.4/menu"><menu id="root-menu" label="vmain"/></openbox_menu>
XML
cat >"$tmp/openbox-rc.xml" <<XML
<?xml version="1.0"?>
<openbox_config xmlns="http://openbox.org/3.4/rc"><menu><file>$tmp/openbox-menu.xml</file></menu></openbox_config>
XML
openbox --sm-disable --config-file "$tmp/openbox-rc.xml" >"$tmp/openbox.log" 2>&1 & pids="$pids $!"
i=0; while ! xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -q 'window id' && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
# geometry WINDOW: "X,Y WxH" as the X server has it
geometry() { xdotool getwindowgeometry "$1" | tr '\n' ' ' | sed -n 's/.*Position: \(-*[0-9]*,-*[0-9]*\).*Geometry: \([0-9]*x[0-9]*\).*/\1 \2/p'; }
# widget_at PID LOG NAME: "X Y W H" of the app's widget NAME on the screen
widget_at() { stats "$1" "$2" | sed -n "s/^widget $3 \([0-9-]*\) \([0-9-]*\) \([0-9]*\) \([0-9]*\)\$/\1 \2 \3 \4/p" | head -1; }

"$b/monitor/vmain" create --memory 1G --display web >/dev/null
start_vm web --redraw-ms 50
start_app "$tmp/a" --scaling 1:1 web
a=$app_pid
win=$(window web)
if [ -n "$win" ]; then ok "under openbox, vmain-gtk web opens its window"; else nok "no window titled web"; fi
sleep 1.5
# Where the drag starts, whatever openbox's placement.
xdotool windowmove --sync "$win" 400 300 2>/dev/null; sleep 0.5
g0=$(geometry "$win")

# ---- dragging the header bar ----------------------------------------------
set -- $(widget_at $a "$tmp/a" pause)
if [ $# = 4 ]; then
	# Between the Pause button and the title: the header bar itself.
	hx=$(($1 + $3 + 40)) hy=$(($2 + $4 / 2))
	s0=$(stats $a "$tmp/a"); u0=$(echo "$s0" | field updates); d0=$(echo "$s0" | field draws)
	xdotool mousemove $hx $hy mousedown 1
	i=0; while [ $i -lt 60 ]; do
		xdotool mousemove $((hx - i * 5)) $((hy - i * 3)); sleep 0.05; i=$((i + 1))
	done
	s1=$(stats $a "$tmp/a"); u1=$(echo "$s1" | field updates); d1=$(echo "$s1" | field draws)
	g1=$(geometry "$win")
	xdotool mouseup 1
	# Off the header bar, so that no tooltip covers the picture.
	xdotool mousemove 1910 1390
	check "a pointer drag of the header bar moves the window ($g0 to $g1) while the button is down" \
		test "${g0%% *}" != "${g1%% *}"
	check "and meanwhile frames kept arriving ($((u1 - u0)) updates) and being drawn ($((d1 - d0)) draws; 30 each at least)" \
		test $((u1 - u0)) -ge 30 -a $((d1 - d0)) -ge 30
	sleep 1
	pattern "after the drag: the guest's pattern pixel for pixel where the window went"
else
	nok "a pointer drag of the header bar: no Pause button in the report"
fi

# ---- resizing by the corner, in fit mode ---------------------------------------
# The scaling combo: clicked, then the arrow keys and Return.
# The popup opens on the active item and wraps at its ends.
click $a "$tmp/a" scaling; sleep 0.5
xdotool key Up Return; sleep 0.5
m=$(stats $a "$tmp/a" | field mode)
check "the scaling combo, chosen with the pointer and keys: fit (mode=$m)" test "$m" = fit
click $a "$tmp/a" scaling; sleep 0.5
xdotool key Down Down Return; sleep 0.5
m=$(stats $a "$tmp/a" | field mode)
check "and follow (mode=$m)" test "$m" = follow
click $a "$tmp/a" scaling; sleep 0.5
xdotool key Up Return; sleep 0.5
m=$(stats $a "$tmp/a" | field mode)
check "and 1:1 (mode=$m)" test "$m" = 1:1
click $a "$tmp/a" scaling; sleep 0.5
xdotool key Up Return; sleep 0.5
set -- $(geometry "$win" | tr ',x' '  ')
if [ $# = 4 ]; then
	# The bottom right corner: GTK's client-side resize border, inside the window.
	cx=$(($1 + $3 - 3)) cy=$(($2 + $4 - 3))
	s0=$(stats $a "$tmp/a"); u0=$(echo "$s0" | field updates); d0=$(echo "$s0" | field draws)
	a0=$(echo "$s0" | field area)
	xdotool mousemove $cx $cy mousedown 1
	i=0; while [ $i -lt 60 ]; do
		xdotool mousemove $((cx + i * 4)) $((cy + i * 3)); sleep 0.05; i=$((i + 1))
	done
	s1=$(stats $a "$tmp/a"); u1=$(echo "$s1" | field updates); d1=$(echo "$s1" | field draws)
	xdotool mouseup 1
	sleep 0.5
	s2=$(stats $a "$tmp/a")
	a2=$(echo "$s2" | field area) sc=$(echo "$s2" | field scale)
	check "a pointer resize by the corner grows the picture ($a0 to $a2, scale $sc, fit)" \
		sh -c "test '$a0' != '$a2' && echo '$s2' | grep -q 'mode=fit' && test \$(echo '$sc' | tr -d .) -gt 1000"
	check "and meanwhile frames kept arriving ($((u1 - u0)) updates) and being drawn ($((d1 - d0)) draws; 30 each at least)" \
		test $((u1 - u0)) -ge 30 -a $((d1 - d0)) -ge 30
else
	nok "a pointer resize: no window geometry"
fi

# ---- full screen ----------------------------------------------------------------
g0=$(geometry "$win")
xdotool windowactivate --sync "$win" 2>/dev/null
xdotool key ctrl+alt+f; sleep 1
st=$(xprop -id "$win" _NET_WM_STATE)
g1=$(geometry "$win")
s=$(stats $a "$tmp/a")
check "Ctrl+Alt+F: the window manager makes it full screen ($st; $g1)" \
	sh -c "echo '$st' | grep -q _NET_WM_STATE_FULLSCREEN && test '$g1' = '0,0 1920x1400'"
check "the header bar goes and the guest is fitted to the whole screen ($(echo "$s" | field area), scale $(echo "$s" | field scale))" \
	sh -c "echo '$s' | grep -q 'area=1920x1400' && echo '$s' | grep -q 'scale=1.823'"
shot_at "$shots/display-window-fullscreen.png"
xdotool key ctrl+alt+f; sleep 1
g2=$(geometry "$win")
check "Ctrl+Alt+F again: back to the window it was ($g0, then $g2)" \
	sh -c "test '$g0' = '$g2' && ! xprop -id $win _NET_WM_STATE | grep -q FULLSCREEN"
click $a "$tmp/a" menu; sleep 0.5
click $a "$tmp/a" fullscreen; sleep 1
check "the menu's Full screen item: full screen" \
	sh -c "xprop -id $win _NET_WM_STATE | grep -q _NET_WM_STATE_FULLSCREEN && test \"\$(xdotool getwindowgeometry $win | grep Geometry)\" = '  Geometry: 1920x1400'"
xdotool key ctrl+alt+f; sleep 1

check "openbox took its configuration without a complaint" sh -c "! grep -q . '$tmp/openbox.log' || { cat '$tmp/openbox.log'; false; }"

# ---- no sanitizer report -------------------------------------------------------
kill $a 2>/dev/null; gone $a
bad=$(grep -l 'ERROR: AddressSanitizer\|runtime error:' "$tmp"/*.err 2>/dev/null)
if [ -z "$bad" ]; then ok "no ASan/UBSan report ($(basename "$app") from $(dirname "$app"))"
else nok "sanitizer reports in: $bad"; for f in $bad; do sed 's/^/# /' "$f" | head -40; done; fi
echo "1..$n"
