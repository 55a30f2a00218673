/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client end of a terminal job (terminal-protocol.h): our terminal in
 * raw mode, keystrokes and window size to the job, its output to us. */
#pragma once

#include <stdbool.h>

typedef enum TerminalEnd {
        TERMINAL_END_JOB,       /* the job ended; all its output was shown */
        TERMINAL_END_DETACHED,  /* the escape: the job runs on */
        TERMINAL_END_SIGNAL,    /* SIGINT, SIGTERM or SIGHUP to us */
} TerminalEnd;

/* Runs the session on fd (from Job.AttachTerminal) for job id. The
 * terminal is restored on every way out. Returns a TerminalEnd (with
 * *ret_signal for TERMINAL_END_SIGNAL), -EBUSY when another client is
 * attached, or another negative errno; all after printing why.
 * job_survives_us: what the escape tells (the job runs on, or stops as we
 * exit). */
int terminal_session(int fd, const char *id, bool job_survives_us, int *ret_signal);
