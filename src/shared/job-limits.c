/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* StartJob options: the shared option table and the validation of each
 * option into a JobLimits. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* vasprintf() */
#endif
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job-limits.h"
#include "parse-util.h"

/* Longest IODevice accepted: PATH_MAX including the NUL. */
#define IO_DEVICE_PATH_MAX 4096

const JobOptionInfo job_option_table[] = {
        { "CPUQuota",            'd', "cpu",          "FRACTION", JOB_OPTION_ARG_FRACTION,
          "CPU time as a fraction of one CPU (0.5 = 50%), rounded up to whole percent" },
        { "MemoryMax",           't', "memory",       "SIZE",     JOB_OPTION_ARG_SIZE,
          "Memory limit in bytes (suffixes K, M, G, T)" },
        { "MemorySwapMax",       't', "memory-swap",  "SIZE",     JOB_OPTION_ARG_SIZE,
          "Swap limit in bytes (default 0: no swap)" },
        { "IOReadBandwidthMax",  't', "io-read",      "RATE",     JOB_OPTION_ARG_RATE,
          "Read bandwidth limit on the IO device, bytes per second (e.g. 10M/s)" },
        { "IOWriteBandwidthMax", 't', "io-write",     "RATE",     JOB_OPTION_ARG_RATE,
          "Write bandwidth limit on the IO device, bytes per second (e.g. 10M/s)" },
        { "IODevice",            's', "io-device",    "PATH",     JOB_OPTION_ARG_PATH,
          "Block device, or a file on it, the IO limits apply to (default /)" },
        { "AllowedCPUs",         's', "cpus",         "LIST",     JOB_OPTION_ARG_CPU_LIST,
          "CPUs the job may run on, e.g. 0,2-3" },
        { "TasksMax",            't', "tasks-max",    "N",        JOB_OPTION_ARG_COUNT,
          "Maximum number of processes and threads" },
        { "RuntimeMaxUSec",      't', "runtime-max",  "SECONDS",  JOB_OPTION_ARG_SECONDS,
          "Stop the job after this much wall-clock time (also ms, min, h)" },
        { "StopTimeoutUSec",     't', "stop-timeout", "SECONDS",  JOB_OPTION_ARG_SECONDS,
          "Time from SIGTERM to SIGKILL when stopping (default 10 s)" },
        { "UserRuntimeDirectory", 'b', "user-runtime-dir", "BOOL", JOB_OPTION_ARG_BOOLEAN,
          "Let the job see /run/user/UID (its user's session bus and manager; default no)" },
        { "RootDirectory",       's', "root",         "DIR",      JOB_OPTION_ARG_PATH,
          "Run the job with DIR as its / (pivot_root; its own /proc and /dev)" },
        { "HostSystem",          'b', "host-system",  "BOOL",     JOB_OPTION_ARG_BOOLEAN,
          "With --root: the host's /usr, /bin, /lib*, /sbin, /etc read-only, a private /tmp" },
        { "PrivateTmp",          'b', "private-tmp",  "BOOL",     JOB_OPTION_ARG_BOOLEAN,
          "An empty private /tmp and /var/tmp (tmpfs, counted against the job's memory)" },
        {}
};

void job_limits_init(JobLimits *l) {
        *l = (JobLimits) {
                .cpu_quota_per_sec_usec = UINT64_MAX,
                .memory_max = UINT64_MAX,
                .memory_swap_max = 0,
                .io_device = NULL,
                .io_device_node = NULL,
                .io_read_bandwidth_max = UINT64_MAX,
                .io_write_bandwidth_max = UINT64_MAX,
                .allowed_cpus = NULL,
                .allowed_cpus_size = 0,
                .tasks_max = UINT64_MAX,
                .runtime_max_usec = UINT64_MAX,
                .stop_timeout_usec = JOB_STOP_TIMEOUT_DEFAULT_USEC,
                .user_runtime_directory = false,
        };
}

void job_limits_done(JobLimits *l) {
        for (size_t i = 0; i < l->n_binds; i++) {
                free(l->binds[i].source);
                free(l->binds[i].destination);
        }
        free(l->binds);
        free(l->root_directory);
        free(l->io_device);
        free(l->io_device_node);
        free(l->allowed_cpus);
        job_limits_init(l);
}

