#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vmain-gtk end to end, under Xvfb, driven as a person would with xdotool
# and looked at with screenshots (ImageMagick's import), against the stand-in
# VM tests/ui/fake-vm (the monitor's real Display1 code, a known pattern,
# every input logged).  No window manager: GTK draws its own header bar.
#
# The screen window: the pattern pixel-exact at 1:1 (tests/ui/shot-check),
# also on a scale-2 (HiDPI) screen and with inline pixels; typing reaches
# the guest as evdev codes, by position under a US and a German host
# layout; the pointer and buttons, the guest's cursor as the X pointer
# (tests/ui/cursor-check); keyboard capture and Ctrl+Alt; the
# header bar's Pause/Resume and Stop (which asks first); the menu's
# Screenshot (a save dialog; the guest's own pixels in the PNG),
# Ctrl+Alt+Del and private mode (another viewer sees black); frames keep coming
# while the window is moved; follow mode asks the guest for the window's
# size and the guest's new mode fills it; fit at 1.5; two windows on one
# VM; closing the app leaves the VM running; a VM that dies is reported
# in the window; a headless VM says it has no screen; the settings file
# keeps the size.  The library window lists the VMs with their states,
# live, opens screens, starts, creates, edits and deletes through vmain,
# and SIGTERM ends the app with a dialog open.  Full screen, the scaling
# combo and a real drag of the header bar need a window manager: wm.t.
#
# Screenshots of the windows are left in build/ui-shots/ (docs/images
# has copies: docs/ui.md).
. "$(dirname "$0")/app-lib.sh"

# ---- the command line ----------------------------------------------------
check "--help describes the app, its options and exit status" \
	sh -c "'$app' --help | grep -q -- '--scaling' && '$app' --help | grep -q 'Exit status'"
"$app" --bogus >/dev/null 2>&1; rc=$?
if [ $rc = 2 ]; then ok "an unknown option: exit 2"; else nok "an unknown option: exit $rc, not 2"; fi
"$app" --scaling zoom web >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc = 2 ] && grep -q 'fit, 1:1 or follow' "$tmp/err"; then ok "--scaling zoom: exit 2, says the modes"
else nok "--scaling zoom: exit $rc"; sed 's/^/# /' "$tmp/err"; fi

# ---- a display window at 1:1 --------------------------------------------
"$b/monitor/vmain" create --memory 1G --cpus 2 --display web >/dev/null
# db cannot start: its kernel is gone (without a kernel= at all it would
# boot SeaBIOS where that is installed, 881433b, and start).
cp "$b/monitor/vmain" "$tmp/db-kernel"
"$b/monitor/vmain" create --memory 512M --kernel "$tmp/db-kernel" db >/dev/null
rm -f "$tmp/db-kernel"
start_vm web --redraw-ms 50
web_pid=$vm_pid
start_app "$tmp/a1" --scaling 1:1 web
a1=$app_pid
win=$(window web)
if [ -n "$win" ]; then ok "vmain-gtk web opens a window titled web"; else nok "no window titled web"; fi
sleep 1.5
if pattern "1:1: the guest's 1024x768 pattern in the window pixel for pixel"; then
	shot_win "$win" "$shots/display-window.png"
else
	cp "$tmp/shot.png" "$shots/display-window-failed.png"
fi
# Where the guest's corner is on the X screen, for the pointer below.
gx0=$(sed -n 's/.* at \([0-9]*\),\([0-9]*\).*/\1/p' "$tmp/check")
gy0=$(sed -n 's/.* at \([0-9]*\),\([0-9]*\).*/\2/p' "$tmp/check")
s1=$(stats $a1 "$tmp/a1" | grep -v "^widget")
check "the app's stats: one scanout, updates coming, scale 1 ($s1)" \
	sh -c "echo '$s1' | grep -q 'scanouts=1 ' && [ \$(echo '$s1' | sed -n 's/.* updates=\([0-9]*\).*/\1/p') -gt 5 ] && echo '$s1' | grep -q 'scale=1.000 mode=1:1 1024x768'"

# ---- typing and the pointer ------------------------------------------------
xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"
: >"$tmp/web.log"
xdotool type --delay 30 hello
check "typing 'hello' reaches the guest: KEY_H E L L O down and up, in order" \
	sh -c "sleep 0.5; grep -E '^key [0-9]+ (down|up)$' '$tmp/web.log' | tr '\n' ' ' | grep -q 'key 35 down key 35 up key 18 down key 18 up key 38 down key 38 up key 38 down key 38 up key 24 down key 24 up'"
