/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.jobworker1.Manager: StartJob, ListJobs, GetJob. Each handler parses,
 * checks who is calling, does one thing, replies. */
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "access.h"
#include "bus-names.h"
#include "caller-check.h"
#include "job.h"
#include "job-retention.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "parse-util.h"

/* The kernel refuses an exec whose argv and environment together pass
 * ARG_MAX (2 MiB with the default stack limit); refuse it up front. A job
 * that large takes ~4 MiB of record in /run (hex): how many of those one
 * user and everyone may hold is the byte budget's business
 * (check_record_budget()), not a count's. */
#define ARGS_BYTES_MAX (2U * 1024 * 1024)
#define ARGS_COUNT_MAX 65536U
#define GROUPS_MAX 65536

/* JobNew and JobRemoved go to the client that caused them, not to everyone:
 * a broadcast would tell every user of the host about other users' jobs. */
int bus_send_signal_to(sd_bus *bus, const char *destination, const char *member, const char *id,
                       const char *path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!destination)
                return 0;
        r = sd_bus_message_new_signal(bus, &m, JOBWORKER_MANAGER_PATH, JOBWORKER_MANAGER_INTERFACE, member);
        if (r >= 0)
                r = sd_bus_message_set_destination(m, destination);
        if (r >= 0)
                r = sd_bus_message_append(m, "so", id, path);
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        return r;
}

/* Reads one "ay" as a C string: any byte but NUL (a single trailing NUL,
 * as some clients send, is dropped). */
static int read_byte_string(sd_bus_message *m, const char *what, char **ret, size_t *total,
                            sd_bus_error *error) {
        const void *p;
        size_t n;
        int r;

        r = sd_bus_message_read_array(m, 'y', &p, &n);
        if (r < 0)
                return r;
        if (n > 0 && ((const char *) p)[n - 1] == '\0')
                n--;
        if (memchr(p, '\0', n))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "%s contains a NUL byte.", what);
        *total += n + 1;
        if (*total > ARGS_BYTES_MAX)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "Command line and environment exceed %u bytes.", ARGS_BYTES_MAX);
        *ret = strndup(p, n);
        return *ret ? 0 : -ENOMEM;
}

static int read_byte_string_array(sd_bus_message *m, const char *what, char ***ret, size_t *total,
                                  sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "ay");
        if (r < 0)
                return r;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (;;) {
                char *s;
                r = sd_bus_message_peek_type(m, NULL, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (n >= ARGS_COUNT_MAX)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "%s has more than %u entries.", what, ARGS_COUNT_MAX);
                r = read_byte_string(m, what, &s, total, error);
                if (r < 0)
                        return r;
                char **nl = realloc(l, sizeof(char *) * (n + 2));
                if (!nl) {
                        free(s);
                        return -ENOMEM;
                }
                l = nl;
                l[n++] = s;
                l[n] = NULL;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* BindPaths / BindReadOnlyPaths: systemd's a(ssbt), inside the variant. */
static int read_bind_paths(sd_bus_message *m, JobLimits *limits, const char *name, sd_bus_error *error) {
        bool read_only = strcmp(name, "BindReadOnlyPaths") == 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ssbt)");
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_free_ char *message = NULL;
                const char *source, *destination;
                int ignore_missing;
                uint64_t flags;

                r = sd_bus_message_read(m, "(ssbt)", &source, &destination, &ignore_missing, &flags);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = job_limits_add_bind(limits, read_only, source, destination, ignore_missing, flags, &message);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT, "%s",
                                                 message ?: "Invalid bind.");
        }
        return sd_bus_message_exit_container(m);
}

