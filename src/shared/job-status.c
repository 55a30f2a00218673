/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job exit-status file and the init → shim record: formatting, strict
 * parsing, and atomic file I/O.
 *
 * Status file format, one KEY=VALUE per line, each line ending in '\n':
 *   KIND=exited|killed|start-failed|unknown     always
 *   EXIT_CODE=0..255                             KIND=exited
 *   SIGNAL=1..64                                 KIND=killed
 *   ERROR=errno (1..4095)                        KIND=start-failed
 *   MESSAGE=escaped text                         KIND=start-failed
 *   CPU_USEC=u64  MEMORY_PEAK=u64                when known
 *   FINISHED_USEC=u64 (CLOCK_REALTIME)           when known
 *   STDOUT_BYTES=u64  STDERR_BYTES=u64           when all output is in the journal
 * MESSAGE escapes '\' as "\\" and every byte outside 0x20..0x7e as "\xHH",
 * so the file is plain ASCII whatever the message holds. Numbers are plain
 * decimal. Unknown keys are ignored so newer shims can add fields. */
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
#include "macro.h"
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

static void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static void fputs_escaped(const char *s, FILE *f) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p == '\\')
                        fputs("\\\\", f);
                else if (*p < 0x20 || *p > 0x7e)
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
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
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        const char *kind = job_exit_kind_to_string(s->kind);

        if (!kind)
                return -EINVAL;
        if (s->kind == JOB_EXITED && !exit_code_valid(s->exit_code))
                return -EINVAL;
        if (s->kind == JOB_KILLED && !signal_valid(s->signal))
                return -EINVAL;
        if (s->kind == JOB_START_FAILED && !errno_valid(s->error))
                return -EINVAL;

        {
                _cleanup_(fclosep) FILE *f = open_memstream(&data, &size);
                if (!f)
                        return -ENOMEM;

                fprintf(f, "KIND=%s\n", kind);
                if (s->kind == JOB_EXITED)
                        fprintf(f, "EXIT_CODE=%d\n", s->exit_code);
                else if (s->kind == JOB_KILLED)
                        fprintf(f, "SIGNAL=%d\n", s->signal);
                else if (s->kind == JOB_START_FAILED) {
                        fprintf(f, "ERROR=%d\nMESSAGE=", s->error);
                        fputs_escaped(s->message ?: "", f);
                        fputc('\n', f);
                }
                if (s->cpu_usec != UINT64_MAX)
                        fprintf(f, "CPU_USEC=%llu\n", (unsigned long long) s->cpu_usec);
                if (s->memory_peak != UINT64_MAX)
                        fprintf(f, "MEMORY_PEAK=%llu\n", (unsigned long long) s->memory_peak);
                if (s->finished_usec != 0)
                        fprintf(f, "FINISHED_USEC=%llu\n", (unsigned long long) s->finished_usec);
                if (s->output_bytes[0] != UINT64_MAX && s->output_bytes[1] != UINT64_MAX)
                        fprintf(f, "STDOUT_BYTES=%llu\nSTDERR_BYTES=%llu\n",
                                (unsigned long long) s->output_bytes[0], (unsigned long long) s->output_bytes[1]);

                if (ferror(f))
                        return -ENOMEM;
                if (fclose(TAKE_PTR(f)) != 0)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(data);
        return 0;
}