setxkbmap de
: >"$tmp/web.log"
xdotool type --delay 30 z
check "a German host layout: the key labelled Z is KEY_Y (21) to the guest, by position" \
	sh -c "sleep 0.5; grep -q '^key 21 down\$' '$tmp/web.log' && ! grep -q '^key 44 ' '$tmp/web.log'"
setxkbmap us
: >"$tmp/web.log"
xdotool type --delay 30 z
check "and the US layout's Z is KEY_Z (44)" sh -c "sleep 0.5; grep -q '^key 44 down\$' '$tmp/web.log'"
if [ -n "$gx0" ]; then
	: >"$tmp/web.log"
	xdotool mousemove $((gx0 + 300)) $((gy0 + 200)) click 1
	check "the pointer: guest 300,200 as an absolute position, the left button down and up" \
		sh -c "sleep 0.5; grep -q '^abs 300 200\$' '$tmp/web.log' && grep -q '^buttons 1\$' '$tmp/web.log' && grep -q '^buttons 0\$' '$tmp/web.log'"
	c=$(stats $a1 "$tmp/a1" | field captured)
	check "the click captured the keyboard (captured=$c)" test "$c" = 1
	check "over the screen the pointer is the guest's cursor (its plane, not drawn in the picture)" \
		"$b/tests/ui/cursor-check"
else
	nok "the pointer: no guest position (the 1:1 check failed)"
fi
: >"$tmp/web.log"
xdotool key ctrl+alt
sleep 0.3
xdotool type --delay 30 a
c=$(stats $a1 "$tmp/a1" | field captured)
check "Ctrl+Alt released the keyboard (captured=$c)" test "$c" = 0
check "and keys still reach the focused screen (KEY_A)" \
	sh -c "sleep 0.5; grep -q '^key 30 down\$' '$tmp/web.log'"

# ---- the relative pointer, when the guest asks for it --------------------------
# SIGHUP makes the fake guest drive only its relative mouse, as a guest
# whose tablet driver went away (Display1.PointerMode, PropertiesChanged).
if [ -n "$gx0" ]; then
	kill -HUP $web_pid
	waitfor "$tmp/web.log" '^pointer relative$' 5 >/dev/null
	sleep 0.3
	s=$(stats $a1 "$tmp/a1")
	check "the guest drives its relative mouse: the window knows (pointer=$(echo "$s" | field pointer)), nothing grabbed yet" \
		sh -c "echo '$s' | grep -q 'pointer=relative grabbed=0'"
	: >"$tmp/web.log"
	xdotool mousemove $((gx0 + 400)) $((gy0 + 300))
	sleep 0.3
	before=$(px "$gx0" "$gy0")
	xdotool click 1
	sleep 0.5
	s=$(stats $a1 "$tmp/a1")
	check "a click captures the pointer and the keyboard (grabbed=$(echo "$s" | field grabbed) captured=$(echo "$s" | field captured))" \
		sh -c "echo '$s' | grep -q 'captured=1 .*grabbed=1'"
	check "the capturing click is the app's: no button, no position to the guest" \
		sh -c "! grep -qE '^(buttons|abs) ' '$tmp/web.log' || { cat '$tmp/web.log'; false; }"
	shot_win "$win" "$shots/display-window-pointer-captured.png"
	at=$(xdotool getmouselocation | sed 's/ screen.*//')
	: >"$tmp/web.log"
	xdotool mousemove_relative -- 30 -20
	sleep 0.5
	sum=$(sed -n 's/^rel \(-*[0-9]*\) \(-*[0-9]*\)$/\1 \2/p' "$tmp/web.log" | awk '{ x += $1; y += $2 } END { print x + 0, y + 0 }')
	check "motion goes to the guest as relative deltas (30,-20 in all: $sum), never as positions" \
		sh -c "test '$sum' = '30 -20' && ! grep -q '^abs ' '$tmp/web.log'"
	# Far up and left twice: the guest's cursor stops at its corner, 0,0,
	# where the app now draws it (its plane: white just inside the border).
	xdotool mousemove_relative -- -2000 -2000; sleep 0.3
	xdotool mousemove_relative -- -2000 -2000; sleep 0.5
	at2=$(xdotool getmouselocation | sed 's/ screen.*//')
	check "the hidden host pointer is brought back to the middle when it nears an edge ($at, then $at2)" \
		test "$at" = "$at2"
	after=$(px "$gx0" "$gy0")
	check "the guest's cursor is drawn where the guest has it, the host's hidden (guest 0,0: $before, then $after)" \
		sh -c "test '$after' = FFFFFF && test '$before' != FFFFFF"
	: >"$tmp/web.log"
	xdotool click 1
	check "a click while grabbed: the buttons, no position" \
		sh -c "sleep 0.5; grep -q '^buttons 1\$' '$tmp/web.log' && grep -q '^buttons 0\$' '$tmp/web.log' && ! grep -q '^abs ' '$tmp/web.log'"
	xdotool key ctrl+alt
	sleep 0.3
	s=$(stats $a1 "$tmp/a1")
	check "Ctrl+Alt releases the pointer and the keyboard" sh -c "echo '$s' | grep -q 'captured=0 .*grabbed=0'"
	xdotool mousemove $((gx0 + 400)) $((gy0 + 300)) click 1
	sleep 0.3
	kill -HUP $web_pid
	waitfor "$tmp/web.log" '^pointer absolute$' 5 >/dev/null
	sleep 0.3
	s=$(stats $a1 "$tmp/a1")
	check "grabbed again, the guest going back to its tablet ends the grab (pointer=$(echo "$s" | field pointer) grabbed=$(echo "$s" | field grabbed))" \
		sh -c "echo '$s' | grep -q 'pointer=absolute grabbed=0'"
	: >"$tmp/web.log"
	xdotool mousemove $((gx0 + 250)) $((gy0 + 150))
	check "and the pointer is an absolute position again (guest 250,150)" \
		sh -c "sleep 0.5; grep -q '^abs 250 150\$' '$tmp/web.log'"
	xdotool key ctrl+alt