int job_limits_copy(JobLimits *dst, const JobLimits *src) {
        *dst = *src;
        dst->io_device = src->io_device ? strdup(src->io_device) : NULL;
        dst->io_device_node = src->io_device_node ? strdup(src->io_device_node) : NULL;
        dst->allowed_cpus = src->allowed_cpus ? malloc(src->allowed_cpus_size ?: 1) : NULL;
        if ((src->io_device && !dst->io_device) || (src->io_device_node && !dst->io_device_node) ||
            (src->allowed_cpus && !dst->allowed_cpus)) {
                job_limits_done(dst);
                return -ENOMEM;
        }
        if (src->allowed_cpus)
                memcpy(dst->allowed_cpus, src->allowed_cpus, src->allowed_cpus_size);
        return 0;
}

bool job_option_changes_at_runtime(const char *name) {
        return name && STR_IN_SET(name, "CPUQuota", "MemoryMax", "MemorySwapMax", "IOReadBandwidthMax",
                                  "IOWriteBandwidthMax", "AllowedCPUs", "TasksMax", "RuntimeMaxUSec");
}

_printf_(3, 4)
static int fail(char **ret_error_message, int error, const char *format, ...) {
        va_list ap;
        char *m;
        int k;

        if (!ret_error_message)
                return error;

        va_start(ap, format);
        k = vasprintf(&m, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;

        *ret_error_message = m;
        return error;
}

const JobOptionInfo *job_option_info_by_name(const char *name) {
        if (!name)
                return NULL;
        for (const JobOptionInfo *i = job_option_table; i->name; i++)
                if (strcmp(i->name, name) == 0)
                        return i;
        return NULL;
}

const JobOptionInfo *job_option_info_by_cli_flag(const char *flag) {
        if (!flag)
                return NULL;
        for (const JobOptionInfo *i = job_option_table; i->name; i++)
                if (strcmp(i->cli_flag, flag) == 0)
                        return i;
        return NULL;
}

/* systemd's path_is_normalized() plus "absolute": no "." or ".." component,
 * no "//", no trailing "/" except for "/" itself. */
static bool path_is_absolute_normalized(const char *p) {
        if (p[0] != '/')
                return false;
        if (strcmp(p, "/") == 0)
                return true;

        for (const char *c = p; *c; ) {
                size_t n;

                c++; /* the '/' */
                n = strcspn(c, "/");
                if (n == 0)
                        return false; /* "//" or a trailing "/" */
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += n;
        }

        return true;
}

static bool string_has_control(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static int set_cpu_quota(JobLimits *l, double d, char **ret_error_message) {
        if (!isfinite(d))
                return fail(ret_error_message, -ERANGE, "CPUQuota must be a finite number");
        if (!(d > 0))
                return fail(ret_error_message, -EINVAL, "CPUQuota must be greater than 0");
        if (d > JOB_CPU_QUOTA_MAX)
                return fail(ret_error_message, -ERANGE,
                            "CPUQuota of %g CPUs is more than the maximum of %g CPUs",
                            d, JOB_CPU_QUOTA_MAX);

        l->cpu_quota_per_sec_usec = cpu_fraction_to_quota_usec(d);
        return 0;
}

/* IODevice and RootDirectory: one rule for paths the caller names. */
static int check_path(const char *name, const char *s, char **ret_error_message) {
        if (strlen(s) >= IO_DEVICE_PATH_MAX)
                return fail(ret_error_message, -EINVAL, "%s path is too long", name);
        if (string_has_control(s))
                return fail(ret_error_message, -EINVAL, "%s path contains control characters", name);
        if (!path_is_absolute_normalized(s))
                return fail(ret_error_message, -EINVAL,
                            "%s must be an absolute, normalized path (no '.', '..', '//' "
                            "or trailing '/'), got '%s'", name, s);
        return 0;
}

static int set_root_directory(JobLimits *l, const char *s, char **ret_error_message) {
        int r = check_path("RootDirectory", s, ret_error_message);
        if (r < 0)
                return r;
        char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(l->root_directory);
        l->root_directory = copy;
        return 0;
}

int job_limits_add_bind(JobLimits *l, bool read_only, const char *source, const char *destination,
                        bool ignore_missing, uint64_t flags, char **ret_error_message) {
        const char *option = read_only ? "BindReadOnlyPaths" : "BindPaths";
        char what[64];
        int r;

        if (!l || !source || !destination)
                return -EINVAL;
        if (l->n_binds >= JOB_BINDS_MAX)
                return fail(ret_error_message, -E2BIG, "%s: a job may have at most %u binds", option, JOB_BINDS_MAX);
        if ((flags & ~JOB_BIND_FLAG_RECURSIVE) != 0)
                return fail(ret_error_message, -EINVAL,
                            "%s: flags 0x%" PRIx64 " for '%s': only MS_REC (16384) is known", option, flags, source);
        snprintf(what, sizeof what, "%s source", option);
        r = check_path(what, source, ret_error_message);
        if (r < 0)
                return r;
        if (!*destination)
                destination = source;
        snprintf(what, sizeof what, "%s destination", option);
        r = check_path(what, destination, ret_error_message);
        if (r < 0)
                return r;
        if (strcmp(destination, "/") == 0)
                return fail(ret_error_message, -EINVAL, "%s: '%s' cannot be bound over /; use RootDirectory",
                            option, source);

        JobBind *n = realloc(l->binds, sizeof(JobBind) * (l->n_binds + 1));
        if (!n)
                return -ENOMEM;
        l->binds = n;
        JobBind b = { .source = strdup(source), .destination = strdup(destination),
                      .read_only = read_only, .ignore_missing = ignore_missing };
        if (!b.source || !b.destination) {
                free(b.source);
                free(b.destination);
                return -ENOMEM;
        }
        l->binds[l->n_binds++] = b;
        return 0;
}

void job_limits_remove_bind(JobLimits *l, size_t i) {
        if (!l || i >= l->n_binds)
                return;
        free(l->binds[i].source);
        free(l->binds[i].destination);
        memmove(l->binds + i, l->binds + i + 1, sizeof(JobBind) * (l->n_binds - i - 1));
        l->n_binds--;
}

int job_limits_check(const JobLimits *l, char **ret_error_message) {
        if (!l)
                return -EINVAL;
        if (l->host_system && !l->root_directory)
                return fail(ret_error_message, -EINVAL,
                            "HostSystem binds the host's system directories into a RootDirectory; none was given");
        return 0;
}

static int set_io_device(JobLimits *l, const char *s, char **ret_error_message) {
        char *copy;
        int r = check_path("IODevice", s, ret_error_message);
        if (r < 0)
                return r;

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        free(l->io_device);
        l->io_device = copy;
        l->io_device_node = (free(l->io_device_node), NULL);  /* it named the old path */
        return 0;
}

static int set_allowed_cpus(JobLimits *l, const char *s, char **ret_error_message) {
        uint8_t *mask;
        size_t size;
        int r;

        r = parse_cpu_list(s, &mask, &size);
        if (r == -ERANGE)
                return fail(ret_error_message, r,
                            "AllowedCPUs names a CPU numbered %u or higher", CPU_LIST_MAX_CPUS);
        if (r == -EINVAL)
                return fail(ret_error_message, r,
                            "AllowedCPUs must be a list of CPUs such as '0,2-3', got '%.200s'", s);
        if (r < 0)
                return r;

        free(l->allowed_cpus);
        l->allowed_cpus = mask;
        l->allowed_cpus_size = size;
        return 0;
}

/* The 't' options that only need "> 0 (unless allowed) and <= max". */
typedef struct UnsignedOption {
        const char *name;
        size_t offset;
        bool zero_ok;
        uint64_t max;
        const char *max_text;
} UnsignedOption;

static const UnsignedOption unsigned_options[] = {
        { "MemoryMax",           offsetof(JobLimits, memory_max),             false, JOB_MEMORY_MAX,       "4 EiB" },
        { "MemorySwapMax",       offsetof(JobLimits, memory_swap_max),        true,  JOB_MEMORY_MAX,       "4 EiB" },
        { "IOReadBandwidthMax",  offsetof(JobLimits, io_read_bandwidth_max),  false, JOB_IO_BANDWIDTH_MAX, "4 EiB/s" },
        { "IOWriteBandwidthMax", offsetof(JobLimits, io_write_bandwidth_max), false, JOB_IO_BANDWIDTH_MAX, "4 EiB/s" },
        { "TasksMax",            offsetof(JobLimits, tasks_max),              false, JOB_TASKS_MAX,        "4194304" },
        { "RuntimeMaxUSec",      offsetof(JobLimits, runtime_max_usec),       false, JOB_TIMEOUT_MAX_USEC, "1 year" },
        { "StopTimeoutUSec",     offsetof(JobLimits, stop_timeout_usec),      false, JOB_TIMEOUT_MAX_USEC, "1 year" },
};

static int set_unsigned(JobLimits *l, const char *name, uint64_t t, char **ret_error_message) {
        for (size_t i = 0; i < ELEMENTSOF(unsigned_options); i++) {
                const UnsignedOption *o = &unsigned_options[i];

                if (strcmp(o->name, name) != 0)
                        continue;

                if (t == 0 && !o->zero_ok)
                        return fail(ret_error_message, -EINVAL, "%s must be greater than 0", name);
                if (t > o->max)
                        return fail(ret_error_message, -ERANGE,
                                    "%s of %" PRIu64 " is more than the maximum of %s",
                                    name, t, o->max_text);

                *(uint64_t *) ((uint8_t *) l + o->offset) = t;
                return 0;
        }

        return -EINVAL; /* not reached: the option table and this one agree */
}

static char printable_type(char c) {
        return c > 0x20 && c < 0x7f ? c : '?';
}

int job_limits_set_option(JobLimits *l, const char *name, const JobOptionValue *v,
                          char **ret_error_message) {
        const JobOptionInfo *info;

        if (!l || !name || !v)
                return -EINVAL;

        info = job_option_info_by_name(name);
        if (!info)
                return fail(ret_error_message, -EINVAL, "Unknown option '%s'", name);

        if (v->type != info->type)
                return fail(ret_error_message, -EINVAL,
                            "Option '%s' must be of D-Bus type '%c', got '%c'",
                            name, info->type, printable_type(v->type));

        if (v->type == 's' && !v->s)
                return -EINVAL;

        switch (info->arg) {
        case JOB_OPTION_ARG_FRACTION:
                return set_cpu_quota(l, v->d, ret_error_message);
        case JOB_OPTION_ARG_PATH:
                if (strcmp(name, "RootDirectory") == 0)
                        return set_root_directory(l, v->s, ret_error_message);
                return set_io_device(l, v->s, ret_error_message);
        case JOB_OPTION_ARG_CPU_LIST:
                return set_allowed_cpus(l, v->s, ret_error_message);
        case JOB_OPTION_ARG_SIZE:
        case JOB_OPTION_ARG_RATE:
        case JOB_OPTION_ARG_COUNT:
        case JOB_OPTION_ARG_SECONDS:
                return set_unsigned(l, name, v->t, ret_error_message);
        case JOB_OPTION_ARG_BOOLEAN:
                if (strcmp(name, "HostSystem") == 0)
                        l->host_system = v->b != 0;
                else if (strcmp(name, "PrivateTmp") == 0)
                        l->private_tmp = v->b != 0;
                else
                        l->user_runtime_directory = v->b != 0;
                return 0;
        }

        return -EINVAL;
}

int job_option_value_from_cli(const JobOptionInfo *info, const char *text, JobOptionValue *ret,
                              char **ret_error_message) {
        static const char *const what[] = {
                [JOB_OPTION_ARG_FRACTION] = "fraction of a CPU (e.g. 0.5 or 50%)",
                [JOB_OPTION_ARG_SIZE]     = "size (e.g. 512M)",
                [JOB_OPTION_ARG_RATE]     = "rate (e.g. 10M/s)",
                [JOB_OPTION_ARG_PATH]     = "path",
                [JOB_OPTION_ARG_CPU_LIST] = "CPU list",
                [JOB_OPTION_ARG_COUNT]    = "number",
                [JOB_OPTION_ARG_SECONDS]  = "duration (e.g. 1.5, 250ms, 2min)",
                [JOB_OPTION_ARG_BOOLEAN]  = "boolean (yes or no)",
        };
        bool b = false;
        JobOptionValue v = {};
        int r = 0;

        if (!info || !text || !ret)
                return -EINVAL;

        v.type = info->type;

        switch (info->arg) {
        case JOB_OPTION_ARG_FRACTION:
                r = parse_cpu_fraction(text, &v.d);
                break;
        case JOB_OPTION_ARG_SIZE:
                r = parse_size(text, &v.t);
                break;
        case JOB_OPTION_ARG_RATE:
                r = parse_rate(text, &v.t);
                break;
        case JOB_OPTION_ARG_COUNT:
                r = parse_uint64(text, &v.t);
                break;
        case JOB_OPTION_ARG_SECONDS:
                r = parse_seconds(text, &v.t);
                break;
        case JOB_OPTION_ARG_PATH:
        case JOB_OPTION_ARG_CPU_LIST:
                v.s = text;
                break;
        case JOB_OPTION_ARG_BOOLEAN:
                r = parse_boolean(text, &b);
                v.b = b;
                break;
        }

        if (r == -ERANGE && info->arg == JOB_OPTION_ARG_FRACTION)
                return fail(ret_error_message, r, "--%s: '%s' must be greater than 0", info->cli_flag, text);
        if (r == -ERANGE)
                return fail(ret_error_message, r, "--%s: '%s' is out of range", info->cli_flag, text);
        if (r < 0)
                return fail(ret_error_message, r, "--%s: '%s' is not a valid %s",
                            info->cli_flag, text, what[info->arg]);

        *ret = v;
        return 0;
}
