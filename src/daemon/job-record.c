/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job's record under RUNSTATEDIR/jobs/<id>.job: what a restarted daemon
 * needs to find the job again and report it. A kv-record.h record; byte
 * strings (argv, environment, paths, status text) hex-encoded so any byte
 * survives; list entries repeat their key in order. Written to
 * <id>.job.tmp and renamed, so a crash leaves the old or the new record,
 * never half of one. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "job.h"
#include "kv-record.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "net-address.h"
#include "parse-util.h"

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

char *job_terminal_socket_path(const Job *j) {
        return record_path(j, ".terminal");
}

/* "ro" or "rw", source, destination, NUL-separated. */
static int put_bind(KVWriter *w, const JobBind *b) {
        size_t ns = strlen(b->source), nd = strlen(b->destination);
        _cleanup_free_ uint8_t *v = malloc(3 + ns + 1 + nd);

        if (!v)
                return -ENOMEM;
        memcpy(v, b->read_only ? "ro" : "rw", 3);
        memcpy(v + 3, b->source, ns + 1);
        memcpy(v + 3 + ns + 1, b->destination, nd);
        kv_put_hex(w, "BIND", v, 3 + ns + 1 + nd);
        return 0;
}

int job_record_format(const Job *j, char **ret, size_t *ret_size) {
        _cleanup_(kv_writer_done) KVWriter w = KV_WRITER_INIT;
        const JobLimits *l = &j->limits;
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        assert(j);
        assert(ret);
        assert(ret_size);

        kv_put_token(&w, "ID", j->id);
        kv_put_u64(&w, "OWNER", j->owner);
        kv_put_u64(&w, "GID", j->gid);
        if (j->run_uid != UID_UNSET)
                kv_put_u64(&w, "RUN_UID", j->run_uid);
        if (j->run_user)
                kv_put_hex_string(&w, "RUN_USER", j->run_user);
        for (char **a = j->argv; a && *a; a++)
                kv_put_hex_string(&w, "ARGV", *a);
        /* The environment only matters until the job runs; it is never
         * shown, and a finished job's record need not carry it. */
        if (j->state != JOB_FINISHED)
                for (char **e = j->environment; e && *e; e++)
                        kv_put_hex_string(&w, "ENV", *e);
        kv_put_hex_string(&w, "WORKDIR", j->working_directory ?: "");
        if (j->name)
                kv_put_token(&w, "NAME", j->name);
        /* The client whose disconnection stops the job (StopWhenCallerExits). */
        if (j->stop_with_caller)
                kv_put_token(&w, "STOP_WITH_CALLER", j->stop_with_caller);
        kv_put_u64(&w, "START_USEC", j->start_usec);
        kv_put_u64(&w, "CPU_QUOTA", l->cpu_quota_per_sec_usec);
        kv_put_u64(&w, "MEMORY_MAX", l->memory_max);
        kv_put_u64(&w, "MEMORY_SWAP_MAX", l->memory_swap_max);
        kv_put_hex_string(&w, "IO_DEVICE", l->io_device ?: "");
        kv_put_u64(&w, "IO_READ", l->io_read_bandwidth_max);
        kv_put_u64(&w, "IO_WRITE", l->io_write_bandwidth_max);
        kv_put_hex(&w, "ALLOWED_CPUS", l->allowed_cpus, l->allowed_cpus ? l->allowed_cpus_size : 0);
        kv_put_u64(&w, "TASKS_MAX", l->tasks_max);
        kv_put_u64(&w, "RUNTIME_MAX", l->runtime_max_usec);
        kv_put_u64(&w, "STOP_TIMEOUT", l->stop_timeout_usec);
        kv_put_u64(&w, "USER_RUNTIME_DIRECTORY", l->user_runtime_directory);
        if (l->root_directory)
                kv_put_hex_string(&w, "ROOT_DIRECTORY", l->root_directory);
        kv_put_u64(&w, "HOST_SYSTEM", l->host_system);
        kv_put_u64(&w, "PRIVATE_TMP", l->private_tmp);
        for (size_t i = 0; i < l->n_binds; i++) {
                r = put_bind(&w, &l->binds[i]);
                if (r < 0)
                        return r;
        }
        /* Bridged networking: its lease is found again by these. */
        if (j->network) {
                kv_put_token(&w, "NETWORK", j->network);
                if (j->address) {
                        char a[NET_ADDRESS_STRING_MAX], v[NET_ADDRESS_STRING_MAX + sizeof("/4294967295")];
                        snprintf(v, sizeof v, "%s/%u", net_address_format(j->address, a), j->address_prefix);
                        kv_put_token(&w, "ADDRESS", v);
                }
                if (j->host_interface)
                        kv_put_token(&w, "HOST_INTERFACE", j->host_interface);
        }
        /* Output readers accept the job's output only from this process
         * (job-output.h), also after a restart. */
        if (j->shim_pid > 0)
                kv_put_u64(&w, "SHIM_PID", (uint64_t) j->shim_pid);
        kv_put_token(&w, "STATE", job_state_to_string(j->state));
        kv_put_token(&w, "RESULT", job_result_to_string(j->result));
        kv_put_int(&w, "EXIT_CODE", j->exit_code);
        kv_put_int(&w, "EXIT_SIGNAL", j->exit_signal);
        kv_put_hex_string(&w, "STATUS_TEXT", j->status_text ?: "");
        kv_put_u64(&w, "FINISH_USEC", j->finish_usec);
        kv_put_u64(&w, "CPU_NSEC", j->cpu_usage_nsec);
        kv_put_u64(&w, "MEMORY_PEAK", j->memory_peak);
        kv_put_u64(&w, "STDOUT_BYTES", j->output_bytes[0]);
        kv_put_u64(&w, "STDERR_BYTES", j->output_bytes[1]);
        kv_put_u64(&w, "STOP_REQUESTED", j->stop_requested);
        kv_put_u64(&w, "STOP_DEADLINE", j->stop_deadline_usec);
        kv_put_u64(&w, "PENDING_STOP_TIMEOUT", j->pending_stop_timeout_usec);
        kv_put_int(&w, "START_ERRNO", j->start_errno);

        r = kv_writer_finish(&w, &text, &size);
        if (r < 0)
                return r;
        if (size > JOB_RECORD_SIZE_MAX)
                return -E2BIG;
        *ret_size = size;
        *ret = TAKE_PTR(text);
        return 0;
}

