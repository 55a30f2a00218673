/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job's record under RUNSTATEDIR/jobs/<id>.job: what a restarted daemon
 * needs to find the job again and report it. KEY=VALUE lines; byte strings
 * (argv, environment, paths, status text) hex-encoded so any byte survives;
 * list entries repeat their key in order. Written to <id>.job.tmp and renamed,
 * so a crash leaves the old or the new record, never half of one. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

static void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static void put_hex(FILE *f, const char *key, const char *value) {
        fprintf(f, "%s=", key);
        for (const unsigned char *p = (const unsigned char *) value; *p; p++)
                fprintf(f, "%02x", *p);
        fputc('\n', f);
}

static void put_u64(FILE *f, const char *key, uint64_t v) {
        fprintf(f, "%s=%" PRIu64 "\n", key, v);
}

static int unhex(const char *s, char **ret) {
        size_t n = strlen(s);
        if (n % 2 != 0)
                return -EINVAL;
        _cleanup_free_ char *out = malloc(n / 2 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;
                if (sscanf(s + 2 * i, "%2x", &v) != 1 || v == 0)
                        return -EINVAL;
                out[i] = (char) v;
        }
        out[n / 2] = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

static int strv_push(char ***l, size_t *n, char *s) {
        char **nl = realloc(*l, sizeof(char *) * (*n + 2));
        if (!nl)
                return -ENOMEM;
        nl[(*n)++] = s;
        nl[*n] = NULL;
        *l = nl;
        return 0;
}

static char *record_path(const Job *j, const char *suffix) {
        char *p;
        if (asprintf(&p, "%s/%s%s", j->manager->state_dir, j->id, suffix) < 0)
                return NULL;
        return p;
}

char *job_status_path(const Job *j) {
        return record_path(j, ".status");
}

int job_save(const Job *j) {
        _cleanup_free_ char *path = record_path(j, ".job"), *tmp = record_path(j, ".job.tmp");
        _cleanup_(fclosep) FILE *f = NULL;
        const JobLimits *l = &j->limits;

        if (!path || !tmp)
                return -ENOMEM;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(errno, "Failed to write %s: %m", tmp);
        f = fdopen(fd, "w");
        if (!f) {
                close(fd);
                return -errno;
        }

        fprintf(f, "ID=%s\n", j->id);
        put_u64(f, "OWNER", j->owner);
        put_u64(f, "GID", j->gid);
        for (char **a = j->argv; a && *a; a++)
                put_hex(f, "ARGV", *a);
        for (char **e = j->environment; e && *e; e++)
                put_hex(f, "ENV", *e);
        put_hex(f, "WORKDIR", j->working_directory ? j->working_directory : "");
        put_u64(f, "START_USEC", j->start_usec);
        put_u64(f, "CPU_QUOTA", l->cpu_quota_per_sec_usec);
        put_u64(f, "MEMORY_MAX", l->memory_max);
        put_u64(f, "MEMORY_SWAP_MAX", l->memory_swap_max);
        put_hex(f, "IO_DEVICE", l->io_device ? l->io_device : "");
        put_u64(f, "IO_READ", l->io_read_bandwidth_max);
        put_u64(f, "IO_WRITE", l->io_write_bandwidth_max);
        fprintf(f, "ALLOWED_CPUS=");
        for (size_t i = 0; i < l->allowed_cpus_size; i++)
                fprintf(f, "%02x", l->allowed_cpus[i]);
        fputc('\n', f);
        put_u64(f, "TASKS_MAX", l->tasks_max);
        put_u64(f, "RUNTIME_MAX", l->runtime_max_usec);
        put_u64(f, "STOP_TIMEOUT", l->stop_timeout_usec);
        put_u64(f, "USER_RUNTIME_DIRECTORY", l->user_runtime_directory);
        fprintf(f, "STATE=%s\n", job_state_to_string(j->state));
        fprintf(f, "RESULT=%s\n", job_result_to_string(j->result));
        fprintf(f, "EXIT_CODE=%d\n", j->exit_code);
        fprintf(f, "EXIT_SIGNAL=%d\n", j->exit_signal);
        put_hex(f, "STATUS_TEXT", j->status_text ? j->status_text : "");
        put_u64(f, "FINISH_USEC", j->finish_usec);
        put_u64(f, "CPU_NSEC", j->cpu_usage_nsec);
        put_u64(f, "MEMORY_PEAK", j->memory_peak);
        fprintf(f, "STOP_REQUESTED=%d\n", j->stop_requested);
        put_u64(f, "STOP_DEADLINE", j->stop_deadline_usec);
        put_u64(f, "PENDING_STOP_TIMEOUT", j->pending_stop_timeout_usec);
        fprintf(f, "START_ERRNO=%d\n", j->start_errno);

        if (fflush(f) != 0 || ferror(f))
                return log_error_errno(errno ? errno : EIO, "Failed to write %s: %m", tmp);
        if (rename(tmp, path) < 0)
                return log_error_errno(errno, "Failed to rename %s: %m", tmp);
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_int(const char *s, int *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < INT32_MIN || v > INT32_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

static int job_apply_record_line(Job *j, const char *key, const char *value, size_t *n_argv, size_t *n_env) {
        JobLimits *l = &j->limits;
        uint64_t u;
        char *s = NULL;
        int r = 0;

#define U64(k, field) if (strcmp(key, k) == 0) return parse_u64(value, &(field))
#define HEX(k, field) if (strcmp(key, k) == 0) { r = unhex(value, &s); if (r < 0) return r; free(field); field = s; return 0; }
        U64("START_USEC", j->start_usec);
        U64("CPU_QUOTA", l->cpu_quota_per_sec_usec);
        U64("MEMORY_MAX", l->memory_max);
        U64("MEMORY_SWAP_MAX", l->memory_swap_max);
        U64("IO_READ", l->io_read_bandwidth_max);
        U64("IO_WRITE", l->io_write_bandwidth_max);
        U64("TASKS_MAX", l->tasks_max);
        U64("RUNTIME_MAX", l->runtime_max_usec);
        U64("STOP_TIMEOUT", l->stop_timeout_usec);
        U64("FINISH_USEC", j->finish_usec);
        U64("CPU_NSEC", j->cpu_usage_nsec);
        U64("MEMORY_PEAK", j->memory_peak);
        U64("STOP_DEADLINE", j->stop_deadline_usec);
        U64("PENDING_STOP_TIMEOUT", j->pending_stop_timeout_usec);
        HEX("WORKDIR", j->working_directory);
        HEX("IO_DEVICE", l->io_device);
        HEX("STATUS_TEXT", j->status_text);
#undef U64
#undef HEX
        if (strcmp(key, "USER_RUNTIME_DIRECTORY") == 0) {
                r = parse_u64(value, &u);
                if (r < 0 || u > 1)
                        return -EINVAL;
                l->user_runtime_directory = u;
                return 0;
        }
        if (strcmp(key, "OWNER") == 0 || strcmp(key, "GID") == 0) {
                r = parse_u64(value, &u);
                if (r < 0 || u > UINT32_MAX - 1)
                        return -EINVAL;
                if (key[0] == 'O')
                        j->owner = (uid_t) u;
                else
                        j->gid = (gid_t) u;
                return 0;
        }
        if (strcmp(key, "ARGV") == 0 || strcmp(key, "ENV") == 0) {
                r = unhex(value, &s);
                if (r < 0)
                        return r;
                r = key[0] == 'A' ? strv_push(&j->argv, n_argv, s) : strv_push(&j->environment, n_env, s);
                if (r < 0)
                        free(s);
                return r;
        }
        if (strcmp(key, "ALLOWED_CPUS") == 0) {
                size_t n = strlen(value);
                if (n % 2 != 0)
                        return -EINVAL;
                free(l->allowed_cpus);
                l->allowed_cpus = NULL;
                l->allowed_cpus_size = 0;
                if (n == 0)
                        return 0;
                l->allowed_cpus = malloc(n / 2);
                if (!l->allowed_cpus)
                        return -ENOMEM;
                for (size_t i = 0; i < n / 2; i++) {
                        unsigned v;
                        if (sscanf(value + 2 * i, "%2x", &v) != 1)
                                return -EINVAL;
                        l->allowed_cpus[i] = (uint8_t) v;
                }
                l->allowed_cpus_size = n / 2;
                return 0;
        }
        if (strcmp(key, "STATE") == 0) {
                JobState st = job_state_from_string(value);
                if (st < 0)
                        return -EINVAL;
                j->state = st;
                return 0;
        }
        if (strcmp(key, "RESULT") == 0) {
                JobResult res = job_result_from_string(value);
                if (res < 0)
                        return -EINVAL;
                j->result = res;
                return 0;
        }
        if (strcmp(key, "EXIT_CODE") == 0)
                return parse_int(value, &j->exit_code);
        if (strcmp(key, "EXIT_SIGNAL") == 0)
                return parse_int(value, &j->exit_signal);
        if (strcmp(key, "START_ERRNO") == 0) {
                r = parse_int(value, &j->start_errno);
                return r < 0 || j->start_errno < 0 ? -EINVAL : 0;
        }
        if (strcmp(key, "STOP_REQUESTED") == 0) {
                j->stop_requested = strcmp(value, "1") == 0;
                return 0;
        }
        return 0; /* ID and unknown keys: newer daemons may add fields */
}

int job_load(Manager *m, const char *id, Job **ret) {
        _cleanup_(job_freep) Job *j = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *line = NULL, *path = NULL;
        size_t cap = 0, n_argv = 0, n_env = 0;
        ssize_t len;
        int r;

        r = job_new(m, id, &j);
        if (r < 0)
                return r;
        path = record_path(j, ".job");
        if (!path)
                return -ENOMEM;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "r");
        if (!f) {
                close(fd);
                return -errno;
        }
        while ((len = getline(&line, &cap, f)) > 0) {
                if (line[len - 1] == '\n')
                        line[len - 1] = '\0';
                char *eq = strchr(line, '=');
                if (!eq)
                        return log_warning_errno(EINVAL, "Malformed line in %s", path);
                *eq = '\0';
                r = job_apply_record_line(j, line, eq + 1, &n_argv, &n_env);
                if (r < 0)
                        return log_warning_errno(r, "Bad %s= in %s: %m", line, path);
        }
        if (n_argv == 0)
                return log_warning_errno(EINVAL, "Record %s has no command", path);
        if (j->working_directory && !*j->working_directory) {
                free(j->working_directory);
                j->working_directory = NULL;
        }
        if (j->status_text && !*j->status_text) {
                free(j->status_text);
                j->status_text = NULL;
        }
        if (j->limits.io_device && !*j->limits.io_device) {
                free(j->limits.io_device);
                j->limits.io_device = NULL;
        }
        *ret = TAKE_PTR(j);
        return 0;
}

void job_forget_files(const Job *j) {
        const char *suffixes[] = { ".job", ".status", ".job.tmp", ".status.tmp" };
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *p = record_path(j, suffixes[i]);
                if (p && unlink(p) < 0 && errno != ENOENT)
                        log_warning_errno(errno, "Failed to remove %s: %m", p);
        }
}
