/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job exit-status file and the init → shim record: formatting, strict
 * parsing, and atomic file I/O.
 *
 * The status file is a kv-record.h record:
 *   KIND=exited|killed|start-failed|unknown     always
 *   EXIT_CODE=0..255                             KIND=exited
 *   SIGNAL=1..64                                 KIND=killed
 *   ERROR=errno (1..4095)                        KIND=start-failed
 *   MESSAGE=hex                                  KIND=start-failed
 *   CPU_USEC=u64  MEMORY_PEAK=u64                when known
 *   FINISHED_USEC=u64 (CLOCK_REALTIME)           when known
 *   STDOUT_BYTES=u64  STDERR_BYTES=u64           when all output is in the journal
 * MESSAGE is hex-encoded like every byte string in a job record, whatever
 * bytes it holds. Known keys at most once; unknown keys are ignored so newer
 * shims can add fields. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "job-status.h"
#include "kv-record.h"
#include "macro.h"
#include "parse-util.h"
#include "utf8.h"

#define SIGNAL_MAX 64
#define ERRNO_MAX 4095

static const char *const kind_names[] = {
        [JOB_EXIT_UNKNOWN] = "unknown",
        [JOB_EXITED] = "exited",
        [JOB_KILLED] = "killed",
        [JOB_START_FAILED] = "start-failed",
};

const char *job_exit_kind_to_string(JobExitKind k) {
        if ((unsigned) k >= ELEMENTSOF(kind_names))
                return NULL;
        return kind_names[k];
}

JobExitKind job_exit_kind_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(kind_names); i++)
                if (strcmp(s, kind_names[i]) == 0)
                        return (JobExitKind) i;
        return (JobExitKind) -1;
}

void job_status_done(JobStatus *s) {
        free(s->message);
        s->message = NULL;
}

static bool exit_code_valid(int v) {
        return v >= 0 && v <= 255;
}

static bool signal_valid(int v) {
        return v >= 1 && v <= SIGNAL_MAX;
}

static bool errno_valid(int v) {
        return v >= 1 && v <= ERRNO_MAX;
}

int job_status_format(const JobStatus *s, char **ret) {
        _cleanup_(kv_writer_done) KVWriter w = KV_WRITER_INIT;
        _cleanup_free_ char *text = NULL;
        const char *kind = job_exit_kind_to_string(s->kind);
        size_t size;
        int r;

        if (!kind)
                return -EINVAL;
        if (s->kind == JOB_EXITED && !exit_code_valid(s->exit_code))
                return -EINVAL;
        if (s->kind == JOB_KILLED && !signal_valid(s->signal))
                return -EINVAL;
        if (s->kind == JOB_START_FAILED && !errno_valid(s->error))
                return -EINVAL;

        kv_put_token(&w, "KIND", kind);
        if (s->kind == JOB_EXITED)
                kv_put_int(&w, "EXIT_CODE", s->exit_code);
        else if (s->kind == JOB_KILLED)
                kv_put_int(&w, "SIGNAL", s->signal);
        else if (s->kind == JOB_START_FAILED) {
                kv_put_int(&w, "ERROR", s->error);
                kv_put_hex_string(&w, "MESSAGE", s->message ?: "");
        }
        if (s->cpu_usec != UINT64_MAX)
                kv_put_u64(&w, "CPU_USEC", s->cpu_usec);
        if (s->memory_peak != UINT64_MAX)
                kv_put_u64(&w, "MEMORY_PEAK", s->memory_peak);
        if (s->finished_usec != 0)
                kv_put_u64(&w, "FINISHED_USEC", s->finished_usec);
        if (s->output_bytes[0] != UINT64_MAX && s->output_bytes[1] != UINT64_MAX) {
                kv_put_u64(&w, "STDOUT_BYTES", s->output_bytes[0]);
                kv_put_u64(&w, "STDERR_BYTES", s->output_bytes[1]);
        }

        r = kv_writer_finish(&w, &text, &size);
        if (r < 0)
                return r;
        /* Never write what job_status_read_file() would refuse. */
        if (size > JOB_STATUS_FILE_MAX)
                return -E2BIG;
        *ret = TAKE_PTR(text);
        return 0;
}

