/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerctl stop, remove, set-limits, pause and resume. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "ctl.h"
#include "job-info.h"
#include "job-options.h"
#include "macro.h"
#include "parse-util.h"
#include "wait.h"

typedef int (*append_args_t)(sd_bus_message *m, void *userdata);

typedef struct VarArgs {
        const char *types;
        va_list *ap;
} VarArgs;

static int append_varargs(sd_bus_message *m, void *userdata) {
        VarArgs *a = userdata;
        return a->types ? sd_bus_message_appendv(m, a->types, *a->ap) : 0;
}

static int call_job_method_full(CtlContext *c, const char *id, char **ret_path, const char *what,
                                const char *method, append_args_t append, void *userdata);

/* GetJob(id) then a method on the job with no reply body; 0 or the exit code. */
static int call_job_method(CtlContext *c, const char *id, char **ret_path, const char *what,
                           const char *method, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        VarArgs a = { .types = types, .ap = &ap };
        r = call_job_method_full(c, id, ret_path, what, method, append_varargs, &a);
        va_end(ap);
        return r;
}

static int call_job_method_full(CtlContext *c, const char *id, char **ret_path, const char *what,
                                const char *method, append_args_t append, void *userdata) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL;
        sd_bus *bus;
        int r;

        if (ctl_bus(c, &bus) < 0)
                return 1;
        r = job_path_get(bus, id, &path, &error);
        if (r < 0) {
                r = ctl_report_bus_error(what, &error, r);
                goto finish;
        }

        r = sd_bus_message_new_method_call(bus, &m, JOBWORKER_BUS_NAME, path,
                                           JOBWORKER_JOB_INTERFACE, method);
        if (r >= 0)
                r = append(m, userdata);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", what, strerror(-r));
                r = 1;
                goto finish;
        }
        /* A job that has already ended is an error for Stop (JobNotRunning):
         * the caller may want to know it was not their stop that ended it. */
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0 && sd_bus_error_has_name(&error, JOBWORKER_ERROR_SHUTTING_DOWN)) {
                /* Refused by a daemon that is exiting, before it did
                 * anything (it asks polkit nothing new): the next instance
                 * does it. */
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *again = NULL;

                sd_bus_error_free(&error);
                r = sd_bus_message_new_method_call(bus, &again, JOBWORKER_BUS_NAME, path,
                                                   JOBWORKER_JOB_INTERFACE, method);
                if (r >= 0)
                        r = sd_bus_message_rewind(m, true);
                if (r >= 0)
                        r = sd_bus_message_copy(again, m, true);
                if (r >= 0)
                        r = sd_bus_call(bus, again, 0, &error, &reply);
        }
        if (r < 0) {
                r = ctl_report_bus_error(what, &error, r);
                goto finish;
        }
        r = 0;
        if (ret_path)
                *ret_path = TAKE_PTR(path);

finish:
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r;
}

int verb_stop(CtlContext *c, int argc, char *argv[]) {
        enum { ARG_TIMEOUT = 0x100 };
        static const struct option options[] = {
                { "help",    no_argument,       NULL, 'h' },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {}
        };
        _cleanup_free_ char *path = NULL;
        JobInfo info = JOB_INFO_INIT;
        uint64_t timeout_usec = 0;
        const char *id;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        ctl_help();
                        return 0;
                case ARG_TIMEOUT:
                        r = parse_seconds(optarg, &timeout_usec);
                        if (r < 0 || timeout_usec == 0) {
                                fprintf(stderr, "--timeout=%s: %s\n", optarg,
                                        r == -ERANGE ? "is out of range" :
                                        r < 0 ? "is not a valid duration (e.g. 1.5, 250ms, 2min)" :
                                        "must be greater than 0");
                                return CTL_EXIT_USAGE;
                        }
                        break;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (optind != argc - 1) {
                fprintf(stderr, "Usage: jobworkerctl stop [--timeout=SECONDS] ID\n");
                return CTL_EXIT_USAGE;
        }
        id = argv[optind];

        r = call_job_method(c, id, &path, "Failed to stop job", "Stop", "t", timeout_usec);
        if (r != 0)
                return r;

        /* Return only once the job is dead. A Ctrl-C here just stops waiting. */
        r = job_wait(c, id, path, 0, &info, NULL);
        job_info_done(&info);
        return r == 0 ? 0 : 1;
}

int verb_remove(CtlContext *c, int argc, char *argv[]) {
        const char *id;
        int r;

        id = ctl_parse_id_argument(argc, argv, &r);
        if (!id)
                return r;
        return call_job_method(c, id, NULL, "Failed to remove job", "Remove", NULL);
}

static int append_limits(sd_bus_message *m, void *userdata) {
        return job_options_append(userdata, m);
}

/* set-limits ID OPTIONS (or OPTIONS ID): the job options a running job can
 * change, checked here as for run, and by the daemon as at start. */
int verb_set_limits(CtlContext *c, int argc, char *argv[]) {
        _cleanup_(job_options_done) JobOptions o = {};
        _cleanup_free_ char **args = NULL;
        const char *id = NULL;
        int n = 0, r;

        /* The option parser of run stops at the first non-option: the id
         * goes last, wherever it was given (first, or after the options). */
        args = calloc((size_t) argc + 2, sizeof(char *));
        if (!args)
                return 1;
        args[n++] = argv[0];
        for (int i = 1; i < argc; i++)
                if (i == 1 && argv[i][0] != '-')
                        id = argv[i];
                else
                        args[n++] = argv[i];
        if (id)
                args[n++] = (char *) id;
        /* As for a remote host: no working directory is made up from ours. */
        r = job_options_parse_argv(&o, n, args, true);
        if (r == 0) {
                ctl_help();
                return 0;
        }
        if (r < 0)
                return CTL_EXIT_USAGE;  /* the parser said why */
        if (r != n - 1) {
                fprintf(stderr, "Usage: jobworkerctl set-limits ID --memory=SIZE --cpu=FRACTION --tasks-max=N ...\n");
                return CTL_EXIT_USAGE;
        }
        id = args[r];
        if (o.n_environment > 0 || o.working_directory) {
                fprintf(stderr, "set-limits: --env and --workdir cannot change while a job runs.\n");
                return CTL_EXIT_USAGE;
        }
        if (o.n_settings == 0) {
                fprintf(stderr, "set-limits: no limit given (e.g. --memory=1G).\n");
                return CTL_EXIT_USAGE;
        }
        for (size_t i = 0; i < o.n_settings; i++)
                if (!job_option_changes_at_runtime(o.settings[i].info->name)) {
                        fprintf(stderr, "set-limits: --%s cannot change while a job runs.\n",
                                o.settings[i].info->cli_flag);
                        return CTL_EXIT_USAGE;
                }
        return call_job_method_full(c, id, NULL, "Failed to change the limits", "SetLimits", append_limits, &o);
}

int verb_pause(CtlContext *c, int argc, char *argv[]) {
        const char *id;
        int r;

        id = ctl_parse_id_argument(argc, argv, &r);
        if (!id)
                return r;
        return call_job_method(c, id, NULL, "Failed to pause job", "Pause", NULL);
}

int verb_resume(CtlContext *c, int argc, char *argv[]) {
        const char *id;
        int r;

        id = ctl_parse_id_argument(argc, argv, &r);
        if (!id)
                return r;
        return call_job_method(c, id, NULL, "Failed to resume job", "Resume", NULL);
}
