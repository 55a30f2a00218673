/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure: names of states and results, and how the evidence maps to a result. */
#include <signal.h>
#include <string.h>

#include "job-result.h"
#include "macro.h"

static const char *const state_table[_JOB_STATE_MAX] = {
        [JOB_STARTING] = "starting",
        [JOB_RUNNING]  = "running",
        [JOB_STOPPING] = "stopping",
        [JOB_FINISHED] = "finished",
};

static const char *const result_table[_JOB_RESULT_MAX] = {
        [JOB_RESULT_NONE]         = "",
        [JOB_RESULT_SUCCESS]      = "success",
        [JOB_RESULT_EXIT_CODE]    = "exit-code",
        [JOB_RESULT_SIGNAL]       = "signal",
        [JOB_RESULT_OOM_KILL]     = "oom-kill",
        [JOB_RESULT_TIMEOUT]      = "timeout",
        [JOB_RESULT_STOPPED]      = "stopped",
        [JOB_RESULT_START_FAILED] = "start-failed",
};

const char *job_state_to_string(JobState s) {
        return s >= 0 && s < _JOB_STATE_MAX ? state_table[s] : NULL;
}

JobState job_state_from_string(const char *s) {
        for (int i = 0; s && i < _JOB_STATE_MAX; i++)
                if (strcmp(state_table[i], s) == 0)
                        return i;
        return _JOB_STATE_INVALID;
}

const char *job_result_to_string(JobResult r) {
        return r >= 0 && r < _JOB_RESULT_MAX ? result_table[r] : NULL;
}

JobResult job_result_from_string(const char *s) {
        for (int i = 0; s && i < _JOB_RESULT_MAX; i++)
                if (strcmp(result_table[i], s) == 0)
                        return i;
        return _JOB_RESULT_INVALID;
}

JobOutcome job_outcome_decide(const JobStatus *status, const char *unit_result, bool stop_requested) {
        JobOutcome o = { .result = JOB_RESULT_SIGNAL, .exit_code = -1, .exit_signal = 0 };
        JobExitKind kind = status ? status->kind : JOB_EXIT_UNKNOWN;

        if (kind == JOB_EXITED)
                o.exit_code = status->exit_code;
        else if (kind == JOB_KILLED)
                o.exit_signal = status->signal;

        /* Nothing of the command ran: that outranks whatever came after. */
        if (kind == JOB_START_FAILED) {
                o.result = JOB_RESULT_START_FAILED;
                return o;
        }

        /* systemd's word on the scope outranks the shim's, which may have
         * seen only the first SIGKILL of an OOM kill or a timeout. */
        if (unit_result && strcmp(unit_result, "oom-kill") == 0) {
                o.result = JOB_RESULT_OOM_KILL;
                if (o.exit_signal == 0 && kind != JOB_EXITED)
                        o.exit_signal = SIGKILL;
                return o;
        }
        if (unit_result && strcmp(unit_result, "timeout") == 0 && !stop_requested) {
                o.result = JOB_RESULT_TIMEOUT;
                return o;
        }

        switch (kind) {
        case JOB_EXITED:
                /* A job that exited by itself before the stop reached it keeps
                 * its own verdict, as with systemctl stop on a finishing unit. */
                o.result = o.exit_code == 0 ? JOB_RESULT_SUCCESS : JOB_RESULT_EXIT_CODE;
                if (stop_requested && o.exit_code != 0)
                        o.result = JOB_RESULT_STOPPED;
                return o;
        case JOB_KILLED:
                o.result = stop_requested ? JOB_RESULT_STOPPED : JOB_RESULT_SIGNAL;
                return o;
        default:
                /* The shim died without a record: only SIGKILL does that. */
                o.exit_signal = SIGKILL;
                o.result = stop_requested ? JOB_RESULT_STOPPED : JOB_RESULT_SIGNAL;
                return o;
        }
}

bool job_outcome_final_at_exit(const JobStatus *status, uint64_t oom_kills, bool stop_requested,
                               uint64_t runtime_max_usec, uint64_t since_start_usec) {
        if (!status || status->kind != JOB_EXITED || stop_requested || oom_kills > 0)
                return false;
        if (runtime_max_usec == UINT64_MAX)
                return true;
        /* The limit's clock started after we asked for the scope, so it
         * has not fired before since_start_usec; the margin covers PID 1
         * handling its timer before it notices the empty cgroup. */
        return runtime_max_usec > JOB_RUNTIME_MARGIN_USEC &&
               since_start_usec < runtime_max_usec - JOB_RUNTIME_MARGIN_USEC;
}
