/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The exit-status record of a job: the file the shim leaves behind for the
 * daemon, and the one-shot init → shim record it is built from. */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef enum JobExitKind {
        JOB_EXIT_UNKNOWN,
        JOB_EXITED,
        JOB_KILLED,
        JOB_START_FAILED,
} JobExitKind;

typedef struct JobStatus {
        JobExitKind kind;
        int exit_code;          /* JOB_EXITED: 0..255 */
        int signal;             /* JOB_KILLED */
        int error;              /* errno for JOB_START_FAILED */
        char *message;          /* human reason for JOB_START_FAILED, e.g.
                                 * "Failed to execute /nope: No such file or directory".
                                 * Arbitrary bytes except NUL (paths need not be UTF-8). */
        uint64_t cpu_usec;      /* UINT64_MAX unknown */
        uint64_t memory_peak;   /* bytes, UINT64_MAX unknown */
        uint64_t finished_usec; /* CLOCK_REALTIME, 0 unknown */
        /* Bytes of stdout and stderr, all in the journal (the shim's end
         * marker says the same); UINT64_MAX unknown, or some were lost. */
        uint64_t output_bytes[2];
} JobStatus;

#define JOB_STATUS_INIT {                       \
                .kind = JOB_EXIT_UNKNOWN,       \
                .cpu_usec = UINT64_MAX,         \
                .memory_peak = UINT64_MAX,      \
                .output_bytes = { UINT64_MAX, UINT64_MAX }, \
        }

/* The status file never grows beyond this; larger files are refused. */
#define JOB_STATUS_FILE_MAX (64 * 1024)

const char *job_exit_kind_to_string(JobExitKind k);
JobExitKind job_exit_kind_from_string(const char *s);

/* A kv-record.h record (see the comment in job-status.c for its keys).
 * -EINVAL for values out of range, -E2BIG beyond JOB_STATUS_FILE_MAX. */
int job_status_format(const JobStatus *s, char **ret);
/* Strict: every line must be KEY=VALUE\n, known keys at most once with valid
 * values, the fields the kind needs present. Unknown keys are ignored. On
 * failure (-EINVAL, -ENOMEM) *ret is left untouched. */
int job_status_parse(const char *text, size_t len, JobStatus *ret);

int job_status_read_file(const char *path, JobStatus *ret);
/* Writes PATH.tmp and renames it over PATH. */
int job_status_write_file_atomic(const char *path, const JobStatus *s);

void job_status_done(JobStatus *s);

/* The record init sends to the shim over a pipe, once, then exits: the whole
 * pipe content up to EOF is the record. It fits in PIPE_BUF so the write is
 * atomic. Text, for easy debugging:
 *   "exited CODE" | "killed SIGNAL" | "start-failed ERRNO STAGE"
 * STAGE says what failed ("execute /bin/x", "change directory to /d", ...)
 * and may hold any byte but NUL; it is cut to fit. */
#define JOB_INIT_RECORD_MAX 4096

typedef struct JobInitRecord {
        JobExitKind kind;       /* never JOB_EXIT_UNKNOWN in a valid record */
        int value;              /* exit code, signal or errno */
        char stage[JOB_INIT_RECORD_MAX];
} JobInitRecord;

/* Returns the number of bytes written to buf (at most JOB_INIT_RECORD_MAX). */
size_t job_init_record_encode(const JobInitRecord *r, char buf[static JOB_INIT_RECORD_MAX]);
int job_init_record_decode(const char *buf, size_t len, JobInitRecord *ret);
/* Fills the outcome fields of s from a record. The message, "Failed to
 * STAGE: strerror", is valid UTF-8: invalid bytes become '?'. */
int job_status_from_init_record(JobStatus *s, const JobInitRecord *r);
