/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerctl: global options, verb dispatch, bus connection. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "bus-names.h"
#include "ctl.h"
#include "job-info.h"
#include "job-limits.h"
#include "macro.h"

void ctl_help(void) {
        printf("jobworkerctl [OPTIONS...] COMMAND ...\n\n"
               "Run and control isolated, resource-limited jobs through jobworkerd.\n\n"
               "Commands:\n"
               "  run [OPTIONS] [--] CMD [ARG...]    Run a job, show its output, exit with its status\n"
               "  start [OPTIONS] [--] CMD [ARG...]  Start a job, print its id\n"
               "  wait ID                            Wait for a job, exit with its status\n"
               "  stop [--timeout=SECONDS] ID        Stop a job, return once it is gone\n"
               "  status [--json] ID                 Show a job's state, outcome and limits\n"
               "  list [--all] [--json]              List jobs (unfinished ones unless --all)\n"
               "  logs [-f] [--stdout|--stderr] ID   Show a job's output (-f: follow until it ends)\n"
               "  set-limits ID OPTIONS              Change a running job's limits (--memory, --cpu,\n"
               "                                     --tasks-max, --io-read, --io-write, --cpus,\n"
               "                                     --memory-swap, --runtime-max)\n"
               "  pause ID                           Freeze a running job (no CPU, no output)\n"
               "  resume ID                          Let a paused job go on\n"
               "  remove ID                          Forget a finished job\n"
               "  attach ID                          Connect this terminal to a job started with --pty\n"
               "                                     (leave it running: Ctrl-] three times within 1 s)\n"
               "  version                            Show the client's and the daemon's version\n"
               "\nID is a job id, or the --name of one of your jobs (the unfinished one, else the latest).\n"
               "\nJob options (run, start):\n");
        for (const JobOptionInfo *i = job_option_table; i->name; i++) {
                char flag[64];
                if (i->arg == JOB_OPTION_ARG_BOOLEAN)
                        snprintf(flag, sizeof flag, "--%s[=%s]", i->cli_flag, i->cli_metavar);
                else
                        snprintf(flag, sizeof flag, "--%s=%s", i->cli_flag, i->cli_metavar);
                printf("  %-34s %s\n", flag, i->help);
        }
        printf("  %-34s %s\n", "--env=NAME=VALUE", "Set an environment variable for the job (repeatable)");
        printf("  %-34s %s\n", "--workdir=DIR", "Working directory of the job (default: the current one; with --root, /)");
        printf("  %-34s %s\n", "--name=NAME", "Name the job; unique among your unfinished jobs, usable as its ID");
        printf("  %-34s %s\n", "--user=USER|UID", "Run the job as another user (root and admins only)");
        printf("  %-34s %s\n", "--group=GROUP|GID", "Run the job with another group (root and admins only)");
        printf("  %-34s %s\n", "--bind=SRC[:DST]", "Bind SRC (opened as the job's user) at DST, inside the root if any (repeatable)");
        printf("  %-34s %s\n", "--ro-bind=SRC[:DST]", "The same, read-only (repeatable)");
        printf("  %-34s %s\n", "-t --pty", "Give the job a terminal of its own, this one attached (run), or for attach (start)");
        printf("  %-34s %s\n", "--network=none|NAME", "Loopback only (none, the default), or an address on a bridged network (bridge)");
        printf("  %-34s %s\n", "--ip=ADDR[/PREFIX]", "The job's address on --network (default: the next free one)");
        printf("  %-34s %s\n", "--stdin=FILE", "The job's stdin (opened by us, as you; default: run our stdin, start /dev/null)");
        printf("  %-34s %s\n", "--keep", "run: the job keeps running if we exit or lose the connection");
        printf("\nOptions:\n"
               "  -h --help                          Show this help\n"
               "     --version                       Show the client's version\n"
               "  -H --host=[USER@]HOST              Operate on a remote host (over ssh)\n"
               "\nSee jobworkerctl(1) for details.\n");
}

typedef struct Verb {
        const char *name;
        int (*run)(CtlContext *c, int argc, char *argv[]);
} Verb;

static const Verb verbs[] = {
        { "run",     verb_run },
        { "start",   verb_start },
        { "wait",    verb_wait },
        { "stop",    verb_stop },
        { "status",  verb_status },
        { "list",    verb_list },
        { "logs",    verb_logs },
        { "remove",  verb_remove },
        { "set-limits", verb_set_limits },
        { "pause",   verb_pause },
        { "resume",  verb_resume },
        { "attach",  verb_attach },
        { "version", verb_version },
};

