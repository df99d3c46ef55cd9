/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commands.h - the subcommands of `vmain`; each takes its own argv
 * (argv[0] is the command name) and returns the process exit status.
 */
#ifndef VMAIN_MONITOR_COMMANDS_H
#define VMAIN_MONITOR_COMMANDS_H

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_autostart(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_cdrom(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_screenshot(int argc, char **argv);

#endif