static int read_options(sd_bus_message *m, JobLimits *limits, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                _cleanup_free_ char *message = NULL;
                const char *name, *contents;
                JobOptionValue v = { .type = '?' };

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                if (strcmp(name, "BindPaths") == 0 || strcmp(name, "BindReadOnlyPaths") == 0) {
                        if (strcmp(contents, "a(ssbt)") != 0)
                                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                         "Option '%s' must be of D-Bus type 'a(ssbt)', got '%.64s'",
                                                         name, contents);
                        r = read_bind_paths(m, limits, name, error);
                        if (r < 0)
                                return r;
                        goto next;
                }
                if (strlen(contents) == 1 && strchr("dtsb", contents[0])) {
                        v.type = contents[0];
                        r = sd_bus_message_read_basic(m, v.type,
                                                      v.type == 'd' ? (void *) &v.d :
                                                      v.type == 't' ? (void *) &v.t :
                                                      v.type == 'b' ? (void *) &v.b : (void *) &v.s);
                } else {
                        /* Any other type: let the option table name the
                         * expected one in its error. */
                        v.type = contents[0];
                        r = sd_bus_message_skip(m, contents);
                }
                if (r < 0)
                        return r;
                r = job_limits_set_option(limits, name, &v, &message);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT, "%s",
                                                 message ? message : "Invalid option.");
        next:
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* What the option table cannot know without looking at this host. */
static int validate_limits_on_host(const JobLimits *l, sd_bus_error *error) {
        _cleanup_free_ char *message = NULL;
        int r = job_limits_check(l, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT, "%s",
                                         message ?: "Invalid options.");
        if (l->allowed_cpus) {
                long n_cpus = sysconf(_SC_NPROCESSORS_CONF);
                int max = cpu_mask_max_cpu(l->allowed_cpus, l->allowed_cpus_size);
                if (max < 0)
                        return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                "AllowedCPUs names no CPU.");
                if (n_cpus > 0 && max >= n_cpus)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "AllowedCPUs names CPU %d, but this host has CPUs 0-%ld.",
                                                 max, n_cpus - 1);
        }
        /* IODevice is a path: resolved as the caller, after authorization
         * (caller-check.c), never looked up here as root. */
        return 0;
}

static int env_set(char ***env, const char *assignment) {
        size_t name_len = strcspn(assignment, "=");
        size_t n = 0;
        char *copy = strdup(assignment);

        if (!copy)
                return -ENOMEM;
        for (char **e = *env; e && *e; e++, n++)
                if (strncmp(*e, assignment, name_len) == 0 && (*e)[name_len] == '=') {
                        free(*e);
                        *e = copy;
                        return 0;
                }
        char **nl = realloc(*env, sizeof(char *) * (n + 2));
        if (!nl) {
                free(copy);
                return -ENOMEM;
        }
        nl[n] = copy;
        nl[n + 1] = NULL;
        *env = nl;
        return 0;
}

/* The job's clean environment: a sane PATH and the user's identity, then
 * whatever the caller passed (which wins). */
static int build_environment(const struct passwd *pw, char **passed, char ***ret, sd_bus_error *error) {
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char *));
        char buf[4096];
        int r;

        if (!env)
                return -ENOMEM;
        r = env_set(&env, pw->pw_uid == 0 ? "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                                          : "PATH=/usr/local/bin:/usr/bin:/bin");
        if (r < 0)
                return r;
        const char *vars[][2] = {
                { "HOME", pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/" },
                { "USER", pw->pw_name },
                { "LOGNAME", pw->pw_name },
                { "SHELL", pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh" },
        };
        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                if (snprintf(buf, sizeof buf, "%s=%s", vars[i][0], vars[i][1]) >= (int) sizeof buf)
                        continue;
                r = env_set(&env, buf);
                if (r < 0)
                        return r;
        }
        for (char **e = passed; e && *e; e++) {
                if (!parse_env_assignment_valid(*e, strlen(*e)))
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "Invalid environment entry \"%s\": expected NAME=VALUE.", *e);
                r = env_set(&env, *e);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(env);
        return 0;
}

/* A StartJob call between its authorization and its job: waiting for the
 * check, as the caller, of the paths it names (caller-check.c). */
typedef struct PendingStart {
        Manager *manager;
        sd_bus_message *request;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        int n_groups;
        char *user_name;
        char *workdir;        /* as asked for; NULL = home, or / */
        char *home;           /* checked when no workdir was asked for */
        char **argv;
        char **environment;
        JobLimits limits;
} PendingStart;

static void pending_start_free(void *userdata) {
        PendingStart *p = userdata;

        if (!p)
                return;
        sd_bus_message_unref(p->request);
        free(p->groups);
        free(p->user_name);
        free(p->workdir);
        free(p->home);
        strv_free(p->argv);
        strv_free(p->environment);
        job_limits_done(&p->limits);
        free(p);
}

static inline void pending_start_freep(PendingStart **p) {
        pending_start_free(*p);
}

/* Root is exempt; counted again when the job is made, since other starts
 * of the same user may have finished their checks meanwhile. */
static int check_active_jobs_of(Manager *m, uid_t uid, sd_bus_error *error) {
        unsigned n = 0;

        if (uid == 0)
                return 0;
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i]->owner == uid && job_is_active(m->jobs[i]))
                        n++;
        if (n >= m->max_jobs_per_user)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "User %u already has %u running jobs, the most one user may have.",
                                         (unsigned) uid, n);
        return 0;
}

