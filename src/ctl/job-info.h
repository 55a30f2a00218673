/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job object's properties as the client sees them: read with one GetAll,
 * printed as JSON by status and list. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

typedef struct ByteString {
        uint8_t *data;
        size_t size;
} ByteString;

typedef struct JobInfoBind {
        char *source, *destination;
        bool read_only;
} JobInfoBind;

typedef struct JobInfo {
        char *id;
        char *name;             /* "" = none */
        char *unit;
        char *slice;         /* NULL: a daemon without per-user slices */
        char *state;            /* starting | running | stopping | finished */
        char *result;           /* "" while not finished */
        char *status_text;
        uint32_t owner;
        /* Who it runs as (RunAs, RunAsUser, RunAsGroup); run_as_set says
         * whether the daemon told (older ones do not). */
        uint32_t run_as, run_as_group;
        char *run_as_user;      /* "" = no passwd entry, or the owner */
        bool run_as_set;
        ByteString *command;
        size_t n_command;
        ByteString working_directory;
        int exit_code;          /* -1 = none */
        int exit_signal;        /* 0 = none */
        int start_errno;        /* 0 unless start-failed with a known errno */
        uint64_t start_timestamp, finish_timestamp;  /* CLOCK_REALTIME µs, 0 = not yet */
        uint64_t cpu_usage_nsec, memory_peak;        /* UINT64_MAX = unknown */
        uint64_t stdout_bytes, stderr_bytes;         /* all output, once finished; UINT64_MAX = unknown */

        /* Limits in force; UINT64_MAX = no limit. */
        uint64_t cpu_quota_per_sec_usec;
        uint64_t memory_max, memory_swap_max;
        char *io_device;
        uint64_t io_read_bandwidth_max, io_write_bandwidth_max;
        char *allowed_cpus;     /* "" = all */
        uint64_t tasks_max;
        uint64_t runtime_max_usec, stop_timeout_usec;

        /* What the job sees of the file system. */
        char *root_directory;   /* "" = the host's */
        int host_system, private_tmp;
        JobInfoBind *binds;     /* BindPaths, then BindReadOnlyPaths */
        size_t n_binds;

        /* Bridged networking: Network ("none" or NULL = loopback only),
         * Address ("A.B.C.D/PREFIX"), HostInterface. */
        char *network;
        char *address;
        char *host_interface;
} JobInfo;

#define JOB_INFO_INIT {                                         \
                .exit_code = -1,                                \
                .cpu_usage_nsec = UINT64_MAX,                   \
                .memory_peak = UINT64_MAX,                      \
                .stdout_bytes = UINT64_MAX,                     \
                .stderr_bytes = UINT64_MAX,                     \
                .cpu_quota_per_sec_usec = UINT64_MAX,           \
                .memory_max = UINT64_MAX,                       \
                .memory_swap_max = UINT64_MAX,                  \
                .io_read_bandwidth_max = UINT64_MAX,            \
                .io_write_bandwidth_max = UINT64_MAX,           \
                .tasks_max = UINT64_MAX,                        \
                .runtime_max_usec = UINT64_MAX,                 \
                .stop_timeout_usec = UINT64_MAX,                \
        }

void job_info_done(JobInfo *info);

/* One line on the job's file system view: "host", or "root DIR, host
 * system, private /tmp"; NULL on ENOMEM. */
char *job_info_filesystem_text(const JobInfo *info);
/* "none (loopback only)", or "NETWORK, address A.B.C.D/P, host interface IF". */
bool job_info_is_bridged(const JobInfo *info);
char *job_info_network_text(const JobInfo *info);

/* Reads the reply of Properties.GetAll(org.jobworker1.Job). Unknown
 * properties are skipped, so a newer daemon may add more. */
int job_info_parse(sd_bus_message *reply, JobInfo *info);

/* GetAll on the job at path. On a D-Bus error, error is set. */
int job_info_get(sd_bus *bus, const char *path, JobInfo *ret, sd_bus_error *error);

/* The object path of a job id, from Manager.GetJob: ids are never pasted
 * into paths on this side. */
int job_path_get(sd_bus *bus, const char *id, char **ret_path, sd_bus_error *error);

/* One JSON object (no trailing newline). Returns 0 or -EIO. */
int job_info_json(const JobInfo *info, FILE *f);

/* The command line shell-quoted, words joined by spaces. NULL on ENOMEM. */
char *job_info_command_line(const JobInfo *info);

/* "finished" jobs are done; anything else still counts as active. */
bool job_info_is_finished(const JobInfo *info);

/* The limits in force for people: "CPU 50%, memory 64.0M, swap 0B, tasks
 * 100, IO read 10.0M/s on /, stop timeout 10s", or "none". NULL on ENOMEM. */
char *job_info_limits_text(const JobInfo *info);
