/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerctl status and list: a job's properties for people (laid out
 * like systemctl status / list-units) or as JSON. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "time-util.h"
#include "bus-names.h"
#include "ctl.h"
#include "format.h"
#include "job-info.h"
#include "job-result.h"
#include "macro.h"

#define ANSI_RED    "\x1b[0;1;31m"
#define ANSI_GREEN  "\x1b[0;1;32m"
#define ANSI_NORMAL "\x1b[0m"

static bool use_color(void) {
        const char *term = getenv("TERM");
        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && strcmp(term, "dumb") != 0;
}

/* "alice (1000)"; the number alone when the uid has no name here, or when
 * the job lives on another host whose users this one does not know. */
static void format_owner(char *buf, size_t size, uint32_t uid, bool remote) {
        struct passwd pw, *result = NULL;
        char pwbuf[4096];

        if (!remote && getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &result) == 0 && result)
                snprintf(buf, size, "%s (%" PRIu32 ")", result->pw_name, uid);
        else
                snprintf(buf, size, "%" PRIu32, uid);
}

static void format_since(char *buf, size_t size, uint64_t start) {
        char ts[FORMAT_TIMESTAMP_MAX], ago[FORMAT_TIMESPAN_MAX];
        uint64_t now = now_usec(CLOCK_REALTIME);

        if (start == 0 || start == UINT64_MAX) {
                snprintf(buf, size, "n/a");
                return;
        }
        format_timestamp(ts, start);
        if (now >= start + USEC_PER_SEC)
                snprintf(buf, size, "%s; %s ago", ts, format_timespan(ago, now - start, USEC_PER_SEC));
        else if (now >= start)
                snprintf(buf, size, "%s; just now", ts);
        else
                snprintf(buf, size, "%s", ts);
}

static void print_status(const JobInfo *info, bool remote) {
        _cleanup_free_ char *command = job_info_command_line(info);
        _cleanup_free_ char *limits = job_info_limits_text(info);
        _cleanup_free_ char *files = job_info_filesystem_text(info);
        _cleanup_free_ char *network = job_info_network_text(info);
        _cleanup_free_ char *workdir = NULL;
        char owner[256], since[256], what[1024], b1[FORMAT_TIMESPAN_MAX], b2[FORMAT_BYTES_MAX];
        const char *state = info->state ?: "unknown";
        const char *result = info->result && *info->result ? info->result : NULL;
        const char *on = "", *off = "";
        bool finished = job_info_is_finished(info);

        if (use_color()) {
                if (!finished)
                        on = ANSI_GREEN, off = ANSI_NORMAL;
                else if (result && !STR_IN_SET(result, "success", "stopped"))
                        on = ANSI_RED, off = ANSI_NORMAL;
        }
        printf("%s●%s job %s - %s\n", on, off, info->id ?: "?", command ?: "?");
        if (info->name && *info->name)
                printf("%11s: %s\n", "Name", info->name);
        printf("%11s: %s\n", "Unit", info->unit ?: "-");
        printf("%11s: %s\n", "Slice", info->slice ?: "-");
        format_owner(owner, sizeof owner, info->owner, remote);
        printf("%11s: %s\n", "Owner", owner);
        if (info->run_as_set && (info->run_as != info->owner || (info->run_as_user && *info->run_as_user))) {
                char run_as[256];
                /* The daemon's name for it: this host may not know it. */
                if (info->run_as_user && *info->run_as_user)
                        snprintf(run_as, sizeof run_as, "%s (%" PRIu32 ")", info->run_as_user, info->run_as);
                else
                        snprintf(run_as, sizeof run_as, "%" PRIu32 " (no passwd entry)", info->run_as);
                printf("%11s: %s, group %" PRIu32 "\n", "Run as", run_as, info->run_as_group);
        }
        if (info->working_directory.data) {
                workdir = shell_escape(info->working_directory.data, info->working_directory.size);
                printf("%11s: %s\n", "Directory", workdir ?: "?");
        }

        if (finished) {
                char ts[FORMAT_TIMESTAMP_MAX];
                job_result_describe(what, sizeof what, info->result, info->exit_code,
                                    info->exit_signal, info->status_text);
                printf("%11s: %s%s at %s%s; %s\n", "State", on, state,
                       format_timestamp(ts, info->finish_timestamp), off, what);
        } else if (strcmp(state, "starting") == 0)
                printf("%11s: %s%s%s\n", "State", on, state, off);
        else {
                format_since(since, sizeof since, info->start_timestamp);
                if (strcmp(state, "running") == 0)
                        printf("%11s: %s%s%s since %s\n", "State", on, state, off, since);
                else
                        printf("%11s: %s%s%s (running since %s)\n", "State", on, state, off, since);
        }
        printf("%11s: %s\n", "Result", result ?: "-");
        printf("%11s: %s\n", "Limits", limits ?: "?");
        printf("%11s: %s\n", "Files", files ?: "?");
        printf("%11s: %s\n", "Network", network ?: "?");
        printf("%11s: %s   Memory peak: %s\n", "CPU time",
               info->cpu_usage_nsec == UINT64_MAX ? "-" :
               format_timespan(b1, info->cpu_usage_nsec / NSEC_PER_USEC, 100 * USEC_PER_MSEC),
               info->memory_peak == UINT64_MAX ? "-" : format_bytes(b2, info->memory_peak));
}