/* /run and our memory are bounded in bytes, not only in jobs: the new
 * job's record must fit next to the active ones (finished ones make room,
 * retention forgets them). */
static int check_record_budget(Manager *m, const Job *j, sd_bus_error *error) {
        JobRetention limits;
        uint64_t cost = job_record_cost(j), used;
        int r;

        manager_retention_limits(m, &limits);
        r = job_budget_check(m->jobs, m->n_jobs, j->owner, cost, &limits, &used);
        if (r == -EDQUOT)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "The job's record would take %" PRIu64 " bytes; the running jobs of user %u "
                                         "hold %" PRIu64 " of the %" PRIu64 " bytes one user may have "
                                         "(command lines, environments, directories).",
                                         cost, (unsigned) j->owner, used, limits.per_user_bytes);
        if (r == -ENOSPC)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "The job's record would take %" PRIu64 " bytes; running jobs hold %" PRIu64
                                         " of the %" PRIu64 " bytes all users may have "
                                         "(command lines, environments, directories).",
                                         cost, used, limits.total_bytes);
        return r;
}

/* Why a path could not be checked, when the check itself did not finish. */
static const char *check_failure(int error) {
        return error == -ETIMEDOUT ? "no answer in time (a hung file system?)" :
               error == -ECHILD ? "the check was killed before it answered" : NULL;
}

/* The check is done: refuse, or make the job and start it (which answers
 * the call once the job runs). */
static void start_request_unref(void *userdata) {
        sd_bus_message_unref(userdata);
}

/* The core tells us how the start ended: the caller hears of it, and of the
 * new job (JobNew goes to that caller only), once it runs. */
static void on_job_started(Job *j, int error, const char *reason, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *request = userdata;
        int r;

        assert(j);
        assert(request);

        if (error < 0)
                r = sd_bus_reply_method_errorf(request, JOBWORKER_ERROR_START_FAILED, "%s",
                                               reason ?: "The job failed to start.");
        else {
                (void) bus_send_signal_to(j->manager->bus, sd_bus_message_get_sender(request), "JobNew", j->id,
                                          j->object_path);
                r = sd_bus_reply_method_return(request, "so", j->id, j->object_path);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to answer StartJob for %s: %m", j->id);
}

static int start_job_checked(PendingStart *p, const CallerCheckResult *result, sd_bus_error *error) {
        Manager *m;
        const char *why;
        int r;

        assert(p);
        assert(result);
        m = p->manager;

        if (p->limits.io_device) {
                why = check_failure(result->io_device_error);
                if (why)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "IODevice %s: %s, looked up as user %s.",
                                                 p->limits.io_device, why, p->user_name);
                /* One answer whatever the reason: the caller learns nothing
                 * about paths they cannot reach. */
                if (result->io_device_error < 0)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "IODevice %s is not a block device, or a file or directory on one, that user %s can reach.",
                                                 p->limits.io_device, p->user_name);
                if (asprintf(&p->limits.io_device_node, "/dev/block/%u:%u",
                             major(result->io_device_number), minor(result->io_device_number)) < 0) {
                        p->limits.io_device_node = NULL;
                        return -ENOMEM;
                }
        }

        if (p->limits.root_directory && result->path_errors[0] < 0) {
                why = check_failure(result->path_errors[0]);
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "RootDirectory %s: %s (checked as user %s).",
                                         p->limits.root_directory,
                                         why ? why : strerror(-result->path_errors[0]), p->user_name);
        }

        /* Bind sources: as the caller found them. Missing ones marked
         * ignore-missing are dropped, from the last, so indices hold. */
        size_t first_bind = p->limits.root_directory ? 1 : 0;
        for (size_t i = p->limits.n_binds; i > 0; i--) {
                const JobBind *b = &p->limits.binds[i - 1];
                int e = result->path_errors[first_bind + i - 1];
                if (e == -ENOENT && b->ignore_missing) {
                        job_limits_remove_bind(&p->limits, i - 1);
                        continue;
                }
                if (e < 0) {
                        why = check_failure(e);
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "%s source %s: %s (checked as user %s).",
                                                 b->read_only ? "BindReadOnlyPaths" : "BindPaths", b->source,
                                                 why ? why : strerror(-e), p->user_name);
                }
        }

        if (p->limits.root_directory) {
                /* Inside the root, entered as the caller after pivot_root;
                 * the host's home means nothing there. */
                if (!p->workdir) {
                        p->workdir = strdup("/");
                        if (!p->workdir)
                                return -ENOMEM;
                }
        } else if (p->workdir) {
                if (result->directory_error < 0) {
                        why = check_failure(result->directory_error);
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "Working directory %s: %s (checked as user %s).",
                                                 p->workdir, why ? why : strerror(-result->directory_error),
                                                 p->user_name);
                }
        } else {
                /* No directory asked for: home, or / where home is not usable. */
                p->workdir = result->directory_error < 0 ? strdup("/") : TAKE_PTR(p->home);
                if (!p->workdir)
                        return -ENOMEM;
        }

        r = check_active_jobs_of(m, p->uid, error);
        if (r < 0)
                return r;

        char id[JOB_ID_LENGTH + 1];
        do {
                r = job_id_generate(id);
                if (r < 0)
                        return r;
        } while (manager_find_job(m, id));

        Job *j;
        r = job_new(m, id, &j);
        if (r < 0)
                return r;
        j->owner = p->uid;
        j->gid = p->gid;
        j->argv = TAKE_PTR(p->argv);
        j->environment = TAKE_PTR(p->environment);
        j->working_directory = TAKE_PTR(p->workdir);
        j->limits = p->limits;
        job_limits_init(&p->limits);
        r = check_record_budget(m, j, error);
        if (r < 0) {
                job_free(j);
                return r;
        }
        r = manager_add_job(m, j);
        if (r < 0) {
                job_free(j);
                return r;
        }
        r = job_start(j, p->groups, p->n_groups, on_job_started, sd_bus_message_ref(p->request), start_request_unref);
        if (r < 0) {
                sd_bus_message_unref(p->request);
                manager_remove_job(m, j);
                return sd_bus_error_setf(error, JOBWORKER_ERROR_START_FAILED,
                                         "Failed to start the job: %s", strerror(-r));
        }
        /* Its record counts against the byte budgets: finished jobs of its
         * owner may have to make room. */
        manager_schedule_retention(m);
        return 0;
}

