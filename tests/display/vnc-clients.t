#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Standard VNC clients against the monitor's VNC server (display/vnc.c,
# served by tests/display/vnc-serve with a pattern of flat 32x32 blocks):
# vncsnapshot with and without a password, and gvncviewer under Xvfb
# (its window's pixels, keys typed and a click with xdotool reaching the
# server, a mode change followed).  libvncclient is vnc-test.c's.
#
# vncsnapshot writes JPEG (-quality 100, -nojpeg on the wire): the blocks
# are compared 4 pixels in from their edges, where chroma subsampling
# blurs, each channel within 8 (measured: 0).  gvncviewer's window is
# compared pixel for pixel.  The tools come with scripts/deps test; a
# missing one is a failure, not a skip.
. "$(dirname "$0")/../lib/tap-relay.sh"

ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
# check CMD DESC: DESC is expanded after CMD ran (it may quote CMD's output).
check() { if eval "$1"; then ok "$(eval "echo \"$2\"")"; else nok "$(eval "echo \"$2\"")"; fi; }

srv=$(prog display vnc-serve)
missing=
for t in vncsnapshot gvncviewer Xvfb xdotool import convert; do
	command -v $t >/dev/null 2>&1 || missing="$missing $t"
done
if [ -z "$srv" ] || [ -n "$missing" ]; then
	[ -z "$srv" ] && nok "tests/display/vnc-serve is not built (run make)"
	[ -n "$missing" ] && nok "missing:$missing (scripts/deps build test installs them)"
	echo "1..$n"
	exit 0
fi

pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# serve LOG ARGS...: starts vnc-serve on a free display number (sets d and sp).
# LOG is emptied here, not only by the redirection: that one is done in the
# forked child, and until the child gets to it, a LOG reused from the last
# server still says "ready" (snap was refused, and stop's SIGTERM came
# before vnc-serve blocked it: exit 143).
serve() {
	log=$1; shift
	for d in $(seq $((40 + $$ % 40)) 99); do
		: >"$log"
		"$srv" "$@" "127.0.0.1:$((5900 + d))" >"$log" 2>&1 &
		sp=$!
		for i in $(seq 50); do
			grep -q '^ready' "$log" && { pids="$pids $sp"; return 0; }
			kill -0 $sp 2>/dev/null || break
			sleep 0.05
		done
		kill $sp 2>/dev/null; wait $sp 2>/dev/null
	done
	return 1
}

# stop: SIGTERM, and the server must exit 0.
stop() {
	kill -TERM "$sp"; wait "$sp"; rc=$?
	pids=$(echo "$pids" | sed "s/ $sp\b//")
	return $rc
}

# snap FILE.ppm [vncsnapshot options]: a snapshot of display $d as PPM.
snap() {
	out=$1; shift
	rm -f "$tmp/s.jpg"
	timeout 20 vncsnapshot -quiet -nojpeg -quality 100 "$@" "127.0.0.1:$d" "$tmp/s.jpg" \
		>"$tmp/vs.log" 2>&1 && convert "$tmp/s.jpg" "ppm:$out"
}

# --- vncsnapshot ---------------------------------------------------------
# vncsnapshot saves the picture after the first FramebufferUpdate it
# gets: vnc.c sends the whole region asked for in one (through the
# client's spool), so a screen of any size comes whole.  160x96 (60 KiB of
# pixels), 640x480 (1.2 MiB) and 1920x1080 (7.9 MiB, far more than a
# socket's buffer holds).
for size in 160x96 640x480 1920x1080; do
	if serve "$tmp/s1.log" -s $size; then
		check 'snap "$tmp/a.ppm" && "$srv" -c "$tmp/a.ppm" -s $size -t 8 >"$tmp/c" 2>&1' \
		      'vncsnapshot of a $size screen shows the pattern, every block ($(cat "$tmp/c"))'
		check 'stop' "the server exits 0 on SIGTERM ($size)"
	else
		nok "vnc-serve starts ($size)"
	fi
done