int verb_status(CtlContext *c, int argc, char *argv[]) {
        enum { ARG_JSON = 0x100 };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, ARG_JSON },
                {}
        };
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        JobInfo info = JOB_INFO_INIT;
        bool json = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        ctl_help();
                        return 0;
                case ARG_JSON:
                        json = true;
                        break;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (optind != argc - 1) {
                fprintf(stderr, "Usage: jobworkerctl status [--json] ID\n");
                return CTL_EXIT_USAGE;
        }

        if (ctl_bus(c, &bus) < 0)
                return 1;
        r = job_path_get(bus, argv[optind], &path, &error);
        if (r >= 0)
                r = job_info_get(bus, path, &info, &error);
        if (r < 0) {
                r = ctl_report_bus_error("Failed to get the job's status", &error, r);
                goto finish;
        }

        if (json) {
                job_info_json(&info, stdout);
                putchar('\n');
        } else
                print_status(&info, c->host != NULL);
        r = fflush(stdout) == 0 ? 0 : 1;

finish:
        sd_bus_error_free(&error);
        job_info_done(&info);
        return r;
}

static int compare_jobs(const void *a, const void *b) {
        const JobInfo *x = a, *y = b;

        if (x->start_timestamp != y->start_timestamp)
                return x->start_timestamp < y->start_timestamp ? -1 : 1;
        return strcmp(x->id ?: "", y->id ?: "");
}

static size_t terminal_columns(void) {
        struct winsize ws;
        const char *e = getenv("COLUMNS");

        if (e && atoi(e) > 0)
                return (size_t) atoi(e);
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 80;
}

/* Fetches every listed job's properties; jobs removed meanwhile are skipped. */
static int list_fetch(sd_bus *bus, bool all, JobInfo **ret, size_t *ret_n) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        JobInfo *jobs = NULL;
        size_t n = 0;
        const char *id, *path, *state, *result, *unit;
        uint32_t owner;
        int32_t exit_code, exit_signal;
        int r;

        /* An exiting daemon refuses a listing that needs a new polkit
         * question; the next instance answers it. */
        for (unsigned attempt = 0;; attempt++) {
                r = sd_bus_call_method(bus, JOBWORKER_BUS_NAME, JOBWORKER_MANAGER_PATH,
                                       JOBWORKER_MANAGER_INTERFACE, "ListJobs", &error, &reply, NULL);
                if (r >= 0 || attempt > 0 || !sd_bus_error_has_name(&error, JOBWORKER_ERROR_SHUTTING_DOWN))
                        break;
                sd_bus_error_free(&error);
        }
        if (r < 0) {
                r = -ctl_report_bus_error("Failed to list jobs", &error, r);
                goto finish;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssusssii)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssusssii)", &id, &path, &owner, &state, &result, &unit,
                                                  &exit_code, &exit_signal)) > 0) {
                if (!all && strcmp(state, "finished") == 0)
                        continue;

                JobInfo *l = realloc(jobs, (n + 1) * sizeof *l);
                if (!l) {
                        r = -ENOMEM;
                        break;
                }
                jobs = l;
                jobs[n] = (JobInfo) JOB_INFO_INIT;

                sd_bus_error_free(&error);
                r = job_info_get(bus, path, &jobs[n], &error);
                if (r < 0) {
                        if (sd_bus_error_has_name(&error, JOBWORKER_ERROR_NO_SUCH_JOB) ||
                            sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.UnknownObject")) {
                                r = 0;  /* removed since ListJobs */
                                continue;
                        }
                        n++;
                        r = -ctl_report_bus_error("Failed to read a job's properties", &error, r);
                        goto finish;
                }
                n++;
        }
        if (r < 0) {
                fprintf(stderr, "Failed to read the job list: %s\n", strerror(-r));
                r = -1;
                goto finish;
        }
        qsort(jobs, n, sizeof *jobs, compare_jobs);
        *ret = TAKE_PTR(jobs);
        *ret_n = n;
        r = 0;

