/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerctl run, start and wait: StartJob, then (run, wait) wait for the
 * job and exit with its status; run streams the job's output meanwhile. */
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "bus-names.h"
#include "ctl.h"
#include "job-options.h"
#include "macro.h"
#include "terminal.h"
#include "wait.h"

/* Calls StartJob with argv[optind..]; returns 0 with the id and path, or
 * the exit code to use (after printing why). */
/* The job's stdin and lifetime. run: our stdin (unless it is a terminal,
 * which a job never gets: then /dev/null) and the job stops when we go
 * (unless --keep); start: /dev/null unless --stdin=FILE. FILE is opened
 * here, as the caller. Over a connection without fd passing (-H) the job
 * gets /dev/null; --stdin=FILE there is an error. Returns 0 or the exit
 * code, after printing why. */
static int setup_stdin(JobOptions *o, sd_bus *bus, bool remote, bool run) {
        int r;

        if (o->keep && !run) {
                fprintf(stderr, "jobworkerctl start: --keep is for run; a started job never stops when the client exits.\n");
                return CTL_EXIT_USAGE;
        }
        o->stop_when_caller_exits = run && !o->keep;

        /* -t: the job's stdin is its own pty; we pass none. */
        if (o->terminal) {
                if (o->stdin_path) {
                        fprintf(stderr, "jobworkerctl: --stdin and -t/--pty do not go together: with a terminal, "
                                "the job's stdin is its terminal.\n");
                        return CTL_EXIT_USAGE;
                }
                return 0;
        }

        /* The local system bus passes fds (dbus-daemon and dbus-broker do,
         * on their unix socket): asking sd-bus would wait for the Hello
         * round trip before StartJob could go out. Over ssh it is known
         * only once the connection is up. */
        r = remote ? sd_bus_can_send(bus, SD_BUS_TYPE_UNIX_FD) : 1;
        if (r <= 0) {
                if (o->stdin_path) {
                        fprintf(stderr, "--stdin=%s: this bus connection cannot pass file descriptors "
                                "(a remote host?); --stdin needs the local bus.\n", o->stdin_path);
                        return CTL_EXIT_USAGE;
                }
                return 0;
        }
        if (o->stdin_path) {
                o->stdin_fd = open(o->stdin_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (o->stdin_fd < 0) {
                        fprintf(stderr, "--stdin=%s: %m\n", o->stdin_path);
                        return 1;
                }
                o->has_stdin = true;
                return 0;
        }
        if (run && fcntl(STDIN_FILENO, F_GETFD) >= 0 && !isatty(STDIN_FILENO)) {
                o->stdin_fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
                if (o->stdin_fd < 0) {
                        fprintf(stderr, "Failed to pass stdin: %m\n");
                        return 1;
                }
                o->has_stdin = true;
        }
        return 0;
}

static int start_job(CtlContext *c, int argc, char *argv[], bool run, char **ret_id, char **ret_path,
                     bool *ret_terminal, bool *ret_keep) {
        JobOptions options = {};
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        const char *id, *path;
        sd_bus *bus;
        int r, first;

        first = job_options_parse_argv(&options, argc, argv, c->host != NULL);
        if (first == 0) {
                ctl_help();
                r = -1;  /* "exit 0" below */
                goto finish;
        }
        if (first < 0) {
                r = CTL_EXIT_USAGE;
                goto finish;
        }

        r = ctl_bus(c, &bus);
        if (r < 0) {
                r = 1;
                goto finish;
        }
        r = setup_stdin(&options, bus, c->host != NULL, run);
        if (r != 0)
                goto finish;
        /* run waits next: its loop is made while PID 1 makes the scope. */
        if (run && !c->event) {
                r = sd_event_new(&c->event);
                if (r >= 0)
                        r = sd_bus_attach_event(bus, c->event, SD_EVENT_PRIORITY_NORMAL);
                if (r < 0) {
                        fprintf(stderr, "Failed to set up the event loop: %s\n", strerror(-r));
                        r = 1;
                        goto finish;
                }
        }

        /* An idle jobworkerd that is exiting refuses StartJob (ShuttingDown)
         * having started nothing; it gave its name back first, so the same
         * call again reaches the next instance. Once is enough. */
        for (unsigned attempt = 0;; attempt++) {
                r = sd_bus_message_new_method_call(bus, &m, JOBWORKER_BUS_NAME, JOBWORKER_MANAGER_PATH,
                                                   JOBWORKER_MANAGER_INTERFACE, "StartJob");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "ay");
                for (int i = first; r >= 0 && i < argc; i++)
                        r = sd_bus_message_append_array(m, 'y', argv[i], strlen(argv[i]));
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = job_options_append_environment(&options, m, c->host == NULL);
                if (r >= 0) {
                        const char *wd = options.working_directory ?: "";
                        r = sd_bus_message_append_array(m, 'y', wd, strlen(wd));
                }
                if (r >= 0)
                        r = job_options_append(&options, m);
                if (r < 0) {
                        fprintf(stderr, "Failed to build the StartJob call: %s\n", strerror(-r));
                        r = 1;
                        goto finish;
                }

                /* Starting includes polkit (maybe asking for a password) and
                 * systemd creating the scope: give it longer than the default 25 s. */
                r = sd_bus_call(bus, m, 120 * USEC_PER_SEC, &error, &reply);
                if (r >= 0 || attempt > 0 || !sd_bus_error_has_name(&error, JOBWORKER_ERROR_SHUTTING_DOWN))
                        break;
                sd_bus_error_free(&error);
                m = sd_bus_message_unref(m);
        }
        if (r < 0) {
                r = ctl_report_bus_error("Failed to start job", &error, r);
                goto finish;
        }
        r = sd_bus_message_read(reply, "so", &id, &path);
        if (r < 0) {
                fprintf(stderr, "Failed to read StartJob's reply: %s\n", strerror(-r));
                r = 1;
                goto finish;
        }
        *ret_terminal = options.terminal;
        *ret_keep = options.keep;
        *ret_id = strdup(id);
        *ret_path = strdup(path);
        if (!*ret_id || !*ret_path) {
                fprintf(stderr, "Out of memory.\n");
                r = 1;
                goto finish;
        }
        r = 0;

finish:
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        job_options_done(&options);
        return r;
}

