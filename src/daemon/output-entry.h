/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which journal entries are a job's output: the trust rules of
 * job-output.h in one place, for the followers (output.c) and ReadOutput
 * (output-read.c) alike. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-journal.h>

extern const char *const output_stream_names[2];  /* "stdout", "stderr" */

typedef enum OutputEntryKind {
        OUTPUT_ENTRY_OTHER,
        OUTPUT_ENTRY_CHUNK,
        OUTPUT_ENTRY_END,
} OutputEntryKind;

/* What the entry a handle stands on means to the job's readers. */
typedef struct OutputEntry {
        OutputEntryKind kind;
        int stream;                /* OUTPUT_ENTRY_CHUNK: its stream, its bytes and their offset */
        const char *data;          /* valid until the handle moves */
        size_t len;
        uint64_t offset;
} OutputEntry;

/* A handle on the job's entries, standing right after the entry of cursor
 * (or before the first one, cursor NULL). -EINVAL etc.: not a cursor of
 * this journal. */
int output_journal_open(const char *job_id, const char *cursor, sd_journal **ret);

/* shim_pid: the job's shim, 0 if not known (a record from before shim
 * pids were kept). */
OutputEntry output_entry_read(sd_journal *j, const char *job_id, pid_t shim_pid);