else
	nok "the relative pointer: no guest position (the 1:1 check failed)"
fi

# ---- the header bar ------------------------------------------------------------
: >"$tmp/web.log"
click $a1 "$tmp/a1" pause
check "the Pause button pauses the VM" waitfor "$tmp/web.log" '^state paused$' 5
click $a1 "$tmp/a1" pause
check "and, now Resume, resumes it" waitfor "$tmp/web.log" '^state running$' 5
# Stop asks first; Escape keeps the VM.
click $a1 "$tmp/a1" kill
dlg=$(timeout 5 xdotool search --sync --onlyvisible --name '^Stop the VM\?$' | head -1)
check "the Stop button asks first (a dialog 'Stop the VM?')" test -n "$dlg"
[ -n "$dlg" ] && shot_at "$tmp/dialog.png" && cp "$tmp/dialog.png" "$shots/stop-dialog.png"
[ -n "$dlg" ] && { xdotool windowactivate --sync "$dlg" 2>/dev/null; xdotool key Escape; }
sleep 0.5
check "Escape in it keeps the VM running, and closes it" \
	sh -c "! grep -q '^state s' '$tmp/web.log' && kill -0 $web_pid && ! xdotool search --onlyvisible --name '^Stop the VM'"
xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"

# Screenshot: the save dialog, a file name typed, the guest's own pixels in it.
click $a1 "$tmp/a1" menu; sleep 0.5
click $a1 "$tmp/a1" screenshot
fc=$(window "Save Screenshot")
check "Screenshot opens a save dialog" test -n "$fc"
if [ -n "$fc" ]; then
	xdotool windowactivate --sync "$fc" 2>/dev/null
	xdotool key ctrl+a; xdotool type --delay 10 "$tmp/saved.png"; xdotool key Return
	check "and saves the guest's screen as a PNG, pixel for pixel (not the window's)" \
		sh -c "sleep 1; '$b/tests/ui/shot-check' '$tmp/saved.png' 1024 768 0 0"
fi
xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"

# ---- the menu: Ctrl+Alt+Del, private mode ---------------------------------------
: >"$tmp/web.log"
click $a1 "$tmp/a1" menu; sleep 0.5
click $a1 "$tmp/a1" ctrl-alt-del
check "Send Ctrl+Alt+Del: the guest gets Ctrl, Alt and Delete down, then up, in order" \
	sh -c "sleep 0.5; grep -E '^key ' '$tmp/web.log' | tr '\n' ' ' | grep -q '^key 29 down key 56 down key 111 down key 111 up key 56 up key 29 up'"
click $a1 "$tmp/a1" menu; sleep 0.5
click $a1 "$tmp/a1" private
check "Private mode from the menu: the display goes private" waitfor "$tmp/web.log" '^private on$' 5
if [ -x "$b/examples/display-viewer" ]; then
	check "and another viewer sees it blank" \
		sh -c "timeout 20 '$b/examples/display-viewer' --settle 500 --timeout 15 '$tmp/run/web.sock' '$tmp/other.png' | grep -q ' blank\$'"
