/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Job.ReadOutput: a job's output in bounded replies, for connections that
 * cannot carry file descriptors (jobworkerctl -H over ssh). Byte-exact and
 * resumable from the caller's own offsets; a call may wait a while for
 * output while the job runs, without ever blocking the event loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct Manager Manager;
typedef struct Job Job;
typedef struct OutputReadCalls OutputReadCalls;

/* One reply holds at most this many bytes of both streams together: small,
 * because a client that never reads its socket leaves its replies queued in
 * dbus-daemon (a 100-byte call must not pin megabytes there). A call waits
 * at most OUTPUT_READ_TIMEOUT_MAX_USEC. */
#define OUTPUT_READ_BYTES_MAX (256U * 1024U)
#define OUTPUT_READ_TIMEOUT_MAX_USEC (60ULL * 1000000ULL)
/* Calls waiting for output at once: per caller (root too) and in all. Each
 * holds a journal handle (an fd per journal file) that a rotation reopens. */
#define OUTPUT_READ_WAITING_MAX_PER_USER 16U
#define OUTPUT_READ_WAITING_MAX 128U
/* A cursor passed back longer than this is not one of ours. */
#define OUTPUT_READ_CURSOR_MAX 1024U

typedef struct OutputReadRequest {
        uint64_t offset[2];        /* stdout, stderr: the next byte the caller wants */
        const char *cursor;        /* from the previous reply; "" = from the job's first entry */
        uint32_t max_bytes;        /* > 0; capped at OUTPUT_READ_BYTES_MAX */
        uint64_t timeout_usec;     /* how long to wait when there is nothing new */
        uid_t caller;
} OutputReadRequest;

/* Answers call (already authorized) now, or once output arrives, the job's
 * output is complete, or the timeout passed. 0: answered or put aside;
 * -EUSERS: too many waiting calls of this caller, -EBUSY: of everyone;
 * other < 0: failed (nothing was answered). */
int output_read(Manager *m, Job *j, sd_bus_message *call, const OutputReadRequest *req);

/* Waiting calls: the daemon is not idle while there are any. */
unsigned output_read_waiting(Manager *m);

int output_read_calls_new(Manager *m, OutputReadCalls **ret);
/* Answers every waiting call with what it has, then frees. */
OutputReadCalls *output_read_calls_free(OutputReadCalls *o);
