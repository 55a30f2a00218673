/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-names.h"
#include "job-output.h"
#include "log.h"
#include "macro.h"
#include "output-entry.h"
#include "parse-util.h"

const char *const output_stream_names[2] = { "stdout", "stderr" };

static int add_match(sd_journal *j, const char *format, ...) _printf_(2, 3);
static int add_match(sd_journal *j, const char *format, ...) {
        _cleanup_free_ char *match = NULL;
        va_list ap;

        va_start(ap, format);
        int k = vasprintf(&match, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return sd_journal_add_match(j, match, 0);
}

/* Only the job's entries sent by root: the journal filters out what other
 * users sent with the job's id. Which root process sent one is checked per
 * entry (entry_from_shim(), entry_from_daemon()): one AND of two fields keeps
 * the lookups cheap, with hundreds of handles open. */
int output_journal_open(const char *job_id, const char *cursor, sd_journal **ret) {
        sd_journal *j = NULL;
        int k;

        assert(job_id);
        assert(ret);
        /* Job output and our finish records are written by uid 0, so they
         * are in the system journal files. */
        k = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (k < 0)
                return log_error_errno(k, "Failed to open the journal: %m");
        if ((k = add_match(j, JOB_FIELD_ID "=%s", job_id)) < 0 ||
            (k = add_match(j, "_UID=0")) < 0)
                goto fail;
        if (cursor) {
                k = sd_journal_seek_cursor(j, cursor);
                if (k < 0)
                        goto fail;
                /* Step onto the entry of the cursor; the next step leaves it. */
                k = sd_journal_next(j);
                if (k > 0 && sd_journal_test_cursor(j, cursor) <= 0)
                        (void) sd_journal_previous(j);
        } else {
                k = sd_journal_seek_head(j);
                if (k < 0)
                        goto fail;
        }
        *ret = j;
        return 0;

fail:
        sd_journal_close(j);
        return k;
}

static int get_field(sd_journal *j, const char *field, const char **ret, size_t *ret_len) {
        const void *data;
        size_t len, flen = strlen(field);
        int k = sd_journal_get_data(j, field, &data, &len);
        if (k < 0)
                return k;
        if (len < flen + 1)
                return -EBADMSG;
        *ret = (const char *) data + flen + 1;
        *ret_len = len - flen - 1;
        return 0;
}

static bool field_equals(sd_journal *j, const char *field, const char *value) {
        const char *v;
        size_t n;
        return get_field(j, field, &v, &n) >= 0 && n == strlen(value) && memcmp(v, value, n) == 0;
}

static bool field_equals_format(sd_journal *j, const char *field, const char *format, ...) _printf_(3, 4);
static bool field_equals_format(sd_journal *j, const char *field, const char *format, ...) {
        _cleanup_free_ char *value = NULL;
        va_list ap;

        va_start(ap, format);
        int k = vasprintf(&value, format, ap);
        va_end(ap);
        return k >= 0 && field_equals(j, field, value);
}

/* Strict: digits only (no sign, no blanks, no -1), and no overflow. */
static int field_u64(sd_journal *j, const char *field, uint64_t *ret) {
        const char *v;
        size_t n;
        char buf[32];
        if (get_field(j, field, &v, &n) < 0 || n == 0 || n >= sizeof buf)
                return -EBADMSG;
        memcpy(buf, v, n);
        buf[n] = '\0';
        return parse_uint64(buf, ret) < 0 ? -EBADMSG : 0;
}

static bool entry_from_shim(sd_journal *j, const char *job_id, pid_t shim_pid) {
        if (!field_equals(j, "_UID", "0"))
                return false;
        if (shim_pid > 0)
                return field_equals_format(j, "_PID", "%d", (int) shim_pid);
        /* A record from before shim pids were kept: the job's scope, where
         * only root's own jobs also run as uid 0. */
        return field_equals_format(j, "_SYSTEMD_UNIT", JOBWORKER_UNIT_PREFIX "%s" JOBWORKER_UNIT_SUFFIX, job_id);
}

static bool entry_from_daemon(sd_journal *j) {
        return field_equals(j, "_UID", "0") &&
               (field_equals(j, "_SYSTEMD_UNIT", JOBWORKERD_UNIT) ||
                field_equals_format(j, "_PID", "%d", (int) getpid()));
}

OutputEntry output_entry_read(sd_journal *j, const char *job_id, pid_t shim_pid) {
        OutputEntry e = { .kind = OUTPUT_ENTRY_OTHER };

        /* The end of the job's output: the shim's end marker, or our own
         * record that the job finished (the shim may have died). Nothing
         * after it is the job's, whoever reads: a later entry with the
         * shim's pid is from another process that got the pid once the shim
         * was gone. */
        if ((field_equals(j, "MESSAGE_ID", JOB_OUTPUT_END_MESSAGE_ID) && entry_from_shim(j, job_id, shim_pid)) ||
            (field_equals(j, "MESSAGE_ID", JOB_FINISHED_MESSAGE_ID) && entry_from_daemon(j))) {
                e.kind = OUTPUT_ENTRY_END;
                return e;
        }

        /* A chunk of a stream from the shim: its bytes and offset.
         * offset + len must not wrap, or the stream position would. */
        if (field_equals(j, JOB_FIELD_STREAM, output_stream_names[0]))
                e.stream = 0;
        else if (field_equals(j, JOB_FIELD_STREAM, output_stream_names[1]))
                e.stream = 1;
        else
                return e;
        if (!entry_from_shim(j, job_id, shim_pid) ||
            get_field(j, "MESSAGE", &e.data, &e.len) < 0 ||
            field_u64(j, JOB_FIELD_OFFSET, &e.offset) < 0 ||
            e.len > UINT64_MAX - e.offset)
                return e;
        e.kind = OUTPUT_ENTRY_CHUNK;
        return e;
}