/* Decimal without sign, leading whitespace or overflow. */
static int parse_u64(const char *p, size_t n, uint64_t *ret) {
        uint64_t v = 0;

        if (n == 0 || n > 20)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return -EINVAL;
                unsigned d = (unsigned) (p[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

static int parse_int_in_range(const char *p, size_t n, int min, int max, int *ret) {
        uint64_t v;
        int r = parse_u64(p, n, &v);
        if (r < 0)
                return r;
        if (v < (uint64_t) min || v > (uint64_t) max)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Undoes fputs_escaped(); refuses anything it would not have written. */
static int unescape(const char *p, size_t n, char **ret) {
        _cleanup_free_ char *s = malloc(n + 1);
        size_t k = 0;

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) p[i];
                if (c < 0x20 || c > 0x7e)
                        return -EINVAL;
                if (c != '\\') {
                        s[k++] = (char) c;
                        continue;
                }
                if (i + 1 < n && p[i + 1] == '\\') {
                        s[k++] = '\\';
                        i++;
                } else if (i + 3 < n && p[i + 1] == 'x' && unhex(p[i + 2]) >= 0 && unhex(p[i + 3]) >= 0) {
                        int v = unhex(p[i + 2]) * 16 + unhex(p[i + 3]);
                        if (v == 0)
                                return -EINVAL;
                        s[k++] = (char) v;
                        i += 3;
                } else
                        return -EINVAL;
        }
        s[k] = 0;
        *ret = TAKE_PTR(s);
        return 0;
}

static bool key_is(const char *key, size_t key_len, const char *name) {
        return strlen(name) == key_len && memcmp(key, name, key_len) == 0;
}

int job_status_parse(const char *text, size_t len, JobStatus *ret) {
        _cleanup_(job_status_done) JobStatus s = JOB_STATUS_INIT;
        enum { SEEN_KIND = 1, SEEN_EXIT_CODE = 2, SEEN_SIGNAL = 4, SEEN_ERROR = 8,
               SEEN_MESSAGE = 16, SEEN_CPU = 32, SEEN_MEMORY = 64, SEEN_FINISHED = 128,
               SEEN_STDOUT_BYTES = 256, SEEN_STDERR_BYTES = 512 };
        unsigned seen = 0;
        int r;

        if (!text || len > JOB_STATUS_FILE_MAX || memchr(text, 0, len))
                return -EINVAL;

        for (size_t pos = 0; pos < len;) {
                const char *line = text + pos;
                const char *nl = memchr(line, '\n', len - pos);
                if (!nl)
                        return -EINVAL;        /* truncated: the last line has no newline */
                size_t line_len = (size_t) (nl - line);
                pos += line_len + 1;

                const char *eq = memchr(line, '=', line_len);
                if (!eq || eq == line)
                        return -EINVAL;
                size_t key_len = (size_t) (eq - line);
                for (size_t i = 0; i < key_len; i++)
                        if (!((line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= '0' && line[i] <= '9') || line[i] == '_'))
                                return -EINVAL;
                const char *value = eq + 1;
                size_t value_len = line_len - key_len - 1;
                unsigned bit;

                if (key_is(line, key_len, "KIND")) {
                        char k[32];
                        if (value_len >= sizeof k)
                                return -EINVAL;
                        memcpy(k, value, value_len);
                        k[value_len] = 0;
                        s.kind = job_exit_kind_from_string(k);
                        r = (int) s.kind < 0 ? -EINVAL : 0;
                        bit = SEEN_KIND;
                } else if (key_is(line, key_len, "EXIT_CODE")) {
                        r = parse_int_in_range(value, value_len, 0, 255, &s.exit_code);
                        bit = SEEN_EXIT_CODE;
                } else if (key_is(line, key_len, "SIGNAL")) {
                        r = parse_int_in_range(value, value_len, 1, SIGNAL_MAX, &s.signal);
                        bit = SEEN_SIGNAL;
                } else if (key_is(line, key_len, "ERROR")) {
                        r = parse_int_in_range(value, value_len, 1, ERRNO_MAX, &s.error);
                        bit = SEEN_ERROR;
                } else if (key_is(line, key_len, "MESSAGE")) {
                        if (seen & SEEN_MESSAGE)
                                return -EINVAL;
                        r = unescape(value, value_len, &s.message);
                        bit = SEEN_MESSAGE;
                } else if (key_is(line, key_len, "CPU_USEC")) {
                        r = parse_u64(value, value_len, &s.cpu_usec);
                        bit = SEEN_CPU;
                } else if (key_is(line, key_len, "MEMORY_PEAK")) {
                        r = parse_u64(value, value_len, &s.memory_peak);
                        bit = SEEN_MEMORY;
                } else if (key_is(line, key_len, "FINISHED_USEC")) {
                        r = parse_u64(value, value_len, &s.finished_usec);
                        bit = SEEN_FINISHED;
                } else if (key_is(line, key_len, "STDOUT_BYTES")) {
                        r = parse_u64(value, value_len, &s.output_bytes[0]);
                        bit = SEEN_STDOUT_BYTES;
                } else if (key_is(line, key_len, "STDERR_BYTES")) {
                        r = parse_u64(value, value_len, &s.output_bytes[1]);
                        bit = SEEN_STDERR_BYTES;
                } else
                        continue;       /* a newer writer's field */

                if (r < 0)
                        return -EINVAL;
                if (seen & bit)
                        return -EINVAL;        /* duplicate key */
                seen |= bit;
        }

        if (!(seen & SEEN_KIND))
                return -EINVAL;
        if (s.kind == JOB_EXITED && !(seen & SEEN_EXIT_CODE))
                return -EINVAL;
        if (s.kind == JOB_KILLED && !(seen & SEEN_SIGNAL))
                return -EINVAL;
        if (s.kind == JOB_START_FAILED && !(seen & SEEN_ERROR))
                return -EINVAL;
        /* Both totals or neither. */
        if (!(seen & SEEN_STDOUT_BYTES) != !(seen & SEEN_STDERR_BYTES))
                return -EINVAL;

        *ret = s;
        s.message = NULL;
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
                if (sp2 || parse_int_in_range(sp, value_len, 0, 255, &rec.value) < 0)
                        return -EINVAL;
                break;
        case JOB_KILLED:
                if (sp2 || parse_int_in_range(sp, value_len, 1, SIGNAL_MAX, &rec.value) < 0)
                        return -EINVAL;
                break;
        case JOB_START_FAILED:
                if (!sp2 || sp2 + 1 == end || parse_int_in_range(sp, value_len, 1, ERRNO_MAX, &rec.value) < 0)
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
