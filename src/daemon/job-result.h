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
