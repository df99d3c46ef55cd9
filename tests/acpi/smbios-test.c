// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smbios-test.c - smbios_build() (monitor/acpi/smbios.c): the 2.1 entry
 * point's fields and both checksums, every structure parsed (types in
 * order, lengths, handles, strings, the UUID's byte order, memory sizes
 * and ranges for 256 MiB, 4.5 GiB and 8 TiB), the limits; then each
 * table as a dump read by dmidecode --from-dump, which must print the
 * UUID, serial, CPUs and memory with no complaint.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "iasl.h"	/* iasl_run(): a command's output */
#include "acpi/smbios.h"

static const uint8_t uuid[16] = {
	0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
	0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
};
#define UUID_STR	"12345678-9ABC-DEF0-0F1E-2D3C4B5A6978"

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t g32(const uint8_t *p) { return g16(p) | (uint32_t)g16(p + 2) << 16; }
static uint64_t g64(const uint8_t *p) { return g32(p) | (uint64_t)g32(p + 4) << 32; }

static int sum_ok(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s == 0;
}

/* One parsed structure. */
struct st {
	const uint8_t *p;	/* formatted area */
	size_t size;		/* with its strings */
	const char *strs[8];
	unsigned int nr_strs;
};

#define MAX_ST	1100

/* Walks the table; the number of structures, or -1 if malformed. */
static int parse(const uint8_t *t, size_t len, struct st *out, const char **why)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		struct st *s = &out[n];
		size_t q;

		if (n == MAX_ST || len - off < 4 || t[off + 1] < 4 || t[off + 1] > len - off) {
			*why = "formatted area past the end";
			return -1;
		}
		s->p = t + off;
		s->nr_strs = 0;
		q = off + t[off + 1];
		/* Strings until the double NUL. */
		if (q + 1 < len && t[q] == 0 && t[q + 1] == 0) {
			q += 2;
		} else {
			while (q < len && t[q]) {
				const char *str = (const char *)t + q;
				size_t l = strnlen(str, len - q);

				if (q + l >= len || s->nr_strs == 8) {
					*why = "string past the end";
					return -1;
				}
				s->strs[s->nr_strs++] = str;
				q += l + 1;
			}
			if (q >= len) {
				*why = "no end of strings";
				return -1;
			}
			q++;
		}
		s->size = q - off;
		off = q;
		n++;
		if (s->p[0] == 127)
			break;
	}
	if (off != len) {
		*why = "bytes after the end-of-table structure";
		return -1;
	}
	return n;
}

static const char *s_str(const struct st *s, unsigned int field)
{
	unsigned int i = s->p[field];

	return i && i <= s->nr_strs ? s->strs[i - 1] : "";
}

static const struct st *find(const struct st *s, int n, uint8_t type, int nth)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i].p[0] == type && nth-- == 0)
			return &s[i];
	return NULL;
}

static struct st sts[MAX_ST];

