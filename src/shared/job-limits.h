/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job's resource limits and the StartJob options (a{sv}) that set them:
 * validation of each option against doc/dbus-api.md, without a bus, and the
 * option table the daemon and the CLI share. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "macro.h"

/* Caps on what a job may ask for. Anything above is not a policy choice but
 * a mistake (a unit slip, a negative number sent as unsigned), refused with
 * -ERANGE. Ceilings that are policy (what an unprivileged user may get)
 * belong to the daemon. */
#define JOB_CPU_QUOTA_MAX          1024.0               /* CPUQuota: 1024 CPUs */
#define JOB_MEMORY_MAX             (UINT64_C(1) << 62)  /* MemoryMax, MemorySwapMax: 4 EiB */
#define JOB_IO_BANDWIDTH_MAX       (UINT64_C(1) << 62)  /* IORead/WriteBandwidthMax: 4 EiB/s */
#define JOB_TASKS_MAX              UINT64_C(4194304)    /* TasksMax: the kernel's PID_MAX_LIMIT */
#define JOB_TIMEOUT_MAX_USEC       (UINT64_C(365) * 24 * 3600 * USEC_PER_SEC) /* RuntimeMaxUSec, StopTimeoutUSec: 1 year */
#define JOB_STOP_TIMEOUT_DEFAULT_USEC (10 * USEC_PER_SEC)
#define JOB_BINDS_MAX              64U                  /* BindPaths + BindReadOnlyPaths of one job */
#define JOB_BIND_FLAG_RECURSIVE    UINT64_C(16384)      /* MS_REC, the only flag BindPaths takes */

/* One bind mount of a host path (BindPaths, BindReadOnlyPaths). */
typedef struct JobBind {
        char *source;                     /* absolute, normalized; opened as the caller */
        char *destination;                /* absolute, normalized; in the root if there is one */
        bool read_only;
        bool ignore_missing;              /* a source that does not exist is skipped */
} JobBind;

typedef struct JobLimits {
        uint64_t cpu_quota_per_sec_usec;  /* UINT64_MAX = unset; multiple of 10000 */
        uint64_t memory_max;              /* UINT64_MAX = unset */
        uint64_t memory_swap_max;         /* default 0: the job gets no swap unless asked */
        char *io_device;                  /* NULL = "/"; the caller's path, as shown */
        char *io_device_node;             /* what systemd gets instead: "/dev/block/MAJ:MIN" as the
                                           * daemon resolved io_device as the caller; NULL = io_device */
        uint64_t io_read_bandwidth_max;   /* UINT64_MAX = unset */
        uint64_t io_write_bandwidth_max;  /* UINT64_MAX = unset */
        uint8_t *allowed_cpus;            /* NULL = all; AllowedCPUs ay bitmask */
        size_t allowed_cpus_size;
        uint64_t tasks_max;               /* UINT64_MAX = unset */
        uint64_t runtime_max_usec;        /* UINT64_MAX = unset */
        uint64_t stop_timeout_usec;       /* default JOB_STOP_TIMEOUT_DEFAULT_USEC */
        bool user_runtime_directory;      /* default false: /run/user is hidden from the job */
        char *root_directory;             /* NULL = the host's root; else the job's "/", as the caller named it */
        bool host_system;                 /* the host's /usr, /etc... read-only in the root; needs root_directory */
        bool private_tmp;                 /* an empty tmpfs on /tmp and /var/tmp */
        JobBind *binds;                   /* in the order given */
        size_t n_binds;
} JobLimits;

/* Defaults: everything unset, no swap, stop timeout 10 s, /run/user hidden. */
void job_limits_init(JobLimits *l);
/* Frees what l owns and leaves it as after job_limits_init(). */
void job_limits_done(JobLimits *l);
/* A deep copy of src into dst (not initialized before). 0 or -ENOMEM. */
int job_limits_copy(JobLimits *dst, const JobLimits *src);

/* Whether a running job's option may change (Job.SetLimits): the cgroup
 * limits and the run time may; the IO device, the stop timeout and what
 * the shim set up at start may not. */