static int bus_open(CtlContext *c) {
        int r;

        if (c->host)
                r = sd_bus_open_system_remote(&c->bus, c->host);
        else
                r = sd_bus_open_system(&c->bus);
        if (r < 0)
                return r;
        /* Let polkit ask for a password when a person is at the terminal. */
        (void) sd_bus_set_allow_interactive_authorization(c->bus, isatty(STDIN_FILENO));
        return 0;
}

int ctl_bus_reconnect(CtlContext *c, sd_bus **ret) {
        int r;

        c->bus = sd_bus_flush_close_unref(c->bus);
        r = bus_open(c);
        if (r < 0)
                return r;
        *ret = c->bus;
        return 0;
}

int ctl_bus(CtlContext *c, sd_bus **ret) {
        int r;

        if (!c->bus) {
                r = bus_open(c);
                if (r < 0) {
                        fprintf(stderr, "Failed to connect to the system bus%s%s: %s\n",
                                c->host ? " on " : "", c->host ? c->host : "", strerror(-r));
                        return r;
                }
        }
        *ret = c->bus;
        return 0;
}

bool ctl_bus_error_is_permanent(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, JOBWORKER_ERROR_NO_SUCH_JOB,
                                      JOBWORKER_ERROR_ACCESS_DENIED,
                                      JOBWORKER_ERROR_INVALID_ARGUMENT,
                                      JOBWORKER_ERROR_INVALID_OPTION,
                                      JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                      "org.freedesktop.DBus.Error.UnknownObject",
                                      "org.freedesktop.DBus.Error.UnknownInterface",
                                      "org.freedesktop.DBus.Error.UnknownMethod",
                                      "org.freedesktop.DBus.Error.UnknownProperty",
                                      "org.freedesktop.DBus.Error.InvalidArgs",
                                      "org.freedesktop.DBus.Error.NotSupported",
                                      "org.freedesktop.DBus.Error.AccessDenied");
}

int ctl_report_bus_error(const char *what, const sd_bus_error *error, int r) {
        if (error && sd_bus_error_is_set(error)) {
                if (sd_bus_error_has_name(error, "org.freedesktop.DBus.Error.ServiceUnknown"))
                        fprintf(stderr, "%s: jobworkerd is not available (%s). Is jobworker installed?\n",
                                what, error->message);
                else
                        fprintf(stderr, "%s: %s\n", what, error->message ? error->message : error->name);
        } else
                fprintf(stderr, "%s: %s\n", what, strerror(-r));
        return 1;
}

int ctl_job_path(sd_bus *bus, const char *id, char **ret_path) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = job_path_get(bus, id, ret_path, &error);

        if (r < 0) {
                r = ctl_report_bus_error("Failed to find the job", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                { "help",    no_argument,       NULL, 'h' },
                { "version", no_argument,       NULL, ARG_VERSION },
                { "host",    required_argument, NULL, 'H' },
                {}
        };
        CtlContext c = {};
        int opt, ret = 1;

        /* "+" stops at the first non-option: everything after the verb is the
         * verb's own (a job's command line may contain options of its own). */
        while ((opt = getopt_long(argc, argv, "+hH:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        ctl_help();
                        return 0;
                case ARG_VERSION:
                        printf("jobworkerctl %s\n", PACKAGE_VERSION);
                        return 0;
                case 'H':
                        c.host = optarg;
                        break;
                default:
                        return 2;
                }

        if (optind >= argc) {
                fprintf(stderr, "jobworkerctl: missing command. Try 'jobworkerctl --help'.\n");
                return 2;
        }

        const char *name = argv[optind];
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, name) == 0) {
                        /* Give the verb its own argv starting at the verb, with
                         * getopt reset, so it parses its options independently. */
                        int verb_argc = argc - optind;
                        char **verb_argv = argv + optind;
                        optind = 0;
                        ret = verbs[i].run(&c, verb_argc, verb_argv);
                        goto finish;
                }
        fprintf(stderr, "jobworkerctl: unknown command '%s'. Try 'jobworkerctl --help'.\n", name);
        return 2;

finish:
        sd_bus_flush_close_unref(c.bus);
        sd_event_unref(c.event);
        return ret;
}
