// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm/console.c - the serial console: the terminal, the attached client and
 * the history they share (see console.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/outbuf.h"
#include "machine/machine.h"
#include "vm/console.h"

#define ESCAPE_CHAR	0x01	/* Ctrl-A */
#define RETRY_MS	10

/* The console whose terminal is raw: restored at exit and on a crash. */
static struct vm_console *raw_console;

static void terminal_restore(void)
{
	struct vm_console *c = raw_console;

	if (c && c->raw) {
		tcsetattr(c->term_fd, TCSAFLUSH, &c->saved);
		c->raw = false;
	}
}

/*
 * A crash must not leave the user's terminal raw: fatal signals restore
 * it (tcsetattr is async-signal-safe, POSIX.1-2008 2.4.3) and then take
 * their default action, which SA_RESETHAND has put back.
 */
static void terminal_fatal(int sig)
{
	struct vm_console *c = raw_console;

	if (c && c->raw)
		tcsetattr(c->term_fd, TCSAFLUSH, &c->saved);
	raise(sig);
}

static void terminal_catch_fatal(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGQUIT };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = terminal_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < G_N_ELEMENTS(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int terminal_raw(struct vm_console *c)
{
	static bool registered;
	struct termios t;

	if (!isatty(c->term_fd))
		return 0;
	if (tcgetattr(c->term_fd, &c->saved))
		return -errno;
	t = c->saved;
	/* Every key to the guest, ^C included; output as the guest sends it. */
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag &= ~OPOST;
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(c->term_fd, TCSAFLUSH, &t))
		return -errno;
	c->raw = true;
	raw_console = c;
	if (!registered) {
		registered = true;
		atexit(terminal_restore);
	}
	terminal_catch_fatal();
	return 0;
}

void vm_console_init(struct vm_console *c, struct ioloop *loop, struct outbuf *out)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->loop = loop;
	c->out = out;
	c->term_fd = -1;
	c->term_flags = -1;
	c->client_fd = -1;
}

static void history_add(struct vm_console *c, const uint8_t *p, size_t len)
{
	size_t tail, n;

	if (len >= CONSOLE_HISTORY) {
		p += len - CONSOLE_HISTORY;
		len = CONSOLE_HISTORY;
	}
	while (len) {
		tail = (c->hist_head + c->hist_len) % CONSOLE_HISTORY;
		n = CONSOLE_HISTORY - tail;
		if (n > len)
			n = len;
		memcpy(c->history + tail, p, n);
		p += n;
		len -= n;
		c->hist_len += n;
		if (c->hist_len > CONSOLE_HISTORY) {
			c->hist_head = (c->hist_head + c->hist_len - CONSOLE_HISTORY) %
				       CONSOLE_HISTORY;
			c->hist_len = CONSOLE_HISTORY;
		}
	}
}

void vm_console_write(void *opaque, const void *buf, size_t len)
{
	struct vm_console *c = opaque;

	pthread_mutex_lock(&c->lock);
	outbuf_write(c->out, buf, len);
	outbuf_write(c->client_out, buf, len);
	history_add(c, buf, len);
	pthread_mutex_unlock(&c->lock);
}

static gboolean terminal_readable(gint fd, GIOCondition cond, gpointer opaque);
static gboolean client_readable(gint fd, GIOCondition cond, gpointer opaque);

/*
 * What the input fds are watched for.  While input is pending (COM1's
 * FIFO is full) nothing more is read, so the fds are not watched for
 * input at all: GLib's fd sources are level-triggered and would spin.  The
 * client's socket is still watched for its hang-up, so a client that
 * detaches is let go at once.
 */
static void input_watch(struct vm_console *c)
{
	bool reading = !c->npending;

	if (c->term_source && !reading) {
		g_source_remove(c->term_source);
		c->term_source = 0;
	} else if (!c->term_source && reading && c->term_fd >= 0 && !c->term_eof) {
		c->term_source = g_unix_fd_add(c->term_fd, G_IO_IN | G_IO_HUP,
					       terminal_readable, c);
	}
	if (c->client_fd >= 0 && c->client_reading != reading) {
		if (c->client_source)
			g_source_remove(c->client_source);
		c->client_source = g_unix_fd_add(c->client_fd, reading ?
			G_IO_IN | G_IO_HUP | G_IO_ERR : G_IO_HUP | G_IO_ERR,
			client_readable, c);
		c->client_reading = reading;
	}
}

static void input_flush(struct vm_console *c)
{
	size_t n;

	if (!c->npending)
		return;
	if (!c->m) {
		c->npending = 0;	/* between machines: nobody to type to */
		return;
	}
	n = machine_console_input(c->m, c->pending, c->npending);
	memmove(c->pending, c->pending + n, c->npending - n);
	c->npending -= n;
}

static gboolean input_retry(gpointer opaque)
{
	struct vm_console *c = opaque;

	input_flush(c);
	if (c->npending)
		return G_SOURCE_CONTINUE;
	c->retry_source = 0;
	input_watch(c);
	return G_SOURCE_REMOVE;
}

/*
 * The UART's FIFO is full: try again shortly.  The guest drains it at
 * interrupt speed, so this timer only runs while a paste is pending (and
 * not while the VM is paused: nothing drains then).
 */
