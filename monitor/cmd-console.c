// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-console.c - `vmain console NAME`: this terminal on a running VM's
 * serial console, through org.vmain.Console1 (a socket the VM hands over:
 * the bytes never travel inside D-Bus messages).
 */
#include <errno.h>
#include <gio/gunixfdlist.h>
#include <poll.h>
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

static void terminal_raw(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved))
		return;
	t = saved;
	cfmakeraw(&t);
	if (!tcsetattr(STDIN_FILENO, TCSAFLUSH, &t)) {
		raw = true;
		atexit(terminal_restore);
	}
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
 * detaches (Ctrl-A d: 0) or input ends (EOF on stdin: 0).  Typed keys go
 * out as they come, so a blocking write is fine: the VM drains its end
 * on its own loop.
 */
static int bridge(int sock, const char *name)
{
	struct pollfd fds[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
				 { .fd = sock, .events = POLLIN } };
	uint8_t in[256], out[256], buf[4096];
	bool escape = false, input = true;
	size_t n, i;
	ssize_t r;

	for (;;) {
		fds[0].fd = input ? STDIN_FILENO : -1;
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return CLI_FAILED;
		}
		if (fds[1].revents) {
			r = read(sock, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				terminal_restore();
				fprintf(stderr, "\r\n[vmain: %s has stopped]\r\n", name);
				return CLI_OK;
			}
			if (!write_all(STDOUT_FILENO, buf, (size_t)r))
				return CLI_FAILED;
		}
		if (input && fds[0].revents) {
			r = read(STDIN_FILENO, in, sizeof(in));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				input = false;	/* no more input; output goes on */
				continue;
			}
			for (n = 0, i = 0; i < (size_t)r; i++) {
				if (escape) {
					escape = false;
					if (in[i] == 'd' || in[i] == 'D') {
						write_all(sock, out, n);
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
				out[n++] = in[i];
			}
			if (n && !write_all(sock, out, n))
				return CLI_FAILED;
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
