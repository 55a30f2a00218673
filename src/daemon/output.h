/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeding job output from the journal to clients' pipes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct Manager Manager;
typedef struct Job Job;
typedef struct OutputReader OutputReader;
typedef struct OutputReaders OutputReaders;

typedef struct OutputRequest {
        bool follow;
        bool from_now;
        uint64_t offset[2];   /* per stream: stdout, stderr */
        uid_t caller;         /* who asks: readers count against them */
} OutputRequest;

/* Opens one reader per stream and returns the read ends of their pipes. */
int output_open(Manager *m, Job *j, const OutputRequest *req, int ret_fds[2]);
/* The job ended: followers may now reach their end. */
void output_job_finished(Manager *m, const char *job_id);
/* The job is finished: its readers that already hold every byte of their
 * stream (by the shim's counts) end now, before the finish record is
 * written and without reading the journal. */
void output_job_complete(Manager *m, const char *job_id);
/* The job's shim has just sent output to the journal. */
void output_job_sent(Manager *m, const char *job_id);
/* Open streams (two per output_open()), in all and opened by one caller. */
unsigned output_count(Manager *m);
unsigned output_count_for_caller(Manager *m, uid_t caller);
/* Any stream open (the daemon is not idle while one is). */
bool output_any(Manager *m);

/* The readers' state, owned by the Manager (m->output); m->event must exist. */
int output_readers_new(Manager *m, OutputReaders **ret);
/* Closes every stream still open. */
OutputReaders *output_readers_free(OutputReaders *o);
