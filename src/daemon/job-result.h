/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Job states and results, and the pure decision of how a job ended. */
#pragma once

#include <stdbool.h>

#include "job-status.h"

typedef enum JobState {
        JOB_STARTING,
        JOB_RUNNING,
        JOB_STOPPING,
        JOB_FINISHED,
        _JOB_STATE_MAX,
        _JOB_STATE_INVALID = -1,
} JobState;

typedef enum JobResult {
        JOB_RESULT_NONE,
        JOB_RESULT_SUCCESS,
        JOB_RESULT_EXIT_CODE,
        JOB_RESULT_SIGNAL,
        JOB_RESULT_OOM_KILL,
        JOB_RESULT_TIMEOUT,
        JOB_RESULT_STOPPED,
        JOB_RESULT_START_FAILED,
        _JOB_RESULT_MAX,
        _JOB_RESULT_INVALID = -1,
} JobResult;

const char *job_state_to_string(JobState s);
JobState job_state_from_string(const char *s);
const char *job_result_to_string(JobResult r);
JobResult job_result_from_string(const char *s);

typedef struct JobOutcome {
        JobResult result;
        int exit_code;    /* -1 unless exited */
        int exit_signal;  /* 0 unless killed */
} JobOutcome;

/* Decides how a job ended from what the shim recorded (status may be NULL
 * when the shim died before recording, e.g. SIGKILLed with the whole scope on
 * OOM), what systemd says of the scope (unit_result: "success", "timeout",
 * "oom-kill", "resources", or NULL when the unit is gone), and whether a stop
 * was asked for. */
JobOutcome job_outcome_decide(const JobStatus *status, const char *unit_result, bool stop_requested);

/* How long before its runtime limit a job must have exited by itself for
 * its outcome to be final without the scope's word (see below). */
#define JOB_RUNTIME_MARGIN_USEC (5ULL * 1000000ULL)

/* Whether the shim's record alone is the final outcome once the shim has
 * exited, so the job may be finished before PID 1 reports the scope gone.
 * Only the scope can add what the shim did not see: an OOM kill (counted
 * in the scope's memory.events, oom_kills) or the runtime limit
 * (runtime_max_usec, UINT64_MAX = none; since_start_usec is the time
 * since the scope was asked for, which is no later than PID 1 started the
 * limit's clock). So: the command exited by itself, no stop was asked
 * for, nothing in the scope was OOM-killed, and it ended well before its
 * limit could have fired. Anything else waits for the scope. */
bool job_outcome_final_at_exit(const JobStatus *status, uint64_t oom_kills, bool stop_requested,
                               uint64_t runtime_max_usec, uint64_t since_start_usec);
