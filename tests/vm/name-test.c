// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * name-test.c - VM names (every rule of vm_name_check()), UUID text both
 * ways, and what vm_config_init() makes: the defaults and a version 4
 * UUID that differs each time.
 */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "vm/config.h"

static void name_ok(const char *name)
{
	char err[128] = "";
	int ret = vm_name_check(name, err, sizeof(err));

	tap_ok(ret == 0, "name '%s' is accepted", name);
	if (ret)
		tap_diag("  got %d: %s", ret, err);
}

static void name_bad(const char *name, const char *shown, const char *want)
{
	char err[128] = "";
	int ret = vm_name_check(name, err, sizeof(err));

	tap_ok(ret == -EINVAL && strstr(err, want), "name %s is refused: \"%s\"", shown, err);
	if (ret != -EINVAL || !strstr(err, want))
		tap_diag("  got %d, wanted a message with \"%s\"", ret, want);
}

static void test_names(void)
{
	char n64[VM_NAME_MAX + 1], n65[VM_NAME_MAX + 2];

	memset(n64, 'a', VM_NAME_MAX);
	n64[VM_NAME_MAX] = 0;
	memset(n65, 'b', VM_NAME_MAX + 1);
	n65[VM_NAME_MAX + 1] = 0;

	name_ok("web");
	name_ok("a");
	name_ok("Z9");
	name_ok("0day");
	name_ok("debian-12.5_test");
	name_ok("a.");
	name_ok("a-");
	name_ok("x..y");
	name_ok(n64);

	name_bad("", "''", "may not be empty");
	name_bad(n65, "of 65 bytes", "longer than 64 bytes");
	name_bad("a/b", "'a/b'", "names may not contain '/'");
	name_bad("/", "'/'", "contain '/'");
	name_bad("..", "'..'", "may not start with '.'");
	name_bad(".", "'.'", "may not start with '.'");
	name_bad(".hidden", "'.hidden'", "may not start with '.'");
	name_bad("-rf", "'-rf'", "may not start with '-'");
	name_bad("my vm", "'my vm'", "contain byte 0x20");
	name_bad("a:b", "'a:b'", "contain ':'");
	name_bad("a\\b", "'a\\b'", "contain '\\'");
	name_bad("a*", "'a*'", "contain '*'");
	name_bad("tab\there", "with a tab", "byte 0x09");
	name_bad("nl\n", "with a newline", "byte 0x0a");
	name_bad("caf\xc3\xa9", "with UTF-8 'e acute'", "byte 0xc3");
	name_bad("del\x7f", "with DEL", "byte 0x7f");
	tap_ok(vm_name_check("a/b", NULL, 0) == -EINVAL, "no message buffer: still -EINVAL");
}

static void test_uuid_text(void)
{
	static const uint8_t u[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
				       0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xff };
	static const char *const bad[] = {
		"", "12345678-9abc-4def-8001-0203040506f", "12345678-9abc-4def-8001-0203040506fff",
		"123456789-abc-4def-8001-0203040506ff", "12345678_9abc_4def_8001_0203040506ff",
		"1234567g-9abc-4def-8001-0203040506ff", "{2345678-9abc-4def-8001-0203040506f}",
		" 2345678-9abc-4def-8001-0203040506ff", "12345678-9abc-4def-8001-0203040506f ",
		"123456789abc4def80010203040506ff",
	};
	uint8_t back[16];
	char text[37];
	unsigned int i;

	vm_uuid_format(u, text);
	tap_ok(!strcmp(text, "12345678-9abc-4def-8001-0203040506ff"), "UUID text: %s", text);
	tap_ok(!vm_uuid_parse(text, back) && !memcmp(back, u, 16), "UUID text parses back");
	tap_ok(!vm_uuid_parse("12345678-9ABC-4DEF-8001-0203040506FF", back) &&
	       !memcmp(back, u, 16), "upper case parses to the same UUID");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(vm_uuid_parse(bad[i], back) == -EINVAL, "UUID '%s' is refused", bad[i]);
}

static void test_init(void)
{
	struct vm_config a, b;
	char ta[37];

	vm_config_init(&a);
	vm_config_init(&b);
	vm_uuid_format(a.uuid, ta);
	tap_ok((a.uuid[6] >> 4) == 4, "UUID %s is version 4 (RFC 4122 4.4)", ta);
	tap_ok((a.uuid[8] & 0xc0) == 0x80, "UUID %s has the RFC 4122 variant", ta);
	tap_ok(memcmp(a.uuid, b.uuid, 16), "two new configs have different UUIDs");
	tap_ok(a.memory == 512ull << 20 && a.cpus == 1, "defaults: 512 MiB, 1 CPU");
	tap_ok(!strcmp(a.accel, "auto") && !strcmp(a.serial, "console") && !strcmp(a.append, ""),
	       "defaults: accel auto, serial console, empty command line");
	tap_ok(!a.kernel && !a.initrd && !a.nr_disks && !a.disks, "defaults: no kernel, no disks");
	tap_ok(!a.autostart && a.stop_action == VM_STOP_POWEROFF && a.stop_timeout == 30 &&
	       a.pvclock && a.io_threads == 4,
	       "defaults: no autostart, poweroff after 30 s, pvclock, 4 I/O threads");
	vm_config_free(&a);
	vm_config_free(&b);
	tap_ok(!a.accel && !a.nr_disks, "vm_config_free zeroes the config");
	vm_config_free(&a);
	tap_ok(1, "freeing a freed config is harmless");
}

int main(void)
{
	test_names();
	test_uuid_text();
	test_init();
	return tap_done();
}