bool job_option_changes_at_runtime(const char *name);

/* One option value as received in the a{sv}: type is the D-Bus type
 * character actually sent ('d', 't', 's', 'b', or any other for a wrong type,
 * in which case the union is not read). s is borrowed. */
typedef struct JobOptionValue {
        char type;
        union {
                double d;
                uint64_t t;
                const char *s;
                int b;            /* as sd-bus reads a D-Bus boolean */
        };
} JobOptionValue;

/* Applies one StartJob option to l. Returns 0; or -EINVAL (unknown option,
 * wrong type, zero, malformed path or CPU list) / -ERANGE (absurd value)
 * with *ret_error_message (if not NULL) set to a newly allocated sentence
 * for people that names the option; or -ENOMEM. l is unchanged on error. */
int job_limits_set_option(JobLimits *l, const char *name, const JobOptionValue *v,
                          char **ret_error_message);

/* Appends one entry of BindPaths (read_only false) or BindReadOnlyPaths
 * (true), systemd's a(ssbt): source, destination ("" = the source),
 * ignore-missing, flags (0 or MS_REC; binds are always recursive, so that
 * nothing a mount hides in the source shows). Returns 0, or -EINVAL /
 * -E2BIG (more than JOB_BINDS_MAX) with *ret_error_message naming the
 * option and the path, or -ENOMEM. */
int job_limits_add_bind(JobLimits *l, bool read_only, const char *source, const char *destination,
                        bool ignore_missing, uint64_t flags, char **ret_error_message);
/* Drops bind i (one whose source is missing and ignore_missing). */
void job_limits_remove_bind(JobLimits *l, size_t i);

/* What single options cannot check: HostSystem needs a RootDirectory.
 * Returns 0, or -EINVAL with *ret_error_message (if not NULL) set. */
int job_limits_check(const JobLimits *l, char **ret_error_message);

/* How the CLI reads an option's argument, and with which parse-util parser. */
typedef enum JobOptionArg {
        JOB_OPTION_ARG_FRACTION,  /* parse_cpu_fraction(), sent as d */
        JOB_OPTION_ARG_SIZE,      /* parse_size(), sent as t */
        JOB_OPTION_ARG_RATE,      /* parse_rate(), sent as t */
        JOB_OPTION_ARG_PATH,      /* as is, sent as s */
        JOB_OPTION_ARG_CPU_LIST,  /* as is (validated by the daemon), sent as s */
        JOB_OPTION_ARG_COUNT,     /* parse_uint64(), sent as t */
        JOB_OPTION_ARG_SECONDS,   /* parse_seconds(), sent as t in µs */
        JOB_OPTION_ARG_BOOLEAN,   /* parse_boolean(), argument optional (yes), sent as b */
} JobOptionArg;

typedef struct JobOptionInfo {
        const char *name;         /* D-Bus key, e.g. "MemoryMax" */
        char type;                /* D-Bus type character: 'd', 't', 's' or 'b' */
        const char *cli_flag;     /* long option without "--", e.g. "memory" */
        const char *cli_metavar;  /* e.g. "SIZE" */
        JobOptionArg arg;
        const char *help;         /* one line for --help */
} JobOptionInfo;

/* Every StartJob option, in the order of doc/dbus-api.md; terminated by an
 * entry with name == NULL. */
extern const JobOptionInfo job_option_table[];

/* The entry for a D-Bus key or a CLI flag, or NULL. */
const JobOptionInfo *job_option_info_by_name(const char *name);
const JobOptionInfo *job_option_info_by_cli_flag(const char *flag);

/* For the CLI: parse the text of --FLAG=TEXT into the typed value to send.
 * A string value borrows text. Returns 0, or -EINVAL / -ERANGE with
 * *ret_error_message (if not NULL) naming the flag, or -ENOMEM. Only syntax
 * is checked here; the daemon validates ranges with job_limits_set_option()
 * (which the CLI may also call on a scratch JobLimits to fail early). */
int job_option_value_from_cli(const JobOptionInfo *info, const char *text, JobOptionValue *ret,
                              char **ret_error_message);
