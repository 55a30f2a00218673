/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a finished job's Result, ExitCode, ExitSignal, StartErrno and StatusText mean for
 * a person (a phrase) and for a shell (an exit status). Pure functions. */
#pragma once

#include <stddef.h>

/* The exit status `jobworkerctl run` and `wait` return, as a shell would:
 *   success                 0
 *   exit-code               ExitCode
 *   signal                  128 + ExitSignal
 *   oom-kill                137 (128 + SIGKILL)
 *   timeout                 128 + ExitSignal, or 124 (like timeout(1)) if none
 *   stopped                 128 + ExitSignal, else ExitCode if non-zero,
 *                           else 143 (128 + SIGTERM)
 *   start-failed            127 when the command was not found (StartErrno
 *                           ENOENT), else 126
 *   anything else           128 + ExitSignal, else ExitCode, else 1
 * Exit codes outside 0..255 (never sent by a sane daemon) give 1. */
int job_exit_status(const char *result, int exit_code, int exit_signal, int start_errno);

/* "exit code 3", "killed by signal 15 (TERM)", "killed by the OOM killer",
 * "start failed: <status_text>", "runtime limit exceeded, killed by signal 15 (TERM)",
 * "stopped, killed by signal 15 (TERM)", "exit code 0". Returns buf. */
char *job_result_describe(char *buf, size_t size, const char *result, int exit_code,
                          int exit_signal, const char *status_text);

/* "TERM" for 15, NULL when unknown. */
const char *signal_name(int sig);