static void input_push(struct vm_console *c)
{
	input_flush(c);
	if (c->npending && !c->retry_source && !c->paused)
		c->retry_source = g_timeout_add(RETRY_MS, input_retry, c);
	input_watch(c);
}

void vm_console_set_paused(struct vm_console *c, bool paused)
{
	c->paused = paused;
	if (paused && c->retry_source) {
		g_source_remove(c->retry_source);
		c->retry_source = 0;
	}
	if (!paused)
		input_push(c);
}

void vm_console_set_machine(struct vm_console *c, struct machine *m)
{
	c->m = m;
	if (!m)
		c->npending = 0;
}

static gboolean terminal_readable(gint fd, GIOCondition cond, gpointer opaque)
{
	struct vm_console *c = opaque;
	uint8_t buf[64];
	ssize_t n, i;

	(void)cond;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		c->term_source = 0;
		c->term_eof = true;
		return G_SOURCE_REMOVE;		/* EOF: no more input */
	}
	for (i = 0; i < n; i++) {
		if (c->raw && c->escape) {
			c->escape = false;
			if (buf[i] == 'x' || buf[i] == 'X') {
				if (c->stop)
					c->stop(c->opaque);
				continue;
			}
			if (buf[i] != ESCAPE_CHAR)
				continue;
		} else if (c->raw && buf[i] == ESCAPE_CHAR) {
			c->escape = true;
			continue;
		}
		if (c->npending < sizeof(c->pending))
			c->pending[c->npending++] = buf[i];
	}
	input_push(c);
	/* input_push() may have removed this source (input pending). */
	return c->term_source ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

int vm_console_take_terminal(struct vm_console *c, int fd, void (*stop)(void *opaque),
			     void *opaque)
{
	c->term_fd = fd;
	c->stop = stop;
	c->opaque = opaque;
	/* The caller's shell shares this file description: restored in fini. */
	c->term_flags = fcntl(fd, F_GETFL);
	g_unix_set_fd_nonblocking(fd, TRUE, NULL);
	input_watch(c);
	if (terminal_raw(c) == 0 && c->raw)
		fprintf(stderr, "vmain: the console is this terminal; Ctrl-A x stops the VM\r\n");
	return 0;
}

static void client_detach(struct vm_console *c)
{
	struct outbuf *ob;

	if (c->client_fd < 0)
		return;
	if (c->client_source)
		g_source_remove(c->client_source);
	c->client_source = 0;
	pthread_mutex_lock(&c->lock);
	ob = c->client_out;
	c->client_out = NULL;
	pthread_mutex_unlock(&c->lock);
	/* What the client did not read yet is of no use to anyone now. */
	if (ob)
		outbuf_destroy(ob, 0);
	close(c->client_fd);
	c->client_fd = -1;
}

static gboolean client_readable(gint fd, GIOCondition cond, gpointer opaque)
{
	struct vm_console *c = opaque;
	ssize_t n;

	/* Pending input: only the hang-up is watched; the client is gone. */
	if (c->npending || !(cond & G_IO_IN))
		n = 0;
	else
		n = read(fd, c->pending, sizeof(c->pending));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		c->client_source = 0;	/* returning REMOVE removes it */
		client_detach(c);
		return G_SOURCE_REMOVE;
	}
	c->npending = (size_t)n;
	input_push(c);
	/* input_push() replaced this source (input pending): remove it. */
	return c->client_source && c->client_reading ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

int vm_console_attach(struct vm_console *c, int *fd)
{
	struct outbuf *ob;
	int sv[2], ret;
	size_t first;

	if (c->client_fd >= 0)
		return -EBUSY;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	ret = outbuf_create(&ob, c->loop, sv[0], CONSOLE_BUFFER);
	if (ret)
		goto close_sockets;
	pthread_mutex_lock(&c->lock);
	/* What the guest wrote lately, then everything new, in order. */
	first = CONSOLE_HISTORY - c->hist_head;
	if (first > c->hist_len)
		first = c->hist_len;
	outbuf_write(ob, c->history + c->hist_head, first);
	outbuf_write(ob, c->history, c->hist_len - first);
	c->client_out = ob;
	pthread_mutex_unlock(&c->lock);
	c->client_fd = sv[0];
	c->client_reading = !c->npending;
	c->client_source = g_unix_fd_add(sv[0], c->client_reading ?
		G_IO_IN | G_IO_HUP | G_IO_ERR : G_IO_HUP | G_IO_ERR, client_readable, c);
	*fd = sv[1];
	return 0;

close_sockets:
	close(sv[0]);
	close(sv[1]);
	return ret;
}

bool vm_console_attached(const struct vm_console *c)
{
	return c->client_fd >= 0;
}

void vm_console_fini(struct vm_console *c)
{
	client_detach(c);
	if (c->retry_source)
		g_source_remove(c->retry_source);
	if (c->term_source)
		g_source_remove(c->term_source);
	c->retry_source = c->term_source = 0;
	if (c->term_flags >= 0)
		fcntl(c->term_fd, F_SETFL, c->term_flags);
	if (raw_console == c) {
		terminal_restore();
		raw_console = NULL;
	}
	pthread_mutex_destroy(&c->lock);
}
