/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure decision a restarted daemon takes for each active job it finds
 * in its records (manager.c asks systemd, then acts on this). */
#pragma once

#include <stdbool.h>

#include "job-result.h"

typedef enum JobRecovery {
        /* Keep the state; job_check() then finishes the job from the
         * shim's status file if its scope is gone. */
        JOB_RECOVERY_KEEP,
        /* A starting job whose command was released (the go byte was
         * written just before the daemon died): it is running now. */
        JOB_RECOVERY_RELEASED,
        /* A starting job whose command never ran: settle it as
         * start-failed. */
        JOB_RECOVERY_START_FAILED,
        _JOB_RECOVERY_MAX,
} JobRecovery;

const char *job_recovery_to_string(JobRecovery r);

/* state: the job's recorded state. unit_running: systemd says the scope is
 * running, or could not be asked (unsure: keep the job, it is asked again
 * later). status_exists: the shim's status file is there (only looked at
 * for a starting job). A live scope or a status file proves the command was
 * released. */
JobRecovery job_recovery_decide(JobState state, bool unit_running, bool status_exists);
