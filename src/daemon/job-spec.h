/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a StartJob call asks for, before there is a job: read from the
 * message, validated, and given the environment its user gets. No bus
 * calls, no NSS, no paths looked at: the API layer (bus-manager.c) does
 * authorization and the caller's checks, the core makes the job. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "job-limits.h"

/* The kernel refuses an exec whose argv and environment together pass
 * ARG_MAX (2 MiB with the default stack limit); refuse it up front. A job
 * that large takes ~4 MiB of record in /run (hex): how many of those one
 * user and everyone may hold is the byte budget's business
 * (check_record_budget()), not a count's. */
#define JOB_SPEC_ARGS_BYTES_MAX (2U * 1024 * 1024)
#define JOB_SPEC_ARGS_COUNT_MAX 65536U

typedef struct JobSpec {
        char **argv;               /* NULL-terminated; bytes without NUL */
        char **environment;        /* NULL-terminated, as passed by the caller */
        char *working_directory;   /* as asked for; NULL = the user's home, or / */
        JobLimits limits;          /* the a{sv} options of job-limits.c's table */
        /* StartJob options of other D-Bus types (read by the readers in
         * job-spec.c's spec_options[]) add their fields here, free them in
         * job_spec_done() and hand them on in job_spec_move_to_job(). */
        char *name;                /* Name: job_name_valid(); NULL = none */
        char *user;                /* User: parse_user_or_id(); NULL = the caller */
        char *group;               /* Group: parse_user_or_id(); NULL = the user's */
        int terminal;              /* Terminal: a ShimTerminal; SHIM_TERMINAL_NONE = not asked */
        /* Network: NULL = "none"; Address: 0 = the next free one. */
        char *network;
        uint32_t address;
        unsigned address_prefix;   /* 0 = the network's */
        /* Stdin (h): our dup of the caller's fd, checked readable and not a
         * terminal, valid only with has_stdin (so a zeroed spec holds no
         * fd); none = /dev/null. StopWhenCallerExits (b). */
        bool has_stdin;
        int stdin_fd;
        bool stop_when_caller_exits;

        size_t args_bytes;         /* argv + environment + directory, counted while reading */
} JobSpec;

typedef struct Job Job;

void job_spec_init(JobSpec *spec);
void job_spec_done(JobSpec *spec);
/* Hands what the spec holds (argv, environment, directory, limits, ...) to
 * the job made for it; the spec is left empty. */
void job_spec_move_to_job(JobSpec *spec, Job *j);

/* Reads StartJob's arguments (aay argv, aay environment, ay working
 * directory, a{sv} options) from m, which is rewound first. Bad input sets
 * error (org.jobworker1.Error.InvalidArgument, naming the value) and
 * returns its negative errno; a malformed message returns the sd-bus error. */
int job_spec_read(JobSpec *spec, sd_bus_message *m, sd_bus_error *error);

/* The a{sv} of options alone, at m's position, onto spec (Job.SetLimits
 * reads its argument so, with spec->limits the job's own). */
int job_spec_read_options(JobSpec *spec, sd_bus_message *m, sd_bus_error *error);
/* What of limits only this host can tell (a CPU it does not have). */
int job_spec_validate_limits(const JobLimits *l, sd_bus_error *error);

/* What can be checked without knowing who asks: an empty command, a
 * relative working directory, environment entries that are not NAME=VALUE,
 * options this host cannot honour (a CPU it does not have). Paths are not
 * looked at here: they are resolved as the caller (caller-check.c). */
int job_spec_validate(const JobSpec *spec, sd_bus_error *error);

/* Who the job runs as, for its environment. Borrowed strings. */
typedef struct JobSpecUser {
        uid_t uid;
        const char *name;
        const char *home;          /* NULL or "": "/" */
        const char *shell;         /* NULL or "": "/bin/sh" */
} JobSpecUser;

/* Sets NAME=VALUE in the NULL-terminated *env (NULL = empty), replacing an
 * entry of the same NAME. Returns 0 or -ENOMEM. */
int job_spec_env_set(char ***env, const char *assignment);

/* The job's clean environment: a sane PATH and the user's identity (HOME,
 * USER, LOGNAME, SHELL), then every entry of passed (which win). Fails with
 * error set for an entry that is not NAME=VALUE. */
int job_spec_build_environment(const JobSpecUser *user, char **passed, char ***ret, sd_bus_error *error);