/* Checks one configuration's files; returns the number of structures. */
static int check(const struct smbios_config *cfg, const struct smbios_blobs *b,
		 const char *what)
{
	const uint8_t *ep = b->anchor;
	const struct st *s;
	const char *why = "";
	size_t max = 0;
	uint64_t ram = cfg->low_ram + cfg->high_ram;
	uint16_t handles[MAX_ST];
	int n, i, j, dup = 0, order = 1;
	static const uint8_t types[] = { 0, 1, 3, 4, 16, 17, 19, 32, 127 };
	unsigned int t = 0;

	tap_ok(b->anchor_len == 31 && !memcmp(ep, "_SM_", 4) && ep[5] == 31 && ep[6] == 2 &&
	       ep[7] == 8 && !memcmp(ep + 16, "_DMI_", 5) && ep[0x1e] == 0x28,
	       "%s: 2.1 entry point, SMBIOS 2.8", what);
	tap_ok(sum_ok(ep, 31) && sum_ok(ep + 16, 15), "%s: entry point checksums", what);
	tap_ok(g16(ep + 0x16) == b->tables_len && g32(ep + 0x18) == 0,
	       "%s: table length %zu, address left to the firmware", what, b->tables_len);
	n = parse(b->tables, b->tables_len, sts, &why);
	if (!tap_ok(n > 0, "%s: the table parses (%s)", what, why))
		return 0;
	for (i = 0; i < n; i++) {
		if (sts[i].size > max)
			max = sts[i].size;
		handles[i] = g16(sts[i].p + 2);
		for (j = 0; j < i; j++)
			dup += handles[j] == handles[i];
		while (t < sizeof(types) && types[t] != sts[i].p[0])
			t++;
		order &= t < sizeof(types);
	}
	tap_ok(g16(ep + 0x1c) == n && g16(ep + 8) == max,
	       "%s: %d structures, the largest %zu bytes, as the entry point says", what, n, max);
	tap_ok(!dup && order, "%s: handles unique, types in order 0 1 3 4 16 17 19 32 127", what);

	s = find(sts, n, 0, 0);
	tap_ok(s && s->p[1] == 0x18 && !strcmp(s_str(s, 4), "vmain") && g16(s->p + 6) == 0xe800 &&
	       s->p[0x13] == 0x14, "%s: type 0: vendor, segment, virtual machine bit", what);
	s = find(sts, n, 1, 0);
	tap_ok(s && s->p[1] == 0x1b && !strcmp(s_str(s, 5), "vmain VM") &&
	       !strcmp(s_str(s, 7), cfg->serial ? cfg->serial : ""),
	       "%s: type 1: product and serial", what);
	if (cfg->uuid)
		tap_ok(s && s->p[8] == 0x78 && s->p[9] == 0x56 && s->p[10] == 0x34 &&
		       s->p[11] == 0x12 && s->p[12] == 0xbc && s->p[13] == 0x9a &&
		       s->p[14] == 0xf0 && s->p[15] == 0xde && !memcmp(s->p + 16, uuid + 8, 8),
		       "%s: type 1: UUID, first 3 fields little-endian", what);
	tap_ok(find(sts, n, 3, 0) != NULL, "%s: type 3", what);
	tap_ok(find(sts, n, 4, (int)cfg->nr_cpus - 1) && !find(sts, n, 4, (int)cfg->nr_cpus),
	       "%s: type 4 once per CPU (%u)", what, cfg->nr_cpus);
	s = find(sts, n, 4, (int)cfg->nr_cpus - 1);
	if (s) {
		char name[16];

		snprintf(name, sizeof(name), "CPU %u", cfg->nr_cpus - 1);
		tap_ok(s->p[1] == 0x2a && !strcmp(s_str(s, 4), name) && s->p[0x18] == 0x41 &&
		       s->p[0x23] == 1 && s->p[0x25] == 1 && g32(s->p + 8) == cfg->cpuid_1_eax &&
		       g32(s->p + 12) == cfg->cpuid_1_edx,
		       "%s: last type 4: \"%s\", enabled, 1 core, 1 thread, processor ID", what, name);
	}
	s = find(sts, n, 16, 0);
	tap_ok(s && s->p[1] == 0x17 && g16(s->p + 0xd) == 1 &&
	       (g32(s->p + 7) == 0x80000000u ? g64(s->p + 0xf) == ram :
		g32(s->p + 7) == ram >> 10), "%s: type 16: capacity %llu MiB", what,
	       (unsigned long long)(ram >> 20));
	s = find(sts, n, 17, 0);
	tap_ok(s && s->p[1] == 0x28 && g16(s->p + 4) == 0x1000 &&
	       (g16(s->p + 0xc) == 0x7fff ? g32(s->p + 0x1c) == ram >> 20 :
		g16(s->p + 0xc) == ram >> 20), "%s: type 17: size in MiB, in array 0x1000", what);
	s = find(sts, n, 19, 0);
	tap_ok(s && s->p[1] == 0x1f && g32(s->p + 4) == 0 &&
	       g32(s->p + 8) == (cfg->low_ram >> 10) - 1, "%s: type 19: [0, low RAM)", what);
	s = find(sts, n, 19, 1);
	if (cfg->high_ram) {
		uint64_t last = (1ull << 32) + cfg->high_ram - 1;

		tap_ok(s && (g32(s->p + 4) == 0xffffffffu ?
			     g64(s->p + 0xf) == 1ull << 32 && g64(s->p + 0x17) == last :
			     g32(s->p + 4) == 4u << 20 && g32(s->p + 8) == last >> 10),
		       "%s: type 19: [4 GiB, 4 GiB + high RAM)", what);
	} else {
		tap_ok(!s, "%s: no second type 19 without high RAM", what);
	}
	tap_ok(find(sts, n, 32, 0) && find(sts, n, 127, 0) == &sts[n - 1],
	       "%s: type 32, and type 127 last", what);
	return n;
}