static void on_start_job_checked(const CallerCheckResult *result, void *userdata) {
        PendingStart *p = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        assert(p);

        r = start_job_checked(p, result, &error);
        if (r >= 0)
                return;
        if (sd_bus_error_is_set(&error))
                r = sd_bus_reply_method_error(p->request, &error);
        else
                r = sd_bus_reply_method_errno(p->request, r, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to answer StartJob: %m");
}

static int method_start_job(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **argv = NULL, **passed_env = NULL, **env = NULL;
        _cleanup_free_ char *workdir = NULL, *pwbuf = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_(job_limits_done) JobLimits limits = {};
        struct passwd pw, *pwp = NULL;
        size_t total = 0;
        uid_t uid;
        int r, n_groups = GROUPS_MAX;

        job_limits_init(&limits);

        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = read_byte_string_array(message, "Command line", &argv, &total, error);
        if (r < 0)
                return r;
        r = read_byte_string_array(message, "Environment", &passed_env, &total, error);
        if (r < 0)
                return r;
        r = read_byte_string(message, "Working directory", &workdir, &total, error);
        if (r < 0)
                return r;
        r = read_options(message, &limits, error);
        if (r < 0)
                return r;

        if (!argv[0])
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                        "The command line is empty.");
        if (!argv[0][0])
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                        "The command name is empty.");
        if (*workdir && workdir[0] != '/')
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "Working directory \"%s\" is not an absolute path.", workdir);
        r = validate_limits_on_host(&limits, error);
        if (r < 0)
                return r;

        r = access_caller_uid(m->access, message, &uid);
        if (r < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                        "Cannot determine the caller's user.");
        r = access_check(m->access, message, ACTION_START_JOB, true, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = check_active_jobs_of(m, uid, error);
        if (r < 0)
                return r;

        long pwbuf_size = sysconf(_SC_GETPW_R_SIZE_MAX);
        pwbuf = malloc(pwbuf_size > 0 ? (size_t) pwbuf_size : 16384);
        if (!pwbuf)
                return -ENOMEM;
        r = getpwuid_r(uid, &pw, pwbuf, pwbuf_size > 0 ? (size_t) pwbuf_size : 16384, &pwp);
        if (r != 0 || !pwp)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "User %u has no passwd entry; jobs run as a known user.", (unsigned) uid);
        groups = calloc(GROUPS_MAX, sizeof(gid_t));
        if (!groups)
                return -ENOMEM;
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n_groups) < 0)
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.Failed",
                                         "User %s is in too many groups.", pw.pw_name);

        r = build_environment(&pw, passed_env, &env, error);
        if (r < 0)
                return r;

        /* The paths the call names are looked at as the caller, by a child
         * the event loop does not wait for: held until it answers. */
        _cleanup_(pending_start_freep) PendingStart *p = calloc(1, sizeof(PendingStart));
        if (!p)
                return -ENOMEM;
        *p = (PendingStart) {
                .manager = m,
                .request = sd_bus_message_ref(message),
                .uid = uid,
                .gid = pw.pw_gid,
                .n_groups = n_groups,
                .user_name = strdup(pw.pw_name),
                .workdir = *workdir ? TAKE_PTR(workdir) : NULL,
                .home = strdup(pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/"),
                .argv = TAKE_PTR(argv),
                .environment = TAKE_PTR(env),
                .limits = limits,
        };
        job_limits_init(&limits);
        /* Only what getgrouplist() filled: kept for as long as the check. */
        p->groups = realloc(groups, sizeof(gid_t) * (size_t) (n_groups > 0 ? n_groups : 1));
        if (p->groups)
                groups = NULL;
        if (!p->user_name || !p->home || !p->groups)
                return -ENOMEM;

        const char *paths[CALLER_CHECK_PATHS_MAX];
        bool directories[CALLER_CHECK_PATHS_MAX] = {};
        size_t n_paths = 0;
        if (p->limits.root_directory) {
                directories[n_paths] = true;
                paths[n_paths++] = p->limits.root_directory;
        }
        for (size_t i = 0; i < p->limits.n_binds && n_paths < CALLER_CHECK_PATHS_MAX; i++)
                paths[n_paths++] = p->limits.binds[i].source;
        CallerCheckSpec spec = {
                .uid = uid,
                .gid = p->gid,
                .groups = p->groups,
                .n_groups = p->n_groups,
                /* With a root, the working directory is inside it: entered
                 * by the shim as the caller, after pivot_root. */
                .directory = p->limits.root_directory ? NULL : p->workdir ?: p->home,
                .io_device = p->limits.io_device,
                .paths = paths,
                .path_is_directory = directories,
                .n_paths = n_paths,
        };
        r = caller_check_start(m, &spec, on_start_job_checked, p, pending_start_free);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "Too many path checks of user %s are pending (a hung file system?).",
                                         pw.pw_name);
        if (r < 0)
                return r;
        TAKE_PTR(p);
        /* Answered once the check is done. */
        return 1;
}

