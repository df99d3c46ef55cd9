// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * net-rr: TCP request/response latency against an echo server
 * (tests/bench/net.sh; the guest's `vmain.net.echo=PORT`: busybox nc
 * running cat).  One connection with TCP_NODELAY; each transaction writes
 * SIZE bytes and reads the SIZE bytes echoed back before the next, for
 * SECONDS.  Prints one line:
 *
 *   rr: N transactions in S s, T/s, mean M us, p50 A us, p99 B us, max C us
 *
 * Usage: net-rr ADDR PORT SECONDS [SIZE]   (SIZE 1 to 65536, default 1)
 * Exit status 0, or 1 when the server could not be reached or went away.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Samples kept for the percentiles; past this the mean and max go on. */
#define RR_MAX_SAMPLES 1000000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Returns 0 once LEN bytes went out, -errno otherwise. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Returns 0 once LEN bytes came in, -errno otherwise (-ECONNRESET at EOF). */
static int read_all(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int rr_connect(const char *addr, const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tmo = { .tv_sec = 10 };
	int fd, one = 1;
	char *end;
	long p = strtol(port, &end, 10);

	if (*end || p < 1 || p > 65535 || inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "net-rr: bad address %s:%s (want A.B.C.D PORT)\n", addr, port);
		return -EINVAL;
	}
	sin.sin_port = htons((uint16_t)p);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A server that stops answering ends the run after 10 s, not never. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int err = -errno;

		fprintf(stderr, "net-rr: %s:%s: %s\n", addr, port, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int main(int argc, char **argv)
{
	uint64_t *lat, start, end, sum = 0, max = 0;
	size_t n = 0, kept = 0;
	long seconds, size = 1;
	char *out, *in;
	int fd, err = 0;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: net-rr ADDR PORT SECONDS [SIZE]\n");
		return 2;
	}
	seconds = strtol(argv[3], NULL, 10);
	if (argc == 5)
		size = strtol(argv[4], NULL, 10);
	if (seconds < 1 || seconds > 3600 || size < 1 || size > 65536) {
		fprintf(stderr, "net-rr: SECONDS 1 to 3600, SIZE 1 to 65536\n");
		return 2;
	}
	out = malloc((size_t)size);
	in = malloc((size_t)size);
	lat = malloc(RR_MAX_SAMPLES * sizeof(*lat));
	if (!out || !in || !lat) {
		fprintf(stderr, "net-rr: out of memory\n");
		return 1;
	}
	memset(out, 'r', (size_t)size);
	fd = rr_connect(argv[1], argv[2]);
	if (fd < 0)
		return 1;

	start = now_ns();
	end = start + (uint64_t)seconds * 1000000000u;
	for (;;) {
		uint64_t t0 = now_ns(), d;

		if (t0 >= end)
			break;
		err = write_all(fd, out, (size_t)size);
		if (!err)
			err = read_all(fd, in, (size_t)size);
		if (err)
			break;
		if (memcmp(in, out, (size_t)size)) {
			fprintf(stderr, "net-rr: the echo differs from the request\n");
			err = -EPROTO;
			break;
		}
		d = now_ns() - t0;
		sum += d;
		if (d > max)
			max = d;
		if (kept < RR_MAX_SAMPLES)
			lat[kept++] = d;
		n++;
	}
	end = now_ns();
	close(fd);
	if (err) {
		fprintf(stderr, "net-rr: after %zu transactions: %s\n", n, strerror(-err));
		return 1;
	}
	if (!n) {
		fprintf(stderr, "net-rr: no transaction completed\n");
		return 1;
	}
	qsort(lat, kept, sizeof(*lat), cmp_u64);
	printf("rr: %zu transactions in %.2f s, %.1f/s, mean %.0f us, p50 %.0f us, p99 %.0f us, max %.0f us\n",
	       n, (end - start) / 1e9, n / ((end - start) / 1e9), sum / 1e3 / n,
	       lat[kept / 2] / 1e3, lat[kept * 99 / 100] / 1e3, max / 1e3);
	free(lat);
	free(in);
	free(out);
	return 0;
}
