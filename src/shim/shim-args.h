/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's command line, parsed strictly into plain data. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

typedef enum ShimOutput {
        SHIM_OUTPUT_JOURNAL,
        SHIM_OUTPUT_INHERIT,
} ShimOutput;

typedef struct ShimArgs {
        const char *id;                 /* 12 lowercase hex characters */
        uid_t uid;
        gid_t gid;
        gid_t *groups;                  /* supplementary groups, owned */
        size_t n_groups;
        const char *workdir;            /* absolute */
        const char *status_path;        /* absolute */
        ShimOutput output;
        char **env;                     /* NULL-terminated, owned array of pointers into argv */
        size_t n_env;
        char **command;                 /* NULL-terminated, points into argv */
} ShimArgs;

#define SHIM_ID_LENGTH 12

/* Strings in *ret point into argv, which must outlive it. Logs what is wrong
 * and returns -EINVAL on bad input. argc may be 0. */
int shim_args_parse(int argc, char *argv[], ShimArgs *ret);
void shim_args_done(ShimArgs *a);

/* The syslog identifier for the job's output: the basename of the command. */
const char *shim_command_identifier(const char *command);
