/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.jobworker1.Manager: StartJob, ListJobs, GetJob. Each handler parses,
 * checks who is calling, does one thing, replies. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-names.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "parse-util.h"
#include "polkit.h"

/* The kernel refuses an exec whose argv and environment together pass
 * ARG_MAX (2 MiB with the default stack limit); refuse it up front. */
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

int manager_caller_uid(Manager *m, sd_bus_message *message, uid_t *ret) {
        const char *sender = sd_bus_message_get_sender(message);
        size_t n = ELEMENTSOF(m->caller_cache);
        int r;

        if (sender && strlen(sender) < sizeof m->caller_cache[0].name)
                for (size_t i = 0; i < n; i++)
                        if (strcmp(m->caller_cache[i].name, sender) == 0) {
                                *ret = m->caller_cache[i].uid;
                                return 0;
                        }
        r = bus_caller_uid(message, ret);
        if (r < 0 || !sender || strlen(sender) >= sizeof m->caller_cache[0].name)
                return r;
        unsigned slot = m->caller_cache_next++ % n;
        strcpy(m->caller_cache[slot].name, sender);
        m->caller_cache[slot].uid = *ret;
        return 0;
}

int bus_caller_uid(sd_bus_message *m, uid_t *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        uint64_t augmented = 0;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        /* Augmented fields come from /proc and may be forged by a racing
         * caller: never decide on them. */
        augmented = sd_bus_creds_get_augmented_mask(creds);
        if (augmented & SD_BUS_CREDS_EUID)
                return -EPERM;
        return sd_bus_creds_get_euid(creds, ret);
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
        if (l->io_read_bandwidth_max != UINT64_MAX || l->io_write_bandwidth_max != UINT64_MAX || l->io_device) {
                const char *dev = l->io_device ? l->io_device : "/";
                struct stat st;
                if (stat(dev, &st) < 0)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "IODevice %s: %s.", dev, strerror(errno));
                if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "IODevice %s is neither a block device nor a file or directory on one.",
                                                 dev);
        }
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

/* Whether the user can enter dir, decided by the kernel for that user: a
 * child drops to the user's ids and tries. Root's view would lie. */
static int check_directory_as_user(const char *dir, uid_t uid, gid_t gid, const gid_t *groups, int n_groups) {
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (setgroups((size_t) n_groups, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
                    setresuid(uid, uid, uid) < 0)
                        _exit(EPERM);
                struct stat st;
                if (chdir(dir) < 0)
                        _exit(errno & 0xff);
                if (stat(".", &st) < 0 || !S_ISDIR(st.st_mode))
                        _exit(ENOTDIR);
                _exit(0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status))
                return -EIO;
        return -WEXITSTATUS(status);
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

        r = manager_caller_uid(m, message, &uid);
        if (r < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                        "Cannot determine the caller's user.");
        r = polkit_check_async(m, message, ACTION_START_JOB, true, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (uid != 0) {
                unsigned n = 0;
                for (size_t i = 0; i < m->n_jobs; i++)
                        if (m->jobs[i]->owner == uid && job_is_active(m->jobs[i]))
                                n++;
                if (n >= m->max_jobs_per_user)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                                 "User %u already has %u running jobs, the most one user may have.",
                                                 (unsigned) uid, n);
        }

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

        if (*workdir) {
                r = check_directory_as_user(workdir, uid, pw.pw_gid, groups, n_groups);
                if (r < 0)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "Working directory %s: %s (checked as user %s).",
                                                 workdir, strerror(-r), pw.pw_name);
        } else {
                /* No directory asked for: home, or / where home is not usable. */
                const char *home = pw.pw_dir && *pw.pw_dir ? pw.pw_dir : "/";
                free(workdir);
                workdir = strdup(check_directory_as_user(home, uid, pw.pw_gid, groups, n_groups) >= 0 ? home : "/");
                if (!workdir)
                        return -ENOMEM;
        }

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
        j->owner = uid;
        j->gid = pw.pw_gid;
        j->argv = TAKE_PTR(argv);
        j->environment = TAKE_PTR(env);
        j->working_directory = TAKE_PTR(workdir);
        j->limits = limits;
        job_limits_init(&limits);
        if (!j->working_directory) {
                job_free(j);
                return -ENOMEM;
        }
        r = manager_add_job(m, j);
        if (r < 0) {
                job_free(j);
                return r;
        }
        r = job_start(j, message, groups, n_groups);
        if (r < 0) {
                manager_remove_job(m, j);
                return sd_bus_error_setf(error, JOBWORKER_ERROR_START_FAILED,
                                         "Failed to start the job: %s", strerror(-r));
        }
        /* Answered by the job once it runs. */
        return 1;
}

static int method_list_jobs(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uid_t uid;
        int r;

        r = manager_caller_uid(m, message, &uid);
        if (r < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                        "Cannot determine the caller's user.");
        bool see_all = uid == 0;
        if (!see_all) {
                r = polkit_check_async(m, message, ACTION_MANAGE_OWN_JOBS, true, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
                /* Admins see everyone's jobs; never prompt just to list. */
                sd_bus_error e = SD_BUS_ERROR_NULL;
                r = polkit_check_async(m, message, ACTION_MANAGE_ALL_JOBS, false, &e);
                sd_bus_error_free(&e);
                if (r == 0)
                        return 1;
                see_all = r > 0;
        }
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

int bus_authorize_job(Manager *m, sd_bus_message *message, Job *j, sd_bus_error *error) {
        uid_t uid;
        int r;

        r = manager_caller_uid(m, message, &uid);
        if (r < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED, "Cannot determine the caller.");
        if (uid == 0)
                return 1;
        if (uid == j->owner)
                return polkit_check_async(m, message, ACTION_MANAGE_OWN_JOBS, true, error);
        r = polkit_check_async(m, message, ACTION_MANAGE_ALL_JOBS, true, error);
        if (r < 0 && sd_bus_error_has_name(error, JOBWORKER_ERROR_ACCESS_DENIED)) {
                sd_bus_error_free(error);
                return sd_bus_error_setf(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                         "Job %s belongs to another user.", j->id);
        }
        if (r < 0 && sd_bus_error_has_name(error, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")) {
                sd_bus_error_free(error);
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                                         "Job %s belongs to another user; managing it needs an administrator's authentication.",
                                         j->id);
        }
        return r;
}

int bus_find_job_for_caller(Manager *m, sd_bus_message *message, const char *id, Job **ret,
                            sd_bus_error *error) {
        int r;

        if (!job_id_valid(id))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "\"%s\" is not a job id (12 hex digits).", id);
        Job *j = manager_find_job(m, id);
        if (!j)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NO_SUCH_JOB, "No job %s.", id);
        r = bus_authorize_job(m, message, j, error);
        if (r <= 0)
                return r;
        *ret = j;
        return 1;
}

static int method_get_job(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        const char *id;
        Job *j;
        int r;

        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = sd_bus_message_read(message, "s", &id);
        if (r < 0)
                return r;
        r = bus_find_job_for_caller(userdata, message, id, &j, error);
        if (r <= 0)
                return r < 0 ? r : 1;
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
