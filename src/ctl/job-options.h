/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OPTIONS of `run` and `start`: parsed from the command line (using the
 * shared job_option_table) into what StartJob takes: a{sv} options, the
 * environment and the working directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "job-limits.h"

typedef struct JobOptionSetting {
        const JobOptionInfo *info;
        JobOptionValue value;   /* a string value points into text */
        char *text;
} JobOptionSetting;

typedef struct JobOptions {
        JobOptionSetting *settings;  /* one per option given, the last value wins */
        size_t n_settings;
        char **environment;          /* --env entries in order, NULL-terminated */
        size_t n_environment;
        char *working_directory;     /* absolute; NULL = the default */
        /* StartJob's Name, User and Group (strings, sent as given once
         * checked here); NULL = not given. */
        char *name;
        char *user;
        char *group;
        /* StartJob's Network and Address (--network, --ip), sent as given
         * once their syntax is checked; NULL = not given. */
        char *network;
        char *address;
        JobLimits binds;             /* only its binds: --bind, --ro-bind in order */
        /* -t/--pty: StartJob's Terminal, "wait" for run (the command
         * starts once our terminal is attached), "now" for start. */
        bool terminal;
        bool terminal_wait;
        /* stdin and the client's lifetime: --stdin=FILE (absolute, opened
         * by the verb as the caller), --keep (run: the job outlives us).
         * The verb sets the fd (valid with has_stdin) and
         * stop_when_caller_exits; job_options_append() sends them as
         * StartJob's Stdin and StopWhenCallerExits. */
        char *stdin_path;
        bool keep;
        bool has_stdin;
        int stdin_fd;
        bool stop_when_caller_exits;
} JobOptions;

void job_options_done(JobOptions *o);

/* Applies --FLAG=TEXT, where flag is a cli_flag of job_option_table or
 * "env" / "workdir" / "name" / "user" / "group" / "network" / "ip" / "bind" / "ro-bind" (SRC[:DST],
 * split at the first ':'; SRC relative to cwd, DST absolute, default SRC).
 * cwd makes relative paths absolute (NULL refuses them).
 * Syntax and ranges are checked here, so a typo fails before any call.
 * Returns 0, or -EINVAL / -ERANGE with *ret_error_message set to a sentence
 * naming the flag, or -ENOMEM. */
int job_options_set(JobOptions *o, const char *flag, const char *text, const char *cwd,
                    char **ret_error_message);

/* Parses OPTIONS from argv (argv[0] is the verb) up to the first non-option
 * or "--". Returns the index of the command's first word, or -EINVAL after
 * printing why (a usage error), or 0 when --help was printed. */
int job_options_parse_argv(JobOptions *o, int argc, char *argv[], bool remote);

/* The options as StartJob's a{sv}, with the D-Bus types of the table. */
int job_options_append(const JobOptions *o, sd_bus_message *m);

/* StartJob's aay environment: PATH and LANG of this process if set and
 * pass_local is true, then every --env entry (a later entry wins on the
 * daemon's side). */
int job_options_append_environment(const JobOptions *o, sd_bus_message *m, bool pass_local);

/* p made absolute against cwd, with "//", "." and a trailing "/" removed
 * (".." is kept: resolving it needs the file system). NULL on ENOMEM. */
char *path_make_absolute(const char *p, const char *cwd);
