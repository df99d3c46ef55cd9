// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/monitor/dns-stub.c - the smallest DNS server a network test needs:
 * answers A queries for the names given on the command line, NXDOMAIN for
 * any other name, NOTIMP for anything but a standard query (RFC 1035
 * sections 4.1.1-4.1.3).  The arena has no resolver, and libslirp's DNS
 * forwarder sends a guest's queries to the host's (resolv.conf's, or
 * 127.0.0.1 when there is none), so the network test runs this there.
 *
 * Usage: dns-stub ADDR:PORT NAME=IPV4... (runs until killed; prints
 * "listening" once bound, and one line per query on stdout)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct entry {
	const char *name;
	struct in_addr addr;
};

/* The query's name as dotted text; returns the offset after QNAME, or -1. */
static int read_qname(const unsigned char *m, int len, int off, char *out, size_t outlen)
{
	size_t o = 0;

	for (;;) {
		int l;

		if (off >= len)
			return -1;
		l = m[off++];
		if (l == 0)
			break;
		if (l & 0xc0)		/* no compression in a question we answer */
			return -1;
		if (off + l > len || o + l + 2 > outlen)
			return -1;
		if (o)
			out[o++] = '.';
		memcpy(out + o, m + off, l);
		o += l;
		off += l;
	}
	out[o] = '\0';
	return off;
}

int main(int argc, char **argv)
{
	struct entry *tab;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64], *colon;
	int fd, i, n = argc - 2;

	if (argc < 2) {
		fprintf(stderr, "usage: dns-stub ADDR:PORT NAME=IPV4...\n");
		return 2;
	}
	snprintf(host, sizeof(host), "%s", argv[1]);
	colon = strrchr(host, ':');
	if (!colon) {
		fprintf(stderr, "dns-stub: %s: want ADDR:PORT\n", argv[1]);
		return 2;
	}
	*colon = '\0';
	sa.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "dns-stub: %s: not an IPv4 address\n", host);
		return 2;
	}
	tab = calloc(n > 0 ? n : 1, sizeof(*tab));
	if (!tab)
		return 1;
	for (i = 0; i < n; i++) {
		char *eq = strchr(argv[i + 2], '=');

		if (!eq || inet_pton(AF_INET, eq + 1, &tab[i].addr) != 1) {
			fprintf(stderr, "dns-stub: %s: want NAME=IPV4\n", argv[i + 2]);
			return 2;
		}
		*eq = '\0';
		tab[i].name = argv[i + 2];
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "dns-stub: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		unsigned char m[512];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		char name[256];
		int len, qend, rcode = 3, found = -1;
		unsigned qtype;

		len = recvfrom(fd, m, sizeof(m), 0, (struct sockaddr *)&from, &fl);
		if (len < 12)
			continue;
		/* A standard query (QR 0, OPCODE 0) with one question. */
		if ((m[2] & 0xf8) || m[4] || m[5] != 1) {
			rcode = 4;
			qend = 12;
			name[0] = '\0';
			goto answer;
		}
		qend = read_qname(m, len, 12, name, sizeof(name));
		if (qend < 0 || qend + 4 > len)
			continue;
		qtype = m[qend] << 8 | m[qend + 1];
		qend += 4;
		for (i = 0; i < n; i++)
			if (!strcasecmp(tab[i].name, name))
				found = i;
		if (found >= 0)
			rcode = 0;
		if (qtype != 1 || qend + 16 > (int)sizeof(m))	/* A only, and it fits */
			found = -1;
answer:
		printf("query %s type %u rcode %d\n", name, rcode == 4 ? 0 : qtype, rcode);
		fflush(stdout);
		m[2] = 0x84 | (m[2] & 0x01);	/* QR, AA, keep RD */
		m[3] = rcode;			/* RA 0 */
		m[6] = 0;
		m[7] = found >= 0;		/* ANCOUNT */
		memset(m + 8, 0, 4);		/* NSCOUNT, ARCOUNT */
		if (rcode == 4) {
			m[4] = m[5] = 0;	/* no question echoed */
		}
		len = qend;
		if (found >= 0) {
			unsigned char rr[16] = {
				0xc0, 12,		/* the name: a pointer to the question's */
				0, 1, 0, 1,		/* TYPE A, CLASS IN */
				0, 0, 0, 60,		/* TTL */
				0, 4,			/* RDLENGTH */
			};
			memcpy(rr + 12, &tab[found].addr, 4);
			memcpy(m + len, rr, sizeof(rr));
			len += sizeof(rr);
		}
		sendto(fd, m, len, 0, (struct sockaddr *)&from, fl);
	}
}
