/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerctl attach, and the terminal of run -t: Job.AttachTerminal,
 * then the session of terminal.c. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus-names.h"
#include "ctl.h"
#include "macro.h"
#include "terminal.h"
#include "wait.h"

/* A terminal arrives as a file descriptor, which -H (ssh) cannot carry. */
#define TERMINAL_NEEDS_LOCAL_BUS \
        "needs a local bus: a terminal is passed as a file descriptor, which a connection over ssh (-H) " \
        "cannot carry; run jobworkerctl on that host instead."

int ctl_terminal_attach(CtlContext *c, const char *id, const char *path, bool just_started, bool job_survives_us,
                        int *ret_signal) {
        sd_bus *bus;
        int r;

        *ret_signal = 0;
        if (c->host) {
                fprintf(stderr, "Cannot attach to job %s: " TERMINAL_NEEDS_LOCAL_BUS "\n", id);
                return -EPROTONOSUPPORT;
        }
        r = ctl_bus(c, &bus);
        if (r < 0)
                return r;

        /* Right after StartJob the shim may not listen yet: a moment more. */
        for (unsigned attempt = 0;; attempt++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                int fd = -1;

                r = sd_bus_call_method(bus, JOBWORKER_BUS_NAME, path, JOBWORKER_JOB_INTERFACE, "AttachTerminal",
                                       &error, &reply, NULL);
                if (r < 0 && just_started && attempt < 40 &&
                    sd_bus_error_has_name(&error, JOBWORKER_ERROR_NO_TERMINAL)) {
                        sd_bus_error_free(&error);
                        (void) usleep(50 * 1000);
                        continue;
                }
                if (r < 0) {
                        char what[64];
                        snprintf(what, sizeof what, "Cannot attach to job %s", id);
                        (void) ctl_report_bus_error(what, &error, r);
                        sd_bus_error_free(&error);
                        return r;
                }
                r = sd_bus_message_read(reply, "h", &fd);
                if (r >= 0) {
                        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);   /* the message owns its fd */
                        if (fd < 0)
                                r = -errno;
                }
                sd_bus_message_unref(reply);
                if (r < 0) {
                        fprintf(stderr, "Failed to read AttachTerminal's reply: %s\n", strerror(-r));
                        return r;
                }
                r = terminal_session(fd, id, job_survives_us, ret_signal);
                close(fd);
                return r;
        }
}

static int wait_and_exit(CtlContext *c, const char *id, const char *path) {
        JobInfo info = JOB_INFO_INIT;
        int r;

        r = job_wait(c, id, path, 0, &info, NULL);
        if (r == 0)
                r = job_wait_report(&info, 0);
        else if (r < 0)
                r = 1;
        job_info_done(&info);
        return r;
}

int verb_attach(CtlContext *c, int argc, char *argv[]) {
        _cleanup_free_ char *path = NULL;
        const char *id;
        sd_bus *bus;
        int r, sig;

        id = ctl_parse_id_argument(argc, argv, &r);
        if (!id)
                return r;
        if (c->host) {
                fprintf(stderr, "jobworkerctl attach: " TERMINAL_NEEDS_LOCAL_BUS "\n");
                return 1;
        }
        if (ctl_bus(c, &bus) < 0)
                return 1;
        r = ctl_job_path(bus, id, &path);
        if (r != 0)
                return r;

        r = ctl_terminal_attach(c, id, path, false, true, &sig);
        if (r < 0)
                return 1;
        if (r == TERMINAL_END_DETACHED)
                return 0;
        if (r == TERMINAL_END_SIGNAL)
                return 128 + sig;       /* the job is not ours to stop: it runs on */
        /* The job ended while we were attached: its status is ours. */
        return wait_and_exit(c, id, path);
}
