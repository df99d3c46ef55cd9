// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd-info.c - `vmain info`: what /dev/vm-main and this host offer.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <unistd.h>

#include "commands.h"
#include "hv/vmain-dev.h"
#include "vmain.h"

static gboolean opt_check;

static const GOptionEntry info_options[] = {
	{ "check", 'c', 0, G_OPTION_ARG_NONE, &opt_check,
	  "Also create a VM with a random UUID and release it, to check that "
	  "the hardware is usable now (not owned by another hypervisor)", NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* Creates and releases a throw-away VM; returns 0 or -errno. */
static int info_check(int fd)
{
	uint8_t uuid[16];
	int vm;

	vm = vmain_dev_random_uuid(uuid);
	if (vm)
		return vm;
	vm = vmain_dev_create_vm(fd, uuid);
	if (vm < 0)
		return vm;
	close(vm);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	GOptionContext *ctx;
	GError *error = NULL;
	struct vmain_dev_info info;
	char hw[160];
	int fd, ret, status = 1;

	g_set_prgname("vmain info");
	ctx = g_option_context_new("- show what /dev/vm-main and this host offer");
	g_option_context_add_main_entries(ctx, info_options, NULL);
	g_option_context_set_description(ctx,
		"Prints the module's API version, the virtualization engine it found\n"
		"(AMD-V with nested paging, or VT-x with EPT), its limits and how many\n"
		"VMs exist.  Exit status: 0 when the host can run VMs, 1 otherwise,\n"
		"2 on bad usage.\n");
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "vmain info: %s\n", error->message);
		g_error_free(error);
		g_option_context_free(ctx);
		return 2;
	}
	g_option_context_free(ctx);
	if (argc > 1) {
		fprintf(stderr, "vmain info: unexpected argument '%s'\n", argv[1]);
		return 2;
	}

	fd = vmain_dev_open(0);
	if (fd < 0) {
		fprintf(stderr, "vmain info: cannot open %s: %s\n", VMAIN_DEVICE_PATH,
			vmain_dev_explain(-fd));
		return 1;
	}
	ret = vmain_dev_query(fd, &info);
	if (ret < 0) {
		fprintf(stderr, "vmain info: %s does not answer as vmain.ko: %s\n",
			VMAIN_DEVICE_PATH, vmain_dev_explain(-ret));
		goto close_fd;
	}
	vmain_dev_format_hw(info.hw, hw, sizeof(hw));
	printf("device:          %s\n", VMAIN_DEVICE_PATH);
	printf("API version:     %d\n", info.api_version);
	printf("engine:          %s\n", hw);
	printf("exclusive open:  %s\n", info.exclusive_open ? "yes" : "no");
	printf("UUID claims:     %s\n", info.vm_uuid ? "yes" : "no");
	printf("VM limit:        %d\n", info.max_vms);
	if (info.live_vms >= 0)
		printf("live VMs:        %ld\n", info.live_vms);

	if (!info.hw) {
		fprintf(stderr, "vmain info: %s\n", vmain_dev_explain(ENODEV));
		goto close_fd;
	}
	status = 0;
	if (opt_check) {
		ret = info_check(fd);
		if (ret < 0) {
			printf("VM check:        failed: %s\n", vmain_dev_explain(-ret));
			status = 1;
		} else {
			printf("VM check:        created and released a VM\n");
		}
	}
close_fd:
	close(fd);
	return status;
}
