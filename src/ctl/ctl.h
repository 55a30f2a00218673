/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every jobworkerctl verb shares: the parsed global options and the bus. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

typedef struct CtlContext {
        const char *host;  /* -H [USER@]HOST, NULL = local system bus */
        sd_bus *bus;       /* opened lazily by ctl_bus() */
        /* Made ahead of a wait (job_wait() uses it), while a call the wait
         * follows is on its way; NULL = job_wait() makes its own. */
        sd_event *event;
} CtlContext;

/* Connects to the local or remote system bus once; later calls reuse it. */
int ctl_bus(CtlContext *c, sd_bus **ret);

/* Drops the current connection, if any, and opens a new one without
 * printing anything (for retry loops). */
int ctl_bus_reconnect(CtlContext *c, sd_bus **ret);

/* Prints a failed call's D-Bus error the way a person can act on it and
 * returns the exit code to use. */
int ctl_report_bus_error(const char *what, const sd_bus_error *error, int r);

/* Whether trying the same call again can never help (no such job, not
 * allowed, a daemon that does not know the call): every retry loop asks
 * this one list. ServiceUnknown is not on it: a daemon that answered
 * moments ago is being restarted, not missing. */
bool ctl_bus_error_is_permanent(const sd_bus_error *e);

/* GetJob(id) that says on stderr why the job cannot be found: returns 0
 * with *ret_path set, or the exit code to leave with. */
int ctl_job_path(sd_bus *bus, const char *id, char **ret_path);

/* Usage errors exit with this, like systemctl. */
#define CTL_EXIT_USAGE 2

void ctl_help(void);

/* Parses "VERB [--] ID" (or -h) for the verbs that take nothing but a job
 * id. Returns the id, or NULL with *ret_exit set to the exit code. */
const char *ctl_parse_id_argument(int argc, char *argv[], int *ret_exit);

/* Job.AttachTerminal on the job at path and a terminal session with it
 * (terminal.h): returns a TerminalEnd (*ret_signal set for
 * TERMINAL_END_SIGNAL) or a negative errno after printing why. Over -H it
 * says that a terminal needs a local bus. just_started: retry a moment
 * while the shim of a job we just started does not listen yet.
 * job_survives_us: whether the job runs on once we are gone (not for run
 * -t without --keep: StopWhenCallerExits), for what the escape says. */
int ctl_terminal_attach(CtlContext *c, const char *id, const char *path, bool just_started, bool job_survives_us,
                        int *ret_signal);

int verb_attach(CtlContext *c, int argc, char *argv[]);
int verb_version(CtlContext *c, int argc, char *argv[]);
int verb_run(CtlContext *c, int argc, char *argv[]);
int verb_start(CtlContext *c, int argc, char *argv[]);
int verb_wait(CtlContext *c, int argc, char *argv[]);
int verb_stop(CtlContext *c, int argc, char *argv[]);
int verb_remove(CtlContext *c, int argc, char *argv[]);
int verb_set_limits(CtlContext *c, int argc, char *argv[]);
int verb_pause(CtlContext *c, int argc, char *argv[]);
int verb_resume(CtlContext *c, int argc, char *argv[]);
int verb_status(CtlContext *c, int argc, char *argv[]);
int verb_list(CtlContext *c, int argc, char *argv[]);
int verb_logs(CtlContext *c, int argc, char *argv[]);