fi
click $a1 "$tmp/a1" menu; sleep 0.5
click $a1 "$tmp/a1" private
check "and from the menu again it is public" waitfor "$tmp/web.log" '^private off$' 5
# Full screen is asked of the window manager (_NET_WM_STATE): wm.t has one;
# here, Ctrl+Alt+F, also with the keyboard captured, is the app's and
# types no F in the guest.
xdotool key Escape
xdotool mousemove $((gx0 + 100)) $((gy0 + 100)) click 1
: >"$tmp/web.log"
xdotool key ctrl+alt+f
check "Ctrl+Alt+F with the keyboard captured: no F reaches the guest" \
	sh -c "sleep 0.5; grep -q '^key 29 down' '$tmp/web.log' && ! grep -q '^key 33 ' '$tmp/web.log' || { cat '$tmp/web.log'; false; }"

# ---- frames while the window is moved ----------------------------------------
# Under Xvfb there is no window manager to drag with (GTK's own move of a
# header bar without one did not follow xdotool's pointer), so the window is
# moved as a window manager's drag moves it: 60 ConfigureWindow requests
# over 3 s, by xdotool windowmove, while the guest redraws every 50 ms.
geo0=$(position "$win")
u0=$(stats $a1 "$tmp/a1" | field updates)
d0=$(stats $a1 "$tmp/a1" | field draws)
i=0
while [ $i -lt 60 ]; do
	xdotool windowmove "$win" $((i * 4)) $((i * 3))
	sleep 0.05; i=$((i + 1))
done
u1=$(stats $a1 "$tmp/a1" | field updates)
d1=$(stats $a1 "$tmp/a1" | field draws)
geo1=$(position "$win")
check "the window moved ($geo0 -> $geo1)" test "$geo0" != "$geo1"
check "frames kept coming while it moved: updates $u0 -> $u1, draws $d0 -> $d1 in 3 s (the guest draws 20 a second)" \
	sh -c "[ $((u1 - u0)) -ge 30 ] && [ $((d1 - d0)) -ge 30 ]"
pattern "after the move the pattern is still pixel for pixel, where the window went"

# ---- follow mode, and fit at 1.5 ----------------------------------------
kill $a1; gone $a1
check "closing the app leaves the VM running" sh -c "kill -0 $web_pid && timeout 10 gdbus call --address '$A' --dest org.vmain.VM --object-path /org/vmain/VM --method org.freedesktop.DBus.Properties.Get org.vmain.VM1 State | grep -q running"
: >"$tmp/web.log"
start_app "$tmp/a2" --scaling follow web
a2=$app_pid
win=$(window web)
sleep 1
xdotool windowsize "$win" 1300 950
check "follow: the guest is asked for the window's size and takes it" \
	waitfor "$tmp/web.log" '^mode 12[0-9][0-9] 8[0-9][0-9]$' 10
sleep 0.8
s2=$(stats $a2 "$tmp/a2" | grep -v "^widget")
mode=$(grep '^mode' "$tmp/web.log" | tail -1 | cut -d' ' -f2,3 | tr ' ' x)
check "follow: the new mode ($mode) fills the window at 1:1 ($s2)" \
	sh -c "echo '$s2' | grep -q 'scale=1.000 mode=follow $mode'"
sizes=$(grep -c '^size ' "$tmp/web.log")
check "follow: one size asked for the resize ($sizes)" test "$sizes" -le 2
kill $a2; gone $a2

