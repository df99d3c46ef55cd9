// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sockbridge - inside the SVM arena (scripts/arena-svm -S), joins a
 * virtio-serial port whose host end is a UNIX socket that QEMU listens on
 * to a UNIX stream socket in the arena, so that a client on the host talks
 * to a server in the arena (the control socket of `vmain run`).
 *
 *   sockbridge PORT-DEVICE SOCKET
 *
 * One host client at a time.  The port tells us when one connects and
 * leaves: Linux's virtio_console (drivers/char/virtio_console.c) reports
 * POLLHUP, and read() returns 0, while no host end is open, which QEMU
 * (a socket chardev behind a virtserialport) signals with the port-open
 * control message (virtio 1.2, 5.3.6.2 "Multiport Device Operation",
 * VIRTIO_CONSOLE_PORT_OPEN).  For each client: connect to SOCKET (waiting
 * for it to appear), copy bytes both ways until either end closes, then
 * wait for the next client.  When SOCKET's end closes first, the rest of
 * that client's bytes are dropped until it disconnects: a byte stream cut
 * in the middle is never handed to a fresh connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 100

static void nap(void)
{
	struct timespec ts = { 0, POLL_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/* true while a host client holds the port's other end */
static bool host_connected(int port)
{
	struct pollfd p = { .fd = port, .events = POLLOUT };

	if (poll(&p, 1, 0) < 0)
		return false;
	return !(p.revents & POLLHUP);
}

/* Connects to PATH, retrying while it is missing or refuses; -errno when
 * the host client leaves first. */
static int connect_guest(const char *path, int port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		if (!host_connected(port))
			return -ECONNABORTED;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		nap();
	}
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies from one fd to the other once; 0 at end of stream, 1 after bytes,
 * -errno on an error. */
static int pump(int from, int to)
{
	char buf[65536];
	ssize_t n;

	n = read(from, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (n == 0)
		return 0;
	if (to < 0)
		return 1;	/* dropping a cut stream */
	return write_all(to, buf, (size_t)n) ? 0 : 1;
}

/* One host client, from its connection to its disconnection. */
static void serve(int port, const char *path)
{
	struct pollfd p[2];
	int sock, r;

	sock = connect_guest(path, port);
	if (sock < 0)
		return;
	for (;;) {
		p[0] = (struct pollfd){ .fd = port, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = sock, .events = POLLIN };
		if (poll(p, sock >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* read() returns 0 once the host end is closed and
			 * what it sent before has been read */
			if (pump(port, sock) <= 0)
				break;
		}
		if (sock >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			r = pump(sock, port);
			if (r <= 0) {
				close(sock);
				sock = -1;
			}
		}
	}
	if (sock >= 0)
		close(sock);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa;
	int port;

	if (argc != 3) {
		fprintf(stderr, "usage: sockbridge PORT-DEVICE SOCKET\n");
		return 2;
	}
	if (strlen(argv[2]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "sockbridge: socket path too long: %s\n", argv[2]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	port = open(argv[1], O_RDWR | O_CLOEXEC);
	if (port < 0) {
		fprintf(stderr, "sockbridge: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		while (!host_connected(port))
			nap();
		serve(port, argv[2]);
		/* Let the host end's closing reach us before looking again. */
		while (host_connected(port) && pump(port, -1) > 0)
			;
	}
}