int job_save(const Job *j) {
        _cleanup_free_ char *path = record_path(j, ".job"), *tmp = record_path(j, ".job.tmp"), *text = NULL;
        _cleanup_close_ int fd = -1;
        size_t size;
        int r;

        assert(j);

        if (!path || !tmp)
                return -ENOMEM;
        r = job_record_format(j, &text, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to format the record of job %s: %m", j->id);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return log_error_errno(errno, "Failed to write %s: %m", tmp);
        /* A .tmp left behind keeps its mode through O_TRUNC, and the rename
         * hands that mode to the record: records are root's alone. */
        if (fchmod(fd, 0600) < 0)
                return log_error_errno(errno, "Failed to make %s private: %m", tmp);
        r = write_all(fd, text, size);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", tmp);
        if (close(TAKE_FD(fd)) < 0)
                return log_error_errno(errno, "Failed to write %s: %m", tmp);
        if (rename(tmp, path) < 0)
                return log_error_errno(errno, "Failed to rename %s: %m", tmp);
        return 0;
}

static int job_apply_record_line(Job *j, const char *key, const char *value, size_t *n_argv, size_t *n_env) {
        JobLimits *l = &j->limits;
        uint64_t u;
        char *s = NULL;
        int r = 0;

#define U64(k, field) if (strcmp(key, k) == 0) return parse_uint64(value, &(field))
#define HEX(k, field) if (strcmp(key, k) == 0) { r = kv_unhex_string(value, &s); if (r < 0) return r; free(field); field = s; return 0; }
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
        U64("STDOUT_BYTES", j->output_bytes[0]);
        U64("STDERR_BYTES", j->output_bytes[1]);
        U64("STOP_DEADLINE", j->stop_deadline_usec);
        U64("PENDING_STOP_TIMEOUT", j->pending_stop_timeout_usec);
        HEX("WORKDIR", j->working_directory);
        HEX("IO_DEVICE", l->io_device);
        HEX("ROOT_DIRECTORY", l->root_directory);
        HEX("STATUS_TEXT", j->status_text);
        HEX("RUN_USER", j->run_user);
#undef U64
#undef HEX
        if (strcmp(key, "USER_RUNTIME_DIRECTORY") == 0 || strcmp(key, "HOST_SYSTEM") == 0 ||
            strcmp(key, "PRIVATE_TMP") == 0) {
                r = parse_uint64(value, &u);
                if (r < 0 || u > 1)
                        return -EINVAL;
                if (key[0] == 'U')
                        l->user_runtime_directory = u;
                else if (key[0] == 'H')
                        l->host_system = u;
                else
                        l->private_tmp = u;
                return 0;
        }
        if (strcmp(key, "NETWORK") == 0 || strcmp(key, "HOST_INTERFACE") == 0) {
                if (!net_ifname_valid(value))
                        return -EINVAL;
                s = strdup(value);
                if (!s)
                        return -ENOMEM;
                char **field = key[0] == 'N' ? &j->network : &j->host_interface;
                free(*field);
                *field = s;
                return 0;
        }
        if (strcmp(key, "ADDRESS") == 0) {
                if (net_address_prefix_parse(value, &j->address, &j->address_prefix) != 1 || j->address == 0 ||
                    j->address_prefix < NET_SUBNET_PREFIX_MIN || j->address_prefix > NET_SUBNET_PREFIX_MAX)
                        return -EINVAL;
                return 0;
        }
        if (strcmp(key, "NAME") == 0) {
                if (!job_name_valid(value))
                        return -EINVAL;
                s = strdup(value);
                if (!s)
                        return -ENOMEM;
                free(j->name);
                j->name = s;
                return 0;
        }
        if (strcmp(key, "STOP_WITH_CALLER") == 0) {
                if (!bus_unique_name_valid(value))
                        return -EINVAL;
                s = strdup(value);
                if (!s)
                        return -ENOMEM;
                free(j->stop_with_caller);
                j->stop_with_caller = s;
                return 0;
        }
        if (strcmp(key, "ID") == 0)
                /* A record renamed to another job's name is not that job. */
                return strcmp(value, j->id) == 0 ? 0 : -EINVAL;
        if (strcmp(key, "OWNER") == 0 || strcmp(key, "GID") == 0 || strcmp(key, "RUN_UID") == 0) {
                r = parse_uint64(value, &u);
                if (r < 0)
                        return r;
                if (u > UINT32_MAX - 1)
                        return -ERANGE;
                if (key[0] == 'O')
                        j->owner = (uid_t) u;
                else if (key[0] == 'R')
                        j->run_uid = (uid_t) u;
                else
                        j->gid = (gid_t) u;
                return 0;
        }
        if (strcmp(key, "SHIM_PID") == 0) {
                r = parse_uint64(value, &u);
                if (r < 0)
                        return r;
                if (u == 0 || u > INT32_MAX)
                        return -ERANGE;
                j->shim_pid = (pid_t) u;
                return 0;
        }
        if (strcmp(key, "ARGV") == 0 || strcmp(key, "ENV") == 0) {
                r = kv_unhex_string(value, &s);
                if (r < 0)
                        return r;
                r = key[0] == 'A' ? strv_push(&j->argv, n_argv, s) : strv_push(&j->environment, n_env, s);
                if (r < 0)
                        free(s);
                return r;
        }
        if (strcmp(key, "BIND") == 0) {
                _cleanup_free_ uint8_t *v = NULL;
                size_t size;
                r = kv_unhex(value, true, &v, &size);
                if (r < 0)
                        return r;
                /* "ro\0SRC\0DST": exactly two NULs, and the same checks as StartJob. */
                if (size < 3 || memchr(v, 0, size) != v + 2 || memchr(v + 3, 0, size - 3) == NULL)
                        return -EINVAL;
                const char *src = (const char *) v + 3;
                size_t ns = strlen(src);
                if (3 + ns + 1 > size || memchr(v + 3 + ns + 1, 0, size - 3 - ns - 1))
                        return -EINVAL;
                _cleanup_free_ char *dst = strndup((const char *) v + 3 + ns + 1, size - 3 - ns - 1);
                if (!dst)
                        return -ENOMEM;
                if (memcmp(v, "ro", 2) != 0 && memcmp(v, "rw", 2) != 0)
                        return -EINVAL;
                r = job_limits_add_bind(l, v[1] == 'o', src, dst, false, 0, NULL);
                return r < 0 ? r : 0;
        }
        if (strcmp(key, "ALLOWED_CPUS") == 0) {
                uint8_t *mask;
                size_t size;
                r = kv_unhex(value, true, &mask, &size);
                if (r < 0)
                        return r;
                free(l->allowed_cpus);
                l->allowed_cpus = size > 0 ? mask : NULL;
                l->allowed_cpus_size = size;
                if (size == 0)
                        free(mask);
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
                if (!STR_IN_SET(value, "0", "1"))
                        return -EINVAL;
                j->stop_requested = value[0] == '1';
                return 0;
        }
        return 0; /* unknown keys: newer daemons may add fields */
}

static void free_and_null_if_empty(char **s) {
        if (*s && !**s) {
                free(*s);
                *s = NULL;
        }
}

typedef struct RecordParse {
        Job *job;
        size_t n_argv, n_env;
} RecordParse;

static int record_line(const char *key, const char *value, void *userdata) {
        RecordParse *p = userdata;
        int r = job_apply_record_line(p->job, key, value, &p->n_argv, &p->n_env);

        if (r < 0)
                return log_debug_errno(r, "Bad %s= in the record of job %s: %m", key, p->job->id);
        return 0;
}

int job_record_parse(Job *j, const char *text, size_t size) {
        RecordParse p = { .job = j };
        int r;

        assert(j);
        assert(text || size == 0);

        if (size > JOB_RECORD_SIZE_MAX)
                return -E2BIG;
        r = kv_record_parse(text, size, record_line, &p);
        if (r < 0)
                return r;
        if (p.n_argv == 0)
                return -EBADMSG;
        free_and_null_if_empty(&j->working_directory);
        free_and_null_if_empty(&j->status_text);
        free_and_null_if_empty(&j->run_user);
        free_and_null_if_empty(&j->limits.io_device);
        return 0;
}

int job_record_read(Job *j) {
        _cleanup_free_ char *path = record_path(j, ".job"), *buf = NULL;
        _cleanup_close_ int fd = -1;
        size_t size = 0;

        assert(j);

        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(JOB_RECORD_SIZE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        /* One byte more than a record may have tells a too large one. */
        ssize_t n = read_full(fd, buf, JOB_RECORD_SIZE_MAX + 1);
        if (n < 0)
                return (int) n;
        size = (size_t) n;
        if (size > JOB_RECORD_SIZE_MAX)
                return log_warning_errno(E2BIG, "Record %s is too large.", path);
        int r = job_record_parse(j, buf, size);
        if (r < 0)
                return log_warning_errno(r, "Record %s is malformed: %m", path);
        return 0;
}

void job_forget_files(const Job *j) {
        const char *suffixes[] = { ".job", ".status", ".job.tmp", ".status.tmp", ".terminal" };
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *p = record_path(j, suffixes[i]);
                if (p && unlink(p) < 0 && errno != ENOENT)
                        log_warning_errno(errno, "Failed to remove %s: %m", p);
        }
}
