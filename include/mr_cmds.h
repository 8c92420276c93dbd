/* SPDX-License-Identifier: GPL-2.0 */
/* mr_cmds.h - the subcommands memrec.c dispatches to; one file each. */
#ifndef MR_CMDS_H
#define MR_CMDS_H

/* Each returns an exit code (MR_EXIT_*). */
int mr_cmd_record(int argc, char **argv);
int mr_cmd_report(int argc, char **argv);

#endif