/* The files as a dmidecode --dump-bin file: entry point at 0, table at 32. */
static int write_dump(const char *path, const struct smbios_blobs *b)
{
	uint8_t ep[32] = { 0 };
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return 0;
	memcpy(ep, b->anchor, 31);
	ep[0x18] = 32;
	ep[0x15] = 0;
	ep[4] = 0;
	{
		uint8_t s = 0;
		int i;

		for (i = 0x10; i < 0x1f; i++)
			s = (uint8_t)(s + ep[i]);
		ep[0x15] = (uint8_t)-s;
		s = 0;
		for (i = 0; i < 31; i++)
			s = (uint8_t)(s + ep[i]);
		ep[4] = (uint8_t)-s;
	}
	ok = fwrite(ep, 1, 32, f) == 32 && fwrite(b->tables, 1, b->tables_len, f) == b->tables_len;
	return fclose(f) == 0 && ok;
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

static void dmidecode(const struct smbios_config *cfg, const struct smbios_blobs *b,
		      const char *what, unsigned int ranges)
{
	char dir[] = "/tmp/vmain-smbios-XXXXXX", cmd[256], *out = NULL;
	int st;

	if (system("command -v dmidecode >/dev/null 2>&1 || test -x /usr/sbin/dmidecode") != 0) {
		tap_ok(0, "dmidecode not found (Debian package dmidecode; scripts/deps test)");
		return;
	}
	if (!tap_ok(mkdtemp(dir) != NULL, "temporary directory"))
		return;
	snprintf(cmd, sizeof(cmd), "%s/dump.bin", dir);
	if (tap_ok(write_dump(cmd, b), "%s: dump written", what)) {
		st = iasl_run(dir, "PATH=$PATH:/usr/sbin dmidecode --from-dump dump.bin", &out);
		tap_ok(st == 0 && out && strstr(out, "SMBIOS 2.8 present.") &&
		       strcasestr(out, "UUID: " UUID_STR) &&
		       strstr(out, cfg->serial) && count(out, "Processor Information") == cfg->nr_cpus &&
		       count(out, "Memory Array Mapped Address") == ranges &&
		       strstr(out, "BIOS Information") && strstr(out, "System Boot Information") &&
		       strstr(out, "End Of Table"),
		       "%s: dmidecode shows the UUID, serial, %u CPUs, %u mapped ranges", what,
		       cfg->nr_cpus, ranges);
		tap_ok(out && !strstr(out, "OUT OF SPEC") && !strstr(out, "nvalid") &&
		       !strstr(out, "rong") && !strstr(out, "runcated") && !strstr(out, "Bad"),
		       "%s: dmidecode has no complaint", what);
		if (out && (st || getenv("SMBIOS_TEST_VERBOSE")))
			tap_diag("%s", out);
		free(out);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
}

static void test_configs(void)
{
	struct smbios_config c256 = {
		.nr_cpus = 2, .low_ram = 256ull << 20, .uuid = uuid, .serial = "VM-0001",
		.cpuid_1_eax = 0x00a20f12, .cpuid_1_edx = 0x178bfbff,
	};
	struct smbios_config c4g5 = {
		.nr_cpus = 4, .low_ram = 3ull << 30, .high_ram = 1536ull << 20, .uuid = uuid,
		.serial = "serial-4.5G",
	};
	struct smbios_config c8t = {
		.nr_cpus = 1, .low_ram = 3ull << 30, .high_ram = (8ull << 40) - (3ull << 30),
		.uuid = uuid, .serial = "big",
	};
	struct smbios_blobs b;

	if (tap_ok(smbios_build(&c256, &b) == 0, "256 MiB, 2 CPUs: built")) {
		check(&c256, &b, "256 MiB");
		dmidecode(&c256, &b, "256 MiB", 1);
		smbios_blobs_free(&b);
	}
	if (tap_ok(smbios_build(&c4g5, &b) == 0, "4.5 GiB, 4 CPUs: built")) {
		check(&c4g5, &b, "4.5 GiB");
		dmidecode(&c4g5, &b, "4.5 GiB", 2);
		smbios_blobs_free(&b);
	}
	if (tap_ok(smbios_build(&c8t, &b) == 0, "8 TiB: built")) {
		check(&c8t, &b, "8 TiB");
		dmidecode(&c8t, &b, "8 TiB", 2);
		smbios_blobs_free(&b);
	}
}

static void test_limits(void)
{
	struct smbios_config c = { .nr_cpus = SMBIOS_MAX_CPUS, .low_ram = 1ull << 30 };
	struct smbios_blobs b;
	char serial[80];

	if (tap_ok(smbios_build(&c, &b) == 0, "%u CPUs: built", SMBIOS_MAX_CPUS)) {
		tap_ok(b.tables_len <= 0xffff && check(&c, &b, "1024 CPUs") == 1024 + 8,
		       "1024 CPUs: all in a table under 64 KiB");
		smbios_blobs_free(&b);
	}
	c.nr_cpus = SMBIOS_MAX_CPUS + 1;
	tap_ok(smbios_build(&c, &b) == -E2BIG && !b.anchor, "1025 CPUs: -E2BIG");
	c.nr_cpus = 0;
	tap_ok(smbios_build(&c, &b) == -EINVAL, "0 CPUs: -EINVAL");
	c.nr_cpus = 1;
	c.low_ram = 0;
	tap_ok(smbios_build(&c, &b) == -EINVAL, "no RAM: -EINVAL");
	c.low_ram = 1ull << 30;
	memset(serial, 's', sizeof(serial) - 1);
	serial[sizeof(serial) - 1] = 0;
	c.serial = serial;
	tap_ok(smbios_build(&c, &b) == -EINVAL, "a 79-character serial: -EINVAL");
	c.serial = NULL;
	c.uuid = NULL;
	if (tap_ok(smbios_build(&c, &b) == 0, "no UUID, no serial: built")) {
		const char *why;
		int n = parse(b.tables, b.tables_len, sts, &why);
		const struct st *s = n > 0 ? find(sts, n, 1, 0) : NULL;
		static const uint8_t zero[16];

		tap_ok(s && !memcmp(s->p + 8, zero, 16) && s->p[7] == 0,
		       "type 1: UUID 0s, no serial string");
		smbios_blobs_free(&b);
	}
}

int main(void)
{
	test_configs();
	test_limits();
	return tap_done();
}