finish:
        for (size_t i = 0; jobs && i < n; i++)
                job_info_done(&jobs[i]);
        free(jobs);
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        return r;
}

static void print_table(JobInfo *jobs, size_t n, bool all, bool remote) {
        enum { ID, NAME, UNIT, STATE, RESULT, OWNER, COMMAND, N_COLUMNS };
        static const char *const headers[N_COLUMNS] = { "ID", "NAME", "UNIT", "STATE", "RESULT", "OWNER", "COMMAND" };
        char ***cells = calloc(n, sizeof *cells);
        size_t width[N_COLUMNS];

        if (!cells) {
                fprintf(stderr, "Out of memory.\n");
                return;
        }
        for (size_t c = 0; c < N_COLUMNS; c++)
                width[c] = strlen(headers[c]);
        for (size_t i = 0; i < n; i++) {
                char owner[256];

                cells[i] = calloc(N_COLUMNS, sizeof(char *));
                if (!cells[i])
                        continue;
                format_owner(owner, sizeof owner, jobs[i].owner, remote);
                char *p = strchr(owner, ' ');  /* the name alone, as in ps */
                if (p)
                        *p = 0;
                cells[i][ID] = strdup(jobs[i].id ?: "?");
                cells[i][NAME] = strdup(jobs[i].name && *jobs[i].name ? jobs[i].name : "-");
                cells[i][UNIT] = strdup(jobs[i].unit ?: "-");
                cells[i][STATE] = strdup(jobs[i].state ?: "?");
                cells[i][RESULT] = strdup(jobs[i].result && *jobs[i].result ? jobs[i].result : "-");
                cells[i][OWNER] = strdup(owner);
                cells[i][COMMAND] = job_info_command_line(&jobs[i]);
                for (size_t c = 0; c < COMMAND; c++)
                        if (cells[i][c] && strlen(cells[i][c]) > width[c])
                                width[c] = strlen(cells[i][c]);
        }

        /* The command takes what is left of a terminal line; piped, all of it. */
        size_t used = 0, room = SIZE_MAX;
        for (size_t c = 0; c < COMMAND; c++)
                used += width[c] + 1;
        if (isatty(STDOUT_FILENO)) {
                size_t columns = terminal_columns();
                room = columns > used + 10 ? columns - used : 10;
        }

        for (size_t i = 0; i <= n; i++) {
                const char *const *row = i == 0 ? headers : (const char *const *) cells[i - 1];
                if (!row)
                        continue;
                for (size_t c = 0; c < COMMAND; c++)
                        printf("%-*s ", (int) width[c], row[c] ?: "?");
                const char *cmd = row[COMMAND] ?: "?";
                if (strlen(cmd) > room)
                        printf("%.*s...\n", (int) (room - 3), cmd);
                else
                        printf("%s\n", cmd);
        }
        printf("\n%zu job%s listed.%s\n", n, n == 1 ? "" : "s",
               all ? "" : " Pass --all to see finished jobs too.");

        for (size_t i = 0; i < n; i++) {
                for (size_t c = 0; cells[i] && c < N_COLUMNS; c++)
                        free(cells[i][c]);
                free(cells[i]);
        }
        free(cells);
}

int verb_list(CtlContext *c, int argc, char *argv[]) {
        enum { ARG_JSON = 0x100 };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "all",  no_argument, NULL, 'a' },
                { "json", no_argument, NULL, ARG_JSON },
                {}
        };
        JobInfo *jobs = NULL;
        size_t n = 0;
        bool all = false, json = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "+ha", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        ctl_help();
                        return 0;
                case 'a':
                        all = true;
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (optind != argc) {
                fprintf(stderr, "Usage: jobworkerctl list [--all] [--json]\n");
                return CTL_EXIT_USAGE;
        }

        if (ctl_bus(c, &bus) < 0)
                return 1;
        r = list_fetch(bus, all, &jobs, &n);
        if (r < 0)
                return -r;

        if (json) {
                putchar('[');
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                putchar(',');
                        job_info_json(&jobs[i], stdout);
                }
                puts("]");
        } else
                print_table(jobs, n, all, c->host != NULL);

        for (size_t i = 0; i < n; i++)
                job_info_done(&jobs[i]);
        free(jobs);
        return fflush(stdout) == 0 ? 0 : 1;
}
