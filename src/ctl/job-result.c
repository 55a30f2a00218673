/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A finished job's outcome as a phrase and as a shell exit status. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "job-result.h"

const char *signal_name(int sig) {
        if (sig <= 0 || sig >= NSIG)
                return NULL;
        return sigabbrev_np(sig);
}

static int status_from_signal(int sig) {
        return sig > 0 && sig < 128 ? 128 + sig : -1;
}

static bool exit_code_valid(int code) {
        return code >= 0 && code <= 255;
}

/* A shell says 127 for "not found", 126 for the rest. The daemon says why
 * the start failed as an errno (StartErrno), not only as text for people. */
static bool start_failed_not_found(int exit_code, int start_errno) {
        return exit_code == 127 || start_errno == ENOENT;
}

int job_exit_status(const char *result, int exit_code, int exit_signal, int start_errno) {
        int s = status_from_signal(exit_signal);

        if (!result)
                result = "";
        if (strcmp(result, "success") == 0)
                return 0;
        if (strcmp(result, "exit-code") == 0)
                return exit_code_valid(exit_code) && exit_code != 0 ? exit_code : 1;
        if (strcmp(result, "signal") == 0)
                return s >= 0 ? s : 1;
        if (strcmp(result, "oom-kill") == 0)
                return 128 + SIGKILL;
        if (strcmp(result, "timeout") == 0)
                return s >= 0 ? s : 124;
        if (strcmp(result, "stopped") == 0) {
                if (s >= 0)
                        return s;
                if (exit_code_valid(exit_code) && exit_code != 0)
                        return exit_code;
                return 128 + SIGTERM;
        }
        if (strcmp(result, "start-failed") == 0)
                return start_failed_not_found(exit_code, start_errno) ? 127 : 126;

        if (s >= 0)
                return s;
        if (exit_code_valid(exit_code))
                return exit_code;
        return 1;
}

static void describe_end(char *buf, size_t size, const char *prefix, int exit_code, int exit_signal) {
        const char *name = signal_name(exit_signal);

        if (exit_signal > 0)
                snprintf(buf, size, "%skilled by signal %d%s%s%s", prefix, exit_signal,
                         name ? " (" : "", name ?: "", name ? ")" : "");
        else if (exit_code >= 0)
                snprintf(buf, size, "%sexit code %d", prefix, exit_code);
        else
                snprintf(buf, size, "%s", *prefix ? prefix : "unknown end");
}

char *job_result_describe(char *buf, size_t size, const char *result, int exit_code,
                          int exit_signal, const char *status_text) {
        if (!result)
                result = "";
        if (strcmp(result, "oom-kill") == 0)
                snprintf(buf, size, "killed by the OOM killer");
        else if (strcmp(result, "start-failed") == 0)
                snprintf(buf, size, "start failed%s%s",
                         status_text && *status_text ? ": " : "", status_text ?: "");
        else if (strcmp(result, "timeout") == 0)
                describe_end(buf, size, "runtime limit exceeded, ", -1, exit_signal);
        else if (strcmp(result, "stopped") == 0)
                describe_end(buf, size, "stopped, ", exit_code, exit_signal);
        else
                describe_end(buf, size, "", exit_code, exit_signal);

        /* "runtime limit exceeded, " with nothing after it: drop the comma. */
        size_t l = strlen(buf);
        if (l >= 2 && strcmp(buf + l - 2, ", ") == 0)
                buf[l - 2] = 0;
        return buf;
}