static int wait_and_report(CtlContext *c, const char *id, const char *path, JobWaitFlags flags) {
        JobInfo info = JOB_INFO_INIT;
        int r, sig = 0;

        r = job_wait(c, id, path, flags, &info, &sig);
        if (r == 0)
                r = job_wait_report(&info, sig);
        else if (r < 0)
                r = 1;
        job_info_done(&info);
        return r;
}

/* run -t: our terminal is the job's until it ends (then its status is
 * ours), we are told to go (the job is stopped, as run does), or the
 * escape leaves it running. */
static int run_with_terminal(CtlContext *c, const char *id, const char *path, bool keep) {
        int r, sig;

        r = ctl_terminal_attach(c, id, path, true, keep, &sig);
        if (r == TERMINAL_END_JOB)
                return wait_and_report(c, id, path, 0);
        if (r == TERMINAL_END_DETACHED)
                return 0;
        /* A signal to us (SIGHUP as SIGTERM), or no terminal: stop the job
         * (waiting for its first client, it would not start) through the
         * wait, which takes the signal from where it is pending. */
        (void) raise(r == TERMINAL_END_SIGNAL && sig != SIGHUP ? sig : SIGTERM);
        return wait_and_report(c, id, path, JOB_WAIT_STOP_ON_SIGNAL);
}

int verb_run(CtlContext *c, int argc, char *argv[]) {
        _cleanup_free_ char *id = NULL, *path = NULL;
        bool terminal = false, keep = false;
        int r;

        /* From here on a Ctrl-C stays pending until the wait reads it and
         * stops the job: it cannot kill us between StartJob and the wait. */
        r = job_wait_block_signals();
        if (r < 0) {
                fprintf(stderr, "Failed to block signals: %s\n", strerror(-r));
                return 1;
        }
        /* A reader of our output that goes away shows up as EPIPE, which
         * stops the job, instead of killing us and leaving the job behind. */
        signal(SIGPIPE, SIG_IGN);
        r = start_job(c, argc, argv, true, &id, &path, &terminal, &keep);
        if (r != 0)
                return r < 0 ? 0 : r;
        if (terminal)
                return run_with_terminal(c, id, path, keep);
        /* GetOutput (Follow) goes out right away; the daemon delivers from
         * the job's first byte, so nothing written meanwhile is missed. */
        return wait_and_report(c, id, path, JOB_WAIT_STOP_ON_SIGNAL | JOB_WAIT_OUTPUT);
}

int verb_start(CtlContext *c, int argc, char *argv[]) {
        _cleanup_free_ char *id = NULL, *path = NULL;
        bool terminal, keep;
        int r;

        r = start_job(c, argc, argv, false, &id, &path, &terminal, &keep);
        if (r != 0)
                return r < 0 ? 0 : r;
        printf("%s\n", id);
        return 0;
}

/* Parses "VERB [-h] ID" for the verbs that take nothing but an id. Returns
 * the id, or NULL with *ret_exit set. */
const char *ctl_parse_id_argument(int argc, char *argv[], int *ret_exit) {
        if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
                ctl_help();
                *ret_exit = 0;
                return NULL;
        }
        if (argc == 3 && strcmp(argv[1], "--") == 0)
                return argv[2];
        if (argc != 2 || argv[1][0] == '-') {
                fprintf(stderr, "Usage: jobworkerctl %s ID\n", argv[0]);
                *ret_exit = CTL_EXIT_USAGE;
                return NULL;
        }
        return argv[1];
}

int verb_wait(CtlContext *c, int argc, char *argv[]) {
        _cleanup_free_ char *path = NULL;
        const char *id;
        sd_bus *bus;
        int r;

        id = ctl_parse_id_argument(argc, argv, &r);
        if (!id)
                return r;
        if (ctl_bus(c, &bus) < 0)
                return 1;
        r = ctl_job_path(bus, id, &path);
        if (r != 0)
                return r;
        /* Someone else's waiting: a Ctrl-C ends the wait, not the job. */
        return wait_and_report(c, id, path, 0);
}
