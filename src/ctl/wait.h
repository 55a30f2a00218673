/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waiting for a job to finish without polling, surviving a daemon restart
 * and a lost bus connection; and turning the outcome into an exit status. */
#pragma once

#include "ctl.h"
#include "job-info.h"

typedef enum JobWaitFlags {
        /* The first SIGINT/SIGTERM calls Stop(0) on the job and keeps waiting;
         * the second one gives up waiting (the job is left to its stop). */
        JOB_WAIT_STOP_ON_SIGNAL = 1 << 0,
        /* Copy the job's output (GetOutput with Follow) to our stdout and
         * stderr meanwhile; return only once the job finished and all of
         * its output was delivered. A closed stdout/stderr (EPIPE: SIGPIPE
         * must be ignored) stops the job like a first signal, as SIGPIPE. */
        JOB_WAIT_OUTPUT = 1 << 1,
} JobWaitFlags;

/* Blocks SIGINT and SIGTERM so that they stay pending until job_wait()
 * reads them: call it before StartJob, so a Ctrl-C never leaves a job
 * running behind a client that died. */
int job_wait_block_signals(void);

/* Waits until the job at path has State "finished" and fills *info with its
 * final properties. Returns 0 then; a positive exit status when the user
 * gave up waiting (second signal); or a negative errno after printing why.
 * *ret_signal (if not NULL) is the signal that made us stop the job, or 0. */
int job_wait(CtlContext *c, const char *id, const char *path, JobWaitFlags flags, JobInfo *info,
             int *ret_signal);

/* For a finished job: prints what a person needs to know on stderr (OOM
 * kill, timeout, start failure, stop, death by signal) and returns the exit
 * status of job_exit_status(). When we stopped the job because we got
 * interrupt_signal and it ended "stopped", the status is 128 + that signal,
 * as a shell reports an interrupted command (130 for Ctrl-C). */
int job_wait_report(const JobInfo *info, int interrupt_signal);