# A password: the server's file is --vnc-password-file's, vncsnapshot's -passwd the vncpasswd format.
printf 'hunter2\n' >"$tmp/pw"; chmod 600 "$tmp/pw"
"$srv" -P hunter2 "$tmp/pw.vnc" && "$srv" -P hunter3 "$tmp/bad.vnc"
if serve "$tmp/s2.log" -s 160x96 -p "$tmp/pw"; then
	check 'snap "$tmp/b.ppm" -passwd "$tmp/pw.vnc" && "$srv" -c "$tmp/b.ppm" -s 160x96 -t 8 >/dev/null' \
	      "vncsnapshot -passwd with the right password: the pattern"
	check '! snap "$tmp/c.ppm" -passwd "$tmp/bad.vnc"' \
	      'vncsnapshot -passwd with a wrong password: refused ($(tail -n 1 "$tmp/vs.log"))'
	stop
else
	nok "vnc-serve starts with a password file"
fi

# --- gvncviewer under Xvfb -----------------------------------------------
Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$tmp/xd" 2>"$tmp/xvfb.log" &
xp=$!; pids="$pids $xp"
for i in $(seq 100); do [ -s "$tmp/xd" ] && break; sleep 0.05; done
DISPLAY=:$(cat "$tmp/xd"); export DISPLAY
if [ ! -s "$tmp/xd" ]; then
	nok "Xvfb starts ($(tail -n 1 "$tmp/xvfb.log"))"
elif ! serve "$tmp/s4.log"; then
	nok "vnc-serve starts for gvncviewer"
else
	gvncviewer "127.0.0.1:$d" >"$tmp/gv.log" 2>&1 &
	gp=$!; pids="$pids $gp"
	w=$(timeout 10 xdotool search --sync --onlyvisible --class gvncviewer 2>/dev/null | head -n 1)
	found=
	for i in $(seq 40); do
		sleep 0.25
		import -window root "$tmp/x1.png" && convert "$tmp/x1.png" "ppm:$tmp/x1.ppm" &&
			"$srv" -c "$tmp/x1.ppm" >"$tmp/c" 2>&1 && { found=$(cat "$tmp/c"); break; }
	done
	check '[ -n "$w" ] && [ -n "$found" ]' \
	      'gvncviewer shows the 640x480 pattern in its window, every pixel ($(cat "$tmp/c"))'
	# Where the picture is in the window: x,y of "found at X,Y" on the root.
	xy=${found#found at }; xy=${xy%%, *}; ox=${xy%,*}; oy=${xy#*,}

	xdotool windowfocus --sync "$w"
	xdotool type --delay 20 abc
	xdotool key Return
	sleep 0.5
	check 'grep -q "^key 30 1" "$tmp/s4.log" && grep -q "^key 48 1" "$tmp/s4.log" &&
	       grep -q "^key 46 1" "$tmp/s4.log" && grep -q "^key 28 0" "$tmp/s4.log"' \
	      "xdotool type abc, key Return: KEY_A, KEY_B, KEY_C, KEY_ENTER reach the server"
	xdotool mousemove $((ox + 100)) $((oy + 60)) click 1
	sleep 0.5
	check 'grep -q "^abs 100 60" "$tmp/s4.log" && grep -q "^buttons 1" "$tmp/s4.log" &&
	       grep -q "^buttons 0" "$tmp/s4.log"' \
	      "a click at (100,60) of the picture: that position, button 1 down and up"

	kill -USR1 "$sp"
	fol=
	for i in $(seq 40); do
		sleep 0.25
		import -window root "$tmp/x2.png" && convert "$tmp/x2.png" "ppm:$tmp/x2.ppm" || continue
		# Unscaled if the window grew, else scaled into the 640x480 it has.
		if "$srv" -c "$tmp/x2.ppm" -s 800x600 >"$tmp/c" 2>&1 ||
		   "$srv" -c "$tmp/x2.ppm" -s 800x600 -a "640x480+$ox+$oy" -t 8 >"$tmp/c" 2>&1; then
			fol=$(cat "$tmp/c"); break
		fi
	done
	check '[ -n "$fol" ]' 'a mode change to 800x600: gvncviewer follows ($(cat "$tmp/c"))'
	check 'stop' "the server exits 0 on SIGTERM with gvncviewer connected"
fi
echo "1..$n"
