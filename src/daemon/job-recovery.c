/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job-recovery.h"
#include "macro.h"

static const char *const job_recovery_table[_JOB_RECOVERY_MAX] = {
        [JOB_RECOVERY_KEEP] = "keep",
        [JOB_RECOVERY_RELEASED] = "released",
        [JOB_RECOVERY_START_FAILED] = "start-failed",
};

const char *job_recovery_to_string(JobRecovery r) {
        return r >= 0 && r < _JOB_RECOVERY_MAX ? job_recovery_table[r] : NULL;
}

JobRecovery job_recovery_decide(JobState state, bool unit_running, bool status_exists) {
        if (state != JOB_STARTING)
                return JOB_RECOVERY_KEEP;
        if (unit_running || status_exists)
                return JOB_RECOVERY_RELEASED;
        return JOB_RECOVERY_START_FAILED;
}
