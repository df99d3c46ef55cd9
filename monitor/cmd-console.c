// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-console.c - `vmain console NAME`: this terminal on a running VM's
 * serial console, through org.vmain.Console1 (a socket the VM hands over:
 * the bytes never travel inside D-Bus messages).
 */
#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "vm/client.h"
#include "vm/dbus.h"

#define ESCAPE_CHAR	0x01	/* Ctrl-A */

static struct termios saved;
static bool raw;

static void terminal_restore(void)
{
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	raw = false;
}

/*
 * A signal that ends us (SIGTERM from kill, SIGHUP from a closed terminal,
 * a crash) restores the terminal first: tcsetattr is async-signal-safe
 * (POSIX.1-2008 2.4.3); SA_RESETHAND puts the default action back.
 */
static void terminal_fatal(int sig)
{
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	raise(sig);
}

static void terminal_raw(void)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGSEGV, SIGBUS,
				    SIGABRT, SIGILL, SIGFPE };
	struct sigaction sa;
	struct termios t;
	unsigned int i;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved))
		return;
	t = saved;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t))
		return;
	raw = true;
	atexit(terminal_restore);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = terminal_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < G_N_ELEMENTS(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/*
 * Copies both ways until the VM ends (EOF on the socket: 0), the user
 * detaches (Ctrl-A d: 0) or input ends (EOF on stdin: output goes on).
 * The socket is non-blocking: keys the VM does not take (a paused guest,
 * a huge paste) wait in `out` and, once it is full, are dropped, so the
 * keyboard, Ctrl-A d included, always works.
 */
static int bridge(int sock, const char *name)
{
	struct pollfd fds[2];
	uint8_t in[256], out[4096], buf[4096];
	bool escape = false, input = true;
	size_t nout = 0, i;
	ssize_t r;

	g_unix_set_fd_nonblocking(sock, TRUE, NULL);
	for (;;) {
		fds[0] = (struct pollfd){ .fd = input ? STDIN_FILENO : -1, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = sock, .events = POLLIN | (nout ? POLLOUT : 0) };
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return CLI_FAILED;
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = read(sock, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				terminal_restore();
				fprintf(stderr, "\r\n[vmain: %s has stopped]\r\n", name);
				return CLI_OK;
			}
			if (!write_all(STDOUT_FILENO, buf, (size_t)r))
				return CLI_FAILED;
		}
		if (nout && (fds[1].revents & POLLOUT)) {
			r = write(sock, out, nout);
			if (r > 0) {
				memmove(out, out + r, nout - (size_t)r);
				nout -= (size_t)r;
			}
		}
		if (input && (fds[0].revents & (POLLIN | POLLHUP))) {
			r = read(STDIN_FILENO, in, sizeof(in));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				input = false;	/* no more input; output goes on */
				continue;
			}
			for (i = 0; i < (size_t)r; i++) {
				if (escape) {
					escape = false;
					if (in[i] == 'd' || in[i] == 'D') {
						terminal_restore();
						fprintf(stderr, "\r\n[vmain: detached from %s; it "
							"keeps running]\r\n", name);
						return CLI_OK;
					}
					if (in[i] != ESCAPE_CHAR)
						continue;
				} else if (in[i] == ESCAPE_CHAR) {
					escape = true;
					continue;
				}
				if (nout < sizeof(out))
					out[nout++] = in[i];
			}
			if (nout) {
				r = write(sock, out, nout);
				if (r > 0) {
					memmove(out, out + r, nout - (size_t)r);
					nout -= (size_t)r;
				}
			}
		}
	}
}

int cmd_console(int argc, char **argv)
{
	struct vm_paths paths;
	GDBusConnection *conn;
	GUnixFDList *fds = NULL;
	GVariant *reply = NULL;
	char *name, err[512];
	int status, ret, sock;
	gint32 idx;

	status = cli_parse(&argc, &argv, "console", "NAME", "attach to a VM's serial console",
		"This terminal becomes the VM's serial console (ttyS0): first what the\n"
		"guest wrote lately, then everything it writes, and every key goes to\n"
		"it.  Ctrl-A d detaches (the VM keeps running), Ctrl-A Ctrl-A types a\n"
		"Ctrl-A.  One console client at a time; attach again as often as you\n"
		"like.  Without a terminal the keys work the same in standard input\n"
		"(a script can detach with printf '\\001d'); its end leaves the output\n"
		"running until the VM stops or the client is killed.\n"
		"\n"
		"Exit status: 0 detached, or the VM stopped; 1 failed; 2 bad usage;\n"
		"4 not running, or another client is attached; 5 no such VM.\n",
		NULL, &name, &paths);
	if (status)
		return status;
	status = cli_connect("console", &paths, name, &conn);
	if (status)
		goto free_paths;
	ret = vm_client_call(conn, VM_DBUS_CONSOLE_IFACE, "Open", NULL, &reply, &fds, err,
			     sizeof(err));
	if (ret) {
		fprintf(stderr, "vmain console: %s\n", err);
		status = ret == -EBUSY || ret == -EINVAL ? CLI_STATE : CLI_FAILED;
		goto unref_conn;
	}
	g_variant_get(reply, "(h)", &idx);
	sock = fds ? g_unix_fd_list_get(fds, idx, NULL) : -1;
	if (sock < 0) {
		fprintf(stderr, "vmain console: the VM sent no console socket\n");
		status = CLI_FAILED;
		goto unref_reply;
	}
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "[vmain: attached to %s; Ctrl-A d detaches]\r\n", name);
	terminal_raw();
	status = bridge(sock, name);
	terminal_restore();
	close(sock);
unref_reply:
	g_variant_unref(reply);
	if (fds)
		g_object_unref(fds);
unref_conn:
	g_object_unref(conn);
free_paths:
	vm_paths_free(&paths);
	return status;
}