start_app "$tmp/a3" --scaling fit web
a3=$app_pid
win=$(window web)
sleep 1
call --method org.vmain.Display1.SetPreferredSize 1024 768 >/dev/null
waitfor "$tmp/web.log" '^mode 1024 768$' 10 >/dev/null
sleep 0.5
# The window's size for a 1536x1152 drawing area: its size now, less the area's, plus that.
xdotool windowsize "$win" 1300 1000
sleep 0.5
area=$(stats $a3 "$tmp/a3" | field area)
geo=$(xdotool getwindowgeometry "$win" | sed -n 's/.*Geometry: \([0-9]*x[0-9]*\).*/\1/p')
xdotool windowsize "$win" $((${geo%x*} - ${area%x*} + 1536)) $((${geo#*x} - ${area#*x} + 1152))
sleep 1
s3=$(stats $a3 "$tmp/a3" | grep -v "^widget")
check "fit: a 1536-wide window shows the 1024x768 guest at 1.5 ($s3)" \
	sh -c "echo '$s3' | grep -q 'scale=1.500 mode=fit 1024x768'"
shot_win "$win" "$shots/display-window-1.5.png"
kill $a3; gone $a3

# ---- HiDPI: a scale-2 screen --------------------------------------------------
# Its own settings: the size the windows above saved is in other pixels.
XDG_CONFIG_HOME="$tmp/config2" GDK_SCALE=2 "$app" --scaling 1:1 web >>"$tmp/a8.out" 2>"$tmp/a8.err" & a8=$!
pids="$pids $a8"
sleep 2.5
pattern "GDK_SCALE=2, 1:1: a guest pixel is one device pixel, pixel for pixel"
kill $a8; gone $a8

# ---- two windows on one VM, inline pixels ---------------------------------
start_app "$tmp/a4" --scaling 1:1 web; a4=$app_pid
start_app "$tmp/a5" --scaling 1:1 --inline web; a5=$app_pid
sleep 2
u4=$(stats $a4 "$tmp/a4" | field updates); u5=$(stats $a5 "$tmp/a5" | field updates)
sleep 1
v4=$(stats $a4 "$tmp/a4" | field updates); v5=$(stats $a5 "$tmp/a5" | field updates)
check "two windows on one VM both get frames ($u4 -> $v4, inline $u5 -> $v5)" \
	sh -c "[ $v4 -gt $u4 ] && [ $v5 -gt $u5 ]"
kill $a4; gone $a4
sleep 0.5
pattern "--inline: the pattern pixel for pixel too"

# ---- the VM dies ------------------------------------------------------------
kill -9 $web_pid
check "a VM that dies: the window says so" waitfor "$tmp/a5.err" 'vmain-gtk: web: the VM has stopped or gone away' 10
check "and the app stays up" alive $a5
eb=$(stats $a5 "$tmp/a5" | grep '^error-bar ')
check "the window's own error bar says it ($eb)" \
	sh -c "echo '$eb' | grep -q '^error-bar web: the VM has stopped or gone away'"
sleep 0.3
shot_win "$(window web)" "$shots/display-window-vm-gone.png"
# The VM back on its socket, as after vmain save and the restore by vmain
# start: the window attaches to it by itself (it watches the socket's
# directory) and shows the screen again.
start_vm web --redraw-ms 50
web_pid=$vm_pid
u=$(updates_come $a5 "$tmp/a5")
check "the VM back on its socket: the window attaches again ($u updates)" [ "$u" -gt 0 ]
sleep 0.5
pattern "and shows its screen again, pixel for pixel"
# Its header bar's Power presses the power button; the fake guest powers off.
: >"$tmp/web.log"
click $a5 "$tmp/a5" power
check "Power presses the VM's power button" waitfor "$tmp/web.log" '^power-button$' 5
check "and the guest powers off: the VM ends" gone $web_pid
check "and the window says so again" \
	sh -c "sleep 0.5; [ \$(grep -c 'the VM has stopped or gone away' '$tmp/a5.err') -ge 2 ]"
kill $a5; gone $a5
kill $web_pid 2>/dev/null; gone $web_pid

# ---- a headless VM; no VM at all -------------------------------------------
start_vm web --no-display
start_app "$tmp/a6" web; a6=$app_pid
check "a headless VM: the window says it has no screen" waitfor "$tmp/a6.err" 'vmain-gtk: web: the VM has no screen' 10
eb=$(stats $a6 "$tmp/a6" | grep '^error-bar ')
check "in its error bar ($eb)" sh -c "echo '$eb' | grep -q '^error-bar web: the VM has no screen'"
kill $a6; gone $a6
kill $vm_pid; gone $vm_pid
start_app "$tmp/a7" nosuch; a7=$app_pid
check "no such VM: the window says it cannot connect, with the reason" \
	waitfor "$tmp/a7.err" 'vmain-gtk: nosuch: cannot connect to .*nosuch.sock: ' 10
eb=$(stats $a7 "$tmp/a7" | grep '^error-bar ')
check "in its error bar ($eb)" sh -c "echo '$eb' | grep -q '^error-bar nosuch: cannot connect to .*nosuch.sock: '"
# ... and waits: once a VM of that name starts, the window attaches to it.
start_vm nosuch --redraw-ms 50
u=$(updates_come $a7 "$tmp/a7")
check "and attaches when a VM of that name starts ($u updates)" [ "$u" -gt 0 ]
kill $vm_pid; gone $vm_pid
kill $a7; gone $a7
# Another user's VM: it closes our connection; the window says whose it is.
# (A VM of user nobody needs root to make; without root this is skipped.)
if [ "$(id -u)" = 0 ]; then
other=$(mktemp -d /tmp/app-t-other.XXXXXX)
chmod 755 "$other"; mkdir "$other/run"; chown nobody "$other/run"
(cd / && VMAIN_RUNTIME_DIR="$other/run" exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$b/tests/ui/fake-vm" --log "$other/run/log" other >/dev/null 2>&1) & opid=$!
pids="$pids $opid"
waitfor "$other/run/log" '^ready ' 10 >/dev/null
VMAIN_RUNTIME_DIR="$other/run" start_app "$tmp/a9" other; a9=$app_pid
waitfor "$tmp/a9.err" 'vmain-gtk: other: ' 10 >/dev/null
stats $a9 "$tmp/a9" | grep '^error-bar ' >"$tmp/eb"
check "another user's VM: permission denied, whose it is, in the error bar ($(cat "$tmp/eb"))" \
	grep -q '^error-bar other: cannot connect to .*other.sock: permission denied: the VM belongs to nobody' "$tmp/eb"
kill $a9; gone $a9
kill $opid 2>/dev/null; gone $opid
rm -rf "$other"
else
	n=$((n + 1)); echo "ok $n # SKIP another user's VM: not root (a VM of user nobody needs root to make)"
fi

# ---- the library -----------------------------------------------------------
start_vm web --redraw-ms 100
web_pid=$vm_pid
# Its HOME a directory of its own: New VM's file chooser goes there (Alt+Home) for the ISO.
mkdir -p "$tmp/home"; home0=$HOME; HOME=$tmp/home
start_app "$tmp/l" ; lib=$app_pid
HOME=$home0
lwin=$(window vmain)
check "vmain-gtk opens the library window" test -n "$lwin"
sleep 1.5
ls=$(stats $lib "$tmp/l" | grep '^library' | tr '\n' ' ')
check "it lists db stopped and web running ($ls)" \
	sh -c "echo '$ls' | grep -q 'library db stopped library web running'"
shot_win "$lwin" "$shots/library.png"
call --method org.vmain.VM1.Pause >/dev/null
sleep 0.5
ls=$(stats $lib "$tmp/l" | grep '^library' | tr '\n' ' ')
check "web paused from elsewhere: the list says so at once, no polling ($ls)" \
	sh -c "echo '$ls' | grep -q 'library web paused'"
call --method org.vmain.VM1.Resume >/dev/null
# The row's own buttons.
sleep 0.5
: >"$tmp/web.log"
click $lib "$tmp/l" pause-web
check "the row's Pause pauses web" waitfor "$tmp/web.log" '^state paused$' 5
click $lib "$tmp/l" pause-web
check "and, now Resume, resumes it" waitfor "$tmp/web.log" '^state running$' 5
"$b/monitor/vmain" create --memory 2G new1 >/dev/null
sleep 1
ls=$(stats $lib "$tmp/l" | grep '^library' | tr '\n' ' ')
check "a VM made by vmain create appears ($ls)" sh -c "echo '$ls' | grep -q 'library new1 stopped'"
"$b/monitor/vmain" delete --yes new1 >/dev/null
sleep 1
ls=$(stats $lib "$tmp/l" | grep '^library' | tr '\n' ' ')
check "and goes when deleted ($ls)" sh -c "! echo '$ls' | grep -q new1"
# A second running VM, its screen opened too and moved aside (no window
# manager places it), so that one app shows two VMs at once.
"$b/monitor/vmain" create --memory 256M --display two >/dev/null
start_vm two --redraw-ms 100
two_pid=$vm_pid
sleep 1
click $lib "$tmp/l" display-two
twin=$(window two)
[ -n "$twin" ] && xdotool windowmove --sync "$twin" 880 560 2>/dev/null
click $lib "$tmp/l" display-web
dwin=$(window web)
check "Display on web opens its screen" test -n "$dwin"
# vms_drawn LOG: "web-updates two-updates" from the app's report
vms_drawn() { stats $lib "$1" | awk '/^display web /{ for (i = 1; i <= NF; i++) if ($i ~ /^updates=/) w = substr($i, 9) }
	/^display two /{ for (i = 1; i <= NF; i++) if ($i ~ /^updates=/) t = substr($i, 9) } END { print w + 0, t + 0 }'; }
sleep 1
set -- $(vms_drawn "$tmp/l"); w1=$1 t1=$2
sleep 1.5
set -- $(vms_drawn "$tmp/l"); w2=$1 t2=$2
check "one app shows two VMs at once, both screens updating (web $w1 -> $w2, two $t1 -> $t2)" \
	test -n "$twin" -a "$w2" -gt "$w1" -a "$t2" -gt "$t1"
if [ -n "$twin" ]; then
	close_window "$twin"
	check "two's window closes, and two runs on" \
		sh -c "sleep 1; ! xdotool search --onlyvisible --name '^two\$' >/dev/null && kill -0 $two_pid"
fi
kill $two_pid 2>/dev/null; gone $two_pid
if [ -n "$dwin" ]; then
	close_window "$dwin"
	check "its close button closes it, and the VM runs on" \
		sh -c "sleep 1; ! xdotool search --onlyvisible --name '^web\$' >/dev/null && kill -0 $web_pid && kill -0 $lib"
fi
click $lib "$tmp/l" start-db
check "Start on db (its kernel gone): the refusal, with vmain's reason, on stderr" \
	waitfor "$tmp/l.err" '^vmain-gtk: start db: .*kernel' 10
eb=$(stats $lib "$tmp/l" | grep '^error-bar ')
check "and in the library's error bar ($eb)" sh -c "echo '$eb' | grep -q '^error-bar vmain: start db: .*kernel'"
# The host's memory cap (vmain.conf): web's 1 GiB runs, big's 1 GiB would pass 1200 MiB.
"$b/monitor/vmain" create --memory 1G --kernel "$b/monitor/vmain" big >/dev/null
mkdir -p "$XDG_CONFIG_HOME/vmain"
printf '[host]\nmax_memory=1200M\n' >"$XDG_CONFIG_HOME/vmain/vmain.conf"
sleep 1
click $lib "$tmp/l" start-big
waitfor "$tmp/l.err" '^vmain-gtk: start big: ' 10 >/dev/null
eb=$(stats $lib "$tmp/l" | grep '^error-bar ')
check "Start past the memory cap: refused, the numbers and the file in the error bar ($eb)" \
	sh -c "echo '$eb' | grep -q '^error-bar vmain: start big: .*needs 1024 MiB.* 1024 MiB of the 1200 MiB cap (.*vmain.conf)'"
rm -f "$XDG_CONFIG_HOME/vmain/vmain.conf"
"$b/monitor/vmain" delete --yes big >/dev/null
click $lib "$tmp/l" new
dlg=$(window "New VM")
check "New VM opens the dialog" test -n "$dlg"
if [ -n "$dlg" ]; then
	xdotool windowactivate --sync "$dlg" 2>/dev/null
	xdotool type --delay 20 made; xdotool key Return
	check "typing a name and Enter creates it with vmain create (the list, and vmain list)" \
		sh -c "sleep 2; '$b/monitor/vmain' list | grep -q '^made ' && kill -USR1 $lib && sleep 0.3 && grep -q 'library made stopped' '$tmp/l.out'"
	# Installer ISO: a file chooser, then vmain create --iso.  The name is typed
	# in the chooser's home folder, before a sentinel X (the entry's inline
	# completion only acts at its end), which then goes.
	printf 'an installer disc, for the form\n' >"$tmp/home/inst.iso"
	click $lib "$tmp/l" new
	dlg=$(window "New VM")
	xdotool windowactivate --sync "$dlg" 2>/dev/null
	xdotool type --delay 20 inst
	click $lib "$tmp/l" vm-iso
	fc=$(window "The installer's ISO image")
	check "New VM's Installer ISO opens a file chooser" test -n "$fc"
	if [ -n "$fc" ]; then
		xdotool windowactivate --sync "$fc" 2>/dev/null
		xdotool key alt+Home; sleep 1; xdotool key ctrl+l; sleep 0.5
		xdotool type X; xdotool key Home; xdotool type --delay 60 inst.iso
		xdotool key End BackSpace; sleep 0.5; xdotool key Return
		sleep 1
		shot_win "$dlg" "$shots/new-vm-iso.png"
		click $lib "$tmp/l" new-create
		check "... the ISO chosen, Create makes the VM with vmain create --iso ([cdrom] file=, a screen)" \
			sh -c "sleep 2; '$b/monitor/vmain' list | grep -q '^inst ' &&
			       grep -qx 'file=$tmp/home/inst.iso' '$tmp/vms/inst.vmain/config.ini' &&
			       grep -qx '\[cdrom\]' '$tmp/vms/inst.vmain/config.ini' &&
			       grep -qx 'enabled=true' '$tmp/vms/inst.vmain/config.ini'"
		"$b/monitor/vmain" delete --yes inst >/dev/null 2>&1
	fi
	click $lib "$tmp/l" new
	dlg=$(window "New VM")
	xdotool windowactivate --sync "$dlg" 2>/dev/null
	xdotool type --delay 20 db; xdotool key Return
	check "a name that exists: the dialog stays with vmain's reason" \
		sh -c "sleep 1.5; grep -q '^vmain-gtk: create: .*db.*exists' '$tmp/l.err' && xdotool search --onlyvisible --name '^New VM\$' >/dev/null"
	click $lib "$tmp/l" new-cancel
	check "and its Cancel closes it" \
		sh -c "sleep 0.5; ! xdotool search --onlyvisible --name '^New VM\$' >/dev/null"
fi
# Edit: db's CPUs from 1 to 3, through vmain edit.
click $lib "$tmp/l" edit-db
dlg=$(window "Edit db")
check "Edit on db opens its dialog" test -n "$dlg"
if [ -n "$dlg" ]; then
	click $lib "$tmp/l" vm-cpus
	xdotool key ctrl+a; xdotool type 3; xdotool key Tab
	click $lib "$tmp/l" edit-save
	check "Save runs vmain edit: db has 3 CPUs" \
		sh -c "sleep 1.5; '$b/monitor/vmain' list --json | grep -F '\"name\": \"db\"' | grep -qF '\"cpus\": 3'"
fi
click $lib "$tmp/l" screenshot-web
fc=$(window "Save Screenshot")
check "the row's Screenshot opens a save dialog" test -n "$fc"
if [ -n "$fc" ]; then
	# No window manager: the keys go to the window under the pointer.
	xdotool mousemove --window "$fc" 40 40
	xdotool key ctrl+a; xdotool type --delay 10 "$tmp/lib-shot.png"; xdotool key Return
	check "and saves web's screen as a PNG, pixel for pixel" \
		sh -c "sleep 1; '$b/tests/ui/shot-check' '$tmp/lib-shot.png' 1024 768 0 0"
fi
: >"$tmp/web.log"
click $lib "$tmp/l" stop-web
check "the row's Stop presses the power button (Stop: the state goes shutting-down)" \
	waitfor "$tmp/web.log" '^state shutting-down$' 5
check "and the guest powers off: web ends" gone $web_pid
kill $web_pid 2>/dev/null; gone $web_pid
sleep 1
ls=$(stats $lib "$tmp/l" | grep '^library' | tr '\n' ' ')
check "web stops: the list says stopped ($ls)" sh -c "echo '$ls' | grep -q 'library web stopped'"
# Delete asks first; its Delete button (Alt+D) runs vmain delete.
click $lib "$tmp/l" delete-made
dlg=$(window 'Delete made\?')
check "Delete on made asks first (a dialog 'Delete made?')" test -n "$dlg"
if [ -n "$dlg" ]; then
	xdotool windowactivate --sync "$dlg" 2>/dev/null; xdotool key alt+d
	check "and its Delete removes the bundle (vmain list)" \
		sh -c "sleep 1.5; ! '$b/monitor/vmain' list | grep -q '^made '"
fi
# A guest that ignores the power button: the row's Stop waits (30 s), and
# then offers Force stop, which asks first and pulls the plug.
"$b/monitor/vmain" create --memory 256M --display deaf >/dev/null
start_vm deaf --deaf
deaf_pid=$vm_pid
sleep 1.5
click $lib "$tmp/l" stop-deaf
check "Stop on a guest that ignores the power button: shutting down" \
	waitfor "$tmp/deaf.log" '^state shutting-down$' 5
sleep 0.5
click $lib "$tmp/l" stop-deaf
dlg=$(window 'Stop deaf at once\?')
check "then the row's Force stop asks first ('Stop deaf at once?')" test -n "$dlg"
if [ -n "$dlg" ]; then
	xdotool windowactivate --sync "$dlg" 2>/dev/null; xdotool key alt+s
	check "and Stop now pulls the plug at once, long before Stop's 30 s" gone $deaf_pid
	check "(the VM was killed: stopped right after shutting-down)" \
		sh -c "tail -1 '$tmp/deaf.log' | grep -q '^state stopped$'"
fi
kill $deaf_pid 2>/dev/null; gone $deaf_pid

# SIGTERM while a dialog waits for an answer: the app still ends.
click $lib "$tmp/l" new
window "New VM" >/dev/null
kill -TERM $lib
check "SIGTERM with the New VM dialog open ends the app" gone $lib

# ---- the settings file --------------------------------------------------------
ini="$XDG_CONFIG_HOME/vmain/vmain-gtk.ini"
check "the settings file keeps the window's size and scaling under [vm web]" \
	sh -c "grep -q '^\[vm web\]' '$ini' && grep -q '^width=' '$ini' && grep -q '^scaling=' '$ini'"
check "and the recent VMs" grep -q '^vms=web;' "$ini"

# ---- no sanitizer report from any run of the app or the fake VM -------------------
bad=$(grep -l -E 'ERROR: AddressSanitizer|runtime error:' "$tmp"/*.err 2>/dev/null)
if [ -z "$bad" ]; then ok "no ASan/UBSan report in any run ($(basename "$app") from $(dirname "$app"))"
else nok "sanitizer reports in: $bad"; for f in $bad; do sed 's/^/# /' "$f" | head -40; done; fi

echo "1..$n"