static int method_list_jobs(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uid_t uid;
        int r;

        /* Listing one's own jobs reads nothing one could not read from
         * their objects: no polkit, unless they might see everyone's. */
        r = access_caller_uid(m->access, message, &uid);
        if (r < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                        "Cannot determine the caller's user.");
        r = access_see_all(m->access, message);
        if (r == 0)
                return 1;
        bool see_all = r > 0;
        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssusssx)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_jobs; i++) {
                Job *j = m->jobs[i];
                if (!see_all && j->owner != uid)
                        continue;
                int64_t status = j->exit_signal > 0 ? -(int64_t) j->exit_signal :
                                 j->exit_code >= 0 ? j->exit_code : 0;
                r = sd_bus_message_append(reply, "(ssusssx)", j->id, j->object_path, (uint32_t) j->owner,
                                          job_state_to_string(j->state), job_result_to_string(j->result),
                                          j->unit, status);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_job(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        Job *j;
        int r;

        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = sd_bus_message_read(message, "s", &id);
        if (r < 0)
                return r;
        if (!job_id_valid(id))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "\"%s\" is not a job id (12 hex digits).", id);
        /* Another user's job and no job at all take the same path and get
         * the same answer. */
        j = manager_find_job(m, id);
        r = access_see_job(m->access, message, j);
        if (r == 0)
                return 1;
        if (r == -ENOENT)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NO_SUCH_JOB, "No job %s.", id);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, "o", j->object_path);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply,
                                void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_default_stop_timeout(sd_bus *bus, const char *path, const char *interface,
                                             const char *property, sd_bus_message *reply,
                                             void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", (uint64_t) JOB_STOP_TIMEOUT_DEFAULT_USEC);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DefaultStopTimeoutUSec", "t", property_get_default_stop_timeout, 0,
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("StartJob",
                                SD_BUS_ARGS("aay", argv, "aay", environment, "ay", working_directory,
                                            "a{sv}", options),
                                SD_BUS_RESULT("s", id, "o", job),
                                method_start_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobs", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssusssx)", jobs),
                                method_list_jobs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetJob", SD_BUS_ARGS("s", id), SD_BUS_RESULT("o", job),
                                method_get_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("JobNew", SD_BUS_ARGS("s", id, "o", job), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobRemoved", SD_BUS_ARGS("s", id, "o", job), 0),
        SD_BUS_VTABLE_END
};