static int parse_int_in_range(const char *s, int min, int max, int *ret) {
        int v, r = parse_int(s, &v);

        if (r < 0)
                return r;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* The same for the init record, whose numbers are not NUL-terminated; as
 * long as a u64 can be written, like every number in a record. */
static int parse_int_in_range_n(const char *p, size_t n, int min, int max, int *ret) {
        char buf[sizeof("18446744073709551615")];

        if (n >= sizeof buf)
                return -EINVAL;
        memcpy(buf, p, n);
        buf[n] = '\0';
        return parse_int_in_range(buf, min, max, ret);
}

typedef enum StatusKey {
        KEY_KIND,
        KEY_EXIT_CODE,
        KEY_SIGNAL,
        KEY_ERROR,
        KEY_MESSAGE,
        KEY_CPU_USEC,
        KEY_MEMORY_PEAK,
        KEY_FINISHED_USEC,
        KEY_STDOUT_BYTES,
        KEY_STDERR_BYTES,
        _KEY_MAX,
} StatusKey;

static const char *const key_names[_KEY_MAX] = {
        [KEY_KIND] = "KIND",
        [KEY_EXIT_CODE] = "EXIT_CODE",
        [KEY_SIGNAL] = "SIGNAL",
        [KEY_ERROR] = "ERROR",
        [KEY_MESSAGE] = "MESSAGE",
        [KEY_CPU_USEC] = "CPU_USEC",
        [KEY_MEMORY_PEAK] = "MEMORY_PEAK",
        [KEY_FINISHED_USEC] = "FINISHED_USEC",
        [KEY_STDOUT_BYTES] = "STDOUT_BYTES",
        [KEY_STDERR_BYTES] = "STDERR_BYTES",
};

typedef struct StatusParse {
        JobStatus status;
        unsigned seen;          /* bit 1 << StatusKey */
} StatusParse;

#define SEEN(p, k) (((p)->seen & (1U << (k))) != 0)

static void status_parse_done(StatusParse *p) {
        job_status_done(&p->status);
}

static int status_set(JobStatus *s, StatusKey key, const char *value) {
        switch (key) {
        case KEY_KIND:
                s->kind = job_exit_kind_from_string(value);
                return (int) s->kind < 0 ? -EINVAL : 0;
        case KEY_EXIT_CODE:
                return parse_int_in_range(value, 0, 255, &s->exit_code);
        case KEY_SIGNAL:
                return parse_int_in_range(value, 1, SIGNAL_MAX, &s->signal);
        case KEY_ERROR:
                return parse_int_in_range(value, 1, ERRNO_MAX, &s->error);
        case KEY_MESSAGE:
                return kv_unhex_string(value, &s->message);
        case KEY_CPU_USEC:
                return parse_uint64(value, &s->cpu_usec);
        case KEY_MEMORY_PEAK:
                return parse_uint64(value, &s->memory_peak);
        case KEY_FINISHED_USEC:
                return parse_uint64(value, &s->finished_usec);
        case KEY_STDOUT_BYTES:
                return parse_uint64(value, &s->output_bytes[0]);
        case KEY_STDERR_BYTES:
                return parse_uint64(value, &s->output_bytes[1]);
        default:
                return -EINVAL;
        }
}

static int status_line(const char *key, const char *value, void *userdata) {
        StatusParse *p = userdata;

        for (StatusKey k = 0; k < _KEY_MAX; k++) {
                if (strcmp(key, key_names[k]) != 0)
                        continue;
                /* Refused before parsing: a second MESSAGE must not leak the first. */
                if (SEEN(p, k))
                        return -EINVAL;
                p->seen |= 1U << k;
                return status_set(&p->status, k, value);
        }
        return 0;       /* a newer writer's field */
}

/* What each kind needs, and both output totals or neither. */
static bool status_complete(const StatusParse *p) {
        if (!SEEN(p, KEY_KIND))
                return false;
        if (p->status.kind == JOB_EXITED && !SEEN(p, KEY_EXIT_CODE))
                return false;
        if (p->status.kind == JOB_KILLED && !SEEN(p, KEY_SIGNAL))
                return false;
        if (p->status.kind == JOB_START_FAILED && !SEEN(p, KEY_ERROR))
                return false;
        return SEEN(p, KEY_STDOUT_BYTES) == SEEN(p, KEY_STDERR_BYTES);
}

int job_status_parse(const char *text, size_t len, JobStatus *ret) {
        _cleanup_(status_parse_done) StatusParse p = { .status = JOB_STATUS_INIT };
        int r;

        if (!text || len > JOB_STATUS_FILE_MAX)
                return -EINVAL;
        r = kv_record_parse(text, len, status_line, &p);
        if (r == -ENOMEM)
                return r;
        /* One error for all else: the caller can only tell the file is bad. */
        if (r < 0 || !status_complete(&p))
                return -EINVAL;

        *ret = p.status;
        p.status.message = NULL;
        return 0;
}

int job_status_read_file(const char *path, JobStatus *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;

        buf = malloc(JOB_STATUS_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;

        ssize_t len = read_full(fd, buf, JOB_STATUS_FILE_MAX + 1);
        if (len < 0)
                return (int) len;
        if (len > JOB_STATUS_FILE_MAX)
                return -EFBIG;
        return job_status_parse(buf, (size_t) len, ret);
}

int job_status_write_file_atomic(const char *path, const JobStatus *s) {
        _cleanup_free_ char *text = NULL, *tmp = NULL;
        int r;

        r = job_status_format(s, &text);
        if (r < 0)
                return r;

        if (asprintf(&tmp, "%s.tmp", path) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }

        /* The state directory is root's; the file need not be readable by others. */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;

        /* A .tmp left behind keeps its mode through O_TRUNC and the rename. */
        r = fchmod(fd, 0600) < 0 ? -errno : 0;
        if (r == 0)
                r = write_all(fd, text, strlen(text));
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

size_t job_init_record_encode(const JobInitRecord *r, char buf[static JOB_INIT_RECORD_MAX]) {
        int n;

        if (r->kind == JOB_START_FAILED)
                /* snprintf() cuts a long stage (e.g. a long directory) to fit. */
                n = snprintf(buf, JOB_INIT_RECORD_MAX, "%s %d %s",
                             job_exit_kind_to_string(r->kind), r->value, r->stage);
        else
                n = snprintf(buf, JOB_INIT_RECORD_MAX, "%s %d",
                             job_exit_kind_to_string(r->kind) ?: "unknown", r->value);
        if (n < 0)
                return 0;
        return (size_t) n >= JOB_INIT_RECORD_MAX ? JOB_INIT_RECORD_MAX - 1 : (size_t) n;
}

int job_init_record_decode(const char *buf, size_t len, JobInitRecord *ret) {
        JobInitRecord rec = {};
        char kind[16];
        const char *sp, *sp2, *end = buf + len;

        if (len == 0 || len >= JOB_INIT_RECORD_MAX || memchr(buf, 0, len))
                return -EINVAL;

        sp = memchr(buf, ' ', len);
        if (!sp || (size_t) (sp - buf) >= sizeof kind)
                return -EINVAL;
        memcpy(kind, buf, (size_t) (sp - buf));
        kind[sp - buf] = 0;
        rec.kind = job_exit_kind_from_string(kind);

        sp++;
        sp2 = memchr(sp, ' ', (size_t) (end - sp));
        size_t value_len = (size_t) ((sp2 ?: end) - sp);

        switch ((int) rec.kind) {
        case JOB_EXITED:
                if (sp2 || parse_int_in_range_n(sp, value_len, 0, 255, &rec.value) < 0)
                        return -EINVAL;
                break;
        case JOB_KILLED:
                if (sp2 || parse_int_in_range_n(sp, value_len, 1, SIGNAL_MAX, &rec.value) < 0)
                        return -EINVAL;
                break;
        case JOB_START_FAILED:
                if (!sp2 || sp2 + 1 == end || parse_int_in_range_n(sp, value_len, 1, ERRNO_MAX, &rec.value) < 0)
                        return -EINVAL;
                memcpy(rec.stage, sp2 + 1, (size_t) (end - sp2 - 1));
                break;
        default:
                return -EINVAL;
        }

        *ret = rec;
        return 0;
}

/* The message ends up in a D-Bus string, which must be UTF-8; a path in it
 * need not be. */
static void utf8_replace_invalid(char *s) {
        size_t n = strlen(s);

        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence_length((const uint8_t *) s + i, n - i, NULL);
                if (len == 0) {
                        s[i++] = '?';
                        continue;
                }
                i += len;
        }
}

int job_status_from_init_record(JobStatus *s, const JobInitRecord *r) {
        char *m = NULL;

        switch (r->kind) {
        case JOB_EXITED:
                s->kind = JOB_EXITED;
                s->exit_code = r->value;
                break;
        case JOB_KILLED:
                s->kind = JOB_KILLED;
                s->signal = r->value;
                break;
        case JOB_START_FAILED:
                if (asprintf(&m, "Failed to %s: %s", r->stage, strerror(r->value)) < 0)
                        return -ENOMEM;
                utf8_replace_invalid(m);
                free(s->message);
                s->message = m;
                s->kind = JOB_START_FAILED;
                s->error = r->value;
                break;
        default:
                return -EINVAL;
        }
        return 0;
}
