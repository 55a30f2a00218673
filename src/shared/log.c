/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owns the process's log sink. The only mutable globals are the sink choice
 * and level, set once at start-up. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_identifier = "jobworker";
static int log_max_level = LOG_INFO;
static int log_to_journal;

void log_open(const char *identifier) {
        log_identifier = identifier;
        /* systemd sets JOURNAL_STREAM when stderr is connected to the journal:
         * then use the native protocol to keep priorities and code locations. */
        log_to_journal = getenv("JOURNAL_STREAM") != NULL;
        const char *level = getenv("JOBWORKER_LOG_LEVEL");
        if (level && strcmp(level, "debug") == 0)
                log_max_level = LOG_DEBUG;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        int saved_errno = errno;

        if (error < 0)
                error = -error;

        if (level <= log_max_level) {
                char buf[2048];
                va_list ap;

                /* %m in the format means the error passed in, as in systemd. */
                errno = error;
                va_start(ap, format);
                vsnprintf(buf, sizeof buf, format, ap);
                va_end(ap);

                if (log_to_journal) {
                        char file_str[256], line_str[32];
                        snprintf(file_str, sizeof file_str, "CODE_FILE=%s", file);
                        snprintf(line_str, sizeof line_str, "CODE_LINE=%d", line);
                        sd_journal_send_with_location(file_str, line_str, func,
                                                      "MESSAGE=%s", buf,
                                                      "PRIORITY=%d", level,
                                                      "SYSLOG_IDENTIFIER=%s", log_identifier,
                                                      error > 0 ? "ERRNO=%d" : NULL, error,
                                                      NULL);
                } else
                        fprintf(stderr, "%s: %s\n", log_identifier, buf);
        }

        errno = saved_errno;
        return -error;
}
